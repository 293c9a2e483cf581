//! The care app in a real browser (issue "Care app", tests 1-4): Debian's Chromium driven by
//! playwright-core (`e2e/`, installed by `scripts/test.sh`; never a downloaded browser) against
//! the real `scaleup serve` on a seeded SQLite file. The journeys themselves are in
//! `e2e/journeys.mjs`; this test seeds the database and runs them.
//!
//! With `CI=true` a missing Chromium, Node.js or `e2e/node_modules` fails the test; locally it
//! says what is missing and passes without running.
#![cfg(feature = "server")]

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// What is missing to run browser tests, if anything.
fn missing() -> Option<String> {
    let chromium = std::env::var("SCALEUP_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        return Some(format!(
            "Chromium ({chromium}; apt-get install chromium fonts-noto-core)"
        ));
    }
    if Command::new("node").arg("--version").output().is_err() {
        return Some("Node.js".into());
    }
    if !repo().join("e2e/node_modules/playwright-core").exists() {
        return Some("e2e/node_modules (npm ci --prefix e2e)".into());
    }
    None
}

#[test]
fn care_app_journeys_in_chromium() {
    if let Some(what) = missing() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "browser tests need {what}, and CI=true: failing instead of skipping"
        );
        eprintln!("browser tests not run: {what} is missing (scripts/test.sh installs it)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite");
    let db = db.to_str().unwrap();
    let bin = env!("CARGO_BIN_EXE_scaleup");
    let demo = Command::new(bin)
        .args([
            "demo",
            "--db",
            db,
            "--clients",
            "600",
            "--seed",
            "11",
            "--json",
        ])
        .env_remove("SCALEUP_MASTER_KEY")
        .env_remove("SCALEUP_KEY_FILE")
        .output()
        .unwrap();
    assert!(
        demo.status.success(),
        "demo: {}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let accounts = dir.path().join("accounts.json");
    std::fs::write(&accounts, &demo.stdout).unwrap();
    let mut node = Command::new("node");
    node.arg(repo().join("e2e/journeys.mjs"))
        .env("SCALEUP_BIN", bin)
        .env("SCALEUP_DB", db)
        .env("SCALEUP_ACCOUNTS", &accounts)
        .env_remove("SCALEUP_MASTER_KEY")
        .env_remove("SCALEUP_KEY_FILE");
    if let Ok(shots) = std::env::var("SCALEUP_SCREENSHOTS") {
        node.args(["--screenshots", &shots]);
    }
    let status = node.status().unwrap();
    assert!(
        status.success(),
        "the browser journeys failed (output above)"
    );
}
