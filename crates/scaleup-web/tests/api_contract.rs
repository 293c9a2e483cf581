//! The contract external tests rely on, and the error format for bad input.

mod common;

use common::{App, rec, uuid};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_token_and_client_visibility_contract() {
    let app = App::sqlite().await;
    let f = &app.fixture;
    let (s, body) = app.call("POST", "/api/v1/auth/login", None, Some(json!({"username": "counsellor", "password": scaleup_storage::testing::FIXTURE_PASSWORD}))).await;
    assert_eq!(s, 200);
    let token = body["token"].as_str().unwrap().to_string();
    let (s, body) = app
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "counsellor", "password": "wrong password"})),
        )
        .await;
    assert_eq!(
        (s.as_u16(), body["error"]["code"].as_str()),
        (401, Some("invalid_credentials"))
    );

    let mine = uuid();
    let (s, _) = app
        .call("POST", "/api/v1/sync", Some(&token), Some(json!({"device_id": "p", "records": [rec("client", &mine, None, json!({"programme_id": f.programme_id, "facility_id": f.facility_id, "registered_on": "2026-03-01", "sex": "female"}))]})))
        .await;
    assert_eq!(s, 200);
    let other_token = app.token("counsellor_b").await;
    let theirs = uuid();
    app.call("POST", "/api/v1/sync", Some(&other_token), Some(json!({"device_id": "q", "records": [rec("client", &theirs, None, json!({"programme_id": f.programme_id, "facility_id": f.facility_id, "registered_on": "2026-03-01", "sex": "male"}))]})))
        .await;

    let (s, list) = app.call("GET", "/api/v1/clients", Some(&token), None).await;
    assert_eq!(s, 200);
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![mine.as_str()]);
    assert!(list.get("next_cursor").is_some());
    assert_eq!(
        app.call(
            "GET",
            &format!("/api/v1/clients/{mine}"),
            Some(&token),
            None
        )
        .await
        .0,
        200
    );
    let (s, body) = app
        .call(
            "GET",
            &format!("/api/v1/clients/{theirs}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(
        (s.as_u16(), body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    let (s, _) = app
        .call(
            "GET",
            &format!("/api/v1/clients/{}", uuid()),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(s, 404, "absent and invisible look the same");
    assert_eq!(
        app.call("GET", "/api/v1/clients/not-a-uuid", Some(&token), None)
            .await
            .0,
        404
    );
    assert_eq!(
        app.call("GET", "/api/v1/clients", Some("forged-token"), None)
            .await
            .0,
        401
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_a_json_error_naming_the_field() {
    let app = App::sqlite().await;
    let admin = app.token("admin").await;
    let (s, body) = app
        .raw("POST", "/api/v1/hubs", Some(&admin), "{not json")
        .await;
    assert_eq!(
        (s.as_u16(), body["error"]["code"].as_str()),
        (400, Some("invalid"))
    );
    let (s, body) = app
        .call(
            "POST",
            "/api/v1/hubs",
            Some(&admin),
            Some(json!({"code": "x", "name": "X", "country": "UG", "colour": "red"})),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(body["error"]["field"], "colour");
    let (s, body) = app
        .call(
            "POST",
            "/api/v1/hubs",
            Some(&admin),
            Some(json!({"code": "x", "name": "X", "country": 7})),
        )
        .await;
    assert_eq!(
        (s.as_u16(), body["error"]["field"].as_str()),
        (400, Some("country"))
    );
    let (s, body) = app
        .call(
            "POST",
            "/api/v1/hubs",
            Some(&admin),
            Some(json!({"code": "x", "name": "X", "country": "Uganda"})),
        )
        .await;
    assert_eq!(
        (s.as_u16(), body["error"]["field"].as_str()),
        (400, Some("country"))
    );
    // Names are bounded (documented as maxLength in the OpenAPI document).
    let (s, body) = app
        .call(
            "POST",
            "/api/v1/hubs",
            Some(&admin),
            Some(json!({"code": "x", "name": "n".repeat(scaleup_storage::MAX_NAME_CHARS + 1), "country": "UG"})),
        )
        .await;
    assert_eq!(
        (s.as_u16(), body["error"]["field"].as_str()),
        (400, Some("name"))
    );
    let (s, _) = app
        .call(
            "POST",
            "/api/v1/hubs",
            Some(&admin),
            Some(json!({"code": "x", "name": "n".repeat(scaleup_storage::MAX_NAME_CHARS), "country": "UG"})),
        )
        .await;
    assert_eq!(
        s, 201,
        "the longest allowed name, and the documented status"
    );
    let (_, doc) = app.call("GET", "/api/v1/openapi.json", None, None).await;
    assert!(doc["paths"]["/hubs"]["post"]["responses"]["201"].is_object());
    let (s, body) = app
        .call("GET", "/api/v1/clients?limit=0", Some(&admin), None)
        .await;
    assert_eq!(
        (s.as_u16(), body["error"]["field"].as_str()),
        (400, Some("limit"))
    );
    let (s, body) = app
        .call("GET", "/api/v1/clients?from=2026-02-30", Some(&admin), None)
        .await;
    assert_eq!(
        (s.as_u16(), body["error"]["field"].as_str()),
        (400, Some("from"))
    );
    let (s, body) = app
        .call("GET", "/api/v1/sync?cursor=abc", Some(&admin), None)
        .await;
    assert_eq!(
        (s.as_u16(), body["error"]["field"].as_str()),
        (400, Some("cursor"))
    );
    assert_eq!(
        app.call("GET", "/api/v1/nothing-here", Some(&admin), None)
            .await
            .0,
        404
    );

    // A batch with a malformed element, an invalid record and a good one: only the good one lands.
    let f = &app.fixture;
    let token = app.token("counsellor").await;
    let good = uuid();
    let (s, body) = app
        .call("POST", "/api/v1/sync", Some(&token), Some(json!({"device_id": "p", "records": [
            "garbage",
            rec("client", &uuid(), None, json!({"programme_id": f.programme_id, "facility_id": f.facility_id, "registered_on": "2026-03-01", "sex": "unknown-sex"})),
            rec("client", &good, None, json!({"programme_id": f.programme_id, "facility_id": f.facility_id, "registered_on": "2026-03-01", "sex": "female"})),
        ]})))
        .await;
    assert_eq!(s, 200);
    let acks = body["acks"].as_array().unwrap();
    assert_eq!(acks[0]["status"], "rejected");
    assert_eq!(acks[0]["error"]["field"], "records.0");
    assert_eq!(acks[1]["status"], "rejected");
    assert_eq!(acks[1]["error"]["field"], "data.sex");
    assert!(
        !acks[1]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unknown-sex"),
        "errors never echo values"
    );
    assert_eq!(acks[2]["status"], "created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_sessions_use_httponly_samesite_cookies() {
    let app = App::sqlite().await;
    let req = axum::http::Request::builder()
        .method("POST")
        .uri("/api/v1/auth/login")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(json!({"username": "supervisor", "password": scaleup_storage::testing::FIXTURE_PASSWORD}).to_string()))
        .unwrap();
    let res = tower::ServiceExt::oneshot(app.router.clone(), req)
        .await
        .unwrap();
    let cookie = res
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_string();
    let req = axum::http::Request::builder()
        .uri("/api/v1/auth/me")
        .header("cookie", session)
        .body(axum::body::Body::empty())
        .unwrap();
    let res = tower::ServiceExt::oneshot(app.router.clone(), req)
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers().get("cache-control").unwrap(), "no-store");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_describes_every_route() {
    let app = App::sqlite().await;
    let (s, doc) = app.call("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(s, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for route in scaleup_web::openapi::ROUTES {
        assert!(
            doc["paths"][route.path][route.method].is_object(),
            "{} {}",
            route.method,
            route.path
        );
    }
}

/// The query parameters each route documents are exactly the ones its handler accepts. Handlers
/// reject unknown parameters, and serde names the accepted ones in that error, so a probe with
/// an unknown name reads the handler's list without a second copy of it here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documented_query_parameters_are_the_accepted_ones() {
    let app = App::sqlite().await;
    let admin = app.token("admin").await;
    // Logging out ends the session it is called with: it gets its own.
    let to_log_out = app.token("admin").await;
    let mut checked = 0;
    for route in scaleup_web::openapi::ROUTES {
        let path = route
            .path
            .replace("{id}", &uuid())
            .replace("{code}", "no-such-code");
        let (_, body) = app
            .call(
                &route.method.to_uppercase(),
                &format!("/api/v1{path}?zz_probe=1"),
                Some(if route.path == "/auth/logout" {
                    &to_log_out
                } else {
                    &admin
                }),
                None,
            )
            .await;
        let message = body["error"]["message"].as_str().unwrap_or("");
        let mut accepted: Vec<String> = match message.find("unknown field `zz_probe`") {
            // "expected one of `a`, `b`", "expected `a` or `b`", "expected `a`".
            Some(at) => message[at + "unknown field `zz_probe`".len()..]
                .split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect(),
            None => Vec::new(),
        };
        let mut documented: Vec<String> = scaleup_web::openapi::QUERY_PARAMS
            .iter()
            .filter(|(p, ..)| {
                *p == route.path && (route.method == "get" || route.tag == "analysis")
            })
            .map(|(_, name, ..)| name.to_string())
            .collect();
        if route.tag == "analysis" {
            documented.push("format".into());
        }
        accepted.sort();
        documented.sort();
        assert_eq!(
            accepted, documented,
            "{} {}: accepted (left) vs documented (right); probe said {body}",
            route.method, route.path
        );
        checked += 1;
    }
    assert_eq!(checked, scaleup_web::openapi::ROUTES.len());
    // Every schema written out in the table is JSON.
    for (path, name, schema, ..) in scaleup_web::openapi::QUERY_PARAMS {
        if schema.starts_with('{') {
            serde_json::from_str::<serde_json::Value>(schema)
                .unwrap_or_else(|e| panic!("{path} {name}: {e}"));
        }
    }
}
