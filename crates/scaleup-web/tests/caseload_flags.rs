//! Supervision flags follow the programme's protocol (PM+ individual: PHQ-9, from session 3,
//! at least a 50 % reduction from baseline; a session more than 7 days overdue is flagged).

mod common;

use common::{App, rec, uuid};
use serde_json::{Value, json};

fn phq9(
    client: &str,
    episode: &str,
    occasion: &str,
    session: Option<u32>,
    on: &str,
    item: u32,
    item9: u32,
) -> Value {
    let mut responses = serde_json::Map::new();
    for i in 1..=8 {
        responses.insert(i.to_string(), json!(item));
    }
    responses.insert("9".into(), json!(item9));
    let mut d = json!({"client_id": client, "episode_id": episode, "instrument": "phq9", "occasion": occasion, "administered_on": on, "responses": responses});
    if let Some(s) = session {
        d["session_number"] = json!(s);
    }
    d
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flags_come_from_the_protocol_rules() {
    let app = App::with_catalog_rules().await;
    let f = &app.fixture;
    let token = app.token("counsellor").await;
    let today = time::OffsetDateTime::now_utc().date();
    let day = |offset: i64| {
        let d = today - time::Duration::days(offset);
        format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
    };
    let mut records = Vec::new();
    let mut clients = Vec::new();
    // improving: baseline 16 -> session 3 total 8 (50 % reduction); stuck: 16 -> 16; at_risk: item 9.
    for (name, session3_item, item9) in [("improving", 1, 0), ("stuck", 2, 0), ("at_risk", 0, 1)] {
        let client = uuid();
        let episode = uuid();
        clients.push((name, client.clone()));
        records.push(rec("client", &client, None, json!({"programme_id": f.programme_id, "facility_id": f.facility_id, "registered_on": day(40), "sex": "female"})));
        records.push(rec(
            "episode",
            &episode,
            None,
            json!({"client_id": client, "programme_id": f.programme_id, "enrolled_on": day(40)}),
        ));
        records.push(rec(
            "assessment",
            &uuid(),
            None,
            phq9(&client, &episode, "baseline", None, &day(40), 2, 0),
        ));
        for n in 1..=3u32 {
            records.push(rec("session", &uuid(), None, json!({"client_id": client, "episode_id": episode, "number": n, "on": day(40 - 7 * n as i64), "attended": true, "duration_minutes": 90, "modality": "individual", "components": []})));
        }
        records.push(rec(
            "assessment",
            &uuid(),
            None,
            phq9(
                &client,
                &episode,
                "session",
                Some(3),
                &day(19),
                session3_item,
                item9,
            ),
        ));
    }
    let (s, body) = app
        .call(
            "POST",
            "/api/v1/sync",
            Some(&token),
            Some(json!({"device_id": "p", "records": records})),
        )
        .await;
    assert_eq!(s, 200);
    assert!(
        body["acks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["status"] == "created"),
        "{body}"
    );

    let sup = app.token("supervisor").await;
    let (s, caseload) = app.call("GET", "/api/v1/caseload", Some(&sup), None).await;
    assert_eq!(s, 200);
    let flags = |name: &str| -> Vec<String> {
        let id = &clients.iter().find(|(n, _)| *n == name).unwrap().1;
        let c = caseload["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["client_id"] == *id.as_str())
            .unwrap();
        assert_eq!(c["protocol"], "pm_plus_individual");
        c["flags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap().to_string())
            .collect()
    };
    // Last session was 19 days ago; the next was due 12 days ago: more than 7 days overdue.
    assert_eq!(flags("improving"), vec!["overdue"]);
    assert_eq!(flags("stuck"), vec!["overdue", "no_improvement"]);
    assert_eq!(flags("at_risk"), vec!["risk", "overdue"]);

    // Pages over HTTP: one client a page, each page flagged, the cursor walks to the end.
    assert_eq!(caseload["next_cursor"], Value::Null);
    let mut seen = Vec::new();
    let mut path = "/api/v1/caseload?limit=1".to_string();
    loop {
        let (s, page) = app.call("GET", &path, Some(&sup), None).await;
        assert_eq!(s, 200, "{page}");
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        assert!(page["items"][0]["flags"].is_array());
        seen.push(page["items"][0]["client_id"].clone());
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/caseload?limit=1&cursor={c}"),
            None => break,
        }
    }
    let whole: Vec<Value> = caseload["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["client_id"].clone())
        .collect();
    assert_eq!(seen, whole);
    for (bad, field) in [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("cursor=not-a-uuid", "cursor"),
        ("page=2", ""),
    ] {
        let (s, body) = app
            .call("GET", &format!("/api/v1/caseload?{bad}"), Some(&sup), None)
            .await;
        assert_eq!(s, 400, "{bad}: {body}");
        if !field.is_empty() {
            assert_eq!(body["error"]["field"], field, "{bad}: {body}");
        }
    }
}
