//! `scaleup serve --notify-webhook`: a risk alert raised over the API reaches the webhook,
//! signed, addressed with the settings `scaleup user add --language --notify-address` gave the
//! supervisor. A real server, a stub webhook, both on loopback.
#![cfg(feature = "server")]

mod common;

use common::{BIN, http, login};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const PASSWORD: &str = "correct horse battery staple";

fn scaleup(db: &str, args: &[&str]) {
    let out = Command::new(BIN)
        .args(args)
        .args(["--db", db])
        .env_remove("SCALEUP_MASTER_KEY")
        .env_remove("SCALEUP_KEY_FILE")
        .env("SCALEUP_PASSWORD", PASSWORD)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Receives one POST on loopback and answers 204; sends (headers, body) on the channel.
fn stub_webhook() -> (String, mpsc::Receiver<(String, Vec<u8>)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/rapidpro", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let Ok((stream, _)) = listener.accept() else {
            return;
        };
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut reader = BufReader::new(stream);
        let mut head = String::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                break;
            }
            head.push_str(&line);
        }
        let length: usize = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().parse().unwrap_or(0))
            })
            .unwrap_or(0);
        let mut body = vec![0; length];
        let _ = reader.read_exact(&mut body);
        let _ = reader
            .get_mut()
            .write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
        let _ = tx.send((head, body));
    });
    (url, rx)
}

struct Server(Child, String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(db: &str, webhook: &str) -> Server {
    let mut child = Command::new(BIN)
        .args(["serve", "--db", db, "--addr", "127.0.0.1:0"])
        .args(["--notify-webhook", webhook])
        .env("SCALEUP_NOTIFY_SECRET", "gateway-secret")
        .env_remove("SCALEUP_MASTER_KEY")
        .env_remove("SCALEUP_KEY_FILE")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line.trim().rsplit("http://").next().unwrap().to_string();
    Server(child, addr)
}

fn created(addr: &str, token: &str, path: &str, body: Value) -> String {
    let (status, v) = http(addr, "POST", path, Some(token), Some(&body)).unwrap();
    assert!(status == 201 || status == 200, "{path}: {status} {v}");
    v["id"].as_str().unwrap_or_default().to_string()
}

#[test]
fn a_raised_alert_reaches_the_webhook_signed_and_addressed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("n.sqlite").to_string_lossy().into_owned();
    scaleup(
        &db,
        &["user", "add", "--username", "root", "--role", "admin"],
    );
    let (webhook, received) = stub_webhook();
    let server = serve(&db, &webhook);
    let addr = server.1.clone();
    let admin = login(&addr, "root", PASSWORD);
    let hub = created(
        &addr,
        &admin,
        "/api/v1/hubs",
        json!({"code": "ke", "name": "Kenya", "country": "KE"}),
    );
    let mut parent = Value::Null;
    for level in ["country", "region", "district", "facility"] {
        let id = created(
            &addr,
            &admin,
            "/api/v1/org-units",
            json!({"hub_id": hub, "parent_id": parent, "level": level, "code": level, "name": level, "catchment_population": 1000}),
        );
        parent = json!(id);
    }
    let programme = created(
        &addr,
        &admin,
        "/api/v1/programmes",
        json!({"hub_id": hub, "code": "pm", "name": "PM+", "protocol_code": "pm_plus_individual", "alert_ack_hours": 24, "start_date": "2026-01-01", "sites": [{"facility_id": parent}]}),
    );
    scaleup(
        &db,
        &[
            "user",
            "add",
            "--username",
            "wanjiku",
            "--role",
            "supervisor",
            "--hub",
            "ke",
            "--language",
            "sw",
            "--notify-address",
            "tel:+254700000123",
        ],
    );
    scaleup(
        &db,
        &[
            "user",
            "add",
            "--username",
            "otieno",
            "--role",
            "counsellor",
            "--hub",
            "ke",
            "--supervisor",
            "wanjiku",
        ],
    );
    let counsellor = login(&addr, "otieno", PASSWORD);
    let client = uuid::Uuid::new_v4().to_string();
    let (status, acks) = http(&addr, "POST", "/api/v1/sync", Some(&counsellor), Some(&json!({"device_id": "phone", "records": [
        {"kind": "client", "id": client, "device_time": "2026-03-01T09:00:00Z", "data": {"programme_id": programme, "facility_id": parent, "registered_on": "2026-03-01", "sex": "female"}},
        {"kind": "assessment", "id": uuid::Uuid::new_v4().to_string(), "device_time": "2026-03-01T09:05:00Z", "data": {"client_id": client, "instrument": "phq9", "occasion": "baseline", "administered_on": "2026-03-01",
            "responses": {"1": 1, "2": 1, "3": 0, "4": 0, "5": 0, "6": 0, "7": 0, "8": 0, "9": 1}}},
    ]}))).unwrap();
    assert_eq!(status, 200, "{acks}");
    // The sender runs every few seconds.
    let (head, body) = received
        .recv_timeout(Duration::from_secs(30))
        .expect("the webhook was called");
    assert!(head.starts_with("POST /rapidpro HTTP/1.1"), "{head}");
    let signature = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("x-scaleup-signature"))
        .map(|(_, value)| value.trim())
        .expect("a signature header");
    assert_eq!(
        signature,
        scaleup_web::notify::signature("gateway-secret", &body)
    );
    let message: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(message["event"], "risk_alert.raised");
    assert_eq!(message["hub"], "ke");
    assert_eq!(
        (
            message["recipient"]["username"].as_str(),
            message["recipient"]["address"].as_str(),
            message["recipient"]["language"].as_str()
        ),
        (Some("wanjiku"), Some("tel:+254700000123"), Some("sw"))
    );
    assert!(!String::from_utf8_lossy(&body).contains(&client));
    // The outbox says it was sent.
    let (_, page) = http(&addr, "GET", "/api/v1/notifications", Some(&admin), None).unwrap();
    let mut status = page["items"][0]["status"].as_str().map(str::to_string);
    for _ in 0..50 {
        if status.as_deref() == Some("sent") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        let (_, page) = http(&addr, "GET", "/api/v1/notifications", Some(&admin), None).unwrap();
        status = page["items"][0]["status"].as_str().map(str::to_string);
    }
    assert_eq!(status.as_deref(), Some("sent"));
    drop(server);
}

#[test]
fn a_secret_without_a_webhook_is_refused() {
    let out = Command::new(BIN)
        .args(["serve", "--db", "unused.sqlite", "--notify-secret", "s"])
        .env_remove("SCALEUP_NOTIFY_WEBHOOK")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--notify-webhook"));
    let out = Command::new(BIN)
        .args([
            "serve",
            "--db",
            "unused.sqlite",
            "--notify-webhook",
            "ftp://x/y",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("https:// or http://"));
}
