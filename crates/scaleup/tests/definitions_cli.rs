//! A hub stores its own definition files in the database; malformed files are rejected whole.

#![cfg(feature = "server")]

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_scaleup");

#[test]
fn hub_definitions_are_validated_then_stored() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("defs.sqlite");
    let phq9 = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scaleup-domain/definitions/instruments/phq9.toml"
    ))
    .unwrap();
    let good = dir.path().join("local_phq9.toml");
    std::fs::write(
        &good,
        phq9.replacen("code = \"phq9\"", "code = \"phq9_local\"", 1),
    )
    .unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "kind = \"instrument\"\ncode = \"bad\"\nversion = \"1\"\nname = 7\n",
    )
    .unwrap();

    let out = Command::new(BIN)
        .args(["definitions", "add", "--db"])
        .arg(&db)
        .arg(&good)
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.toml:"), "{err}");
    let list = Command::new(BIN)
        .args(["definitions", "list", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&list.stdout).trim().is_empty(),
        "nothing stored when one file is bad"
    );

    let out = Command::new(BIN)
        .args(["definitions", "add", "--db"])
        .arg(&db)
        .arg(&good)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = Command::new(BIN)
        .args(["definitions", "list", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&list.stdout).contains("phq9_local"));
}
