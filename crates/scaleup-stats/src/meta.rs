//! Univariate meta-analysis of study estimates with known standard errors: fixed effect
//! (inverse variance), DerSimonian–Laird and REML random effects, optional Knapp–Hartung
//! inference, heterogeneity statistics and a forest plot as SVG.
//!
//! Conventions follow R metafor 3.8 (`rma(yi, sei = ..., method = "FE"|"DL"|"REML")`), so
//! results can be checked against it:
//! - Q is Cochran's Q from the fixed-effect weights, df = k − 1, p from χ²(k − 1).
//! - Fixed effect: I² = max(0, (Q − df)/Q), H² = Q/df. Random effects: with the "typical"
//!   within-study variance s² = (k − 1)Σw / ((Σw)² − Σw²), I² = τ²/(τ² + s²) and
//!   H² = (τ² + s²)/s² (Higgins & Thompson 2002); for DL these equal the Q-based values.
//! - REML: Fisher scoring on τ² (as metafor), started from the DL estimate, iterated to a
//!   change below 1e-10 (metafor's default stops at 1e-5; the reference script tightens it);
//!   a step below zero is truncated at zero and the iteration stops there if the score at zero
//!   is negative. SE(τ²) = √(2/tr(P²)), the inverse REML information.
//! - DL: SE(τ²) from the variance of Q under the random-effects model,
//!   Var(Q) = 2(k − 1) + 4τ²·tr(P) + 2τ⁴·tr(P²) with the fixed-effect P, divided by tr(P)².
//! - Knapp–Hartung (metafor `test = "knha"`): SE² is multiplied by
//!   q = Σw*(yᵢ − θ̂)²/(k − 1) and inference uses t with k − 1 df. metafor does *not* truncate
//!   q at 1 under "knha"; its `test = "adhoc"` uses max(1, q) (van Aert & Jackson 2019). Both
//!   are available here ([`KnappHartung::Untruncated`], [`KnappHartung::Truncated`]).
//! - Intervals for single estimates (the study rows of the forest plot, and the per-hub
//!   effectiveness report, which feeds this analysis) come from one function,
//!   [`estimate_interval`]: estimate ± t(df)·SE when the estimate has its own degrees of
//!   freedom (a mixed model's Satterthwaite df, as lmerTest reports), otherwise ± z·SE with
//!   the SE treated as known (metafor's convention for `yi`/`sei` input under `test = "z"`).
//!   So the same estimate shows the same interval wherever it appears, and every report names
//!   the distribution it used. The pooled row uses z, or t(k − 1) under Knapp–Hartung.
//! - Random-effects fits also report the Q-profile interval for τ² (Viechtbauer 2007; metafor
//!   `confint`, but without metafor's default cap of the search at 10τ̂²) with the matching
//!   I² and H² limits, and the prediction interval θ̂ ± crit·√(SE² + τ²) (metafor `predict`).

use serde::Serialize;

use statrs::distribution::{ChiSquared, ContinuousCDF};

use crate::prob::{chisq_sf, norm_quantile, norm_two_sided_p, t_quantile, t_two_sided_p};

/// Errors from invalid meta-analysis input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MetaError {
    /// Fewer than two studies.
    #[error("meta-analysis needs at least 2 studies, got {0}")]
    TooFewStudies(usize),
    /// A standard error is zero, negative or not finite.
    #[error("study {index}: standard error must be positive and finite")]
    BadStandardError {
        /// 0-based study index.
        index: usize,
    },
    /// An estimate is not finite.
    #[error("study {index}: estimate must be finite")]
    BadEstimate {
        /// 0-based study index.
        index: usize,
    },
    /// REML did not converge.
    #[error("REML estimation of tau^2 did not converge in {0} iterations")]
    NotConverged(usize),
    /// The inverse-variance weights overflow or cancel, so the pooled estimate or its
    /// standard error is not a finite positive number.
    #[error(
        "the pooled estimate cannot be computed: the standard errors differ too much in scale (weights are 1/se^2)"
    )]
    IllConditioned,
    /// The Knapp–Hartung scale is zero (every estimate equals the pooled one), so the adjusted
    /// standard error would be zero.
    #[error(
        "the Knapp-Hartung adjusted standard error is zero (all estimates are equal); use the truncated adjustment or none"
    )]
    ZeroKnappHartungScale,
}

/// Estimator of the between-study variance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MetaMethod {
    /// Fixed effect (inverse variance), τ² = 0.
    #[serde(rename = "FE")]
    FixedEffect,
    /// DerSimonian & Laird (1986) method of moments.
    #[serde(rename = "DL")]
    DerSimonianLaird,
    /// Restricted maximum likelihood.
    #[serde(rename = "REML")]
    Reml,
}

/// Inference for the pooled estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum KnappHartung {
    /// Normal (z) inference with the model-based SE.
    #[default]
    #[serde(rename = "none")]
    Off,
    /// Knapp–Hartung with t(k − 1), SE scaled by √q (metafor `test = "knha"`).
    #[serde(rename = "knha")]
    Untruncated,
    /// As above with q truncated below at 1 (metafor `test = "adhoc"`).
    #[serde(rename = "knha-truncated")]
    Truncated,
}

/// One study: an estimate and its standard error.
#[derive(Debug, Clone, PartialEq)]
pub struct Study {
    /// Label shown in the forest plot.
    pub label: String,
    /// Effect estimate.
    pub estimate: f64,
    /// Standard error of the estimate.
    pub se: f64,
    /// Degrees of freedom of the study's own estimate (for example the Satterthwaite df of a
    /// hub's mixed-model effect); `None` treats the SE as known and uses the normal.
    pub df: Option<f64>,
}

/// Which distribution an interval's critical value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IntervalKind {
    /// Standard normal (z).
    Z,
    /// Student's t with the estimate's degrees of freedom.
    T,
}

/// A confidence interval for one estimate with its standard error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EstimateInterval {
    /// Lower limit.
    pub lower: f64,
    /// Upper limit.
    pub upper: f64,
    /// Distribution of the critical value.
    pub kind: IntervalKind,
    /// Degrees of freedom (t only).
    pub df: Option<f64>,
}

impl EstimateInterval {
    /// How the interval was made, for reports: "t, df 12.3" or "normal (z)".
    pub fn describe(&self) -> String {
        match (self.kind, self.df) {
            (IntervalKind::T, Some(df)) => format!("t, df {}", fmt_df(df)),
            _ => "normal (z)".to_string(),
        }
    }
}

/// Degrees of freedom as people read them: whole numbers without decimals, others to one.
fn fmt_df(df: f64) -> String {
    if (df - df.round()).abs() < 1e-9 {
        format!("{df:.0}")
    } else {
        format!("{df:.1}")
    }
}

/// The interval for one estimate at confidence `level`: estimate ± t(df)·SE when `df` is a
/// finite positive number, else estimate ± z·SE (see the module docs for why both reports use
/// this one function).
pub fn estimate_interval(estimate: f64, se: f64, df: Option<f64>, level: f64) -> EstimateInterval {
    let p = 0.5 + level / 2.0;
    match df.filter(|d| d.is_finite() && *d > 0.0) {
        Some(d) => {
            let q = t_quantile(p, d);
            EstimateInterval {
                lower: estimate - q * se,
                upper: estimate + q * se,
                kind: IntervalKind::T,
                df: Some(d),
            }
        }
        None => {
            let q = norm_quantile(p);
            EstimateInterval {
                lower: estimate - q * se,
                upper: estimate + q * se,
                kind: IntervalKind::Z,
                df: None,
            }
        }
    }
}

/// Result of a meta-analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetaResult {
    /// Estimator of τ².
    pub method: MetaMethod,
    /// Inference convention.
    pub knapp_hartung: KnappHartung,
    /// Number of studies.
    pub k: usize,
    /// Pooled estimate.
    pub estimate: f64,
    /// Standard error of the pooled estimate (Knapp–Hartung-scaled if requested).
    pub se: f64,
    /// Lower confidence limit.
    pub ci_lower: f64,
    /// Upper confidence limit.
    pub ci_upper: f64,
    /// Confidence level.
    pub level: f64,
    /// `z` or `t`.
    pub statistic_kind: &'static str,
    /// Test statistic estimate/se.
    pub statistic: f64,
    /// Degrees of freedom of the t statistic (null for z).
    pub df: Option<f64>,
    /// Two-sided p-value.
    pub p_value: f64,
    /// Between-study variance τ².
    pub tau2: f64,
    /// τ.
    pub tau: f64,
    /// Standard error of τ² (REML and DL; null for FE).
    pub tau2_se: Option<f64>,
    /// Q-profile confidence interval for τ² (random-effects models; Viechtbauer 2007), as
    /// metafor's `confint(fit)`.
    pub tau2_ci: Option<[f64; 2]>,
    /// I² (percent) at the limits of the τ² interval.
    pub i2_ci: Option<[f64; 2]>,
    /// H² at the limits of the τ² interval.
    pub h2_ci: Option<[f64; 2]>,
    /// Prediction interval for the effect in a new study: θ̂ ± crit·√(SE² + τ²), with the
    /// z or t (Knapp–Hartung) critical value, as metafor's `predict(fit)` (random effects only).
    pub pi_lower: Option<f64>,
    /// Upper prediction limit.
    pub pi_upper: Option<f64>,
    /// Cochran's Q.
    pub q: f64,
    /// Degrees of freedom of Q (k − 1).
    pub q_df: f64,
    /// p-value of Q.
    pub q_p_value: f64,
    /// I² in percent.
    pub i2: f64,
    /// H².
    pub h2: f64,
    /// Percentage weight of each study in the pooled estimate.
    pub weights: Vec<f64>,
    /// Fisher-scoring iterations (REML only).
    pub iterations: Option<usize>,
}

/// Sums used repeatedly: Σw, Σw², Σw³ for a weight vector.
fn sums(w: &[f64]) -> (f64, f64, f64) {
    w.iter().fold((0.0, 0.0, 0.0), |(a, b, c), &x| {
        (a + x, b + x * x, c + x * x * x)
    })
}

fn weighted_mean(y: &[f64], w: &[f64]) -> f64 {
    y.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() / w.iter().sum::<f64>()
}

/// tr(P) and tr(P²) for an intercept-only model with weights w:
/// P = W − w wᵀ/Σw.
fn trace_p(w: &[f64]) -> (f64, f64) {
    let (s1, s2, s3) = sums(w);
    (s1 - s2 / s1, s2 - 2.0 * s3 / s1 + (s2 / s1).powi(2))
}

const REML_TOL: f64 = 1e-10;
const REML_MAXITER: usize = 1000;

/// Runs a meta-analysis at confidence level `level` (e.g. 0.95).
pub fn meta_analysis(
    studies: &[Study],
    method: MetaMethod,
    kh: KnappHartung,
    level: f64,
) -> Result<MetaResult, MetaError> {
    let k = studies.len();
    if k < 2 {
        return Err(MetaError::TooFewStudies(k));
    }
    for (index, s) in studies.iter().enumerate() {
        if !s.estimate.is_finite() {
            return Err(MetaError::BadEstimate { index });
        }
        if !(s.se > 0.0 && s.se.is_finite()) {
            return Err(MetaError::BadStandardError { index });
        }
    }
    let y: Vec<f64> = studies.iter().map(|s| s.estimate).collect();
    let v: Vec<f64> = studies.iter().map(|s| s.se * s.se).collect();
    let w_fe: Vec<f64> = v.iter().map(|vi| 1.0 / vi).collect();
    let theta_fe = weighted_mean(&y, &w_fe);
    let q: f64 = y
        .iter()
        .zip(&w_fe)
        .map(|(yi, wi)| wi * (yi - theta_fe).powi(2))
        .sum();
    let df = (k - 1) as f64;
    let (tr_p_fe, tr_pp_fe) = trace_p(&w_fe);
    let tau2_dl = ((q - df) / tr_p_fe).max(0.0);

    let (tau2, tau2_se, iterations) = match method {
        MetaMethod::FixedEffect => (0.0, None, None),
        MetaMethod::DerSimonianLaird => {
            let var_q = 2.0 * df + 4.0 * tau2_dl * tr_p_fe + 2.0 * tau2_dl * tau2_dl * tr_pp_fe;
            (tau2_dl, Some(var_q.sqrt() / tr_p_fe), None)
        }
        MetaMethod::Reml => {
            let (t2, it) = reml_tau2(&y, &v, tau2_dl)?;
            let w: Vec<f64> = v.iter().map(|vi| 1.0 / (vi + t2)).collect();
            let (_, tr_pp) = trace_p(&w);
            (t2, Some((2.0 / tr_pp).sqrt()), Some(it))
        }
    };

    let w: Vec<f64> = v.iter().map(|vi| 1.0 / (vi + tau2)).collect();
    let sw: f64 = w.iter().sum();
    let estimate = weighted_mean(&y, &w);
    let mut se = (1.0 / sw).sqrt();
    // Standard errors many orders of magnitude apart make tr(P) cancel to zero (τ² infinite,
    // every weight zero) or the weights overflow; stop here rather than hand NaN on to the
    // distribution functions.
    if !(tau2.is_finite() && estimate.is_finite() && se.is_finite() && se > 0.0) {
        return Err(MetaError::IllConditioned);
    }
    let (statistic_kind, df_t) = if kh == KnappHartung::Off {
        ("z", None)
    } else {
        let mut scale = y
            .iter()
            .zip(&w)
            .map(|(yi, wi)| wi * (yi - estimate).powi(2))
            .sum::<f64>()
            / df;
        if kh == KnappHartung::Truncated {
            scale = scale.max(1.0);
        }
        se *= scale.sqrt();
        ("t", Some(df))
    };
    if se.is_nan() || se <= 0.0 {
        return Err(MetaError::ZeroKnappHartungScale);
    }
    let statistic = estimate / se;
    let (crit, p_value) = match df_t {
        None => (
            norm_quantile(0.5 + level / 2.0),
            norm_two_sided_p(statistic),
        ),
        Some(d) => (
            t_quantile(0.5 + level / 2.0, d),
            t_two_sided_p(statistic, d),
        ),
    };

    let (i2, h2) = match method {
        MetaMethod::FixedEffect => (
            if q > 0.0 {
                ((q - df) / q).max(0.0) * 100.0
            } else {
                0.0
            },
            q / df,
        ),
        _ => {
            let (s1, s2, _) = sums(&w_fe);
            let typical = df * s1 / (s1 * s1 - s2);
            (100.0 * tau2 / (tau2 + typical), (tau2 + typical) / typical)
        }
    };

    let random = method != MetaMethod::FixedEffect;
    let (tau2_ci, i2_ci, h2_ci) = if random {
        let ci = q_profile_ci(&y, &v, level);
        let (s1, s2, _) = sums(&w_fe);
        let typical = df * s1 / (s1 * s1 - s2);
        let i2 = |t: f64| 100.0 * t / (t + typical);
        let h2 = |t: f64| (t + typical) / typical;
        (
            Some(ci),
            Some([i2(ci[0]), i2(ci[1])]),
            Some([h2(ci[0]), h2(ci[1])]),
        )
    } else {
        (None, None, None)
    };
    let (pi_lower, pi_upper) = if random {
        let half = crit * (se * se + tau2).sqrt();
        (Some(estimate - half), Some(estimate + half))
    } else {
        (None, None)
    };

    Ok(MetaResult {
        method,
        knapp_hartung: kh,
        k,
        estimate,
        se,
        ci_lower: estimate - crit * se,
        ci_upper: estimate + crit * se,
        level,
        statistic_kind,
        statistic,
        df: df_t,
        p_value,
        tau2,
        tau: tau2.sqrt(),
        tau2_se,
        tau2_ci,
        i2_ci,
        h2_ci,
        pi_lower,
        pi_upper,
        q,
        q_df: df,
        q_p_value: chisq_sf(q, df),
        i2,
        h2,
        weights: w.iter().map(|wi| 100.0 * wi / sw).collect(),
        iterations,
    })
}

/// Generalised Q statistic Σ wᵢ(τ²)(yᵢ − θ̂(τ²))², decreasing in τ².
fn generalised_q(y: &[f64], v: &[f64], tau2: f64) -> f64 {
    let w: Vec<f64> = v.iter().map(|vi| 1.0 / (vi + tau2)).collect();
    let theta = weighted_mean(y, &w);
    y.iter()
        .zip(&w)
        .map(|(yi, wi)| wi * (yi - theta).powi(2))
        .sum()
}

/// Q-profile interval (Viechtbauer 2007): the τ² values where the generalised Q equals the
/// upper and lower α/2 quantiles of χ²(k − 1); a limit is 0 when Q(0) is already below its
/// quantile. Solved by bisection to relative precision 1e-13.
fn q_profile_ci(y: &[f64], v: &[f64], level: f64) -> [f64; 2] {
    let df = (y.len() - 1) as f64;
    let chi = ChiSquared::new(df).expect("df > 0");
    let solve = |target: f64| -> f64 {
        if generalised_q(y, v, 0.0) <= target {
            return 0.0;
        }
        let mut hi = v.iter().cloned().fold(0.0, f64::max).max(1e-8);
        while generalised_q(y, v, hi) > target {
            hi *= 2.0;
        }
        let mut lo = 0.0;
        while hi - lo > 1e-13 * hi {
            let mid = 0.5 * (lo + hi);
            if generalised_q(y, v, mid) > target {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    };
    let a = (1.0 - level) / 2.0;
    [solve(chi.inverse_cdf(1.0 - a)), solve(chi.inverse_cdf(a))]
}

/// REML τ² by Fisher scoring: τ² ← τ² + (yᵀPPy − tr P)/tr(PP), where for an intercept-only
/// model Py = W(y − θ̂(τ²)).
fn reml_tau2(y: &[f64], v: &[f64], start: f64) -> Result<(f64, usize), MetaError> {
    let mut tau2 = start;
    for it in 1..=REML_MAXITER {
        let w: Vec<f64> = v.iter().map(|vi| 1.0 / (vi + tau2)).collect();
        let theta = weighted_mean(y, &w);
        let ypy: f64 = y
            .iter()
            .zip(&w)
            .map(|(yi, wi)| (wi * (yi - theta)).powi(2))
            .sum();
        let (tr_p, tr_pp) = trace_p(&w);
        let step = (ypy - tr_p) / tr_pp;
        let mut next = tau2 + step;
        if next <= 0.0 {
            // The likelihood is maximised on the boundary when the score at zero points down.
            if tau2 == 0.0 {
                return Ok((0.0, it));
            }
            next = 0.0;
        }
        if (next - tau2).abs() < REML_TOL {
            return Ok((next, it));
        }
        tau2 = next;
    }
    Err(MetaError::NotConverged(REML_MAXITER))
}

/// Escapes text for SVG/XML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// "Nice" tick step for an axis range (1, 2 or 5 × 10ⁿ).
fn tick_step(range: f64) -> f64 {
    let raw = range / 6.0;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let nice = if norm < 1.5 {
        1.0
    } else if norm < 3.5 {
        2.0
    } else if norm < 7.5 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

/// Draws a forest plot: one row per study (square sized by weight, confidence interval line),
/// a diamond for the pooled estimate, a reference line at zero and a labelled axis. The plot
/// is on the analysis scale (e.g. log risk ratio); `axis_label` names it.
pub fn forest_svg(studies: &[Study], result: &MetaResult, axis_label: &str) -> String {
    let rows: Vec<(f64, f64, f64)> = studies
        .iter()
        .map(|s| {
            let ci = estimate_interval(s.estimate, s.se, s.df, result.level);
            (s.estimate, ci.lower, ci.upper)
        })
        .collect();
    let mut lo = rows
        .iter()
        .map(|r| r.1)
        .fold(result.ci_lower.min(0.0), f64::min);
    let mut hi = rows
        .iter()
        .map(|r| r.2)
        .fold(result.ci_upper.max(0.0), f64::max);
    let pad = 0.05 * (hi - lo).max(1e-12);
    lo -= pad;
    hi += pad;
    let (label_w, plot_w, text_w, row_h, top) = (220.0, 420.0, 230.0, 22.0, 40.0);
    let width = label_w + plot_w + text_w;
    let n = studies.len() as f64;
    let pooled_y = top + (n + 1.0) * row_h;
    let axis_y = pooled_y + row_h;
    let height = axis_y + 88.0;
    let x = |v: f64| label_w + (v - lo) / (hi - lo) * plot_w;
    let max_w = result.weights.iter().cloned().fold(0.0, f64::max);
    let mut s = String::new();
    s.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n"
    ));
    s.push_str(&format!(
        "<title>Forest plot: {} meta-analysis of {} studies</title>\n",
        method_name(result),
        result.k
    ));
    s.push_str("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    s.push_str(&format!(
        "<text x=\"8\" y=\"{}\" font-weight=\"bold\">Study</text>\
         <text x=\"{}\" y=\"{}\" font-weight=\"bold\">Estimate [{:.0}% CI]</text>\
         <text x=\"{}\" y=\"{}\" font-weight=\"bold\" text-anchor=\"end\">Weight</text>\n",
        top - 14.0,
        label_w + plot_w + 10.0,
        top - 14.0,
        result.level * 100.0,
        width - 8.0,
        top - 14.0
    ));
    // Reference line at zero (no effect on a difference or log-ratio scale).
    s.push_str(&format!(
        "<line x1=\"{0:.2}\" y1=\"{1:.2}\" x2=\"{0:.2}\" y2=\"{2:.2}\" stroke=\"#888\" \
         stroke-dasharray=\"4 3\"/>\n",
        x(0.0),
        top - 6.0,
        axis_y
    ));
    for (i, (study, &(est, l, u))) in studies.iter().zip(&rows).enumerate() {
        let y = top + (i as f64 + 0.5) * row_h;
        let half = 2.0 + 6.0 * (result.weights[i] / max_w).sqrt();
        s.push_str(&format!(
            "<text x=\"8\" y=\"{:.2}\">{}</text>\n",
            y + 4.0,
            esc(&study.label)
        ));
        s.push_str(&format!(
            "<line x1=\"{:.2}\" y1=\"{y:.2}\" x2=\"{:.2}\" y2=\"{y:.2}\" stroke=\"black\"/>\n",
            x(l),
            x(u)
        ));
        s.push_str(&format!(
            "<rect x=\"{:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{:.2}\" fill=\"#1f4e79\"/>\n",
            x(est) - half,
            y - half,
            2.0 * half,
            2.0 * half
        ));
        s.push_str(&format!(
            "<text x=\"{:.2}\" y=\"{:.2}\">{est:.2} [{l:.2}, {u:.2}]</text>\
             <text x=\"{:.2}\" y=\"{:.2}\" text-anchor=\"end\">{:.1}%</text>\n",
            label_w + plot_w + 10.0,
            y + 4.0,
            width - 8.0,
            y + 4.0,
            result.weights[i]
        ));
    }
    let (e, l, u) = (result.estimate, result.ci_lower, result.ci_upper);
    s.push_str(&format!(
        "<polygon points=\"{:.2},{pooled_y:.2} {:.2},{:.2} {:.2},{pooled_y:.2} {:.2},{:.2}\" \
         fill=\"#c0392b\"/>\n",
        x(l),
        x(e),
        pooled_y - 7.0,
        x(u),
        x(e),
        pooled_y + 7.0
    ));
    s.push_str(&format!(
        "<text x=\"8\" y=\"{:.2}\" font-weight=\"bold\">{}</text>\
         <text x=\"{:.2}\" y=\"{:.2}\" font-weight=\"bold\">{e:.2} [{l:.2}, {u:.2}]</text>\
         <text x=\"{:.2}\" y=\"{:.2}\" text-anchor=\"end\">100%</text>\n",
        pooled_y + 4.0,
        esc(&method_name(result)),
        label_w + plot_w + 10.0,
        pooled_y + 4.0,
        width - 8.0,
        pooled_y + 4.0
    ));
    s.push_str(&format!(
        "<text x=\"8\" y=\"{:.2}\" fill=\"#555\">Heterogeneity: Q = {:.2} (df {}), p {}; I² = {:.1}%; τ² = {:.4}</text>\n",
        axis_y + 58.0,
        result.q,
        result.q_df,
        if result.q_p_value < 0.001 {
            "&lt; 0.001".to_string()
        } else {
            format!("= {:.3}", result.q_p_value)
        },
        result.i2,
        result.tau2
    ));
    // Say which intervals these are: study rows and the pooled row can differ.
    let study_kinds = if studies.iter().all(|s| s.df.is_none()) {
        "normal (z)"
    } else if studies.iter().all(|s| s.df.is_some()) {
        "t with each study's df"
    } else {
        "t with the study's df where given, otherwise normal (z)"
    };
    let pooled_kind = match result.df {
        Some(df) => format!("t, df {} (Knapp–Hartung)", fmt_df(df)),
        None => "normal (z)".to_string(),
    };
    s.push_str(&format!(
        "<text x=\"8\" y=\"{:.2}\" fill=\"#555\">{:.0}% intervals: studies {study_kinds}; pooled {pooled_kind}</text>\n",
        axis_y + 76.0,
        result.level * 100.0
    ));
    // Axis with ticks.
    s.push_str(&format!(
        "<line x1=\"{label_w}\" y1=\"{axis_y:.2}\" x2=\"{:.2}\" y2=\"{axis_y:.2}\" stroke=\"black\"/>\n",
        label_w + plot_w
    ));
    let step = tick_step(hi - lo);
    let mut t = (lo / step).ceil() * step;
    while t <= hi + 1e-12 {
        let tx = x(t);
        let shown = if t.abs() < step * 1e-9 { 0.0 } else { t };
        s.push_str(&format!(
            "<line x1=\"{tx:.2}\" y1=\"{axis_y:.2}\" x2=\"{tx:.2}\" y2=\"{:.2}\" stroke=\"black\"/>\
             <text x=\"{tx:.2}\" y=\"{:.2}\" text-anchor=\"middle\">{}</text>\n",
            axis_y + 5.0,
            axis_y + 18.0,
            scaleup_format::tick(shown)
        ));
        t += step;
    }
    s.push_str(&format!(
        "<text x=\"{:.2}\" y=\"{:.2}\" text-anchor=\"middle\">{}</text>\n",
        label_w + plot_w / 2.0,
        axis_y + 38.0,
        esc(axis_label)
    ));
    s.push_str("</svg>\n");
    s
}

fn method_name(r: &MetaResult) -> String {
    let m = match r.method {
        MetaMethod::FixedEffect => "Fixed effect",
        MetaMethod::DerSimonianLaird => "Random effects (DL)",
        MetaMethod::Reml => "Random effects (REML)",
    };
    match r.knapp_hartung {
        KnappHartung::Off => m.to_string(),
        _ => format!("{m}, Knapp–Hartung"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn studies(y: &[f64], se: &[f64]) -> Vec<Study> {
        y.iter()
            .zip(se)
            .enumerate()
            .map(|(i, (&estimate, &se))| Study {
                label: format!("S{i}"),
                estimate,
                se,
                df: None,
            })
            .collect()
    }

    // Two studies with equal SE 1 at 0 and 2: θ̂ = 1, Var = 1/2, Q = 2·1 = 2, df 1, DL τ² =
    // (2 − 1)/(2 − 2/2) = 1 (derived by hand).
    /// Hardening issue 16: one function gives a single estimate's interval everywhere. With
    /// df it is t (t₀.₉₇₅(10) = 2.228139), without it z (1.959964).
    #[test]
    fn issue_16_estimate_interval_is_t_with_df_and_z_without() {
        let t = estimate_interval(1.0, 0.5, Some(10.0), 0.95);
        assert_eq!(t.kind, IntervalKind::T);
        assert!((t.upper - (1.0 + 2.228_138_851_986_52 * 0.5)).abs() < 1e-9);
        assert_eq!(t.describe(), "t, df 10");
        let z = estimate_interval(1.0, 0.5, None, 0.95);
        assert_eq!(z.kind, IntervalKind::Z);
        assert!((z.lower - (1.0 - 1.959_963_984_540_05 * 0.5)).abs() < 1e-9);
        assert_eq!(z.describe(), "normal (z)");
        // A meaningless df falls back to z rather than producing NaN limits.
        assert_eq!(estimate_interval(1.0, 0.5, Some(f64::NAN), 0.95), z);
    }

    #[test]
    fn issue_16_forest_rows_use_the_study_df_and_say_so() {
        let mut s = studies(&[0.1, 0.5, -0.2], &[0.2, 0.3, 0.25]);
        s[1].df = Some(4.0);
        let r = meta_analysis(&s, MetaMethod::Reml, KnappHartung::Off, 0.95).unwrap();
        let svg = forest_svg(&s, &r, "Effect");
        let ci = estimate_interval(0.5, 0.3, Some(4.0), 0.95);
        assert!(
            svg.contains(&format!("0.50 [{:.2}, {:.2}]", ci.lower, ci.upper)),
            "{svg}"
        );
        assert!(svg.contains(
            "95% intervals: studies t with the study's df where given, otherwise normal (z); pooled normal (z)"
        ));
    }

    #[test]
    fn hand_derived_two_studies() {
        let s = studies(&[0.0, 2.0], &[1.0, 1.0]);
        let fe = meta_analysis(&s, MetaMethod::FixedEffect, KnappHartung::Off, 0.95).unwrap();
        assert!((fe.estimate - 1.0).abs() < 1e-15);
        assert!((fe.se - 0.5f64.sqrt()).abs() < 1e-15);
        assert!((fe.q - 2.0).abs() < 1e-15);
        let dl = meta_analysis(&s, MetaMethod::DerSimonianLaird, KnappHartung::Off, 0.95).unwrap();
        assert!((dl.tau2 - 1.0).abs() < 1e-15);
        assert!((dl.se - 1.0).abs() < 1e-15); // 1/(2·1/2)
    }

    // Found by fuzzing (the BCG example with one SE replaced by 1.4e-11): tr(P) cancelled to
    // zero, τ² became infinite and every weight zero; the NaN statistic then panicked inside
    // statrs. Studies this far apart in precision are refused, not pooled into NaN.
    #[test]
    fn standard_errors_far_apart_are_an_error_not_a_panic() {
        let y = [
            -0.889311333920205,
            -1.58538865720143,
            -1.62089822359839,
            0.0119523335233405,
            -0.469417648738149,
            -1.37134480347278,
            -0.339358828338391,
            0.445913400571379,
            -0.0173139482168798,
        ];
        let se = [
            0.570600354892951,
            1.4411073884755807e-11,
            0.472247019654243,
            0.0629410779842364,
            0.237558856840255,
            0.270231000466321,
            0.111410116109623,
            0.729729981020482,
            0.267216503390016,
        ];
        let s = studies(&y, &se);
        assert_eq!(
            meta_analysis(
                &s,
                MetaMethod::DerSimonianLaird,
                KnappHartung::Truncated,
                0.95
            )
            .unwrap_err(),
            MetaError::IllConditioned
        );
        for method in [
            MetaMethod::FixedEffect,
            MetaMethod::DerSimonianLaird,
            MetaMethod::Reml,
        ] {
            for kh in [
                KnappHartung::Off,
                KnappHartung::Truncated,
                KnappHartung::Untruncated,
            ] {
                // Any answer but a panic.
                let _ = meta_analysis(&s, method, kh, 0.95);
            }
        }
    }

    // Untruncated Knapp–Hartung with identical estimates has a zero scale: 0/0 reached statrs.
    #[test]
    fn zero_knapp_hartung_scale_is_an_error() {
        let s = studies(&[0.0, 0.0, 0.0], &[1.0, 0.5, 0.2]);
        assert_eq!(
            meta_analysis(&s, MetaMethod::FixedEffect, KnappHartung::Untruncated, 0.95)
                .unwrap_err(),
            MetaError::ZeroKnappHartungScale
        );
        assert!(meta_analysis(&s, MetaMethod::FixedEffect, KnappHartung::Truncated, 0.95).is_ok());
    }

    #[test]
    fn input_errors() {
        let one = studies(&[0.1], &[0.2]);
        assert_eq!(
            meta_analysis(&one, MetaMethod::Reml, KnappHartung::Off, 0.95).unwrap_err(),
            MetaError::TooFewStudies(1)
        );
        let bad = studies(&[0.1, 0.2], &[0.2, 0.0]);
        assert_eq!(
            meta_analysis(&bad, MetaMethod::Reml, KnappHartung::Off, 0.95).unwrap_err(),
            MetaError::BadStandardError { index: 1 }
        );
    }

    #[test]
    fn svg_is_well_formed_and_escaped() {
        let mut s = studies(&[0.1, 0.3, -0.2], &[0.1, 0.2, 0.15]);
        s[0].label = "A & <B>".into();
        let r = meta_analysis(&s, MetaMethod::Reml, KnappHartung::Off, 0.95).unwrap();
        let svg = forest_svg(&s, &r, "log risk ratio");
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("A &amp; &lt;B&gt;"));
        assert_eq!(svg.matches("<rect x=").count(), 3);
        assert_eq!(svg.matches("<polygon").count(), 1);
        // Text content never holds a raw '<' (e.g. "p < 0.001"): the document stays XML.
        for chunk in svg.split("<text").skip(1) {
            let content = &chunk[chunk.find('>').unwrap() + 1..chunk.find("</text>").unwrap()];
            assert!(!content.contains('<'), "{content}");
        }
        // Strong heterogeneity gives p < 0.001, written escaped.
        let het = studies(&[0.0, 3.0, -3.0], &[0.1, 0.1, 0.1]);
        let r = meta_analysis(&het, MetaMethod::Reml, KnappHartung::Off, 0.95).unwrap();
        assert!(forest_svg(&het, &r, "x").contains("p &lt; 0.001"));
    }
}
