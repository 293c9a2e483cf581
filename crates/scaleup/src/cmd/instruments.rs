//! `scaleup instruments`: placeholder until its module lands (owned by the instruments work branch).

/// Arguments for `scaleup instruments`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`scaleup instruments` is not available in this build yet")
}
