//! `scaleup audit`: verify the hash-chained audit log, and sign checkpoints of its head for a
//! hub to keep outside the database.

use super::config::{DbArgs, block_on};
use anyhow::Context;
use scaleup_storage::{AuditCheckpoint, AuditVerification, CheckpointOutcome};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What `scaleup audit --help` says beside the subcommands: what the chain stops, and how a hub
/// keeps checkpoints.
pub const LONG_ABOUT: &str =
    "Verify the hash-chained audit log; sign checkpoints of it to keep elsewhere.

Every access to client-level data appends a row whose hash is a MAC, under a subkey of the \
master key, over the row and the previous row's hash; the head (last row and hash) is kept with \
a MAC of its own. Without the key, nobody holding the database can change, remove or add a row, \
or cut the log's tail, without `verify` saying so.

Someone who also holds the key could rewrite the log from some row on and sign a new head, and \
someone who saw an earlier head could roll the log back to it. Checkpoints catch both: \
`checkpoint` verifies the chain and signs its head, the hub keeps it where the database cannot \
reach it, and `verify --checkpoint FILE` proves that every checkpointed row is still in the log \
with its hash.

A hub might run every night, where the key is:
  scaleup audit checkpoint | ssh archive 'cat >> /srv/scaleup/audit-checkpoints.jsonl'
and now and then, with the archive's copy:
  scaleup audit verify --checkpoint audit-checkpoints.jsonl";

/// Arguments for `scaleup audit`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(clap::Subcommand)]
pub enum AuditCommand {
    /// Recompute the chain up to its recorded head; exit status 1 and a list of findings if a
    /// row was modified, removed or added, the head is not signed by the key, or a checkpoint
    /// is no longer in the log.
    Verify {
        #[command(flatten)]
        db: DbArgs,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        /// Checkpoint files kept outside the database (written by `scaleup audit checkpoint`):
        /// the log must still hold each checkpointed row with its hash. A file may hold many
        /// checkpoints, one a line; the option may be repeated.
        #[arg(long = "checkpoint", value_name = "FILE", num_args = 1..)]
        checkpoints: Vec<PathBuf>,
    },
    /// Verify the chain and sign its head as a checkpoint (one line of JSON) for the hub to keep
    /// outside the database. A chain that does not verify gets no checkpoint: exit status 1 and
    /// the findings.
    Checkpoint {
        #[command(flatten)]
        db: DbArgs,
        /// Append the checkpoint to FILE (created if missing) instead of printing it, so that
        /// one file keeps the hub's history of checkpoints. Never overwrites.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let ok = match args.command {
        AuditCommand::Verify {
            db,
            json,
            checkpoints,
        } => verify(db, json, &checkpoints)?,
        AuditCommand::Checkpoint { db, out } => checkpoint(db, out.as_deref())?,
    };
    if !ok {
        std::process::exit(1);
    }
    Ok(())
}

/// Runs `audit verify`; returns whether the log is intact.
fn verify(db: DbArgs, json: bool, files: &[PathBuf]) -> anyhow::Result<bool> {
    // Read the checkpoints before opening the database: a missing or malformed file is the
    // operator's mistake, not a finding about the log.
    let mut checkpoints = Vec::new();
    for file in files {
        checkpoints.extend(read_checkpoints(file)?);
    }
    let mut ok = true;
    block_on(async {
        let store = db.open(false).await?;
        let spinner = crate::progress::spinner("verifying the audit chain");
        let v = store.verify_audit_with(&checkpoints).await;
        spinner.finish_and_clear();
        store.close().await;
        let v = v?;
        ok = v.ok;
        if json {
            println!("{}", serde_json::to_string_pretty(&v)?);
        } else {
            print_verification(&v);
        }
        Ok(())
    })?;
    Ok(ok)
}

fn print_verification(v: &AuditVerification) {
    let checkpoints = match v.checkpoints_checked {
        0 => String::new(),
        1 => "; 1 checkpoint checked".to_string(),
        n => format!("; {n} checkpoints checked"),
    };
    if v.ok {
        println!(
            "audit log intact: {} rows verified up to the recorded head (row {}){checkpoints}",
            v.rows_checked, v.head_seq
        );
    } else {
        println!(
            "AUDIT LOG TAMPERED: {} problem(s) in {} rows checked up to the recorded head (row {}){checkpoints}",
            v.problems.len(),
            v.rows_checked,
            v.head_seq
        );
        for p in &v.problems {
            println!("  - {p}");
        }
    }
}

/// Every checkpoint in one file, with the file named in any error.
fn read_checkpoints(file: &Path) -> anyhow::Result<Vec<AuditCheckpoint>> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("reading checkpoint file {}", file.display()))?;
    let checkpoints = AuditCheckpoint::read_all(&text).with_context(|| {
        format!(
            "{}: not a file of scaleup audit checkpoints (one JSON object a line, as `scaleup audit checkpoint` writes)",
            file.display()
        )
    })?;
    if checkpoints.is_empty() {
        anyhow::bail!("{}: holds no checkpoint", file.display());
    }
    Ok(checkpoints)
}

/// Runs `audit checkpoint`; returns whether a checkpoint was made.
fn checkpoint(db: DbArgs, out: Option<&Path>) -> anyhow::Result<bool> {
    let mut made = true;
    block_on(async {
        let store = db.open(false).await?;
        let spinner = crate::progress::spinner("verifying the audit chain");
        let outcome = store.audit_checkpoint().await;
        spinner.finish_and_clear();
        store.close().await;
        let outcome = outcome?;
        match outcome {
            CheckpointOutcome::Signed {
                checkpoint,
                rows_checked,
            } => {
                let line = serde_json::to_string(&checkpoint)?;
                match out {
                    Some(path) => {
                        append_line(path, &line)?;
                        eprintln!(
                            "checkpoint of row {} ({rows_checked} rows verified) appended to {}",
                            checkpoint.seq,
                            path.display()
                        );
                    }
                    // Only the checkpoint goes to standard output, so that `>> FILE` or a pipe
                    // to another machine keeps exactly one line per checkpoint.
                    None => {
                        println!("{line}");
                        eprintln!(
                            "checkpoint of row {} ({rows_checked} rows verified): keep it outside the database",
                            checkpoint.seq
                        );
                    }
                }
            }
            CheckpointOutcome::Refused(v) => {
                made = false;
                eprintln!(
                    "AUDIT LOG TAMPERED: no checkpoint was made; {} problem(s) in {} rows checked up to the recorded head (row {})",
                    v.problems.len(),
                    v.rows_checked,
                    v.head_seq
                );
                for p in &v.problems {
                    eprintln!("  - {p}");
                }
            }
        }
        Ok(())
    })?;
    Ok(made)
}

/// Appends one line and waits until it is on disk: a checkpoint is evidence, and a crash right
/// after the command said it was kept must not lose it.
fn append_line(path: &Path, line: &str) -> anyhow::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening checkpoint file {}", path.display()))?;
    writeln!(file, "{line}")
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing checkpoint file {}", path.display()))
}
