// Hand-derived cases for score.js; each derivation is in a comment. The random agreement test
// (score_agreement.mjs) proves score.js matches Rust; these show what the numbers mean.
//
// Run through `cargo test -p scaleup-web --test js_scorer`, which writes the built-in
// definitions as JSON and passes the file in SCALEUP_INSTRUMENTS, or by hand:
// SCALEUP_INSTRUMENTS=defs.json node --test crates/scaleup-web/assets/js/test/score.test.mjs

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { riskFlags, scoreInstrument } from '../score.js';

const path = process.env.SCALEUP_INSTRUMENTS;
if (!path) {
  throw new Error('set SCALEUP_INSTRUMENTS to a JSON file {code: definition}; '
    + '`cargo test -p scaleup-web --test js_scorer` does this');
}
const defs = JSON.parse(readFileSync(path, 'utf8'));

// Every scored item of an instrument with the same code, then the overrides.
function answers(def, code, overrides = {}) {
  const out = {};
  for (const it of def.items) if (it.scored) out[it.id] = code;
  return { ...out, ...overrides };
}
const flagIds = (flags) => flags.map((f) => `${f.rule}:${f.escalation}`);

test('PHQ-9: item 9 = 1 with a total of 1 raises the urgent flag', () => {
  // Items 1-8 = 0, item 9 = 1: total 1, band "minimal" (0-4), below the >= 10 cut-off.
  // The flag depends on item 9 alone (> 0), whatever the total.
  const s = scoreInstrument(defs.phq9, answers(defs.phq9, 0, { 9: 1 }));
  assert.equal(s.total, 1);
  assert.equal(s.band.band, 'minimal');
  assert.equal(s.positive, false);
  assert.deepEqual(flagIds(s.risk_flags), ['item9_positive:urgent']);
  assert.deepEqual(s.unanswered_risk_items, []);
  assert.equal(s.missing, 0);
});

test('PHQ-9: an incomplete form has no total but keeps the red flag', () => {
  // Item 1 unanswered: 1 missing > max_missing 0, so no total; item 9 = 1 still flags.
  const r = answers(defs.phq9, 0, { 1: null, 9: 1 });
  const s = scoreInstrument(defs.phq9, r);
  assert.equal(s.error.kind, 'too_many_missing');
  assert.equal(s.error.missing, 1);
  assert.equal(s.error.allowed, 0);
  assert.deepEqual(flagIds(s.error.risk_flags), ['item9_positive:urgent']);
  assert.deepEqual(flagIds(riskFlags(defs.phq9, r)), ['item9_positive:urgent']);
  // Item 9 itself unanswered: nothing to flag yet (a complete form would list it in
  // unanswered_risk_items).
  assert.deepEqual(riskFlags(defs.phq9, answers(defs.phq9, 0, { 9: null })), []);
});

test('WHODAS 12: the same responses under the 1-5 and 0-4 codings', () => {
  // Every item "Mild" (code 2). 1-5 coding (offset 0): 12 * 2 = 24, range 12-60.
  // 0-4 coding (offset -1): 12 * 1 = 12, range 0-48. The > 16 cut-off names the 1-5 coding,
  // so it compares 24 whichever coding the total is reported in. Cognition = items 3 and 6.
  const r = answers(defs.whodas12, 2);
  const s = scoreInstrument(defs.whodas12, r);
  assert.equal(s.coding, '1-5');
  assert.equal(s.total, 24);
  assert.deepEqual(s.range, [12, 60]);
  assert.deepEqual(s.totals_by_coding, [{ coding: '1-5', total: 24 }, { coding: '0-4', total: 12 }]);
  assert.equal(s.cutoffs[0].positive, true);
  assert.equal(s.subscales.find((x) => x.id === 'cognition').value, 4);

  const z = scoreInstrument(defs.whodas12, r, { coding: '0-4' });
  assert.equal(z.coding, '0-4');
  assert.equal(z.total, 12);
  assert.deepEqual(z.range, [0, 48]);
  assert.equal(z.cutoffs[0].positive, true);
  assert.equal(z.subscales.find((x) => x.id === 'cognition').value, 2);

  // Every item "None" (code 1): 12 under 1-5, not > 16; 0 under 0-4.
  const none = scoreInstrument(defs.whodas12, answers(defs.whodas12, 1), { coding: '0-4' });
  assert.equal(none.total, 0);
  assert.equal(none.cutoffs[0].positive, false);
  assert.equal(scoreInstrument(defs.whodas12, {}, { coding: '0-5' }).error.kind, 'unknown_coding');
});

test('EPDS: reverse-keyed item 10 is flagged on its scored value', () => {
  // Codes are option positions (0 = first printed option). Items 3 and 5-10 are reverse-keyed:
  // scored 3 - code. Items 1, 2, 4 at code 0 and items 3, 5-9 at code 3 all score 0.
  const zero = { 1: 0, 2: 0, 3: 3, 4: 0, 5: 3, 6: 3, 7: 3, 8: 3, 9: 3 };
  // Item 10 at code 3 (last option, "never") scores 0: total 0, no flag.
  const calm = scoreInstrument(defs.epds, { ...zero, 10: 3 });
  assert.equal(calm.total, 0);
  assert.deepEqual(calm.risk_flags, []);
  // Item 10 at code 2 scores 1 > 0: total 1, urgent flag.
  const risk = scoreInstrument(defs.epds, { ...zero, 10: 2 });
  assert.equal(risk.total, 1);
  assert.deepEqual(flagIds(risk.risk_flags), ['item10_positive:urgent']);
  // Every item at code 0: the seven reverse-keyed items score 3 each = 21 >= 13.
  const first = scoreInstrument(defs.epds, answers(defs.epds, 0));
  assert.equal(first.total, 21);
  assert.equal(first.positive, true);
  assert.deepEqual(flagIds(first.risk_flags), ['item10_positive:urgent']);
});

test('PCL-5: the provisional diagnosis rule counts items per cluster', () => {
  // Needs >= 2 on at least 1 B item (1-5), 1 C item (6-7), 2 D items (8-14), 2 E items (15-20).
  // Items 1, 6, 8, 9, 15, 16 = 2, the rest 0: total 12, clusters B=2 C=2 D=4 E=4, rule met,
  // far below the >= 33 cut-off.
  const r = answers(defs.pcl5, 0, { 1: 2, 6: 2, 8: 2, 9: 2, 15: 2, 16: 2 });
  const s = scoreInstrument(defs.pcl5, r);
  assert.equal(s.total, 12);
  assert.deepEqual(s.subscales.map((x) => x.value), [2, 2, 4, 4]);
  assert.deepEqual(s.rules, [{ id: 'provisional_diagnosis', met: true }]);
  assert.equal(s.positive, false);
  // Item 16 down to 1: one E item >= 2 is not enough. Total 11.
  const t = scoreInstrument(defs.pcl5, { ...r, 16: 1 });
  assert.equal(t.total, 11);
  assert.deepEqual(t.rules, [{ id: 'provisional_diagnosis', met: false }]);
});

test('A prorated sum with one missing item', () => {
  // No built-in instrument prorates, so a four-item one, codes 0-3, one item may be missing.
  const def = {
    code: 'prorated4', version: '1',
    items: ['1', '2', '3', '4'].map((id) => ({ id, range: { min: 0, max: 3 }, reverse_keyed: false, scored: true })),
    scoring: { method: 'prorated_sum', max_missing: 1, range: [0, 12] },
  };
  // 1 + 2 + 3 = 6 from 3 of 4 items: 6 * 4 / 3 = 8, prorated.
  const s = scoreInstrument(def, { 1: 1, 2: 2, 3: 3, 4: null });
  assert.equal(s.total, 8);
  assert.equal(s.prorated, true);
  assert.equal(s.answered, 3);
  assert.equal(s.missing, 1);
  // 1 + 1 + 2 = 4: 4 * 4 / 3 = 16 / 3, the same double as Rust's (sum * n) / answered.
  assert.ok(Object.is(scoreInstrument(def, { 1: 1, 2: 1, 3: 2 }).total, (4 * 4) / 3));
  // All answered: a plain sum, not prorated.
  assert.equal(scoreInstrument(def, { 1: 1, 2: 1, 3: 2, 4: 0 }).prorated, false);
  // Two missing: more than max_missing 1.
  assert.deepEqual(scoreInstrument(def, { 1: 1, 2: 1 }),
    { error: { kind: 'too_many_missing', missing: 2, allowed: 1, risk_flags: [] } });
});

test('AIM: a mean, with one item missing', () => {
  // (4 + 5 + 4 + 5) / 4 = 4.5 (instruments.md test vector); >= 3.5 benchmark.
  assert.equal(scoreInstrument(defs.aim, { 1: 4, 2: 5, 3: 4, 4: 5 }).total, 4.5);
  // (4 + 5 + 4) / 3 = 13 / 3: a mean is never "prorated".
  const s = scoreInstrument(defs.aim, { 1: 4, 2: 5, 3: 4 });
  assert.ok(Object.is(s.total, 13 / 3));
  assert.equal(s.prorated, false);
  assert.equal(s.missing, 1);
  assert.equal(s.cutoffs[0].positive, true);
});

test('AUDIT-C: sex-specific cut-offs apply only with the sex given', () => {
  // 1 + 1 + 1 = 3: women >= 3 positive; men >= 4 negative; without sex both not applicable.
  const r = { 1: 1, 2: 1, 3: 1 };
  const by = (s) => Object.fromEntries(s.cutoffs.map((c) => [c.id, c.positive]));
  assert.deepEqual(by(scoreInstrument(defs.auditc, r)), { men_ge4: null, women_ge3: null });
  assert.deepEqual(by(scoreInstrument(defs.auditc, r, { sex: 'female' })), { men_ge4: null, women_ge3: true });
  assert.deepEqual(by(scoreInstrument(defs.auditc, r, { sex: 'male' })), { men_ge4: false, women_ge3: null });
});

test('Errors name the item, in the order Rust reports them', () => {
  const phq9 = defs.phq9;
  assert.deepEqual(scoreInstrument(phq9, { 9: 4 }), { error: { kind: 'code_out_of_range', item: '9' } });
  assert.deepEqual(scoreInstrument(phq9, { 11: null }), { error: { kind: 'unknown_item', item: '11' } });
  // Rust checks responses in item-id string order: "10" comes before "2".
  assert.equal(scoreInstrument(phq9, { 2: 9, 10: 9 }).error.item, '10');
  // AUDIT items 9 and 10 allow 0, 2 and 4 only.
  assert.equal(scoreInstrument(defs.audit, { 9: 1 }).error.kind, 'code_out_of_range');
  // Codes must be integers: a string or a fraction is not one of the item's codes.
  assert.equal(scoreInstrument(phq9, { 1: '1' }).error.kind, 'code_out_of_range');
  assert.equal(scoreInstrument(phq9, { 1: 1.5 }).error.kind, 'code_out_of_range');
  // An invalid code gives no flags at all, as in Rust: the form must be fixed first.
  assert.equal(riskFlags(phq9, { 9: 3, 1: 7 }).error.kind, 'code_out_of_range');
  assert.equal(scoreInstrument(phq9, answers(phq9, 0), { cutoff: 'ge99' }).error.kind, 'unknown_cutoff');
});

test('score.js stays within its 3 KB gzip budget', () => {
  // The whole app's JavaScript must stay under 30 KB gzipped on low-end phones; the scorer has
  // 3 KB of it. Node's zlib at level 9 gives `gzip -9c score.js | wc -c` less the 9 bytes of
  // the file name that gzip stores, so the same limit holds with a little margin.
  const size = gzipSync(readFileSync(new URL('../score.js', import.meta.url)), { level: 9 }).length;
  assert.ok(size <= 3072, `score.js is ${size} bytes gzipped, over its 3 KB budget`);
});
