//! Embedded migrations, one folder per backend, applied in order at every start.
//!
//! A small runner of our own rather than sqlx's: it embeds the SQL in the binary (no files at
//! run time), checks that each applied migration still has the checksum it was applied with,
//! refuses to run against a database migrated by a newer build, and serialises concurrent
//! starts (PostgreSQL advisory lock; SQLite's write lock).

use crate::crypto::sha256_hex;
use crate::{Backend, Result, Store, StoreError};
use sqlx::Row;

pub(crate) struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

/// All migrations, oldest first. Add new ones at the end; never edit an applied one.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_foundation",
        sqlite: include_str!("../migrations/sqlite/0001_foundation.sql"),
        postgres: include_str!("../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "0002_score_instrument_version",
        sqlite: include_str!("../migrations/sqlite/0002_score_instrument_version.sql"),
        postgres: include_str!("../migrations/postgres/0002_score_instrument_version.sql"),
    },
    Migration {
        version: 3,
        name: "0003_list_indexes",
        sqlite: include_str!("../migrations/sqlite/0003_list_indexes.sql"),
        postgres: include_str!("../migrations/postgres/0003_list_indexes.sql"),
    },
    Migration {
        version: 4,
        name: "0004_summary_counts",
        sqlite: include_str!("../migrations/sqlite/0004_summary_counts.sql"),
        postgres: include_str!("../migrations/postgres/0004_summary_counts.sql"),
    },
    Migration {
        version: 5,
        name: "0005_key_check",
        sqlite: include_str!("../migrations/sqlite/0005_key_check.sql"),
        postgres: include_str!("../migrations/postgres/0005_key_check.sql"),
    },
    Migration {
        version: 6,
        name: "0006_alert_actions",
        sqlite: include_str!("../migrations/sqlite/0006_alert_actions.sql"),
        postgres: include_str!("../migrations/postgres/0006_alert_actions.sql"),
    },
    Migration {
        version: 7,
        name: "0007_audit_head_mac",
        sqlite: include_str!("../migrations/sqlite/0007_audit_head_mac.sql"),
        postgres: include_str!("../migrations/postgres/0007_audit_head_mac.sql"),
    },
    Migration {
        version: 8,
        name: "0008_login_throttle",
        sqlite: include_str!("../migrations/sqlite/0008_login_throttle.sql"),
        postgres: include_str!("../migrations/postgres/0008_login_throttle.sql"),
    },
    Migration {
        version: 9,
        name: "0009_hub_console",
        sqlite: include_str!("../migrations/sqlite/0009_hub_console.sql"),
        postgres: include_str!("../migrations/postgres/0009_hub_console.sql"),
    },
    Migration {
        version: 10,
        name: "0010_indicator_facts",
        sqlite: include_str!("../migrations/sqlite/0010_indicator_facts.sql"),
        postgres: include_str!("../migrations/postgres/0010_indicator_facts.sql"),
    },
    Migration {
        version: 11,
        name: "0011_country_ops",
        sqlite: include_str!("../migrations/sqlite/0011_country_ops.sql"),
        postgres: include_str!("../migrations/postgres/0011_country_ops.sql"),
    },
    Migration {
        version: 12,
        name: "0012_per_hub_sequences",
        sqlite: include_str!("../migrations/sqlite/0012_per_hub_sequences.sql"),
        postgres: include_str!("../migrations/postgres/0012_per_hub_sequences.sql"),
    },
    Migration {
        version: 13,
        name: "0013_hub_keys",
        sqlite: include_str!("../migrations/sqlite/0013_hub_keys.sql"),
        postgres: include_str!("../migrations/postgres/0013_hub_keys.sql"),
    },
    Migration {
        version: 14,
        name: "0014_indicator_rollups",
        sqlite: include_str!("../migrations/sqlite/0014_indicator_rollups.sql"),
        postgres: include_str!("../migrations/postgres/0014_indicator_rollups.sql"),
    },
    Migration {
        version: 15,
        name: "0015_rollups_by_counsellor",
        sqlite: include_str!("../migrations/sqlite/0015_rollups_by_counsellor.sql"),
        postgres: include_str!("../migrations/postgres/0015_rollups_by_counsellor.sql"),
    },
    Migration {
        version: 16,
        name: "0016_hub_in_keys",
        sqlite: include_str!("../migrations/sqlite/0016_hub_in_keys.sql"),
        postgres: include_str!("../migrations/postgres/0016_hub_in_keys.sql"),
    },
];

/// The newest schema version this build knows.
pub const LATEST_VERSION: i64 = 16;

/// The first schema whose keys include hub_id (PostgreSQL) and whose upserts of identities and
/// scores name `(…, hub_id)` as their conflict target: migration 0016.
pub(crate) const HUB_IN_KEYS_SCHEMA: i64 = 16;

/// The first schema with indicator roll-ups (`indicator_rollups`): migration 0014.
pub(crate) const INDICATOR_ROLLUPS_SCHEMA: i64 = 14;

/// The first schema whose audit head carries a MAC (`store_state.audit_head_mac`).
pub(crate) const AUDIT_HEAD_MAC_SCHEMA: i64 = 7;

/// The first schema with the hub console's columns (org-unit prevalence, hub-scoped
/// definitions, `store_state.definitions_version`): migration 0009.
pub(crate) const HUB_CONSOLE_SCHEMA: i64 = 9;
/// The first schema with key rotation (`store_state.audit_key_id`, `audit_key_epochs`).
pub(crate) const KEY_ROTATION_SCHEMA: i64 = 11;
/// The first schema with per-hub change sequences (`hub_sequences`), audit events chained by a
/// sealer (`audit_pending`) and the seal key in a row of its own (`seal_state`): migration 0012.
pub(crate) const PER_HUB_SCHEMA: i64 = 12;

const LOCK_ID: i64 = 0x5ca1_e0b0;

/// Applies every pending migration up to and including `upto`.
pub(crate) async fn run(store: &Store, upto: i64) -> Result<()> {
    let mut conn = store.pool.acquire().await?;
    if store.backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(LOCK_ID)
            .execute(&mut *conn)
            .await?;
    }
    let result = apply_pending(store, &mut conn, upto).await;
    if store.backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(LOCK_ID)
            .execute(&mut *conn)
            .await?;
    }
    result
}

async fn apply_pending(store: &Store, conn: &mut sqlx::AnyConnection, upto: i64) -> Result<()> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )
    .execute(&mut *conn)
    .await?;
    let applied = sqlx::query("SELECT version, checksum FROM schema_migrations ORDER BY version")
        .fetch_all(&mut *conn)
        .await?;
    let known = MIGRATIONS.last().map(|m| m.version).unwrap_or(0);
    for row in &applied {
        let version: i64 = row.try_get("version")?;
        let checksum: String = row.try_get("checksum")?;
        match MIGRATIONS.iter().find(|m| m.version == version) {
            None => {
                return Err(StoreError::SchemaTooNew {
                    found: version,
                    known,
                });
            }
            Some(m) if sha256_hex(sql_for(m, store.backend).as_bytes()) != checksum => {
                return Err(StoreError::Internal(format!(
                    "migration {} was changed after it was applied (checksum mismatch)",
                    m.name
                )));
            }
            Some(_) => {}
        }
    }
    let applied_versions = applied
        .iter()
        .map(|r| r.try_get::<i64, _>("version"))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    for m in MIGRATIONS
        .iter()
        .filter(|m| m.version <= upto && !applied_versions.contains(&m.version))
    {
        let sql = sql_for(m, store.backend);
        let mut tx = sqlx::Acquire::begin(&mut *conn).await?;
        sqlx::raw_sql(sql)
            .execute(&mut *tx)
            .await
            .map_err(|source| StoreError::Migration {
                version: m.version,
                source,
            })?;
        sqlx::query("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)")
            .bind(m.version)
            .bind(m.name)
            .bind(sha256_hex(sql.as_bytes()))
            .bind(crate::time_util::now_timestamp())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(version = m.version, name = m.name, "applied migration");
    }
    Ok(())
}

fn sql_for(m: &Migration, backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => m.sqlite,
        Backend::Postgres => m.postgres,
    }
}

pub(crate) async fn current_version(store: &Store) -> Result<i64> {
    let row =
        sqlx::query("SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) AS v FROM schema_migrations")
            .fetch_one(&store.pool)
            .await?;
    Ok(row.try_get("v")?)
}
