//! Posted HTML forms: `application/x-www-form-urlencoded` bodies, read into ordered pairs so
//! that repeated names (checkboxes) keep every value, and checked against the session's form
//! token.

use super::i18n::Tr;
use super::{PageError, Session, security};
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;

/// A posted form's fields in order.
pub struct FormData(pub Vec<(String, String)>);

/// Forms are small: a supervision note is at most a few thousand characters.
const MAX_FORM_BYTES: usize = 64 * 1024;

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = PageError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let is_form = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(PageError::Status(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "send the form as application/x-www-form-urlencoded".into(),
            ));
        }
        // The limit applies while reading (after decompression): the sign-in form is read
        // before anyone is known, and must not be able to make the server hold more.
        let bytes = axum::body::to_bytes(req.into_body(), MAX_FORM_BYTES)
            .await
            .map_err(|e| {
                let too_large = std::error::Error::source(&e)
                    .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
                if too_large {
                    PageError::Status(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "the form is too large".into(),
                    )
                } else {
                    PageError::Status(StatusCode::BAD_REQUEST, "unreadable form".into())
                }
            })?;
        Ok(FormData(
            form_urlencoded::parse(&bytes)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        ))
    }
}

impl FormData {
    /// The first value of a field, trimmed; `None` when absent or empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Every non-empty value of a field (checkboxes).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string())
            .collect()
    }

    /// Refuses the form unless it carries the session's form token.
    pub fn check_token(&self, session: &Session, tr: &Tr) -> Result<(), PageError> {
        match self.get("_csrf") {
            Some(t) if security::csrf_matches(&session.token, t) => Ok(()),
            _ => Err(PageError::Status(
                StatusCode::FORBIDDEN,
                tr.t("error-form-expired"),
            )),
        }
    }
}
