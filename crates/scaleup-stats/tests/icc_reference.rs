//! ICC and design effect from fitted LMMs, checked against the same quantities computed from
//! lme4's variance components (`tests/reference/lmm/*_reml.json`, made by stats-lmm's
//! `make_lmm_reference.R`) and cluster sizes counted directly from the CSV here.

use std::collections::HashMap;
use std::path::PathBuf;

use scaleup_stats::data::{Data, factor_from_labels};
use scaleup_stats::formula::Formula;
use scaleup_stats::frame::ModelFrame;
use scaleup_stats::icc::icc_report;
use scaleup_stats::lmm::{self, LmmOptions};
use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/reference/lmm")
}

fn read(name: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(dir().join(format!("{name}.csv"))).unwrap();
    let mut lines = text.lines();
    let header = lines
        .next()
        .unwrap()
        .split(',')
        .map(|s| s.trim_matches('"').to_string())
        .collect();
    let rows = lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            l.split(',')
                .map(|c| c.trim_matches('"').to_string())
                .collect()
        })
        .collect();
    (header, rows)
}

fn to_data(header: &[String], rows: &[Vec<String>]) -> Data {
    let mut data = Data::new();
    for (k, name) in header.iter().enumerate() {
        let col: Vec<&str> = rows.iter().map(|r| r[k].as_str()).collect();
        let nums: Option<Vec<f64>> = col.iter().map(|c| c.parse().ok()).collect();
        match nums {
            Some(v) => data.add_numeric(name, v).unwrap(),
            None => {
                let labels: Vec<Option<&str>> = col.iter().map(|c| Some(*c)).collect();
                data.add_column(name, factor_from_labels(&labels)).unwrap()
            }
        }
    }
    data
}

/// Mean and population CV of the number of rows per distinct key.
fn sizes(rows: &[Vec<String>], key: impl Fn(&Vec<String>) -> String) -> (f64, f64, usize) {
    let mut counts: HashMap<String, f64> = HashMap::new();
    for r in rows {
        *counts.entry(key(r)).or_default() += 1.0;
    }
    let k = counts.len() as f64;
    let mean = counts.values().sum::<f64>() / k;
    let var = counts.values().map(|c| (c - mean).powi(2)).sum::<f64>() / k;
    (mean, var.sqrt() / mean, counts.len())
}

/// The LMM matches lme4 to 1e-5 relative in variance components (stats-lmm's tolerance), so
/// the derived ICC and DE are checked at the same tolerance.
fn close(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-5 * want.abs(),
        "{what}: {got} vs {want}"
    );
}

fn fit(case: &str, dataset: &str) -> (Value, scaleup_stats::icc::IccReport, Vec<Vec<String>>) {
    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(dir().join(format!("{case}.json"))).unwrap())
            .unwrap();
    let (header, rows) = read(dataset);
    let data = to_data(&header, &rows);
    let formula = Formula::parse(r["formula"].as_str().unwrap()).unwrap();
    let frame = ModelFrame::new(&formula, &data).unwrap();
    let f = lmm::fit(&frame, &LmmOptions::default()).unwrap();
    (r, icc_report(&f, &frame), rows)
}

fn lme4_var(r: &Value, group: &str) -> f64 {
    let re = r["random_effects"].as_array().unwrap();
    let c = &re.iter().find(|x| x["group"] == group).unwrap()["covariance"];
    c.as_array()
        .map_or_else(|| c.as_f64().unwrap(), |a| a[0].as_f64().unwrap())
}

#[test]
fn single_random_intercept() {
    let (r, rep, rows) = fit("crt_reml", "crt");
    let tau2 = lme4_var(&r, "cluster");
    let sigma2 = r["residual_variance"].as_f64().unwrap();
    let rho = tau2 / (tau2 + sigma2);
    let c = &rep.components[0];
    close("icc", c.icc.unwrap(), rho);
    let (m, cv, k) = sizes(&rows, |row| row[2].clone());
    assert_eq!(c.n_clusters, k);
    close("mean size", c.mean_cluster_size, m);
    close("DE", c.design_effect.unwrap(), 1.0 + (m - 1.0) * rho);
    close(
        "DE unequal",
        c.design_effect_unequal.unwrap(),
        1.0 + ((cv * cv + 1.0) * m - 1.0) * rho,
    );
}

#[test]
fn nested_random_intercepts() {
    let (r, rep, rows) = fit("nested_reml", "nested");
    let sigma2 = r["residual_variance"].as_f64().unwrap();
    let v_fac = lme4_var(&r, "facility");
    let v_cou = lme4_var(&r, "counsellor:facility");
    let total = v_fac + v_cou + sigma2;
    close("total", rep.total_variance, total);
    let fac = rep
        .components
        .iter()
        .find(|c| c.group == "facility")
        .unwrap();
    let cou = rep
        .components
        .iter()
        .find(|c| c.group == "counsellor:facility")
        .unwrap();
    close("icc facility", fac.icc.unwrap(), v_fac / total);
    close("icc counsellor", cou.icc.unwrap(), v_cou / total);
    let (m, cv, k) = sizes(&rows, |row| format!("{}:{}", row[3], row[2]));
    assert_eq!(cou.n_clusters, k);
    close("counsellor CV", cou.cv_cluster_size, cv);
    close("counsellor mean", cou.mean_cluster_size, m);
}

#[test]
fn random_slopes_are_not_given_an_icc() {
    let (_, rep, _) = fit("sleep_corr_reml", "sleepstudy");
    assert!(rep.components[0].icc.is_none());
    assert!(rep.components[0].note.is_some());
}
