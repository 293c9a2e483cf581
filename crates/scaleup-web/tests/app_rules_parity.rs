//! The counsellor's app schedules sessions offline with `nextSessionOf` (assets/js/rules.js);
//! the server with `Protocol::next_session`. Both must give the same answer for the same
//! records, or a counsellor sees one due date on the phone and the supervisor another. This
//! test runs both on the built-in protocols over a few thousand generated episodes and compares.
//!
//! Most episodes are consistent records (session numbers 1, 2, 3, ... on non-decreasing dates);
//! one in five has its dates shuffled, a higher number on an earlier date, as a device with a
//! wrong clock or a late correction produces: both rules number from the highest session and
//! date from the latest.

use scaleup_domain::catalog::Catalog;
use scaleup_domain::date::Date;
use scaleup_domain::protocol::{Due, SessionFact};
use serde_json::{Value, json};

/// A small deterministic generator (64-bit LCG, high bits): reproducible cases, no dependency.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[test]
fn next_session_in_the_app_matches_the_server() {
    let catalog = Catalog::builtin_shared();
    let protocols: Vec<_> = catalog.protocols().map(|(_, p)| p).collect();
    let start = Date::parse("2026-01-01", "t").unwrap();
    let mut rng = Lcg(20261206);
    let mut cases = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..3000 {
        let p = protocols[i % protocols.len()];
        let enrolled = start.add_days(rng.below(300) as i64);
        let held = rng.below(u64::from(p.def().sessions.planned) + 2) as u32;
        let mut on = enrolled;
        let mut sessions = Vec::new();
        for number in 1..=held {
            on = on.add_days(rng.below(15) as i64);
            sessions.push(SessionFact {
                number,
                on,
                attended: rng.below(4) > 0,
            });
        }
        if rng.below(5) == 0 && sessions.len() > 1 {
            for k in (1..sessions.len()).rev() {
                let j = rng.below(k as u64 + 1) as usize;
                let (a, b) = (sessions[k].on, sessions[j].on);
                sessions[k].on = b;
                sessions[j].on = a;
            }
        }
        let today = on.add_days(rng.below(40) as i64 - 10);
        let step = p.next_session(enrolled, &sessions, today);
        seen.insert(step.status.as_str());
        // The app returns null once the planned sessions are done.
        let expected = match step.status {
            Due::Done => Value::Null,
            status => json!({
                "number": step.number,
                "due": step.due_on.map(|d| d.to_string()),
                "status": status.as_str(),
                "components": step.components,
            }),
        };
        cases.push(json!({
            "protocol": serde_json::to_value(p.def()).unwrap(),
            "episode": {"enrolled_on": enrolled.to_string()},
            "sessions": sessions.iter().map(|s| json!({"number": s.number, "on": s.on.to_string(), "attended": s.attended})).collect::<Vec<_>>(),
            "today": today.to_string(),
            "rust": expected,
        }));
    }
    // Every status is among the cases, so each branch of both rules is compared.
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        ["done", "missed", "overdue", "today", "upcoming"]
    );
    let dir = tempfile::tempdir().unwrap();
    // Copied as .mjs: Node reads a bare .js file outside a `"type": "module"` package as
    // CommonJS, and rules.js is an ES module.
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/assets/js/rules.js"),
        dir.path().join("rules.mjs"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("cases.json"),
        Value::Array(cases).to_string(),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("compare.mjs"),
        r#"import { readFileSync } from 'node:fs';
import { nextSessionOf } from './rules.mjs';
const cases = JSON.parse(readFileSync(process.argv[2], 'utf8'));
let bad = 0;
for (const c of cases) {
  const js = nextSessionOf(c.protocol, c.episode, c.sessions, c.today);
  // Keys in the order serde_json writes them (sorted).
  const got = js && { components: js.components, due: js.due, number: js.number, status: js.status };
  if (JSON.stringify(got) !== JSON.stringify(c.rust)) {
    if (bad++ < 5) console.log(JSON.stringify({ protocol: c.protocol.code, episode: c.episode, sessions: c.sessions, today: c.today, rust: c.rust, js: got }));
  }
}
console.log(`next session: ${cases.length} cases compared, ${bad} differ`);
process.exit(bad ? 1 : 0);
"#,
    )
    .unwrap();
    let out = std::process::Command::new("node")
        .arg(dir.path().join("compare.mjs"))
        .arg(dir.path().join("cases.json"))
        .output()
        .expect("Node.js is needed for this test");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
