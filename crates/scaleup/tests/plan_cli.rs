//! `scaleup plan` end to end: the reference doc §8.2 worked example through the binary, the
//! shipped Friendship Bench model, HTML output and error messages that name file, line and field.

use std::process::Command;

const WORKED: &str = r#"
title = "Reference doc 8.2"
[base]
start_year = 2025
years = 1
population = 1000000
prevalence = 0.044
coverage = 0.2
hours_per_client = 7.37
hours_per_year = 1600
productive_fraction = 0.75
supervision_span = 10
attrition = 0.0

[[scenario]]
name = "worked example"
"#;

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_scaleup"))
        .args(args)
        .output()
        .expect("run scaleup")
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn worked_example_json() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "plan.toml", WORKED);
    let out = run(&["plan", "--scenario", &f, "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let y = &v["scenarios"][0]["years"][0];
    // 8,800 clients × 7.37 h / 1,200 h = 54.05 → 55 counsellors; span 10 → 6 supervisors.
    assert_eq!(y["counsellors_needed"], 55.0);
    assert_eq!(y["supervisors"], 6.0);
    assert!((y["target_clients"].as_f64().unwrap() - 8800.0).abs() < 1e-9);
}

#[test]
fn friendship_bench_model_renders_html_and_text() {
    let model = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scaleup-econ/models/friendship_bench_planner.toml"
    );
    let out = run(&["plan", "--scenario", model, "--format", "html"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = String::from_utf8(out.stdout).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.matches("<svg").count() >= 4);
    // Self-contained: no scripts, no linked stylesheets or images (the only URL is the SVG
    // namespace).
    assert!(!html.contains("<script") && !html.contains("<link") && !html.contains("src="));
    assert!(!html.contains("https://"));
    assert!(html.contains("Healey et al. 2022"));
    let out = run(&["plan", "--scenario", model]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("== 2020 utilisation =="));
}

#[test]
fn bad_value_names_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        &dir,
        "bad.toml",
        &WORKED.replace("attrition = 0.0", "attrition = -1"),
    );
    let out = run(&["plan", "--scenario", &f, "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.toml"), "{err}");
    assert!(err.contains("line 13"), "{err}");
    assert!(err.contains("scenario[0].attrition"), "{err}");

    let f = write(
        &dir,
        "typo.toml",
        &WORKED.replace("prevalence = 0.044", "prevalence = \"high\""),
    );
    let out = run(&["plan", "--scenario", &f]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("typo.toml") && err.contains("line 7") && err.contains("base.prevalence"),
        "{err}"
    );

    let out = run(&[
        "plan",
        "--scenario",
        &dir.path().join("missing.toml").to_string_lossy(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.toml"));
}
