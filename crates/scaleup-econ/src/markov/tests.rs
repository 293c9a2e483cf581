//! Tests for Markov model loading and evaluation.

use super::*;
use crate::cea::{self, Status, Strategy};

const HIV: &str = include_str!("../../tests/reference/dmhee_hiv.toml");

/// DMHEE Example 2.5 (HIV) against the totals published with heemod's exact reproduction
/// (tests/testthat/test_dmhee.R). heemod compares with `expect_equal` (relative tolerance
/// 1.5e-8); we use 1e-8 relative.
#[test]
fn dmhee_hiv_matches_heemod_reproduction() {
    let m = Model::from_toml_str(HIV).unwrap();
    let out = m.evaluate(&m.base_values()).unwrap();
    let rel = |a: f64, b: f64| ((a - b) / b).abs();
    assert!(rel(out[0].cost, 44663.4535637) < 1e-8, "{}", out[0].cost);
    assert!(rel(out[0].effect, 7.9912066) < 1e-8, "{}", out[0].effect);
    assert!(rel(out[1].cost, 50601.6513312) < 1e-8, "{}", out[1].cost);
    assert!(rel(out[1].effect, 8.9373889) < 1e-8, "{}", out[1].effect);
    let rows = cea::calculate_icers(&[
        Strategy {
            name: "mono".into(),
            cost: out[0].cost,
            effect: out[0].effect,
        },
        Strategy {
            name: "comb".into(),
            cost: out[1].cost,
            effect: out[1].effect,
        },
    ])
    .unwrap();
    assert_eq!(rows[1].status, Status::NonDominated);
    assert!(rel(rows[1].icer.unwrap(), 6275.95560) < 1e-8);
}

/// DMHEE Example 3.5 (total hip replacement): time-dependent revision hazard through `cycle`,
/// age-banded mortality as phases, start-of-cycle accrual without discounting the first
/// cycle. Totals from heemod's exact reproduction (tests/testthat/test_dmhee.R), compared at
/// 1e-8 relative.
#[test]
fn dmhee_thr_matches_heemod_reproduction() {
    let m = Model::from_toml_str(include_str!("../../tests/reference/dmhee_thr.toml")).unwrap();
    let out = m.evaluate(&m.base_values()).unwrap();
    let rel = |a: f64, b: f64| ((a - b) / b).abs();
    assert!(rel(out[0].cost, 512.434658) < 1e-8, "{}", out[0].cost);
    assert!(rel(out[0].effect, 14.6531896) < 1e-8, "{}", out[0].effect);
    assert!(rel(out[1].cost, 610.311818) < 1e-8, "{}", out[1].cost);
    assert!(rel(out[1].effect, 14.69770986) < 1e-8, "{}", out[1].effect);
    let icer = (out[1].cost - out[0].cost) / (out[1].effect - out[0].effect);
    assert!(rel(icer, 2198.486665) < 1e-8, "{icer}");
}

fn two_state(accrual: &str, discount: &str) -> String {
    format!(
        r#"
states = ["alive", "dead"]
initial = [1, 0]
cycles = 2
accrual = "{accrual}"
{discount}

[[strategy]]
name = "s"
[[strategy.phase]]
transitions = [[0.5, 0.5], [0, 1]]
state_costs = [10, 0]
state_effects = [1, 0]
"#
    )
}

fn effect_of(src: &str) -> f64 {
    let m = Model::from_toml_str(src).unwrap();
    m.evaluate(&m.base_values()).unwrap()[0].effect
}

/// Alive → dead with probability 0.5 per cycle, two cycles. Occupancy of "alive":
/// m0 = 1, m1 = 0.5, m2 = 0.25. End: 0.5 + 0.25 = 0.75; start: 1 + 0.5 = 1.5;
/// half-cycle: (0.75 + 1.5) / 2 = 1.125.
#[test]
fn accrual_conventions_by_hand() {
    assert_eq!(effect_of(&two_state("end", "")), 0.75);
    assert_eq!(effect_of(&two_state("start", "")), 1.5);
    assert_eq!(effect_of(&two_state("half-cycle", "")), 1.125);
}

/// Same model, effects discounted at 10 %: first cycle discounted gives 0.5/1.1 + 0.25/1.1²;
/// not discounted gives 0.5 + 0.25/1.1; half-year cycles give 0.5/1.1^0.5 + 0.25/1.1.
#[test]
fn discount_conventions_by_hand() {
    let close = |a: f64, b: f64| (a - b).abs() < 1e-14;
    let d = "[discount]\neffects = 0.1\nfirst_cycle_discounted = true";
    assert!(close(
        effect_of(&two_state("end", d)),
        0.5 / 1.1 + 0.25 / 1.21
    ));
    let d = "[discount]\neffects = 0.1\nfirst_cycle_discounted = false";
    assert!(close(effect_of(&two_state("end", d)), 0.5 + 0.25 / 1.1));
    let d = "[discount]\neffects = 0.1\ncycle_years = 0.5";
    assert!(close(
        effect_of(&two_state("end", d)),
        0.5 / 1.1f64.sqrt() + 0.25 / 1.1
    ));
    let d = "cycle_years = 0.5\n[discount]\neffects = 0.1";
    assert!(close(
        effect_of(&two_state("end", d)),
        0.5 / 1.1f64.sqrt() + 0.25 / 1.1
    ));
}

fn err(src: &str) -> String {
    Model::from_toml_str(src).unwrap_err().to_string()
}

#[test]
fn validation_errors_name_field_strategy_phase_row_and_line() {
    let bad_row = two_state("end", "").replace("[[0.5, 0.5], [0, 1]]", "[[0.5, 0.5],\n [0.1, 1]]");
    let e = err(&bad_row);
    assert!(
        e.contains("strategy 's', phase 1, transitions row 2 ('dead')") && e.contains("sums to"),
        "{e}"
    );
    assert!(e.starts_with("line 12:"), "{e}");

    let e = err(&two_state("end", "").replace("[[0.5, 0.5], [0, 1]]", "[[0.5, 0.5]]"));
    assert!(e.contains("'transitions' has 1 rows, expected 2"), "{e}");
    let e =
        err(&two_state("end", "").replace("[[0.5, 0.5], [0, 1]]", "[[\"1 - p\", 0.5], [0, 1]]"));
    assert!(
        e.contains("unknown parameter 'p'") && e.contains("column 1"),
        "{e}"
    );
    let e = err(&two_state("end", "").replace("state_costs = [10, 0]", "state_costs = [10]"));
    assert!(e.contains("'state_costs' has 1 values, expected 2"), "{e}");
    let e = err(&two_state("end", "").replace("initial = [1, 0]", "initial = [0.5, 0]"));
    assert!(e.contains("'initial'"), "{e}");
    let e = err(&two_state("sideways", ""));
    assert!(
        e.contains("accrual") || e.contains("unknown variant"),
        "{e}"
    );
    let e = err(&two_state("end", "").replace("cycles = 2", ""));
    assert!(e.contains("cycles"), "{e}");
    let e = err(&two_state("end", "").replace("[[0.5, 0.5], [0, 1]]", "[[\"C\", \"C\"], [0, 1]]"));
    assert!(e.contains("at most one"), "{e}");
    let e = err(&two_state("end", "").replace("[[0.5, 0.5], [0, 1]]", "[[1.5, \"C\"], [0, 1]]"));
    assert!(e.contains("outside [0, 1]"), "{e}");
}

#[test]
fn phases_parameters_and_dirichlet_rows() {
    let src = r#"
states = ["well", "sick", "dead"]
initial = [1, 0, 0]
cycles = 3
accrual = "start"

[[parameter]]
name = "p_sick"
distribution = "beta"
mean = 0.2
se = 0.05

[[parameter]]
name = "from_sick"
distribution = "dirichlet"
alpha = [10, 60, 30]

[[strategy]]
name = "s"
[[strategy.phase]]
until_cycle = 1
transitions = [["C", "p_sick", 0], "from_sick", [0, 0, 1]]
state_costs = [0, 100, 0]
state_effects = [1, "from_sick[1] + 0.5", 0]
[[strategy.phase]]
transitions = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
state_costs = [0, 100, 0]
state_effects = [1, 0.6, 0]
"#;
    let m = Model::from_toml_str(src).unwrap();
    assert_eq!(m.n_slots(), 4);
    let base = m.base_values();
    assert_eq!(base, vec![0.2, 0.1, 0.6, 0.3]);
    // Start accrual: cycle 1 counts m0 = (1, 0, 0) with phase-1 values; m1 = (0.8, 0.2, 0).
    // Cycles 2 and 3 use the identity phase: m stays (0.8, 0.2, 0). Effects 1 + 2·(0.8 + 0.12);
    // costs 0 + 2·(0.2·100).
    let out = m.evaluate(&base).unwrap();
    assert!((out[0].effect - (1.0 + 2.0 * 0.92)).abs() < 1e-12);
    assert!((out[0].cost - 40.0).abs() < 1e-12);

    let e = err(&src.replace("\"from_sick\", [0, 0, 1]", "\"p_sick\", [0, 0, 1]"));
    assert!(
        e.contains("needs a Dirichlet parameter with 3 components"),
        "{e}"
    );
    let e = err(&src.replace("until_cycle = 1", "until_cycle = 3"));
    assert!(e.contains("later phases unused"), "{e}");
    let e = err(&src.replace("until_cycle = 1\n", ""));
    assert!(e.contains("'until_cycle' is required"), "{e}");
    let e = err(&src.replace("distribution = \"beta\"", "distribution = \"cauchy\""));
    assert!(
        e.contains("parameter 'p_sick'") && e.contains("unknown distribution"),
        "{e}"
    );
    let e = err(&src.replace("se = 0.05", "se = 0.9"));
    assert!(e.contains("beta se²"), "{e}");
}

/// Time-dependent transitions through `cycle`: death probability 0.1·t in cycle t, three
/// cycles, end accrual. Alive: m1 = 0.9, m2 = 0.9·0.8 = 0.72, m3 = 0.72·0.7 = 0.504, so the
/// effect is 2.124; the cost of 10 per alive cycle plus 1·t gives 10·2.124 + (0.9 + 1.44 +
/// 1.512) = 25.092.
#[test]
fn cycle_variable_makes_phases_time_dependent() {
    let src = r#"
states = ["alive", "dead"]
initial = [1, 0]
cycles = 3
accrual = "end"
[[strategy]]
name = "s"
[[strategy.phase]]
transitions = [["C", "0.1 * cycle"], [0, 1]]
state_costs = ["10 + cycle", 0]
state_effects = [1, 0]
[[strategy]]
name = "same cells, constant"
[[strategy.phase]]
transitions = [["C", "0.1"], [0, 1]]
state_costs = [10, 0]
state_effects = [1, 0]
"#;
    let m = Model::from_toml_str(src).unwrap();
    let out = m.evaluate(&m.base_values()).unwrap();
    assert!((out[0].effect - 2.124).abs() < 1e-12, "{}", out[0].effect);
    assert!((out[0].cost - 25.092).abs() < 1e-12, "{}", out[0].cost);
    assert!((out[1].effect - (0.9 + 0.81 + 0.729)).abs() < 1e-12);
    // Half-cycle across time-dependent segments: 0.5·(1 + 0.9) + 0.5·(0.9 + 0.72) + 0.5·(0.72 + 0.504).
    let half = Model::from_toml_str(&src.replace("\"end\"", "\"half-cycle\"")).unwrap();
    let e = half.evaluate(&half.base_values()).unwrap()[0].effect;
    assert!((e - 0.5 * (1.9 + 1.62 + 1.224)).abs() < 1e-12, "{e}");
    // A probability that leaves [0, 1] in a later cycle is reported with that cycle.
    let e = err(&src.replace("0.1 * cycle", "0.4 * cycle"));
    assert!(e.contains("phase 1 (cycle 3), transitions row 1"), "{e}");
    let e = err(&src.replace("[[strategy]]\nname = \"s\"", "[[parameter]]\nname = \"cycle\"\ndistribution = \"fixed\"\nvalue = 1\n[[strategy]]\nname = \"s\""));
    assert!(e.contains("not C, cycle"), "{e}");
}
