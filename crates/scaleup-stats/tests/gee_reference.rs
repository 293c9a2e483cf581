//! GEE against R geepack 1.3.9 `geeglm` (`tests/reference/make_gee_reference.R`, output under
//! `tests/reference/gee/`): 6 models × independence/exchangeable, gaussian and binomial, with
//! balanced, unbalanced-with-missing and classic datasets (respiratory, dietox). Mancl–DeRouen
//! SEs against statsmodels `cov_type="bias_reduced"` (`make_gee_md_reference.py`).

use std::path::PathBuf;

use scaleup_stats::data::Data;
use scaleup_stats::formula::Formula;
use scaleup_stats::frame::ModelFrame;
use scaleup_stats::gee::{Family, SmallSample, WorkingCorrelation, fit_gee};
use serde_json::Value;

/// Both sides iterate to ~1e-12 on β. The issue asks for 1e-5 relative on coefficients and
/// robust SEs; observed agreement is ~1e-10 (printed by the test), so 1e-8 is asserted for
/// estimates, robust and naive SEs, α and φ.
const REL: f64 = 1e-8;

mod common;

use common::nums;

fn read_csv(name: &str) -> Data {
    common::read_r_csv(
        &common::reference_dir("gee").join(format!("{name}.csv")),
        "",
    )
}

fn dir() -> PathBuf {
    common::reference_dir("gee")
}

fn close(ctx: &str, what: &str, got: f64, want: f64) {
    let rel = (got - want).abs() / want.abs().max(1e-300);
    assert!(
        rel <= REL,
        "{ctx}: {what} = {got:.12e}, reference {want:.12e} (rel {rel:.1e})"
    );
}

/// Group codes of the kept rows.
fn group_codes(data: &Data, frame: &ModelFrame, group: &str) -> Vec<u32> {
    match data.column(group).unwrap().to_factor() {
        scaleup_stats::data::Column::Factor { codes, .. } => {
            frame.rows.iter().map(|&i| codes[i]).collect()
        }
        _ => unreachable!(),
    }
}

fn run(fit: &Value, small: SmallSample) -> scaleup_stats::gee::GeeFit {
    let data = read_csv(fit["data"].as_str().unwrap());
    let formula = Formula::parse(fit["formula"].as_str().unwrap()).unwrap();
    let group = fit["group"].as_str().unwrap();
    let frame = ModelFrame::with_extra(&formula, &data, &[group]).unwrap();
    let family = match fit["family"].as_str().unwrap() {
        "gaussian" => Family::Gaussian,
        _ => Family::Binomial,
    };
    let corr = match fit["corr"].as_str().unwrap() {
        "independence" => WorkingCorrelation::Independence,
        _ => WorkingCorrelation::Exchangeable,
    };
    let groups = group_codes(&data, &frame, group);
    fit_gee(
        &frame.y,
        &frame.x,
        &frame.x_names,
        &groups,
        family,
        corr,
        small,
    )
    .unwrap()
}

#[test]
fn matches_geepack() {
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(dir().join("gee_reference.json")).unwrap())
            .unwrap();
    let fits = doc["fits"].as_array().unwrap();
    assert_eq!(fits.len(), 12);
    let mut worst: f64 = 0.0;
    for f in fits {
        let ctx = format!(
            "{} {} {} {}",
            f["data"], f["formula"], f["family"], f["corr"]
        );
        let r = run(f, SmallSample::None);
        assert!(r.converged, "{ctx}");
        assert_eq!(r.n_obs as u64, f["n_obs"].as_u64().unwrap(), "{ctx}");
        assert_eq!(r.n_groups as u64, f["n_groups"].as_u64().unwrap(), "{ctx}");
        let terms: Vec<String> = match &f["terms"] {
            Value::Array(a) => a.iter().map(|t| t.as_str().unwrap().to_string()).collect(),
            t => vec![t.as_str().unwrap().to_string()],
        };
        let names: Vec<&str> = r.coefficients.iter().map(|c| c.term.as_str()).collect();
        assert_eq!(names, terms, "{ctx}");
        let (est, rob, nai, p) = (
            nums(&f["estimate"]),
            nums(&f["robust_se"]),
            nums(&f["naive_se"]),
            nums(&f["wald_p"]),
        );
        for (j, c) in r.coefficients.iter().enumerate() {
            for (what, got, want) in [
                ("estimate", c.estimate, est[j]),
                ("robust_se", c.robust_se, rob[j]),
                ("naive_se", c.naive_se, nai[j]),
            ] {
                close(&ctx, what, got, want);
                worst = worst.max((got - want).abs() / want.abs());
            }
            // p-values: statrs's erfc is good to ~1e-10 relative; very small p-values differ
            // in absolute terms by less than that.
            assert!((c.p_value - p[j]).abs() <= 1e-6 * p[j] + 1e-12, "{ctx}: p");
        }
        close(&ctx, "scale", r.scale, f["scale"].as_f64().unwrap());
        if let Some(a) = f["alpha"].as_f64() {
            close(&ctx, "alpha", r.working_correlation.unwrap(), a);
        } else {
            assert!(r.working_correlation.is_none());
        }
    }
    eprintln!("worst relative difference from geepack: {worst:.2e}");
}

#[test]
fn mancl_derouen_matches_statsmodels_bias_reduced() {
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(dir().join("gee_md_reference.json")).unwrap(),
    )
    .unwrap();
    let fits = doc["fits"].as_array().unwrap();
    assert_eq!(fits.len(), 12);
    for f in fits {
        let ctx = format!(
            "{} {} {} {}",
            f["data"], f["formula"], f["family"], f["corr"]
        );
        let r = run(f, SmallSample::ManclDerouen);
        let (est, md, rob) = (
            nums(&f["estimate"]),
            nums(&f["mancl_derouen_se"]),
            nums(&f["robust_se"]),
        );
        for (j, c) in r.coefficients.iter().enumerate() {
            close(&ctx, "estimate", c.estimate, est[j]);
            close(&ctx, "robust_se", c.robust_se, rob[j]);
            close(&ctx, "mancl_derouen_se", c.mancl_derouen_se.unwrap(), md[j]);
            // With the correction requested, inference uses it.
            assert_eq!(c.std_error, c.mancl_derouen_se.unwrap());
            assert!(
                c.std_error > c.robust_se,
                "{ctx}: the correction inflates the SE"
            );
        }
    }
}
