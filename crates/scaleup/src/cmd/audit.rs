//! `scaleup audit`.

/// Arguments for `scaleup audit`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`scaleup audit` is not available in this build yet")
}
