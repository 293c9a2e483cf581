//! `GET /api/v1/indicators`: the contract (issue 8), who sees exact figures, and freshness.

mod common;

use common::{App, rec, uuid};
use serde_json::{Value, json};

const CONTRACT: [&str; 8] = [
    "screened",
    "eligible",
    "enrolled",
    "reach",
    "completion",
    "phq9_response",
    "phq9_remission",
    "phq9_mean_change",
];

fn phq9(total: u32) -> Value {
    let mut r = serde_json::Map::new();
    let mut left = total;
    for i in 1..=8 {
        let v = left.min(3);
        left -= v;
        r.insert(i.to_string(), json!(v));
    }
    r.insert("9".into(), json!(0));
    Value::Object(r)
}

/// Registers and screens `n` clients through sync (one eligible and enrolled).
async fn screen_clients(app: &App, n: usize) {
    let f = &app.fixture;
    let token = app.token("counsellor").await;
    let mut records = Vec::new();
    for i in 0..n {
        let c = uuid();
        records.push(rec("client", &c, None, json!({"programme_id": f.programme_id, "facility_id": f.facility_id, "registered_on": "2026-03-01", "sex": "female", "birth_year": 1990})));
        records.push(rec("assessment", &uuid(), None, json!({"client_id": c, "instrument": "phq9", "occasion": "screening", "administered_on": "2026-03-02", "responses": phq9(12)})));
        if i == 0 {
            records.push(rec("eligibility", &uuid(), None, json!({"client_id": c, "decided_on": "2026-03-02", "eligible": true, "offered": true, "accepted": true})));
            records.push(rec("episode", &uuid(), None, json!({"client_id": c, "programme_id": f.programme_id, "enrolled_on": "2026-03-03"})));
        }
    }
    let (s, body) = app
        .call(
            "POST",
            "/api/v1/sync",
            Some(&token),
            Some(json!({"device_id": "phone-1", "records": records})),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert!(
        body["acks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["status"] == "created"),
        "{body}"
    );
}

fn row<'a>(doc: &'a Value, code: &str) -> &'a Value {
    doc["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == code && r["by"].as_object().is_none_or(|b| b.is_empty()))
        .unwrap_or_else(|| panic!("no {code} in {doc}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_contract_document_exact_for_hub_staff_and_researchers_suppressed_for_viewers() {
    let app = App::sqlite().await;
    screen_clients(&app, 3).await;
    let path = "/api/v1/indicators?programme=pmplus-2026";
    for who in ["admin", "manager", "supervisor", "researcher"] {
        let token = app.token(who).await;
        let (s, doc) = app.call("GET", path, Some(&token), None).await;
        assert_eq!(s, 200, "{who}: {doc}");
        assert_eq!(doc["programme"], "pmplus-2026");
        assert_eq!(doc["disclosure"]["policy"], "exact", "{who}");
        for code in CONTRACT {
            let r = row(&doc, code);
            for field in ["code", "label", "numerator", "denominator", "value"] {
                assert!(r.get(field).is_some(), "{code} lacks {field}");
            }
        }
        // All time, people not rows: three screened, one eligible and enrolled.
        assert_eq!(row(&doc, "screened")["numerator"], json!(3), "{who}");
        assert_eq!(row(&doc, "screened")["value"], json!(3));
        assert_eq!(row(&doc, "eligible")["value"], json!(1));
        assert_eq!(row(&doc, "enrolled")["value"], json!(1));
        assert_eq!(
            (
                row(&doc, "reach")["numerator"].clone(),
                row(&doc, "reach")["denominator"].clone(),
                row(&doc, "reach")["value"].clone()
            ),
            (json!(1), json!(1), json!(1))
        );
    }
    // The same document as the command line computes (both render with the same function).
    let admin = app.token("admin").await;
    let (_, doc) = app.call("GET", path, Some(&admin), None).await;
    let request = scaleup_indicators::QueryText {
        programme: Some("pmplus-2026".into()),
        ..Default::default()
    }
    .parse(
        scaleup_domain::date::Date::parse(&doc["as_of"].as_str().unwrap()[..10], "today").unwrap(),
    )
    .unwrap();
    let computed = app.store.indicators(None, None, &request).await.unwrap();
    let cli = scaleup_indicators::render::json(&scaleup_indicators::disclose(
        computed,
        scaleup_indicators::Disclosure::Exact,
    ));
    assert_eq!(doc, cli);
    // Viewers: counts of 1 to 4 are withheld, by every indicator.
    for who in ["viewer"] {
        let token = app.token(who).await;
        let (s, doc) = app.call("GET", path, Some(&token), None).await;
        assert_eq!(s, 200, "{who}: {doc}");
        assert_eq!(doc["disclosure"]["policy"], "suppress_below");
        assert_eq!(doc["disclosure"]["k"], 5);
        for r in doc["indicators"].as_array().unwrap() {
            for field in ["numerator", "denominator"] {
                if let Some(x) = r[field].as_f64() {
                    assert!(
                        x == 0.0 || x >= 5.0,
                        "{who} sees {field} {x} of {}",
                        r["code"]
                    );
                }
            }
        }
        assert_eq!(row(&doc, "screened")["suppressed"], json!(true));
        assert_eq!(row(&doc, "screened")["value"], Value::Null);
    }
    // A viewer's period snaps to whole months (overlapping single days cannot be subtracted),
    // and too many cuts at once are refused.
    let viewer = app.token("viewer").await;
    let (s, doc) = app
        .call(
            "GET",
            &format!("{path}&from=2026-03-02&to=2026-03-02"),
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(s, 200, "{doc}");
    assert_eq!(
        doc["period"],
        json!({"from": "2026-03-01", "to": "2026-03-31"})
    );
    let (s, body) = app
        .call(
            "GET",
            &format!("{path}&by=sex,age_band,facility"),
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(
        (s.as_u16(), body["error"]["field"].clone()),
        (400, json!("by")),
        "{body}"
    );
    // Time series and cuts for a viewer: nothing between 1 and 4 anywhere.
    for by in [
        "month",
        "quarter,sex",
        "facility,month",
        "district",
        "age_band,sex",
    ] {
        let (s, doc) = app
            .call("GET", &format!("{path}&by={by}"), Some(&viewer), None)
            .await;
        assert_eq!(s, 200, "{by}: {doc}");
        for r in doc["indicators"].as_array().unwrap() {
            for field in ["numerator", "denominator", "n"] {
                if let Some(x) = r[field].as_f64() {
                    assert!(x == 0.0 || x >= 5.0, "{by}: {field} {x} of {}", r["code"]);
                }
            }
        }
    }
    // The manager's period is exactly as asked.
    let manager = app.token("manager").await;
    let (_, doc) = app
        .call(
            "GET",
            &format!("{path}&from=2026-03-02&to=2026-03-02"),
            Some(&manager),
            None,
        )
        .await;
    assert_eq!(
        doc["period"],
        json!({"from": "2026-03-02", "to": "2026-03-02"})
    );
    assert_eq!(row(&doc, "screened")["numerator"], json!(3));
    // Counsellors have no indicators; another hub's staff do not see this programme.
    let token = app.token("counsellor").await;
    assert_eq!(app.call("GET", path, Some(&token), None).await.0, 403);
    let token = app.token("zw_supervisor").await;
    assert_eq!(app.call("GET", path, Some(&token), None).await.0, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cuts_periods_csv_and_bad_parameters() {
    let app = App::sqlite().await;
    screen_clients(&app, 6).await;
    let admin = app.token("admin").await;
    let (s, doc) = app
        .call(
            "GET",
            "/api/v1/indicators?programme=pmplus-2026&by=month,sex&indicator=screened,reach",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, 200, "{doc}");
    assert_eq!(doc["by"], json!(["month", "sex"]));
    let screened: Vec<&Value> = doc["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["code"] == "screened" && r["numerator"].as_f64().is_some_and(|x| x > 0.0))
        .collect();
    assert_eq!(screened.len(), 1, "{doc}");
    assert_eq!(screened[0]["by"]["month"]["key"], "2026-03");
    assert_eq!(screened[0]["by"]["sex"]["key"], "female");
    assert_eq!(screened[0]["numerator"], 6);
    // A period that leaves the screenings out.
    let (_, doc) = app
        .call(
            "GET",
            "/api/v1/indicators?programme=pmplus-2026&from=2026-04-01&to=2026-04-30&indicator=screened",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(row(&doc, "screened")["numerator"], 0);
    // CSV.
    let bearer = format!("Bearer {admin}");
    let page = app
        .send(
            "GET",
            "/api/v1/indicators?programme=pmplus-2026&format=csv&indicator=screened",
            &[("authorization", bearer.as_str())],
            "",
        )
        .await;
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").starts_with("text/csv"));
    assert!(page.body.starts_with("code,label"), "{}", page.body);
    // Bad parameters name the parameter.
    for (query, field) in [
        ("by=weekday", "by"),
        ("from=2026-13-01", "from"),
        ("from=2026-05-01&to=2026-04-01", "from"),
        ("indicator=nope", "indicator"),
        ("reliability=1.5", "reliability"),
        ("format=xml", "format"),
    ] {
        let (s, body) = app
            .call(
                "GET",
                &format!("/api/v1/indicators?{query}"),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(s, 400, "{query}: {body}");
        assert_eq!(body["error"]["field"], field, "{query}: {body}");
    }
    let (s, _) = app
        .call(
            "GET",
            "/api/v1/indicators?programme=no-such",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_synced_record_shows_in_the_next_request() {
    let app = App::sqlite().await;
    let admin = app.token("admin").await;
    let path = "/api/v1/indicators?programme=pmplus-2026&indicator=screened";
    let (_, doc) = app.call("GET", path, Some(&admin), None).await;
    assert_eq!(row(&doc, "screened")["numerator"], 0);
    screen_clients(&app, 1).await;
    let (_, doc) = app.call("GET", path, Some(&admin), None).await;
    assert_eq!(row(&doc, "screened")["numerator"], 1);
}

/// Issue 8's attack went through `/summary`: overlapping single-day periods. A viewer's
/// period there is whole months too, so any day of March gives March.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn summary_periods_are_whole_months_for_viewers() {
    let app = App::sqlite().await;
    screen_clients(&app, 6).await;
    let viewer = app.token("viewer").await;
    let month = app
        .call(
            "GET",
            "/api/v1/summary?from=2026-03-01&to=2026-03-31",
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(month.0, 200);
    assert!(!month.1["items"].as_array().unwrap().is_empty());
    for (from, to) in [
        ("2026-03-20", "2026-03-20"),
        ("2026-03-02", "2026-03-02"),
        ("2026-03-03", "2026-03-31"),
    ] {
        let day = app
            .call(
                "GET",
                &format!("/api/v1/summary?from={from}&to={to}"),
                Some(&viewer),
                None,
            )
            .await;
        assert_eq!(day, month, "{from}..{to}");
    }
    // A manager keeps day precision: a day without records is empty.
    let manager = app.token("manager").await;
    let (_, day) = app
        .call(
            "GET",
            "/api/v1/summary?from=2026-03-20&to=2026-03-20",
            Some(&manager),
            None,
        )
        .await;
    assert!(day["items"].as_array().unwrap().is_empty(), "{day}");
}
