//! The planner on the shipped Friendship Bench example against a second implementation in
//! Python (tests/reference/planner_reference.py → planner_reference.json).

use scaleup_econ::planner;

const REFERENCE: &str = include_str!("reference/planner_reference.json");

/// Same formulas in double precision; differences come only from operation order.
const REL_TOL: f64 = 1e-9;

#[test]
fn friendship_bench_planner_matches_python() {
    let reference: serde_json::Value = serde_json::from_str(REFERENCE).unwrap();
    let file =
        planner::parse_scenario_file(include_str!("../models/friendship_bench_planner.toml"))
            .unwrap();
    let report = planner::plan(&file).unwrap();
    let scenarios = reference["scenarios"].as_array().unwrap();
    assert_eq!(scenarios.len(), report.scenarios.len());
    for (want, got) in scenarios.iter().zip(&report.scenarios) {
        assert_eq!(want["name"].as_str().unwrap(), got.name);
        for (w, g) in want["years"].as_array().unwrap().iter().zip(&got.years) {
            let pairs = [
                ("trainees", g.trainees),
                ("counsellors_in_post", g.counsellors_in_post),
                ("supervisors", g.supervisors),
                ("clients_served", g.clients_served),
                ("total_cost", g.costs.total),
            ];
            for (key, value) in pairs {
                let expected = w[key].as_f64().unwrap();
                assert!(
                    (value - expected).abs() <= REL_TOL * expected.abs().max(1.0),
                    "{} {} {key}: {value} vs {expected}",
                    got.name,
                    g.year
                );
            }
        }
    }
}
