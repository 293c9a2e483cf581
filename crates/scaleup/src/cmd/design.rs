//! `scaleup design`: placeholder until its module lands (owned by the design work branch).

/// Arguments for `scaleup design`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`scaleup design` is not available in this build yet")
}
