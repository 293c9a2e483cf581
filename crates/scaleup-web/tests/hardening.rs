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
