//! `scaleup plan`: scale-up planner. Reads a scenario file, projects workforce, coverage,
//! training and budget per scenario (scaleup_econ::planner) and prints text, JSON or HTML.

use crate::cmd::Format;
use anyhow::Context;
use std::path::PathBuf;

/// Arguments for `scaleup plan`.
#[derive(clap::Args)]
pub struct Args {
    /// Scenario file (TOML): `[base]` parameters, one `[[scenario]]` per scenario, `[sources]`.
    #[arg(long)]
    pub scenario: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let path = &args.scenario;
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read scenario file {}", path.display()))?;
    let report = scaleup_analysis::econ::plan(&path.display().to_string(), &text)?;
    crate::cmd::stats::print_report(&report, args.format, "scaleup plan")
}
