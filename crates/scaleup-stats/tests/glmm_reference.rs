//! Binomial GLMM (Laplace) against lme4 1.1-31 `glmer(nAGQ = 1)` (R 4.2.2).
//!
//! Data and reference values: `tests/reference/make_glmm_reference.R` and its output under
//! `tests/reference/lmm/`. Tolerances: fixed effects, variance components and log-likelihood
//! within 1e-5 relative (near-zero values on the scale of their SE or 1e-3), loosened to 1e-4
//! for parameters only where our log-likelihood beats lme4's (see `check`); standard errors
//! within 1e-3 relative, because both sides take them from a finite-difference Hessian of the
//! Laplace deviance (lme4's step 1e-4 without extrapolation); BLUPs 1e-4 relative.

use std::path::PathBuf;

use scaleup_stats::data::{Data, factor_from_labels};
use scaleup_stats::formula::Formula;
use scaleup_stats::frame::ModelFrame;
use scaleup_stats::glmm::{self, GlmmOptions};
use serde_json::Value;

mod common;

use common::nums;

fn read_csv(name: &str) -> Data {
    common::read_r_csv(
        &common::reference_dir("lmm").join(format!("{name}.csv")),
        "NA",
    )
}

fn dir() -> PathBuf {
    common::reference_dir("lmm")
}

fn close(what: &str, got: f64, want: f64, rel: f64, floor: f64) {
    let tol = rel * want.abs().max(floor);
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, lme4 {want} (|diff| {:.3e} > tol {tol:.3e})",
        (got - want).abs()
    );
}

fn check(case: &str) {
    let text = std::fs::read_to_string(dir().join(format!("{case}.json"))).unwrap();
    let r: Value = serde_json::from_str(&text).unwrap();
    assert!(
        r["lme4_converged_cleanly"].as_bool().unwrap(),
        "{case}: lme4 did not converge cleanly"
    );
    let data = read_csv(r["dataset"].as_str().unwrap());
    let formula = Formula::parse(r["formula"].as_str().unwrap()).unwrap();
    let frame = ModelFrame::new(&formula, &data).unwrap();
    let fit = glmm::fit_binomial(&frame, &GlmmOptions::default()).unwrap();
    assert_eq!(fit.n_obs as u64, r["n_obs"].as_u64().unwrap());
    assert!(fit.converged, "{case}: not converged");
    assert_eq!(
        fit.singular,
        r["singular"].as_bool().unwrap(),
        "{case}: singular"
    );
    // lme4's PIRLS stops at a relative change of `tolPwrss` (1e-12 here; tighter fails with
    // "PIRLS step-halvings failed"), which leaves ~1e-7 of noise in its Laplace deviance. Where
    // our log-likelihood is higher than lme4's (by over 1e-10 relative), lme4 stopped short on a
    // flat likelihood and parameters are compared at 1e-4 instead of 1e-5.
    let ll_want = r["log_likelihood"].as_f64().unwrap();
    let rel = if fit.log_likelihood > ll_want + 1e-10 * ll_want.abs() {
        1e-4
    } else {
        1e-5
    };
    assert!(
        fit.log_likelihood >= ll_want - 1e-9 * ll_want.abs(),
        "{case}: log-likelihood {} below lme4's {ll_want}",
        fit.log_likelihood
    );
    for (got, want) in fit.fixed.iter().zip(r["fixed_effects"].as_array().unwrap()) {
        assert_eq!(got.term, want["term"].as_str().unwrap());
        let se = want["std_error"].as_f64().unwrap();
        close(
            &format!("{case}: {} estimate", got.term),
            got.estimate,
            want["estimate"].as_f64().unwrap(),
            rel,
            se,
        );
        close(
            &format!("{case}: {} SE", got.term),
            got.std_error,
            se,
            1e-3,
            0.0,
        );
        close(
            &format!("{case}: {} p", got.term),
            got.p_value,
            want["p_value"].as_f64().unwrap(),
            1e-2,
            1e-12,
        );
    }
    close(
        &format!("{case}: logLik"),
        fit.log_likelihood,
        r["log_likelihood"].as_f64().unwrap(),
        1e-7,
        1.0,
    );
    close(
        &format!("{case}: AIC"),
        fit.aic,
        r["aic"].as_f64().unwrap(),
        1e-7,
        1.0,
    );
    close(
        &format!("{case}: BIC"),
        fit.bic,
        r["bic"].as_f64().unwrap(),
        1e-7,
        1.0,
    );
    let re = r["random_effects"].as_array().unwrap();
    assert_eq!(fit.random.len(), re.len(), "{case}: random terms");
    for (got, want) in fit.random.iter().zip(re) {
        assert_eq!(
            got.group,
            want["group"].as_str().unwrap(),
            "{case}: group order"
        );
        let want_cov = nums(&want["covariance"]);
        let got_cov: Vec<f64> = got.covariance.iter().flatten().copied().collect();
        for (g, w) in got_cov.iter().zip(&want_cov) {
            close(
                &format!("{case}: {} covariance", got.group),
                *g,
                *w,
                rel,
                1e-3,
            );
        }
    }
    let b = &r["blups"];
    for k in 0..3 {
        assert_eq!(fit.random[0].levels[k], b["levels"][k].as_str().unwrap());
        for (g, w) in fit.random[0].blups[k].iter().zip(nums(&b["values"][k])) {
            close(&format!("{case}: BLUP {k}"), *g, w, 1e-4, 1e-2);
        }
        let cg: Vec<f64> = fit.random[0].cond_var[k]
            .iter()
            .flatten()
            .copied()
            .collect();
        for (g, w) in cg.iter().zip(nums(&b["cond_var"][k])) {
            close(&format!("{case}: condVar {k}"), *g, w, 1e-4, 1e-3);
        }
    }
}

#[test]
fn binary_cluster_trial_random_intercept() {
    check("glmm_crt");
}

#[test]
fn binary_correlated_random_slope_with_factor() {
    check("glmm_slope");
}

#[test]
fn binary_stepped_wedge_two_terms() {
    check("glmm_sw");
}

#[test]
fn binary_stepped_wedge_singular() {
    check("glmm_sw_singular");
}

/// Eight small random binary datasets (half of them singular fits).
#[test]
fn random_sweep_of_binary_datasets() {
    for s in 1..=8 {
        check(&format!("glmm_sweep_{s:02}"));
    }
}

// Aggregated binomial responses, `cbind(successes, failures)`: lme4's logLik, AIC and BIC
// include the binomial coefficients log C(trials, successes), so these cases also check that
// constant; the tolerances are those of `check`.

#[test]
fn counts_cluster_trial_facility_months() {
    check("glmm_agg_crt");
}

#[test]
fn counts_correlated_random_slope() {
    check("glmm_agg_slope");
}

/// 0-3 trials per row, a quarter with none (kept, as glmer keeps them: they count in n_obs and
/// BIC) and one row with a missing failure count (dropped).
#[test]
fn counts_sparse_with_zero_trial_rows() {
    check("glmm_agg_sparse");
}

#[test]
fn counts_two_terms_general_path() {
    check("glmm_agg_sw");
}

/// One row per trial with a 0/1 outcome and the same data as `cbind` counts give the same
/// estimates; the log-likelihoods differ by exactly Σ log C(n, k), as in lme4.
#[test]
fn counts_match_the_expanded_binary_data() {
    let counts = read_csv("agg_crt");
    let formula =
        Formula::parse("cbind(remitted, not_remitted) ~ arm + workload + (1 | facility)").unwrap();
    let frame = ModelFrame::new(&formula, &counts).unwrap();
    let aggregated = glmm::fit_binomial(&frame, &GlmmOptions::default()).unwrap();
    let trials = frame.trials.as_ref().unwrap();
    let (mut y, mut arm, mut workload, mut facility) = (vec![], vec![], vec![], vec![]);
    let mut log_choose = 0.0;
    for (i, &row_trials) in trials.iter().enumerate() {
        let n = row_trials as usize;
        let k = (frame.y[i] * row_trials).round() as usize;
        log_choose += (1..=n).map(|v| (v as f64).ln()).sum::<f64>()
            - (1..=k).map(|v| (v as f64).ln()).sum::<f64>()
            - (1..=n - k).map(|v| (v as f64).ln()).sum::<f64>();
        for t in 0..n {
            y.push(if t < k { 1.0 } else { 0.0 });
            arm.push(frame.x.get(i, 1));
            workload.push(frame.x.get(i, 2));
            facility.push(frame.random[0].levels[frame.random[0].codes[i] as usize].clone());
        }
    }
    let mut binary = Data::new();
    binary.add_numeric("y", y).unwrap();
    binary.add_numeric("arm", arm).unwrap();
    binary.add_numeric("workload", workload).unwrap();
    let labels: Vec<Option<&str>> = facility.iter().map(|s| Some(s.as_str())).collect();
    binary
        .add_column("facility", factor_from_labels(&labels))
        .unwrap();
    let formula = Formula::parse("y ~ arm + workload + (1 | facility)").unwrap();
    let expanded = glmm::fit_binomial(
        &ModelFrame::new(&formula, &binary).unwrap(),
        &GlmmOptions::default(),
    )
    .unwrap();
    for (a, b) in aggregated.fixed.iter().zip(&expanded.fixed) {
        close(&a.term, a.estimate, b.estimate, 1e-5, b.std_error);
        close(&a.term, a.std_error, b.std_error, 1e-3, 0.0);
    }
    close(
        "logLik difference",
        aggregated.log_likelihood - expanded.log_likelihood,
        log_choose,
        1e-7,
        1.0,
    );
}

/// One row per facility, so `(1 | facility)` has a level per observation: glmer allows it (an
/// observation-level effect for overdispersion), unlike lmer.
#[test]
fn counts_one_row_per_facility() {
    check("glmm_agg_facility");
}

/// A facility effect plus an observation-level effect (general path).
#[test]
fn counts_observation_level_effect_two_terms() {
    check("glmm_agg_olre");
}
