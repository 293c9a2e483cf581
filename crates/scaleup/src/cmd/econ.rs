//! `scaleup econ`: cost-effectiveness commands. This module reads files, runs the analyses of
//! scaleup-analysis (the PSA itself here, to stream draws to a file) and prints.

use anyhow::{Context, Result};
use scaleup_analysis::cea as analysis;
use scaleup_analysis::uncertainty;
use scaleup_econ::markov::Model;
use scaleup_econ::psa::{self as psa_core, PsaConfig};
use serde_json::json;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::Format;

/// Arguments for `scaleup econ`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Efficiency frontier and ICERs from a strategy table (CSV: strategy,cost,effect).
    Icers(IcersArgs),
    /// Deterministic Markov cohort model from a TOML specification.
    Markov(MarkovArgs),
    /// Expected value of perfect information from PSA draws (CSV: draw,strategy,cost,effect).
    Evpi(EvpiArgs),
    /// Probabilistic sensitivity analysis of a Markov model: CEAC, CEAF, EVPI, charts.
    Psa(PsaArgs),
    /// One-way sensitivity analysis with a tornado diagram.
    Owsa(OwsaArgs),
    /// Budget impact analysis.
    Bia(super::econ_budget::BiaArgs),
    /// Return on investment.
    Roi(super::econ_budget::RoiArgs),
    /// Ingredients / activity-based costing from a price list and recorded activity.
    Cost(super::econ_budget::CostArgs),
}

pub fn run(args: Args) -> Result<()> {
    match args.command {
        Command::Icers(a) => run_icers(a),
        Command::Markov(a) => run_markov(a),
        Command::Evpi(a) => run_evpi(a),
        Command::Psa(a) => run_psa(a),
        Command::Owsa(a) => run_owsa(a),
        Command::Bia(a) => super::econ_budget::run_bia(a),
        Command::Roi(a) => super::econ_budget::run_roi(a),
        Command::Cost(a) => super::econ_budget::run_cost(a),
    }
}

/// Arguments for `scaleup econ icers`.
#[derive(clap::Args)]
struct IcersArgs {
    /// CSV file with columns strategy,cost,effect (header required, any column order).
    #[arg(long)]
    input: PathBuf,
    /// Willingness to pay per unit of effect; adds net monetary benefit to the output.
    #[arg(long)]
    wtp: Option<f64>,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

fn run_icers(args: IcersArgs) -> Result<()> {
    let (source, file) = crate::cmd::stats::open_data(&args.input)?;
    let report = analysis::icers(&source, file, args.wtp)?;
    crate::cmd::stats::print_report(&report, args.format, "scaleup econ icers")
}

/// Arguments for `scaleup econ markov`.
#[derive(clap::Args)]
struct MarkovArgs {
    /// Model specification (TOML).
    #[arg(long)]
    model: PathBuf,
    /// Willingness to pay per unit of effect; adds net monetary benefit to the ICER table.
    #[arg(long)]
    wtp: Option<f64>,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

/// Reads and validates a model file; errors carry the file name.
fn load_model(path: &Path) -> Result<Model> {
    let src =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    analysis::load_model(&path.display().to_string(), &src)
}

fn run_markov(args: MarkovArgs) -> Result<()> {
    let text = std::fs::read_to_string(&args.model)
        .with_context(|| format!("cannot read {}", args.model.display()))?;
    let report = analysis::markov(&args.model.display().to_string(), &text, args.wtp)?;
    crate::cmd::stats::print_report(&report, args.format, "scaleup econ markov")
}

/// Arguments for `scaleup econ evpi`.
#[derive(clap::Args)]
struct EvpiArgs {
    /// PSA draws in long format: columns draw,strategy,cost,effect (one row per draw and strategy).
    #[arg(long)]
    psa: PathBuf,
    /// Willingness to pay per unit of effect.
    #[arg(long)]
    wtp: f64,
    /// People affected by the decision each year (for population EVPI).
    #[arg(long)]
    population: Option<f64>,
    /// Years over which the decision applies (for population EVPI).
    #[arg(long, default_value_t = 1)]
    years: u32,
    /// Annual discount rate for population EVPI; year t is weighted 1/(1+r)^t, t = 1..years.
    #[arg(long, default_value_t = 0.0)]
    discount: f64,
    /// Also estimate the partial EVPI (EVPPI) of these parameter columns of the draws file
    /// (comma-separated or repeated), by the one-level method of Strong & Oakley (2014).
    #[arg(long, value_delimiter = ',', value_name = "PARAMETER")]
    evppi: Vec<String>,
    /// Blocks of draws for the EVPPI estimator (default: the square root of the draws).
    #[arg(long, value_name = "K")]
    evppi_groups: Option<usize>,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

fn run_evpi(args: EvpiArgs) -> Result<()> {
    let req = uncertainty::EvpiRequest {
        wtp: args.wtp,
        population: args.population,
        years: args.years,
        discount: args.discount,
        evppi: args.evppi.clone(),
        evppi_groups: args.evppi_groups,
    };
    let (source, file) = crate::cmd::stats::open_data(&args.psa)?;
    let report = uncertainty::evpi(&source, file, &req)?;
    crate::cmd::stats::print_report(&report, args.format, "scaleup econ evpi")
}

/// Arguments for `scaleup econ psa`.
#[derive(clap::Args)]
struct PsaArgs {
    /// Model specification (TOML) with [[parameter]] distributions.
    #[arg(long)]
    model: PathBuf,
    /// Number of draws.
    #[arg(long, default_value_t = 1000)]
    draws: usize,
    /// Random seed (results are identical for the same seed, whatever --threads is).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Willingness-to-pay values, comma-separated (for example 0,1000,5000).
    #[arg(long, value_delimiter = ',', required = true)]
    wtp: Vec<f64>,
    /// Write every draw to this CSV (draw,strategy,cost,effect, then parameter columns);
    /// the file is accepted by `scaleup econ evpi --psa`.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write ce_plane.svg and ceac.svg into this directory.
    #[arg(long)]
    svg_dir: Option<PathBuf>,
    /// Worker threads (default: available cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Draws per chunk; with the seed it defines the random streams.
    #[arg(long, default_value_t = 4096)]
    chunk_size: usize,
    /// Draws plotted on the cost-effectiveness plane.
    #[arg(long, default_value_t = 1000)]
    points: usize,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

fn run_psa(args: PsaArgs) -> Result<()> {
    let model = load_model(&args.model)?;
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let cfg = PsaConfig {
        draws: args.draws,
        seed: args.seed,
        wtp: args.wtp.clone(),
        chunk_size: args.chunk_size,
        threads,
        keep_points: args.points,
    };
    let names: Vec<String> = model
        .strategy_names()
        .into_iter()
        .map(String::from)
        .collect();
    let slots = model.n_slots();
    let mut writer = match &args.out {
        Some(p) => {
            let f = std::fs::File::create(p)
                .with_context(|| format!("cannot create {}", p.display()))?;
            let mut w = std::io::BufWriter::new(f);
            let mut header = String::from("draw,strategy,cost,effect");
            for par in model.parameters() {
                let dim = par.distribution.dim();
                if dim == 1 {
                    header.push_str(&format!(",{}", par.name));
                } else {
                    for i in 1..=dim {
                        header.push_str(&format!(",{}[{i}]", par.name));
                    }
                }
            }
            writeln!(w, "{header}").with_context(|| format!("cannot write {}", p.display()))?;
            Some(w)
        }
        None => None,
    };
    let k = names.len();
    let progress = crate::progress::bar(args.draws as u64, "draws");
    let result = psa_core::run_psa(&model, &cfg, |chunk| {
        progress.inc((chunk.outcomes.len() / k.max(1)) as u64);
        let Some(w) = writer.as_mut() else {
            return Ok(());
        };
        let n = chunk.outcomes.len() / k;
        let mut line = String::with_capacity(64 + 24 * slots);
        for d in 0..n {
            let params = &chunk.params[d * slots..(d + 1) * slots];
            for (j, name) in names.iter().enumerate() {
                let o = chunk.outcomes[d * k + j];
                line.clear();
                // Writing into a String cannot fail.
                let _ = write!(
                    line,
                    "{},{},{},{}",
                    chunk.first_draw + d + 1,
                    name,
                    o.cost,
                    o.effect
                );
                for v in params {
                    let _ = write!(line, ",{v}");
                }
                line.push('\n');
                w.write_all(line.as_bytes()).map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    })
    .with_context(|| format!("{}: PSA failed", args.model.display()));
    progress.finish_and_clear();
    let result = result?;
    if let (Some(w), Some(p)) = (writer.as_mut(), &args.out) {
        w.flush()
            .with_context(|| format!("cannot write {}", p.display()))?;
    }
    let mut svg_files = Vec::new();
    if let Some(dir) = &args.svg_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        for (file, text) in uncertainty::psa_charts(&result) {
            let p = dir.join(file);
            std::fs::write(&p, text).with_context(|| format!("cannot write {}", p.display()))?;
            svg_files.push(p.display().to_string());
        }
    }
    let mut report = uncertainty::psa_report(&model, &result, args.seed)?;
    report.json["files"] = json!({
        "draws": args.out.as_ref().map(|p| p.display().to_string()),
        "svg": svg_files,
    });
    for f in &svg_files {
        report.text.push_str(&format!("wrote {f}\n"));
    }
    crate::cmd::stats::print_report(&report, args.format, "scaleup econ psa")
}

/// Arguments for `scaleup econ owsa`.
#[derive(clap::Args)]
struct OwsaArgs {
    /// Model specification (TOML).
    #[arg(long)]
    model: PathBuf,
    /// Vary only this parameter (with --low and --high); without it, every parameter that has
    /// `low` and `high` in the model file is varied.
    #[arg(long, requires_all = ["low", "high"])]
    parameter: Option<String>,
    /// Low value for --parameter.
    #[arg(long, requires = "parameter", allow_hyphen_values = true)]
    low: Option<f64>,
    /// High value for --parameter.
    #[arg(long, requires = "parameter", allow_hyphen_values = true)]
    high: Option<f64>,
    /// Willingness to pay for the net-benefit outcome.
    #[arg(long)]
    wtp: f64,
    /// Strategy whose (incremental) net monetary benefit is shown (default: the last one).
    #[arg(long)]
    strategy: Option<String>,
    /// Comparator for incremental net benefit (default: the first strategy; with a single
    /// strategy the tornado shows its NMB).
    #[arg(long)]
    comparator: Option<String>,
    /// Write the tornado diagram to this SVG file.
    #[arg(long)]
    svg: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

fn run_owsa(args: OwsaArgs) -> Result<()> {
    let model = load_model(&args.model)?;
    let req = uncertainty::OwsaRequest {
        parameter: args.parameter.clone(),
        low: args.low,
        high: args.high,
        wtp: args.wtp,
        strategy: args.strategy.clone(),
        comparator: args.comparator.clone(),
    };
    let mut out = uncertainty::owsa(&args.model.display().to_string(), &model, &req)?;
    if let Some(p) = &args.svg {
        std::fs::write(p, &out.tornado_svg)
            .with_context(|| format!("cannot write {}", p.display()))?;
        out.report.json["svg"] = json!(p.display().to_string());
        out.report
            .text
            .push_str(&format!("\nwrote {}\n", p.display()));
    }
    crate::cmd::stats::print_report(&out.report, args.format, "scaleup econ owsa")
}
