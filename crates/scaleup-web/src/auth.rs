//! Who is calling: a bearer token (devices, integrations) or the session cookie (browsers).

use crate::api::AppState;
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use scaleup_domain::role::Capability;
use scaleup_storage::{Actor, UserRecord};

pub const SESSION_COOKIE: &str = "scaleup_session";

/// The browser's device token (HttpOnly, SameSite=Strict, a year, sent only to `/login`): set at
/// a successful sign-in, it makes the browser a recognised device, which failures made elsewhere
/// never slow down (`scaleup_storage`'s `throttle`).
pub const DEVICE_COOKIE: &str = "scaleup_device";

/// The header in which an app sends the device token that `/api/v1/auth/login` gave it.
pub const DEVICE_HEADER: &str = "x-scaleup-device";

/// The device token a request presents: the header of an app, else the browser's cookie.
pub fn device_token(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get(DEVICE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .or_else(|| crate::ui::security::cookie(headers, DEVICE_COOKIE))
}

/// The `Set-Cookie` value that keeps a device token in a browser for a year. Its path is the
/// sign-in form's, so it travels with no other request.
pub fn device_cookie(token: &str, secure: bool) -> String {
    format!(
        "{DEVICE_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict; Max-Age={}{}",
        scaleup_storage::DEVICE_KEPT_SECONDS,
        if secure { "; Secure" } else { "" }
    )
}

/// The authenticated caller. Extracting it from a request without valid credentials is a 401.
pub struct Caller {
    pub actor: Actor,
    pub user: UserRecord,
    pub token: String,
}

impl Caller {
    /// 403 unless the caller's role has the capability, with a message that says which roles
    /// may (so the caller knows whom to ask).
    pub fn require(&self, capability: Capability) -> Result<(), ApiError> {
        if self.actor.role.can(capability) {
            Ok(())
        } else {
            Err(ApiError::forbidden(self.actor.role.refusal(capability)))
        }
    }
}

pub fn token_from_parts(parts: &Parts) -> Option<String> {
    if let Some(h) = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        && let Some(t) = h
            .strip_prefix("Bearer ")
            .or_else(|| h.strip_prefix("bearer "))
    {
        return Some(t.trim().to_string());
    }
    for cookie in parts.headers.get_all(axum::http::header::COOKIE) {
        let Ok(text) = cookie.to_str() else { continue };
        for pair in text.split(';') {
            if let Some((k, v)) = pair.trim().split_once('=')
                && k == SESSION_COOKIE
                && !v.is_empty()
            {
                return Some(v.to_string());
            }
        }
    }
    None
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = token_from_parts(parts).ok_or_else(ApiError::unauthenticated)?;
        if token.len() > 256 {
            return Err(ApiError::unauthenticated());
        }
        let (actor, user) = state
            .store
            .session_actor(&token)
            .await?
            .ok_or_else(ApiError::unauthenticated)?;
        Ok(Caller { actor, user, token })
    }
}
