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
    let file = scaleup_econ::planner::parse_scenario_file(&text)
        .with_context(|| format!("invalid scenario file {}", path.display()))?;
    let report = scaleup_econ::planner::plan(&file)
        .with_context(|| format!("invalid scenario file {}", path.display()))?;
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Text => print!("{}", scaleup_econ::planner::render_text(&report)),
        Format::Html => print!("{}", scaleup_econ::planner::render_html(&report)),
    }
    Ok(())
}
