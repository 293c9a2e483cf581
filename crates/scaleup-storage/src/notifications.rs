//! The outbox of notifications to staff: risk alerts raised and escalated, supervision safety
//! flags. A row is written in the transaction of the event that causes it, so an event cannot
//! commit without its notification (nor a notification without its event). The server's sender
//! (`scaleup_web::notify`) claims due rows, posts them to a webhook and reports back; failures
//! are retried with exponential backoff.
//!
//! A body says that something needs the recipient's attention, and no more: ids, the alert
//! level, times and the hub code. Never a client id, a name, a rule that reveals clinical
//! content, or a note: the message crosses an SMS or WhatsApp gateway and lands on a phone.

use crate::audit::AuditEvent;
use crate::records::{Tx, opt_text};
use crate::scope::{Actor, Bind, Sql};
use crate::time_util::{format_timestamp, now_timestamp};
use crate::{Backend, Result, Store, StoreError};
use scaleup_domain::role::Role;
use serde::Serialize;
use sqlx::Row;

/// A notification as the outbox holds it.
#[derive(Clone, Debug, Serialize)]
pub struct Notification {
    pub id: String,
    /// `risk_alert.raised`, `risk_alert.escalated` or `safety_flag.raised`.
    pub event: String,
    /// The alert or safety flag it is about.
    pub subject_id: String,
    pub hub_id: Option<String>,
    pub recipient_user_id: String,
    /// The JSON document the webhook receives.
    pub body: serde_json::Value,
    pub created_at: String,
    /// Delivery attempts so far.
    pub attempts: i64,
    pub next_attempt_at: String,
    /// `pending`, `sent` or `failed` (given up after [`NOTIFICATION_MAX_ATTEMPTS`]).
    pub status: String,
    pub last_error: Option<String>,
    pub sent_at: Option<String>,
}

/// Attempts after which a notification is given up (`failed`). With the backoff of
/// [`retry_delay_minutes`], the last attempt comes about three days after the first.
pub const NOTIFICATION_MAX_ATTEMPTS: i64 = 20;

/// The statuses a notification may be listed by.
pub const NOTIFICATION_STATUSES: &[&str] = &["pending", "sent", "failed"];

/// How long a claimed row is hidden from other senders. Longer than any send can take (10 s
/// timeout per row, a few dozen rows per claim); a sender that dies mid-way leaves its rows to
/// be sent again after it, so delivery is at least once (the body's `id` lets a gateway drop
/// the duplicate).
const CLAIM_LEASE_SECONDS: i64 = 300;

/// Longest wait between two attempts.
const MAX_RETRY_MINUTES: i64 = 6 * 60;

/// Minutes to wait after the `attempts`-th failed attempt: 1, 2, 4, … capped at six hours.
pub fn retry_delay_minutes(attempts: i64) -> i64 {
    let doublings = attempts.saturating_sub(1).clamp(0, 20) as u32;
    (1i64 << doublings).min(MAX_RETRY_MINUTES)
}

/// What happened, in the words a notification may use.
pub(crate) struct Outgoing {
    event: &'static str,
    subject_id: String,
    /// Event fields added to the body: levels and times only.
    fields: serde_json::Map<String, serde_json::Value>,
    text: String,
}

/// `2026-03-01T15:00:00.000000Z` as `2026-03-01 15:00 UTC`, for a sentence on a phone.
fn short_time(timestamp: &str) -> String {
    match (timestamp.get(..10), timestamp.get(11..16)) {
        (Some(day), Some(time)) => format!("{day} {time} UTC"),
        _ => timestamp.to_string(),
    }
}

impl Outgoing {
    pub(crate) fn alert_raised(alert_id: &str, level: &str, due_at: &str) -> Outgoing {
        let urgency = if level == "urgent" {
            "An urgent risk alert"
        } else {
            "A risk alert"
        };
        Outgoing {
            event: "risk_alert.raised",
            subject_id: alert_id.to_string(),
            fields: serde_json::json!({"level": level, "due_at": due_at})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            text: format!(
                "{urgency} in scaleup needs your attention before {}. Open scaleup to review it.",
                short_time(due_at)
            ),
        }
    }

    pub(crate) fn alert_escalated(alert_id: &str, level: &str) -> Outgoing {
        Outgoing {
            event: "risk_alert.escalated",
            subject_id: alert_id.to_string(),
            fields: serde_json::json!({"level": level})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            text: "A risk alert in scaleup was not acknowledged in time and has been escalated to you. Open scaleup to review it now.".into(),
        }
    }

    pub(crate) fn safety_flag_raised(flag_id: &str, raised_at: &str) -> Outgoing {
        Outgoing {
            event: "safety_flag.raised",
            subject_id: flag_id.to_string(),
            fields: serde_json::json!({"raised_at": raised_at})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            text: "A supervision safety flag was raised in scaleup for a counsellor in your hub. Open scaleup to review it.".into(),
        }
    }
}

/// Whether an account exists and is active (only active accounts are told anything).
pub(crate) async fn is_active(tx: &mut Tx, user_id: &str) -> Result<bool> {
    Ok(
        sqlx::query("SELECT id FROM users WHERE id = $1 AND active = 1")
            .bind(user_id.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .is_some(),
    )
}

/// The active hub managers of a hub, oldest account first: who is told when no supervisor is.
pub(crate) async fn hub_managers(tx: &mut Tx, hub_id: &str) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT id FROM users WHERE hub_id = $1 AND role = 'hub_manager' AND active = 1 ORDER BY created_at, id",
    )
    .bind(hub_id.to_string())
    .fetch_all(&mut *tx)
    .await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<String, _>("id")?))
        .collect()
}

const COLUMNS: &str = "id, event, subject_id, hub_id, recipient_user_id, body, created_at, attempts, next_attempt_at, status, last_error, sent_at";

fn notification_row(r: &sqlx::any::AnyRow) -> Result<Notification> {
    Ok(Notification {
        id: r.try_get("id")?,
        event: r.try_get("event")?,
        subject_id: r.try_get("subject_id")?,
        hub_id: opt_text(r, "hub_id")?,
        recipient_user_id: r.try_get("recipient_user_id")?,
        body: serde_json::from_str(&r.try_get::<String, _>("body")?)
            .map_err(|_| StoreError::Internal("stored notification body is not JSON".into()))?,
        created_at: r.try_get("created_at")?,
        attempts: r.try_get("attempts")?,
        next_attempt_at: r.try_get("next_attempt_at")?,
        status: r.try_get("status")?,
        last_error: opt_text(r, "last_error")?,
        sent_at: opt_text(r, "sent_at")?,
    })
}

fn seconds_from_now(seconds: i64) -> String {
    format_timestamp(time::OffsetDateTime::now_utc() + time::Duration::seconds(seconds))
}

/// An error as stored: one line, at most 300 characters.
fn short_error(error: &str) -> String {
    let line: String = error
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect();
    line.trim().to_string()
}

impl Store {
    /// Writes a notification for `recipient` inside the caller's transaction (the event's).
    /// Writing the same event about the same subject to the same person twice keeps one.
    pub(crate) async fn enqueue_notification(
        &self,
        tx: &mut Tx,
        outgoing: Outgoing,
        hub_id: &str,
        recipient: &str,
    ) -> Result<()> {
        let Some(user) = sqlx::query(
            "SELECT username, notify_address, language FROM users WHERE id = $1 AND active = 1",
        )
        .bind(recipient.to_string())
        .fetch_optional(&mut *tx)
        .await?
        else {
            // An inactive (or removed) account is not told; the event itself stands.
            return Ok(());
        };
        let hub_code = sqlx::query("SELECT code FROM hubs WHERE id = $1")
            .bind(hub_id.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get::<String, _>("code"))
            .transpose()?;
        let id = uuid::Uuid::new_v4().to_string();
        let mut body = serde_json::Map::new();
        body.insert("event".into(), outgoing.event.into());
        body.insert("id".into(), id.clone().into());
        body.insert("subject_id".into(), outgoing.subject_id.clone().into());
        body.insert("hub".into(), hub_code.into());
        body.extend(outgoing.fields);
        body.insert(
            "recipient".into(),
            serde_json::json!({
                "user_id": recipient,
                "username": user.try_get::<String, _>("username")?,
                "address": opt_text(&user, "notify_address")?,
                // The gateway may pick its own wording in this language; `text` is English.
                "language": opt_text(&user, "language")?,
            }),
        );
        body.insert("text".into(), outgoing.text.into());
        let now = now_timestamp();
        // One notification per event, subject and recipient: their unique key (with hub_id on
        // PostgreSQL since migration 0016), which the conflict clause leaves unnamed so that the
        // statement holds on either backend's key.
        sqlx::query(
            "INSERT INTO notifications (id, event, subject_id, hub_id, recipient_user_id, body, created_at, attempts, next_attempt_at, status)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $7, 'pending')
             ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(outgoing.event)
        .bind(outgoing.subject_id)
        .bind(hub_id.to_string())
        .bind(recipient.to_string())
        .bind(serde_json::Value::Object(body).to_string())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    /// Claims up to `limit` notifications that are pending and due, oldest due first, for one
    /// sender to deliver now. Claiming moves `next_attempt_at` a lease ahead in the same
    /// statement, so another server claiming at the same time does not get the same rows (on
    /// PostgreSQL `FOR UPDATE SKIP LOCKED` lets it take the next ones instead of waiting; on
    /// SQLite the write lock serialises claims). Report each with [`Store::notification_sent`]
    /// or [`Store::notification_failed`]; an unreported row is claimable again after the lease.
    pub async fn claim_due_notifications(&self, limit: i64) -> Result<Vec<Notification>> {
        let limit = limit.clamp(1, 500);
        let sql = match self.backend {
            // The locked rows are chosen once, in a CTE kept apart from the update (row locks
            // keep PostgreSQL from folding it in), and rows another sender holds are skipped.
            Backend::Postgres => format!(
                "WITH due AS MATERIALIZED (
                    SELECT id FROM notifications WHERE status = 'pending' AND next_attempt_at <= $2
                    ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
                 UPDATE notifications SET next_attempt_at = $1 WHERE id IN (SELECT id FROM due)
                 RETURNING {COLUMNS}"
            ),
            Backend::Sqlite => format!(
                "UPDATE notifications SET next_attempt_at = $1 WHERE id IN (
                    SELECT id FROM notifications WHERE status = 'pending' AND next_attempt_at <= $2
                    ORDER BY next_attempt_at, id LIMIT $3)
                 RETURNING {COLUMNS}"
            ),
        };
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(seconds_from_now(CLAIM_LEASE_SECONDS))
            .bind(now_timestamp())
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        let mut out = rows
            .iter()
            .map(notification_row)
            .collect::<Result<Vec<_>>>()?;
        out.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
        Ok(out)
    }

    /// Records that a claimed notification was delivered.
    pub async fn notification_sent(&self, id: &str) -> Result<()> {
        let done = sqlx::query(
            "UPDATE notifications SET status = 'sent', sent_at = $1, attempts = attempts + 1, last_error = NULL
             WHERE id = $2 AND status = 'pending'",
        )
        .bind(now_timestamp())
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Records a failed delivery: the next attempt waits [`retry_delay_minutes`]; after
    /// [`NOTIFICATION_MAX_ATTEMPTS`] the notification is `failed` and no longer tried. `error`
    /// is stored for the delivery-status list, so it must say what failed (a status, a
    /// timeout), never what was sent.
    pub async fn notification_failed(&self, id: &str, error: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let Some(row) =
            sqlx::query("SELECT attempts FROM notifications WHERE id = $1 AND status = 'pending'")
                .bind(id.to_string())
                .fetch_optional(&mut *tx)
                .await?
        else {
            return Err(StoreError::NotFound);
        };
        let attempts = row.try_get::<i64, _>("attempts")? + 1;
        let status = if attempts >= NOTIFICATION_MAX_ATTEMPTS {
            "failed"
        } else {
            "pending"
        };
        sqlx::query(
            "UPDATE notifications SET attempts = $1, status = $2, next_attempt_at = $3, last_error = $4 WHERE id = $5",
        )
        .bind(attempts)
        .bind(status)
        .bind(seconds_from_now(retry_delay_minutes(attempts) * 60))
        .bind(short_error(error))
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        if status == "failed" {
            tracing::warn!(
                attempts,
                "a notification could not be delivered and was given up"
            );
        }
        Ok(())
    }

    /// Delivery status for those who run the service: admins see every notification, hub
    /// managers their hubs'. Newest first; `next_cursor` continues after the last one.
    pub async fn notifications_page(
        &self,
        actor: &Actor,
        status: Option<&str>,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<(Vec<Notification>, Option<String>)> {
        let mut sql = Sql::new(&format!(
            "SELECT {COLUMNS} FROM notifications n WHERE 1 = 1"
        ));
        match actor.role {
            Role::Admin => {}
            Role::HubManager => {
                sql.push_in("n.hub_id", &actor.hubs);
            }
            _ => {
                return Err(StoreError::Forbidden(
                    "delivery status is for admins and hub managers",
                ));
            }
        }
        if let Some(s) = status {
            if !NOTIFICATION_STATUSES.contains(&s) {
                return Err(StoreError::invalid(
                    "status",
                    format!("must be one of: {}", NOTIFICATION_STATUSES.join(", ")),
                ));
            }
            sql.push(" AND n.status = ").bind_text(s);
        }
        if let Some(cursor) = cursor {
            let (at, id) = cursor.split_once('|').ok_or_else(|| {
                StoreError::invalid("cursor", "must be a cursor returned by an earlier page")
            })?;
            sql.push(" AND (n.created_at < ")
                .bind_text(at)
                .push(" OR (n.created_at = ")
                .bind_text(at)
                .push(" AND n.id < ")
                .bind_text(id)
                .push("))");
        }
        let limit = limit.clamp(1, 1000);
        sql.push(" ORDER BY n.created_at DESC, n.id DESC LIMIT ")
            .bind(Bind::Int(limit + 1));
        let rows = sql.query().fetch_all(&self.pool).await?;
        let mut items = rows
            .iter()
            .map(notification_row)
            .collect::<Result<Vec<_>>>()?;
        let next = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().map(|n| format!("{}|{}", n.created_at, n.id))
        } else {
            None
        };
        if !items.is_empty() {
            // Bodies name staff and their phone numbers: who looked is recorded.
            self.audit(
                Some(actor),
                AuditEvent::new("notification.list", "notification")
                    .hub(actor.hubs.first().cloned())
                    .detail(serde_json::json!({"notifications": items.len()})),
            )
            .await?;
        }
        Ok((items, next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_from_a_minute_to_six_hours() {
        let delays: Vec<i64> = (1..=12).map(retry_delay_minutes).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 64, 128, 256, 360, 360, 360]);
        assert_eq!(retry_delay_minutes(NOTIFICATION_MAX_ATTEMPTS), 360);
        assert_eq!(retry_delay_minutes(i64::MAX), 360);
        assert_eq!(retry_delay_minutes(0), 1);
    }

    #[test]
    fn texts_name_times_and_levels_only() {
        let o = Outgoing::alert_raised("a1", "urgent", "2026-03-01T15:04:05.000000Z");
        assert_eq!(
            o.text,
            "An urgent risk alert in scaleup needs your attention before 2026-03-01 15:04 UTC. Open scaleup to review it."
        );
        assert!(
            Outgoing::alert_raised("a1", "routine", "x")
                .text
                .starts_with("A risk alert")
        );
        assert_eq!(short_error("line one\nline two"), "line one line two");
        assert_eq!(short_error(&"é".repeat(400)).chars().count(), 300);
    }
}
