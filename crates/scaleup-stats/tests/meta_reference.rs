//! Meta-analysis against R metafor 3.8 (`tests/reference/make_meta_reference.R`): 5 datasets ×
//! FE/DL/REML × z/Knapp–Hartung (untruncated "knha" and truncated "adhoc").

use scaleup_stats::meta::{KnappHartung, MetaMethod, Study, meta_analysis};
use serde_json::Value;

/// Closed-form quantities (FE, DL) agree to rounding; REML is iterated to 1e-10 on both sides
/// (metafor with threshold 1e-12). statrs's t and χ² functions are good to ~1e-10, so p-values
/// and t-based limits get the same 1e-8 relative tolerance, with an absolute floor for values
/// that are exactly zero (tau² on the boundary) or vanishingly small p-values.
const REL: f64 = 1e-8;
const ABS: f64 = 1e-12;

fn close(ctx: &str, what: &str, got: f64, want: f64) {
    let ok = (got - want).abs() <= REL * want.abs() + ABS;
    assert!(ok, "{ctx}: {what} = {got:.15e}, metafor {want:.15e}");
}

/// Q-profile limits go through a χ² quantile (statrs, inverse by numerical search) and a root
/// search on both sides (metafor: uniroot with tol 1e-12), so they get 1e-6 relative.
fn close_ci(ctx: &str, what: &str, got: f64, want: f64) {
    let ok = (got - want).abs() <= 1e-6 * want.abs() + 1e-12;
    assert!(ok, "{ctx}: {what} limit = {got:.15e}, metafor {want:.15e}");
}

#[test]
fn matches_metafor() {
    let doc: Value = serde_json::from_str(include_str!("reference/meta_reference.json")).unwrap();
    let fits = doc["fits"].as_array().unwrap();
    assert_eq!(fits.len(), 45);
    for fit in fits {
        let name = fit["dataset"].as_str().unwrap();
        let studies: Vec<Study> = doc["datasets"][name]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| Study {
                label: r["label"].as_str().unwrap().to_string(),
                estimate: r["yi"].as_f64().unwrap(),
                se: r["sei"].as_f64().unwrap(),
                df: None,
            })
            .collect();
        let method = match fit["method"].as_str().unwrap() {
            "FE" => MetaMethod::FixedEffect,
            "DL" => MetaMethod::DerSimonianLaird,
            _ => MetaMethod::Reml,
        };
        let kh = match fit["test"].as_str().unwrap() {
            "z" => KnappHartung::Off,
            "knha" => KnappHartung::Untruncated,
            _ => KnappHartung::Truncated,
        };
        let ctx = format!("{name} {method:?} {kh:?}");
        let r = meta_analysis(&studies, method, kh, 0.95).unwrap();
        assert_eq!(r.k, fit["k"].as_u64().unwrap() as usize);
        for (what, got, key) in [
            ("estimate", r.estimate, "estimate"),
            ("se", r.se, "se"),
            ("statistic", r.statistic, "statistic"),
            ("p", r.p_value, "pval"),
            ("ci_lower", r.ci_lower, "ci_lb"),
            ("ci_upper", r.ci_upper, "ci_ub"),
            ("tau2", r.tau2, "tau2"),
            ("Q", r.q, "QE"),
            ("Q p", r.q_p_value, "QEp"),
            ("I2", r.i2, "I2"),
            ("H2", r.h2, "H2"),
        ] {
            close(&ctx, what, got, fit[key].as_f64().unwrap());
        }
        if let Some(se_tau2) = fit["se_tau2"].as_f64() {
            close(&ctx, "se_tau2", r.tau2_se.unwrap(), se_tau2);
        }
        match (fit["pi_lb"].as_f64(), fit["pi_ub"].as_f64()) {
            (Some(lb), Some(ub)) => {
                close(&ctx, "pi_lower", r.pi_lower.unwrap(), lb);
                close(&ctx, "pi_upper", r.pi_upper.unwrap(), ub);
            }
            _ => assert!(r.pi_lower.is_none() && r.pi_upper.is_none(), "{ctx}"),
        }
        for (key, ours) in [
            ("tau2_ci", r.tau2_ci),
            ("I2_ci", r.i2_ci),
            ("H2_ci", r.h2_ci),
        ] {
            match fit[key].as_array() {
                Some(lim) => {
                    let ours = ours.unwrap();
                    for (g, w) in ours.iter().zip(lim) {
                        close_ci(&ctx, key, *g, w.as_f64().unwrap());
                    }
                }
                None => assert!(ours.is_none(), "{ctx}: {key}"),
            }
        }
        for (g, w) in r.weights.iter().zip(fit["weights"].as_array().unwrap()) {
            close(&ctx, "weight", *g, w.as_f64().unwrap());
        }
    }
}
