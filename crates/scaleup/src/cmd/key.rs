//! `scaleup key`: generate a master key, and rotate a database to a new one.

use super::config::{DbArgs, block_on};
use anyhow::bail;

pub const ROTATE_LONG_ABOUT: &str =
    "Re-seal everything sealed under the database's key under a new key.

Before: generate the new key (`scaleup key generate --out new.key`) and restart every server \
with `--key-file new.key --previous-key-file old.key`, one at a time: they read what is sealed \
under either key and seal under the new one. Then run, with the same two keys:

  scaleup key rotate --db DB --key-file new.key --previous-key-file old.key

It re-seals identities and notes in chunks (--chunk rows per short transaction; readers never \
wait for more than one chunk), records its progress in the database, and resumes where it \
stopped if it is interrupted: run it again. Its last step switches the database's key check \
value to the new key. After it: restart servers with the new key alone, and retire the old key \
(backups made before the rotation still need it). Audit rows are not rewritten: the old key's \
audit subkeys are kept in the database sealed under the new key, so the chain and old \
checkpoints verify with the new key alone. Sign-in throttling counters restart from zero; \
sessions and recognised devices are kept.";

/// Arguments for `scaleup key`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: KeyCommand,
}

#[derive(clap::Subcommand)]
pub enum KeyCommand {
    /// Print a new random master key (base64), or write it to a new file with mode 0600.
    Generate {
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Re-seal the database under a new key (--key-file), retiring --previous-key-file;
    /// resumable, readers keep working.
    #[command(long_about = ROTATE_LONG_ABOUT)]
    Rotate {
        #[command(flatten)]
        db: DbArgs,
        /// Rows re-sealed per transaction.
        #[arg(long, default_value_t = 500)]
        chunk: i64,
        /// Stop after this many chunks (spread a rotation over quiet hours; run again to go on).
        #[arg(long)]
        max_chunks: Option<usize>,
        /// Milliseconds to wait between chunks, to leave a busy database room.
        #[arg(long, default_value_t = 0)]
        pause_ms: u64,
    },
    /// Show the database's key id and any rotation in progress (table reached, rows re-sealed).
    Status {
        #[command(flatten)]
        db: DbArgs,
        /// Print it as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        KeyCommand::Rotate {
            db,
            chunk,
            max_chunks,
            pause_ms,
        } => rotate(db, chunk, max_chunks, pause_ms),
        KeyCommand::Status { db, json } => status(db, json),
        KeyCommand::Generate { out } => {
            let key = scaleup_storage::MasterKey::generate();
            match out {
                Some(path) => {
                    super::config::write_key_file(&path, &key)?;
                    println!("wrote a new master key to {}", path.display());
                }
                None => println!("{}", key.to_base64()),
            }
            Ok(())
        }
    }
}

fn status(db: DbArgs, json: bool) -> anyhow::Result<()> {
    block_on(async {
        let store = db.open(false).await?;
        let key_id = store.database_key_id().await?;
        let rotation = store.rotation_in_progress().await?;
        store.close().await;
        if json {
            println!(
                "{}",
                serde_json::json!({"key_id": key_id, "rotation": rotation})
            );
        } else {
            println!(
                "sealed under key id {}",
                key_id.as_deref().unwrap_or("(not recorded)")
            );
            match rotation {
                Some(p) => println!(
                    "rotation to key id {} in progress: at {}, {} rows re-sealed; run `scaleup key rotate` again to go on",
                    p.new_key_id, p.stage, p.resealed
                ),
                None => println!("no rotation in progress"),
            }
        }
        Ok(())
    })
}

fn rotate(db: DbArgs, chunk: i64, max_chunks: Option<usize>, pause_ms: u64) -> anyhow::Result<()> {
    if chunk < 1 {
        bail!("--chunk must be at least 1");
    }
    block_on(async {
        let store = db.open(false).await?;
        let progress = store
            .rotate_key_paced(
                chunk,
                max_chunks,
                std::time::Duration::from_millis(pause_ms),
            )
            .await;
        store.close().await;
        let p = progress?;
        if p.finished && p.old_key_id == p.new_key_id {
            println!(
                "the database is already sealed under key id {}; nothing to do",
                p.new_key_id
            );
        } else if p.finished {
            println!(
                "rotated from key id {} to key id {}: {} rows re-sealed; restart servers with the new key alone, then retire the old key",
                p.old_key_id, p.new_key_id, p.resealed
            );
        } else {
            println!(
                "rotation from key id {} to key id {} paused at {}: {} rows re-sealed so far; run the command again to go on",
                p.old_key_id, p.new_key_id, p.stage, p.resealed
            );
        }
        Ok(())
    })
}
