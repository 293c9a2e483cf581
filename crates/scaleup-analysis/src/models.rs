//! Mixed models on an uploaded table: `lmm` (lme4-style LMM) and `glmm` (binomial, Laplace).
//! The JSON shapes are the public contract of `scaleup stats lmm|glmm --format json` and of
//! `POST /api/v1/analyses/lmm|glmm`.

use std::fmt::Write as _;

use anyhow::Context;
use scaleup_stats::formula::Formula;
use scaleup_stats::frame::ModelFrame;
use scaleup_stats::glmm::{self, GlmmOptions};
use scaleup_stats::lmm::{self, LmmFit, LmmOptions, Method};
use serde_json::{Value, json};

use crate::Report;
use crate::table::{build_frame, read_table_checked};

/// What to fit: the formula, columns to treat as factors, and output options.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelRequest {
    /// lme4-style formula, e.g. `y ~ x + (1 + t | site)`.
    pub formula: String,
    /// Numeric columns to treat as factors.
    #[serde(default)]
    pub factors: Vec<String>,
    /// Fit by maximum likelihood instead of REML (LMM only).
    #[serde(default)]
    pub ml: bool,
    /// Include BLUPs and their conditional variances.
    #[serde(default)]
    pub blups: bool,
    /// Skip Satterthwaite degrees of freedom (LMM only).
    #[serde(default)]
    pub no_df: bool,
}

fn prepare(
    source: &str,
    input: impl std::io::Read,
    req: &ModelRequest,
) -> anyhow::Result<(ModelFrame, Vec<String>)> {
    let formula = Formula::parse(&req.formula).context("invalid formula")?;
    let table = read_table_checked(source, input, &req.factors)?;
    let warnings = table.check_formula(&formula, &req.factors, source)?;
    let frame = build_frame(&formula, &table.data, source)?;
    Ok((frame, warnings))
}

/// Fits a linear mixed model to a CSV table.
pub fn lmm(source: &str, input: impl std::io::Read, req: &ModelRequest) -> anyhow::Result<Report> {
    let (frame, warnings) = prepare(source, input, req)?;
    let options = LmmOptions {
        method: if req.ml { Method::Ml } else { Method::Reml },
        satterthwaite: !req.no_df,
        ..LmmOptions::default()
    };
    let fit =
        lmm::fit(&frame, &options).with_context(|| format!("cannot fit the model to {source}"))?;
    Ok(Report {
        json: lmm_json(&fit, &frame, &req.formula, req.blups),
        text: lmm_text(&fit, &frame, &req.formula, req.blups),
        warnings,
        html: None,
    })
}

/// Fits a binomial (logit) generalised linear mixed model to a CSV table with a 0/1 response,
/// or with aggregated counts given as `cbind(successes, failures)` in the formula.
pub fn glmm(source: &str, input: impl std::io::Read, req: &ModelRequest) -> anyhow::Result<Report> {
    let (frame, warnings) = prepare(source, input, req)?;
    let fit = glmm::fit_binomial(&frame, &GlmmOptions::default())
        .with_context(|| format!("cannot fit the model to {source}"))?;
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
            if req.blups {
                v["blups"] = blups_json(&r.levels, &r.blups, &r.cond_var);
            }
            v
        })
        .collect();
    let json = {
        let groups: serde_json::Map<String, Value> = fit
            .groups
            .iter()
            .map(|(g, n)| (g.clone(), json!(n)))
            .collect();
        let v = json!({
            "family": "binomial", "link": "logit", "method": "Laplace",
            "formula": req.formula, "response": frame.response, "n_obs": fit.n_obs,
            "fixed_effects": fixed, "vcov": matrix(&fit.vcov), "random_effects": random,
            "log_likelihood": fit.log_likelihood, "deviance": fit.deviance,
            "aic": fit.aic, "bic": fit.bic, "df_model": fit.df_model, "theta": fit.theta,
            "converged": fit.converged, "singular": fit.singular,
            "evaluations": fit.evaluations, "groups": groups,
            "missing": {"n_input": frame.missing.n_input, "n_dropped": frame.missing.n_dropped},
        });
        v
    };
    let text = {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "Generalised linear mixed model fit by maximum likelihood (Laplace)"
        );
        let _ = writeln!(s, "Family: binomial (logit)\nFormula: {}", req.formula);
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
        s
    };
    Ok(Report {
        json,
        text,
        warnings,
        html: None,
    })
}

/// Conditional modes per level of a grouping factor, with their conditional (co)variances.
fn blups_json<B: serde::Serialize, C: serde::Serialize>(
    levels: &[String],
    blups: &[B],
    cond_var: &[C],
) -> Value {
    levels
        .iter()
        .zip(blups)
        .zip(cond_var)
        .map(|((l, b), c)| json!({"level": l, "values": b, "cond_var": c}))
        .collect()
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
                v["blups"] = blups_json(&r.levels, &r.blups, &r.cond_var);
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
