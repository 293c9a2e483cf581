//! DHIS2 Tracker payloads (`/api/tracker` shape: `trackedEntities`, `enrollments`, `events`
//! with `dataValues`, flat or nested) read back into scaleup records through the same mapping
//! file the tracker export writes with ([`crate::dhis2::Mapping`]): tracked entities become
//! clients, enrollments episodes, events of an assessment stage assessments (data elements →
//! item responses; `total` and `band` are the server's to compute and are not read) and events
//! of the session stage sessions.
//!
//! Streaming: the top-level arrays are walked element by element (serde's `DeserializeSeed`),
//! so memory holds one element and, per tracked entity and enrollment, two short ids, never
//! the file. A flat payload lists tracked entities before enrollments before events, as DHIS2
//! and `scaleup export dhis2-tracker` write it; an element that refers to one not yet seen is
//! refused with its position.
//!
//! Record ids are UUIDv5 of the program and the DHIS2 uid, so a second import of the same
//! payload names the same records. A client is sent with its first enrollment, whose date is
//! its registration date unless the tracked entity carries one (the `registered_on` attribute
//! of the mapping, else `createdAtClient` or `createdAt`).

use super::{
    ImportError, ImportedRecord, Location, Targets, Unit, date_part, normalise_time, record_uuid,
};
use crate::dhis2::Mapping;
use scaleup_domain::date::Date;
use scaleup_domain::record::{ClosureReason, RecordKind, parse_payload};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::Read;
use uuid::Uuid;

/// A tracked entity waiting for its first enrollment.
struct Pending {
    at: Location,
    facility: Option<Uuid>,
    sex: String,
    birth_year: Option<i64>,
    created: Option<String>,
    sent: bool,
}

/// What the reader knows while it walks a payload.
pub struct TrackerReader<'a> {
    file: String,
    mapping: &'a Mapping,
    source: String,
    programme_id: Uuid,
    /// Org unit UID → facility id.
    facilities: BTreeMap<String, Uuid>,
    /// Attribute UID → field (`sex`, `birth_year`).
    attributes: BTreeMap<String, String>,
    sex_codes: BTreeMap<String, String>,
    today: Date,
    now: String,
    tracked: HashMap<String, Pending>,
    /// Enrollment uid → tracked entity uid.
    enrollments: HashMap<String, String>,
    /// Enrollments met before their tracked entity (DHIS2's own key order is free; serde_json
    /// writes `enrollments` before `trackedEntities`), kept in a compact form until the end of
    /// the first pass.
    waiting: Vec<(Location, Value)>,
}

impl<'a> TrackerReader<'a> {
    /// Prepares a reader for one programme; an org unit of the mapping whose facility code the
    /// hub does not have is an error here, before any element is read.
    pub fn new(
        file: &str,
        mapping: &'a Mapping,
        targets: &Targets,
        programme_code: &str,
        today: Date,
        now: &str,
    ) -> Result<TrackerReader<'a>, ImportError> {
        let at = Location::file(file);
        let programme_id = *targets.programmes.get(programme_code).ok_or_else(|| {
            at.error("--programme: no programme with this code that you may write to")
        })?;
        let mut facilities = BTreeMap::new();
        for (code, ou) in &mapping.org_units {
            let id = targets.facilities.get(code).ok_or_else(|| {
                at.error(format!(
                    "mapping: org_units.{code}: not a facility code of the hub"
                ))
            })?;
            facilities.insert(ou.clone(), *id);
        }
        Ok(TrackerReader {
            file: file.to_string(),
            mapping,
            source: format!("dhis2:{}", mapping.program),
            programme_id,
            facilities,
            attributes: mapping
                .attributes
                .iter()
                .map(|(k, v)| (v.clone(), k.clone()))
                .collect(),
            sex_codes: mapping
                .sex_codes
                .iter()
                .map(|(k, v)| (v.clone(), k.clone()))
                .collect(),
            today,
            now: now.to_string(),
            tracked: HashMap::new(),
            enrollments: HashMap::new(),
            waiting: Vec::new(),
        })
    }

    fn id(&self, what: &str, uid: &str) -> Uuid {
        record_uuid(&self.source, &format!("{what}/{uid}"))
    }

    /// Reads a whole payload in two passes over the same bytes (`open` is called twice): first
    /// tracked entities and enrollments (clients and episodes), then events, so an event never
    /// reaches the store before its client whatever order the file's keys are in. Each
    /// element's outcome goes to `sink` as it is read. Fails as a whole only when the JSON
    /// itself is broken (units already handed over stand).
    pub fn read<R: Read>(
        &mut self,
        mut open: impl FnMut() -> std::io::Result<R>,
        sink: &mut dyn FnMut(Unit),
    ) -> Result<(), ImportError> {
        let at = Location::file(&self.file);
        let first = open().map_err(|_| at.error("the file could not be read"))?;
        self.pass(first, Pass::Entities, sink)?;
        // Enrollments that came before their tracked entity.
        for (at, en) in std::mem::take(&mut self.waiting) {
            let unit = self.enrollment(&en, at);
            sink(unit);
        }
        // Tracked entities never enrolled: sent on their own if they say when they were made.
        let mut rest: Vec<String> = self
            .tracked
            .iter()
            .filter(|(_, p)| !p.sent)
            .map(|(k, _)| k.clone())
            .collect();
        rest.sort();
        for uid in rest {
            let unit = match self.client(&uid, None) {
                Ok(Some(r)) => Unit {
                    location: self.tracked[&uid].at.clone(),
                    outcome: Ok(vec![r]),
                },
                Ok(None) => continue,
                Err(e) => Unit {
                    location: e.location.clone(),
                    outcome: Err(vec![e]),
                },
            };
            sink(unit);
        }
        let second = open().map_err(|_| at.error("the file could not be read a second time"))?;
        self.pass(second, Pass::Events, sink)
    }

    fn pass<R: Read>(
        &mut self,
        input: R,
        pass: Pass,
        sink: &mut dyn FnMut(Unit),
    ) -> Result<(), ImportError> {
        let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::new(input));
        let result = Top {
            reader: self,
            sink,
            pass,
        }
        .deserialize(&mut de)
        .and_then(|()| de.end());
        result.map_err(|e| {
            Location::file(&self.file)
                .row(e.line() as u64)
                .error(match e.classify() {
                    serde_json::error::Category::Eof => {
                        "the JSON ends early (a truncated file)".to_string()
                    }
                    serde_json::error::Category::Io => {
                        "the file could not be read to the end".to_string()
                    }
                    _ => "not valid JSON in the tracker shape (the row is the line of the file)"
                        .to_string(),
                })
        })
    }

    fn check(&self, kind: RecordKind, data: &Value, at: &Location) -> Result<(), ImportError> {
        parse_payload(kind, data)
            .and_then(|p| p.check_dates(self.today))
            .map(|_| ())
            .map_err(|e| {
                at.error(format!(
                    "{} record: {}: {}",
                    kind.as_str(),
                    e.field,
                    e.message
                ))
            })
    }

    fn tracked_entity(&mut self, te: &Value, at: Location) -> Result<(), ImportError> {
        let uid = te["trackedEntity"]
            .as_str()
            .filter(|u| crate::dhis2::is_uid(u))
            .ok_or_else(|| at.column("trackedEntity").error("must be a DHIS2 UID"))?;
        let facility = te["orgUnit"]
            .as_str()
            .and_then(|o| self.facilities.get(o))
            .copied();
        let mut sex = "unknown".to_string();
        let mut birth_year = None;
        let mut registered = None;
        for a in te["attributes"].as_array().into_iter().flatten() {
            let (Some(attr), Some(value)) = (a["attribute"].as_str(), a["value"].as_str()) else {
                continue;
            };
            match self.attributes.get(attr).map(String::as_str) {
                Some("sex") => {
                    sex = self
                        .sex_codes
                        .get(value)
                        .cloned()
                        .unwrap_or_else(|| value.to_ascii_lowercase());
                }
                Some("registered_on") => {
                    registered = Some(date_part(value).map(str::to_string).ok_or_else(|| {
                        at.column("attributes")
                            .error("registered_on must be a date")
                    })?);
                }
                Some("birth_year") => {
                    birth_year = Some(value.trim().parse::<i64>().map_err(|_| {
                        at.column("attributes")
                            .error("birth_year must be a whole number")
                    })?);
                }
                _ => {}
            }
        }
        let created = registered.or_else(|| {
            ["createdAtClient", "createdAt"]
                .iter()
                .find_map(|k| te[*k].as_str().and_then(date_part).map(str::to_string))
        });
        if facility.is_none() {
            return Err(at
                .column("orgUnit")
                .error("an org unit the mapping does not list"));
        }
        self.tracked.insert(
            uid.to_string(),
            Pending {
                at,
                facility,
                sex,
                birth_year,
                created,
                sent: false,
            },
        );
        Ok(())
    }

    /// The client record of a tracked entity, once: `None` if already sent.
    fn client(
        &mut self,
        uid: &str,
        enrolled: Option<&str>,
    ) -> Result<Option<ImportedRecord>, ImportError> {
        let id = self.id("te", uid);
        let programme_id = self.programme_id;
        let Some(p) = self.tracked.get_mut(uid) else {
            return Err(Location::file(&self.file).error("internal: unknown tracked entity"));
        };
        if p.sent {
            return Ok(None);
        }
        let at = p.at.clone();
        let registered = p.created.clone().or(enrolled.map(str::to_string)).ok_or_else(|| {
            at.error("a tracked entity without an enrollment, a registered_on attribute or createdAt has no registration date")
        })?;
        let mut data = json!({
            "programme_id": programme_id.to_string(),
            "facility_id": p.facility.map(|f| f.to_string()),
            "registered_on": registered,
            "sex": p.sex,
        });
        if let Some(y) = p.birth_year {
            data["birth_year"] = json!(y);
        }
        p.sent = true;
        self.check(RecordKind::Client, &data, &at)?;
        Ok(Some(ImportedRecord {
            kind: RecordKind::Client,
            id,
            device_time: normalise_time(&registered).unwrap_or_else(|| self.now.clone()),
            data,
        }))
    }

    fn enrollment(&mut self, en: &Value, at: Location) -> Unit {
        let outcome = self.enrollment_records(en, &at).map_err(|e| vec![e]);
        Unit {
            location: at,
            outcome,
        }
    }

    fn enrollment_records(
        &mut self,
        en: &Value,
        at: &Location,
    ) -> Result<Vec<ImportedRecord>, ImportError> {
        let uid = en["enrollment"]
            .as_str()
            .filter(|u| crate::dhis2::is_uid(u))
            .ok_or_else(|| at.column("enrollment").error("must be a DHIS2 UID"))?;
        if en["program"].as_str() != Some(self.mapping.program.as_str()) {
            return Err(at.column("program").error("not the program of the mapping"));
        }
        let te = en["trackedEntity"]
            .as_str()
            .ok_or_else(|| at.column("trackedEntity").error("missing"))?;
        if !self.tracked.contains_key(te) {
            return Err(at
                .column("trackedEntity")
                .error("its tracked entity is not in the payload"));
        }
        let enrolled = en["enrolledAt"]
            .as_str()
            .and_then(date_part)
            .ok_or_else(|| at.column("enrolledAt").error("must be a date"))?
            .to_string();
        let mut out = Vec::new();
        if let Some(c) = self.client(te, Some(&enrolled))? {
            out.push(c);
        }
        let client_id = self.id("te", te);
        let mut data = json!({
            "client_id": client_id.to_string(),
            "programme_id": self.programme_id.to_string(),
            "enrolled_on": enrolled,
        });
        match en["status"].as_str().unwrap_or("ACTIVE") {
            "ACTIVE" => {}
            status @ ("COMPLETED" | "CANCELLED") => {
                let reason = if status == "COMPLETED" {
                    ClosureReason::Completed
                } else {
                    self.mapping.cancelled_as.ok_or_else(|| {
                        at.column("status").error(
                            "CANCELLED does not say why the course ended: set cancelled_as in the mapping",
                        )
                    })?
                };
                let closed = en["completedAt"]
                    .as_str()
                    .and_then(date_part)
                    .ok_or_else(|| {
                        at.column("completedAt")
                            .error("a closed enrollment needs a date")
                    })?;
                data["closed_on"] = json!(closed);
                data["closure_reason"] = serde_json::to_value(reason).unwrap_or(Value::Null);
            }
            _ => {
                return Err(at
                    .column("status")
                    .error("must be ACTIVE, COMPLETED or CANCELLED"));
            }
        }
        self.check(RecordKind::Episode, &data, at)?;
        let device_time = normalise_time(&enrolled).unwrap_or_else(|| self.now.clone());
        out.push(ImportedRecord {
            kind: RecordKind::Episode,
            id: self.id("enrollment", uid),
            device_time,
            data,
        });
        self.enrollments.insert(uid.to_string(), te.to_string());
        for ev in en["events"].as_array().into_iter().flatten() {
            let mut ev = ev.clone();
            if ev["enrollment"].is_null() {
                ev["enrollment"] = json!(uid);
            }
            match self.event_record(&ev, at) {
                Ok(r) => out.push(r),
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    fn event_record(&mut self, ev: &Value, at: &Location) -> Result<ImportedRecord, ImportError> {
        let uid = ev["event"]
            .as_str()
            .filter(|u| crate::dhis2::is_uid(u))
            .ok_or_else(|| at.column("event").error("must be a DHIS2 UID"))?;
        if matches!(
            ev["status"].as_str(),
            Some("SCHEDULE" | "SKIPPED" | "OVERDUE")
        ) {
            return Err(at.column("status").error(
                "a scheduled, skipped or overdue event carries no data and is not a record",
            ));
        }
        let enrollment = ev["enrollment"]
            .as_str()
            .ok_or_else(|| at.column("enrollment").error("missing"))?;
        let te = match self.enrollments.get(enrollment) {
            Some(t) => t.clone(),
            None => {
                return Err(at
                    .column("enrollment")
                    .error("its enrollment is not in the payload"));
            }
        };
        let on = ev["occurredAt"]
            .as_str()
            .and_then(date_part)
            .ok_or_else(|| at.column("occurredAt").error("must be a date"))?
            .to_string();
        let stage = ev["programStage"].as_str().unwrap_or("");
        let mut values: BTreeMap<String, String> = BTreeMap::new();
        let find_stage = |data_elements: &BTreeMap<String, String>,
                          values: &mut BTreeMap<String, String>| {
            let inverse: BTreeMap<&str, &str> = data_elements
                .iter()
                .map(|(k, v)| (v.as_str(), k.as_str()))
                .collect();
            for dv in ev["dataValues"].as_array().into_iter().flatten() {
                let (Some(de), Some(v)) = (
                    dv["dataElement"].as_str(),
                    dv["value"].as_str().map(str::to_string).or_else(|| {
                        dv["value"]
                            .as_f64()
                            .map(|n| n.to_string())
                            .or_else(|| dv["value"].as_bool().map(|b| b.to_string()))
                    }),
                ) else {
                    continue;
                };
                if let Some(name) = inverse.get(de) {
                    values.insert(name.to_string(), v);
                }
            }
        };
        let client_id = self.id("te", &te).to_string();
        let episode_id = self.id("enrollment", enrollment).to_string();
        let (kind, data) = if let Some(s) =
            self.mapping.session.as_ref().filter(|s| s.stage == stage)
        {
            find_stage(&s.data_elements, &mut values);
            let mut data = json!({
                "client_id": client_id,
                "episode_id": episode_id,
                "on": on,
            });
            for (name, v) in &values {
                let value = match name.as_str() {
                    "number" | "duration_minutes" => json!(v.parse::<i64>().map_err(|_| {
                        at.column("dataValues")
                            .error(format!("{name} must be a whole number"))
                    })?),
                    "attended" => json!(matches!(v.as_str(), "true" | "1" | "yes")),
                    "modality" => json!(v),
                    "components" => json!(
                        v.split(',')
                            .map(str::trim)
                            .filter(|c| !c.is_empty())
                            .collect::<Vec<_>>()
                    ),
                    _ => continue,
                };
                data[name] = value;
            }
            (RecordKind::Session, data)
        } else if let Some((code, s)) = self
            .mapping
            .assessments
            .iter()
            .find(|(_, s)| s.stage == stage)
        {
            find_stage(&s.data_elements, &mut values);
            let occasion = match values.get("occasion") {
                Some(o) => json!(o),
                None => match s.occasion {
                    Some(o) => serde_json::to_value(o).unwrap_or(Value::Null),
                    None => {
                        return Err(at.column("dataValues").error(format!(
                            "the occasion is not carried: map a data element `occasion` or set assessments.{code}.occasion"
                        )));
                    }
                },
            };
            let mut responses = serde_json::Map::new();
            for (name, v) in &values {
                if matches!(
                    name.as_str(),
                    "total" | "band" | "occasion" | "session_number"
                ) {
                    continue;
                }
                let n = v
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite())
                    .ok_or_else(|| {
                        at.column("dataValues")
                            .error(format!("the value of item {name} must be a number"))
                    })?;
                responses.insert(name.clone(), json!(n));
            }
            let mut data = json!({
                "client_id": client_id,
                "episode_id": episode_id,
                "instrument": code,
                "occasion": occasion,
                "administered_on": on,
                "responses": responses,
            });
            if let Some(n) = values.get("session_number") {
                data["session_number"] = json!(n.parse::<i64>().map_err(|_| {
                    at.column("dataValues")
                        .error("session_number must be a whole number")
                })?);
            }
            (RecordKind::Assessment, data)
        } else {
            return Err(at
                .column("programStage")
                .error("a program stage the mapping does not list"));
        };
        self.check(kind, &data, at)?;
        Ok(ImportedRecord {
            kind,
            id: self.id("event", uid),
            device_time: normalise_time(&on).unwrap_or_else(|| self.now.clone()),
            data,
        })
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    Entities,
    Events,
}

struct Top<'r, 'a, 's> {
    reader: &'r mut TrackerReader<'a>,
    sink: &'s mut dyn FnMut(Unit),
    pass: Pass,
}

impl<'de> DeserializeSeed<'de> for Top<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Top<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a tracker payload object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "trackedEntities" | "enrollments" if self.pass == Pass::Entities => map
                    .next_value_seed(Elements {
                        reader: &mut *self.reader,
                        sink: &mut *self.sink,
                        which: if key == "trackedEntities" { 0 } else { 1 },
                    })?,
                "events" if self.pass == Pass::Events => map.next_value_seed(Elements {
                    reader: &mut *self.reader,
                    sink: &mut *self.sink,
                    which: 2,
                })?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct Elements<'r, 'a, 's> {
    reader: &'r mut TrackerReader<'a>,
    sink: &'s mut dyn FnMut(Unit),
    which: u8,
}

impl<'de> DeserializeSeed<'de> for Elements<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Elements<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an array of tracker objects")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let sheet = ["trackedEntities", "enrollments", "events"][self.which as usize];
        let mut i = 0u64;
        while let Some(v) = seq.next_element::<Value>()? {
            i += 1;
            let at = Location::file(&self.reader.file).sheet(sheet).row(i);
            let unit = match self.which {
                0 => {
                    // A nested payload's enrollments and events come inside the entity.
                    let nested = v["enrollments"].as_array().is_some_and(|e| !e.is_empty());
                    match self.reader.tracked_entity(&v, at.clone()) {
                        Err(e) => Unit {
                            location: at,
                            outcome: Err(vec![e]),
                        },
                        Ok(()) if nested => {
                            let uid = v["trackedEntity"].as_str().unwrap_or("").to_string();
                            let mut records = Vec::new();
                            let mut errors = Vec::new();
                            for en in v["enrollments"].as_array().into_iter().flatten() {
                                let mut en = en.clone();
                                if en["trackedEntity"].is_null() {
                                    en["trackedEntity"] = json!(uid);
                                }
                                match self.reader.enrollment(&en, at.clone()).outcome {
                                    Ok(r) => records.extend(r),
                                    Err(e) => errors.extend(e),
                                }
                            }
                            Unit {
                                location: at,
                                outcome: if errors.is_empty() {
                                    Ok(records)
                                } else {
                                    Err(errors)
                                },
                            }
                        }
                        Ok(()) => continue,
                    }
                }
                1 => {
                    let te = v["trackedEntity"].as_str().unwrap_or("");
                    if !te.is_empty() && !self.reader.tracked.contains_key(te) {
                        // Its tracked entity may come later in the file: keep what is needed.
                        let mut keep = serde_json::Map::new();
                        for k in [
                            "enrollment",
                            "program",
                            "trackedEntity",
                            "enrolledAt",
                            "status",
                            "completedAt",
                        ] {
                            if let Some(x) = v.get(k) {
                                keep.insert(k.to_string(), x.clone());
                            }
                        }
                        self.reader.waiting.push((at, Value::Object(keep)));
                        continue;
                    }
                    self.reader.enrollment(&v, at)
                }
                _ => {
                    let outcome = self
                        .reader
                        .event_record(&v, &at)
                        .map(|r| vec![r])
                        .map_err(|e| vec![e]);
                    Unit {
                        location: at,
                        outcome,
                    }
                }
            };
            (self.sink)(unit);
        }
        Ok(())
    }
}
