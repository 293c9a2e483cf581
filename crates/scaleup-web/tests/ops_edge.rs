//! Issue 11, running a country's instance: `GET /metrics` (who may read it, what it counts,
//! and that it names no one), and the client address behind a trusted proxy (believed only
//! from that proxy, for sign-in throttling and the audit log).

mod common;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use common::App;
use http_body_util::BodyExt;
use scaleup_web::ops::Cidr;
use serde_json::{Value, json};
use std::net::SocketAddr;
use tower::ServiceExt;

/// Sends one request as if it came over TCP from `peer`, with extra headers.
async fn from_peer(
    app: &App,
    peer: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (StatusCode, String) {
    let mut req = Request::builder().method(method).uri(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut req = match body {
        Some(b) => req
            .header("content-type", "application/json")
            .body(Body::from(b.to_string()))
            .unwrap(),
        None => req.body(Body::empty()).unwrap(),
    };
    let addr: SocketAddr = format!("{peer}:40000").parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    let res = app.router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

fn cidrs(list: &[&str]) -> Vec<Cidr> {
    list.iter().map(|c| c.parse().unwrap()).collect()
}

#[tokio::test]
async fn metrics_are_for_admins_and_allowed_addresses_and_name_no_one() {
    let app = App::sqlite_with(|s| s.ops.metrics_allow = cidrs(&["10.0.0.0/8"])).await;
    let f = &app.fixture;
    let admin = app.token(&f.admin.username).await;
    let counsellor = app.token(&f.counsellor.username).await;

    // Some traffic: a client with a risk item (one alert), a malformed record, a client
    // looked up by id.
    let client = uuid::Uuid::new_v4().to_string();
    let push = json!({"device_id": "phone-1", "records": [
        {"kind": "client", "id": client, "base_version": null, "device_time": "2026-03-01T09:00:00+03:00",
         "data": {"programme_id": f.programme_id, "facility_id": f.facility_id, "registered_on": "2026-03-01", "sex": "female", "birth_year": 1990}},
        {"kind": "assessment", "id": uuid::Uuid::new_v4().to_string(), "base_version": null, "device_time": "2026-03-01T09:00:00+03:00",
         "data": {"client_id": client, "instrument": "phq9", "occasion": "baseline", "administered_on": "2026-03-01",
                  "responses": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0, "6": 0, "7": 0, "8": 0, "9": 1}}},
        {"not": "a record"}
    ]});
    let bearer = format!("Bearer {counsellor}");
    let (status, body) = from_peer(
        &app,
        "192.0.2.1",
        "POST",
        "/api/v1/sync",
        &[("authorization", &bearer)],
        Some(push),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = from_peer(
        &app,
        "192.0.2.1",
        "GET",
        &format!("/api/v1/clients/{client}"),
        &[("authorization", &bearer)],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // Nobody, a counsellor, a spoofed allowed address: refused.
    let (status, _) = from_peer(&app, "192.0.2.1", "GET", "/metrics", &[], None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = from_peer(
        &app,
        "192.0.2.1",
        "GET",
        "/metrics",
        &[("authorization", &bearer)],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = from_peer(
        &app,
        "192.0.2.1",
        "GET",
        "/metrics",
        &[("x-forwarded-for", "10.1.2.3")],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no proxy is trusted");

    // The monitoring server's address, and an admin, may.
    let (status, text) = from_peer(&app, "10.1.2.3", "GET", "/metrics", &[], None).await;
    assert_eq!(status, StatusCode::OK);
    let admin_bearer = format!("Bearer {admin}");
    let (status, by_admin) = from_peer(
        &app,
        "192.0.2.1",
        "GET",
        "/metrics",
        &[("authorization", &admin_bearer)],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(by_admin.contains("scaleup_http_requests_total"));

    for expected in [
        "# TYPE scaleup_http_requests_total counter",
        "scaleup_http_requests_total{route=\"/api/v1/clients/{id}\",method=\"GET\",status=\"200\"} 1",
        "scaleup_http_requests_total{route=\"/api/v1/sync\",method=\"POST\",status=\"200\"} 1",
        "scaleup_http_requests_total{route=\"/metrics\",method=\"GET\",status=\"401\"} 2",
        "scaleup_http_request_duration_seconds_bucket{route=\"/api/v1/sync\",le=\"+Inf\"} 1",
        "scaleup_http_request_duration_seconds_count{route=\"/api/v1/clients/{id}\"} 1",
        "scaleup_sync_records_total{outcome=\"created\"} 2",
        "scaleup_sync_records_total{outcome=\"rejected\"} 1",
        "scaleup_alerts_open{hub=\"ke-pmplus\"} 1",
        "scaleup_alerts_overdue{hub=\"ke-pmplus\"} 0",
        "scaleup_db_pool_connections{state=\"idle\"}",
        "scaleup_db_pool_max_connections",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    // Route templates, never URLs: no id, no username, no clinical value.
    assert!(!text.contains(&client));
    assert!(!text.contains(&f.counsellor.username));
    // Every sample line parses as `name{labels} value`.
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let value = line.rsplit(' ').next().unwrap();
        assert!(value.parse::<f64>().is_ok(), "{line}");
    }
}

/// Wrong passwords for `username` sent by `peer` with these X-Forwarded-For values; returns
/// the statuses.
async fn wrong_passwords(app: &App, peer: &str, username: &str, forwarded: &[String]) -> Vec<u16> {
    let mut out = Vec::new();
    for xff in forwarded {
        let (status, _) = from_peer(
            app,
            peer,
            "POST",
            "/api/v1/auth/login",
            &[("x-forwarded-for", xff)],
            Some(json!({"username": username, "password": "not the password"})),
        )
        .await;
        out.push(status.as_u16());
    }
    out
}

#[tokio::test]
async fn forwarded_addresses_are_believed_only_from_the_trusted_proxy() {
    let app = App::sqlite_with(|s| s.ops.trusted_proxies = cidrs(&["10.0.0.0/8"])).await;
    let f = &app.fixture;
    let spoofed: Vec<String> = (1..=6).map(|i| format!("203.0.113.{i}")).collect();

    // An attacker on the internet rotating X-Forwarded-For: still one address, throttled after
    // five failures.
    let statuses = wrong_passwords(&app, "198.51.100.7", &f.supervisor.username, &spoofed).await;
    assert_eq!(statuses, vec![401, 401, 401, 401, 401, 429], "{statuses:?}");

    // Six different clients behind the load balancer: each is its own address, so none is
    // slowed by the others' mistakes.
    let statuses = wrong_passwords(&app, "10.0.0.1", &f.researcher.username, &spoofed).await;
    assert_eq!(statuses, vec![401; 6], "{statuses:?}");
    // One client behind it failing six times is throttled like anyone else, even if it writes
    // other addresses into its own header (the proxy appends the real one on the right).
    let same: Vec<String> = (1..=6)
        .map(|i| format!("172.16.0.{i}, 203.0.113.77"))
        .collect();
    let statuses = wrong_passwords(&app, "10.0.0.1", &f.viewer.username, &same).await;
    assert_eq!(statuses, vec![401, 401, 401, 401, 401, 429], "{statuses:?}");

    // The audit log records the address the server resolved.
    for (peer, xff, expected) in [
        ("10.0.0.1", "203.0.113.50", "203.0.113.50"),
        ("198.51.100.9", "203.0.113.51", "198.51.100.9"),
    ] {
        let (status, body) = from_peer(
            &app,
            peer,
            "POST",
            "/api/v1/auth/login",
            &[("x-forwarded-for", xff)],
            Some(json!({"username": f.manager.username, "password": scaleup_storage::testing::FIXTURE_PASSWORD})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let events = app.store.audit_events(None, 5).await.unwrap();
        let login = events
            .iter()
            .find(|e| e["action"] == "auth.login")
            .expect("a sign-in event");
        let detail: Value = match &login["detail"] {
            Value::String(s) => serde_json::from_str(s).unwrap(),
            v => v.clone(),
        };
        assert_eq!(detail["address"], expected, "{login}");
    }
}
