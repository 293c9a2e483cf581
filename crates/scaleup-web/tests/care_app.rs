//! The supervisor part of the care app over HTTP: acknowledging risk alerts with several actions
//! and a note, follow-ups and an alert's history, supervision safety flags, delivery status of
//! notifications, and the staff settings notifications need.

mod common;

use common::{App, rec, uuid};
use serde_json::{Value, json};

/// A client of the fixture counsellor with `alerts` positive PHQ-9 item 9 answers; returns the
/// client id and the alert ids, newest first.
async fn client_with_alerts(app: &App, alerts: usize) -> (String, Vec<String>) {
    let f = &app.fixture;
    let counsellor = app.token("counsellor").await;
    let client = uuid();
    let mut records = vec![rec(
        "client",
        &client,
        None,
        json!({"programme_id": f.programme_id, "facility_id": f.facility_id, "registered_on": "2026-03-01", "sex": "female"}),
    )];
    for _ in 0..alerts {
        records.push(rec("assessment", &uuid(), None, json!({"client_id": client, "instrument": "phq9", "occasion": "baseline", "administered_on": "2026-03-01", "responses": {"9": 3}})));
    }
    let (s, body) = app
        .call(
            "POST",
            "/api/v1/sync",
            Some(&counsellor),
            Some(json!({"device_id": "phone", "records": records})),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let supervisor = app.token("supervisor").await;
    let (_, list) = app
        .call("GET", "/api/v1/alerts", Some(&supervisor), None)
        .await;
    let ids = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    (client, ids)
}

fn error_of(body: &Value) -> (&str, &str) {
    (
        body["error"]["field"].as_str().unwrap_or(""),
        body["error"]["message"].as_str().unwrap_or(""),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledging_takes_several_actions_and_a_note_or_the_single_action_of_before() {
    let app = App::sqlite().await;
    let (_, alerts) = client_with_alerts(&app, 2).await;
    let supervisor = app.token("supervisor").await;
    let ack = |id: &str| format!("/api/v1/alerts/{id}/acknowledge");
    let post = |path: String, body: Value| {
        let app = &app;
        let token = supervisor.clone();
        async move { app.call("POST", &path, Some(&token), Some(body)).await }
    };
    // Bad bodies: 400 naming the field, enums listing the allowed values, nothing written.
    let allowed = scaleup_storage::ALERT_ACTIONS.join(", ");
    for (body, field, listing) in [
        (
            json!({"actions": ["contacted_client"], "action": "home_visit"}),
            "action",
            false,
        ),
        (json!({"action": "prayed"}), "action", true),
        (
            json!({"actions": ["home_visit", "prayed"]}),
            "actions.1",
            true,
        ),
        (json!({"actions": []}), "actions", true),
        (json!({}), "actions", true),
        (
            json!({"actions": ["home_visit", "home_visit"]}),
            "actions.1",
            false,
        ),
        (
            json!({"actions": ["home_visit"], "note": "n".repeat(2001)}),
            "note",
            false,
        ),
        (
            json!({"actions": ["home_visit"], "colour": "red"}),
            "colour",
            false,
        ),
        (json!({"actions": "home_visit"}), "actions", false),
    ] {
        let (s, err) = post(ack(&alerts[0]), body.clone()).await;
        assert_eq!(s, 400, "{body}: {err}");
        assert_eq!(error_of(&err).0, field, "{body}: {err}");
        if listing {
            assert!(error_of(&err).1.contains(&allowed), "{body}: {err}");
        }
    }
    let (_, detail) = app
        .call(
            "GET",
            &format!("/api/v1/alerts/{}", alerts[0]),
            Some(&supervisor),
            None,
        )
        .await;
    assert_eq!(detail["alert"]["status"], "open");
    assert_eq!(detail["history"], json!([]));

    let (s, acked) = post(
        ack(&alerts[0]),
        json!({"actions": ["contacted_client", "safety_plan_made"], "note": "She agreed a safety plan with her sister."}),
    )
    .await;
    assert_eq!(s, 200, "{acked}");
    assert_eq!(acked["status"], "acknowledged");
    assert_eq!(acked["action"], "contacted_client");
    assert_eq!(
        acked["actions"],
        json!(["contacted_client", "safety_plan_made"])
    );
    assert!(acked.get("note").is_none(), "the alert row carries no note");
    let (s, again) = post(ack(&alerts[0]), json!({"actions": ["home_visit"]})).await;
    assert_eq!(
        (s.as_u16(), again["error"]["code"].as_str()),
        (409, Some("conflict"))
    );
    // The single action of before still works.
    let (s, old) = post(ack(&alerts[1]), json!({"action": "home_visit"})).await;
    assert_eq!(s, 200, "{old}");
    assert_eq!(
        (old["action"].clone(), old["actions"].clone()),
        (json!("home_visit"), json!(["home_visit"]))
    );

    // Follow-ups: 201 with the entry; an action or a note is needed.
    let follow = |id: &str| format!("/api/v1/alerts/{id}/follow-ups");
    let (s, err) = post(follow(&alerts[0]), json!({"note": "  "})).await;
    assert_eq!((s.as_u16(), error_of(&err).0), (400, "actions"));
    let (s, added) = post(
        follow(&alerts[0]),
        json!({"actions": ["visited_with_counsellor"], "note": "Home visit with the counsellor."}),
    )
    .await;
    assert_eq!(s, 201, "{added}");
    assert_eq!(
        (
            added["kind"].as_str(),
            added["by_name"].as_str(),
            added["by_user_id"].as_str(),
            added["note"].as_str()
        ),
        (
            Some("follow_up"),
            Some("supervisor"),
            Some(app.fixture.supervisor.id.as_str()),
            Some("Home visit with the counsellor.")
        )
    );
    for key in ["id", "actions", "at"] {
        assert!(added.get(key).is_some(), "{key}: {added}");
    }

    let (s, detail) = app
        .call(
            "GET",
            &format!("/api/v1/alerts/{}", alerts[0]),
            Some(&supervisor),
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(detail["alert"]["id"], alerts[0].as_str());
    let history = detail["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["kind"], "acknowledge");
    assert_eq!(
        history[0]["note"],
        "She agreed a safety plan with her sister."
    );
    assert_eq!(history[1]["kind"], "follow_up");
    // To a supervisor who is not the alert's, and for ids that are not alerts, nothing exists.
    let other = app.token("supervisor_b").await;
    for (token, id) in [
        (&other, alerts[0].clone()),
        (&supervisor, uuid()),
        (&supervisor, "x".into()),
    ] {
        for (method, path, body) in [
            ("GET", format!("/api/v1/alerts/{id}"), None),
            ("POST", follow(&id), Some(json!({"note": "x"}))),
            ("POST", ack(&id), Some(json!({"actions": ["home_visit"]}))),
        ] {
            let (s, _) = app.call(method, &path, Some(token), body).await;
            assert_eq!(s, 404, "{method} {path}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_harmful_competency_rating_reaches_the_hub_lead_who_acknowledges_it() {
    // The real catalogue: its ENACT/EQUIP framework decides which level is harmful.
    let app = App::with_catalog_rules().await;
    let f = &app.fixture;
    let supervisor = app.token("supervisor").await;
    let manager = app.token("manager").await;
    let rating = |levels: Value| {
        json!({"counsellor_id": f.counsellor.id, "assessor_id": f.supervisor.id, "on": "2026-03-02",
               "tool": "enact_equip", "method": "observed_session", "levels": levels})
    };
    let harmful = uuid();
    let (s, body) = app
        .call("POST", "/api/v1/sync", Some(&supervisor), Some(json!({"device_id": "tablet", "records": [
            rec("competency_assessment", &uuid(), None, rating(json!({"1": 2, "2": 4}))),
            rec("competency_assessment", &harmful, None, rating(json!({"1": 3, "7": 1, "12": 1}))),
        ]})))
        .await;
    assert_eq!(s, 200, "{body}");
    let (s, page) = app
        .call(
            "GET",
            "/api/v1/safety-flags?status=open",
            Some(&manager),
            None,
        )
        .await;
    assert_eq!(s, 200, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let flag = &items[0];
    assert_eq!(flag["record_id"], harmful.as_str());
    assert_eq!(flag["counsellor_id"], f.counsellor.id.as_str());
    assert_eq!(flag["rule"], "competency.harmful");
    assert_eq!(flag["competencies"], json!(["12", "7"]));
    assert_eq!(flag["status"], "open");
    assert!(page["next_cursor"].is_null());
    let id = flag["id"].as_str().unwrap().to_string();
    // Query errors name the parameter and list the allowed values.
    let (s, err) = app
        .call(
            "GET",
            "/api/v1/safety-flags?status=closed",
            Some(&manager),
            None,
        )
        .await;
    assert_eq!(
        (s.as_u16(), error_of(&err)),
        (400, ("status", "must be one of: open, acknowledged"))
    );
    let (s, err) = app
        .call("GET", "/api/v1/safety-flags?limit=0", Some(&manager), None)
        .await;
    assert_eq!((s.as_u16(), error_of(&err).0), (400, "limit"));
    let counsellor = app.token("counsellor").await;
    let (s, _) = app
        .call("GET", "/api/v1/safety-flags", Some(&counsellor), None)
        .await;
    assert_eq!(s, 403);
    // The hub's clinical lead acknowledges; the rater may not.
    let path = format!("/api/v1/safety-flags/{id}/acknowledge");
    let (s, _) = app
        .call("POST", &path, Some(&supervisor), Some(json!({})))
        .await;
    assert_eq!(s, 403);
    let (s, err) = app
        .call("POST", &path, Some(&manager), Some(json!({"note": 7})))
        .await;
    assert_eq!((s.as_u16(), error_of(&err).0), (400, "note"));
    let (s, acked) = app
        .call(
            "POST",
            &path,
            Some(&manager),
            Some(json!({"note": "Retraining on competency 7 booked."})),
        )
        .await;
    assert_eq!(s, 200, "{acked}");
    assert_eq!(
        (acked["status"].as_str(), acked["note"].as_str()),
        (
            Some("acknowledged"),
            Some("Retraining on competency 7 booked.")
        )
    );
    let (s, _) = app
        .call("POST", &path, Some(&manager), Some(json!({})))
        .await;
    assert_eq!(s, 409);
    let (_, mine) = app
        .call(
            "GET",
            "/api/v1/safety-flags?status=acknowledged",
            Some(&supervisor),
            None,
        )
        .await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_settings_and_the_delivery_status_of_notifications() {
    let app = App::sqlite().await;
    let f = &app.fixture;
    let admin = app.token("admin").await;
    let user = |username: &str, extra: Value| {
        let mut body = json!({"username": username, "display_name": "Njeri", "password": "a long enough password",
            "role": "supervisor", "hub_id": f.hub_id});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let (s, created) = app
        .call(
            "POST",
            "/api/v1/users",
            Some(&admin),
            Some(user(
                "njeri",
                json!({"language": "sw", "notify_address": "tel:+254722000000"}),
            )),
        )
        .await;
    assert_eq!(s, 201, "{created}");
    assert_eq!(
        (
            created["language"].as_str(),
            created["notify_address"].as_str()
        ),
        (Some("sw"), Some("tel:+254722000000"))
    );
    let (s, err) = app
        .call(
            "POST",
            "/api/v1/users",
            Some(&admin),
            Some(user("njeri2", json!({"language": "de"}))),
        )
        .await;
    assert_eq!(
        (s.as_u16(), error_of(&err)),
        (400, ("language", "must be one of: en, fr, pt, es, sw, hi"))
    );
    let (s, err) = app
        .call(
            "POST",
            "/api/v1/users",
            Some(&admin),
            Some(user("njeri3", json!({"notify_address": "0722 000 000"}))),
        )
        .await;
    assert_eq!((s.as_u16(), error_of(&err).0), (400, "notify_address"));
    assert!(!error_of(&err).1.contains("0722"), "never echoes the value");

    // An alert raised writes a notification; its delivery status is for admins and managers.
    let (client, alerts) = client_with_alerts(&app, 1).await;
    let manager = app.token("manager").await;
    let (s, page) = app
        .call(
            "GET",
            "/api/v1/notifications?status=pending",
            Some(&manager),
            None,
        )
        .await;
    assert_eq!(s, 200, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let n = &items[0];
    assert_eq!(
        (
            n["event"].as_str(),
            n["subject_id"].as_str(),
            n["recipient_user_id"].as_str(),
            n["status"].as_str(),
            n["attempts"].as_i64()
        ),
        (
            Some("risk_alert.raised"),
            Some(alerts[0].as_str()),
            Some(f.supervisor.id.as_str()),
            Some("pending"),
            Some(0)
        )
    );
    assert_eq!(n["body"]["hub"], "ke-pmplus");
    assert!(!n["body"].to_string().contains(&client));
    let (s, err) = app
        .call(
            "GET",
            "/api/v1/notifications?status=lost",
            Some(&manager),
            None,
        )
        .await;
    assert_eq!(
        (s.as_u16(), error_of(&err)),
        (400, ("status", "must be one of: pending, sent, failed"))
    );
    let supervisor = app.token("supervisor").await;
    let (s, _) = app
        .call("GET", "/api/v1/notifications", Some(&supervisor), None)
        .await;
    assert_eq!(s, 403);
}
