//! Hardening issue, item 2: a database refuses a master key it was not made with, and a key is
//! created only together with a new database. Reproduces the report: a copied database given a
//! freshly generated key file, and `--key-file` pointing at a missing path, each used to start
//! a server that said it was healthy.
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

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A database with an account (so audit rows exist) and its key file beside it.
fn database(dir: &Path) -> String {
    let db = dir.join("d.sqlite").to_string_lossy().into_owned();
    let out = scaleup(&[
        "user",
        "add",
        "--db",
        &db,
        "--username",
        "root",
        "--role",
        "admin",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        Path::new(&format!("{db}.key")).exists(),
        "a new database gets its key"
    );
    db
}

#[test]
fn a_copied_database_refuses_a_freshly_generated_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let copy = dir.path().join("k5.sqlite").to_string_lossy().into_owned();
    std::fs::copy(&db, &copy).unwrap();
    let out = scaleup(&["key", "generate", "--out", &format!("{copy}.key")]);
    assert!(out.status.success());
    for command in [
        vec!["serve", "--db", &copy, "--addr", "127.0.0.1:0"],
        vec!["audit", "verify", "--db", &copy],
    ] {
        let out = scaleup(&command);
        assert!(!out.status.success(), "{command:?} accepted a wrong key");
        assert!(
            stderr(&out).contains("is not the key this database was created with"),
            "{}",
            stderr(&out)
        );
    }
    // The original key still opens the copy, and the chain is intact.
    let out = scaleup(&[
        "audit",
        "verify",
        "--db",
        &copy,
        "--key-file",
        &format!("{db}.key"),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn an_existing_database_never_gets_a_new_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let missing = dir
        .path()
        .join("nowhere.key")
        .to_string_lossy()
        .into_owned();
    let out = scaleup(&[
        "serve",
        "--db",
        &db,
        "--key-file",
        &missing,
        "--addr",
        "127.0.0.1:0",
    ]);
    assert!(!out.status.success(), "served with a new key");
    assert!(
        stderr(&out).contains("exists but its key file"),
        "{}",
        stderr(&out)
    );
    assert!(!Path::new(&missing).exists(), "no key was created");
    // Without its key file beside it, the database is refused the same way.
    std::fs::remove_file(format!("{db}.key")).unwrap();
    let out = scaleup(&["migrate", "--db", &db]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("exists but its key file"),
        "{}",
        stderr(&out)
    );
    assert!(!Path::new(&format!("{db}.key")).exists());
}
