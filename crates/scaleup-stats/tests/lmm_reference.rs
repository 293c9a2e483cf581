//! Linear mixed models against lme4 1.1-31 / lmerTest 3.1-3 (R 4.2.2).
//!
//! The data and the reference values come from `tests/reference/make_lmm_reference.R`
//! (committed, with its output under `tests/reference/lmm/`). Every case goes through one
//! `check` function. Tolerances: fixed effects, standard errors, variance components, residual
//! variance and log-likelihood within 1e-5 relative (values near zero: 1e-5 of a scale such as
//! the residual variance); Satterthwaite df within 1e-3 relative (both sides use numerical
//! derivatives); BLUPs and conditional variances within 1e-4 relative.

use std::path::PathBuf;

use scaleup_stats::data::Data;
use scaleup_stats::formula::Formula;
use scaleup_stats::frame::ModelFrame;
use scaleup_stats::lmm::{self, LmmOptions, Method};
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
    let method = if r["method"] == "REML" {
        Method::Reml
    } else {
        Method::Ml
    };
    let fit = lmm::fit(
        &frame,
        &LmmOptions {
            method,
            ..Default::default()
        },
    )
    .unwrap();
    let sigma2 = r["residual_variance"].as_f64().unwrap();

    assert_eq!(
        fit.n_obs as u64,
        r["n_obs"].as_u64().unwrap(),
        "{case}: n_obs"
    );
    assert!(fit.converged, "{case}: not converged");
    assert_eq!(
        fit.singular,
        r["singular"].as_bool().unwrap(),
        "{case}: singular flag"
    );
    let fe = r["fixed_effects"].as_array().unwrap();
    assert_eq!(fit.fixed.len(), fe.len(), "{case}: number of fixed effects");
    let se_scale = fe
        .iter()
        .map(|f| f["std_error"].as_f64().unwrap())
        .fold(0.0, f64::max);
    for (got, want) in fit.fixed.iter().zip(fe) {
        assert_eq!(
            got.term,
            want["term"].as_str().unwrap(),
            "{case}: term names"
        );
        let what = format!("{case}: {}", got.term);
        // An estimate near zero is compared on the scale of its standard error.
        let se = want["std_error"].as_f64().unwrap();
        close(
            &format!("{what} estimate"),
            got.estimate,
            want["estimate"].as_f64().unwrap(),
            1e-5,
            se,
        );
        close(&format!("{what} SE"), got.std_error, se, 1e-5, 0.0);
        close(
            &format!("{what} df"),
            got.df,
            want["df"].as_f64().unwrap(),
            1e-3,
            0.0,
        );
        close(
            &format!("{what} p"),
            got.p_value,
            want["p_value"].as_f64().unwrap(),
            1e-3,
            1e-12,
        );
    }
    let vc_want = nums(&r["vcov"]);
    let vc_got: Vec<f64> = fit.vcov.iter().flatten().copied().collect();
    for (g, w) in vc_got.iter().zip(&vc_want) {
        close(
            &format!("{case}: vcov"),
            *g,
            *w,
            1e-5,
            se_scale * se_scale * 1e-3,
        );
    }
    close(
        &format!("{case}: sigma2"),
        fit.residual_variance,
        sigma2,
        1e-5,
        0.0,
    );
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
    assert_eq!(
        fit.random.len(),
        re.len(),
        "{case}: number of random-effect terms"
    );
    for (got, want) in fit.random.iter().zip(re) {
        assert_eq!(
            got.group,
            want["group_factor"].as_str().unwrap(),
            "{case}: group order"
        );
        let terms: Vec<String> = match &want["terms"] {
            Value::String(s) => vec![s.clone()],
            v => v
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap().to_string())
                .collect(),
        };
        assert_eq!(got.terms, terms, "{case}: random terms");
        let cw = nums(&want["covariance"]);
        let cg: Vec<f64> = got.covariance.iter().flatten().copied().collect();
        for (g, w) in cg.iter().zip(&cw) {
            close(
                &format!("{case}: {} covariance", got.group),
                *g,
                *w,
                1e-5,
                1e-3 * sigma2,
            );
        }
    }
    // BLUPs and conditional variances of the first term's first levels.
    let b = &r["blups"];
    let first = &fit.random[0];
    assert_eq!(first.group, b["group"].as_str().unwrap());
    let levels: Vec<String> = match &b["levels"] {
        Value::String(s) => vec![s.clone()],
        v => v
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_string())
            .collect(),
    };
    let vals = b["values"].as_array().unwrap();
    let cvs = b["cond_var"].as_array().unwrap();
    let blup_scale = first.covariance[0][0].sqrt().max(1e-3 * sigma2.sqrt());
    for (k, level) in levels.iter().enumerate() {
        assert_eq!(&first.levels[k], level, "{case}: level order");
        for (g, w) in first.blups[k].iter().zip(nums(&vals[k])) {
            close(&format!("{case}: BLUP {level}"), *g, w, 1e-4, blup_scale);
        }
        let cg: Vec<f64> = first.cond_var[k].iter().flatten().copied().collect();
        for (g, w) in cg.iter().zip(nums(&cvs[k])) {
            close(
                &format!("{case}: condVar {level}"),
                *g,
                w,
                1e-4,
                1e-3 * sigma2,
            );
        }
    }
}

#[test]
fn sleepstudy_correlated_reml() {
    check("sleep_corr_reml");
}

#[test]
fn sleepstudy_correlated_ml() {
    check("sleep_corr_ml");
}

#[test]
fn sleepstudy_independent_slopes() {
    check("sleep_indep_reml");
}

#[test]
fn unbalanced_random_intercept_with_missing_values() {
    check("unbalanced_reml");
    check("unbalanced_ml");
}

#[test]
fn crossed_random_intercepts() {
    check("crossed_reml");
}

#[test]
fn nested_random_intercepts() {
    check("nested_reml");
}

#[test]
fn singular_fits() {
    check("singular_reml");
    check("singular_slope_reml");
}

#[test]
fn factor_fixed_effect_with_interaction() {
    check("factor_interaction_reml");
    check("factor_interaction_ml");
}

#[test]
fn parallel_cluster_rct() {
    check("crt_reml");
}

#[test]
fn stepped_wedge_cluster_by_period() {
    check("stepped_wedge_reml");
}

/// Every case of the random sweep (24 small datasets, half of them singular fits).
#[test]
fn random_sweep_of_structures() {
    let mut cases: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            (name.starts_with("sweep_") && name.ends_with(".json"))
                .then(|| name.trim_end_matches(".json").to_string())
        })
        .collect();
    cases.sort();
    assert_eq!(cases.len(), 24);
    for case in cases {
        check(&case);
    }
}

#[test]
fn crossed_with_slope_on_the_smaller_factor() {
    check("crossed_slope_reml");
}

#[test]
fn three_level_nesting() {
    check("three_level_reml");
}
