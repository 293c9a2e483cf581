//! `scaleup demo`.

/// Arguments for `scaleup demo`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`scaleup demo` is not available in this build yet")
}
