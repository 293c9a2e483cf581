//! `scaleup stats ...` end to end: the JSON contract, values against lme4 on sleepstudy, and
//! clear errors for bad input.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn scaleup(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_scaleup"))
        .args(args)
        .output()
        .expect("run scaleup");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn sleepstudy() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../scaleup-stats/tests/reference/lmm/sleepstudy.csv")
        .to_string_lossy()
        .into_owned()
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

#[test]
fn lmm_json_contract_matches_lme4_on_sleepstudy() {
    let data = sleepstudy();
    let (ok, out, err) = scaleup(&[
        "stats",
        "lmm",
        "--data",
        &data,
        "--formula",
        "Reaction ~ Days + (Days | Subject)",
        "--format",
        "json",
    ]);
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["method"], "REML");
    assert_eq!(v["n_obs"], 180);
    assert_eq!(v["converged"], true);
    assert_eq!(v["singular"], false);
    let fe = v["fixed_effects"].as_array().unwrap();
    assert_eq!(fe[0]["term"], "(Intercept)");
    assert_eq!(fe[1]["term"], "Days");
    // lme4 1.1-31: fixef 251.405104848484, 10.4672859595964; logLik -871.814135979245.
    assert!(rel(fe[0]["estimate"].as_f64().unwrap(), 251.405104848484) < 1e-7);
    assert!(rel(fe[1]["std_error"].as_f64().unwrap(), 1.54578889288849) < 1e-5);
    assert!(rel(v["log_likelihood"].as_f64().unwrap(), -871.814135979245) < 1e-8);
    assert!(rel(v["aic"].as_f64().unwrap(), 1755.62827195849) < 1e-8);
    assert!(rel(v["bic"].as_f64().unwrap(), 1774.78601306383) < 1e-8);
    assert!(rel(v["residual_variance"].as_f64().unwrap(), 654.941032799968) < 1e-5);
    let vcov = v["vcov"].as_array().unwrap();
    assert_eq!(vcov.len(), 2);
    assert!(rel(vcov[0][1].as_f64().unwrap(), -1.45109528373815) < 1e-4);
    let re = &v["random_effects"][0];
    assert_eq!(re["group"], "Subject");
    assert_eq!(re["terms"], serde_json::json!(["(Intercept)", "Days"]));
    assert!(rel(re["covariance"][0][0].as_f64().unwrap(), 612.089870222393) < 1e-5);
    assert!(rel(re["covariance"][1][1].as_f64().unwrap(), 35.0716602393396) < 1e-5);

    // ML, and `||`: one entry per term, each 1×1.
    let (ok, out, err) = scaleup(&[
        "stats",
        "lmm",
        "--data",
        &data,
        "--formula",
        "Reaction ~ Days + (Days || Subject)",
        "--ml",
        "--format",
        "json",
    ]);
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["method"], "ML");
    let re = v["random_effects"].as_array().unwrap();
    assert_eq!(re.len(), 2);
    assert_eq!(re[1]["terms"], serde_json::json!(["Days"]));
    assert_eq!(re[1]["covariance"].as_array().unwrap().len(), 1);
}

#[test]
fn factor_flag_and_string_columns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.csv");
    let mut csv = String::from("y,x,site,arm\n");
    for i in 0..60 {
        let site = i % 6;
        let arm = if site < 3 { "ctl" } else { "tx" };
        let y = 1.0 + 0.3 * (i as f64 * 0.7).sin() + 0.5 * site as f64 + (i as f64 * 1.3).cos();
        csv.push_str(&format!("{y},{},{site},{arm}\n", i % 5));
    }
    csv.push_str("NA,1,2,tx\n");
    std::fs::write(&path, csv).unwrap();
    let p = path.to_string_lossy();
    let (ok, out, err) = scaleup(&[
        "stats",
        "lmm",
        "--data",
        &p,
        "--formula",
        "y ~ x + arm + (1 | site)",
        "--factors",
        "x",
        "--format",
        "json",
    ]);
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let terms: Vec<&str> = v["fixed_effects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["term"].as_str().unwrap())
        .collect();
    assert_eq!(terms, ["(Intercept)", "x1", "x2", "x3", "x4", "armtx"]);
    assert_eq!(v["n_obs"], 60);
    assert_eq!(v["missing"]["n_dropped"], 1);
    assert_eq!(v["groups"]["site"], 6);
}

#[test]
fn bad_input_gives_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.csv");
    std::fs::write(&good, "y,x,g\n1,2,a\n2,3,a\n3,1,b\n4,5,b\n").unwrap();
    let g = good.to_string_lossy();

    let (ok, _, err) = scaleup(&[
        "stats",
        "lmm",
        "--data",
        "/nonexistent.csv",
        "--formula",
        "y ~ x + (1|g)",
    ]);
    assert!(!ok && err.contains("cannot open /nonexistent.csv"), "{err}");

    let (ok, _, err) = scaleup(&["stats", "lmm", "--data", &g, "--formula", "y ~ x + + (1|g)"]);
    assert!(!ok && err.contains("position 9"), "{err}");

    let (ok, _, err) = scaleup(&["stats", "lmm", "--data", &g, "--formula", "y ~ z + (1|g)"]);
    assert!(
        !ok && err.contains("`z`") && err.contains("good.csv"),
        "{err}"
    );

    let (ok, _, err) = scaleup(&["stats", "lmm", "--data", &g, "--formula", "g ~ x + (1|y)"]);
    assert!(!ok && err.contains("must be numeric"), "{err}");

    let (ok, _, err) = scaleup(&["stats", "lmm", "--data", &g, "--formula", "y ~ x"]);
    assert!(!ok && err.contains("no random-effects term"), "{err}");

    let (ok, _, err) = scaleup(&[
        "stats",
        "lmm",
        "--data",
        &g,
        "--formula",
        "y ~ x + (1|g)",
        "--factor",
        "w",
    ]);
    assert!(!ok && err.contains("`w`"), "{err}");

    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "y,x,g\n1,2,a\n2,3\n").unwrap();
    let (ok, _, err) = scaleup(&[
        "stats",
        "lmm",
        "--data",
        &bad.to_string_lossy(),
        "--formula",
        "y ~ x + (1|g)",
    ]);
    assert!(
        !ok && err.contains("bad.csv") && err.contains("line"),
        "{err}"
    );

    let one = dir.path().join("one.csv");
    std::fs::write(&one, "y,x,g\n1,2,a\n2,3,a\n3,1,a\n4,5,a\n").unwrap();
    let (ok, _, err) = scaleup(&[
        "stats",
        "lmm",
        "--data",
        &one.to_string_lossy(),
        "--formula",
        "y ~ x + (1|g)",
    ]);
    assert!(!ok && err.contains("only one level"), "{err}");

    let col = dir.path().join("col.csv");
    std::fs::write(
        &col,
        "y,x,z,g\n1,2,4,a\n2,3,6,a\n3,1,2,b\n4,5,10,b\n5,1,2,c\n6,2,4,c\n",
    )
    .unwrap();
    let (ok, _, err) = scaleup(&[
        "stats",
        "lmm",
        "--data",
        &col.to_string_lossy(),
        "--formula",
        "y ~ x + z + (1|g)",
    ]);
    assert!(
        !ok && err.contains("rank deficient") && err.contains('z'),
        "{err}"
    );
}

#[test]
fn glmm_binomial_json_matches_glmer() {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../scaleup-stats/tests/reference/lmm/binary_crt.csv");
    let (ok, out, err) = scaleup(&[
        "stats",
        "glmm",
        "--family",
        "binomial",
        "--data",
        &data.to_string_lossy(),
        "--formula",
        "remit ~ arm + severity + (1 | cluster)",
        "--format",
        "json",
    ]);
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    // lme4 1.1-31 glmer(nAGQ = 1): logLik -446.101935150202 (tests/reference/lmm/glmm_crt.json).
    assert!(rel(v["log_likelihood"].as_f64().unwrap(), -446.101935150202) < 1e-7);
    assert_eq!(v["fixed_effects"][1]["term"], "arm");
    assert_eq!(v["random_effects"][0]["group"], "cluster");
    assert_eq!(v["converged"], true);

    let (ok, _, err) = scaleup(&[
        "stats",
        "glmm",
        "--family",
        "binomial",
        "--data",
        &data.to_string_lossy(),
        "--formula",
        "severity ~ arm + (1 | cluster)",
    ]);
    assert!(!ok && err.contains("0 or 1"), "{err}");
}

#[test]
fn glmm_binomial_counts_match_glmer() {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../scaleup-stats/tests/reference/lmm/agg_crt.csv");
    let (ok, out, err) = scaleup(&[
        "stats",
        "glmm",
        "--family",
        "binomial",
        "--data",
        &data.to_string_lossy(),
        "--formula",
        "cbind(remitted, not_remitted) ~ arm + workload + (1 | facility)",
        "--format",
        "json",
    ]);
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    // lme4 1.1-31 glmer(cbind(remitted, not_remitted) ~ ..., nAGQ = 1), in
    // tests/reference/lmm/glmm_agg_crt.json: arm 0.998258730203713 (SE 0.196), logLik
    // -290.002285168606 including the binomial coefficients. Same tolerances as
    // glmm_reference.rs: estimates 1e-5 relative, logLik 1e-7.
    assert_eq!(v["response"], "cbind(remitted, not_remitted)");
    assert_eq!(v["fixed_effects"][1]["term"], "arm");
    assert!(
        rel(
            v["fixed_effects"][1]["estimate"].as_f64().unwrap(),
            0.998258730203713
        ) < 1e-5
    );
    assert!(rel(v["log_likelihood"].as_f64().unwrap(), -290.002285168606) < 1e-7);
    assert_eq!(v["n_obs"], 144);
    assert_eq!(v["groups"]["facility"], 24);
}

#[test]
fn glmm_binomial_counts_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let counts = dir.path().join("counts.csv");
    std::fs::write(&counts, "k,fails,g\n1,3,a\n2,2,a\n0,4,b\n3,-1,b\n2,2,c\n").unwrap();
    let c = counts.to_string_lossy();
    let glmm = |formula: &str| {
        scaleup(&[
            "stats",
            "glmm",
            "--family",
            "binomial",
            "--data",
            &c,
            "--formula",
            formula,
        ])
    };
    // The negative failure count is on line 5 (the header is line 1).
    let (ok, _, err) = glmm("cbind(k, fails) ~ 1 + (1 | g)");
    assert!(
        !ok && err.contains("counts.csv: line 5") && err.contains("non-negative whole"),
        "{err}"
    );
    let (ok, _, err) = glmm("cbind(k, k + fails) ~ 1 + (1 | g)");
    assert!(!ok && err.contains("column names"), "{err}");
    // Linear models take one numeric response.
    let (ok, _, err) = scaleup(&[
        "stats",
        "lmm",
        "--data",
        &c,
        "--formula",
        "cbind(k, k) ~ 1 + (1 | g)",
    ]);
    assert!(!ok && err.contains("binomial counts"), "{err}");
    let (ok, _, err) = scaleup(&[
        "stats",
        "gee",
        "--data",
        &c,
        "--formula",
        "cbind(k, k) ~ 1",
        "--family",
        "binomial",
        "--group",
        "g",
    ]);
    assert!(
        !ok && err.contains("GEE takes one numeric response"),
        "{err}"
    );
}

#[test]
fn mixed_numeric_columns_are_named_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.csv");
    let mut csv = String::from("y,x,g\n");
    for i in 0..40 {
        let y = if i == 7 {
            "12,5".to_string()
        } else {
            format!("{}", i % 7)
        };
        let x = if i == 9 {
            "n/a".to_string()
        } else {
            format!("{}", i % 5)
        };
        csv.push_str(&format!("\"{y}\",{x},{}\n", i % 4));
    }
    std::fs::write(&path, csv).unwrap();
    let p = path.to_string_lossy();
    // Line 9 holds row 8 (i = 7), whose response is `12,5`.
    let (ok, _, err) = scaleup(&["stats", "lmm", "--data", &p, "--formula", "y ~ x + (1 | g)"]);
    assert!(
        !ok && err.contains("line 9") && err.contains("`y`"),
        "{err}"
    );
    let (ok, _, err) = scaleup(&["stats", "lmm", "--data", &p, "--formula", "g ~ x + (1 | y)"]);
    assert!(ok || err.contains("warning"), "{err}");
    assert!(
        err.contains("column `x`") && err.contains("line 11"),
        "{err}"
    );
}
