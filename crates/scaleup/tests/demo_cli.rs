//! `scaleup demo`: the `--json` account contract, logging in with every printed account over the
//! HTTP API, what each role sees, and re-running on an existing demo database.
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

fn demo(db: &str, clients: &str, seed: &str) -> std::process::Output {
    scaleup()
        .args([
            "demo",
            "--db",
            db,
            "--clients",
            clients,
            "--seed",
            seed,
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
    assert_eq!(obj.keys().collect::<Vec<_>>(), vec!["accounts"]);
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
            "--json",
            "--force",
        ])
        .output()
        .unwrap();
    assert!(forced.status.success());
    let forced: Value = serde_json::from_slice(&forced.stdout).unwrap();
    assert_ne!(forced, json);
}
