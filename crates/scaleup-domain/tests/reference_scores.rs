//! The scoring engine against an independent Python re-implementation of the scoring rules
//! (tests/reference/make_scoring_reference.py, written from instruments.md without reading the
//! TOML definitions). Totals are compared with an absolute tolerance of 1e-9 (sums of integers
//! and means of at most four integers).

use scaleup_domain::catalog::Catalog;
use scaleup_domain::instrument::{Responses, ScoreError, ScoreOptions};
use serde_json::Value;

const TOL: f64 = 1e-9;

#[test]
fn engine_matches_independent_reference() {
    let text = include_str!("reference/scoring_reference.json");
    let doc: Value = serde_json::from_str(text).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 1000);
    let cat = Catalog::builtin();
    for (n, case) in cases.iter().enumerate() {
        let code = case["instrument"].as_str().unwrap();
        let inst = cat.instrument(code).unwrap();
        let responses: Responses = case["responses"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_i64().map(|c| c as i32)))
            .collect();
        let options = ScoreOptions {
            coding: case["options"]["coding"].as_str().map(String::from),
            ..Default::default()
        };
        let e = &case["expect"];
        let flags: Vec<&str> = e["flags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        let ctx = format!("case {n} ({code})");
        match inst.score_with(&responses, &options) {
            Err(ScoreError::TooManyMissing { risk_flags, .. }) => {
                assert_eq!(e["error"], "too_many_missing", "{ctx}");
                let got: Vec<&str> = risk_flags.iter().map(|f| f.rule.as_str()).collect();
                assert_eq!(got, flags, "{ctx}");
            }
            Err(other) => panic!("{ctx}: unexpected error {other}"),
            Ok(s) => {
                assert!(e.get("error").is_none(), "{ctx}: expected an error");
                let total = e["total"].as_f64().unwrap();
                assert!(
                    (s.total - total).abs() < TOL,
                    "{ctx}: {} vs {total}",
                    s.total
                );
                let got: Vec<&str> = s.risk_flags.iter().map(|f| f.rule.as_str()).collect();
                assert_eq!(got, flags, "{ctx}");
                if let Some(b) = e.get("band") {
                    assert_eq!(
                        s.band.as_ref().map(|x| x.band.as_str()),
                        b.as_str(),
                        "{ctx}"
                    );
                }
                if let Some(p) = e.get("positive") {
                    assert_eq!(s.positive, p.as_bool(), "{ctx}");
                }
                if let Some(rules) = e.get("rules").and_then(Value::as_object) {
                    for (id, met) in rules {
                        let r = s.rules.iter().find(|r| &r.id == id).unwrap();
                        assert_eq!(r.met, met.as_bool(), "{ctx}: rule {id}");
                    }
                }
                if let Some(subs) = e.get("subscales").and_then(Value::as_object) {
                    for (id, v) in subs {
                        let got = s.subscale(id).unwrap();
                        assert!((got - v.as_f64().unwrap()).abs() < TOL, "{ctx}: {id}");
                    }
                }
                if let Some(bands) = e.get("bands").and_then(Value::as_object) {
                    for (set, id) in bands {
                        let got = s.bands.iter().find(|b| &b.band_set == set).unwrap();
                        assert_eq!(Some(got.band.as_str()), id.as_str(), "{ctx}: {set}");
                    }
                }
                if let Some(c) = e.get("coding") {
                    assert_eq!(s.coding.as_deref(), c.as_str(), "{ctx}");
                }
                if let Some(t) = e.get("total_1_5").and_then(Value::as_f64) {
                    assert!(
                        (s.total_under(Some("1-5")).unwrap() - t).abs() < TOL,
                        "{ctx}"
                    );
                }
            }
        }
    }
}
