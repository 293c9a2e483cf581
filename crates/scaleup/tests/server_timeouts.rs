//! Hardening item 10: connections that send nothing, or stop halfway through a request head,
//! stayed open indefinitely (200 of them for the whole of a 60 s benchmark). A real
//! `scaleup serve` now closes them after its header-read timeout, here set to one second, and
//! still serves whole requests, on fresh and kept-alive connections.

#![cfg(feature = "server")]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

mod common;

use common::start_with;

/// Reads until the server closes the connection (or `limit` passes); returns what was read
/// and whether it was closed.
fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (Vec<u8>, bool) {
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while start.elapsed() < limit {
        match stream.read(&mut buf) {
            Ok(0) => return (got, true),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return (got, true),
            Err(_) => {} // the read timed out; keep waiting
        }
    }
    (got, false)
}

const HEALTH: &[u8] = b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n";

#[test]
fn idle_and_half_sent_connections_are_closed_after_the_header_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.sqlite").to_string_lossy().to_string();
    let server = start_with(&db, &["--header-read-timeout", "1"]);
    // The window is generous: the point is that the server closes them at all.
    let window = Duration::from_secs(20);

    // A connection that sends nothing.
    let mut silent = TcpStream::connect(&server.addr).unwrap();
    // One that sends a request line and a header, then stops.
    let mut partial = TcpStream::connect(&server.addr).unwrap();
    partial
        .write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    // One that is served, then kept alive and left idle.
    let mut kept = TcpStream::connect(&server.addr).unwrap();
    kept.write_all(HEALTH).unwrap();

    let (_, closed) = read_until_closed(&mut silent, window);
    assert!(closed, "a connection that sent nothing was left open");
    let (_, closed) = read_until_closed(&mut partial, window);
    assert!(
        closed,
        "a connection that stopped halfway through its head was left open"
    );
    let (answer, closed) = read_until_closed(&mut kept, window);
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    assert!(closed, "an idle kept-alive connection was left open");

    // A client that keeps up is served as before, several requests on one connection.
    let mut busy = TcpStream::connect(&server.addr).unwrap();
    busy.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    for _ in 0..3 {
        busy.write_all(HEALTH).unwrap();
        let mut buf = [0u8; 4096];
        let n = busy.read(&mut buf).unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
        std::thread::sleep(Duration::from_millis(300));
    }
}
