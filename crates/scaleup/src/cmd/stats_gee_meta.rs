//! `scaleup stats gee`, `meta` and `icc`: arguments, file reading and printing around
//! `scaleup_analysis::gee_meta`.

use std::path::PathBuf;

use anyhow::Context;
use scaleup_analysis::gee_meta::{
    self, GeeCorrelation, GeeFamily, GeeRequest, GeeSmallSample, MetaMethodArg, MetaRequest,
};

use crate::cmd::Format;
use crate::cmd::stats::{open_data, print_report};

#[derive(Clone, Copy, clap::ValueEnum)]
enum FamilyArg {
    Gaussian,
    Binomial,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum CorrArg {
    Independence,
    Exchangeable,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum SmallSampleArg {
    /// Mancl–DeRouen (2001) bias-corrected sandwich.
    ManclDerouen,
}

/// Arguments for `scaleup stats gee`.
#[derive(clap::Args)]
pub struct GeeArgs {
    /// CSV file with a header row.
    #[arg(long)]
    data: PathBuf,
    /// Fixed-effects formula, e.g. `y ~ arm + period` (no random-effect terms).
    #[arg(long)]
    formula: String,
    /// Family: gaussian (identity link) or binomial (logit link).
    #[arg(long, value_enum)]
    family: FamilyArg,
    /// Working correlation.
    #[arg(long, value_enum, default_value = "exchangeable")]
    corr: CorrArg,
    /// Cluster column.
    #[arg(long)]
    group: String,
    /// Small-sample correction used for `std_error`, `z` and `p_value`.
    #[arg(long, value_enum)]
    small_sample: Option<SmallSampleArg>,
    /// Treat these numeric columns as factors (comma-separated or repeated; the HTTP parameter
    /// `factors` takes the same list; `--factor` is the old name).
    #[arg(
        long = "factors",
        alias = "factor",
        value_name = "COL",
        value_delimiter = ','
    )]
    factors: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// Runs `scaleup stats gee`.
pub fn run_gee(args: GeeArgs) -> anyhow::Result<()> {
    let req = GeeRequest {
        formula: args.formula.clone(),
        family: match args.family {
            FamilyArg::Gaussian => GeeFamily::Gaussian,
            FamilyArg::Binomial => GeeFamily::Binomial,
        },
        corr: match args.corr {
            CorrArg::Independence => GeeCorrelation::Independence,
            CorrArg::Exchangeable => GeeCorrelation::Exchangeable,
        },
        group: args.group.clone(),
        small_sample: args
            .small_sample
            .map(|SmallSampleArg::ManclDerouen| GeeSmallSample::ManclDerouen),
        factors: args.factors.clone(),
    };
    let (source, file) = open_data(&args.data)?;
    let report =
        crate::progress::with_spinner("fitting the GEE", || gee_meta::gee(&source, file, &req))?;
    print_report(&report, args.format, "scaleup stats gee")
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum MethodArg {
    /// Fixed effect (inverse variance).
    Fe,
    /// DerSimonian–Laird random effects.
    Dl,
    /// REML random effects.
    Reml,
}

/// Arguments for `scaleup stats meta`.
#[derive(clap::Args)]
pub struct MetaArgs {
    /// CSV file with one row per study.
    #[arg(long)]
    data: PathBuf,
    /// Column with the study estimates (on an additive scale, e.g. log odds ratio).
    #[arg(long)]
    estimate: String,
    /// Column with their standard errors.
    #[arg(long)]
    se: String,
    /// Column with study labels (for the text output and the forest plot).
    #[arg(long)]
    label: Option<String>,
    /// Column with each estimate's own degrees of freedom (e.g. the df of `scaleup analyze
    /// effectiveness`): that study's interval is then t(df), as in the report it came from.
    #[arg(long)]
    df: Option<String>,
    /// Estimator of the between-study variance.
    #[arg(long, value_enum, default_value = "reml")]
    method: MethodArg,
    /// Knapp–Hartung t-based inference (metafor `test = "knha"`, no truncation).
    #[arg(long)]
    knapp_hartung: bool,
    /// With --knapp-hartung, truncate the scale factor at 1 (metafor `test = "adhoc"`).
    #[arg(long, requires = "knapp_hartung")]
    kh_truncate: bool,
    /// Confidence level.
    #[arg(long, default_value_t = 0.95)]
    level: f64,
    /// Write a forest plot (SVG) to this file.
    #[arg(long, value_name = "OUT.svg")]
    svg: Option<PathBuf>,
    /// Axis label of the forest plot.
    #[arg(long, default_value = "Estimate")]
    axis_label: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// Runs `scaleup stats meta`.
pub fn run_meta(args: MetaArgs) -> anyhow::Result<()> {
    let req = MetaRequest {
        estimate: args.estimate.clone(),
        se: args.se.clone(),
        label: args.label.clone(),
        df: args.df.clone(),
        method: match args.method {
            MethodArg::Fe => MetaMethodArg::Fe,
            MethodArg::Dl => MetaMethodArg::Dl,
            MethodArg::Reml => MetaMethodArg::Reml,
        },
        knapp_hartung: args.knapp_hartung,
        kh_truncate: args.kh_truncate,
        level: args.level,
        axis_label: args.axis_label.clone(),
    };
    let (source, file) = open_data(&args.data)?;
    let out = gee_meta::meta(&source, file, &req)?;
    if let Some(path) = &args.svg {
        std::fs::write(path, &out.forest_svg)
            .with_context(|| format!("cannot write the forest plot to {}", path.display()))?;
    }
    print_report(&out.report, args.format, "scaleup stats meta")
}

/// Arguments for `scaleup stats icc`.
#[derive(clap::Args)]
pub struct IccArgs {
    /// CSV file with a header row.
    #[arg(long)]
    data: PathBuf,
    /// Mixed-model formula with random intercepts, e.g. `phq ~ arm + (1 | facility)`.
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
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// Runs `scaleup stats icc`: fits the LMM by REML and reports ICCs and design effects.
pub fn run_icc(args: IccArgs) -> anyhow::Result<()> {
    let (source, file) = open_data(&args.data)?;
    let report = crate::progress::with_spinner("fitting the model", || {
        gee_meta::icc(&source, file, &args.formula, &args.factors)
    })?;
    print_report(&report, args.format, "scaleup stats icc")
}
