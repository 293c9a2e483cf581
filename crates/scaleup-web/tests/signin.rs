//! Sign-in under attack over HTTP (hardening item 5, "Lockout and races"): each reproduction of
//! the issue, the device cookie and header, 429 and 503 with `Retry-After`, and the bound on
//! concurrent password hashing. Requests carry the caller's address as `scaleup serve` gives it
//! (`ConnectInfo`), so one test can play a guesser and the real user at different addresses.

mod common;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use scaleup_storage::Store;
use scaleup_storage::testing::{FIXTURE_PASSWORD, Fixture, TestDb, TestRules};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

/// A server on a fresh database whose store the test chose (its hashing bound).
struct Server {
    router: axum::Router,
    store: Store,
    _db: TestDb,
}

impl Server {
    async fn new() -> Server {
        Self::with_hashing(2, Duration::from_secs(30)).await
    }

    async fn with_hashing(slots: usize, wait: Duration) -> Server {
        let db = TestDb::sqlite();
        let store = db
            .open(Arc::new(TestRules))
            .await
            .with_password_hashing(slots, wait);
        Fixture::seed(&store).await;
        let router = scaleup_web::router(scaleup_web::AppState {
            store: store.clone(),
            secure_cookies: false,
            ui: Default::default(),
            analyses: Default::default(),
            imports: Default::default(),
            ops: Default::default(),
        });
        Server {
            router,
            store,
            _db: db,
        }
    }

    async fn send(&self, from: &str, req: Request<Body>) -> Reply {
        let mut req = req;
        let addr: std::net::IpAddr = from.parse().unwrap();
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::new(addr, 40000)));
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// `POST /api/v1/auth/login` from an address, with a device token header if given.
    async fn api_login(
        &self,
        from: &str,
        username: &str,
        password: &str,
        device: Option<&str>,
    ) -> Reply {
        let mut req = Request::builder()
            .method("POST")
            .uri("/api/v1/auth/login")
            .header("content-type", "application/json");
        if let Some(d) = device {
            req = req.header("x-scaleup-device", d);
        }
        let body = json!({"username": username, "password": password}).to_string();
        self.send(from, req.body(Body::from(body)).unwrap()).await
    }

    /// The browser's sign-in form, from an address, with the browser's cookies and language.
    async fn form_login(
        &self,
        from: &str,
        username: &str,
        password: &str,
        cookie: Option<&str>,
        language: &str,
    ) -> Reply {
        let mut req = Request::builder()
            .method("POST")
            .uri("/login")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("sec-fetch-site", "same-origin")
            .header("accept-language", language);
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        let body = format!(
            "username={username}&password={}",
            password.replace(' ', "+")
        );
        self.send(from, req.body(Body::from(body)).unwrap()).await
    }
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    fn retry_after(&self) -> Option<u64> {
        self.headers
            .get("retry-after")
            .map(|v| v.to_str().unwrap().parse().unwrap())
    }

    /// The `Set-Cookie` header of the named cookie.
    fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with(&format!("{name}=")))
    }
}

/// Reproduction 1: five wrong passwords for one account from one address locked the real user
/// out from every other address.
#[tokio::test]
async fn five_wrong_passwords_from_one_address_leave_the_account_open_elsewhere() {
    let server = Server::new().await;
    for _ in 0..5 {
        let r = server
            .api_login("192.0.2.1", "viewer", "wrong password!", None)
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = server
        .api_login("192.0.2.1", "viewer", FIXTURE_PASSWORD, None)
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.json()["error"]["code"], "rate_limited");
    let wait = r.retry_after().expect("Retry-After");
    assert!((29..=30).contains(&wait), "{wait}");
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("{wait} seconds"))
    );
    let r = server
        .api_login("198.51.100.2", "viewer", FIXTURE_PASSWORD, None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["device_token"].as_str().unwrap().len(), 43);
}

/// Reproduction 2: twenty failed sign-ins for unknown names from one address locked out
/// everyone behind it (a clinic's shared connection). In the browser, with the device cookie.
#[tokio::test]
async fn a_clinic_full_of_unknown_names_still_signs_its_counsellors_in() {
    let server = Server::new().await;
    let clinic = "203.0.113.9";
    let r = server
        .form_login(clinic, "counsellor", FIXTURE_PASSWORD, None, "en")
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let cookie = r.set_cookie("scaleup_device").expect("a device cookie");
    for attribute in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/login",
        "Max-Age=31536000",
    ] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let device = cookie.split(';').next().unwrap().to_string();
    for i in 0..20 {
        let r = server
            .form_login(clinic, &format!("nobody{i}"), "whatever123", None, "en")
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    // Everyone behind the address still signs in.
    let r = server
        .form_login(clinic, "supervisor", FIXTURE_PASSWORD, None, "en")
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // A longer spray slows unrecognised browsers there (the page says for how long, in the
    // reader's language) and leaves the recognised one alone. An hour of it is simulated by
    // the counter it leaves: 40 failures, the last just now (a wait of 2^10 s, capped at 300).
    sqlx::query(
        "UPDATE login_throttle SET failures = 40, last_failure_at = $1 WHERE rule = 'address'",
    )
    .bind(scaleup_storage::now_timestamp())
    .execute(server.store.pool())
    .await
    .unwrap();
    let r = server
        .form_login(clinic, "manager", FIXTURE_PASSWORD, None, "fr-FR,fr;q=0.9")
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    let wait = r.retry_after().expect("Retry-After");
    assert!((299..=300).contains(&wait), "{wait}");
    assert!(r.body.contains("Réessayez dans 5 minutes."), "{}", r.body);
    let r = server
        .form_login(clinic, "counsellor", FIXTURE_PASSWORD, Some(&device), "en")
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // The recognised browser keeps its token.
    assert_eq!(
        r.set_cookie("scaleup_device")
            .unwrap()
            .split(';')
            .next()
            .unwrap(),
        device
    );
}

/// Reproduction 3: thirty wrong passwords sent in parallel from one address were all checked
/// against a limit of 5.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_parallel_wrong_passwords_are_checked_five_times() {
    let server = Arc::new(Server::new().await);
    let r = server
        .api_login("198.51.100.3", "researcher", FIXTURE_PASSWORD, None)
        .await;
    let phone = r.json()["device_token"].as_str().unwrap().to_string();
    let before = server.store.hashing_stats().completed;
    let tasks: Vec<_> = (0..30)
        .map(|_| {
            let server = server.clone();
            tokio::spawn(async move {
                server
                    .api_login("192.0.2.3", "researcher", "wrong password!", None)
                    .await
            })
        })
        .collect();
    let (mut wrong, mut throttled) = (0, 0);
    for t in tasks {
        let r = t.await.unwrap();
        match r.status {
            StatusCode::UNAUTHORIZED => wrong += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                assert!(r.retry_after().is_some_and(|s| s > 0));
                throttled += 1;
            }
            other => panic!("{other}: {}", r.body),
        }
    }
    assert_eq!((wrong, throttled), (5, 25));
    assert_eq!(server.store.hashing_stats().completed - before, 5);
    // Then, per the policy: the guessing address waits even with the right password; another
    // address, and the user's own phone at the guessing address, sign in.
    let r = server
        .api_login("192.0.2.3", "researcher", FIXTURE_PASSWORD, None)
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    let r = server
        .api_login("198.51.100.4", "researcher", FIXTURE_PASSWORD, None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = server
        .api_login("192.0.2.3", "researcher", FIXTURE_PASSWORD, Some(&phone))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["device_token"], phone.as_str());
}

/// At NIST's 100 consecutive failures an account takes no unrecognised device: the answer is a
/// 429 without a time to wait (waiting does not help), and the user's own phone still signs in.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_device_token_gets_past_an_account_locked_for_new_devices() {
    let server = Arc::new(Server::new().await);
    let phone = server
        .api_login("198.51.100.5", "counsellor", FIXTURE_PASSWORD, None)
        .await
        .json()["device_token"]
        .as_str()
        .unwrap()
        .to_string();
    // Twenty addresses, five guesses each.
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let server = server.clone();
            tokio::spawn(async move {
                server
                    .api_login(
                        &format!("10.7.{}.1", i / 5),
                        "counsellor",
                        "wrong password!",
                        None,
                    )
                    .await
                    .status
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::UNAUTHORIZED);
    }
    let r = server
        .api_login("198.51.100.6", "counsellor", FIXTURE_PASSWORD, None)
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.json()["error"]["code"], "sign_in_locked");
    assert_eq!(r.retry_after(), None);
    let r = server
        .form_login("198.51.100.6", "counsellor", FIXTURE_PASSWORD, None, "sw")
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        r.body.contains("Ingia kwenye simu au kompyuta"),
        "{}",
        r.body
    );
    let r = server
        .api_login("198.51.100.6", "counsellor", FIXTURE_PASSWORD, Some(&phone))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

/// The flood of the issue: each sign-in started its own 19 MiB argon2 hash with no bound. Now
/// at most the slots run at once however many arrive.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sign_in_flood_never_runs_more_hashes_than_slots() {
    let server = Arc::new(Server::with_hashing(2, Duration::from_secs(60)).await);
    // Seeding the accounts hashed their passwords through the same bound.
    let before = server.store.hashing_stats().completed;
    // Sixty distinct names from sixty addresses: nothing is throttled, every one is hashed.
    let tasks: Vec<_> = (0..60)
        .map(|i| {
            let server = server.clone();
            tokio::spawn(async move {
                server
                    .api_login(
                        &format!("10.8.0.{}", i + 1),
                        &format!("guess{i}"),
                        "wrong password!",
                        None,
                    )
                    .await
                    .status
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::UNAUTHORIZED);
    }
    let stats = server.store.hashing_stats();
    assert_eq!(stats.completed - before, 60);
    assert!(stats.peak_running <= 2, "{stats:?}");
}

/// A sign-in that cannot get a hashing slot in time is answered 503 with `Retry-After`, on the
/// API and on the page, rather than queueing without bound.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sign_in_that_waits_too_long_for_a_hash_gets_503_with_retry_after() {
    let server = Arc::new(Server::with_hashing(1, Duration::from_millis(1)).await);
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let server = server.clone();
            tokio::spawn(async move {
                let from = format!("10.9.0.{}", i + 1);
                if i % 2 == 0 {
                    server
                        .api_login(&from, &format!("guess{i}"), "wrong password!", None)
                        .await
                } else {
                    server
                        .form_login(&from, &format!("guess{i}"), "wrong password!", None, "en")
                        .await
                }
            })
        })
        .collect();
    let (mut api_busy, mut page_busy) = (0, 0);
    for (i, t) in tasks.into_iter().enumerate() {
        let r = t.await.unwrap();
        match r.status {
            StatusCode::UNAUTHORIZED => {}
            StatusCode::SERVICE_UNAVAILABLE => {
                assert_eq!(r.retry_after(), Some(1));
                if i % 2 == 0 {
                    assert_eq!(r.json()["error"]["code"], "busy");
                    api_busy += 1;
                } else {
                    assert!(
                        r.body
                            .contains("The server is busy. Try again in 1 second."),
                        "{}",
                        r.body
                    );
                    page_busy += 1;
                }
            }
            other => panic!("{other}: {}", r.body),
        }
    }
    assert!(api_busy + page_busy > 0, "no request was turned away");
    assert!(server.store.hashing_stats().peak_running <= 1);
}
