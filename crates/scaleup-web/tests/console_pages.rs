//! The hub console's pages (issue 8, "The hub console"), in-process: each page renders for a
//! hub manager and is refused, with a message that says who may, for the other roles; every
//! form works through plain POSTs with the session's token and redirects; the changes are
//! audited; a deactivated account's session ends at once; a definition file is refused with
//! its line; and a hub manager cannot reach another hub's accounts.

mod common;

use axum::http::StatusCode;
use common::{App, Page, form_token, rec, uuid};
use scaleup_domain::catalog::BUILTIN_FILES;
use scaleup_storage::{Actor, IncomingRecord};
use serde_json::{Value, json};

const SAME_SITE: (&str, &str) = ("sec-fetch-site", "same-origin");
const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

/// The console's pages, each as a GET.
const PAGES: &[&str] = &[
    "/console/users",
    "/console/org-units",
    "/console/programmes",
    "/console/definitions",
    "/console/audit",
    "/console/conflicts",
];

/// A browser signed in as a fixture account.
struct Browser<'a> {
    app: &'a App,
    cookie: String,
}

impl<'a> Browser<'a> {
    async fn new(app: &'a App, username: &str) -> Browser<'a> {
        Browser {
            app,
            cookie: app.browser_session(username).await,
        }
    }

    async fn get(&self, path: &str) -> Page {
        self.app
            .send("GET", path, &[("cookie", &self.cookie)], "")
            .await
    }

    /// Posts a form with the session's token, as the page's own form does.
    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut body = form_urlencoded::Serializer::new(String::new());
        body.append_pair("_csrf", &form_token(&self.cookie));
        for (k, v) in fields {
            body.append_pair(k, v);
        }
        self.app
            .send(
                "POST",
                path,
                &[("cookie", &self.cookie), FORM, SAME_SITE],
                &body.finish(),
            )
            .await
    }

    /// Posts a `multipart/form-data` form: text fields, then a file.
    async fn upload(&self, path: &str, fields: &[(&str, &str)], file: (&str, &str)) -> Page {
        let (content_type, body) = multipart(&self.cookie, fields, Some(file));
        self.app
            .send(
                "POST",
                path,
                &[
                    ("cookie", &self.cookie),
                    ("content-type", &content_type),
                    SAME_SITE,
                ],
                &body,
            )
            .await
    }
}

fn multipart(
    cookie: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &str)>,
) -> (String, String) {
    let boundary = "----scaleupTestBoundary7MA4YWxk";
    let mut body = String::new();
    let token = form_token(cookie);
    for (k, v) in std::iter::once(&("_csrf", token.as_str())).chain(fields) {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    if let Some((name, text)) = file {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n{text}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn actor(app: &App, username: &str) -> Actor {
    let user = app.store.user_by_username(username).await.unwrap().unwrap();
    app.store.actor_for(&user).await.unwrap()
}

/// The audit actions recorded so far, newest first.
async fn audit_actions(app: &App) -> Vec<(String, Option<String>)> {
    app.store
        .audit_events(None, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_string(),
                e["entity_id"].as_str().map(str::to_string),
            )
        })
        .collect()
}

fn incoming(v: Value) -> IncomingRecord {
    serde_json::from_value(v).unwrap()
}

/// A client with an open episode in `username`'s caseload.
async fn client_of(app: &App, username: &str) -> String {
    let f = &app.fixture;
    let client = uuid();
    let acks = app
        .store
        .push(
            &actor(app, username).await,
            "phone",
            vec![
                incoming(rec(
                    "client",
                    &client,
                    None,
                    json!({"programme_id": f.programme_id, "facility_id": f.facility_id, "registered_on": "2026-03-01", "sex": "female"}),
                )),
                incoming(rec(
                    "episode",
                    &uuid(),
                    None,
                    json!({"client_id": client, "programme_id": f.programme_id, "enrolled_on": "2026-03-01"}),
                )),
            ],
        )
        .await
        .unwrap();
    assert!(acks.iter().all(|a| a.error.is_none()), "{acks:?}");
    client
}

#[tokio::test]
async fn every_console_page_renders_for_a_hub_manager_with_its_navigation() {
    let app = App::sqlite().await;
    let manager = Browser::new(&app, "manager").await;
    let home = manager.get("/console").await;
    assert_eq!(
        (home.status, home.header("location")),
        (StatusCode::SEE_OTHER, "/console/users")
    );
    for path in PAGES {
        let page = manager.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        assert!(page.body.contains("href=\"/console\""), "{path}: main nav");
        assert!(
            page.body
                .contains(&format!("href=\"{path}\" aria-current=\"page\"")),
            "{path}: its tab is marked"
        );
        assert!(!page.body.contains("<script"), "{path}: no script");
    }
    // The hub's home page links to the console too.
    let hub = manager.get("/hub").await;
    assert!(hub.body.contains("href=\"/console\""));
}

#[tokio::test]
async fn other_roles_are_refused_with_a_message_that_says_who_may() {
    let app = App::sqlite().await;
    for username in ["counsellor", "supervisor", "viewer", "researcher"] {
        let browser = Browser::new(&app, username).await;
        for path in PAGES.iter().chain(&["/console"]) {
            let page = browser.get(path).await;
            if username == "supervisor" && *path == "/console/conflicts" {
                // Supervisors review their supervisees' conflicts.
                assert_eq!(page.status, StatusCode::OK, "{path}");
                continue;
            }
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{username} {path}");
            assert!(
                page.body.contains("hub manager") && page.body.contains("Who can"),
                "{username} {path}: {}",
                page.body
            );
        }
        let page = browser.get("/console/users").await;
        assert!(
            page.body.contains(&format!("Your role ({username})"))
                && page.body.contains("create, deactivate or reset accounts"),
            "{}",
            page.body
        );
        // Posting is refused the same way, and changes nothing.
        let res = browser
            .post(
                &format!("/console/users/{}/deactivate", app.fixture.counsellor_b.id),
                &[],
            )
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
    }
    assert!(
        app.store
            .user(&app.fixture.counsellor_b.id)
            .await
            .unwrap()
            .unwrap()
            .active
    );
    // An upload is refused on the role before its body is read: even a broken one.
    let counsellor = Browser::new(&app, "counsellor").await;
    let res = app
        .send(
            "POST",
            "/console/definitions",
            &[
                ("cookie", &counsellor.cookie),
                ("content-type", "multipart/form-data; boundary=X"),
                SAME_SITE,
            ],
            "not multipart at all",
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(res.body.contains("upload definition files"));
    // Supervisors reach the conflicts page from their navigation; counsellors do not.
    let supervisor = Browser::new(&app, "supervisor").await;
    assert!(
        supervisor
            .get("/supervise")
            .await
            .body
            .contains("href=\"/console/conflicts\"")
    );
    assert!(!counsellor.get("/").await.body.contains("/console"));
    // Signed out: to the sign-in page.
    let res = app.send("GET", "/console/users", &[], "").await;
    assert_eq!(
        (res.status, res.header("location")),
        (StatusCode::SEE_OTHER, "/")
    );
    // The refusal is in the reader's language.
    let cookie = app.browser_session("counsellor").await;
    let fr = app
        .send(
            "GET",
            "/console/users",
            &[("cookie", &cookie), ("cookie", "scaleup_lang=fr")],
            "",
        )
        .await;
    assert_eq!(fr.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_admin_runs_the_console_network_wide() {
    let app = App::sqlite().await;
    let admin = Browser::new(&app, "admin").await;
    for path in PAGES {
        let page = admin.get(path).await;
        if *path == "/console/conflicts" {
            // Conflicts hold client data: hub managers and supervisors review them.
            assert_eq!(page.status, StatusCode::FORBIDDEN);
            continue;
        }
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        assert!(!page.body.contains("href=\"/console/conflicts\""));
    }
    // Both hubs' accounts, or one hub's; and the network-wide choice for definitions.
    let users = admin.get("/console/users").await;
    assert!(users.body.contains("zw_counsellor") && users.body.contains(">counsellor_b<"));
    let other = &app.fixture.other_hub_id;
    let users = admin.get(&format!("/console/users?hub={other}")).await;
    assert!(users.body.contains("zw_counsellor") && !users.body.contains(">counsellor_b<"));
    assert!(
        users
            .body
            .contains(&format!("<option value=\"{other}\" selected>"))
    );
    // A hub manager of one hub is not offered a choice, and cannot widen the list.
    let manager = Browser::new(&app, "manager").await;
    let users = manager.get(&format!("/console/users?hub={other}")).await;
    assert!(!users.body.contains("id=\"hub-filter\""));
    assert!(!users.body.contains("zw_counsellor"));
    admin
        .post(
            &format!(
                "/console/users/{}/deactivate",
                app.fixture.foreign_counsellor.id
            ),
            &[],
        )
        .await;
    let audit = admin
        .get(&format!(
            "/console/audit?action=user.deactivate&hub={other}"
        ))
        .await;
    assert_eq!(
        audit.body.matches("<code>user.deactivate</code>").count(),
        1
    );
    let audit = admin
        .get(&format!(
            "/console/audit?action=user.deactivate&hub={}",
            app.fixture.hub_id
        ))
        .await;
    assert!(audit.body.contains("No events match."));
    let defs = admin.get("/console/definitions").await;
    assert!(defs.body.contains("value=\"network\""));
    let defs = Browser::new(&app, "manager")
        .await
        .get("/console/definitions")
        .await;
    assert!(!defs.body.contains("value=\"network\""));
}

#[tokio::test]
async fn deactivating_an_account_ends_its_sessions_at_once_and_is_audited() {
    let app = App::sqlite().await;
    let manager = Browser::new(&app, "manager").await;
    let counsellor_cookie = app.browser_session("counsellor").await;
    let counsellor_token = app.token("counsellor").await;
    let id = app.fixture.counsellor.id.clone();
    let before = app
        .send("GET", "/app/defs", &[("cookie", &counsellor_cookie)], "")
        .await;
    assert_eq!(before.status, StatusCode::OK);

    // Without the form token: refused, nothing changes.
    let forged = app
        .send(
            "POST",
            &format!("/console/users/{id}/deactivate"),
            &[("cookie", &manager.cookie), FORM, SAME_SITE],
            "_csrf=forged",
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    let res = manager
        .post(&format!("/console/users/{id}/deactivate"), &[])
        .await;
    assert_eq!(
        (res.status, res.header("location")),
        (StatusCode::SEE_OTHER, "/console/users?done=deactivated")
    );
    let after = app
        .send("GET", "/app/defs", &[("cookie", &counsellor_cookie)], "")
        .await;
    assert_ne!(after.status, StatusCode::OK, "the browser session ended");
    let (status, _) = app
        .call("GET", "/api/v1/caseload", Some(&counsellor_token), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the bearer token ended");
    assert!(
        audit_actions(&app)
            .await
            .contains(&("user.deactivate".to_string(), Some(id.clone())))
    );
    let list = manager.get("/console/users?done=deactivated").await;
    assert!(list.body.contains("The account was deactivated"));
    assert!(
        list.body
            .contains(&format!("/console/users/{id}/reactivate"))
    );

    // Reactivated: the account signs in again.
    let res = manager
        .post(&format!("/console/users/{id}/reactivate"), &[])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(app.store.user(&id).await.unwrap().unwrap().active);
    assert!(
        audit_actions(&app)
            .await
            .contains(&("user.reactivate".to_string(), Some(id)))
    );

    // Nobody deactivates their own account.
    let me = app.fixture.manager.id.clone();
    let res = manager
        .post(&format!("/console/users/{me}/deactivate"), &[])
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(res.body.contains("your own account"), "{}", res.body);
}

#[tokio::test]
async fn a_hub_manager_creates_accounts_and_resets_passwords() {
    let app = App::sqlite().await;
    let manager = Browser::new(&app, "manager").await;
    let res = manager
        .post(
            "/console/users",
            &[
                ("username", "amina"),
                ("display_name", "Amina W."),
                ("role", "counsellor"),
                ("hub_id", &app.fixture.hub_id),
                ("supervisor_id", &app.fixture.supervisor.id),
                ("password", "a long enough password"),
            ],
        )
        .await;
    assert_eq!(
        (res.status, res.header("location")),
        (StatusCode::SEE_OTHER, "/console/users?done=created"),
        "{}",
        res.body
    );
    let amina = app.store.user_by_username("amina").await.unwrap().unwrap();
    assert_eq!(
        amina.supervisor_id.as_deref(),
        Some(app.fixture.supervisor.id.as_str())
    );
    // A hub manager cannot create an admin; the form says why, beside itself.
    let res = manager
        .post(
            "/console/users",
            &[
                ("username", "boss"),
                ("display_name", "Boss"),
                ("role", "admin"),
                ("password", "a long enough password"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("role=\"alert\""));
    assert!(app.store.user_by_username("boss").await.unwrap().is_none());

    // Too short: refused with the rule, the old password still works.
    let path = format!("/console/users/{}/password", amina.id);
    let res = manager.post(&path, &[("password", "short")]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("password"), "{}", res.body);
    let old_session = match app
        .store
        .login(
            "amina",
            "a long enough password",
            "127.0.0.1",
            scaleup_storage::SessionKind::Cookie,
        )
        .await
        .unwrap()
    {
        scaleup_storage::LoginOutcome::Success { token, .. } => format!("scaleup_session={token}"),
        _ => panic!("amina signs in"),
    };
    let res = manager
        .post(&path, &[("password", "another long password")])
        .await;
    assert_eq!(
        (res.status, res.header("location")),
        (StatusCode::SEE_OTHER, "/console/users?done=password")
    );
    let gone = app
        .send("GET", "/app/defs", &[("cookie", &old_session)], "")
        .await;
    assert_ne!(gone.status, StatusCode::OK, "a reset ends the sessions");
    let login = app
        .store
        .login(
            "amina",
            "another long password",
            "127.0.0.1",
            scaleup_storage::SessionKind::Bearer,
        )
        .await
        .unwrap();
    assert!(matches!(
        login,
        scaleup_storage::LoginOutcome::Success { .. }
    ));
    assert!(
        audit_actions(&app)
            .await
            .contains(&("user.password_reset".to_string(), Some(amina.id)))
    );
}

#[tokio::test]
async fn a_hub_manager_cannot_act_on_another_hubs_accounts() {
    let app = App::sqlite().await;
    let manager = Browser::new(&app, "manager").await;
    let foreign = app.fixture.foreign_counsellor.id.clone();
    let list = manager.get("/console/users").await;
    assert!(!list.body.contains(&foreign), "not listed");
    for (path, fields) in [
        (format!("/console/users/{foreign}/deactivate"), vec![]),
        (
            format!("/console/users/{foreign}/password"),
            vec![("password", "a long enough password")],
        ),
        (
            format!("/console/users/{foreign}/move"),
            vec![
                ("to", app.fixture.counsellor.id.as_str()),
                ("confirm", "yes"),
            ],
        ),
    ] {
        let res = manager.post(&path, &fields).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{path}: {}", res.body);
    }
    let res = manager.get(&format!("/console/users/{foreign}/move")).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    // Creating an account in the other hub is refused too.
    let res = manager
        .post(
            "/console/users",
            &[
                ("username", "mole"),
                ("display_name", "Mole"),
                ("role", "counsellor"),
                ("hub_id", &app.fixture.other_hub_id),
                ("password", "a long enough password"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(app.store.user_by_username("mole").await.unwrap().is_none());
    let foreign_user = app.store.user(&foreign).await.unwrap().unwrap();
    assert!(foreign_user.active);
}

#[tokio::test]
async fn a_caseload_moves_after_a_confirmation_and_is_audited() {
    let app = App::sqlite().await;
    let client = client_of(&app, "counsellor").await;
    let manager = Browser::new(&app, "manager").await;
    let from = app.fixture.counsellor.id.clone();
    let to = app.fixture.counsellor_b.id.clone();
    let list = manager.get("/console/users").await;
    assert!(list.body.contains(&format!("/console/users/{from}/move")));

    let choose = manager.get(&format!("/console/users/{from}/move")).await;
    assert_eq!(choose.status, StatusCode::OK, "{}", choose.body);
    assert!(
        choose.body.contains("1 active client moves."),
        "{}",
        choose.body
    );
    assert!(choose.body.contains(&format!("value=\"{to}\"")));
    assert!(!choose.body.contains(&format!("value=\"{from}\"")));

    // Choosing asks for confirmation; nothing moves yet.
    let confirm = manager
        .get(&format!("/console/users/{from}/move?to={to}"))
        .await;
    assert!(confirm.body.contains("name=\"confirm\" value=\"yes\""));
    assert!(
        confirm
            .body
            .contains("Move the active clients of counsellor to counsellor_b?")
    );
    let res = manager
        .post(&format!("/console/users/{from}/move"), &[("to", &to)])
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.body.contains("name=\"confirm\" value=\"yes\""));
    let manager_actor = actor(&app, "manager").await;
    assert_eq!(
        app.store
            .caseload_counts(&manager_actor, &from)
            .await
            .unwrap(),
        (1, 0)
    );

    let res = manager
        .post(
            &format!("/console/users/{from}/move"),
            &[("to", &to), ("confirm", "yes")],
        )
        .await;
    assert_eq!(
        (res.status, res.header("location")),
        (StatusCode::SEE_OTHER, "/console/users?done=moved"),
        "{}",
        res.body
    );
    assert_eq!(
        app.store
            .caseload_counts(&manager_actor, &to)
            .await
            .unwrap(),
        (1, 0)
    );
    assert_eq!(
        app.store
            .caseload_counts(&manager_actor, &from)
            .await
            .unwrap(),
        (0, 0)
    );
    let actions = audit_actions(&app).await;
    assert!(
        actions.iter().any(|(a, _)| a == "caseload.move"),
        "{actions:?}"
    );
    // The new counsellor's phone gets the client.
    let pulled = app
        .store
        .pull(&actor(&app, "counsellor_b").await, "", 100)
        .await
        .unwrap();
    assert!(pulled.changes.iter().any(|c| c.id == client));
    // Without a choice: the form says what is missing.
    let res = manager
        .post(&format!("/console/users/{to}/move"), &[("confirm", "yes")])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("Choose the counsellor who takes over."));
}

#[tokio::test]
async fn org_units_and_programmes_are_edited_on_their_pages() {
    let app = App::sqlite().await;
    let manager = Browser::new(&app, "manager").await;
    let mgr = actor(&app, "manager").await;
    let unit = app.fixture.facility_id.clone();
    let page = manager.get("/console/org-units").await;
    assert!(page.body.contains(&format!("/console/org-units/{unit}")));
    let other_hub_units = app
        .store
        .org_units(&actor(&app, "admin").await, Some(&app.fixture.other_hub_id))
        .await
        .unwrap();
    assert!(
        !page.body.contains(&other_hub_units[0].id),
        "scoped to the hub"
    );

    let res = manager
        .post(
            &format!("/console/org-units/{unit}"),
            &[
                ("name", "Kibra Health Centre"),
                ("catchment_population", "52,000"),
                ("prevalence", "4.5"),
                ("prevalence_source", "Kenya STEPS survey 2015"),
            ],
        )
        .await;
    assert_eq!(
        (res.status, res.header("location")),
        (StatusCode::SEE_OTHER, "/console/org-units?done=saved"),
        "{}",
        res.body
    );
    let saved = app
        .store
        .org_units(&mgr, None)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.id == unit)
        .unwrap();
    assert_eq!(saved.catchment_population, Some(52_000));
    assert!((saved.prevalence.unwrap() - 0.045).abs() < 1e-12);
    assert_eq!(
        saved.prevalence_source.as_deref(),
        Some("Kenya STEPS survey 2015")
    );
    let page = manager.get("/console/org-units?done=saved").await;
    assert!(page.body.contains("value=\"4.5\""), "shown as entered");
    for (field, value) in [("prevalence", "140"), ("catchment_population", "many")] {
        let res = manager
            .post(&format!("/console/org-units/{unit}"), &[(field, value)])
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
    }
    // Another hub's unit: not found.
    let res = manager
        .post(
            &format!("/console/org-units/{}", other_hub_units[0].id),
            &[("name", "x")],
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);

    let programme = app.fixture.programme_id.clone();
    let page = manager.get("/console/programmes").await;
    assert!(page.body.contains("pm_plus_individual"));
    let res = manager
        .post(
            &format!("/console/programmes/{programme}"),
            &[
                ("name", "PM+ scale-up, phase 2"),
                ("protocol_code", "pm_plus_individual"),
                ("alert_ack_hours", "24"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let p = app.store.programme(&programme).await.unwrap().unwrap();
    assert_eq!(
        (p.name.as_str(), p.alert_ack_hours),
        ("PM+ scale-up, phase 2", 24)
    );
    let res = manager
        .post(
            &format!("/console/programmes/{programme}"),
            &[("protocol_code", "no_such_protocol")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let actions = audit_actions(&app).await;
    assert!(
        actions
            .iter()
            .any(|(a, id)| a.starts_with("org_unit.") && id.as_deref() == Some(unit.as_str())),
        "{actions:?}"
    );
    assert!(actions.iter().any(|(a, id)| a.starts_with("programme.") && id.as_deref() == Some(programme.as_str())), "{actions:?}");
}

/// The built-in PHQ-9 as version 2 under another code.
fn phq9_v2(code: &str) -> String {
    BUILTIN_FILES
        .iter()
        .find(|(n, _)| *n == "instruments/phq9.toml")
        .unwrap()
        .1
        .replacen("code = \"phq9\"", &format!("code = \"{code}\""), 1)
        .replace("version = \"1\"", "version = \"2\"")
}

#[tokio::test]
async fn a_bad_definition_file_is_shown_with_its_line_and_a_good_one_applies_at_once() {
    let app = App::live().await;
    let manager = Browser::new(&app, "manager").await;
    let hub = app.fixture.hub_id.clone();
    let bad = "kind = \"instrument\"\ncode = \"bad\"\nversion = \"1\"\nname = 7\n";
    let res = manager
        .upload(
            "/console/definitions",
            &[("hub_id", &hub)],
            ("bad.toml", bad),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(
        res.body.contains("This file was not stored:"),
        "{}",
        res.body
    );
    assert!(
        res.body
            .contains("<tr class=\"problem\"><td data-label=\"Line\">4</td><td data-label=\"Field\"><code>name</code></td>"),
        "the problem at its line and field: {}",
        res.body
    );
    assert!(
        res.body.contains("<mark>4: name = 7</mark>"),
        "the line itself"
    );
    assert!(app.store.definitions().await.unwrap().is_empty());

    // A file with problems in several sections shows every one, each at its line.
    let protocol = scaleup_domain::catalog::BUILTIN_FILES
        .iter()
        .find(|(name, _)| name.ends_with("friendship_bench.toml"))
        .map(|(_, text)| text.replace("version = \"1\"", "version = \"2\""))
        .unwrap()
        .replacen(
            "[dose]\nminimum_sessions = 4",
            "[dose]\nminimum_sessions = 99",
            1,
        )
        + "\n[[targets]]\nindicator = \"completion\"\nat_least = 7\nsource = \"x\"\n";
    let res = manager
        .upload(
            "/console/definitions",
            &[("hub_id", &hub)],
            ("fb.toml", &protocol),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    for field in ["dose.minimum_sessions", "targets[0].at_least"] {
        assert!(
            res.body.contains(&format!("<code>{field}</code>")),
            "{field}: {}",
            res.body
        );
    }
    assert!(
        res.body.contains("<mark>97: minimum_sessions = 99</mark>"),
        "{}",
        res.body
    );
    assert!(app.store.definitions().await.unwrap().is_empty());

    // A hub manager cannot upload for every hub.
    let res = manager
        .upload(
            "/console/definitions",
            &[("hub_id", "network")],
            ("x.toml", &phq9_v2("x")),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(res.body.contains("upload network-wide definition files"));

    let version = app.store.catalogs().version();
    let res = manager
        .upload(
            "/console/definitions",
            &[("hub_id", &hub)],
            ("local.toml", &phq9_v2("phq9_local")),
        )
        .await;
    assert_eq!(
        (res.status, res.header("location")),
        (StatusCode::SEE_OTHER, "/console/definitions?done=uploaded"),
        "{}",
        res.body
    );
    // In force at once, for this hub only.
    assert!(app.store.catalogs().version() > version);
    let catalogs = app.store.catalogs();
    assert!(
        catalogs
            .catalog(Some(&hub))
            .instrument("phq9_local")
            .is_some()
    );
    assert!(
        catalogs
            .catalog(Some(&app.fixture.other_hub_id))
            .instrument("phq9_local")
            .is_none()
    );
    let page = manager.get("/console/definitions").await;
    assert!(page.body.contains("phq9_local"));
    assert!(
        audit_actions(&app)
            .await
            .iter()
            .any(|(a, _)| a.starts_with("definition"))
    );

    // A price list for the hub goes through the same form; one that prices another hub is
    // refused with why.
    let prices = "[[price_list]]\nhub = \"ke-pmplus\"\nyear = 2026\ncurrency = \"KES\"\ncounsellor_hourly = 250.0\nsupervisor_hourly = 900.0\n";
    let res = manager
        .upload(
            "/console/definitions",
            &[("hub_id", &hub)],
            ("prices.toml", prices),
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let page = manager.get("/console/definitions").await;
    assert!(
        page.body
            .contains(">price_list</td><td data-label=\"Code\">ke-pmplus</td><td data-label=\"Version\">2026</td>"),
        "{}",
        page.body
    );
    let res = manager
        .upload(
            "/console/definitions",
            &[("hub_id", &hub)],
            ("prices.toml", &prices.replace("ke-pmplus", "zw-fb")),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("role=\"alert\""));

    // An admin uploads for every hub.
    let admin = Browser::new(&app, "admin").await;
    let res = admin
        .upload(
            "/console/definitions",
            &[("hub_id", "network")],
            ("net.toml", &phq9_v2("phq9_net")),
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert!(
        app.store
            .catalogs()
            .catalog(Some(&app.fixture.other_hub_id))
            .instrument("phq9_net")
            .is_some()
    );
}

#[tokio::test]
async fn malformed_uploads_are_clear_4xx() {
    let app = App::sqlite().await;
    let manager = Browser::new(&app, "manager").await;
    let send = |content_type: String, body: String| {
        let cookie = manager.cookie.clone();
        let app = &app;
        async move {
            app.send(
                "POST",
                "/console/definitions",
                &[
                    ("cookie", &cookie),
                    ("content-type", &content_type),
                    SAME_SITE,
                ],
                &body,
            )
            .await
        }
    };
    // Not multipart, no boundary, a broken body, a missing token, no file, too large.
    let res = send("application/x-www-form-urlencoded".into(), "a=b".into()).await;
    assert_eq!(res.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let res = send("multipart/form-data".into(), "x".into()).await;
    assert_eq!(res.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let res = send(
        "multipart/form-data; boundary=XyZ".into(),
        "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end".into(),
    )
    .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(res.body.contains("unreadable form"));
    let (ct, body) = multipart("scaleup_session=someone-else", &[], Some(("a.toml", "x")));
    let res = send(ct, body).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let (ct, body) = multipart(&manager.cookie, &[], None);
    let res = send(ct, body).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("Choose a file to upload."));
    let big = "# padding\n".repeat(70_000);
    let (ct, body) = multipart(&manager.cookie, &[], Some(("big.toml", &big)));
    let res = send(ct, body).await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(res.body.contains("512 KB"));
}

#[tokio::test]
async fn the_audit_viewer_is_scoped_paged_and_filtered() {
    let app = App::sqlite().await;
    let manager = Browser::new(&app, "manager").await;
    let admin = Browser::new(&app, "admin").await;
    // Some events in each hub.
    for _ in 0..3 {
        manager
            .post(
                &format!("/console/users/{}/deactivate", app.fixture.counsellor_b.id),
                &[],
            )
            .await;
        manager
            .post(
                &format!("/console/users/{}/reactivate", app.fixture.counsellor_b.id),
                &[],
            )
            .await;
    }
    admin
        .post(
            &format!(
                "/console/users/{}/deactivate",
                app.fixture.foreign_counsellor.id
            ),
            &[],
        )
        .await;

    let page = manager.get("/console/audit?action=user.deactivate").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.body.matches("<code>user.deactivate</code>").count(),
        3,
        "{}",
        page.body
    );
    assert!(!page.body.contains("<code>user.reactivate</code>"));
    // The admin sees the other hub's event as well.
    let page = admin.get("/console/audit?action=user.deactivate").await;
    assert_eq!(page.body.matches("<code>user.deactivate</code>").count(), 4);
    // By actor: the admin's own events only.
    let page = admin.get("/console/audit?action=user.&actor=admin").await;
    assert_eq!(page.body.matches("<code>user.").count(), 1, "{}", page.body);
    // An account the manager cannot see matches nothing.
    let page = manager.get("/console/audit?actor=admin").await;
    assert!(page.body.contains("No events match."));
    // Dates: today finds them, a day long past none; a bad date is named.
    let today = &scaleup_storage::now_timestamp()[..10];
    let page = manager
        .get(&format!(
            "/console/audit?action=user.deactivate&from={today}&to={today}"
        ))
        .await;
    assert_eq!(page.body.matches("<code>user.").count(), 3);
    let page = manager.get("/console/audit?to=2000-01-01").await;
    assert!(page.body.contains("No events match."));
    let page = manager.get("/console/audit?from=yesterday").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("from: give a date as YYYY-MM-DD."));
    // Paged: 50 a page, the next page's link keeps the filter.
    for _ in 0..26 {
        manager
            .post(
                &format!("/console/users/{}/deactivate", app.fixture.counsellor_b.id),
                &[],
            )
            .await;
        manager
            .post(
                &format!("/console/users/{}/reactivate", app.fixture.counsellor_b.id),
                &[],
            )
            .await;
    }
    let page = manager.get("/console/audit?action=user.").await;
    assert_eq!(page.body.matches("<code>user.").count(), 50);
    // The link to older events keeps the filter (askama writes `&` as `&#38;`).
    let start = page
        .body
        .find("href=\"/console/audit?action=user.&#38;before=")
        .expect("older link")
        + "href=\"".len();
    let href: String = page.body[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect::<String>()
        .replace("&#38;", "&");
    let older = manager.get(&href).await;
    let filter = scaleup_storage::AuditFilter {
        action: Some("user.".into()),
        ..Default::default()
    };
    let (all, _) = app
        .store
        .audit_page_filtered(&actor(&app, "manager").await, &filter, None, 1000)
        .await
        .unwrap();
    assert!(all.len() > 50 && all.len() < 100);
    assert_eq!(older.body.matches("<code>user.").count(), all.len() - 50);
}

#[tokio::test]
async fn sync_conflicts_are_reviewed_and_resolved_on_a_page() {
    let app = App::sqlite().await;
    let counsellor = actor(&app, "counsellor").await;
    let f = &app.fixture;
    let client = client_of(&app, "counsellor").await;
    let ep = uuid();
    let data = |d: &str| json!({"client_id": client, "programme_id": f.programme_id, "enrolled_on": "2026-03-01", "closed_on": d, "closure_reason": "completed"});
    let open =
        json!({"client_id": client, "programme_id": f.programme_id, "enrolled_on": "2026-03-01"});
    let push = |device: &'static str, r: Value| {
        let store = app.store.clone();
        let counsellor = counsellor.clone();
        async move {
            store
                .push(&counsellor, device, vec![incoming(r)])
                .await
                .unwrap()
        }
    };
    push("phone", rec("episode", &ep, None, open)).await;
    push("phone", rec("episode", &ep, Some(1), data("2026-04-01"))).await;
    push("tablet", rec("episode", &ep, Some(1), data("2026-04-02"))).await;

    let manager = Browser::new(&app, "manager").await;
    let page = manager.get("/console/conflicts").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("<code>closed_on</code></td><td data-label=\"On the server\">2026-04-01</td><td data-label=\"From the phone\">2026-04-02</td>"),
        "{}",
        page.body
    );
    let conflicts = app
        .store
        .conflicts(&actor(&app, "manager").await)
        .await
        .unwrap();
    assert_eq!(conflicts.len(), 1);
    let id = conflicts[0].id.clone();
    let res = manager
        .post(
            &format!("/console/conflicts/{id}/resolve"),
            &[("keep", "incoming")],
        )
        .await;
    assert_eq!(
        (res.status, res.header("location")),
        (StatusCode::SEE_OTHER, "/console/conflicts?done=resolved"),
        "{}",
        res.body
    );
    let page = manager.get("/console/conflicts?done=resolved").await;
    assert!(page.body.contains("No open conflicts."));
    assert!(page.body.contains("The conflict was resolved."));
    let actions = audit_actions(&app).await;
    assert!(
        actions.iter().any(|(a, _)| a.contains("conflict")),
        "{actions:?}"
    );
}

/// Issue 9: an XLSForm uploaded on the definitions page becomes an instrument and its French
/// item texts in one step; a form an instrument cannot hold is refused with its sheet, row and
/// column, and nothing is stored.
#[tokio::test]
async fn an_xlsform_upload_becomes_an_instrument_or_is_refused_cell_by_cell() {
    let app = App::live().await;
    let manager = Browser::new(&app, "manager").await;
    let hub = app.fixture.hub_id.clone();
    let fixtures = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../scaleup-interop/tests/fixtures/import");
    let upload = |name: &'static str, licence: &'static str| {
        let bytes = std::fs::read(fixtures.join(name)).unwrap();
        let boundary = "----scaleupTestBoundaryXlsx";
        let mut body = Vec::new();
        for (k, v) in [
            ("_csrf", form_token(&manager.cookie)),
            ("hub_id", hub.clone()),
            ("licence", licence.to_string()),
        ] {
            body.extend(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .bytes(),
            );
        }
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n").bytes());
        body.extend(bytes);
        body.extend(format!("\r\n--{boundary}--\r\n").bytes());
        let content_type = format!("multipart/form-data; boundary={boundary}");
        let cookie = manager.cookie.clone();
        let app = &app;
        async move {
            app.send_bytes(
                "POST",
                "/console/definitions",
                &[
                    ("cookie", &cookie),
                    ("content-type", &content_type),
                    SAME_SITE,
                ],
                body,
            )
            .await
        }
    };
    let res = upload("screening-features.xlsx", "open").await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(
        res.body.contains("<tr class=\"problem\"><td data-label=\"Line\">4</td><td data-label=\"Field\"><code>survey / type</code></td><td data-label=\"Problem\">decimal questions cannot be represented"),
        "{}",
        res.body
    );
    assert!(app.store.definitions().await.unwrap().is_empty());
    let res = upload("phq2-multilingual.xlsx", "open").await;
    assert_eq!(
        (res.status, res.header("location")),
        (StatusCode::SEE_OTHER, "/console/definitions?done=uploaded"),
        "{}",
        res.body
    );
    let catalogs = app.store.catalogs();
    let catalog = catalogs.catalog(Some(&hub));
    assert!(catalog.instrument("phq2_odk").is_some());
    assert_eq!(
        app.store.definitions().await.unwrap().len(),
        2,
        "the instrument and its French texts"
    );
}
