//! Supervision safety flags: a competency assessment (ENACT/EQUIP) that rates any competency at
//! a harmful level raises a flag for the counsellor, routed to the clinical lead of the
//! counsellor's hub (implementation-science.md §4.2: "any Level 1 is a supervision safety
//! flag").
//!
//! There is no clinical-lead role: the hub managers of the counsellor's hub are its clinical
//! leads, so they see, are notified of and acknowledge the flags. A flag is about a counsellor's
//! practice, not a client: it is not a risk alert and carries no client id.
//!
//! The flag is raised from `after_write`, so every way of writing a rating (sync, a kept
//! conflict) raises it, in the write's own transaction. It is unique per record: rewriting the
//! rating does not raise a second one.

use crate::audit::AuditEvent;
use crate::records::{Tx, opt_text};
use crate::scope::{Actor, Bind, Sql};
use crate::time_util::now_timestamp;
use crate::{Result, Store, StoreError};
use scaleup_domain::role::{Capability, Role};
use serde::Serialize;
use sqlx::Row;

/// The rule of a flag raised by a harmful competency rating.
pub const SAFETY_FLAG_RULE: &str = "competency.harmful";

/// The statuses a safety flag may be listed by.
pub const SAFETY_FLAG_STATUSES: &[&str] = &["open", "acknowledged"];

/// The longest note (in characters) a supervisor or clinical lead may write.
pub const MAX_NOTE_CHARS: usize = 2000;

/// One supervision safety flag.
#[derive(Clone, Debug, Serialize)]
pub struct SafetyFlagRow {
    pub id: String,
    pub hub_id: String,
    /// The counsellor whose practice was rated.
    pub counsellor_id: String,
    /// The competency assessment record that raised it.
    pub record_id: String,
    /// Always [`SAFETY_FLAG_RULE`] for now.
    pub rule: String,
    /// The competencies rated at a harmful level (framework ids, e.g. "7").
    pub competencies: Vec<String>,
    /// The rater (the supervisor who assessed).
    pub raised_by: String,
    pub raised_at: String,
    /// `open` or `acknowledged`.
    pub status: String,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<String>,
    /// The clinical lead's note, decrypted.
    pub note: Option<String>,
}

/// A note as stored: `None` when absent or blank; an error naming `note` when too long.
pub(crate) fn checked_note(note: Option<&str>) -> Result<Option<&str>> {
    let Some(note) = note.map(str::trim).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(StoreError::invalid(
            "note",
            format!("must be at most {MAX_NOTE_CHARS} characters"),
        ));
    }
    Ok(Some(note))
}

impl Store {
    fn safety_flag_row(&self, r: &sqlx::any::AnyRow) -> Result<SafetyFlagRow> {
        let id: String = r.try_get("id")?;
        let note = match opt_text(r, "note")? {
            Some(sealed) => Some(
                String::from_utf8(self.keys.open(&id, &sealed)?)
                    .map_err(|_| StoreError::Internal("a sealed note is not text".into()))?,
            ),
            None => None,
        };
        Ok(SafetyFlagRow {
            hub_id: r.try_get("hub_id")?,
            counsellor_id: r.try_get("counsellor_id")?,
            record_id: r.try_get("record_id")?,
            rule: r.try_get("rule")?,
            competencies: serde_json::from_str(&r.try_get::<String, _>("competencies")?)
                .map_err(|_| StoreError::Internal("stored competencies are not JSON".into()))?,
            raised_by: r.try_get("raised_by")?,
            raised_at: r.try_get("raised_at")?,
            status: r.try_get("status")?,
            acknowledged_by: opt_text(r, "acknowledged_by")?,
            acknowledged_at: opt_text(r, "acknowledged_at")?,
            note,
            id,
        })
    }

    /// Raises the flag for a rating with harmful competencies, once per record, and tells the
    /// hub's managers; inside the write's transaction.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn raise_safety_flag(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        record_id: &str,
        counsellor_id: &str,
        raised_by: &str,
        record_hub: &str,
        competencies: &[String],
    ) -> Result<()> {
        let exists = sqlx::query("SELECT id FROM safety_flags WHERE record_id = $1 AND rule = $2")
            .bind(record_id.to_string())
            .bind(SAFETY_FLAG_RULE)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_some() {
            return Ok(());
        }
        // The counsellor's own hub decides whose clinical lead hears of it; the record's hub is
        // the rater's, the same one unless the rater works across hubs.
        let hub: String = sqlx::query("SELECT hub_id FROM users WHERE id = $1")
            .bind(counsellor_id.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get::<Option<String>, _>("hub_id"))
            .transpose()?
            .flatten()
            .unwrap_or_else(|| record_hub.to_string());
        let id = uuid::Uuid::new_v4().to_string();
        let now = now_timestamp();
        sqlx::query(
            "INSERT INTO safety_flags (id, hub_id, counsellor_id, record_id, rule, competencies, raised_by, raised_at, status)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open')",
        )
        .bind(id.clone())
        .bind(hub.clone())
        .bind(counsellor_id.to_string())
        .bind(record_id.to_string())
        .bind(SAFETY_FLAG_RULE)
        .bind(serde_json::json!(competencies).to_string())
        .bind(raised_by.to_string())
        .bind(now.clone())
        .execute(&mut *tx)
        .await?;
        for manager in crate::notifications::hub_managers(tx, &hub).await? {
            self.enqueue_notification(
                tx,
                crate::notifications::Outgoing::safety_flag_raised(&id, &now),
                &hub,
                &manager,
            )
            .await?;
        }
        self.audit_in(
            tx,
            Some(actor),
            &AuditEvent::new("safety_flag.raise", "safety_flag")
                .entity(id)
                .hub(Some(hub))
                .detail(serde_json::json!({
                    "record_id": record_id, "rule": SAFETY_FLAG_RULE, "competencies": competencies.len()
                })),
        )
        .await?;
        Ok(())
    }

    /// A page of safety flags, newest first: hub managers (the hubs' clinical leads) see their
    /// hubs' flags, admins all, a supervisor the flags their own ratings raised. Other roles
    /// are refused. `next_cursor` continues after the last one.
    pub async fn safety_flags_page(
        &self,
        actor: &Actor,
        status: Option<&str>,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<(Vec<SafetyFlagRow>, Option<String>)> {
        let mut sql = Sql::new("SELECT * FROM safety_flags f WHERE 1 = 1");
        match actor.role {
            Role::Admin => {}
            Role::HubManager => {
                sql.push_in("f.hub_id", &actor.hubs);
            }
            Role::Supervisor => {
                sql.push(" AND f.raised_by = ")
                    .bind_text(actor.user_id.clone());
            }
            Role::Counsellor | Role::Researcher | Role::Viewer => {
                return Err(StoreError::Forbidden(
                    "safety flags are for supervisors, hub managers and admins",
                ));
            }
        }
        if let Some(s) = status {
            if !SAFETY_FLAG_STATUSES.contains(&s) {
                return Err(StoreError::invalid(
                    "status",
                    format!("must be one of: {}", SAFETY_FLAG_STATUSES.join(", ")),
                ));
            }
            sql.push(" AND f.status = ").bind_text(s);
        }
        if let Some(cursor) = cursor {
            let (at, id) = cursor.split_once('|').ok_or_else(|| {
                StoreError::invalid("cursor", "must be a cursor returned by an earlier page")
            })?;
            sql.push(" AND (f.raised_at < ")
                .bind_text(at)
                .push(" OR (f.raised_at = ")
                .bind_text(at)
                .push(" AND f.id < ")
                .bind_text(id)
                .push("))");
        }
        let limit = limit.clamp(1, 1000);
        sql.push(" ORDER BY f.raised_at DESC, f.id DESC LIMIT ")
            .bind(Bind::Int(limit + 1));
        let rows = sql.query().fetch_all(&self.pool).await?;
        let mut items = rows
            .iter()
            .map(|r| self.safety_flag_row(r))
            .collect::<Result<Vec<_>>>()?;
        let next = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().map(|f| format!("{}|{}", f.raised_at, f.id))
        } else {
            None
        };
        if !items.is_empty() {
            self.audit(
                Some(actor),
                AuditEvent::new("safety_flag.list", "safety_flag")
                    .hub(actor.hubs.first().cloned())
                    .detail(serde_json::json!({
                        "flags": items.iter().map(|f| f.id.clone()).collect::<Vec<_>>()
                    })),
            )
            .await?;
        }
        Ok((items, next))
    }

    /// A hub manager (the hub's clinical lead) acknowledges a safety flag of their hub, with an
    /// optional note (sealed at rest). Other roles are refused; a flag of another hub is
    /// `NotFound`; an acknowledged flag is a `Conflict`.
    pub async fn acknowledge_safety_flag(
        &self,
        actor: &Actor,
        id: &str,
        note: Option<&str>,
    ) -> Result<SafetyFlagRow> {
        if !actor.role.can(Capability::AcknowledgeSafetyFlags) {
            return Err(StoreError::Forbidden(
                "safety flags are acknowledged by the hub's clinical lead (a hub manager)",
            ));
        }
        let note = checked_note(note)?;
        let mut tx = self.begin_write().await?;
        let Some(row) = sqlx::query("SELECT hub_id, status FROM safety_flags WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Err(StoreError::NotFound);
        };
        let hub: String = row.try_get("hub_id")?;
        if !actor.may_see_hub(&hub) {
            return Err(StoreError::NotFound);
        }
        if row.try_get::<String, _>("status")? == "acknowledged" {
            return Err(StoreError::Conflict(
                "the safety flag is already acknowledged".into(),
            ));
        }
        let updated = sqlx::query(
            "UPDATE safety_flags SET status = 'acknowledged', acknowledged_by = $1, acknowledged_at = $2, note = $3, note_key_id = $4
             WHERE id = $5 AND status = 'open'",
        )
        .bind(actor.user_id.clone())
        .bind(now_timestamp())
        .bind(note.map(|n| self.keys.seal(id, n.as_bytes())))
        .bind(note.map(|_| self.keys.key_id.clone()))
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::Conflict(
                "the safety flag is already acknowledged".into(),
            ));
        }
        self.audit_in(
            &mut tx,
            Some(actor),
            &AuditEvent::new("safety_flag.acknowledge", "safety_flag")
                .entity(id)
                .hub(Some(hub))
                .detail(serde_json::json!({"note": note.is_some()})),
        )
        .await?;
        tx.commit().await?;
        let row = sqlx::query("SELECT * FROM safety_flags WHERE id = $1")
            .bind(id.to_string())
            .fetch_one(&self.pool)
            .await?;
        self.safety_flag_row(&row)
    }
}
