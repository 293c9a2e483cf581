//! `scaleup stats`: statistical models on a CSV file. Each model is a subcommand with its own
//! argument struct; the analyses themselves live in `scaleup_analysis`.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use scaleup_analysis::Report;
use scaleup_analysis::models::{self, ModelRequest};

use crate::cmd::Format;

/// Arguments for `scaleup stats`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: StatsCommand,
}

#[derive(clap::Subcommand)]
enum StatsCommand {
    /// Linear mixed model (lme4-style formula, REML by default).
    Lmm(LmmArgs),
    /// Generalised linear mixed model (binomial logit, Laplace approximation).
    Glmm(GlmmArgs),
    /// Generalised estimating equations (gaussian/binomial; independence/exchangeable).
    Gee(crate::cmd::stats_gee_meta::GeeArgs),
    /// Meta-analysis of study estimates (fixed effect, DerSimonian-Laird, REML).
    Meta(crate::cmd::stats_gee_meta::MetaArgs),
    /// ICC and design effect from a random-intercept linear mixed model.
    Icc(crate::cmd::stats_gee_meta::IccArgs),
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        StatsCommand::Lmm(a) => run_lmm(a),
        StatsCommand::Glmm(a) => run_glmm(a),
        StatsCommand::Gee(a) => crate::cmd::stats_gee_meta::run_gee(a),
        StatsCommand::Meta(a) => crate::cmd::stats_gee_meta::run_meta(a),
        StatsCommand::Icc(a) => crate::cmd::stats_gee_meta::run_icc(a),
    }
}

/// Arguments for `scaleup stats lmm`.
#[derive(clap::Args)]
pub struct LmmArgs {
    /// CSV file with a header row.
    #[arg(long)]
    data: PathBuf,
    /// Model formula, e.g. `y ~ x + (1 + t | site)`.
    #[arg(long)]
    formula: String,
    /// Fit by maximum likelihood instead of REML.
    #[arg(long)]
    ml: bool,
    /// Treat these numeric columns as factors (comma-separated or repeated; the HTTP parameter
    /// `factors` takes the same list; `--factor` is the old name).
    #[arg(
        long = "factors",
        alias = "factor",
        value_name = "COL",
        value_delimiter = ','
    )]
    factors: Vec<String>,
    /// Include BLUPs (conditional modes) and their conditional variances in the output.
    #[arg(long)]
    blups: bool,
    /// Skip Satterthwaite degrees of freedom and p-values.
    #[arg(long)]
    no_df: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

fn model_request(
    formula: &str,
    factors: &[String],
    ml: bool,
    blups: bool,
    no_df: bool,
) -> ModelRequest {
    ModelRequest {
        formula: formula.to_string(),
        factors: factors.to_vec(),
        ml,
        blups,
        no_df,
    }
}

/// Opens a data file; its display name labels every error.
pub(crate) fn open_data(path: &Path) -> anyhow::Result<(String, std::fs::File)> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok((path.display().to_string(), file))
}

/// Prints a report in the chosen format, its warnings on standard error.
pub(crate) fn print_report(report: &Report, format: Format, command: &str) -> anyhow::Result<()> {
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    match format {
        Format::Json => {
            // The same JSON as the API gives: warnings travel with the result.
            let mut json = report.json.clone();
            if !report.warnings.is_empty()
                && let Some(obj) = json.as_object_mut()
            {
                obj.insert("warnings".into(), report.warnings.clone().into());
            }
            println!("{}", serde_json::to_string_pretty(&json)?)
        }
        Format::Text => print!("{}", report.text),
        Format::Html => match &report.html {
            Some(html) => print!("{html}"),
            None => bail!("`{command}` prints text or json; html is not supported"),
        },
    }
    Ok(())
}

fn run_lmm(args: LmmArgs) -> anyhow::Result<()> {
    let req = model_request(
        &args.formula,
        &args.factors,
        args.ml,
        args.blups,
        args.no_df,
    );
    let (source, file) = open_data(&args.data)?;
    let report = crate::progress::with_spinner("fitting the mixed model", || {
        models::lmm(&source, file, &req)
    })?;
    print_report(&report, args.format, "scaleup stats lmm")
}

/// GLMM families.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum GlmmFamily {
    /// Binomial with the logit link: a 0/1 response, or `cbind(successes, failures)` counts.
    Binomial,
}

/// Arguments for `scaleup stats glmm`.
#[derive(clap::Args)]
pub struct GlmmArgs {
    /// Response distribution.
    #[arg(long, value_enum)]
    family: GlmmFamily,
    /// CSV file with a header row.
    #[arg(long)]
    data: PathBuf,
    /// Model formula with a 0/1 response, e.g. `remit ~ arm + (1 | site)`, or with aggregated
    /// counts as in lme4, e.g. `cbind(remitted, not_remitted) ~ arm + (1 | site)` (two count
    /// columns: successes and failures, so trials = their sum; rows with 0 trials are kept).
    #[arg(long)]
    formula: String,
    /// Treat these numeric columns as factors (comma-separated or repeated; the HTTP parameter
    /// `factors` takes the same list; `--factor` is the old name).
    #[arg(
        long = "factors",
        alias = "factor",
        value_name = "COL",
        value_delimiter = ','
    )]
    factors: Vec<String>,
    /// Include BLUPs (conditional modes) and their conditional variances.
    #[arg(long)]
    blups: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

fn run_glmm(args: GlmmArgs) -> anyhow::Result<()> {
    let GlmmFamily::Binomial = args.family;
    let req = model_request(&args.formula, &args.factors, false, args.blups, false);
    let (source, file) = open_data(&args.data)?;
    let report = crate::progress::with_spinner("fitting the mixed model", || {
        models::glmm(&source, file, &req)
    })?;
    print_report(&report, args.format, "scaleup stats glmm")
}
