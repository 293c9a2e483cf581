//! Shared by the tests that drive a real `scaleup serve` over loopback.
#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_scaleup");

/// A deliberately small HTTP/1.1 client (no dependency): one request per connection.
pub fn http(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> std::io::Result<(u16, Value)> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let status: u16 = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status line"))?;
    let payload = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    Ok((status, serde_json::from_str(payload).unwrap_or(Value::Null)))
}

pub struct Server {
    pub child: Child,
    pub addr: String,
}

pub fn start(db: &str) -> Server {
    start_with(db, &[])
}

/// Starts `scaleup serve` with extra arguments.
pub fn start_with(db: &str, extra: &[&str]) -> Server {
    start_env(db, extra, &[])
}

/// Starts `scaleup serve` with extra arguments and environment (a PostgreSQL server's key file).
pub fn start_env(db: &str, extra: &[&str], env: &[(&str, &str)]) -> Server {
    let mut child = Command::new(BIN)
        .args(["serve", "--db", db, "--addr", "127.0.0.1:0"])
        .args(extra)
        .envs(env.iter().copied())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start scaleup serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line.trim().rsplit("http://").next().unwrap().to_string();
    Server { child, addr }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Signs in and returns the bearer token.
pub fn login(addr: &str, username: &str, password: &str) -> String {
    let body = serde_json::json!({"username": username, "password": password});
    let (status, v) = http(addr, "POST", "/api/v1/auth/login", None, Some(&body)).unwrap();
    assert_eq!(status, 200, "login as {username}: {v}");
    v["token"].as_str().unwrap().to_string()
}
