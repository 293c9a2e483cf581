//! The web pages and what the browser brings into play (issue "Care app", Security): refused
//! cross-site requests, form tokens, security headers, cookie lifetime, sign-in by role, and
//! the supervisor's acknowledgement, supervision log and competency rating working end to end
//! through the pages, in-process.

mod common;

use axum::http::StatusCode;
use common::{App, form_token, rec, uuid};
use serde_json::json;

const SAME_SITE: (&str, &str) = ("sec-fetch-site", "same-origin");
const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

/// The reproduction from the issue: a cross-site `text/plain` POST carrying an admin's cookie
/// created an admin account. Every variant of it is refused and nothing is created.
#[tokio::test]
async fn a_cross_site_request_with_an_admins_cookie_creates_nothing() {
    let app = App::sqlite().await;
    let cookie = app.browser_session("admin").await;
    let body = json!({"username": "intruder", "display_name": "x", "password": "correct horse battery", "role": "admin"}).to_string();
    let attempts: Vec<Vec<(&str, &str)>> = vec![
        vec![
            ("cookie", &cookie),
            ("content-type", "text/plain"),
            ("origin", "https://evil.example"),
            ("host", "127.0.0.1:8080"),
        ],
        vec![
            ("cookie", &cookie),
            ("content-type", "text/plain"),
            ("sec-fetch-site", "cross-site"),
        ],
        vec![
            ("cookie", &cookie),
            ("content-type", "application/json"),
            ("sec-fetch-site", "same-site"),
        ],
        // No browser labels at all, but a browser's cookie: not one of our pages.
        vec![("cookie", &cookie), ("content-type", "text/plain")],
    ];
    for headers in &attempts {
        let res = app.send("POST", "/api/v1/users", headers, &body).await;
        assert_eq!(
            res.status,
            StatusCode::FORBIDDEN,
            "{headers:?}: {}",
            res.body
        );
    }
    // From our own page, but not JSON: refused as well (a form cannot send application/json).
    let res = app
        .send(
            "POST",
            "/api/v1/users",
            &[
                ("cookie", &cookie),
                ("content-type", "text/plain"),
                SAME_SITE,
            ],
            &body,
        )
        .await;
    assert_eq!(res.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let token = app.token("admin").await;
    let (_, users) = app.call("GET", "/api/v1/users", Some(&token), None).await;
    assert!(
        !users["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["username"] == "intruder"),
        "no account was created"
    );
    // The app's own JSON request works.
    let res = app
        .send(
            "POST",
            "/api/v1/users",
            &[
                ("cookie", &cookie),
                ("content-type", "application/json"),
                SAME_SITE,
            ],
            &body.replace("admin\"}", "viewer\"}"),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    // Programs with a bearer token are not browsers and are not affected.
    let res = app
        .send(
            "POST",
            "/api/v1/auth/login",
            &[("content-type", "application/json")],
            &json!({"username": "admin", "password": scaleup_storage::testing::FIXTURE_PASSWORD})
                .to_string(),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
}

#[tokio::test]
async fn forms_need_the_sessions_token() {
    let app = App::sqlite().await;
    let cookie = app.browser_session("supervisor").await;
    let res = app
        .send(
            "POST",
            "/logout",
            &[("cookie", &cookie), FORM, SAME_SITE],
            "_csrf=forged",
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let still = app
        .send("GET", "/supervise", &[("cookie", &cookie)], "")
        .await;
    assert_eq!(
        still.status,
        StatusCode::OK,
        "the session survived the forged sign-out"
    );
    let res = app
        .send(
            "POST",
            "/logout",
            &[("cookie", &cookie), FORM, SAME_SITE],
            &format!("_csrf={}", form_token(&cookie)),
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let gone = app
        .send("GET", "/supervise", &[("cookie", &cookie)], "")
        .await;
    assert_eq!(
        (gone.status, gone.header("location")),
        (StatusCode::SEE_OTHER, "/")
    );
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = App::sqlite().await;
    let cookie = app.browser_session("counsellor").await;
    for (method, path) in [
        ("GET", "/"),
        ("GET", "/app/en/"),
        ("GET", "/app/sw.js"),
        ("GET", "/static/app.css"),
        ("GET", "/api/v1/health"),
        ("GET", "/no/such/page"),
        ("POST", "/api/v1/sync"),
    ] {
        let res = app
            .send(method, path, &[("cookie", &cookie), SAME_SITE], "")
            .await;
        let csp = res.header("content-security-policy");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert_eq!(res.header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(res.header("referrer-policy"), "no-referrer", "{path}");
        assert_eq!(
            res.header("strict-transport-security"),
            "",
            "no HSTS without TLS"
        );
    }
    // No page contains an inline script: the CSP would block it, so it would be a dead feature.
    let shell = app.send("GET", "/app/en/", &[], "").await;
    for script in shell.body.split("<script").skip(1) {
        assert!(
            script.starts_with(" type=\"module\" src=")
                || script.starts_with(" type=\"application/json\""),
            "inline script: {script:.80}"
        );
    }
}

#[tokio::test]
async fn hsts_is_sent_behind_tls() {
    let app = App::sqlite_with(|state| state.secure_cookies = true).await;
    let res = app.send("GET", "/", &[], "").await;
    assert!(
        res.header("strict-transport-security")
            .contains("max-age=31536000")
    );
}

#[tokio::test]
async fn signing_in_sets_a_cookie_that_lives_exactly_as_long_as_the_session() {
    let app = App::sqlite().await;
    let res = app
        .send(
            "POST",
            "/login",
            &[FORM, SAME_SITE],
            &format!(
                "username=counsellor&password={}",
                scaleup_storage::testing::FIXTURE_PASSWORD.replace(' ', "+")
            ),
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(res.header("location"), "/app/en/");
    let cookie = res.header("set-cookie").to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let max_age: i64 = cookie
        .split("Max-Age=")
        .nth(1)
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let row = sqlx::query("SELECT expires_at FROM auth_sessions WHERE kind = 'cookie'")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    let expires: String = sqlx::Row::try_get(&row, "expires_at").unwrap();
    let expires =
        time::OffsetDateTime::parse(&expires, &time::format_description::well_known::Rfc3339)
            .unwrap();
    let left = (expires - time::OffsetDateTime::now_utc()).whole_seconds();
    assert!(
        (left - max_age).abs() <= 5,
        "cookie {max_age} s, session {left} s"
    );
    // A wrong password shows the form again with the reason, in the browser's language.
    let res = app
        .send(
            "POST",
            "/login",
            &[FORM, SAME_SITE, ("accept-language", "fr-FR,fr;q=0.9")],
            "username=counsellor&password=wrong",
        )
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert!(res.body.contains("lang=\"fr\""), "the page is in French");
    assert!(res.body.contains("role=\"alert\""));
}

#[tokio::test]
async fn each_role_starts_on_its_own_page() {
    let app = App::sqlite().await;
    let login = |user: &'static str| {
        format!(
            "username={user}&password={}",
            scaleup_storage::testing::FIXTURE_PASSWORD.replace(' ', "+")
        )
    };
    for (user, home) in [
        ("counsellor", "/app/en/"),
        ("supervisor", "/supervise"),
        ("manager", "/hub"),
        ("researcher", "/?home"),
    ] {
        let res = app
            .send("POST", "/login", &[FORM, SAME_SITE], &login(user))
            .await;
        assert_eq!(res.header("location"), home, "{user}");
    }
    // The sign-in page names its fields as a person reads them.
    let page = app.send("GET", "/", &[], "").await;
    for text in [
        "<label for=\"username\">Username</label>",
        "<label for=\"password\">Password</label>",
        ">Sign in</button>",
    ] {
        assert!(page.body.contains(text), "{text}");
    }
    // A counsellor cannot open the supervisor's pages.
    let cookie = app.browser_session("counsellor").await;
    let res = app
        .send("GET", "/supervise", &[("cookie", &cookie)], "")
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
}

/// The risk journey on the server side: a counsellor's PHQ-9 with item 9 positive reaches the
/// supervisor's queue; the supervisor acknowledges with two actions and a note, then adds a
/// follow-up; the alert's history shows all of it.
#[tokio::test]
async fn a_supervisor_acknowledges_an_alert_with_actions_and_a_note() {
    let app = App::sqlite().await;
    let f = &app.fixture;
    let token = app.token("counsellor").await;
    let client = uuid();
    let (status, acks) = app
        .call("POST", "/api/v1/sync", Some(&token), Some(json!({"device_id": "d", "records": [
            rec("client", &client, None, json!({"programme_id": f.programme_id, "facility_id": f.facility_id, "registered_on": "2026-03-01", "sex": "female"})),
            rec("client_identity", &uuid(), None, json!({"client_id": client, "given_name": "Zawadi"})),
            rec("assessment", &uuid(), None, json!({"client_id": client, "instrument": "phq9", "occasion": "screening", "administered_on": "2026-03-01",
                "responses": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0, "6": 0, "7": 0, "8": 0, "9": 1}})),
        ]})))
        .await;
    assert_eq!(status, StatusCode::OK, "{acks}");
    let cookie = app.browser_session("supervisor").await;
    let queue = app
        .send("GET", "/supervise", &[("cookie", &cookie)], "")
        .await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.body);
    assert!(
        queue.body.contains("Zawadi"),
        "the queue names the client for the supervisor"
    );
    assert!(queue.body.contains(">Acknowledge</a>"));
    let alert_id = queue.body.split("/supervise/alerts/").nth(1).unwrap()[..36].to_string();
    let token_field = format!("_csrf={}", form_token(&cookie));
    // No action chosen: the form comes back with the reason, nothing is recorded.
    let res = app
        .send(
            "POST",
            &format!("/supervise/alerts/{alert_id}/acknowledge"),
            &[("cookie", &cookie), FORM, SAME_SITE],
            &token_field,
        )
        .await;
    assert!(
        res.body.contains("Choose at least one action."),
        "{}",
        res.body
    );
    let body = format!(
        "{token_field}&actions=contacted_client&actions=safety_plan_made&note=Safety+plan+agreed+with+her+sister"
    );
    let res = app
        .send(
            "POST",
            &format!("/supervise/alerts/{alert_id}/acknowledge"),
            &[("cookie", &cookie), FORM, SAME_SITE],
            &body,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let res = app
        .send(
            "POST",
            &format!("/supervise/alerts/{alert_id}/follow-up"),
            &[("cookie", &cookie), FORM, SAME_SITE],
            &format!("{token_field}&actions=home_visit&note=Visited+on+Friday"),
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let page = app
        .send(
            "GET",
            &format!("/supervise/alerts/{alert_id}"),
            &[("cookie", &cookie)],
            "",
        )
        .await;
    for text in [
        "Contacted the client, Made a safety plan",
        "Safety plan agreed with her sister",
        "Home visit",
        "Visited on Friday",
        "Add a follow-up",
    ] {
        assert!(
            page.body.contains(text),
            "{text} missing from the alert page"
        );
    }
    // The counsellor's device sees the acknowledgement.
    let (_, alerts) = app.call("GET", "/api/v1/alerts", Some(&token), None).await;
    assert_eq!(alerts["items"][0]["status"], "acknowledged");
    // The note is sealed at rest.
    let rows = sqlx::query("SELECT * FROM alert_actions")
        .fetch_all(app.store.pool())
        .await
        .unwrap();
    for r in rows {
        for i in 0..sqlx::Row::len(&r) {
            if let Ok(Some(text)) = sqlx::Row::try_get::<Option<String>, _>(&r, i) {
                assert!(!text.contains("sister"), "a note in plain text at rest");
            }
        }
    }
}

#[tokio::test]
async fn the_supervision_log_keeps_notes_sealed_and_shows_them_to_their_author() {
    let app = App::sqlite().await;
    let f = &app.fixture;
    let cookie = app.browser_session("supervisor").await;
    let form = app
        .send("GET", "/supervise/sessions/new", &[("cookie", &cookie)], "")
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let body = format!(
        "_csrf={}&on=2026-03-02&minutes=90&format=group&counsellors={}&notes=Discussed+a+client+with+grief&action_points=Role-play+empathy%0ACall+hub+about+referral",
        form_token(&cookie),
        f.counsellor.id
    );
    let res = app
        .send(
            "POST",
            "/supervise/sessions/new",
            &[("cookie", &cookie), FORM, SAME_SITE],
            &body,
        )
        .await;
    assert_eq!(
        (res.status, res.header("location")),
        (StatusCode::SEE_OTHER, "/supervise/sessions/new?done"),
        "{}",
        res.body
    );
    let page = app
        .send(
            "GET",
            "/supervise/sessions/new?done",
            &[("cookie", &cookie)],
            "",
        )
        .await;
    for text in [
        "Supervision session saved.",
        "Discussed a client with grief",
        "Role-play empathy",
        "Call hub about referral",
    ] {
        assert!(page.body.contains(text), "{text}");
    }
    for table in ["records", "record_versions"] {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT payload FROM {table}")))
            .fetch_all(app.store.pool())
            .await
            .unwrap();
        for r in rows {
            let p: String = sqlx::Row::try_get(&r, "payload").unwrap();
            assert!(
                !p.contains("grief") && !p.contains("empathy"),
                "{table} holds notes in plain text"
            );
        }
    }
    // A session without counsellors is refused with the reason, on the form.
    let res = app
        .send(
            "POST",
            "/supervise/sessions/new",
            &[("cookie", &cookie), FORM, SAME_SITE],
            &format!(
                "_csrf={}&on=2026-03-02&minutes=60&format=individual",
                form_token(&cookie)
            ),
        )
        .await;
    assert!(res.body.contains("data.counsellor_ids"), "{}", res.body);
}

#[tokio::test]
async fn a_harmful_rating_reaches_the_hubs_clinical_lead() {
    let app = App::sqlite().await;
    let f = &app.fixture;
    let cookie = app.browser_session("supervisor").await;
    let form = app
        .send(
            "GET",
            &format!("/supervise/counsellors/{}/rate", f.counsellor.id),
            &[("cookie", &cookie)],
            "",
        )
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(
        form.body
            .contains("Non-verbal communication and active listening")
    );
    // Competency 1: harmful behaviour observed (level 1); 2: all basic and an advanced skill (4);
    // 3: some basic skills (2); the rest not rated.
    let body = format!(
        "_csrf={}&on=2026-03-03&method=role_play&harmful-1=yes&basic-1=all&harmful-2=no&basic-2=all&advanced-2=yes&harmful-3=no&basic-3=some&advanced-3=no",
        form_token(&cookie)
    );
    let res = app
        .send(
            "POST",
            &format!("/supervise/counsellors/{}/rate", f.counsellor.id),
            &[("cookie", &cookie), FORM, SAME_SITE],
            &body,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert!(res.header("location").ends_with("?rated=flag"));
    let row = sqlx::query("SELECT payload FROM records WHERE kind = 'competency_assessment'")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    let payload: serde_json::Value =
        serde_json::from_str(&sqlx::Row::try_get::<String, _>(&row, "payload").unwrap()).unwrap();
    assert_eq!(payload["levels"], json!({"1": 1, "2": 4, "3": 2}));
    let coaching = app
        .send("GET", res.header("location"), &[("cookie", &cookie)], "")
        .await;
    assert!(
        coaching.body.contains("supervision safety flag was sent"),
        "{}",
        coaching.body
    );
    let manager = app.browser_session("manager").await;
    let hub = app.send("GET", "/hub", &[("cookie", &manager)], "").await;
    assert!(
        hub.body.contains(&f.counsellor.display_name),
        "the hub page lists the flag: {}",
        hub.body
    );
    // Another supervisor's counsellor cannot be rated.
    let other = app.browser_session("supervisor_b").await;
    let res = app
        .send(
            "GET",
            &format!("/supervise/counsellors/{}/rate", f.counsellor.id),
            &[("cookie", &other)],
            "",
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_device_gets_definitions_without_client_data_and_the_kill_switch_keeps_records() {
    let app = App::sqlite().await;
    let cookie = app.browser_session("counsellor").await;
    let res = app
        .send("GET", "/app/defs?lang=en", &[("cookie", &cookie)], "")
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let defs: serde_json::Value = serde_json::from_str(&res.body).unwrap();
    assert_eq!(defs["programmes"][0]["protocol"], "pm_plus_individual");
    assert!(
        defs["instruments"]["phq9"]["items"]
            .as_array()
            .unwrap()
            .len()
            == 10
    );
    assert_eq!(defs["supervisor"]["name"], "supervisor");
    let unauthenticated = app.send("GET", "/app/defs", &[], "").await;
    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);
    let sw = app.send("GET", "/app/sw.js", &[], "").await;
    assert!(
        sw.body.contains("if (req.method !== 'GET') return;"),
        "the worker never handles a POST"
    );
    assert!(
        !sw.body.contains("indexedDB"),
        "the worker never touches IndexedDB"
    );
    let killed = App::sqlite_with(|state| state.ui.service_worker_disabled = true).await;
    let sw = killed.send("GET", "/app/sw.js", &[], "").await;
    assert!(sw.body.contains("unregister") && !sw.body.contains("indexedDB"));
}

/// Issue 8, where people see the indicators: the dashboard shows a programme's cascade, months,
/// subgroups and places with drill-down from region to facility; the hub's own staff see exact
/// figures and the counsellors' table, a viewer sees small counts withheld and no one's
/// performance, a counsellor is refused with a message that says what to do.
#[tokio::test]
async fn the_dashboard_drills_down_and_withholds_small_counts_from_viewers() {
    let app = App::sqlite().await;
    let f = &app.fixture;
    let token = app.token("counsellor").await;
    // 7 women enrolled, 2 men enrolled, all eligible, at the fixture's facility.
    let mut records = Vec::new();
    for i in 0..9 {
        let client = uuid();
        let sex = if i < 7 { "female" } else { "male" };
        records.push(rec("client", &client, None, json!({"programme_id": f.programme_id, "facility_id": f.facility_id, "registered_on": "2026-03-01", "sex": sex})));
        records.push(rec("eligibility", &uuid(), None, json!({"client_id": client, "decided_on": "2026-03-01", "eligible": true, "offered": true, "accepted": true})));
        records.push(rec("episode", &uuid(), None, json!({"client_id": client, "programme_id": f.programme_id, "enrolled_on": "2026-03-02"})));
    }
    let (status, acks) = app
        .call(
            "POST",
            "/api/v1/sync",
            Some(&token),
            Some(json!({"device_id": "d", "records": records})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{acks}");
    // The fixture's programme (testing::Fixture).
    let code = "pmplus-2026";

    let manager = app.browser_session("manager").await;
    let page = app
        .send(
            "GET",
            &format!("/dashboard?programme={code}"),
            &[("cookie", &manager)],
            "",
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for text in [
        "Effective coverage",
        "Reach by sex",
        "<title>Reach by sex: Female 100%, Male 100%</title>",
        "Regions",
        "NAIROBI",
        "Counsellors: fidelity, dose and competency",
    ] {
        assert!(page.body.contains(text), "{text}:\n{}", page.body);
    }
    assert!(
        !page.body.contains("so that no one can be recognised"),
        "exact for the hub's manager"
    );
    // Every indicator of the catalogue is listed, named, with its figure and definition.
    for def in scaleup_indicators::INDICATORS {
        assert!(
            page.body.contains(&format!("<dt id=\"i-{}\">", def.code)),
            "{} is not listed",
            def.code
        );
    }
    for text in [
        "Every indicator",
        "RE-AIM: Adoption",
        "Proctor implementation outcomes",
        "<dt id=\"i-enrolled\">Clients enrolled</dt><dd><strong>9</strong>",
        "<dt id=\"i-reach\">Reach (enrolled ÷ eligible)</dt><dd><strong>100%</strong> <span class=\"muted\">(9 / 9)</span>",
        "(uncontrolled before/after)",
    ] {
        assert!(page.body.contains(text), "{text}:\n{}", page.body);
    }
    // Drill down: the region lists its districts, the district its facilities.
    let region = app
        .send(
            "GET",
            &format!("/dashboard?programme={code}&level=region&unit=nairobi"),
            &[("cookie", &manager)],
            "",
        )
        .await;
    assert_eq!(region.status, StatusCode::OK, "{}", region.body);
    assert!(
        region.body.contains("Districts") && region.body.contains("KIBRA"),
        "{}",
        region.body
    );
    assert!(
        region.body.contains("level=district&amp;unit=kibra")
            || region.body.contains("level=district&#38;unit=kibra"),
        "{}",
        region.body
    );
    let district = app
        .send(
            "GET",
            &format!("/dashboard?programme={code}&level=district&unit=kibra"),
            &[("cookie", &manager)],
            "",
        )
        .await;
    assert_eq!(district.status, StatusCode::OK);
    assert!(district.body.contains("Facilities"), "{}", district.body);

    // A viewer: the two men are withheld, and no counsellor's figures appear.
    let viewer = app.browser_session("viewer").await;
    let page = app
        .send(
            "GET",
            &format!("/dashboard?programme={code}"),
            &[("cookie", &viewer)],
            "",
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("so that no one can be recognised"),
        "{}",
        page.body
    );
    assert!(
        !page
            .body
            .contains("Counsellors: fidelity, dose and competency")
    );
    // The full list is there for a viewer too, through the same disclosure control.
    assert!(
        page.body
            .contains("<dt id=\"i-enrolled\">Clients enrolled</dt><dd><strong>9</strong>"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("Male 100%"),
        "2 men are below k: {}",
        page.body
    );

    // A viewer drills down too (one org-unit level per controlled request).
    let region = app
        .send(
            "GET",
            &format!("/dashboard?programme={code}&level=region&unit=nairobi"),
            &[("cookie", &viewer)],
            "",
        )
        .await;
    assert_eq!(region.status, StatusCode::OK, "{}", region.body);
    assert!(region.body.contains("KIBRA"), "{}", region.body);

    // Refusals and bad input.
    let counsellor = app.browser_session("counsellor").await;
    let res = app
        .send(
            "GET",
            &format!("/dashboard?programme={code}"),
            &[("cookie", &counsellor)],
            "",
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(res.body.contains("Ask your hub manager"), "{}", res.body);
    for (query, status) in [
        ("&level=facility&unit=x", StatusCode::BAD_REQUEST),
        ("&level=region", StatusCode::BAD_REQUEST),
        ("&level=region&unit=atlantis", StatusCode::NOT_FOUND),
        ("&colour=red", StatusCode::BAD_REQUEST),
    ] {
        let res = app
            .send(
                "GET",
                &format!("/dashboard?programme={code}{query}"),
                &[("cookie", &manager)],
                "",
            )
            .await;
        assert_eq!(res.status, status, "{query}: {}", res.body);
    }
}

/// Issue 8, indicator names in the reader's language: a manager reading Kiswahili (from the
/// browser's Accept-Language) or French (from the language cookie) sees the indicators and
/// frameworks named in that language wherever the dashboard names them (cascade, headline
/// figures, monthly captions, the places table, the full list and its framework headings),
/// while the definitions stay in English, as the page's note says.
#[tokio::test]
async fn the_dashboard_names_indicators_in_the_readers_language() {
    let app = App::sqlite().await;
    let f = &app.fixture;
    // Enough clients that the places and counsellors tables have a row.
    let token = app.token("counsellor").await;
    let mut records = Vec::new();
    for _ in 0..6 {
        let client = uuid();
        records.push(rec("client", &client, None, json!({"programme_id": f.programme_id, "facility_id": f.facility_id, "registered_on": "2026-03-01", "sex": "female"})));
        records.push(rec("episode", &uuid(), None, json!({"client_id": client, "programme_id": f.programme_id, "enrolled_on": "2026-03-02"})));
    }
    let (status, acks) = app
        .call(
            "POST",
            "/api/v1/sync",
            Some(&token),
            Some(json!({"device_id": "d", "records": records})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{acks}");
    let manager = app.browser_session("manager").await;
    let dashboard = "/dashboard?programme=pmplus-2026";

    let sw = app
        .send(
            "GET",
            dashboard,
            &[
                ("cookie", &manager),
                ("accept-language", "sw-KE,sw;q=0.9,en;q=0.5"),
            ],
            "",
        )
        .await;
    assert_eq!(sw.status, StatusCode::OK, "{}", sw.body);
    for text in [
        "lang=\"sw\"",
        // The cascade (an SVG's accessible title) and the headline figures.
        "<title>Ufikiaji halisi: watu wenye uhitaji waliofikiwa kila hatua: Ufikiaji wa mawasiliano ",
        "<dt>Watu wenye uhitaji</dt>",
        "<dt>Pengo la matibabu</dt>",
        // The monthly chart's caption and the places table's heads.
        "<h4>Wateja waliochunguzwa</h4>",
        "<th scope=\"col\">Ufikiaji (walioandikishwa ÷ wanaostahiki)</th>",
        // The full list: framework headings and names; definitions in English.
        "<summary>RE-AIM: Ufikiaji (Reach) (",
        "<summary>Matokeo ya utekelezaji (Proctor) (",
        "<dt id=\"i-enrolled\">Wateja walioandikishwa</dt>",
        "<dt id=\"i-phq9_response\">Mwitikio wa PHQ-9</dt>",
        "distinct clients with at least one episode",
        "Majina ya viashiria yametafsiriwa; maelezo yake yako kwa Kiingereza",
        // Reach by sex names the subgroup in the reader's language.
        ">Mwanamke</text>",
    ] {
        assert!(sw.body.contains(text), "{text}:\n{}", sw.body);
    }
    for english in [
        "Clients enrolled",
        "RE-AIM: Reach",
        "Proctor implementation outcomes",
        "Treatment gap",
    ] {
        assert!(
            !sw.body.contains(english),
            "{english} in Kiswahili:\n{}",
            sw.body
        );
    }

    let fr = app
        .send(
            "GET",
            dashboard,
            &[("cookie", &manager), ("cookie", "scaleup_lang=fr")],
            "",
        )
        .await;
    assert_eq!(fr.status, StatusCode::OK, "{}", fr.body);
    for text in [
        "lang=\"fr\"",
        "<summary>RE-AIM : Mise en œuvre (",
        "<summary>Couverture effective et écart thérapeutique (",
        "<dt id=\"i-treatment_gap\">Écart thérapeutique</dt>",
        "<th scope=\"col\">Fidélité (éléments réalisés)</th>",
        "Les noms des indicateurs sont traduits",
    ] {
        assert!(fr.body.contains(text), "{text}:\n{}", fr.body);
    }
}

/// Issue 8, the time series against the protocol's targets: a hub uploads its version of the
/// protocol with targets; the dashboard draws each target's indicator month by month with the
/// target line, names who set it, and marks the target beside the indicator in the full list.
/// A target on a count, or on no indicator, is refused at its line with the codes allowed.
#[tokio::test]
async fn the_dashboard_draws_the_protocols_targets() {
    let app = App::live().await;
    let f = &app.fixture;
    let base = scaleup_domain::catalog::BUILTIN_FILES
        .iter()
        .find(|(name, _)| name.ends_with("pm_plus_individual.toml"))
        .map(|(_, text)| text.to_string())
        .expect("built-in PM+ protocol");
    let version = regex_free_version(&base);
    let with = |targets: &str| {
        format!(
            "{}\n{targets}",
            base.replace(
                &format!("version = \"{version}\""),
                &format!("version = \"{version}-hub\"")
            )
        )
    };
    for (targets, wanted) in [
        (
            "[[targets]]\nindicator = \"enrolled\"\nat_least = 0.5\nsource = \"x\"\n",
            "enrolled is not a share; targets may be set on: ",
        ),
        (
            "[[targets]]\nindicator = \"nope\"\nat_least = 0.5\nsource = \"x\"\n",
            "nope is not an indicator; targets may be set on: ",
        ),
    ] {
        let text = with(targets);
        let e = app
            .store
            .add_definitions(None, Some(&f.hub_id), &[("pm.toml".into(), text.clone())])
            .await
            .expect_err(targets);
        let scaleup_storage::StoreError::Definition(e) = e else {
            panic!("{e:?}")
        };
        assert_eq!(e.field, "targets[0].indicator");
        assert!(
            e.message.starts_with(wanted) && e.message.contains("completion"),
            "{e}"
        );
        let at = text
            .lines()
            .position(|l| l.starts_with("indicator = "))
            .unwrap()
            + 1;
        assert_eq!(e.line, Some(at), "{e}");
    }
    app.store
        .add_definitions(
            None,
            Some(&f.hub_id),
            &[(
                "pm.toml".into(),
                with(
                    "[[targets]]\nindicator = \"completion\"\nat_least = 0.7\nsource = \"Hub steering group, 2026\"\n\n\
                     [[targets]]\nindicator = \"dropout\"\nat_most = 0.2\nsource = \"Hub steering group, 2026\"\n",
                ),
            )],
        )
        .await
        .expect("targets on shares are accepted");

    // This month: 6 episodes completed, 2 dropped out (completion 75 %, drop-out 25 %).
    let today = time::OffsetDateTime::now_utc().date();
    let day = format!(
        "{:04}-{:02}-{:02}",
        today.year(),
        today.month() as u8,
        today.day()
    );
    let first = format!("{}-01", &day[..7]);
    let token = app.token("counsellor").await;
    let mut records = Vec::new();
    for i in 0..8 {
        let client = uuid();
        let reason = if i < 6 { "completed" } else { "dropped_out" };
        records.push(rec("client", &client, None, json!({"programme_id": f.programme_id, "facility_id": f.facility_id, "registered_on": first, "sex": "female"})));
        records.push(rec("episode", &uuid(), None, json!({"client_id": client, "programme_id": f.programme_id, "enrolled_on": first, "closed_on": day, "closure_reason": reason})));
    }
    let (status, acks) = app
        .call(
            "POST",
            "/api/v1/sync",
            Some(&token),
            Some(json!({"device_id": "d", "records": records})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{acks}");

    let manager = app.browser_session("manager").await;
    let page = app
        .send(
            "GET",
            "/dashboard?programme=pmplus-2026",
            &[("cookie", &manager)],
            "",
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let month = &day[5..7];
    for text in [
        "Against the protocol&#39;s targets",
        "<title>Completion (target at least 70%): ",
        &format!(", {month} 75%</title>"),
        "<title>Drop-out (target at most 20%): ",
        &format!(", {month} 25%</title>"),
        "<line class=\"target\"",
        "Target set by: Hub steering group, 2026",
        "<span class=\"chip\">✓ target at least 70%</span>",
        "<span class=\"chip\">target at most 20%</span>",
    ] {
        assert!(page.body.contains(text), "{text}:\n{}", page.body);
    }
}

/// The `version = "..."` of a definition file.
fn regex_free_version(text: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|rest| rest.split('"').next())
        .expect("a version line")
        .to_string()
}

/// Issue 8, Proctor's implementation cost: the costs page prices each year of the hub's
/// recorded activity with the price list the hub stored, names the years no list prices, and
/// withholds a year of fewer than k clients from a viewer. With an empty body the costs API
/// uses the same stored lists.
///
/// Three clients with two attended 60-minute sessions each in 2026 (one of them also one in
/// 2025). Priced 2026: counsellors 2.0 an hour, materials 0.5 a session and 1.0 a client, no
/// administration time (the default): sessions 6 h × 2 = 12, materials 6 × 0.5 + 3 × 1 = 6;
/// total 18, per client 6, per session 3. 2025 has no price list.
#[tokio::test]
async fn the_costs_page_prices_each_year_with_the_hubs_stored_price_list() {
    let app = App::sqlite().await;
    let f = &app.fixture;
    let token = app.token("counsellor").await;
    let mut records = Vec::new();
    for i in 0..3 {
        let (client, episode) = (uuid(), uuid());
        records.push(rec("client", &client, None, json!({"programme_id": f.programme_id, "facility_id": f.facility_id, "registered_on": "2025-12-01", "sex": "female"})));
        records.push(rec("episode", &episode, None, json!({"client_id": client, "programme_id": f.programme_id, "enrolled_on": "2025-12-02"})));
        let mut days = vec!["2026-01-10", "2026-01-17"];
        if i == 0 {
            days.push("2025-12-20");
        }
        for (n, day) in days.into_iter().enumerate() {
            records.push(rec("session", &uuid(), None, json!({"client_id": client, "episode_id": episode, "number": n + 1, "on": day, "attended": true, "duration_minutes": 60, "modality": "individual"})));
        }
    }
    let (status, acks) = app
        .call(
            "POST",
            "/api/v1/sync",
            Some(&token),
            Some(json!({"device_id": "d", "records": records})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{acks}");
    let prices = "[[price_list]]\nhub = \"ke-pmplus\"\nyear = 2026\ncurrency = \"KES\"\ncounsellor_hourly = 2.0\nsupervisor_hourly = 10.0\nmaterials_per_session = 0.5\nmaterials_per_client = 1.0\n";
    app.store
        .put_price_list(
            None,
            Some(&f.hub_id),
            "ke-prices.toml",
            prices,
            &["ke-pmplus".to_string()],
            &[2026],
        )
        .await
        .unwrap();

    let manager = app.browser_session("manager").await;
    let dashboard = app
        .send(
            "GET",
            "/dashboard?programme=pmplus-2026",
            &[("cookie", &manager)],
            "",
        )
        .await;
    assert!(
        dashboard
            .body
            .contains("href=\"/dashboard/costs?programme=pmplus-2026\""),
        "the dashboard links to the costs"
    );
    let page = app
        .send(
            "GET",
            "/dashboard/costs?programme=pmplus-2026",
            &[("cookie", &manager)],
            "",
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for text in [
        "Kenya PM+ hub",
        "<th scope=\"row\">2026</th><td data-label=\"Clients reached\">3</td><td data-label=\"Sessions\">6</td><td data-label=\"Total cost\">KES 2026 18.00</td><td data-label=\"Cost per client\">KES 2026 6.00</td><td data-label=\"Cost per session\">KES 2026 3.00</td><td data-label=\"Price list\">ke-prices.toml</td>",
        "No price list for Kenya PM+ hub in 2025.",
        "href=\"/console/definitions\"",
    ] {
        assert!(page.body.contains(text), "{text}:\n{}", page.body);
    }

    // A viewer: three clients are fewer than k, so the year is withheld.
    let viewer = app.browser_session("viewer").await;
    let page = app
        .send(
            "GET",
            "/dashboard/costs?programme=pmplus-2026",
            &[("cookie", &viewer)],
            "",
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body
            .contains("<td data-label=\"Cost per client\">&#60;5</td>"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("KES 2026 6.00"));
    assert!(!page.body.contains("href=\"/console/definitions\""));

    // A counsellor is told the dashboard is not theirs; an unknown programme is not found.
    let counsellor = app.browser_session("counsellor").await;
    let page = app
        .send(
            "GET",
            "/dashboard/costs?programme=pmplus-2026",
            &[("cookie", &counsellor)],
            "",
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    // A refusal is a page of the app (its stylesheet), with the reason to read.
    assert!(
        page.body.contains("rel=\"stylesheet\"") && page.body.contains("role=\"alert\""),
        "{}",
        page.body
    );
    let page = app
        .send(
            "GET",
            "/dashboard/costs?programme=nope",
            &[("cookie", &manager)],
            "",
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);

    // The costs API with an empty body: the same stored price list, 2025 named as not costed.
    let researcher = app.token("researcher").await;
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/analyses/costs",
            Some(&researcher),
            Some(json!("")),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{body}");
    assert_eq!(results[0]["year"], 2026);
    assert!((results[0]["total"].as_f64().unwrap() - 18.0).abs() < 1e-9);
    assert_eq!(
        body["warnings"],
        json!(["not costed: no stored price list for hub ke-pmplus and year 2025"])
    );
}
