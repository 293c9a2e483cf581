//! `scaleup stats gee` and `scaleup stats meta`: file reading and printing around
//! `scaleup_stats::gee` and `scaleup_stats::meta`. Kept apart from `stats.rs` (linear mixed
//! models) so the two can evolve without conflicts; `stats.rs` only dispatches here.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use scaleup_stats::data::Column;
use scaleup_stats::formula::Formula;
use scaleup_stats::frame::{FrameError, ModelFrame};
use scaleup_stats::gee::{self, Family, GeeFit, SmallSample, WorkingCorrelation};
use scaleup_stats::meta::{self, KnappHartung, MetaMethod, MetaResult, Study};
use serde_json::{Value, json};

use crate::cmd::Format;

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
    /// Treat this numeric column as a factor (repeatable).
    #[arg(long = "factor", value_name = "COL")]
    factors: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// Runs `scaleup stats gee`.
pub fn run_gee(args: GeeArgs) -> anyhow::Result<()> {
    if args.format == Format::Html {
        bail!("`scaleup stats gee` prints text or json; html is not supported");
    }
    let formula = Formula::parse(&args.formula).context("invalid --formula")?;
    if !formula.random.is_empty() {
        bail!(
            "invalid --formula: GEE takes fixed effects only; give clusters with --group, not `( | )` terms"
        );
    }
    let data = {
        let (source, file) = crate::cmd::stats::open_data(&args.data)?;
        scaleup_analysis::table::read_table(&source, file, &args.factors)?
    };
    let group_col = data.column(&args.group).with_context(|| {
        format!(
            "{}: --group column `{}` is not in the header",
            args.data.display(),
            args.group
        )
    })?;
    let group_codes = match group_col.to_factor() {
        Column::Factor { codes, .. } => codes,
        Column::Numeric(_) => unreachable!("to_factor returns a factor"),
    };
    let frame =
        ModelFrame::with_extra(&formula, &data, &[args.group.as_str()]).map_err(|e| match e {
            FrameError::ResponseNotNumeric(name) => anyhow::anyhow!(
                "{}: the response column `{name}` must be numeric but has non-numeric values",
                args.data.display()
            ),
            other => anyhow::anyhow!("{}: {other}", args.data.display()),
        })?;
    let groups: Vec<u32> = frame.rows.iter().map(|&i| group_codes[i]).collect();
    let family = match args.family {
        FamilyArg::Gaussian => Family::Gaussian,
        FamilyArg::Binomial => Family::Binomial,
    };
    let corr = match args.corr {
        CorrArg::Independence => WorkingCorrelation::Independence,
        CorrArg::Exchangeable => WorkingCorrelation::Exchangeable,
    };
    let small = match args.small_sample {
        None => SmallSample::None,
        Some(SmallSampleArg::ManclDerouen) => SmallSample::ManclDerouen,
    };
    let fit = gee::fit_gee(
        &frame.y,
        &frame.x,
        &frame.x_names,
        &groups,
        family,
        corr,
        small,
    )
    .map_err(|e| match e {
        // Name the input row (1-based data line = row + 2 with the header).
        gee::GeeError::BadBinomialResponse(i) => anyhow::anyhow!(
            "{}: line {}: binomial response `{}` must be 0 or 1",
            args.data.display(),
            frame.rows[i] + 2,
            frame.response
        ),
        other => anyhow::anyhow!("cannot fit the GEE to {}: {other}", args.data.display()),
    })?;
    match args.format {
        Format::Json => {
            let v = gee_json(&fit, &frame, &args.formula, &args.group);
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        _ => print!("{}", gee_text(&fit, &frame, &args.formula, &args.group)),
    }
    Ok(())
}

fn gee_json(fit: &GeeFit, frame: &ModelFrame, formula: &str, group: &str) -> Value {
    let mut v = serde_json::to_value(fit).expect("fit serialises");
    let obj = v.as_object_mut().expect("object");
    obj.insert("formula".into(), json!(formula));
    obj.insert("group".into(), json!(group));
    let by_var: serde_json::Map<String, Value> = frame
        .missing
        .by_variable
        .iter()
        .map(|(v, n)| (v.clone(), json!(n)))
        .collect();
    obj.insert(
        "missing".into(),
        json!({"n_input": frame.missing.n_input, "n_dropped": frame.missing.n_dropped,
               "by_variable": by_var}),
    );
    v
}

fn gee_text(fit: &GeeFit, frame: &ModelFrame, formula: &str, group: &str) -> String {
    let mut s = String::new();
    let fam = match fit.family {
        Family::Gaussian => "gaussian (identity link)",
        Family::Binomial => "binomial (logit link)",
    };
    let _ = writeln!(s, "GEE, family {fam}");
    let _ = writeln!(s, "Formula: {formula}; clusters: {group}");
    let _ = writeln!(
        s,
        "Observations: {} in {} clusters",
        fit.n_obs, fit.n_groups
    );
    if frame.missing.n_dropped > 0 {
        let _ = writeln!(
            s,
            "{} of {} rows excluded for missing values",
            frame.missing.n_dropped, frame.missing.n_input
        );
    }
    let se_kind = match fit.small_sample {
        SmallSample::None => "robust",
        SmallSample::ManclDerouen => "Mancl-DeRouen",
    };
    let _ = writeln!(
        s,
        "\n{:<24} {:>12} {:>12} {:>12} {:>9} {:>10}",
        "term",
        "estimate",
        format!("SE ({se_kind})"),
        "naive SE",
        "z",
        "p"
    );
    for c in &fit.coefficients {
        let _ = writeln!(
            s,
            "{:<24} {:>12.6} {:>12.6} {:>12.6} {:>9.3} {:>10.4}",
            c.term, c.estimate, c.std_error, c.naive_se, c.z, c.p_value
        );
    }
    let corr = match fit.working_correlation {
        Some(a) => format!("exchangeable, alpha = {a:.6}"),
        None => "independence".to_string(),
    };
    let _ = writeln!(s, "\nWorking correlation: {corr}");
    let _ = writeln!(s, "Scale: {:.6}", fit.scale);
    let _ = writeln!(
        s,
        "Converged: {} ({} iterations)",
        fit.converged, fit.iterations
    );
    s
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

/// Studies read from the CSV plus the lines skipped for missing values.
struct MetaInput {
    studies: Vec<Study>,
    skipped_lines: Vec<usize>,
}

fn read_meta_csv(
    path: &Path,
    estimate: &str,
    se: &str,
    label: Option<&str>,
) -> anyhow::Result<MetaInput> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(file);
    let header: Vec<String> = reader
        .headers()
        .with_context(|| format!("{}: cannot read the header row", path.display()))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let find = |name: &str, flag: &str| -> anyhow::Result<usize> {
        header.iter().position(|h| h == name).with_context(|| {
            format!(
                "{}: {flag} column `{name}` is not in the header",
                path.display()
            )
        })
    };
    let ie = find(estimate, "--estimate")?;
    let is = find(se, "--se")?;
    let il = label.map(|l| find(l, "--label")).transpose()?;
    let mut studies = Vec::new();
    let mut skipped_lines = Vec::new();
    for (k, rec) in reader.records().enumerate() {
        let rec = rec.with_context(|| format!("{}: malformed CSV", path.display()))?;
        let line = rec.position().map_or(k + 2, |p| p.line() as usize);
        let num = |idx: usize, name: &str| -> anyhow::Result<Option<f64>> {
            let cell = rec.get(idx).unwrap_or("").trim();
            if matches!(cell, "" | "NA" | "NaN" | "null" | ".") {
                return Ok(None);
            }
            cell.parse::<f64>().map(Some).map_err(|_| {
                anyhow::anyhow!(
                    "{}: line {line}, column `{name}`: not a number",
                    path.display()
                )
            })
        };
        let (Some(e), Some(s)) = (num(ie, estimate)?, num(is, se)?) else {
            skipped_lines.push(line);
            continue;
        };
        if !(s > 0.0 && s.is_finite()) {
            bail!(
                "{}: line {line}, column `{se}`: a standard error must be positive",
                path.display()
            );
        }
        let label = match il {
            Some(i) => rec.get(i).unwrap_or("").trim().to_string(),
            None => format!("Study {}", studies.len() + 1),
        };
        studies.push(Study {
            label,
            estimate: e,
            se: s,
        });
    }
    Ok(MetaInput {
        studies,
        skipped_lines,
    })
}

/// Runs `scaleup stats meta`.
pub fn run_meta(args: MetaArgs) -> anyhow::Result<()> {
    if args.format == Format::Html {
        bail!("`scaleup stats meta` prints text or json; use --svg for the forest plot");
    }
    if !(args.level > 0.0 && args.level < 1.0) {
        bail!("--level must be strictly between 0 and 1");
    }
    let input = read_meta_csv(&args.data, &args.estimate, &args.se, args.label.as_deref())?;
    let method = match args.method {
        MethodArg::Fe => MetaMethod::FixedEffect,
        MethodArg::Dl => MetaMethod::DerSimonianLaird,
        MethodArg::Reml => MetaMethod::Reml,
    };
    let kh = match (args.knapp_hartung, args.kh_truncate) {
        (false, _) => KnappHartung::Off,
        (true, false) => KnappHartung::Untruncated,
        (true, true) => KnappHartung::Truncated,
    };
    let result = meta::meta_analysis(&input.studies, method, kh, args.level)
        .with_context(|| format!("cannot meta-analyse {}", args.data.display()))?;
    if let Some(out) = &args.svg {
        let svg = meta::forest_svg(&input.studies, &result, &args.axis_label);
        std::fs::write(out, svg)
            .with_context(|| format!("cannot write the forest plot to {}", out.display()))?;
    }
    match args.format {
        Format::Json => {
            let mut v = serde_json::to_value(&result)?;
            let obj = v.as_object_mut().expect("object");
            let studies: Vec<Value> = input
                .studies
                .iter()
                .zip(&result.weights)
                .map(|(s, w)| {
                    json!({"label": s.label, "estimate": s.estimate, "se": s.se, "weight": w})
                })
                .collect();
            obj.insert("studies".into(), json!(studies));
            obj.insert(
                "missing".into(),
                json!({"n_dropped": input.skipped_lines.len(), "lines": input.skipped_lines}),
            );
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        _ => print!("{}", meta_text(&input, &result)),
    }
    Ok(())
}

fn meta_text(input: &MetaInput, r: &MetaResult) -> String {
    let mut s = String::new();
    let method = match r.method {
        MetaMethod::FixedEffect => "fixed effect (inverse variance)",
        MetaMethod::DerSimonianLaird => "random effects, DerSimonian-Laird",
        MetaMethod::Reml => "random effects, REML",
    };
    let _ = writeln!(s, "Meta-analysis: {method}; k = {}", r.k);
    if !input.skipped_lines.is_empty() {
        let _ = writeln!(
            s,
            "{} rows excluded for a missing estimate or SE (lines {:?})",
            input.skipped_lines.len(),
            input.skipped_lines
        );
    }
    let _ = writeln!(
        s,
        "\n{:<30} {:>10} {:>10} {:>8}",
        "study", "estimate", "SE", "weight"
    );
    for (st, w) in input.studies.iter().zip(&r.weights) {
        let _ = writeln!(
            s,
            "{:<30} {:>10.4} {:>10.4} {:>7.1}%",
            st.label, st.estimate, st.se, w
        );
    }
    let _ = writeln!(
        s,
        "\nPooled estimate {:.6} (SE {:.6}), {:.0}% CI [{:.6}, {:.6}]",
        r.estimate,
        r.se,
        r.level * 100.0,
        r.ci_lower,
        r.ci_upper
    );
    match r.df {
        Some(df) => {
            let _ = writeln!(
                s,
                "t = {:.4} (df {df}), p = {:.3e} (Knapp-Hartung)",
                r.statistic, r.p_value
            );
        }
        None => {
            let _ = writeln!(s, "z = {:.4}, p = {:.3e}", r.statistic, r.p_value);
        }
    }
    let _ = writeln!(
        s,
        "Heterogeneity: Q = {:.4} (df {}), p = {:.3e}; I² = {:.2}%; H² = {:.4}",
        r.q, r.q_df, r.q_p_value, r.i2, r.h2
    );
    let se = r.tau2_se.map_or(String::new(), |v| format!(" (SE {v:.4})"));
    let _ = writeln!(s, "tau² = {:.6}{se}; tau = {:.6}", r.tau2, r.tau);
    if let (Some(t), Some(i)) = (r.tau2_ci, r.i2_ci) {
        let _ = writeln!(
            s,
            "Q-profile {:.0}% CI: tau² [{:.6}, {:.6}]; I² [{:.2}%, {:.2}%]",
            r.level * 100.0,
            t[0],
            t[1],
            i[0],
            i[1]
        );
    }
    if let (Some(lo), Some(hi)) = (r.pi_lower, r.pi_upper) {
        let _ = writeln!(
            s,
            "Prediction interval ({:.0}%): [{lo:.6}, {hi:.6}]",
            r.level * 100.0
        );
    }
    s
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
    /// Treat this numeric column as a factor (repeatable).
    #[arg(long = "factor", value_name = "COL")]
    factors: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// Runs `scaleup stats icc`: fits the LMM by REML and reports ICCs and design effects.
pub fn run_icc(args: IccArgs) -> anyhow::Result<()> {
    if args.format == Format::Html {
        bail!("`scaleup stats icc` prints text or json; html is not supported");
    }
    let formula = Formula::parse(&args.formula).context("invalid --formula")?;
    if formula.random.is_empty() {
        bail!("invalid --formula: an ICC needs at least one random-intercept term `(1 | g)`");
    }
    let data = {
        let (source, file) = crate::cmd::stats::open_data(&args.data)?;
        scaleup_analysis::table::read_table(&source, file, &args.factors)?
    };
    let frame =
        scaleup_analysis::table::build_frame(&formula, &data, &args.data.display().to_string())?;
    let fit = scaleup_stats::lmm::fit(&frame, &scaleup_stats::lmm::LmmOptions::default())
        .with_context(|| format!("cannot fit the model to {}", args.data.display()))?;
    let report = scaleup_stats::icc::icc_report(&fit, &frame);
    match args.format {
        Format::Json => {
            let mut v = serde_json::to_value(&report)?;
            let obj = v.as_object_mut().expect("object");
            obj.insert("formula".into(), json!(args.formula));
            obj.insert("method".into(), json!("REML"));
            obj.insert("n_obs".into(), json!(fit.n_obs));
            obj.insert("converged".into(), json!(fit.converged));
            obj.insert("singular".into(), json!(fit.singular));
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        _ => {
            let mut s = String::new();
            let _ = writeln!(s, "ICC from a REML fit of {}", args.formula);
            let _ = writeln!(
                s,
                "Observations: {}; residual variance {:.6}; total variance {:.6}",
                fit.n_obs, report.residual_variance, report.total_variance
            );
            if fit.singular {
                let _ = writeln!(s, "note: singular fit (a variance is estimated as zero)");
            }
            for c in &report.components {
                match (c.icc, c.design_effect, c.design_effect_unequal) {
                    (Some(icc), Some(de), Some(deu)) => {
                        let _ = writeln!(
                            s,
                            "{}: ICC {icc:.6}; {} clusters, mean size {:.2} (CV {:.3}); \
                             DE {de:.4} (equal), {deu:.4} (unequal sizes)",
                            c.group, c.n_clusters, c.mean_cluster_size, c.cv_cluster_size
                        );
                    }
                    _ => {
                        let _ = writeln!(
                            s,
                            "{}: not given ({})",
                            c.group,
                            c.note.as_deref().unwrap_or("")
                        );
                    }
                }
            }
            print!("{s}");
        }
    }
    Ok(())
}
