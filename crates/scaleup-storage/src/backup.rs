//! Backups of a running database, and the checks a restored copy must pass before it serves.
//!
//! A backup holds the database and never the master key: the key lives in configuration, and
//! without it a backup's identities and notes are ciphertext and its audit chain cannot be
//! extended. An operator keeps the two apart (the key file in a different place from the
//! backups, or in a safe) and needs both to restore.
//!
//! SQLite: `VACUUM INTO` writes a compacted copy from one read transaction, so the copy is one
//! consistent moment of the database while servers keep reading and writing (WAL mode: the
//! writer is not blocked by the reader). PostgreSQL: `pg_dump` (run by the binary) reads one
//! repeatable-read snapshot; [`Store::postgres_snapshot`] exports that snapshot from a
//! transaction that also counts what the manifest records, so the dump and its manifest
//! describe the same moment.
//!
//! [`Store::verify_restored`] is what a restored copy must pass: the configured key opens it
//! (checked when the store opens: the key check value), the record count matches the manifest,
//! every identity decrypts, and the audit chain verifies up to the head the manifest recorded.

use crate::audit::AuditEvent;
use crate::{AuditVerification, Backend, Result, Store, StoreError};
use sqlx::Row;

/// What a backup held when it was taken, kept beside it (`<backup>.manifest.json`) so a restore
/// can prove it got everything back. Counts and the audit head only: nothing identifying, and
/// the key's public fingerprint, never the key.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BackupManifest {
    /// `scaleup-backup-v1`.
    pub format: String,
    /// `sqlite` or `postgres`.
    pub backend: String,
    pub schema_version: i64,
    /// The public fingerprint of the key the database is sealed under (`key_check.key_id`).
    pub key_id: Option<String>,
    pub records: i64,
    pub record_versions: i64,
    pub identities: i64,
    pub audit_head_seq: i64,
    pub audit_head_hash: String,
    pub taken_at: String,
}

pub const BACKUP_FORMAT: &str = "scaleup-backup-v1";

/// What [`Store::verify_restored`] found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RestoreReport {
    pub ok: bool,
    pub records: i64,
    pub identities_checked: i64,
    pub audit: AuditVerification,
    /// Each a sentence naming what does not match; empty when `ok`.
    pub problems: Vec<String>,
}

/// Identities decrypted per query while checking a restored copy.
const IDENTITY_BATCH: i64 = 1000;

/// An exported PostgreSQL snapshot: `pg_dump --snapshot=<id>` reads exactly what the
/// transaction held open here sees. Dropping it (or [`PostgresSnapshot::finish`]) ends the
/// transaction, after which the id no longer works.
pub struct PostgresSnapshot {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    pub id: String,
    pub manifest: BackupManifest,
}

impl PostgresSnapshot {
    /// Ends the transaction that kept the snapshot alive.
    pub async fn finish(self) -> Result<()> {
        self.tx.rollback().await?;
        Ok(())
    }
}

impl Store {
    /// SQLite: writes a consistent copy of the database to `path` (which must not exist) and
    /// returns its manifest, counted from the copy itself. The backup is recorded in the audit
    /// log first, so the copy holds its own `backup.started` row.
    pub async fn backup_sqlite_to(&self, path: &std::path::Path) -> Result<BackupManifest> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::invalid(
                "backend",
                "VACUUM INTO is SQLite's; back up PostgreSQL with pg_dump",
            ));
        }
        if path.exists() {
            return Err(StoreError::invalid(
                "out",
                "the backup file exists already; choose a new path",
            ));
        }
        let target = path
            .to_str()
            .ok_or_else(|| StoreError::invalid("out", "the path is not valid UTF-8"))?
            .to_string();
        self.audit(None, AuditEvent::new("backup.started", "database"))
            .await?;
        // The copy's chain holds every event so far, its own `backup.started` included.
        self.seal_audit().await?;
        let mut conn = self.pool.acquire().await?;
        sqlx::query("VACUUM INTO $1")
            .bind(target.clone())
            .execute(&mut *conn)
            .await?;
        drop(conn);
        // Count from the copy: the source moves on while we count.
        let copy = Store::read_only_sqlite(&target).await?;
        let manifest = manifest_from(&copy, "sqlite").await;
        copy.close().await;
        manifest
    }

    /// PostgreSQL: opens a repeatable-read transaction, exports its snapshot for `pg_dump
    /// --snapshot` and counts the manifest in it. The backup is recorded in the audit log just
    /// before, so the dump holds its own `backup.started` row.
    pub async fn postgres_snapshot(&self) -> Result<PostgresSnapshot> {
        if self.backend != Backend::Postgres {
            return Err(StoreError::invalid("backend", "not a PostgreSQL database"));
        }
        self.audit(None, AuditEvent::new("backup.started", "database"))
            .await?;
        self.seal_audit().await?;
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await?;
        let id: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
            .fetch_one(&mut *tx)
            .await?;
        let manifest = manifest_in(&mut tx, "postgres", self.schema).await?;
        Ok(PostgresSnapshot { tx, id, manifest })
    }

    /// Checks a restored copy against its manifest (when there is one): record count, every
    /// identity opened with the configured key, and the audit chain verified up to the head the
    /// manifest recorded (later rows, if any, are verified too). The key itself was checked when
    /// the store opened. Opening every identity is client-level access, so the check is audited
    /// (counts only) once it has run.
    pub async fn verify_restored(
        &self,
        manifest: Option<&BackupManifest>,
    ) -> Result<RestoreReport> {
        let mut problems = Vec::new();
        let records: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM records")
            .fetch_one(&self.pool)
            .await?;
        let mut identities_checked = 0i64;
        let mut failed = 0i64;
        let mut after = String::new();
        loop {
            let rows = sqlx::query(
                "SELECT client_id, ciphertext FROM client_identities WHERE client_id > $1 ORDER BY client_id LIMIT $2",
            )
            .bind(after.clone())
            .bind(IDENTITY_BATCH)
            .fetch_all(&self.pool)
            .await?;
            for row in &rows {
                let client: String = row.try_get("client_id")?;
                let sealed: String = row.try_get("ciphertext")?;
                if self.keys.open(&client, &sealed).is_err() {
                    failed += 1;
                }
                identities_checked += 1;
                after = client;
            }
            if (rows.len() as i64) < IDENTITY_BATCH {
                break;
            }
        }
        if failed > 0 {
            problems.push(format!(
                "{failed} of {identities_checked} identities do not decrypt with the configured key"
            ));
        }
        let audit = self.verify_audit().await?;
        if !audit.ok {
            problems.push(format!(
                "the audit chain does not verify ({} findings)",
                audit.problems.len()
            ));
        }
        if let Some(m) = manifest {
            if m.records != records {
                problems.push(format!(
                    "records: the backup held {}, the restored copy has {records}",
                    m.records
                ));
            }
            if m.identities != identities_checked {
                problems.push(format!(
                    "identities: the backup held {}, the restored copy has {identities_checked}",
                    m.identities
                ));
            }
            if let Some(expected) = &m.key_id
                && self.keys.key_id != *expected
            {
                problems.push(format!(
                    "the backup was sealed under key id {expected}, the configured key is {}",
                    self.keys.key_id
                ));
            }
            let hash_at: Option<String> =
                sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = $1")
                    .bind(m.audit_head_seq)
                    .fetch_optional(&self.pool)
                    .await?;
            if audit.head_seq < m.audit_head_seq
                || (m.audit_head_seq > 0 && hash_at.as_deref() != Some(m.audit_head_hash.as_str()))
            {
                problems.push(format!(
                    "the audit log does not hold the backup's head (row {}) with its hash",
                    m.audit_head_seq
                ));
            }
        }
        self.audit(
            None,
            AuditEvent::new("backup.restore_verified", "database").detail(serde_json::json!({
                "records": records,
                "identities_checked": identities_checked,
                "ok": problems.is_empty(),
            })),
        )
        .await?;
        Ok(RestoreReport {
            ok: problems.is_empty(),
            records,
            identities_checked,
            audit,
            problems,
        })
    }

    /// Whether the database holds no scaleup tables yet (a restore's target must be empty).
    pub async fn postgres_database_is_empty(url: &str) -> Result<bool> {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(url).await?;
        let n: i64 = sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM information_schema.tables WHERE table_schema = 'public'",
        )
        .fetch_one(&pool)
        .await?;
        pool.close().await;
        Ok(n == 0)
    }

    /// A plain read-only pool on a SQLite file, for counting a backup without migrating or
    /// writing to it. Only [`manifest_from`] uses it.
    async fn read_only_sqlite(path: &str) -> Result<sqlx::AnyPool> {
        sqlx::any::install_default_drivers();
        Ok(sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .connect(&format!("sqlite://{path}?mode=ro"))
            .await?)
    }
}

async fn manifest_from(pool: &sqlx::AnyPool, backend: &str) -> Result<BackupManifest> {
    let mut conn = pool.acquire().await?;
    let schema: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM schema_migrations",
    )
    .fetch_one(&mut *conn)
    .await?;
    manifest_in(&mut conn, backend, schema).await
}

/// Counts and the audit head, read on one connection (inside the caller's snapshot).
async fn manifest_in(
    conn: &mut sqlx::AnyConnection,
    backend: &str,
    schema: i64,
) -> Result<BackupManifest> {
    let count = |table: &str| format!("SELECT CAST(COUNT(*) AS BIGINT) FROM {table}");
    let records: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count("records")))
        .fetch_one(&mut *conn)
        .await?;
    let record_versions: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count("record_versions")))
        .fetch_one(&mut *conn)
        .await?;
    let identities: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count("client_identities")))
        .fetch_one(&mut *conn)
        .await?;
    let head = sqlx::query("SELECT audit_seq, audit_hash FROM store_state WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    let key_id: Option<String> = sqlx::query_scalar("SELECT key_id FROM key_check WHERE id = 1")
        .fetch_optional(&mut *conn)
        .await?;
    Ok(BackupManifest {
        format: BACKUP_FORMAT.to_string(),
        backend: backend.to_string(),
        schema_version: schema,
        key_id,
        records,
        record_versions,
        identities,
        audit_head_seq: head.try_get("audit_seq")?,
        audit_head_hash: head.try_get("audit_hash")?,
        taken_at: crate::time_util::now_timestamp(),
    })
}
