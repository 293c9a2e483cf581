//! Power and sample size for individually randomised, parallel cluster randomised and
//! stepped-wedge trials.
//!
//! Every design is reduced to the same two numbers: the treatment effect θ and the standard
//! error of its estimator (under the null and under the alternative, which differ only for binary
//! outcomes in non-stepped designs). Power is then the two-sided normal approximation
//!
//! ```text
//! power = Φ((|θ| − z₁₋α/₂·SE₀)/SE₁) + Φ((−|θ| − z₁₋α/₂·SE₀)/SE₁)
//! ```
//!
//! which with SE₀ = SE₁ is Hussey & Hughes (2007) eq. 9 and swCRTdesign's `swPwr`. The normal
//! is the default; `distribution = "t"` in the spec switches to a t with a design-based df
//! (see [`TestDistribution`]). With the normal and few clusters power is optimistic, and the
//! result carries a note when there are fewer than 20 clusters per arm (parallel) or 20
//! clusters (stepped-wedge).
//!
//! Variance conventions (they matter, and different packages differ):
//! - The individual-level variance σ² is `sd²` for continuous outcomes and p̄(1 − p̄) with
//!   p̄ = (p0 + p1)/2 for binary ones (Hussey & Hughes 2007; swPwr).
//! - Parallel cluster trials follow the design-effect literature (Donner & Klar; Eldridge et al.
//!   2006): with `icc` the outcome variance is the *total* variance and DE = 1 + (m − 1)ρ,
//!   or 1 + ((CV² + 1)m − 1)ρ with unequal cluster sizes. With `tau`, σ² is the within-cluster
//!   variance and ρ = τ²/(τ² + σ²). Binary outcomes use the pooled variance under H0 and the
//!   unpooled variance under H1 with n_eff = n/DE (statsmodels `power_proportions_2indep`).
//! - Stepped-wedge trials follow swPwr: σ² is the within-cluster-period variance, `tau` is the
//!   SD of the cluster effect at one period (split into a persistent part τ²·CAC and a
//!   cluster-by-period part γ² = τ²(1 − CAC)), and `icc`/`cac` give
//!   γ² = ICC·σ²(1 − CAC)/(1 − ICC), τ² = ICC·σ²·CAC/(1 − ICC).
//!   The variance of θ̂ is the GLS variance on cluster-period means,
//!   `[(Σᵢ Zᵢᵀ Wᵢ⁻¹ Zᵢ)⁻¹]_θθ`, with W = τ²J + (σ²/n + γ²)I + η²xxᵀ + ρητ(x1ᵀ + 1xᵀ); with
//!   γ = η = 0 and 0/1 exposure the Hussey & Hughes closed form is used (they agree to
//!   rounding; a test checks). Fractional exposure (a partial effect in transition periods)
//!   always uses GLS: the closed form does not hold for it.

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use crate::prob::{norm_cdf, norm_quantile, t_cdf, t_quantile};

/// Errors from invalid design specifications. `field` is the dotted path of the spec field
/// (as in the TOML spec, e.g. `parallel_crt.cluster_size`) so callers can point at it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DesignError {
    /// A field has a value outside its allowed range.
    #[error("{field}: {reason}")]
    InvalidField {
        /// Dotted field path.
        field: &'static str,
        /// What the rule is.
        reason: String,
    },
    /// A required field is absent.
    #[error("{field}: required for this design")]
    MissingField {
        /// Dotted field path.
        field: &'static str,
    },
    /// The stepped-wedge design matrix does not identify the treatment effect.
    #[error("stepped_wedge.sequences: {0}")]
    Unidentified(String),
    /// The requested power cannot be reached by changing the solved quantity.
    #[error(
        "target power {target} cannot be reached by increasing the {what}: power approaches {limit:.6}"
    )]
    Unreachable {
        /// What was being solved for.
        what: &'static str,
        /// The requested power.
        target: f64,
        /// The power at the largest value tried.
        limit: f64,
    },
}

fn invalid(field: &'static str, reason: impl Into<String>) -> DesignError {
    DesignError::InvalidField {
        field,
        reason: reason.into(),
    }
}

/// Outcome and effect size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// A binary outcome with control proportion `p0` and intervention proportion `p1`.
    Binary {
        /// Control-arm proportion.
        p0: f64,
        /// Intervention-arm proportion.
        p1: f64,
    },
    /// A continuous outcome.
    Continuous {
        /// Intervention minus control mean.
        mean_difference: f64,
        /// Individual-level standard deviation (see the module docs for total vs within).
        sd: f64,
    },
}

impl Outcome {
    /// The treatment effect θ on the outcome scale.
    pub fn effect(&self) -> f64 {
        match *self {
            Outcome::Binary { p0, p1 } => p1 - p0,
            Outcome::Continuous {
                mean_difference, ..
            } => mean_difference,
        }
    }

    /// Individual-level variance σ²: sd², or p̄(1 − p̄) for binary outcomes.
    pub fn sigma2(&self) -> f64 {
        match *self {
            Outcome::Binary { p0, p1 } => {
                let pbar = 0.5 * (p0 + p1);
                pbar * (1.0 - pbar)
            }
            Outcome::Continuous { sd, .. } => sd * sd,
        }
    }

    fn validate(&self) -> Result<(), DesignError> {
        match *self {
            Outcome::Binary { p0, p1 } => {
                for (field, p) in [("outcome.p0", p0), ("outcome.p1", p1)] {
                    if !(p > 0.0 && p < 1.0) {
                        return Err(invalid(
                            field,
                            "must be a proportion strictly between 0 and 1",
                        ));
                    }
                }
            }
            Outcome::Continuous {
                mean_difference,
                sd,
            } => {
                if !mean_difference.is_finite() {
                    return Err(invalid(
                        "outcome.mean_difference",
                        "must be a finite number",
                    ));
                }
                if !(sd > 0.0 && sd.is_finite()) {
                    return Err(invalid("outcome.sd", "must be positive"));
                }
            }
        }
        Ok(())
    }
}

/// How between-cluster variation is given.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Between {
    /// Between-cluster standard deviation on the outcome scale.
    Tau(f64),
    /// Intracluster correlation coefficient.
    Icc(f64),
}

/// Clustering parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Clustering {
    /// Between-cluster variation.
    pub between: Between,
    /// Cluster autocorrelation (stepped-wedge only); 1 means no cluster-by-period variation.
    pub cac: f64,
    /// SD of a random treatment effect across clusters (stepped-wedge only).
    pub eta: f64,
    /// Correlation between the random cluster effect and the random treatment effect.
    pub eta_correlation: f64,
}

impl Clustering {
    /// Clustering given by an ICC, with CAC 1 and no random treatment effect.
    pub fn icc(icc: f64) -> Self {
        Clustering {
            between: Between::Icc(icc),
            cac: 1.0,
            eta: 0.0,
            eta_correlation: 0.0,
        }
    }

    /// Clustering given by a between-cluster SD, with CAC 1 and no random treatment effect.
    pub fn tau(tau: f64) -> Self {
        Clustering {
            between: Between::Tau(tau),
            ..Clustering::icc(0.0)
        }
    }

    fn validate(&self) -> Result<(), DesignError> {
        match self.between {
            Between::Tau(t) if !(t >= 0.0 && t.is_finite()) => {
                return Err(invalid("clustering.tau", "must be zero or positive"));
            }
            Between::Icc(r) if !(0.0..1.0).contains(&r) => {
                return Err(invalid("clustering.icc", "must be in [0, 1)"));
            }
            _ => {}
        }
        if !(self.cac > 0.0 && self.cac <= 1.0) {
            return Err(invalid("clustering.cac", "must be in (0, 1]"));
        }
        if !(self.eta >= 0.0 && self.eta.is_finite()) {
            return Err(invalid("clustering.eta", "must be zero or positive"));
        }
        if !(-1.0..=1.0).contains(&self.eta_correlation) {
            return Err(invalid("clustering.eta_correlation", "must be in [-1, 1]"));
        }
        Ok(())
    }
}

/// Which arms of a parallel cluster trial are clustered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClusteredArms {
    /// Both arms are randomised and analysed in clusters.
    #[default]
    Both,
    /// Only the intervention arm is clustered (e.g. by therapist); controls are independent.
    Intervention,
}

/// The trial design.
#[derive(Debug, Clone, PartialEq)]
pub enum Design {
    /// Individually randomised, two equal arms.
    Individual {
        /// Participants randomised per arm.
        n_per_arm: f64,
        /// Proportion lost to follow-up (0 if none).
        loss_to_follow_up: f64,
    },
    /// Parallel cluster randomised trial with two equal arms.
    ParallelCrt {
        /// Clusters per arm.
        clusters_per_arm: f64,
        /// Mean cluster size (participants recruited per cluster).
        cluster_size: f64,
        /// Coefficient of variation of cluster sizes (0 for equal clusters).
        cv_cluster_size: f64,
        /// Proportion lost to follow-up.
        loss_to_follow_up: f64,
        /// Which arms are clustered.
        clustered_arms: ClusteredArms,
    },
    /// Cross-sectional stepped-wedge trial.
    SteppedWedge {
        /// One row per sequence, one column per period; 1 = intervention (fractions allowed).
        sequences: Vec<Vec<f64>>,
        /// Clusters randomised to each sequence.
        clusters_per_sequence: f64,
        /// Participants measured per cluster per period.
        cluster_period_size: f64,
    },
}

/// Reference distribution for power: the normal (Hussey & Hughes; default) or a t with a
/// design-based df, for trials with few clusters.
///
/// With t, power = T_df((|θ| − t_df,1−α/2·SE₀)/SE₁) + T_df((−|θ| − t_df,1−α/2·SE₀)/SE₁), the
/// shifted central-t approximation (as in Teerenstra's stepped-wedge SAS macros), not the
/// noncentral t. df: individual 2n − 2 (n analysed per arm); parallel cluster trial 2k − 2;
/// partially clustered k − 1 (the intervention arm's clusters; conservative); stepped-wedge
/// I − 2 (I clusters). These are conventions: with few clusters, state the one used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TestDistribution {
    /// Standard normal.
    #[default]
    Normal,
    /// Student t with design-based df.
    T,
}

/// A complete, validated-on-use design specification.
#[derive(Debug, Clone, PartialEq)]
pub struct DesignSpec {
    /// Two-sided significance level.
    pub alpha: f64,
    /// Reference distribution of the test statistic.
    pub distribution: TestDistribution,
    /// Outcome and effect size.
    pub outcome: Outcome,
    /// Clustering parameters (required for cluster designs, ignored for individual ones).
    pub clustering: Option<Clustering>,
    /// The design.
    pub design: Design,
}

/// The result of a power calculation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PowerResult {
    /// Two-sided power.
    pub power: f64,
    /// Design kind: `individual`, `parallel-crt` or `stepped-wedge`.
    pub kind: &'static str,
    /// Variance formula used: `two-sample`, `design-effect`, `partially-clustered`,
    /// `hussey-hughes` or `gls`.
    pub method: &'static str,
    /// Two-sided significance level.
    pub alpha: f64,
    /// Reference distribution used for power.
    pub distribution: TestDistribution,
    /// Degrees of freedom (t only).
    pub df: Option<f64>,
    /// Treatment effect θ on the outcome scale.
    pub effect: f64,
    /// Standard error of θ̂ under the alternative.
    pub se: f64,
    /// Standard error of θ̂ under the null (differs from `se` only for binary two-arm designs).
    pub se_null: f64,
    /// Design effect: DE for parallel trials (intervention arm's DE when partially clustered),
    /// Woertman's DE for standard stepped-wedge designs, 1 for individual designs, otherwise null.
    pub design_effect: Option<f64>,
    /// ICC used (within-period ICC for stepped-wedge designs).
    pub icc: Option<f64>,
    /// Individual-level variance σ² as used (see module docs).
    pub sigma2: f64,
    /// Persistent between-cluster variance τ².
    pub tau2: Option<f64>,
    /// Cluster-by-period variance γ² (stepped-wedge only).
    pub gamma2: Option<f64>,
    /// Number of clusters in total.
    pub n_clusters: Option<f64>,
    /// Number of periods (stepped-wedge only).
    pub n_periods: Option<usize>,
    /// Total participants recruited (all arms, all periods).
    pub n_total: f64,
    /// Participants analysed after loss to follow-up.
    pub n_analysed: f64,
    /// Remarks on assumptions and ignored inputs.
    pub notes: Vec<String>,
}

/// Critical value z₁₋α/₂.
fn z_crit(alpha: f64) -> f64 {
    norm_quantile(1.0 - alpha / 2.0)
}

/// Two-sided normal-approximation power with possibly different null and alternative SEs.
pub fn two_sided_power(effect: f64, se_null: f64, se_alt: f64, alpha: f64) -> f64 {
    let z = z_crit(alpha);
    let d = effect.abs();
    norm_cdf((d - z * se_null) / se_alt) + norm_cdf((-d - z * se_null) / se_alt)
}

/// Power under `spec.distribution` with design-based `df` (used only for t).
fn power_for(spec: &DesignSpec, se_null: f64, se_alt: f64, df: f64) -> (f64, Option<f64>) {
    let effect = spec.outcome.effect();
    match spec.distribution {
        TestDistribution::Normal => (two_sided_power(effect, se_null, se_alt, spec.alpha), None),
        TestDistribution::T => {
            let df = df.max(1.0);
            let crit = t_quantile(1.0 - spec.alpha / 2.0, df);
            let d = effect.abs();
            let p = t_cdf((d - crit * se_null) / se_alt, df)
                + t_cdf((-d - crit * se_null) / se_alt, df);
            (p, Some(df))
        }
    }
}

fn check_positive(field: &'static str, v: f64) -> Result<(), DesignError> {
    if v > 0.0 && v.is_finite() {
        Ok(())
    } else {
        Err(invalid(field, "must be positive"))
    }
}

fn check_count(field: &'static str, v: f64) -> Result<(), DesignError> {
    if v >= 1.0 && v.fract() == 0.0 && v.is_finite() {
        Ok(())
    } else {
        Err(invalid(field, "must be a whole number of at least 1"))
    }
}

fn check_fraction(field: &'static str, v: f64) -> Result<(), DesignError> {
    if (0.0..1.0).contains(&v) {
        Ok(())
    } else {
        Err(invalid(field, "must be in [0, 1)"))
    }
}

/// Computes power for a design.
pub fn power(spec: &DesignSpec) -> Result<PowerResult, DesignError> {
    if !(spec.alpha > 0.0 && spec.alpha < 1.0) {
        return Err(invalid("alpha", "must be strictly between 0 and 1"));
    }
    spec.outcome.validate()?;
    if let Some(c) = &spec.clustering {
        c.validate()?;
    }
    match &spec.design {
        Design::Individual {
            n_per_arm,
            loss_to_follow_up,
        } => individual(spec, *n_per_arm, *loss_to_follow_up),
        Design::ParallelCrt { .. } => parallel(spec),
        Design::SteppedWedge { .. } => stepped_wedge(spec),
    }
}

fn individual(spec: &DesignSpec, n: f64, ltf: f64) -> Result<PowerResult, DesignError> {
    check_positive("individual.n_per_arm", n)?;
    check_fraction("individual.loss_to_follow_up", ltf)?;
    let n_an = n * (1.0 - ltf);
    let (se_null, se) = two_arm_se(&spec.outcome, n_an, 1.0, n_an, 1.0, 1.0);
    let mut notes = Vec::new();
    if spec.clustering.is_some() {
        notes.push("[clustering] is ignored for an individually randomised design".into());
    }
    let (power, df) = power_for(spec, se_null, se, 2.0 * n_an - 2.0);
    Ok(PowerResult {
        power,
        kind: "individual",
        method: "two-sample",
        alpha: spec.alpha,
        distribution: spec.distribution,
        df,
        effect: spec.outcome.effect(),
        se,
        se_null,
        design_effect: Some(1.0),
        icc: None,
        sigma2: spec.outcome.sigma2(),
        tau2: None,
        gamma2: None,
        n_clusters: None,
        n_periods: None,
        n_total: 2.0 * n,
        n_analysed: 2.0 * n_an,
        notes,
    })
}

/// Null and alternative SEs of a difference between two independent arms, each of `n_c`
/// (control) and `n_i` (intervention) analysed participants with design effects `de_c`, `de_i`.
/// `var_scale` multiplies the continuous variance (total variance relative to sd²).
fn two_arm_se(
    outcome: &Outcome,
    n_i: f64,
    de_i: f64,
    n_c: f64,
    de_c: f64,
    var_scale: f64,
) -> (f64, f64) {
    match *outcome {
        Outcome::Binary { p0, p1 } => {
            // Pooled proportion under H0 (equal arms), unpooled under H1.
            let pbar = (p0 * n_c + p1 * n_i) / (n_c + n_i);
            let null = (pbar * (1.0 - pbar) * (de_i / n_i + de_c / n_c)).sqrt();
            let alt = (p1 * (1.0 - p1) * de_i / n_i + p0 * (1.0 - p0) * de_c / n_c).sqrt();
            (null, alt)
        }
        Outcome::Continuous { sd, .. } => {
            let se = (sd * sd * var_scale * (de_i / n_i + de_c / n_c)).sqrt();
            (se, se)
        }
    }
}

fn parallel(spec: &DesignSpec) -> Result<PowerResult, DesignError> {
    let Design::ParallelCrt {
        clusters_per_arm: k,
        cluster_size: m,
        cv_cluster_size: cv,
        loss_to_follow_up: ltf,
        clustered_arms,
    } = spec.design
    else {
        unreachable!("called with a parallel design")
    };
    check_count("parallel_crt.clusters_per_arm", k)?;
    check_positive("parallel_crt.cluster_size", m)?;
    if !(cv >= 0.0 && cv.is_finite()) {
        return Err(invalid(
            "parallel_crt.cv_cluster_size",
            "must be zero or positive",
        ));
    }
    check_fraction("parallel_crt.loss_to_follow_up", ltf)?;
    let clustering = spec.clustering.ok_or(DesignError::MissingField {
        field: "clustering",
    })?;
    let mut notes = Vec::new();
    if clustering.cac != 1.0 || clustering.eta != 0.0 {
        notes.push(
            "clustering.cac and clustering.eta are ignored: a parallel trial has one period".into(),
        );
    }
    let sigma2 = spec.outcome.sigma2();
    // With `tau`, σ² is within-cluster and the total variance is σ² + τ²; with `icc` the
    // outcome variance is already the total (see module docs).
    let (icc, tau2, var_scale) = match clustering.between {
        Between::Icc(r) => (r, r * sigma2, 1.0),
        Between::Tau(t) => {
            let t2 = t * t;
            (t2 / (t2 + sigma2), t2, (t2 + sigma2) / sigma2)
        }
    };
    let m_an = m * (1.0 - ltf);
    // Eldridge, Ashby & Kerry (2006): DE = 1 + ((CV² + 1)m̄ − 1)ρ; CV = 0 gives 1 + (m − 1)ρ.
    let de = 1.0 + ((cv * cv + 1.0) * m_an - 1.0) * icc;
    let n_arm = k * m_an;
    let (method, de_c) = match clustered_arms {
        ClusteredArms::Both => ("design-effect", de),
        // Controls are individually randomised and analysed: no design effect in that arm.
        ClusteredArms::Intervention => ("partially-clustered", 1.0),
    };
    let (se_null, se) = two_arm_se(&spec.outcome, n_arm, de, n_arm, de_c, var_scale);
    let n_clusters = match clustered_arms {
        ClusteredArms::Both => 2.0 * k,
        ClusteredArms::Intervention => k,
    };
    if k < 20.0 && spec.distribution == TestDistribution::Normal {
        notes.push(
            "normal approximation with fewer than 20 clusters per arm is optimistic; \
             consider distribution = \"t\" (2k − 2 df) or adding a cluster per arm"
                .into(),
        );
    }
    let df = match clustered_arms {
        ClusteredArms::Both => 2.0 * k - 2.0,
        ClusteredArms::Intervention => k - 1.0,
    };
    let (power, df) = power_for(spec, se_null, se, df);
    Ok(PowerResult {
        power,
        kind: "parallel-crt",
        method,
        alpha: spec.alpha,
        distribution: spec.distribution,
        df,
        effect: spec.outcome.effect(),
        se,
        se_null,
        design_effect: Some(de),
        icc: Some(icc),
        sigma2,
        tau2: Some(tau2),
        gamma2: None,
        n_clusters: Some(n_clusters),
        n_periods: None,
        n_total: 2.0 * k * m,
        n_analysed: 2.0 * n_arm,
        notes,
    })
}

/// Variance components of a stepped-wedge design on the individual scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SwVariance {
    /// Within-cluster-period individual variance σ².
    pub sigma2: f64,
    /// Persistent cluster variance τ².
    pub tau2: f64,
    /// Cluster-by-period variance γ².
    pub gamma2: f64,
    /// Random treatment effect variance η².
    pub eta2: f64,
    /// Correlation of the random treatment effect with the cluster effect.
    pub eta_correlation: f64,
}

impl SwVariance {
    fn from_spec(outcome: &Outcome, c: &Clustering) -> Self {
        let sigma2 = outcome.sigma2();
        let (tau2, gamma2) = match c.between {
            Between::Tau(t) => (t * t * c.cac, t * t * (1.0 - c.cac)),
            Between::Icc(r) => {
                let total = r * sigma2 / (1.0 - r);
                (total * c.cac, total * (1.0 - c.cac))
            }
        };
        SwVariance {
            sigma2,
            tau2,
            gamma2,
            eta2: c.eta * c.eta,
            eta_correlation: c.eta_correlation,
        }
    }
}

/// Hussey & Hughes (2007) closed-form Var(θ̂) for a random-intercept model on cluster-period
/// means. `x` has one row per *cluster* (not per sequence); `sigma2_mean` = σ²/n.
pub fn hussey_hughes_variance(x: &[Vec<f64>], sigma2_mean: f64, tau2: f64) -> f64 {
    let i = x.len() as f64;
    let t = x[0].len() as f64;
    let u: f64 = x.iter().flatten().sum();
    let w: f64 = (0..x[0].len())
        .map(|j| x.iter().map(|row| row[j]).sum::<f64>().powi(2))
        .sum();
    let v: f64 = x.iter().map(|row| row.iter().sum::<f64>().powi(2)).sum();
    let s2 = sigma2_mean;
    i * s2 * (s2 + t * tau2) / ((i * u - w) * s2 + (u * u + i * t * u - t * w - i * v) * tau2)
}

/// GLS Var(θ̂) for a stepped-wedge design with fixed period effects, on cluster-period means.
/// `sequences` rows are sequences, each with `clusters_per_sequence` clusters of `n` per period.
pub fn gls_variance(
    sequences: &[Vec<f64>],
    clusters_per_sequence: f64,
    n: f64,
    v: &SwVariance,
) -> Result<f64, DesignError> {
    let t = sequences[0].len();
    let p = t + 1;
    let mut info = DMatrix::<f64>::zeros(p, p);
    let eta = v.eta2.sqrt();
    let tau = v.tau2.sqrt();
    for x in sequences {
        let xv = DVector::from_column_slice(x);
        let mut w = DMatrix::<f64>::from_element(t, t, v.tau2);
        for j in 0..t {
            w[(j, j)] += v.sigma2 / n + v.gamma2;
        }
        w += &xv * xv.transpose() * v.eta2;
        let ones = DVector::<f64>::from_element(t, 1.0);
        w += (&xv * ones.transpose() + &ones * xv.transpose()) * (v.eta_correlation * eta * tau);
        let winv = w
            .clone()
            .cholesky()
            .ok_or_else(|| {
                invalid(
                    "clustering",
                    "cluster-period covariance is not positive definite",
                )
            })?
            .inverse();
        let mut z = DMatrix::<f64>::zeros(t, p);
        for j in 0..t {
            z[(j, j)] = 1.0;
            z[(j, t)] = x[j];
        }
        info += z.transpose() * winv * &z * clusters_per_sequence;
    }
    let info_tt = info[(t, t)];
    let inv = info.try_inverse().ok_or_else(|| {
        DesignError::Unidentified(
            "the treatment effect is not identified separately from the period effects".into(),
        )
    })?;
    let var = inv[(t, t)];
    // var·info_θθ is the variance inflation of θ̂ due to the period effects; an enormous value
    // means the treatment column is (numerically) a combination of period columns.
    if !(var > 0.0 && var.is_finite() && var * info_tt < 1e10) {
        return Err(DesignError::Unidentified(
            "the treatment effect is not identified separately from the period effects".into(),
        ));
    }
    Ok(var)
}

/// Woertman et al. (2013) design effect of a standard stepped-wedge design with `k` steps,
/// `b` baseline periods, `t` periods per step, `n` per cluster-period and ICC ρ:
/// DE = [1 + ρ(ktn + bn − 1)] / [1 + ρ(½ktn + bn − 1)] × 3(1 − ρ) / [2t(k − 1/k)].
pub fn woertman_design_effect(k: f64, b: f64, t: f64, n: f64, rho: f64) -> f64 {
    (1.0 + rho * (k * t * n + b * n - 1.0)) / (1.0 + rho * (0.5 * k * t * n + b * n - 1.0))
        * 3.0
        * (1.0 - rho)
        / (2.0 * t * (k - 1.0 / k))
}

/// If `sequences` is a standard staircase (all sequences start in control, one sequence
/// crosses over every `t` periods after `b` baseline periods, and the last crossing is followed
/// by `t` periods), returns (k, b, t).
pub fn staircase_shape(sequences: &[Vec<f64>]) -> Option<(usize, usize, usize)> {
    let total = sequences[0].len();
    let mut starts = Vec::with_capacity(sequences.len());
    for row in sequences {
        let start = row.iter().position(|&x| x == 1.0)?;
        if row[..start].iter().any(|&x| x != 0.0) || row[start..].iter().any(|&x| x != 1.0) {
            return None;
        }
        starts.push(start);
    }
    starts.sort_unstable();
    let k = starts.len();
    let b = starts[0];
    if b == 0 || k < 2 {
        return None;
    }
    let t = starts[1] - starts[0];
    if t == 0 {
        return None;
    }
    let regular = starts.iter().enumerate().all(|(s, &c)| c == b + s * t);
    (regular && total == b + k * t).then_some((k, b, t))
}

fn stepped_wedge(spec: &DesignSpec) -> Result<PowerResult, DesignError> {
    let Design::SteppedWedge {
        sequences,
        clusters_per_sequence: k,
        cluster_period_size: n,
    } = &spec.design
    else {
        unreachable!("called with a stepped-wedge design")
    };
    let (k, n) = (*k, *n);
    check_count("stepped_wedge.clusters_per_sequence", k)?;
    check_positive("stepped_wedge.cluster_period_size", n)?;
    if sequences.is_empty() || sequences[0].is_empty() {
        return Err(invalid(
            "stepped_wedge.sequences",
            "needs at least one sequence and one period",
        ));
    }
    let periods = sequences[0].len();
    // Published stepped-wedge trials have a few dozen sequences and periods at most; the GLS
    // power is cubic in the periods, so these bounds keep any spec to well under a second.
    if sequences.len() > MAX_SW_SEQUENCES || periods > MAX_SW_PERIODS {
        return Err(invalid(
            "stepped_wedge.sequences",
            format!(
                "at most {MAX_SW_SEQUENCES} sequences and {MAX_SW_PERIODS} periods (this one has {} and {periods})",
                sequences.len()
            ),
        ));
    }
    for (s, row) in sequences.iter().enumerate() {
        if row.len() != periods {
            return Err(invalid(
                "stepped_wedge.sequences",
                format!(
                    "sequence {} has {} periods but sequence 1 has {periods}",
                    s + 1,
                    row.len()
                ),
            ));
        }
        if row.iter().any(|x| !(0.0..=1.0).contains(x)) {
            return Err(invalid(
                "stepped_wedge.sequences",
                "entries must be 0 (control) or 1 (intervention), or a fraction in between",
            ));
        }
    }
    let clustering = spec.clustering.ok_or(DesignError::MissingField {
        field: "clustering",
    })?;
    let v = SwVariance::from_spec(&spec.outcome, &clustering);
    let gls = gls_variance(sequences, k, n, &v)?;
    // The closed form assumes 0/1 exposure; fractional (partial-effect) periods need GLS.
    let binary = sequences.iter().flatten().all(|&x| x == 0.0 || x == 1.0);
    let closed_form = v.gamma2 == 0.0 && v.eta2 == 0.0 && binary;
    let (method, var) = if closed_form {
        let clusters: Vec<Vec<f64>> = sequences
            .iter()
            .flat_map(|row| std::iter::repeat_n(row.clone(), k as usize))
            .collect();
        (
            "hussey-hughes",
            hussey_hughes_variance(&clusters, v.sigma2 / n, v.tau2),
        )
    } else {
        ("gls", gls)
    };
    let se = var.sqrt();
    let icc = (v.tau2 + v.gamma2) / (v.tau2 + v.gamma2 + v.sigma2);
    let design_effect = match (closed_form, staircase_shape(sequences)) {
        (true, Some((steps, b, t))) => Some(woertman_design_effect(
            steps as f64,
            b as f64,
            t as f64,
            n,
            icc,
        )),
        _ => None,
    };
    let n_clusters = k * sequences.len() as f64;
    let mut notes = Vec::new();
    if n_clusters < 20.0 && spec.distribution == TestDistribution::Normal {
        notes.push(
            "normal approximation with fewer than 20 clusters is optimistic (Hussey & Hughes 2007)"
                .into(),
        );
    }
    if design_effect.is_none() {
        notes.push(
            "Woertman design effect not reported: needs a standard staircase with CAC 1 and no \
             random treatment effect"
                .into(),
        );
    }
    let n_total = n_clusters * periods as f64 * n;
    let (power, df) = power_for(spec, se, se, n_clusters - 2.0);
    Ok(PowerResult {
        power,
        kind: "stepped-wedge",
        method,
        alpha: spec.alpha,
        distribution: spec.distribution,
        df,
        effect: spec.outcome.effect(),
        se,
        se_null: se,
        design_effect,
        icc: Some(icc),
        sigma2: v.sigma2,
        tau2: Some(v.tau2),
        gamma2: Some(v.gamma2),
        n_clusters: Some(n_clusters),
        n_periods: Some(periods),
        n_total,
        n_analysed: n_total,
        notes,
    })
}

/// What `solve` searches over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SolveFor {
    /// Clusters per arm (parallel) or per sequence (stepped-wedge).
    Clusters,
    /// Cluster size (parallel) or cluster-period size (stepped-wedge).
    ClusterSize,
    /// Participants per arm (individual designs).
    NPerArm,
}

impl SolveFor {
    fn describe(self, design: &Design) -> &'static str {
        match (self, design) {
            (SolveFor::Clusters, Design::SteppedWedge { .. }) => "clusters per sequence",
            (SolveFor::Clusters, _) => "clusters per arm",
            (SolveFor::ClusterSize, Design::SteppedWedge { .. }) => "cluster-period size",
            (SolveFor::ClusterSize, _) => "cluster size",
            (SolveFor::NPerArm, _) => "participants per arm",
        }
    }
}

/// The smallest whole value reaching the target power, and the power it gives.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Solution {
    /// Name of the solved quantity (e.g. `clusters per arm`).
    pub solved_for: &'static str,
    /// Smallest whole value with power ≥ target.
    pub value: f64,
    /// Requested power.
    pub target_power: f64,
    /// Full power result at `value`.
    pub result: PowerResult,
}

/// Upper bound of the search; a quantity above this is not a practical design.
const SOLVE_MAX: f64 = 10_000_000.0;

fn with_value(spec: &DesignSpec, what: SolveFor, value: f64) -> Result<DesignSpec, DesignError> {
    let mut s = spec.clone();
    match (&mut s.design, what) {
        (Design::Individual { n_per_arm, .. }, SolveFor::NPerArm) => *n_per_arm = value,
        (
            Design::ParallelCrt {
                clusters_per_arm, ..
            },
            SolveFor::Clusters,
        ) => *clusters_per_arm = value,
        (Design::ParallelCrt { cluster_size, .. }, SolveFor::ClusterSize) => *cluster_size = value,
        (
            Design::SteppedWedge {
                clusters_per_sequence,
                ..
            },
            SolveFor::Clusters,
        ) => *clusters_per_sequence = value,
        (
            Design::SteppedWedge {
                cluster_period_size,
                ..
            },
            SolveFor::ClusterSize,
        ) => *cluster_period_size = value,
        _ => {
            return Err(invalid(
                "kind",
                "cannot solve for that quantity in this design (individual: n-per-arm; \
                 parallel-crt and stepped-wedge: clusters or cluster-size)",
            ));
        }
    }
    Ok(s)
}

/// Most sequences (rows) a stepped-wedge design may have.
pub const MAX_SW_SEQUENCES: usize = 1_000;
/// Most periods (columns) a stepped-wedge design may have.
pub const MAX_SW_PERIODS: usize = 200;

/// Finds the smallest whole value of `what` giving at least `target` power. The value of
/// `what` in `spec` is ignored. Power is increasing in each solvable quantity, so an
/// exponential search followed by bisection finds it.
pub fn solve(spec: &DesignSpec, what: SolveFor, target: f64) -> Result<Solution, DesignError> {
    if !(target > 0.0 && target < 1.0) {
        return Err(invalid("target_power", "must be strictly between 0 and 1"));
    }
    let eval = |v: f64| -> Result<PowerResult, DesignError> { power(&with_value(spec, what, v)?) };
    let label = what.describe(&spec.design);
    let mut lo = 0.0; // power(lo) < target, or lo = 0 (not a valid value)
    let mut hi = 1.0;
    loop {
        let r = eval(hi)?;
        if r.power >= target {
            break;
        }
        lo = hi;
        hi *= 2.0;
        if hi > SOLVE_MAX {
            return Err(DesignError::Unreachable {
                what: label,
                target,
                limit: r.power,
            });
        }
    }
    while hi - lo > 1.0 {
        let mid = ((lo + hi) / 2.0).floor();
        if eval(mid)?.power >= target {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(Solution {
        solved_for: label,
        value: hi,
        target_power: target,
        result: eval(hi)?,
    })
}

/// A design specification as written in a spec file (TOML for the CLI, JSON in tests), before
/// validation. Field names are the public spec contract; see `scaleup design power --help`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecFile {
    /// `individual`, `parallel-crt` or `stepped-wedge`.
    pub kind: String,
    /// Two-sided significance level (default 0.05).
    pub alpha: Option<f64>,
    /// `normal` (default) or `t`; see [`TestDistribution`].
    pub distribution: Option<String>,
    /// `[outcome]` table.
    pub outcome: Option<OutcomeFile>,
    /// `[clustering]` table.
    pub clustering: Option<ClusteringFile>,
    /// `[individual]` table.
    pub individual: Option<IndividualFile>,
    /// `[parallel_crt]` table.
    pub parallel_crt: Option<ParallelCrtFile>,
    /// `[stepped_wedge]` table.
    pub stepped_wedge: Option<SteppedWedgeFile>,
}

/// `[outcome]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeFile {
    /// `binary` or `continuous`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Control proportion (binary).
    pub p0: Option<f64>,
    /// Intervention proportion (binary).
    pub p1: Option<f64>,
    /// Mean difference (continuous).
    pub mean_difference: Option<f64>,
    /// Standard deviation (continuous).
    pub sd: Option<f64>,
}

/// `[clustering]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusteringFile {
    /// Between-cluster SD on the outcome scale.
    pub tau: Option<f64>,
    /// Intracluster correlation.
    pub icc: Option<f64>,
    /// Cluster autocorrelation (stepped-wedge; default 1).
    pub cac: Option<f64>,
    /// SD of a random treatment effect (stepped-wedge; default 0).
    pub eta: Option<f64>,
    /// Correlation of the random treatment effect with the cluster effect (default 0).
    pub eta_correlation: Option<f64>,
}

/// `[individual]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndividualFile {
    /// Participants per arm.
    pub n_per_arm: Option<f64>,
    /// Proportion lost to follow-up (default 0).
    pub loss_to_follow_up: Option<f64>,
}

/// `[parallel_crt]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParallelCrtFile {
    /// Clusters per arm.
    pub clusters_per_arm: Option<f64>,
    /// Mean cluster size.
    pub cluster_size: Option<f64>,
    /// Coefficient of variation of cluster sizes (default 0).
    pub cv_cluster_size: Option<f64>,
    /// Proportion lost to follow-up (default 0).
    pub loss_to_follow_up: Option<f64>,
    /// `both` (default) or `intervention`.
    pub clustered_arms: Option<String>,
}

/// `[stepped_wedge]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SteppedWedgeFile {
    /// 0/1 matrix, one row per sequence and one column per period.
    pub sequences: Option<Vec<Vec<f64>>>,
    /// Clusters per sequence.
    pub clusters_per_sequence: Option<f64>,
    /// Participants per cluster per period.
    pub cluster_period_size: Option<f64>,
}

fn required(v: Option<f64>, field: &'static str) -> Result<f64, DesignError> {
    v.ok_or(DesignError::MissingField { field })
}

/// Placeholder for the quantity being solved for, which the spec may omit.
fn solved_or(
    v: Option<f64>,
    field: &'static str,
    solving: Option<SolveFor>,
    this: SolveFor,
) -> Result<f64, DesignError> {
    if solving == Some(this) {
        Ok(v.unwrap_or(1.0))
    } else {
        required(v, field)
    }
}

impl SpecFile {
    /// Converts the file form into a typed spec. `solving` names the quantity that
    /// `sample-size` will search over; that field may then be absent.
    pub fn into_spec(self, solving: Option<SolveFor>) -> Result<DesignSpec, DesignError> {
        let outcome_file = self
            .outcome
            .ok_or(DesignError::MissingField { field: "outcome" })?;
        let outcome = match outcome_file.kind.as_str() {
            "binary" => Outcome::Binary {
                p0: required(outcome_file.p0, "outcome.p0")?,
                p1: required(outcome_file.p1, "outcome.p1")?,
            },
            "continuous" => Outcome::Continuous {
                mean_difference: required(outcome_file.mean_difference, "outcome.mean_difference")?,
                sd: required(outcome_file.sd, "outcome.sd")?,
            },
            _ => {
                return Err(invalid(
                    "outcome.type",
                    "must be \"binary\" or \"continuous\"",
                ));
            }
        };
        let clustering = match self.clustering {
            None => None,
            Some(c) => {
                let between = match (c.tau, c.icc) {
                    (Some(t), None) => Between::Tau(t),
                    (None, Some(r)) => Between::Icc(r),
                    (Some(_), Some(_)) => {
                        return Err(invalid("clustering", "give either tau or icc, not both"));
                    }
                    (None, None) => return Err(invalid("clustering", "needs tau or icc")),
                };
                Some(Clustering {
                    between,
                    cac: c.cac.unwrap_or(1.0),
                    eta: c.eta.unwrap_or(0.0),
                    eta_correlation: c.eta_correlation.unwrap_or(0.0),
                })
            }
        };
        let design = match self.kind.as_str() {
            "individual" => {
                let f = self.individual.ok_or(DesignError::MissingField {
                    field: "individual",
                })?;
                Design::Individual {
                    n_per_arm: solved_or(
                        f.n_per_arm,
                        "individual.n_per_arm",
                        solving,
                        SolveFor::NPerArm,
                    )?,
                    loss_to_follow_up: f.loss_to_follow_up.unwrap_or(0.0),
                }
            }
            "parallel-crt" => {
                let f = self.parallel_crt.ok_or(DesignError::MissingField {
                    field: "parallel_crt",
                })?;
                let clustered_arms = match f.clustered_arms.as_deref() {
                    None | Some("both") => ClusteredArms::Both,
                    Some("intervention") => ClusteredArms::Intervention,
                    Some(_) => {
                        return Err(invalid(
                            "parallel_crt.clustered_arms",
                            "must be \"both\" or \"intervention\"",
                        ));
                    }
                };
                Design::ParallelCrt {
                    clusters_per_arm: solved_or(
                        f.clusters_per_arm,
                        "parallel_crt.clusters_per_arm",
                        solving,
                        SolveFor::Clusters,
                    )?,
                    cluster_size: solved_or(
                        f.cluster_size,
                        "parallel_crt.cluster_size",
                        solving,
                        SolveFor::ClusterSize,
                    )?,
                    cv_cluster_size: f.cv_cluster_size.unwrap_or(0.0),
                    loss_to_follow_up: f.loss_to_follow_up.unwrap_or(0.0),
                    clustered_arms,
                }
            }
            "stepped-wedge" => {
                let f = self.stepped_wedge.ok_or(DesignError::MissingField {
                    field: "stepped_wedge",
                })?;
                Design::SteppedWedge {
                    sequences: f.sequences.ok_or(DesignError::MissingField {
                        field: "stepped_wedge.sequences",
                    })?,
                    clusters_per_sequence: solved_or(
                        f.clusters_per_sequence,
                        "stepped_wedge.clusters_per_sequence",
                        solving,
                        SolveFor::Clusters,
                    )?,
                    cluster_period_size: solved_or(
                        f.cluster_period_size,
                        "stepped_wedge.cluster_period_size",
                        solving,
                        SolveFor::ClusterSize,
                    )?,
                }
            }
            _ => {
                return Err(invalid(
                    "kind",
                    "must be \"individual\", \"parallel-crt\" or \"stepped-wedge\"",
                ));
            }
        };
        let distribution = match self.distribution.as_deref() {
            None | Some("normal") => TestDistribution::Normal,
            Some("t") => TestDistribution::T,
            Some(_) => return Err(invalid("distribution", "must be \"normal\" or \"t\"")),
        };
        Ok(DesignSpec {
            alpha: self.alpha.unwrap_or(0.05),
            distribution,
            outcome,
            clustering,
            design,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) {
        assert!(
            (a - b).abs() <= rel * b.abs().max(1e-300),
            "{a} vs {b} (rel {rel})"
        );
    }

    fn sw_spec(seq: Vec<Vec<f64>>, k: f64, n: f64, clustering: Clustering) -> DesignSpec {
        DesignSpec {
            alpha: 0.05,
            distribution: TestDistribution::Normal,
            outcome: Outcome::Binary {
                p0: 0.05,
                p1: 0.035,
            },
            clustering: Some(clustering),
            design: Design::SteppedWedge {
                sequences: seq,
                clusters_per_sequence: k,
                cluster_period_size: n,
            },
        }
    }

    fn staircase(s: usize) -> Vec<Vec<f64>> {
        (0..s)
            .map(|i| (0..=s).map(|j| if j > i { 1.0 } else { 0.0 }).collect())
            .collect()
    }

    // Design effect arithmetic from the reference notes §9.1: m 20, ρ 0.05 → 1.95; with CV 0.5,
    // 2.20 (Eldridge et al. 2006).
    #[test]
    fn design_effect_arithmetic() {
        let spec = |cv| DesignSpec {
            alpha: 0.05,
            distribution: TestDistribution::Normal,
            outcome: Outcome::Continuous {
                mean_difference: 1.0,
                sd: 5.0,
            },
            clustering: Some(Clustering::icc(0.05)),
            design: Design::ParallelCrt {
                clusters_per_arm: 10.0,
                cluster_size: 20.0,
                cv_cluster_size: cv,
                loss_to_follow_up: 0.0,
                clustered_arms: ClusteredArms::Both,
            },
        };
        close(
            power(&spec(0.0)).unwrap().design_effect.unwrap(),
            1.95,
            1e-12,
        );
        close(
            power(&spec(0.5)).unwrap().design_effect.unwrap(),
            2.20,
            1e-12,
        );
    }

    // With γ = η = 0 the GLS variance equals the Hussey & Hughes closed form.
    #[test]
    fn gls_equals_closed_form() {
        let v = SwVariance {
            sigma2: 0.0425 * (1.0 - 0.0425),
            tau2: 0.01f64.powi(2),
            gamma2: 0.0,
            eta2: 0.0,
            eta_correlation: 0.0,
        };
        let seq = staircase(4);
        let gls = gls_variance(&seq, 6.0, 120.0, &v).unwrap();
        let clusters: Vec<Vec<f64>> = seq
            .iter()
            .flat_map(|r| std::iter::repeat_n(r.clone(), 6))
            .collect();
        close(
            gls,
            hussey_hughes_variance(&clusters, v.sigma2 / 120.0, v.tau2),
            1e-10,
        );
    }

    // Identity (reference notes §9.2): Var_HH = DE_W · 4σ²_total / (I·n) for standard designs.
    #[test]
    fn woertman_identity() {
        for (s, k, n, icc) in [
            (4usize, 6.0, 120.0, 0.05),
            (3, 2.0, 10.0, 0.1),
            (6, 1.0, 25.0, 0.01),
        ] {
            let r = power(&sw_spec(staircase(s), k, n, Clustering::icc(icc))).unwrap();
            let total = r.sigma2 + r.tau2.unwrap();
            let clusters = s as f64 * k;
            close(
                r.se.powi(2),
                r.design_effect.unwrap() * 4.0 * total / (clusters * n),
                1e-10,
            );
        }
    }

    #[test]
    fn staircase_detection() {
        assert_eq!(staircase_shape(&staircase(4)), Some((4, 1, 1)));
        let two_per_step = vec![
            vec![0.0, 0.0, 1.0, 1.0, 1.0, 1.0],
            vec![0.0, 0.0, 0.0, 0.0, 1.0, 1.0],
        ];
        assert_eq!(staircase_shape(&two_per_step), Some((2, 2, 2)));
        let short_tail = vec![vec![0.0, 1.0, 1.0, 1.0], vec![0.0, 0.0, 0.0, 1.0]];
        assert_eq!(staircase_shape(&short_tail), None); // last step not followed by t = 2
        let ok = vec![vec![0.0, 1.0, 1.0, 1.0, 1.0], vec![0.0, 0.0, 0.0, 1.0, 1.0]];
        assert_eq!(staircase_shape(&ok), Some((2, 1, 2)));
        assert_eq!(staircase_shape(&[vec![1.0, 0.0, 1.0]]), None);
    }

    #[test]
    fn solve_is_minimal() {
        let spec = DesignSpec {
            alpha: 0.05,
            distribution: TestDistribution::Normal,
            outcome: Outcome::Continuous {
                mean_difference: 0.5,
                sd: 1.0,
            },
            clustering: None,
            design: Design::Individual {
                n_per_arm: 0.0,
                loss_to_follow_up: 0.0,
            },
        };
        let s = solve(&spec, SolveFor::NPerArm, 0.8).unwrap();
        // 2(z₀.₉₇₅ + z₀.₈)²/d² = 62.79 → 63 per arm for d = 0.5 at 80 % (normal approximation;
        // the t-based answer is 64).
        assert_eq!(s.value, 63.0);
        assert!(s.result.power >= 0.8);
        let below = power(&with_value(&spec, SolveFor::NPerArm, 62.0).unwrap()).unwrap();
        assert!(below.power < 0.8);
    }

    #[test]
    fn unreachable_cluster_size() {
        let spec = DesignSpec {
            alpha: 0.05,
            distribution: TestDistribution::Normal,
            outcome: Outcome::Continuous {
                mean_difference: 0.2,
                sd: 1.0,
            },
            clustering: Some(Clustering::icc(0.2)),
            design: Design::ParallelCrt {
                clusters_per_arm: 5.0,
                cluster_size: 1.0,
                cv_cluster_size: 0.0,
                loss_to_follow_up: 0.0,
                clustered_arms: ClusteredArms::Both,
            },
        };
        let err = solve(&spec, SolveFor::ClusterSize, 0.9).unwrap_err();
        assert!(matches!(err, DesignError::Unreachable { .. }), "{err}");
    }

    #[test]
    fn field_errors_name_the_field() {
        let mut spec = sw_spec(staircase(3), 2.0, 10.0, Clustering::icc(0.05));
        spec.outcome = Outcome::Binary { p0: 1.2, p1: 0.3 };
        assert_eq!(
            power(&spec).unwrap_err().to_string().split(':').next(),
            Some("outcome.p0")
        );
        let spec = sw_spec(
            vec![vec![0.0, 1.0], vec![0.0]],
            2.0,
            10.0,
            Clustering::icc(0.05),
        );
        assert!(
            power(&spec)
                .unwrap_err()
                .to_string()
                .starts_with("stepped_wedge.sequences")
        );
        // All sequences identical: treatment confounded with period.
        let spec = sw_spec(
            vec![vec![0.0, 1.0], vec![0.0, 1.0]],
            2.0,
            10.0,
            Clustering::icc(0.05),
        );
        assert!(matches!(
            power(&spec).unwrap_err(),
            DesignError::Unidentified(_)
        ));
    }
}
