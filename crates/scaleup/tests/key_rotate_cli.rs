//! Issue 11: `scaleup key rotate` re-seals a database under a new key while a server keeps
//! reading identities, stops part-way (as a crash or a maintenance window would) and resumes,
//! then the new key alone opens everything and the old one is refused. On SQLite always; on
//! PostgreSQL when `SCALEUP_TEST_POSTGRES_URL` is set (with `CI=true` it must be).
#![cfg(feature = "server")]

mod common;

use serde_json::Value;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

fn scaleup(args: &[&str]) -> Output {
    Command::new(common::BIN)
        .env_remove("SCALEUP_MASTER_KEY")
        .env_remove("SCALEUP_KEY_FILE")
        .env_remove("SCALEUP_PREVIOUS_KEY_FILE")
        .env_remove("SCALEUP_PREVIOUS_MASTER_KEY")
        .env_remove("SCALEUP_DB")
        .env("RUST_LOG", "warn")
        .args(args)
        .output()
        .expect("run scaleup")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn ok(args: &[&str]) -> String {
    let out = scaleup(args);
    assert!(out.status.success(), "{args:?}: {}", text(&out));
    text(&out)
}

fn counsellor(accounts: &Value) -> (String, String) {
    let a = accounts["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["role"] == "counsellor")
        .unwrap();
    (
        a["username"].as_str().unwrap().to_string(),
        a["password"].as_str().unwrap().to_string(),
    )
}

/// The ids of the clients whose identities the counsellor may read.
fn client_ids(addr: &str, token: &str) -> Vec<String> {
    let (status, v) =
        common::http(addr, "GET", "/api/v1/clients?limit=50", Some(token), None).unwrap();
    assert_eq!(status, 200, "{v}");
    v["items"]
        .as_array()
        .or_else(|| v["clients"].as_array())
        .expect("a page of clients")
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

fn read_identity(addr: &str, token: &str, client: &str) -> u16 {
    common::http(
        addr,
        "GET",
        &format!("/api/v1/clients/{client}/identity"),
        Some(token),
        None,
    )
    .unwrap()
    .0
}

/// The whole rotation against `db` (already holding a demo sealed under `old_key`).
fn rotate_while_serving(db: &str, old_key: &str, new_key: &str, accounts: &Value) {
    // Step 1: the server restarts with the new key and the old one as previous.
    let server = common::start_with(db, &["--key-file", new_key, "--previous-key-file", old_key]);
    let (user, pass) = counsellor(accounts);
    let token = common::login(&server.addr, &user, &pass);
    let clients = client_ids(&server.addr, &token);
    let with_identity: Vec<String> = clients
        .iter()
        .filter(|c| read_identity(&server.addr, &token, c) == 200)
        .cloned()
        .collect();
    assert!(!with_identity.is_empty());

    // A reader keeps opening identities for the whole rotation.
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let (stop, addr, token, ids) = (
            stop.clone(),
            server.addr.clone(),
            token.clone(),
            with_identity.clone(),
        );
        std::thread::spawn(move || {
            let mut reads = 0usize;
            while !stop.load(Ordering::Relaxed) {
                for id in &ids {
                    assert_eq!(read_identity(&addr, &token, id), 200, "read of {id} failed");
                    reads += 1;
                }
            }
            reads
        })
    };
    let keys = ["--key-file", new_key, "--previous-key-file", old_key];
    // A first run stops after three chunks, as a maintenance window would end it.
    let mut args = vec![
        "key",
        "rotate",
        "--db",
        db,
        "--chunk",
        "10",
        "--max-chunks",
        "3",
    ];
    args.extend(keys);
    let paused = ok(&args);
    assert!(paused.contains("paused"), "{paused}");
    let resealed = |status: &Value| status["rotation"]["resealed"].as_i64();
    let mut status_args = vec!["key", "status", "--db", db, "--json"];
    status_args.extend(keys);
    let status = || -> Value { serde_json::from_str(ok(&status_args).trim()).unwrap() };
    let after_pause = resealed(&status()).expect("a rotation in progress");
    assert!(after_pause > 0);
    // A second run is killed (SIGKILL) once it has re-sealed more, mid-way.
    let mut child = Command::new(common::BIN)
        .args([
            "key",
            "rotate",
            "--db",
            db,
            "--chunk",
            "2",
            "--pause-ms",
            "100",
        ])
        .args(keys)
        .env_remove("SCALEUP_MASTER_KEY")
        .env_remove("SCALEUP_PREVIOUS_MASTER_KEY")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while resealed(&status()).is_none_or(|n| n <= after_pause) {
        assert!(
            std::time::Instant::now() < deadline,
            "the paced rotation made no progress"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the paced rotation ended before it could be killed"
        );
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let killed_at = resealed(&status()).expect("the killed rotation is still recorded");
    assert!(killed_at > after_pause);
    // A third run resumes from the recorded cursor and finishes.
    let mut args = vec!["key", "rotate", "--db", db, "--chunk", "25"];
    args.extend(keys);
    let done = ok(&args);
    assert!(done.contains("rotated from key id"), "{done}");
    assert!(status()["rotation"].is_null());
    stop.store(true, Ordering::Relaxed);
    assert!(reader.join().unwrap() > 0);
    drop(server);

    // The new key alone serves; the old one is refused; the audit chain verifies.
    let server = common::start_with(db, &["--key-file", new_key]);
    let token = common::login(&server.addr, &user, &pass);
    for id in &with_identity {
        assert_eq!(read_identity(&server.addr, &token, id), 200);
    }
    drop(server);
    let verified = ok(&["audit", "verify", "--db", db, "--key-file", new_key]);
    assert!(verified.contains("audit log intact"), "{verified}");
    let refused = scaleup(&["audit", "verify", "--db", db, "--key-file", old_key]);
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("is not the key this database was created with"),
        "{}",
        text(&refused)
    );
    // Running it again does nothing.
    let again = ok(&["key", "rotate", "--db", db, "--key-file", new_key]);
    assert!(again.contains("nothing to do"), "{again}");
}

fn demo(db: &str, key: &str) -> Value {
    let out = scaleup(&[
        "demo",
        "--db",
        db,
        "--key-file",
        key,
        "--clients",
        "80",
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_sqlite_database_rotates_to_a_new_key_while_serving() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.sqlite").to_string_lossy().into_owned();
    let old_key = format!("{db}.key");
    let accounts = demo(&db, &old_key);
    let new_key = dir.path().join("new.key").to_string_lossy().into_owned();
    ok(&["key", "generate", "--out", &new_key]);
    rotate_while_serving(&db, &old_key, &new_key, &accounts);
}

#[test]
fn a_postgres_database_rotates_to_a_new_key_while_serving() {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let admin = match std::env::var("SCALEUP_TEST_POSTGRES_URL") {
        Ok(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => u,
        _ => {
            assert!(
                !ci,
                "SCALEUP_TEST_POSTGRES_URL is not set but CI=true: PostgreSQL tests must run in CI"
            );
            eprintln!("note: SCALEUP_TEST_POSTGRES_URL not set; PostgreSQL variant not run");
            return;
        }
    };
    let name = format!("scaleup_test_{}", uuid::Uuid::new_v4().simple());
    let out = Command::new("psql")
        .arg(&admin)
        .args(["-qc", &format!("CREATE DATABASE {name}")])
        .output()
        .expect("psql (PostgreSQL's client) is needed to create the test database");
    assert!(out.status.success(), "{}", text(&out));
    let db = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
    // Dropped when the test ends, passed or not.
    struct Dropped<'a>(&'a str, &'a str);
    impl Drop for Dropped<'_> {
        fn drop(&mut self) {
            let _ = Command::new("psql")
                .arg(self.0)
                .args([
                    "-qc",
                    &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.1),
                ])
                .output();
        }
    }
    let _dropped = Dropped(&admin, &name);
    let dir = tempfile::tempdir().unwrap();
    let old_key = dir.path().join("old.key").to_string_lossy().into_owned();
    let new_key = dir.path().join("new.key").to_string_lossy().into_owned();
    ok(&["key", "generate", "--out", &old_key]);
    ok(&["key", "generate", "--out", &new_key]);
    let accounts = demo(&db, &old_key);
    rotate_while_serving(&db, &old_key, &new_key, &accounts);
}
