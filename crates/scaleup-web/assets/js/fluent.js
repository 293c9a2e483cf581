// Formats the offline app's messages: Fluent patterns as the server exports them
// (crates/scaleup-web/src/ui/i18n.rs, Tr::app_messages): text, {"v": name} for a variable,
// {"s": name, "o": {key: pattern}, "d": default} for a selector on a number. A variant is chosen
// as Fluent chooses it: an exact numeric key, then the number's plural category in this
// language, then the default. A test renders every message for many numbers in every language
// here (under Node) and in Rust (fluent-bundle) and requires the same text.
export function formatMessage(parts, args, plural) {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'string') out += p;
    else if (p.v !== undefined) out += args[p.v] ?? '';
    else if (p.s !== undefined) {
      const n = args[p.s];
      let key = p.d;
      if (p.o[String(n)]) key = String(n);
      else if (typeof n === 'number' && p.o[plural.select(n)]) key = plural.select(n);
      out += formatMessage(p.o[key], args, plural);
    }
  }
  return out;
}
