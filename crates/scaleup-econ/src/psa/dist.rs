//! Parameter distributions for PSA and their method-of-moments constructors.
//!
//! Conventions follow dampack `R/gen_psa_samp.R` (`beta_params`, `gamma_params`,
//! `lnorm_params`, `dirichlet_params`); "se" is the standard deviation of the parameter's
//! uncertainty distribution.

use rand::Rng;
use rand_distr::{Distribution as _, Gamma, LogNormal, Normal, Triangular};

/// An uncertainty distribution for one parameter (or one vector, for Dirichlet).
#[derive(Clone, Debug, PartialEq)]
pub enum Distribution {
    /// A constant (no uncertainty).
    Fixed(f64),
    /// Beta(α, β) for probabilities and utilities.
    Beta {
        /// Shape α.
        alpha: f64,
        /// Shape β.
        beta: f64,
    },
    /// Gamma(shape, scale) for costs and other positive quantities.
    Gamma {
        /// Shape k.
        shape: f64,
        /// Scale θ (mean = kθ).
        scale: f64,
    },
    /// Lognormal with log-scale mean and standard deviation, for ratios.
    LogNormal {
        /// Mean of the logarithm.
        meanlog: f64,
        /// Standard deviation of the logarithm.
        sdlog: f64,
    },
    /// Normal(mean, sd).
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        sd: f64,
    },
    /// Triangular(min, mode, max).
    Triangular {
        /// Lower bound.
        min: f64,
        /// Mode.
        mode: f64,
        /// Upper bound.
        max: f64,
    },
    /// Dirichlet(α₁..α_k) for a whole row of transition probabilities.
    Dirichlet {
        /// Concentrations.
        alpha: Vec<f64>,
    },
}

/// A distribution that cannot be built from the given numbers. Messages name the rule, not
/// the value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct DistError(pub String);

fn need(ok: bool, msg: &str) -> Result<(), DistError> {
    if ok {
        Ok(())
    } else {
        Err(DistError(msg.to_string()))
    }
}

impl Distribution {
    /// Beta from mean μ and SE σ: α = μ²(1−μ)/σ² − μ, β = α(1/μ − 1).
    pub fn beta_from_moments(mean: f64, se: f64) -> Result<Self, DistError> {
        need(mean > 0.0 && mean < 1.0, "beta mean must be in (0, 1)")?;
        need(se > 0.0, "beta se must be positive")?;
        need(
            se * se < mean * (1.0 - mean),
            "beta se² must be below mean·(1 − mean)",
        )?;
        let alpha = mean * mean * (1.0 - mean) / (se * se) - mean;
        Ok(Distribution::Beta {
            alpha,
            beta: alpha * (1.0 / mean - 1.0),
        })
    }

    /// Gamma from mean μ and SE σ: shape μ²/σ², scale σ²/μ.
    pub fn gamma_from_moments(mean: f64, se: f64) -> Result<Self, DistError> {
        need(mean > 0.0, "gamma mean must be positive")?;
        need(se > 0.0, "gamma se must be positive")?;
        Ok(Distribution::Gamma {
            shape: mean * mean / (se * se),
            scale: se * se / mean,
        })
    }

    /// Lognormal from the mean m and SE s on the natural scale (variance v = s²):
    /// meanlog = ln(m / √(1 + v/m²)), sdlog = √ln(1 + v/m²).
    pub fn lognormal_from_moments(mean: f64, se: f64) -> Result<Self, DistError> {
        need(mean > 0.0, "lognormal mean must be positive")?;
        need(se > 0.0, "lognormal se must be positive")?;
        let r = 1.0 + se * se / (mean * mean);
        Ok(Distribution::LogNormal {
            meanlog: (mean / r.sqrt()).ln(),
            sdlog: r.ln().sqrt(),
        })
    }

    /// Dirichlet from mean proportions and the SE of the first component (dampack's
    /// `dirichlet_params`): α₀ = μ₁(1−μ₁)/σ₁² − 1, αᵢ = α₀·μᵢ.
    pub fn dirichlet_from_moments(mean: &[f64], se_first: f64) -> Result<Self, DistError> {
        need(mean.len() >= 2, "dirichlet needs at least two components")?;
        need(
            mean.iter().all(|&m| m > 0.0),
            "dirichlet means must be positive",
        )?;
        need(
            (mean.iter().sum::<f64>() - 1.0).abs() < 1e-9,
            "dirichlet means must sum to 1",
        )?;
        need(se_first > 0.0, "dirichlet se must be positive")?;
        let alpha0 = mean[0] * (1.0 - mean[0]) / (se_first * se_first) - 1.0;
        need(alpha0 > 0.0, "dirichlet se is too large for the first mean")?;
        Ok(Distribution::Dirichlet {
            alpha: mean.iter().map(|m| m * alpha0).collect(),
        })
    }

    /// Checks native parameters.
    pub fn validate(&self) -> Result<(), DistError> {
        let finite = |v: f64| v.is_finite();
        match self {
            Distribution::Fixed(v) => need(finite(*v), "value must be finite"),
            Distribution::Beta { alpha, beta } => need(
                *alpha > 0.0 && *beta > 0.0,
                "beta alpha and beta must be positive",
            ),
            Distribution::Gamma { shape, scale } => need(
                *shape > 0.0 && *scale > 0.0,
                "gamma shape and scale must be positive",
            ),
            Distribution::LogNormal { meanlog, sdlog } => need(
                finite(*meanlog) && *sdlog >= 0.0,
                "lognormal sdlog must be non-negative",
            ),
            Distribution::Normal { mean, sd } => need(
                finite(*mean) && *sd >= 0.0,
                "normal sd must be non-negative",
            ),
            Distribution::Triangular { min, mode, max } => need(
                min <= mode && mode <= max && min < max,
                "triangular needs min <= mode <= max and min < max",
            ),
            Distribution::Dirichlet { alpha } => need(
                alpha.len() >= 2 && alpha.iter().all(|a| *a > 0.0),
                "dirichlet needs at least two positive alpha values",
            ),
        }
    }

    /// Whether draws differ from one another: false for a fixed value and for a normal or
    /// lognormal with zero spread, which are constants written as distributions.
    pub fn varies(&self) -> bool {
        match self {
            Distribution::Fixed(_) => false,
            Distribution::Normal { sd, .. } => *sd > 0.0,
            Distribution::LogNormal { sdlog, .. } => *sdlog > 0.0,
            _ => true,
        }
    }

    /// Number of values one draw produces (k for Dirichlet, else 1).
    pub fn dim(&self) -> usize {
        match self {
            Distribution::Dirichlet { alpha } => alpha.len(),
            _ => 1,
        }
    }

    /// The distribution's mean (component-wise for Dirichlet).
    pub fn mean(&self) -> Vec<f64> {
        match self {
            Distribution::Fixed(v) => vec![*v],
            Distribution::Beta { alpha, beta } => vec![alpha / (alpha + beta)],
            Distribution::Gamma { shape, scale } => vec![shape * scale],
            Distribution::LogNormal { meanlog, sdlog } => {
                vec![(meanlog + sdlog * sdlog / 2.0).exp()]
            }
            Distribution::Normal { mean, .. } => vec![*mean],
            Distribution::Triangular { min, mode, max } => vec![(min + mode + max) / 3.0],
            Distribution::Dirichlet { alpha } => {
                let s: f64 = alpha.iter().sum();
                alpha.iter().map(|a| a / s).collect()
            }
        }
    }

    /// The distribution's variance (component-wise for Dirichlet).
    pub fn variance(&self) -> Vec<f64> {
        match self {
            Distribution::Fixed(_) => vec![0.0],
            Distribution::Beta { alpha: a, beta: b } => {
                vec![a * b / ((a + b) * (a + b) * (a + b + 1.0))]
            }
            Distribution::Gamma { shape, scale } => vec![shape * scale * scale],
            Distribution::LogNormal { meanlog, sdlog } => {
                let s2 = sdlog * sdlog;
                vec![(s2.exp() - 1.0) * (2.0 * meanlog + s2).exp()]
            }
            Distribution::Normal { sd, .. } => vec![sd * sd],
            Distribution::Triangular {
                min: a,
                mode: c,
                max: b,
            } => vec![(a * a + b * b + c * c - a * b - a * c - b * c) / 18.0],
            Distribution::Dirichlet { alpha } => {
                let s: f64 = alpha.iter().sum();
                alpha
                    .iter()
                    .map(|a| a * (s - a) / (s * s * (s + 1.0)))
                    .collect()
            }
        }
    }

    /// Builds a sampler. The distribution must have passed [`Distribution::validate`].
    pub fn sampler(&self) -> Result<Sampler, DistError> {
        self.validate()?;
        let bad = |e: &dyn std::fmt::Display| DistError(e.to_string());
        Ok(match self {
            Distribution::Fixed(v) => Sampler::Fixed(*v),
            Distribution::Beta { alpha, beta } => Sampler::Beta(
                Gamma::new(*alpha, 1.0).map_err(|e| bad(&e))?,
                Gamma::new(*beta, 1.0).map_err(|e| bad(&e))?,
            ),
            Distribution::Gamma { shape, scale } => {
                Sampler::Gamma(Gamma::new(*shape, *scale).map_err(|e| bad(&e))?)
            }
            Distribution::LogNormal { meanlog, sdlog } => {
                Sampler::LogNormal(LogNormal::new(*meanlog, *sdlog).map_err(|e| bad(&e))?)
            }
            Distribution::Normal { mean, sd } => {
                Sampler::Normal(Normal::new(*mean, *sd).map_err(|e| bad(&e))?)
            }
            Distribution::Triangular { min, mode, max } => {
                Sampler::Triangular(Triangular::new(*min, *max, *mode).map_err(|e| bad(&e))?)
            }
            Distribution::Dirichlet { alpha } => Sampler::Dirichlet(
                alpha
                    .iter()
                    .map(|a| Gamma::new(*a, 1.0).map_err(|e| bad(&e)))
                    .collect::<Result<_, _>>()?,
            ),
        })
    }
}

/// A ready-to-draw distribution.
#[derive(Clone, Debug)]
pub enum Sampler {
    /// Constant.
    Fixed(f64),
    /// Beta as X/(X+Y) with X ~ Gamma(α), Y ~ Gamma(β); exact, and stable for small shapes.
    Beta(Gamma<f64>, Gamma<f64>),
    /// Gamma.
    Gamma(Gamma<f64>),
    /// Lognormal.
    LogNormal(LogNormal<f64>),
    /// Normal.
    Normal(Normal<f64>),
    /// Triangular.
    Triangular(Triangular<f64>),
    /// Dirichlet as normalised independent Gamma(αᵢ, 1) draws.
    Dirichlet(Vec<Gamma<f64>>),
}

impl Sampler {
    /// Writes one draw into `out` (length = the distribution's dimension).
    pub fn sample_into<R: Rng + ?Sized>(&self, rng: &mut R, out: &mut [f64]) {
        match self {
            Sampler::Fixed(v) => out[0] = *v,
            Sampler::Beta(x, y) => {
                let a = x.sample(rng);
                let b = y.sample(rng);
                out[0] = a / (a + b);
            }
            Sampler::Gamma(g) => out[0] = g.sample(rng),
            Sampler::LogNormal(d) => out[0] = d.sample(rng),
            Sampler::Normal(d) => out[0] = d.sample(rng),
            Sampler::Triangular(d) => out[0] = d.sample(rng),
            Sampler::Dirichlet(gs) => {
                let mut s = 0.0;
                for (o, g) in out.iter_mut().zip(gs) {
                    *o = g.sample(rng);
                    s += *o;
                }
                for o in out.iter_mut() {
                    *o /= s;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    /// Worked examples from the reference (section 4.3, computed from dampack's formulas).
    #[test]
    fn method_of_moments_examples() {
        let Distribution::Beta { alpha, beta } =
            Distribution::beta_from_moments(0.3, 0.05).unwrap()
        else {
            panic!()
        };
        assert!(close(alpha, 24.9, 1e-9) && close(beta, 58.1, 1e-9));
        let Distribution::Gamma { shape, scale } =
            Distribution::gamma_from_moments(2.0, 1.0).unwrap()
        else {
            panic!()
        };
        assert!(close(shape, 4.0, 1e-12) && close(scale, 0.5, 1e-12));
        // lnorm_params(m = 3, v = 0.01): se = sqrt(0.01) = 0.1.
        let Distribution::LogNormal { meanlog, sdlog } =
            Distribution::lognormal_from_moments(3.0, 0.1).unwrap()
        else {
            panic!()
        };
        assert!(close(meanlog, 1.0980570, 5e-8) && close(sdlog, 0.0333241, 5e-8));
        let Distribution::Dirichlet { alpha } =
            Distribution::dirichlet_from_moments(&[0.5, 0.15, 0.35], 0.035).unwrap()
        else {
            panic!()
        };
        for (a, want) in alpha.iter().zip([101.54, 30.46, 71.08]) {
            assert!(close(*a, want, 0.005), "{a} vs {want}");
        }
        assert!(Distribution::beta_from_moments(0.5, 0.6).is_err());
        assert!(Distribution::gamma_from_moments(-1.0, 1.0).is_err());
    }

    /// Sample moments of 200,000 draws match the requested mean and SE. Tolerance: 5 standard
    /// errors of the sample mean (σ/√n) and 3 % relative on the SD.
    #[test]
    fn sample_moments_match_requested() {
        let n = 200_000;
        let cases = [
            Distribution::beta_from_moments(0.3, 0.05).unwrap(),
            Distribution::gamma_from_moments(2.0, 1.0).unwrap(),
            Distribution::lognormal_from_moments(3.0, 0.4).unwrap(),
            Distribution::Normal {
                mean: -1.0,
                sd: 2.0,
            },
            Distribution::Triangular {
                min: 0.0,
                mode: 1.0,
                max: 4.0,
            },
            Distribution::dirichlet_from_moments(&[0.5, 0.15, 0.35], 0.035).unwrap(),
        ];
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for d in &cases {
            let s = d.sampler().unwrap();
            let k = d.dim();
            let mut buf = vec![0.0; k];
            let mut sum = vec![0.0; k];
            let mut sq = vec![0.0; k];
            for _ in 0..n {
                s.sample_into(&mut rng, &mut buf);
                for j in 0..k {
                    sum[j] += buf[j];
                    sq[j] += buf[j] * buf[j];
                }
            }
            let (mean, var) = (d.mean(), d.variance());
            for j in 0..k {
                let m = sum[j] / n as f64;
                let v = sq[j] / n as f64 - m * m;
                let sd = var[j].sqrt();
                assert!(
                    (m - mean[j]).abs() < 5.0 * sd / (n as f64).sqrt(),
                    "{d:?} mean {m} vs {}",
                    mean[j]
                );
                assert!(
                    (v.sqrt() / sd - 1.0).abs() < 0.03,
                    "{d:?} sd {} vs {sd}",
                    v.sqrt()
                );
            }
        }
        // The requested moments are the distributions' analytic moments.
        let d = Distribution::beta_from_moments(0.3, 0.05).unwrap();
        assert!(close(d.mean()[0], 0.3, 1e-12) && close(d.variance()[0], 0.0025, 1e-12));
        let d = Distribution::lognormal_from_moments(3.0, 0.4).unwrap();
        assert!(close(d.mean()[0], 3.0, 1e-12) && close(d.variance()[0], 0.16, 1e-12));
    }
}
