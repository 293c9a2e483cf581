//! Generation speed without a database: `cargo run --release -p scaleup-demo --example generate -- CLIENTS [SEED]`.
//! Prints records per kind and the time taken: the survey of the present, then the plan, client
//! stream and staff records together.

use scaleup_demo::{ClientStream, DemoConfig, Directory, Plan, Present};
use std::collections::BTreeMap;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let clients: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let t0 = Instant::now();
    let plan = Plan::new(&DemoConfig {
        clients,
        seed,
        today: scaleup_domain::date::Date::from_ymd(2026, 6, 15).expect("a valid date"),
    })
    .expect("valid size");
    let dir = Directory::synthetic(&plan);
    let t_survey = Instant::now();
    let present = Present::survey(&plan).expect("a valid plan");
    let survey_secs = t_survey.elapsed().as_secs_f64();
    let mut stream = ClientStream::new(&plan, &dir, 2000, &present).expect("directory matches");
    let mut by_kind: BTreeMap<&'static str, u64> = BTreeMap::new();
    for batch in stream.by_ref() {
        for r in &batch {
            *by_kind.entry(r.payload.kind().as_str()).or_default() += 1;
        }
    }
    for r in stream.staff_records() {
        *by_kind.entry(r.payload.kind().as_str()).or_default() += 1;
    }
    let total: u64 = by_kind.values().sum();
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "{clients} clients, {total} records in {secs:.2} s ({:.0} records/s), of which the survey {survey_secs:.2} s",
        total as f64 / secs
    );
    for (k, n) in by_kind {
        println!("  {k:<22} {n}");
    }
}
