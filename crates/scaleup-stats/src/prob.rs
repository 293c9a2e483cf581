//! Distribution functions used by the design, meta-analysis and GEE modules.
//!
//! Thin wrappers over `statrs` so that callers do not repeat the constructor boilerplate and so
//! that tail probabilities are computed from the tail (via `erfc`) instead of as `1 - cdf`,
//! which would lose all precision for large statistics.

use statrs::distribution::{ChiSquared, ContinuousCDF, Normal, StudentsT};
use statrs::function::erf;

/// Standard normal distribution function Φ(x).
pub fn norm_cdf(x: f64) -> f64 {
    0.5 * erf::erfc(-x / std::f64::consts::SQRT_2)
}

/// Standard normal upper tail 1 − Φ(x), accurate for large x.
pub fn norm_sf(x: f64) -> f64 {
    0.5 * erf::erfc(x / std::f64::consts::SQRT_2)
}

/// Standard normal quantile Φ⁻¹(p) for 0 < p < 1; NaN for p outside [0, 1] or NaN.
pub fn norm_quantile(p: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    Normal::new(0.0, 1.0)
        .expect("standard normal")
        .inverse_cdf(p)
}

/// Two-sided p-value of a z statistic.
pub fn norm_two_sided_p(z: f64) -> f64 {
    2.0 * norm_sf(z.abs())
}

/// Student t distribution function with `df` degrees of freedom; NaN (as R's `pt`) when `x`
/// is NaN or `df` is not positive, where statrs would panic.
pub fn t_cdf(x: f64, df: f64) -> f64 {
    match StudentsT::new(0.0, 1.0, df) {
        Ok(t) if !x.is_nan() => t.cdf(x),
        _ => f64::NAN,
    }
}

/// Two-sided p-value of a t statistic.
pub fn t_two_sided_p(t: f64, df: f64) -> f64 {
    // The upper tail from the symmetric lower tail keeps precision for large |t|.
    2.0 * t_cdf(-t.abs(), df)
}

/// Student t quantile with `df` degrees of freedom; NaN for p outside [0, 1] or a df that is
/// not positive.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    match StudentsT::new(0.0, 1.0, df) {
        Ok(t) if (0.0..=1.0).contains(&p) => t.inverse_cdf(p),
        _ => f64::NAN,
    }
}

/// Upper tail of the χ² distribution with `df` degrees of freedom.
pub fn chisq_sf(x: f64, df: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    match ChiSquared::new(df) {
        Ok(c) if !x.is_nan() => c.sf(x),
        _ => f64::NAN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Values from R 4.2.2: qnorm(0.975), pnorm(-3), qt(0.975, 5), pt(-2, 7), pchisq(10, 3, lower=FALSE).
    #[test]
    fn matches_r() {
        let close =
            |a: f64, b: f64, tol: f64| assert!((a - b).abs() <= tol * b.abs(), "{a} vs {b}");
        close(norm_quantile(0.975), 1.959963984540054, 1e-14);
        // statrs's erfc is good to about 1e-10 relative here, ample for power and p-values.
        close(norm_cdf(-3.0), 0.0013498980316300946, 1e-9);
        close(t_quantile(0.975, 5.0), 2.5705818356363137, 1e-10);
        close(t_cdf(-2.0, 7.0), 0.04280966428148798, 1e-10);
        close(chisq_sf(10.0, 3.0), 0.018566135463043233, 1e-10);
    }

    // Invalid arguments give NaN, as in R, instead of a panic inside statrs: the fuzzed
    // meta-analysis reached `StudentsT::cdf(NaN)` this way.
    #[test]
    fn invalid_arguments_give_nan_not_a_panic() {
        assert!(t_cdf(f64::NAN, 3.0).is_nan());
        assert!(t_cdf(1.0, 0.0).is_nan());
        assert!(t_cdf(1.0, f64::NAN).is_nan());
        assert!(t_two_sided_p(f64::NAN, 5.0).is_nan());
        assert!(t_quantile(1.5, 5.0).is_nan());
        assert!(t_quantile(f64::NAN, 5.0).is_nan());
        assert!(t_quantile(0.5, -1.0).is_nan());
        assert!(norm_quantile(f64::NAN).is_nan());
        assert!(norm_quantile(-0.1).is_nan());
        assert!(chisq_sf(f64::NAN, 2.0).is_nan());
        assert!(chisq_sf(3.0, 0.0).is_nan());
    }
}
