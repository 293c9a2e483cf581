//! Request bodies for the upload-limit tests: gzip bombs sent a chunk at a time, counting how
//! much of them the server pulled, and bodies that stall.

#![allow(dead_code)]

use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use std::convert::Infallible;
use std::io::Write;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use tower::ServiceExt;

/// `prefix` then `fill` repeated to `inflated` bytes, gzip-compressed: what a bomb is.
pub fn gzip_bomb(prefix: &[u8], fill: &[u8], inflated: usize) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(prefix).unwrap();
    let chunk = fill.repeat((64 << 10) / fill.len());
    let mut written = prefix.len();
    while written < inflated {
        gz.write_all(&chunk).unwrap();
        written += chunk.len();
    }
    gz.finish().unwrap()
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// A body handed over in 1 KiB chunks, counting the bytes the server pulled; `stall` makes it
/// stop (pending forever) after the first chunk, like a client that stopped sending.
pub struct Chunked {
    bytes: Bytes,
    sent: Arc<AtomicUsize>,
    polled: Arc<AtomicBool>,
    stall: bool,
}

impl http_body::Body for Chunked {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
        self.polled.store(true, Ordering::SeqCst);
        let at = self.sent.load(Ordering::SeqCst);
        if self.stall && at > 0 {
            // Never woken: the server must give up on its own clock.
            return Poll::Pending;
        }
        if at >= self.bytes.len() {
            return Poll::Ready(None);
        }
        let end = (at + 1024).min(self.bytes.len());
        let chunk = self.bytes.slice(at..end);
        self.sent.store(end, Ordering::SeqCst);
        Poll::Ready(Some(Ok(http_body::Frame::data(chunk))))
    }
}

/// What the server did with a [`Chunked`] body.
pub struct Sent {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
    /// Bytes of the (compressed) body the server pulled.
    pub pulled: usize,
    /// Whether the server polled the body at all.
    pub polled: bool,
}

/// POSTs `bytes` (gzip-encoded when `gzipped`) in chunks to `path` as `token`.
pub async fn send_chunked(
    router: &axum::Router,
    path: &str,
    token: &str,
    bytes: Vec<u8>,
    gzipped: bool,
    stall: bool,
) -> Sent {
    let sent = Arc::new(AtomicUsize::new(0));
    let polled = Arc::new(AtomicBool::new(false));
    let body = Chunked {
        bytes: Bytes::from(bytes),
        sent: sent.clone(),
        polled: polled.clone(),
        stall,
    };
    let mut req = Request::builder()
        .method("POST")
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "text/csv");
    if gzipped {
        req = req.header("content-encoding", "gzip");
    }
    let res = router
        .clone()
        .oneshot(req.body(Body::new(body)).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    Sent {
        status,
        headers,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        pulled: sent.load(Ordering::SeqCst),
        polled: polled.load(Ordering::SeqCst),
    }
}
