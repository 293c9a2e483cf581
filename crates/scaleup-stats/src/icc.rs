//! Intracluster correlation and design effects from a fitted linear mixed model.
//!
//! For each random-intercept term `(1 | g)` the variance partition coefficient is
//! ρ_g = σ²_g / (Σ_h σ²_h + σ²), the share of the total variance due to `g` (for a single
//! random intercept this is the usual ICC, τ²/(τ² + σ²)). The design effect for clusters
//! defined by `g` uses the observed cluster sizes: DE = 1 + (m̄ − 1)ρ for equal clusters and
//! DE = 1 + ((CV² + 1)m̄ − 1)ρ for unequal ones (Eldridge, Ashby & Kerry 2006), where m̄ and CV
//! are the mean and coefficient of variation (population SD / mean: the clusters are all the
//! clusters, not a sample) of the number of observations per level.
//!
//! Terms with random slopes are reported as not applicable: their intraclass correlation
//! depends on the covariate values, so a single number would mislead.

use serde::Serialize;

use crate::frame::ModelFrame;
use crate::lmm::LmmFit;

/// ICC and design effect for one grouping factor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IccComponent {
    /// Grouping factor (as printed by the fit, e.g. `counsellor:facility`).
    pub group: String,
    /// Random-intercept variance of this factor (null for random-slope terms).
    pub variance: Option<f64>,
    /// Variance partition coefficient (null for random-slope terms).
    pub icc: Option<f64>,
    /// Number of levels.
    pub n_clusters: usize,
    /// Mean observations per level.
    pub mean_cluster_size: f64,
    /// Coefficient of variation of observations per level.
    pub cv_cluster_size: f64,
    /// 1 + (m̄ − 1)ρ.
    pub design_effect: Option<f64>,
    /// 1 + ((CV² + 1)m̄ − 1)ρ.
    pub design_effect_unequal: Option<f64>,
    /// Why the ICC is not given, if it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// ICCs for all random-effect terms of a fit, plus the variances used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IccReport {
    /// Residual variance σ².
    pub residual_variance: f64,
    /// Σ random-intercept variances + σ².
    pub total_variance: f64,
    /// One entry per random-effect term, in the fit's order.
    pub components: Vec<IccComponent>,
}

/// Computes ICCs and design effects from `fit`, using `frame` (the frame it was fitted on) for
/// the cluster sizes.
pub fn icc_report(fit: &LmmFit, frame: &ModelFrame) -> IccReport {
    let is_intercept_only = |terms: &[String]| terms.len() == 1 && terms[0] == "(Intercept)";
    let intercept_total: f64 = fit
        .random
        .iter()
        .filter(|r| is_intercept_only(&r.terms))
        .map(|r| r.covariance[0][0])
        .sum();
    let total = intercept_total + fit.residual_variance;
    let components = fit
        .random
        .iter()
        .map(|r| {
            // Cluster sizes from the frame's block for this grouping factor.
            let sizes: Vec<f64> = frame
                .random
                .iter()
                .find(|b| b.group == r.group)
                .map(|b| {
                    let mut counts = vec![0.0; b.levels.len()];
                    for &c in &b.codes {
                        counts[c as usize] += 1.0;
                    }
                    counts
                })
                .unwrap_or_default();
            let k = sizes.len().max(1) as f64;
            let mean = sizes.iter().sum::<f64>() / k;
            let var = sizes.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / k;
            let cv = if mean > 0.0 { var.sqrt() / mean } else { 0.0 };
            if is_intercept_only(&r.terms) {
                let v = r.covariance[0][0];
                let rho = v / total;
                IccComponent {
                    group: r.group.clone(),
                    variance: Some(v),
                    icc: Some(rho),
                    n_clusters: sizes.len(),
                    mean_cluster_size: mean,
                    cv_cluster_size: cv,
                    design_effect: Some(1.0 + (mean - 1.0) * rho),
                    design_effect_unequal: Some(1.0 + ((cv * cv + 1.0) * mean - 1.0) * rho),
                    note: None,
                }
            } else {
                IccComponent {
                    group: r.group.clone(),
                    variance: None,
                    icc: None,
                    n_clusters: sizes.len(),
                    mean_cluster_size: mean,
                    cv_cluster_size: cv,
                    design_effect: None,
                    design_effect_unequal: None,
                    note: Some(
                        "term has random slopes: the ICC depends on covariate values".into(),
                    ),
                }
            }
        })
        .collect();
    IccReport {
        residual_variance: fit.residual_variance,
        total_variance: total,
        components,
    }
}
