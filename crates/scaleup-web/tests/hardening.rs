//! Regression tests of the hardening issue's reproductions that go through HTTP, each named
//! after what it prevents.

mod common;

use axum::http::StatusCode;
use common::{App, uuid};
use serde_json::json;

/// Item 11: a sync record with forged top-level fields (`hub_id`, `author`, `counsellor_id`)
/// was accepted and the fields silently dropped. Now it is rejected, naming the field.
#[tokio::test]
async fn forged_top_level_sync_fields_are_refused_by_name() {
    let app = App::sqlite().await;
    let f = &app.fixture;
    let token = app.token("counsellor").await;
    for forged in ["hub_id", "author", "counsellor_id"] {
        let mut record = json!({"kind": "client", "id": uuid(), "device_time": "2026-03-01T09:00:00Z",
            "data": {"programme_id": f.programme_id, "facility_id": f.facility_id, "registered_on": "2026-03-01", "sex": "female"}});
        record[forged] = json!(f.other_hub_id);
        let (status, body) = app
            .call(
                "POST",
                "/api/v1/sync",
                Some(&token),
                Some(json!({"device_id": "d", "records": [record]})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let ack = &body["acks"][0];
        assert_eq!(ack["status"], "rejected", "{forged}: {body}");
        let message = ack["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("unknown field `{forged}`")),
            "{message}"
        );
    }
    let (_, clients) = app.call("GET", "/api/v1/clients", Some(&token), None).await;
    assert_eq!(
        clients["items"].as_array().unwrap().len(),
        0,
        "nothing was written"
    );
}

/// Item 9: `GET /api/v1/summary?to=9999-12-31` panicked in the date code and dropped the
/// connection. Far dates now get an answer (2xx or 4xx), never a dropped connection.
#[tokio::test]
async fn a_far_date_in_a_query_gets_an_answer_not_a_panic() {
    let app = App::sqlite().await;
    let token = app.token("manager").await;
    for query in [
        "/api/v1/summary?to=9999-12-31",
        "/api/v1/summary?from=0001-01-01&to=9999-12-31",
        "/api/v1/summary?from=9999-12-31",
        "/api/v1/alerts?to=9999-12-31",
        "/api/v1/clients?to=9999-12-31",
    ] {
        let (status, body) = app.call("GET", query, Some(&token), None).await;
        assert!(
            status.is_success() || status.is_client_error(),
            "{query}: {status} {body}"
        );
    }
}

#[path = "common/uploads.rs"]
mod uploads;

use scaleup_web::analyses::{ANALYSIS_SLOTS, AnalysisLimits};
use std::time::Duration;
use uploads::{gzip, gzip_bomb, send_chunked};

/// An app whose analyses have these limits (the semaphore is shared with the caller's copy).
async fn app_with(limits: &AnalysisLimits) -> App {
    let limits = limits.clone();
    App::sqlite_with(move |state| state.analyses = limits).await
}

/// Item 7: a 1 MB gzip body inflating to 1 GB was read up to the route's 256 MiB before it
/// was refused. Now the inflated bytes are counted as the decoder produces them: past the
/// limit the answer is 413 naming it, and the rest of the bomb is never pulled off the wire
/// (so never inflated). Here a table limit of 4 MiB against a 64 MiB table bomb, and the
/// documents' 1 MiB against a 64 MiB bomb of zeros.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gzip_bomb_is_refused_at_the_inflated_limit_without_being_inflated() {
    let limits = AnalysisLimits {
        table_bytes: 4 << 20,
        ..AnalysisLimits::default()
    };
    let app = app_with(&limits).await;
    let token = app.token("researcher").await;
    for (path, bomb, limit) in [
        (
            "/api/v1/analyses/lmm?formula=y~1",
            gzip_bomb(b"y\n", b"1\n", 64 << 20),
            "4 MiB",
        ),
        (
            "/api/v1/analyses/power",
            gzip_bomb(b"", b"\0", 64 << 20),
            "1 MiB",
        ),
    ] {
        let wire = bomb.len();
        let sent = send_chunked(&app.router, path, &token, bomb, true, false).await;
        assert_eq!(
            sent.status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{path}: {}",
            sent.body
        );
        assert_eq!(sent.body["error"]["field"], "body", "{}", sent.body);
        let message = sent.body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("larger than {limit} once decompressed")),
            "{message}"
        );
        // Inflating stopped near the limit: a sixteenth of the bomb, plus read-ahead.
        assert!(
            sent.pulled < wire / 4,
            "{path}: pulled {} of {wire} compressed bytes",
            sent.pulled
        );
    }
}

/// The streamed path reads a whole gzip-compressed table and fits it, as the plain one does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gzipped_table_within_the_limit_is_fitted() {
    let app = App::sqlite().await;
    let token = app.token("researcher").await;
    let mut csv = String::from("y,x,g\n");
    for i in 0..2000 {
        csv.push_str(&format!(
            "{},{},g{}\n",
            (i * 7 % 13) as f64 + 0.5 * (i % 5) as f64,
            i % 5,
            i % 20
        ));
    }
    let path = "/api/v1/analyses/lmm?formula=y~x%2B(1%7Cg)";
    let plain = send_chunked(
        &app.router,
        path,
        &token,
        csv.clone().into_bytes(),
        false,
        false,
    )
    .await;
    let zipped = send_chunked(&app.router, path, &token, gzip(csv.as_bytes()), true, false).await;
    assert_eq!(plain.status, StatusCode::OK, "{}", plain.body);
    assert_eq!(zipped.body, plain.body);
}

/// Item 7: bodies were read whole before an analysis slot was taken, so every waiting request
/// held its body. Now a request takes its slot first; when none frees within the wait it gets
/// 503 with Retry-After, and its body is never touched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analyses_beyond_the_slots_get_503_before_their_body_is_read() {
    let limits = AnalysisLimits {
        slot_wait: Duration::from_millis(200),
        ..AnalysisLimits::default()
    };
    let app = app_with(&limits).await;
    let token = app.token("researcher").await;
    let busy = limits
        .slots
        .clone()
        .acquire_many_owned(ANALYSIS_SLOTS as u32)
        .await
        .unwrap();
    let csv = b"y\n1\n2\n3\n".to_vec();
    for path in [
        "/api/v1/analyses/lmm?formula=y~1",
        "/api/v1/analyses/power",
        "/api/v1/analyses/icers",
    ] {
        let sent = send_chunked(&app.router, path, &token, csv.clone(), false, false).await;
        assert_eq!(
            sent.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{path}: {}",
            sent.body
        );
        assert_eq!(sent.headers["retry-after"], "10", "{path}");
        assert_eq!(sent.body["error"]["code"], "busy", "{}", sent.body);
        assert!(
            !sent.polled,
            "{path}: the body was read while no slot was free"
        );
    }
    // With a slot free, the same request is read and answered (about its model).
    drop(busy);
    let sent = send_chunked(
        &app.router,
        "/api/v1/analyses/lmm?formula=y~1",
        &token,
        csv,
        false,
        false,
    )
    .await;
    assert!(sent.polled);
    assert_eq!(
        sent.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        sent.body
    );
}

/// A caller holding a slot cannot keep it by sending its body slowly: the upload has a clock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_that_stalls_loses_its_slot() {
    let limits = AnalysisLimits {
        upload_time: Duration::from_millis(300),
        ..AnalysisLimits::default()
    };
    let app = app_with(&limits).await;
    let token = app.token("researcher").await;
    for path in ["/api/v1/analyses/lmm?formula=y~1", "/api/v1/analyses/power"] {
        let body = b"y\n1\n".repeat(1000);
        let sent = send_chunked(&app.router, path, &token, body, false, true).await;
        assert_eq!(
            sent.status,
            StatusCode::REQUEST_TIMEOUT,
            "{path}: {}",
            sent.body
        );
        assert_eq!(sent.body["error"]["field"], "body");
    }
    assert_eq!(limits.slots.available_permits(), ANALYSIS_SLOTS);
}

/// Item 7, beyond the analyses: sign-in read up to 16 MiB (inflated) before anyone was known.
/// Bodies outside sync and the analyses are now held to 1 MiB, counted as they are read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anonymous_gzip_bomb_is_refused_at_one_mebibyte() {
    let app = App::sqlite().await;
    let bomb = gzip_bomb(b"{\"username\": \"", b"a", 64 << 20);
    for (path, content_type) in [
        ("/api/v1/auth/login", "application/json"),
        ("/login", "application/x-www-form-urlencoded"),
    ] {
        let res = tower::ServiceExt::oneshot(
            app.router.clone(),
            axum::http::Request::builder()
                .method("POST")
                .uri(path)
                .header("content-type", content_type)
                .header("content-encoding", "gzip")
                .body(axum::body::Body::from(bomb.clone()))
                .unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
    }
}

/// Item 8: an unvalidated `years` drove a loop of up to four billion steps and wrapped an
/// i32. The query parameter is refused naming the field before the body is read; in a plan,
/// ROI or budget-impact document the field is named with its line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_horizon_of_four_billion_years_is_refused_naming_the_field() {
    let app = App::sqlite().await;
    let token = app.token("researcher").await;
    let (status, err) = app
        .call(
            "POST",
            "/api/v1/analyses/evpi?wtp=1&population=1000&years=4000000000",
            Some(&token),
            Some(json!("draw,strategy,cost,effect\n1,a,1,1\n")),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    assert_eq!(err["error"]["field"], "years");
    assert_eq!(err["error"]["message"], "must be between 1 and 100");
    let plan = "[base]\nyears = 4000000000\npopulation = 1000\nprevalence = 0.05\nhours_per_year = 1600\nproductive_fraction = 0.75\nsupervision_span = 10\nattrition = 0.1\nhours_per_client = 7\n[[scenario]]\ncoverage = 0.2\n";
    let (status, err) = app
        .call(
            "POST",
            "/api/v1/analyses/plan",
            Some(&token),
            Some(json!(plan)),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    let message = err["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("years`: must be between 1 and 100"),
        "{message}"
    );
}

/// Item 8: a wide CSV header cost time in columns². A 100,000-column header is refused with
/// the limit named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_thousand_column_header_is_refused_naming_the_limit() {
    let app = App::sqlite().await;
    let token = app.token("researcher").await;
    let mut csv = (0..100_000)
        .map(|k| format!("c{k}"))
        .collect::<Vec<_>>()
        .join(",");
    csv.push('\n');
    let (status, err) = app
        .call(
            "POST",
            "/api/v1/analyses/lmm?formula=c0~1",
            Some(&token),
            Some(json!(csv)),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    let message = err["error"]["message"].as_str().unwrap();
    assert!(
        message
            .starts_with("body: the header row has 100000 columns; a table may have at most 10000"),
        "{message}"
    );
}
