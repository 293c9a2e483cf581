//! The shipped Friendship Bench models against an independent numpy evaluation
//! (tests/reference/friendship_bench_markov.py → .json, numpy version recorded there).

const MARKOV: &str = include_str!("../models/friendship_bench_markov.toml");
const ROI: &str = include_str!("../models/friendship_bench_roi.toml");
const REFERENCE: &str = include_str!("reference/friendship_bench_markov.json");

/// Relative tolerance: both sides do the same dozen multiply-adds in double precision.
const TOL: f64 = 1e-12;

#[test]
fn markov_model_matches_numpy() {
    let reference: serde_json::Value = serde_json::from_str(REFERENCE).unwrap();
    let model = scaleup_econ::markov::Model::from_toml_str(MARKOV).unwrap();
    assert_eq!(
        model.strategy_names(),
        vec!["Usual care", "Friendship Bench"]
    );
    let outcomes = model.evaluate(&model.base_values()).unwrap();
    for (o, r) in outcomes
        .iter()
        .zip(reference["strategies"].as_array().unwrap())
    {
        let (c, e) = (r["cost"].as_f64().unwrap(), r["effect"].as_f64().unwrap());
        assert!(
            (o.cost - c).abs() <= TOL * c.abs().max(1.0),
            "{} vs {c}",
            o.cost
        );
        assert!(
            (o.effect - e).abs() <= TOL * e.abs().max(1.0),
            "{} vs {e}",
            o.effect
        );
    }
}

#[test]
fn roi_example_uses_the_markov_gain() {
    // The ROI example's delta_yld_per_case is the numpy gain rounded to 4 decimals.
    let reference: serde_json::Value = serde_json::from_str(REFERENCE).unwrap();
    let gain = reference["undiscounted_effect_gain_per_case"]
        .as_f64()
        .unwrap();
    let m = scaleup_econ::roi::parse_roi_file(ROI).unwrap();
    let used = m.conditions[0].packages[0].delta_yld_per_case;
    assert!((used - gain).abs() < 5e-5, "{used} vs {gain}");
}
