//! Malformed scenario files give errors (with a line where one exists), never panics or hangs.

use scaleup_econ::{budget_impact, costing, planner, roi};

const PLAN: &str = include_str!("../models/friendship_bench_planner.toml");
const BIA: &str = include_str!("../models/friendship_bench_bia.toml");
const ROI: &str = include_str!("../models/friendship_bench_roi.toml");
const COST: &str = include_str!("../models/costing_prices_example.toml");

/// Edits that break a file in different ways: syntax, types, ranges, NaN/inf, lengths.
fn mutations(text: &str) -> Vec<String> {
    let mut out = vec![
        String::new(),
        "[[scenario]]".into(),
        "years = 0".into(),
        text.replacen('=', "==", 1),
        text.replacen('[', "", 1),
        text.replace("0.0", "nan"),
        text.replace("0.02", "inf"),
        text.replace("0.02", "-inf"),
        text.replace("1_500_000", "-1"),
        text.replace("years = 5", "years = 0"),
        text.replace("years = 10", "years = 1000000"),
        text.replace("years = 5", "years = -5"),
        text.replace("0.05", "\"five\""),
        text.replace("= 0.", "= [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]\n#"),
    ];
    for (i, line) in text.lines().enumerate() {
        if line.contains('=') && !line.trim_start().starts_with('#') {
            // Drop one assignment at a time: a required key goes missing somewhere.
            let mut lines: Vec<&str> = text.lines().collect();
            lines.remove(i);
            out.push(lines.join("\n"));
        }
    }
    out
}

#[test]
fn planner_never_panics() {
    for m in mutations(PLAN) {
        if let Ok(f) = planner::parse_scenario_file(&m) {
            let _ = planner::plan(&f);
        }
    }
    // A budget ceiling on a huge programme bisects rather than scanning every trainee.
    let huge = PLAN
        .replace("population = 1_500_000", "population = 1e12")
        .replace(
            "max_cohorts_per_year = 8\n# [ASSUMPTION] yearly ceiling",
            "max_cohorts_per_year = 1e9\n# [ASSUMPTION] yearly ceiling",
        )
        .replace(
            "budget_cap = [700_000, 230_000, 230_000, 230_000, 230_000]",
            "budget_cap = 1e9",
        );
    let f = planner::parse_scenario_file(&huge).unwrap();
    assert!(
        planner::plan(&f).unwrap().scenarios[3]
            .years
            .iter()
            .any(|y| y.budget_limited)
    );
}

#[test]
fn budget_impact_never_panics() {
    for m in mutations(BIA) {
        if let Ok(model) = budget_impact::parse_bia_file(&m) {
            let _ = budget_impact::budget_impact(&model);
        }
    }
}

#[test]
fn roi_never_panics() {
    for m in mutations(ROI) {
        if let Ok(model) = roi::parse_roi_file(&m) {
            let _ = roi::roi(&model);
        }
    }
}

#[test]
fn costing_never_panics() {
    for m in mutations(COST) {
        if let Ok(f) = costing::parse_costing_file(&m) {
            let _ = costing::cost_file(&f);
        }
    }
    for csv in [
        "",
        "hub",
        "hub,year,clients,sessions,session_minutes\n\"unterminated",
        "hub,year,clients,sessions,session_minutes\nA,2020,1,2\n",
    ] {
        let _ = costing::parse_activity_csv(csv);
    }
}

#[test]
fn syntax_errors_carry_a_line() {
    let e =
        planner::parse_scenario_file(&PLAN.replacen("years = 5", "years = = 5", 1)).unwrap_err();
    assert!(e.to_string().starts_with("line "), "{e}");
}
