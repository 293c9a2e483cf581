//! Care records: what a counsellor's or supervisor's device creates and edits, offline, and syncs.
//!
//! Every record has a client-generated UUID and a kind. Its body (`data`) is parsed into a typed
//! payload here, so storage only ever holds bodies that passed these rules; the canonical JSON of
//! the typed payload is what is stored, hashed for idempotent replay, and sent back on pull.
//!
//! Identifying details (name, phone, address, exact birth date) are a kind of their own
//! ([`ClientIdentity`]) so that storage can encrypt them and every other kind stays pseudonymous.

use crate::date::Date;
use crate::error::FieldError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The kinds of record a device may sync.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Client,
    ClientIdentity,
    Consent,
    Assessment,
    Eligibility,
    Episode,
    Session,
    Referral,
    SupervisionSession,
    CompetencyAssessment,
    TrainingRecord,
}

impl RecordKind {
    pub const ALL: [RecordKind; 11] = [
        RecordKind::Client,
        RecordKind::ClientIdentity,
        RecordKind::Consent,
        RecordKind::Assessment,
        RecordKind::Eligibility,
        RecordKind::Episode,
        RecordKind::Session,
        RecordKind::Referral,
        RecordKind::SupervisionSession,
        RecordKind::CompetencyAssessment,
        RecordKind::TrainingRecord,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Client => "client",
            RecordKind::ClientIdentity => "client_identity",
            RecordKind::Consent => "consent",
            RecordKind::Assessment => "assessment",
            RecordKind::Eligibility => "eligibility",
            RecordKind::Episode => "episode",
            RecordKind::Session => "session",
            RecordKind::Referral => "referral",
            RecordKind::SupervisionSession => "supervision_session",
            RecordKind::CompetencyAssessment => "competency_assessment",
            RecordKind::TrainingRecord => "training_record",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Whether records of this kind belong to one client (and so to that client's caseload).
    pub fn is_client_level(self) -> bool {
        !matches!(
            self,
            RecordKind::SupervisionSession
                | RecordKind::CompetencyAssessment
                | RecordKind::TrainingRecord
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Female,
    Male,
    Other,
    Unknown,
}

/// A client: pseudonymous by construction. Only the birth year is kept here; the exact birth
/// date lives in [`ClientIdentity`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Client {
    pub programme_id: Uuid,
    pub facility_id: Uuid,
    pub registered_on: Date,
    pub sex: Sex,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1900, max = 2100))]
    pub birth_year: Option<i32>,
    /// The counsellor whose caseload holds the client; defaults to the registering counsellor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counsellor_id: Option<Uuid>,
}

/// Identifying details: encrypted at rest, readable only by roles with `ReadIdentity`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientIdentity {
    pub client_id: Uuid,
    #[schemars(length(min = 1))]
    pub given_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^[0-9 +()-]{0,32}$"))]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<Date>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsentScope {
    Treatment,
    Research,
    DataSharing,
    FollowUpContact,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    pub client_id: Uuid,
    pub scope: ConsentScope,
    pub given: bool,
    pub on: Date,
}

/// When in the pathway an instrument was administered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Occasion {
    Screening,
    Baseline,
    Session,
    Endpoint,
    FollowUp,
}

/// One administration of an instrument. Scores are computed by the server from the responses
/// with the instrument definition, never trusted from the device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Assessment {
    pub client_id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub episode_id: Option<Uuid>,
    /// Instrument code from the catalogue, e.g. `phq9`.
    #[schemars(pattern(r"^[a-z0-9_.-]{1,64}$"))]
    pub instrument: String,
    /// The version of the instrument definition the device's form used (its outbox keeps it).
    /// The server scores with exactly this version, so a record made offline before a hub
    /// replaced a definition is scored as it was filled in; absent means the newest version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^[A-Za-z0-9_.-]{1,32}$"))]
    pub instrument_version: Option<String>,
    pub occasion: Occasion,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_number: Option<u32>,
    pub administered_on: Date,
    /// Item id → response code; `null` for an item left unanswered.
    #[schemars(extend("minProperties" = 1))]
    pub responses: BTreeMap<String, Option<f64>>,
}

/// Reasons a client declined treatment, as codes (RE-AIM reach reports the reasons).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeclineReason {
    NoTime,
    Distance,
    Cost,
    FamilyObjection,
    Stigma,
    NotNeeded,
    PrefersOtherCare,
    Other,
}

/// The decision after screening: eligible or not, offered, accepted or declined with a reason.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Eligibility {
    pub client_id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment_id: Option<Uuid>,
    pub decided_on: Date,
    pub eligible: bool,
    pub offered: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decline_reason: Option<DeclineReason>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClosureReason {
    Completed,
    DroppedOut,
    Referred,
    Transferred,
    Died,
}

/// A course of treatment under a programme, from enrolment to closure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Episode {
    pub client_id: Uuid,
    pub programme_id: Uuid,
    pub enrolled_on: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^[a-z0-9_.-]{1,64}$"))]
    pub arm: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_on: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closure_reason: Option<ClosureReason>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Modality {
    Individual,
    Group,
    Remote,
}

/// One treatment session, attended or missed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Session {
    pub client_id: Uuid,
    pub episode_id: Uuid,
    #[schemars(range(min = 1, max = 100))]
    pub number: u32,
    pub on: Date,
    pub attended: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 600))]
    pub duration_minutes: Option<u32>,
    pub modality: Modality,
    /// Protocol component codes delivered in this session (fidelity checklist).
    #[serde(default)]
    #[schemars(inner(pattern(r"^[a-z0-9_.-]{1,64}$")))]
    pub components: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    Routine,
    Urgent,
    Emergency,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReferralStatus {
    Made,
    Attended,
    NotAttended,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Referral {
    pub client_id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub episode_id: Option<Uuid>,
    pub on: Date,
    /// Service code, e.g. `primary_care_doctor`, `psychiatry`, `social_services`.
    #[schemars(pattern(r"^[a-z0-9_.-]{1,64}$"))]
    pub to_service: String,
    /// Reason code, e.g. `suicide_risk`, `no_improvement`, `psychosis`, `medical`.
    #[schemars(pattern(r"^[a-z0-9_.-]{1,64}$"))]
    pub reason: String,
    pub urgency: Urgency,
    pub status: ReferralStatus,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SupervisionFormat {
    Individual,
    Group,
    Remote,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SupervisionSession {
    pub supervisor_id: Uuid,
    pub on: Date,
    #[schemars(range(min = 1, max = 600))]
    pub duration_minutes: u32,
    pub format: SupervisionFormat,
    #[schemars(length(min = 1))]
    pub counsellor_ids: Vec<Uuid>,
    /// Clients whose cases were reviewed.
    #[serde(default)]
    pub cases_reviewed: Vec<Uuid>,
    /// What was discussed. Free text about counsellors and clients: storage seals it at rest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = MAX_SUPERVISION_NOTES))]
    pub notes: Option<String>,
    /// What the counsellors and the supervisor agreed to do next, one item each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = MAX_ACTION_POINTS), inner(length(min = 1, max = MAX_ACTION_POINT_CHARS)))]
    pub action_points: Vec<String>,
}

/// Longest supervision note, in characters.
pub const MAX_SUPERVISION_NOTES: usize = 4000;
/// Most action points per supervision session, and the longest one, in characters.
pub const MAX_ACTION_POINTS: usize = 20;
pub const MAX_ACTION_POINT_CHARS: usize = 500;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CompetencyMethod {
    RolePlay,
    ObservedSession,
    RecordedSession,
}

/// An ENACT/EQUIP rating: one level (1–4) per competency. Any level 1 (harmful behaviour
/// observed) is a supervision safety flag (implementation-science.md §4.2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CompetencyAssessment {
    pub counsellor_id: Uuid,
    pub assessor_id: Uuid,
    pub on: Date,
    /// Competency framework code, e.g. `enact_equip`.
    #[schemars(pattern(r"^[a-z0-9_.-]{1,64}$"))]
    pub tool: String,
    pub method: CompetencyMethod,
    /// Competency number (as text, "1".."15") → level 1..4.
    #[schemars(extend("minProperties" = 1, "additionalProperties" = {"type": "integer", "minimum": 1, "maximum": 4}))]
    pub levels: BTreeMap<String, u8>,
}

impl CompetencyAssessment {
    /// The EQUIP safety rule: any competency rated level 1.
    pub fn safety_flag(&self) -> bool {
        self.levels.values().any(|&l| l == 1)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrainingRecord {
    pub person_id: Uuid,
    /// Course code, e.g. `hap_foundation`, `pm_plus`, `equip_foundational_helping_skills`.
    #[schemars(pattern(r"^[a-z0-9_.-]{1,64}$"))]
    pub course: String,
    pub started_on: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_on: Option<Date>,
    #[schemars(range(min = 0, max = 2000))]
    pub hours: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passed: Option<bool>,
}

/// The JSON Schema (draft 2020-12, every subschema inlined, no `$ref`) of the `data` of a
/// record of `kind`, derived from the type [`parse_payload`] parses it into: required fields,
/// types, enums and formats come from the type and its serde attributes, ranges, patterns and
/// lengths from the rules [`RecordPayload`] checks. Rules across fields (a decline reason only
/// when an offer was declined) and rules that need the catalogue (an instrument's items) are not
/// in the schema: a body the schema accepts may still be rejected, never the reverse.
pub fn data_schema(kind: RecordKind) -> serde_json::Value {
    fn of<T: JsonSchema>() -> serde_json::Value {
        let mut settings = schemars::generate::SchemaSettings::draft2020_12();
        settings.inline_subschemas = true;
        let schema = settings.into_generator().into_root_schema_for::<T>();
        let mut value = schema.to_value();
        if let Some(map) = value.as_object_mut() {
            map.remove("$schema");
        }
        value
    }
    match kind {
        RecordKind::Client => of::<Client>(),
        RecordKind::ClientIdentity => of::<ClientIdentity>(),
        RecordKind::Consent => of::<Consent>(),
        RecordKind::Assessment => of::<Assessment>(),
        RecordKind::Eligibility => of::<Eligibility>(),
        RecordKind::Episode => of::<Episode>(),
        RecordKind::Session => of::<Session>(),
        RecordKind::Referral => of::<Referral>(),
        RecordKind::SupervisionSession => of::<SupervisionSession>(),
        RecordKind::CompetencyAssessment => of::<CompetencyAssessment>(),
        RecordKind::TrainingRecord => of::<TrainingRecord>(),
    }
}

/// A parsed, validated record body.
#[derive(Clone, Debug, PartialEq)]
pub enum RecordPayload {
    Client(Client),
    ClientIdentity(ClientIdentity),
    Consent(Consent),
    Assessment(Assessment),
    Eligibility(Eligibility),
    Episode(Episode),
    Session(Session),
    Referral(Referral),
    SupervisionSession(SupervisionSession),
    CompetencyAssessment(CompetencyAssessment),
    TrainingRecord(TrainingRecord),
}

/// Parses a record body of the given kind, then checks the rules serde cannot express.
/// Errors carry the field path (`data.` prefix included) and never the value.
pub fn parse_payload(
    kind: RecordKind,
    data: &serde_json::Value,
) -> Result<RecordPayload, FieldError> {
    fn typed<T: serde::de::DeserializeOwned>(data: &serde_json::Value) -> Result<T, FieldError> {
        serde_path_to_error::deserialize(data).map_err(|err| {
            let path = err.path().to_string();
            let inner = err.inner().to_string();
            // serde's own text may quote the rejected value; keep only messages about field names.
            let message =
                if inner.starts_with("missing field") || inner.starts_with("unknown field") {
                    inner.split(" at line").next().unwrap_or(&inner).to_string()
                } else if inner.starts_with("must be") {
                    // Our own messages (e.g. from `Date`), which never include the value.
                    inner.split(" at line").next().unwrap_or(&inner).to_string()
                } else if let Some(allowed) = crate::error::allowed_in_serde_message(&inner) {
                    // "unknown variant `x`, expected one of `a`, `b`": the allowed set, never x.
                    crate::error::one_of(&allowed)
                } else {
                    // serde's messages quote the offending value ("invalid type: string \"x\"").
                    "has the wrong type or an invalid value".to_string()
                };
            let field = if path == "." {
                "data".to_string()
            } else {
                format!("data.{path}")
            };
            FieldError::new(field, message)
        })
    }
    let payload = match kind {
        RecordKind::Client => RecordPayload::Client(typed(data)?),
        RecordKind::ClientIdentity => RecordPayload::ClientIdentity(typed(data)?),
        RecordKind::Consent => RecordPayload::Consent(typed(data)?),
        RecordKind::Assessment => RecordPayload::Assessment(typed(data)?),
        RecordKind::Eligibility => RecordPayload::Eligibility(typed(data)?),
        RecordKind::Episode => RecordPayload::Episode(typed(data)?),
        RecordKind::Session => RecordPayload::Session(typed(data)?),
        RecordKind::Referral => RecordPayload::Referral(typed(data)?),
        RecordKind::SupervisionSession => RecordPayload::SupervisionSession(typed(data)?),
        RecordKind::CompetencyAssessment => RecordPayload::CompetencyAssessment(typed(data)?),
        RecordKind::TrainingRecord => RecordPayload::TrainingRecord(typed(data)?),
    };
    payload.check()?;
    Ok(payload)
}

fn non_empty(text: &str, field: &str) -> Result<(), FieldError> {
    if text.trim().is_empty() {
        Err(FieldError::new(field, "must not be empty"))
    } else {
        Ok(())
    }
}

fn code(text: &str, field: &str) -> Result<(), FieldError> {
    let ok = !text.is_empty()
        && text.len() <= 64
        && text.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-' || c == '.'
        });
    if ok {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            "must be a code of 1-64 characters a-z, 0-9, _ - .",
        ))
    }
}

/// Definition versions are free text in definition files ("1", "2026-03", "1.1-goa"); in a record
/// they are held to the characters such versions use, so a body cannot smuggle anything else.
fn version(text: &str, field: &str) -> Result<(), FieldError> {
    let ok = !text.is_empty()
        && text.len() <= 32
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
    if ok {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            "must be a version of 1-32 characters A-Z, a-z, 0-9, _ - .",
        ))
    }
}

/// How far ahead of the server's date a record's date may be. A device in UTC+14 is already on
/// the next calendar day while the server (UTC) is not, so "today plus one" is still today
/// somewhere; anything later cannot have happened yet.
pub const MAX_DAYS_AHEAD: i64 = 1;

impl RecordPayload {
    pub fn kind(&self) -> RecordKind {
        match self {
            RecordPayload::Client(_) => RecordKind::Client,
            RecordPayload::ClientIdentity(_) => RecordKind::ClientIdentity,
            RecordPayload::Consent(_) => RecordKind::Consent,
            RecordPayload::Assessment(_) => RecordKind::Assessment,
            RecordPayload::Eligibility(_) => RecordKind::Eligibility,
            RecordPayload::Episode(_) => RecordKind::Episode,
            RecordPayload::Session(_) => RecordKind::Session,
            RecordPayload::Referral(_) => RecordKind::Referral,
            RecordPayload::SupervisionSession(_) => RecordKind::SupervisionSession,
            RecordPayload::CompetencyAssessment(_) => RecordKind::CompetencyAssessment,
            RecordPayload::TrainingRecord(_) => RecordKind::TrainingRecord,
        }
    }

    /// Rules beyond types: ranges, cross-field consistency.
    fn check(&self) -> Result<(), FieldError> {
        match self {
            RecordPayload::Client(c) => {
                if let Some(y) = c.birth_year {
                    if !(1900..=2100).contains(&y) {
                        return Err(FieldError::new(
                            "data.birth_year",
                            "must be between 1900 and 2100",
                        ));
                    }
                    if y > c.registered_on.year() {
                        return Err(FieldError::new(
                            "data.birth_year",
                            "must not be after the registration year",
                        ));
                    }
                }
            }
            RecordPayload::ClientIdentity(i) => {
                non_empty(&i.given_name, "data.given_name")?;
                if let Some(p) = &i.phone {
                    let ok = p.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c))
                        && p.len() <= 32;
                    if !ok {
                        return Err(FieldError::new(
                            "data.phone",
                            "must contain only digits, spaces and + - ( )",
                        ));
                    }
                }
            }
            RecordPayload::Consent(_) => {}
            RecordPayload::Assessment(a) => {
                code(&a.instrument, "data.instrument")?;
                if let Some(v) = &a.instrument_version {
                    version(v, "data.instrument_version")?;
                }
                if a.responses.is_empty() {
                    return Err(FieldError::new(
                        "data.responses",
                        "must contain at least one item",
                    ));
                }
                for (item, value) in &a.responses {
                    if let Some(v) = value
                        && !v.is_finite()
                    {
                        return Err(FieldError::new(
                            format!("data.responses.{item}"),
                            "must be a finite number",
                        ));
                    }
                }
                if a.occasion == Occasion::Session && a.session_number.is_none() {
                    return Err(FieldError::new(
                        "data.session_number",
                        "is required when occasion is session",
                    ));
                }
            }
            RecordPayload::Eligibility(e) => {
                if e.offered && !e.eligible {
                    return Err(FieldError::new(
                        "data.offered",
                        "treatment can only be offered to an eligible client",
                    ));
                }
                if !e.offered && e.accepted.is_some() {
                    return Err(FieldError::new(
                        "data.accepted",
                        "must be absent when treatment was not offered",
                    ));
                }
                if e.accepted == Some(false) && e.decline_reason.is_none() {
                    return Err(FieldError::new(
                        "data.decline_reason",
                        "is required when the offer was declined",
                    ));
                }
                if e.accepted != Some(false) && e.decline_reason.is_some() {
                    return Err(FieldError::new(
                        "data.decline_reason",
                        "is only allowed when the offer was declined",
                    ));
                }
            }
            RecordPayload::Episode(e) => {
                if let Some(a) = &e.arm {
                    code(a, "data.arm")?;
                }
                match (e.closed_on, e.closure_reason) {
                    (Some(closed), Some(_)) => {
                        if closed < e.enrolled_on {
                            return Err(FieldError::new(
                                "data.closed_on",
                                "must not be before enrolled_on",
                            ));
                        }
                    }
                    (None, None) => {}
                    (Some(_), None) => {
                        return Err(FieldError::new(
                            "data.closure_reason",
                            "is required when closed_on is set",
                        ));
                    }
                    (None, Some(_)) => {
                        return Err(FieldError::new(
                            "data.closed_on",
                            "is required when closure_reason is set",
                        ));
                    }
                }
            }
            RecordPayload::Session(s) => {
                if s.number == 0 || s.number > 100 {
                    return Err(FieldError::new("data.number", "must be between 1 and 100"));
                }
                if let Some(d) = s.duration_minutes
                    && (d == 0 || d > 600)
                {
                    return Err(FieldError::new(
                        "data.duration_minutes",
                        "must be between 1 and 600",
                    ));
                }
                if !s.attended && !s.components.is_empty() {
                    return Err(FieldError::new(
                        "data.components",
                        "must be empty for a missed session",
                    ));
                }
                for (i, c) in s.components.iter().enumerate() {
                    code(c, &format!("data.components.{i}"))?;
                }
            }
            RecordPayload::Referral(r) => {
                code(&r.to_service, "data.to_service")?;
                code(&r.reason, "data.reason")?;
            }
            RecordPayload::SupervisionSession(s) => {
                if s.duration_minutes == 0 || s.duration_minutes > 600 {
                    return Err(FieldError::new(
                        "data.duration_minutes",
                        "must be between 1 and 600",
                    ));
                }
                if s.counsellor_ids.is_empty() {
                    return Err(FieldError::new(
                        "data.counsellor_ids",
                        "must name at least one counsellor",
                    ));
                }
                if s.notes
                    .as_ref()
                    .is_some_and(|n| n.chars().count() > MAX_SUPERVISION_NOTES)
                {
                    return Err(FieldError::new(
                        "data.notes",
                        format!("must be at most {MAX_SUPERVISION_NOTES} characters"),
                    ));
                }
                if s.action_points.len() > MAX_ACTION_POINTS {
                    return Err(FieldError::new(
                        "data.action_points",
                        format!("must have at most {MAX_ACTION_POINTS} items"),
                    ));
                }
                for (i, a) in s.action_points.iter().enumerate() {
                    let n = a.trim().chars().count();
                    if n == 0 || n > MAX_ACTION_POINT_CHARS {
                        return Err(FieldError::new(
                            format!("data.action_points.{i}"),
                            format!("must be 1 to {MAX_ACTION_POINT_CHARS} characters"),
                        ));
                    }
                }
            }
            RecordPayload::CompetencyAssessment(c) => {
                code(&c.tool, "data.tool")?;
                if c.levels.is_empty() {
                    return Err(FieldError::new(
                        "data.levels",
                        "must rate at least one competency",
                    ));
                }
                for (k, &level) in &c.levels {
                    if !(1..=4).contains(&level) {
                        return Err(FieldError::new(
                            format!("data.levels.{k}"),
                            "must be a level from 1 to 4",
                        ));
                    }
                }
            }
            RecordPayload::TrainingRecord(t) => {
                code(&t.course, "data.course")?;
                if !(t.hours.is_finite() && t.hours >= 0.0 && t.hours <= 2000.0) {
                    return Err(FieldError::new("data.hours", "must be between 0 and 2000"));
                }
                if let Some(done) = t.completed_on
                    && done < t.started_on
                {
                    return Err(FieldError::new(
                        "data.completed_on",
                        "must not be before started_on",
                    ));
                }
            }
        }
        Ok(())
    }

    /// The client a client-level record belongs to (for a client record, the record's own id).
    pub fn client_id(&self, record_id: Uuid) -> Option<Uuid> {
        match self {
            RecordPayload::Client(_) => Some(record_id),
            RecordPayload::ClientIdentity(x) => Some(x.client_id),
            RecordPayload::Consent(x) => Some(x.client_id),
            RecordPayload::Assessment(x) => Some(x.client_id),
            RecordPayload::Eligibility(x) => Some(x.client_id),
            RecordPayload::Episode(x) => Some(x.client_id),
            RecordPayload::Session(x) => Some(x.client_id),
            RecordPayload::Referral(x) => Some(x.client_id),
            RecordPayload::SupervisionSession(_)
            | RecordPayload::CompetencyAssessment(_)
            | RecordPayload::TrainingRecord(_) => None,
        }
    }

    pub fn episode_id(&self, record_id: Uuid) -> Option<Uuid> {
        match self {
            RecordPayload::Episode(_) => Some(record_id),
            RecordPayload::Assessment(x) => x.episode_id,
            RecordPayload::Session(x) => Some(x.episode_id),
            RecordPayload::Referral(x) => x.episode_id,
            _ => None,
        }
    }

    /// The date the record is about: used for period filters and indicators.
    pub fn occurred_on(&self) -> Option<Date> {
        Some(match self {
            RecordPayload::Client(x) => x.registered_on,
            RecordPayload::ClientIdentity(_) => return None,
            RecordPayload::Consent(x) => x.on,
            RecordPayload::Assessment(x) => x.administered_on,
            RecordPayload::Eligibility(x) => x.decided_on,
            RecordPayload::Episode(x) => x.enrolled_on,
            RecordPayload::Session(x) => x.on,
            RecordPayload::Referral(x) => x.on,
            RecordPayload::SupervisionSession(x) => x.on,
            RecordPayload::CompetencyAssessment(x) => x.on,
            RecordPayload::TrainingRecord(x) => x.started_on,
        })
    }

    /// Every calendar date in the body with its field path, in field order.
    pub fn dates(&self) -> Vec<(&'static str, Date)> {
        let mut out = Vec::new();
        let mut put = |field: &'static str, date: Option<Date>| {
            if let Some(d) = date {
                out.push((field, d));
            }
        };
        match self {
            RecordPayload::Client(x) => put("data.registered_on", Some(x.registered_on)),
            RecordPayload::ClientIdentity(x) => put("data.birth_date", x.birth_date),
            RecordPayload::Consent(x) => put("data.on", Some(x.on)),
            RecordPayload::Assessment(x) => put("data.administered_on", Some(x.administered_on)),
            RecordPayload::Eligibility(x) => put("data.decided_on", Some(x.decided_on)),
            RecordPayload::Episode(x) => {
                put("data.enrolled_on", Some(x.enrolled_on));
                put("data.closed_on", x.closed_on);
            }
            RecordPayload::Session(x) => put("data.on", Some(x.on)),
            RecordPayload::Referral(x) => put("data.on", Some(x.on)),
            RecordPayload::SupervisionSession(x) => put("data.on", Some(x.on)),
            RecordPayload::CompetencyAssessment(x) => put("data.on", Some(x.on)),
            RecordPayload::TrainingRecord(x) => {
                put("data.started_on", Some(x.started_on));
                put("data.completed_on", x.completed_on);
            }
        }
        out
    }

    /// Rejects a body that records something as done after `today` (the server's date, UTC)
    /// plus [`MAX_DAYS_AHEAD`]: a wrong device clock or a typo in the year, either of which
    /// would put the record in the wrong period of every report and make a schedule nonsense.
    /// `today` is an argument so that this crate never reads a clock.
    pub fn check_dates(&self, today: Date) -> Result<(), FieldError> {
        // At the calendar's last day nothing can be later.
        let Some(latest) = today.checked_add_days(MAX_DAYS_AHEAD) else {
            return Ok(());
        };
        match self.dates().into_iter().find(|(_, d)| *d > latest) {
            Some((field, _)) => Err(FieldError::new(field, "must not be in the future")),
            None => Ok(()),
        }
    }

    /// Canonical JSON of the body: field order fixed by the type, absent options omitted.
    pub fn to_json(&self) -> serde_json::Value {
        let value = match self {
            RecordPayload::Client(x) => serde_json::to_value(x),
            RecordPayload::ClientIdentity(x) => serde_json::to_value(x),
            RecordPayload::Consent(x) => serde_json::to_value(x),
            RecordPayload::Assessment(x) => serde_json::to_value(x),
            RecordPayload::Eligibility(x) => serde_json::to_value(x),
            RecordPayload::Episode(x) => serde_json::to_value(x),
            RecordPayload::Session(x) => serde_json::to_value(x),
            RecordPayload::Referral(x) => serde_json::to_value(x),
            RecordPayload::SupervisionSession(x) => serde_json::to_value(x),
            RecordPayload::CompetencyAssessment(x) => serde_json::to_value(x),
            RecordPayload::TrainingRecord(x) => serde_json::to_value(x),
        };
        value.expect("plain data types always serialise")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(kind: RecordKind, data: serde_json::Value) -> FieldError {
        parse_payload(kind, &data).unwrap_err()
    }

    #[test]
    fn errors_name_the_field_and_hide_the_value() {
        let c = "6f1c1f3e-8d7b-4c8e-9a55-000000000001";
        let e = err(
            RecordKind::Session,
            json!({"client_id": c, "episode_id": c, "number": 0, "on": "2025-01-02", "attended": true, "modality": "individual"}),
        );
        assert_eq!(e.field, "data.number");
        let e = err(
            RecordKind::Session,
            json!({"client_id": c, "episode_id": c, "number": 1, "on": "2025-13-02", "attended": true, "modality": "individual"}),
        );
        assert_eq!(e.field, "data.on");
        assert!(!e.message.contains("2025-13-02"));
        let e = err(
            RecordKind::Assessment,
            json!({"client_id": c, "instrument": "phq9", "occasion": "baseline", "administered_on": "2025-01-02", "responses": {"9": "often"}}),
        );
        assert_eq!(e.field, "data.responses.9");
        assert!(!e.message.contains("often"));
        let e = err(
            RecordKind::Eligibility,
            json!({"client_id": c, "decided_on": "2025-01-02", "eligible": true, "offered": true, "accepted": false}),
        );
        assert_eq!(e.field, "data.decline_reason");
        let e = err(
            RecordKind::Client,
            json!({"programme_id": c, "facility_id": c, "registered_on": "2025-01-02", "sex": "female", "nickname": "x"}),
        );
        assert_eq!(e.field, "data.nickname");
        assert!(e.message.contains("unknown field"));
    }

    #[test]
    fn a_value_outside_an_enum_is_answered_with_the_allowed_values() {
        let c = "6f1c1f3e-8d7b-4c8e-9a55-000000000001";
        let e = err(
            RecordKind::Assessment,
            json!({"client_id": c, "instrument": "phq9", "occasion": "weekly", "administered_on": "2025-01-02", "responses": {"1": 1}}),
        );
        assert_eq!(e.field, "data.occasion");
        assert_eq!(
            e.message,
            "must be one of: screening, baseline, session, endpoint, follow_up"
        );
        assert!(!e.message.contains("weekly"));
        let e = err(
            RecordKind::Client,
            json!({"programme_id": c, "facility_id": c, "registered_on": "2025-01-02", "sex": "f"}),
        );
        assert_eq!(
            (e.field.as_str(), e.message.as_str()),
            ("data.sex", "must be one of: female, male, other, unknown")
        );
    }

    #[test]
    fn every_kind_has_a_closed_schema_with_its_required_fields() {
        for kind in RecordKind::ALL {
            let schema = data_schema(kind);
            assert_eq!(schema["type"], "object", "{kind:?}");
            assert_eq!(schema["additionalProperties"], false, "{kind:?}");
            assert!(
                !schema.to_string().contains("$ref"),
                "{kind:?}: subschemas are inlined"
            );
        }
        let s = data_schema(RecordKind::Assessment);
        let required: Vec<&str> = s["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(
            required,
            [
                "client_id",
                "instrument",
                "occasion",
                "administered_on",
                "responses"
            ]
        );
        assert_eq!(
            s["properties"]["occasion"]["enum"],
            json!(["screening", "baseline", "session", "endpoint", "follow_up"])
        );
        assert_eq!(s["properties"]["administered_on"]["format"], "date");
        assert_eq!(s["properties"]["client_id"]["format"], "uuid");
        let s = data_schema(RecordKind::Session);
        assert_eq!(s["properties"]["number"]["minimum"], 1);
        assert_eq!(s["properties"]["number"]["maximum"], 100);
    }

    #[test]
    fn canonical_json_is_stable_and_parses_back() {
        let c = "6f1c1f3e-8d7b-4c8e-9a55-000000000001";
        let data = json!({"sex": "male", "registered_on": "2025-03-01", "facility_id": c, "programme_id": c, "birth_year": 1990});
        let p = parse_payload(RecordKind::Client, &data).unwrap();
        let canon = p.to_json();
        assert_eq!(parse_payload(RecordKind::Client, &canon).unwrap(), p);
        assert_eq!(
            serde_json::to_string(&canon).unwrap(),
            serde_json::to_string(&p.to_json()).unwrap()
        );
    }

    #[test]
    fn competency_level_one_is_a_safety_flag() {
        let c = "6f1c1f3e-8d7b-4c8e-9a55-000000000001";
        let p = parse_payload(RecordKind::CompetencyAssessment, &json!({"counsellor_id": c, "assessor_id": c, "on": "2025-01-01", "tool": "enact_equip", "method": "role_play", "levels": {"1": 3, "7": 1}})).unwrap();
        let RecordPayload::CompetencyAssessment(a) = p else {
            panic!()
        };
        assert!(a.safety_flag());
        assert_eq!(err(RecordKind::CompetencyAssessment, json!({"counsellor_id": c, "assessor_id": c, "on": "2025-01-01", "tool": "enact_equip", "method": "role_play", "levels": {"1": 5}})).field, "data.levels.1");
    }

    #[test]
    fn dates_after_tomorrow_are_rejected_by_field() {
        let c = "6f1c1f3e-8d7b-4c8e-9a55-000000000001";
        let today = Date::parse("2026-12-06", "t").unwrap();
        let check = |kind, data: serde_json::Value| {
            parse_payload(kind, &data)
                .unwrap()
                .check_dates(today)
                .map_err(|e| (e.field, e.message))
        };
        // Tomorrow is still today in UTC+14; the day after is not.
        assert_eq!(
            check(
                RecordKind::Consent,
                json!({"client_id": c, "scope": "treatment", "given": true, "on": "2026-12-07"})
            ),
            Ok(())
        );
        let future = Err((
            "data.on".to_string(),
            "must not be in the future".to_string(),
        ));
        assert_eq!(
            check(
                RecordKind::Consent,
                json!({"client_id": c, "scope": "treatment", "given": true, "on": "2026-12-08"})
            ),
            future
        );
        // Every date of a body is checked, optional ones included.
        let cases = [
            (
                RecordKind::Client,
                json!({"programme_id": c, "facility_id": c, "registered_on": "2027-01-01", "sex": "female"}),
                "data.registered_on",
            ),
            (
                RecordKind::ClientIdentity,
                json!({"client_id": c, "given_name": "A", "birth_date": "2030-01-01"}),
                "data.birth_date",
            ),
            (
                RecordKind::Assessment,
                json!({"client_id": c, "instrument": "phq9", "occasion": "baseline", "administered_on": "2027-01-01", "responses": {"1": 1}}),
                "data.administered_on",
            ),
            (
                RecordKind::Eligibility,
                json!({"client_id": c, "decided_on": "2027-01-01", "eligible": false, "offered": false}),
                "data.decided_on",
            ),
            (
                RecordKind::Episode,
                json!({"client_id": c, "programme_id": c, "enrolled_on": "2026-12-01", "closed_on": "2026-12-31", "closure_reason": "completed"}),
                "data.closed_on",
            ),
            (
                RecordKind::Session,
                json!({"client_id": c, "episode_id": c, "number": 1, "on": "2026-12-25", "attended": false, "modality": "individual"}),
                "data.on",
            ),
            (
                RecordKind::Referral,
                json!({"client_id": c, "on": "2026-12-25", "to_service": "psychiatry", "reason": "suicide_risk", "urgency": "urgent", "status": "made"}),
                "data.on",
            ),
            (
                RecordKind::SupervisionSession,
                json!({"supervisor_id": c, "on": "2026-12-25", "duration_minutes": 60, "format": "group", "counsellor_ids": [c]}),
                "data.on",
            ),
            (
                RecordKind::CompetencyAssessment,
                json!({"counsellor_id": c, "assessor_id": c, "on": "2026-12-25", "tool": "enact_equip", "method": "role_play", "levels": {"1": 3}}),
                "data.on",
            ),
            (
                RecordKind::TrainingRecord,
                json!({"person_id": c, "course": "hap", "started_on": "2026-11-01", "completed_on": "2026-12-25", "hours": 10.0}),
                "data.completed_on",
            ),
        ];
        for (kind, data, field) in cases {
            let (got, message) = check(kind, data).unwrap_err();
            assert_eq!(got, field, "{kind:?}");
            assert!(!message.contains("20"), "{message}");
        }
        // The last day of the calendar has no tomorrow, and nothing is after it.
        let last = Date::parse("9999-12-31", "t").unwrap();
        let p = parse_payload(
            RecordKind::Consent,
            &json!({"client_id": c, "scope": "treatment", "given": true, "on": "9999-12-31"}),
        )
        .unwrap();
        assert_eq!(p.check_dates(last), Ok(()));
    }

    #[test]
    fn an_assessment_may_name_its_instrument_version() {
        let c = "6f1c1f3e-8d7b-4c8e-9a55-000000000001";
        let body = |version: serde_json::Value| json!({"client_id": c, "instrument": "phq9", "instrument_version": version, "occasion": "screening", "administered_on": "2026-12-01", "responses": {"1": 1}});
        let p = parse_payload(RecordKind::Assessment, &body(json!("2026.1-goa"))).unwrap();
        assert_eq!(p.to_json()["instrument_version"], "2026.1-goa");
        for bad in [json!(""), json!("1 2"), json!("x".repeat(33)), json!(2)] {
            let e = err(RecordKind::Assessment, body(bad));
            assert_eq!(e.field, "data.instrument_version");
        }
        // Absent, it is absent from the canonical body too, so stored hashes do not change.
        let mut without = body(json!("1"));
        without
            .as_object_mut()
            .unwrap()
            .remove("instrument_version");
        let p = parse_payload(RecordKind::Assessment, &without).unwrap();
        assert!(p.to_json().get("instrument_version").is_none());
    }
}
