//! `scaleup migrate`.

/// Arguments for `scaleup migrate`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`scaleup migrate` is not available in this build yet")
}
