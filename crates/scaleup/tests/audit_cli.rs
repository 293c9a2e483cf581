//! Hardening issue, item 4: `scaleup audit checkpoint` writes signed heads a hub keeps outside
//! the database, and `scaleup audit verify --checkpoint` catches a log rolled back below one,
//! which verification without checkpoints cannot (every row and the head are genuine).
#![cfg(feature = "server")]

use std::path::Path;
use std::process::{Command, Output};

fn scaleup(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scaleup"))
        .env_remove("SCALEUP_MASTER_KEY")
        .env_remove("SCALEUP_KEY_FILE")
        .env_remove("SCALEUP_DB")
        .env("SCALEUP_PASSWORD", "correct horse battery staple")
        .env("RUST_LOG", "warn")
        .args(args)
        .output()
        .expect("run scaleup")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn add_user(db: &str, username: &str) {
    let out = scaleup(&[
        "user",
        "add",
        "--db",
        db,
        "--username",
        username,
        "--role",
        "admin",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// Copies a closed SQLite database with its write-ahead log, if one was left.
fn copy_database(from: &str, to: &str) {
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{to}{suffix}"));
    }
    std::fs::copy(from, to).unwrap();
    for suffix in ["-wal", "-shm"] {
        if Path::new(&format!("{from}{suffix}")).exists() {
            std::fs::copy(format!("{from}{suffix}"), format!("{to}{suffix}")).unwrap();
        }
    }
}

#[test]
fn a_checkpoint_catches_a_log_rolled_back_below_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.sqlite").to_string_lossy().into_owned();
    let backup = dir.path().join("old.sqlite").to_string_lossy().into_owned();
    let kept = dir
        .path()
        .join("checkpoints.jsonl")
        .to_string_lossy()
        .into_owned();
    add_user(&db, "root");
    copy_database(&db, &backup);
    add_user(&db, "second");

    // Appended to the file, never overwritten; standard output stays empty.
    for _ in 0..2 {
        let out = scaleup(&["audit", "checkpoint", "--db", &db, "--out", &kept]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).is_empty());
        assert!(stderr(&out).contains("appended to"), "{}", stderr(&out));
    }
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&kept)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    let seq = lines[0]["seq"].as_i64().unwrap();
    assert_eq!(lines[0]["format"], "scaleup-audit-checkpoint/1");
    // Without --out, standard output holds the checkpoint alone, so `>> FILE` keeps one a line.
    let out = scaleup(&["audit", "checkpoint", "--db", &db]);
    assert!(out.status.success(), "{}", stderr(&out));
    let printed: serde_json::Value = serde_json::from_str(stdout(&out).trim_end()).unwrap();
    assert_eq!(printed["seq"].as_i64(), Some(seq));
    assert_eq!(stdout(&out).lines().count(), 1);

    let out = scaleup(&["audit", "verify", "--db", &db, "--checkpoint", &kept]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("2 checkpoints checked"),
        "{}",
        stdout(&out)
    );

    // The database put back as it was before the checkpoints (a restored backup, or someone
    // rolling it back): every row and the head are genuine, so only the checkpoints can tell.
    copy_database(&backup, &db);
    let out = scaleup(&["audit", "verify", "--db", &db]);
    assert!(out.status.success(), "{}", stdout(&out));
    let out = scaleup(&["audit", "verify", "--db", &db, "--checkpoint", &kept]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let report = stdout(&out);
    assert!(report.contains("AUDIT LOG TAMPERED"), "{report}");
    assert!(
        report.contains(&format!(
            "the checkpoint saw row {seq} but the recorded head is row"
        )),
        "{report}"
    );
}

#[test]
fn a_checkpoint_file_that_is_not_one_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.sqlite").to_string_lossy().into_owned();
    add_user(&db, "root");
    let bad = dir.path().join("notes.txt");
    std::fs::write(&bad, "checkpoint taken on Monday\n").unwrap();
    let out = scaleup(&[
        "audit",
        "verify",
        "--db",
        &db,
        "--checkpoint",
        &bad.to_string_lossy(),
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("not a file of scaleup audit checkpoints"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn audit_help_explains_checkpoints() {
    let out = scaleup(&["audit", "--help"]);
    assert!(out.status.success());
    let help = stdout(&out);
    for needle in ["checkpoint", "verify --checkpoint", "outside the database"] {
        assert!(help.contains(needle), "{needle}: {help}");
    }
}
