// Renders the offline app's messages with fluent.js and compares with what Rust's
// fluent-bundle rendered for the same language, message and number (the cases file).
//   node plurals.mjs cases.json
import { readFileSync } from 'node:fs';
import { formatMessage } from '../fluent.js';

const cases = JSON.parse(readFileSync(process.argv[2], 'utf8'));
let bad = 0;
let n = 0;
for (const { lang, id, pattern, args, rust } of cases) {
  const js = formatMessage(pattern, args, new Intl.PluralRules(lang));
  n++;
  if (js !== rust) {
    if (bad++ < 10) console.log(`${lang} ${id} ${JSON.stringify(args)}: rust "${rust}" js "${js}"`);
  }
}
console.log(`plurals: ${n} renderings compared, ${bad} differ`);
process.exit(bad ? 1 : 0);
