//! `scaleup plan`: placeholder until its module lands (owned by the plan work branch).

/// Arguments for `scaleup plan`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`scaleup plan` is not available in this build yet")
}
