//! `scaleup econ bia` and `scaleup econ roi`: budget impact and return on investment from a
//! scenario file. Reading and printing only; the models live in scaleup_econ::budget_impact and
//! scaleup_econ::roi. Dispatched from `cmd/econ.rs`.

use crate::cmd::Format;
use anyhow::Context;
use std::path::{Path, PathBuf};

/// Arguments for `scaleup econ bia`.
#[derive(clap::Args)]
pub struct BiaArgs {
    /// Budget impact scenario file (TOML): `years`, `[population]`, `[[treatment]]`, `[[scenario]]`.
    #[arg(long)]
    pub scenario: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Arguments for `scaleup econ roi`.
#[derive(clap::Args)]
pub struct RoiArgs {
    /// Investment-case scenario file (TOML): coverage path, costs, health and productivity parameters.
    #[arg(long)]
    pub scenario: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path)
        .with_context(|| format!("cannot read scenario file {}", path.display()))
}

/// Runs `scaleup econ bia`.
pub fn run_bia(args: BiaArgs) -> anyhow::Result<()> {
    use scaleup_econ::budget_impact as bia;
    let path = &args.scenario;
    let text = read(path)?;
    let ctx = || format!("invalid scenario file {}", path.display());
    let model = bia::parse_bia_file(&text).with_context(ctx)?;
    let report = bia::budget_impact(&model).with_context(ctx)?;
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Text => print!("{}", bia::render_text(&report)),
        Format::Html => print!("{}", bia::render_html(&report)),
    }
    Ok(())
}

/// Runs `scaleup econ roi`.
pub fn run_roi(args: RoiArgs) -> anyhow::Result<()> {
    use scaleup_econ::roi;
    let path = &args.scenario;
    let text = read(path)?;
    let ctx = || format!("invalid scenario file {}", path.display());
    let model = roi::parse_roi_file(&text).with_context(ctx)?;
    let report = roi::roi(&model).with_context(ctx)?;
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Text => print!("{}", roi::render_text(&report)),
        Format::Html => print!("{}", roi::render_html(&report)),
    }
    Ok(())
}
