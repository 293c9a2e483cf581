//! The FHIR R4 export against the official R4 JSON Schema (fixtures/fhir-r4, pinned; see its
//! SOURCE.md): the Bundle and every resource in it validate, each administration has a
//! QuestionnaireResponse and an Observation of its total linked by `derivedFrom`, and LOINC
//! codes are used where they exist.

mod common;

use common::*;
use scaleup_domain::catalog::Catalog;
use scaleup_interop::deid::DeidKey;
use scaleup_interop::fhir;
use serde_json::{Value, json};
use std::sync::OnceLock;

fn schema() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let text = include_str!("fixtures/fhir-r4/fhir.schema.json");
        let schema: Value = serde_json::from_str(text).unwrap();
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft6)
            .build(&schema)
            .expect("the FHIR schema compiles")
    })
}

fn assert_valid(resource: &Value) {
    let errors: Vec<String> = schema()
        .iter_errors(resource)
        .take(5)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{} {}: {errors:#?}",
        resource["resourceType"],
        resource["id"]
    );
}

#[test]
fn the_bundle_and_every_resource_validate_against_the_r4_schema() {
    let catalog = Catalog::builtin();
    let (bundle, summary) = fhir::bundle(&source(&twelve()), &catalog, &DeidKey::new([5; 32]));
    assert_eq!(summary.patients, 12);
    assert_eq!(summary.questionnaires, 1);
    assert_eq!(summary.responses, 24);
    assert_eq!(summary.observations, 24);
    assert!(summary.unknown_instruments.is_empty());
    assert_eq!(bundle["type"], "transaction");
    assert_valid(&bundle);
    let entries = bundle["entry"].as_array().unwrap();
    assert_eq!(entries.len(), 1 + 12 + 24 + 24);
    for e in entries {
        assert_valid(&e["resource"]);
    }
    // The schema is not a rubber stamp: a wrong status and an unknown element are refused.
    let mut bad = entries[20]["resource"].clone();
    bad["status"] = json!("finished");
    assert!(!schema().is_valid(&bad));
    let mut bad = entries[0]["resource"].clone();
    bad["colour"] = json!("red");
    assert!(!schema().is_valid(&bad));
}

#[test]
fn observations_point_at_their_responses_with_loinc_codes() {
    let catalog = Catalog::builtin();
    let (bundle, _) = fhir::bundle(&source(&twelve()), &catalog, &DeidKey::new([5; 32]));
    let resources: Vec<&Value> = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .collect();
    let q = resources
        .iter()
        .find(|r| r["resourceType"] == "Questionnaire")
        .unwrap();
    assert_eq!(q["code"][0]["code"], "44249-1");
    assert_eq!(q["url"], "urn:scaleup:instrument:phq9");
    assert_eq!(q["item"][0]["code"][0]["code"], "44250-9");
    assert_eq!(q["item"][8]["code"][0]["code"], "44260-8");
    let responses: Vec<&&Value> = resources
        .iter()
        .filter(|r| r["resourceType"] == "QuestionnaireResponse")
        .collect();
    for o in resources
        .iter()
        .filter(|r| r["resourceType"] == "Observation")
    {
        assert_eq!(o["code"]["coding"][0]["code"], "44261-6");
        assert_eq!(o["category"][0]["coding"][0]["code"], "survey");
        assert_eq!(o["valueQuantity"]["code"], "{score}");
        let target = o["derivedFrom"][0]["reference"].as_str().unwrap();
        let qr = responses
            .iter()
            .find(|r| format!("QuestionnaireResponse/{}", r["id"].as_str().unwrap()) == target)
            .expect("derivedFrom names a response in the bundle");
        assert_eq!(qr["subject"], o["subject"]);
        assert_eq!(qr["authored"], o["effectiveDateTime"]);
    }
    // Pseudonymous patients: no database id anywhere in the bundle.
    let text = bundle.to_string();
    for n in 0..12u128 {
        assert!(!text.contains(&id(1000 + n).to_string()));
        assert!(!text.contains(&id(2000 + n).to_string()));
    }
    // The same key gives the same ids (a re-export updates, it does not duplicate).
    let (again, _) = fhir::bundle(&source(&twelve()), &catalog, &DeidKey::new([5; 32]));
    assert_eq!(bundle, again);
}
