//! `scaleup definitions`: instrument, protocol, competency or item-text files of a hub's own
//! (or the whole network's), validated against the catalogue they join and stored in the
//! database, where every server picks them up without a restart.

use super::config::{DbArgs, block_on};
use anyhow::Context;

/// Arguments for `scaleup definitions`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: DefinitionsCommand,
}

#[derive(clap::Subcommand)]
pub enum DefinitionsCommand {
    /// Validate files and store them; a malformed file is rejected with file:line: field: message
    /// and nothing is stored.
    Add {
        #[command(flatten)]
        db: DbArgs,
        /// The hub (code) whose programmes and records the files apply to; without it they
        /// apply to every hub.
        #[arg(long)]
        hub: Option<String>,
        /// TOML definition files (`kind = "instrument" | "protocol" | "competency_framework" | "item_texts"`).
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
    },
    /// List the hub definitions stored in the database.
    List {
        #[command(flatten)]
        db: DbArgs,
    },
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        DefinitionsCommand::Add { db, hub, files } => block_on(async move {
            let store = db.open(true).await?;
            let hub_id = match &hub {
                Some(code) => Some(
                    store
                        .hubs(None)
                        .await?
                        .into_iter()
                        .find(|h| h.code == *code)
                        .map(|h| h.id)
                        .with_context(|| format!("there is no hub with code {code}"))?,
                ),
                None => None,
            };
            let mut texts = Vec::new();
            for path in &files {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?;
                let origin = path
                    .file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_else(|| path.display().to_string());
                texts.push((origin, text));
            }
            // Every file is validated (each against the catalogue with the ones before it)
            // before any is stored, so a bad file leaves nothing half-stored.
            let added = store
                .add_definitions(None, hub_id.as_deref(), &texts)
                .await?;
            for (a, (origin, _)) in added.iter().zip(&texts) {
                println!(
                    "stored {} {} version {} from {} ({})",
                    a.kind.as_str(),
                    a.code,
                    a.version,
                    origin,
                    hub.as_deref()
                        .map(|h| format!("hub {h}"))
                        .unwrap_or_else(|| "every hub".into())
                );
            }
            store.close().await;
            Ok(())
        }),
        DefinitionsCommand::List { db } => block_on(async move {
            let store = db.open(false).await?;
            let codes: std::collections::HashMap<String, String> = store
                .hubs(None)
                .await?
                .into_iter()
                .map(|h| (h.id, h.code))
                .collect();
            for d in store.definitions().await? {
                let scope = d
                    .hub_id
                    .as_ref()
                    .map(|h| codes.get(h).cloned().unwrap_or_else(|| h.clone()))
                    .unwrap_or_else(|| "(every hub)".into());
                println!(
                    "{:<22} {:<24} {:<10} {:<14} {}",
                    d.kind, d.code, d.version, scope, d.origin
                );
            }
            for p in store.catalogs().problems() {
                eprintln!("not loaded: {}", p.message);
            }
            store.close().await;
            Ok(())
        }),
    }
}
