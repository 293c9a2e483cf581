//! The append-only, hash-chained audit log.
//!
//! Each row's hash is HMAC-SHA256, keyed with a subkey of the master key, over the previous
//! row's hash and the row's own fields. The head (last sequence number and hash) is kept in
//! `store_state`, moved in the same transaction as the row is written, together with a MAC of
//! its own under another subkey (`audit_head_mac`, schema 7). [`Store::verify_audit`] reads the
//! head first, walks the log up to it, and names what it finds: a modified row (its hash no
//! longer matches), a broken link, a gap (deleted rows), a truncated tail (the head points past
//! the last row), a row appended after the head, and a head the key did not sign (the tail was
//! cut and the head rewritten to the last row kept).
//!
//! Recording and chaining are separate steps (schema 12): an event is written to
//! `audit_pending` in the transaction of what it records, taking no lock, and
//! [`Store::seal_audit`] chains waiting events under the head's lock, one sealer at a time
//! (inline on SQLite, every [`SEAL_INTERVAL`] on a server). So no transaction waits for the
//! chain head, and an event is outside the chain for at most one interval.
//!
//! What this stops, and what it does not:
//! - Without the key, someone holding the database cannot change, remove or add a row, or move
//!   the head, without verification saying so. A head rewritten without the key is caught by
//!   its MAC; and since a server that appends onto such a head first writes an
//!   `audit.head_unsigned` row into the chain, the next event cannot hide it either.
//! - An event not yet chained can be deleted unseen by someone holding the database, for as
//!   long as it waits (one sealing interval while a server runs).
//! - The head MAC covers only (seq, hash), so a head they saw earlier (in a backup, or by
//!   watching the database) is still signed: deleting the rows after it and putting it back is
//!   a consistent rollback. So is anything done by someone who also holds the key. Checkpoints
//!   ([`AuditCheckpoint`], in `checkpoint`) catch both: a signed head that a hub keeps outside
//!   the database, which verification proves is still in the log with its hash.
//!
//! Details hold ids and counts, never identifying details or clinical values.

mod checkpoint;

pub use checkpoint::{AuditCheckpoint, CHECKPOINT_FORMAT, CheckpointOutcome};

use crate::crypto::{AuditKeys, constant_time_eq};
use crate::migrate::{AUDIT_HEAD_MAC_SCHEMA, KEY_ROTATION_SCHEMA, PER_HUB_SCHEMA};
use crate::scope::Actor;
use crate::time_util::now_timestamp;
use crate::{Result, Store, StoreError};
use sqlx::Row;

/// The hash before the first row.
const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Verification stops collecting findings after this many: a log damaged that much needs a
/// person, not a longer list.
const MAX_FINDINGS: usize = 100;

/// Rows fetched per query while walking the chain.
const WALK_BATCH: i64 = 5000;

/// The action of the row a server writes when it finds the head it is about to extend not
/// signed by its key (see [`Store::audit_in`]).
const HEAD_UNSIGNED: &str = "audit.head_unsigned";

/// The action of the row written when a database's head is first signed (see
/// [`Store::sign_audit_head_once`]): from that row on, every head must carry a MAC.
const HEAD_SIGNED: &str = "audit.head_signed";

/// Events chained per sealing round (one transaction).
const SEAL_BATCH: i64 = 2000;

/// Chain rows per INSERT statement of a sealing round (12 parameters each; SQLite binds
/// parameters by name lookup, so statements stay small: see `bulk::ROWS_PER_STATEMENT`).
const CHAIN_ROWS_PER_STATEMENT: usize = 32;

/// The advisory lock a server's background sealer tries before a round on PostgreSQL: when
/// another server is sealing, it skips the round instead of queueing on the chain head.
const SEALER_LOCK: i64 = 0x5ca1_e5ea;

/// How often a server chains the events waiting in `audit_pending` (see
/// [`Store::seal_audit`]): the longest an event stays outside the chain while a server runs.
pub const SEAL_INTERVAL: std::time::Duration = std::time::Duration::from_millis(250);

/// The fields of one chain row besides its position and link.
struct ChainRow<'a> {
    at: &'a str,
    actor_id: Option<&'a str>,
    actor_role: Option<&'a str>,
    action: &'a str,
    entity_kind: &'a str,
    entity_id: Option<&'a str>,
    client_id: Option<&'a str>,
    hub_id: Option<&'a str>,
    detail: &'a str,
}

impl<'a> ChainRow<'a> {
    fn of(actor: Option<&'a Actor>, event: &'a AuditEvent, at: &'a str, detail: &'a str) -> Self {
        ChainRow {
            at,
            actor_id: actor.map(|a| a.user_id.as_str()),
            actor_role: actor.map(|a| a.role.as_str()),
            action: &event.action,
            entity_kind: &event.entity_kind,
            entity_id: event.entity_id.as_deref(),
            client_id: event.client_id.as_deref(),
            hub_id: event.hub_id.as_deref(),
            detail,
        }
    }
}

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

/// Result of checking the chain (and any checkpoints) against the recorded head.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditVerification {
    pub rows_checked: i64,
    pub ok: bool,
    /// Human-readable findings, each naming the sequence numbers concerned.
    pub problems: Vec<String>,
    /// The recorded head the chain was verified up to. It is read before the walk: rows
    /// appended while verification runs are left to the next one.
    pub head_seq: i64,
    /// How many checkpoints were checked against the log.
    pub checkpoints_checked: usize,
}

/// The recorded head and the two ends of the log, read in one statement so that they agree
/// with each other whatever is being appended meanwhile.
struct Head {
    seq: i64,
    hash: String,
    /// `None` before schema 7, and on a database whose head has not been signed yet.
    mac: Option<String>,
    /// The key that keys the chain from the last rotation on (`None`: the database's key).
    audit_key_id: Option<String>,
    first_row: Option<i64>,
    last_row: Option<i64>,
}

/// What a walk of the chain up to the recorded head found.
struct Walk {
    rows_checked: i64,
    problems: Vec<String>,
    /// The last row walked and its hash (0 and the genesis hash when there was none).
    last_seq: i64,
    last_hash: String,
    /// False when the walk stopped at [`MAX_FINDINGS`]: what lies beyond is unknown.
    complete: bool,
    /// The first authentic `audit.head_signed` row: every head since must carry a MAC.
    signed_since: Option<i64>,
}

/// Fields, each prefixed with its length (`None` with a marker no length can take), so that no
/// two different lists of fields produce the same message.
fn length_prefixed(fields: &[Option<&str>]) -> Vec<u8> {
    let mut out = Vec::new();
    for field in fields {
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
    length_prefixed(&[
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
    ])
}

/// The message the head MAC covers. Per-hub chains (issue 11) would add the chain's name here,
/// as checkpoints already do, so that one chain's head could not stand for another's.
pub(crate) fn head_message(seq: i64, hash: &str) -> Vec<u8> {
    length_prefixed(&[Some(seq.to_string().as_str()), Some(hash)])
}

/// Whether `mac` is the MAC of the head (`seq`, `hash`) under `keys`.
fn head_is_signed(keys: &AuditKeys, seq: i64, hash: &str, mac: Option<&str>) -> bool {
    mac.is_some_and(|mac| {
        constant_time_eq(
            mac.as_bytes(),
            keys.head_mac(&head_message(seq, hash)).as_bytes(),
        )
    })
}

/// "row 7" or "rows 7..9".
fn row_range(first: i64, last: i64) -> String {
    if first == last {
        format!("row {first}")
    } else {
        format!("rows {first}..{last}")
    }
}

impl Store {
    /// Records an event inside the caller's transaction. Callers writing care data call this in
    /// the same transaction as the write, so neither can exist without the other.
    ///
    /// From schema 12 the event goes to `audit_pending` with no lock taken, and on PostgreSQL
    /// [`Store::seal_audit`] chains it within one sealing interval: no transaction of any hub
    /// waits on the chain head. SQLite has one writer, which holds every lock anyway, so there
    /// the same sealing round runs at once, in the event's transaction. The only shared row it touches is `seal_state`, share-locked on
    /// PostgreSQL so that a key rotation starting meanwhile waits for it (see below).
    pub(crate) async fn audit_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        actor: Option<&Actor>,
        event: &AuditEvent,
    ) -> Result<()> {
        if self.schema < PER_HUB_SCHEMA {
            return self.chain_in(conn, actor, event).await;
        }
        // Once a key rotation has started, only servers holding the new key may commit: every
        // sealed write is audited in its own transaction, so a server still running on the old
        // key alone fails here instead of sealing what the new key cannot open. The share lock
        // makes the rotation's start wait for transactions that passed this check under the
        // old key; share locks do not wait for each other. The check and the insert are one
        // statement (the event is written only when `seal_state` names no key or this server's
        // own): a round trip less for every audited write.
        let inserted = sqlx::query(match self.backend {
            crate::Backend::Postgres => {
                "INSERT INTO audit_pending (at, actor_id, actor_role, action, entity_kind, entity_id, client_id, hub_id, detail)
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 FROM seal_state
                 WHERE id = 1 AND (seal_key_id IS NULL OR seal_key_id = $10) FOR SHARE"
            }
            // One writer at a time: the database lock orders this against the rotation.
            crate::Backend::Sqlite => {
                "INSERT INTO audit_pending (at, actor_id, actor_role, action, entity_kind, entity_id, client_id, hub_id, detail)
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 FROM seal_state
                 WHERE id = 1 AND (seal_key_id IS NULL OR seal_key_id = $10)"
            }
        })
        .bind(now_timestamp())
        .bind(actor.map(|a| a.user_id.clone()))
        .bind(actor.map(|a| a.role.as_str().to_string()))
        .bind(event.action.clone())
        .bind(event.entity_kind.clone())
        .bind(event.entity_id.clone())
        .bind(event.client_id.clone())
        .bind(event.hub_id.clone())
        .bind(event.detail.to_string())
        .bind(self.keys.key_id.clone())
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if inserted == 0 {
            let seal: Option<String> =
                sqlx::query_scalar("SELECT seal_key_id FROM seal_state WHERE id = 1")
                    .fetch_optional(&mut *conn)
                    .await?
                    .flatten();
            return Err(StoreError::WrongKey {
                configured: self.keys.key_id.clone(),
                expected: seal,
            });
        }
        if self.backend == crate::Backend::Sqlite {
            self.seal_round(conn).await?;
        }
        Ok(())
    }

    /// Chains the events waiting in `audit_pending` onto the log, in the order they became
    /// visible, and moves the signed head; returns how many it chained. One sealer at a time:
    /// each takes the head's lock first and only then reads what is waiting, so two servers
    /// sealing at once chain each event once. Events are removed by id, never by range, so an
    /// event committed during a round (perhaps with a lower id) waits for the next round
    /// instead of being lost. Servers call this every [`SEAL_INTERVAL`]; everything that reads
    /// the log (verification, the audit pages, backups, checkpoints) calls it first.
    pub async fn seal_audit(&self) -> Result<usize> {
        self.seal(true).await
    }

    /// [`Store::seal_audit`] for a server's background sealer: on PostgreSQL, when another
    /// server is sealing at this moment, does nothing (that server chains what waits) instead
    /// of queueing behind it on the chain head.
    pub async fn seal_audit_unless_busy(&self) -> Result<usize> {
        self.seal(false).await
    }

    async fn seal(&self, wait_for_other_sealers: bool) -> Result<usize> {
        if self.schema < PER_HUB_SCHEMA {
            return Ok(0);
        }
        let mut sealed = 0;
        loop {
            // A look without the write lock: an idle server seals nothing and locks nothing.
            let waiting: Option<i64> =
                sqlx::query_scalar("SELECT id FROM audit_pending ORDER BY id LIMIT 1")
                    .fetch_optional(&self.pool)
                    .await?;
            if waiting.is_none() {
                return Ok(sealed);
            }
            let mut tx = self.begin_write().await?;
            if !wait_for_other_sealers && self.backend == crate::Backend::Postgres {
                let free: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
                    .bind(SEALER_LOCK)
                    .fetch_one(&mut *tx)
                    .await?;
                if !free {
                    tx.rollback().await?;
                    return Ok(sealed);
                }
            }
            let n = self.seal_round(&mut tx).await?;
            tx.commit().await?;
            sealed += n;
            if (n as i64) < SEAL_BATCH {
                return Ok(sealed);
            }
        }
    }

    /// One round of [`Store::seal_audit`] in the caller's transaction: takes the head's lock,
    /// chains up to [`SEAL_BATCH`] waiting events and moves the head. On SQLite every audited
    /// transaction runs it before committing (one writer holds the lock anyway), so there an
    /// event is chained the moment it is committed.
    async fn seal_round(&self, conn: &mut sqlx::AnyConnection) -> Result<usize> {
        let head = sqlx::query(
            "UPDATE store_state SET audit_seq = audit_seq WHERE id = 1 RETURNING audit_seq, audit_hash, audit_head_mac, audit_key_id",
        )
        .fetch_one(&mut *conn)
        .await?;
        let rows = sqlx::query(
            "SELECT id, at, actor_id, actor_role, action, entity_kind, entity_id, client_id, hub_id, detail
             FROM audit_pending ORDER BY id LIMIT $1",
        )
        .bind(SEAL_BATCH)
        .fetch_all(&mut *conn)
        .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let keys = self.audit_keys_for(
            head.try_get::<Option<String>, _>("audit_key_id")?
                .as_deref(),
        )?;
        let mut seq: i64 = head.try_get("audit_seq")?;
        let mut prev_hash: String = head.try_get("audit_hash")?;
        let mac: Option<String> = head.try_get("audit_head_mac")?;
        if !head_is_signed(&keys, seq, &prev_hash, mac.as_deref()) {
            seq += 1;
            prev_hash = self
                .record_unsigned_head(conn, &keys, seq, mac.is_some(), &prev_hash)
                .await?;
        }
        // Chain in memory, then write in multi-row statements: a round costs a few round trips
        // to the database, not one per event (a 4-server benchmark through a 0.5 ms link spent
        // seconds a round inserting row by row, while the next sealer waited on the head).
        let mut ids = Vec::with_capacity(rows.len());
        let mut chained: Vec<[Option<String>; 12]> = Vec::with_capacity(rows.len());
        for row in &rows {
            ids.push(row.try_get::<i64, _>("id")?);
            let text =
                |c: &str| -> Result<Option<String>> { Ok(row.try_get::<Option<String>, _>(c)?) };
            let (at, action, entity_kind, detail): (String, String, String, String) = (
                row.try_get("at")?,
                row.try_get("action")?,
                row.try_get("entity_kind")?,
                row.try_get("detail")?,
            );
            let (actor_id, actor_role) = (text("actor_id")?, text("actor_role")?);
            let (entity_id, client_id, hub_id) =
                (text("entity_id")?, text("client_id")?, text("hub_id")?);
            seq += 1;
            let hash = keys.row_mac(&chain_message(
                seq,
                &at,
                actor_id.as_deref(),
                actor_role.as_deref(),
                &action,
                &entity_kind,
                entity_id.as_deref(),
                client_id.as_deref(),
                hub_id.as_deref(),
                &detail,
                &prev_hash,
            ));
            chained.push([
                Some(seq.to_string()),
                Some(at),
                actor_id,
                actor_role,
                Some(action),
                Some(entity_kind),
                entity_id,
                client_id,
                hub_id,
                Some(detail),
                Some(std::mem::replace(&mut prev_hash, hash.clone())),
                Some(hash),
            ]);
        }
        for chunk in chained.chunks(CHAIN_ROWS_PER_STATEMENT) {
            let values = (0..chunk.len())
                .map(|r| {
                    let b = r * 12;
                    // seq is bound as text and cast, so every column binds the same way.
                    format!(
                        "(CAST(${} AS BIGINT), {})",
                        b + 1,
                        (2..=12)
                            .map(|c| format!("${}", b + c))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "INSERT INTO audit_log (seq, at, actor_id, actor_role, action, entity_kind, entity_id, client_id, hub_id, detail, prev_hash, hash) VALUES {values}"
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for fields in chunk {
                for field in fields {
                    q = q.bind(field.clone());
                }
            }
            q.execute(&mut *conn).await?;
        }
        for chunk in ids.chunks(500) {
            let list = (1..=chunk.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!("DELETE FROM audit_pending WHERE id IN ({list})");
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(*id);
            }
            q.execute(&mut *conn).await?;
        }
        // The head and its MAC move in one statement: there is no moment at which one is
        // committed without the other.
        sqlx::query(
            "UPDATE store_state SET audit_seq = $1, audit_hash = $2, audit_head_mac = $3 WHERE id = 1",
        )
        .bind(seq)
        .bind(prev_hash.clone())
        .bind(keys.head_mac(&head_message(seq, &prev_hash)))
        .execute(&mut *conn)
        .await?;
        Ok(rows.len())
    }

    /// Events recorded but not chained yet, and the age in seconds of the oldest (the sealer's
    /// lag; `scaleup audit verify` and `/metrics` report it).
    pub async fn audit_pending(&self) -> Result<(i64, Option<String>)> {
        if self.schema < PER_HUB_SCHEMA {
            return Ok((0, None));
        }
        let row = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n, MIN(at) AS oldest FROM audit_pending",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get("n")?, row.try_get("oldest")?))
    }

    /// The row a server writes before extending a head its key did not sign: the log's tail
    /// may have been cut and the head rewritten to the last row kept. Signing the extended head
    /// would make that undetectable from the next event on, and refusing to append would stop
    /// every audited action of a care service. So the chain records it, in a row of its own,
    /// which verification reports for good. Returns the row's hash.
    async fn record_unsigned_head(
        &self,
        conn: &mut sqlx::AnyConnection,
        keys: &AuditKeys,
        seq: i64,
        had_mac: bool,
        prev_hash: &str,
    ) -> Result<String> {
        tracing::error!(
            head_seq = seq - 1,
            "the audit head was not signed by this database's key; recorded in the audit log"
        );
        let detail = serde_json::json!({
            "head_seq": seq - 1,
            "head_mac": if had_mac { "wrong" } else { "missing" },
        })
        .to_string();
        let at = now_timestamp();
        self.insert_audit_row(
            conn,
            keys,
            seq,
            &ChainRow {
                at: &at,
                actor_id: None,
                actor_role: None,
                action: HEAD_UNSIGNED,
                entity_kind: "audit_log",
                entity_id: None,
                client_id: None,
                hub_id: None,
                detail: &detail,
            },
            prev_hash,
        )
        .await
    }

    /// Appends an event to the chain at once, under the head's lock: how a database before
    /// schema 12 audits (tests build those).
    async fn chain_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        actor: Option<&Actor>,
        event: &AuditEvent,
    ) -> Result<()> {
        let keyed = self.schema >= AUDIT_HEAD_MAC_SCHEMA;
        let rotating = self.schema >= KEY_ROTATION_SCHEMA;
        // Moving the head first takes the state row's lock, so appends are serialised and
        // sequence numbers commit in order.
        let head = sqlx::query(if rotating {
            "UPDATE store_state SET audit_seq = audit_seq + 1 WHERE id = 1 RETURNING audit_seq, audit_hash, audit_head_mac, audit_key_id, seal_key_id"
        } else if keyed {
            "UPDATE store_state SET audit_seq = audit_seq + 1 WHERE id = 1 RETURNING audit_seq, audit_hash, audit_head_mac"
        } else {
            "UPDATE store_state SET audit_seq = audit_seq + 1 WHERE id = 1 RETURNING audit_seq, audit_hash"
        })
        .fetch_one(&mut *conn)
        .await?;
        let (at, detail) = (now_timestamp(), event.detail.to_string());
        let mut seq: i64 = head.try_get("audit_seq")?;
        let mut prev_hash: String = head.try_get("audit_hash")?;
        let keys = if rotating {
            // Once a key rotation has started, only servers holding the new key may commit:
            // every sealed write is audited in its own transaction, so a server still running
            // on the old key alone fails here instead of sealing what the new key cannot open.
            let seal_key_id: Option<String> = head.try_get("seal_key_id")?;
            if let Some(seal) = seal_key_id
                && seal != self.keys.key_id
            {
                return Err(StoreError::WrongKey {
                    configured: self.keys.key_id.clone(),
                    expected: Some(seal),
                });
            }
            self.audit_keys_for(
                head.try_get::<Option<String>, _>("audit_key_id")?
                    .as_deref(),
            )?
        } else {
            self.keys.audit_keys()
        };
        if !keyed {
            // A database still at an older schema (tests build those): no head MAC to keep.
            let hash = self
                .insert_audit_row(
                    conn,
                    &keys,
                    seq,
                    &ChainRow::of(actor, event, &at, &detail),
                    &prev_hash,
                )
                .await?;
            sqlx::query("UPDATE store_state SET audit_hash = $1 WHERE id = 1")
                .bind(hash)
                .execute(&mut *conn)
                .await?;
            return Ok(());
        }
        let mac: Option<String> = head.try_get("audit_head_mac")?;
        if !head_is_signed(&keys, seq - 1, &prev_hash, mac.as_deref()) {
            prev_hash = self
                .record_unsigned_head(conn, &keys, seq, mac.is_some(), &prev_hash)
                .await?;
            seq += 1;
        }
        let hash = self
            .insert_audit_row(
                conn,
                &keys,
                seq,
                &ChainRow::of(actor, event, &at, &detail),
                &prev_hash,
            )
            .await?;
        // The head and its MAC move in one statement: there is no moment at which one is
        // committed without the other.
        sqlx::query(
            "UPDATE store_state SET audit_seq = $1, audit_hash = $2, audit_head_mac = $3 WHERE id = 1",
        )
        .bind(seq)
        .bind(hash.clone())
        .bind(keys.head_mac(&head_message(seq, &hash)))
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Writes one row of the chain after `prev_hash`; returns its hash.
    async fn insert_audit_row(
        &self,
        conn: &mut sqlx::AnyConnection,
        keys: &AuditKeys,
        seq: i64,
        row: &ChainRow<'_>,
        prev_hash: &str,
    ) -> Result<String> {
        let hash = keys.row_mac(&chain_message(
            seq,
            row.at,
            row.actor_id,
            row.actor_role,
            row.action,
            row.entity_kind,
            row.entity_id,
            row.client_id,
            row.hub_id,
            row.detail,
            prev_hash,
        ));
        sqlx::query(
            "INSERT INTO audit_log (seq, at, actor_id, actor_role, action, entity_kind, entity_id, client_id, hub_id, detail, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(seq)
        .bind(row.at.to_string())
        .bind(row.actor_id.map(str::to_string))
        .bind(row.actor_role.map(str::to_string))
        .bind(row.action.to_string())
        .bind(row.entity_kind.to_string())
        .bind(row.entity_id.map(str::to_string))
        .bind(row.client_id.map(str::to_string))
        .bind(row.hub_id.map(str::to_string))
        .bind(row.detail.to_string())
        .bind(prev_hash.to_string())
        .bind(hash.clone())
        .execute(&mut *conn)
        .await?;
        Ok(hash)
    }

    /// Appends one event in its own transaction (reads, logins).
    pub async fn audit(&self, actor: Option<&Actor>, event: AuditEvent) -> Result<()> {
        let mut tx = self.begin_write().await?;
        self.audit_in(&mut tx, actor, &event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The audit subkeys of the key with this id (`None`: the database's key, which keys the
    /// chain of a database that has never rotated), if this store holds it.
    pub(crate) fn audit_keys_for(&self, key_id: Option<&str>) -> Result<AuditKeys> {
        let id = key_id
            .or(self.db_key_id.as_deref())
            .unwrap_or(&self.keys.key_id);
        self.keys
            .by_id(id)
            .map(|k| k.audit_keys())
            .ok_or_else(|| StoreError::WrongKey {
                configured: self.keys.key_id.clone(),
                expected: Some(id.to_string()),
            })
    }

    /// The audit subkeys of every retired key, oldest first, each with the last row it keyed;
    /// opened with the key that retired it (this store's or its previous one).
    pub(crate) async fn audit_epochs(&self) -> Result<Vec<(i64, AuditKeys)>> {
        if self.schema < KEY_ROTATION_SCHEMA {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(
            "SELECT key_id, until_seq, sealed_keys, sealed_under FROM audit_key_epochs ORDER BY until_seq",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let key_id: String = r.try_get("key_id")?;
                let under: String = r.try_get("sealed_under")?;
                let keys = self
                    .keys
                    .by_id(&under)
                    .ok_or_else(|| StoreError::WrongKey {
                        configured: self.keys.key_id.clone(),
                        expected: Some(under.clone()),
                    })?;
                let sealed: String = r.try_get("sealed_keys")?;
                Ok((
                    r.try_get("until_seq")?,
                    AuditKeys::open_sealed(&key_id, &sealed, keys)?,
                ))
            })
            .collect()
    }

    /// Signs the head of a chain whose head has never been signed: a database created on
    /// schema 7 or upgraded to it, at its first start there. Only a chain that verifies is
    /// vouched for; one that does not keeps an unsigned head, and its first event records that
    /// (see [`Store::audit_in`]) beside the findings verification already reports.
    ///
    /// It happens once. Signing writes an `audit.head_signed` row, and a chain holding one has
    /// had signed heads since: a MAC missing there was removed, perhaps with the rows after a
    /// head rewritten to an earlier one, and signing it again would launder that.
    pub(crate) async fn sign_audit_head_once(&self) -> Result<()> {
        if self.schema < AUDIT_HEAD_MAC_SCHEMA {
            return Ok(());
        }
        let head = self.read_head().await?;
        if head.mac.is_some() {
            return Ok(());
        }
        let keys = self.audit_keys_for(head.audit_key_id.as_deref())?;
        let walk = self.walk(&head).await?;
        if let Some(since) = walk.signed_since {
            tracing::error!(
                signed_since = since,
                head_seq = head.seq,
                "the audit head has lost its MAC; the next event records it in the audit log"
            );
            return Ok(());
        }
        let findings = chain_findings(&head, walk);
        if !findings.problems.is_empty() {
            tracing::warn!(
                findings = findings.problems.len(),
                "the audit chain does not verify, so its head was left unsigned: run `scaleup audit verify`"
            );
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        // Under the state row's lock, sign only the head that was verified: a server starting
        // at the same moment may have signed it already.
        let now = sqlx::query(
            "UPDATE store_state SET audit_seq = audit_seq WHERE id = 1 RETURNING audit_seq, audit_hash, audit_head_mac",
        )
        .fetch_one(&mut *tx)
        .await?;
        if now.try_get::<i64, _>("audit_seq")? != head.seq
            || now.try_get::<String, _>("audit_hash")? != head.hash
            || now
                .try_get::<Option<String>, _>("audit_head_mac")?
                .is_some()
        {
            return Ok(());
        }
        sqlx::query("UPDATE store_state SET audit_head_mac = $1 WHERE id = 1")
            .bind(keys.head_mac(&head_message(head.seq, &head.hash)))
            .execute(&mut *tx)
            .await?;
        let signed = AuditEvent::new(HEAD_SIGNED, "audit_log")
            .detail(serde_json::json!({"head_seq": head.seq}));
        self.audit_in(&mut tx, None, &signed).await?;
        tx.commit().await?;
        tracing::info!(head_seq = head.seq, "signed the audit head");
        Ok(())
    }

    /// The recorded head and the ends of the log, in one statement (one snapshot on both
    /// backends). A row and the head that covers it are committed together, so every row up
    /// to this head is already in the log and stays there unless someone removes it.
    async fn read_head(&self) -> Result<Head> {
        let row = sqlx::query(if self.schema >= KEY_ROTATION_SCHEMA {
            "SELECT s.audit_seq, s.audit_hash, s.audit_head_mac, s.audit_key_id,
                    (SELECT seq FROM audit_log ORDER BY seq LIMIT 1) AS first_row,
                    (SELECT seq FROM audit_log ORDER BY seq DESC LIMIT 1) AS last_row
             FROM store_state s WHERE s.id = 1"
        } else if self.schema >= AUDIT_HEAD_MAC_SCHEMA {
            "SELECT s.audit_seq, s.audit_hash, s.audit_head_mac, CAST(NULL AS TEXT) AS audit_key_id,
                    (SELECT seq FROM audit_log ORDER BY seq LIMIT 1) AS first_row,
                    (SELECT seq FROM audit_log ORDER BY seq DESC LIMIT 1) AS last_row
             FROM store_state s WHERE s.id = 1"
        } else {
            "SELECT s.audit_seq, s.audit_hash, CAST(NULL AS TEXT) AS audit_head_mac, CAST(NULL AS TEXT) AS audit_key_id,
                    (SELECT seq FROM audit_log ORDER BY seq LIMIT 1) AS first_row,
                    (SELECT seq FROM audit_log ORDER BY seq DESC LIMIT 1) AS last_row
             FROM store_state s WHERE s.id = 1"
        })
        .fetch_one(&self.pool)
        .await?;
        Ok(Head {
            seq: row.try_get("audit_seq")?,
            hash: row.try_get("audit_hash")?,
            mac: row.try_get("audit_head_mac")?,
            audit_key_id: row.try_get("audit_key_id")?,
            first_row: row.try_get("first_row")?,
            last_row: row.try_get("last_row")?,
        })
    }

    /// Walks the chain from its first row up to `head`, recomputing every row's MAC and link.
    async fn walk(&self, head: &Head) -> Result<Walk> {
        let mut walk = Walk {
            rows_checked: 0,
            problems: Vec::new(),
            last_seq: 0,
            last_hash: GENESIS_HASH.to_string(),
            complete: true,
            signed_since: None,
        };
        // Rows up to each retired key's last row carry that key's MACs; the rest the current
        // key's.
        let epochs = self.audit_epochs().await?;
        let current = self.audit_keys_for(head.audit_key_id.as_deref())?;
        'batches: loop {
            let rows = sqlx::query(
                "SELECT seq, at, actor_id, actor_role, action, entity_kind, entity_id, client_id, hub_id, detail, prev_hash, hash
                 FROM audit_log WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3",
            )
            .bind(walk.last_seq)
            .bind(head.seq)
            .bind(WALK_BATCH)
            .fetch_all(&self.pool)
            .await?;
            for row in &rows {
                let seq: i64 = row.try_get("seq")?;
                let stored_prev: String = row.try_get("prev_hash")?;
                let stored_hash: String = row.try_get("hash")?;
                if seq > walk.last_seq + 1 {
                    // The link to the row before the gap is broken by construction: the gap
                    // says it all.
                    walk.problems.push(format!(
                        "{} {} missing (deleted)",
                        row_range(walk.last_seq + 1, seq - 1),
                        if seq - 1 > walk.last_seq + 1 {
                            "are"
                        } else {
                            "is"
                        }
                    ));
                } else if stored_prev != walk.last_hash {
                    walk.problems.push(if seq == 1 {
                        "row 1: does not link to the start of the log (it was replaced)".to_string()
                    } else {
                        format!(
                            "row {seq}: does not link to row {} (one of them was replaced)",
                            seq - 1
                        )
                    });
                }
                let action: String = row.try_get("action")?;
                let keys = epochs
                    .iter()
                    .find(|(until, _)| seq <= *until)
                    .map_or(&current, |(_, k)| k);
                if self.row_mac(row, keys)? != stored_hash {
                    walk.problems.push(format!(
                        "row {seq}: contents do not match its hash (modified)"
                    ));
                } else if action == HEAD_UNSIGNED {
                    let detail: String = row.try_get("detail")?;
                    let head_seq = serde_json::from_str::<serde_json::Value>(&detail)
                        .ok()
                        .and_then(|d| d["head_seq"].as_i64())
                        .unwrap_or(seq - 1);
                    walk.problems.push(format!(
                        "row {seq}: written onto a recorded head (row {head_seq}) that this database's key did not sign: rows after {head_seq} may have been removed before it"
                    ));
                } else if action == HEAD_SIGNED && walk.signed_since.is_none() {
                    walk.signed_since = Some(seq);
                }
                walk.last_seq = seq;
                walk.last_hash = stored_hash;
                walk.rows_checked += 1;
                if walk.problems.len() >= MAX_FINDINGS {
                    walk.complete = false;
                    walk.problems.push(format!(
                        "verification stopped at row {seq} after {MAX_FINDINGS} findings"
                    ));
                    break 'batches;
                }
            }
            if (rows.len() as i64) < WALK_BATCH {
                break;
            }
        }
        Ok(walk)
    }

    /// Recomputes the chain up to the recorded head and compares it with the stored hashes, the
    /// head and the head's MAC.
    pub async fn verify_audit(&self) -> Result<AuditVerification> {
        self.verify_audit_with(&[]).await
    }

    /// As [`Store::verify_audit`], and checks that the log still holds each checkpointed row
    /// with the hash it had: catches a log cut or rewritten by someone holding the key.
    pub async fn verify_audit_with(
        &self,
        checkpoints: &[AuditCheckpoint],
    ) -> Result<AuditVerification> {
        Ok(self.verify_at_head(checkpoints).await?.0)
    }

    /// Verification, and the head it was done against.
    async fn verify_at_head(
        &self,
        checkpoints: &[AuditCheckpoint],
    ) -> Result<(AuditVerification, Head)> {
        // Events recorded up to now are judged too, not left outside the chain.
        self.seal_audit().await?;
        let head = self.read_head().await?;
        let walk = self.walk(&head).await?;
        let Findings {
            rows_checked,
            mut problems,
        } = chain_findings(&head, walk);
        let keys = self.audit_keys_for(head.audit_key_id.as_deref())?;
        if self.schema >= AUDIT_HEAD_MAC_SCHEMA
            && !head_is_signed(&keys, head.seq, &head.hash, head.mac.as_deref())
        {
            problems.push(format!(
                "the recorded head is not signed by this database's key: rows after {} may have been removed",
                head.seq
            ));
        }
        for checkpoint in checkpoints {
            if let Some(problem) = self.check_checkpoint(checkpoint, head.seq).await? {
                problems.push(problem);
            }
        }
        Ok((
            AuditVerification {
                rows_checked,
                ok: problems.is_empty(),
                problems,
                head_seq: head.seq,
                checkpoints_checked: checkpoints.len(),
            },
            head,
        ))
    }

    /// The MAC a stored audit row should carry under the configured key.
    fn row_mac(&self, row: &sqlx::any::AnyRow, keys: &AuditKeys) -> Result<String> {
        let get = |c: &str| -> Result<Option<String>> { Ok(row.try_get::<Option<String>, _>(c)?) };
        Ok(keys.row_mac(&chain_message(
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
        let keys = self.keys.audit_keys();
        row.map(|r| Ok(self.row_mac(&r, &keys)? == r.try_get::<String, _>("hash")?))
            .transpose()
    }

    /// Audit events, newest first (admin view).
    pub async fn audit_events(
        &self,
        before_seq: Option<i64>,
        limit: i64,
    ) -> Result<Vec<serde_json::Value>> {
        self.seal_audit().await?;
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

/// What the audit viewer narrows a page to. Every field is optional; dates are days
/// (`YYYY-MM-DD`, UTC), both ends included.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// One hub's events (admins; hub managers are limited to their hubs anyway).
    pub hub_id: Option<String>,
    /// Events by one account.
    pub actor_id: Option<String>,
    /// Actions starting with this text (`user.` or `user.deactivate`).
    pub action: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

impl Store {
    /// One page of the audit events `actor` may read, newest first: admins every event (or one
    /// hub's, with `hub_id`), hub managers the events of their hubs. `before` is the sequence
    /// number to continue below (the previous page's cursor); the second value is the next
    /// page's, `None` on the last page. Paged by the `(hub_id, seq)` index within a hub.
    pub async fn audit_page(
        &self,
        actor: &Actor,
        hub_id: Option<&str>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<(Vec<serde_json::Value>, Option<i64>)> {
        let filter = AuditFilter {
            hub_id: hub_id.map(str::to_string),
            ..AuditFilter::default()
        };
        self.audit_page_filtered(actor, &filter, before, limit)
            .await
    }

    /// [`Store::audit_page`] narrowed by a filter (the console's audit viewer). The filters
    /// narrow the walk down the scope's index, so a page of a rare action may read many rows
    /// of the hub; it still returns at most `limit`.
    pub async fn audit_page_filtered(
        &self,
        actor: &Actor,
        filter: &AuditFilter,
        before: Option<i64>,
        limit: i64,
    ) -> Result<(Vec<serde_json::Value>, Option<i64>)> {
        use scaleup_domain::role::Capability;
        let hub_id = filter.hub_id.as_deref();
        for (field, date) in [("from", &filter.from), ("to", &filter.to)] {
            if let Some(d) = date
                && scaleup_domain::date::Date::parse(d, field).is_err()
            {
                return Err(crate::StoreError::invalid(
                    field,
                    "must be a date (YYYY-MM-DD)",
                ));
            }
        }
        if !actor.role.can(Capability::ReadAudit) {
            return Err(crate::StoreError::Forbidden(
                "the audit log is read by admins and, for their hubs, hub managers",
            ));
        }
        let limit = limit.clamp(1, 1000);
        self.seal_audit().await?;
        let mut sql = crate::scope::Sql::new(
            "SELECT seq, at, actor_id, actor_role, action, entity_kind, entity_id, client_id, hub_id, detail FROM audit_log a WHERE a.seq < ",
        );
        sql.bind(crate::scope::Bind::Int(before.unwrap_or(i64::MAX)));
        if !actor.role.sees_every_hub() {
            sql.push_in("a.hub_id", &actor.hubs);
        }
        if let Some(hub) = hub_id {
            sql.push(" AND a.hub_id = ").bind_text(hub);
        }
        if let Some(who) = &filter.actor_id {
            sql.push(" AND a.actor_id = ").bind_text(who.clone());
        }
        if let Some(action) = filter.action.as_deref().filter(|a| !a.is_empty()) {
            // A prefix: `user.` finds every account event. `%` and `_` are literal.
            let escaped = action
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            sql.push(" AND a.action LIKE ")
                .bind_text(format!("{escaped}%"))
                .push(" ESCAPE '\\'");
        }
        // Timestamps are fixed-width RFC 3339 text, so text order is time order.
        if let Some(from) = &filter.from {
            sql.push(" AND a.at >= ").bind_text(from.clone());
        }
        if let Some(to) = &filter.to {
            // To the end of that day: `T24` sorts after every time of the day.
            sql.push(" AND a.at < ").bind_text(format!("{to}T24"));
        }
        sql.push(" ORDER BY a.seq DESC LIMIT ")
            .bind(crate::scope::Bind::Int(limit + 1));
        let rows = sql.query().fetch_all(&self.pool).await?;
        let mut items = rows
            .iter()
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
            .collect::<Result<Vec<_>>>()?;
        let next = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().and_then(|i| i["seq"].as_i64())
        } else {
            None
        };
        Ok((items, next))
    }
}

/// What the chain's rows and its recorded head say, apart from the head's MAC.
struct Findings {
    rows_checked: i64,
    problems: Vec<String>,
}

/// Compares the walk with the head it was made against: the end of the log with the head, and
/// rows outside the chain (appended after the head, or numbered before its first row).
fn chain_findings(head: &Head, walk: Walk) -> Findings {
    let mut problems = walk.problems;
    if let Some(first) = head.first_row.filter(|first| *first < 1) {
        problems.push(format!(
            "row {first} is numbered before the first row of the log (inserted)"
        ));
    }
    if walk.complete {
        if walk.last_seq < head.seq {
            problems.push(format!(
                "rows after {} were removed: the log ends at row {} but the recorded head is row {}",
                walk.last_seq, walk.last_seq, head.seq
            ));
        } else if walk.last_hash != head.hash {
            problems.push(format!(
                "row {}: its hash is not the recorded head's (the row or the head was changed)",
                head.seq
            ));
        }
    }
    if let Some(last) = head.last_row.filter(|last| *last > head.seq) {
        problems.push(format!(
            "{} {} appended after the recorded head ({})",
            row_range(head.seq + 1, last),
            if last > head.seq + 1 { "were" } else { "was" },
            head.seq
        ));
    }
    Findings {
        rows_checked: walk.rows_checked,
        problems,
    }
}
