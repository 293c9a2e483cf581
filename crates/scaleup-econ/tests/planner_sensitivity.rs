//! One-way sensitivity in the planner (hardening issue 13): a range either brackets the value
//! of every scenario it applies to, or the file is refused with a message naming the
//! parameter, the scenario and the values. A range never silently replaces the value that
//! defines a scenario.

use scaleup_econ::planner::{self, PlannerFile};

const PLAN: &str = include_str!("../models/friendship_bench_planner.toml");

/// The shipped example without the "2020 utilisation" scenario's own range, as it was when
/// the issue was filed.
fn without_scenario_range() -> String {
    let line = "sensitivity = { productive_fraction = [0.023, 0.092] }\n";
    assert!(
        PLAN.contains(line),
        "the example's own range moved; update this test"
    );
    PLAN.replace(line, "")
}

fn parse(text: &str) -> Result<PlannerFile, String> {
    planner::parse_scenario_file(text).map_err(|e| e.to_string())
}

#[test]
fn issue_13_every_row_of_the_shipped_example_brackets_its_base_case() {
    let report = planner::plan(&parse(PLAN).unwrap()).unwrap();
    assert_eq!(report.sensitivity.len(), 16);
    for row in &report.sensitivity {
        assert!(
            row.low <= row.base && row.base <= row.high,
            "{} / {}: {} is outside {}..{}",
            row.scenario,
            row.parameter,
            row.base,
            row.low,
            row.high
        );
    }
}

#[test]
fn issue_13_utilisation_row_no_longer_equals_the_dedicated_posts_row() {
    let report = planner::plan(&parse(PLAN).unwrap()).unwrap();
    let row = |scenario: &str| {
        report
            .sensitivity
            .iter()
            .find(|r| r.scenario == scenario && r.parameter == "productive_fraction")
            .unwrap()
            .clone()
    };
    let (dedicated, utilisation) = (row("Dedicated LHW posts"), row("2020 utilisation"));
    assert_eq!((dedicated.low, dedicated.high), (0.5, 0.85));
    assert_eq!(
        (utilisation.low, utilisation.base, utilisation.high),
        (0.023, 0.0461, 0.092)
    );
    assert_ne!(dedicated.total_cost, utilisation.total_cost);
    // The utilisation scenario's own projection lies between its low and high runs: fewer
    // productive hours cost more (more counsellors for the same clients, capped by training).
    let base_cost = report.scenarios[1].totals.cost;
    let (lo, hi) = utilisation.total_cost;
    assert!(
        lo.min(hi) <= base_cost && base_cost <= lo.max(hi),
        "{lo} {base_cost} {hi}"
    );
}

#[test]
fn issue_13_shared_range_that_misses_a_scenario_value_is_refused() {
    let err = parse(&without_scenario_range()).unwrap_err();
    let line = without_scenario_range()
        .lines()
        .position(|l| l.starts_with("productive_fraction = [0.5, 0.85]"))
        .unwrap()
        + 1;
    assert_eq!(
        err,
        format!(
            "line {line}, field `sensitivity.productive_fraction`: the range 0.5 to 0.85 does not \
bracket scenario \"2020 utilisation\"'s value 0.0461; give that scenario its own range \
(sensitivity = {{ productive_fraction = [low, high] }} in its [[scenario]] table)"
        )
    );
}

#[test]
fn issue_13_a_scenario_range_that_misses_its_value_is_refused_by_scenario() {
    let text = PLAN.replace("[0.023, 0.092]", "[0.05, 0.09]");
    let err = parse(&text).unwrap_err();
    assert!(
        err.contains("field `scenario[1].sensitivity.productive_fraction`")
            && err.contains("the range 0.05 to 0.09 does not bracket")
            && err.contains("value 0.0461"),
        "{err}"
    );
}

#[test]
fn issue_13_every_grid_range_brackets_or_is_refused_by_name() {
    // Attrition is 0.15 in every scenario; try ranges on both sides of it and across it.
    let values = [0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5];
    for &low in &values {
        for &high in &values {
            let text = PLAN.replace(
                "attrition = [0.05, 0.30]",
                &format!("attrition = [{low:?}, {high:?}]"),
            );
            match parse(&text) {
                Ok(file) => {
                    let report = planner::plan(&file).unwrap();
                    for row in report
                        .sensitivity
                        .iter()
                        .filter(|r| r.parameter == "attrition")
                    {
                        assert!(row.low < row.high && row.low <= row.base && row.base <= row.high);
                    }
                    assert!(low < high && low <= 0.15 && 0.15 <= high);
                }
                Err(err) => {
                    assert!(err.contains("field `sensitivity.attrition`"), "{err}");
                    let expected = if low >= high {
                        format!("low ({low}) must be below high ({high})")
                    } else {
                        format!("the range {low} to {high} does not bracket scenario")
                    };
                    assert!(err.contains(&expected), "{low}..{high}: {err}");
                }
            }
        }
    }
}

#[test]
fn issue_13_unlimited_training_has_no_value_to_bracket() {
    // "Dedicated LHW posts" inherits max_cohorts_per_year = 4; remove it from [base] so the
    // first two scenarios have unlimited training.
    let text = PLAN.replace(
        "max_cohorts_per_year = 4    # [ASSUMPTION] training throughput.\n",
        "",
    );
    let text = text.replace(
        "[sensitivity]\n",
        "[sensitivity]\nmax_cohorts_per_year = [2, 10]\n",
    );
    let err = parse(&text).unwrap_err();
    assert!(
        err.contains("field `sensitivity.max_cohorts_per_year`")
            && err.contains("scenario \"Dedicated LHW posts\" sets no max_cohorts_per_year"),
        "{err}"
    );
}

#[test]
fn issue_13_shared_ranges_belong_in_the_top_level_table() {
    let text = PLAN.replace(
        "[base]\n",
        "[base]\nsensitivity = { attrition = [0.1, 0.2] }\n",
    );
    let err = parse(&text).unwrap_err();
    assert!(
        err.contains("field `base.sensitivity`") && err.contains("top-level [sensitivity]"),
        "{err}"
    );
}

#[test]
fn issue_13_plan_checks_ranges_built_in_code_too() {
    let mut file = parse(PLAN).unwrap();
    file.sensitivity[1].insert("productive_fraction".into(), (0.5, 0.85));
    let err = planner::plan(&file).unwrap_err().to_string();
    assert!(
        err.contains("scenario[1].sensitivity.productive_fraction")
            && err.contains("does not bracket"),
        "{err}"
    );
}
