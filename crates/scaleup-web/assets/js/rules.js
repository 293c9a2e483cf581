// The protocol's rules the device applies offline, as pure functions (no DOM, no storage), so
// that a test can run them under Node against the server's Rust rules on many random cases.
// Dates are ISO strings (YYYY-MM-DD).

const dayNumber = (s) => Math.round(Date.UTC(+s.slice(0, 4), +s.slice(5, 7) - 1, +s.slice(8, 10)) / 864e5);
const plusDays = (s, n) => new Date((dayNumber(s) + n) * 864e5).toISOString().slice(0, 10);

// The next session of an episode by the protocol's schedule (Protocol::next_session in Rust).
// Next number: one more than the highest recorded, attended or missed. Due: the latest
// session's date plus the protocol's interval (7 days if unset), or the enrolment date before
// any session. Status on `today`: upcoming before the due day, today on it, overdue after it,
// missed from the protocol's missed_session.overdue_days on. Null when the episode is closed
// or the planned sessions are done.
export function nextSessionOf(protocol, episode, sessions, today) {
  if (!protocol || !episode || episode.closed_on) return null;
  // The next number follows the highest recorded; the schedule runs from the latest date.
  let highest = 0;
  let latest = null;
  for (const s of sessions) {
    if (s.number > highest) highest = s.number;
    if (!latest || s.on > latest) latest = s.on;
  }
  const number = highest + 1;
  if (protocol.sessions && number > protocol.sessions.planned) return null;
  const due = latest ? plusDays(latest, protocol.sessions?.interval_days ?? 7) : episode.enrolled_on;
  const late = dayNumber(today) - dayNumber(due);
  const limit = protocol.missed_session?.overdue_days;
  const status = late < 0 ? 'upcoming' : late === 0 ? 'today' : limit != null && late >= limit ? 'missed' : 'overdue';
  const plan = (protocol.session_plan || []).find((s) => s.session === number);
  return { number, due, status, late, components: plan ? plan.components : [] };
}

const holds = (a, op, b) => (op === '>=' ? a >= b : op === '>' ? a > b : op === '<=' ? a <= b : op === '<' ? a < b : a === b);

// Eligibility as Protocol::eligibility decides it, from the scores (instrument code -> the
// scorer's result): criteria on cut-offs or thresholds, nestable all/any, then exclusions on
// risk rules. A criterion on an instrument without a score is not met.
export function eligibilityOf(protocol, scores) {
  const e = protocol?.eligibility;
  if (!e) return { eligible: true };
  const met = (c) => {
    if (c.all) return c.all.every(met);
    if (c.any) return c.any.some(met);
    const s = scores[c.instrument];
    if (!s || s.error) return false;
    if (c.cutoff) return s.cutoffs.find((x) => x.id === c.cutoff)?.positive === true;
    const total = c.coding ? (s.totals_by_coding.find((x) => x.coding === c.coding)?.total ?? s.total) : s.total;
    return holds(total, c.comparison, c.threshold);
  };
  for (const x of e.exclusions || []) {
    const s = scores[x.instrument];
    if (s && !s.error && s.risk_flags.some((f) => f.rule === x.risk_rule)) return { eligible: false, excluded: x };
  }
  return { eligible: (!e.all || e.all.every(met)) && (!e.any || e.any.some(met)) };
}
