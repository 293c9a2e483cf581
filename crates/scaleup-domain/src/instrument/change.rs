//! Change between two administrations: reliable change (Jacobson & Truax 1991), response and
//! remission with configurable thresholds (instruments.md §6).

use serde::{Deserialize, Serialize};

/// Invalid parameters for a change computation. Messages name the parameter, not a score.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChangeError {
    /// SD must be positive and finite.
    #[error("sd_pre: must be a positive finite number")]
    BadSd,
    /// Reliability must lie in [0, 1).
    #[error("reliability: must lie in [0, 1)")]
    BadReliability,
    /// Scores must be finite.
    #[error("scores must be finite numbers")]
    BadScore,
    /// Response needs a positive baseline and a reduction fraction in (0, 1].
    #[error("response: baseline must be positive and the reduction fraction in (0, 1]")]
    BadResponseParameters,
}

/// Direction of a reliable change, given which direction is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RciDirection {
    /// Reliable change towards better.
    Improved,
    /// Reliable change towards worse.
    Deteriorated,
    /// Change within measurement error.
    NoReliableChange,
}

/// The reliable change index and its ingredients.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ReliableChange {
    /// Standard error of measurement, `SD_pre × sqrt(1 − r_xx)`.
    pub sem: f64,
    /// Standard error of the difference, `sqrt(2) × SEM`.
    pub s_diff: f64,
    /// `(post − pre) / S_diff`.
    pub rci: f64,
    /// Smallest absolute change that is reliable at 95 %: `1.96 × S_diff`.
    pub min_reliable_change: f64,
    /// Classification.
    pub direction: RciDirection,
}

/// Jacobson–Truax reliable change index with the √2 correction (Christensen & Mendoza 1986).
///
/// `reliability` is r_xx (record whether it is alpha or test–retest alongside the result);
/// `higher_is_better` is false for symptom scales such as PHQ-9.
pub fn reliable_change(
    pre: f64,
    post: f64,
    sd_pre: f64,
    reliability: f64,
    higher_is_better: bool,
) -> Result<ReliableChange, ChangeError> {
    if !(sd_pre.is_finite() && sd_pre > 0.0) {
        return Err(ChangeError::BadSd);
    }
    if !(0.0..1.0).contains(&reliability) {
        return Err(ChangeError::BadReliability);
    }
    if !(pre.is_finite() && post.is_finite()) {
        return Err(ChangeError::BadScore);
    }
    const Z95: f64 = 1.96;
    let sem = sd_pre * (1.0 - reliability).sqrt();
    let s_diff = std::f64::consts::SQRT_2 * sem;
    let rci = (post - pre) / s_diff;
    let direction = if rci.abs() <= Z95 {
        RciDirection::NoReliableChange
    } else if (rci > 0.0) == higher_is_better {
        RciDirection::Improved
    } else {
        RciDirection::Deteriorated
    };
    Ok(ReliableChange {
        sem,
        s_diff,
        rci,
        min_reliable_change: Z95 * s_diff,
        direction,
    })
}

/// Response: a reduction of at least `min_reduction` (fraction, e.g. 0.5) from a positive
/// baseline, for scales where lower is better (PHQ-9 response, HAP early response).
pub fn response(pre: f64, post: f64, min_reduction: f64) -> Result<bool, ChangeError> {
    if !(pre.is_finite() && post.is_finite()) {
        return Err(ChangeError::BadScore);
    }
    if pre <= 0.0 || !(min_reduction > 0.0 && min_reduction <= 1.0) {
        return Err(ChangeError::BadResponseParameters);
    }
    // Compare reductions on the original scale to avoid 0.49999 for exactly half.
    Ok(pre - post >= min_reduction * pre - 1e-9)
}

/// Remission: `post < threshold` (PHQ-9 < 5 in quality measures and THPP, < 10 in PREMIUM/HAP).
pub fn remission(post: f64, threshold: f64) -> bool {
    post < threshold
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Worked example of instruments.md §6.1: SD 5.0, r 0.84, 18 → 11.
    #[test]
    fn jacobson_truax_worked_example() {
        let rc = reliable_change(18.0, 11.0, 5.0, 0.84, false).unwrap();
        assert!((rc.sem - 2.0).abs() < 1e-12);
        assert!((rc.s_diff - 2.828).abs() < 5e-4);
        assert!((rc.min_reliable_change - 5.54).abs() < 5e-3);
        assert!((rc.rci - -2.47).abs() < 5e-3);
        assert_eq!(rc.direction, RciDirection::Improved);
        let small = reliable_change(18.0, 14.0, 5.0, 0.84, false).unwrap();
        assert_eq!(small.direction, RciDirection::NoReliableChange);
        let worse = reliable_change(11.0, 18.0, 5.0, 0.84, false).unwrap();
        assert_eq!(worse.direction, RciDirection::Deteriorated);
        assert_eq!(
            reliable_change(1.0, 2.0, 0.0, 0.8, false),
            Err(ChangeError::BadSd)
        );
        assert_eq!(
            reliable_change(1.0, 2.0, 1.0, 1.0, false),
            Err(ChangeError::BadReliability)
        );
    }

    #[test]
    fn response_and_remission() {
        assert_eq!(response(20.0, 10.0, 0.5), Ok(true));
        assert_eq!(response(20.0, 11.0, 0.5), Ok(false));
        assert_eq!(response(15.0, 7.5, 0.5), Ok(true));
        assert!(response(0.0, 0.0, 0.5).is_err());
        assert!(remission(4.0, 5.0));
        assert!(!remission(5.0, 5.0));
        assert!(remission(9.0, 10.0));
    }
}
