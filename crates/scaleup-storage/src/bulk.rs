//! Bulk loading for generated or imported data: many records in few transactions.
//!
//! The sync path checks authorisation and writes one audit event per record; a loader of a
//! million demo clients cannot afford that. [`Store::bulk_insert`] trusts its caller for
//! placement (hub, client, counsellor), still validates nothing twice that the domain types
//! already guarantee, seals identities, stores scores, raises risk alerts from their flags, and
//! writes one audit event per call. It is for the operator's own commands (`scaleup demo`,
//! imports), never reachable from the HTTP API.
//!
//! Loaded data is history: the caller says what became of each risk alert
//! ([`BulkRecord::alert_review`]). An acknowledged alert gets the programme's deadline from the
//! time it was raised; acknowledged after that deadline, it is recorded as escalated to the hub
//! manager at the deadline and acknowledged by the manager, as the server's sweep and the
//! manager would have done; its acknowledgement is in the alert's history (`alert_actions`) like
//! one made in the app. An alert left open gets its deadline from the load, not from when it was
//! raised: nobody could see it before, and the sweep would otherwise escalate it at once. Like an
//! alert raised by a sync, it is announced to its supervisor (or the hub's managers) through the
//! notification outbox in the same transaction.

use crate::audit::AuditEvent;
use crate::records::{ALERT_ACTIONS, ScoreSummary, alert_deadline_hours};
use crate::time_util::{add_minutes, now_timestamp};
use crate::{Result, Store, StoreError};
use scaleup_domain::record::RecordPayload;
use sqlx::Row;
use std::collections::HashMap;

/// One record with its placement decided by the caller.
#[derive(Clone, Debug)]
pub struct BulkRecord {
    pub id: String,
    pub payload: RecordPayload,
    pub hub_id: String,
    pub client_id: Option<String>,
    pub episode_id: Option<String>,
    pub counsellor_id: Option<String>,
    pub facility_id: Option<String>,
    pub programme_id: Option<String>,
    /// The account that created it.
    pub created_by: String,
    /// When it was recorded (storage timestamp form, see `format_timestamp`).
    pub recorded_at: String,
    /// Score of an assessment (required for assessments to count in indicators).
    pub score: Option<ScoreSummary>,
    /// What the supervisor did about the risk alerts the score raises; `None` leaves them open.
    pub alert_review: Option<AlertReview>,
}

/// How a risk alert raised by a loaded record was acknowledged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertReview {
    /// Minutes from `recorded_at` to the acknowledgement (at least 0).
    pub after_minutes: i64,
    /// One of [`ALERT_ACTIONS`](crate::ALERT_ACTIONS).
    pub action: String,
}

/// What the alerts of one load need to know, looked up once per counsellor, programme and hub.
#[derive(Default)]
struct AlertContext {
    supervisors: HashMap<String, Option<String>>,
    hours: HashMap<String, i64>,
    managers: HashMap<String, Option<String>>,
    /// The load's time, from which open alerts' deadlines run.
    now: String,
}

/// Rows per multi-row INSERT statement. Small on purpose: sqlx binds `$n` placeholders on SQLite
/// by looking each parameter's name up with `sqlite3_bind_parameter_name`, which scans the
/// statement's parameter list, so binding costs grow with the square of the parameters per
/// statement. At 400 rows (5,600 parameters) binding took 59 % of a `scaleup demo` profile;
/// 32 rows keep the statement count low and that cost negligible.
const ROWS_PER_STATEMENT: usize = 32;

impl Store {
    /// Inserts records that do not exist yet, in one transaction. Returns how many were inserted.
    pub async fn bulk_insert(&self, records: &[BulkRecord], source: &str) -> Result<usize> {
        if records.is_empty() {
            return Ok(0);
        }
        let mut tx = self.begin_write().await?;
        // Each record's change sequence number, in the order given, from its hub's sequence.
        let mut seqs = vec![0i64; records.len()];
        if self.schema < crate::migrate::PER_HUB_SCHEMA {
            let last: i64 = sqlx::query(
                "UPDATE store_state SET change_seq = change_seq + $1 WHERE id = 1 RETURNING change_seq",
            )
            .bind(records.len() as i64)
            .fetch_one(&mut *tx)
            .await?
            .try_get("change_seq")?;
            for (i, seq) in seqs.iter_mut().enumerate() {
                *seq = last - records.len() as i64 + i as i64 + 1;
            }
        } else {
            let mut by_hub: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
            for (i, r) in records.iter().enumerate() {
                by_hub.entry(r.hub_id.as_str()).or_default().push(i);
            }
            for (hub, indexes) in by_hub {
                let n = indexes.len() as i64;
                let last = crate::records::reserve_change_seqs(&mut tx, hub, n).await?;
                for (k, i) in indexes.into_iter().enumerate() {
                    seqs[i] = last - n + k as i64 + 1;
                }
            }
        }
        let rows: Vec<(usize, &BulkRecord, String)> = records
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let canonical = r.payload.to_json();
                (i, r, self.sealed_payload_pub(&r.id, &r.payload, &canonical))
            })
            .collect();
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let mut sql = String::from(
                "INSERT INTO records (id, kind, hub_id, client_id, episode_id, counsellor_id, facility_id, programme_id, occurred_on,
                    version, change_seq, payload, created_by, created_at, updated_by, updated_at, device_time, tag) VALUES ",
            );
            for (n, _) in chunk.iter().enumerate() {
                let b = n * 15;
                if n > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, 1, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 8, b + 9, b + 10, b + 11, b + 12, b + 13, b + 12, b + 13, b + 14, b + 15
                ));
            }
            // A re-run skips what is already there. No conflict target, so the statement holds
            // whichever unique keys a backend has: PostgreSQL's include hub_id (migration 0016,
            // for distribution by hub), SQLite keeps the keys it was created with.
            sql.push_str(" ON CONFLICT DO NOTHING");
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (i, r, stored) in chunk {
                q = q
                    .bind(r.id.clone())
                    .bind(r.payload.kind().as_str())
                    .bind(r.hub_id.clone())
                    .bind(r.client_id.clone())
                    .bind(r.episode_id.clone())
                    .bind(r.counsellor_id.clone())
                    .bind(r.facility_id.clone())
                    .bind(r.programme_id.clone())
                    .bind(r.payload.occurred_on().map(|d| d.to_string()))
                    .bind(seqs[*i])
                    .bind(stored.clone())
                    .bind(r.created_by.clone())
                    .bind(r.recorded_at.clone())
                    .bind(r.recorded_at.clone())
                    .bind(crate::records::record_tag(&r.payload));
            }
            q.execute(&mut *tx).await?;

            let mut sql = String::from(
                "INSERT INTO record_versions (record_id, version, payload, author_id, recorded_at, device_time) VALUES ",
            );
            for (n, _) in chunk.iter().enumerate() {
                let b = n * 4;
                if n > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!(
                    "(${}, 1, ${}, ${}, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 4
                ));
            }
            sql.push_str(" ON CONFLICT DO NOTHING");
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (_, r, stored) in chunk {
                q = q
                    .bind(r.id.clone())
                    .bind(stored.clone())
                    .bind(r.created_by.clone())
                    .bind(r.recorded_at.clone());
            }
            q.execute(&mut *tx).await?;
        }
        let now = now_timestamp();
        let mut alerts = AlertContext {
            now: now.clone(),
            ..AlertContext::default()
        };
        for r in records {
            match &r.payload {
                RecordPayload::ClientIdentity(i) => {
                    let canonical = r.payload.to_json();
                    let client = i.client_id.to_string();
                    let sealed = self.keys.seal(&client, canonical.to_string().as_bytes());
                    sqlx::query(
                        "INSERT INTO client_identities (client_id, key_id, ciphertext, version, updated_at) VALUES ($1, $2, $3, 1, $4) ON CONFLICT DO NOTHING",
                    )
                    .bind(client)
                    .bind(self.keys.key_id.clone())
                    .bind(sealed)
                    .bind(now.clone())
                    .execute(&mut *tx)
                    .await?;
                }
                RecordPayload::Assessment(a) => {
                    let s = r.score.clone().unwrap_or_default();
                    sqlx::query(
                        "INSERT INTO assessment_scores (record_id, client_id, instrument, total, band, positive, detail, instrument_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(r.id.clone())
                    .bind(a.client_id.to_string())
                    .bind(a.instrument.clone())
                    .bind(s.total)
                    .bind(s.band.clone())
                    .bind(s.positive.map(i64::from))
                    .bind(s.detail.to_string())
                    .bind(s.instrument_version.clone())
                    .execute(&mut *tx)
                    .await?;
                    for flag in &s.risk_flags {
                        self.bulk_alert(&mut tx, &mut alerts, r, flag).await?;
                    }
                }
                _ => {}
            }
        }
        self.audit_in(
            &mut tx,
            None,
            &AuditEvent::new("bulk.load", "batch")
                .detail(serde_json::json!({"records": records.len(), "source": source})),
        )
        .await?;
        self.refresh_indicator_facts(&mut tx).await?;
        tx.commit().await?;
        Ok(records.len())
    }

    /// Hashes a password with argon2id, for callers creating many accounts with one password.
    pub fn hash_password_blocking(password: &str) -> Result<String> {
        crate::auth::hash_password(password)
    }

    /// Inserts the alert `flag` raises on `r`, reviewed as `r.alert_review` says.
    async fn bulk_alert(
        &self,
        conn: &mut sqlx::AnyConnection,
        ctx: &mut AlertContext,
        r: &BulkRecord,
        flag: &crate::RiskFlagSummary,
    ) -> Result<()> {
        let supervisor = match &r.counsellor_id {
            Some(c) => match ctx.supervisors.get(c) {
                Some(s) => s.clone(),
                None => {
                    let s = sqlx::query("SELECT supervisor_id FROM users WHERE id = $1")
                        .bind(c.clone())
                        .fetch_optional(&mut *conn)
                        .await?
                        .map(|row| row.try_get::<Option<String>, _>("supervisor_id"))
                        .transpose()?
                        .flatten();
                    ctx.supervisors.insert(c.clone(), s.clone());
                    s
                }
            },
            None => None,
        };
        let programme_hours = match &r.programme_id {
            Some(p) => match ctx.hours.get(p) {
                Some(h) => *h,
                None => {
                    let h = sqlx::query("SELECT alert_ack_hours FROM programmes WHERE id = $1")
                        .bind(p.clone())
                        .fetch_optional(&mut *conn)
                        .await?
                        .map(|row| row.try_get::<i64, _>("alert_ack_hours"))
                        .transpose()?
                        .unwrap_or(24);
                    ctx.hours.insert(p.clone(), h);
                    h
                }
            },
            None => 24,
        };
        let minutes = 60 * alert_deadline_hours(programme_hours, &flag.level);
        let late = |ts: &str, by: i64| {
            add_minutes(ts, by)
                .ok_or_else(|| StoreError::invalid("recorded_at", "must be a storage timestamp"))
        };
        // (status, due, acknowledged by, at, action, escalated at, to)
        let mut row: [Option<String>; 7] = Default::default();
        match &r.alert_review {
            None => {
                row[0] = Some("open".into());
                row[1] = Some(late(r.recorded_at.as_str().max(ctx.now.as_str()), minutes)?);
            }
            Some(review) => {
                if !ALERT_ACTIONS.contains(&review.action.as_str()) {
                    return Err(StoreError::invalid(
                        "alert_review.action",
                        scaleup_domain::error::one_of(ALERT_ACTIONS),
                    ));
                }
                let due = late(&r.recorded_at, minutes)?;
                let at = late(&r.recorded_at, review.after_minutes.max(0))?;
                let mut by = supervisor.clone();
                if at > due {
                    let manager = match ctx.managers.get(&r.hub_id) {
                        Some(m) => m.clone(),
                        None => {
                            let m = sqlx::query("SELECT id FROM users WHERE hub_id = $1 AND role = 'hub_manager' AND active = 1 ORDER BY created_at LIMIT 1")
                            .bind(r.hub_id.clone())
                            .fetch_optional(&mut *conn)
                            .await?
                            .map(|m| m.try_get::<String, _>("id"))
                            .transpose()?;
                            ctx.managers.insert(r.hub_id.clone(), m.clone());
                            m
                        }
                    };
                    row[5] = Some(due.clone());
                    row[6] = manager.clone();
                    by = manager.or(by);
                }
                row[0] = Some("acknowledged".into());
                row[1] = Some(due);
                row[2] = by;
                row[3] = Some(at);
                row[4] = Some(review.action.clone());
            }
        }
        let [status, due, by, at, action, escalated_at, escalated_to] = row;
        let id = uuid::Uuid::new_v4().to_string();
        let actions = action.as_ref().map(|a| serde_json::json!([a]).to_string());
        let inserted = sqlx::query(
        "INSERT INTO risk_alerts (id, hub_id, client_id, record_id, rule_id, level, counsellor_id, supervisor_id, raised_at, due_at, status,
            acknowledged_by, acknowledged_at, action, actions, escalated_at, escalated_to)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) ON CONFLICT DO NOTHING",
    )
    .bind(id.clone())
    .bind(r.hub_id.clone())
    .bind(r.client_id.clone().unwrap_or_default())
    .bind(r.id.clone())
    .bind(flag.rule_id.clone())
    .bind(flag.level.clone())
    .bind(r.counsellor_id.clone())
    .bind(supervisor.clone())
    .bind(r.recorded_at.clone())
    .bind(due.clone())
    .bind(status)
    .bind(by.clone())
    .bind(at.clone())
    .bind(action)
    .bind(actions.clone())
    .bind(escalated_at)
    .bind(escalated_to)
    .execute(&mut *conn)
    .await?
    .rows_affected();
        if inserted == 0 {
            // Loaded before (a resumed load): its history and notification are there too.
            return Ok(());
        }
        match (&r.alert_review, by, at, actions) {
            // The acknowledgement in the alert's history; its id is the alert's, as for the
            // acknowledgements migration 6 carried over (an alert is acknowledged once).
            (Some(_), Some(by), Some(at), Some(actions)) => {
                sqlx::query(
                "INSERT INTO alert_actions (id, alert_id, kind, actions, note, note_key_id, by_user_id, at)
                 VALUES ($1, $1, 'acknowledge', $2, NULL, NULL, $3, $4)",
            )
            .bind(id)
            .bind(actions)
            .bind(by)
            .bind(at)
            .execute(&mut *conn)
            .await?;
            }
            (Some(_), ..) => {}
            (None, ..) => {
                // As for a raised alert: the supervisor, or the hub's managers when the
                // counsellor has none or the supervisor's account is closed.
                let recipients = match supervisor {
                    Some(s) if crate::notifications::is_active(conn, &s).await? => vec![s],
                    _ => crate::notifications::hub_managers(conn, &r.hub_id).await?,
                };
                let due = due.unwrap_or_default();
                for recipient in recipients {
                    self.enqueue_notification(
                        conn,
                        crate::notifications::Outgoing::alert_raised(&id, &flag.level, &due),
                        &r.hub_id,
                        &recipient,
                    )
                    .await?;
                }
            }
        }
        Ok(())
    }
}
