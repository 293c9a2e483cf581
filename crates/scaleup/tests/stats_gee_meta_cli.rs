//! `scaleup stats gee` and `scaleup stats meta` end to end, against the committed geepack and
//! metafor reference values of crates/scaleup-stats/tests/reference.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn reference(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../scaleup-stats/tests/reference")
        .join(path)
}

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

fn json_ok(args: &[&str]) -> Value {
    let (ok, stdout, stderr) = scaleup(args);
    assert!(ok, "{args:?}: {stderr}");
    serde_json::from_str(&stdout).unwrap()
}

fn close(what: &str, got: &Value, want: &Value) {
    let (g, w) = (got.as_f64().unwrap(), want.as_f64().unwrap());
    assert!(
        (g - w).abs() <= 1e-8 * w.abs() + 1e-12,
        "{what}: {g} vs reference {w}"
    );
}

#[test]
fn gee_json_contract_and_geepack_values() {
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(reference("gee/gee_reference.json")).unwrap(),
    )
    .unwrap();
    for f in doc["fits"].as_array().unwrap() {
        let data = reference(&format!("gee/{}.csv", f["data"].as_str().unwrap()));
        let out = json_ok(&[
            "stats",
            "gee",
            "--data",
            data.to_str().unwrap(),
            "--formula",
            f["formula"].as_str().unwrap(),
            "--family",
            f["family"].as_str().unwrap(),
            "--corr",
            f["corr"].as_str().unwrap(),
            "--group",
            f["group"].as_str().unwrap(),
            "--format",
            "json",
        ]);
        let ctx = format!("{} {} {}", f["data"], f["formula"], f["corr"]);
        assert_eq!(out["family"], f["family"], "{ctx}");
        assert_eq!(out["corr"], f["corr"], "{ctx}");
        assert_eq!(out["n_obs"], f["n_obs"], "{ctx}");
        assert_eq!(out["n_groups"], f["n_groups"], "{ctx}");
        assert_eq!(out["converged"], true, "{ctx}");
        assert!(out["iterations"].as_u64().unwrap() >= 1);
        let coefs = out["coefficients"].as_array().unwrap();
        let est = f["estimate"].as_array().unwrap();
        let rob = f["robust_se"].as_array().unwrap();
        let nai = f["naive_se"].as_array().unwrap();
        for (j, c) in coefs.iter().enumerate() {
            for key in [
                "term",
                "estimate",
                "std_error",
                "robust_se",
                "naive_se",
                "z",
                "p_value",
            ] {
                assert!(!c[key].is_null(), "{ctx}: coefficient lacks {key}");
            }
            close(&format!("{ctx} estimate"), &c["estimate"], &est[j]);
            close(&format!("{ctx} robust_se"), &c["robust_se"], &rob[j]);
            close(&format!("{ctx} std_error"), &c["std_error"], &rob[j]);
            close(&format!("{ctx} naive_se"), &c["naive_se"], &nai[j]);
        }
        close(&format!("{ctx} scale"), &out["scale"], &f["scale"]);
        if f["alpha"].is_null() {
            assert!(out["working_correlation"].is_null());
        } else {
            close(
                &format!("{ctx} alpha"),
                &out["working_correlation"],
                &f["alpha"],
            );
        }
    }
}

#[test]
fn gee_mancl_derouen_and_missing_rows() {
    let data = reference("gee/unbalanced.csv");
    let out = json_ok(&[
        "stats",
        "gee",
        "--data",
        data.to_str().unwrap(),
        "--formula",
        "y ~ arm + x",
        "--family",
        "gaussian",
        "--corr",
        "exchangeable",
        "--group",
        "site",
        "--small-sample",
        "mancl-derouen",
        "--format",
        "json",
    ]);
    assert_eq!(out["small_sample"], "mancl-derouen");
    // Five rows miss y or x (3 in x, 2 in y) in the 380 written by the R script.
    assert_eq!(out["missing"]["n_dropped"], 5);
    let c = &out["coefficients"][1];
    assert_eq!(c["std_error"], c["mancl_derouen_se"]);
    assert!(c["std_error"].as_f64() > c["robust_se"].as_f64());
}

#[test]
fn gee_errors_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.csv");
    std::fs::write(&path, "g,y,x\na,0,1\na,1,2\nb,2,3\nb,0,1\nc,1,2\nc,0,5\n").unwrap();
    let p = path.to_str().unwrap();
    let base = [
        "stats", "gee", "--data", p, "--family", "binomial", "--group", "g",
    ];
    let run = |extra: &[&str]| {
        let mut a = base.to_vec();
        a.extend_from_slice(extra);
        scaleup(&a)
    };
    let (ok, _, err) = run(&["--formula", "y ~ x"]);
    assert!(!ok);
    assert!(err.contains("line 4") && err.contains("`y`"), "{err}");
    let (ok, _, err) = run(&["--formula", "y ~ x + (1 | g)"]);
    assert!(!ok && err.contains("fixed effects only"), "{err}");
    let (ok, _, err) = run(&["--formula", "y ~ z"]);
    assert!(!ok && err.contains("`z`"), "{err}");
    let (ok, _, err) = scaleup(&[
        "stats",
        "gee",
        "--data",
        p,
        "--family",
        "gaussian",
        "--group",
        "nope",
        "--formula",
        "y ~ x",
    ]);
    assert!(!ok && err.contains("`nope`"), "{err}");
    assert!(!err.contains("panicked"));
}

#[test]
fn meta_matches_metafor_and_writes_svg() {
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(reference("meta_reference.json")).unwrap())
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("forest.svg");
    let data = reference("meta_bcg.csv");
    for (method, test, flags) in [
        ("FE", "z", vec!["--method", "fe"]),
        ("DL", "z", vec!["--method", "dl"]),
        ("REML", "z", vec!["--method", "reml"]),
        ("REML", "knha", vec!["--method", "reml", "--knapp-hartung"]),
        (
            "DL",
            "adhoc",
            vec!["--method", "dl", "--knapp-hartung", "--kh-truncate"],
        ),
    ] {
        let fit = doc["fits"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["dataset"] == "bcg" && f["method"] == method && f["test"] == test)
            .unwrap();
        let mut args = vec![
            "stats",
            "meta",
            "--data",
            data.to_str().unwrap(),
            "--estimate",
            "yi",
            "--se",
            "sei",
            "--label",
            "label",
            "--svg",
            svg.to_str().unwrap(),
            "--format",
            "json",
        ];
        args.extend(flags);
        let out = json_ok(&args);
        for (ours, theirs) in [
            ("estimate", "estimate"),
            ("se", "se"),
            ("ci_lower", "ci_lb"),
            ("ci_upper", "ci_ub"),
            ("p_value", "pval"),
            ("tau2", "tau2"),
            ("q", "QE"),
            ("i2", "I2"),
            ("h2", "H2"),
        ] {
            close(&format!("{method} {test} {ours}"), &out[ours], &fit[theirs]);
        }
        assert_eq!(out["k"], 13);
        assert_eq!(out["studies"][0]["label"], "Aronson 1948");
        let text = std::fs::read_to_string(&svg).unwrap();
        assert!(text.starts_with("<svg") && text.contains("Aronson 1948"));
        assert!(text.contains("Ferguson &amp; Simes 1949"));
    }
}

#[test]
fn meta_missing_and_bad_cells() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.csv");
    let p = path.to_str().unwrap();
    let meta = |csv: &str| {
        std::fs::write(&path, csv).unwrap();
        scaleup(&[
            "stats",
            "meta",
            "--data",
            p,
            "--estimate",
            "est",
            "--se",
            "se",
            "--method",
            "dl",
            "--format",
            "json",
        ])
    };
    let (ok, stdout, err) =
        meta("study,est,se\nA,0.1,0.2\nB,,0.3\nC,0.3,0.1\nD,0.2,NA\nE,0.5,0.2\n");
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["k"], 3);
    assert_eq!(v["missing"]["n_dropped"], 2);
    assert_eq!(v["missing"]["lines"], serde_json::json!([3, 5]));
    let (ok, _, err) = meta("study,est,se\nA,0.1,0.2\nB,abc,0.3\n");
    assert!(
        !ok && err.contains("line 3") && err.contains("`est`"),
        "{err}"
    );
    let (ok, _, err) = meta("study,est,se\nA,0.1,0.2\nB,0.2,-1\n");
    assert!(
        !ok && err.contains("line 3") && err.contains("positive"),
        "{err}"
    );
    let (ok, _, err) = meta("study,estimate,se\nA,0.1,0.2\n");
    assert!(
        !ok && err.contains("estimate column `est` is not in the header"),
        "{err}"
    );
    let (ok, _, err) = meta("study,est,se\nA,0.1,0.2\n");
    assert!(!ok && err.contains("at least 2 studies"), "{err}");
}

#[test]
fn icc_from_a_fitted_lmm() {
    let data = reference("lmm/crt.csv");
    let out = json_ok(&[
        "stats",
        "icc",
        "--data",
        data.to_str().unwrap(),
        "--formula",
        "phq ~ arm + (1 | cluster)",
        "--format",
        "json",
    ]);
    // lme4 (tests/reference/lmm/crt_reml.json): cluster variance 0.956287180972505, residual
    // 22.2701641812706; 24 clusters of 20. ICC = 0.041172..., DE = 1 + 19·ICC.
    let icc = 0.956287180972505 / (0.956287180972505 + 22.2701641812706);
    let c = &out["components"][0];
    assert!((c["icc"].as_f64().unwrap() - icc).abs() < 1e-5 * icc);
    assert!((c["design_effect"].as_f64().unwrap() - (1.0 + 19.0 * icc)).abs() < 1e-5);
    assert_eq!(c["n_clusters"], 24);
    let (ok, _, err) = scaleup(&[
        "stats",
        "icc",
        "--data",
        data.to_str().unwrap(),
        "--formula",
        "phq ~ arm",
    ]);
    assert!(!ok && err.contains("random-intercept"), "{err}");
}
