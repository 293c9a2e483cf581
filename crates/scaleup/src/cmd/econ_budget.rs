//! `scaleup econ bia` and `scaleup econ roi`: budget impact and return on investment.
//!
//! This file is owned by the econ-plan branch, which replaces it with the real commands; the
//! econ-cea branch only needs the names so that `cmd/econ.rs` can dispatch to them.

/// Arguments for `scaleup econ bia`.
#[derive(clap::Args)]
pub struct BiaArgs {}

/// Arguments for `scaleup econ roi`.
#[derive(clap::Args)]
pub struct RoiArgs {}

pub fn run_bia(_args: BiaArgs) -> anyhow::Result<()> {
    anyhow::bail!("`scaleup econ bia` is not available in this build yet")
}

pub fn run_roi(_args: RoiArgs) -> anyhow::Result<()> {
    anyhow::bail!("`scaleup econ roi` is not available in this build yet")
}
