//! JSON and text outputs of the planner, budget impact and ROI on the shipped Friendship Bench
//! examples, compared with committed snapshots so that field names, order and values stay
//! stable. After an intended change, regenerate with `UPDATE_SNAPSHOTS=1 cargo test -p
//! scaleup-econ --test report_snapshots` and review the diff.

use scaleup_econ::{budget_impact, planner, roi};
use std::path::PathBuf;

fn check(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing snapshot {name}; run with UPDATE_SNAPSHOTS=1"));
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .map(|i| i + 1)
            .unwrap_or(expected.lines().count().min(actual.lines().count()) + 1);
        panic!(
            "{name} differs from its snapshot first at line {line}; run with UPDATE_SNAPSHOTS=1 if intended"
        );
    }
}

#[test]
fn planner_friendship_bench() {
    let file =
        planner::parse_scenario_file(include_str!("../models/friendship_bench_planner.toml"))
            .unwrap();
    let report = planner::plan(&file).unwrap();
    check(
        "plan_friendship_bench.json",
        &(serde_json::to_string_pretty(&report).unwrap() + "\n"),
    );
    check("plan_friendship_bench.txt", &planner::render_text(&report));
}

#[test]
fn budget_impact_friendship_bench() {
    let m =
        budget_impact::parse_bia_file(include_str!("../models/friendship_bench_bia.toml")).unwrap();
    let report = budget_impact::budget_impact(&m).unwrap();
    check(
        "bia_friendship_bench.json",
        &(serde_json::to_string_pretty(&report).unwrap() + "\n"),
    );
    check(
        "bia_friendship_bench.txt",
        &budget_impact::render_text(&report),
    );
}

#[test]
fn roi_friendship_bench() {
    let m = roi::parse_roi_file(include_str!("../models/friendship_bench_roi.toml")).unwrap();
    let report = roi::roi(&m).unwrap();
    check(
        "roi_friendship_bench.json",
        &(serde_json::to_string_pretty(&report).unwrap() + "\n"),
    );
    check("roi_friendship_bench.txt", &roi::render_text(&report));
}
