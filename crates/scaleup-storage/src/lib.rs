//! scaleup-storage: every byte scaleup keeps, behind one interface, on SQLite or PostgreSQL.
//!
//! [`Store`] is the only type the rest of the system talks to. It runs on sqlx's `Any` driver
//! so that one set of SQL serves both backends; the rules that makes necessary (UUIDs and
//! timestamps as text, booleans as 0/1, `$n` placeholders, casts on aggregates) are listed in
//! ARCHITECTURE.md. The conformance suite in `tests/conformance.rs` runs the same tests on both.
//!
//! Invariants:
//! - Every write of care data happens in one transaction together with its audit event and its
//!   change-sequence number; a write that is acknowledged is committed.
//! - Writers of one hub serialise on their hub's row of `hub_sequences` (taken at a write's first
//!   change number), so a hub's change numbers commit in order and a pull cursor never skips a
//!   row committed late; different hubs never wait for each other. Audit events are recorded
//!   without a lock and chained by a sealer (`audit`). On SQLite the database lock orders all.
//! - Identifying details are encrypted before they reach SQL; the key never enters the database.
//! - Nothing here logs identifiers or clinical values.

mod activity;
mod alert_actions;
mod audit;
mod auth;
mod backup;
mod bulk;
mod care_views;
mod catalog_rules;
mod crypto;
mod definitions;
mod export;
mod gauges;
mod hashing;
mod imports;
mod indicators;
mod key_check;
mod migrate;
mod notifications;
mod records;
mod rotation;
mod safety_flags;
mod scope;
mod setup;
mod throttle;
mod time_util;
mod users;

pub use activity::{HubYearActivity, OutcomePair, OutcomeRule};
pub use alert_actions::AlertAction;
pub use audit::{
    AuditCheckpoint, AuditEvent, AuditFilter, AuditVerification, CHECKPOINT_FORMAT,
    CheckpointOutcome, SEAL_INTERVAL,
};
pub use auth::{
    LoginOutcome, MIN_PASSWORD_LEN, NOTIFY_SCHEMES, NewUser, SUPPORTED_LANGUAGES, SessionKind,
    UserRecord,
};
pub use backup::{BACKUP_FORMAT, BackupManifest, PostgresSnapshot, RestoreReport};
pub use bulk::{AlertReview, BulkRecord};
pub use care_views::{CounsellorWork, WorkRecord};
pub use catalog_rules::CatalogRules;
pub use crypto::{KeyError, MasterKey};
pub use definitions::{CatalogSet, DefinitionProblem, DefinitionRow, PRICE_LIST_KIND};
pub use gauges::{AlertGauge, PoolGauge};
pub use hashing::HashingStats;
pub use migrate::LATEST_VERSION;
pub use notifications::{
    NOTIFICATION_MAX_ATTEMPTS, NOTIFICATION_STATUSES, Notification, retry_delay_minutes,
};
pub use records::{
    ALERT_ACTIONS, Ack, AckAlert, AckRiskFlag, AckScore, AckStatus, AlertFilter, AlertRow,
    CaseloadEntry, CaseloadScore, Change, ClientRow, ConflictRow, IncomingRecord,
    MAX_CASELOAD_PAGE, MAX_CONFLICT_PAGE, NextSession, PullCursor, PullPage, RecordRow,
    RiskFlagSummary, Rules, SMALL_CELL_THRESHOLD, ScoreSummary, SummaryCell,
};
pub use rotation::RotationProgress;
pub use safety_flags::{MAX_NOTE_CHARS, SAFETY_FLAG_RULE, SAFETY_FLAG_STATUSES, SafetyFlagRow};
pub use scope::Actor;
pub use setup::{
    HubRow, MAX_NAME_CHARS, MAX_SOURCE_CHARS, NewOrgUnit, NewProgramme, OrgUnitRow, OrgUnitUpdate,
    ProgrammeRow, ProgrammeUpdate,
};
pub use throttle::DEVICE_KEPT_SECONDS;
pub use time_util::{format_timestamp, now_timestamp};
pub use users::CaseloadMove;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};
use std::sync::Arc;

/// Which database a store runs on. Chosen from the URL at start, never by cfg flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Errors from the store. Bad input is a [`StoreError::Invalid`] naming the field; a denied or
/// invisible row is [`StoreError::NotFound`] (no existence leak); the rest are internal.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("not found")]
    NotFound,
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("conflict: {0}")]
    Conflict(String),
    /// A sign-in refused by the throttling policy (`throttle`) before its password was
    /// checked; it may be tried again after this many seconds.
    #[error("too many failed sign-in attempts; try again in {retry_after_seconds} s")]
    RateLimited { retry_after_seconds: u64 },
    /// A sign-in from an unrecognised device to an account with 100 consecutive failures:
    /// refused until a recognised device signs in or an administrator resets the password.
    #[error("too many failed sign-in attempts on this account from unrecognised devices")]
    SignInLocked,
    /// Every password-hashing slot stayed taken for too long; nothing was checked or counted.
    #[error("the server is busy checking passwords; try again in {retry_after_seconds} s")]
    Busy { retry_after_seconds: u64 },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration {version} failed: {source}")]
    Migration { version: i64, source: sqlx::Error },
    #[error(
        "the database was migrated by a newer scaleup (schema version {found}, this build knows {known})"
    )]
    SchemaTooNew { found: i64, known: i64 },
    #[error("encryption error: {0}")]
    Crypto(&'static str),
    /// A definition file that does not validate: its file, line, field and what is wrong.
    #[error("{0}")]
    Definition(scaleup_domain::catalog::DefinitionError),
    /// The configured master key is not the one the database was created with.
    #[error(
        "the configured master key (key id {configured}) is not the key this database was created with{}: give the original key with --key-file or SCALEUP_MASTER_KEY",
        .expected.as_ref().map(|k| format!(" (key id {k})")).unwrap_or_default()
    )]
    WrongKey {
        configured: String,
        expected: Option<String>,
    },
    #[error("internal error: {0}")]
    Internal(String),
}

impl StoreError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        StoreError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<scaleup_domain::error::FieldError> for StoreError {
    fn from(e: scaleup_domain::error::FieldError) -> Self {
        StoreError::Invalid {
            field: e.field,
            message: e.message,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The store: a connection pool plus the keys derived from the configured master key.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    keys: Arc<crypto::Keys>,
    /// The rules in force, shared by every clone of the store and swapped when new
    /// definitions arrive ([`Store::refresh_definitions`]).
    live: Arc<LiveRules>,
    /// The schema version the database is at: [`LATEST_VERSION`] except in tests that open a
    /// database "from an older version" (`open_at_schema`) and seed it through this code.
    schema: i64,
    /// The bound on concurrent argon2 computations, shared by every clone of this store (one
    /// per server process).
    hashing: Arc<hashing::HashGate>,
    /// The id of the key the database's key check names, as found at open: during a rotation
    /// the previous key until the rotation switches it. Keys the audit chain of a database that
    /// has never rotated (`store_state.audit_key_id` NULL).
    db_key_id: Option<String>,
    /// One check-and-rebuild of the indicator facts at a time per process: requests arriving
    /// while the facts are rebuilt wait for it instead of each starting their own.
    facts_gate: Arc<tokio::sync::Mutex<()>>,
}

/// The rules a store applies and, once [`Store::load_definitions`] has run, the catalogue
/// they come from. Behind locks held only to copy an `Arc`, so a reload never waits for a
/// request and a request never sees half a reload.
struct LiveRules {
    rules: std::sync::RwLock<Arc<dyn Rules>>,
    catalogs: std::sync::RwLock<Option<Arc<CatalogSet>>>,
    /// One reload at a time: others wait and then find the catalogue current.
    reload: tokio::sync::Mutex<()>,
}

impl LiveRules {
    fn new(rules: Arc<dyn Rules>) -> Self {
        LiveRules {
            rules: std::sync::RwLock::new(rules),
            catalogs: std::sync::RwLock::new(None),
            reload: tokio::sync::Mutex::new(()),
        }
    }
}

/// How to open a store.
pub struct StoreOptions {
    /// `postgres://...`, `sqlite://path`, or a plain file path (SQLite).
    pub url: String,
    pub master_key: MasterKey,
    pub max_connections: u32,
    /// Scores assessments, finds risk flags and holds the protocols (the catalogue).
    pub rules: Arc<dyn Rules>,
}

impl Store {
    /// Connects, and brings the schema up to date (migrations run at every start; they are
    /// idempotent and serialised between servers starting at once).
    pub async fn open(options: StoreOptions) -> Result<Store> {
        Self::open_at_schema(options, i64::MAX).await
    }

    /// Opens and migrates only up to schema `version`: how tests build a database "from an
    /// older version" to prove that it upgrades in place.
    pub async fn open_at_schema(options: StoreOptions, version: i64) -> Result<Store> {
        Self::open_inner(options, version, None).await
    }

    /// Opens with the key being rotated to as `options.master_key` and the key being retired as
    /// `previous`: how servers run while `scaleup key rotate` re-seals (they read what is
    /// sealed under either key and seal under the new one), and how the rotation itself runs.
    /// The database's key check may name either key.
    pub async fn open_rotating(
        options: StoreOptions,
        previous: Option<MasterKey>,
    ) -> Result<Store> {
        Self::open_inner(options, i64::MAX, previous).await
    }

    async fn open_inner(
        options: StoreOptions,
        version: i64,
        previous: Option<MasterKey>,
    ) -> Result<Store> {
        install_default_drivers();
        let (url, backend) = normalise_url(&options.url);
        let mut pool_options =
            AnyPoolOptions::new().max_connections(options.max_connections.max(1));
        if backend == Backend::Sqlite {
            pool_options = pool_options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    // WAL lets readers run beside the writer; FULL sync makes every commit durable
                    // before it is acknowledged (the crash test kills the server mid-sync).
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                    )
                    .await?;
                    Ok(())
                })
            });
        }
        let pool = pool_options.connect(&url).await?;
        let mut store = Store {
            pool,
            backend,
            keys: Arc::new(options.master_key.derive_with_previous(previous.as_ref())),
            live: Arc::new(LiveRules::new(options.rules)),
            schema: 0,
            hashing: Arc::new(hashing::HashGate::for_this_machine()),
            db_key_id: None,
            facts_gate: Arc::new(tokio::sync::Mutex::new(())),
        };
        migrate::run(&store, version).await?;
        store.schema = store.schema_version().await?;
        if version >= 5 {
            store.db_key_id = Some(store.check_key().await?);
            // After the key check: a head is signed only with the database's own key.
            store.sign_audit_head_once().await?;
        }
        if store.schema >= migrate::INDICATOR_ROLLUPS_SCHEMA {
            store.adopt_empty_rollups().await?;
        }
        match store.backend {
            Backend::Sqlite => {
                store.refresh_statistics_if_stale().await?;
            }
            Backend::Postgres => store.optimize().await?,
        }
        Ok(store)
    }

    /// The same store with other rules, apart from its clones (which keep theirs). Servers use
    /// [`Store::load_definitions`] instead, which keeps the rules in step with the database.
    pub fn with_rules(mut self, rules: Arc<dyn Rules>) -> Store {
        self.live = Arc::new(LiveRules::new(rules));
        self
    }

    /// The rules in force now: a snapshot, unaffected by a reload that happens while it is used.
    pub fn rules(&self) -> Arc<dyn Rules> {
        self.live
            .rules
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The rules for records of one hub: the network's definitions plus the hub's own.
    pub(crate) fn rules_for(&self, hub_id: &str) -> Arc<dyn Rules> {
        let rules = self.rules();
        rules.for_hub(hub_id).unwrap_or(rules)
    }

    /// The same store with its own bound on password hashing: at most `slots` argon2
    /// computations at once (the default is one per CPU), a request waiting at most `max_wait`
    /// for a slot before [`StoreError::Busy`]. Call it before cloning the store into a server.
    pub fn with_password_hashing(mut self, slots: usize, max_wait: std::time::Duration) -> Store {
        self.hashing = Arc::new(hashing::HashGate::new(slots, max_wait));
        self
    }

    /// What the password-hashing bound has done since this store was opened.
    pub fn hashing_stats(&self) -> HashingStats {
        self.hashing.stats()
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes the pool, waiting for connections to finish (SQLite checkpoints its WAL).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Starts a writing transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`)
    /// so two writers never deadlock upgrading a read lock.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(tx)
    }

    /// Recomputes the query planner's statistics in full: run after a bulk load. SQLite plans
    /// from `sqlite_stat1`, which only ANALYZE writes, and a wrong estimate costs seconds: a
    /// sampled ANALYZE (`analysis_limit = 1000`) read the first thousand entries of the
    /// `(hub_id, kind, ...)` indexes, all of one hub, and estimated 1,001 records per hub where
    /// there were 2.4 million; the planner then walked a whole hub to fetch 500 clients'
    /// records (1.9 s instead of 25 ms for a hub manager's caseload page at a million clients).
    /// A full ANALYZE of that table takes 6 s. PostgreSQL samples rows, not index prefixes, and
    /// its autovacuum keeps statistics current; ANALYZE there only saves waiting for it.
    pub async fn optimize(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => {
                let mut conn = self.pool.acquire().await?;
                sqlx::raw_sql("PRAGMA analysis_limit = 0; ANALYZE;")
                    .execute(&mut *conn)
                    .await?;
            }
            Backend::Postgres => {
                sqlx::raw_sql("ANALYZE records").execute(&self.pool).await?;
            }
        }
        Ok(())
    }

    /// Runs [`Store::optimize`] when the statistics are missing or `records` has doubled (or
    /// halved) since they were taken; returns whether it ran. Cheap to call often (two indexed
    /// lookups): the server calls it at start and in its minute sweep, so statistics follow a
    /// growing database without a full ANALYZE (and its seconds of write lock) at every start.
    /// A doubling re-analyses `records` alone: once per doubling, writers wait a few seconds
    /// (within their 10 s busy timeout up to about a million clients; sync clients retry).
    pub async fn refresh_statistics_if_stale(&self) -> Result<bool> {
        if self.backend == Backend::Postgres {
            return Ok(false);
        }
        // sqlite_stat1 exists only once something was analysed.
        let has_stats: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'",
        )
        .fetch_one(&self.pool)
        .await?;
        let analysed: Option<String> = if has_stats > 0 {
            sqlx::query_scalar(
                "SELECT stat FROM sqlite_stat1 WHERE tbl = 'records' AND idx IS NOT NULL LIMIT 1",
            )
            .fetch_optional(&self.pool)
            .await?
        } else {
            None
        };
        // Rowids grow with inserts and records are never deleted, so the largest is the count.
        let rows: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(rowid), 0) FROM records")
            .fetch_one(&self.pool)
            .await?;
        let analysed_rows = analysed
            .as_deref()
            .and_then(|s| s.split(' ').next())
            .and_then(|n| n.parse::<i64>().ok());
        let stale = match analysed_rows {
            None => rows > 0,
            Some(then) => rows > 2 * then + 1000 || 2 * rows + 1000 < then,
        };
        if stale {
            let started = std::time::Instant::now();
            if analysed_rows.is_none() {
                self.optimize().await?;
            } else {
                // Only the table that grew: ANALYZE holds SQLite's write lock while it runs
                // (about 6 s per million clients for records), and writers wait for it.
                let mut conn = self.pool.acquire().await?;
                sqlx::raw_sql("PRAGMA analysis_limit = 0; ANALYZE records;")
                    .execute(&mut *conn)
                    .await?;
            }
            tracing::info!(
                records = rows,
                seconds = started.elapsed().as_secs_f64(),
                "refreshed planner statistics"
            );
        }
        Ok(stale)
    }

    /// Schema version currently applied.
    pub async fn schema_version(&self) -> Result<i64> {
        migrate::current_version(self).await
    }
}

/// Accepts `postgres://`, `postgresql://`, `sqlite://` and plain paths (SQLite, created if missing).
fn normalise_url(url: &str) -> (String, Backend) {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        (url.to_string(), Backend::Postgres)
    } else if let Some(rest) = url.strip_prefix("sqlite://") {
        let sep = if rest.contains('?') { "&" } else { "?" };
        let url = if rest.contains("mode=") {
            url.to_string()
        } else {
            format!("{url}{sep}mode=rwc")
        };
        (url, Backend::Sqlite)
    } else if url == ":memory:" || url == "sqlite::memory:" {
        ("sqlite::memory:".to_string(), Backend::Sqlite)
    } else {
        (format!("sqlite://{url}?mode=rwc"), Backend::Sqlite)
    }
}

#[cfg(feature = "test-support")]
pub mod testing;
