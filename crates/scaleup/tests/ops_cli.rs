//! Issue 11: `scaleup serve --log-format json` writes one JSON object a line, and a request is
//! logged by its route template, method, status and duration: never its URL (which carries
//! client ids), a body or a value.
#![cfg(feature = "server")]

mod common;

use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

#[test]
fn request_log_lines_are_json_and_name_no_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.sqlite").to_string_lossy().into_owned();
    // The database (and its key) first, so that every line the server writes is a log line.
    let made = Command::new(common::BIN)
        .args(["migrate", "--db", &db])
        .env_remove("SCALEUP_MASTER_KEY")
        .env_remove("SCALEUP_KEY_FILE")
        .output()
        .unwrap();
    assert!(made.status.success());
    let mut child = Command::new(common::BIN)
        .args([
            "serve",
            "--db",
            &db,
            "--addr",
            "127.0.0.1:0",
            "--log-format",
            "json",
        ])
        .env_remove("SCALEUP_MASTER_KEY")
        .env_remove("SCALEUP_KEY_FILE")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line.trim().rsplit("http://").next().unwrap().to_string();
    let client = uuid::Uuid::new_v4().to_string();
    let (status, _) = common::http(
        &addr,
        "GET",
        &format!("/api/v1/clients/{client}"),
        None,
        None,
    )
    .unwrap();
    assert_eq!(status, 401);
    let (status, _) = common::http(&addr, "GET", "/api/v1/health", None, None).unwrap();
    assert_eq!(status, 200);
    let _ = child.kill();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let _ = child.wait();

    let lines: Vec<Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let request = lines
        .iter()
        .find(|l| l["target"] == "scaleup::request" && l["route"] == "/api/v1/clients/{id}")
        .unwrap_or_else(|| panic!("no request line in {stderr}"));
    assert_eq!(request["message"], "request");
    assert_eq!(request["method"], "GET");
    assert_eq!(request["status"], 401);
    assert!(request["ms"].is_u64());
    assert!(request["level"] == "INFO");
    assert!(!stderr.contains(&client), "a client id reached the log");
}

/// `--db-connections` sizes each server's pool (a server a round trip away from PostgreSQL
/// needs more than the default 8): the pool's ceiling in `/metrics` is the number given, and a
/// number outside 1 to 1,000 is refused before anything opens.
#[test]
fn the_database_pool_is_sized_by_db_connections() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.sqlite").to_string_lossy().into_owned();
    let refused = Command::new(common::BIN)
        .args(["migrate", "--db", &db, "--db-connections", "0"])
        .env_remove("SCALEUP_MASTER_KEY")
        .env_remove("SCALEUP_KEY_FILE")
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("--db-connections"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(!std::path::Path::new(&db).exists(), "nothing was created");
    let mut server = common::start_with(
        &db,
        &["--db-connections", "3", "--metrics-allow", "127.0.0.1"],
    );
    let mut stream = std::net::TcpStream::connect(&server.addr).unwrap();
    use std::io::Write;
    write!(
        stream,
        "GET /metrics HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        server.addr
    )
    .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    let _ = server.child.kill();
    let _ = server.child.wait();
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(
        text.lines()
            .any(|l| l == "scaleup_db_pool_max_connections 3"),
        "{text}"
    );
}
