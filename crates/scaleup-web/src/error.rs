//! One error type for every handler, mapped to a status and a JSON body.
//!
//! Policy: 4xx bodies say what to fix and name the field; 5xx bodies say only that something
//! went wrong. The cause of a 5xx goes to the log, which never receives request bodies.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use scaleup_storage::StoreError;
use serde_json::json;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    /// Seconds after which the request may be repeated, sent as `Retry-After` (429, 503).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "invalid",
            message: message.into(),
            field: Some(field.into()),
            retry_after: None,
        }
    }
    /// Asks the caller to wait `seconds` before trying again.
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }
    pub fn unauthenticated() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "sign in first: send a bearer token or a session cookie",
        )
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    pub fn not_found() -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such resource")
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid { field, message } => ApiError::invalid(field, message),
            StoreError::NotFound => ApiError::not_found(),
            StoreError::Forbidden(m) => ApiError::forbidden(m),
            StoreError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            StoreError::Definition(e) => ApiError {
                field: Some("text".into()),
                ..ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_definition",
                    e.to_string(),
                )
            },
            StoreError::RateLimited {
                retry_after_seconds,
            } => ApiError {
                retry_after: Some(retry_after_seconds),
                ..ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    format!(
                        "too many failed sign-in attempts; try again in {retry_after_seconds} seconds"
                    ),
                )
            },
            // No Retry-After: waiting does not help, only a recognised device or a reset does.
            StoreError::SignInLocked => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "sign_in_locked",
                "too many failed sign-in attempts on this account: sign in from a device that signed in to it before (send its X-Scaleup-Device token), or ask an administrator to reset the password",
            ),
            StoreError::Busy {
                retry_after_seconds,
            } => ApiError {
                retry_after: Some(retry_after_seconds),
                ..ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy",
                    format!(
                        "the server is busy checking other sign-ins; try again in {retry_after_seconds} seconds"
                    ),
                )
            },
            other => {
                tracing::error!(error = %other, "internal error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "something went wrong on the server",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body =
            json!({"error": {"code": self.code, "message": self.message, "field": self.field}});
        let mut res = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            res.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        res
    }
}
