//! `scaleup econ bia` and `scaleup econ roi` end to end: hand-derived cases through the binary,
//! the shipped Friendship Bench examples as HTML, and error messages naming file, line and field.

use std::process::Command;

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

fn model(name: &str) -> String {
    format!(
        "{}/../scaleup-econ/models/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

const BIA: &str = r#"
years = 2
start_year = 2025
[population]
total = 1000
growth = 0.1
eligible_share = 0.5
[[treatment]]
name = "UC"
costs = { staff = 10 }
[[treatment]]
name = "FB"
costs = { staff = [20, 30], materials = 5 }
[[scenario]]
name = "Current"
shares = { UC = 0.2 }
[[scenario]]
name = "Scale-up"
shares = { UC = 0.2, FB = [0.1, 0.2] }
fixed_costs = { training = [100, 0] }
"#;

#[test]
fn bia_hand_case_json() {
    // Eligible 500 then 550. Impact year 1: 50 FB patients × 25 + 100 training = 1350;
    // year 2: 110 × 35 = 3850 (derivation in budget_impact.rs tests).
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "bia.toml", BIA);
    let out = run(&["econ", "bia", "--scenario", &f, "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["discounting"], "none");
    let imp = &v["impacts"][0];
    assert!((imp["years"][0]["total"].as_f64().unwrap() - 1350.0).abs() < 1e-9);
    assert!((imp["years"][1]["total"].as_f64().unwrap() - 3850.0).abs() < 1e-9);
    assert!((imp["total"].as_f64().unwrap() - 5200.0).abs() < 1e-9);
}

#[test]
fn bia_error_names_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        &dir,
        "bad_bia.toml",
        &BIA.replace("FB = [0.1, 0.2]", "FB = [0.1, 0.9]"),
    );
    let out = run(&["econ", "bia", "--scenario", &f]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad_bia.toml")
            && err.contains("line 19")
            && err.contains("scenario[1].shares"),
        "{err}"
    );
}

#[test]
fn roi_example_and_errors() {
    let out = run(&[
        "econ",
        "roi",
        "--scenario",
        &model("friendship_bench_roi.toml"),
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &v["summary"];
    // BCR identities hold on the printed values.
    let bcr = s["bcr_economic"].as_f64().unwrap();
    let ratio = s["pv_productivity"].as_f64().unwrap() / s["pv_cost"].as_f64().unwrap();
    assert!((bcr - ratio).abs() < 1e-12);
    assert_eq!(v["unsourced"].as_array().unwrap().len(), 0);

    let out = run(&[
        "econ",
        "roi",
        "--scenario",
        &model("friendship_bench_roi.toml"),
        "--format",
        "html",
    ]);
    let html = String::from_utf8(out.stdout).unwrap();
    assert!(
        html.starts_with("<!DOCTYPE html>") && html.contains("<svg") && !html.contains("<script")
    );

    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(model("friendship_bench_roi.toml")).unwrap();
    let f = write(
        &dir,
        "bad_roi.toml",
        &text.replace("discount_rate = 0.03 ", "discount_rate = \"3%\" "),
    );
    let out = run(&["econ", "roi", "--scenario", &f]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad_roi.toml") && err.contains("line 15") && err.contains("discount_rate"),
        "{err}"
    );
}

#[test]
fn bia_example_renders() {
    for fmt in ["text", "html"] {
        let out = run(&[
            "econ",
            "bia",
            "--scenario",
            &model("friendship_bench_bia.toml"),
            "--format",
            fmt,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("Scale-up to 10 %"));
    }
}
