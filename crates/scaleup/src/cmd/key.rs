//! `scaleup key`: generate a master key.

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
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
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
