//! Every route × every role (and no session): the exact allowed or denied outcome.
//!
//! The table below must name every operation in the OpenAPI route table; a new route without a
//! row here fails `every_route_is_in_the_matrix`.

mod common;

use common::{App, inputs, rec, uuid};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Columns: no session, admin, hub_manager, supervisor, counsellor, researcher, viewer.
const ROLES: [&str; 7] = [
    "anonymous",
    "admin",
    "manager",
    "supervisor",
    "counsellor",
    "researcher",
    "viewer",
];

struct Row {
    method: &'static str,
    template: &'static str,
    expected: [u16; 7],
}

const fn row(method: &'static str, template: &'static str, expected: [u16; 7]) -> Row {
    Row {
        method,
        template,
        expected,
    }
}

//                                                      anon admin mgr  sup  coun res  view
const MATRIX: &[Row] = &[
    row("get", "/health", [200, 200, 200, 200, 200, 200, 200]),
    row("get", "/openapi.json", [200, 200, 200, 200, 200, 200, 200]),
    row("post", "/auth/login", [200, 200, 200, 200, 200, 200, 200]),
    row("get", "/auth/me", [401, 200, 200, 200, 200, 200, 200]),
    row("get", "/hubs", [401, 200, 200, 200, 200, 200, 200]),
    row("post", "/hubs", [401, 201, 403, 403, 403, 403, 403]),
    row("get", "/org-units", [401, 200, 200, 200, 200, 200, 200]),
    row("post", "/org-units", [401, 201, 201, 403, 403, 403, 403]),
    row(
        "patch",
        "/org-units/{id}",
        [401, 200, 200, 403, 403, 403, 403],
    ),
    row("get", "/programmes", [401, 200, 200, 200, 200, 200, 200]),
    row("post", "/programmes", [401, 201, 201, 403, 403, 403, 403]),
    row(
        "patch",
        "/programmes/{id}",
        [401, 200, 200, 403, 403, 403, 403],
    ),
    row("get", "/users", [401, 200, 200, 200, 403, 403, 403]),
    row("post", "/users", [401, 201, 201, 403, 403, 403, 403]),
    row(
        "post",
        "/users/{id}/password",
        [401, 204, 204, 403, 403, 403, 403],
    ),
    // The second counsellor: deactivated, reactivated, and their (empty) caseload moved.
    row(
        "post",
        "/users/{id}/deactivate",
        [401, 200, 200, 403, 403, 403, 403],
    ),
    row(
        "post",
        "/users/{id}/reactivate",
        [401, 200, 200, 403, 403, 403, 403],
    ),
    row(
        "post",
        "/users/{id}/move-caseload",
        [401, 200, 200, 403, 403, 403, 403],
    ),
    row("get", "/clients", [401, 200, 200, 200, 200, 200, 403]),
    row("get", "/clients/{id}", [401, 200, 200, 200, 200, 200, 404]),
    row(
        "get",
        "/clients/{id}/records",
        [401, 200, 200, 200, 200, 200, 404],
    ),
    row(
        "get",
        "/clients/{id}/identity",
        [401, 404, 200, 200, 200, 404, 404],
    ),
    row("post", "/sync", [401, 403, 403, 200, 200, 403, 403]),
    row("get", "/sync", [401, 200, 200, 200, 200, 200, 403]),
    row("get", "/alerts", [401, 200, 200, 200, 200, 403, 403]),
    // An alert's detail and actions are for its supervisor and the hub's managers; to anyone
    // else it does not exist.
    row("get", "/alerts/{id}", [401, 404, 200, 200, 404, 404, 404]),
    row(
        "post",
        "/alerts/{id}/acknowledge",
        [401, 404, 200, 200, 404, 404, 404],
    ),
    row(
        "post",
        "/alerts/{id}/follow-ups",
        [401, 404, 201, 201, 404, 404, 404],
    ),
    // Safety flags: the fixture supervisor raised them, so they see theirs.
    row("get", "/safety-flags", [401, 200, 200, 200, 403, 403, 403]),
    row(
        "post",
        "/safety-flags/{id}/acknowledge",
        [401, 403, 200, 403, 403, 403, 403],
    ),
    row("get", "/notifications", [401, 200, 200, 403, 403, 403, 403]),
    row("get", "/caseload", [401, 403, 200, 200, 200, 403, 403]),
    row("get", "/conflicts", [401, 403, 200, 200, 403, 403, 403]),
    row(
        "get",
        "/conflicts/{id}",
        [401, 403, 200, 200, 403, 403, 403],
    ),
    row(
        "post",
        "/conflicts/{id}/resolve",
        [401, 403, 204, 204, 403, 403, 403],
    ),
    row("get", "/summary", [401, 200, 200, 200, 200, 200, 200]),
    row("get", "/indicators", [401, 200, 200, 200, 403, 200, 200]),
    row("get", "/audit", [401, 200, 200, 403, 403, 403, 403]),
    row("get", "/audit/verify", [401, 200, 403, 403, 403, 403, 403]),
    row("post", "/audit/verify", [401, 200, 403, 403, 403, 403, 403]),
    row(
        "get",
        "/audit/checkpoint",
        [401, 200, 403, 403, 403, 403, 403],
    ),
    row("get", "/definitions", [401, 200, 200, 403, 403, 403, 403]),
    row("post", "/definitions", [401, 201, 201, 403, 403, 403, 403]),
    row("get", "/instruments", [401, 200, 200, 200, 200, 200, 200]),
    row(
        "get",
        "/instruments/{code}",
        [401, 200, 200, 200, 200, 200, 200],
    ),
    row("get", "/protocols", [401, 200, 200, 200, 200, 200, 200]),
    row(
        "get",
        "/protocols/{code}",
        [401, 200, 200, 200, 200, 200, 200],
    ),
    // Analyses: aggregate results, for the roles that plan and study programmes. The fixture
    // programme has too few follow-ups for an effectiveness model: 422 means allowed and run.
    row(
        "get",
        "/programmes/{code}/effectiveness",
        [401, 422, 422, 403, 403, 422, 422],
    ),
    // Exports of client-level, pseudonymised data: the roles that read client rows and run
    // analyses. The fixture programme is too small for k = 5: 422 means allowed and refused.
    row(
        "get",
        "/programmes/{code}/dataset",
        [401, 422, 422, 403, 403, 422, 403],
    ),
    row(
        "get",
        "/programmes/{code}/fhir",
        [401, 200, 200, 403, 403, 200, 403],
    ),
    row(
        "post",
        "/programmes/{code}/nda",
        [401, 200, 200, 403, 403, 200, 403],
    ),
    row(
        "post",
        "/programmes/{code}/dhis2",
        [401, 200, 200, 403, 403, 200, 403],
    ),
    row("post", "/analyses/lmm", [401, 200, 200, 403, 403, 200, 200]),
    row(
        "post",
        "/analyses/glmm",
        [401, 200, 200, 403, 403, 200, 200],
    ),
    row("post", "/analyses/gee", [401, 200, 200, 403, 403, 200, 200]),
    row("post", "/analyses/icc", [401, 200, 200, 403, 403, 200, 200]),
    row(
        "post",
        "/analyses/meta",
        [401, 200, 200, 403, 403, 200, 200],
    ),
    row("post", "/analyses/psa", [401, 200, 200, 403, 403, 200, 200]),
    row(
        "post",
        "/analyses/evpi",
        [401, 200, 200, 403, 403, 200, 200],
    ),
    row(
        "post",
        "/analyses/owsa",
        [401, 200, 200, 403, 403, 200, 200],
    ),
    row(
        "post",
        "/analyses/icers",
        [401, 200, 200, 403, 403, 200, 200],
    ),
    row(
        "post",
        "/analyses/markov",
        [401, 200, 200, 403, 403, 200, 200],
    ),
    row(
        "post",
        "/analyses/power",
        [401, 200, 200, 403, 403, 200, 200],
    ),
    row(
        "post",
        "/analyses/sample-size",
        [401, 200, 200, 403, 403, 200, 200],
    ),
    row(
        "post",
        "/analyses/plan",
        [401, 200, 200, 403, 403, 200, 200],
    ),
    row(
        "post",
        "/analyses/budget-impact",
        [401, 200, 200, 403, 403, 200, 200],
    ),
    row("post", "/analyses/roi", [401, 200, 200, 403, 403, 200, 200]),
    row(
        "post",
        "/analyses/costs",
        [401, 200, 200, 403, 403, 200, 200],
    ),
    row("post", "/imports/odk", [401, 403, 403, 200, 200, 403, 403]),
    row(
        "post",
        "/imports/redcap",
        [401, 403, 403, 200, 200, 403, 403],
    ),
    row(
        "post",
        "/imports/dhis2-tracker",
        [401, 403, 403, 200, 200, 403, 403],
    ),
    row("post", "/auth/logout", [401, 204, 204, 204, 204, 204, 204]),
];

#[test]
fn every_route_is_in_the_matrix() {
    let documented: BTreeSet<(String, String)> = scaleup_web::openapi::ROUTES
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    let tested: BTreeSet<(String, String)> = MATRIX
        .iter()
        .map(|r| (r.method.to_string(), r.template.to_string()))
        .collect();
    assert_eq!(documented, tested);
}

/// Ids the parameterised routes need, one fresh resource per role where the call consumes it.
struct Targets {
    client: String,
    alerts: Vec<String>,
    conflicts: Vec<String>,
    safety_flags: Vec<String>,
}

async fn targets(app: &App) -> Targets {
    let f = &app.fixture;
    let counsellor = app.token("counsellor").await;
    let client = uuid();
    let episode = uuid();
    let mut records = vec![
        rec(
            "client",
            &client,
            None,
            json!({"programme_id": f.programme_id, "facility_id": f.facility_id, "registered_on": "2026-03-01", "sex": "female"}),
        ),
        rec(
            "client_identity",
            &uuid(),
            None,
            json!({"client_id": client, "given_name": "Achieng"}),
        ),
        rec(
            "episode",
            &episode,
            None,
            json!({"client_id": client, "programme_id": f.programme_id, "enrolled_on": "2026-03-01"}),
        ),
    ];
    for _ in 0..7 {
        records.push(rec("assessment", &uuid(), None, json!({"client_id": client, "instrument": "phq9", "occasion": "baseline", "administered_on": "2026-03-01", "responses": {"9": 2}})));
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
    // Seven stale edits of the episode: one conflict per role column.
    let mut conflicts = Vec::new();
    let (_, _) = app
        .call("POST", "/api/v1/sync", Some(&counsellor), Some(json!({"device_id": "phone", "records": [rec("episode", &episode, Some(1), json!({"client_id": client, "programme_id": f.programme_id, "enrolled_on": "2026-03-02"}))]})))
        .await;
    for i in 0..7 {
        let (_, body) = app
            .call("POST", "/api/v1/sync", Some(&counsellor), Some(json!({"device_id": format!("tablet-{i}"), "records": [rec("episode", &episode, Some(1), json!({"client_id": client, "programme_id": f.programme_id, "enrolled_on": format!("2026-03-1{i}")}))]})))
            .await;
        conflicts.push(
            body["acks"][0]["conflict_id"]
                .as_str()
                .expect("a conflict")
                .to_string(),
        );
    }
    let supervisor = app.token("supervisor").await;
    let (_, alerts) = app
        .call("GET", "/api/v1/alerts", Some(&supervisor), None)
        .await;
    let alerts: Vec<String> = alerts["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(alerts.len(), 7);
    // Seven harmful competency ratings of the counsellor: one safety flag per role column.
    let ratings: Vec<Value> = (0..7)
        .map(|_| {
            rec(
                "competency_assessment",
                &uuid(),
                None,
                json!({"counsellor_id": f.counsellor.id, "assessor_id": f.supervisor.id, "on": "2026-03-02", "tool": "enact_equip", "method": "observed_session", "levels": {"7": 1}}),
            )
        })
        .collect();
    let (s, body) = app
        .call(
            "POST",
            "/api/v1/sync",
            Some(&supervisor),
            Some(json!({"device_id": "tablet", "records": ratings})),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let (_, flags) = app
        .call("GET", "/api/v1/safety-flags", Some(&supervisor), None)
        .await;
    let safety_flags: Vec<String> = flags["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(safety_flags.len(), 7);
    Targets {
        client,
        alerts,
        conflicts,
        safety_flags,
    }
}

fn request_for(app: &App, t: &Targets, r: &Row, col: usize) -> (String, Option<Value>) {
    let f = &app.fixture;
    let role = ROLES[col];
    let path = r
        .template
        .replace(
            "{id}",
            match r.template {
                "/users/{id}/password"
                | "/users/{id}/deactivate"
                | "/users/{id}/reactivate"
                | "/users/{id}/move-caseload" => &f.counsellor_b.id,
                "/org-units/{id}" => &f.facility_id,
                "/programmes/{id}" => &f.programme_id,
                "/alerts/{id}" | "/alerts/{id}/acknowledge" | "/alerts/{id}/follow-ups" => {
                    &t.alerts[col]
                }
                "/safety-flags/{id}/acknowledge" => &t.safety_flags[col],
                "/conflicts/{id}/resolve" | "/conflicts/{id}" => &t.conflicts[col],
                _ => &t.client,
            },
        )
        .replace(
            "{code}",
            if r.template.starts_with("/instruments") {
                "phq9"
            } else if r.template.starts_with("/programmes") {
                "pmplus-2026"
            } else {
                "pm_plus_individual"
            },
        )
        .replace("/analyses/lmm", "/analyses/lmm?formula=y~x%2B(1%7Cg)")
        .replace(
            "/analyses/glmm",
            "/analyses/glmm?family=binomial&formula=remit~arm%2B(1%7Csite)",
        )
        .replace(
            "/analyses/sample-size",
            "/analyses/sample-size?solve=n_per_arm",
        )
        .replace(
            "/analyses/gee",
            "/analyses/gee?formula=y~x&family=gaussian&group=g",
        )
        .replace("/analyses/icc", "/analyses/icc?formula=y~x%2B(1%7Cg)")
        .replace(
            "/analyses/meta",
            "/analyses/meta?estimate=yi&se=sei&label=label",
        )
        .replace("/analyses/psa", "/analyses/psa?draws=200&wtp=0,5000")
        .replace("/analyses/evpi", "/analyses/evpi?wtp=3000")
        .replace("/analyses/owsa", "/analyses/owsa?wtp=5000");
    let body = match (r.method, r.template) {
        ("post", "/auth/login") => Some(
            json!({"username": "viewer", "password": scaleup_storage::testing::FIXTURE_PASSWORD}),
        ),
        ("post", "/hubs") => {
            Some(json!({"code": format!("hub-{role}"), "name": "New hub", "country": "UG"}))
        }
        ("post", "/org-units") => Some(
            json!({"hub_id": f.hub_id, "parent_id": null, "level": "country", "code": format!("c-{role}"), "name": "Country"}),
        ),
        ("post", "/programmes") => Some(
            json!({"hub_id": f.hub_id, "code": format!("p-{role}"), "name": "P", "protocol_code": "pm_plus_individual", "alert_ack_hours": 24, "start_date": "2026-01-01"}),
        ),
        ("post", "/users") => Some(
            json!({"username": format!("new-{role}"), "display_name": "New", "password": "a long enough password", "role": "counsellor", "hub_id": f.hub_id, "supervisor_id": f.supervisor.id}),
        ),
        ("post", "/users/{id}/password") => Some(json!({"password": "another long password"})),
        ("post", "/users/{id}/move-caseload") => Some(json!({"to_counsellor_id": f.counsellor.id})),
        ("patch", "/org-units/{id}") => Some(
            json!({"catchment_population": 25000, "prevalence": 0.05, "prevalence_source": "Kenya national survey"}),
        ),
        ("patch", "/programmes/{id}") => Some(json!({"alert_ack_hours": 48})),
        ("post", "/definitions") => Some(json!({
            "hub_id": f.hub_id,
            "file_name": format!("phq9_{role}.toml"),
            "text": scaleup_domain::catalog::BUILTIN_FILES
                .iter()
                .find(|(n, _)| *n == "instruments/phq9.toml")
                .unwrap()
                .1
                .replacen("code = \"phq9\"", &format!("code = \"phq9_{role}\""), 1),
        })),
        ("post", "/sync") => Some(
            json!({"device_id": "d", "records": [rec("consent", &uuid(), None, json!({"client_id": t.client, "scope": "research", "given": true, "on": "2026-03-02"}))]}),
        ),
        ("post", "/alerts/{id}/acknowledge") => Some(
            json!({"actions": ["contacted_client", "called_counsellor"], "note": "Reached her by phone."}),
        ),
        ("post", "/alerts/{id}/follow-ups") => Some(json!({"actions": ["supervision_scheduled"]})),
        ("post", "/safety-flags/{id}/acknowledge") => {
            Some(json!({"note": "Discussed in supervision."}))
        }
        ("post", "/conflicts/{id}/resolve") => Some(json!({"keep": "server"})),
        ("post", "/audit/verify") => Some(json!({"checkpoints": []})),
        ("post", "/programmes/{code}/nda") => {
            Some(json!({"guids": {t.client.clone(): "NDAR_INVTEST0001"}}))
        }
        ("post", "/programmes/{code}/dhis2") => Some(
            json!({"tracked_entity_type": "nEenWmSyUEp", "program": "IpHINAT79UW", "org_units": {}}),
        ),
        ("post", "/imports/odk") => Some(json!({
            "mapping": format!("source = \"odk\"\ndataset = \"matrix-{role}\"\n[[records]]\nkind = \"consent\"\n[records.fields]\nclient_id = {{ value = \"{}\" }}\nscope = {{ value = \"research\" }}\ngiven = {{ value = true }}\non = {{ column = \"on\", type = \"date\" }}\n", t.client),
            "content": "meta-instanceID,on\nuuid:1,2026-03-02\n",
        })),
        ("post", "/imports/redcap") => Some(json!({
            "mapping": format!("source = \"redcap\"\ndataset = \"matrix-{role}\"\n[[records]]\nkind = \"consent\"\n[records.fields]\nclient_id = {{ value = \"{}\" }}\nscope = {{ value = \"research\" }}\ngiven = {{ value = true }}\non = {{ column = \"on\", type = \"date\" }}\n", t.client),
            "content": "record_id,on\n1,2026-03-02\n",
            "dry_run": true,
        })),
        ("post", "/imports/dhis2-tracker") => Some(json!({
            "mapping": "tracked_entity_type = \"nEenWmSyUEp\"\nprogram = \"IpHINAT79UW\"\n[org_units]\n",
            "content": "{\"trackedEntities\": []}",
            "programme": "pmplus-2026",
        })),
        ("post", "/analyses/lmm") => Some(Value::String(inputs::lmm_csv())),
        ("post", "/analyses/glmm") => Some(Value::String(inputs::glmm_csv())),
        ("post", "/analyses/gee" | "/analyses/icc") => Some(Value::String(inputs::lmm_csv())),
        ("post", "/analyses/meta") => Some(json!(inputs::META_CSV)),
        ("post", "/analyses/psa" | "/analyses/owsa") => Some(json!(inputs::PSA_TOML)),
        ("post", "/analyses/evpi") => Some(json!(inputs::EVPI_CSV)),
        ("post", "/analyses/icers") => Some(json!(inputs::ICERS_CSV)),
        ("post", "/analyses/markov") => Some(json!(inputs::MARKOV_TOML)),
        ("post", "/analyses/power") => Some(json!(inputs::POWER_TOML)),
        ("post", "/analyses/sample-size") => Some(json!(inputs::SAMPLE_SIZE_TOML)),
        ("post", "/analyses/plan") => Some(json!(inputs::PLAN_TOML)),
        ("post", "/analyses/budget-impact") => Some(json!(inputs::BIA_TOML)),
        ("post", "/analyses/roi") => Some(json!(inputs::ROI_TOML)),
        ("post", "/analyses/costs") => Some(json!(format!(
            "{}{}",
            inputs::PRICES_TOML,
            inputs::FILED_ACTIVITY
        ))),
        _ => None,
    };
    (format!("/api/v1{path}"), body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_for_every_role() {
    let app = App::sqlite().await;
    let t = targets(&app).await;
    let mut tokens: Vec<Option<String>> = vec![None];
    for name in &ROLES[1..] {
        tokens.push(Some(app.token(name).await));
    }
    let mut failures = Vec::new();
    for r in MATRIX {
        for col in 0..ROLES.len() {
            let (path, body) = request_for(&app, &t, r, col);
            let token = tokens[col].clone();
            let (status, value) = app
                .call(&r.method.to_uppercase(), &path, token.as_deref(), body)
                .await;
            if status.as_u16() != r.expected[col] {
                failures.push(format!(
                    "{} {} as {}: expected {}, got {} {}",
                    r.method, r.template, ROLES[col], r.expected[col], status, value
                ));
            }
            if status.is_client_error() {
                assert!(
                    value["error"]["code"].is_string(),
                    "{} {}: error body must be JSON",
                    r.method,
                    r.template
                );
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
