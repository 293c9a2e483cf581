//! Care records: offline sync (push and pull), client queries, scores, risk alerts and conflicts.
//!
//! Push processes a batch in one transaction with a savepoint per record: a record that fails
//! validation or authorisation is rejected with its own error and rolled back alone; the rest
//! commit together, and only then are acknowledgements returned. Each accepted record's
//! acknowledgement is stored under (record id, content hash), so replaying a batch returns the
//! same acknowledgements and changes nothing.
//!
//! Versions: a device sends `base_version`, the version it edited. If the server's current
//! version is different and the content differs, the edit lost a race with another device: it
//! is kept in `sync_conflicts` for supervisor review and the server version stays current.

use crate::audit::AuditEvent;
use crate::crypto::sha256_hex;
use crate::scope::{Actor, Sql};
use crate::time_util::{normalise_timestamp, now_timestamp, timestamp_in, today_utc};
use crate::{Backend, Result, Store, StoreError};
use futures_util::TryStreamExt;
use scaleup_domain::date::Date;
use scaleup_domain::error::FieldError;
use scaleup_domain::protocol::Protocol;
use scaleup_domain::record::{
    Assessment, CompetencyAssessment, RecordKind, RecordPayload, parse_payload,
};
use scaleup_domain::role::{Capability, Role};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::BTreeSet;

/// The catalogue's rules as storage applies them: scoring assessments, and the protocols that
/// programmes follow. Implemented over the instrument and protocol catalogue by the caller, so
/// storage does not depend on how definitions are loaded. Storage gathers a rule's inputs from
/// the database; the rule itself is a pure function of the domain crate.
pub trait Rules: Send + Sync {
    /// Scores one assessment with the instrument version it names (the newest when it names
    /// none). An unknown instrument, version or response is a `FieldError` naming
    /// `data.instrument`, `data.instrument_version` or `data.responses.<item>`.
    fn score(&self, assessment: &Assessment) -> std::result::Result<ScoreSummary, FieldError>;

    /// The protocol with this code (its newest version); `None` when the catalogue lacks it,
    /// and then no protocol rule applies.
    fn protocol(&self, code: &str) -> Option<&Protocol>;

    /// The competencies of a rating scored at a level its framework marks as a safety flag
    /// (ENACT/EQUIP level 1: harmful or unhelpful behaviour observed), in id order; empty when
    /// none is. This default is the EQUIP rule for rules without frameworks; the catalogue's
    /// rules ask the framework the rating names, so a hub's own framework decides for its
    /// ratings. Never an error: a rating the framework does not know still counts by the EQUIP
    /// rule, so a harmful rating is never lost to a typo in a competency id.
    fn harmful_competencies(&self, rating: &CompetencyAssessment) -> Vec<String> {
        equip_harmful_competencies(rating)
    }

    /// The remission threshold of an outcome instrument for the indicators (an endpoint total
    /// below it is a remission): the instrument's default screening cut-off, when it has one.
    /// `None` leaves remission undefined until a threshold is given.
    fn remission_below(&self, _instrument: &str) -> Option<f64> {
        None
    }

    /// The rules for one hub's records, when they differ from these: the network's
    /// definitions plus the hub's own files. `None` (the default) means these rules apply to
    /// every hub.
    fn for_hub(&self, hub_id: &str) -> Option<std::sync::Arc<dyn Rules>> {
        let _ = hub_id;
        None
    }
}

/// The EQUIP rule: the competencies rated at level 1 (any harmful or unhelpful behaviour).
pub(crate) fn equip_harmful_competencies(rating: &CompetencyAssessment) -> Vec<String> {
    rating
        .levels
        .iter()
        .filter(|(_, level)| **level == 1)
        .map(|(id, _)| id.clone())
        .collect()
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ScoreSummary {
    /// Version of the instrument definition the score was computed with.
    #[serde(default)]
    pub instrument_version: Option<String>,
    pub total: Option<f64>,
    /// Band id of the default band set.
    pub band: Option<String>,
    /// That band's label, as the device shows it.
    #[serde(default)]
    pub band_label: Option<String>,
    /// Whether the instrument's default cut-off is met.
    pub positive: Option<bool>,
    pub risk_flags: Vec<RiskFlagSummary>,
    /// The full scoring result, kept for display and export.
    pub detail: serde_json::Value,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RiskFlagSummary {
    /// The alert's rule id: `<instrument>.<rule>`, unique per record among its alerts.
    pub rule_id: String,
    /// The instrument's own risk rule id (`item9_positive`), as protocols and devices name it.
    #[serde(default)]
    pub rule: String,
    /// `urgent` or `routine`.
    pub level: String,
}

/// The server's score of an accepted assessment, returned in its acknowledgement so the device
/// can show the authoritative result next to its own offline one.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AckScore {
    pub instrument: String,
    pub instrument_version: Option<String>,
    /// `None` when too many items were left unanswered for a total.
    pub total: Option<f64>,
    pub band: Option<String>,
    pub band_label: Option<String>,
    pub positive: Option<bool>,
    pub risk_flags: Vec<AckRiskFlag>,
}

/// A risk flag in an [`AckScore`]: the instrument's rule id and its level.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AckRiskFlag {
    pub rule_id: String,
    pub level: String,
}

/// A risk alert raised by the write an acknowledgement answers.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AckAlert {
    pub id: String,
    /// As `/alerts` shows it: `<instrument>.<rule>`.
    pub rule_id: String,
    pub level: String,
    pub due_at: String,
}

impl AckScore {
    fn new(assessment: &Assessment, s: &ScoreSummary) -> AckScore {
        AckScore {
            instrument: assessment.instrument.clone(),
            instrument_version: s.instrument_version.clone(),
            total: s.total,
            band: s.band.clone(),
            band_label: s.band_label.clone(),
            positive: s.positive,
            risk_flags: s
                .risk_flags
                .iter()
                .map(|f| AckRiskFlag {
                    rule_id: f.rule.clone(),
                    level: f.level.clone(),
                })
                .collect(),
        }
    }
}

/// A record as a device sends it. Unknown fields are refused, not dropped: a device that sends
/// `hub_id` or `counsellor_id` beside `data` expects them to count, and they never do (the
/// server places every record itself).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncomingRecord {
    pub kind: serde_json::Value,
    pub id: serde_json::Value,
    #[serde(default)]
    pub base_version: Option<i64>,
    #[serde(default)]
    pub device_time: Option<String>,
    #[serde(default)]
    pub data: serde_json::Value,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AckStatus {
    Created,
    Updated,
    Unchanged,
    Conflict,
    Rejected,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AckError {
    pub code: String,
    pub message: String,
    pub field: Option<String>,
}

/// The server's answer for one record. Stored as JSON in `sync_receipts` and returned again on
/// a replay: fields added later carry `serde(default)` so that older receipts still parse.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Ack {
    pub id: serde_json::Value,
    pub status: AckStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflict_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<AckError>,
    /// The server's score of an accepted (created, updated or unchanged) assessment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<AckScore>,
    /// The risk alerts this write raised.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<AckAlert>,
}

impl Ack {
    fn rejected(
        id: &serde_json::Value,
        code: &str,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Ack {
        Ack {
            id: id.clone(),
            status: AckStatus::Rejected,
            version: None,
            conflict_id: None,
            error: Some(AckError {
                code: code.into(),
                message: message.into(),
                field: field.map(str::to_string),
            }),
            score: None,
            alerts: Vec::new(),
        }
    }
}

/// One change in a pull.
#[derive(Clone, Debug, Serialize)]
pub struct Change {
    pub kind: String,
    pub id: String,
    pub version: i64,
    pub seq: i64,
    pub data: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<serde_json::Value>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PullPage {
    pub changes: Vec<Change>,
    pub next_cursor: String,
    pub has_more: bool,
}

/// Where a device's pulls have reached: the last change sequence number seen of each hub.
///
/// Written `floor[,hub=seq]...`: `floor` applies to every hub not listed. A cursor handed out
/// before schema 12 is a single number, one store-wide sequence, and reads as a floor: every
/// hub's numbers continue from the store-wide number reached before the migration, so such a
/// cursor skips nothing. Devices treat the text as opaque.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PullCursor {
    pub floor: i64,
    pub hubs: std::collections::BTreeMap<String, i64>,
}

impl PullCursor {
    pub fn parse(text: &str) -> Result<PullCursor> {
        let invalid =
            || StoreError::invalid("cursor", "must be a cursor returned by an earlier pull");
        let mut cursor = PullCursor::default();
        if text.is_empty() {
            return Ok(cursor);
        }
        let mut parts = text.split(',');
        cursor.floor = parts
            .next()
            .and_then(|f| f.parse().ok())
            .filter(|f: &i64| *f >= 0)
            .ok_or_else(invalid)?;
        for part in parts {
            let (hub, seq) = part.split_once('=').ok_or_else(invalid)?;
            let seq: i64 = seq.parse().map_err(|_| invalid())?;
            let hub_ok = !hub.is_empty()
                && hub.len() <= 64
                && hub
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !hub_ok || seq < 0 || cursor.hubs.insert(hub.to_string(), seq).is_some() {
                return Err(invalid());
            }
        }
        Ok(cursor)
    }

    /// The last number seen of `hub`.
    pub fn after(&self, hub: &str) -> i64 {
        self.hubs
            .get(hub)
            .copied()
            .unwrap_or(self.floor)
            .max(self.floor)
    }

    fn advance(&mut self, hub: &str, seq: i64) {
        if seq > self.after(hub) {
            self.hubs.insert(hub.to_string(), seq);
        }
    }
}

impl std::fmt::Display for PullCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.floor)?;
        for (hub, seq) in &self.hubs {
            if *seq > self.floor {
                write!(f, ",{hub}={seq}")?;
            }
        }
        Ok(())
    }
}

/// A client as lists show it: pseudonymous fields only.
#[derive(Clone, Debug, Serialize)]
pub struct ClientRow {
    pub id: String,
    pub hub_id: String,
    pub programme_id: Option<String>,
    pub facility_id: Option<String>,
    pub counsellor_id: Option<String>,
    pub registered_on: Option<String>,
    pub sex: Option<String>,
    pub birth_year: Option<i64>,
    pub version: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct RecordRow {
    pub id: String,
    pub kind: String,
    pub version: i64,
    pub occurred_on: Option<String>,
    pub data: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<serde_json::Value>,
}

#[derive(Clone, Debug, Serialize)]
pub struct AlertRow {
    pub id: String,
    pub hub_id: String,
    pub client_id: String,
    pub record_id: String,
    pub rule_id: String,
    pub level: String,
    pub counsellor_id: Option<String>,
    pub supervisor_id: Option<String>,
    pub raised_at: String,
    pub due_at: String,
    pub status: String,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<String>,
    /// The first acknowledging action, for clients of the API from before `actions`.
    pub action: Option<String>,
    /// Every action recorded with the acknowledgement (follow-ups are in the alert's history).
    pub actions: Vec<String>,
    pub escalated_at: Option<String>,
    pub escalated_to: Option<String>,
}

/// Filters and page position for [`Store::alerts_page`].
#[derive(Clone, Debug, Default)]
pub struct AlertFilter {
    pub status: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub cursor: Option<String>,
    pub limit: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ConflictRow {
    pub id: String,
    pub record_id: String,
    pub kind: String,
    pub client_id: Option<String>,
    pub counsellor_id: Option<String>,
    pub base_version: Option<i64>,
    pub server_version: i64,
    pub server_data: serde_json::Value,
    pub incoming_data: serde_json::Value,
    pub author_id: String,
    pub device_time: String,
    /// When the server received the losing version (the order of the review list).
    pub received_at: String,
    pub status: String,
    pub resolution: Option<String>,
}

/// Most conflicts on one page of [`Store::conflicts_page`].
pub const MAX_CONFLICT_PAGE: i64 = 500;

/// One cell of the aggregate summary: counts per facility and month.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SummaryCell {
    pub facility_id: String,
    pub month: String,
    pub indicator: String,
    /// `None` when suppressed (fewer than the small-cell threshold but more than zero).
    pub value: Option<i64>,
    pub suppressed: bool,
}

/// Actions a supervisor (or hub manager) may record for a risk alert, when acknowledging it
/// and in follow-ups. Codes are stable: stored, and shown by the pages in the user's language.
pub const ALERT_ACTIONS: &[&str] = &[
    "contacted_client",
    "safety_plan_made",
    "referred_emergency",
    "referred_specialist",
    "home_visit",
    "risk_assessed_low",
    // Task sharing: the supervisor often acts through the counsellor who holds the client.
    "called_counsellor",
    "visited_with_counsellor",
    "supervision_scheduled",
    "client_not_reached",
];

/// Hours a supervisor has to acknowledge an alert of `level` under a programme's limit: urgent
/// flags (suicidal thoughts) get a quarter of it, at least one hour.
pub(crate) fn alert_deadline_hours(programme_hours: i64, level: &str) -> i64 {
    if level == "urgent" {
        (programme_hours / 4).max(1)
    } else {
        programme_hours
    }
}

/// Cells between 1 and this minus one are suppressed in aggregate output.
pub const SMALL_CELL_THRESHOLD: i64 = 5;

/// The rules of a programme's hub, with the code of the protocol the programme follows.
struct ProgrammeRules {
    rules: std::sync::Arc<dyn Rules>,
    protocol_code: String,
}

impl ProgrammeRules {
    /// The protocol, if the hub's catalogue has it (else no protocol rule applies).
    fn protocol(&self) -> Option<&Protocol> {
        self.rules.protocol(&self.protocol_code)
    }
}

/// What a record is attached to, resolved on the server.
struct Placement {
    hub_id: String,
    client_id: Option<String>,
    episode_id: Option<String>,
    counsellor_id: Option<String>,
    facility_id: Option<String>,
    programme_id: Option<String>,
}

/// A record that passed every check and is ready to be written.
struct PreparedWrite {
    payload: RecordPayload,
    canonical: serde_json::Value,
    placement: Placement,
    score: Option<ScoreSummary>,
    /// Competencies a competency assessment rates at a harmful level (raise a safety flag).
    harmful: Vec<String>,
}

/// What a write produced.
struct Written {
    version: i64,
    alerts: Vec<AckAlert>,
}

/// Why a record may not be written, as the device will be told.
enum Rejection {
    Field(FieldError),
    Forbidden(&'static str),
    NotFound(&'static str),
}

impl Rejection {
    fn into_ack(self, id: &serde_json::Value) -> Ack {
        match self {
            Rejection::Field(e) => Ack::rejected(id, "invalid", Some(&e.field), e.message),
            Rejection::Forbidden(m) => Ack::rejected(id, "forbidden", None, m),
            Rejection::NotFound(field) => Ack::rejected(
                id,
                "not_found",
                Some(field),
                "refers to a record that does not exist or is not in your caseload",
            ),
        }
    }

    /// The same reason as a sentence, for a reviewer rather than a device.
    fn message(&self) -> String {
        match self {
            Rejection::Field(e) => format!("{}: {}", e.field, e.message),
            Rejection::Forbidden(m) => (*m).to_string(),
            Rejection::NotFound(field) => {
                format!(
                    "{field}: refers to a record that does not exist or is not in the author's caseload"
                )
            }
        }
    }
}

impl From<FieldError> for Rejection {
    fn from(e: FieldError) -> Self {
        Rejection::Field(e)
    }
}

pub(crate) type Tx = sqlx::AnyConnection;

pub(crate) fn opt_text(row: &sqlx::any::AnyRow, col: &str) -> Result<Option<String>> {
    Ok(row.try_get::<Option<String>, _>(col)?)
}

impl Store {
    /// Applies a batch pushed by a device. Never fails for one bad record; fails only if the
    /// database itself fails, in which case nothing of the batch is acknowledged (records
    /// committed before the failure answer the device's retry as replays).
    ///
    /// Records are committed in small groups, not as one transaction per batch: a batch holds
    /// its hub's change sequence (and, on SQLite, the database's write lock) for one group at
    /// a time, so a counsellor of the same hub waits for one group, not for a batch of
    /// hundreds. On PostgreSQL a group is one record ([`Store::records_per_push_transaction`]).
    pub async fn push(
        &self,
        actor: &Actor,
        device_id: &str,
        records: Vec<IncomingRecord>,
    ) -> Result<Vec<Ack>> {
        // No record is scored with definitions older than the push: one indexed read when none
        // were uploaded since this server's catalogue was built (on any server).
        self.refresh_definitions().await?;
        let mut acks = Vec::with_capacity(records.len());
        let mut accepted = 0usize;
        let per_transaction = self.records_per_push_transaction();
        let groups: Vec<&[IncomingRecord]> = if records.is_empty() {
            vec![&[]]
        } else {
            records.chunks(per_transaction).collect()
        };
        let last_group = groups.len() - 1;
        for (g, group) in groups.into_iter().enumerate() {
            let mut tx = self.begin_write().await?;
            lock_record_ids(&mut tx, self.backend, group).await?;
            for incoming in group {
                // A savepoint lets a record fail alone within its group; a group of one needs
                // none (the transaction is the record), which saves two round trips.
                let outcome = if group.len() == 1 {
                    let outcome = self.push_one(&mut tx, actor, device_id, incoming).await;
                    if matches!(outcome, Err(ref e) if !matches!(e, StoreError::Database(_))) {
                        // Undo the record's partial work; the batch goes on.
                        tx.rollback().await?;
                        tx = self.begin_write().await?;
                    }
                    outcome
                } else {
                    let mut sp = sqlx::Acquire::begin(&mut *tx).await?;
                    let outcome = self.push_one(&mut sp, actor, device_id, incoming).await;
                    match outcome {
                        Ok(_) => sp.commit().await?,
                        Err(StoreError::Database(_)) => {}
                        Err(_) => sp.rollback().await?,
                    }
                    outcome
                };
                match outcome {
                    Ok(ack) => {
                        if ack.status != AckStatus::Rejected {
                            accepted += 1;
                        }
                        acks.push(ack);
                    }
                    Err(StoreError::Database(e)) => return Err(StoreError::Database(e)),
                    Err(other) => acks.push(Ack::rejected(
                        &incoming.id,
                        "internal",
                        None,
                        other.to_string(),
                    )),
                }
            }
            if g == last_group {
                self.audit_in(
                    &mut tx,
                    Some(actor),
                    &AuditEvent::new("sync.push", "batch")
                        .hub(actor.hubs.first().cloned())
                        .detail(serde_json::json!({
                            "records": acks.len(), "accepted": accepted, "device": device_id
                        })),
                )
                .await?;
            }
            // The indicator facts of every client the group touched, in the same transaction.
            self.refresh_indicator_facts(&mut tx).await?;
            tx.commit().await?;
        }
        Ok(acks)
    }

    /// Records committed together by [`Store::push`]. PostgreSQL: one, so that within a hub
    /// nobody waits longer than one record's write. SQLite has one writer whatever happens and
    /// pays a disk flush per commit, so it commits a few records at a time: 16 keeps a
    /// group's write lock to a few milliseconds (docs/benchmarks.md has the measurement).
    pub fn records_per_push_transaction(&self) -> usize {
        match self.backend {
            Backend::Postgres => 1,
            Backend::Sqlite => 16,
        }
    }

    async fn push_one(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        device_id: &str,
        incoming: &IncomingRecord,
    ) -> Result<Ack> {
        let id_value = &incoming.id;
        let Some(kind) = incoming.kind.as_str().and_then(RecordKind::parse) else {
            return Ok(Ack::rejected(
                id_value,
                "invalid",
                Some("kind"),
                scaleup_domain::error::one_of(&RecordKind::ALL.map(|k| k.as_str())),
            ));
        };
        let Some(id) = id_value
            .as_str()
            .and_then(|s| uuid::Uuid::parse_str(s).ok())
        else {
            return Ok(Ack::rejected(
                id_value,
                "invalid",
                Some("id"),
                "must be a UUID generated on the device",
            ));
        };
        let id_text = id.to_string();
        let Some(device_time) = incoming
            .device_time
            .as_deref()
            .and_then(normalise_timestamp)
        else {
            return Ok(Ack::rejected(
                id_value,
                "invalid",
                Some("device_time"),
                "must be an RFC 3339 timestamp",
            ));
        };
        // A device clock more than a day ahead of the server's is wrong (time zones stay within
        // 14 hours of UTC), and a record stamped from it would sort after records not yet made.
        if device_time > timestamp_in(24) {
            return Ok(Ack::rejected(
                id_value,
                "invalid",
                Some("device_time"),
                "must not be more than a day ahead of the server's clock",
            ));
        }
        let payload = match parse_payload(kind, &incoming.data) {
            Ok(p) => p,
            Err(e) => {
                return Ok(Ack::rejected(
                    id_value,
                    "invalid",
                    Some(&e.field),
                    e.message,
                ));
            }
        };
        // Permission comes before anything that depends on what is stored, the stored receipt
        // included: a replay from someone who lost access, or a guess at a record's content,
        // learns nothing.
        let write = match self.prepare_write(tx, actor, &id_text, payload).await? {
            Ok(w) => w,
            Err(rejection) => return Ok(rejection.into_ack(id_value)),
        };
        let existing = sqlx::query(
            "SELECT kind, version, payload, hub_id, counsellor_id FROM records WHERE id = $1",
        )
        .bind(id_text.clone())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = &existing {
            let existing_kind: String = row.try_get("kind")?;
            if existing_kind != kind.as_str() {
                return Ok(Ack::rejected(
                    id_value,
                    "invalid",
                    Some("kind"),
                    "a record with this id exists with another kind",
                ));
            }
            let hub: String = row.try_get("hub_id")?;
            let owner: Option<String> = row.try_get("counsellor_id")?;
            if !self
                .actor_may_write_existing(tx, actor, &hub, owner.as_deref())
                .await?
            {
                return Ok(Ack::rejected(
                    id_value,
                    "forbidden",
                    Some("id"),
                    "this record is not in your caseload",
                ));
            }
        }
        let content_hash = sha256_hex(
            format!(
                "{}|{}|{:?}|{}",
                kind.as_str(),
                id_text,
                incoming.base_version,
                write.canonical
            )
            .as_bytes(),
        );
        if let Some(r) =
            sqlx::query("SELECT ack FROM sync_receipts WHERE record_id = $1 AND content_hash = $2")
                .bind(id_text.clone())
                .bind(content_hash.clone())
                .fetch_optional(&mut *tx)
                .await?
        {
            let ack: Ack = serde_json::from_str(&r.try_get::<String, _>("ack")?).map_err(|_| {
                StoreError::Internal("stored acknowledgement is not valid JSON".into())
            })?;
            return Ok(ack);
        }
        let now = now_timestamp();
        // The server's verdict on an accepted assessment travels back with its acknowledgement.
        let score = match (&write.payload, &write.score) {
            (RecordPayload::Assessment(a), Some(s)) => Some(AckScore::new(a, s)),
            _ => None,
        };
        let ack = match existing {
            None => {
                let written = self
                    .write_version(
                        tx,
                        actor,
                        &actor.user_id,
                        &id_text,
                        &write,
                        None,
                        &device_time,
                    )
                    .await?;
                Ack {
                    id: id_value.clone(),
                    status: AckStatus::Created,
                    version: Some(written.version),
                    conflict_id: None,
                    error: None,
                    score,
                    alerts: written.alerts,
                }
            }
            Some(row) => {
                let hub: String = row.try_get("hub_id")?;
                let owner: Option<String> = row.try_get("counsellor_id")?;
                let current_version: i64 = row.try_get("version")?;
                let current_payload: String = row.try_get("payload")?;
                if self.same_content(kind, &current_payload, &write.canonical) {
                    Ack {
                        id: id_value.clone(),
                        status: AckStatus::Unchanged,
                        version: Some(current_version),
                        conflict_id: None,
                        error: None,
                        score,
                        alerts: Vec::new(),
                    }
                } else if incoming.base_version == Some(current_version) {
                    let written = self
                        .write_version(
                            tx,
                            actor,
                            &actor.user_id,
                            &id_text,
                            &write,
                            Some(current_version),
                            &device_time,
                        )
                        .await?;
                    Ack {
                        id: id_value.clone(),
                        status: AckStatus::Updated,
                        version: Some(written.version),
                        conflict_id: None,
                        error: None,
                        score,
                        alerts: written.alerts,
                    }
                } else {
                    let stored_payload =
                        self.sealed_payload(&id_text, &write.payload, &write.canonical);
                    let conflict_id = uuid::Uuid::new_v4().to_string();
                    sqlx::query(
                        "INSERT INTO sync_conflicts (id, record_id, kind, hub_id, client_id, counsellor_id, base_version, server_version,
                            incoming_payload, author_id, device_time, received_at, status)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'open')",
                    )
                    .bind(conflict_id.clone())
                    .bind(id_text.clone())
                    .bind(kind.as_str())
                    .bind(hub.clone())
                    .bind(write.placement.client_id.clone())
                    .bind(owner.clone())
                    .bind(incoming.base_version)
                    .bind(current_version)
                    .bind(stored_payload.clone())
                    .bind(actor.user_id.clone())
                    .bind(device_time.clone())
                    .bind(now.clone())
                    .execute(&mut *tx)
                    .await?;
                    let mut ev = AuditEvent::new("record.conflict", "record")
                        .entity(id_text.clone())
                        .hub(Some(hub.clone()));
                    if let Some(c) = &write.placement.client_id {
                        ev = ev.client(c.clone());
                    }
                    self.audit_in(tx, Some(actor), &ev.detail(serde_json::json!({"kind": kind.as_str(), "conflict_id": conflict_id, "device": device_id})))
                        .await?;
                    // No score: the edit was kept for review, not accepted.
                    Ack {
                        id: id_value.clone(),
                        status: AckStatus::Conflict,
                        version: Some(current_version),
                        conflict_id: Some(conflict_id),
                        error: None,
                        score: None,
                        alerts: Vec::new(),
                    }
                }
            }
        };
        sqlx::query("INSERT INTO sync_receipts (record_id, content_hash, ack, received_at) VALUES ($1, $2, $3, $4)")
            .bind(id_text)
            .bind(content_hash)
            .bind(serde_json::to_string(&ack).map_err(|e| StoreError::Internal(e.to_string()))?)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        Ok(ack)
    }

    /// Checks that `author` may write `payload` as record `record_id`, resolves where it
    /// belongs, applies its programme's protocol rules and scores it. Nothing is written: a
    /// rejection leaves no trace.
    async fn prepare_write(
        &self,
        tx: &mut Tx,
        author: &Actor,
        record_id: &str,
        payload: RecordPayload,
    ) -> Result<std::result::Result<PreparedWrite, Rejection>> {
        // Like a malformed body, a date that has not happened yet is wrong whoever sends it.
        if let Err(e) = payload.check_dates(today_utc()) {
            return Ok(Err(Rejection::Field(e)));
        }
        let required = match payload.kind() {
            RecordKind::SupervisionSession | RecordKind::CompetencyAssessment => {
                Capability::Supervise
            }
            _ => Capability::WriteCareRecords,
        };
        if !author.role.can(required) {
            return Ok(Err(Rejection::Forbidden(
                "your role may not write this kind of record",
            )));
        }
        let placement = match self.place(tx, author, record_id, &payload).await? {
            Ok(p) => p,
            Err(r) => return Ok(Err(r)),
        };
        if let Err(r) = self.check_protocol(tx, record_id, &payload).await? {
            return Ok(Err(r));
        }
        // Scores are computed before anything is written, so a bad response rejects the record.
        // The record's hub decides the catalogue: the network's definitions and the hub's own.
        let rules = self.rules_for(&placement.hub_id);
        let score = match &payload {
            RecordPayload::Assessment(a) => match rules.score(a) {
                Ok(s) => Some(s),
                Err(e) => return Ok(Err(Rejection::Field(e))),
            },
            _ => None,
        };
        let harmful = match &payload {
            RecordPayload::CompetencyAssessment(c) => rules.harmful_competencies(c),
            _ => Vec::new(),
        };
        let canonical = payload.to_json();
        Ok(Ok(PreparedWrite {
            payload,
            canonical,
            placement,
            score,
            harmful,
        }))
    }

    /// The protocol's rules for a record, from the programme it belongs to: a session records
    /// only the protocol's components, and a new episode is not opened for a client whom one of
    /// the protocol's exclusions keeps out. Editing an existing episode (closing it) is never
    /// blocked. A programme whose protocol is not in the catalogue has no rules to apply.
    async fn check_protocol(
        &self,
        tx: &mut Tx,
        record_id: &str,
        payload: &RecordPayload,
    ) -> Result<std::result::Result<(), Rejection>> {
        match payload {
            RecordPayload::Session(s) => {
                // The episode's own programme (placement checked it belongs to the client).
                let episode =
                    sqlx::query("SELECT payload FROM records WHERE id = $1 AND kind = 'episode'")
                        .bind(s.episode_id.to_string())
                        .fetch_optional(&mut *tx)
                        .await?;
                let payload = episode
                    .map(|r| r.try_get::<String, _>("payload"))
                    .transpose()?;
                let programme = payload.and_then(|text| {
                    let body: serde_json::Value = serde_json::from_str(&text).ok()?;
                    body["programme_id"].as_str().map(str::to_string)
                });
                let Some(programme) = programme else {
                    return Ok(Ok(()));
                };
                let rules = self.programme_rules(tx, &programme).await?;
                Ok(match rules.as_ref().and_then(ProgrammeRules::protocol) {
                    Some(p) => p
                        .check_session_components(&s.components)
                        .map_err(Rejection::Field),
                    None => Ok(()),
                })
            }
            RecordPayload::Episode(e) => {
                let exists = sqlx::query("SELECT id FROM records WHERE id = $1")
                    .bind(record_id.to_string())
                    .fetch_optional(&mut *tx)
                    .await?
                    .is_some();
                if exists {
                    return Ok(Ok(()));
                }
                let rules = self
                    .programme_rules(tx, &e.programme_id.to_string())
                    .await?;
                let Some(protocol) = rules.as_ref().and_then(ProgrammeRules::protocol) else {
                    return Ok(Ok(()));
                };
                let latest = latest_screenings(tx, &e.client_id.to_string()).await?;
                Ok(match protocol.enrolment_block(&latest) {
                    Some(block) => Err(Rejection::Field(block.to_field_error())),
                    None => Ok(()),
                })
            }
            _ => Ok(Ok(())),
        }
    }

    /// The rules of a programme's hub and the code of the protocol it follows.
    async fn programme_rules(
        &self,
        tx: &mut Tx,
        programme_id: &str,
    ) -> Result<Option<ProgrammeRules>> {
        let row = sqlx::query("SELECT protocol_code, hub_id FROM programmes WHERE id = $1")
            .bind(programme_id.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        row.map(|r| {
            Ok(ProgrammeRules {
                rules: self.rules_for(&r.try_get::<String, _>("hub_id")?),
                protocol_code: r.try_get("protocol_code")?,
            })
        })
        .transpose()
    }

    /// Writes a new current version of a record — version 1 when `current_version` is `None` —
    /// and everything that follows every write: history, identity, scores, risk alerts,
    /// caseload moves, audit. The one write path for care records, so that no way of changing
    /// a record (sync, a resolved conflict) can skip a risk alert. Returns the new version and
    /// the alerts the write raised.
    #[allow(clippy::too_many_arguments)]
    async fn write_version(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        author_id: &str,
        record_id: &str,
        write: &PreparedWrite,
        current_version: Option<i64>,
        device_time: &str,
    ) -> Result<Written> {
        let payload = &write.payload;
        let placement = &write.placement;
        let stored_payload = self.sealed_payload(record_id, payload, &write.canonical);
        let now = now_timestamp();
        let seq = next_change_seq(tx, self.schema, &placement.hub_id).await?;
        let version = match current_version {
            None => {
                sqlx::query(
                    "INSERT INTO records (id, kind, hub_id, client_id, episode_id, counsellor_id, facility_id, programme_id, occurred_on,
                        version, change_seq, payload, created_by, created_at, updated_by, updated_at, device_time, tag)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $11, $12, $13, $12, $13, $14, $15)",
                )
                .bind(record_id.to_string())
                .bind(payload.kind().as_str())
                .bind(placement.hub_id.clone())
                .bind(placement.client_id.clone())
                .bind(placement.episode_id.clone())
                .bind(placement.counsellor_id.clone())
                .bind(placement.facility_id.clone())
                .bind(placement.programme_id.clone())
                .bind(payload.occurred_on().map(|d| d.to_string()))
                .bind(seq)
                .bind(stored_payload.clone())
                .bind(actor.user_id.clone())
                .bind(now.clone())
                .bind(device_time.to_string())
                .bind(record_tag(payload))
                .execute(&mut *tx)
                .await?;
                1
            }
            Some(current) => {
                let version = current + 1;
                sqlx::query(
                    "UPDATE records SET client_id = $2, episode_id = $3, counsellor_id = $4, facility_id = $5, programme_id = $6,
                        occurred_on = $7, version = $8, change_seq = $9, payload = $10, updated_by = $11, updated_at = $12, device_time = $13, tag = $14
                     WHERE id = $1",
                )
                .bind(record_id.to_string())
                .bind(placement.client_id.clone())
                .bind(placement.episode_id.clone())
                .bind(placement.counsellor_id.clone())
                .bind(placement.facility_id.clone())
                .bind(placement.programme_id.clone())
                .bind(payload.occurred_on().map(|d| d.to_string()))
                .bind(version)
                .bind(seq)
                .bind(stored_payload.clone())
                .bind(actor.user_id.clone())
                .bind(now.clone())
                .bind(device_time.to_string())
                .bind(record_tag(payload))
                .execute(&mut *tx)
                .await?;
                version
            }
        };
        let alerts = self
            .after_write(
                tx,
                actor,
                author_id,
                record_id,
                version,
                write,
                &stored_payload,
                device_time,
            )
            .await?;
        Ok(Written { version, alerts })
    }

    /// For identity records the stored payload is sealed: only the client id stays readable.
    fn sealed_payload(
        &self,
        record_id: &str,
        payload: &RecordPayload,
        canonical: &serde_json::Value,
    ) -> String {
        match payload {
            RecordPayload::ClientIdentity(i) => {
                let client = i.client_id.to_string();
                let sealed = self.keys.seal(&client, canonical.to_string().as_bytes());
                serde_json::json!({"client_id": client, "key_id": self.keys.key_id, "sealed": sealed, "record_id": record_id}).to_string()
            }
            // Supervision notes and action points are free text about counsellors and clients:
            // sealed like identities (record id as associated data), while the rest of the
            // record (date, duration, who attended) stays readable for costing and reports.
            RecordPayload::SupervisionSession(s)
                if s.notes.is_some() || !s.action_points.is_empty() =>
            {
                let mut value = canonical.clone();
                if let Some(obj) = value.as_object_mut() {
                    let private = serde_json::json!({
                        "notes": obj.remove("notes"),
                        "action_points": obj.remove("action_points"),
                    });
                    obj.insert(
                        "sealed_notes".into(),
                        self.keys
                            .seal(record_id, private.to_string().as_bytes())
                            .into(),
                    );
                    obj.insert("record_id".into(), record_id.into());
                }
                value.to_string()
            }
            _ => canonical.to_string(),
        }
    }

    pub(crate) fn sealed_payload_pub(
        &self,
        record_id: &str,
        payload: &RecordPayload,
        canonical: &serde_json::Value,
    ) -> String {
        self.sealed_payload(record_id, payload, canonical)
    }

    /// The plain body of a stored payload (decrypting identities).
    pub(crate) fn open_payload(&self, kind: &str, stored: &str) -> Result<serde_json::Value> {
        let value: serde_json::Value = serde_json::from_str(stored)
            .map_err(|_| StoreError::Internal("stored payload is not JSON".into()))?;
        if kind == RecordKind::ClientIdentity.as_str() {
            let client = value["client_id"].as_str().unwrap_or_default();
            let sealed = value["sealed"].as_str().unwrap_or_default();
            let plain = self.keys.open(client, sealed)?;
            return serde_json::from_slice(&plain)
                .map_err(|_| StoreError::Internal("decrypted identity is not JSON".into()));
        }
        let mut value = value;
        if kind == RecordKind::SupervisionSession.as_str()
            && let Some(obj) = value.as_object_mut()
            && let Some(sealed) = obj.remove("sealed_notes")
        {
            let record = obj
                .remove("record_id")
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let plain = self
                .keys
                .open(&record, sealed.as_str().unwrap_or_default())?;
            let private: serde_json::Value = serde_json::from_slice(&plain)
                .map_err(|_| StoreError::Internal("decrypted notes are not JSON".into()))?;
            for key in ["notes", "action_points"] {
                if let Some(v) = private.get(key).filter(|v| !v.is_null()) {
                    obj.insert(key.into(), v.clone());
                }
            }
        }
        Ok(value)
    }

    fn same_content(&self, kind: RecordKind, stored: &str, canonical: &serde_json::Value) -> bool {
        self.open_payload(kind.as_str(), stored)
            .map(|v| &v == canonical)
            .unwrap_or(false)
    }

    async fn actor_may_write_existing(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        hub: &str,
        owner: Option<&str>,
    ) -> Result<bool> {
        if !actor.may_see_hub(hub) {
            return Ok(false);
        }
        Ok(match actor.role {
            Role::Counsellor => owner == Some(actor.user_id.as_str()),
            Role::Supervisor => match owner {
                Some(o) if o == actor.user_id => true,
                Some(o) => is_supervisee(tx, &actor.user_id, o).await?,
                None => false,
            },
            _ => false,
        })
    }

    /// Resolves where a record belongs and checks the actor may write it there.
    async fn place(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        record_id: &str,
        payload: &RecordPayload,
    ) -> Result<std::result::Result<Placement, Rejection>> {
        let me = actor.user_id.clone();
        Ok(match payload {
            RecordPayload::Client(c) => {
                let prog = sqlx::query("SELECT hub_id FROM programmes WHERE id = $1")
                    .bind(c.programme_id.to_string())
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some(prog) = prog else {
                    return Ok(Err(Rejection::NotFound("data.programme_id")));
                };
                let hub: String = prog.try_get("hub_id")?;
                if !actor.may_see_hub(&hub) {
                    return Ok(Err(Rejection::NotFound("data.programme_id")));
                }
                let fac = sqlx::query(
                    "SELECT id FROM org_units WHERE id = $1 AND hub_id = $2 AND level = 'facility'",
                )
                .bind(c.facility_id.to_string())
                .bind(hub.clone())
                .fetch_optional(&mut *tx)
                .await?;
                if fac.is_none() {
                    return Ok(Err(Rejection::Field(FieldError::new(
                        "data.facility_id",
                        "must be a facility of the programme's hub",
                    ))));
                }
                let counsellor = c
                    .counsellor_id
                    .map(|u| u.to_string())
                    .unwrap_or_else(|| me.clone());
                let allowed = match actor.role {
                    Role::Counsellor => counsellor == me,
                    Role::Supervisor => {
                        counsellor == me || is_supervisee(tx, &me, &counsellor).await?
                    }
                    _ => false,
                };
                if !allowed {
                    return Ok(Err(Rejection::Forbidden(
                        "a client can only be assigned to yourself or a counsellor you supervise",
                    )));
                }
                Ok(Placement {
                    hub_id: hub,
                    client_id: Some(record_id.to_string()),
                    episode_id: None,
                    counsellor_id: Some(counsellor),
                    facility_id: Some(c.facility_id.to_string()),
                    programme_id: Some(c.programme_id.to_string()),
                })
            }
            RecordPayload::SupervisionSession(s) => {
                if s.supervisor_id.to_string() != me {
                    return Ok(Err(Rejection::Field(FieldError::new(
                        "data.supervisor_id",
                        "must be yourself",
                    ))));
                }
                for (i, c) in s.counsellor_ids.iter().enumerate() {
                    if !self.may_supervise(tx, actor, &c.to_string()).await? {
                        return Ok(Err(Rejection::Field(FieldError::new(
                            format!("data.counsellor_ids.{i}"),
                            "must be a counsellor you supervise",
                        ))));
                    }
                }
                Ok(Placement {
                    hub_id: actor.hubs.first().cloned().unwrap_or_default(),
                    client_id: None,
                    episode_id: None,
                    counsellor_id: Some(me),
                    facility_id: None,
                    programme_id: None,
                })
            }
            RecordPayload::CompetencyAssessment(a) => {
                if a.assessor_id.to_string() != me {
                    return Ok(Err(Rejection::Field(FieldError::new(
                        "data.assessor_id",
                        "must be yourself",
                    ))));
                }
                if !self
                    .may_supervise(tx, actor, &a.counsellor_id.to_string())
                    .await?
                {
                    return Ok(Err(Rejection::Field(FieldError::new(
                        "data.counsellor_id",
                        "must be a counsellor you supervise",
                    ))));
                }
                Ok(Placement {
                    hub_id: actor.hubs.first().cloned().unwrap_or_default(),
                    client_id: None,
                    episode_id: None,
                    counsellor_id: Some(a.counsellor_id.to_string()),
                    facility_id: None,
                    programme_id: None,
                })
            }
            RecordPayload::TrainingRecord(t) => {
                let person = t.person_id.to_string();
                if person != me && !self.may_supervise(tx, actor, &person).await? {
                    return Ok(Err(Rejection::Field(FieldError::new(
                        "data.person_id",
                        "must be yourself or a counsellor you supervise",
                    ))));
                }
                Ok(Placement {
                    hub_id: actor.hubs.first().cloned().unwrap_or_default(),
                    client_id: None,
                    episode_id: None,
                    counsellor_id: Some(person),
                    facility_id: None,
                    programme_id: None,
                })
            }
            other => {
                let client_id = other
                    .client_id(uuid::Uuid::nil())
                    .expect("client-level kinds have a client")
                    .to_string();
                let client = sqlx::query("SELECT hub_id, counsellor_id, facility_id, programme_id FROM records WHERE id = $1 AND kind = 'client'")
                    .bind(client_id.clone())
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some(client) = client else {
                    return Ok(Err(Rejection::NotFound("data.client_id")));
                };
                let hub: String = client.try_get("hub_id")?;
                let owner: Option<String> = client.try_get("counsellor_id")?;
                if !self
                    .actor_may_write_existing(tx, actor, &hub, owner.as_deref())
                    .await?
                {
                    return Ok(Err(Rejection::NotFound("data.client_id")));
                }
                let episode_id = other
                    .episode_id(uuid::Uuid::parse_str(record_id).unwrap_or_default())
                    .map(|e| e.to_string());
                if let Some(ep) = &episode_id
                    && ep != record_id
                {
                    let found = sqlx::query(
                        "SELECT client_id FROM records WHERE id = $1 AND kind = 'episode'",
                    )
                    .bind(ep.clone())
                    .fetch_optional(&mut *tx)
                    .await?;
                    match found {
                        Some(r)
                            if r.try_get::<Option<String>, _>("client_id")?.as_deref()
                                == Some(client_id.as_str()) => {}
                        _ => return Ok(Err(Rejection::NotFound("data.episode_id"))),
                    }
                }
                if let RecordPayload::Episode(e) = other {
                    let prog = sqlx::query("SELECT hub_id FROM programmes WHERE id = $1")
                        .bind(e.programme_id.to_string())
                        .fetch_optional(&mut *tx)
                        .await?;
                    let prog_hub = prog.map(|p| p.try_get::<String, _>("hub_id")).transpose()?;
                    if prog_hub.as_ref() != Some(&hub) {
                        return Ok(Err(Rejection::NotFound("data.programme_id")));
                    }
                }
                Ok(Placement {
                    hub_id: hub,
                    client_id: Some(client_id),
                    episode_id,
                    counsellor_id: owner,
                    facility_id: opt_text(&client, "facility_id")?,
                    programme_id: opt_text(&client, "programme_id")?,
                })
            }
        })
    }

    async fn may_supervise(&self, tx: &mut Tx, actor: &Actor, counsellor: &str) -> Result<bool> {
        match actor.role {
            Role::Supervisor => is_supervisee(tx, &actor.user_id, counsellor).await,
            Role::HubManager => {
                let r = sqlx::query("SELECT hub_id FROM users WHERE id = $1")
                    .bind(counsellor.to_string())
                    .fetch_optional(&mut *tx)
                    .await?;
                Ok(r.map(|r| r.try_get::<Option<String>, _>("hub_id"))
                    .transpose()?
                    .flatten()
                    .is_some_and(|h| actor.may_see_hub(&h)))
            }
            _ => Ok(false),
        }
    }

    /// History, scores, alerts, caseload moves and the audit event that follow a write. Returns
    /// the alerts raised.
    #[allow(clippy::too_many_arguments)]
    async fn after_write(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        author_id: &str,
        record_id: &str,
        version: i64,
        write: &PreparedWrite,
        stored_payload: &str,
        device_time: &str,
    ) -> Result<Vec<AckAlert>> {
        let mut raised = Vec::new();
        let (payload, placement, score) = (&write.payload, &write.placement, write.score.as_ref());
        let now = now_timestamp();
        sqlx::query("INSERT INTO record_versions (record_id, version, payload, author_id, recorded_at, device_time) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(record_id.to_string())
            .bind(version)
            .bind(stored_payload.to_string())
            .bind(author_id.to_string())
            .bind(now.clone())
            .bind(device_time.to_string())
            .execute(&mut *tx)
            .await?;
        match payload {
            RecordPayload::Client(_) => {
                // A client moved to another counsellor takes its whole history along, so the new
                // counsellor's next pull brings it all.
                let moved = sqlx::query("SELECT id FROM records WHERE client_id = $1 AND id <> $1 AND (counsellor_id IS NULL OR counsellor_id <> $2)")
                    .bind(record_id.to_string())
                    .bind(placement.counsellor_id.clone())
                    .fetch_all(&mut *tx)
                    .await?;
                for r in moved {
                    let seq = next_change_seq(tx, self.schema, &placement.hub_id).await?;
                    sqlx::query(
                        "UPDATE records SET counsellor_id = $1, change_seq = $2 WHERE id = $3",
                    )
                    .bind(placement.counsellor_id.clone())
                    .bind(seq)
                    .bind(r.try_get::<String, _>("id")?)
                    .execute(&mut *tx)
                    .await?;
                }
                sqlx::query("UPDATE risk_alerts SET counsellor_id = $1 WHERE client_id = $2")
                    .bind(placement.counsellor_id.clone())
                    .bind(record_id.to_string())
                    .execute(&mut *tx)
                    .await?;
                // Alerts still to act on go to the new counsellor's supervisor, and edits still
                // to review to whoever now reviews the caseload.
                sqlx::query(
                    "UPDATE risk_alerts SET supervisor_id = COALESCE((SELECT supervisor_id FROM users WHERE id = $1), supervisor_id)
                     WHERE client_id = $2 AND status IN ('open', 'escalated')",
                )
                .bind(placement.counsellor_id.clone())
                .bind(record_id.to_string())
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE sync_conflicts SET counsellor_id = $1 WHERE client_id = $2 AND status = 'open'",
                )
                .bind(placement.counsellor_id.clone())
                .bind(record_id.to_string())
                .execute(&mut *tx)
                .await?;
            }
            RecordPayload::ClientIdentity(i) => {
                let sealed: serde_json::Value =
                    serde_json::from_str(stored_payload).unwrap_or_default();
                let client = i.client_id.to_string();
                // hub_id is given here (not left to the insert trigger) because it is part of
                // the conflict target: the key that a table distributed by hub must use.
                let keyed_by_hub = self.schema >= crate::migrate::HUB_IN_KEYS_SCHEMA;
                let q = sqlx::query(if keyed_by_hub {
                    "INSERT INTO client_identities (client_id, key_id, ciphertext, version, updated_at, hub_id) VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (client_id, hub_id) DO UPDATE SET key_id = $2, ciphertext = $3, version = $4, updated_at = $5"
                } else {
                    "INSERT INTO client_identities (client_id, key_id, ciphertext, version, updated_at) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (client_id) DO UPDATE SET key_id = $2, ciphertext = $3, version = $4, updated_at = $5"
                })
                .bind(client)
                .bind(self.keys.key_id.clone())
                .bind(sealed["sealed"].as_str().unwrap_or_default().to_string())
                .bind(version)
                .bind(now.clone());
                let q = if keyed_by_hub {
                    q.bind(placement.hub_id.clone())
                } else {
                    q
                };
                q.execute(&mut *tx).await?;
            }
            RecordPayload::Assessment(a) => {
                let s = score.cloned().unwrap_or_default();
                let keyed_by_hub = self.schema >= crate::migrate::HUB_IN_KEYS_SCHEMA;
                let q = sqlx::query(if keyed_by_hub {
                    "INSERT INTO assessment_scores (record_id, client_id, instrument, total, band, positive, detail, instrument_version, hub_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                     ON CONFLICT (record_id, hub_id) DO UPDATE SET client_id = $2, instrument = $3, total = $4, band = $5, positive = $6, detail = $7, instrument_version = $8"
                } else {
                    "INSERT INTO assessment_scores (record_id, client_id, instrument, total, band, positive, detail, instrument_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                     ON CONFLICT (record_id) DO UPDATE SET client_id = $2, instrument = $3, total = $4, band = $5, positive = $6, detail = $7, instrument_version = $8"
                })
                .bind(record_id.to_string())
                .bind(a.client_id.to_string())
                .bind(a.instrument.clone())
                .bind(s.total)
                .bind(s.band.clone())
                .bind(s.positive.map(i64::from))
                .bind(s.detail.to_string())
                .bind(s.instrument_version.clone());
                let q = if keyed_by_hub {
                    q.bind(placement.hub_id.clone())
                } else {
                    q
                };
                q.execute(&mut *tx).await?;
                for flag in &s.risk_flags {
                    if let Some(alert) = self
                        .raise_alert(tx, actor, record_id, placement, flag)
                        .await?
                    {
                        raised.push(alert);
                    }
                }
            }
            RecordPayload::CompetencyAssessment(c) if !write.harmful.is_empty() => {
                self.raise_safety_flag(
                    tx,
                    actor,
                    record_id,
                    &c.counsellor_id.to_string(),
                    &c.assessor_id.to_string(),
                    &placement.hub_id,
                    &write.harmful,
                )
                .await?;
            }
            _ => {}
        }
        let mut ev = AuditEvent::new(
            if version == 1 {
                "record.create"
            } else {
                "record.update"
            },
            "record",
        )
        .entity(record_id.to_string())
        .hub(Some(placement.hub_id.clone()));
        if let Some(c) = &placement.client_id {
            ev = ev.client(c.clone());
        }
        self.audit_in(
            tx,
            Some(actor),
            &ev.detail(serde_json::json!({"kind": payload.kind().as_str(), "version": version})),
        )
        .await?;
        Ok(raised)
    }

    /// Raises the alert for one risk flag of a record, unless that record already has it;
    /// returns the alert when it is new.
    async fn raise_alert(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        record_id: &str,
        placement: &Placement,
        flag: &RiskFlagSummary,
    ) -> Result<Option<AckAlert>> {
        let exists =
            sqlx::query("SELECT id FROM risk_alerts WHERE record_id = $1 AND rule_id = $2")
                .bind(record_id.to_string())
                .bind(flag.rule_id.clone())
                .fetch_optional(&mut *tx)
                .await?;
        if exists.is_some() {
            return Ok(None);
        }
        let supervisor = match &placement.counsellor_id {
            Some(c) => sqlx::query("SELECT supervisor_id FROM users WHERE id = $1")
                .bind(c.clone())
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| r.try_get::<Option<String>, _>("supervisor_id"))
                .transpose()?
                .flatten(),
            None => None,
        };
        let hours: i64 = match &placement.programme_id {
            Some(p) => sqlx::query("SELECT alert_ack_hours FROM programmes WHERE id = $1")
                .bind(p.clone())
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| r.try_get::<i64, _>("alert_ack_hours"))
                .transpose()?
                .unwrap_or(24),
            None => 24,
        };
        let hours = alert_deadline_hours(hours, &flag.level);
        let id = uuid::Uuid::new_v4().to_string();
        let client = placement.client_id.clone().unwrap_or_default();
        let due_at = timestamp_in(hours);
        sqlx::query(
            "INSERT INTO risk_alerts (id, hub_id, client_id, record_id, rule_id, level, counsellor_id, supervisor_id, raised_at, due_at, status)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open')",
        )
        .bind(id.clone())
        .bind(placement.hub_id.clone())
        .bind(client.clone())
        .bind(record_id.to_string())
        .bind(flag.rule_id.clone())
        .bind(flag.level.clone())
        .bind(placement.counsellor_id.clone())
        .bind(supervisor.clone())
        .bind(now_timestamp())
        .bind(due_at.clone())
        .execute(&mut *tx)
        .await?;
        // Whoever must act is told in the same transaction: the supervisor, or the hub's
        // managers when the counsellor has none (or theirs no longer has an active account).
        // No alert without its notification.
        let recipients = match supervisor {
            Some(s) if crate::notifications::is_active(tx, &s).await? => vec![s],
            _ => crate::notifications::hub_managers(tx, &placement.hub_id).await?,
        };
        for recipient in recipients {
            self.enqueue_notification(
                tx,
                crate::notifications::Outgoing::alert_raised(&id, &flag.level, &due_at),
                &placement.hub_id,
                &recipient,
            )
            .await?;
        }
        self.audit_in(
            tx,
            Some(actor),
            &AuditEvent::new("alert.raise", "risk_alert")
                .entity(id.clone())
                .client(client)
                .hub(Some(placement.hub_id.clone()))
                .detail(serde_json::json!({"rule": flag.rule_id, "level": flag.level})),
        )
        .await?;
        Ok(Some(AckAlert {
            id,
            rule_id: flag.rule_id.clone(),
            level: flag.level.clone(),
            due_at,
        }))
    }

    /// Changes in the actor's caseload after `cursor`, oldest first within each hub.
    ///
    /// Change sequence numbers are per hub (schema 12), so the cursor holds one number per hub
    /// the caller has pulled from (see [`PullCursor`]); hubs are walked in id order, each up to
    /// what is left of the page. A caller of one hub (every counsellor and supervisor) walks
    /// one hub's index, as before.
    pub async fn pull(&self, actor: &Actor, cursor: &str, limit: i64) -> Result<PullPage> {
        let mut position = PullCursor::parse(cursor)?;
        let after_floor = position.floor;
        let limit = limit.clamp(1, 5000);
        let hubs: Vec<String> = if self.schema < crate::migrate::PER_HUB_SCHEMA {
            // One store-wide sequence: the whole scope is one walk (the floor).
            Vec::new()
        } else if actor.role.sees_every_hub() {
            sqlx::query_scalar("SELECT id FROM hubs ORDER BY id")
                .fetch_all(&self.pool)
                .await?
        } else {
            let mut hubs = actor.hubs.clone();
            hubs.sort();
            hubs.dedup();
            hubs
        };
        let walks: Vec<Option<&str>> = if self.schema < crate::migrate::PER_HUB_SCHEMA {
            vec![None]
        } else {
            hubs.iter().map(|h| Some(h.as_str())).collect()
        };
        let mut rows = Vec::new();
        let mut has_more = false;
        for hub in walks {
            let remaining = limit - rows.len() as i64;
            if remaining == 0 {
                // The page is full before this hub was asked: the next pull starts there.
                has_more = true;
                break;
            }
            let after = hub.map_or(position.floor, |h| position.after(h));
            let mut sql = Sql::new(
                "SELECT r.id, r.kind, r.version, r.change_seq, r.payload, r.client_id, s.detail AS score FROM records r
                 LEFT JOIN assessment_scores s ON s.record_id = r.id WHERE r.change_seq > ",
            );
            sql.bind(crate::scope::Bind::Int(after));
            if let Some(h) = hub {
                sql.push(" AND r.hub_id = ").bind_text(h);
            }
            actor.push_scope(&mut sql, "r");
            sql.push(" ORDER BY r.change_seq LIMIT ")
                .bind(crate::scope::Bind::Int(remaining + 1));
            let mut found = sql.query().fetch_all(&self.pool).await?;
            if found.len() as i64 > remaining {
                has_more = true;
                found.truncate(remaining as usize);
            }
            if let Some(last) = found.last() {
                let seq: i64 = last.try_get("change_seq")?;
                match hub {
                    Some(h) => position.advance(h, seq),
                    None => position.floor = seq,
                }
            }
            rows.extend(found);
        }
        let mut changes = Vec::new();
        let mut clients = BTreeSet::new();
        let may_identity = actor.role.can(Capability::ReadIdentity);
        for r in &rows {
            let kind: String = r.try_get("kind")?;
            let seq: i64 = r.try_get("change_seq")?;
            if kind == RecordKind::ClientIdentity.as_str() && !may_identity {
                continue;
            }
            if let Some(c) = opt_text(r, "client_id")? {
                clients.insert(c);
            }
            let data = self.open_payload(&kind, &r.try_get::<String, _>("payload")?)?;
            let score = opt_text(r, "score")?.and_then(|s| serde_json::from_str(&s).ok());
            changes.push(Change {
                kind,
                id: r.try_get("id")?,
                version: r.try_get("version")?,
                seq,
                data,
                score,
            });
        }
        self.audit(
            Some(actor),
            AuditEvent::new("sync.pull", "batch").hub(actor.hubs.first().cloned()).detail(serde_json::json!({
                "changes": changes.len(), "clients": clients.into_iter().collect::<Vec<_>>(), "after": after_floor
            })),
        )
        .await?;
        Ok(PullPage {
            changes,
            next_cursor: position.to_string(),
            has_more,
        })
    }

    /// Clients the actor may see, paginated by id, filtered by site (any org unit: its whole
    /// subtree) and registration period.
    pub async fn clients(
        &self,
        actor: &Actor,
        site: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<(Vec<ClientRow>, Option<String>)> {
        let limit = limit.clamp(1, 1000);
        if let Some(from) = from {
            scaleup_domain::date::Date::parse(from, "from")?;
        }
        if let Some(to) = to {
            scaleup_domain::date::Date::parse(to, "to")?;
        }
        // An index gives id order within one hub, not across several: a caller who sees several
        // hubs gets one ordered query per hub, merged here, instead of a sort of all their clients.
        let per_hub: Vec<Actor> = if !actor.role.is_caseload_scoped() && actor.hubs.len() > 1 {
            actor
                .hubs
                .iter()
                .map(|h| Actor {
                    hubs: vec![h.clone()],
                    ..actor.clone()
                })
                .collect()
        } else {
            vec![actor.clone()]
        };
        let mut rows = Vec::new();
        for scoped in &per_hub {
            let mut sql = Sql::new(
                "SELECT r.id, r.hub_id, r.counsellor_id, r.facility_id, r.programme_id, r.occurred_on, r.version, r.payload FROM records r WHERE r.kind = 'client'",
            );
            scoped.push_scope(&mut sql, "r");
            if let Some(site) = site {
                sql.push(" AND r.facility_id IN (WITH RECURSIVE sub(id) AS (SELECT id FROM org_units WHERE id = ")
                    .bind_text(site)
                    .push(" UNION ALL SELECT o.id FROM org_units o JOIN sub ON o.parent_id = sub.id) SELECT id FROM sub)");
            }
            if let Some(from) = from {
                sql.push(" AND r.occurred_on >= ").bind_text(from);
            }
            if let Some(to) = to {
                sql.push(" AND r.occurred_on <= ").bind_text(to);
            }
            if let Some(c) = cursor {
                sql.push(" AND r.id > ").bind_text(c);
            }
            sql.push(" ORDER BY r.id LIMIT ")
                .bind(crate::scope::Bind::Int(limit + 1));
            for r in sql.query().fetch_all(&self.pool).await? {
                rows.push(client_row(&r)?);
            }
        }
        rows.sort_by(|a, b| a.id.cmp(&b.id));
        let has_more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next = if has_more {
            rows.last().map(|c| c.id.clone())
        } else {
            None
        };
        let out = rows;
        if !out.is_empty() {
            self.audit(
                Some(actor),
                AuditEvent::new("client.list", "client")
                    .hub(actor.hubs.first().cloned())
                    .detail(serde_json::json!({
                        "clients": out.iter().map(|c| c.id.clone()).collect::<Vec<_>>()
                    })),
            )
            .await?;
        }
        Ok((out, next))
    }

    /// One client, if the actor may see it; `NotFound` otherwise (whether or not it exists).
    pub async fn client(&self, actor: &Actor, id: &str) -> Result<ClientRow> {
        let mut sql = Sql::new(
            "SELECT r.id, r.hub_id, r.counsellor_id, r.facility_id, r.programme_id, r.occurred_on, r.version, r.payload FROM records r WHERE r.kind = 'client' AND r.id = ",
        );
        sql.bind_text(id);
        actor.push_scope(&mut sql, "r");
        let row = sql
            .query()
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        let client = client_row(&row)?;
        self.audit(
            Some(actor),
            AuditEvent::new("client.read", "client")
                .entity(id)
                .client(id)
                .hub(Some(client.hub_id.clone())),
        )
        .await?;
        Ok(client)
    }

    /// Every record of one client (identities only for roles that may read them).
    pub async fn client_records(&self, actor: &Actor, id: &str) -> Result<Vec<RecordRow>> {
        let client = self.client(actor, id).await?;
        let rows = sqlx::query(
            "SELECT r.id, r.kind, r.version, r.occurred_on, r.payload, s.detail AS score FROM records r
             LEFT JOIN assessment_scores s ON s.record_id = r.id WHERE r.client_id = $1 ORDER BY r.occurred_on, r.change_seq",
        )
        .bind(client.id.clone())
        .fetch_all(&self.pool)
        .await?;
        let may_identity = actor.role.can(Capability::ReadIdentity);
        let mut out = Vec::new();
        for r in &rows {
            let kind: String = r.try_get("kind")?;
            if kind == RecordKind::ClientIdentity.as_str() && !may_identity {
                continue;
            }
            out.push(RecordRow {
                id: r.try_get("id")?,
                data: self.open_payload(&kind, &r.try_get::<String, _>("payload")?)?,
                kind,
                version: r.try_get("version")?,
                occurred_on: opt_text(r, "occurred_on")?,
                score: opt_text(r, "score")?.and_then(|s| serde_json::from_str(&s).ok()),
            });
        }
        self.audit(
            Some(actor),
            AuditEvent::new("client.records.read", "client")
                .entity(id)
                .client(id)
                .hub(Some(client.hub_id))
                .detail(serde_json::json!({"records": out.len()})),
        )
        .await?;
        Ok(out)
    }

    /// Decrypted identifying details of one client.
    pub async fn client_identity(&self, actor: &Actor, id: &str) -> Result<serde_json::Value> {
        if !actor.role.can(Capability::ReadIdentity) {
            return Err(StoreError::NotFound);
        }
        let mut sql =
            Sql::new("SELECT r.id, r.hub_id FROM records r WHERE r.kind = 'client' AND r.id = ");
        sql.bind_text(id);
        actor.push_scope(&mut sql, "r");
        let row = sql
            .query()
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        let hub: String = row.try_get("hub_id")?;
        let ident = sqlx::query("SELECT ciphertext FROM client_identities WHERE client_id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        let Some(ident) = ident else {
            return Err(StoreError::NotFound);
        };
        let plain = self
            .keys
            .open(id, &ident.try_get::<String, _>("ciphertext")?)?;
        self.audit(
            Some(actor),
            AuditEvent::new("identity.read", "client")
                .entity(id)
                .client(id)
                .hub(Some(hub)),
        )
        .await?;
        serde_json::from_slice(&plain)
            .map_err(|_| StoreError::Internal("identity is not JSON".into()))
    }

    /// Risk alerts the actor is responsible for or may see.
    pub async fn alerts(&self, actor: &Actor, status: Option<&str>) -> Result<Vec<AlertRow>> {
        let filter = AlertFilter {
            status: status.map(str::to_string),
            limit: 1000,
            ..Default::default()
        };
        Ok(self.alerts_page(actor, &filter).await?.0)
    }

    /// A page of alerts, newest first, filtered by status and by the period they were raised in;
    /// `next_cursor` continues after the last one.
    pub async fn alerts_page(
        &self,
        actor: &Actor,
        filter: &AlertFilter,
    ) -> Result<(Vec<AlertRow>, Option<String>)> {
        let mut sql = Sql::new("SELECT * FROM risk_alerts a WHERE 1 = 1");
        match actor.role {
            Role::Supervisor => {
                sql.push(" AND (a.supervisor_id = ")
                    .bind_text(actor.user_id.clone())
                    .push(" OR a.counsellor_id = ")
                    .bind_text(actor.user_id.clone())
                    .push(")");
            }
            Role::HubManager | Role::Counsellor => actor.push_scope(&mut sql, "a"),
            Role::Admin => {}
            Role::Researcher | Role::Viewer => {
                return Err(StoreError::Forbidden("alerts are for care staff"));
            }
        }
        if let Some(s) = &filter.status {
            if !["open", "acknowledged", "escalated"].contains(&s.as_str()) {
                return Err(StoreError::invalid(
                    "status",
                    "must be open, acknowledged or escalated",
                ));
            }
            sql.push(" AND a.status = ").bind_text(s.clone());
        }
        // Dates filter on the raised time; `to` includes the whole day.
        if let Some(from) = &filter.from {
            scaleup_domain::date::Date::parse(from, "from")?;
            sql.push(" AND a.raised_at >= ").bind_text(from.clone());
        }
        if let Some(to) = &filter.to {
            scaleup_domain::date::Date::parse(to, "to")?;
            sql.push(" AND a.raised_at < ")
                .bind_text(format!("{to}T99"));
        }
        if let Some(cursor) = &filter.cursor {
            let (at, id) = cursor.split_once('|').ok_or_else(|| {
                StoreError::invalid("cursor", "must be a cursor returned by an earlier page")
            })?;
            sql.push(" AND (a.raised_at < ")
                .bind_text(at)
                .push(" OR (a.raised_at = ")
                .bind_text(at)
                .push(" AND a.id < ")
                .bind_text(id)
                .push("))");
        }
        let limit = filter.limit.clamp(1, 1000);
        sql.push(" ORDER BY a.raised_at DESC, a.id DESC LIMIT ")
            .bind(crate::scope::Bind::Int(limit + 1));
        let rows = sql.query().fetch_all(&self.pool).await?;
        let mut alerts = rows.iter().map(alert_row).collect::<Result<Vec<_>>>()?;
        let has_more = alerts.len() as i64 > limit;
        alerts.truncate(limit as usize);
        let next = if has_more {
            alerts.last().map(|a| format!("{}|{}", a.raised_at, a.id))
        } else {
            None
        };
        if !alerts.is_empty() {
            self.audit(Some(actor), AuditEvent::new("alert.list", "risk_alert").hub(actor.hubs.first().cloned()).detail(serde_json::json!({"clients": alerts.iter().map(|a| a.client_id.clone()).collect::<BTreeSet<_>>()})))
                .await?;
        }
        Ok((alerts, next))
    }

    /// Escalates every open alert past its deadline to its hub's manager. Idempotent; every
    /// server runs it periodically, and running it twice at once escalates each alert once.
    pub async fn escalate_overdue_alerts(&self) -> Result<usize> {
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(
            "SELECT id, hub_id, client_id, level FROM risk_alerts WHERE status = 'open' AND due_at < $1",
        )
        .bind(now_timestamp())
        .fetch_all(&mut *tx)
        .await?;
        let mut n = 0;
        for r in &rows {
            let id: String = r.try_get("id")?;
            let hub: String = r.try_get("hub_id")?;
            let manager = sqlx::query("SELECT id FROM users WHERE hub_id = $1 AND role = 'hub_manager' AND active = 1 ORDER BY created_at LIMIT 1")
                .bind(hub.clone())
                .fetch_optional(&mut *tx)
                .await?
                .map(|m| m.try_get::<String, _>("id"))
                .transpose()?;
            let updated = sqlx::query("UPDATE risk_alerts SET status = 'escalated', escalated_at = $1, escalated_to = $2 WHERE id = $3 AND status = 'open'")
                .bind(now_timestamp())
                .bind(manager.clone())
                .bind(id.clone())
                .execute(&mut *tx)
                .await?;
            // Another server's sweep escalated it first (PostgreSQL re-checks the status after
            // waiting for its lock): it has been audited and notified there.
            if updated.rows_affected() == 0 {
                continue;
            }
            if let Some(manager) = &manager {
                let level: String = r.try_get("level")?;
                self.enqueue_notification(
                    &mut tx,
                    crate::notifications::Outgoing::alert_escalated(&id, &level),
                    &hub,
                    manager,
                )
                .await?;
            }
            self.audit_in(
                &mut tx,
                None,
                &AuditEvent::new("alert.escalate", "risk_alert")
                    .entity(id)
                    .client(r.try_get::<String, _>("client_id")?)
                    .hub(Some(hub))
                    .detail(serde_json::json!({"to": manager})),
            )
            .await?;
            n += 1;
        }
        tx.commit().await?;
        Ok(n)
    }

    /// Open conflicts the actor may review (the first [`MAX_CONFLICT_PAGE`]; see
    /// [`Store::conflicts_page`] for the rest).
    pub async fn conflicts(&self, actor: &Actor) -> Result<Vec<ConflictRow>> {
        Ok(self.conflicts_page(actor, None, MAX_CONFLICT_PAGE).await?.0)
    }

    /// A page of the open conflicts the actor may review (supervisors for their supervisees,
    /// hub managers for their hubs), oldest first; the second value is the cursor of the next
    /// page (`received_at|id` of the last row), `None` on the last one. Audited with the
    /// clients on the page.
    pub async fn conflicts_page(
        &self,
        actor: &Actor,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<(Vec<ConflictRow>, Option<String>)> {
        let limit = limit.clamp(1, MAX_CONFLICT_PAGE);
        let mut sql = self.visible_conflicts_sql(actor)?;
        if let Some(cursor) = cursor {
            let (at, id) = cursor.split_once('|').ok_or_else(|| {
                StoreError::invalid("cursor", "must be a cursor returned by an earlier page")
            })?;
            sql.push(" AND (c.received_at > ")
                .bind_text(at)
                .push(" OR (c.received_at = ")
                .bind_text(at)
                .push(" AND c.id > ")
                .bind_text(id)
                .push("))");
        }
        sql.push(" ORDER BY c.received_at, c.id LIMIT ")
            .bind(crate::scope::Bind::Int(limit + 1));
        let rows = sql.query().fetch_all(&self.pool).await?;
        let mut out = rows
            .iter()
            .map(|r| self.conflict_row(r))
            .collect::<Result<Vec<_>>>()?;
        let has_more = out.len() as i64 > limit;
        out.truncate(limit as usize);
        let next = if has_more {
            out.last().map(|c| format!("{}|{}", c.received_at, c.id))
        } else {
            None
        };
        if !out.is_empty() {
            self.audit(Some(actor), AuditEvent::new("conflict.list", "sync_conflict").hub(actor.hubs.first().cloned()).detail(serde_json::json!({"clients": out.iter().filter_map(|c| c.client_id.clone()).collect::<BTreeSet<_>>()})))
                .await?;
        }
        Ok((out, next))
    }

    /// One open conflict the actor may review, by id (audited); `NotFound` when it is absent,
    /// resolved or not the actor's to see.
    pub async fn conflict(&self, actor: &Actor, conflict_id: &str) -> Result<ConflictRow> {
        let row = self.visible_conflict(actor, conflict_id).await?;
        let mut event = AuditEvent::new("conflict.read", "sync_conflict")
            .entity(row.id.clone())
            .hub(actor.hubs.first().cloned());
        if let Some(client) = &row.client_id {
            event = event.client(client.clone());
        }
        self.audit(Some(actor), event).await?;
        Ok(row)
    }

    async fn visible_conflict(&self, actor: &Actor, conflict_id: &str) -> Result<ConflictRow> {
        let mut sql = self.visible_conflicts_sql(actor)?;
        sql.push(" AND c.id = ").bind_text(conflict_id);
        let row = sql
            .query()
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        self.conflict_row(&row)
    }

    /// Open conflicts within the actor's scope, before ordering and paging.
    fn visible_conflicts_sql(&self, actor: &Actor) -> Result<Sql> {
        if !actor.role.can(Capability::ReviewClinical) {
            return Err(StoreError::Forbidden(
                "conflict review is for supervisors and hub managers",
            ));
        }
        let mut sql = Sql::new(
            "SELECT c.*, r.payload AS server_payload FROM sync_conflicts c JOIN records r ON r.id = c.record_id WHERE c.status = 'open'",
        );
        actor.push_scope(&mut sql, "c");
        Ok(sql)
    }

    fn conflict_row(&self, r: &sqlx::any::AnyRow) -> Result<ConflictRow> {
        let kind: String = r.try_get("kind")?;
        Ok(ConflictRow {
            id: r.try_get("id")?,
            record_id: r.try_get("record_id")?,
            server_data: self.open_payload(&kind, &r.try_get::<String, _>("server_payload")?)?,
            incoming_data: self
                .open_payload(&kind, &r.try_get::<String, _>("incoming_payload")?)?,
            kind,
            client_id: opt_text(r, "client_id")?,
            counsellor_id: opt_text(r, "counsellor_id")?,
            base_version: r.try_get("base_version")?,
            server_version: r.try_get("server_version")?,
            author_id: r.try_get("author_id")?,
            device_time: r.try_get("device_time")?,
            received_at: r.try_get("received_at")?,
            status: r.try_get("status")?,
            resolution: opt_text(r, "resolution")?,
        })
    }

    /// Resolves a conflict: keep the server's version, or make the incoming one current
    /// (as a new version, so the server's version stays in the history).
    pub async fn resolve_conflict(
        &self,
        actor: &Actor,
        conflict_id: &str,
        keep: &str,
    ) -> Result<()> {
        if !["server", "incoming"].contains(&keep) {
            return Err(StoreError::invalid("keep", "must be server or incoming"));
        }
        self.refresh_definitions().await?;
        // By id, not among a first page: any open conflict in scope can be resolved.
        let visible = self.visible_conflict(actor, conflict_id).await?;
        // Read before the write transaction: on SQLite it holds the one write lock.
        let author = if keep == "incoming" {
            match self.user(&visible.author_id).await? {
                Some(user) if user.active => Some(self.actor_for(&user).await?),
                _ => {
                    return Err(StoreError::invalid(
                        "keep",
                        "the incoming version's author no longer has an active account: keep the server's version and re-enter the change",
                    ));
                }
            }
        } else {
            None
        };
        let mut tx = self.begin_write().await?;
        if let Some(author) = author {
            // The incoming version is written as its author would have written it, through the
            // same checks and the same write path as a sync, so it is rescored and raises its
            // risk alerts. The reviewer is recorded as the one who made it current.
            let kind = RecordKind::parse(&visible.kind).ok_or(StoreError::NotFound)?;
            let payload = parse_payload(kind, &visible.incoming_data)?;
            let write = match self
                .prepare_write(&mut tx, &author, &visible.record_id, payload)
                .await?
            {
                Ok(w) => w,
                Err(rejection) => {
                    return Err(StoreError::invalid(
                        "keep",
                        format!(
                            "the incoming version can no longer be written: {}",
                            rejection.message()
                        ),
                    ));
                }
            };
            let cur =
                sqlx::query("SELECT version, hub_id, counsellor_id FROM records WHERE id = $1")
                    .bind(visible.record_id.clone())
                    .fetch_one(&mut *tx)
                    .await?;
            let current: i64 = cur.try_get("version")?;
            let owner: Option<String> = cur.try_get("counsellor_id")?;
            if !self
                .actor_may_write_existing(
                    &mut tx,
                    &author,
                    &cur.try_get::<String, _>("hub_id")?,
                    owner.as_deref(),
                )
                .await?
            {
                return Err(StoreError::invalid(
                    "keep",
                    "the incoming version can no longer be written: the record is no longer in its author's caseload",
                ));
            }
            self.write_version(
                &mut tx,
                actor,
                &visible.author_id,
                &visible.record_id,
                &write,
                Some(current),
                &visible.device_time,
            )
            .await?;
        }
        sqlx::query("UPDATE sync_conflicts SET status = 'resolved', resolved_by = $1, resolved_at = $2, resolution = $3 WHERE id = $4")
            .bind(actor.user_id.clone())
            .bind(now_timestamp())
            .bind(format!("kept_{keep}"))
            .bind(conflict_id.to_string())
            .execute(&mut *tx)
            .await?;
        let mut ev = AuditEvent::new("conflict.resolve", "sync_conflict")
            .entity(conflict_id)
            .hub(actor.hubs.first().cloned());
        if let Some(c) = &visible.client_id {
            ev = ev.client(c.clone());
        }
        self.audit_in(
            &mut tx,
            Some(actor),
            &ev.detail(serde_json::json!({"kept": keep, "record_id": visible.record_id})),
        )
        .await?;
        self.refresh_indicator_facts(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Aggregate counts per facility and month for the actor's hubs, with small cells suppressed.
    /// Indicators: registered, screened, eligible, offered, accepted, declined, enrolled,
    /// sessions_attended, sessions_missed, episodes_completed, episodes_dropped_out (episodes
    /// are counted in their enrolment month). Grouped in SQL: no client row leaves the database.
    pub async fn summary(
        &self,
        actor: &Actor,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Vec<SummaryCell>> {
        // Counts kept by triggers on records (migration 0004): whole months of the period come
        // from the monthly table, its ragged ends from the daily one, so a request reads a few
        // thousand rows however many records there are, and the period keeps day precision.
        use scaleup_domain::date::{Date, MonthSplit};
        let from = from.map(|f| Date::parse(f, "from")).transpose()?;
        let to = to.map(|t| Date::parse(t, "to")).transpose()?;
        let split = MonthSplit::new(from, to);
        // Aggregates cover whole hubs for every role; scoping by caseload does not apply.
        let scope = |sql: &mut Sql| {
            if !actor.role.sees_every_hub() {
                sql.push_in("c.hub_id", &actor.hubs);
            }
        };
        // One row per facility and month with a column per indicator: few rows cross from the
        // database (each row costs more than its arithmetic), and the indicator rules live in
        // one table, INDICATORS.
        let columns = indicator_columns();
        let mut queries = Vec::new();
        if let Some((low, high)) = &split.months {
            let mut sql = Sql::new(&format!(
                "SELECT c.facility_id, c.month, {columns} FROM summary_counts_monthly c WHERE c.n > 0"
            ));
            scope(&mut sql);
            if from.is_some() || to.is_some() {
                // Records without a date count only in an unbounded summary, as before.
                sql.push(" AND c.month <> ''");
            }
            if let Some(l) = low {
                sql.push(" AND c.month >= ").bind_text(l.clone());
            }
            if let Some(h) = high {
                sql.push(" AND c.month <= ").bind_text(h.clone());
            }
            sql.push(" GROUP BY c.facility_id, c.month");
            queries.push(sql);
        }
        for (first, last) in &split.days {
            let mut sql = Sql::new(&format!(
                "SELECT c.facility_id, SUBSTR(c.day, 1, 7) AS month, {columns} FROM summary_counts c WHERE c.n > 0"
            ));
            scope(&mut sql);
            sql.push(" AND c.day >= ").bind_text(first.to_string());
            sql.push(" AND c.day <= ").bind_text(last.to_string());
            sql.push(" GROUP BY c.facility_id, SUBSTR(c.day, 1, 7)");
            queries.push(sql);
        }
        let mut counts = CellCounts::default();
        for sql in queries {
            for r in sql.query().fetch_all(&self.pool).await? {
                let facility: String = r.try_get("facility_id")?;
                let month: String = r.try_get::<Option<String>, _>("month")?.unwrap_or_default();
                for (i, (indicator, ..)) in INDICATORS.iter().enumerate() {
                    let n: i64 = r.try_get(format!("i{i}").as_str())?;
                    counts.add(&facility, &month, indicator, n);
                }
            }
        }
        Ok(counts.cells())
    }

    /// Per-client summaries of a supervisor's (or hub manager's) caseload, for flags.
    /// One page of the caller's caseload, ordered by client id: the clients in care with their
    /// episode status, attendance and scores. `cursor` is the last client id of the previous
    /// page; the second value is the cursor of the next page, `None` on the last one.
    pub async fn caseload(
        &self,
        actor: &Actor,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<(Vec<CaseloadEntry>, Option<String>)> {
        if !matches!(
            actor.role,
            Role::Supervisor | Role::HubManager | Role::Counsellor
        ) {
            return Err(StoreError::Forbidden("caseloads are for care staff"));
        }
        let limit = limit.clamp(1, MAX_CASELOAD_PAGE);
        // Step 1, the page's clients. The caseload is the clients in care: an episode still open,
        // or enrolled in the last 180 days (so recent dropouts show). Closed history stays out of
        // supervision lists. The caller's scope applies here, on the episodes, so the database
        // walks only the caller's own episodes (an index on counsellor or hub) — unscoped, this
        // step read every episode of every hub: 2 s for a counsellor's 17 clients at 1M clients.
        let cutoff = crate::time_util::format_timestamp(
            time::OffsetDateTime::now_utc() - time::Duration::days(180),
        );
        let mut page =
            Sql::new("SELECT DISTINCT e.client_id FROM records e WHERE e.kind = 'episode'");
        actor.push_scope(&mut page, "e");
        page.push(" AND (e.tag = 'open' OR e.occurred_on >= ")
            .bind_text(cutoff[..10].to_string())
            .push(")");
        if let Some(c) = cursor {
            page.push(" AND e.client_id > ").bind_text(c);
        }
        page.push(" ORDER BY e.client_id LIMIT ")
            .bind(crate::scope::Bind::Int(limit + 1));
        let mut clients: Vec<String> = Vec::new();
        for r in page.query().fetch_all(&self.pool).await? {
            if let Some(c) = opt_text(&r, "client_id")? {
                clients.push(c);
            }
        }
        let next = if clients.len() as i64 > limit {
            clients.truncate(limit as usize);
            clients.last().cloned()
        } else {
            None
        };
        if clients.is_empty() {
            return Ok((Vec::new(), None));
        }
        // Step 2, their records (scoped again: a client's records are in the caller's scope when
        // its episode is, but the check costs nothing and keeps the rule in one place).
        let mut sql = Sql::new(
            "SELECT r.id, r.kind, r.client_id, r.episode_id, r.counsellor_id, r.programme_id, r.occurred_on, r.payload, s.total, s.instrument, s.detail FROM records r
             LEFT JOIN assessment_scores s ON s.record_id = r.id WHERE r.kind IN ('client', 'episode', 'session', 'assessment')",
        );
        sql.push_in("r.client_id", &clients);
        actor.push_scope(&mut sql, "r");
        sql.push(" ORDER BY r.client_id, r.occurred_on");
        // Unacknowledged = open or escalated, named so the (status, due_at) index serves it:
        // `status <> 'acknowledged'` scanned all 78,000 alerts of a 1M-client database.
        let mut alerts =
            Sql::new("SELECT client_id FROM risk_alerts WHERE status IN ('open', 'escalated')");
        alerts.push_in("client_id", &clients);
        let alert_clients: BTreeSet<String> = alerts
            .query()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .filter_map(|r| r.try_get::<String, _>("client_id").ok())
            .collect();
        // Rows are folded into typed entries as they stream in: a page of 500 clients is
        // ~7,000 records, and holding them all as rows and JSON trees cost ~50 MB a request.
        let mut by_client: std::collections::BTreeMap<String, (CaseloadEntry, CaseFold)> =
            Default::default();
        let mut rows = sql.query().fetch(&self.pool);
        while let Some(r) = rows.try_next().await? {
            let Some(client) = opt_text(&r, "client_id")? else {
                continue;
            };
            let (entry, fold) = by_client.entry(client.clone()).or_insert_with(|| {
                (
                    CaseloadEntry::new(client, &alert_clients),
                    CaseFold::default(),
                )
            });
            // Only the fields the caseload shows are read from the body; a body that does not
            // parse (it was validated on the way in) contributes nothing rather than failing
            // the supervisor's whole list.
            let body: CaseloadFields =
                serde_json::from_str(&r.try_get::<String, _>("payload")?).unwrap_or_default();
            match r.try_get::<String, _>("kind")?.as_str() {
                "client" => {
                    entry.counsellor_id = opt_text(&r, "counsellor_id")?;
                    entry.programme_id = opt_text(&r, "programme_id")?;
                }
                "episode" => {
                    entry.episode_status = if body.closed_on.is_none() {
                        "active"
                    } else {
                        "closed"
                    };
                    entry.closure_reason = body.closure_reason;
                    fold.episode = Some(EpisodeFold {
                        id: r.try_get("id")?,
                        enrolled_on: body.enrolled_on.as_deref().and_then(parse_date),
                        programme_id: body.programme_id,
                    });
                }
                "session" => {
                    if body.attended == Some(true) {
                        entry.sessions_attended += 1;
                        entry.last_session_on = body.on.clone();
                        entry.last_session_number = body.number.unwrap_or(0);
                    } else {
                        entry.sessions_missed += 1;
                    }
                    if let (Some(episode), Some(number), Some(on)) = (
                        opt_text(&r, "episode_id")?,
                        body.number,
                        body.on.as_deref().and_then(parse_date),
                    ) {
                        fold.sessions.entry(episode).or_default().push(
                            scaleup_domain::protocol::SessionFact {
                                number,
                                on,
                                attended: body.attended == Some(true),
                            },
                        );
                    }
                }
                "assessment" => {
                    if let Some(total) = r.try_get::<Option<f64>, _>("total")? {
                        entry.scores.push(CaseloadScore {
                            instrument: opt_text(&r, "instrument")?,
                            on: body.administered_on,
                            occasion: body.occasion,
                            session_number: body.session_number,
                            total,
                            detail: opt_text(&r, "detail")?,
                        });
                    }
                }
                _ => {}
            }
        }
        drop(rows);
        // The protocols of the page's programmes, in one query, for the rules below.
        let programme_ids: Vec<String> = by_client
            .values()
            .flat_map(|(e, f)| {
                e.programme_id
                    .iter()
                    .chain(f.episode.iter().filter_map(|ep| ep.programme_id.as_ref()))
                    .cloned()
            })
            .collect::<BTreeSet<String>>()
            .into_iter()
            .collect();
        // Each programme's protocol comes from its own hub's catalogue.
        let mut programme_rules: Vec<(String, ProgrammeRules)> = Vec::new();
        if !programme_ids.is_empty() {
            let mut q = Sql::new("SELECT id, protocol_code, hub_id FROM programmes WHERE 1 = 1");
            q.push_in("id", &programme_ids);
            for r in q.query().fetch_all(&self.pool).await? {
                programme_rules.push((
                    r.try_get("id")?,
                    ProgrammeRules {
                        rules: self.rules_for(&r.try_get::<String, _>("hub_id")?),
                        protocol_code: r.try_get("protocol_code")?,
                    },
                ));
            }
        }
        let protocols: std::collections::HashMap<String, &Protocol> = programme_rules
            .iter()
            .filter_map(|(id, rules)| Some((id.clone(), rules.protocol()?)))
            .collect();
        let today = today_utc();
        let by_client: std::collections::BTreeMap<String, CaseloadEntry> = by_client
            .into_iter()
            .map(|(id, (mut entry, fold))| {
                let protocol = entry
                    .programme_id
                    .as_ref()
                    .and_then(|p| protocols.get(p).copied());
                entry.apply_rules(protocol, &fold, &protocols, today);
                (id, entry)
            })
            .collect();
        let out: Vec<CaseloadEntry> = by_client.into_values().collect();
        if !out.is_empty() {
            let ids: Vec<&str> = out.iter().map(|c| c.client_id.as_str()).collect();
            self.audit(
                Some(actor),
                AuditEvent::new("caseload.read", "client")
                    .hub(actor.hubs.first().cloned())
                    .detail(serde_json::json!({ "clients": ids })),
            )
            .await?;
        }
        Ok((out, next))
    }
}

/// The most clients one caseload page holds.
pub const MAX_CASELOAD_PAGE: i64 = 1000;

/// One client in a caseload: where their episode stands, attendance, scores, and what the
/// programme's protocol makes of them (supervision flags, adequate dose, next session).
#[derive(Clone, Debug, Serialize)]
pub struct CaseloadEntry {
    pub client_id: String,
    pub counsellor_id: Option<String>,
    pub programme_id: Option<String>,
    /// `none` (no episode record visible), `active` or `closed`.
    pub episode_status: &'static str,
    pub closure_reason: Option<String>,
    pub sessions_attended: u32,
    pub sessions_missed: u32,
    pub last_session_on: Option<String>,
    pub last_session_number: u32,
    pub scores: Vec<CaseloadScore>,
    pub open_risk_alert: bool,
    /// The client's programme's protocol code, when the catalogue has that protocol.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// Whether the sessions attended reach the protocol's minimum adequate dose.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adequate_dose: Option<bool>,
    /// Supervision flags, in a fixed order: `risk`, `missed_sessions`, `overdue`,
    /// `no_improvement`, `dropout` (see `scaleup_domain::protocol::supervision_flags`).
    pub flags: Vec<&'static str>,
    /// For an active episode, what its protocol says comes next.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_session: Option<NextSession>,
}

/// The next session of an active episode, as `Protocol::next_session` computes it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NextSession {
    /// `None` when the planned sessions are done.
    pub number: Option<u32>,
    pub due_on: Option<String>,
    /// `upcoming`, `today`, `overdue`, `missed` or `done`.
    pub status: &'static str,
    /// Days past the due date, for `overdue`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overdue_days: Option<u32>,
    /// The session plan's components for that session.
    pub components: Vec<String>,
}

impl NextSession {
    fn new(step: scaleup_domain::protocol::NextStep) -> NextSession {
        use scaleup_domain::protocol::Due;
        NextSession {
            number: step.number,
            due_on: step.due_on.map(|d| d.to_string()),
            status: step.status.as_str(),
            overdue_days: match step.status {
                Due::Overdue { days } => Some(days),
                _ => None,
            },
            components: step.components,
        }
    }
}

/// What the caseload fold keeps about a client beyond what the entry shows.
#[derive(Default)]
struct CaseFold {
    /// The latest episode (by enrolment date).
    episode: Option<EpisodeFold>,
    /// Sessions per episode id.
    sessions: std::collections::HashMap<String, Vec<scaleup_domain::protocol::SessionFact>>,
}

struct EpisodeFold {
    id: String,
    enrolled_on: Option<Date>,
    programme_id: Option<String>,
}

fn parse_date(text: &str) -> Option<Date> {
    Date::parse(text, "date").ok()
}

impl CaseloadEntry {
    fn new(client_id: String, alert_clients: &BTreeSet<String>) -> CaseloadEntry {
        CaseloadEntry {
            open_risk_alert: alert_clients.contains(&client_id),
            client_id,
            counsellor_id: None,
            programme_id: None,
            episode_status: "none",
            closure_reason: None,
            sessions_attended: 0,
            sessions_missed: 0,
            last_session_on: None,
            last_session_number: 0,
            scores: Vec::new(),
            protocol: None,
            adequate_dose: None,
            flags: Vec::new(),
            next_session: None,
        }
    }

    /// Adds what the protocol rules make of the entry: `protocol` is the client's programme's,
    /// the next session follows the active episode's own programme (the same one, in practice).
    fn apply_rules(
        &mut self,
        protocol: Option<&Protocol>,
        fold: &CaseFold,
        protocols: &std::collections::HashMap<String, &Protocol>,
        today: Date,
    ) {
        use scaleup_domain::protocol::{CaseFacts, ScoredAssessment, supervision_flags};
        use scaleup_domain::record::Occasion;
        let scores: Vec<ScoredAssessment> = self
            .scores
            .iter()
            .filter_map(|s| {
                let score = serde_json::from_str(s.detail.as_deref()?).ok()?;
                let occasion = match s.occasion.as_deref() {
                    Some("screening") => Some(Occasion::Screening),
                    Some("baseline") => Some(Occasion::Baseline),
                    Some("session") => Some(Occasion::Session),
                    Some("endpoint") => Some(Occasion::Endpoint),
                    Some("follow_up") => Some(Occasion::FollowUp),
                    _ => None,
                };
                Some(ScoredAssessment {
                    occasion,
                    session_number: s.session_number,
                    score,
                })
            })
            .collect();
        let facts = CaseFacts {
            open_risk_alert: self.open_risk_alert,
            sessions_missed: self.sessions_missed,
            episode_active: self.episode_status == "active",
            dropped_out: self.closure_reason.as_deref() == Some("dropped_out"),
            last_attended_on: self.last_session_on.as_deref().and_then(parse_date),
            scores: &scores,
        };
        self.flags = supervision_flags(protocol, &facts, today)
            .into_iter()
            .map(|f| f.as_str())
            .collect();
        self.protocol = protocol.map(|p| p.code().to_string());
        self.adequate_dose = protocol.map(|p| p.adequate_dose(self.sessions_attended));
        if self.episode_status != "active" {
            return;
        }
        let Some(episode) = &fold.episode else {
            return;
        };
        let episode_protocol = episode
            .programme_id
            .as_ref()
            .and_then(|p| protocols.get(p).copied())
            .or(protocol);
        if let (Some(p), Some(enrolled_on)) = (episode_protocol, episode.enrolled_on) {
            let sessions = fold
                .sessions
                .get(&episode.id)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            self.next_session = Some(NextSession::new(p.next_session(
                enrolled_on,
                sessions,
                today,
            )));
        }
    }
}

/// One scored assessment in a caseload entry.
#[derive(Clone, Debug, Serialize)]
pub struct CaseloadScore {
    pub instrument: Option<String>,
    pub on: Option<String>,
    pub occasion: Option<String>,
    pub session_number: Option<u32>,
    pub total: f64,
    /// The stored scoring detail (JSON of the domain's `Score`), for rules such as stepped
    /// care; kept on the server, never serialised into the list.
    #[serde(skip)]
    pub detail: Option<String>,
}

/// The fields of a record body the caseload reads (client, episode, session, assessment).
#[derive(Default, Deserialize)]
struct CaseloadFields {
    enrolled_on: Option<String>,
    programme_id: Option<String>,
    closed_on: Option<String>,
    closure_reason: Option<String>,
    attended: Option<bool>,
    on: Option<String>,
    number: Option<u32>,
    administered_on: Option<String>,
    occasion: Option<String>,
    session_number: Option<u32>,
}

/// The short status kept in `records.tag` so aggregates group in SQL (see the migration).
pub(crate) fn record_tag(payload: &RecordPayload) -> Option<String> {
    use scaleup_domain::record::Occasion;
    Some(match payload {
        RecordPayload::Assessment(a) => match a.occasion {
            Occasion::Screening => "screening",
            Occasion::Baseline => "baseline",
            Occasion::Session => "session",
            Occasion::Endpoint => "endpoint",
            Occasion::FollowUp => "follow_up",
        }
        .to_string(),
        RecordPayload::Session(s) => if s.attended { "attended" } else { "missed" }.to_string(),
        RecordPayload::Episode(e) => match e.closure_reason {
            None => "open".to_string(),
            Some(r) => serde_json::to_value(r).ok()?.as_str()?.to_string(),
        },
        RecordPayload::Eligibility(e) => match (e.eligible, e.offered, e.accepted) {
            (false, _, _) => "ineligible",
            (true, false, _) => "not_offered",
            (true, true, Some(true)) => "accepted",
            (true, true, Some(false)) => "declined",
            (true, true, None) => "offered",
        }
        .to_string(),
        RecordPayload::Referral(r) => serde_json::to_value(r.status).ok()?.as_str()?.to_string(),
        _ => return None,
    })
}

/// Record ids per locking statement (PostgreSQL takes at most 65,535 parameters).
const LOCK_IDS_PER_STATEMENT: usize = 500;

/// On PostgreSQL, takes a transaction-scoped advisory lock on every record id of a batch before
/// anything is read, so that two batches holding the same record (a phone that retried while
/// its first request was still running) take turns on that record: the second reads the first's
/// committed row and answers it as a replay, where both used to read "absent" and the second
/// failed its whole batch on the primary key. Batches that share no record do not wait for each
/// other here. Ids are locked in one global order (sorted), so two batches holding the same
/// records in different orders cannot deadlock. SQLite needs nothing: `BEGIN IMMEDIATE` already
/// makes writers take turns.
async fn lock_record_ids(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    backend: Backend,
    records: &[IncomingRecord],
) -> Result<()> {
    if backend != Backend::Postgres {
        return Ok(());
    }
    // The canonical spelling the store keys records by; ids that are not UUIDs are rejected
    // later and need no lock.
    let ids: std::collections::BTreeSet<String> = records
        .iter()
        .filter_map(|r| r.id.as_str())
        .filter_map(|s| uuid::Uuid::parse_str(s).ok())
        .map(|u| u.to_string())
        .collect();
    let ids: Vec<String> = ids.into_iter().collect();
    for chunk in ids.chunks(LOCK_IDS_PER_STATEMENT) {
        let values = (0..chunk.len())
            .map(|i| format!("(${}, {i})", i + 1))
            .collect::<Vec<_>>()
            .join(", ");
        // VOLATILE, so evaluated for every row, in the order of the sorted subquery.
        let sql = format!(
            "SELECT COUNT(*) AS n FROM (SELECT pg_advisory_xact_lock(hashtextextended(id, 0)) \
             FROM (SELECT id FROM (VALUES {values}) AS ids(id, ord) ORDER BY ord) AS ordered) AS locked"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(id.clone());
        }
        q.fetch_one(&mut **tx).await?;
    }
    Ok(())
}

/// The next change sequence number of `hub_id`'s records. The hub's row stays locked until the
/// transaction ends, so a hub's numbers commit in order and a pull cursor never skips a late
/// commit; other hubs' writers take other rows and never wait for this one. A hub's first
/// number follows the store-wide one reached before schema 12 (`store_state.change_seq`,
/// frozen there), so cursors handed out before it still skip nothing.
async fn next_change_seq(tx: &mut Tx, schema: i64, hub_id: &str) -> Result<i64> {
    if schema < crate::migrate::PER_HUB_SCHEMA {
        let row = sqlx::query(
            "UPDATE store_state SET change_seq = change_seq + 1 WHERE id = 1 RETURNING change_seq",
        )
        .fetch_one(&mut *tx)
        .await?;
        return Ok(row.try_get("change_seq")?);
    }
    reserve_change_seqs(tx, hub_id, 1).await
}

/// Reserves `n` consecutive change sequence numbers of `hub_id`; returns the last.
pub(crate) async fn reserve_change_seqs(tx: &mut Tx, hub_id: &str, n: i64) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO hub_sequences (hub_id, change_seq)
         VALUES ($1, (SELECT change_seq FROM store_state WHERE id = 1) + $2)
         ON CONFLICT (hub_id) DO UPDATE SET change_seq = hub_sequences.change_seq + $2
         RETURNING change_seq",
    )
    .bind(hub_id.to_string())
    .bind(n)
    .fetch_one(&mut *tx)
    .await?;
    Ok(row.try_get("change_seq")?)
}

/// A client's latest screening or baseline assessment per instrument with the risk rules it
/// raised: what a protocol's enrolment exclusions look at. Latest by date, then by write order.
async fn latest_screenings(
    tx: &mut Tx,
    client_id: &str,
) -> Result<std::collections::BTreeMap<String, scaleup_domain::protocol::LatestScreening>> {
    use scaleup_domain::protocol::LatestScreening;
    use scaleup_domain::record::Occasion;
    let rows = sqlx::query(
        "SELECT s.instrument, r.tag, s.detail FROM records r JOIN assessment_scores s ON s.record_id = r.id
         WHERE r.client_id = $1 AND r.kind = 'assessment' AND r.tag IN ('screening', 'baseline')
         ORDER BY r.occurred_on, r.change_seq",
    )
    .bind(client_id.to_string())
    .fetch_all(&mut *tx)
    .await?;
    let mut latest = std::collections::BTreeMap::new();
    for r in rows {
        let occasion = match r.try_get::<Option<String>, _>("tag")?.as_deref() {
            Some("baseline") => Occasion::Baseline,
            _ => Occasion::Screening,
        };
        // The detail is the domain's `Score` (or an incomplete score's summary); only its
        // raised rules matter here, and a detail that does not parse raised none.
        let detail: DetailFlags = opt_text(&r, "detail")?
            .and_then(|d| serde_json::from_str(&d).ok())
            .unwrap_or_default();
        latest.insert(
            r.try_get::<String, _>("instrument")?,
            LatestScreening {
                occasion,
                risk_rules: detail.risk_flags.into_iter().map(|f| f.rule).collect(),
            },
        );
    }
    Ok(latest)
}

/// The raised risk rules of a stored score detail.
#[derive(Default, Deserialize)]
struct DetailFlags {
    #[serde(default)]
    risk_flags: Vec<DetailFlag>,
}

#[derive(Deserialize)]
struct DetailFlag {
    rule: String,
}

async fn is_supervisee(tx: &mut Tx, supervisor: &str, counsellor: &str) -> Result<bool> {
    let r = sqlx::query("SELECT id FROM users WHERE id = $1 AND supervisor_id = $2 AND active = 1")
        .bind(counsellor.to_string())
        .bind(supervisor.to_string())
        .fetch_optional(&mut *tx)
        .await?;
    Ok(r.is_some())
}

fn client_row(r: &sqlx::any::AnyRow) -> Result<ClientRow> {
    let payload: serde_json::Value =
        serde_json::from_str(&r.try_get::<String, _>("payload")?).unwrap_or_default();
    Ok(ClientRow {
        id: r.try_get("id")?,
        hub_id: r.try_get("hub_id")?,
        programme_id: opt_text(r, "programme_id")?,
        facility_id: opt_text(r, "facility_id")?,
        counsellor_id: opt_text(r, "counsellor_id")?,
        registered_on: opt_text(r, "occurred_on")?,
        sex: payload["sex"].as_str().map(str::to_string),
        birth_year: payload["birth_year"].as_i64(),
        version: r.try_get("version")?,
    })
}

pub(crate) fn alert_row(r: &sqlx::any::AnyRow) -> Result<AlertRow> {
    let action = opt_text(r, "action")?;
    // Alerts acknowledged before migration 6 (and bulk-loaded ones) may carry only `action`.
    let actions = match opt_text(r, "actions")? {
        Some(json) => serde_json::from_str(&json)
            .map_err(|_| StoreError::Internal("stored alert actions are not JSON".into()))?,
        None => action.iter().cloned().collect(),
    };
    Ok(AlertRow {
        id: r.try_get("id")?,
        hub_id: r.try_get("hub_id")?,
        client_id: r.try_get("client_id")?,
        record_id: r.try_get("record_id")?,
        rule_id: r.try_get("rule_id")?,
        level: r.try_get("level")?,
        counsellor_id: opt_text(r, "counsellor_id")?,
        supervisor_id: opt_text(r, "supervisor_id")?,
        raised_at: r.try_get("raised_at")?,
        due_at: r.try_get("due_at")?,
        status: r.try_get("status")?,
        acknowledged_by: opt_text(r, "acknowledged_by")?,
        acknowledged_at: opt_text(r, "acknowledged_at")?,
        action,
        actions,
        escalated_at: opt_text(r, "escalated_at")?,
        escalated_to: opt_text(r, "escalated_to")?,
    })
}

/// What each aggregate indicator counts: records of a kind, with one of the tags or any tag.
const INDICATORS: &[(&str, &str, Option<&[&str]>)] = &[
    ("registered", "client", None),
    ("screened", "assessment", Some(&["screening"])),
    (
        "eligible",
        "eligibility",
        Some(&["accepted", "declined", "offered", "not_offered"]),
    ),
    (
        "offered",
        "eligibility",
        Some(&["accepted", "declined", "offered"]),
    ),
    ("accepted", "eligibility", Some(&["accepted"])),
    ("declined", "eligibility", Some(&["declined"])),
    ("enrolled", "episode", None),
    ("episodes_completed", "episode", Some(&["completed"])),
    ("episodes_dropped_out", "episode", Some(&["dropped_out"])),
    ("sessions_attended", "session", Some(&["attended"])),
    ("sessions_missed", "session", Some(&["missed"])),
];

/// `CAST(SUM(CASE WHEN ... THEN c.n ELSE 0 END) AS BIGINT) AS i0, ...`, one column per
/// indicator, over a table aliased `c` with `kind`, `tag` ('' for none) and `n`. Only the
/// constant names above go into the text.
fn indicator_columns() -> String {
    INDICATORS
        .iter()
        .enumerate()
        .map(|(i, (_, kind, tags))| {
            let condition = match tags {
                None => format!("c.kind = '{kind}'"),
                Some(tags) => {
                    let list: Vec<String> = tags.iter().map(|t| format!("'{t}'")).collect();
                    format!("c.kind = '{kind}' AND c.tag IN ({})", list.join(", "))
                }
            };
            format!("CAST(SUM(CASE WHEN {condition} THEN c.n ELSE 0 END) AS BIGINT) AS i{i}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Counts per facility, month and indicator, summed over the rows that carry them.
#[derive(Default)]
pub(crate) struct CellCounts(std::collections::BTreeMap<(String, String, &'static str), i64>);

impl CellCounts {
    pub fn add(&mut self, facility: &str, month: &str, indicator: &'static str, n: i64) {
        if n != 0 {
            *self
                .0
                .entry((facility.to_string(), month.to_string(), indicator))
                .or_default() += n;
        }
    }

    /// Adds a group of records of one kind and tag to every indicator that counts it (the
    /// reference computation in `testing`, over the records themselves).
    #[cfg(feature = "test-support")]
    pub fn add_records(&mut self, facility: &str, month: &str, kind: &str, tag: &str, n: i64) {
        for (indicator, k, tags) in INDICATORS {
            if *k == kind && tags.is_none_or(|t| t.contains(&tag)) {
                self.add(facility, month, indicator, n);
            }
        }
    }

    /// The cells, small counts suppressed, in facility, month, indicator order.
    pub fn cells(self) -> Vec<SummaryCell> {
        self.0
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|((facility_id, month, indicator), n)| {
                let suppressed = n < SMALL_CELL_THRESHOLD;
                SummaryCell {
                    facility_id,
                    month,
                    indicator: indicator.to_string(),
                    value: if suppressed { None } else { Some(n) },
                    suppressed,
                }
            })
            .collect()
    }
}

impl Store {
    /// Moves one client to another counsellor by writing a new version of the client record
    /// that names them, through [`Store::write_version`] like a device's edit: the version is
    /// kept in the history, every record of the client follows (re-sequenced, so the new
    /// counsellor's next pull brings them), and the write is audited. `actor` is who moved it.
    pub(crate) async fn reassign_client(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        client_id: &str,
        to: &str,
    ) -> Result<()> {
        let row = sqlx::query(
            "SELECT version, payload, hub_id, facility_id, programme_id FROM records WHERE id = $1 AND kind = 'client'",
        )
        .bind(client_id.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let body = self.open_payload(
            RecordKind::Client.as_str(),
            &row.try_get::<String, _>("payload")?,
        )?;
        let RecordPayload::Client(mut client) = parse_payload(RecordKind::Client, &body)? else {
            return Err(StoreError::Internal(
                "a client record is not a client".into(),
            ));
        };
        client.counsellor_id = Some(
            uuid::Uuid::parse_str(to)
                .map_err(|_| StoreError::invalid("to_counsellor_id", "must be a UUID"))?,
        );
        let payload = RecordPayload::Client(client);
        let canonical = payload.to_json();
        let write = PreparedWrite {
            payload,
            canonical,
            placement: Placement {
                hub_id: row.try_get("hub_id")?,
                client_id: Some(client_id.to_string()),
                episode_id: None,
                counsellor_id: Some(to.to_string()),
                facility_id: opt_text(&row, "facility_id")?,
                programme_id: opt_text(&row, "programme_id")?,
            },
            score: None,
            harmful: Vec::new(),
        };
        self.write_version(
            tx,
            actor,
            &actor.user_id,
            client_id,
            &write,
            Some(row.try_get("version")?),
            &now_timestamp(),
        )
        .await?;
        Ok(())
    }
}
