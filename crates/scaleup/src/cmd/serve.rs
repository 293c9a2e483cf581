//! `scaleup serve`.

/// Arguments for `scaleup serve`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`scaleup serve` is not available in this build yet")
}
