//! `scaleup econ`: placeholder until its module lands (owned by the econ work branch).

/// Arguments for `scaleup econ`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`scaleup econ` is not available in this build yet")
}
