//! The stylesheet, the app's script, its service worker and manifest: embedded in the binary,
//! served with a version derived from their content.
//!
//! The version is a hash of every asset, so a new build changes it: pages link
//! `/static/app.css?v=<version>` (cached for a year, immutable), and the service worker's
//! precache is named after it, so an update installs a complete new set beside the old one.

use super::PageError;
use crate::api::AppState;
use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::OnceLock;

pub const APP_CSS: &str = include_str!("../../assets/app.css");
const ICON: &str = include_str!("../../assets/icon.svg");
/// The app is one ES module: the scorer and the message formatter first (each also a module
/// of its own, which tests import under Node), then the app.
pub fn app_js() -> &'static str {
    static JS: OnceLock<String> = OnceLock::new();
    JS.get_or_init(|| {
        format!(
            "{}\n{}\n{}\n{}",
            include_str!("../../assets/js/score.js"),
            include_str!("../../assets/js/rules.js"),
            include_str!("../../assets/js/fluent.js"),
            include_str!("../../assets/js/app.js")
        )
    })
}
const SERVICE_WORKER: &str = include_str!("../../assets/js/sw.js");
const KILL_SWITCH_WORKER: &str = include_str!("../../assets/js/sw-kill.js");

/// A short hash of every asset and of the interface text the app shell carries: changes
/// whenever any of them does. `SCALEUP_ASSET_SALT`, when set, is mixed in: the browser tests
/// use it to stand a restarted server in for a new release, and an operator can use it to
/// push a fresh copy of the shell to every phone.
pub fn version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let mut h = Sha256::new();
        for part in [APP_CSS, app_js(), SERVICE_WORKER] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        for lang in super::i18n::LANGUAGES {
            h.update(super::i18n::source(lang.code).as_bytes());
        }
        if let Ok(salt) = std::env::var("SCALEUP_ASSET_SALT") {
            h.update(salt.as_bytes());
        }
        h.finalize()[..6]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    })
}

pub fn css_url() -> String {
    format!("/static/app.css?v={}", version())
}

pub fn js_url() -> String {
    format!("/static/app.js?v={}", version())
}

fn asset(body: &'static str, content_type: &'static str, cache: &'static str) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    res
}

/// `/static/{file}`: immutable when asked for the current version, revalidated otherwise.
pub async fn static_file(
    Path(file): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let cache = if q.get("v").map(String::as_str) == Some(version()) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    match file.as_str() {
        "app.css" => Ok(asset(APP_CSS, "text/css; charset=utf-8", cache)),
        "app.js" => Ok(asset(app_js(), "text/javascript; charset=utf-8", cache)),
        "icon.svg" => Ok(asset(ICON, "image/svg+xml", "public, max-age=86400")),
        _ => Err(PageError::Status(StatusCode::NOT_FOUND, "not found".into())),
    }
}

/// `/app/sw.js`: the service worker, with its version and the app's asset URLs filled in; or,
/// when the server runs with the kill switch, a worker that removes itself and its caches
/// (never IndexedDB, where unsent records live).
pub async fn service_worker(State(state): State<AppState>) -> Response {
    // Never cached by the HTTP cache: the browser must see a new worker as soon as there is one.
    if state.ui.service_worker_disabled {
        return asset(
            KILL_SWITCH_WORKER,
            "text/javascript; charset=utf-8",
            "no-cache",
        );
    }
    static FILLED: OnceLock<String> = OnceLock::new();
    let body = FILLED.get_or_init(|| {
        SERVICE_WORKER
            .replace("__VERSION__", version())
            .replace("__CSS__", &css_url())
            .replace("__JS__", &js_url())
    });
    let mut res = asset("", "text/javascript; charset=utf-8", "no-cache");
    *res.body_mut() = axum::body::Body::from(body.as_str());
    res
}

/// `/app/manifest.webmanifest`: lets a counsellor add the app to the home screen, where
/// browsers grant persistent storage without asking.
pub async fn manifest() -> Response {
    const MANIFEST: &str = r##"{"name":"scaleup","short_name":"scaleup","start_url":"/app/","scope":"/app/","display":"standalone","background_color":"#ffffff","theme_color":"#0b5394","icons":[{"src":"/static/icon.svg","sizes":"any","type":"image/svg+xml"}]}"##;
    asset(MANIFEST, "application/manifest+json", "no-cache")
}

/// `/favicon.ico`: browsers ask for it on every site; answer with the icon instead of a 404.
pub async fn favicon() -> Response {
    super::redirect("/static/icon.svg")
}
