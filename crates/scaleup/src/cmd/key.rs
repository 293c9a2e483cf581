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
    },
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        KeyCommand::Rotate {
            db,
            chunk,
            max_chunks,
        } => rotate(db, chunk, max_chunks),
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

fn rotate(db: DbArgs, chunk: i64, max_chunks: Option<usize>) -> anyhow::Result<()> {
    if chunk < 1 {
        bail!("--chunk must be at least 1");
    }
    block_on(async {
        let store = db.open(false).await?;
        let progress = store.rotate_key(chunk, max_chunks).await;
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
