//! `scaleup definitions`: a hub's own instrument, protocol, competency or item-text files,
//! validated against the catalogue and stored in the database so every server loads them.

use super::config::{DbArgs, block_on, load_catalog};
use anyhow::Context;
use scaleup_domain::catalog::DefinitionKind;

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

fn kind_name(kind: DefinitionKind) -> &'static str {
    match kind {
        DefinitionKind::Instrument => "instrument",
        DefinitionKind::Protocol => "protocol",
        DefinitionKind::CompetencyFramework => "competency_framework",
        DefinitionKind::ItemTexts => "item_texts",
    }
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        DefinitionsCommand::Add { db, files } => block_on(async move {
            let store = db.open(true).await?;
            let mut catalog = load_catalog(&store).await?;
            // Validate every file first (each against the catalogue with the earlier ones), so a
            // bad file leaves nothing half-stored.
            let mut accepted = Vec::new();
            for path in &files {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?;
                let origin = path
                    .file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_else(|| path.display().to_string());
                let added = catalog
                    .add_file(&origin, &text)
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                accepted.push((added, origin, text));
            }
            for (added, origin, text) in &accepted {
                let code = if added.kind == DefinitionKind::ItemTexts {
                    format!("{}@{}", added.code, added.version)
                } else {
                    added.code.clone()
                };
                store
                    .put_definition(None, kind_name(added.kind), &code, origin, text)
                    .await?;
                println!(
                    "stored {} {} version {} from {}",
                    kind_name(added.kind),
                    added.code,
                    added.version,
                    origin
                );
            }
            store.close().await;
            Ok(())
        }),
        DefinitionsCommand::List { db } => block_on(async move {
            let store = db.open(false).await?;
            for d in store.definitions().await? {
                println!("{:<22} {:<24} {}", d.kind, d.code, d.origin);
            }
            store.close().await;
            Ok(())
        }),
    }
}
