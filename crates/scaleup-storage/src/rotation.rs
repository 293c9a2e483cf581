//! Master key rotation: re-sealing everything sealed under the old key while servers keep
//! serving, resumable after a crash.
//!
//! How it runs (`scaleup key rotate`; docs/operations.md has the operator's steps):
//! 1. Servers are restarted, one at a time, with the new key and the old one as the previous
//!    key ([`Store::open_rotating`]): they open what is sealed under either key and seal under
//!    the new one.
//! 2. [`Store::rotate_key`] starts: in one transaction on the state row it records the rotation
//!    (`key_rotation`) and sets `seal_state.seal_key_id` to the new key. From then on every
//!    audited transaction (every write of sealed data is one) checks that its server seals
//!    under that key, so a server forgotten in step 1 fails instead of sealing under the old
//!    key behind the rotation's back.
//! 3. It re-seals, table by table, in chunks: each chunk is one short transaction that
//!    rewrites at most `chunk` rows (compare-and-swap on the old ciphertext, so a row a server
//!    rewrote meanwhile is left alone: the server sealed it under the new key) and moves the
//!    cursor in `key_rotation`. Readers never wait for more than a chunk, and change sequence
//!    numbers do not move: the plaintext is unchanged, so devices have nothing to pull.
//!    After a crash the next run continues from the cursor.
//! 4. It switches, in one transaction on the state row: the retired key's audit subkeys are
//!    kept in `audit_key_epochs` (sealed under the new key) with the last row they keyed, the
//!    head is re-signed under the new key, the key check value becomes the new key's, the
//!    rotation row goes, and a `key.rotated` event, the first row of the new key's epoch, is
//!    appended. Audit rows are never rewritten: old checkpoints still verify.
//!
//! What is sealed or keyed under the master key, and what rotation does with each:
//! identities (`client_identities`, identity records and their versions, conflicts holding
//! them), supervision notes (in supervision records, versions and conflicts), alert and
//! safety-flag notes: re-sealed. Audit rows and checkpoints: kept, with the retired key's
//! subkeys (epochs). The audit head: re-signed. The key check value: switched. Sign-in
//! counters (keyed by MACs of usernames, addresses and device tokens, which are not kept):
//! cannot be recomputed, so they restart from zero under the new key (servers holding the new
//! key count under it from their restart on). Recognised devices (`login_devices`, SHA-256 of
//! the device token) and session tokens are not keyed by the master key and stay as they are.

use crate::audit::AuditEvent;
use crate::crypto::Keys;
use crate::migrate::{KEY_ROTATION_SCHEMA, PER_HUB_SCHEMA};
use crate::time_util::now_timestamp;
use crate::{Result, Store, StoreError};
use sqlx::Row;

/// The tables re-sealed, in order. A stage's cursor is the last key it finished.
const STAGES: &[&str] = &[
    "client_identities",
    "records",
    "record_versions",
    "sync_conflicts",
    "alert_actions",
    "safety_flags",
];

/// Where a rotation stands.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RotationProgress {
    pub old_key_id: String,
    pub new_key_id: String,
    /// The table being re-sealed, or `done`.
    pub stage: String,
    /// Rows re-sealed so far, over every run of this rotation.
    pub resealed: i64,
    /// Whether the key check value names the new key (the rotation is over).
    pub finished: bool,
}

struct State {
    old_key_id: String,
    new_key_id: String,
    stage: String,
    cursor: String,
    resealed: i64,
}

/// One row to rewrite: its key columns, the old value, the new one.
struct Reseal {
    keys: Vec<String>,
    old: String,
    new: String,
}

impl Store {
    /// Starts a key rotation to this store's key from its previous key, or resumes the one in
    /// progress, and runs at most `max_chunks` chunks of at most `chunk` rows each (`None`:
    /// until it has switched the key check value). Safe to call again after a crash or from
    /// another process: chunks are idempotent.
    pub async fn rotate_key(
        &self,
        chunk: i64,
        max_chunks: Option<usize>,
    ) -> Result<RotationProgress> {
        self.rotate_key_paced(chunk, max_chunks, std::time::Duration::ZERO)
            .await
    }

    /// As [`Store::rotate_key`], waiting `pause` between chunks, so that a rotation on a busy
    /// database leaves room to everything else.
    pub async fn rotate_key_paced(
        &self,
        chunk: i64,
        max_chunks: Option<usize>,
        pause: std::time::Duration,
    ) -> Result<RotationProgress> {
        if self.schema < KEY_ROTATION_SCHEMA {
            return Err(StoreError::Internal(
                "key rotation needs schema 11 (run `scaleup migrate`)".into(),
            ));
        }
        let chunk = chunk.max(1);
        let Some(mut state) = self.start_rotation().await? else {
            return Ok(RotationProgress {
                old_key_id: self.keys.key_id.clone(),
                new_key_id: self.keys.key_id.clone(),
                stage: "done".into(),
                resealed: 0,
                finished: true,
            });
        };
        let mut chunks = 0usize;
        while state.stage != "done" {
            if max_chunks.is_some_and(|m| chunks >= m) {
                return Ok(progress(&state, false));
            }
            if chunks > 0 && !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
            state = self.reseal_chunk(state, chunk).await?;
            chunks += 1;
        }
        self.switch_key(&state).await?;
        Ok(progress(&state, true))
    }

    /// The rotation in progress, if any (read-only).
    pub async fn rotation_in_progress(&self) -> Result<Option<RotationProgress>> {
        if self.schema < KEY_ROTATION_SCHEMA {
            return Ok(None);
        }
        Ok(read_state(&self.pool)
            .await?
            .map(|state| progress(&state, false)))
    }

    fn previous_keys(&self) -> Result<&Keys> {
        self.keys.previous.as_deref().ok_or_else(|| {
            StoreError::invalid(
                "previous_key",
                "a rotation needs the key being retired as the previous key",
            )
        })
    }

    /// Records a new rotation (or checks the one in progress is this one). `None` when the
    /// database is already under this store's key and nothing is in progress.
    async fn start_rotation(&self) -> Result<Option<State>> {
        let mut tx = self.begin_write().await?;
        // The seal key's row lock orders this against every audited write: it waits for those
        // that checked the key before, and those after see the new key.
        sqlx::query(if self.schema >= PER_HUB_SCHEMA {
            "UPDATE seal_state SET seal_key_id = seal_key_id WHERE id = 1"
        } else {
            "UPDATE store_state SET seal_key_id = seal_key_id WHERE id = 1"
        })
        .execute(&mut *tx)
        .await?;
        if let Some(state) = read_state(&mut *tx).await? {
            let previous = self.keys.previous.as_deref().map(|p| p.key_id.as_str());
            if state.new_key_id != self.keys.key_id || Some(state.old_key_id.as_str()) != previous {
                return Err(StoreError::invalid(
                    "key",
                    format!(
                        "a rotation from key id {} to key id {} is in progress: resume it with those keys",
                        state.old_key_id, state.new_key_id
                    ),
                ));
            }
            tx.commit().await?;
            return Ok(Some(state));
        }
        let db_key: Option<String> =
            sqlx::query_scalar("SELECT key_id FROM key_check WHERE id = 1")
                .fetch_optional(&mut *tx)
                .await?;
        if db_key.as_deref() == Some(self.keys.key_id.as_str()) {
            return Ok(None);
        }
        let old = self.previous_keys()?;
        if db_key.as_deref() != Some(old.key_id.as_str()) {
            return Err(StoreError::invalid(
                "previous_key",
                "the previous key is not the key this database is sealed under",
            ));
        }
        let now = now_timestamp();
        let state = State {
            old_key_id: old.key_id.clone(),
            new_key_id: self.keys.key_id.clone(),
            stage: STAGES[0].to_string(),
            cursor: String::new(),
            resealed: 0,
        };
        sqlx::query(
            "INSERT INTO key_rotation (id, old_key_id, new_key_id, stage, cursor, resealed, started_at, updated_at)
             VALUES (1, $1, $2, $3, '', 0, $4, $4)",
        )
        .bind(state.old_key_id.clone())
        .bind(state.new_key_id.clone())
        .bind(state.stage.clone())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(if self.schema >= PER_HUB_SCHEMA {
            "UPDATE seal_state SET seal_key_id = $1 WHERE id = 1"
        } else {
            "UPDATE store_state SET seal_key_id = $1 WHERE id = 1"
        })
        .bind(state.new_key_id.clone())
        .execute(&mut *tx)
        .await?;
        self.audit_in(
            &mut tx,
            None,
            &AuditEvent::new("key.rotation_started", "database").detail(serde_json::json!({
                "old_key_id": state.old_key_id,
                "new_key_id": state.new_key_id,
            })),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(
            old_key_id = %state.old_key_id,
            new_key_id = %state.new_key_id,
            "key rotation started"
        );
        Ok(Some(state))
    }

    /// Re-seals one chunk of the current stage in one transaction, and moves the cursor with
    /// it.
    async fn reseal_chunk(&self, mut state: State, chunk: i64) -> Result<State> {
        let mut tx = self.begin_write().await?;
        let (rows, last, exhausted) = self.read_chunk(&mut tx, &state, chunk).await?;
        let mut done = 0i64;
        for r in &rows {
            let (id, old, new) = (r.keys[0].clone(), r.old.clone(), r.new.clone());
            let key_id = self.keys.key_id.clone();
            let q = match state.stage.as_str() {
                "client_identities" => sqlx::query(
                    "UPDATE client_identities SET ciphertext = $1, key_id = $2 WHERE client_id = $3 AND ciphertext = $4",
                )
                .bind(new)
                .bind(key_id)
                .bind(id)
                .bind(old),
                "records" => {
                    sqlx::query("UPDATE records SET payload = $1 WHERE id = $2 AND payload = $3")
                        .bind(new)
                        .bind(id)
                        .bind(old)
                }
                "record_versions" => sqlx::query(
                    "UPDATE record_versions SET payload = $1 WHERE record_id = $2 AND version = $3 AND payload = $4",
                )
                .bind(new)
                .bind(id)
                .bind(r.keys[1].parse::<i64>().unwrap_or_default())
                .bind(old),
                "sync_conflicts" => sqlx::query(
                    "UPDATE sync_conflicts SET incoming_payload = $1 WHERE id = $2 AND incoming_payload = $3",
                )
                .bind(new)
                .bind(id)
                .bind(old),
                "alert_actions" => sqlx::query(
                    "UPDATE alert_actions SET note = $1, note_key_id = $2 WHERE id = $3 AND note = $4",
                )
                .bind(new)
                .bind(key_id)
                .bind(id)
                .bind(old),
                "safety_flags" => sqlx::query(
                    "UPDATE safety_flags SET note = $1, note_key_id = $2 WHERE id = $3 AND note = $4",
                )
                .bind(new)
                .bind(key_id)
                .bind(id)
                .bind(old),
                other => return Err(StoreError::Internal(format!("unknown stage {other}"))),
            };
            done += q.execute(&mut *tx).await?.rows_affected() as i64;
        }
        state.resealed += done;
        if exhausted {
            let next = STAGES
                .iter()
                .position(|s| *s == state.stage)
                .and_then(|i| STAGES.get(i + 1))
                .map_or("done", |s| s);
            state.stage = next.to_string();
            state.cursor = String::new();
        } else {
            state.cursor = last;
        }
        sqlx::query(
            "UPDATE key_rotation SET stage = $1, cursor = $2, resealed = $3, updated_at = $4 WHERE id = 1",
        )
        .bind(state.stage.clone())
        .bind(state.cursor.clone())
        .bind(state.resealed)
        .bind(now_timestamp())
        .execute(&mut *tx)
        .await?;
        // Rewriting a record's payload marks its client for the indicator facts (a trigger on
        // `records`, migration 0010). Nothing they count changed, but the marks are cleared here,
        // a chunk at a time, rather than left for one care write to recompute every client.
        self.refresh_indicator_facts(&mut tx).await?;
        tx.commit().await?;
        Ok(state)
    }

    /// The rows of the current stage after the cursor that are still sealed under the old key,
    /// re-sealed in memory; the last key read; and whether the stage has no rows left.
    async fn read_chunk(
        &self,
        conn: &mut sqlx::AnyConnection,
        state: &State,
        chunk: i64,
    ) -> Result<(Vec<Reseal>, String, bool)> {
        const SEALED_KINDS: &str = "('client_identity', 'supervision_session')";
        let (sql, composite) = match state.stage.as_str() {
            "client_identities" => (
                "SELECT client_id AS k1, '' AS k2, '' AS kind, client_id AS aad, ciphertext AS v, key_id AS vk FROM client_identities WHERE client_id > $1 ORDER BY client_id LIMIT $2".to_string(),
                false,
            ),
            "records" => (
                format!("SELECT id AS k1, '' AS k2, kind, id AS aad, payload AS v, '' AS vk FROM records WHERE id > $1 AND kind IN {SEALED_KINDS} ORDER BY id LIMIT $2"),
                false,
            ),
            "record_versions" => (
                format!("SELECT v.record_id AS k1, CAST(v.version AS TEXT) AS k2, r.kind, v.record_id AS aad, v.payload AS v, '' AS vk
                 FROM record_versions v JOIN records r ON r.id = v.record_id
                 WHERE r.kind IN {SEALED_KINDS} AND (v.record_id > $1 OR (v.record_id = $1 AND v.version > $2))
                 ORDER BY v.record_id, v.version LIMIT $3"),
                true,
            ),
            "sync_conflicts" => (
                format!("SELECT id AS k1, '' AS k2, kind, record_id AS aad, incoming_payload AS v, '' AS vk FROM sync_conflicts WHERE id > $1 AND kind IN {SEALED_KINDS} ORDER BY id LIMIT $2"),
                false,
            ),
            "alert_actions" => (
                "SELECT id AS k1, '' AS k2, '' AS kind, alert_id AS aad, note AS v, note_key_id AS vk FROM alert_actions WHERE id > $1 AND note IS NOT NULL ORDER BY id LIMIT $2".to_string(),
                false,
            ),
            "safety_flags" => (
                "SELECT id AS k1, '' AS k2, '' AS kind, id AS aad, note AS v, note_key_id AS vk FROM safety_flags WHERE id > $1 AND note IS NOT NULL ORDER BY id LIMIT $2".to_string(),
                false,
            ),
            other => return Err(StoreError::Internal(format!("unknown stage {other}"))),
        };
        let (k1, k2) = if composite {
            let (a, b) = state.cursor.split_once('\t').unwrap_or(("", "0"));
            (
                a.to_string(),
                if b.is_empty() { "0" } else { b }.to_string(),
            )
        } else {
            (state.cursor.clone(), "0".to_string())
        };
        let query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(k1);
        let query = if composite {
            query.bind(k2.parse::<i64>().unwrap_or(0)).bind(chunk)
        } else {
            query.bind(chunk)
        };
        let rows = query.fetch_all(&mut *conn).await?;
        let exhausted = (rows.len() as i64) < chunk;
        let mut last = state.cursor.clone();
        let mut out = Vec::new();
        for row in &rows {
            let k1: String = row.try_get("k1")?;
            let k2: String = row.try_get("k2")?;
            last = if composite {
                format!("{k1}\t{k2}")
            } else {
                k1.clone()
            };
            let kind: String = row.try_get("kind")?;
            let aad: String = row.try_get("aad")?;
            let value: String = row.try_get("v")?;
            let value_key: Option<String> = row.try_get("vk")?;
            let new = if kind.is_empty() {
                // A bare ciphertext with its key id beside it.
                if value_key.as_deref() == Some(self.keys.key_id.as_str()) {
                    None
                } else {
                    Some(self.reseal(&aad, &value)?)
                }
            } else {
                self.reseal_payload(&kind, &aad, &value)?
            };
            if let Some(new) = new {
                out.push(Reseal {
                    keys: vec![k1, k2],
                    old: value,
                    new,
                });
            }
        }
        Ok((out, last, exhausted))
    }

    /// Opens under either key and seals under the new one.
    fn reseal(&self, aad: &str, sealed: &str) -> Result<String> {
        let plain = self.keys.open(aad, sealed)?;
        Ok(self.keys.seal(aad, &plain))
    }

    /// A stored record payload with its sealed part re-sealed under the new key, or `None`
    /// when it is already.
    fn reseal_payload(&self, kind: &str, record_id: &str, stored: &str) -> Result<Option<String>> {
        let mut value: serde_json::Value = serde_json::from_str(stored)
            .map_err(|_| StoreError::Internal("stored payload is not JSON".into()))?;
        if !value.is_object() {
            return Ok(None);
        }
        let text = |v: &serde_json::Value| v.as_str().map(str::to_string);
        if kind == "client_identity" {
            if value["key_id"].as_str() == Some(self.keys.key_id.as_str()) {
                return Ok(None);
            }
            let (Some(client), Some(sealed)) = (text(&value["client_id"]), text(&value["sealed"]))
            else {
                return Ok(None);
            };
            value["sealed"] = self.reseal(&client, &sealed)?.into();
            value["key_id"] = self.keys.key_id.clone().into();
        } else {
            // Supervision notes carry no key id: a ciphertext the new key opens is done.
            let Some(sealed) = text(&value["sealed_notes"]) else {
                return Ok(None);
            };
            let aad = text(&value["record_id"]).unwrap_or_else(|| record_id.to_string());
            if self.keys.open_with_own_key(&aad, &sealed).is_ok() {
                return Ok(None);
            }
            value["sealed_notes"] = self.reseal(&aad, &sealed)?.into();
        }
        Ok(Some(value.to_string()))
    }

    /// The last step, in one transaction on the state row: keep the retired key's audit
    /// subkeys with the last row they keyed, re-sign the head, switch the key check value,
    /// end the rotation and open the new key's epoch with a `key.rotated` row.
    async fn switch_key(&self, state: &State) -> Result<()> {
        let old = self.previous_keys()?;
        // Events recorded under the old key's epoch are chained in it where possible (any
        // recorded during the switch go to the new key's).
        self.seal_audit().await?;
        let mut tx = self.begin_write().await?;
        let head = sqlx::query(
            "UPDATE store_state SET audit_seq = audit_seq WHERE id = 1 RETURNING audit_seq, audit_hash, audit_head_mac, audit_key_id",
        )
        .fetch_one(&mut *tx)
        .await?;
        let seq: i64 = head.try_get("audit_seq")?;
        let hash: String = head.try_get("audit_hash")?;
        let mac: Option<String> = head.try_get("audit_head_mac")?;
        let audit_key_id: Option<String> = head.try_get("audit_key_id")?;
        let epoch_keys = self.audit_keys_for(audit_key_id.as_deref())?;
        let now = now_timestamp();
        if epoch_keys.key_id != self.keys.key_id {
            sqlx::query(
                "INSERT INTO audit_key_epochs (key_id, until_seq, sealed_keys, sealed_under, retired_at)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key_id) DO NOTHING",
            )
            .bind(epoch_keys.key_id.clone())
            .bind(seq)
            .bind(epoch_keys.seal_under(&self.keys))
            .bind(self.keys.key_id.clone())
            .bind(now.clone())
            .execute(&mut *tx)
            .await?;
            // Epochs retired by earlier rotations were sealed under the key retiring now.
            let older = sqlx::query(
                "SELECT key_id, sealed_keys FROM audit_key_epochs WHERE sealed_under = $1",
            )
            .bind(old.key_id.clone())
            .fetch_all(&mut *tx)
            .await?;
            for row in &older {
                let id: String = row.try_get("key_id")?;
                let sealed: String = row.try_get("sealed_keys")?;
                let keys = crate::crypto::AuditKeys::open_sealed(&id, &sealed, old)?;
                sqlx::query(
                    "UPDATE audit_key_epochs SET sealed_keys = $1, sealed_under = $2 WHERE key_id = $3",
                )
                .bind(keys.seal_under(&self.keys))
                .bind(self.keys.key_id.clone())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            // The head moves to the new key only if the old key signed it; otherwise the next
            // event records an unsigned head, as it would have without a rotation.
            let signed = mac.as_deref().is_some_and(|m| {
                crate::crypto::constant_time_eq(
                    m.as_bytes(),
                    epoch_keys
                        .head_mac(&crate::audit::head_message(seq, &hash))
                        .as_bytes(),
                )
            });
            let new_mac = if signed {
                Some(
                    self.keys
                        .audit_keys()
                        .head_mac(&crate::audit::head_message(seq, &hash)),
                )
            } else {
                mac.clone()
            };
            sqlx::query(
                "UPDATE store_state SET audit_key_id = $1, audit_head_mac = $2 WHERE id = 1",
            )
            .bind(self.keys.key_id.clone())
            .bind(new_mac)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("UPDATE key_check SET key_id = $1, check_value = $2 WHERE id = 1")
            .bind(self.keys.key_id.clone())
            .bind(self.keys.check_value.clone())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM key_rotation WHERE id = 1")
            .execute(&mut *tx)
            .await?;
        self.audit_in(
            &mut tx,
            None,
            &AuditEvent::new("key.rotated", "database").detail(serde_json::json!({
                "old_key_id": state.old_key_id,
                "new_key_id": state.new_key_id,
                "resealed": state.resealed,
                "old_key_until_seq": seq,
            })),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(
            new_key_id = %state.new_key_id,
            resealed = state.resealed,
            "key rotation finished"
        );
        Ok(())
    }
}

fn progress(state: &State, finished: bool) -> RotationProgress {
    RotationProgress {
        old_key_id: state.old_key_id.clone(),
        new_key_id: state.new_key_id.clone(),
        stage: if finished {
            "done".into()
        } else {
            state.stage.clone()
        },
        resealed: state.resealed,
        finished,
    }
}

async fn read_state<'e, E>(executor: E) -> Result<Option<State>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(
        "SELECT old_key_id, new_key_id, stage, cursor, resealed FROM key_rotation WHERE id = 1",
    )
    .fetch_optional(executor)
    .await?;
    row.map(|r| {
        Ok(State {
            old_key_id: r.try_get("old_key_id")?,
            new_key_id: r.try_get("new_key_id")?,
            stage: r.try_get("stage")?,
            cursor: r.try_get("cursor")?,
            resealed: r.try_get("resealed")?,
        })
    })
    .transpose()
}
