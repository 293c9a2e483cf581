//! The append-only, hash-chained audit log.
//!
//! Each row's hash is HMAC-SHA256, keyed with a subkey of the master key, over the previous
//! row's hash and the row's own fields. The head (last sequence number and hash) is kept in
//! `store_state`, updated in the same transaction, so [`Store::verify_audit`] detects a modified
//! row (its hash no longer matches), a deleted row (a gap, or a broken link to the next row),
//! and a truncated tail (the head points past the last row). Without the key an attacker with
//! database access cannot forge a consistent chain.
//!
//! Details hold ids and counts, never identifying details or clinical values.

use crate::scope::Actor;
use crate::time_util::now_timestamp;
use crate::{Result, Store};
use sqlx::Row;

/// One thing that happened, as the caller describes it.
#[derive(Clone, Debug)]
pub struct AuditEvent {
    /// What was done, e.g. `client.read`, `sync.push`, `identity.read`, `user.create`.
    pub action: String,
    /// The kind of entity touched, e.g. `client`, `record`, `user`.
    pub entity_kind: String,
    pub entity_id: Option<String>,
    pub client_id: Option<String>,
    pub hub_id: Option<String>,
    /// Structured detail: ids and counts only.
    pub detail: serde_json::Value,
}

impl AuditEvent {
    pub fn new(action: &str, entity_kind: &str) -> Self {
        AuditEvent {
            action: action.to_string(),
            entity_kind: entity_kind.to_string(),
            entity_id: None,
            client_id: None,
            hub_id: None,
            detail: serde_json::json!({}),
        }
    }
    pub fn entity(mut self, id: impl Into<String>) -> Self {
        self.entity_id = Some(id.into());
        self
    }
    pub fn client(mut self, id: impl Into<String>) -> Self {
        self.client_id = Some(id.into());
        self
    }
    pub fn hub(mut self, id: Option<String>) -> Self {
        self.hub_id = id;
        self
    }
    pub fn detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }
}

/// Result of checking the whole chain.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditVerification {
    pub rows_checked: i64,
    pub ok: bool,
    /// Human-readable findings, each naming the sequence number concerned.
    pub problems: Vec<String>,
}

#[allow(clippy::too_many_arguments)]
fn chain_message(
    seq: i64,
    at: &str,
    actor_id: Option<&str>,
    actor_role: Option<&str>,
    ev_action: &str,
    entity_kind: &str,
    entity_id: Option<&str>,
    client_id: Option<&str>,
    hub_id: Option<&str>,
    detail: &str,
    prev_hash: &str,
) -> Vec<u8> {
    // Length-prefixed fields: no two different rows can produce the same message.
    let mut out = Vec::new();
    for field in [
        Some(seq.to_string().as_str()),
        Some(at),
        actor_id,
        actor_role,
        Some(ev_action),
        Some(entity_kind),
        entity_id,
        client_id,
        hub_id,
        Some(detail),
        Some(prev_hash),
    ] {
        match field {
            Some(f) => {
                out.extend_from_slice(&(f.len() as u64).to_le_bytes());
                out.extend_from_slice(f.as_bytes());
            }
            None => out.extend_from_slice(&u64::MAX.to_le_bytes()),
        }
    }
    out
}

impl Store {
    /// Appends an event inside the caller's transaction. Callers writing care data call this in
    /// the same transaction as the write, so neither can exist without the other.
    pub(crate) async fn audit_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        actor: Option<&Actor>,
        event: &AuditEvent,
    ) -> Result<()> {
        let head = sqlx::query(
            "UPDATE store_state SET audit_seq = audit_seq + 1 WHERE id = 1 RETURNING audit_seq, audit_hash",
        )
        .fetch_one(&mut *conn)
        .await?;
        let seq: i64 = head.try_get("audit_seq")?;
        let prev_hash: String = head.try_get("audit_hash")?;
        let at = now_timestamp();
        let detail = event.detail.to_string();
        let actor_id = actor.map(|a| a.user_id.as_str());
        let actor_role = actor.map(|a| a.role.as_str());
        let hash = self.keys.audit_mac(&chain_message(
            seq,
            &at,
            actor_id,
            actor_role,
            &event.action,
            &event.entity_kind,
            event.entity_id.as_deref(),
            event.client_id.as_deref(),
            event.hub_id.as_deref(),
            &detail,
            &prev_hash,
        ));
        sqlx::query(
            "INSERT INTO audit_log (seq, at, actor_id, actor_role, action, entity_kind, entity_id, client_id, hub_id, detail, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(seq)
        .bind(at)
        .bind(actor_id.map(str::to_string))
        .bind(actor_role.map(str::to_string))
        .bind(event.action.clone())
        .bind(event.entity_kind.clone())
        .bind(event.entity_id.clone())
        .bind(event.client_id.clone())
        .bind(event.hub_id.clone())
        .bind(detail)
        .bind(prev_hash)
        .bind(hash.clone())
        .execute(&mut *conn)
        .await?;
        sqlx::query("UPDATE store_state SET audit_hash = $1 WHERE id = 1")
            .bind(hash)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// Appends one event in its own transaction (reads, logins).
    pub async fn audit(&self, actor: Option<&Actor>, event: AuditEvent) -> Result<()> {
        let mut tx = self.begin_write().await?;
        self.audit_in(&mut tx, actor, &event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Recomputes the whole chain and compares it with the stored hashes and the head.
    pub async fn verify_audit(&self) -> Result<AuditVerification> {
        let mut problems = Vec::new();
        let mut expected_seq = 1i64;
        let mut prev_hash = "0".repeat(64);
        let mut rows_checked = 0i64;
        let batch = 5000i64;
        loop {
            let rows = sqlx::query(
                "SELECT seq, at, actor_id, actor_role, action, entity_kind, entity_id, client_id, hub_id, detail, prev_hash, hash
                 FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2",
            )
            .bind(expected_seq)
            .bind(batch)
            .fetch_all(&self.pool)
            .await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let seq: i64 = row.try_get("seq")?;
                let stored_prev: String = row.try_get("prev_hash")?;
                let stored_hash: String = row.try_get("hash")?;
                if seq != expected_seq {
                    problems.push(format!(
                        "rows {expected_seq}..{} are missing (deleted)",
                        seq - 1
                    ));
                }
                if stored_prev != prev_hash {
                    problems.push(format!("row {seq}: link to the previous row is broken (a row before it was changed or deleted)"));
                }
                if self.row_mac(row)? != stored_hash {
                    problems.push(format!(
                        "row {seq}: contents do not match its hash (modified)"
                    ));
                }
                prev_hash = stored_hash;
                expected_seq = seq + 1;
                rows_checked += 1;
                if problems.len() > 100 {
                    break;
                }
            }
            if problems.len() > 100 || (rows.len() as i64) < batch {
                break;
            }
        }
        let head = sqlx::query("SELECT audit_seq, audit_hash FROM store_state WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        let head_seq: i64 = head.try_get("audit_seq")?;
        let head_hash: String = head.try_get("audit_hash")?;
        if head_seq != expected_seq - 1 {
            problems.push(format!(
                "the log ends at row {} but {} rows were written (rows at the end were deleted)",
                expected_seq - 1,
                head_seq
            ));
        } else if head_hash != prev_hash {
            problems.push(format!(
                "row {head_seq}: the last row does not match the recorded head (modified)"
            ));
        }
        Ok(AuditVerification {
            rows_checked,
            ok: problems.is_empty(),
            problems,
        })
    }

    /// The MAC a stored audit row should carry under the configured key.
    fn row_mac(&self, row: &sqlx::any::AnyRow) -> Result<String> {
        let get = |c: &str| -> Result<Option<String>> { Ok(row.try_get::<Option<String>, _>(c)?) };
        Ok(self.keys.audit_mac(&chain_message(
            row.try_get::<i64, _>("seq")?,
            &row.try_get::<String, _>("at")?,
            get("actor_id")?.as_deref(),
            get("actor_role")?.as_deref(),
            &row.try_get::<String, _>("action")?,
            &row.try_get::<String, _>("entity_kind")?,
            get("entity_id")?.as_deref(),
            get("client_id")?.as_deref(),
            get("hub_id")?.as_deref(),
            &row.try_get::<String, _>("detail")?,
            &row.try_get::<String, _>("prev_hash")?,
        )))
    }

    /// Whether the newest audit row's MAC was made with the configured key; `None` for an
    /// empty log.
    pub(crate) async fn newest_audit_row_matches_key(&self) -> Result<Option<bool>> {
        let row = sqlx::query(
            "SELECT seq, at, actor_id, actor_role, action, entity_kind, entity_id, client_id, hub_id, detail, prev_hash, hash
             FROM audit_log ORDER BY seq DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok(self.row_mac(&r)? == r.try_get::<String, _>("hash")?))
            .transpose()
    }

    /// Audit events, newest first (admin view).
    pub async fn audit_events(
        &self,
        before_seq: Option<i64>,
        limit: i64,
    ) -> Result<Vec<serde_json::Value>> {
        let rows = sqlx::query(
            "SELECT seq, at, actor_id, actor_role, action, entity_kind, entity_id, client_id, hub_id, detail
             FROM audit_log WHERE seq < $1 ORDER BY seq DESC LIMIT $2",
        )
        .bind(before_seq.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(serde_json::json!({
                    "seq": r.try_get::<i64, _>("seq")?,
                    "at": r.try_get::<String, _>("at")?,
                    "actor_id": r.try_get::<Option<String>, _>("actor_id")?,
                    "actor_role": r.try_get::<Option<String>, _>("actor_role")?,
                    "action": r.try_get::<String, _>("action")?,
                    "entity_kind": r.try_get::<String, _>("entity_kind")?,
                    "entity_id": r.try_get::<Option<String>, _>("entity_id")?,
                    "client_id": r.try_get::<Option<String>, _>("client_id")?,
                    "hub_id": r.try_get::<Option<String>, _>("hub_id")?,
                    "detail": serde_json::from_str::<serde_json::Value>(&r.try_get::<String, _>("detail")?).unwrap_or_default(),
                }))
            })
            .collect()
    }
}
