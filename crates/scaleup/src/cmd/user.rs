//! `scaleup user`.

/// Arguments for `scaleup user`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`scaleup user` is not available in this build yet")
}
