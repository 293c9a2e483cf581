//! Generalised estimating equations (Liang & Zeger 1986) for clustered data: gaussian
//! (identity link) and binomial (logit link) families, independence and exchangeable working
//! correlation, robust (sandwich), naive and Mancl–DeRouen bias-corrected standard errors.
//!
//! Conventions follow R geepack 1.3 (`geeglm`), against which the tests check:
//! - The scale is estimated for both families as φ = Σ r²/N with Pearson residuals
//!   r = (y − μ)/√V(μ): geepack neither fixes φ = 1 for the binomial nor subtracts p
//!   (statsmodels divides by N − p unless `ddof_scale=0`).
//! - Exchangeable α is the moment estimator α = Σᵢ Σ_{j<k} r_ij r_ik / (φ·Σᵢ nᵢ(nᵢ − 1)/2),
//!   again without the "− p" that statsmodels subtracts from the number of pairs.
//!   Both conventions were established against geepack output (agreement ~1e-10).
//! - Naive covariance φ·B⁻¹ and robust covariance B⁻¹MB⁻¹ with B = Σ DᵢᵀVᵢ⁻¹Dᵢ and
//!   M = Σ DᵢᵀVᵢ⁻¹rᵢrᵢᵀVᵢ⁻¹Dᵢ.
//! - Clusters are the distinct values of the group column wherever the rows are; geepack
//!   instead takes each *contiguous run* of an id as a cluster, so the two agree on data sorted
//!   by cluster (the usual layout).
//! - Wald z tests with normal p-values (geepack reports the same p-values as Wald χ²₁).
//!
//! Mancl & DeRouen (2001) replace rᵢ by (I − Hᵢ)⁻¹rᵢ in M, with Hᵢ = DᵢB⁻¹DᵢᵀVᵢ⁻¹; this is
//! statsmodels' `cov_type="bias_reduced"` (geepack has no such option).
//!
//! Estimation starts from the independence GLM fit (IRLS) and iterates Fisher scoring on β with
//! φ and α re-estimated from the current β at every step, until max|Δβ| ≤ 1e-10·(1 + max|β|).

use nalgebra::{DMatrix, DVector};
use serde::Serialize;

use crate::frame::Matrix;
use crate::prob::norm_two_sided_p;

/// Errors from GEE fitting.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeeError {
    /// Fewer observations than coefficients, or no groups.
    #[error("too few observations ({n}) for {p} coefficients")]
    TooFewObservations {
        /// Observations.
        n: usize,
        /// Coefficients.
        p: usize,
    },
    /// The design matrix does not have full column rank.
    #[error("the fixed-effects design is rank deficient (collinear terms: check {0})")]
    RankDeficient(String),
    /// A binomial response outside [0, 1].
    #[error("binomial response must be 0 or 1 (a proportion in [0, 1]); row {0} is not")]
    BadBinomialResponse(usize),
    /// The estimated exchangeable correlation makes a working correlation matrix singular.
    #[error(
        "estimated exchangeable correlation {alpha:.4} is not valid for a cluster of size {size}"
    )]
    InvalidCorrelation {
        /// Estimated α.
        alpha: f64,
        /// Size of the offending cluster.
        size: usize,
    },
    /// Fewer than two clusters: the sandwich estimator needs several.
    #[error("GEE needs at least 2 clusters, the group column has {0}")]
    TooFewClusters(usize),
    /// A linear system was numerically singular during the iterations.
    #[error("the estimating equations became singular (e.g. complete separation)")]
    Singular,
    /// Lengths of inputs disagree.
    #[error("input lengths differ: {0}")]
    Shape(String),
}

/// Distribution family and its canonical link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// Normal, identity link, V(μ) = 1.
    Gaussian,
    /// Bernoulli, logit link, V(μ) = μ(1 − μ).
    Binomial,
}

/// Working correlation structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WorkingCorrelation {
    /// R = I.
    Independence,
    /// R = (1 − α)I + αJ.
    Exchangeable,
}

/// Which standard error `std_error`, `z` and `p_value` use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SmallSample {
    /// Robust sandwich.
    #[default]
    None,
    /// Mancl–DeRouen bias-corrected sandwich.
    ManclDerouen,
}

/// One coefficient of a GEE fit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GeeCoefficient {
    /// Column name of the design matrix.
    pub term: String,
    /// Estimate.
    pub estimate: f64,
    /// SE used for inference: robust, or Mancl–DeRouen if requested.
    pub std_error: f64,
    /// Robust sandwich SE.
    pub robust_se: f64,
    /// Model-based (naive) SE.
    pub naive_se: f64,
    /// Mancl–DeRouen SE (only when requested).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mancl_derouen_se: Option<f64>,
    /// estimate / std_error.
    pub z: f64,
    /// Two-sided normal p-value.
    pub p_value: f64,
}

/// A fitted GEE model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GeeFit {
    /// Family.
    pub family: Family,
    /// Working correlation.
    pub corr: WorkingCorrelation,
    /// SE convention used for inference.
    pub small_sample: SmallSample,
    /// Observations used.
    pub n_obs: usize,
    /// Clusters.
    pub n_groups: usize,
    /// Coefficients in design-matrix order.
    pub coefficients: Vec<GeeCoefficient>,
    /// Exchangeable α (null for independence).
    pub working_correlation: Option<f64>,
    /// Scale φ.
    pub scale: f64,
    /// Robust covariance matrix of the estimates (or Mancl–DeRouen if requested).
    pub vcov: Vec<Vec<f64>>,
    /// Whether the iterations met the tolerance.
    pub converged: bool,
    /// GEE iterations after the GLM start.
    pub iterations: usize,
}

const TOL: f64 = 1e-10;
const MAXIT: usize = 200;

struct Cluster {
    rows: Vec<usize>,
}

/// Per-row mean, dμ/dη and variance function.
fn moments(family: Family, eta: f64) -> (f64, f64, f64) {
    match family {
        Family::Gaussian => (eta, 1.0, 1.0),
        Family::Binomial => {
            let mu = 1.0 / (1.0 + (-eta).exp());
            let v = mu * (1.0 - mu);
            (mu, v, v)
        }
    }
}

fn linear_predictor(x: &Matrix, beta: &DVector<f64>) -> Vec<f64> {
    let mut eta = vec![0.0; x.nrows()];
    for j in 0..x.ncols() {
        let b = beta[j];
        for (e, xv) in eta.iter_mut().zip(x.col(j)) {
            *e += b * xv;
        }
    }
    eta
}

/// Standardised design rows ã = (dμ/dη/√V)·x (row-major, n × p) and residuals
/// e = (y − μ)/√V.
struct Standardised {
    a: Vec<f64>,
    p: usize,
    e: Vec<f64>,
}

impl Standardised {
    fn row(&self, i: usize) -> &[f64] {
        &self.a[i * self.p..(i + 1) * self.p]
    }
}

fn standardise(family: Family, x: &Matrix, y: &[f64], beta: &DVector<f64>) -> Standardised {
    let n = x.nrows();
    let p = x.ncols();
    let eta = linear_predictor(x, beta);
    let mut a = vec![0.0; n * p];
    let mut e = vec![0.0; n];
    let mut scale = vec![0.0; n];
    for i in 0..n {
        let (mu, dmu, v) = moments(family, eta[i]);
        let sd = v.sqrt();
        e[i] = (y[i] - mu) / sd;
        scale[i] = dmu / sd;
    }
    for j in 0..p {
        for (i, xv) in x.col(j).iter().enumerate() {
            a[i * p + j] = scale[i] * xv;
        }
    }
    Standardised { a, p, e }
}

/// φ and α from standardised residuals.
fn scale_and_alpha(e: &[f64], clusters: &[Cluster], corr: WorkingCorrelation) -> (f64, f64) {
    let n = e.len();
    let phi = e.iter().map(|r| r * r).sum::<f64>() / n as f64;
    let alpha = match corr {
        WorkingCorrelation::Independence => 0.0,
        WorkingCorrelation::Exchangeable => {
            let mut cross = 0.0;
            let mut pairs = 0.0;
            for c in clusters {
                let s: f64 = c.rows.iter().map(|&i| e[i]).sum();
                let ss: f64 = c.rows.iter().map(|&i| e[i] * e[i]).sum();
                cross += (s * s - ss) / 2.0;
                let m = c.rows.len() as f64;
                pairs += m * (m - 1.0) / 2.0;
            }
            cross / (phi * pairs)
        }
    };
    (phi, alpha)
}

/// R⁻¹ = c(I − dJ) for an exchangeable cluster of size m.
fn exch_inverse(alpha: f64, m: usize) -> Result<(f64, f64), GeeError> {
    let denom = 1.0 + (m as f64 - 1.0) * alpha;
    if m > 1 && (alpha >= 1.0 || denom <= 0.0) {
        return Err(GeeError::InvalidCorrelation { alpha, size: m });
    }
    Ok((1.0 / (1.0 - alpha), alpha / denom))
}

/// Per-cluster pieces of the estimating equations (all without φ).
struct Pieces {
    /// B = Σ ÃᵢᵀRᵢ⁻¹Ãᵢ.
    bread: DMatrix<f64>,
    /// Uᵢ = ÃᵢᵀRᵢ⁻¹eᵢ per cluster.
    scores: Vec<DVector<f64>>,
    /// Cᵢ = ÃᵢᵀRᵢ⁻¹Ãᵢ per cluster (kept only for Mancl–DeRouen).
    blocks: Vec<DMatrix<f64>>,
}

/// Accumulates B and the scores with R⁻¹ = c(I − dJ), in O(nᵢp²) per cluster.
fn bread_and_scores(
    s: &Standardised,
    clusters: &[Cluster],
    alpha: f64,
    keep_blocks: bool,
) -> Result<Pieces, GeeError> {
    let p = s.p;
    let mut bread = DMatrix::<f64>::zeros(p, p);
    let mut scores = Vec::with_capacity(clusters.len());
    let mut blocks = Vec::new();
    let mut ata = vec![0.0; p * p];
    let mut sum_a = vec![0.0; p];
    let mut ate = vec![0.0; p];
    for c in clusters {
        let (cc, d) = exch_inverse(alpha, c.rows.len())?;
        ata.fill(0.0);
        sum_a.fill(0.0);
        ate.fill(0.0);
        let mut sum_e = 0.0;
        for &i in &c.rows {
            let row = s.row(i);
            let ei = s.e[i];
            for j in 0..p {
                let rj = row[j];
                sum_a[j] += rj;
                ate[j] += ei * rj;
                for k in 0..=j {
                    ata[j * p + k] += rj * row[k];
                }
            }
            sum_e += ei;
        }
        let block = DMatrix::from_fn(p, p, |j, k| {
            let (hi, lo) = if j >= k { (j, k) } else { (k, j) };
            cc * (ata[hi * p + lo] - d * sum_a[hi] * sum_a[lo])
        });
        bread += &block;
        scores.push(DVector::from_fn(p, |j, _| {
            cc * (ate[j] - d * sum_e * sum_a[j])
        }));
        if keep_blocks {
            blocks.push(block);
        }
    }
    Ok(Pieces {
        bread,
        scores,
        blocks,
    })
}

fn spd_inverse(m: &DMatrix<f64>) -> Result<DMatrix<f64>, GeeError> {
    m.clone()
        .cholesky()
        .map(|c| c.inverse())
        .ok_or(GeeError::Singular)
}

/// Fits an independence GLM by IRLS: the starting values (as geepack's `glm` start).
fn glm_start(family: Family, x: &Matrix, y: &[f64]) -> Result<DVector<f64>, GeeError> {
    let p = x.ncols();
    let mut beta = DVector::<f64>::zeros(p);
    if family == Family::Gaussian {
        // One weighted least squares step from zero is the OLS solution.
        let s = standardise(family, x, y, &beta);
        let n = y.len();
        let a = DMatrix::from_row_slice(n, p, &s.a);
        let xtx = a.transpose() * &a;
        let xte = a.transpose() * DVector::from_column_slice(&s.e);
        return Ok(spd_inverse(&xtx)? * xte);
    }
    // R's binomial mustart: (y + 0.5)/2, i.e. start from a working response on that mean.
    let n = x.nrows();
    let mut eta: Vec<f64> = y
        .iter()
        .map(|&yi| {
            let m = (yi + 0.5) / 2.0;
            (m / (1.0 - m)).ln()
        })
        .collect();
    for _ in 0..100 {
        let mut xtwx = DMatrix::<f64>::zeros(p, p);
        let mut xtwz = DVector::<f64>::zeros(p);
        for i in 0..n {
            let (mu, dmu, v) = moments(family, eta[i]);
            let w = dmu * dmu / v;
            let z = eta[i] + (y[i] - mu) / dmu;
            let row = DVector::from_iterator(p, (0..p).map(|j| x.get(i, j)));
            xtwx.ger(w, &row, &row, 1.0);
            xtwz.axpy(w * z, &row, 1.0);
        }
        let next = spd_inverse(&xtwx)? * xtwz;
        let change = (&next - &beta).amax();
        beta = next;
        eta = linear_predictor(x, &beta);
        if change <= TOL * (1.0 + beta.amax()) {
            break;
        }
    }
    Ok(beta)
}

/// Checks full column rank through the eigenvalues of the column-scaled cross-product.
fn check_rank(x: &Matrix, names: &[String]) -> Result<(), GeeError> {
    let p = x.ncols();
    let mut xtx = DMatrix::<f64>::zeros(p, p);
    for j in 0..p {
        for k in 0..=j {
            let v: f64 = x.col(j).iter().zip(x.col(k)).map(|(a, b)| a * b).sum();
            xtx[(j, k)] = v;
            xtx[(k, j)] = v;
        }
    }
    let d: Vec<f64> = (0..p).map(|j| xtx[(j, j)].sqrt()).collect();
    if let Some(j) = d.iter().position(|&v| v == 0.0) {
        return Err(GeeError::RankDeficient(names[j].clone()));
    }
    for j in 0..p {
        for k in 0..p {
            xtx[(j, k)] /= d[j] * d[k];
        }
    }
    let eig = xtx.symmetric_eigen();
    let (imin, min) = eig
        .eigenvalues
        .iter()
        .copied()
        .enumerate()
        .fold((0, f64::INFINITY), |a, b| if b.1 < a.1 { b } else { a });
    if min < 1e-10 * eig.eigenvalues.amax() {
        // Name the terms that carry the near-null direction.
        let v = eig.eigenvectors.column(imin);
        let terms: Vec<&str> = (0..p)
            .filter(|&j| v[j].abs() > 0.1)
            .map(|j| names[j].as_str())
            .collect();
        return Err(GeeError::RankDeficient(terms.join(", ")));
    }
    Ok(())
}

/// Fits a GEE. `x` is the n × p design with column names `names`; `groups` gives each row's
/// cluster code (any values, any order).
pub fn fit_gee(
    y: &[f64],
    x: &Matrix,
    names: &[String],
    groups: &[u32],
    family: Family,
    corr: WorkingCorrelation,
    small_sample: SmallSample,
) -> Result<GeeFit, GeeError> {
    let n = y.len();
    let p = x.ncols();
    if x.nrows() != n || groups.len() != n || names.len() != p {
        return Err(GeeError::Shape(format!(
            "y {n}, x {}×{p}, groups {}, names {}",
            x.nrows(),
            groups.len(),
            names.len()
        )));
    }
    if n <= p {
        return Err(GeeError::TooFewObservations { n, p });
    }
    if family == Family::Binomial
        && let Some(i) = y.iter().position(|v| !(0.0..=1.0).contains(v))
    {
        return Err(GeeError::BadBinomialResponse(i));
    }
    check_rank(x, names)?;
    // Clusters in order of first appearance.
    let mut index = std::collections::HashMap::new();
    let mut clusters: Vec<Cluster> = Vec::new();
    for (i, g) in groups.iter().enumerate() {
        let k = *index.entry(*g).or_insert_with(|| {
            clusters.push(Cluster { rows: Vec::new() });
            clusters.len() - 1
        });
        clusters[k].rows.push(i);
    }
    if clusters.len() < 2 {
        return Err(GeeError::TooFewClusters(clusters.len()));
    }

    let mut beta = glm_start(family, x, y)?;
    let mut converged = false;
    let mut iterations = 0;
    for it in 1..=MAXIT {
        iterations = it;
        let s = standardise(family, x, y, &beta);
        let (_, alpha) = scale_and_alpha(&s.e, &clusters, corr);
        let pieces = bread_and_scores(&s, &clusters, alpha, false)?;
        let u = pieces
            .scores
            .iter()
            .fold(DVector::<f64>::zeros(p), |acc, s| acc + s);
        let delta = spd_inverse(&pieces.bread)? * u;
        beta += &delta;
        if !beta.iter().all(|v| v.is_finite()) {
            return Err(GeeError::Singular);
        }
        if delta.amax() <= TOL * (1.0 + beta.amax()) {
            converged = true;
            break;
        }
    }

    // Final φ, α and covariances at the converged β.
    let s = standardise(family, x, y, &beta);
    let (phi, alpha) = scale_and_alpha(&s.e, &clusters, corr);
    let pieces = bread_and_scores(
        &s,
        &clusters,
        alpha,
        small_sample == SmallSample::ManclDerouen,
    )?;
    let binv = spd_inverse(&pieces.bread)?;
    let mut meat = DMatrix::<f64>::zeros(p, p);
    for u in &pieces.scores {
        meat.ger(1.0, u, u, 1.0);
    }
    let robust = &binv * meat * &binv;
    let naive = &binv * phi;
    let md = match small_sample {
        SmallSample::None => None,
        SmallSample::ManclDerouen => Some(mancl_derouen(&pieces, &binv)?),
    };
    let used = md.as_ref().unwrap_or(&robust);
    let coefficients = (0..p)
        .map(|j| {
            let std_error = used[(j, j)].sqrt();
            let z = beta[j] / std_error;
            GeeCoefficient {
                term: names[j].clone(),
                estimate: beta[j],
                std_error,
                robust_se: robust[(j, j)].sqrt(),
                naive_se: naive[(j, j)].sqrt(),
                mancl_derouen_se: md.as_ref().map(|m| m[(j, j)].sqrt()),
                z,
                p_value: norm_two_sided_p(z),
            }
        })
        .collect();
    Ok(GeeFit {
        family,
        corr,
        small_sample,
        n_obs: n,
        n_groups: clusters.len(),
        coefficients,
        working_correlation: (corr == WorkingCorrelation::Exchangeable).then_some(alpha),
        scale: phi,
        vcov: (0..p)
            .map(|j| (0..p).map(|k| used[(j, k)]).collect())
            .collect(),
        converged,
        iterations,
    })
}

/// Mancl–DeRouen covariance. The corrected score is Uᵢ* = ÃᵢᵀRᵢ⁻¹(I − Gᵢ)⁻¹eᵢ with
/// Gᵢ = ÃᵢB⁻¹ÃᵢᵀRᵢ⁻¹ (the standardised form of Hᵢ = DᵢB⁻¹DᵢᵀVᵢ⁻¹; φ cancels). By the
/// Woodbury identity (I − ÃB⁻¹ÃᵀR⁻¹)⁻¹ = I + Ã(I − B⁻¹C)⁻¹B⁻¹ÃᵀR⁻¹ with C = ÃᵀR⁻¹Ã, so
/// Uᵢ* = Uᵢ + Cᵢ(I − B⁻¹Cᵢ)⁻¹B⁻¹Uᵢ: p × p work per cluster instead of nᵢ × nᵢ.
fn mancl_derouen(pieces: &Pieces, binv: &DMatrix<f64>) -> Result<DMatrix<f64>, GeeError> {
    let p = binv.nrows();
    let mut meat = DMatrix::<f64>::zeros(p, p);
    for (u, c) in pieces.scores.iter().zip(&pieces.blocks) {
        let m = DMatrix::<f64>::identity(p, p) - binv * c;
        let inner = m.lu().solve(&(binv * u)).ok_or(GeeError::Singular)?;
        let adj = u + c * inner;
        meat.ger(1.0, &adj, &adj, 1.0);
    }
    Ok(binv * meat * binv)
}

#[cfg(test)]
mod tests {
    use super::*;

    // With one observation per cluster and a gaussian family, GEE is OLS and the robust
    // covariance is HC0: (XᵀX)⁻¹ Xᵀ diag(e²) X (XᵀX)⁻¹. Hand check on y = (1, 2, 4), x = (0, 1, 2):
    // slope 1.5, intercept 5/6, residuals (1/6, −1/3, 1/6).
    #[test]
    fn independent_rows_reduce_to_ols_hc0() {
        let x = Matrix::from_column_major(3, 2, vec![1.0, 1.0, 1.0, 0.0, 1.0, 2.0]);
        let names = vec!["(Intercept)".to_string(), "x".to_string()];
        let fit = fit_gee(
            &[1.0, 2.0, 4.0],
            &x,
            &names,
            &[0, 1, 2],
            Family::Gaussian,
            WorkingCorrelation::Independence,
            SmallSample::None,
        )
        .unwrap();
        assert!((fit.coefficients[1].estimate - 1.5).abs() < 1e-12);
        assert!((fit.coefficients[0].estimate - 5.0 / 6.0).abs() < 1e-12);
        // HC0 slope variance: Σ (x_i − x̄)² e_i² / (Σ (x_i − x̄)²)² = (1/36 + 0 + 1/36)/4 = 1/72.
        assert!((fit.coefficients[1].robust_se - (1.0f64 / 72.0).sqrt()).abs() < 1e-12);
        // φ = RSS/n (geepack) = (1/36 + 1/9 + 1/36)/3 = 1/18; naive slope var = φ/Sxx = 1/36.
        assert!((fit.scale - 1.0 / 18.0).abs() < 1e-12);
        assert!((fit.coefficients[1].naive_se - 1.0 / 6.0).abs() < 1e-12);
    }

    #[test]
    fn one_cluster_is_an_error() {
        let x = Matrix::from_column_major(3, 1, vec![1.0, 1.0, 1.0]);
        let err = fit_gee(
            &[1.0, 2.0, 4.0],
            &x,
            &["(Intercept)".to_string()],
            &[7, 7, 7],
            Family::Gaussian,
            WorkingCorrelation::Exchangeable,
            SmallSample::None,
        )
        .unwrap_err();
        assert_eq!(err, GeeError::TooFewClusters(1));
    }

    #[test]
    fn collinear_design_is_an_error() {
        let x = Matrix::from_column_major(
            4,
            3,
            vec![1.0, 1.0, 1.0, 1.0, 0.0, 1.0, 2.0, 3.0, 0.0, 2.0, 4.0, 6.0],
        );
        let names: Vec<String> = ["(Intercept)", "a", "b"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let err = fit_gee(
            &[1.0, 2.0, 3.0, 5.0],
            &x,
            &names,
            &[0, 0, 1, 1],
            Family::Gaussian,
            WorkingCorrelation::Exchangeable,
            SmallSample::None,
        )
        .unwrap_err();
        assert!(
            matches!(err, GeeError::RankDeficient(ref t) if t.contains('a') && t.contains('b'))
        );
    }
}
