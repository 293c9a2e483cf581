//! GEE, meta-analysis and ICC on uploaded tables. The JSON shapes are the public contract of
//! `scaleup stats gee|meta|icc --format json` and of `POST /api/v1/analyses/gee|meta|icc`.

use std::fmt::Write as _;

use anyhow::{Context, bail};
use scaleup_stats::data::Column;
use scaleup_stats::formula::Formula;
use scaleup_stats::frame::{FrameError, ModelFrame};
use scaleup_stats::gee::{self, Family, GeeFit, SmallSample, WorkingCorrelation};
use scaleup_stats::meta::{self, KnappHartung, MetaMethod, MetaResult, Study};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Report;
use crate::table::{build_frame, read_table};

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum GeeFamily {
    /// Identity link.
    Gaussian,
    /// Logit link, 0/1 response.
    Binomial,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum GeeCorrelation {
    Independence,
    #[default]
    Exchangeable,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum GeeSmallSample {
    /// Mancl–DeRouen (2001) bias-corrected sandwich.
    ManclDerouen,
}

/// A GEE to fit.
#[derive(Clone, Debug)]
pub struct GeeRequest {
    /// Fixed-effects formula, e.g. `y ~ arm + period`.
    pub formula: String,
    pub family: GeeFamily,
    pub corr: GeeCorrelation,
    /// Cluster column.
    pub group: String,
    pub small_sample: Option<GeeSmallSample>,
    /// Numeric columns to treat as factors.
    pub factors: Vec<String>,
}

/// Fits a GEE with robust (sandwich) standard errors.
pub fn gee(source: &str, input: impl std::io::Read, req: &GeeRequest) -> anyhow::Result<Report> {
    let formula = Formula::parse(&req.formula).context("invalid formula")?;
    if !formula.random.is_empty() {
        bail!(
            "invalid formula: GEE takes fixed effects only; name the cluster column as the group, not `( | )` terms"
        );
    }
    let data = read_table(source, input, &req.factors)?;
    let group_col = data.column(&req.group).with_context(|| {
        format!(
            "{source}: group column `{}` is not in the header",
            req.group
        )
    })?;
    let group_codes = match group_col.to_factor() {
        Column::Factor { codes, .. } => codes,
        Column::Numeric(_) => unreachable!("to_factor returns a factor"),
    };
    let frame =
        ModelFrame::with_extra(&formula, &data, &[req.group.as_str()]).map_err(|e| match e {
            FrameError::ResponseNotNumeric(name) => anyhow::anyhow!(
                "{}: the response column `{name}` must be numeric but has non-numeric values",
                source
            ),
            other => anyhow::anyhow!("{}: {other}", source),
        })?;
    if frame.trials.is_some() {
        bail!(
            "invalid formula: GEE takes one numeric response column, not `{}`; for binomial counts fit a GLMM (`scaleup stats glmm`), or give one row per client with a 0/1 outcome",
            frame.response
        );
    }
    let groups: Vec<u32> = frame.rows.iter().map(|&i| group_codes[i]).collect();
    let family = match req.family {
        GeeFamily::Gaussian => Family::Gaussian,
        GeeFamily::Binomial => Family::Binomial,
    };
    let corr = match req.corr {
        GeeCorrelation::Independence => WorkingCorrelation::Independence,
        GeeCorrelation::Exchangeable => WorkingCorrelation::Exchangeable,
    };
    let small = match req.small_sample {
        None => SmallSample::None,
        Some(GeeSmallSample::ManclDerouen) => SmallSample::ManclDerouen,
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
            source,
            frame.rows[i] + 2,
            frame.response
        ),
        other => anyhow::anyhow!("cannot fit the GEE to {}: {other}", source),
    })?;
    Ok(Report {
        json: gee_json(&fit, &frame, &req.formula, &req.group),
        text: gee_text(&fit, &frame, &req.formula, &req.group),
        warnings: Vec::new(),
        html: None,
    })
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

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum MetaMethodArg {
    /// Fixed effect (inverse variance).
    Fe,
    /// DerSimonian–Laird random effects.
    Dl,
    /// REML random effects.
    #[default]
    Reml,
}

/// A meta-analysis to run on a table with one row per study.
#[derive(Clone, Debug)]
pub struct MetaRequest {
    /// Column with the study estimates (additive scale, e.g. log odds ratio).
    pub estimate: String,
    /// Column with their standard errors.
    pub se: String,
    /// Column with study labels.
    pub label: Option<String>,
    /// Column with each estimate's own degrees of freedom (for example the df the per-hub
    /// effectiveness report gives): that study's interval is then t(df), as in that report,
    /// instead of normal.
    pub df: Option<String>,
    pub method: MetaMethodArg,
    /// Knapp–Hartung t-based inference (metafor `test = "knha"`).
    pub knapp_hartung: bool,
    /// With Knapp–Hartung, truncate the scale factor at 1 (metafor `test = "adhoc"`).
    pub kh_truncate: bool,
    /// Confidence level.
    pub level: f64,
    /// Axis label of the forest plot.
    pub axis_label: String,
}

/// A meta-analysis report and its forest plot (SVG).
pub struct MetaReport {
    pub report: Report,
    pub forest_svg: String,
}

/// Pools the studies; the report's HTML page shows the forest plot.
pub fn meta(
    source: &str,
    input: impl std::io::Read,
    req: &MetaRequest,
) -> anyhow::Result<MetaReport> {
    if !(req.level > 0.0 && req.level < 1.0) {
        bail!("level must be strictly between 0 and 1");
    }
    if req.kh_truncate && !req.knapp_hartung {
        bail!("kh_truncate applies only with knapp_hartung");
    }
    let input = read_meta_csv(source, input, req)?;
    let method = match req.method {
        MetaMethodArg::Fe => MetaMethod::FixedEffect,
        MetaMethodArg::Dl => MetaMethod::DerSimonianLaird,
        MetaMethodArg::Reml => MetaMethod::Reml,
    };
    let kh = match (req.knapp_hartung, req.kh_truncate) {
        (false, _) => KnappHartung::Off,
        (true, false) => KnappHartung::Untruncated,
        (true, true) => KnappHartung::Truncated,
    };
    let result = meta::meta_analysis(&input.studies, method, kh, req.level)
        .with_context(|| format!("cannot meta-analyse {source}"))?;
    let forest_svg = meta::forest_svg(&input.studies, &result, &req.axis_label);
    let mut json = serde_json::to_value(&result)?;
    if let Some(obj) = json.as_object_mut() {
        let studies: Vec<Value> = input
            .studies
            .iter()
            .zip(&result.weights)
            .map(|(s, w)| {
                let ci = meta::estimate_interval(s.estimate, s.se, s.df, req.level);
                json!({"label": s.label, "estimate": s.estimate, "se": s.se, "df": s.df,
                       "ci_lower": ci.lower, "ci_upper": ci.upper, "interval": ci.kind,
                       "weight": w})
            })
            .collect();
        obj.insert("studies".into(), json!(studies));
        obj.insert(
            "missing".into(),
            json!({"n_dropped": input.skipped_lines.len(), "lines": input.skipped_lines}),
        );
    }
    let text = meta_text(&input, &result);
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Meta-analysis</title></head>\n<body>\n<h1>Meta-analysis</h1>\n{forest_svg}\n<pre>{}</pre>\n</body></html>\n",
        escape_html(&text)
    );
    Ok(MetaReport {
        report: Report {
            json,
            text,
            warnings: Vec::new(),
            html: Some(html),
        },
        forest_svg,
    })
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Studies read from the CSV plus the lines skipped for missing values.
pub struct MetaInput {
    pub studies: Vec<Study>,
    pub skipped_lines: Vec<usize>,
}

fn read_meta_csv(
    source: &str,
    input: impl std::io::Read,
    req: &MetaRequest,
) -> anyhow::Result<MetaInput> {
    let (estimate, se, label) = (&req.estimate, &req.se, req.label.as_deref());
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(crate::table::RowGuard::new(input));
    let header: Vec<String> = reader
        .headers()
        .with_context(|| format!("{}: cannot read the header row", source))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let find = |name: &str, flag: &str| -> anyhow::Result<usize> {
        header
            .iter()
            .position(|h| h == name)
            .with_context(|| format!("{}: {flag} column `{name}` is not in the header", source))
    };
    let ie = find(estimate, "estimate")?;
    let is = find(se, "se")?;
    let il = label.map(|l| find(l, "label")).transpose()?;
    let idf = req.df.as_deref().map(|d| find(d, "df")).transpose()?;
    let mut studies = Vec::new();
    let mut skipped_lines = Vec::new();
    for (k, rec) in reader.records().enumerate() {
        let rec = rec.with_context(|| format!("{}: malformed CSV", source))?;
        let line = rec.position().map_or(k + 2, |p| p.line() as usize);
        let num = |idx: usize, name: &str| -> anyhow::Result<Option<f64>> {
            let cell = rec.get(idx).unwrap_or("").trim();
            if matches!(cell, "" | "NA" | "NaN" | "null" | ".") {
                return Ok(None);
            }
            cell.parse::<f64>().map(Some).map_err(|_| {
                anyhow::anyhow!("{}: line {line}, column `{name}`: not a number", source)
            })
        };
        let (Some(e), Some(s)) = (num(ie, estimate)?, num(is, se)?) else {
            skipped_lines.push(line);
            continue;
        };
        if !(s > 0.0 && s.is_finite()) {
            bail!(
                "{}: line {line}, column `{se}`: a standard error must be positive",
                source
            );
        }
        let df = match idf {
            Some(i) => {
                let name = req.df.as_deref().unwrap_or("df");
                match num(i, name)? {
                    Some(d) if d > 0.0 && d.is_finite() => Some(d),
                    Some(_) => bail!(
                        "{source}: line {line}, column `{name}`: degrees of freedom must be positive"
                    ),
                    // A study without df keeps the normal interval.
                    None => None,
                }
            }
            None => None,
        };
        let label = match il {
            Some(i) => rec.get(i).unwrap_or("").trim().to_string(),
            None => format!("Study {}", studies.len() + 1),
        };
        studies.push(Study {
            label,
            estimate: e,
            se: s,
            df,
        });
    }
    Ok(MetaInput {
        studies,
        skipped_lines,
    })
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
    let ci_head = format!("{:.0}% CI", r.level * 100.0);
    let _ = writeln!(
        s,
        "\n{:<30} {:>10} {:>10} {:>22} {:>12} {:>8}",
        "study", "estimate", "SE", ci_head, "interval", "weight"
    );
    for (st, w) in input.studies.iter().zip(&r.weights) {
        let ci = meta::estimate_interval(st.estimate, st.se, st.df, r.level);
        let _ = writeln!(
            s,
            "{:<30} {:>10.4} {:>10.4} {:>22} {:>12} {:>7.1}%",
            st.label,
            st.estimate,
            st.se,
            format!("[{:.4}, {:.4}]", ci.lower, ci.upper),
            ci.describe(),
            w
        );
    }
    let _ = writeln!(
        s,
        "Study intervals are t with the study's own df where the input gives one (as in the report it came from), otherwise normal (z)."
    );
    let _ = writeln!(
        s,
        "\nPooled estimate {:.6} (SE {:.6}), {:.0}% CI [{:.6}, {:.6}] ({})",
        r.estimate,
        r.se,
        r.level * 100.0,
        r.ci_lower,
        r.ci_upper,
        match r.df {
            Some(df) => format!("t, df {df}, Knapp-Hartung"),
            None => "normal (z)".to_string(),
        }
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

/// ICCs and design effects from a REML fit of a random-intercept model.
pub fn icc(
    source: &str,
    input: impl std::io::Read,
    formula_text: &str,
    factors: &[String],
) -> anyhow::Result<Report> {
    let formula = Formula::parse(formula_text).context("invalid formula")?;
    if formula.random.is_empty() {
        bail!("invalid formula: an ICC needs at least one random-intercept term `(1 | g)`");
    }
    let data = read_table(source, input, factors)?;
    let frame = build_frame(&formula, &data, source)?;
    let fit = scaleup_stats::lmm::fit(&frame, &scaleup_stats::lmm::LmmOptions::default())
        .with_context(|| format!("cannot fit the model to {}", source))?;
    let report = scaleup_stats::icc::icc_report(&fit, &frame);
    let json = {
        let mut v = serde_json::to_value(&report)?;
        let obj = v.as_object_mut().expect("object");
        obj.insert("formula".into(), json!(formula_text));
        obj.insert("method".into(), json!("REML"));
        obj.insert("n_obs".into(), json!(fit.n_obs));
        obj.insert("converged".into(), json!(fit.converged));
        obj.insert("singular".into(), json!(fit.singular));
        v
    };
    let text = {
        let mut s = String::new();
        let _ = writeln!(s, "ICC from a REML fit of {}", formula_text);
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
        s
    };
    Ok(Report {
        json,
        text,
        warnings: Vec::new(),
        html: None,
    })
}
