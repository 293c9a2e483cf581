//! Settings shared by the commands that open the database: where it is and the master key.
//!
//! The master key never lives in the database. It comes from `SCALEUP_MASTER_KEY` (base64), or
//! a key file (`--key-file`, `SCALEUP_KEY_FILE`). For a new SQLite database with neither, a key
//! file beside the database (`<db>.key`, mode 0600) is created with it, so the demo needs no
//! set-up; an existing database never gets a new key. PostgreSQL deployments must supply a key
//! explicitly. The database keeps a check value of its key and refuses any other (storage's
//! `key_check`).

use anyhow::{Context, bail};
use scaleup_domain::catalog::Catalog;
use scaleup_storage::{CatalogRules, MasterKey, Store, StoreOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(clap::Args, Clone, Debug)]
pub struct DbArgs {
    /// Database: a SQLite file path (created if missing) or a postgres:// URL.
    #[arg(long, env = "SCALEUP_DB", default_value = "scaleup.sqlite")]
    pub db: String,
    /// File holding the base64 master key (encrypts identities, keys the audit chain).
    #[arg(long, env = "SCALEUP_KEY_FILE")]
    pub key_file: Option<PathBuf>,
    /// During a key rotation: the key being retired (the new one is --key-file). Servers run
    /// with both while `scaleup key rotate` re-seals; see docs/operations.md.
    /// `SCALEUP_PREVIOUS_MASTER_KEY` may hold it instead (base64).
    #[arg(long, env = "SCALEUP_PREVIOUS_KEY_FILE")]
    pub previous_key_file: Option<PathBuf>,
    /// Connections to the database this process keeps at most. Each request holds one while
    /// its statements run, so a server needs about requests per second × round trips per
    /// request × the round trip's time (a sync push holds one for a record's ~22 statements):
    /// where PostgreSQL is a millisecond away, raise it; every server's count together must
    /// stay under PostgreSQL's `max_connections` (100 by default). See docs/operations.md.
    #[arg(
        long,
        env = "SCALEUP_DB_CONNECTIONS",
        default_value_t = 8,
        value_parser = clap::value_parser!(u32).range(1..=1000)
    )]
    pub db_connections: u32,
}

fn is_postgres(db: &str) -> bool {
    db.starts_with("postgres://") || db.starts_with("postgresql://")
}

fn sqlite_path(db: &str) -> &str {
    db.strip_prefix("sqlite://")
        .map(|p| p.split('?').next().unwrap_or(p))
        .unwrap_or(db)
}

impl DbArgs {
    /// The key file used when none is given: `<sqlite path>.key`.
    pub fn default_key_path(&self) -> Option<PathBuf> {
        if is_postgres(&self.db) {
            None
        } else {
            Some(PathBuf::from(format!("{}.key", sqlite_path(&self.db))))
        }
    }

    /// Whether the SQLite file does not exist yet (or is empty). Never true for PostgreSQL,
    /// whose keys are always supplied.
    fn sqlite_database_is_new(&self) -> bool {
        !is_postgres(&self.db)
            && std::fs::metadata(sqlite_path(&self.db)).map_or(true, |m| m.len() == 0)
    }

    pub fn master_key(&self, create_if_missing: bool) -> anyhow::Result<MasterKey> {
        if let Ok(text) = std::env::var("SCALEUP_MASTER_KEY") {
            return MasterKey::from_base64(&text).context("SCALEUP_MASTER_KEY");
        }
        let path = match (&self.key_file, self.default_key_path()) {
            (Some(p), _) => p.clone(),
            (None, Some(p)) => p,
            (None, None) => bail!(
                "a PostgreSQL database needs a master key: set SCALEUP_MASTER_KEY or --key-file (create one with `scaleup key generate`)"
            ),
        };
        if path.exists() {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading key file {}", path.display()))?;
            return MasterKey::from_base64(&text)
                .with_context(|| format!("key file {}", path.display()));
        }
        if !create_if_missing {
            bail!("key file {} does not exist", path.display());
        }
        // A key is made only together with a new database: an existing database already has
        // its key, and a fresh one would seal new identities where the old ones cannot be read.
        if !self.sqlite_database_is_new() {
            bail!(
                "the database {} exists but its key file {} does not: give the key the database was created with (--key-file or SCALEUP_MASTER_KEY); a new key is made only with a new database",
                sqlite_path(&self.db),
                path.display()
            );
        }
        let key = MasterKey::generate();
        write_key_file(&path, &key)?;
        eprintln!(
            "created a new master key in {} — keep it safe and out of backups of the database",
            path.display()
        );
        Ok(key)
    }

    /// The key being retired by a rotation, if one is configured.
    pub fn previous_key(&self) -> anyhow::Result<Option<MasterKey>> {
        if let Ok(text) = std::env::var("SCALEUP_PREVIOUS_MASTER_KEY") {
            return Ok(Some(
                MasterKey::from_base64(&text).context("SCALEUP_PREVIOUS_MASTER_KEY")?,
            ));
        }
        let Some(path) = &self.previous_key_file else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading previous key file {}", path.display()))?;
        Ok(Some(MasterKey::from_base64(&text).with_context(|| {
            format!("previous key file {}", path.display())
        })?))
    }

    /// Opens (and migrates) the store with its catalogue: the built-ins plus the definition
    /// files stored in the database (network-wide and each hub's own), kept in step with the
    /// database as files are uploaded ([`Store::refresh_definitions`]).
    pub async fn open(&self, create_key: bool) -> anyhow::Result<Store> {
        let master_key = self.master_key(create_key)?;
        let previous = self.previous_key()?;
        let builtin = Arc::new(CatalogRules::new(Arc::new(Catalog::builtin())));
        let store = Store::open_rotating(
            StoreOptions {
                url: self.db.clone(),
                master_key,
                max_connections: self.db_connections,
                rules: builtin,
            },
            previous,
        )
        .await
        .with_context(|| format!("opening database {}", redact(&self.db)))?;
        store
            .load_definitions()
            .await
            .context("loading the stored definition files")?;
        Ok(store)
    }
}

pub fn write_key_file(path: &Path, key: &MasterKey) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options
        .open(path)
        .with_context(|| format!("creating key file {}", path.display()))?;
    writeln!(f, "{}", key.to_base64())?;
    Ok(())
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..s + 3], user, &url[at..])
        }
        _ => url.to_string(),
    }
}

/// Runs an async body on a fresh multi-threaded runtime.
pub fn block_on<F: std::future::Future<Output = anyhow::Result<()>>>(f: F) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(f)
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One readable line per event.
    #[default]
    Text,
    /// One JSON object per event (timestamp, level, target, message and fields).
    Json,
}

/// Logs to standard error; `RUST_LOG` overrides the default level.
pub fn init_logging() {
    init_logging_as(LogFormat::Text)
}

/// Logs to standard error in `format`; `RUST_LOG` overrides the default level.
pub fn init_logging_as(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init(),
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(super::redact("demo.sqlite"), "demo.sqlite");
    }
}
