//! `scaleup stats`: placeholder until its module lands (owned by the stats work branch).

/// Arguments for `scaleup stats`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`scaleup stats` is not available in this build yet")
}
