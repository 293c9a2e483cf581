//! Sign-in, sign-out, the language picker, and the home of roles without a care page.

use super::forms::FormData;
use super::i18n;
use super::{Chrome, LANGUAGE_COOKIE, PageError, Visitor, home_of, redirect, render, with_cookie};
use crate::api::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use scaleup_domain::role::Role;
use scaleup_storage::{LoginOutcome, SessionKind, StoreError};
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    username: String,
    error: Option<String>,
    languages: Vec<(&'static str, &'static str, bool)>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    c: Chrome,
    role: String,
}

fn login_page(visitor: &Visitor, username: String, error: Option<String>) -> LoginPage {
    LoginPage {
        c: visitor.chrome(visitor.tr.t("signin-title"), "/"),
        username,
        error,
        languages: i18n::picker(),
    }
}

/// `/`: the sign-in form, or the signed-in user's start page.
pub async fn home(
    visitor: Visitor,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let Some(session) = &visitor.session else {
        return render(&login_page(&visitor, String::new(), None));
    };
    let role = session.actor.role;
    if matches!(role, Role::Admin | Role::Researcher | Role::Viewer) || q.contains_key("home") {
        let page = HomePage {
            c: visitor.chrome(visitor.tr.t("home-title"), "/"),
            role: visitor.tr.t(&format!("role-{}", role.as_str())),
        };
        return render(&page);
    }
    Ok(redirect(&home_of(role, visitor.tr.lang())))
}

/// `POST /login`: checks the password and opens a browser session whose cookie lives exactly
/// as long as the session does on the server. The browser's device cookie, renewed at each
/// success, makes it a recognised device; a throttled attempt shows how long to wait (and says
/// it in `Retry-After`).
pub async fn login(
    State(state): State<AppState>,
    visitor: Visitor,
    crate::api::Remote(remote): crate::api::Remote,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, PageError> {
    let username = form.get("username").unwrap_or_default().to_string();
    let password = form
        .0
        .iter()
        .find(|(k, _)| k == "password")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let tr = visitor.tr;
    let fail = |message: String,
                status: StatusCode,
                retry_after: Option<u64>|
     -> Result<Response, PageError> {
        let page = login_page(&visitor, username.clone(), Some(message));
        let mut res = (status, render(&page)?).into_response();
        if let Some(seconds) = retry_after {
            res.headers_mut().insert(RETRY_AFTER, seconds.into());
        }
        Ok(res)
    };
    if username.is_empty() || password.is_empty() || username.len() > 128 || password.len() > 512 {
        return fail(tr.t("signin-missing"), StatusCode::BAD_REQUEST, None);
    }
    let device = crate::auth::device_token(&headers);
    let outcome = match state
        .store
        .login_with_device(
            &username,
            &password,
            &remote,
            device.as_deref(),
            SessionKind::Cookie,
        )
        .await
    {
        Ok(o) => o,
        Err(StoreError::RateLimited {
            retry_after_seconds,
        }) => {
            return fail(
                wait_message(&tr, retry_after_seconds),
                StatusCode::TOO_MANY_REQUESTS,
                Some(retry_after_seconds),
            );
        }
        Err(StoreError::SignInLocked) => {
            return fail(tr.t("signin-locked"), StatusCode::TOO_MANY_REQUESTS, None);
        }
        Err(StoreError::Busy {
            retry_after_seconds,
        }) => {
            return fail(
                tr.n("signin-busy", "n", retry_after_seconds as i64),
                StatusCode::SERVICE_UNAVAILABLE,
                Some(retry_after_seconds),
            );
        }
        Err(e) => return Err(e.into()),
    };
    match outcome {
        LoginOutcome::Invalid => fail(tr.t("signin-invalid"), StatusCode::UNAUTHORIZED, None),
        LoginOutcome::Success {
            token,
            user,
            expires_at,
            device_token,
        } => {
            let cookie = session_cookie(&token, &expires_at, state.secure_cookies);
            let lang = i18n::negotiate(super::user_language(&user), Some(tr.lang()), None);
            // A marker the offline app can read (the session cookie it cannot): which user this
            // browser signed in last, so the app opens that user's caseload without asking the
            // server first, and never another's. It holds an id, nothing secret.
            let marker = format!(
                "scaleup_uid={}; Path=/; SameSite=Strict; Max-Age={}{}",
                user.id,
                seconds_until(&expires_at).max(0),
                if state.secure_cookies { "; Secure" } else { "" }
            );
            let res = with_cookie(redirect(&home_of(user.role, lang)), &cookie);
            let res = with_cookie(
                res,
                &crate::auth::device_cookie(&device_token, state.secure_cookies),
            );
            Ok(with_cookie(res, &marker))
        }
    }
}

/// "Try again in ..." in the reader's language: seconds under two minutes, whole minutes
/// (rounded up, so the wait is never understated) beyond.
fn wait_message(tr: &i18n::Tr, seconds: u64) -> String {
    if seconds < 120 {
        tr.n("signin-wait-seconds", "n", seconds as i64)
    } else {
        tr.n("signin-wait-minutes", "n", seconds.div_ceil(60) as i64)
    }
}

/// The session cookie: HttpOnly, SameSite=Strict, and a Max-Age equal to the time left until
/// the session expires on the server, so the browser never keeps a dead cookie nor drops a
/// live session early.
pub fn session_cookie(token: &str, expires_at: &str, secure: bool) -> String {
    let max_age = seconds_until(expires_at).max(0);
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}",
        crate::auth::SESSION_COOKIE
    )
}

fn seconds_until(timestamp: &str) -> i64 {
    let format = &time::format_description::well_known::Rfc3339;
    match time::OffsetDateTime::parse(timestamp, format) {
        Ok(t) => (t - time::OffsetDateTime::now_utc()).whole_seconds(),
        Err(_) => 0,
    }
}

/// `POST /logout`: ends the session. The counsellor's app sends what it can first and warns
/// about anything unsent before it submits this form; the server never clears the device's
/// storage, which may hold records not yet sent.
pub async fn logout(
    State(state): State<AppState>,
    visitor: Visitor,
    form: FormData,
) -> Result<Response, PageError> {
    if let Some(session) = &visitor.session {
        form.check_token(session, &visitor.tr)?;
        state.store.logout(&session.token).await?;
    }
    let clear = format!(
        "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0",
        crate::auth::SESSION_COOKIE
    );
    let res = with_cookie(redirect("/"), &clear);
    Ok(with_cookie(
        res,
        "scaleup_uid=; Path=/; SameSite=Strict; Max-Age=0",
    ))
}

#[derive(Template)]
#[template(path = "language.html")]
struct LanguagePage {
    c: Chrome,
    languages: Vec<(&'static str, &'static str, bool)>,
    next: String,
}

/// `GET /language`: the language picker (works without JavaScript).
pub async fn language_page(
    visitor: Visitor,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let page = LanguagePage {
        c: visitor.chrome(visitor.tr.t("language-title"), "/language"),
        languages: i18n::picker(),
        next: safe_next(q.get("next").map(String::as_str)),
    };
    render(&page)
}

/// `POST /language`: remembers the choice in a cookie and, for a signed-in user, in their
/// account, so it follows them to another phone.
pub async fn set_language(
    State(state): State<AppState>,
    visitor: Visitor,
    form: FormData,
) -> Result<Response, PageError> {
    let Some(code) = form.get("lang").and_then(i18n::supported) else {
        return Err(PageError::Status(
            StatusCode::BAD_REQUEST,
            visitor.tr.t("language-unknown"),
        ));
    };
    if let Some(session) = &visitor.session {
        form.check_token(session, &visitor.tr)?;
        super::set_user_language(&state, session, code).await?;
    }
    let mut next = safe_next(form.get("next"));
    // The counsellor's app lives under its language; switching language moves there.
    if next.starts_with("/app/") {
        next = format!("/app/{code}/");
    }
    let cookie = format!("{LANGUAGE_COOKIE}={code}; Path=/; SameSite=Lax; Max-Age=31536000");
    Ok(with_cookie(redirect(&next), &cookie))
}

/// A local path to return to; anything else (another site, a scheme) becomes `/`.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.into(),
        _ => "/".into(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_is_always_a_local_path() {
        assert_eq!(super::safe_next(Some("/supervise")), "/supervise");
        assert_eq!(super::safe_next(Some("//evil.example/")), "/");
        assert_eq!(super::safe_next(Some("https://evil.example/")), "/");
        assert_eq!(super::safe_next(None), "/");
    }
}
