//! FHIR R4 (4.0.1) export: a transaction Bundle holding a Questionnaire per instrument used, and
//! per client a pseudonymous Patient, per administration a QuestionnaireResponse and, when the
//! server could total it, an Observation of the total score that points back at the response
//! with `derivedFrom` (the pattern of US Core's Observation Screening Assessment profile, e.g. its example
//! "PHQ9 Panel Example 44249-1", hl7.org/fhir/us/core/STU7).
//!
//! Resources are plain JSON built here rather than typed structs of a FHIR crate (only R4B or
//! dormant R4 crates exist on crates.io). Every resource is validated in the tests against
//! the official R4 JSON Schema (`tests/fixtures/fhir-r4/`).
//!
//! Ids: every resource id is a UUID made from a keyed PRF of the scaleup id (the same key as
//! the dataset pseudonyms), so a re-export updates the same resources (PUT) and no database id
//! leaves. Questionnaires are named by their canonical URL `urn:scaleup:instrument:<code>` and
//! version. Item texts are included only where the definition carries them (its licence allows).

use crate::deid::DeidKey;
use crate::source::StudySource;
use scaleup_domain::catalog::Catalog;
use scaleup_domain::instrument::{Instrument, ResponseScale};
use scaleup_domain::record::{Client, RecordPayload, Sex};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

const LOINC: &str = "http://loinc.org";
const UCUM: &str = "http://unitsofmeasure.org";
const OBSERVATION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";
/// Local code system of instrument totals without a LOINC code.
const LOCAL_TOTALS: &str = "urn:scaleup:instrument-total";

/// LOINC codes of an instrument: the panel, the total score and the items in item order.
/// Codes as published by LOINC (cdn.loinc.org/44261-6, loinc.org/55757-9, loinc.org/69729-2 for
/// the GAD-7 items and total, cdn.loinc.org/72110-0, loinc.org/75626-2); the GAD-7 and EPDS
/// panel codes are from secondary sources. EPDS's total and PCL-5 are left out until checked
/// against loinc.org.
pub struct Loinc {
    pub panel: &'static str,
    pub panel_display: &'static str,
    pub total: Option<(&'static str, &'static str)>,
    pub items: &'static [&'static str],
}

pub fn loinc(instrument: &str) -> Option<Loinc> {
    Some(match instrument {
        "phq9" => Loinc {
            panel: "44249-1",
            panel_display: "PHQ-9 quick depression assessment panel [Reported.PHQ]",
            total: Some(("44261-6", "PHQ-9 total score [Reported]")),
            items: &[
                "44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5",
                "44253-3", "44260-8",
            ],
        },
        "phq2" => Loinc {
            panel: "55757-9",
            panel_display: "PHQ-2 [Reported]",
            total: Some(("55758-7", "PHQ-2 total score [Reported]")),
            items: &["44250-9", "44255-8"],
        },
        "gad7" => Loinc {
            panel: "69737-5",
            panel_display: "Generalized anxiety disorder 7 item (GAD-7)",
            total: Some(("70274-6", "GAD-7 total score [Reported.PHQ]")),
            items: &[
                "69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7",
            ],
        },
        "audit" => Loinc {
            panel: "72110-0",
            panel_display: "Alcohol Use Disorder Identification Test [AUDIT]",
            total: Some(("75624-7", "Total score [AUDIT]")),
            items: &[],
        },
        "auditc" => Loinc {
            panel: "72109-2",
            panel_display: "Alcohol Use Disorder Identification Test - Consumption [AUDIT-C]",
            total: Some(("75626-2", "Total score [AUDIT-C]")),
            items: &[],
        },
        "epds" => Loinc {
            panel: "71354-5",
            panel_display: "Edinburgh Postnatal Depression Scale [EPDS]",
            total: None,
            items: &[],
        },
        _ => return None,
    })
}

/// The canonical URL of an instrument's Questionnaire.
pub fn questionnaire_url(code: &str) -> String {
    format!("urn:scaleup:instrument:{code}")
}

fn resource_id(key: &DeidKey, purpose: &str, id: Uuid) -> String {
    key.uuid(purpose, id).to_string()
}

fn questionnaire_id(code: &str, version: &str) -> String {
    // FHIR ids: [A-Za-z0-9\-\.]{1,64}.
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    };
    let id = format!("{}-{}", clean(code), clean(version));
    id.chars().take(64).collect()
}

/// One instrument as a Questionnaire.
pub fn questionnaire(instrument: &Instrument) -> Value {
    let def = instrument.def();
    let codes = loinc(instrument.code());
    let items: Vec<Value> = def
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let mut q = json!({
                "linkId": item.id,
                "text": item.text.clone().or(item.label.clone()).unwrap_or_else(|| format!("Item {}", item.id)),
                "type": "integer",
            });
            if let Some(code) = codes.as_ref().and_then(|l| l.items.get(i)) {
                q["code"] = json!([{"system": LOINC, "code": code}]);
            }
            match instrument.response_scale(&item.id) {
                Some(ResponseScale::Options(options)) => {
                    q["type"] = json!("choice");
                    q["answerOption"] = options
                        .iter()
                        .map(|o| json!({"valueCoding": {"system": format!("{}/answers", questionnaire_url(instrument.code())), "code": o.code.to_string(), "display": o.label}}))
                        .collect();
                }
                Some(ResponseScale::Range(r)) => {
                    q["extension"] = json!([
                        {"url": "http://hl7.org/fhir/StructureDefinition/minValue", "valueInteger": r.min},
                        {"url": "http://hl7.org/fhir/StructureDefinition/maxValue", "valueInteger": r.max}
                    ]);
                }
                None => {}
            }
            q
        })
        .collect();
    let mut q = json!({
        "resourceType": "Questionnaire",
        "id": questionnaire_id(instrument.code(), instrument.version()),
        "url": questionnaire_url(instrument.code()),
        "version": instrument.version(),
        "name": instrument.code().to_ascii_uppercase().replace(|c: char| !c.is_ascii_alphanumeric(), "_"),
        "title": def.short_name.clone().unwrap_or_else(|| def.name.clone()),
        "status": "active",
        "subjectType": ["Patient"],
        "item": items,
    });
    if let Some(l) = codes {
        q["code"] = json!([{"system": LOINC, "code": l.panel, "display": l.panel_display}]);
    }
    q
}

fn gender(sex: Sex) -> &'static str {
    match sex {
        Sex::Female => "female",
        Sex::Male => "male",
        Sex::Other => "other",
        Sex::Unknown => "unknown",
    }
}

fn entry(resource: Value) -> Value {
    let kind = resource["resourceType"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let id = resource["id"].as_str().unwrap_or_default().to_string();
    // A UUID id gets a urn:uuid: full URL; a Questionnaire its canonical URL.
    let full_url = if kind == "Questionnaire" {
        format!(
            "{}|{}",
            resource["url"].as_str().unwrap_or_default(),
            resource["version"].as_str().unwrap_or_default()
        )
    } else {
        format!("urn:uuid:{id}")
    };
    json!({
        "fullUrl": full_url,
        "resource": resource,
        "request": {"method": "PUT", "url": format!("{kind}/{id}")},
    })
}

/// What the export left out and why (an instrument the catalogue lacks, an unscored response).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FhirSummary {
    pub patients: usize,
    pub questionnaires: usize,
    pub responses: usize,
    pub observations: usize,
    /// Instrument codes (with version) whose definition the catalogue lacks: their
    /// administrations are left out.
    pub unknown_instruments: BTreeSet<String>,
}

/// The transaction Bundle of a programme's assessments.
pub fn bundle(source: &StudySource, catalog: &Catalog, key: &DeidKey) -> (Value, FhirSummary) {
    let mut summary = FhirSummary::default();
    let clients: BTreeMap<Uuid, &Client> = source
        .records
        .iter()
        .filter_map(|r| match &r.payload {
            RecordPayload::Client(c) => Some((r.id, c)),
            _ => None,
        })
        .collect();
    let mut questionnaires: BTreeMap<(String, String), Value> = BTreeMap::new();
    let mut patients: BTreeMap<Uuid, Value> = BTreeMap::new();
    let mut others: Vec<Value> = Vec::new();
    for r in &source.records {
        let RecordPayload::Assessment(a) = &r.payload else {
            continue;
        };
        let version = r
            .score
            .as_ref()
            .and_then(|s| s.version.clone())
            .or(a.instrument_version.clone());
        let instrument = match &version {
            Some(v) => catalog.instrument_version(&a.instrument, v),
            None => catalog.instrument(&a.instrument),
        };
        let Some(instrument) = instrument else {
            summary.unknown_instruments.insert(format!(
                "{} {}",
                a.instrument,
                version.unwrap_or_default()
            ));
            continue;
        };
        let qkey = (
            instrument.code().to_string(),
            instrument.version().to_string(),
        );
        questionnaires
            .entry(qkey)
            .or_insert_with(|| questionnaire(instrument));
        let patient_id = resource_id(key, "fhir/patient", a.client_id);
        patients.entry(a.client_id).or_insert_with(|| {
            let mut p = json!({"resourceType": "Patient", "id": patient_id,
                "meta": {"tag": [{"system": "urn:scaleup:tag", "code": "pseudonymous"}]}});
            if let Some(c) = clients.get(&a.client_id) {
                p["gender"] = json!(gender(c.sex));
                if let Some(y) = c.birth_year {
                    p["birthDate"] = json!(format!("{y:04}"));
                }
            }
            p
        });
        let subject = json!({"reference": format!("Patient/{patient_id}")});
        let qr_id = resource_id(key, "fhir/questionnaire-response", r.id);
        let items: Vec<Value> = a
            .responses
            .iter()
            .map(|(item, value)| {
                let mut i = json!({"linkId": item});
                if let Some(v) = value {
                    let answer = match instrument.response_scale(item) {
                        Some(ResponseScale::Options(_)) => json!({"valueCoding": {
                            "system": format!("{}/answers", questionnaire_url(instrument.code())),
                            "code": format!("{}", *v as i64)}}),
                        _ if v.fract() == 0.0 => json!({"valueInteger": *v as i64}),
                        _ => json!({"valueDecimal": v}),
                    };
                    i["answer"] = json!([answer]);
                }
                i
            })
            .collect();
        others.push(json!({
            "resourceType": "QuestionnaireResponse",
            "id": qr_id,
            "questionnaire": format!("{}|{}", questionnaire_url(instrument.code()), instrument.version()),
            "status": "completed",
            "subject": subject,
            "authored": a.administered_on.to_string(),
            "item": items,
        }));
        summary.responses += 1;
        if let Some(total) = r.score.as_ref().and_then(|s| s.total) {
            let code = match loinc(instrument.code()).and_then(|l| l.total) {
                Some((code, display)) => {
                    json!({"coding": [{"system": LOINC, "code": code, "display": display}]})
                }
                None => json!({"coding": [{"system": LOCAL_TOTALS, "code": instrument.code()}],
                               "text": format!("{} total score", instrument.name())}),
            };
            let mut obs = json!({
                "resourceType": "Observation",
                "id": resource_id(key, "fhir/observation", r.id),
                "status": "final",
                "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}],
                "code": code,
                "subject": subject,
                "effectiveDateTime": a.administered_on.to_string(),
                "valueQuantity": {"value": total, "unit": "{score}", "system": UCUM, "code": "{score}"},
                "derivedFrom": [{"reference": format!("QuestionnaireResponse/{qr_id}")}],
            });
            if let Some(band) = r.score.as_ref().and_then(|s| s.band.clone()) {
                obs["note"] = json!([{"text": format!("band: {band}")}]);
            }
            others.push(obs);
            summary.observations += 1;
        }
    }
    summary.patients = patients.len();
    summary.questionnaires = questionnaires.len();
    let entries: Vec<Value> = questionnaires
        .into_values()
        .chain(patients.into_values())
        .chain(others)
        .map(entry)
        .collect();
    (
        json!({"resourceType": "Bundle", "type": "transaction", "entry": entries}),
        summary,
    )
}
