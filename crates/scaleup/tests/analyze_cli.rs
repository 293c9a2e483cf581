//! `scaleup analyze effectiveness` recovers the known true effect of the demo's stepped-wedge
//! trial (issue 4): the demo builds the Kenya PM+ programme with `true_effect` = −3 PHQ-9 points.
//! The trial's last period ends a few days before `--today`, so its follow-ups are not yet due
//! and the estimate rests on the first four periods.

#![cfg(feature = "server")]

mod common;

use common::{BIN, http, login, start};
use std::process::Command;

#[test]
fn stepped_wedge_analysis_recovers_the_true_effect() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("trial.sqlite");
    let out = Command::new(BIN)
        .args(["demo", "--clients", "3000", "--seed", "5", "--json"])
        .args(["--today", "2026-06-15", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let accounts: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
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

    // The same analysis through the API gives the same JSON, for the roles that run analyses,
    // and is refused to care staff.
    let server = start(db.to_str().unwrap());
    let account = |role: &str| {
        let a = accounts["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["role"] == role)
            .unwrap_or_else(|| panic!("no {role} account"));
        login(
            &server.addr,
            a["username"].as_str().unwrap(),
            a["password"].as_str().unwrap(),
        )
    };
    let path = "/api/v1/programmes/pmplus-sw-trial/effectiveness";
    let researcher = account("researcher");
    let (status, api) = http(&server.addr, "GET", path, Some(&researcher), None).unwrap();
    assert_eq!(status, 200, "{api}");
    assert_eq!(api, v, "the API and the command line must agree");
    let (status, api) = http(
        &server.addr,
        "GET",
        &format!("{path}?cluster_period=false&level=0.9"),
        Some(&researcher),
        None,
    )
    .unwrap();
    assert_eq!(status, 200, "{api}");
    assert_eq!(
        api["formula"],
        "change ~ treatment + period + (1 | facility)"
    );
    assert_eq!(api["effect"]["level"], 0.9);
    let (status, err) = http(
        &server.addr,
        "GET",
        &format!("{path}?level=2"),
        Some(&researcher),
        None,
    )
    .unwrap();
    assert_eq!(status, 400, "{err}");
    assert_eq!(err["error"]["field"], "level");
    let counsellor = account("counsellor");
    let (status, _) = http(&server.addr, "GET", path, Some(&counsellor), None).unwrap();
    assert_eq!(status, 403);
    let (status, _) = http(
        &server.addr,
        "GET",
        "/api/v1/programmes/nope/effectiveness",
        Some(&researcher),
        None,
    )
    .unwrap();
    assert_eq!(status, 404);
    drop(server);

    // Unknown programme: a clear error naming the option.
    let out = Command::new(BIN)
        .args(["analyze", "effectiveness", "--program", "nope", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--program"));
}
