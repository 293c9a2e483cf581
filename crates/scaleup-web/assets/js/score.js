// Offline scorer: a mirror of scaleup-domain instrument/score.rs (score_with, risk_flags) on
// the definition JSON the API serves; tests/js_scorer.rs proves they agree. API: README.md.
// gzip -9: 2993 bytes (budget 3 KB). Integer item scores are summed in item order; prorated =
// sum * items / answered, mean = sum / answered, as in Rust: bit-identical totals, no rounding.

const EPS = 1e-9; // Comparison::holds

function satisfies(cmp, v, t) {
  if (cmp === '>=') return v >= t - EPS;
  if (cmp === '>') return v > t + EPS;
  if (cmp === '<=') return v <= t + EPS;
  if (cmp === '<') return v < t - EPS;
  return Math.abs(v - t) <= EPS; // ==
}

// true, false, or null when unanswered items or a missing score leave it undecided.
function evaluateCondition(c, ctx) {
  const list = c.all || c.any;
  if (list) {
    const decisive = !c.all; // all: the first false decides; any: the first true
    let undecided = false;
    for (const sub of list) {
      const r = evaluateCondition(sub, ctx);
      if (r === decisive) return decisive;
      if (r === null) undecided = true;
    }
    return undecided ? null : !decisive;
  }
  if (c.items) {
    let hits = 0, unknown = 0;
    for (const id of c.items) {
      const v = ctx.values[ctx.index.get(id)];
      if (v === null) unknown++;
      else if (satisfies(c.comparison, v, c.threshold)) hits++;
    }
    const need = c.at_least ?? 1;
    return hits >= need ? true : hits + unknown >= need ? null : false;
  }
  const v = c.item != null ? ctx.values[ctx.index.get(c.item)]
    : c.subscale != null ? ctx.subscales.get(c.subscale) : ctx.total;
  return v === null ? null : satisfies(c.comparison, v, c.threshold);
}

function conditionItems(c, out) {
  if (c.item != null) out.push(c.item);
  for (const id of c.items || []) out.push(id);
  for (const sub of c.all || c.any || []) conditionItems(sub, out);
  return out;
}

// Returns the Score as the server serialises it, or {error: {kind, ...}} for a ScoreError.
export function scoreInstrument(def, responses = {}, options = {}) {
  // Serde leaves empty lists out of the JSON.
  const { items, scoring, subscales = [], band_sets = [], cutoffs = [], risk_rules = [], rules = [] } = def;
  const { method, codings = [] } = scoring;
  const index = new Map(items.map((it, i) => [it.id, i]));
  const resolved = items.map((it) => {
    const src = it.response_set != null ? def.response_sets[it.response_set] : it;
    const codes = src.options ? src.options.map((o) => o.code) : [];
    for (let c = src.range?.min; c <= src.range?.max; c++) codes.push(c);
    return { codes, min: Math.min(...codes), max: Math.max(...codes) };
  });
  const fail = (kind, rest) => ({ error: { kind, ...rest } });

  // In item-id order, as Rust's BTreeMap: the same first error.
  for (const id of Object.keys(responses).sort()) {
    const k = index.get(id);
    if (k === undefined) return fail('unknown_item', { item: id });
    const code = responses[id];
    if (code != null && !resolved[k].codes.includes(code)) return fail('code_out_of_range', { item: id });
  }
  // Item scores after reverse keying, before any coding offset.
  const values = items.map((it, i) => {
    const code = Object.hasOwn(responses, it.id) ? responses[it.id] ?? null : null;
    const { min, max } = resolved[i];
    return code === null ? null : it.reverse_keyed ? min + max - code : code;
  });

  const defaultCoding = Math.max(0, codings.findIndex((k) => k.default));
  let codingIndex = defaultCoding;
  if (options.coding != null) {
    codingIndex = codings.findIndex((k) => k.id === options.coding);
    if (codingIndex < 0) return fail('unknown_coding', { coding: options.coding });
  }
  const thresholds = options.thresholds || {};
  for (const id of Object.keys(thresholds).sort().concat(options.cutoff ?? [])) {
    if (!cutoffs.some((c) => c.id === id)) return fail('unknown_cutoff', { cutoff: id });
  }
  const defaultOffset = codings[defaultCoding]?.item_offset ?? 0;
  // No coding named: the default one.
  const offsetOf = (id) => codings.find((k) => k.id === id)?.item_offset ?? defaultOffset;

  // [score, prorated] of some item positions, or null if unscorable.
  const aggregate = (idx, offset) => {
    let sum = 0, answered = 0;
    for (const i of idx) {
      if (values[i] !== null) { sum += values[i] + offset; answered++; }
    }
    if (!answered) return null;
    if (method === 'sum') return answered < idx.length ? null : [sum, false];
    if (method === 'prorated_sum') return [(sum * idx.length) / answered, answered < idx.length];
    return [sum / answered, false];
  };

  const scoredIdx = [];
  items.forEach((it, i) => it.scored !== false && scoredIdx.push(i));
  const missing = scoredIdx.filter((i) => values[i] === null).length;
  const allowed = scoring.max_missing || 0;
  const subscaleIdx = subscales.map((s) => s.items.map((id) => index.get(id)));

  // Conditions see the total and subscales in the default coding; items ignore codings.
  const defaultTotal = missing <= allowed ? aggregate(scoredIdx, defaultOffset) : null;
  const ctx = {
    values, index,
    total: defaultTotal && defaultTotal[0],
    subscales: new Map(subscales.map((s, k) => [s.id, aggregate(subscaleIdx[k], defaultOffset)?.[0] ?? null])),
  };
  const risk_flags = risk_rules
    .filter((r) => evaluateCondition(r.when, ctx) === true)
    .map((r) => ({ instrument: def.code, version: def.version, rule: r.id, escalation: r.escalation, message: r.message }));
  // A missing total never hides a red flag: it travels with the error.
  if (!defaultTotal) return fail('too_many_missing', { missing, allowed, risk_flags });

  const offset = codings[codingIndex]?.item_offset ?? 0;
  const totalFor = (coding) => aggregate(scoredIdx, offsetOf(coding))[0];
  let lo = 0, hi = 0;
  for (const i of scoredIdx) { lo += resolved[i].min + offset; hi += resolved[i].max + offset; }
  const n = method === 'mean' ? scoredIdx.length : 1;

  // Bands use the default coding; a fractional total is in the band whose min it reached.
  const value = defaultTotal[0];
  const bands = [];
  for (const set of band_sets) {
    const b = set.bands.find((b, k) => value >= b.min - EPS
      && (k + 1 === set.bands.length || value < set.bands[k + 1].min - EPS));
    if (b) bands.push({ band_set: set.id, band: b.id, label: b.label });
  }
  const defaultSet = band_sets.find((s) => s.default || band_sets.length === 1);

  const results = cutoffs.map((c) => {
    const override = Object.hasOwn(thresholds, c.id) ? thresholds[c.id] : null;
    const v = c.subscale == null ? totalFor(c.coding)
      : aggregate(subscaleIdx[subscales.findIndex((s) => s.id === c.subscale)], offsetOf(c.coding))?.[0] ?? null;
    const t = override ?? c.threshold;
    const applicable = c.sex == null || options.sex === c.sex;
    return {
      id: c.id, comparison: c.comparison, threshold: t, overridden: override != null,
      positive: applicable && v !== null ? satisfies(c.comparison, v, t) : null,
    };
  });
  const selected = options.cutoff ?? def.default_cutoff ?? null;

  const riskItems = new Set();
  for (const r of risk_rules) for (const id of conditionItems(r.when, [])) riskItems.add(index.get(id));

  return {
    instrument: def.code, version: def.version, method,
    coding: codings[codingIndex]?.id ?? null,
    total: aggregate(scoredIdx, offset)[0],
    range: [lo / n, hi / n],
    totals_by_coding: codings.map((k) => ({ coding: k.id, total: totalFor(k.id) })),
    subscales: subscales.map((s, k) => ({ id: s.id, value: aggregate(subscaleIdx[k], offset)?.[0] ?? null })),
    band: bands.find((b) => b.band_set === defaultSet?.id) ?? null,
    bands,
    cutoffs: results,
    selected_cutoff: selected,
    positive: results.find((c) => c.id === selected)?.positive ?? null,
    rules: rules.map((r) => ({ id: r.id, met: evaluateCondition(r.when, ctx) })),
    risk_flags,
    unanswered_risk_items: [...riskItems].sort((a, b) => a - b)
      .filter((i) => values[i] === null).map((i) => items[i].id),
    answered: scoredIdx.length - missing, missing, prorated: defaultTotal[1],
  };
}

// Instrument::risk_flags: the answered items' flags even when the total is incomplete.
export function riskFlags(def, responses = {}) {
  const s = scoreInstrument(def, responses);
  if (!s.error) return s.risk_flags;
  return s.error.kind === 'too_many_missing' ? s.error.risk_flags : s;
}
