// Scores the cases written by crates/scaleup-web/tests/js_scorer.rs with score.js and compares
// every field with the Rust result. Usage: node score_agreement.mjs CASES.jsonl
//
// The file is JSON lines: first {"defs": {code: definition JSON}}, then one case per line,
// {"instrument", "responses", "options" (ScoreOptions or null), "expected" (the serialised
// Score, or {"error": {...}}), "flags" (Instrument::risk_flags, only for default options)}.
// Prints "cases CODE N" per instrument, the first 10 disagreements, and exits 1 on any.

import { readFileSync } from 'node:fs';
import { riskFlags, scoreInstrument } from '../score.js';

// The first path where `actual` differs from `expected`, or null. Numbers must be the same
// double (Object.is), so totals agree bit for bit; objects must have the same keys.
function diff(expected, actual, path) {
  if (typeof expected === 'number' || typeof actual === 'number') {
    return Object.is(expected, actual) ? null : path;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return path;
    for (let i = 0; i < expected.length; i++) {
      const d = diff(expected[i], actual[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return path;
    const keys = Object.keys(expected).sort();
    const got = Object.keys(actual).sort();
    if (keys.join('\u0000') !== got.join('\u0000')) {
      return `${path} (keys: expected ${keys.join(',')}; got ${got.join(',')})`;
    }
    for (const k of keys) {
      const d = diff(expected[k], actual[k], `${path}.${k}`);
      if (d) return d;
    }
    return null;
  }
  return expected === actual ? null : path;
}

const file = process.argv[2];
if (!file) {
  console.error('usage: node score_agreement.mjs CASES.jsonl');
  process.exit(2);
}
const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
const { defs } = JSON.parse(lines[0]);
const counts = new Map(Object.keys(defs).map((code) => [code, 0]));
const disagreements = [];

for (const line of lines.slice(1)) {
  const c = JSON.parse(line);
  const def = defs[c.instrument];
  let actual, where;
  try {
    actual = scoreInstrument(def, c.responses, c.options ?? undefined);
    where = diff(c.expected, actual, 'score');
    if (!where && c.flags !== undefined) {
      const flags = riskFlags(def, c.responses);
      where = diff(c.flags, flags, 'riskFlags');
      if (where) actual = { riskFlags: flags, score: actual };
    }
  } catch (e) {
    actual = `threw ${e && e.stack}`;
    where = 'exception';
  }
  counts.set(c.instrument, (counts.get(c.instrument) ?? 0) + 1);
  if (where) disagreements.push({ c, actual, where });
}

for (const [code, n] of counts) console.log(`cases ${code} ${n}`);
console.log(`total ${lines.length - 1} cases, ${disagreements.length} disagreements`);
for (const { c, actual, where } of disagreements.slice(0, 10)) {
  console.log(`\nDISAGREEMENT ${c.instrument} at ${where}`);
  console.log(`  responses: ${JSON.stringify(c.responses)}`);
  if (c.options) console.log(`  options:   ${JSON.stringify(c.options)}`);
  console.log(`  rust:      ${JSON.stringify(c.flags !== undefined && where.startsWith('riskFlags') ? c.flags : c.expected)}`);
  console.log(`  js:        ${JSON.stringify(actual)}`);
}
process.exit(disagreements.length ? 1 : 0);
