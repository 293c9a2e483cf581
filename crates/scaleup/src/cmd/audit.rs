//! `scaleup audit`: verify the hash-chained audit log.

use super::config::{DbArgs, block_on};

/// Arguments for `scaleup audit`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(clap::Subcommand)]
pub enum AuditCommand {
    /// Recompute the chain; exit status 1 and a list of findings if any row was modified or deleted.
    Verify {
        #[command(flatten)]
        db: DbArgs,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        AuditCommand::Verify { db, json } => {
            let mut ok = true;
            block_on(async {
                let store = db.open(false).await?;
                let spinner = crate::progress::spinner("verifying the audit chain");
                let v = store.verify_audit().await;
                spinner.finish_and_clear();
                let v = v?;
                ok = v.ok;
                if json {
                    println!("{}", serde_json::to_string_pretty(&v)?);
                } else if v.ok {
                    println!("audit log intact: {} rows verified", v.rows_checked);
                } else {
                    println!(
                        "AUDIT LOG TAMPERED: {} problem(s) in {} rows checked",
                        v.problems.len(),
                        v.rows_checked
                    );
                    for p in &v.problems {
                        println!("  - {p}");
                    }
                }
                store.close().await;
                Ok(())
            })?;
            if !ok {
                std::process::exit(1);
            }
            Ok(())
        }
    }
}
