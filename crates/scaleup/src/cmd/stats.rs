//! `scaleup stats`: statistical models on a CSV file. Each model is a subcommand with its own
//! argument struct and run function; they share [`read_table`] to load the data.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use scaleup_stats::data::{Column, Data, MISSING, factor_from_interned};
use scaleup_stats::formula::Formula;
use scaleup_stats::frame::{FrameError, ModelFrame};
use scaleup_stats::glmm::{self, GlmmOptions};
use scaleup_stats::lmm::{self, LmmFit, LmmOptions, Method};
use serde_json::{Value, json};

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
    /// Treat this numeric column as a factor (repeatable).
    #[arg(long = "factor", value_name = "COL")]
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

fn run_lmm(args: LmmArgs) -> anyhow::Result<()> {
    if args.format == Format::Html {
        bail!("`scaleup stats lmm` prints text or json; html is not supported");
    }
    let formula = Formula::parse(&args.formula).context("invalid --formula")?;
    let table = read_table_checked(&args.data, &args.factors)?;
    table.check_formula(&formula, &args.factors, &args.data)?;
    let frame = build_frame(&formula, &table.data, &args.data)?;
    let options = LmmOptions {
        method: if args.ml { Method::Ml } else { Method::Reml },
        satterthwaite: !args.no_df,
        ..LmmOptions::default()
    };
    let fit = lmm::fit(&frame, &options)
        .with_context(|| format!("cannot fit the model to {}", args.data.display()))?;
    match args.format {
        Format::Json => {
            let v = lmm_json(&fit, &frame, &args.formula, args.blups);
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        _ => print!("{}", lmm_text(&fit, &frame, &args.formula, args.blups)),
    }
    Ok(())
}

/// GLMM families.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum GlmmFamily {
    /// Bernoulli response (0/1) with the logit link.
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
    /// Model formula, e.g. `remit ~ arm + (1 | site)`.
    #[arg(long)]
    formula: String,
    /// Treat this numeric column as a factor (repeatable).
    #[arg(long = "factor", value_name = "COL")]
    factors: Vec<String>,
    /// Include BLUPs (conditional modes) and their conditional variances.
    #[arg(long)]
    blups: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

fn run_glmm(args: GlmmArgs) -> anyhow::Result<()> {
    if args.format == Format::Html {
        bail!("`scaleup stats glmm` prints text or json; html is not supported");
    }
    let formula = Formula::parse(&args.formula).context("invalid --formula")?;
    let table = read_table_checked(&args.data, &args.factors)?;
    table.check_formula(&formula, &args.factors, &args.data)?;
    let frame = build_frame(&formula, &table.data, &args.data)?;
    let fit = match args.family {
        GlmmFamily::Binomial => glmm::fit_binomial(&frame, &GlmmOptions::default()),
    }
    .with_context(|| format!("cannot fit the model to {}", args.data.display()))?;
    let fixed: Vec<Value> = fit
        .fixed
        .iter()
        .map(|f| {
            json!({"term": f.term, "estimate": f.estimate, "std_error": f.std_error,
                   "z_value": f.z_value, "p_value": f.p_value})
        })
        .collect();
    let random: Vec<Value> = fit
        .random
        .iter()
        .map(|r| {
            let mut v = json!({"group": r.group, "terms": r.terms,
                               "covariance": matrix(&r.covariance), "n_levels": r.levels.len()});
            if args.blups {
                v["blups"] = r
                    .levels
                    .iter()
                    .zip(&r.blups)
                    .zip(&r.cond_var)
                    .map(|((l, b), c)| json!({"level": l, "values": b, "cond_var": c}))
                    .collect();
            }
            v
        })
        .collect();
    match args.format {
        Format::Json => {
            let groups: serde_json::Map<String, Value> = fit
                .groups
                .iter()
                .map(|(g, n)| (g.clone(), json!(n)))
                .collect();
            let v = json!({
                "family": "binomial", "link": "logit", "method": "Laplace",
                "formula": args.formula, "n_obs": fit.n_obs,
                "fixed_effects": fixed, "vcov": matrix(&fit.vcov), "random_effects": random,
                "log_likelihood": fit.log_likelihood, "deviance": fit.deviance,
                "aic": fit.aic, "bic": fit.bic, "df_model": fit.df_model, "theta": fit.theta,
                "converged": fit.converged, "singular": fit.singular,
                "evaluations": fit.evaluations, "groups": groups,
                "missing": {"n_input": frame.missing.n_input, "n_dropped": frame.missing.n_dropped},
            });
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        _ => {
            let mut s = String::new();
            let _ = writeln!(
                s,
                "Generalised linear mixed model fit by maximum likelihood (Laplace)"
            );
            let _ = writeln!(s, "Family: binomial (logit)\nFormula: {}", args.formula);
            let _ = writeln!(
                s,
                "logLik: {:.4}   deviance: {:.4}   AIC: {:.4}   BIC: {:.4}",
                fit.log_likelihood, fit.deviance, fit.aic, fit.bic
            );
            let _ = writeln!(
                s,
                "Observations: {}; groups: {}, {}",
                fit.n_obs, fit.groups[0].0, fit.groups[0].1
            );
            let _ = writeln!(s, "\nRandom effects:");
            for r in &fit.random {
                for (i, t) in r.terms.iter().enumerate() {
                    let var = r.covariance[i][i];
                    let g = if i == 0 { r.group.as_str() } else { "" };
                    let _ = writeln!(
                        s,
                        "  {g:<20} {t:<16} variance {var:.6}  sd {:.6}",
                        var.sqrt()
                    );
                }
            }
            let _ = writeln!(s, "\nFixed effects:");
            let _ = writeln!(
                s,
                "  {:<20} {:>12} {:>12} {:>9} {:>11}",
                "Term", "Estimate", "Std. Error", "z value", "Pr(>|z|)"
            );
            for f in &fit.fixed {
                let _ = writeln!(
                    s,
                    "  {:<20} {:>12.6} {:>12.6} {:>9.3} {:>11.4e}",
                    f.term, f.estimate, f.std_error, f.z_value, f.p_value
                );
            }
            let _ = writeln!(
                s,
                "\nConverged: {}   Singular fit: {}",
                if fit.converged { "yes" } else { "NO" },
                if fit.singular { "yes" } else { "no" }
            );
            print!("{s}");
        }
    }
    Ok(())
}

/// Builds the model frame, turning a factor response into an error that names the first
/// non-numeric row.
pub(crate) fn build_frame(
    formula: &Formula,
    data: &Data,
    path: &Path,
) -> anyhow::Result<ModelFrame> {
    ModelFrame::new(formula, data).map_err(|e| match e {
        FrameError::ResponseNotNumeric(name) => anyhow::anyhow!(
            "{}: the response column `{name}` must be numeric but has non-numeric values",
            path.display()
        ),
        other => anyhow::anyhow!("{}: {other}", path.display()),
    })
}

fn is_missing(cell: &[u8]) -> bool {
    matches!(
        cell,
        b"" | b"NA" | b"NaN" | b"nan" | b"null" | b"NULL" | b"."
    )
}

enum Builder {
    Numeric(Vec<f64>),
    Factor {
        codes: Vec<u32>,
        levels: Vec<String>,
        index: HashMap<String, u32>,
    },
}

impl Builder {
    fn push(&mut self, cell: &[u8]) -> anyhow::Result<()> {
        let cell = trim(cell);
        if let Builder::Numeric(v) = self {
            if is_missing(cell) {
                v.push(f64::NAN);
                return Ok(());
            }
            if let Some(x) = std::str::from_utf8(cell)
                .ok()
                .and_then(|s| s.parse::<f64>().ok())
            {
                v.push(x);
                return Ok(());
            }
            // First non-numeric cell: the column is a factor; earlier numbers become labels.
            let mut b = Builder::Factor {
                codes: Vec::with_capacity(v.capacity()),
                levels: Vec::new(),
                index: HashMap::new(),
            };
            for x in v.iter() {
                if x.is_nan() {
                    b.push(b"")?;
                } else {
                    b.push(format!("{x}").as_bytes())?;
                }
            }
            *self = b;
        }
        if let Builder::Factor {
            codes,
            levels,
            index,
        } = self
        {
            if is_missing(cell) {
                codes.push(MISSING);
                return Ok(());
            }
            let s = std::str::from_utf8(cell).context("cell is not valid UTF-8")?;
            let code = match index.get(s) {
                Some(c) => *c,
                None => {
                    let c = levels.len() as u32;
                    levels.push(s.to_string());
                    index.insert(s.to_string(), c);
                    c
                }
            };
            codes.push(code);
        }
        Ok(())
    }
}

fn trim(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &b[start..end]
}

/// Reads a CSV file with a header into a [`Data`] table. A column is numeric when every
/// non-missing cell parses as a number, otherwise a factor; columns named in `factors` are
/// factors in any case. Missing cells: empty, `NA`, `NaN`, `null`, `.`.
// Kept for the other `stats` subcommands (GEE, meta-analysis) that need only the columns.
#[allow(dead_code)]
pub(crate) fn read_table(path: &Path, factors: &[String]) -> anyhow::Result<Data> {
    Ok(read_table_checked(path, factors)?.data)
}

/// A table read from CSV with what the reader noticed.
pub(crate) struct Table {
    /// The columns.
    pub data: Data,
    /// Columns that began with numbers but have a non-numeric cell, with the line of the first
    /// such cell: they became factors, which is rarely what was meant.
    pub mixed: Vec<(String, usize)>,
}

impl Table {
    /// Errors if the response is a mixed column (naming the line), and warns on standard
    /// error for other mixed columns the formula uses that were not named with `--factor`.
    pub(crate) fn check_formula(
        &self,
        formula: &Formula,
        factors: &[String],
        path: &Path,
    ) -> anyhow::Result<()> {
        for (name, line) in &self.mixed {
            if *name == formula.response {
                bail!(
                    "{}: line {line}, column `{name}`: not a number (the response must be numeric)",
                    path.display()
                );
            }
            if formula.variables().contains(name) && !factors.contains(name) {
                eprintln!(
                    "warning: {}: column `{name}` has numbers but line {line} is not a number, so it is treated as a factor; fix the cell, or pass --factor {name} to confirm",
                    path.display()
                );
            }
        }
        Ok(())
    }
}

/// As [`read_table`], also reporting columns with mixed numeric and non-numeric cells.
pub(crate) fn read_table_checked(path: &Path, factors: &[String]) -> anyhow::Result<Table> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .buffer_capacity(1 << 20)
        .from_reader(file);
    let header: Vec<String> = reader
        .headers()
        .with_context(|| format!("{}: cannot read the header row", path.display()))?
        .iter()
        // A byte-order mark (spreadsheet exports) must not become part of the first name.
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    if header.is_empty() || header.iter().all(String::is_empty) {
        bail!("{}: the header row is empty", path.display());
    }
    for f in factors {
        if !header.contains(f) {
            bail!(
                "{}: --factor column `{f}` is not in the header",
                path.display()
            );
        }
    }
    let mut cols: Vec<Builder> = header
        .iter()
        .map(|_| Builder::Numeric(Vec::new()))
        .collect();
    let mut record = csv::ByteRecord::new();
    let mut line = 1usize;
    let mut numbers_seen = vec![false; header.len()];
    let mut mixed: Vec<(String, usize)> = Vec::new();
    loop {
        let more = reader
            .read_byte_record(&mut record)
            .with_context(|| format!("{}: malformed CSV after line {line}", path.display()))?;
        if !more {
            break;
        }
        line = record.position().map_or(line + 1, |p| p.line() as usize);
        for (k, (col, cell)) in cols.iter_mut().zip(record.iter()).enumerate() {
            let was_numeric = matches!(col, Builder::Numeric(_));
            col.push(cell).with_context(|| {
                format!("{}: line {line}, column `{}`", path.display(), header[k])
            })?;
            if was_numeric {
                match col {
                    Builder::Numeric(v) => {
                        numbers_seen[k] |= v.last().is_some_and(|x| !x.is_nan());
                    }
                    Builder::Factor { .. } if numbers_seen[k] => {
                        mixed.push((header[k].clone(), line));
                    }
                    Builder::Factor { .. } => {}
                }
            }
        }
    }
    let mut data = Data::new();
    for (name, b) in header.iter().zip(cols) {
        let column = match b {
            Builder::Numeric(v) => {
                let c = Column::Numeric(v);
                if factors.contains(name) {
                    c.to_factor()
                } else {
                    c
                }
            }
            Builder::Factor { codes, levels, .. } => factor_from_interned(codes, levels),
        };
        data.add_column(name, column)
            .with_context(|| format!("{}: column `{name}`", path.display()))?;
    }
    Ok(Table { data, mixed })
}

fn matrix(m: &[Vec<f64>]) -> Value {
    json!(m)
}

fn lmm_json(fit: &LmmFit, frame: &ModelFrame, formula: &str, blups: bool) -> Value {
    let fixed: Vec<Value> = fit
        .fixed
        .iter()
        .map(|f| {
            json!({
                "term": f.term, "estimate": f.estimate, "std_error": f.std_error,
                "df": f.df, "t_value": f.t_value, "p_value": f.p_value,
            })
        })
        .collect();
    let icc = fit.icc();
    let random: Vec<Value> = fit
        .random
        .iter()
        .enumerate()
        .map(|(k, r)| {
            let mut v = json!({
                "group": r.group, "terms": r.terms, "covariance": matrix(&r.covariance),
                "n_levels": r.levels.len(),
            });
            if let Some(icc) = &icc {
                v["icc"] = json!(icc[k]);
            }
            if blups {
                v["blups"] = r
                    .levels
                    .iter()
                    .zip(&r.blups)
                    .zip(&r.cond_var)
                    .map(|((l, b), c)| json!({"level": l, "values": b, "cond_var": c}))
                    .collect();
            }
            v
        })
        .collect();
    let groups: serde_json::Map<String, Value> = fit
        .groups
        .iter()
        .map(|(g, n)| (g.clone(), json!(n)))
        .collect();
    let by_var: serde_json::Map<String, Value> = frame
        .missing
        .by_variable
        .iter()
        .map(|(v, n)| (v.clone(), json!(n)))
        .collect();
    json!({
        "method": fit.method.label(),
        "formula": formula,
        "n_obs": fit.n_obs,
        "fixed_effects": fixed,
        "vcov": matrix(&fit.vcov),
        "random_effects": random,
        "residual_variance": fit.residual_variance,
        "log_likelihood": fit.log_likelihood,
        "criterion": fit.criterion,
        "aic": fit.aic,
        "bic": fit.bic,
        "df_model": fit.df_model,
        "theta": fit.theta,
        "converged": fit.converged,
        "singular": fit.singular,
        "evaluations": fit.evaluations,
        "groups": groups,
        "missing": {"n_input": frame.missing.n_input, "n_dropped": frame.missing.n_dropped,
                    "by_variable": by_var},
    })
}

fn lmm_text(fit: &LmmFit, frame: &ModelFrame, formula: &str, blups: bool) -> String {
    let mut s = String::new();
    let method = match fit.method {
        Method::Reml => "REML",
        Method::Ml => "maximum likelihood",
    };
    let _ = writeln!(s, "Linear mixed model fit by {method}");
    let _ = writeln!(s, "Formula: {formula}");
    let crit = if fit.method == Method::Reml {
        "REML criterion"
    } else {
        "deviance"
    };
    let _ = writeln!(
        s,
        "{crit}: {:.4}   logLik: {:.4}   AIC: {:.4}   BIC: {:.4}",
        fit.criterion, fit.log_likelihood, fit.aic, fit.bic
    );
    let groups: Vec<String> = fit
        .groups
        .iter()
        .map(|(g, n)| format!("{g}, {n}"))
        .collect();
    let _ = writeln!(
        s,
        "Observations: {}; groups: {}",
        fit.n_obs,
        groups.join("; ")
    );
    if frame.missing.n_dropped > 0 {
        let by: Vec<String> = frame
            .missing
            .by_variable
            .iter()
            .map(|(v, n)| format!("{v}: {n}"))
            .collect();
        let _ = writeln!(
            s,
            "Missing values: {} of {} rows dropped ({})",
            frame.missing.n_dropped,
            frame.missing.n_input,
            by.join(", ")
        );
    }
    let _ = writeln!(s, "\nRandom effects:");
    let _ = writeln!(
        s,
        "  {:<20} {:<16} {:>12} {:>10}  Corr",
        "Group", "Term", "Variance", "Std.Dev."
    );
    for r in &fit.random {
        for (i, t) in r.terms.iter().enumerate() {
            let var = r.covariance[i][i];
            let corr: Vec<String> = (0..i)
                .map(|j| {
                    let c = r.covariance[i][j] / (var * r.covariance[j][j]).sqrt();
                    format!("{c:.3}")
                })
                .collect();
            let g = if i == 0 { r.group.as_str() } else { "" };
            let _ = writeln!(
                s,
                "  {g:<20} {t:<16} {var:>12.5} {:>10.5}  {}",
                var.sqrt(),
                corr.join(" ")
            );
        }
    }
    let _ = writeln!(
        s,
        "  {:<20} {:<16} {:>12.5} {:>10.5}",
        "Residual",
        "",
        fit.residual_variance,
        fit.residual_variance.sqrt()
    );
    if let Some(icc) = fit.icc() {
        let parts: Vec<String> = fit
            .random
            .iter()
            .zip(icc)
            .map(|(r, v)| format!("{} {v:.4}", r.group))
            .collect();
        let _ = writeln!(s, "  ICC: {}", parts.join(", "));
    }
    let _ = writeln!(s, "\nFixed effects (Satterthwaite df):");
    let _ = writeln!(
        s,
        "  {:<20} {:>12} {:>12} {:>10} {:>9} {:>11}",
        "Term", "Estimate", "Std. Error", "df", "t value", "Pr(>|t|)"
    );
    for f in &fit.fixed {
        let _ = writeln!(
            s,
            "  {:<20} {:>12.6} {:>12.6} {:>10.2} {:>9.3} {:>11.4e}",
            f.term, f.estimate, f.std_error, f.df, f.t_value, f.p_value
        );
    }
    let _ = writeln!(
        s,
        "\nConverged: {}   Singular fit: {}",
        if fit.converged { "yes" } else { "NO" },
        if fit.singular {
            "yes (some variance component is on its boundary)"
        } else {
            "no"
        }
    );
    if blups {
        for r in &fit.random {
            let _ = writeln!(
                s,
                "\nBLUPs for {} (conditional standard deviations in brackets):",
                r.group
            );
            let _ = writeln!(s, "  {:<16} {}", "Level", r.terms.join("  "));
            for ((l, b), c) in r.levels.iter().zip(&r.blups).zip(&r.cond_var) {
                let vals: Vec<String> = b
                    .iter()
                    .enumerate()
                    .map(|(i, v)| format!("{v:.5} [{:.5}]", c[i][i].sqrt()))
                    .collect();
                let _ = writeln!(s, "  {l:<16} {}", vals.join("  "));
            }
        }
    }
    s
}
