//! DHIS2 Tracker export: a flat payload for `POST /api/tracker` (DHIS2 2.36 and later; the
//! "new tracker" of dhis2/dhis2-docs `src/developer/web-api/new-tracker.md`): clients as tracked entities, episodes as enrollments, assessments and
//! sessions as events with data values, through a mapping file the hub writes for its DHIS2
//! server (UIDs of the tracked-entity type, program, stages, data elements, attributes and org
//! units, which differ from server to server).
//!
//! Object UIDs (tracked entity, enrollment, event) are DHIS2-shaped (a letter then ten letters
//! or digits) and derived from a keyed PRF of the scaleup id, so a re-export with
//! `importStrategy=CREATE_AND_UPDATE` updates the same objects and no scaleup id leaves.
//! Dates are sent as `YYYY-MM-DDT00:00:00.000`. What the mapping does not cover is left out and
//! counted in the summary, never guessed.

use crate::deid::DeidKey;
use crate::source::StudySource;
use scaleup_domain::record::{ClosureReason, RecordPayload};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// The hub's mapping onto its DHIS2 server (TOML).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    pub tracked_entity_type: String,
    pub program: String,
    /// Facility code → org unit UID.
    pub org_units: BTreeMap<String, String>,
    /// Tracked-entity attributes: `sex`, `birth_year`, `registered_on`, `pseudonym` → attribute
    /// UID.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// Option codes of sex, when the attribute uses an option set (scaleup code → DHIS2 code).
    #[serde(default)]
    pub sex_codes: BTreeMap<String, String>,
    /// Per instrument code: the program stage and data elements (`total`, `band`, item ids).
    #[serde(default)]
    pub assessments: BTreeMap<String, StageMapping>,
    /// The stage of treatment sessions and its data elements (`number`, `attended`,
    /// `duration_minutes`, `modality`, `components`).
    #[serde(default)]
    pub session: Option<StageMapping>,
    /// Import only: the closure reason an enrollment with status `CANCELLED` becomes (DHIS2
    /// does not say why a course ended; without this such enrollments are refused).
    #[serde(default)]
    pub cancelled_as: Option<ClosureReason>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageMapping {
    pub stage: String,
    #[serde(default)]
    pub data_elements: BTreeMap<String, String>,
    /// Import only: the occasion of this stage's assessments when no data element `occasion`
    /// carries it.
    #[serde(default)]
    pub occasion: Option<scaleup_domain::record::Occasion>,
}

#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error("{0}")]
    Toml(String),
    #[error("{field}: must be a DHIS2 UID (a letter, then 10 letters or digits)")]
    NotAUid { field: String },
}

/// A DHIS2 UID: 11 characters, a letter then letters or digits.
pub fn is_uid(text: &str) -> bool {
    text.len() == 11
        && text.starts_with(|c: char| c.is_ascii_alphabetic())
        && text.chars().all(|c| c.is_ascii_alphanumeric())
}

impl Mapping {
    /// Parses and checks a mapping file; errors name the field, never the value.
    pub fn from_toml(text: &str) -> Result<Mapping, MappingError> {
        let m: Mapping = toml::from_str(text).map_err(|e| {
            // toml's message names the key and line; it may quote a value, so keep the first line
            // up to the quote.
            let msg = e
                .message()
                .split('`')
                .next()
                .unwrap_or("invalid mapping")
                .trim()
                .to_string();
            let span = e
                .span()
                .map(|s| format!(" (at byte {})", s.start))
                .unwrap_or_default();
            MappingError::Toml(format!("{msg}{span}"))
        })?;
        m.check()?;
        Ok(m)
    }

    /// Checks every UID of a mapping however it was read (TOML file or JSON body).
    pub fn check(&self) -> Result<(), MappingError> {
        let m = self;
        let check = |field: String, uid: &str| {
            if is_uid(uid) {
                Ok(())
            } else {
                Err(MappingError::NotAUid { field })
            }
        };
        check("tracked_entity_type".into(), &m.tracked_entity_type)?;
        check("program".into(), &m.program)?;
        for (k, v) in &m.org_units {
            check(format!("org_units.{k}"), v)?;
        }
        for (k, v) in &m.attributes {
            check(format!("attributes.{k}"), v)?;
        }
        for (code, s) in m
            .assessments
            .iter()
            .map(|(c, s)| (format!("assessments.{c}"), s))
            .chain(m.session.iter().map(|s| ("session".to_string(), s)))
        {
            check(format!("{code}.stage"), &s.stage)?;
            for (k, v) in &s.data_elements {
                check(format!("{code}.data_elements.{k}"), v)?;
            }
        }
        Ok(())
    }
}

const UID_FIRST: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const UID_REST: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// A DHIS2 UID from a keyed PRF of a scaleup id.
pub fn uid(key: &DeidKey, purpose: &str, id: Uuid) -> String {
    let bytes = key.uuid(purpose, id).into_bytes();
    let mut x = u128::from_be_bytes(bytes);
    let mut out = String::with_capacity(11);
    out.push(UID_FIRST[(x % 52) as usize] as char);
    x /= 52;
    for _ in 0..10 {
        out.push(UID_REST[(x % 62) as usize] as char);
        x /= 62;
    }
    out
}

fn at(d: scaleup_domain::date::Date) -> String {
    format!("{d}T00:00:00.000")
}

/// Counts of what was sent and what the mapping left out.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dhis2Summary {
    pub tracked_entities: usize,
    pub enrollments: usize,
    pub events: usize,
    /// Facility codes without an org unit in the mapping (their clients are left out).
    pub unmapped_facilities: BTreeSet<String>,
    /// Instruments without a stage (their administrations are left out).
    pub unmapped_instruments: BTreeSet<String>,
    /// Values without a data element (left out of their events).
    pub unmapped_values: BTreeSet<String>,
}

/// The flat tracker payload of a programme.
pub fn tracker_payload(
    source: &StudySource,
    mapping: &Mapping,
    key: &DeidKey,
) -> (Value, Dhis2Summary) {
    let mut summary = Dhis2Summary::default();
    let mut org_of: BTreeMap<Uuid, String> = BTreeMap::new();
    let mut tes = Vec::new();
    for r in &source.records {
        let RecordPayload::Client(c) = &r.payload else {
            continue;
        };
        let facility = source
            .facility_code(c.facility_id)
            .unwrap_or("")
            .to_string();
        let Some(org) = mapping.org_units.get(&facility) else {
            summary.unmapped_facilities.insert(facility);
            continue;
        };
        org_of.insert(r.id, org.clone());
        let mut attributes = Vec::new();
        let sex = serde_json::to_value(c.sex)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        for (name, value) in [
            (
                "sex",
                Some(mapping.sex_codes.get(&sex).cloned().unwrap_or(sex.clone())),
            ),
            ("birth_year", c.birth_year.map(|y| y.to_string())),
            ("registered_on", Some(c.registered_on.to_string())),
            ("pseudonym", Some(key.pseudonym("C", "client", r.id))),
        ] {
            if let (Some(attr), Some(value)) = (mapping.attributes.get(name), value) {
                attributes.push(json!({"attribute": attr, "value": value}));
            }
        }
        tes.push(json!({
            "trackedEntity": uid(key, "dhis2/te", r.id),
            "trackedEntityType": mapping.tracked_entity_type,
            "orgUnit": org,
            "attributes": attributes,
        }));
    }
    let mut enrollments = Vec::new();
    let mut enrollment_org: BTreeMap<Uuid, String> = BTreeMap::new();
    for r in &source.records {
        let RecordPayload::Episode(e) = &r.payload else {
            continue;
        };
        let Some(org) = org_of.get(&e.client_id) else {
            continue;
        };
        let status = match e.closure_reason {
            None => "ACTIVE",
            Some(ClosureReason::Completed) => "COMPLETED",
            Some(_) => "CANCELLED",
        };
        let mut en = json!({
            "enrollment": uid(key, "dhis2/enrollment", r.id),
            "trackedEntity": uid(key, "dhis2/te", e.client_id),
            "program": mapping.program,
            "orgUnit": org,
            "status": status,
            "enrolledAt": at(e.enrolled_on),
            "occurredAt": at(e.enrolled_on),
        });
        if let Some(closed) = e.closed_on {
            en["completedAt"] = json!(at(closed));
        }
        enrollment_org.insert(r.id, org.clone());
        enrollments.push(en);
    }
    let mut events = Vec::new();
    let mut event = |id: Uuid,
                     episode: Option<Uuid>,
                     stage: &StageMapping,
                     on,
                     values: Vec<(String, String)>,
                     summary: &mut Dhis2Summary| {
        let Some(episode) = episode else { return };
        let Some(org) = enrollment_org.get(&episode) else {
            return;
        };
        let data_values: Vec<Value> = values
            .into_iter()
            .filter_map(|(name, value)| match stage.data_elements.get(&name) {
                Some(de) => Some(json!({"dataElement": de, "value": value})),
                None => {
                    summary.unmapped_values.insert(name);
                    None
                }
            })
            .collect();
        events.push(json!({
            "event": uid(key, "dhis2/event", id),
            "enrollment": uid(key, "dhis2/enrollment", episode),
            "program": mapping.program,
            "programStage": stage.stage,
            "orgUnit": org,
            "status": "COMPLETED",
            "occurredAt": at(on),
            "dataValues": data_values,
        }));
    };
    for r in &source.records {
        match &r.payload {
            RecordPayload::Assessment(a) => {
                let Some(stage) = mapping.assessments.get(&a.instrument) else {
                    summary.unmapped_instruments.insert(a.instrument.clone());
                    continue;
                };
                let mut values: Vec<(String, String)> = a
                    .responses
                    .iter()
                    .filter_map(|(k, v)| v.map(|v| (k.clone(), format!("{v}"))))
                    .collect();
                // The occasion and session number travel only where the hub mapped a data element
                // for them (the import reads them back).
                for (name, value) in [
                    (
                        "occasion",
                        serde_json::to_value(a.occasion)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string)),
                    ),
                    ("session_number", a.session_number.map(|n| n.to_string())),
                ] {
                    if let (true, Some(v)) = (stage.data_elements.contains_key(name), value) {
                        values.push((name.to_string(), v));
                    }
                }
                if let Some(s) = &r.score {
                    if let Some(t) = s.total {
                        values.push(("total".into(), format!("{t}")));
                    }
                    if let Some(b) = &s.band {
                        values.push(("band".into(), b.clone()));
                    }
                }
                event(
                    r.id,
                    a.episode_id,
                    stage,
                    a.administered_on,
                    values,
                    &mut summary,
                );
            }
            RecordPayload::Session(s) => {
                let Some(stage) = &mapping.session else {
                    continue;
                };
                let modality = serde_json::to_value(s.modality)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                let mut values = vec![
                    ("number".to_string(), s.number.to_string()),
                    ("attended".to_string(), s.attended.to_string()),
                    ("modality".to_string(), modality),
                    ("components".to_string(), s.components.join(",")),
                ];
                if let Some(d) = s.duration_minutes {
                    values.push(("duration_minutes".into(), d.to_string()));
                }
                event(r.id, Some(s.episode_id), stage, s.on, values, &mut summary);
            }
            _ => {}
        }
    }
    summary.tracked_entities = tes.len();
    summary.enrollments = enrollments.len();
    summary.events = events.len();
    (
        json!({"trackedEntities": tes, "enrollments": enrollments, "events": events, "relationships": []}),
        summary,
    )
}
