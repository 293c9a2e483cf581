//! Hardening item 7, measured in the heap: what a gzip bomb makes the server allocate. This
//! file is its own test binary so that its counting allocator sees only this test.

mod common;
#[path = "common/uploads.rs"]
mod uploads;

use axum::http::StatusCode;
use common::App;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use uploads::{gzip_bomb, send_chunked};

/// The system allocator, keeping the bytes in use and their high-water mark.
struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let now = IN_USE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Bytes allocated at the peak of `f` beyond what was in use when it started.
async fn peak_during<F: std::future::Future>(f: F) -> (F::Output, usize) {
    let start = IN_USE.load(Ordering::Relaxed);
    PEAK.store(start, Ordering::Relaxed);
    let out = f.await;
    (out, PEAK.load(Ordering::Relaxed).saturating_sub(start))
}

/// With the production limits, 64 MiB bombs (64 KiB on the wire) never raise the heap by more
/// than their limit's worth: the table reader refuses a row past 1 MiB, documents stop at
/// 1 MiB, and nothing holds the whole body. Before, each was buffered whole up to the route's
/// limit (256 MiB for a table) before anything looked at it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gzip_bomb_never_raises_the_heap_beyond_its_limits_worth() {
    let app = App::sqlite().await;
    let token = app.token("researcher").await;
    let cases = [
        // One row with no line break: refused by the CSV reader at 1 MiB.
        (
            "/api/v1/analyses/lmm?formula=y~x%2B(1%7Cg)",
            gzip_bomb(b"", b"\0", 64 << 20),
            StatusCode::UNPROCESSABLE_ENTITY,
            8 << 20,
        ),
        // A valid table of studies, streamed into the reader until the 1 MiB limit: the
        // studies read so far (262,144 of them) are what the heap holds.
        (
            "/api/v1/analyses/meta?estimate=y&se=s",
            gzip_bomb(b"y,s\n", b"1,1\n", 64 << 20),
            StatusCode::PAYLOAD_TOO_LARGE,
            24 << 20,
        ),
        // A TOML document, read into one buffer until the 1 MiB limit.
        (
            "/api/v1/analyses/power",
            gzip_bomb(b"", b"#", 64 << 20),
            StatusCode::PAYLOAD_TOO_LARGE,
            8 << 20,
        ),
    ];
    for (path, bomb, status, bound) in cases {
        let (sent, peak) =
            peak_during(send_chunked(&app.router, path, &token, bomb, true, false)).await;
        assert_eq!(sent.status, status, "{path}: {}", sent.body);
        assert!(
            peak < bound,
            "{path}: the heap rose by {} KiB for a 64 MiB bomb",
            peak >> 10
        );
        eprintln!("{path}: heap rose by {} KiB", peak >> 10);
    }
}
