//! Linear mixed models fitted by the profiled deviance of Bates, Mächler, Bolker & Walker
//! (2015), "Fitting Linear Mixed-Effects Models Using lme4", J Stat Softw 67(1), §3.
//!
//! Model: `y = Xβ + Zb + ε`, `b = Λθ u`, `u ~ N(0, σ²I)`, `ε ~ N(0, σ²I)`. For a given θ the
//! penalised least-squares system in `(u, β)` is solved through the Cholesky factor of
//! `[Λ'Z'ZΛ + I, Λ'Z'X, Λ'Z'y; ·, X'X, X'y; ·, ·, y'y]`; its diagonal gives `log|L_θ|²`,
//! `log|R_X|²` and the penalised residual sum of squares `r²(θ)` (the last pivot squared), so
//!
//! - ML deviance: `log|L_θ|² + n (1 + log(2π r²/n))` (eq. 34),
//! - REML criterion: `log|L_θ|² + log|R_X|² + (n−p)(1 + log(2π r²/(n−p)))` (eq. 41),
//!
//! minimised over θ with lower bound 0 on the diagonal of each relative covariance factor.
//!
//! Structure exploited for speed: random-effect terms are ordered by decreasing number of
//! levels (as lme4's `mkReTrms`). The first term's block of `Λ'Z'ZΛ + I` is block diagonal (one
//! `q×q` block per level), so it is eliminated group by group from per-group sufficient
//! statistics (`Z_i'Z_i`, `Z_i'X_i`, `Z_i'y_i`, and the sparse `Z_i'Z_rest`) accumulated in one
//! pass over the data; the remaining terms, `X` and `y` form a dense Schur complement of size
//! `q_rest + p + 1`. Each deviance evaluation therefore costs `O(m q³ + (q_rest + p)³)`,
//! independent of the number of observations. A model with one grouping factor (the common
//! case) has `q_rest = 0`. The Schur complement is factorised by a row-wise Cholesky that skips
//! structural zeros, so nested designs (where it stays nearly block diagonal) are cheap; crossed
//! designs with many levels in a later term pay the dense cost. Above [`MAX_DENSE`] columns the
//! fit is refused with [`LmmError::TooLarge`] rather than running for hours.
//!
//! Optimisation: Nelder–Mead on the bounded θ, then a projected Newton polish, and boundary
//! solutions are challenged by scanning interior values (see [`crate::optim::minimize`]).
//!
//! Inference: standard errors from `σ² (R_X'R_X)⁻¹`; Satterthwaite degrees of freedom as in
//! lmerTest (Kuznetsova, Brockhoff & Christensen 2017, J Stat Softw 82(13)): the asymptotic
//! covariance of `(θ, σ)` is twice the inverse Hessian of the unprofiled deviance, and the
//! gradient of `Var(β_j)` in `(θ, σ)` comes from Richardson-extrapolated differences.

use std::collections::HashMap;

use crate::dist::t_two_sided_p;
use crate::frame::ModelFrame;
use crate::linalg::{
    backward_solve_t, chol_inverse, cholesky_in_place, cholesky_skip_zeros, forward_solve,
    forward_solve_cm_skip, sym_eigen,
};
use crate::optim::minimize;

/// Largest dense Schur complement (random effects beyond the first term, plus `p + 1`).
/// The factorisation skips structural zeros, so nested designs stay cheap; a fully crossed
/// design at this size costs about 9 GFlop per evaluation, and memory is three `d × d` buffers.
pub const MAX_DENSE: usize = 3000;

/// Estimation method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// Restricted maximum likelihood (lme4's default).
    #[default]
    Reml,
    /// Maximum likelihood.
    Ml,
}

impl Method {
    /// `"REML"` or `"ML"`.
    pub fn label(self) -> &'static str {
        match self {
            Method::Reml => "REML",
            Method::Ml => "ML",
        }
    }
}

/// Fitting options.
#[derive(Debug, Clone)]
pub struct LmmOptions {
    /// REML or ML.
    pub method: Method,
    /// Limit on deviance evaluations in the optimiser.
    pub max_evals: usize,
    /// Whether to compute Satterthwaite degrees of freedom and p-values.
    pub satterthwaite: bool,
}

impl Default for LmmOptions {
    fn default() -> Self {
        LmmOptions {
            method: Method::Reml,
            max_evals: 100_000,
            satterthwaite: true,
        }
    }
}

/// Why a model could not be fitted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LmmError {
    /// The formula has no random-effects term.
    #[error("the formula has no random-effects term such as `(1 | group)`")]
    NoRandomEffects,
    /// Fixed-effect columns are collinear (or constant zero).
    #[error(
        "the fixed-effects design is rank deficient: column(s) {} are linear combinations of earlier columns",
        .columns.join(", ")
    )]
    RankDeficient {
        /// The redundant columns.
        columns: Vec<String>,
    },
    /// A grouping factor has a single level.
    #[error("grouping factor `{group}` has only one level; it needs at least two")]
    SingleLevel {
        /// The grouping factor.
        group: String,
    },
    /// A term has as many random effects as observations (an LMM; unidentifiable, confounded
    /// with the residual) or more (a GLMM).
    #[error(
        "term for `{group}` has {effects} random effects for {n_obs} observations; the variance components are not identifiable"
    )]
    TooManyRandomEffects {
        /// The grouping factor.
        group: String,
        /// Levels × effects per level.
        effects: usize,
        /// Observations.
        n_obs: usize,
    },
    /// Fewer observations than fixed effects plus one.
    #[error("{n_obs} observations are too few for {p} fixed effects")]
    TooFewObservations {
        /// Observations.
        n_obs: usize,
        /// Fixed effects.
        p: usize,
    },
    /// Non-finite data or a degenerate (perfect) fit.
    #[error("cannot fit: {0}")]
    Degenerate(String),
    /// The response is `cbind(successes, failures)`, which only the binomial GLMM takes.
    #[error(
        "the response `{0}` is binomial counts; a linear mixed model takes one numeric column (fit counts with the binomial GLMM)"
    )]
    CountsResponse(String),
    /// The dense part of the random-effects structure is too large for this implementation.
    #[error(
        "random-effects structure too large: {size} random effects outside the first term (limit {MAX_DENSE})"
    )]
    TooLarge {
        /// Random effects outside the first term.
        size: usize,
    },
}

/// One fixed effect.
#[derive(Debug, Clone, PartialEq)]
pub struct FixedEffect {
    /// Column name, R style.
    pub term: String,
    /// Estimate.
    pub estimate: f64,
    /// Standard error.
    pub std_error: f64,
    /// Satterthwaite degrees of freedom (NaN when not computed).
    pub df: f64,
    /// `estimate / std_error`.
    pub t_value: f64,
    /// Two-sided p-value on `df` degrees of freedom (NaN when not computed).
    pub p_value: f64,
}

/// One random-effects term with its estimated covariance and predictions.
#[derive(Debug, Clone, PartialEq)]
pub struct RandomComponent {
    /// Grouping factor.
    pub group: String,
    /// Effect names, e.g. `["(Intercept)", "x"]`.
    pub terms: Vec<String>,
    /// Covariance matrix of the effects (`σ² T T'`).
    pub covariance: Vec<Vec<f64>>,
    /// Level labels of the grouping factor.
    pub levels: Vec<String>,
    /// BLUPs (conditional modes) per level, one value per effect.
    pub blups: Vec<Vec<f64>>,
    /// Conditional covariance of the BLUPs per level (lme4's `condVar`).
    pub cond_var: Vec<Vec<Vec<f64>>>,
}

/// A fitted linear mixed model.
#[derive(Debug, Clone, PartialEq)]
pub struct LmmFit {
    /// REML or ML.
    pub method: Method,
    /// Observations used.
    pub n_obs: usize,
    /// Fixed effects in design-column order.
    pub fixed: Vec<FixedEffect>,
    /// Covariance matrix of the fixed effects.
    pub vcov: Vec<Vec<f64>>,
    /// Random-effects terms, ordered as lme4 orders them (decreasing number of levels).
    pub random: Vec<RandomComponent>,
    /// Residual variance σ².
    pub residual_variance: f64,
    /// Log-likelihood (REML criterion / −2 for REML fits, as lme4's `logLik`).
    pub log_likelihood: f64,
    /// The minimised deviance (ML) or REML criterion.
    pub criterion: f64,
    /// AIC = criterion + 2 df.
    pub aic: f64,
    /// BIC = criterion + df log n.
    pub bic: f64,
    /// Parameters counted by AIC/BIC: p + #θ + 1.
    pub df_model: usize,
    /// Relative covariance parameters θ (lme4 order).
    pub theta: Vec<f64>,
    /// Whether the optimiser met its tolerances (simplex converged or the Newton polish
    /// stopped on a negligible step) before its evaluation limit.
    pub converged: bool,
    /// Whether some θ on a lower bound is below 1e-4 (lme4's `isSingular`).
    pub singular: bool,
    /// Deviance evaluations used.
    pub evaluations: usize,
    /// Number of levels per grouping factor, by factor name (first-appearance order).
    pub groups: Vec<(String, usize)>,
}

impl LmmFit {
    /// Intraclass correlations for random-intercept-only models: for each term,
    /// `τ²_k / (Σ_j τ²_j + σ²)`, in the order of [`LmmFit::random`]. `None` when some term
    /// has random slopes (the ICC then depends on the covariates).
    pub fn icc(&self) -> Option<Vec<f64>> {
        if self
            .random
            .iter()
            .any(|r| r.terms.len() != 1 || r.terms[0] != "(Intercept)")
        {
            return None;
        }
        let total: f64 =
            self.random.iter().map(|r| r.covariance[0][0]).sum::<f64>() + self.residual_variance;
        Some(
            self.random
                .iter()
                .map(|r| r.covariance[0][0] / total)
                .collect(),
        )
    }
}

struct TermInfo {
    group: String,
    names: Vec<String>,
    q: usize,
    levels: Vec<String>,
    correlated: bool,
    theta_off: usize,
    frame_index: usize,
}

/// Sufficient statistics and structure of a model, independent of θ.
struct Model {
    /// Reusable d × d buffers (the objective is evaluated hundreds of times; fresh multi-MB
    /// allocations cost page faults).
    bufs: std::cell::RefCell<Vec<Vec<f64>>>,
    scratch: std::cell::RefCell<Vec<f64>>,
    /// Centred sum of squares of the response.
    y_css: f64,
    n: usize,
    p: usize,
    reml: bool,
    terms: Vec<TermInfo>,
    /// Column offset of each term beyond the first in the dense block (index 0 unused).
    sec_off: Vec<usize>,
    qr: usize,
    d: usize,
    q1: usize,
    m1: usize,
    /// Per primary level, `Z_i'Z_i` (q1 × q1, row-major).
    ztz: Vec<f64>,
    /// Per primary level, `Z_i'[X y]` (q1 × (p+1), row-major).
    ztd: Vec<f64>,
    /// Per primary level `g`, entries `sp_off[g]..sp_off[g+1]` of `sp_entries`: the `Z_i'Z_k`
    /// blocks for later terms as (term, level, offset of the q1 × q_k row-major block in
    /// `sp_vals`), sorted by dense column. Flat arrays keep the hot loop cache-friendly.
    sp_off: Vec<usize>,
    sp_entries: Vec<(usize, usize, usize)>,
    sp_vals: Vec<f64>,
    /// Dense cross-products of `[Z_rest X y]` (d × d, full, row-major).
    dd: Vec<f64>,
    ntheta: usize,
    lower: Vec<f64>,
}

/// Components of one deviance evaluation.
struct Eval {
    ldl2: f64,
    ldrx2: f64,
    r2: f64,
    /// Cholesky factor of the dense Schur complement (d × d).
    s: Vec<f64>,
    /// Per primary level: Cholesky factor (q1 × q1) when kept.
    prim_l: Vec<f64>,
    /// Per primary level: the columns and `L_i⁻¹ B_i` (q1 × cols) when kept.
    prim_w: Vec<(Vec<usize>, Vec<f64>)>,
}

/// How many random effects a term may have relative to the observations.
#[derive(Clone, Copy, PartialEq, Eq)]
enum EffectsLimit {
    /// Fewer than the observations (lmer): with as many, a term is confounded with the residual.
    BelowObservations,
    /// Up to the observations (glmer, whose binomial family has no residual scale): an
    /// observation-level random effect, one level per row, models overdispersion.
    UpToObservations,
}

/// Conditional modes per term (frame order) and `log|L_θ|²`.
pub(crate) type Modes = (Vec<Vec<f64>>, f64);

/// Penalised least squares for a frame without fixed effects (rows already weighted): the
/// conditional modes `u` per term (frame order) and `log|Λ'Z'ZΛ + I|`. Used by the GLMM's
/// PIRLS iteration for models with several random-effects terms.
pub(crate) fn pls_modes(frame: &ModelFrame, theta: &[f64]) -> Result<Option<Modes>, LmmError> {
    let model = Model::new(frame, false, EffectsLimit::UpToObservations)?;
    Ok(model.modes(theta))
}

/// The θ layout lme4 uses for `frame`'s random terms (ordered by decreasing number of levels):
/// per term `(frame index, q, correlated, offset into θ)`, and the lower bounds of θ.
pub(crate) type ThetaLayout = (Vec<(usize, usize, bool, usize)>, Vec<f64>);

/// See [`ThetaLayout`].
pub(crate) fn theta_layout(frame: &ModelFrame) -> Result<ThetaLayout, LmmError> {
    let model = Model::new(frame, false, EffectsLimit::UpToObservations)?;
    let terms = model
        .terms
        .iter()
        .map(|t| (t.frame_index, t.q, t.correlated, t.theta_off))
        .collect();
    Ok((terms, model.lower))
}

/// Random-effect summaries (BLUPs `Λu` and conditional covariances `Λ(Λ'Z'ZΛ + I)⁻¹Λ'`, both
/// unscaled by σ²) at `θ` for a weighted frame without fixed effects; used by the GLMM.
pub(crate) fn pls_components(
    frame: &ModelFrame,
    theta: &[f64],
) -> Result<Vec<RandomComponent>, LmmError> {
    let model = Model::new(frame, false, EffectsLimit::UpToObservations)?;
    let options = LmmOptions {
        method: Method::Ml,
        max_evals: 0,
        satterthwaite: false,
    };
    let f = model.finish(frame, &options, theta.to_vec(), 0.0, true, 0)?;
    let s2 = f.residual_variance;
    let tm = templates(&model.terms, theta);
    Ok(f.random
        .into_iter()
        .zip(&tm)
        .map(|(mut r, t)| {
            let q = r.terms.len();
            r.covariance = cov_from_template(t, q, 1.0);
            for cv in &mut r.cond_var {
                cv.iter_mut().flatten().for_each(|v| *v /= s2);
            }
            r
        })
        .collect())
}

/// Fits a linear mixed model to a model frame.
pub fn fit(frame: &ModelFrame, options: &LmmOptions) -> Result<LmmFit, LmmError> {
    if frame.trials.is_some() {
        return Err(LmmError::CountsResponse(frame.response.clone()));
    }
    check_magnitudes(frame)?;
    let model = Model::new(
        frame,
        options.method == Method::Reml,
        EffectsLimit::BelowObservations,
    )?;
    let x0: Vec<f64> = model
        .lower
        .iter()
        .map(|l| if *l == 0.0 { 1.0 } else { 0.0 })
        .collect();
    let mut objective = |theta: &[f64]| model.deviance(theta);
    let min = minimize(&mut objective, &x0, &model.lower, options.max_evals);
    model.finish(frame, options, min.x, min.f, min.converged, min.evals)
}

fn templates(terms: &[TermInfo], theta: &[f64]) -> Vec<Vec<f64>> {
    terms
        .iter()
        .map(|t| {
            let q = t.q;
            let mut m = vec![0.0; q * q];
            let mut k = t.theta_off;
            if t.correlated {
                for j in 0..q {
                    for i in j..q {
                        m[i * q + j] = theta[k];
                        k += 1;
                    }
                }
            } else {
                for j in 0..q {
                    m[j * q + j] = theta[k];
                    k += 1;
                }
            }
            m
        })
        .collect()
}

impl Model {
    fn new(frame: &ModelFrame, reml: bool, limit: EffectsLimit) -> Result<Model, LmmError> {
        let n = frame.n_obs();
        let p = frame.x.ncols();
        if frame.random.is_empty() {
            return Err(LmmError::NoRandomEffects);
        }
        if n <= p {
            return Err(LmmError::TooFewObservations { n_obs: n, p });
        }
        if frame.y.iter().any(|v| !v.is_finite()) {
            return Err(LmmError::Degenerate(
                "the response has non-finite values".into(),
            ));
        }
        let mean = frame.y.iter().sum::<f64>() / n as f64;
        let y_css: f64 = frame.y.iter().map(|v| (v - mean) * (v - mean)).sum();
        let scale = frame.y.iter().map(|v| v * v).sum::<f64>();
        if !y_css.is_finite() || !scale.is_finite() {
            return Err(LmmError::Degenerate(format!(
                "the response `{}` has values too large in magnitude (their sum of squares overflows); rescale it",
                frame.response
            )));
        }
        if y_css == 0.0 && frame.y.iter().any(|v| *v != frame.y[0]) {
            return Err(LmmError::Degenerate(format!(
                "the response `{}` has values too small in magnitude (their sum of squares underflows); rescale it",
                frame.response
            )));
        }
        if y_css == 0.0 || y_css <= 1e-24 * scale {
            return Err(LmmError::Degenerate("the response is constant".into()));
        }
        // Order terms by decreasing number of levels (stable), as lme4 does.
        let mut order: Vec<usize> = (0..frame.random.len()).collect();
        order.sort_by_key(|k| std::cmp::Reverse(frame.random[*k].levels.len()));
        let mut terms = Vec::new();
        let mut ntheta = 0;
        let mut lower = Vec::new();
        for k in order {
            let b = &frame.random[k];
            let q = b.term_names.len();
            let m = b.levels.len();
            if m < 2 {
                return Err(LmmError::SingleLevel {
                    group: b.group.clone(),
                });
            }
            let too_many = match limit {
                EffectsLimit::BelowObservations => m * q >= n,
                EffectsLimit::UpToObservations => m * q > n,
            };
            if too_many {
                return Err(LmmError::TooManyRandomEffects {
                    group: b.group.clone(),
                    effects: m * q,
                    n_obs: n,
                });
            }
            let nt = if b.correlated { q * (q + 1) / 2 } else { q };
            if b.correlated {
                for j in 0..q {
                    for i in j..q {
                        lower.push(if i == j { 0.0 } else { f64::NEG_INFINITY });
                    }
                }
            } else {
                lower.extend(std::iter::repeat_n(0.0, q));
            }
            terms.push(TermInfo {
                group: b.group.clone(),
                names: b.term_names.clone(),
                q,
                levels: b.levels.clone(),
                correlated: b.correlated,
                theta_off: ntheta,
                frame_index: k,
            });
            ntheta += nt;
        }
        let mut sec_off = vec![0usize; terms.len()];
        let mut qr = 0;
        for k in 1..terms.len() {
            sec_off[k] = qr;
            qr += terms[k].q * terms[k].levels.len();
        }
        if qr > MAX_DENSE {
            return Err(LmmError::TooLarge { size: qr });
        }
        let d = qr + p + 1;
        let q1 = terms[0].q;
        let m1 = terms[0].levels.len();
        let pb = p + 1;
        let mut ztz = vec![0.0; m1 * q1 * q1];
        let mut ztd = vec![0.0; m1 * q1 * pb];
        let mut dd = vec![0.0; d * d];
        let mut sparse_maps: Vec<HashMap<(usize, usize), usize>> = if terms.len() > 1 {
            vec![HashMap::new(); m1]
        } else {
            Vec::new()
        };
        let mut sparse: Vec<Vec<(usize, usize, Vec<f64>)>> = vec![Vec::new(); m1];
        let prim = &frame.random[terms[0].frame_index];
        let mut z1 = vec![0.0; q1];
        let mut list: Vec<(usize, f64)> = Vec::with_capacity(d);
        for i in 0..n {
            let g = prim.codes[i] as usize;
            for (a, z) in z1.iter_mut().enumerate() {
                *z = prim.z.get(i, a);
            }
            if z1.iter().any(|v| !v.is_finite()) {
                return Err(LmmError::Degenerate(
                    "a random-effect covariate is not finite".into(),
                ));
            }
            list.clear();
            for k in 1..terms.len() {
                let b = &frame.random[terms[k].frame_index];
                let l = b.codes[i] as usize;
                let qk = terms[k].q;
                let c0 = sec_off[k] + l * qk;
                let key = (k, l);
                let slot = match sparse_maps[g].get(&key) {
                    Some(s) => *s,
                    None => {
                        sparse[g].push((k, l, vec![0.0; q1 * qk]));
                        sparse_maps[g].insert(key, sparse[g].len() - 1);
                        sparse[g].len() - 1
                    }
                };
                let blk = &mut sparse[g][slot].2;
                for j in 0..qk {
                    let zk = b.z.get(i, j);
                    if zk != 0.0 {
                        list.push((c0 + j, zk));
                        for a in 0..q1 {
                            blk[a * qk + j] += z1[a] * zk;
                        }
                    }
                }
            }
            let nsec = list.len();
            for j in 0..p {
                let v = frame.x.get(i, j);
                if v != 0.0 {
                    list.push((qr + j, v));
                }
            }
            list.push((d - 1, frame.y[i]));
            // Dense cross-products (lower triangle; the list is sorted by column).
            for a in 0..list.len() {
                let (ia, va) = list[a];
                let row = &mut dd[ia * d..ia * d + ia + 1];
                for &(ib, vb) in &list[..=a] {
                    row[ib] += va * vb;
                }
            }
            // Primary per-group statistics.
            let zz = &mut ztz[g * q1 * q1..(g + 1) * q1 * q1];
            for a in 0..q1 {
                for b in 0..q1 {
                    zz[a * q1 + b] += z1[a] * z1[b];
                }
            }
            let zd = &mut ztd[g * q1 * pb..(g + 1) * q1 * pb];
            for &(c, v) in &list[nsec..] {
                let c = c - qr;
                for a in 0..q1 {
                    zd[a * pb + c] += z1[a] * v;
                }
            }
        }
        for a in 0..d {
            for b in 0..a {
                dd[b * d + a] = dd[a * d + b];
            }
        }
        if dd.iter().any(|v| !v.is_finite()) {
            return Err(LmmError::Degenerate(
                "the data contain non-finite values".into(),
            ));
        }
        let mut sp_off = vec![0usize; m1 + 1];
        let mut sp_entries = Vec::new();
        let mut sp_vals = Vec::new();
        for (g, mut entries) in sparse.into_iter().enumerate() {
            entries.sort_by_key(|(k, l, _)| sec_off[*k] + l * terms[*k].q);
            for (k, l, blk) in entries {
                sp_entries.push((k, l, sp_vals.len()));
                sp_vals.extend_from_slice(&blk);
            }
            sp_off[g + 1] = sp_entries.len();
        }
        let model = Model {
            bufs: std::cell::RefCell::new(Vec::new()),
            scratch: std::cell::RefCell::new(Vec::new()),
            y_css,
            n,
            p,
            reml,
            terms,
            sec_off,
            qr,
            d,
            q1,
            m1,
            ztz,
            ztd,
            sp_off,
            sp_entries,
            sp_vals,
            dd,
            ntheta,
            lower,
        };
        model.check_rank(&frame.x_names)?;
        Ok(model)
    }

    fn check_rank(&self, names: &[String]) -> Result<(), LmmError> {
        let p = self.p;
        let mut xtx = vec![0.0; p * p];
        for a in 0..p {
            for b in 0..p {
                xtx[a * p + b] = self.dd[(self.qr + a) * self.d + self.qr + b];
            }
        }
        check_rank_xtx(&xtx, names)
    }

    // Term index k addresses several parallel arrays (terms, templates, offsets).
    #[allow(clippy::needless_range_loop)]
    fn evaluate(&self, theta: &[f64], keep: bool) -> Option<Eval> {
        let d = self.d;
        let qr = self.qr;
        let q1 = self.q1;
        let pb = self.p + 1;
        let tm = templates(&self.terms, theta);
        let mut s = self.bufs.borrow_mut().pop().unwrap_or_default();
        s.clear();
        s.extend_from_slice(&self.dd);
        // Λ' S Λ on the rest-of-random-effects block, then + I. Rows first (contiguous row
        // blocks), then columns row by row, so memory is walked sequentially.
        let mut tmp = vec![0.0; d.max(1)];
        if self.terms[1..].iter().all(|t| t.q == 1) && self.terms.len() > 1 {
            // Scalar terms: Λ is diagonal on this block, one pass s[r][c] *= f[r] f[c].
            let mut f = vec![1.0; d];
            for k in 1..self.terms.len() {
                let off = self.sec_off[k];
                let m = self.terms[k].levels.len();
                f[off..off + m].iter_mut().for_each(|v| *v = tm[k][0]);
            }
            for (r, row) in s.chunks_mut(d).enumerate() {
                let fr = f[r];
                for (v, fc) in row.iter_mut().zip(&f) {
                    *v *= fr * fc;
                }
            }
        }
        let general = self.terms[1..].iter().any(|t| t.q > 1);
        for k in 1..self.terms.len() {
            if !general {
                break;
            }
            let qk = self.terms[k].q;
            let t = &tm[k];
            for l in 0..self.terms[k].levels.len() {
                let c0 = self.sec_off[k] + l * qk;
                if qk == 1 {
                    let f = t[0];
                    s[c0 * d..(c0 + 1) * d].iter_mut().for_each(|v| *v *= f);
                    continue;
                }
                // Rows c0..c0+q ← T' rows.
                for c in 0..d {
                    for j in 0..qk {
                        tmp[j] = (j..qk).map(|a| t[a * qk + j] * s[(c0 + a) * d + c]).sum();
                    }
                    for j in 0..qk {
                        s[(c0 + j) * d + c] = tmp[j];
                    }
                }
            }
        }
        for r in 0..d {
            if !general {
                break;
            }
            let row = &mut s[r * d..(r + 1) * d];
            for k in 1..self.terms.len() {
                let qk = self.terms[k].q;
                let t = &tm[k];
                let off = self.sec_off[k];
                let width = qk * self.terms[k].levels.len();
                if qk == 1 {
                    let f = t[0];
                    row[off..off + width].iter_mut().for_each(|v| *v *= f);
                    continue;
                }
                for seg in row[off..off + width].chunks_mut(qk) {
                    for j in 0..qk {
                        tmp[j] = (j..qk).map(|a| seg[a] * t[a * qk + j]).sum();
                    }
                    seg.copy_from_slice(&tmp[..qk]);
                }
            }
        }
        for j in 0..qr {
            s[j * d + j] += 1.0;
        }
        let t1 = &tm[0];
        let mut ldl2 = 0.0;
        let mut prim_l = Vec::new();
        let mut prim_w = Vec::new();
        if keep {
            prim_l.reserve(self.m1 * q1 * q1);
            prim_w.reserve(self.m1);
        }
        let mut mtmp = vec![0.0; q1 * q1];
        let mut mm = vec![0.0; q1 * q1];
        let mut cols: Vec<usize> = Vec::new();
        let mut w: Vec<f64> = Vec::new();
        let mut col = vec![0.0; q1];
        for g in 0..self.m1 {
            let zz = &self.ztz[g * q1 * q1..(g + 1) * q1 * q1];
            // M = T1' ZtZ T1 + I.
            for a in 0..q1 {
                for b in 0..q1 {
                    mtmp[a * q1 + b] = (b..q1).map(|c| zz[a * q1 + c] * t1[c * q1 + b]).sum();
                }
            }
            for a in 0..q1 {
                for b in 0..q1 {
                    mm[a * q1 + b] = (a..q1)
                        .map(|c| t1[c * q1 + a] * mtmp[c * q1 + b])
                        .sum::<f64>()
                        + if a == b { 1.0 } else { 0.0 };
                }
            }
            cholesky_in_place(&mut mm, q1).ok()?;
            for a in 0..q1 {
                ldl2 += 2.0 * mm[a * q1 + a].ln();
            }
            // B = T1' [Z_i'Z_rest Λ_rest, Z_i'X, Z_i'y], columns in increasing order.
            cols.clear();
            let sp = &self.sp_entries[self.sp_off[g]..self.sp_off[g + 1]];
            let nc = sp.iter().map(|(k, _, _)| self.terms[*k].q).sum::<usize>() + pb;
            w.clear();
            w.resize(q1 * nc, 0.0);
            let mut c = 0;
            for (k, l, off) in sp {
                let qk = self.terms[*k].q;
                let blk = &self.sp_vals[*off..*off + q1 * qk];
                let tk = &tm[*k];
                let c0 = self.sec_off[*k] + l * qk;
                for j in 0..qk {
                    cols.push(c0 + j);
                    // (blk T_k)[a][j], then T1' from the left.
                    for (a, v) in col.iter_mut().enumerate() {
                        *v = (0..qk).map(|e| blk[a * qk + e] * tk[e * qk + j]).sum();
                    }
                    for a in 0..q1 {
                        w[a * nc + c] = (a..q1).map(|e| t1[e * q1 + a] * col[e]).sum();
                    }
                    c += 1;
                }
            }
            let zd = &self.ztd[g * q1 * pb..(g + 1) * q1 * pb];
            for j in 0..pb {
                cols.push(qr + j);
                for a in 0..q1 {
                    w[a * nc + c] = (a..q1).map(|e| t1[e * q1 + a] * zd[e * pb + j]).sum();
                }
                c += 1;
            }
            // W = L⁻¹ B, column by column.
            for j in 0..nc {
                for a in 0..q1 {
                    col[a] = w[a * nc + j];
                }
                forward_solve(&mm, q1, &mut col);
                for a in 0..q1 {
                    w[a * nc + j] = col[a];
                }
            }
            // S -= W'W (lower triangle).
            for a in 0..nc {
                let ra = cols[a] * d;
                for b in 0..=a {
                    let mut acc = 0.0;
                    for r in 0..q1 {
                        acc += w[r * nc + a] * w[r * nc + b];
                    }
                    s[ra + cols[b]] -= acc;
                }
            }
            if keep {
                prim_l.extend_from_slice(&mm);
                prim_w.push((cols.clone(), w.clone()));
            }
        }
        let failed = cholesky_skip_zeros(&mut s, d, &mut self.scratch.borrow_mut()).is_err();
        if failed {
            // A non-positive last pivot means a perfect fit (r² = 0); others are numerical
            // failures. Either way the deviance is not finite here.
            return None;
        }
        let mut ldrx2 = 0.0;
        for j in 0..qr {
            ldl2 += 2.0 * s[j * d + j].ln();
        }
        for j in qr..qr + self.p {
            ldrx2 += 2.0 * s[j * d + j].ln();
        }
        let r2 = s[(d - 1) * d + d - 1].powi(2);
        Some(Eval {
            ldl2,
            ldrx2,
            r2,
            s,
            prim_l,
            prim_w,
        })
    }

    fn profiled(&self, e: &Eval) -> f64 {
        let n = self.n as f64;
        let two_pi = 2.0 * std::f64::consts::PI;
        if self.reml {
            let nmp = n - self.p as f64;
            e.ldl2 + e.ldrx2 + nmp * (1.0 + (two_pi * e.r2 / nmp).ln())
        } else {
            e.ldl2 + n * (1.0 + (two_pi * e.r2 / n).ln())
        }
    }

    fn deviance(&self, theta: &[f64]) -> f64 {
        match self.evaluate(theta, false) {
            Some(e) => {
                let v = self.profiled(&e);
                self.bufs.borrow_mut().push(e.s);
                v
            }
            None => f64::INFINITY,
        }
    }

    /// Unprofiled deviance in `(θ, σ)` (lmerTest's `devfun_vp`).
    fn deviance_vp(&self, varpar: &[f64]) -> f64 {
        let nt = self.ntheta;
        let Some(e) = self.evaluate(&varpar[..nt], false) else {
            return f64::NAN;
        };
        let s2 = varpar[nt] * varpar[nt];
        let two_pi = 2.0 * std::f64::consts::PI;
        let n = self.n as f64;
        let dev = e.ldl2 + e.r2 / s2 + n * (two_pi * s2).ln();
        let out = if self.reml {
            dev + e.ldrx2 - self.p as f64 * (two_pi * s2).ln()
        } else {
            dev
        };
        self.bufs.borrow_mut().push(e.s);
        out
    }

    /// `σ² (R_X'R_X)⁻¹` at `(θ, σ)`, row-major p × p.
    fn vcov_vp(&self, varpar: &[f64]) -> Option<Vec<f64>> {
        let nt = self.ntheta;
        let e = self.evaluate(&varpar[..nt], false)?;
        let s2 = varpar[nt] * varpar[nt];
        let mut v = self.rx_inverse(&e);
        v.iter_mut().for_each(|x| *x *= s2);
        Some(v)
    }

    /// `(R_X R_X')⁻¹` from the X block of the dense factor.
    fn rx_inverse(&self, e: &Eval) -> Vec<f64> {
        let p = self.p;
        let mut lx = vec![0.0; p * p];
        for a in 0..p {
            for b in 0..=a {
                lx[a * p + b] = e.s[(self.qr + a) * self.d + self.qr + b];
            }
        }
        chol_inverse(&lx, p)
    }

    /// Conditional modes of the spherical random effects `u` (per term, in frame order, level
    /// by level) and `log|L_θ|²`, for a model without fixed effects: the penalised least-squares
    /// step of the GLMM's PIRLS iteration.
    fn modes(&self, theta: &[f64]) -> Option<Modes> {
        let e = self.evaluate(theta, true)?;
        let (d, qr, q1) = (self.d, self.qr, self.q1);
        let mut sol: Vec<f64> = (0..d - 1).map(|j| e.s[(d - 1) * d + j]).collect();
        let mut lc = vec![0.0; (d - 1) * (d - 1)];
        for a in 0..d - 1 {
            for b in 0..=a {
                lc[a * (d - 1) + b] = e.s[a * d + b];
            }
        }
        backward_solve_t(&lc, d - 1, &mut sol);
        let mut out = vec![Vec::new(); self.terms.len()];
        for (k, t) in self.terms.iter().enumerate() {
            let mut u_all = Vec::with_capacity(t.levels.len() * t.q);
            for l in 0..t.levels.len() {
                if k == 0 {
                    let li = &e.prim_l[l * q1 * q1..(l + 1) * q1 * q1];
                    let (cols, w) = &e.prim_w[l];
                    let nc = cols.len();
                    let mut u: Vec<f64> = (0..q1)
                        .map(|a| {
                            let mut v = w[a * nc + nc - 1];
                            for (c, col) in cols[..nc - 1].iter().enumerate() {
                                v -= w[a * nc + c] * sol[*col];
                            }
                            v
                        })
                        .collect();
                    backward_solve_t(li, q1, &mut u);
                    u_all.extend(u);
                } else {
                    let c0 = self.sec_off[k] + l * t.q;
                    u_all.extend_from_slice(&sol[c0..c0 + t.q]);
                }
            }
            let _ = qr;
            out[t.frame_index] = u_all;
        }
        Some((out, e.ldl2))
    }

    fn finish(
        &self,
        frame: &ModelFrame,
        options: &LmmOptions,
        theta: Vec<f64>,
        criterion: f64,
        opt_converged: bool,
        evaluations: usize,
    ) -> Result<LmmFit, LmmError> {
        let e = self.evaluate(&theta, true).ok_or_else(|| {
            LmmError::Degenerate("the fit is perfect or numerically singular".into())
        })?;
        if !criterion.is_finite() {
            return Err(LmmError::Degenerate("the deviance is not finite".into()));
        }
        let (n, p, d, qr, q1) = (self.n, self.p, self.d, self.qr, self.q1);
        // A response fitted exactly (e.g. constant, or a linear function of X) leaves a
        // residual sum of squares at rounding level: every variance would be noise.
        if e.r2 <= 1e-12 * self.y_css {
            return Err(LmmError::Degenerate(
                "the fixed effects fit the response exactly (zero residual variance)".into(),
            ));
        }
        let sigma2 = e.r2 / if self.reml { (n - p) as f64 } else { n as f64 };
        // Fixed effects and the rest-of-random-effects modes: L_c' [u_r; β] = w.
        let mut sol: Vec<f64> = (0..d - 1).map(|j| e.s[(d - 1) * d + j]).collect();
        let mut lc = vec![0.0; (d - 1) * (d - 1)];
        for a in 0..d - 1 {
            for b in 0..=a {
                lc[a * (d - 1) + b] = e.s[a * d + b];
            }
        }
        backward_solve_t(&lc, d - 1, &mut sol);
        let beta = &sol[qr..];
        let rxi = self.rx_inverse(&e);
        let vcov: Vec<Vec<f64>> = (0..p)
            .map(|a| (0..p).map(|b| sigma2 * rxi[a * p + b]).collect())
            .collect();
        let tm = templates(&self.terms, &theta);
        // Conditional covariance of the rest-of-random-effects block: S_u⁻¹.
        let mut lu = vec![0.0; qr * qr];
        for a in 0..qr {
            for b in 0..=a {
                lu[a * qr + b] = e.s[a * d + b];
            }
        }
        let su_inv = if qr > 0 {
            chol_inverse(&lu, qr)
        } else {
            Vec::new()
        };
        let mut lu_cm = vec![0.0; qr * qr];
        for a in 0..qr {
            for b in 0..=a {
                lu_cm[b * qr + a] = lu[a * qr + b];
            }
        }
        let mut random = Vec::new();
        for (k, t) in self.terms.iter().enumerate() {
            let q = t.q;
            let tk = &tm[k];
            let cov = cov_from_template(tk, q, sigma2);
            let mut blups = Vec::with_capacity(t.levels.len());
            let mut cond_var = Vec::with_capacity(t.levels.len());
            for l in 0..t.levels.len() {
                let (u, cu) = if k == 0 {
                    let li = &e.prim_l[l * q1 * q1..(l + 1) * q1 * q1];
                    let (cols, w) = &e.prim_w[l];
                    let nc = cols.len();
                    // u = L⁻ᵀ (w_y − W_rest·sol).
                    let mut u: Vec<f64> = (0..q1)
                        .map(|a| {
                            let mut v = w[a * nc + nc - 1];
                            for (c, col) in cols[..nc - 1].iter().enumerate() {
                                v -= w[a * nc + c] * sol[*col];
                            }
                            v
                        })
                        .collect();
                    backward_solve_t(li, q1, &mut u);
                    // Var(u) / σ² = L⁻ᵀ (I + V'V) L⁻¹, V = L_u⁻¹ W_rest'.
                    let mut g = vec![0.0; q1 * q1];
                    for a in 0..q1 {
                        g[a * q1 + a] = 1.0;
                    }
                    let nsec = cols.iter().take_while(|c| **c < qr).count();
                    if nsec > 0 {
                        let mut vs = Vec::with_capacity(q1);
                        for a in 0..q1 {
                            let mut v = vec![0.0; qr];
                            for c in 0..nsec {
                                v[cols[c]] = w[a * nc + c];
                            }
                            forward_solve_cm_skip(&lu_cm, qr, &mut v);
                            vs.push(v);
                        }
                        for a in 0..q1 {
                            for b in 0..q1 {
                                g[a * q1 + b] +=
                                    vs[a].iter().zip(&vs[b]).map(|(x, y)| x * y).sum::<f64>();
                            }
                        }
                    }
                    // C = L⁻ᵀ G L⁻¹ by solving on both sides.
                    let mut c = g;
                    for j in 0..q1 {
                        let mut colv: Vec<f64> = (0..q1).map(|a| c[a * q1 + j]).collect();
                        backward_solve_t(li, q1, &mut colv);
                        for a in 0..q1 {
                            c[a * q1 + j] = colv[a];
                        }
                    }
                    for a in 0..q1 {
                        let mut rowv: Vec<f64> = (0..q1).map(|j| c[a * q1 + j]).collect();
                        backward_solve_t(li, q1, &mut rowv);
                        for j in 0..q1 {
                            c[a * q1 + j] = rowv[j];
                        }
                    }
                    (u, c)
                } else {
                    let c0 = self.sec_off[k] + l * q;
                    let u = sol[c0..c0 + q].to_vec();
                    let mut c = vec![0.0; q * q];
                    for a in 0..q {
                        for b in 0..q {
                            c[a * q + b] = su_inv[(c0 + a) * qr + c0 + b];
                        }
                    }
                    (u, c)
                };
                // b = T u; Var(b) = σ² T C T'.
                let b: Vec<f64> = (0..q)
                    .map(|a| (0..q).map(|j| tk[a * q + j] * u[j]).sum())
                    .collect();
                let mut v = vec![vec![0.0; q]; q];
                for a in 0..q {
                    for bb in 0..q {
                        let mut acc = 0.0;
                        for i in 0..q {
                            for j in 0..q {
                                acc += tk[a * q + i] * cu[i * q + j] * tk[bb * q + j];
                            }
                        }
                        v[a][bb] = sigma2 * acc;
                    }
                }
                blups.push(b);
                cond_var.push(v);
            }
            random.push(RandomComponent {
                group: t.group.clone(),
                terms: t.names.clone(),
                covariance: cov,
                levels: t.levels.clone(),
                blups,
                cond_var,
            });
        }
        // Satterthwaite degrees of freedom.
        let sigma = sigma2.sqrt();
        let mut varpar = theta.clone();
        varpar.push(sigma);
        let (dfs, satt_ok) = if options.satterthwaite && p > 0 {
            self.satterthwaite(&varpar, &vcov)
        } else {
            (vec![f64::NAN; p], true)
        };
        let fixed = (0..p)
            .map(|j| {
                let se = vcov[j][j].sqrt();
                let t = beta[j] / se;
                FixedEffect {
                    term: frame.x_names[j].clone(),
                    estimate: beta[j],
                    std_error: se,
                    df: dfs[j],
                    t_value: t,
                    p_value: t_two_sided_p(t, dfs[j]),
                }
            })
            .collect();
        let df_model = p + self.ntheta + 1;
        let singular = theta
            .iter()
            .zip(&self.lower)
            .any(|(t, l)| *l == 0.0 && *t < 1e-4);
        let mut groups: Vec<(String, usize)> = Vec::new();
        for t in &self.terms {
            if !groups.iter().any(|(g, _)| *g == t.group) {
                groups.push((t.group.clone(), t.levels.len()));
            }
        }
        let _ = satt_ok;
        Ok(LmmFit {
            method: if self.reml { Method::Reml } else { Method::Ml },
            n_obs: n,
            fixed,
            vcov,
            random,
            residual_variance: sigma2,
            log_likelihood: -criterion / 2.0,
            criterion,
            aic: criterion + 2.0 * df_model as f64,
            bic: criterion + df_model as f64 * (n as f64).ln(),
            df_model,
            theta,
            converged: opt_converged,
            singular,
            evaluations,
            groups,
        })
    }

    /// Satterthwaite df for each fixed effect (lmerTest's method).
    fn satterthwaite(&self, varpar: &[f64], vcov: &[Vec<f64>]) -> (Vec<f64>, bool) {
        let p = self.p;
        let k = varpar.len();
        let h = hessian(&|x: &[f64]| self.deviance_vp(x), varpar);
        if h.iter().any(|v| !v.is_finite()) {
            return (vec![f64::NAN; p], false);
        }
        // A = 2 H⁺ over eigenvalues above 1e-8, as lmerTest.
        let (vals, vecs) = sym_eigen(&h, k);
        let mut a = vec![0.0; k * k];
        for (e, val) in vals.iter().enumerate() {
            if *val > 1e-8 {
                for i in 0..k {
                    for j in 0..k {
                        a[i * k + j] += 2.0 * vecs[i * k + e] * vecs[j * k + e] / val;
                    }
                }
            }
        }
        let jac = jacobian(&|x: &[f64]| self.vcov_vp(x), varpar, p * p);
        let dfs = (0..p)
            .map(|j| {
                let g: Vec<f64> = (0..k).map(|c| jac[c][j * p + j]).collect();
                let mut denom = 0.0;
                for i in 0..k {
                    for l in 0..k {
                        denom += g[i] * a[i * k + l] * g[l];
                    }
                }
                2.0 * vcov[j][j] * vcov[j][j] / denom
            })
            .collect();
        (dfs, true)
    }
}

/// Refuses a fixed-effect or random-effect column whose sum of squares overflows (values near
/// 1e154 or beyond): every cross-product of the fit would be infinite or meaningless.
pub(crate) fn check_magnitudes(frame: &ModelFrame) -> Result<(), LmmError> {
    let overflows = |c: &[f64]| !c.iter().map(|v| v * v).sum::<f64>().is_finite();
    let fixed = (0..frame.x.ncols()).map(|j| (&frame.x_names[j], frame.x.col(j)));
    let random = frame
        .random
        .iter()
        .flat_map(|b| (0..b.z.ncols()).map(move |j| (&b.term_names[j], b.z.col(j))));
    match fixed.chain(random).find(|(_, c)| overflows(c)) {
        Some((name, _)) => Err(LmmError::Degenerate(format!(
            "the column `{name}` has values too large in magnitude (their sum of squares overflows); rescale it"
        ))),
        None => Ok(()),
    }
}

/// Rank check of a design matrix: errors with the columns that are (numerically) linear
/// combinations of earlier ones.
pub(crate) fn check_rank(x: &crate::frame::Matrix, names: &[String]) -> Result<(), LmmError> {
    let p = x.ncols();
    let mut xtx = vec![0.0; p * p];
    for a in 0..p {
        for b in 0..=a {
            let v: f64 = x.col(a).iter().zip(x.col(b)).map(|(u, w)| u * w).sum();
            xtx[a * p + b] = v;
            xtx[b * p + a] = v;
        }
    }
    check_rank_xtx(&xtx, names)
}

/// Rank check from `X'X` scaled to unit diagonal: a pivot below 1e-10 marks a column that is
/// (numerically) a combination of earlier ones, in the spirit of lme4's rank-deficiency check
/// (a pivoted QR with tolerance 1e-7 on the scaled columns). lme4 drops such columns with a
/// message; here the fit stops and names them, so no coefficient is silently missing.
fn check_rank_xtx(xtx: &[f64], names: &[String]) -> Result<(), LmmError> {
    let p = names.len();
    let scale: Vec<f64> = (0..p).map(|a| xtx[a * p + a].sqrt()).collect();
    let mut bad = Vec::new();
    let mut l = vec![0.0; p * p];
    for j in 0..p {
        if scale[j] == 0.0 {
            bad.push(names[j].clone());
            continue;
        }
        let mut dj: f64 = 1.0;
        for k in 0..j {
            dj -= l[j * p + k] * l[j * p + k];
        }
        if dj < 1e-10 {
            bad.push(names[j].clone());
            continue;
        }
        let dj = dj.sqrt();
        l[j * p + j] = dj;
        for i in j + 1..p {
            if scale[i] == 0.0 {
                continue;
            }
            let mut s = xtx[i * p + j] / (scale[i] * scale[j]);
            for k in 0..j {
                s -= l[i * p + k] * l[j * p + k];
            }
            l[i * p + j] = s / dj;
        }
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(LmmError::RankDeficient { columns: bad })
    }
}

fn cov_from_template(t: &[f64], q: usize, sigma2: f64) -> Vec<Vec<f64>> {
    (0..q)
        .map(|a| {
            (0..q)
                .map(|b| sigma2 * (0..q).map(|c| t[a * q + c] * t[b * q + c]).sum::<f64>())
                .collect()
        })
        .collect()
}

/// Step for numerical derivatives as numDeriv: `d·|x|`, or `eps` near zero.
fn base_step(x: f64, d: f64) -> f64 {
    let zero_tol = (f64::EPSILON / 7e-7).sqrt();
    if x.abs() < zero_tol {
        1e-4
    } else {
        d * x.abs()
    }
}

/// Richardson extrapolation of a sequence of central differences at steps h, h/2, h/4, h/8.
fn richardson(mut a: Vec<f64>) -> f64 {
    let mut pow = 4.0;
    while a.len() > 1 {
        a = (0..a.len() - 1)
            .map(|i| (pow * a[i + 1] - a[i]) / (pow - 1.0))
            .collect();
        pow *= 4.0;
    }
    a[0]
}

/// Hessian of `f` at `x` by Richardson-extrapolated central differences (row-major).
pub(crate) fn hessian(f: &dyn Fn(&[f64]) -> f64, x: &[f64]) -> Vec<f64> {
    hessian_levels(f, x, 4)
}

/// As [`hessian`] with `levels` step halvings in the extrapolation.
pub(crate) fn hessian_levels(f: &dyn Fn(&[f64]) -> f64, x: &[f64], levels: i32) -> Vec<f64> {
    let k = x.len();
    let f0 = f(x);
    let mut h = vec![0.0; k * k];
    let at = |i: usize, si: f64, j: usize, sj: f64| {
        let mut y = x.to_vec();
        y[i] += si;
        y[j] += sj;
        f(&y)
    };
    for i in 0..k {
        for j in i..k {
            let (hi, hj) = (base_step(x[i], 0.1), base_step(x[j], 0.1));
            let seq: Vec<f64> = (0..levels)
                .map(|r| {
                    let s = 0.5f64.powi(r);
                    let (a, b) = (hi * s, hj * s);
                    if i == j {
                        (at(i, a, i, 0.0) - 2.0 * f0 + at(i, -a, i, 0.0)) / (a * a)
                    } else {
                        (at(i, a, j, b) - at(i, a, j, -b) - at(i, -a, j, b) + at(i, -a, j, -b))
                            / (4.0 * a * b)
                    }
                })
                .collect();
            let v = richardson(seq);
            h[i * k + j] = v;
            h[j * k + i] = v;
        }
    }
    h
}

/// Jacobian of a vector function: `out[c]` is the derivative along coordinate `c`.
fn jacobian(f: &dyn Fn(&[f64]) -> Option<Vec<f64>>, x: &[f64], m: usize) -> Vec<Vec<f64>> {
    (0..x.len())
        .map(|c| {
            let h = base_step(x[c], 1e-4);
            let seqs: Vec<Vec<f64>> = (0..4)
                .map(|r| {
                    let s = h * 0.5f64.powi(r);
                    let mut yp = x.to_vec();
                    yp[c] += s;
                    let mut ym = x.to_vec();
                    ym[c] -= s;
                    match (f(&yp), f(&ym)) {
                        (Some(a), Some(b)) => {
                            a.iter().zip(&b).map(|(u, v)| (u - v) / (2.0 * s)).collect()
                        }
                        _ => vec![f64::NAN; m],
                    }
                })
                .collect();
            (0..m)
                .map(|e| richardson(seqs.iter().map(|s| s[e]).collect()))
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Data;
    use crate::formula::Formula;

    /// 6 groups × 5 rows with a deterministic response.
    fn data() -> Data {
        let mut d = Data::new();
        let n = 30;
        let g: Vec<f64> = (0..n).map(|i| (i / 5) as f64).collect();
        let x: Vec<f64> = (0..n).map(|i| ((i * 7) % 11) as f64 / 3.0).collect();
        let y: Vec<f64> = (0..n)
            .map(|i| 1.0 + 0.5 * x[i] + (g[i] * 1.7).sin() + ((i * 13) % 7) as f64 / 4.0)
            .collect();
        d.add_numeric("y", y).unwrap();
        d.add_numeric("x", x).unwrap();
        d.add_numeric("g", g).unwrap();
        d.add_numeric("id", (0..n).map(|i| i as f64).collect())
            .unwrap();
        d
    }

    fn fit_formula(f: &str) -> Result<LmmFit, LmmError> {
        let frame = ModelFrame::new(&Formula::parse(f).unwrap(), &data()).unwrap();
        fit(&frame, &LmmOptions::default())
    }

    #[test]
    fn structural_errors_are_typed() {
        assert_eq!(fit_formula("y ~ x").unwrap_err(), LmmError::NoRandomEffects);
        let mut d = data();
        d.add_numeric("c", vec![1.0; 30]).unwrap();
        let frame = ModelFrame::new(&Formula::parse("c ~ x + (1 | g)").unwrap(), &d).unwrap();
        assert!(matches!(
            fit(&frame, &LmmOptions::default()),
            Err(LmmError::Degenerate(_))
        ));
        assert!(matches!(
            fit_formula("y ~ x + (1 | id)").unwrap_err(),
            LmmError::TooManyRandomEffects { .. }
        ));
    }

    /// Fuzzing: a response with a value of 1e308 (or values near 1e-300) was reported as
    /// "constant" (its centred sum of squares overflowed, or underflowed), and covariates near
    /// 1e200 as "non-finite".
    #[test]
    fn overflowing_magnitudes_are_named() {
        let degenerate = |r: Result<LmmFit, LmmError>| match r {
            Err(LmmError::Degenerate(m)) => m,
            other => panic!("expected a degenerate-data error, got {other:?}"),
        };
        let mut d = data();
        let mut y = vec![1.0; 30];
        y[0] = 1e308;
        y[5] = 1e308;
        y[7] = 2.0;
        d.add_numeric("big", y).unwrap();
        let x: Vec<f64> = (0..30).map(|i| (i % 7) as f64 * 1e200).collect();
        d.add_numeric("bigx", x).unwrap();
        let tiny: Vec<f64> = (0..30).map(|i| (i % 4) as f64 * 1e-300).collect();
        d.add_numeric("tiny", tiny).unwrap();
        let fit_on = |f: &str| {
            let frame = ModelFrame::new(&Formula::parse(f).unwrap(), &d).unwrap();
            fit(&frame, &LmmOptions::default())
        };
        let m = degenerate(fit_on("tiny ~ x + (1 | g)"));
        assert!(m.contains("`tiny`") && m.contains("too small"), "{m}");
        let m = degenerate(fit_on("big ~ x + (1 | g)"));
        assert!(m.contains("`big`") && m.contains("too large"), "{m}");
        let m = degenerate(fit_on("y ~ bigx + (1 | g)"));
        assert!(m.contains("`bigx`") && m.contains("too large"), "{m}");
        let m = degenerate(fit_on("y ~ x + (1 + bigx | g)"));
        assert!(m.contains("`bigx`") && m.contains("too large"), "{m}");
    }

    #[test]
    fn no_fixed_effects_and_ml_equals_reml_then() {
        // With p = 0 the REML criterion equals the ML deviance.
        let frame = ModelFrame::new(&Formula::parse("y ~ 0 + (1 | g)").unwrap(), &data()).unwrap();
        let reml = fit(&frame, &LmmOptions::default()).unwrap();
        let ml = fit(
            &frame,
            &LmmOptions {
                method: Method::Ml,
                ..Default::default()
            },
        )
        .unwrap();
        assert!(reml.fixed.is_empty());
        let icc = reml.icc().unwrap();
        let tau2 = reml.random[0].covariance[0][0];
        assert!((icc[0] - tau2 / (tau2 + reml.residual_variance)).abs() < 1e-15);
        assert!((reml.criterion - ml.criterion).abs() < 1e-9 * ml.criterion.abs());
        assert_eq!(reml.df_model, 2);
    }

    #[test]
    fn profiled_optimum_is_stationary_in_sigma() {
        // At (θ̂, σ̂) the unprofiled deviance has zero derivative in σ: a check that the
        // profiled and unprofiled forms agree.
        let frame =
            ModelFrame::new(&Formula::parse("y ~ x + (1 + x | g)").unwrap(), &data()).unwrap();
        let f = fit(&frame, &LmmOptions::default()).unwrap();
        let model = Model::new(&frame, true, EffectsLimit::BelowObservations).unwrap();
        let s = f.residual_variance.sqrt();
        let mut vp = f.theta.clone();
        vp.push(s);
        let d0 = model.deviance_vp(&vp);
        assert!(
            (d0 - f.criterion).abs() < 1e-8 * d0.abs(),
            "{d0} vs {}",
            f.criterion
        );
        let h = 1e-5 * s;
        let mut up = vp.clone();
        *up.last_mut().unwrap() += h;
        let mut dn = vp.clone();
        *dn.last_mut().unwrap() -= h;
        let slope = (model.deviance_vp(&up) - model.deviance_vp(&dn)) / (2.0 * h);
        assert!(slope.abs() < 1e-4, "d dev / d sigma = {slope}");
    }
}
