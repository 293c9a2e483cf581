//! The OpenAPI document's schemas of record bodies against the records the demo generates and
//! against the parser that validates them (issue 9: "the API as an integration surface").
//!
//! Every demo record, sent as a sync push, validates against `SyncPush` as the document states
//! it (formats checked), and simple mutations of each body (a required field removed, an unknown
//! field added, an enum value outside its set) are rejected by both the schema and
//! `parse_payload`, so the two cannot drift apart unnoticed.

use scaleup_demo::{ClientStream, DemoConfig, Directory, Plan, Present};
use scaleup_domain::date::Date;
use scaleup_domain::record::{RecordKind, parse_payload};
use scaleup_web::openapi::{openapi_document, record_data_schema_name};
use serde_json::{Value, json};
use std::collections::BTreeMap;

fn validator(root: &str) -> jsonschema::Validator {
    let doc = openapi_document();
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": format!("#/components/schemas/{root}"),
        "components": doc["components"],
    });
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the document's schemas compile")
}

fn demo_bodies() -> Vec<(RecordKind, String, Value)> {
    let plan = Plan::new(&DemoConfig {
        clients: 300,
        seed: 9,
        today: Date::from_ymd(2026, 6, 15).unwrap(),
    })
    .unwrap();
    let dir = Directory::synthetic(&plan);
    let present = Present::survey(&plan).unwrap();
    let mut stream = ClientStream::new(&plan, &dir, 100, &present).unwrap();
    let mut records: Vec<_> = stream.by_ref().flatten().collect();
    records.extend(stream.staff_records());
    records
        .into_iter()
        .map(|r| (r.payload.kind(), r.id.to_string(), r.payload.to_json()))
        .collect()
}

#[test]
fn every_record_the_demo_generates_matches_the_documented_schema() {
    let push = validator("SyncPush");
    let bodies = demo_bodies();
    let mut per_kind: BTreeMap<&str, usize> = BTreeMap::new();
    for chunk in bodies.chunks(500) {
        let records: Vec<Value> = chunk
            .iter()
            .map(|(kind, id, data)| {
                *per_kind.entry(kind.as_str()).or_default() += 1;
                json!({"kind": kind.as_str(), "id": id, "device_time": "2026-06-14T10:00:00Z", "data": data})
            })
            .collect();
        let body = json!({"device_id": "test-device", "records": records});
        let errors: Vec<String> = push
            .iter_errors(&body)
            .take(5)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
    }
    // `kind` chooses the schema of `data`: a client's body sent as an episode is refused.
    let (_, id, data) = bodies
        .iter()
        .find(|(k, ..)| *k == RecordKind::Client)
        .unwrap();
    let wrong = json!({"device_id": "d", "records": [{"kind": "episode", "id": id, "device_time": "2026-06-14T10:00:00Z", "data": data}]});
    assert!(!push.is_valid(&wrong));
    // The demo exercises the kinds a hub's devices send.
    for kind in [
        "client",
        "client_identity",
        "consent",
        "assessment",
        "eligibility",
        "episode",
        "session",
        "referral",
        "supervision_session",
        "competency_assessment",
    ] {
        assert!(
            per_kind.get(kind).copied().unwrap_or(0) > 0,
            "{kind}: {per_kind:?}"
        );
    }
}

#[test]
fn the_schema_and_the_parser_reject_the_same_mutations() {
    let bodies = demo_bodies();
    let mut seen: BTreeMap<RecordKind, usize> = BTreeMap::new();
    let validators: BTreeMap<RecordKind, jsonschema::Validator> = RecordKind::ALL
        .iter()
        .map(|&k| (k, validator(&record_data_schema_name(k))))
        .collect();
    for (kind, _, data) in bodies {
        // A few bodies of each kind are enough; the mutations are per field.
        let n = seen.entry(kind).or_default();
        *n += 1;
        if *n > 3 {
            continue;
        }
        let v = &validators[&kind];
        assert!(v.is_valid(&data), "{kind:?}");
        let schema = scaleup_domain::record::data_schema(kind);
        let object = data.as_object().unwrap();
        let mut mutations: Vec<(String, Value)> = Vec::new();
        for required in schema["required"].as_array().unwrap() {
            let mut m = data.clone();
            m.as_object_mut()
                .unwrap()
                .remove(required.as_str().unwrap());
            mutations.push((format!("without {required}"), m));
        }
        let mut m = data.clone();
        m["nickname"] = json!("x");
        mutations.push(("with an unknown field".into(), m));
        for (field, prop) in schema["properties"].as_object().unwrap() {
            if prop.get("enum").is_some() && object.contains_key(field) {
                let mut m = data.clone();
                m[field] = json!("not_in_the_set");
                mutations.push((format!("{field} outside its set"), m));
            }
        }
        for (what, m) in mutations {
            assert!(!v.is_valid(&m), "{kind:?} {what}: the schema accepts it");
            let err = parse_payload(kind, &m).expect_err(&format!("{kind:?} {what}"));
            if what.ends_with("outside its set") {
                assert!(err.message.starts_with("must be one of: "), "{err}");
                assert!(!err.message.contains("not_in_the_set"), "{err}");
            }
        }
    }
}
