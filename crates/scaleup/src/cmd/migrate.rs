//! `scaleup migrate`: bring the database schema up to date and exit.

use super::config::{DbArgs, block_on, init_logging, redact};

/// Arguments for `scaleup migrate`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub db: DbArgs,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    init_logging();
    block_on(async move {
        let store = args.db.open(true).await?;
        println!(
            "{} is at schema version {}",
            redact(&args.db.db),
            store.schema_version().await?
        );
        store.close().await;
        Ok(())
    })
}
