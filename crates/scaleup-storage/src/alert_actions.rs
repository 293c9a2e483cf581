//! What supervisors do about a risk alert: the acknowledgement (one or more actions and a note)
//! and any follow-ups after it, kept as the alert's history in `alert_actions`.
//!
//! Who may act on an alert is the rule acknowledging has always had: the alert's supervisor,
//! and the hub manager for their hubs (which is where escalated alerts go). To anyone else the
//! alert does not exist (`NotFound`). Notes are free text about a client at risk: sealed at rest
//! with the alert id as associated data, and never written to logs or audit details.

use crate::audit::AuditEvent;
use crate::records::{ALERT_ACTIONS, AlertRow, alert_row};
use crate::safety_flags::checked_note;
use crate::scope::Actor;
use crate::time_util::now_timestamp;
use crate::{Result, Store, StoreError};
use scaleup_domain::role::Role;
use serde::Serialize;
use sqlx::Row;

/// One entry in an alert's history.
#[derive(Clone, Debug, Serialize)]
pub struct AlertAction {
    pub id: String,
    /// `acknowledge` or `follow_up`.
    pub kind: String,
    /// Codes from [`ALERT_ACTIONS`]; a follow-up may have none (a note alone).
    pub actions: Vec<String>,
    /// The note, decrypted.
    pub note: Option<String>,
    pub by_user_id: String,
    /// The display name of `by_user_id`.
    pub by_name: String,
    pub at: String,
}

/// Checks action codes: each one of [`ALERT_ACTIONS`], none twice; errors name the position.
fn check_actions(actions: &[String]) -> Result<()> {
    for (i, action) in actions.iter().enumerate() {
        if !ALERT_ACTIONS.contains(&action.as_str()) {
            return Err(StoreError::invalid(
                format!("actions.{i}"),
                format!("must be one of: {}", ALERT_ACTIONS.join(", ")),
            ));
        }
        if actions[..i].contains(action) {
            return Err(StoreError::invalid(
                format!("actions.{i}"),
                "is listed twice",
            ));
        }
    }
    Ok(())
}

/// Whether `actor` may see and act on `alert`.
fn may_handle(actor: &Actor, alert: &AlertRow) -> bool {
    match actor.role {
        Role::Supervisor => alert.supervisor_id.as_deref() == Some(actor.user_id.as_str()),
        Role::HubManager => actor.may_see_hub(&alert.hub_id),
        _ => false,
    }
}

impl Store {
    /// The alert, if `actor` may act on it; `NotFound` otherwise (whether or not it exists).
    async fn handled_alert(
        &self,
        conn: &mut sqlx::AnyConnection,
        actor: &Actor,
        alert_id: &str,
    ) -> Result<AlertRow> {
        let row = sqlx::query("SELECT * FROM risk_alerts WHERE id = $1")
            .bind(alert_id.to_string())
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(StoreError::NotFound)?;
        let alert = alert_row(&row)?;
        if may_handle(actor, &alert) {
            Ok(alert)
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// Appends one entry to an alert's history (inside the caller's transaction).
    async fn insert_alert_action(
        &self,
        conn: &mut sqlx::AnyConnection,
        actor: &Actor,
        alert_id: &str,
        kind: &str,
        actions: &[String],
        note: Option<&str>,
    ) -> Result<String> {
        let id = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO alert_actions (id, alert_id, kind, actions, note, note_key_id, by_user_id, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id.clone())
        .bind(alert_id.to_string())
        .bind(kind.to_string())
        .bind(serde_json::json!(actions).to_string())
        .bind(note.map(|n| self.keys.seal(alert_id, n.as_bytes())))
        .bind(note.map(|_| self.keys.key_id.clone()))
        .bind(actor.user_id.clone())
        .bind(now_timestamp())
        .execute(&mut *conn)
        .await?;
        Ok(id)
    }

    /// The history of one alert, oldest first (entries with equal times in insertion order is
    /// not promised; their ids break the tie).
    async fn alert_history(
        &self,
        conn: &mut sqlx::AnyConnection,
        alert_id: &str,
        only: Option<&str>,
    ) -> Result<Vec<AlertAction>> {
        let rows = sqlx::query(
            "SELECT a.id, a.kind, a.actions, a.note, a.by_user_id, a.at, u.display_name
             FROM alert_actions a LEFT JOIN users u ON u.id = a.by_user_id
             WHERE a.alert_id = $1 AND ($2 = '' OR a.id = $2) ORDER BY a.at, a.id",
        )
        .bind(alert_id.to_string())
        .bind(only.unwrap_or("").to_string())
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|r| {
                let note = match r.try_get::<Option<String>, _>("note")? {
                    Some(sealed) => Some(
                        String::from_utf8(self.keys.open(alert_id, &sealed)?).map_err(|_| {
                            StoreError::Internal("a sealed note is not text".into())
                        })?,
                    ),
                    None => None,
                };
                Ok(AlertAction {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    actions: serde_json::from_str(&r.try_get::<String, _>("actions")?).map_err(
                        |_| StoreError::Internal("stored alert actions are not JSON".into()),
                    )?,
                    note,
                    by_user_id: r.try_get("by_user_id")?,
                    by_name: r
                        .try_get::<Option<String>, _>("display_name")?
                        .unwrap_or_default(),
                    at: r.try_get("at")?,
                })
            })
            .collect()
    }

    /// The alert's supervisor (or a hub manager of its hub, where escalated alerts go)
    /// acknowledges it with one or more actions from [`ALERT_ACTIONS`] and an optional note of at
    /// most 2,000 characters. An alert already acknowledged is a `Conflict`; an alert the actor
    /// may not act on is `NotFound`.
    pub async fn acknowledge_alert(
        &self,
        actor: &Actor,
        alert_id: &str,
        actions: &[String],
        note: Option<&str>,
    ) -> Result<AlertRow> {
        if actions.is_empty() {
            return Err(StoreError::invalid(
                "actions",
                format!(
                    "must list at least one action, each one of: {}",
                    ALERT_ACTIONS.join(", ")
                ),
            ));
        }
        check_actions(actions)?;
        let note = checked_note(note)?;
        let mut tx = self.begin_write().await?;
        let alert = self.handled_alert(&mut tx, actor, alert_id).await?;
        if alert.status == "acknowledged" {
            return Err(StoreError::Conflict(
                "the alert is already acknowledged".into(),
            ));
        }
        let updated = sqlx::query(
            "UPDATE risk_alerts SET status = 'acknowledged', acknowledged_by = $1, acknowledged_at = $2, action = $3, actions = $4
             WHERE id = $5 AND status <> 'acknowledged'",
        )
        .bind(actor.user_id.clone())
        .bind(now_timestamp())
        .bind(actions[0].clone())
        .bind(serde_json::json!(actions).to_string())
        .bind(alert_id.to_string())
        .execute(&mut *tx)
        .await?;
        // Two acknowledgements at once on PostgreSQL: the second waited for the first's lock,
        // then found the alert acknowledged.
        if updated.rows_affected() == 0 {
            return Err(StoreError::Conflict(
                "the alert is already acknowledged".into(),
            ));
        }
        self.insert_alert_action(&mut tx, actor, alert_id, "acknowledge", actions, note)
            .await?;
        self.audit_in(
            &mut tx,
            Some(actor),
            &AuditEvent::new("alert.acknowledge", "risk_alert")
                .entity(alert_id)
                .client(alert.client_id.clone())
                .hub(Some(alert.hub_id.clone()))
                .detail(serde_json::json!({"actions": actions, "note": note.is_some()})),
        )
        .await?;
        tx.commit().await?;
        let row = sqlx::query("SELECT * FROM risk_alerts WHERE id = $1")
            .bind(alert_id.to_string())
            .fetch_one(&self.pool)
            .await?;
        alert_row(&row)
    }

    /// Adds a follow-up to an alert in any state (open, escalated or acknowledged): at least one
    /// action from [`ALERT_ACTIONS`] or a non-empty note. Who may is as for acknowledging.
    pub async fn add_alert_follow_up(
        &self,
        actor: &Actor,
        alert_id: &str,
        actions: &[String],
        note: Option<&str>,
    ) -> Result<AlertAction> {
        check_actions(actions)?;
        let note = checked_note(note)?;
        if actions.is_empty() && note.is_none() {
            return Err(StoreError::invalid(
                "actions",
                format!(
                    "a follow-up needs at least one action or a note; actions are: {}",
                    ALERT_ACTIONS.join(", ")
                ),
            ));
        }
        let mut tx = self.begin_write().await?;
        let alert = self.handled_alert(&mut tx, actor, alert_id).await?;
        let id = self
            .insert_alert_action(&mut tx, actor, alert_id, "follow_up", actions, note)
            .await?;
        self.audit_in(
            &mut tx,
            Some(actor),
            &AuditEvent::new("alert.follow_up", "risk_alert")
                .entity(alert_id)
                .client(alert.client_id.clone())
                .hub(Some(alert.hub_id.clone()))
                .detail(serde_json::json!({"actions": actions, "note": note.is_some()})),
        )
        .await?;
        let added = self
            .alert_history(&mut tx, alert_id, Some(&id))
            .await?
            .pop()
            .ok_or_else(|| StoreError::Internal("a follow-up vanished".into()))?;
        tx.commit().await?;
        Ok(added)
    }

    /// One alert and its history (acknowledgement and follow-ups, oldest first, notes
    /// decrypted), for the alert's supervisor or a hub manager of its hub. A client-level
    /// read: audited, and refused if it cannot be.
    pub async fn alert_detail(
        &self,
        actor: &Actor,
        alert_id: &str,
    ) -> Result<(AlertRow, Vec<AlertAction>)> {
        let mut conn = self.pool.acquire().await?;
        let alert = self.handled_alert(&mut conn, actor, alert_id).await?;
        let history = self.alert_history(&mut conn, alert_id, None).await?;
        drop(conn);
        self.audit(
            Some(actor),
            AuditEvent::new("alert.read", "risk_alert")
                .entity(alert_id)
                .client(alert.client_id.clone())
                .hub(Some(alert.hub_id.clone()))
                .detail(serde_json::json!({"history": history.len()})),
        )
        .await?;
        Ok((alert, history))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_known_codes_listed_once() {
        let codes = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(check_actions(&codes(&["contacted_client", "called_counsellor"])).is_ok());
        let Err(StoreError::Invalid { field, message }) =
            check_actions(&codes(&["contacted_client", "prayed"]))
        else {
            panic!("an unknown action was accepted");
        };
        assert_eq!(field, "actions.1");
        assert!(message.starts_with("must be one of: contacted_client, safety_plan_made"));
        let Err(StoreError::Invalid { field, .. }) =
            check_actions(&codes(&["home_visit", "safety_plan_made", "home_visit"]))
        else {
            panic!("a duplicate was accepted");
        };
        assert_eq!(field, "actions.2");
    }
}
