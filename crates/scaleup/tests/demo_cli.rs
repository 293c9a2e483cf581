//! `scaleup demo`: the `--json` account contract, logging in with every printed account over the
//! HTTP API, what each role sees, re-running on an existing demo database, and `--serve`
//! printing the address and the accounts of a demo whose caseloads hold a working day.
//!
//! Needs the `server` feature (the demo command exists only there).
#![cfg(feature = "server")]

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

fn scaleup() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_scaleup"));
    c.env_remove("SCALEUP_MASTER_KEY")
        .env_remove("SCALEUP_KEY_FILE")
        .env_remove("SCALEUP_DB");
    c
}

/// The day the first test opens its demo (dates in the past are always accepted).
const TODAY: &str = "2026-06-15";

fn demo(db: &str, clients: &str, seed: &str) -> std::process::Output {
    demo_on(db, clients, seed, TODAY)
}

fn demo_on(db: &str, clients: &str, seed: &str, today: &str) -> std::process::Output {
    scaleup()
        .args([
            "demo",
            "--db",
            db,
            "--clients",
            clients,
            "--seed",
            seed,
            "--today",
            today,
            "--json",
        ])
        .output()
        .unwrap()
}

/// A server process killed when dropped.
struct Server(Child, String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_server(db: &str) -> Server {
    let mut child = scaleup()
        .args(["serve", "--db", db, "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .rsplit("http://")
        .next()
        .expect("the server prints its URL")
        .to_string();
    Server(child, addr)
}

/// One HTTP/1.1 request with `Connection: close`; returns (status, JSON body or Null).
fn http(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut s = TcpStream::connect(addr).unwrap();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw);
    let status: u16 = text.split(' ').nth(1).unwrap().parse().unwrap();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap();
    let payload = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        // Decode chunked transfer encoding.
        let mut out = String::new();
        let mut rest = rest;
        loop {
            let (size, after) = rest.split_once("\r\n").unwrap();
            let n = usize::from_str_radix(size.trim(), 16).unwrap();
            if n == 0 {
                break;
            }
            out.push_str(&after[..n]);
            rest = &after[n + 2..];
        }
        out
    } else {
        rest.to_string()
    };
    (
        status,
        serde_json::from_str(&payload).unwrap_or(Value::Null),
    )
}

#[test]
fn demo_prints_accounts_that_log_in_and_rerun_is_idempotent() {
    let tmp = tempfile::TempDir::new().unwrap();
    let db = tmp.path().join("demo.sqlite");
    let db = db.to_str().unwrap();

    let out = demo(db, "300", "7");
    assert!(
        out.status.success(),
        "demo failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let json: Value = serde_json::from_str(&stdout).expect("stdout is exactly one JSON document");
    let obj = json.as_object().unwrap();
    assert_eq!(obj.keys().collect::<Vec<_>>(), vec!["accounts", "today"]);
    assert_eq!(json["today"], TODAY);
    let accounts = json["accounts"].as_array().unwrap();
    for role in [
        "admin",
        "hub_manager",
        "supervisor",
        "counsellor",
        "researcher",
        "viewer",
    ] {
        assert!(
            accounts.iter().any(|a| a["role"] == role),
            "no {role} account"
        );
    }
    for a in accounts {
        let mut keys: Vec<_> = a.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, vec!["password", "role", "username"]);
        assert!(a["password"].as_str().unwrap().len() >= 12);
    }

    // Same seed and size again: nothing new, the same accounts.
    let again = demo(db, "300", "7");
    assert!(again.status.success());
    assert_eq!(String::from_utf8(again.stdout).unwrap(), stdout);
    assert!(String::from_utf8_lossy(&again.stderr).contains("nothing written"));
    // Another seed: refused, with a clear message, and nothing on stdout.
    let other = demo(db, "300", "8");
    assert!(!other.status.success());
    assert!(other.stdout.is_empty());
    assert!(String::from_utf8_lossy(&other.stderr).contains("already holds a demo"));
    // Another day: refused too, naming the day it was built for.
    let other = demo_on(db, "300", "7", "2026-06-16");
    assert!(!other.status.success());
    assert!(String::from_utf8_lossy(&other.stderr).contains("today 2026-06-15"));
    // A day in the future would date records after today: refused before anything is written.
    let future = demo_on(db, "300", "7", "2999-01-01");
    assert!(!future.status.success());
    assert!(String::from_utf8_lossy(&future.stderr).contains("--today"));

    let server = start_server(db);
    let addr = &server.1;
    let mut tokens = std::collections::BTreeMap::new();
    for a in accounts {
        let (status, body) = http(
            addr,
            "POST",
            "/api/v1/auth/login",
            None,
            Some(&serde_json::json!({"username": a["username"], "password": a["password"]})),
        );
        assert_eq!(status, 200, "login of {}: {body}", a["username"]);
        tokens.insert(
            a["username"].as_str().unwrap().to_string(),
            body["token"].as_str().unwrap().to_string(),
        );
    }
    let count = |user: &str| {
        let (status, body) = http(
            addr,
            "GET",
            "/api/v1/clients?limit=1000",
            Some(&tokens[user]),
            None,
        );
        (status, body["items"].as_array().map(|i| i.len()))
    };
    // The admin sees every client (one page of up to 1000 holds all 300).
    assert_eq!(count("demo.admin"), (200, Some(300)));
    // The researcher is granted all three hubs.
    assert_eq!(count("demo.researcher"), (200, Some(300)));
    // A counsellor sees a non-empty part of their hub; a hub manager their hub only.
    let (s, c) = count("in.c001");
    assert_eq!(s, 200);
    assert!(c.unwrap() > 0 && c.unwrap() < 300);
    let (s, m) = count("in.manager");
    assert_eq!(s, 200);
    assert!(m.unwrap() >= c.unwrap() && m.unwrap() < 300);
    // The viewer sees no client rows.
    let (s, _) = count("demo.viewer");
    assert_eq!(s, 403);
    drop(server);

    // --force starts a SQLite file afresh.
    let forced = scaleup()
        .args([
            "demo",
            "--db",
            db,
            "--clients",
            "200",
            "--seed",
            "8",
            "--today",
            TODAY,
            "--json",
            "--force",
        ])
        .output()
        .unwrap();
    assert!(forced.status.success());
    let forced: Value = serde_json::from_slice(&forced.stdout).unwrap();
    assert_ne!(forced, json);
}

/// `demo --serve` prints the accounts, what to try per role and the address to open. Signed in
/// as the printed counsellor and supervisor, the caseload holds a working day: clients whose
/// next session is due today and past due, clients flagged for risk, for being overdue and for
/// missed sessions, and an open risk alert.
#[test]
fn demo_serve_prints_the_address_and_a_working_day() {
    let tmp = tempfile::TempDir::new().unwrap();
    let db = tmp.path().join("demo.sqlite");
    let mut child = scaleup()
        .args(["demo", "--db", db.to_str().unwrap(), "--clients", "3000"])
        .args(["--seed", "1", "--serve", "--addr", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut printed = Vec::new();
    let addr = loop {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "no address in {printed:#?}"
        );
        if let Some(rest) = line.strip_prefix("Open http://") {
            break rest.split('/').next().unwrap().to_string();
        }
        printed.push(line);
    };
    let server = Server(child, addr.clone());
    // The accounts table: role, username, password; then one line per role saying what to try.
    let account = |role: &str| {
        printed
            .iter()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .find(|w| w.len() == 3 && w[0] == role)
            .map(|w| (w[1].to_string(), w[2].to_string()))
            .unwrap_or_else(|| panic!("no {role} in {printed:#?}"))
    };
    let tries = printed
        .iter()
        .position(|l| l.starts_with("What to try"))
        .unwrap();
    for role in [
        "admin",
        "hub_manager",
        "supervisor",
        "counsellor",
        "researcher",
        "viewer",
    ] {
        account(role);
        assert!(
            printed[tries..]
                .iter()
                .any(|l| l.trim_start().starts_with(role)),
            "nothing to try as {role}"
        );
    }
    for role in ["counsellor", "supervisor"] {
        let (user, password) = account(role);
        let (status, body) = http(
            &addr,
            "POST",
            "/api/v1/auth/login",
            None,
            Some(&serde_json::json!({"username": user, "password": password})),
        );
        assert_eq!(status, 200, "{body}");
        let token = body["token"].as_str().unwrap();
        let (status, body) = http(&addr, "GET", "/api/v1/caseload", Some(token), None);
        assert_eq!(status, 200, "{body}");
        let items = body["items"].as_array().unwrap();
        let next = |status: &str| {
            items
                .iter()
                .filter(|i| i["next_session"]["status"] == status)
                .count()
        };
        assert!(next("today") > 0, "{user}: nobody due today");
        assert!(next("overdue") + next("missed") > 0, "{user}: nobody late");
        for flag in ["risk", "overdue", "missed_sessions"] {
            assert!(
                items
                    .iter()
                    .any(|i| i["flags"].as_array().unwrap().iter().any(|f| f == flag)),
                "{user}: no client flagged {flag}"
            );
        }
        let (status, body) = http(
            &addr,
            "GET",
            "/api/v1/alerts?status=open",
            Some(token),
            None,
        );
        assert_eq!(status, 200, "{body}");
        assert!(
            !body["items"].as_array().unwrap().is_empty(),
            "{user}: no open alert"
        );
    }
    drop(server);
}
