//! `scaleup analyze effectiveness` recovers the known true effect of the demo's stepped-wedge
//! trial (issue 4): the demo builds the Kenya PM+ programme with `true_effect` = −3 PHQ-9 points.

#![cfg(feature = "server")]

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_scaleup");

#[test]
fn stepped_wedge_analysis_recovers_the_true_effect() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("trial.sqlite");
    let out = Command::new(BIN)
        .args(["demo", "--clients", "3000", "--seed", "5", "--json", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(BIN)
        .args([
            "analyze",
            "effectiveness",
            "--program",
            "pmplus-sw-trial",
            "--format",
            "json",
            "--db",
        ])
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["design"], "stepped_wedge");
    assert_eq!(
        v["formula"],
        "change ~ treatment + period + (1 | facility) + (1 | facility:period)"
    );
    let truth = v["true_effect"].as_f64().unwrap();
    let (est, se) = (
        v["effect"]["estimate"].as_f64().unwrap(),
        v["effect"]["std_error"].as_f64().unwrap(),
    );
    assert_eq!(truth, -3.0);
    assert_eq!(v["true_effect_in_ci"], true, "{v}");
    assert!(
        (est - truth).abs() < 3.0 * se,
        "estimate {est} ± {se} vs truth {truth}"
    );
    assert!(v["n_analysed"].as_u64().unwrap() >= 100);
    assert!(
        v["n_missing_outcome"].as_u64().unwrap() > 0,
        "missing follow-ups are counted, not hidden"
    );

    // Unknown programme: a clear error naming the option.
    let out = Command::new(BIN)
        .args(["analyze", "effectiveness", "--program", "nope", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--program"));
}
