//! The notification sender against a stub receiver on loopback: the body arrives as stored and
//! signed; a receiver that fails gets the row again later; a dead or silent address leaves the
//! row pending with its error and never panics. Time is driven by moving `next_attempt_at`, not
//! by waiting for it.

mod common;

use common::{App, rec, uuid};
use scaleup_web::notify::{WebhookConfig, deliver_due, signature};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// One request as the stub received it.
struct Received {
    request_line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A webhook on loopback answering each request with the next status of `statuses` (the last
/// one repeats); every request it reads is sent on the channel. Bounded: it stops after 20
/// connections, and the test's runtime ends it.
async fn stub_receiver(statuses: Vec<u16>) -> (String, mpsc::UnboundedReceiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks/scaleup", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        for n in 0..20 {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            // Headers, then as much body as Content-Length says.
            let head_end = loop {
                let Ok(read) = socket.read(&mut chunk).await else {
                    return;
                };
                if read == 0 {
                    return;
                }
                buf.extend_from_slice(&chunk[..read]);
                if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break at;
                }
            };
            let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
            let mut lines = head.split("\r\n");
            let request_line = lines.next().unwrap_or("").to_string();
            let headers: Vec<(String, String)> = lines
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .collect();
            let length: usize = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            let mut body = buf[head_end + 4..].to_vec();
            while body.len() < length {
                let Ok(read) = socket.read(&mut chunk).await else {
                    return;
                };
                if read == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..read]);
            }
            let status = *statuses.get(n).or(statuses.last()).unwrap_or(&200);
            let _ = tx.send(Received {
                request_line,
                headers,
                body,
            });
            let answer = format!(
                "HTTP/1.1 {status} Status\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
            );
            let _ = socket.write_all(answer.as_bytes()).await;
            let _ = socket.shutdown().await;
        }
    });
    (url, rx)
}

/// Raises one risk alert (so one notification, to the fixture supervisor); returns the client.
async fn raise_alert(app: &App) -> String {
    let f = &app.fixture;
    let token = app.token("counsellor").await;
    let client = uuid();
    let (s, body) = app
        .call("POST", "/api/v1/sync", Some(&token), Some(json!({"device_id": "phone", "records": [
            rec("client", &client, None, json!({"programme_id": f.programme_id, "facility_id": f.facility_id, "registered_on": "2026-03-01", "sex": "female"})),
            rec("client_identity", &uuid(), None, json!({"client_id": client, "given_name": "Nyambura", "phone": "+254 733 000000"})),
            rec("assessment", &uuid(), None, json!({"client_id": client, "instrument": "phq9", "occasion": "baseline", "administered_on": "2026-03-01", "responses": {"9": 2}})),
        ]})))
        .await;
    assert_eq!(s, 200, "{body}");
    client
}

/// The outbox rows: (status, attempts, last_error).
async fn outbox(app: &App) -> Vec<(String, i64, Option<String>)> {
    use sqlx::Row;
    sqlx::query("SELECT status, attempts, last_error FROM notifications ORDER BY created_at")
        .fetch_all(app.store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.try_get("status").unwrap(),
                r.try_get("attempts").unwrap(),
                r.try_get("last_error").unwrap(),
            )
        })
        .collect()
}

/// Makes every pending row due now, as if its retry time had come.
async fn time_passes(app: &App) {
    sqlx::query("UPDATE notifications SET next_attempt_at = '2000-01-01T00:00:00.000000Z' WHERE status = 'pending'")
        .execute(app.store.pool())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_due_notification_arrives_signed_and_is_sent_once() {
    let app = App::sqlite().await;
    let client = raise_alert(&app).await;
    let (url, mut received) = stub_receiver(vec![200]).await;
    let config = WebhookConfig::new(&url, Some("shared-secret")).unwrap();
    assert_eq!(deliver_due(&app.store, &config).await.unwrap(), 1);
    let got = received.recv().await.unwrap();
    assert_eq!(got.request_line, "POST /hooks/scaleup HTTP/1.1");
    assert_eq!(got.header("content-type"), Some("application/json"));
    assert_eq!(
        got.header("x-scaleup-signature"),
        Some(signature("shared-secret", &got.body).as_str()),
        "the signature is the HMAC of the raw body received"
    );
    let body: Value = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(body["event"], "risk_alert.raised");
    assert_eq!(body["hub"], "ke-pmplus");
    assert_eq!(body["level"], "urgent");
    assert_eq!(body["recipient"]["username"], "supervisor");
    assert!(body["text"].as_str().unwrap().contains("risk alert"));
    let text = String::from_utf8(got.body.clone()).unwrap();
    // The phone number whole: a short fragment such as "733" turns up in random ids and times.
    for secret in [client.as_str(), "Nyambura", "733 000000", "phq9"] {
        assert!(!text.contains(secret), "the message names {secret}: {text}");
    }
    assert_eq!(outbox(&app).await, vec![("sent".into(), 1, None)]);
    // Sent is done: a second round sends nothing, even once any retry time has passed.
    time_passes(&app).await;
    assert_eq!(deliver_due(&app.store, &config).await.unwrap(), 0);
    assert!(received.try_recv().is_err());
    // Without a secret there is no signature header.
    raise_alert(&app).await;
    let unsigned = WebhookConfig::new(&url, None).unwrap();
    assert_eq!(deliver_due(&app.store, &unsigned).await.unwrap(), 1);
    assert_eq!(
        received.recv().await.unwrap().header("x-scaleup-signature"),
        None
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_fails_gets_the_row_again_later() {
    let app = App::sqlite().await;
    raise_alert(&app).await;
    let (url, mut received) = stub_receiver(vec![500, 503, 200]).await;
    let config = WebhookConfig::new(&url, Some("k")).unwrap();
    assert_eq!(deliver_due(&app.store, &config).await.unwrap(), 0);
    let first = received.recv().await.unwrap();
    assert_eq!(
        outbox(&app).await,
        vec![(
            "pending".into(),
            1,
            Some("the webhook answered HTTP 500".into())
        )]
    );
    // Not due again yet: nothing is posted.
    assert_eq!(deliver_due(&app.store, &config).await.unwrap(), 0);
    assert!(received.try_recv().is_err());
    time_passes(&app).await;
    assert_eq!(deliver_due(&app.store, &config).await.unwrap(), 0);
    assert_eq!(
        outbox(&app).await[0],
        (
            "pending".into(),
            2,
            Some("the webhook answered HTTP 503".into())
        )
    );
    time_passes(&app).await;
    assert_eq!(deliver_due(&app.store, &config).await.unwrap(), 1);
    let last = received.recv().await.unwrap();
    assert_eq!(
        first.body, last.body,
        "a retry sends the same body (with the same id)"
    );
    assert_eq!(outbox(&app).await, vec![("sent".into(), 3, None)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_or_silent_address_leaves_the_row_pending_and_never_panics() {
    let app = App::sqlite().await;
    raise_alert(&app).await;
    // A port that was just free: nothing listens there.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let config = WebhookConfig::new(&format!("http://{dead}/hook"), None).unwrap();
    assert_eq!(deliver_due(&app.store, &config).await.unwrap(), 0);
    let rows = outbox(&app).await;
    assert_eq!((rows[0].0.as_str(), rows[0].1), ("pending", 1));
    let error = rows[0].2.clone().unwrap();
    assert!(error.starts_with("could not"), "{error}");
    assert!(
        !error.contains(&dead.port().to_string()),
        "no address in the error: {error}"
    );
    // A receiver that accepts and never answers: the timeout ends the attempt.
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_url = format!("http://{}/hook", silent.local_addr().unwrap());
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        for _ in 0..3 {
            if let Ok((socket, _)) = silent.accept().await {
                held.push(socket);
            }
        }
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(held);
    });
    time_passes(&app).await;
    let config =
        WebhookConfig::with_timeout(&silent_url, None, Duration::from_millis(500)).unwrap();
    let started = std::time::Instant::now();
    assert_eq!(deliver_due(&app.store, &config).await.unwrap(), 0);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        outbox(&app).await[0],
        (
            "pending".into(),
            2,
            Some("the webhook did not answer in time".into())
        )
    );
    hold.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_due_rows_nothing_is_posted() {
    let app = App::sqlite().await;
    let (url, mut received) = stub_receiver(vec![200]).await;
    let config = WebhookConfig::new(&url, None).unwrap();
    assert_eq!(deliver_due(&app.store, &config).await.unwrap(), 0);
    assert!(received.try_recv().is_err());
}
