//! DALY helpers against tests/reference/daly_reference.json (numpy/math, script committed beside
//! it) and the values computed in the reference doc §3.2–3.3.

use scaleup_econ::daly;

const REFERENCE: &str = include_str!("reference/daly_reference.json");

/// Closed forms evaluated two ways in double precision.
const TOL: f64 = 1e-12;

#[test]
fn continuous_discounting_matches_reference() {
    let r: serde_json::Value = serde_json::from_str(REFERENCE).unwrap();
    for c in r["continuous_yld_per_case"].as_array().unwrap() {
        let f = |k: &str| c[k].as_f64().unwrap();
        let got = daly::yld_incidence(1.0, f("dw"), f("duration"), f("rate"));
        assert!((got - f("yld")).abs() < TOL, "{got} vs {}", f("yld"));
    }
    // Reference doc §3.3 (6 decimals): 0.390119, 0.071959, 5.684720.
    assert!((daly::yld_incidence(1.0, 0.396, 1.0, 0.03) - 0.390119).abs() < 5e-7);
    assert!((daly::yld_incidence(1.0, 0.145, 0.5, 0.03) - 0.071959).abs() < 5e-7);
    assert!((daly::yld_incidence(1.0, 0.658, 10.0, 0.03) - 5.684720).abs() < 5e-7);
}

#[test]
fn discrete_discounting_and_weights_match_reference() {
    let r: serde_json::Value = serde_json::from_str(REFERENCE).unwrap();
    let ones = [1.0; 15];
    let from0 = daly::discounted_sum(&ones, 0.03, false);
    let from1 = daly::discounted_sum(&ones, 0.03, true);
    assert!((from0 - r["discrete_sum_15y_3pct_from0"].as_f64().unwrap()).abs() < TOL);
    assert!((from1 - r["discrete_sum_15y_3pct_from1"].as_f64().unwrap()).abs() < TOL);
    assert!((from0 - 12.296073).abs() < 5e-7); // reference doc §3.3

    let t = daly::WeightTable::bundled();
    let w = |s| t.get("GBD2019", "anxiety_disorders", s).unwrap().weight;
    let avg = daly::average_weight(&[
        (0.409, w("mild")),
        (0.185, w("moderate")),
        (0.123, w("severe")),
    ])
    .unwrap();
    assert!((avg - r["anxiety_average_dw"].as_f64().unwrap()).abs() < TOL);
    assert!((avg - 0.1012).abs() < 5e-5); // reference doc §3.2
    let comorbid = daly::combine_comorbid(&[0.396, 0.133]);
    assert!((comorbid - r["comorbid_0.396_0.133"].as_f64().unwrap()).abs() < TOL);
}
