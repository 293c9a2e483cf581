//! Shared set-up for the HTTP tests: an app on a fresh database (SQLite, or PostgreSQL when
//! `backend` says so), a seeded hub, and a helper that sends one request in-process.

#![allow(dead_code)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use scaleup_storage::testing::{Fixture, TestDb, TestScorer};
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

pub fn catalog() -> scaleup_web::CatalogDocs {
    scaleup_web::CatalogDocs::from_catalog(Arc::new(scaleup_domain::catalog::Catalog::builtin()))
}

impl App {
    pub async fn sqlite() -> App {
        Self::with(TestDb::sqlite()).await
    }

    /// An app whose store scores with the real instrument catalogue.
    pub async fn with_catalog_scorer() -> App {
        let db = TestDb::sqlite();
        let scorer = Arc::new(scaleup_storage::CatalogScorer::new(Arc::new(
            scaleup_domain::catalog::Catalog::builtin(),
        )));
        Self::build(db, scorer).await
    }

    pub async fn with(db: TestDb) -> App {
        Self::build(db, Arc::new(TestScorer)).await
    }

    async fn build(db: TestDb, scorer: Arc<dyn scaleup_storage::Scorer>) -> App {
        let store = db.open(scorer).await;
        let fixture = Fixture::seed(&store).await;
        let state = AppState {
            store: store.clone(),
            secure_cookies: false,
            catalog: Arc::new(catalog()),
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

pub fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn rec(kind: &str, id: &str, base: Option<i64>, data: Value) -> Value {
    json!({"kind": kind, "id": id, "base_version": base, "device_time": "2026-03-01T09:00:00Z", "data": data})
}
