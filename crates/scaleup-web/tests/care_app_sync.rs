//! The server side of the counsellor's offline forms, over HTTP: what `POST /api/v1/sync`
//! answers for each record (the server's score, the alerts raised, the protocol's rejections)
//! and what `GET /api/v1/caseload` says comes next, with the real catalogue (PM+ individual).

mod common;

use common::{App, rec, uuid};
use serde_json::{Value, json};

fn day(offset: i64) -> String {
    let d = time::OffsetDateTime::now_utc().date() + time::Duration::days(offset);
    format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
}

/// Checks `value` against a schema of the API's own OpenAPI document, as far as the counsellor's
/// app relies on it: every key documented, every required key present, types of leaves, and
/// enums; recursing through `$ref`, arrays and objects. Returns the problems found.
fn conforms(doc: &Value, schema: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        let target = &doc["components"]["schemas"][name];
        assert!(target.is_object(), "{r} does not resolve");
        return conforms(doc, target, value, at, problems);
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let fits = types.is_empty()
        || types.contains(&kind)
        || (kind == "integer" && types.contains(&"number"));
    if !fits {
        problems.push(format!("{at}: {kind}, documented as {types:?}"));
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        problems.push(format!("{at}: {value} is not in the documented enum"));
    }
    match value {
        Value::Object(map) if schema["properties"].is_object() => {
            for key in map.keys() {
                match schema["properties"].get(key) {
                    Some(sub) => conforms(doc, sub, &map[key], &format!("{at}.{key}"), problems),
                    None => problems.push(format!("{at}.{key}: not documented")),
                }
            }
            for required in schema["required"].as_array().into_iter().flatten() {
                if !map.contains_key(required.as_str().unwrap_or_default()) {
                    problems.push(format!("{at}: {required} is required but missing"));
                }
            }
        }
        Value::Array(items) if schema["items"].is_object() => {
            for (i, item) in items.iter().enumerate() {
                conforms(doc, &schema["items"], item, &format!("{at}.{i}"), problems);
            }
        }
        _ => {}
    }
}

/// The success schema `GET /openapi.json` documents for a route.
async fn documented(app: &App, method: &str, path: &str) -> (Value, Value) {
    let (_, doc) = app.call("GET", "/api/v1/openapi.json", None, None).await;
    let schema =
        doc["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
            .clone();
    assert!(
        schema["$ref"].is_string(),
        "{method} {path} documents no response schema"
    );
    (doc, schema)
}

fn phq9(client: &str, occasion: &str, on: &str, responses: Value) -> Value {
    json!({"client_id": client, "instrument": "phq9", "occasion": occasion, "administered_on": on, "responses": responses})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_answers_with_the_servers_verdict_and_the_protocols_rules() {
    let app = App::with_catalog_rules().await;
    let f = &app.fixture;
    let token = app.token("counsellor").await;
    let (doc, sync_schema) = documented(&app, "post", "/sync").await;
    let push = |records: Vec<Value>| {
        let token = token.clone();
        let (app, doc, sync_schema) = (&app, &doc, &sync_schema);
        async move {
            let (s, body) = app
                .call(
                    "POST",
                    "/api/v1/sync",
                    Some(&token),
                    Some(json!({"device_id": "tablet-7", "records": records})),
                )
                .await;
            assert_eq!(s, 200, "{body}");
            let mut problems = Vec::new();
            conforms(doc, sync_schema, &body, "body", &mut problems);
            assert!(problems.is_empty(), "undocumented response: {problems:?}");
            body["acks"].as_array().unwrap().clone()
        }
    };
    let rejected = |ack: &Value, field: &str| -> String {
        assert_eq!(ack["status"], "rejected", "{ack}");
        assert_eq!(ack["error"]["field"], field, "{ack}");
        ack["error"]["message"].as_str().unwrap().to_string()
    };
    let client = uuid();
    let episode = uuid();
    // An incomplete screening (item 1 unanswered) with the risk item positive: no total, but the
    // red flag, its alert, and the protocol's exclusion all stand.
    let mut incomplete = json!({"2": 1, "3": 1, "4": 0, "5": 0, "6": 0, "7": 0, "8": 0, "9": 1});
    incomplete["1"] = Value::Null;
    let acks = push(vec![
        rec("client", &client, None, json!({"programme_id": f.programme_id, "facility_id": f.facility_id, "registered_on": day(-3), "sex": "female"})),
        rec("assessment", &uuid(), None, phq9(&client, "screening", &day(-3), incomplete)),
        rec("episode", &episode, None, json!({"client_id": client, "programme_id": f.programme_id, "enrolled_on": day(-2)})),
    ])
    .await;
    assert_eq!(
        acks[1]["score"],
        json!({"instrument": "phq9", "instrument_version": "1", "total": null, "band": null,
               "band_label": null, "positive": null,
               "risk_flags": [{"rule_id": "item9_positive", "level": "urgent"}]})
    );
    let alerts = acks[1]["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(
        (&alerts[0]["rule_id"], &alerts[0]["level"]),
        (&json!("phq9.item9_positive"), &json!("urgent"))
    );
    assert!(alerts[0]["id"].is_string() && alerts[0]["due_at"].is_string());
    assert!(acks[0].get("score").is_none() && acks[0].get("alerts").is_none());
    assert_eq!(
        rejected(&acks[2], "data.client_id"),
        "enrolment is blocked by the protocol's exclusion suicide_risk (refer): the latest phq9 \
         screening raised item9_positive; record a referral instead"
    );

    // The risk assessed and resolved: a clean baseline (total 12) lifts the block.
    let baseline = json!({"1": 2, "2": 2, "3": 2, "4": 2, "5": 1, "6": 1, "7": 1, "8": 1, "9": 0});
    let acks = push(vec![
        rec(
            "assessment",
            &uuid(),
            None,
            phq9(&client, "baseline", &day(-2), baseline),
        ),
        rec(
            "episode",
            &episode,
            None,
            json!({"client_id": client, "programme_id": f.programme_id, "enrolled_on": day(-2)}),
        ),
    ])
    .await;
    assert_eq!(
        acks[0]["score"],
        json!({"instrument": "phq9", "instrument_version": "1", "total": 12.0, "band": "moderate",
               "band_label": "Moderate", "positive": true, "risk_flags": []})
    );
    assert!(acks[0].get("alerts").is_none());
    assert_eq!(acks[1]["status"], "created", "{}", acks[1]);

    // What the protocol and the calendar forbid, each rejected alone with its field.
    let session = |on: String, components: Value| json!({"client_id": client, "episode_id": episode, "number": 1, "on": on, "attended": true, "modality": "individual", "components": components});
    let mut versioned = phq9(&client, "screening", &day(-1), json!({"1": 0}));
    versioned["instrument_version"] = json!("9");
    let far_ahead = (time::OffsetDateTime::now_utc() + time::Duration::days(3))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let mut clock_ahead = rec(
        "consent",
        &uuid(),
        None,
        json!({"client_id": client, "scope": "treatment", "given": true, "on": day(0)}),
    );
    clock_ahead["device_time"] = json!(far_ahead);
    let acks = push(vec![
        rec(
            "session",
            &uuid(),
            None,
            session(day(-1), json!(["psychoeducation", "relapse_prevention"])),
        ),
        rec("session", &uuid(), None, session(day(5), json!([]))),
        rec("assessment", &uuid(), None, versioned),
        clock_ahead,
        rec(
            "session",
            &uuid(),
            None,
            session(day(0), json!(["assessment", "psychoeducation"])),
        ),
    ])
    .await;
    let message = rejected(&acks[0], "data.components.1");
    assert!(
        message.starts_with("is not a component of protocol pm_plus_individual; allowed: assessment, psychoeducation"),
        "{message}"
    );
    assert_eq!(rejected(&acks[1], "data.on"), "must not be in the future");
    assert!(!rejected(&acks[1], "data.on").contains(&day(5)));
    assert_eq!(
        rejected(&acks[2], "data.instrument_version"),
        "is not a version of phq9 in the catalogue; known: 1"
    );
    rejected(&acks[3], "device_time");
    assert_eq!(acks[4]["status"], "created", "{}", acks[4]);

    // The caseload says what comes next: session 2, a week after session 1.
    let (s, caseload) = app
        .call("GET", "/api/v1/caseload", Some(&token), None)
        .await;
    assert_eq!(s, 200);
    let (doc, schema) = documented(&app, "get", "/caseload").await;
    let mut problems = Vec::new();
    conforms(&doc, &schema, &caseload, "body", &mut problems);
    assert!(problems.is_empty(), "undocumented response: {problems:?}");
    let entry = caseload["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["client_id"] == *client.as_str())
        .unwrap();
    assert_eq!(
        entry["next_session"],
        json!({"number": 2, "due_on": day(7), "status": "upcoming", "components": ["managing_stress", "managing_problems"]})
    );
    assert_eq!(entry["protocol"], "pm_plus_individual");
    assert_eq!(entry["flags"], json!(["risk"]));
}
