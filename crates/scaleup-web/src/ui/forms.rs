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
        let bytes = read_limited(req, MAX_FORM_BYTES, || "the form is too large".into()).await?;
        Ok(FormData(
            form_urlencoded::parse(&bytes)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        ))
    }
}

/// Reads a body of at most `limit` bytes: 413 with `too_large` beyond it, 400 when unreadable.
async fn read_limited(
    req: Request,
    limit: usize,
    too_large: impl FnOnce() -> String,
) -> Result<axum::body::Bytes, PageError> {
    axum::body::to_bytes(req.into_body(), limit)
        .await
        .map_err(|e| {
            let over = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            if over {
                PageError::Status(StatusCode::PAYLOAD_TOO_LARGE, too_large())
            } else {
                PageError::Status(StatusCode::BAD_REQUEST, "unreadable form".into())
            }
        })
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

/// One part of a posted `multipart/form-data` body (a form with a file input).
pub struct Part {
    pub name: String,
    /// The file's name, for a file input.
    pub filename: Option<String>,
    pub data: Vec<u8>,
}

/// A posted `multipart/form-data` form: its parts in order. The one form that uploads a file
/// (a definition file) sends it; everything else posts url-encoded forms.
pub struct MultipartData(pub Vec<Part>);

/// A definition file is at most 512 KB; the form around it adds little.
const MAX_MULTIPART_BYTES: usize = 600 * 1024;

impl<S: Send + Sync> FromRequest<S> for MultipartData {
    type Rejection = PageError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let boundary = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(boundary_of)
            .ok_or_else(|| {
                PageError::Status(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "send the form as multipart/form-data".into(),
                )
            })?;
        // Counted while read, like a url-encoded form: a larger body is never held.
        let bytes = read_limited(req, MAX_MULTIPART_BYTES, || {
            "the file is too large: definition files are at most 512 KB".into()
        })
        .await?;
        parse_multipart(&bytes, &boundary)
            .map(MultipartData)
            .ok_or_else(|| PageError::Status(StatusCode::BAD_REQUEST, "unreadable form".into()))
    }
}

impl MultipartData {
    /// A text field's value, trimmed; `None` when absent, empty or not UTF-8.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|p| p.name == name && p.filename.is_none())
            .and_then(|p| std::str::from_utf8(&p.data).ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }

    /// A file field: its name and contents, when a file was chosen.
    pub fn file(&self, name: &str) -> Option<(&str, &[u8])> {
        self.0.iter().find(|p| p.name == name).and_then(|p| {
            Some((
                p.filename.as_deref().filter(|f| !f.is_empty())?,
                &p.data[..],
            ))
        })
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

/// The boundary of a `multipart/form-data` content type.
pub(crate) fn boundary_of(content_type: &str) -> Option<String> {
    let mut parts = content_type.split(';').map(str::trim);
    if !parts.next()?.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    parts
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"').to_string())
        // RFC 2046: 1 to 70 characters.
        .filter(|b| !b.is_empty() && b.len() <= 70)
}

pub(crate) fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from > haystack.len() || needle.is_empty() {
        return None;
    }
    let first = needle[0];
    let mut i = from;
    while i + needle.len() <= haystack.len() {
        match haystack[i..].iter().position(|b| *b == first) {
            None => return None,
            Some(off) => {
                i += off;
                if haystack[i..].starts_with(needle) {
                    return Some(i);
                }
                i += 1;
            }
        }
    }
    None
}

/// A parameter of a Content-Disposition header (`name="file"`). A quoted value may hold `;`
/// (a file named `a;b.toml`); browsers send `"` inside a value as `%22`.
pub(crate) fn disposition_param(header: &str, key: &str) -> Option<String> {
    let mut rest = header;
    while let Some(semi) = rest.find(';') {
        rest = rest[semi + 1..].trim_start();
        let (k, after) = rest.split_once('=')?;
        let after = after.trim_start();
        let (value, tail) = match after.strip_prefix('"') {
            Some(quoted) => {
                let close = quoted.find('"')?;
                (&quoted[..close], &quoted[close + 1..])
            }
            None => {
                let end = after.find(';').unwrap_or(after.len());
                (after[..end].trim(), &after[end..])
            }
        };
        if k.trim().eq_ignore_ascii_case(key) {
            return Some(value.to_string());
        }
        rest = tail;
    }
    None
}

/// Splits a multipart body into its parts (RFC 7578); `None` when it is malformed.
fn parse_multipart(body: &[u8], boundary: &str) -> Option<Vec<Part>> {
    let delimiter = format!("--{boundary}").into_bytes();
    let next_delimiter = [b"\r\n".as_slice(), &delimiter].concat();
    let mut pos = find(body, &delimiter, 0)? + delimiter.len();
    let mut parts = Vec::new();
    loop {
        if body[pos..].starts_with(b"--") {
            return Some(parts);
        }
        if !body[pos..].starts_with(b"\r\n") || parts.len() > 20 {
            return None;
        }
        pos += 2;
        let headers_end = find(body, b"\r\n\r\n", pos)?;
        let headers = std::str::from_utf8(&body[pos..headers_end]).ok()?;
        let disposition = headers.split("\r\n").find_map(|h| {
            let (k, v) = h.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case("content-disposition")
                .then_some(v)
        })?;
        if !disposition
            .trim_start()
            .get(..9)
            .is_some_and(|d| d.eq_ignore_ascii_case("form-data"))
        {
            return None;
        }
        let start = headers_end + 4;
        let end = find(body, &next_delimiter, start)?;
        parts.push(Part {
            name: disposition_param(disposition, "name")?,
            filename: disposition_param(disposition, "filename"),
            data: body[start..end].to_vec(),
        });
        pos = end + next_delimiter.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multipart_form_yields_its_fields_and_file() {
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\ntok\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"my_scale.toml\"\r\nContent-Type: application/octet-stream\r\n\r\nkind = \"instrument\"\r\n--not the end\r\n--XyZ\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n\r\n--XyZ--\r\n";
        let b = boundary_of("multipart/form-data; boundary=XyZ").unwrap();
        let form = MultipartData(parse_multipart(body.as_bytes(), &b).unwrap());
        assert_eq!(form.get("_csrf"), Some("tok"));
        assert_eq!(form.get("text"), None);
        let (name, data) = form.file("file").unwrap();
        assert_eq!(name, "my_scale.toml");
        assert_eq!(data, b"kind = \"instrument\"\r\n--not the end");
        assert!(parse_multipart(b"garbage", "XyZ").is_none());
        assert!(boundary_of("application/x-www-form-urlencoded").is_none());
        assert_eq!(
            boundary_of("multipart/form-data; boundary=\"a b\"").as_deref(),
            Some("a b")
        );
    }

    #[test]
    fn a_quoted_file_name_may_hold_a_semicolon() {
        let h = " form-data; name=\"file\"; filename=\"a;b.toml\"";
        assert_eq!(disposition_param(h, "name").as_deref(), Some("file"));
        assert_eq!(
            disposition_param(h, "filename").as_deref(),
            Some("a;b.toml")
        );
        assert_eq!(
            disposition_param(" form-data; name=plain", "name").as_deref(),
            Some("plain")
        );
        assert_eq!(disposition_param(" form-data; name=\"open", "name"), None);
    }

    #[test]
    fn malformed_bodies_are_refused_without_panicking() {
        let good = "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--B--\r\n";
        assert!(parse_multipart(good.as_bytes(), "B").is_some());
        // Every truncation of a good body, and every single-byte change, is handled.
        for end in 0..good.len() {
            let _ = parse_multipart(&good.as_bytes()[..end], "B");
        }
        for i in 0..good.len() {
            for b in [0u8, b'-', b'\r', b'\n', b'"', 0xff] {
                let mut body = good.as_bytes().to_vec();
                body[i] = b;
                let _ = parse_multipart(&body, "B");
            }
        }
        // No closing delimiter, no disposition, not form-data, no name.
        assert!(
            parse_multipart(
                b"--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1",
                "B"
            )
            .is_none()
        );
        assert!(
            parse_multipart(b"--B\r\nContent-Type: text/plain\r\n\r\n1\r\n--B--", "B").is_none()
        );
        assert!(
            parse_multipart(
                b"--B\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\n1\r\n--B--",
                "B"
            )
            .is_none()
        );
        assert!(
            parse_multipart(
                b"--B\r\nContent-Disposition: form-data\r\n\r\n1\r\n--B--",
                "B"
            )
            .is_none()
        );
        // A form with too many parts is refused.
        let many =
            "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n".repeat(30) + "--B--";
        assert!(parse_multipart(many.as_bytes(), "B").is_none());
        assert!(
            boundary_of(&format!("multipart/form-data; boundary={}", "x".repeat(71))).is_none()
        );
    }
}
