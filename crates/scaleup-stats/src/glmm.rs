//! Binomial (logit) generalised linear mixed models by the Laplace approximation, as lme4's
//! `glmer(..., family = binomial, nAGQ = 1)` (Bates et al. 2015; lme4 vignette "lmer for
//! GLMMs"). For given `(θ, β)` the conditional modes `û` minimise the penalised deviance
//! `Σ d(y, μ) + ‖u‖²` (penalised iteratively reweighted least squares, here a damped Newton
//! iteration per group), and the Laplace deviance is
//! `Σ d(y, μ̂) + ‖û‖² + log|Λ'Z'ŴZΛ + I|`, minimised jointly over `(θ, β)` (lme4's second
//! optimisation stage). Standard errors come, as in lme4's default `vcov` for `glmer`, from
//! twice the inverse Hessian of that deviance in `(θ, β)`, taking the `β` block.
//!
//! Responses: 0/1, or aggregated binomial counts from `cbind(successes, failures)` (see
//! [`crate::frame`]): the proportion `y` with prior weights `n` (trials), so each row adds
//! `n·d(y, μ)` to the deviance and `n·μ(1 − μ)` to the PIRLS weights, as lme4's `glmResp`.
//! lme4's reported log-likelihood is `Σ log dbinom(k; n, μ)`, which includes the binomial
//! coefficients `log C(n, k)`; they are constant in the parameters, so they are added to the
//! log-likelihood (and AIC, BIC) after the fit rather than carried through the optimisation.
//! Rows with zero trials add nothing but still count as observations, as in glmer.
//!
//! With one random-effects term the per-group Newton steps are independent, which keeps each
//! deviance evaluation `O(n q²)`. With several terms
//! (crossed, nested, `||`, cluster-by-period) each PIRLS step is the penalised least-squares
//! solve of the linear mixed model code on working responses and weights (rows scaled by
//! `√w`), warm-started from the previous evaluation's modes.

use crate::dist::{ln_gamma, normal_two_sided_p};
use crate::frame::ModelFrame;
use crate::linalg::{backward_solve_t, chol_inverse, cholesky_in_place, forward_solve};
use crate::lmm::{LmmError, RandomComponent};
use crate::optim::minimize;

/// Why a GLMM could not be fitted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GlmmError {
    /// A structural problem shared with linear mixed models.
    #[error(transparent)]
    Model(#[from] LmmError),
    /// A single-column response is not coded 0/1 (aggregated counts use `cbind`).
    #[error(
        "the response must be 0 or 1 for the binomial family (row {row} is not); for counts of successes out of trials use `cbind(successes, failures)`"
    )]
    ResponseNotBinary {
        /// 1-based row among the complete rows.
        row: usize,
    },
    /// A random-effects structure this implementation does not handle.
    #[error("unsupported model: {0}")]
    Unsupported(String),
}

/// One fixed effect of a GLMM (Wald z test).
#[derive(Debug, Clone, PartialEq)]
pub struct GlmmFixedEffect {
    /// Column name.
    pub term: String,
    /// Estimate on the logit scale.
    pub estimate: f64,
    /// Standard error.
    pub std_error: f64,
    /// `estimate / std_error`.
    pub z_value: f64,
    /// Two-sided normal p-value.
    pub p_value: f64,
}

/// A fitted binomial GLMM.
#[derive(Debug, Clone, PartialEq)]
pub struct GlmmFit {
    /// Observations used.
    pub n_obs: usize,
    /// Fixed effects.
    pub fixed: Vec<GlmmFixedEffect>,
    /// Covariance of the fixed effects.
    pub vcov: Vec<Vec<f64>>,
    /// The random-effects term: covariance (`T T'`), BLUPs and conditional variances.
    pub random: Vec<RandomComponent>,
    /// Laplace log-likelihood, as lme4's `logLik` (for counts it includes `Σ log C(n, k)`).
    pub log_likelihood: f64,
    /// −2 × log-likelihood: the `deviance` of lme4's `summary` table (not `deviance(fit)`,
    /// which for a GLMM is a conditional deviance).
    pub deviance: f64,
    /// AIC with df = p + #θ.
    pub aic: f64,
    /// BIC with df = p + #θ.
    pub bic: f64,
    /// p + #θ.
    pub df_model: usize,
    /// θ (lme4 order).
    pub theta: Vec<f64>,
    /// Whether the optimiser met its tolerances.
    pub converged: bool,
    /// Whether some diagonal θ is below 1e-4.
    pub singular: bool,
    /// Deviance evaluations used.
    pub evaluations: usize,
    /// Levels per grouping factor.
    pub groups: Vec<(String, usize)>,
}

/// Fitting options.
#[derive(Debug, Clone)]
pub struct GlmmOptions {
    /// Limit on deviance evaluations.
    pub max_evals: usize,
}

impl Default for GlmmOptions {
    fn default() -> Self {
        GlmmOptions { max_evals: 200_000 }
    }
}

/// Data regrouped so each group's rows are contiguous.
struct Problem {
    n: usize,
    p: usize,
    q: usize,
    m: usize,
    correlated: bool,
    offsets: Vec<usize>,
    /// Row-major n × p, group-sorted.
    x: Vec<f64>,
    /// Row-major n × q, group-sorted.
    z: Vec<f64>,
    y: Vec<f64>,
    /// Binomial trials per row (prior weights), group-sorted; 1 for 0/1 responses.
    trials: Vec<f64>,
    lower: Vec<f64>,
}

fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// Binomial deviance term `-2 log p(k | n, η)` for the proportion `y = k / n` out of `n`
/// trials, without the constant `log C(n, k)`. For 0/1 responses (`n = 1`) this is the
/// Bernoulli term, computed exactly as before counts were supported.
fn dev_res(y: f64, trials: f64, eta: f64) -> f64 {
    if y == 1.0 {
        trials * (2.0 * softplus(-eta))
    } else if y == 0.0 {
        trials * (2.0 * softplus(eta))
    } else {
        trials * (y * (2.0 * softplus(-eta)) + (1.0 - y) * (2.0 * softplus(eta)))
    }
}

/// `Σ log C(n, k)` over rows with `k = n·y` successes of `n` trials: the part of lme4's binomial
/// log-likelihood that does not depend on the parameters (zero for 0/1 responses).
fn log_binomial_coefficients(y: &[f64], trials: &[f64]) -> f64 {
    y.iter()
        .zip(trials)
        .map(|(&y, &n)| {
            let k = (n * y).round();
            if k == 0.0 || k == n {
                0.0
            } else {
                ln_gamma(n + 1.0) - ln_gamma(k + 1.0) - ln_gamma(n - k + 1.0)
            }
        })
        .sum()
}

fn mu_of(eta: f64) -> f64 {
    1.0 / (1.0 + (-eta).exp())
}

impl Problem {
    fn template(&self, theta: &[f64]) -> Vec<f64> {
        let q = self.q;
        let mut t = vec![0.0; q * q];
        let mut k = 0;
        for j in 0..q {
            if self.correlated {
                for i in j..q {
                    t[i * q + j] = theta[k];
                    k += 1;
                }
            } else {
                t[j * q + j] = theta[k];
                k += 1;
            }
        }
        t
    }

    /// Laplace deviance at `(θ, β)`; with `modes`, also returns per group `(û, M⁻¹)`.
    fn laplace(
        &self,
        theta: &[f64],
        beta: &[f64],
        mut modes: Option<&mut Vec<(Vec<f64>, Vec<f64>)>>,
    ) -> f64 {
        let (p, q) = (self.p, self.q);
        let t = self.template(theta);
        let mut total = 0.0;
        let mut zt = Vec::new();
        let mut eta0 = Vec::new();
        let mut m = vec![0.0; q * q];
        let mut g = vec![0.0; q];
        for i in 0..self.m {
            let (a, b) = (self.offsets[i], self.offsets[i + 1]);
            let len = b - a;
            eta0.clear();
            zt.clear();
            for r in a..b {
                eta0.push((0..p).map(|j| self.x[r * p + j] * beta[j]).sum::<f64>());
                for c in 0..q {
                    // (T'z)_c = Σ_e T[e][c] z_e.
                    zt.push(
                        (c..q)
                            .map(|e| t[e * q + c] * self.z[r * q + e])
                            .sum::<f64>(),
                    );
                }
            }
            let objective = |u: &[f64]| -> f64 {
                let mut f: f64 = u.iter().map(|v| v * v).sum();
                for k in 0..len {
                    let eta = eta0[k] + (0..q).map(|c| zt[k * q + c] * u[c]).sum::<f64>();
                    f += dev_res(self.y[a + k], self.trials[a + k], eta);
                }
                f
            };
            let mut u = vec![0.0; q];
            let mut f = objective(&u);
            for _ in 0..200 {
                // Newton step: (Σ W zt zt' + I) δ = Σ (y − μ) zt − u.
                m.iter_mut().for_each(|v| *v = 0.0);
                for c in 0..q {
                    m[c * q + c] = 1.0;
                    g[c] = -u[c];
                }
                for k in 0..len {
                    let eta = eta0[k] + (0..q).map(|c| zt[k * q + c] * u[c]).sum::<f64>();
                    let mu = mu_of(eta);
                    let trials = self.trials[a + k];
                    let w = trials * (mu * (1.0 - mu));
                    let res = trials * (self.y[a + k] - mu);
                    for c in 0..q {
                        g[c] += res * zt[k * q + c];
                        for e in 0..=c {
                            m[c * q + e] += w * zt[k * q + c] * zt[k * q + e];
                        }
                    }
                }
                if cholesky_in_place(&mut m, q).is_err() {
                    return f64::INFINITY;
                }
                let mut delta = g.clone();
                forward_solve(&m, q, &mut delta);
                backward_solve_t(&m, q, &mut delta);
                // Stop on the Newton step itself: the Laplace term log|M| depends on the modes
                // to first order, so they must be exact to rounding for the outer optimiser to
                // see a smooth deviance (a decrement test left noise of ~1e-7 in it).
                let step = delta.iter().fold(0.0f64, |m, d| m.max(d.abs()));
                if step < 1e-11 {
                    break;
                }
                if step < 1e-6 {
                    for (v, d) in u.iter_mut().zip(&delta) {
                        *v += d;
                    }
                    f = objective(&u);
                    continue;
                }
                let mut step = 1.0;
                let mut improved = false;
                for _ in 0..40 {
                    let trial: Vec<f64> = u.iter().zip(&delta).map(|(v, d)| v + step * d).collect();
                    let ft = objective(&trial);
                    if ft <= f {
                        u = trial;
                        f = ft;
                        improved = true;
                        break;
                    }
                    step *= 0.5;
                }
                if !improved {
                    break;
                }
            }
            // log|M| at the mode.
            m.iter_mut().for_each(|v| *v = 0.0);
            for c in 0..q {
                m[c * q + c] = 1.0;
            }
            for k in 0..len {
                let eta = eta0[k] + (0..q).map(|c| zt[k * q + c] * u[c]).sum::<f64>();
                let mu = mu_of(eta);
                let w = self.trials[a + k] * (mu * (1.0 - mu));
                for c in 0..q {
                    for e in 0..=c {
                        m[c * q + e] += w * zt[k * q + c] * zt[k * q + e];
                    }
                }
            }
            if cholesky_in_place(&mut m, q).is_err() {
                return f64::INFINITY;
            }
            total += f + (0..q).map(|c| 2.0 * m[c * q + c].ln()).sum::<f64>();
            if let Some(out) = modes.as_deref_mut() {
                out.push((u.clone(), chol_inverse(&m, q)));
            }
        }
        total
    }
}

/// Logistic regression by IRLS, for starting values.
fn glm_start(pr: &Problem) -> Vec<f64> {
    let (n, p) = (pr.n, pr.p);
    let mut beta = vec![0.0; p];
    for _ in 0..30 {
        let mut xtwx = vec![0.0; p * p];
        let mut xtwz = vec![0.0; p];
        for r in 0..n {
            let xr = &pr.x[r * p..(r + 1) * p];
            let eta: f64 = xr.iter().zip(&beta).map(|(a, b)| a * b).sum();
            let mu = mu_of(eta).clamp(1e-10, 1.0 - 1e-10);
            let unit_w = mu * (1.0 - mu);
            let zw = eta + (pr.y[r] - mu) / unit_w;
            let w = pr.trials[r] * unit_w;
            for a in 0..p {
                xtwz[a] += w * xr[a] * zw;
                for b in 0..=a {
                    xtwx[a * p + b] += w * xr[a] * xr[b];
                }
            }
        }
        if cholesky_in_place(&mut xtwx, p).is_err() {
            break;
        }
        forward_solve(&xtwx, p, &mut xtwz);
        backward_solve_t(&xtwx, p, &mut xtwz);
        let change = xtwz
            .iter()
            .zip(&beta)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        beta = xtwz;
        if change < 1e-10 || beta.iter().any(|b| b.abs() > 50.0) {
            break;
        }
    }
    beta
}

/// Fits a binomial-logit GLMM by the Laplace approximation, to a 0/1 response or to
/// `cbind(successes, failures)` counts (the frame's [`ModelFrame::trials`]).
pub fn fit_binomial(frame: &ModelFrame, options: &GlmmOptions) -> Result<GlmmFit, GlmmError> {
    let n = frame.n_obs();
    let p = frame.x.ncols();
    if frame.random.is_empty() {
        return Err(LmmError::NoRandomEffects.into());
    }
    let trials: Vec<f64> = match &frame.trials {
        Some(t) => t.clone(),
        None => {
            if let Some(k) = frame.y.iter().position(|v| *v != 0.0 && *v != 1.0) {
                return Err(GlmmError::ResponseNotBinary { row: k + 1 });
            }
            vec![1.0; n]
        }
    };
    // Rows without trials carry no outcome, so both outcomes must occur among the others.
    let mut outcomes = frame.y.iter().zip(&trials).filter(|(_, n)| **n > 0.0);
    if outcomes.clone().next().is_none() {
        return Err(LmmError::Degenerate("no row has any trials".into()).into());
    }
    let any_success = outcomes.clone().any(|(y, _)| *y > 0.0);
    let any_failure = outcomes.any(|(y, _)| *y < 1.0);
    if !(any_success && any_failure) {
        return Err(LmmError::Degenerate(format!(
            "the outcome is {} in every row with trials; a binomial model needs both outcomes",
            if any_success { 1 } else { 0 }
        ))
        .into());
    }
    crate::lmm::check_magnitudes(frame)?;
    if frame.random.len() > 1 {
        return fit_general(frame, &trials, options);
    }
    if n <= p {
        return Err(LmmError::TooFewObservations { n_obs: n, p }.into());
    }
    let block = &frame.random[0];
    let q = block.term_names.len();
    let m = block.levels.len();
    if m < 2 {
        return Err(LmmError::SingleLevel {
            group: block.group.clone(),
        }
        .into());
    }
    // As glmer (and unlike lmer), a term may have as many random effects as observations: with
    // one row per level it is an observation-level effect for overdispersion.
    if m * q > n {
        return Err(LmmError::TooManyRandomEffects {
            group: block.group.clone(),
            effects: m * q,
            n_obs: n,
        }
        .into());
    }
    crate::lmm::check_rank(&frame.x, &frame.x_names)?;
    // Regroup rows so each group is contiguous.
    let mut counts = vec![0usize; m + 1];
    for c in &block.codes {
        counts[*c as usize + 1] += 1;
    }
    for i in 0..m {
        counts[i + 1] += counts[i];
    }
    let offsets = counts.clone();
    let mut next = counts;
    let mut x = vec![0.0; n * p];
    let mut z = vec![0.0; n * q];
    let mut y = vec![0.0; n];
    let mut sorted_trials = vec![0.0; n];
    for (r, &row_trials) in trials.iter().enumerate() {
        let g = block.codes[r] as usize;
        let dst = next[g];
        next[g] += 1;
        for j in 0..p {
            x[dst * p + j] = frame.x.get(r, j);
        }
        for j in 0..q {
            z[dst * q + j] = block.z.get(r, j);
        }
        y[dst] = frame.y[r];
        sorted_trials[dst] = row_trials;
    }
    let correlated = block.correlated;
    let mut lower = Vec::new();
    for j in 0..q {
        if correlated {
            for i in j..q {
                lower.push(if i == j { 0.0 } else { f64::NEG_INFINITY });
            }
        } else {
            lower.push(0.0);
        }
    }
    let ntheta = lower.len();
    let pr = Problem {
        n,
        p,
        q,
        m,
        correlated,
        offsets,
        x,
        z,
        y,
        trials: sorted_trials,
        lower,
    };
    let beta0 = glm_start(&pr);
    let mut x0: Vec<f64> = pr
        .lower
        .iter()
        .map(|l| if *l == 0.0 { 1.0 } else { 0.0 })
        .collect();
    x0.extend_from_slice(&beta0);
    let mut all_lower = pr.lower.clone();
    all_lower.extend(std::iter::repeat_n(f64::NEG_INFINITY, p));
    let mut objective = |v: &[f64]| pr.laplace(&v[..ntheta], &v[ntheta..], None);
    let min = minimize(&mut objective, &x0, &all_lower, options.max_evals);
    let theta = min.x[..ntheta].to_vec();
    let beta = min.x[ntheta..].to_vec();
    check_separation(frame, &beta)?;
    let mut modes = Vec::with_capacity(m);
    let dev = pr.laplace(&theta, &beta, Some(&mut modes));
    if !dev.is_finite() {
        return Err(LmmError::Degenerate("the Laplace deviance is not finite".into()).into());
    }
    // vcov(β) = [2 H⁻¹]_ββ with H the Hessian of the deviance in (θ, β), as lme4.
    let h = crate::lmm::hessian(
        &|v: &[f64]| pr.laplace(&v[..ntheta], &v[ntheta..], None),
        &min.x,
    );
    let k = ntheta + p;
    let mut hh = h.clone();
    let vcov: Vec<Vec<f64>> = if cholesky_in_place(&mut hh, k).is_ok() {
        let inv = chol_inverse(&hh, k);
        (0..p)
            .map(|a| {
                (0..p)
                    .map(|b| 2.0 * inv[(ntheta + a) * k + ntheta + b])
                    .collect()
            })
            .collect()
    } else {
        // Not positive definite (e.g. at a boundary): use the β block alone, as lme4 falls
        // back to a conditional estimate.
        let mut hb = vec![0.0; p * p];
        for a in 0..p {
            for b in 0..p {
                hb[a * p + b] = h[(ntheta + a) * k + ntheta + b];
            }
        }
        if cholesky_in_place(&mut hb, p).is_err() {
            return Err(
                LmmError::Degenerate("the Hessian of the deviance is singular".into()).into(),
            );
        }
        let inv = chol_inverse(&hb, p);
        (0..p)
            .map(|a| (0..p).map(|b| 2.0 * inv[a * p + b]).collect())
            .collect()
    };
    let t = pr.template(&theta);
    let covariance: Vec<Vec<f64>> = (0..q)
        .map(|a| {
            (0..q)
                .map(|b| (0..q).map(|c| t[a * q + c] * t[b * q + c]).sum())
                .collect()
        })
        .collect();
    let mut blups = Vec::with_capacity(m);
    let mut cond_var = Vec::with_capacity(m);
    for (u, minv) in &modes {
        blups.push(
            (0..q)
                .map(|a| (0..q).map(|c| t[a * q + c] * u[c]).sum())
                .collect(),
        );
        cond_var.push(
            (0..q)
                .map(|a| {
                    (0..q)
                        .map(|b| {
                            let mut acc = 0.0;
                            for i in 0..q {
                                for j in 0..q {
                                    acc += t[a * q + i] * minv[i * q + j] * t[b * q + j];
                                }
                            }
                            acc
                        })
                        .collect()
                })
                .collect(),
        );
    }
    let fixed = (0..p)
        .map(|j| {
            let se = vcov[j][j].sqrt();
            let zv = beta[j] / se;
            GlmmFixedEffect {
                term: frame.x_names[j].clone(),
                estimate: beta[j],
                std_error: se,
                z_value: zv,
                p_value: normal_two_sided_p(zv),
            }
        })
        .collect();
    let df_model = p + ntheta;
    let singular = theta
        .iter()
        .zip(&pr.lower)
        .any(|(v, l)| *l == 0.0 && *v < 1e-4);
    let dev = reported_deviance(frame, dev);
    Ok(GlmmFit {
        n_obs: n,
        fixed,
        vcov,
        random: vec![RandomComponent {
            group: block.group.clone(),
            terms: block.term_names.clone(),
            covariance,
            levels: block.levels.clone(),
            blups,
            cond_var,
        }],
        log_likelihood: -dev / 2.0,
        deviance: dev,
        aic: dev + 2.0 * df_model as f64,
        bic: dev + df_model as f64 * (n as f64).ln(),
        df_model,
        theta,
        converged: min.converged,
        singular,
        evaluations: min.evals,
        groups: vec![(block.group.clone(), m)],
    })
}

/// lme4's reported deviance (−2 log-likelihood) from the Laplace deviance the fit minimises:
/// for counts, minus twice the binomial coefficients that the objective leaves out.
fn reported_deviance(frame: &ModelFrame, laplace: f64) -> f64 {
    match &frame.trials {
        Some(trials) => laplace - 2.0 * log_binomial_coefficients(&frame.y, trials),
        None => laplace,
    }
}

/// Row-major lower-triangular relative covariance factor of one term.
fn term_template(q: usize, correlated: bool, theta: &[f64]) -> Vec<f64> {
    let mut t = vec![0.0; q * q];
    let mut k = 0;
    for j in 0..q {
        if correlated {
            for i in j..q {
                t[i * q + j] = theta[k];
                k += 1;
            }
        } else {
            t[j * q + j] = theta[k];
            k += 1;
        }
    }
    t
}

/// Several random-effects terms: PIRLS through the LMM's penalised least squares.
struct General<'a> {
    frame: &'a ModelFrame,
    /// Binomial trials per row (1 for 0/1 responses).
    trials: &'a [f64],
    /// Per term in θ order: (frame index, q, correlated, θ offset).
    layout: Vec<(usize, usize, bool, usize)>,
    /// Working frame (no fixed effects); its `y` and `z` are overwritten each PIRLS step.
    work: std::cell::RefCell<ModelFrame>,
    /// Modes from the last evaluation, per term in frame order (warm start).
    last_u: std::cell::RefCell<Vec<Vec<f64>>>,
}

impl General<'_> {
    /// `Σ_k z_k(i)' T_k u_{k, level(i)}` for every row.
    fn random_part(&self, theta: &[f64], u: &[Vec<f64>]) -> Vec<f64> {
        let n = self.frame.n_obs();
        let mut rp = vec![0.0; n];
        for &(fi, q, corr, off) in &self.layout {
            let t = term_template(q, corr, &theta[off..]);
            let b = &self.frame.random[fi];
            // b_l = T u_l per level.
            let bl: Vec<f64> = (0..b.levels.len())
                .flat_map(|l| {
                    let ul = &u[fi][l * q..(l + 1) * q];
                    (0..q)
                        .map(|a| (0..=a).map(|c| t[a * q + c] * ul[c]).sum::<f64>())
                        .collect::<Vec<_>>()
                })
                .collect();
            for (i, r) in rp.iter_mut().enumerate() {
                let l = b.codes[i] as usize;
                for j in 0..q {
                    *r += b.z.get(i, j) * bl[l * q + j];
                }
            }
        }
        rp
    }

    fn penalised(&self, eta_f: &[f64], rp: &[f64], u: &[Vec<f64>]) -> f64 {
        let dev: f64 = eta_f
            .iter()
            .zip(rp)
            .zip(&self.frame.y)
            .zip(self.trials)
            .map(|(((a, b), y), n)| dev_res(*y, *n, a + b))
            .sum();
        dev + u.iter().flatten().map(|v| v * v).sum::<f64>()
    }

    /// Loads working response and √w-scaled Z at the current linear predictor.
    fn load(&self, eta_f: &[f64], rp: &[f64]) {
        let mut work = self.work.borrow_mut();
        let n = self.frame.n_obs();
        let mut sw = vec![0.0; n];
        for i in 0..n {
            let mu = mu_of(eta_f[i] + rp[i]);
            // A row without trials gets a negligible weight, so it drops out of the solve.
            let w = (self.trials[i] * (mu * (1.0 - mu))).max(1e-300);
            sw[i] = w.sqrt();
            // √w times the working residual (y − μ)/(μ(1 − μ)) is n(y − μ)/√w.
            work.y[i] = (self.trials[i] * (self.frame.y[i] - mu)) / sw[i] + sw[i] * rp[i];
        }
        for (k, b) in self.frame.random.iter().enumerate() {
            for j in 0..b.z.ncols() {
                for (i, s) in sw.iter().enumerate() {
                    work.random[k].z.set(i, j, b.z.get(i, j) * s);
                }
            }
        }
    }

    fn laplace(&self, theta: &[f64], beta: &[f64]) -> f64 {
        let p = self.frame.x.ncols();
        let n = self.frame.n_obs();
        let eta_f: Vec<f64> = (0..n)
            .map(|i| (0..p).map(|j| self.frame.x.get(i, j) * beta[j]).sum())
            .collect();
        let mut u = self.last_u.borrow().clone();
        let mut rp = self.random_part(theta, &u);
        let mut pdev = self.penalised(&eta_f, &rp, &u);
        if !pdev.is_finite() {
            u.iter_mut().flatten().for_each(|v| *v = 0.0);
            rp = self.random_part(theta, &u);
            pdev = self.penalised(&eta_f, &rp, &u);
        }
        for _ in 0..100 {
            self.load(&eta_f, &rp);
            let Ok(Some((target, _))) = crate::lmm::pls_modes(&self.work.borrow(), theta) else {
                return f64::INFINITY;
            };
            // Newton (Fisher scoring, canonical link) converges quadratically: stop on the
            // size of the full step, so the modes, and log|L|² through them, are exact to
            // rounding and the deviance is a smooth function for the optimiser.
            let step = u
                .iter()
                .zip(&target)
                .flat_map(|(a, b)| a.iter().zip(b).map(|(x, y)| (y - x).abs()))
                .fold(0.0, f64::max);
            if step < 1e-11 {
                break;
            }
            if step < 1e-6 {
                // Inside the region of quadratic convergence the full step is safe, and a
                // line search would only compare values equal to rounding.
                u = target;
                rp = self.random_part(theta, &u);
                pdev = self.penalised(&eta_f, &rp, &u);
                continue;
            }
            let mut alpha = 1.0;
            let mut accepted = false;
            for _ in 0..30 {
                let trial: Vec<Vec<f64>> = u
                    .iter()
                    .zip(&target)
                    .map(|(a, b)| a.iter().zip(b).map(|(x, y)| x + alpha * (y - x)).collect())
                    .collect();
                let rp_t = self.random_part(theta, &trial);
                let pd = self.penalised(&eta_f, &rp_t, &trial);
                if pd <= pdev * (1.0 + 1e-15) {
                    u = trial;
                    rp = rp_t;
                    pdev = pd;
                    accepted = true;
                    break;
                }
                alpha *= 0.5;
            }
            if !accepted {
                break;
            }
        }
        self.load(&eta_f, &rp);
        let Ok(Some((_, ldl2))) = crate::lmm::pls_modes(&self.work.borrow(), theta) else {
            return f64::INFINITY;
        };
        *self.last_u.borrow_mut() = u;
        pdev + ldl2
    }
}

fn fit_general(
    frame: &ModelFrame,
    trials: &[f64],
    options: &GlmmOptions,
) -> Result<GlmmFit, GlmmError> {
    let n = frame.n_obs();
    let p = frame.x.ncols();
    crate::lmm::check_rank(&frame.x, &frame.x_names)?;
    let mut work = frame.clone();
    // The working frame is a weighted linear model: its response is a single column.
    work.trials = None;
    work.x = crate::frame::Matrix::zeros(n, 0);
    work.x_names.clear();
    let (layout, lower) = crate::lmm::theta_layout(&work)?;
    let ntheta = lower.len();
    let g = General {
        frame,
        trials,
        layout,
        last_u: std::cell::RefCell::new(
            frame
                .random
                .iter()
                .map(|b| vec![0.0; b.levels.len() * b.z.ncols()])
                .collect(),
        ),
        work: std::cell::RefCell::new(work),
    };
    // Starting values: logistic regression for β, θ = 1 on the diagonals (lme4's start).
    let glm = {
        let pr = Problem {
            n,
            p,
            q: 0,
            m: 0,
            correlated: false,
            offsets: vec![],
            x: (0..n)
                .flat_map(|i| (0..p).map(move |j| frame.x.get(i, j)))
                .collect(),
            z: vec![],
            y: frame.y.clone(),
            trials: trials.to_vec(),
            lower: vec![],
        };
        glm_start(&pr)
    };
    let mut x0: Vec<f64> = lower
        .iter()
        .map(|l| if *l == 0.0 { 1.0 } else { 0.0 })
        .collect();
    x0.extend_from_slice(&glm);
    let mut all_lower = lower.clone();
    all_lower.extend(std::iter::repeat_n(f64::NEG_INFINITY, p));
    let mut objective = |v: &[f64]| g.laplace(&v[..ntheta], &v[ntheta..]);
    let min = minimize(&mut objective, &x0, &all_lower, options.max_evals);
    let theta = min.x[..ntheta].to_vec();
    let beta = min.x[ntheta..].to_vec();
    check_separation(frame, &beta)?;
    let dev = g.laplace(&theta, &beta);
    if !dev.is_finite() {
        return Err(LmmError::Degenerate("the Laplace deviance is not finite".into()).into());
    }
    let h = crate::lmm::hessian_levels(
        &|v: &[f64]| g.laplace(&v[..ntheta], &v[ntheta..]),
        &min.x,
        2,
    );
    let vcov = vcov_from_hessian(&h, ntheta, p)?;
    // Random-effect summaries at the modes, with W at the modes.
    let _ = g.laplace(&theta, &beta);
    let random = crate::lmm::pls_components(&g.work.borrow(), &theta)?;
    let fixed = fixed_effects(frame, &beta, &vcov);
    let df_model = p + ntheta;
    let singular = theta
        .iter()
        .zip(&lower)
        .any(|(v, l)| *l == 0.0 && *v < 1e-4);
    let dev = reported_deviance(frame, dev);
    let mut groups: Vec<(String, usize)> = Vec::new();
    for r in &random {
        if !groups.iter().any(|(x, _)| *x == r.group) {
            groups.push((r.group.clone(), r.levels.len()));
        }
    }
    Ok(GlmmFit {
        n_obs: n,
        fixed,
        vcov,
        random,
        log_likelihood: -dev / 2.0,
        deviance: dev,
        aic: dev + 2.0 * df_model as f64,
        bic: dev + df_model as f64 * (n as f64).ln(),
        df_model,
        theta,
        converged: min.converged,
        singular,
        evaluations: min.evals,
        groups,
    })
}

/// Refuses estimates that ran off towards infinity: a logit-scale effect above 25 per standard
/// deviation of its column (odds ratios beyond e²⁵) signals complete or quasi-complete
/// separation in practice.
fn check_separation(frame: &ModelFrame, beta: &[f64]) -> Result<(), GlmmError> {
    // Scale each coefficient by its column's standard deviation (a covariate in small units
    // legitimately has a large β); constant columns such as the intercept are taken as is.
    let n = frame.n_obs() as f64;
    let scaled: Vec<f64> = (0..beta.len())
        .map(|j| {
            let col = frame.x.col(j);
            let mean = col.iter().sum::<f64>() / n;
            let sd = (col.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt();
            beta[j].abs() * if sd > 0.0 { sd } else { 1.0 }
        })
        .collect();
    match scaled.iter().position(|b| *b > 25.0) {
        Some(j) => Err(LmmError::Degenerate(format!(
            "the estimate for `{}` diverges (above 25 on the logit scale per SD): the outcome looks (quasi-)completely separated by the covariates",
            frame.x_names[j]
        ))
        .into()),
        None => Ok(()),
    }
}

/// `[2 H⁻¹]_ββ` (lme4's default GLMM covariance), or from the β block alone when the full
/// Hessian is not positive definite (a boundary fit).
fn vcov_from_hessian(h: &[f64], ntheta: usize, p: usize) -> Result<Vec<Vec<f64>>, GlmmError> {
    let k = ntheta + p;
    let mut hh = h.to_vec();
    if cholesky_in_place(&mut hh, k).is_ok() {
        let inv = chol_inverse(&hh, k);
        return Ok((0..p)
            .map(|a| {
                (0..p)
                    .map(|b| 2.0 * inv[(ntheta + a) * k + ntheta + b])
                    .collect()
            })
            .collect());
    }
    let mut hb = vec![0.0; p * p];
    for a in 0..p {
        for b in 0..p {
            hb[a * p + b] = h[(ntheta + a) * k + ntheta + b];
        }
    }
    if cholesky_in_place(&mut hb, p).is_err() {
        return Err(LmmError::Degenerate("the Hessian of the deviance is singular".into()).into());
    }
    let inv = chol_inverse(&hb, p);
    Ok((0..p)
        .map(|a| (0..p).map(|b| 2.0 * inv[a * p + b]).collect())
        .collect())
}

fn fixed_effects(frame: &ModelFrame, beta: &[f64], vcov: &[Vec<f64>]) -> Vec<GlmmFixedEffect> {
    (0..beta.len())
        .map(|j| {
            let se = vcov[j][j].sqrt();
            let zv = beta[j] / se;
            GlmmFixedEffect {
                term: frame.x_names[j].clone(),
                estimate: beta[j],
                std_error: se,
                z_value: zv,
                p_value: normal_two_sided_p(zv),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Data;
    use crate::formula::Formula;

    fn frame(formula: &str, k: Vec<f64>, f: Vec<f64>) -> ModelFrame {
        let mut d = Data::new();
        let g: Vec<Option<&str>> = (0..k.len())
            .map(|i| Some(if i % 2 == 0 { "a" } else { "b" }))
            .collect();
        d.add_numeric("k", k).unwrap();
        d.add_numeric("f", f).unwrap();
        d.add_factor("g", &g).unwrap();
        ModelFrame::new(&Formula::parse(formula).unwrap(), &d).unwrap()
    }

    fn degenerate(r: Result<GlmmFit, GlmmError>) -> String {
        match r {
            Err(GlmmError::Model(LmmError::Degenerate(m))) => m,
            other => panic!("expected a degenerate-data error, got {other:?}"),
        }
    }

    #[test]
    fn counts_need_both_outcomes_among_rows_with_trials() {
        let o = GlmmOptions::default();
        // Every client remitted: the zero-trial rows do not count as failures.
        let all = frame(
            "cbind(k, f) ~ 1 + (1 | g)",
            vec![2.0, 0.0, 3.0, 1.0, 0.0],
            vec![0.0; 5],
        );
        assert!(degenerate(fit_binomial(&all, &o)).contains("is 1 in every row"));
        let none = frame("cbind(k, f) ~ 1 + (1 | g)", vec![0.0; 5], vec![0.0; 5]);
        assert!(degenerate(fit_binomial(&none, &o)).contains("no row has any trials"));
    }

    /// Fuzzing: a covariate near 1e200 gave a "converged" fit with β = 0 and a zero standard
    /// error (every cross-product overflowed), for one and for several random-effects terms.
    #[test]
    fn overflowing_covariate_is_refused() {
        let o = GlmmOptions::default();
        let k = vec![1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0];
        let f: Vec<f64> = (0..8).map(|i| (i % 3) as f64 * 1e200).collect();
        for formula in ["k ~ f + (1 | g)", "k ~ 1 + (1 | g) + (0 + f | g)"] {
            let m = degenerate(fit_binomial(&frame(formula, k.clone(), f.clone()), &o));
            assert!(m.contains("`f`") && m.contains("too large"), "{m}");
        }
    }

    #[test]
    fn single_column_response_must_be_zero_or_one() {
        let counts = frame(
            "k ~ 1 + (1 | g)",
            vec![0.0, 1.0, 2.0, 1.0, 0.0],
            vec![0.0; 5],
        );
        assert_eq!(
            fit_binomial(&counts, &GlmmOptions::default()),
            Err(GlmmError::ResponseNotBinary { row: 3 })
        );
    }
}
