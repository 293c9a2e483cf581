//! The hub console's storage, on SQLite and on PostgreSQL: deactivating accounts (sessions end
//! at once), password resets by hub managers, moving a caseload with its history, org-unit
//! prevalence, programme edits, hub-scoped definitions that reload on every server without a
//! restart, and the audit log scoped to a manager's hubs.
// A test may panic on a missing column: Row::get is disallowed in the product, not here.
#![allow(clippy::disallowed_methods)]

use scaleup_domain::catalog::BUILTIN_FILES;
use scaleup_storage::testing::{FIXTURE_PASSWORD, Fixture, TestDb, TestRules};
use scaleup_storage::{
    Ack, AckStatus, Actor, AuditFilter, IncomingRecord, LoginOutcome, OrgUnitUpdate,
    ProgrammeUpdate, SessionKind, Store, StoreError, StoreOptions, UserRecord,
};
use serde_json::{Value, json};
use sqlx::Row;
use std::sync::Arc;

scaleup_storage::on_both_backends!(
    deactivation_ends_every_session_at_once,
    hub_managers_reset_their_own_staffs_passwords,
    a_moved_caseload_takes_its_history_along,
    org_units_keep_a_prevalence_with_its_source,
    programme_edits_take_protocols_from_the_hubs_catalogue,
    hub_definitions_apply_to_their_hub_and_reach_every_server,
    definition_uploads_are_validated_scoped_and_replace_their_version,
    price_lists_are_stored_for_the_hub_they_price,
    the_audit_log_is_scoped_to_a_managers_hubs,
    the_audit_log_is_filtered_by_actor_action_and_day,
);

async fn run<F, Fut>(db: &TestDb, test: F)
where
    F: FnOnce(Store, Fixture, TestDb2) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let store = db.open(Arc::new(TestRules)).await;
    let fixture = Fixture::seed(&store).await;
    test(
        store,
        fixture,
        TestDb2 {
            url: db.url.clone(),
            key: db.key.clone(),
        },
    )
    .await;
}

/// What a test needs to open its database a second time (a second server).
struct TestDb2 {
    url: String,
    key: scaleup_storage::MasterKey,
}

impl TestDb2 {
    async fn second_server(&self) -> Store {
        let store = Store::open(StoreOptions {
            url: self.url.clone(),
            master_key: self.key.clone(),
            max_connections: 2,
            rules: Arc::new(TestRules),
        })
        .await
        .unwrap();
        store.load_definitions().await.unwrap();
        store
    }
}

async fn actor(store: &Store, user: &UserRecord) -> Actor {
    store.actor_for(user).await.unwrap()
}

fn rec(kind: &str, id: &str, base: Option<i64>, data: Value) -> IncomingRecord {
    serde_json::from_value(json!({"kind": kind, "id": id, "base_version": base, "device_time": "2026-03-01T09:00:00+03:00", "data": data})).unwrap()
}

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn push_created(store: &Store, actor: &Actor, records: Vec<IncomingRecord>) -> Vec<Ack> {
    let acks = store.push(actor, "device-1", records).await.unwrap();
    assert!(
        acks.iter().all(|a| a.status == AckStatus::Created),
        "{acks:?}"
    );
    acks
}

async fn bearer(store: &Store, username: &str, password: &str) -> Option<String> {
    match store
        .login(username, password, "127.0.0.1", SessionKind::Bearer)
        .await
        .unwrap()
    {
        LoginOutcome::Success { token, .. } => Some(token),
        LoginOutcome::Invalid => None,
    }
}

async fn audit_actions(store: &Store) -> Vec<(String, Option<String>, Value)> {
    store.seal_audit().await.unwrap();
    sqlx::query("SELECT action, hub_id, detail FROM audit_log ORDER BY seq")
        .fetch_all(store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.get::<String, _>("action"),
                r.get::<Option<String>, _>("hub_id"),
                serde_json::from_str(&r.get::<String, _>("detail")).unwrap(),
            )
        })
        .collect()
}

fn forbidden(e: StoreError) -> &'static str {
    match e {
        StoreError::Forbidden(m) => m,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn invalid(e: StoreError) -> (String, String) {
    match e {
        StoreError::Invalid { field, message } => (field, message),
        other => panic!("expected invalid input, got {other:?}"),
    }
}

async fn deactivation_ends_every_session_at_once(store: Store, f: Fixture, _db: TestDb2) {
    let manager = actor(&store, &f.manager).await;
    let token = bearer(&store, "counsellor", FIXTURE_PASSWORD)
        .await
        .unwrap();
    let other = bearer(&store, "counsellor", FIXTURE_PASSWORD)
        .await
        .unwrap();
    assert!(store.session_actor(&token).await.unwrap().is_some());
    let user = store
        .set_user_active(&manager, &f.counsellor.id, false)
        .await
        .unwrap();
    assert!(!user.active);
    // Both sessions are gone from the database, not merely refused.
    for t in [&token, &other] {
        assert!(store.session_actor(t).await.unwrap().is_none());
    }
    let left: i64 =
        sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM auth_sessions WHERE user_id = $1")
            .bind(f.counsellor.id.clone())
            .fetch_one(store.pool())
            .await
            .unwrap();
    assert_eq!(left, 0);
    assert!(
        bearer(&store, "counsellor", FIXTURE_PASSWORD)
            .await
            .is_none()
    );
    let events = audit_actions(&store).await;
    let (_, hub, detail) = events
        .iter()
        .find(|(a, ..)| a == "user.deactivate")
        .unwrap();
    assert_eq!(hub.as_deref(), Some(f.hub_id.as_str()));
    assert_eq!(detail["sessions_ended"], 2);
    // Nobody deactivates themselves; another hub's staff do not exist for a manager; a
    // supervisor manages no accounts.
    let m = forbidden(
        store
            .set_user_active(&manager, &f.manager.id, false)
            .await
            .unwrap_err(),
    );
    assert!(m.contains("ask another hub manager or an admin"), "{m}");
    assert!(matches!(
        store
            .set_user_active(&manager, &f.foreign_counsellor.id, false)
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.set_user_active(&manager, &f.admin.id, false).await,
        Err(StoreError::NotFound)
    ));
    let supervisor = actor(&store, &f.supervisor).await;
    let m = forbidden(
        store
            .set_user_active(&supervisor, &f.counsellor_b.id, false)
            .await
            .unwrap_err(),
    );
    assert!(m.contains("ask your hub manager"), "{m}");
    // An admin manages any account; reactivation lets the user sign in again.
    let admin = actor(&store, &f.admin).await;
    store
        .set_user_active(&admin, &f.counsellor.id, true)
        .await
        .unwrap();
    assert!(
        bearer(&store, "counsellor", FIXTURE_PASSWORD)
            .await
            .is_some()
    );
    assert!(store.verify_audit().await.unwrap().ok);
}

async fn hub_managers_reset_their_own_staffs_passwords(store: Store, f: Fixture, _db: TestDb2) {
    let manager = actor(&store, &f.manager).await;
    let token = bearer(&store, "supervisor", FIXTURE_PASSWORD)
        .await
        .unwrap();
    store
        .set_password(Some(&manager), &f.supervisor.id, "a new long password")
        .await
        .unwrap();
    assert!(store.session_actor(&token).await.unwrap().is_none());
    assert!(
        bearer(&store, "supervisor", FIXTURE_PASSWORD)
            .await
            .is_none()
    );
    assert!(
        bearer(&store, "supervisor", "a new long password")
            .await
            .is_some()
    );
    let (_, hub, _) = audit_actions(&store)
        .await
        .into_iter()
        .find(|(a, ..)| a == "user.password_reset")
        .unwrap();
    assert_eq!(hub.as_deref(), Some(f.hub_id.as_str()));
    for other in [&f.foreign_counsellor.id, &f.admin.id] {
        assert!(matches!(
            store
                .set_password(Some(&manager), other, "a new long password")
                .await,
            Err(StoreError::NotFound)
        ));
    }
    let counsellor = actor(&store, &f.counsellor).await;
    forbidden(
        store
            .set_password(Some(&counsellor), &f.counsellor_b.id, "a new long password")
            .await
            .unwrap_err(),
    );
}

/// A client of `counsellor` with an episode (open, or closed when `closed`), and an urgent
/// PHQ-9 item 9 alert when `alert`.
async fn client_of(
    store: &Store,
    f: &Fixture,
    counsellor: &UserRecord,
    closed: bool,
    alert: bool,
) -> String {
    let a = actor(store, counsellor).await;
    let client = uuid();
    let mut episode =
        json!({"client_id": client, "programme_id": f.programme_id, "enrolled_on": "2026-03-01"});
    if closed {
        episode["closed_on"] = json!("2026-03-05");
        episode["closure_reason"] = json!("completed");
    }
    let mut records = vec![
        rec(
            "client",
            &client,
            None,
            json!({"programme_id": f.programme_id, "facility_id": f.facility_id, "registered_on": "2026-03-01", "sex": "female"}),
        ),
        rec("episode", &uuid(), None, episode),
    ];
    if alert {
        let mut responses = serde_json::Map::new();
        for i in 1..=9 {
            responses.insert(i.to_string(), json!(if i == 9 { 2 } else { 1 }));
        }
        records.push(rec(
            "assessment",
            &uuid(),
            None,
            json!({"client_id": client, "instrument": "phq9", "occasion": "baseline", "administered_on": "2026-03-01", "responses": responses}),
        ));
    }
    push_created(store, &a, records).await;
    client
}

async fn a_moved_caseload_takes_its_history_along(store: Store, f: Fixture, _db: TestDb2) {
    let with_alert = client_of(&store, &f, &f.counsellor, false, true).await;
    let active = client_of(&store, &f, &f.counsellor, false, false).await;
    let closed = client_of(&store, &f, &f.counsellor, true, false).await;
    // Registered, not enrolled yet: still the counsellor's work.
    let waiting = uuid();
    push_created(
        &store,
        &actor(&store, &f.counsellor).await,
        vec![rec(
            "client",
            &waiting,
            None,
            json!({"programme_id": f.programme_id, "facility_id": f.facility_id, "registered_on": "2026-03-02", "sex": "male"}),
        )],
    )
    .await;
    let manager = actor(&store, &f.manager).await;
    assert_eq!(
        store
            .caseload_counts(&manager, &f.counsellor.id)
            .await
            .unwrap(),
        (3, 1)
    );
    let new_owner = actor(&store, &f.counsellor_b).await;
    let before = store.pull(&new_owner, "", 1000).await.unwrap();
    assert!(before.changes.is_empty());
    let moved = store
        .move_caseload(&manager, &f.counsellor.id, &f.counsellor_b.id)
        .await
        .unwrap();
    assert_eq!((moved.clients_moved, moved.closed_clients_kept), (3, 1));
    // Every record of the moved clients is the new counsellor's, and their next pull brings
    // them all, the client records at their new version.
    let owners: Vec<(String, Option<String>)> = sqlx::query(
        "SELECT client_id, counsellor_id FROM records WHERE client_id IS NOT NULL ORDER BY client_id",
    )
    .fetch_all(store.pool())
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get("client_id"), r.get("counsellor_id")))
    .collect();
    for (client, owner) in &owners {
        let expected = if *client == closed {
            &f.counsellor.id
        } else {
            &f.counsellor_b.id
        };
        assert_eq!(owner.as_ref(), Some(expected), "client {client}");
    }
    let pulled = store
        .pull(&new_owner, &before.next_cursor, 1000)
        .await
        .unwrap();
    for client in [&with_alert, &active, &waiting] {
        let c = pulled
            .changes
            .iter()
            .find(|c| c.id == *client)
            .expect("the moved client reaches the new counsellor");
        assert_eq!(c.version, 2);
        assert_eq!(c.data["counsellor_id"], json!(f.counsellor_b.id));
    }
    assert!(pulled.changes.iter().any(|c| c.kind == "assessment"));
    assert!(!pulled.changes.iter().any(|c| c.id == closed));
    let old_owner = actor(&store, &f.counsellor).await;
    let left = store.pull(&old_owner, "", 1000).await.unwrap();
    assert!(left.changes.iter().all(|c| c.id != active));
    // History: version 1 named the old counsellor (by default), version 2 the new one.
    let versions: Vec<i64> =
        sqlx::query("SELECT version FROM record_versions WHERE record_id = $1 ORDER BY version")
            .bind(active.clone())
            .fetch_all(store.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| r.get("version"))
            .collect();
    assert_eq!(versions, vec![1, 2]);
    // The open alert went with the client, to the new counsellor's supervisor.
    let supervisor_b = actor(&store, &f.supervisor_b).await;
    let (alerts, _) = store
        .alerts_page(
            &supervisor_b,
            &scaleup_storage::AlertFilter {
                status: Some("open".into()),
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].client_id, with_alert);
    assert_eq!(
        alerts[0].counsellor_id.as_deref(),
        Some(f.counsellor_b.id.as_str())
    );
    // Audited: each client record's new version, and the move as a whole.
    let events = audit_actions(&store).await;
    let (_, hub, detail) = events.iter().find(|(a, ..)| a == "caseload.move").unwrap();
    assert_eq!(hub.as_deref(), Some(f.hub_id.as_str()));
    assert_eq!(
        (detail["clients"].clone(), detail["to"].clone()),
        (json!(3), json!(f.counsellor_b.id))
    );
    assert!(store.verify_audit().await.unwrap().ok);
    assert!(scaleup_storage::testing::summary_counts_match_records(&store).await);
    // Only to an active counsellor of the same hub; never by a supervisor.
    let (field, _) = invalid(
        store
            .move_caseload(&manager, &f.counsellor_b.id, &f.foreign_counsellor.id)
            .await
            .unwrap_err(),
    );
    assert_eq!(field, "to_counsellor_id");
    store
        .set_user_active(&manager, &f.counsellor.id, false)
        .await
        .unwrap();
    let (field, message) = invalid(
        store
            .move_caseload(&manager, &f.counsellor_b.id, &f.counsellor.id)
            .await
            .unwrap_err(),
    );
    assert_eq!(field, "to_counsellor_id");
    assert!(message.contains("active counsellor"), "{message}");
    let (field, _) = invalid(
        store
            .move_caseload(&manager, &f.researcher.id, &f.counsellor_b.id)
            .await
            .unwrap_err(),
    );
    assert_eq!(field, "id");
    let supervisor = actor(&store, &f.supervisor).await;
    forbidden(
        store
            .move_caseload(&supervisor, &f.counsellor_b.id, &f.supervisor.id)
            .await
            .unwrap_err(),
    );
}

async fn org_units_keep_a_prevalence_with_its_source(store: Store, f: Fixture, _db: TestDb2) {
    let manager = actor(&store, &f.manager).await;
    let unit = store
        .update_org_unit(
            &manager,
            &f.facility_id,
            OrgUnitUpdate {
                catchment_population: Some(26000),
                prevalence: Some(Some(0.052)),
                prevalence_source: Some("Kenya Mental Health Survey 2024".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (unit.catchment_population, unit.prevalence),
        (Some(26000), Some(0.052))
    );
    let listed = store.org_unit(&manager, &f.facility_id).await.unwrap();
    assert_eq!(listed.prevalence, Some(0.052));
    assert_eq!(
        listed.prevalence_source.as_deref(),
        Some("Kenya Mental Health Survey 2024")
    );
    for (p, source, field) in [
        (1.5, Some("x"), "prevalence"),
        (-0.1, Some("x"), "prevalence"),
        (f64::NAN, Some("x"), "prevalence"),
    ] {
        let (got, _) = invalid(
            store
                .update_org_unit(
                    &manager,
                    &f.facility_id,
                    OrgUnitUpdate {
                        prevalence: Some(Some(p)),
                        prevalence_source: source.map(String::from),
                        ..Default::default()
                    },
                )
                .await
                .unwrap_err(),
        );
        assert_eq!(got, field);
    }
    // A prevalence needs its source; clearing it clears both.
    let other = store
        .org_units(&manager, Some(&f.hub_id))
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.code == "olympic-hc")
        .unwrap();
    let (field, _) = invalid(
        store
            .update_org_unit(
                &manager,
                &other.id,
                OrgUnitUpdate {
                    prevalence: Some(Some(0.04)),
                    ..Default::default()
                },
            )
            .await
            .unwrap_err(),
    );
    assert_eq!(field, "prevalence_source");
    let cleared = store
        .update_org_unit(
            &manager,
            &f.facility_id,
            OrgUnitUpdate {
                prevalence: Some(None),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (cleared.prevalence, cleared.prevalence_source),
        (None, None)
    );
    // Another hub's unit does not exist for this manager; a supervisor sets nothing up.
    assert!(matches!(
        store
            .update_org_unit(&manager, &f.other_facility_id, OrgUnitUpdate::default())
            .await,
        Err(StoreError::NotFound)
    ));
    let supervisor = actor(&store, &f.supervisor).await;
    forbidden(
        store
            .update_org_unit(&supervisor, &f.facility_id, OrgUnitUpdate::default())
            .await
            .unwrap_err(),
    );
    let (_, hub, _) = audit_actions(&store)
        .await
        .into_iter()
        .find(|(a, ..)| a == "org_unit.update")
        .unwrap();
    assert_eq!(hub.as_deref(), Some(f.hub_id.as_str()));
}

async fn programme_edits_take_protocols_from_the_hubs_catalogue(
    store: Store,
    f: Fixture,
    _db: TestDb2,
) {
    let manager = actor(&store, &f.manager).await;
    let p = store
        .update_programme(
            &manager,
            &f.programme_id,
            ProgrammeUpdate {
                name: Some("PM+ scale-up, phase 2".into()),
                alert_ack_hours: Some(48),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (p.name.as_str(), p.alert_ack_hours, p.protocol_code.as_str()),
        ("PM+ scale-up, phase 2", 48, "pm_plus_individual")
    );
    let (field, _) = invalid(
        store
            .update_programme(
                &manager,
                &f.programme_id,
                ProgrammeUpdate {
                    protocol_code: Some("no_such_protocol".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap_err(),
    );
    assert_eq!(field, "protocol_code");
    assert!(matches!(
        store
            .update_programme(&manager, &f.other_programme_id, ProgrammeUpdate::default())
            .await,
        Err(StoreError::NotFound)
    ));
}

/// The built-in PHQ-9 as version 2, positive only above 14, under another name if given.
fn phq9_v2(code: &str) -> String {
    BUILTIN_FILES
        .iter()
        .find(|(n, _)| *n == "instruments/phq9.toml")
        .unwrap()
        .1
        .replacen("code = \"phq9\"", &format!("code = \"{code}\""), 1)
        .replace("version = \"1\"", "version = \"2\"")
        .replace("default_cutoff = \"ge10\"", "default_cutoff = \"gt14\"")
}

/// Pushes a PHQ-9 with a total of 12 for a new client of `counsellor`; returns the server's
/// (version, positive).
async fn score_of_12(
    store: &Store,
    counsellor: &UserRecord,
    programme: &str,
    facility: &str,
) -> (Option<String>, Option<bool>) {
    let a = actor(store, counsellor).await;
    let client = uuid();
    let mut responses = serde_json::Map::new();
    for i in 1..=9 {
        responses.insert(
            i.to_string(),
            json!(if i <= 4 {
                2
            } else if i == 9 {
                0
            } else {
                1
            }),
        );
    }
    let acks = push_created(
        store,
        &a,
        vec![
            rec(
                "client",
                &client,
                None,
                json!({"programme_id": programme, "facility_id": facility, "registered_on": "2026-03-01", "sex": "female"}),
            ),
            rec(
                "assessment",
                &uuid(),
                None,
                json!({"client_id": client, "instrument": "phq9", "occasion": "screening", "administered_on": "2026-03-01", "responses": responses}),
            ),
        ],
    )
    .await;
    let score = acks[1].score.as_ref().unwrap();
    assert_eq!(score.total, Some(12.0));
    (score.instrument_version.clone(), score.positive)
}

async fn hub_definitions_apply_to_their_hub_and_reach_every_server(
    store: Store,
    f: Fixture,
    db: TestDb2,
) {
    // Two servers on one database, each with the catalogue as stored.
    store.load_definitions().await.unwrap();
    let other_server = db.second_server().await;
    let version = store.catalogs().version();
    assert_eq!(other_server.catalogs().version(), version);
    let manager = actor(&store, &f.manager).await;
    let added = store
        .add_definitions(
            Some(&manager),
            Some(&f.hub_id),
            &[("phq9-v2.toml".into(), phq9_v2("phq9"))],
        )
        .await
        .unwrap();
    assert_eq!(
        (added[0].code.as_str(), added[0].version.as_str()),
        ("phq9", "2")
    );
    // The uploading server uses it at once, for this hub only.
    assert!(store.catalogs().version() > version);
    assert_eq!(
        store
            .catalogs()
            .catalog(Some(&f.hub_id))
            .instrument("phq9")
            .unwrap()
            .version(),
        "2"
    );
    assert_eq!(
        store
            .catalogs()
            .catalog(Some(&f.other_hub_id))
            .instrument("phq9")
            .unwrap()
            .version(),
        "1"
    );
    // The other server has not looked yet; its next push does, before scoring.
    assert_eq!(other_server.catalogs().version(), version);
    assert_eq!(
        score_of_12(
            &other_server,
            &f.counsellor,
            &f.programme_id,
            &f.facility_id
        )
        .await,
        (Some("2".into()), Some(false))
    );
    assert!(other_server.catalogs().version() > version);
    // The other hub's records are still scored with the network's version 1.
    assert_eq!(
        score_of_12(
            &other_server,
            &f.foreign_counsellor,
            &f.other_programme_id,
            &f.other_facility_id
        )
        .await,
        (Some("1".into()), Some(true))
    );
    // Nothing changed since: a check is one read and no reload.
    assert!(!other_server.refresh_definitions().await.unwrap());
    // An admin's network-wide file applies to every hub, the hub's own file still winning in
    // its hub (hub files come after the network's).
    let admin = actor(&store, &f.admin).await;
    store
        .add_definitions(
            Some(&admin),
            None,
            &[("network.toml".into(), phq9_v2("phq9_network"))],
        )
        .await
        .unwrap();
    assert!(other_server.refresh_definitions().await.unwrap());
    for hub in [&f.hub_id, &f.other_hub_id] {
        assert!(
            other_server
                .catalogs()
                .catalog(Some(hub))
                .instrument("phq9_network")
                .is_some()
        );
    }
    assert!(other_server.catalogs().problems().is_empty());
}

async fn definition_uploads_are_validated_scoped_and_replace_their_version(
    store: Store,
    f: Fixture,
    _db: TestDb2,
) {
    store.load_definitions().await.unwrap();
    let manager = actor(&store, &f.manager).await;
    let version = store.definitions_version().await.unwrap();
    // A malformed file: refused with its line and field, nothing stored, nothing bumped.
    let bad = "kind = \"instrument\"\ncode = \"bad\"\nversion = \"1\"\nname = 7\n";
    let StoreError::Definition(e) = store
        .add_definitions(
            Some(&manager),
            Some(&f.hub_id),
            &[("bad.toml".into(), bad.into())],
        )
        .await
        .unwrap_err()
    else {
        panic!("not a definition error")
    };
    assert_eq!((e.origin.as_str(), e.line), ("bad.toml", Some(4)));
    assert!(e.to_string().starts_with("bad.toml:4: name"), "{e}");
    assert_eq!(store.definitions_version().await.unwrap(), version);
    assert!(store.definitions().await.unwrap().is_empty());
    // Network-wide needs an admin; another hub is not the manager's; a supervisor uploads nothing.
    let m = forbidden(
        store
            .add_definitions(Some(&manager), None, &[("x.toml".into(), phq9_v2("x"))])
            .await
            .unwrap_err(),
    );
    assert_eq!(
        m,
        "only an admin can upload network-wide definitions; upload the file for your hub instead"
    );
    forbidden(
        store
            .add_definitions(
                Some(&manager),
                Some(&f.other_hub_id),
                &[("x.toml".into(), phq9_v2("x"))],
            )
            .await
            .unwrap_err(),
    );
    let supervisor = actor(&store, &f.supervisor).await;
    forbidden(
        store
            .add_definitions(
                Some(&supervisor),
                Some(&f.hub_id),
                &[("x.toml".into(), phq9_v2("x"))],
            )
            .await
            .unwrap_err(),
    );
    // The same code and version again, in the same scope: it replaces the first.
    for cutoff in ["gt14", "gt15"] {
        store
            .add_definitions(
                Some(&manager),
                Some(&f.hub_id),
                &[(
                    "local.toml".into(),
                    phq9_v2("phq9_local").replace("gt14", cutoff),
                )],
            )
            .await
            .unwrap();
    }
    let stored = store.definitions().await.unwrap();
    assert_eq!(stored.len(), 1);
    assert!(stored[0].source.contains("gt15"));
    assert_eq!(
        (
            stored[0].kind.as_str(),
            stored[0].code.as_str(),
            stored[0].version.as_str(),
            stored[0].hub_id.as_deref()
        ),
        ("instrument", "phq9_local", "2", Some(f.hub_id.as_str()))
    );
    // A new version is kept beside it: records that name version 2 still score.
    store
        .add_definitions(
            Some(&manager),
            Some(&f.hub_id),
            &[(
                "local-v3.toml".into(),
                phq9_v2("phq9_local").replace("version = \"2\"", "version = \"3\""),
            )],
        )
        .await
        .unwrap();
    let hub = store.catalogs();
    let versions: Vec<&str> = hub
        .catalog(Some(&f.hub_id))
        .instrument_versions("phq9_local")
        .map(|i| i.version())
        .collect();
    assert_eq!(versions, ["2", "3"]);
    // A network-wide file may not take a code and version a hub already has: that hub's file
    // would stop loading.
    let admin = actor(&store, &f.admin).await;
    let StoreError::Definition(e) = store
        .add_definitions(
            Some(&admin),
            None,
            &[("network.toml".into(), phq9_v2("phq9_local"))],
        )
        .await
        .unwrap_err()
    else {
        panic!("not a definition error")
    };
    assert!(e.message.contains("hub ke-pmplus's own file"), "{e}");
    // Uploads are audited with their hub and scope.
    let events = audit_actions(&store).await;
    let puts: Vec<_> = events
        .iter()
        .filter(|(a, ..)| a == "definition.put")
        .collect();
    assert_eq!(puts.len(), 3);
    assert_eq!(puts[1].1.as_deref(), Some(f.hub_id.as_str()));
    assert_eq!(puts[1].2["replaced"], 1);
}

async fn price_lists_are_stored_for_the_hub_they_price(store: Store, f: Fixture, _db: TestDb2) {
    let manager = actor(&store, &f.manager).await;
    let text = "[[price_list]]\nhub = \"ke-pmplus\"\nyear = 2026\ncurrency = \"KES\"\ncounsellor_hourly = 250\nsupervisor_hourly = 900\n";
    for _ in 0..2 {
        store
            .put_price_list(
                Some(&manager),
                Some(&f.hub_id),
                "prices.toml",
                text,
                &["ke-pmplus".into()],
                &[2026],
            )
            .await
            .unwrap();
    }
    let lists = store.price_lists(&manager).await.unwrap();
    assert_eq!(lists.len(), 1, "the second upload replaced the first");
    assert_eq!(
        (lists[0].code.as_str(), lists[0].version.as_str()),
        ("ke-pmplus", "2026")
    );
    // A hub prices itself only.
    let (field, message) = invalid(
        store
            .put_price_list(
                Some(&manager),
                Some(&f.hub_id),
                "prices.toml",
                text,
                &["zw-fb".into()],
                &[2026],
            )
            .await
            .unwrap_err(),
    );
    assert_eq!(field, "file");
    assert!(
        message.contains("an admin can upload network-wide"),
        "{message}"
    );
    // Price lists never enter the catalogue.
    store.load_definitions().await.unwrap();
    assert!(store.catalogs().problems().is_empty());
}

async fn the_audit_log_is_scoped_to_a_managers_hubs(store: Store, f: Fixture, _db: TestDb2) {
    let manager = actor(&store, &f.manager).await;
    let (page, next) = store.audit_page(&manager, None, None, 5).await.unwrap();
    assert_eq!(page.len(), 5);
    assert!(
        page.iter().all(|e| e["hub_id"] == json!(f.hub_id)),
        "{page:?}"
    );
    // The rest, page by page, newest first, never another hub's.
    let mut all = page;
    let mut cursor = next;
    while let Some(c) = cursor {
        let (page, next) = store.audit_page(&manager, None, Some(c), 5).await.unwrap();
        all.extend(page);
        cursor = next;
    }
    let seqs: Vec<i64> = all.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] > w[1]));
    assert!(all.iter().all(|e| e["hub_id"] == json!(f.hub_id)));
    assert!(all.iter().any(|e| e["action"] == "user.create"));
    // An admin reads every hub's, or one hub's.
    let admin = actor(&store, &f.admin).await;
    let (everything, _) = store.audit_page(&admin, None, None, 1000).await.unwrap();
    assert!(everything.len() > all.len());
    assert!(
        everything
            .iter()
            .any(|e| e["hub_id"] == json!(f.other_hub_id))
    );
    let (other, _) = store
        .audit_page(&admin, Some(&f.other_hub_id), None, 1000)
        .await
        .unwrap();
    assert!(!other.is_empty() && other.iter().all(|e| e["hub_id"] == json!(f.other_hub_id)));
    // A manager asking for another hub's events gets none.
    let (none, _) = store
        .audit_page(&manager, Some(&f.other_hub_id), None, 1000)
        .await
        .unwrap();
    assert!(none.is_empty());
    let supervisor = actor(&store, &f.supervisor).await;
    forbidden(
        store
            .audit_page(&supervisor, None, None, 10)
            .await
            .unwrap_err(),
    );
}

/// The console's audit viewer: by account, by action prefix (`%` and `_` taken literally),
/// by day (both ends included), within the caller's scope, paged with the filter kept.
async fn the_audit_log_is_filtered_by_actor_action_and_day(store: Store, f: Fixture, _db: TestDb2) {
    let manager = actor(&store, &f.manager).await;
    let admin = actor(&store, &f.admin).await;
    for _ in 0..3 {
        store
            .set_user_active(&manager, &f.counsellor_b.id, false)
            .await
            .unwrap();
        store
            .set_user_active(&manager, &f.counsellor_b.id, true)
            .await
            .unwrap();
    }
    store
        .set_user_active(&admin, &f.counsellor.id, false)
        .await
        .unwrap();
    let page = |filter: AuditFilter, who: Actor| {
        let store = store.clone();
        async move {
            let mut all = Vec::new();
            let mut before = None;
            loop {
                let (items, next) = store
                    .audit_page_filtered(&who, &filter, before, 2)
                    .await
                    .unwrap();
                all.extend(items);
                match next {
                    Some(n) => before = Some(n),
                    None => return all,
                }
            }
        }
    };
    let filter = |actor_id: Option<&str>,
                  action: Option<&str>,
                  from: Option<&str>,
                  to: Option<&str>| AuditFilter {
        hub_id: None,
        actor_id: actor_id.map(str::to_string),
        action: action.map(str::to_string),
        from: from.map(str::to_string),
        to: to.map(str::to_string),
    };
    let deactivations = page(
        filter(None, Some("user.deactivate"), None, None),
        manager.clone(),
    )
    .await;
    assert_eq!(deactivations.len(), 4);
    assert!(
        deactivations
            .iter()
            .all(|e| e["action"] == "user.deactivate")
    );
    let by_manager = page(
        filter(Some(&f.manager.id), Some("user."), None, None),
        manager.clone(),
    )
    .await;
    assert_eq!(by_manager.len(), 6);
    let by_admin = page(
        filter(Some(&f.admin.id), Some("user.d"), None, None),
        manager.clone(),
    )
    .await;
    assert_eq!(by_admin.len(), 1);
    // A wildcard in the filter is a character, not a pattern.
    assert!(
        page(filter(None, Some("user%"), None, None), manager.clone())
            .await
            .is_empty()
    );
    assert!(
        page(
            filter(None, Some("user_deactivate"), None, None),
            manager.clone()
        )
        .await
        .is_empty()
    );
    let today = &scaleup_storage::now_timestamp()[..10];
    let on_the_day = page(
        filter(None, Some("user.deactivate"), Some(today), Some(today)),
        manager.clone(),
    )
    .await;
    assert_eq!(on_the_day.len(), 4);
    assert!(
        page(
            filter(None, None, None, Some("2000-01-01")),
            manager.clone()
        )
        .await
        .is_empty()
    );
    assert!(
        page(
            filter(None, None, Some("2999-01-01"), None),
            manager.clone()
        )
        .await
        .is_empty()
    );
    let e = store
        .audit_page_filtered(
            &manager,
            &filter(None, None, Some("not a day"), None),
            None,
            10,
        )
        .await
        .unwrap_err();
    assert_eq!(invalid(e).0, "from");
    // The other hub's events stay out of a manager's view whatever the filter.
    let foreign = actor(&store, &f.admin).await;
    store
        .set_user_active(&foreign, &f.foreign_counsellor.id, false)
        .await
        .unwrap();
    let mine = page(
        filter(None, Some("user.deactivate"), None, None),
        manager.clone(),
    )
    .await;
    assert_eq!(mine.len(), 4);
    let all = page(
        filter(None, Some("user.deactivate"), None, None),
        admin.clone(),
    )
    .await;
    assert_eq!(all.len(), 5);
}

/// A database at schema 7 with a definition stored the old way upgrades: the file becomes
/// network-wide (as it was loaded before) and still loads.
async fn a_stored_definition_survives_the_upgrade(db: TestDb) {
    let options = |key: scaleup_storage::MasterKey| StoreOptions {
        url: db.url.clone(),
        master_key: key,
        max_connections: 2,
        rules: Arc::new(TestRules),
    };
    let old = Store::open_at_schema(options(db.key.clone()), 7)
        .await
        .unwrap();
    Fixture::seed(&old).await;
    sqlx::query(
        "INSERT INTO definitions (kind, code, hub_id, source, added_by, added_at) VALUES ('instrument', 'phq9_local', NULL, $1, 'cli', '2026-01-01T00:00:00.000000Z')",
    )
    .bind(format!("# origin: local.toml\n{}", phq9_v2("phq9_local")))
    .execute(old.pool())
    .await
    .unwrap();
    old.close().await;
    let new = Store::open(options(db.key.clone())).await.unwrap();
    let rows = new.definitions().await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (
            rows[0].id.as_str(),
            rows[0].origin.as_str(),
            rows[0].hub_id.as_deref()
        ),
        ("v7:instrument:phq9_local", "local.toml", None)
    );
    let set = new.load_definitions().await.unwrap();
    assert!(set.problems().is_empty());
    assert!(set.network().instrument("phq9_local").is_some());
    assert_eq!(set.version(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_stored_definition_survives_the_upgrade() {
    a_stored_definition_survives_the_upgrade(TestDb::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_stored_definition_survives_the_upgrade() {
    if let Some(db) = TestDb::postgres().await {
        a_stored_definition_survives_the_upgrade(db).await;
    }
}
