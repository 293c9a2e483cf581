//! `scaleup backup` and `scaleup restore`: a consistent copy of a running database, and a
//! restore that proves the copy is whole before anyone serves it.
//!
//! The master key is never part of a backup (it is not in the database). Keep the key file
//! apart from the backups: a backup alone is ciphertext and an audit log nobody can extend, and
//! a restore needs both.

use super::config::{DbArgs, block_on, redact};
use anyhow::{Context, bail};
use scaleup_storage::{BackupManifest, RestoreReport, Store};
use std::path::{Path, PathBuf};
use std::process::Command;

pub const BACKUP_LONG_ABOUT: &str = "Write a consistent backup of the database while servers run.

SQLite: `VACUUM INTO` copies one moment of the database to --out (a new file) without stopping \
readers or writers. PostgreSQL: runs `pg_dump --format=custom` on one exported snapshot, the \
one the manifest is counted in (`--print-command` prints the command instead, to run it \
elsewhere). Either way a manifest (counts and the audit head, nothing identifying) is written \
beside the backup as <out>.manifest.json, for `scaleup restore` to check against.

The master key is not in the backup. Keep the key file somewhere else than the backups.";

pub const RESTORE_LONG_ABOUT: &str = "Restore a backup into a new database and verify it.

SQLite: --db names a new file (an existing one is refused). PostgreSQL: --db names an empty \
database (create it first: `createdb NAME`), filled with `pg_restore`. Then the restored copy is \
opened with the key (--key-file or SCALEUP_MASTER_KEY; a wrong key is refused by the database's \
key check value) and verified: its record count against the manifest, every identity decrypted, \
the audit chain verified up to the backup's head. Exit status 1 if any check fails.";

/// Arguments for `scaleup backup`.
#[derive(clap::Args)]
pub struct BackupArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// The backup file to write (must not exist). Its manifest goes to FILE.manifest.json.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// PostgreSQL: print the pg_dump command (password left out: pg_dump reads PGPASSWORD or
    /// ~/.pgpass) and exit, instead of running it.
    #[arg(long)]
    pub print_command: bool,
}

/// Arguments for `scaleup restore`.
#[derive(clap::Args)]
pub struct RestoreArgs {
    /// The backup written by `scaleup backup` (its manifest is read from FILE.manifest.json
    /// when present).
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,
    /// Where to restore: a new SQLite file, or an empty PostgreSQL database.
    #[command(flatten)]
    pub db: DbArgs,
    /// Print the verification as JSON.
    #[arg(long)]
    pub json: bool,
}

fn manifest_path(backup: &Path) -> PathBuf {
    let mut p = backup.as_os_str().to_owned();
    p.push(".manifest.json");
    PathBuf::from(p)
}

fn is_postgres(db: &str) -> bool {
    db.starts_with("postgres://") || db.starts_with("postgresql://")
}

fn sqlite_path(db: &str) -> &str {
    db.strip_prefix("sqlite://")
        .map(|p| p.split('?').next().unwrap_or(p))
        .unwrap_or(db)
}

/// A PostgreSQL URL without its password, and the password (percent-decoded), so that the
/// password reaches pg_dump through its environment and never its command line.
fn split_password(url: &str) -> (String, Option<String>) {
    let (Some(s), Some(at)) = (url.find("://"), url.rfind('@')) else {
        return (url.to_string(), None);
    };
    if at < s {
        return (url.to_string(), None);
    }
    let creds = &url[s + 3..at];
    match creds.split_once(':') {
        Some((user, pass)) => (
            format!("{}{}{}", &url[..s + 3], user, &url[at..]),
            Some(percent_decode(pass)),
        ),
        None => (url.to_string(), None),
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(hex) = std::str::from_utf8(&bytes[i + 1..i + 3])
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn postgres_tool(name: &str, url: &str) -> Command {
    let (url, password) = split_password(url);
    let mut cmd = Command::new(name);
    cmd.arg(format!("--dbname={url}"));
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    cmd
}

pub fn backup(args: BackupArgs) -> anyhow::Result<()> {
    if args.out.exists() {
        bail!(
            "{} exists already: a backup never overwrites a file",
            args.out.display()
        );
    }
    let manifest_file = manifest_path(&args.out);
    if manifest_file.exists() {
        bail!("{} exists already", manifest_file.display());
    }
    if args.print_command {
        if !is_postgres(&args.db.db) {
            bail!("--print-command is for PostgreSQL; SQLite backups are made by this command");
        }
        let (url, _) = split_password(&args.db.db);
        println!(
            "pg_dump --format=custom --no-owner --no-privileges --file={} --dbname={url}",
            args.out.display()
        );
        return Ok(());
    }
    block_on(async {
        let store = args.db.open(false).await?;
        let manifest = if is_postgres(&args.db.db) {
            let snapshot = store.postgres_snapshot().await?;
            let status = postgres_tool("pg_dump", &args.db.db)
                .args(["--format=custom", "--no-owner", "--no-privileges"])
                .arg(format!("--snapshot={}", snapshot.id))
                .arg(format!("--file={}", args.out.display()))
                .status()
                .context("running pg_dump (install PostgreSQL's client tools)")?;
            let manifest = snapshot.manifest.clone();
            snapshot.finish().await?;
            if !status.success() {
                bail!("pg_dump failed ({status})");
            }
            manifest
        } else {
            store.backup_sqlite_to(&args.out).await?
        };
        store.close().await;
        write_manifest(&manifest_file, &manifest)?;
        println!(
            "backup of {} written to {}: {} records, {} identities, audit log up to row {} (manifest {})",
            redact(&args.db.db),
            args.out.display(),
            manifest.records,
            manifest.identities,
            manifest.audit_head_seq,
            manifest_file.display()
        );
        println!(
            "the master key (key id {}) is not in the backup: keep it apart, a restore needs it",
            manifest.key_id.as_deref().unwrap_or("not recorded")
        );
        Ok(())
    })
}

fn write_manifest(path: &Path, manifest: &BackupManifest) -> anyhow::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    use std::io::Write;
    writeln!(f, "{}", serde_json::to_string_pretty(manifest)?)?;
    Ok(())
}

pub fn restore(args: RestoreArgs) -> anyhow::Result<()> {
    if !args.from.is_file() {
        bail!("{} is not a backup file", args.from.display());
    }
    let manifest_file = manifest_path(&args.from);
    let manifest: Option<BackupManifest> = if manifest_file.exists() {
        let text = std::fs::read_to_string(&manifest_file)
            .with_context(|| format!("reading {}", manifest_file.display()))?;
        Some(
            serde_json::from_str(&text)
                .with_context(|| format!("{}: not a backup manifest", manifest_file.display()))?,
        )
    } else {
        eprintln!(
            "note: no manifest ({}): the record count cannot be compared",
            manifest_file.display()
        );
        None
    };
    // The key first: a restore without it is pointless, and the check happens before any copy.
    args.db.master_key(false).context(
        "the restored database needs the key the backup was made with (--key-file or SCALEUP_MASTER_KEY)",
    )?;
    let mut ok = false;
    block_on(async {
        if is_postgres(&args.db.db) {
            if !Store::postgres_database_is_empty(&args.db.db).await? {
                bail!(
                    "{} is not empty: restore into a new database (createdb NAME)",
                    redact(&args.db.db)
                );
            }
            let status = postgres_tool("pg_restore", &args.db.db)
                .args(["--no-owner", "--no-privileges", "--exit-on-error"])
                .arg(&args.from)
                .status()
                .context("running pg_restore (install PostgreSQL's client tools)")?;
            if !status.success() {
                bail!("pg_restore failed ({status})");
            }
        } else {
            let target = Path::new(sqlite_path(&args.db.db));
            copy_new(&args.from, target)?;
        }
        let report = async {
            let store = args.db.open(false).await?;
            let report = store.verify_restored(manifest.as_ref()).await;
            store.close().await;
            anyhow::Ok(report?)
        }
        .await;
        if !report.as_ref().is_ok_and(|r| r.ok) && !is_postgres(&args.db.db) {
            // A copy that did not verify (or that the key does not open) must not be served by
            // mistake: this command made the file, so it removes it. The backup stays.
            remove_sqlite(sqlite_path(&args.db.db));
            eprintln!("the restored copy did not verify and was removed; the backup is untouched");
        }
        let report = report?;
        ok = report.ok;
        if args.json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            print_report(&args.db.db, &report);
        }
        Ok(())
    })?;
    if !ok {
        std::process::exit(1);
    }
    Ok(())
}

fn remove_sqlite(path: &str) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
}

/// Copies a SQLite backup to a path that must not exist yet.
fn copy_new(from: &Path, to: &Path) -> anyhow::Result<()> {
    let mut src =
        std::fs::File::open(from).with_context(|| format!("opening {}", from.display()))?;
    let mut dst = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(to)
        .with_context(|| {
            format!(
                "creating {} (a restore never overwrites a database)",
                to.display()
            )
        })?;
    std::io::copy(&mut src, &mut dst).with_context(|| format!("writing {}", to.display()))?;
    dst.sync_all()?;
    Ok(())
}

fn print_report(db: &str, r: &RestoreReport) {
    if r.ok {
        println!(
            "restored {}: {} records, {} identities decrypted, audit log intact ({} rows up to row {})",
            redact(db),
            r.records,
            r.identities_checked,
            r.audit.rows_checked,
            r.audit.head_seq
        );
    } else {
        println!(
            "RESTORE DOES NOT VERIFY: {} problem(s) in {}",
            r.problems.len(),
            redact(db)
        );
        for p in r.problems.iter().chain(r.audit.problems.iter()) {
            println!("  - {p}");
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_password_leaves_the_url_for_the_environment() {
        let (url, pass) = super::split_password("postgres://u:p%40ss@h:5432/db");
        assert_eq!(url, "postgres://u@h:5432/db");
        assert_eq!(pass.as_deref(), Some("p@ss"));
        let (url, pass) = super::split_password("postgres://h/db");
        assert_eq!(url, "postgres://h/db");
        assert!(pass.is_none());
    }
}
