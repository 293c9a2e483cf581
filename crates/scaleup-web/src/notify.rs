//! The notification sender: posts the store's outbox of notifications (risk alerts raised and
//! escalated, supervision safety flags) to one configured webhook, such as an SMS or WhatsApp
//! gateway (RapidPro takes a generic JSON body like this one).
//!
//! The HTTP edge owns outgoing HTTP too. The server calls [`deliver_due`] every few seconds;
//! each call claims a batch of due rows (so servers sharing one PostgreSQL never send the same
//! row at once), posts each body as it is stored, and reports the outcome to the store, which
//! schedules retries with exponential backoff. Nothing here is kept between calls.
//!
//! The client is ureq with rustls (ring provider): production gateways are HTTPS. It was the
//! cheapest client with TLS measured (cold release build, alone on the 2-core machine): 26 s
//! and 37 crates, against 48 s and 132 crates for reqwest with rustls; a hand-written client
//! over tokio built in 11 s but could only speak `http://`. Its calls block, so they run on
//! tokio's blocking pool.
//!
//! Logs and stored errors never hold a body, a recipient, or the webhook's URL (gateways put
//! tokens in URLs): only what failed, as a category and an HTTP status.

use hmac::{Hmac, Mac};
use scaleup_storage::Store;
use sha2::Sha256;
use std::time::Duration;

/// Rows claimed per call. Each post may take up to the timeout, so a batch must finish well
/// inside the store's claim lease (five minutes) or another server could claim its last rows
/// again: 20 × 10 s is 200 s.
pub const DELIVERY_BATCH: i64 = 20;

/// The default limit on one post, connection included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where notifications go and how they are signed. `Debug` shows neither the URL's path and
/// query (where gateways put tokens) nor the secret.
#[derive(Clone)]
pub struct WebhookConfig {
    url: String,
    secret: Option<String>,
    agent: ureq::Agent,
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("origin", &self.origin())
            .field("signed", &self.secret.is_some())
            .finish()
    }
}

impl WebhookConfig {
    /// A webhook at `url` (`https://`, or `http://` for a gateway on the same host or network),
    /// with an optional HMAC secret and the [`DEFAULT_TIMEOUT`].
    pub fn new(url: &str, secret: Option<&str>) -> Result<WebhookConfig, String> {
        Self::with_timeout(url, secret, DEFAULT_TIMEOUT)
    }

    /// As [`WebhookConfig::new`] with another timeout (tests use a short one).
    pub fn with_timeout(
        url: &str,
        secret: Option<&str>,
        timeout: Duration,
    ) -> Result<WebhookConfig, String> {
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .ok_or("the webhook URL must start with https:// or http://")?;
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        if host.is_empty() || host.chars().any(char::is_whitespace) {
            return Err("the webhook URL must name a host".into());
        }
        if secret.is_some_and(str::is_empty) {
            return Err("the webhook secret must not be empty".into());
        }
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            // A POST is not followed elsewhere: a redirect is a misconfigured URL, reported
            // as its status, and the body never goes to a host nobody configured.
            .max_redirects(0)
            .max_redirects_will_error(false)
            .user_agent("scaleup-notify")
            .build()
            .into();
        Ok(WebhookConfig {
            url: url.to_string(),
            secret: secret.map(str::to_string),
            agent,
        })
    }

    /// Scheme and host only, for the log.
    pub fn origin(&self) -> String {
        let (scheme, rest) = self.url.split_once("://").unwrap_or(("", &self.url));
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        // Credentials in the authority (user:pass@host) stay out too.
        let host = host.rsplit('@').next().unwrap_or(host);
        format!("{scheme}://{host}")
    }

    /// Whether the webhook is reached without TLS on a host other than this one.
    pub fn is_plain_http_off_host(&self) -> bool {
        let origin = self.origin();
        origin.starts_with("http://")
            && !["http://127.", "http://localhost", "http://[::1]"]
                .iter()
                .any(|p| origin.starts_with(p))
    }
}

/// `sha256=<hex>` of the HMAC-SHA256 of `body` under `secret`: the `X-Scaleup-Signature` a
/// receiver recomputes over the raw body it got, to know the message came from this server.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

/// What went wrong with one post, in words fit for the delivery-status list: a category and a
/// status, never the URL, the body or the receiver's answer.
fn describe(error: &ureq::Error) -> String {
    match error {
        ureq::Error::StatusCode(code) => format!("the webhook answered HTTP {code}"),
        ureq::Error::Timeout(_) => "the webhook did not answer in time".into(),
        ureq::Error::HostNotFound => "the webhook's host name was not found".into(),
        ureq::Error::Io(e) => format!("could not reach the webhook ({})", e.kind()),
        ureq::Error::ConnectionFailed => "could not connect to the webhook".into(),
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::Pem(_) => {
            "the TLS connection to the webhook failed".into()
        }
        ureq::Error::Protocol(_) => "the webhook's answer was not valid HTTP".into(),
        _ => "the request to the webhook failed".into(),
    }
}

/// Posts one body; blocking (call on the blocking pool).
fn post(config: &WebhookConfig, body: &str) -> Result<(), String> {
    let mut request = config
        .agent
        .post(&config.url)
        .header("Content-Type", "application/json");
    if let Some(secret) = &config.secret {
        request = request.header("X-Scaleup-Signature", signature(secret, body.as_bytes()));
    }
    match request.send(body) {
        Ok(response) if response.status().is_success() => Ok(()),
        Ok(response) => Err(format!(
            "the webhook answered HTTP {}",
            response.status().as_u16()
        )),
        Err(e) => Err(describe(&e)),
    }
}

/// Claims the notifications that are due and posts each to the webhook; returns how many were
/// delivered. A failed post is recorded on its row and retried later by a later call; only a
/// failure of the store itself is an error here. Never panics on what a receiver does.
pub async fn deliver_due(store: &Store, config: &WebhookConfig) -> anyhow::Result<usize> {
    let due = store.claim_due_notifications(DELIVERY_BATCH).await?;
    let mut delivered = 0;
    for notification in due {
        // Sent exactly as stored, and signed over the bytes sent.
        let body = notification.body.to_string();
        let posting = config.clone();
        let outcome = tokio::task::spawn_blocking(move || post(&posting, &body))
            .await
            .unwrap_or_else(|_| Err("the sending task failed".into()));
        match outcome {
            Ok(()) => {
                store.notification_sent(&notification.id).await?;
                delivered += 1;
            }
            Err(reason) => {
                tracing::warn!(
                    event = %notification.event,
                    attempt = notification.attempts + 1,
                    %reason,
                    "a notification was not delivered; it will be retried"
                );
                store.notification_failed(&notification.id, &reason).await?;
            }
        }
    }
    Ok(delivered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_keeps_tokens_and_secrets_out_of_its_debug() {
        let c = WebhookConfig::new(
            "https://user:pw@gateway.example/c/ex/8f2a-token/receive?key=abc",
            Some("s3cret"),
        )
        .unwrap();
        let shown = format!("{c:?}");
        assert_eq!(c.origin(), "https://gateway.example");
        for hidden in ["token", "abc", "s3cret", "pw"] {
            assert!(!shown.contains(hidden), "{shown}");
        }
        assert!(!c.is_plain_http_off_host());
        assert!(
            WebhookConfig::new("http://10.0.0.5/hook", None)
                .unwrap()
                .is_plain_http_off_host()
        );
        assert!(
            !WebhookConfig::new("http://127.0.0.1:9000/hook", None)
                .unwrap()
                .is_plain_http_off_host()
        );
        for bad in ["ftp://x/hook", "gateway.example/hook", "https:///hook", ""] {
            assert!(WebhookConfig::new(bad, None).is_err(), "{bad}");
        }
        assert!(WebhookConfig::new("https://gateway.example", Some("")).is_err());
    }

    #[test]
    fn signature_is_the_hex_hmac_of_the_body() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
