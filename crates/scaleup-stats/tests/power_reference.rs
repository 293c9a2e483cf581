//! Power results against the committed reference values of
//! `tests/reference/make_power_reference.py` (statsmodels for individual and parallel designs,
//! an independent stacked-GLS numpy implementation for stepped-wedge designs).

use scaleup_stats::power::{SpecFile, power};
use serde_json::Value;

/// Power and SEs are smooth closed forms; the only approximation is statrs's erfc (about 1e-10
/// relative), so 1e-8 relative leaves a wide margin while catching any formula slip.
const REL_TOL: f64 = 1e-8;

fn close(name: &str, what: &str, got: f64, want: f64) {
    let rel = (got - want).abs() / want.abs();
    assert!(
        rel <= REL_TOL,
        "{name}: {what} = {got}, reference {want} (rel {rel:e})"
    );
}

#[test]
fn power_matches_reference() {
    let text = include_str!("reference/power_reference.json");
    let doc: Value = serde_json::from_str(text).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 20);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let file: SpecFile = serde_json::from_value(case["spec"].clone()).unwrap();
        let spec = file.into_spec(None).unwrap();
        let r = power(&spec).unwrap();
        let exp = &case["expected"];
        close(name, "power", r.power, exp["power"].as_f64().unwrap());
        for key in ["se", "se_closed_form", "se_gls"] {
            if let Some(v) = exp[key].as_f64() {
                close(name, key, r.se, v);
            }
        }
        if let Some(de) = exp["design_effect"].as_f64() {
            close(name, "design_effect", r.design_effect.unwrap(), de);
        }
    }
}
