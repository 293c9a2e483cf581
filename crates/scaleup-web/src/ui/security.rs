//! What a browser brings into play: cookies sent on cross-site requests, pages framed or
//! scripted by others. Two layers apply to every response and request of the server.
//!
//! - [`security_headers`]: a strict Content-Security-Policy (scripts only from this origin,
//!   never inline), `nosniff`, no framing, no referrer, HSTS behind TLS.
//! - [`refuse_cross_site`]: a state-changing request (anything but GET, HEAD, OPTIONS) that a
//!   browser sent from another site is refused before any handler runs. Browsers label every
//!   request with `Sec-Fetch-Site` (and `Origin` on POST); a request carrying the session
//!   cookie but neither label did not come from a modern browser page of ours and is refused
//!   too. Requests with a bearer token are not affected: a token is never sent by a browser on
//!   its own. Forms also carry a per-session token ([`csrf_token`]) and JSON endpoints accept
//!   only `application/json`, so each defence backs up the other.

use crate::auth::SESSION_COOKIE;
use crate::error::ApiError;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The policy for every page: our own scripts, styles and images only; inline SVG in the page
/// is markup, not a fetch, so `img-src` needs only `data:` for nothing at all — kept `'self'`.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; worker-src 'self'; manifest-src 'self'";

/// Adds the security headers to every response. `secure` (the server runs behind TLS) adds
/// HSTS.
pub async fn security_headers(secure: bool, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if secure {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}

/// Whether a request changes state (and so must come from our own pages).
fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The session cookie's value, if the request carries one.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    cookie(headers, SESSION_COOKIE)
}

/// A cookie's value by name.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    for value in headers.get_all(header::COOKIE) {
        let Ok(text) = value.to_str() else { continue };
        for pair in text.split(';') {
            if let Some((k, v)) = pair.trim().split_once('=')
                && k == name
                && !v.is_empty()
            {
                return Some(v.to_string());
            }
        }
    }
    None
}

/// Whether a request came from a page of this server, judged by the labels browsers attach.
/// `None` when the request carries no label at all (not a browser page).
pub fn same_origin(headers: &HeaderMap) -> Option<bool> {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        // "none": the user typed or bookmarked the address; never a forged form.
        return Some(matches!(site, "same-origin" | "none"));
    }
    let origin = headers.get(header::ORIGIN)?.to_str().ok()?;
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin
        .split_once("://")
        .map(|(_, rest)| rest.trim_end_matches('/'));
    Some(matches!((origin_host, host), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h)))
}

/// Refuses state-changing requests sent by a browser from another site (see the module docs).
pub async fn refuse_cross_site(req: Request, next: Next) -> Response {
    if is_state_changing(req.method()) && !has_bearer(req.headers()) {
        let verdict = same_origin(req.headers());
        let refuse = match verdict {
            Some(same) => !same,
            // No browser labels: allowed for programs (devices, curl) that do not hold a
            // browser's session cookie; a cookie without the labels is refused.
            None => session_cookie(req.headers()).is_some(),
        };
        if refuse {
            return axum::response::IntoResponse::into_response(ApiError::new(
                StatusCode::FORBIDDEN,
                "cross_site",
                "this request did not come from scaleup's own pages and was refused",
            ));
        }
    }
    next.run(req).await
}

pub(crate) fn has_bearer(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer "))
}

/// The form token of a session: a MAC of a fixed label under the session token. It needs no
/// storage, changes with every sign-in, and cannot be computed without the cookie, which
/// another site cannot read.
pub fn csrf_token(session_token: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(session_token.as_bytes())
        .expect("HMAC takes any key length");
    mac.update(b"scaleup/form-token/v1");
    let bytes = mac.finalize().into_bytes();
    bytes[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Constant-time check of a submitted form token.
pub fn csrf_matches(session_token: &str, submitted: &str) -> bool {
    let expected = csrf_token(session_token);
    expected.len() == submitted.len()
        && expected
            .bytes()
            .zip(submitted.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn browser_labels_decide_the_origin() {
        assert_eq!(
            same_origin(&headers(&[("sec-fetch-site", "same-origin")])),
            Some(true)
        );
        assert_eq!(
            same_origin(&headers(&[("sec-fetch-site", "cross-site")])),
            Some(false)
        );
        assert_eq!(
            same_origin(&headers(&[
                ("origin", "http://127.0.0.1:8080"),
                ("host", "127.0.0.1:8080")
            ])),
            Some(true)
        );
        assert_eq!(
            same_origin(&headers(&[
                ("origin", "https://evil.example"),
                ("host", "127.0.0.1:8080")
            ])),
            Some(false)
        );
        assert_eq!(same_origin(&headers(&[("host", "x")])), None);
    }

    #[test]
    fn form_tokens_belong_to_their_session() {
        let t = csrf_token("session-a");
        assert!(csrf_matches("session-a", &t));
        assert!(!csrf_matches("session-b", &t));
        assert!(!csrf_matches("session-a", ""));
    }
}
