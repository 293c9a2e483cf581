//! Shared set-up for the HTTP tests: an app on a fresh database (SQLite, or PostgreSQL when
//! `backend` says so), a seeded hub, and a helper that sends one request in-process.

#![allow(dead_code)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use scaleup_storage::testing::{Fixture, TestDb, TestRules};
use scaleup_storage::{LoginOutcome, SessionKind, Store};
use scaleup_web::{AppState, router};
use serde_json::{Value, json};
use std::sync::Arc;
use tower::ServiceExt;

pub struct App {
    pub router: axum::Router,
    pub store: Store,
    pub fixture: Fixture,
    _db: TestDb,
}

impl App {
    pub async fn sqlite() -> App {
        Self::with(TestDb::sqlite()).await
    }

    /// An app whose store scores with the real instrument catalogue (protocols are always real).
    pub async fn with_catalog_rules() -> App {
        let db = TestDb::sqlite();
        let rules = Arc::new(scaleup_storage::CatalogRules::new(Arc::new(
            scaleup_domain::catalog::Catalog::builtin(),
        )));
        Self::build(db, rules).await
    }

    /// An app whose store runs on stored definitions, as a server does: uploads change its
    /// catalogue (and its scoring) without a restart.
    pub async fn live() -> App {
        let app = Self::with_catalog_rules().await;
        app.store.load_definitions().await.unwrap();
        app
    }

    pub async fn with(db: TestDb) -> App {
        Self::build(db, Arc::new(TestRules)).await
    }

    /// An app whose state the caller adjusts (TLS, the service-worker kill switch).
    pub async fn sqlite_with(adjust: impl FnOnce(&mut AppState)) -> App {
        let db = TestDb::sqlite();
        let store = db.open(Arc::new(TestRules)).await;
        let fixture = Fixture::seed(&store).await;
        let mut state = AppState {
            store: store.clone(),
            secure_cookies: false,
            ui: Default::default(),
            analyses: Default::default(),
            imports: Default::default(),
            ops: Default::default(),
        };
        adjust(&mut state);
        App {
            router: router(state),
            store,
            fixture,
            _db: db,
        }
    }

    async fn build(db: TestDb, rules: Arc<dyn scaleup_storage::Rules>) -> App {
        let store = db.open(rules).await;
        let fixture = Fixture::seed(&store).await;
        let state = AppState {
            store: store.clone(),
            secure_cookies: false,
            ui: Default::default(),
            analyses: Default::default(),
            imports: Default::default(),
            ops: Default::default(),
        };
        App {
            router: router(state),
            store,
            fixture,
            _db: db,
        }
    }

    pub async fn token(&self, username: &str) -> String {
        match self
            .store
            .login(
                username,
                scaleup_storage::testing::FIXTURE_PASSWORD,
                "127.0.0.1",
                SessionKind::Bearer,
            )
            .await
            .unwrap()
        {
            LoginOutcome::Success { token, .. } => token,
            LoginOutcome::Invalid => panic!("fixture login failed"),
        }
    }

    /// Sends one request; returns status and JSON body (Null when empty).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = match body {
            // A string is a document (CSV, TOML) sent as is.
            Some(Value::String(text)) => req
                .header("content-type", "text/plain")
                .body(Body::from(text))
                .unwrap(),
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b.to_string()))
                .unwrap(),
            None => req.body(Body::empty()).unwrap(),
        };
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        (status, value)
    }

    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &str,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", "application/json");
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let res = self
            .router
            .clone()
            .oneshot(req.body(Body::from(body.to_string())).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }
}

/// A response as a browser sees it: status, headers, body text.
pub struct Page {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

impl App {
    /// Sends a request with the given headers and body text, as a browser would.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Page {
        self.send_bytes(method, path, headers, body.as_bytes().to_vec())
            .await
    }

    /// As `send`, with a body that need not be text (an uploaded workbook).
    pub async fn send_bytes(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Page {
        let mut req = Request::builder().method(method).uri(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = self
            .router
            .clone()
            .oneshot(req.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Page {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// A browser session (cookie) for a fixture account: the cookie header value.
    pub async fn browser_session(&self, username: &str) -> String {
        match self
            .store
            .login(
                username,
                scaleup_storage::testing::FIXTURE_PASSWORD,
                "127.0.0.1",
                SessionKind::Cookie,
            )
            .await
            .unwrap()
        {
            LoginOutcome::Success { token, .. } => format!("scaleup_session={token}"),
            LoginOutcome::Invalid => panic!("fixture login failed"),
        }
    }
}

/// The form token of a browser session (what the pages embed in their forms).
pub fn form_token(cookie: &str) -> String {
    scaleup_web::ui::security::csrf_token(cookie.trim_start_matches("scaleup_session="))
}

pub fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn rec(kind: &str, id: &str, base: Option<i64>, data: Value) -> Value {
    json!({"kind": kind, "id": id, "base_version": base, "device_time": "2026-03-01T09:00:00Z", "data": data})
}

/// Small valid documents for each analysis route.
pub mod inputs {
    /// y = group effect + noise, 6 groups of 5.
    pub fn lmm_csv() -> String {
        let mut s = String::from("y,x,g\n");
        for g in 0..6 {
            for i in 0..5 {
                let x = i as f64;
                let y = 2.0
                    + 0.5 * x
                    + [0.3, -0.4, 0.8, -0.2, 0.1, -0.6][g]
                    + [0.05, -0.11, 0.07, 0.02, -0.04][(i + g) % 5];
                s.push_str(&format!("{y},{x},g{g}\n"));
            }
        }
        s
    }

    /// A 0/1 response, 8 clusters of 10.
    pub fn glmm_csv() -> String {
        let mut s = String::from("remit,arm,site\n");
        for c in 0..8 {
            for i in 0..10 {
                let arm = c % 2;
                let remit = usize::from((i * 7 + c * 3) % 10 < 4 + 2 * arm);
                s.push_str(&format!("{remit},{arm},s{c}\n"));
            }
        }
        s
    }

    pub const META_CSV: &str =
        "label,yi,sei\nA,0.10,0.20\nB,0.35,0.10\nC,-0.05,0.15\nD,0.22,0.12\n";
    pub const EVPI_CSV: &str = "draw,strategy,cost,effect\n1,A,0,0\n1,B,100,0.02\n2,A,0,0\n2,B,120,0.05\n3,A,0,0\n3,B,90,-0.01\n";
    /// The HIV model of Briggs, Claxton & Sculpher (DMHEE) with parameter distributions.
    pub const PSA_TOML: &str =
        include_str!("../../../scaleup-econ/tests/reference/dmhee_hiv_psa.toml");
    pub const ICERS_CSV: &str =
        "strategy,cost,effect\nusual care,0,0\nPM+,120,0.05\nPM+ and booster,400,0.06\n";
    pub const POWER_TOML: &str = "kind = \"individual\"\n[outcome]\ntype = \"continuous\"\nmean_difference = 0.5\nsd = 1.0\n[individual]\nn_per_arm = 64\n";
    pub const SAMPLE_SIZE_TOML: &str = "kind = \"individual\"\n[outcome]\ntype = \"continuous\"\nmean_difference = 0.5\nsd = 1.0\n[individual]\nloss_to_follow_up = 0.1\n";
    pub const MARKOV_TOML: &str =
        include_str!("../../../scaleup-econ/models/friendship_bench_markov.toml");
    pub const PLAN_TOML: &str =
        include_str!("../../../scaleup-econ/models/friendship_bench_planner.toml");
    pub const BIA_TOML: &str =
        include_str!("../../../scaleup-econ/models/friendship_bench_bia.toml");
    pub const ROI_TOML: &str =
        include_str!("../../../scaleup-econ/models/friendship_bench_roi.toml");
    /// Price lists for both fixture hubs in the year the tests record activity.
    pub const PRICES_TOML: &str = "target_currency = \"USD\"\ntarget_year = 2026\n\n[[price_list]]\nhub = \"ke-pmplus\"\nyear = 2026\ncurrency = \"USD\"\ncounsellor_hourly = 2.0\nsupervisor_hourly = 10.0\n\n[[price_list]]\nhub = \"zw-fb\"\nyear = 2026\ncurrency = \"USD\"\ncounsellor_hourly = 1.5\nsupervisor_hourly = 6.0\n";
    /// One activity record given in the file itself (the rest comes from the store).
    pub const FILED_ACTIVITY: &str = "\n[[activity]]\nhub = \"zw-fb\"\nyear = 2026\nclients = 10\nsessions = 50\nsession_minutes = 2500\n";
}
