//! The storage conformance suite: every test runs on SQLite and on PostgreSQL.
//!
//! Each test is an `async fn(Store, Fixture)`; `scaleup_storage::on_both_backends!` instantiates
//! it once per backend with a fresh database. Add a test by writing the function and naming it
//! in the macro.
// A test may panic on a missing column: Row::get is disallowed in the product, not here.
#![allow(clippy::disallowed_methods)]

use scaleup_domain::role::Role;
use scaleup_storage::testing::{FIXTURE_PASSWORD, Fixture, TestDb, TestRules};
use scaleup_storage::{
    Ack, AckStatus, AuditCheckpoint, CheckpointOutcome, IncomingRecord, LoginOutcome, SessionKind,
    Store, StoreError,
};
use serde_json::{Value, json};
use sqlx::Row;
use std::sync::Arc;

scaleup_storage::on_both_backends!(
    every_hub_table_row_carries_its_hub,
    hub_tables_are_keyed_for_distribution_by_hub,
    sealers_racing_chain_every_event_once,
    pull_cursors_are_per_hub_and_skip_nothing,
    hubs_never_wait_for_each_other_and_reads_never_wait_for_writes,
    migrations_are_idempotent_and_versioned,
    login_sessions_and_rate_limiting,
    hub_setup_validates_the_hierarchy,
    sync_push_is_idempotent_and_isolates_bad_records,
    two_devices_pushing_the_same_records_at_once_both_succeed,
    concurrent_edits_keep_both_versions,
    kept_conflict_rescores_and_raises_alerts,
    kept_conflict_updates_identity_and_moves_a_client,
    replay_is_answered_only_after_permission,
    pull_returns_only_the_callers_caseload,
    caseload_is_scoped_paged_and_audited,
    identities_are_encrypted_at_rest,
    risk_items_raise_alerts_that_escalate,
    bulk_loaded_alerts_are_reviewed_as_the_loader_says,
    client_queries_are_scoped_by_role,
    audit_chain_detects_tampering,
    truncation_without_the_key_stays_caught_after_new_events,
    a_checkpoint_catches_truncation_below_it,
    verify_on_a_live_server_never_cries_wolf,
    summary_counts_indicators_and_suppresses_small_cells,
    activity_for_costing_is_aggregated_per_hub_and_year,
    an_export_reads_a_programme_with_its_scores_and_is_audited,
    acks_carry_the_servers_score_and_the_alerts_raised,
    assessments_are_scored_with_the_version_they_name,
    protocol_rules_and_the_clock_reject_what_cannot_be_right,
    an_exclusion_blocks_enrolment_until_a_clean_screening,
    caseload_shows_the_next_session_of_active_episodes,
    alert_acknowledgement_keeps_every_action_and_a_sealed_note,
    alert_follow_ups_build_a_history_only_its_handlers_see,
    harmful_competency_rating_raises_one_safety_flag_for_the_hub_lead,
    every_write_path_raises_the_safety_flag,
    notifications_are_written_with_their_event_and_name_no_client,
    claimed_notifications_are_sent_once_and_back_off,
    staff_language_and_notify_address_are_validated_and_kept,
    wrong_passwords_from_one_address_do_not_lock_the_account_out_elsewhere,
    unknown_names_from_a_clinic_address_do_not_lock_out_its_counsellors,
    parallel_wrong_passwords_are_checked_at_most_the_limit,
    a_recognised_device_is_not_locked_out_by_failures_it_did_not_make,
    an_attempt_the_server_was_too_busy_to_check_is_given_back,
    sign_in_counters_name_nobody_and_idle_ones_are_pruned,
    key_rotation_reseals_everything_and_resumes_after_a_crash,
    conflicts_beyond_the_first_page_are_listed_and_resolved,
);

/// A database created by the first release (schema 1) with data in it upgrades in place.
async fn older_database_upgrades_in_place(db: TestDb) {
    let options = |key: scaleup_storage::MasterKey| scaleup_storage::StoreOptions {
        url: db.url.clone(),
        master_key: key,
        max_connections: 2,
        rules: Arc::new(TestRules),
    };
    let old = Store::open_at_schema(options(db.key.clone()), 1)
        .await
        .unwrap();
    assert_eq!(old.schema_version().await.unwrap(), 1);
    let f = Fixture::seed(&old).await;
    sqlx::query("INSERT INTO assessment_scores (record_id, client_id, instrument, total, band, positive, detail) VALUES ('r1', 'c1', 'phq9', 12, 'moderate', 1, '{}')")
        .execute(old.pool())
        .await
        .unwrap();
    // Records written before the aggregate counts existed (migration 4) are counted on upgrade.
    // r1 is the assessment scored above: a score belongs to its record (and from migration 0016
    // on PostgreSQL, to its record's hub).
    for (id, kind, tag) in [
        ("c1", "client", None),
        ("e1", "episode", Some("open")),
        ("s1", "session", Some("attended")),
        ("r1", "assessment", None),
    ] {
        sqlx::query("INSERT INTO records (id, kind, hub_id, client_id, facility_id, programme_id, occurred_on, tag, version, change_seq, payload, created_by, created_at, updated_by, updated_at, device_time)
                     VALUES ($1, $2, $3, 'c1', $4, $5, '2026-02-03', $6, 1, 1, '{}', 'u', '2026-02-03T00:00:00Z', 'u', '2026-02-03T00:00:00Z', '2026-02-03T00:00:00Z')")
            .bind(id)
            .bind(kind)
            .bind(f.hub_id.clone())
            .bind(f.facility_id.clone())
            .bind(f.programme_id.clone())
            .bind(tag)
            .execute(old.pool())
            .await
            .unwrap();
    }
    // An alert acknowledged with the one action of schema 1 keeps it as its history.
    sqlx::query("INSERT INTO risk_alerts (id, hub_id, client_id, record_id, rule_id, level, counsellor_id, supervisor_id, raised_at, due_at, status, acknowledged_by, acknowledged_at, action)
                 VALUES ('00000000-0000-4000-8000-00000000a1e7', $1, 'c1', 'r1', 'phq9.item9', 'urgent', $2, $3, '2026-02-03T00:00:00.000000Z', '2026-02-03T06:00:00.000000Z', 'acknowledged', $3, '2026-02-03T01:00:00.000000Z', 'home_visit')")
        .bind(f.hub_id.clone())
        .bind(f.counsellor.id.clone())
        .bind(f.supervisor.id.clone())
        .execute(old.pool())
        .await
        .unwrap();
    old.close().await;
    let new = Store::open(options(db.key.clone())).await.unwrap();
    assert_eq!(
        new.schema_version().await.unwrap(),
        scaleup_storage::LATEST_VERSION
    );
    let s = new.actor_for(&f.supervisor).await.unwrap();
    let (alert, history) = new
        .alert_detail(&s, "00000000-0000-4000-8000-00000000a1e7")
        .await
        .unwrap();
    assert_eq!(
        (alert.action.as_deref(), alert.actions.clone()),
        (Some("home_visit"), codes(&["home_visit"]))
    );
    assert_eq!(history.len(), 1);
    assert_eq!(
        (
            history[0].kind.as_str(),
            history[0].actions.clone(),
            history[0].by_user_id.as_str(),
            history[0].at.as_str(),
            history[0].note.as_deref()
        ),
        (
            "acknowledge",
            codes(&["home_visit"]),
            f.supervisor.id.as_str(),
            "2026-02-03T01:00:00.000000Z",
            None
        )
    );
    // Accounts from before have no language or address.
    let counsellor = new.user(&f.counsellor.id).await.unwrap().unwrap();
    assert_eq!(
        (counsellor.language, counsellor.notify_address),
        (None, None)
    );
    let row = sqlx::query(
        "SELECT total, instrument_version FROM assessment_scores WHERE record_id = 'r1'",
    )
    .fetch_one(new.pool())
    .await
    .unwrap();
    assert_eq!(row.get::<f64, _>("total"), 12.0);
    assert_eq!(
        row.get::<Option<String>, _>("instrument_version")
            .as_deref(),
        Some("1")
    );
    assert!(matches!(
        new.login("counsellor", FIXTURE_PASSWORD, "x", SessionKind::Bearer)
            .await
            .unwrap(),
        LoginOutcome::Success { .. }
    ));
    assert!(
        new.verify_audit().await.unwrap().ok,
        "the audit chain spans the upgrade"
    );
    // Its head was signed at the first start on schema 7, in the chain's own record.
    assert_eq!(head_signings(&new).await, 1);
    assert!(scaleup_storage::testing::summary_counts_match_records(&new).await);
    assert_eq!(
        new.user(&f.counsellor.id).await.unwrap().unwrap().username,
        "counsellor"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_older_database_upgrades_in_place() {
    older_database_upgrades_in_place(TestDb::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_older_database_upgrades_in_place() {
    if let Some(db) = TestDb::postgres().await {
        older_database_upgrades_in_place(db).await;
    }
}

/// Rows recording that the chain's head was first signed.
async fn head_signings(store: &Store) -> i64 {
    sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action = 'audit.head_signed'",
    )
    .fetch_one(store.pool())
    .await
    .unwrap()
}

/// Hardening item 4: a database from before signed heads gets its head signed on upgrade only if
/// its chain verifies; otherwise the head stays unsigned, verification says so beside what it
/// found, and the first event records it in the chain, so nothing is vouched for unchecked.
async fn an_upgrade_signs_only_a_chain_that_verifies(db: TestDb) {
    let options = || scaleup_storage::StoreOptions {
        url: db.url.clone(),
        master_key: db.key.clone(),
        max_connections: 2,
        rules: Arc::new(TestRules),
    };
    let old = Store::open_at_schema(options(), 6).await.unwrap();
    let f = Fixture::seed(&old).await;
    assert!(
        old.verify_audit().await.unwrap().ok,
        "schema 6 has no head MAC to check"
    );
    sqlx::query("UPDATE audit_log SET actor_id = 'someone-else' WHERE seq = 3")
        .execute(old.pool())
        .await
        .unwrap();
    let head = head_seq(&old).await;
    old.close().await;
    let store = Store::open(options()).await.unwrap();
    assert_eq!(head_signings(&store).await, 0, "nothing vouched for");
    let modified = "row 3: contents do not match its hash (modified)".to_string();
    assert_eq!(
        store.verify_audit().await.unwrap().problems,
        vec![
            modified.clone(),
            format!(
                "the recorded head is not signed by this database's key: rows after {head} may have been removed"
            )
        ]
    );
    let a = actor(&store, &f.counsellor).await;
    store
        .audit(
            Some(&a),
            scaleup_storage::AuditEvent::new("client.list", "client"),
        )
        .await
        .unwrap();
    assert_eq!(
        store.verify_audit().await.unwrap().problems,
        vec![
            modified,
            format!(
                "row {}: written onto a recorded head (row {head}) that this database's key did not sign: rows after {head} may have been removed before it",
                head + 1
            )
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_an_upgrade_signs_only_a_chain_that_verifies() {
    an_upgrade_signs_only_a_chain_that_verifies(TestDb::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_an_upgrade_signs_only_a_chain_that_verifies() {
    if let Some(db) = TestDb::postgres().await {
        an_upgrade_signs_only_a_chain_that_verifies(db).await;
    }
}

/// Hardening issue, item 2: a database knows the key it was made with and refuses any other.
/// A database from before key checks is proven against its audit log and identities before it
/// adopts the configured key.
async fn a_database_refuses_a_key_it_was_not_made_with(db: TestDb) {
    let options = |key: &scaleup_storage::MasterKey| scaleup_storage::StoreOptions {
        url: db.url.clone(),
        master_key: key.clone(),
        max_connections: 2,
        rules: Arc::new(TestRules),
    };
    // Schema 4 had no key check: seed data under the right key.
    let old = Store::open_at_schema(options(&db.key), 4).await.unwrap();
    let f = Fixture::seed(&old).await;
    register_client(&old, &f, &f.counsellor).await;
    old.close().await;
    let wrong = scaleup_storage::MasterKey::generate();
    let refused = Store::open(options(&wrong)).await;
    assert!(
        matches!(&refused, Err(StoreError::WrongKey { expected: None, .. })),
        "{:?}",
        refused.err()
    );
    // The right key upgrades, is proven by the data, and is recorded.
    let store = Store::open(options(&db.key)).await.unwrap();
    assert!(store.database_key_id().await.unwrap().is_some());
    store.close().await;
    // From now on the check value alone decides, and the message names both key ids.
    let refused = Store::open(options(&wrong)).await;
    let Err(
        e @ StoreError::WrongKey {
            expected: Some(_), ..
        },
    ) = refused
    else {
        panic!("a wrong key was accepted");
    };
    assert!(
        e.to_string()
            .contains("is not the key this database was created with")
    );
    // Nothing was written by the refused starts.
    let store = Store::open(options(&db.key)).await.unwrap();
    assert!(store.verify_audit().await.unwrap().ok);
    let a = actor(&store, &f.counsellor).await;
    assert_eq!(
        store
            .clients(&a, None, None, None, None, 10)
            .await
            .unwrap()
            .0
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_database_refuses_a_key_it_was_not_made_with() {
    a_database_refuses_a_key_it_was_not_made_with(TestDb::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_database_refuses_a_key_it_was_not_made_with() {
    if let Some(db) = TestDb::postgres().await {
        a_database_refuses_a_key_it_was_not_made_with(db).await;
    }
}

/// SQLite plans from sqlite_stat1: statistics are taken once there is data, kept while the
/// table keeps its size, and retaken when it no longer matches them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_planner_statistics_follow_the_table() {
    let db = TestDb::sqlite();
    let store = db.open(Arc::new(TestRules)).await;
    let f = Fixture::seed(&store).await;
    register_client(&store, &f, &f.counsellor).await;
    let records: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM records")
        .fetch_one(store.pool())
        .await
        .unwrap();
    let analysed = |store: Store| async move {
        let stat: String = sqlx::query_scalar(
            "SELECT stat FROM sqlite_stat1 WHERE tbl = 'records' AND idx = 'records_client'",
        )
        .fetch_one(store.pool())
        .await
        .unwrap();
        stat.split(' ').next().unwrap().parse::<i64>().unwrap()
    };
    assert!(
        store.refresh_statistics_if_stale().await.unwrap(),
        "no statistics yet"
    );
    assert_eq!(analysed(store.clone()).await, records);
    assert!(
        !store.refresh_statistics_if_stale().await.unwrap(),
        "unchanged table"
    );
    // Statistics claiming a far larger table (as after a purge) are retaken.
    sqlx::query("UPDATE sqlite_stat1 SET stat = '100000 10' WHERE tbl = 'records'")
        .execute(store.pool())
        .await
        .unwrap();
    assert!(store.refresh_statistics_if_stale().await.unwrap());
    assert_eq!(analysed(store.clone()).await, records);
    // A reopened store keeps what it has instead of analysing at every start.
    drop(store);
    let store = db.open(Arc::new(TestRules)).await;
    assert!(!store.refresh_statistics_if_stale().await.unwrap());
}

async fn run<F, Fut>(db: &TestDb, test: F)
where
    F: FnOnce(Store, Fixture, Reopen) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let store = db.open(Arc::new(TestRules)).await;
    let fixture = Fixture::seed(&store).await;
    test(
        store,
        fixture,
        Reopen {
            url: db.url.clone(),
            key: db.key.clone(),
        },
    )
    .await;
}

/// What a test needs to open its database a second time.
struct Reopen {
    url: String,
    key: scaleup_storage::MasterKey,
}

async fn actor(store: &Store, user: &scaleup_storage::UserRecord) -> scaleup_storage::Actor {
    store.actor_for(user).await.unwrap()
}

fn rec(kind: &str, id: &str, base: Option<i64>, data: Value) -> IncomingRecord {
    serde_json::from_value(json!({"kind": kind, "id": id, "base_version": base, "device_time": "2026-03-01T09:00:00+03:00", "data": data})).unwrap()
}

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The server's date (UTC) `offset` days from today, as `YYYY-MM-DD`.
fn day(offset: i64) -> String {
    let d = time::OffsetDateTime::now_utc().date() + time::Duration::days(offset);
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// PHQ-9 responses: items 1-8 at `items`, item 9 at `item9`.
fn phq9_responses(items: u32, item9: u32) -> Value {
    let mut r = serde_json::Map::new();
    for i in 1..=8 {
        r.insert(i.to_string(), json!(items));
    }
    r.insert("9".into(), json!(item9));
    Value::Object(r)
}

/// The field and message of a rejected acknowledgement.
fn rejection(ack: &Ack) -> (String, String) {
    assert_eq!(ack.status, AckStatus::Rejected, "{ack:?}");
    let e = ack.error.as_ref().unwrap();
    (e.field.clone().unwrap_or_default(), e.message.clone())
}

/// Action codes as the store takes them.
fn codes(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Pushes `records` from one device and asserts that every one was created.
async fn push_created(store: &Store, actor: &scaleup_storage::Actor, records: Vec<IncomingRecord>) {
    let acks = store.push(actor, "device-1", records).await.unwrap();
    assert!(
        acks.iter().all(|a| a.status == AckStatus::Created),
        "{acks:?}"
    );
}

/// Registers a client with identity, episode and one session for `counsellor`; returns the client id.
async fn register_client(
    store: &Store,
    f: &Fixture,
    counsellor: &scaleup_storage::UserRecord,
) -> String {
    let a = actor(store, counsellor).await;
    let client = uuid();
    let episode = uuid();
    push_created(store, &a, vec![
            rec("client", &client, None, json!({"programme_id": f.programme_id, "facility_id": f.facility_id, "registered_on": "2026-03-01", "sex": "female", "birth_year": 1990})),
            rec("client_identity", &uuid(), None, json!({"client_id": client, "given_name": "Wanjiru", "phone": "+254 700 000000"})),
            rec("episode", &episode, None, json!({"client_id": client, "programme_id": f.programme_id, "enrolled_on": "2026-03-01"})),
            rec("session", &uuid(), None, json!({"client_id": client, "episode_id": episode, "number": 1, "on": "2026-03-01", "attended": true, "duration_minutes": 90, "modality": "individual", "components": ["psychoeducation"]})),
        ])
        .await;
    client
}

async fn migrations_are_idempotent_and_versioned(store: Store, f: Fixture, db: Reopen) {
    assert_eq!(
        store.schema_version().await.unwrap(),
        scaleup_storage::LATEST_VERSION
    );
    // A second server starting on the same database applies nothing and keeps the data;
    // the same key still verifies the audit chain written by the first.
    let again = Store::open(scaleup_storage::StoreOptions {
        url: db.url.clone(),
        master_key: db.key,
        max_connections: 2,
        rules: Arc::new(TestRules),
    })
    .await
    .unwrap();
    assert_eq!(
        again.schema_version().await.unwrap(),
        scaleup_storage::LATEST_VERSION
    );
    assert_eq!(
        again
            .user(&f.counsellor.id)
            .await
            .unwrap()
            .unwrap()
            .username,
        "counsellor"
    );
    assert!(again.verify_audit().await.unwrap().ok);
    let applied = sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM schema_migrations")
        .fetch_one(again.pool())
        .await
        .unwrap();
    assert_eq!(
        applied.get::<i64, _>("n"),
        migration_files("sqlite").len() as i64
    );
    // A database migrated by a newer build is refused rather than misread.
    sqlx::query("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (999, 'future', 'x', 'now')").execute(again.pool()).await.unwrap();
    let err = Store::open(scaleup_storage::StoreOptions {
        url: db.url,
        master_key: scaleup_storage::MasterKey::generate(),
        max_connections: 1,
        rules: Arc::new(TestRules),
    })
    .await;
    assert!(matches!(
        err,
        Err(StoreError::SchemaTooNew {
            found: 999,
            known: scaleup_storage::LATEST_VERSION
        })
    ));
}

async fn login_sessions_and_rate_limiting(store: Store, f: Fixture, _db: Reopen) {
    let LoginOutcome::Success { token, user, .. } = store
        .login(
            "counsellor",
            FIXTURE_PASSWORD,
            "10.0.0.1",
            SessionKind::Bearer,
        )
        .await
        .unwrap()
    else {
        panic!("correct password must log in")
    };
    assert_eq!(user.id, f.counsellor.id);
    let (a, _) = store
        .session_actor(&token)
        .await
        .unwrap()
        .expect("live session");
    assert_eq!(a.role, Role::Counsellor);
    assert_eq!(a.hubs, vec![f.hub_id.clone()]);
    assert!(store.session_actor("not-a-token").await.unwrap().is_none());
    // The stored token is a hash, not the token.
    let raw = sqlx::query("SELECT token_hash FROM auth_sessions")
        .fetch_all(store.pool())
        .await
        .unwrap();
    assert!(
        raw.iter()
            .all(|r| r.get::<String, _>("token_hash") != token)
    );
    store.logout(&token).await.unwrap();
    assert!(store.session_actor(&token).await.unwrap().is_none());

    for _ in 0..5 {
        assert!(matches!(
            store
                .login("viewer", "wrong password!", "10.0.0.2", SessionKind::Bearer)
                .await
                .unwrap(),
            LoginOutcome::Invalid
        ));
    }
    // Past the limit even the right password is refused for the window.
    assert!(matches!(
        store
            .login("viewer", FIXTURE_PASSWORD, "10.0.0.2", SessionKind::Bearer)
            .await,
        Err(StoreError::RateLimited { .. })
    ));
    assert!(matches!(
        store
            .login("nobody", "whatever123", "10.0.0.3", SessionKind::Bearer)
            .await
            .unwrap(),
        LoginOutcome::Invalid
    ));

    // An admin password reset ends the user's sessions.
    let LoginOutcome::Success { token, .. } = store
        .login(
            "researcher",
            FIXTURE_PASSWORD,
            "10.0.0.4",
            SessionKind::Cookie,
        )
        .await
        .unwrap()
    else {
        panic!()
    };
    let admin = actor(&store, &f.admin).await;
    store
        .set_password(Some(&admin), &f.researcher.id, "a new long password")
        .await
        .unwrap();
    assert!(store.session_actor(&token).await.unwrap().is_none());
    assert!(matches!(
        store
            .login(
                "researcher",
                "a new long password",
                "10.0.0.4",
                SessionKind::Bearer
            )
            .await
            .unwrap(),
        LoginOutcome::Success { .. }
    ));
    let counsellor = actor(&store, &f.counsellor).await;
    assert!(matches!(
        store
            .set_password(Some(&counsellor), &f.researcher.id, "another long password")
            .await,
        Err(StoreError::Forbidden(_))
    ));
    let short = store
        .set_password(Some(&admin), &f.researcher.id, "short")
        .await
        .unwrap_err();
    assert!(matches!(short, StoreError::Invalid { ref field, .. } if field == "password"));
}

async fn hub_setup_validates_the_hierarchy(store: Store, f: Fixture, _db: Reopen) {
    use scaleup_domain::org::OrgLevel;
    use scaleup_storage::NewOrgUnit;
    let manager = actor(&store, &f.manager).await;
    let bad = store
        .create_org_unit(
            Some(&manager),
            NewOrgUnit {
                hub_id: f.hub_id.clone(),
                parent_id: Some(f.facility_id.clone()),
                level: OrgLevel::Facility,
                code: "x".into(),
                name: "X".into(),
                catchment_population: Some(1),
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(bad, StoreError::Invalid { ref field, .. } if field == "level"),
        "{bad:?}"
    );
    let units = store.org_units(&manager, None).await.unwrap();
    assert_eq!(units.len(), 5, "the manager sees their hub's units only");
    let district = units
        .iter()
        .find(|u| u.level == OrgLevel::District)
        .unwrap()
        .id
        .clone();
    let no_pop = store
        .create_org_unit(
            Some(&manager),
            NewOrgUnit {
                hub_id: f.hub_id.clone(),
                parent_id: Some(district),
                level: OrgLevel::Facility,
                code: "new-hc".into(),
                name: "New".into(),
                catchment_population: None,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(no_pop, StoreError::Invalid { ref field, .. } if field == "catchment_population")
    );
    // A hub manager cannot set up another hub.
    let other = store
        .create_org_unit(
            Some(&manager),
            NewOrgUnit {
                hub_id: f.other_hub_id.clone(),
                parent_id: None,
                level: OrgLevel::Country,
                code: "zz".into(),
                name: "Z".into(),
                catchment_population: None,
            },
        )
        .await;
    assert!(matches!(other, Err(StoreError::Forbidden(_))));
}

/// A client (with an episode) registered by the other hub's counsellor; returns the client id.
async fn register_foreign_client(store: &Store, f: &Fixture) -> String {
    let a = actor(store, &f.foreign_counsellor).await;
    let client = uuid();
    push_created(store, &a, vec![
        rec("client", &client, None, json!({"programme_id": f.other_programme_id, "facility_id": f.other_facility_id, "registered_on": "2026-03-01", "sex": "male", "birth_year": 1985})),
        rec("episode", &uuid(), None, json!({"client_id": client, "programme_id": f.other_programme_id, "enrolled_on": "2026-03-01"})),
    ])
    .await;
    client
}

/// Pulls pages of `limit` from `cursor` until the last; returns the ids in order and the last
/// cursor.
async fn pull_all(
    store: &Store,
    a: &scaleup_storage::Actor,
    mut cursor: String,
    limit: i64,
) -> (Vec<String>, String) {
    let mut ids = Vec::new();
    for _ in 0..1000 {
        let page = store.pull(a, &cursor, limit).await.unwrap();
        assert!(page.changes.len() as i64 <= limit);
        ids.extend(page.changes.iter().map(|c| c.id.clone()));
        cursor = page.next_cursor;
        if !page.has_more {
            return (ids, cursor);
        }
    }
    panic!("pulls never ended");
}

/// Issue 11, the path past one database: every table holding a hub's data carries hub_id
/// (migration 0013 fills it by trigger from the row's record, alert or programme), so hubs can
/// be spread over databases. After a workload touching each table in two hubs, no row lacks
/// it and every row names its parent's hub.
async fn every_hub_table_row_carries_its_hub(store: Store, f: Fixture, _db: Reopen) {
    let client = register_client(&store, &f, &f.counsellor).await;
    register_foreign_client(&store, &f).await;
    // A risk alert and its acknowledgement (alert_actions), an assessment (assessment_scores).
    let a = actor(&store, &f.counsellor).await;
    let mut responses = serde_json::Map::new();
    for i in 1..=9 {
        responses.insert(i.to_string(), json!(if i == 9 { 2 } else { 1 }));
    }
    push_created(&store, &a, vec![rec("assessment", &uuid(), None, json!({"client_id": client, "instrument": "phq9", "occasion": "baseline", "administered_on": "2026-03-01", "responses": responses}))]).await;
    let s = actor(&store, &f.supervisor).await;
    let alerts = store.alerts(&s, Some("open")).await.unwrap();
    assert!(!alerts.is_empty(), "the workload raises an alert");
    store
        .acknowledge_alert(&s, &alerts[0].id, &["safety_plan_made".to_string()], None)
        .await
        .unwrap();
    for (table, parent, key) in [
        ("record_versions", "records", "record_id"),
        ("assessment_scores", "records", "record_id"),
        ("client_identities", "records", "client_id"),
        ("sync_receipts", "records", "record_id"),
        ("alert_actions", "risk_alerts", "alert_id"),
        ("indicator_activity", "programmes", "programme_id"),
    ] {
        let counts: (i64, i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT CAST(COUNT(*) AS BIGINT),
                    CAST(SUM(CASE WHEN t.hub_id IS NULL THEN 1 ELSE 0 END) AS BIGINT),
                    CAST(SUM(CASE WHEN t.hub_id = p.hub_id THEN 1 ELSE 0 END) AS BIGINT)
             FROM {table} t JOIN {parent} p ON p.id = t.{key}"
        )))
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert!(counts.0 > 0, "{table}: the workload wrote no row");
        assert_eq!((counts.1, counts.2), (0, counts.0), "{table}: {counts:?}");
    }
    let hubs: i64 =
        sqlx::query_scalar("SELECT CAST(COUNT(DISTINCT hub_id) AS BIGINT) FROM record_versions")
            .fetch_one(store.pool())
            .await
            .unwrap();
    assert_eq!(hubs, 2);
}

/// The tables a Citus deployment distributes by hub_id (ARCHITECTURE.md, "Size, and the path
/// past one database"). The rest are reference tables (hubs, org units, programmes, users,
/// definitions...), per-account tables, the coordinator's audit chain, or transient.
const DISTRIBUTED_BY_HUB: &[&str] = &[
    "records",
    "record_versions",
    "client_identities",
    "assessment_scores",
    "sync_receipts",
    "sync_conflicts",
    "risk_alerts",
    "alert_actions",
    "safety_flags",
    "notifications",
    "indicator_clients",
    "indicator_episodes",
    "indicator_activity",
    "indicator_rollups",
    "summary_counts",
    "summary_counts_monthly",
    "hub_sequences",
];

/// Issue 11, the path past one database, second step (migration 0016): on PostgreSQL the
/// tables holding a hub's data follow Citus's rules for tables distributed by hub_id, checked
/// in the catalogue: hub_id is never NULL, every primary key and unique index includes it, and
/// a foreign key from one such table to another joins on it. The one exception is the
/// single-node guard `records_single_node_id` (a device-chosen record id unique across hubs),
/// which distributing drops. On SQLite (never distributed) the keys stay as created, and the
/// unique indexes the shared upserts name as conflict targets exist.
async fn hub_tables_are_keyed_for_distribution_by_hub(store: Store, f: Fixture, _db: Reopen) {
    // With hub_id in the key, what keeps a device-chosen record id from being taken by a second
    // hub once `records_single_node_id` is dropped is the push: its lock on the id and its lookup
    // before it inserts. The other hub's counsellor sending a new client under an existing id
    // is refused, and the id stays one row.
    let theirs = register_foreign_client(&store, &f).await;
    let a = actor(&store, &f.counsellor).await;
    let acks = store
        .push(&a, "device-taking-an-id", vec![rec("client", &theirs, None, json!({"programme_id": f.programme_id, "facility_id": f.facility_id, "registered_on": "2026-03-02", "sex": "female", "birth_year": 1991}))])
        .await
        .unwrap();
    assert_eq!(acks[0].status, AckStatus::Rejected);
    assert_eq!(acks[0].error.as_ref().unwrap().code, "forbidden");
    let rows: Vec<String> = sqlx::query_scalar("SELECT hub_id FROM records WHERE id = $1")
        .bind(theirs.clone())
        .fetch_all(store.pool())
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "one row for the id");

    if store.backend() == scaleup_storage::Backend::Sqlite {
        for (index, expected) in [
            ("client_identities_hub_key", ["client_id", "hub_id"]),
            ("assessment_scores_hub_key", ["record_id", "hub_id"]),
        ] {
            let columns: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT name FROM pragma_index_info('{index}') ORDER BY seqno"
            )))
            .fetch_all(store.pool())
            .await
            .unwrap();
            assert_eq!(columns, expected, "{index}");
        }
        for table in DISTRIBUTED_BY_HUB {
            let has: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM pragma_table_info('{table}') WHERE name = 'hub_id'"
            )))
            .fetch_one(store.pool())
            .await
            .unwrap();
            assert_eq!(has, 1, "{table} has hub_id");
        }
        return;
    }
    let mut problems = Vec::new();
    for table in DISTRIBUTED_BY_HUB {
        let nullable: String = sqlx::query_scalar(
            "SELECT is_nullable FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1 AND column_name = 'hub_id'",
        )
        .bind(*table)
        .fetch_optional(store.pool())
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{table} has no hub_id"));
        if nullable != "NO" {
            problems.push(format!("{table}.hub_id may be NULL"));
        }
        // Every unique index (primary keys included) and the columns it covers.
        let indexes: Vec<(String, String)> = sqlx::query_as(
            "SELECT CAST(ic.relname AS TEXT),
                    CAST(string_agg(a.attname, ',' ORDER BY k.ord) AS TEXT)
             FROM pg_index i
             JOIN pg_class t ON t.oid = i.indrelid
             JOIN pg_class ic ON ic.oid = i.indexrelid
             CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
             WHERE t.relname = $1 AND t.relnamespace = current_schema()::regnamespace AND i.indisunique
             GROUP BY ic.relname",
        )
        .bind(*table)
        .fetch_all(store.pool())
        .await
        .unwrap();
        assert!(!indexes.is_empty(), "{table} has a key");
        for (index, columns) in indexes {
            if !columns.split(',').any(|c| c == "hub_id") && index != "records_single_node_id" {
                problems.push(format!(
                    "{table}: unique index {index} ({columns}) lacks hub_id"
                ));
            }
        }
        // Foreign keys to other distributed tables join on hub_id.
        let fks: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT CAST(c.conname AS TEXT), CAST(r.relname AS TEXT),
                    CAST((SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY k(n, ord)
                          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n) AS TEXT),
                    CAST((SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(c.confkey) WITH ORDINALITY k(n, ord)
                          JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n) AS TEXT)
             FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class r ON r.oid = c.confrelid
             WHERE c.contype = 'f' AND t.relname = $1 AND t.relnamespace = current_schema()::regnamespace",
        )
        .bind(*table)
        .fetch_all(store.pool())
        .await
        .unwrap();
        for (name, target, from, to) in fks {
            if !DISTRIBUTED_BY_HUB.contains(&target.as_str()) {
                continue; // a reference table: any key may point at it
            }
            let joined = from
                .split(',')
                .zip(to.split(','))
                .any(|(a, b)| a == "hub_id" && b == "hub_id");
            if !joined {
                problems.push(format!(
                    "{table}: foreign key {name} to {target} does not join on hub_id"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Issue 11: audit events are recorded without a lock and chained by sealers, several at once
/// when several servers run (each skips a round while another seals, verification waits).
/// Every event recorded is chained exactly once, nothing is left waiting, the chain verifies.
async fn sealers_racing_chain_every_event_once(store: Store, f: Fixture, _db: Reopen) {
    let a = actor(&store, &f.counsellor).await;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut recorders = Vec::new();
    for _ in 0..4 {
        let (store, a) = (store.clone(), a.clone());
        recorders.push(tokio::spawn(async move {
            for _ in 0..60 {
                store
                    .audit(
                        Some(&a),
                        scaleup_storage::AuditEvent::new("sealer.race", "test"),
                    )
                    .await
                    .unwrap();
            }
        }));
    }
    let mut sealers = Vec::new();
    for waits in [false, false, true] {
        let (store, stop) = (store.clone(), stop.clone());
        sealers.push(tokio::spawn(async move {
            let mut chained = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                chained += if waits {
                    store.seal_audit().await.unwrap()
                } else {
                    store.seal_audit_unless_busy().await.unwrap()
                };
                tokio::task::yield_now().await;
            }
            chained
        }));
    }
    for r in recorders {
        r.await.unwrap();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for s in sealers {
        s.await.unwrap();
    }
    store.seal_audit().await.unwrap();
    let chained: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_log WHERE action = 'sealer.race'",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(chained, 240);
    assert_eq!(store.audit_pending().await.unwrap().0, 0);
    let v = store.verify_audit().await.unwrap();
    assert!(v.ok, "{v:?}");
}

/// Issue 11: change sequence numbers are per hub, so a cursor holds one number per hub. A
/// caller who sees several hubs (an admin) gets every change exactly once however small the
/// pages, then exactly what changed since; a counsellor's cursor names their hub only; a
/// cursor from before schema 12 (one number) still reads; a forged one is refused.
async fn pull_cursors_are_per_hub_and_skip_nothing(store: Store, f: Fixture, _db: Reopen) {
    for _ in 0..3 {
        register_client(&store, &f, &f.counsellor).await;
        register_foreign_client(&store, &f).await;
    }
    let admin = actor(&store, &f.admin).await;
    // Identities are not pulled by an admin (no ReadIdentity), everything else is.
    let total: Vec<String> =
        sqlx::query_scalar("SELECT id FROM records WHERE kind <> 'client_identity' ORDER BY id")
            .fetch_all(store.pool())
            .await
            .unwrap();
    // Numbers are per hub: both hubs count from the same start.
    let per_hub: Vec<(String, i64)> = sqlx::query_as(
        "SELECT hub_id, CAST(MIN(change_seq) AS BIGINT) FROM records GROUP BY hub_id ORDER BY hub_id",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert_eq!(per_hub.len(), 2);
    assert_eq!(per_hub[0].1, per_hub[1].1, "{per_hub:?}");
    let (whole, cursor) = pull_all(&store, &admin, String::new(), 5000).await;
    for limit in [1, 2, 3, 7] {
        let (paged, paged_cursor) = pull_all(&store, &admin, String::new(), limit).await;
        let mut sorted = paged.clone();
        sorted.sort();
        assert_eq!(sorted, total, "pages of {limit}: every change exactly once");
        assert_eq!(paged, whole);
        assert_eq!(
            scaleup_storage::PullCursor::parse(&paged_cursor).unwrap(),
            scaleup_storage::PullCursor::parse(&cursor).unwrap()
        );
    }
    let position = scaleup_storage::PullCursor::parse(&cursor).unwrap();
    assert_eq!(position.hubs.len(), 2, "{cursor}");
    // After the cursor: exactly what changed since, in both hubs.
    let a_new = register_client(&store, &f, &f.counsellor).await;
    let b_new = register_foreign_client(&store, &f).await;
    let (since, _) = pull_all(&store, &admin, cursor.clone(), 2).await;
    let expected: Vec<String> =
        sqlx::query_scalar("SELECT id FROM records WHERE client_id IN ($1, $2) AND kind <> 'client_identity' ORDER BY id")
            .bind(a_new.clone())
            .bind(b_new.clone())
            .fetch_all(store.pool())
            .await
            .unwrap();
    let mut since_sorted = since.clone();
    since_sorted.sort();
    assert_eq!(since_sorted, expected);
    // A counsellor's cursor names their own hub alone.
    let c = actor(&store, &f.counsellor).await;
    let (mine, my_cursor) = pull_all(&store, &c, String::new(), 3).await;
    assert!(!mine.is_empty());
    let mine_position = scaleup_storage::PullCursor::parse(&my_cursor).unwrap();
    assert_eq!(
        mine_position.hubs.keys().collect::<Vec<_>>(),
        vec![&f.hub_id]
    );
    // A single number (a cursor from before per-hub numbers) is a floor for every hub.
    let (from_zero, _) = pull_all(&store, &admin, "0".into(), 5000).await;
    let mut from_zero_sorted = from_zero.clone();
    from_zero_sorted.sort();
    let mut everything: Vec<String> = whole.iter().chain(&since).cloned().collect();
    everything.sort();
    assert_eq!(from_zero_sorted, everything);
    let high = i64::MAX.to_string();
    assert!(pull_all(&store, &admin, high, 10).await.0.is_empty());
    for forged in [
        "x",
        "-1",
        "1,",
        "1,hub",
        "1,hub=x",
        "1,a=2,a=3",
        "1,a b=2",
        "1,a=-2",
    ] {
        assert!(
            matches!(store.pull(&admin, forged, 10).await, Err(StoreError::Invalid { ref field, .. }) if field == "cursor"),
            "{forged}"
        );
    }
}

/// Issue 11: transactions of different hubs never wait for each other, and a read never waits
/// for a write. With one hub's change sequence held by a write in flight and the audit chain's
/// head held by a sealer mid-round, the other hub pushes and anyone reads; only a write of the
/// held hub waits, and it goes on as soon as the hub is released. SQLite has one writer by
/// design, so this is PostgreSQL's.
async fn hubs_never_wait_for_each_other_and_reads_never_wait_for_writes(
    store: Store,
    f: Fixture,
    _db: Reopen,
) {
    if store.backend() == scaleup_storage::Backend::Sqlite {
        return;
    }
    let client = register_client(&store, &f, &f.counsellor).await;
    register_foreign_client(&store, &f).await;
    let quick = std::time::Duration::from_secs(10);
    let mut hub_write = store.pool().begin().await.unwrap();
    sqlx::query("UPDATE hub_sequences SET change_seq = change_seq WHERE hub_id = $1")
        .bind(f.hub_id.clone())
        .execute(&mut *hub_write)
        .await
        .unwrap();
    let mut sealer = store.pool().begin().await.unwrap();
    sqlx::query("UPDATE store_state SET audit_seq = audit_seq WHERE id = 1")
        .execute(&mut *sealer)
        .await
        .unwrap();
    // The other hub writes.
    let other = tokio::time::timeout(quick, register_foreign_client(&store, &f)).await;
    assert!(other.is_ok(), "a push of another hub waited");
    // The held hub's records are read, audited.
    let c = actor(&store, &f.counsellor).await;
    let read = tokio::time::timeout(quick, store.client(&c, &client)).await;
    assert!(matches!(read, Ok(Ok(_))), "a read waited for a write");
    let listed = tokio::time::timeout(quick, store.clients(&c, None, None, None, None, 50)).await;
    assert!(matches!(listed, Ok(Ok(_))));
    let pulled = tokio::time::timeout(quick, store.pull(&c, "", 100)).await;
    assert!(matches!(pulled, Ok(Ok(_))));
    // A write of the held hub waits for that hub alone.
    let writer = {
        let (store, counsellor) = (store.clone(), f.counsellor.clone());
        let (programme, facility) = (f.programme_id.clone(), f.facility_id.clone());
        tokio::spawn(async move {
            let a = store.actor_for(&counsellor).await.unwrap();
            store
                .push(
                    &a,
                    "device-2",
                    vec![rec("client", &uuid(), None, json!({"programme_id": programme, "facility_id": facility, "registered_on": "2026-03-02", "sex": "female", "birth_year": 1992}))],
                )
                .await
                .unwrap()
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert!(
        !writer.is_finished(),
        "the held hub's write did not wait for its hub"
    );
    hub_write.rollback().await.unwrap();
    let acks = tokio::time::timeout(quick, writer).await.unwrap().unwrap();
    assert_eq!(acks[0].status, AckStatus::Created);
    // Events recorded meanwhile are chained once the sealer's round ends.
    sealer.rollback().await.unwrap();
    assert!(store.seal_audit().await.unwrap() > 0);
    let v = store.verify_audit().await.unwrap();
    assert!(v.ok, "{v:?}");
}

/// Issue 11: two simultaneous pushes of the same records (a phone that retried while its first
/// request was still running, or two tabs) used to hit a unique violation on PostgreSQL and fail
/// a whole batch, because the receipt lookup ran before anything serialised the two. Both must
/// succeed, each record written once, the second answered as a replay. The batches also hold
/// their records in opposite orders, which must not deadlock.
async fn two_devices_pushing_the_same_records_at_once_both_succeed(
    store: Store,
    f: Fixture,
    _db: Reopen,
) {
    let a = actor(&store, &f.counsellor).await;
    for round in 0..8 {
        let batch: Vec<IncomingRecord> = (0..40)
            .map(|_| {
                rec(
                    "client",
                    &uuid(),
                    None,
                    json!({"programme_id": f.programme_id, "facility_id": f.facility_id, "registered_on": "2026-03-01", "sex": "female"}),
                )
            })
            .collect();
        let mut reversed = batch.clone();
        reversed.reverse();
        let (one, two) = tokio::join!(
            store.push(&a, "device-1", batch.clone()),
            store.push(&a, "device-2", reversed),
        );
        let (one, two) = (
            one.unwrap_or_else(|e| panic!("round {round}, first batch: {e}")),
            two.unwrap_or_else(|e| panic!("round {round}, second batch: {e}")),
        );
        for ack in one.iter().chain(&two) {
            assert_eq!(ack.status, AckStatus::Created, "round {round}: {ack:?}");
        }
        for r in &batch {
            let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM records WHERE id = $1")
                .bind(r.id.as_str().unwrap().to_string())
                .fetch_one(store.pool())
                .await
                .unwrap()
                .try_get("n")
                .unwrap();
            assert_eq!(n, 1, "round {round}: written once");
        }
    }
}

async fn sync_push_is_idempotent_and_isolates_bad_records(store: Store, f: Fixture, _db: Reopen) {
    let a = actor(&store, &f.counsellor).await;
    let client = uuid();
    let batch = vec![
        rec(
            "client",
            &client,
            None,
            json!({"programme_id": f.programme_id, "facility_id": f.facility_id, "registered_on": "2026-03-01", "sex": "male"}),
        ),
        rec(
            "session",
            &uuid(),
            None,
            json!({"client_id": client, "episode_id": uuid(), "number": 1, "on": "2026-03-01", "attended": true, "modality": "group"}),
        ),
        rec(
            "assessment",
            &uuid(),
            None,
            json!({"client_id": client, "instrument": "phq9", "occasion": "screening", "administered_on": "2026-03-01", "responses": {"1": 2, "2": 7}}),
        ),
        rec("consent", "not-a-uuid", None, json!({})),
        rec(
            "consent",
            &uuid(),
            None,
            json!({"client_id": client, "scope": "treatment", "given": true, "on": "2026-03-01"}),
        ),
    ];
    let first = store.push(&a, "device-1", batch.clone()).await.unwrap();
    let statuses: Vec<AckStatus> = first.iter().map(|a| a.status).collect();
    assert_eq!(
        statuses,
        vec![
            AckStatus::Created,
            AckStatus::Rejected,
            AckStatus::Rejected,
            AckStatus::Rejected,
            AckStatus::Created
        ]
    );
    assert_eq!(
        first[1].error.as_ref().unwrap().field.as_deref(),
        Some("data.episode_id")
    );
    assert_eq!(
        first[2].error.as_ref().unwrap().field.as_deref(),
        Some("data.responses.2")
    );
    assert_eq!(
        first[3].error.as_ref().unwrap().field.as_deref(),
        Some("id")
    );
    let count = |store: Store| async move {
        sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM records")
            .fetch_one(store.pool())
            .await
            .unwrap()
            .get::<i64, _>("n")
    };
    let before = count(store.clone()).await;
    let replay = store.push(&a, "device-1", batch).await.unwrap();
    assert_eq!(
        replay, first,
        "a replayed batch returns the same acknowledgements"
    );
    assert_eq!(count(store.clone()).await, before, "and changes nothing");
    // Another counsellor cannot attach records to this client.
    let b = actor(&store, &f.counsellor_b).await;
    let acks = store.push(&b, "device-2", vec![rec("consent", &uuid(), None, json!({"client_id": client, "scope": "research", "given": true, "on": "2026-03-02"}))]).await.unwrap();
    assert_eq!(acks[0].status, AckStatus::Rejected);
    assert_eq!(acks[0].error.as_ref().unwrap().code, "not_found");
    // A viewer may not push at all.
    let v = actor(&store, &f.viewer).await;
    let acks = store.push(&v, "device-3", vec![rec("consent", &uuid(), None, json!({"client_id": client, "scope": "research", "given": true, "on": "2026-03-02"}))]).await.unwrap();
    assert_eq!(acks[0].error.as_ref().unwrap().code, "forbidden");
    // Replays and rejected records left the kept aggregate counts exact.
    assert!(scaleup_storage::testing::summary_counts_match_records(&store).await);
    // A batch writes its audit events together at its end: one `record.create` per stored
    // record (none for rejected ones or replays), and the chain still verifies.
    let n = |sql: &'static str| {
        let store = store.clone();
        async move {
            sqlx::query(sql)
                .fetch_one(store.pool())
                .await
                .unwrap()
                .get::<i64, _>("n")
        }
    };
    store.seal_audit().await.unwrap();
    assert_eq!(
        n("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM audit_log WHERE action = 'record.create'")
            .await,
        n("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM records").await
    );
    assert!(store.verify_audit().await.unwrap().ok);
}

async fn concurrent_edits_keep_both_versions(store: Store, f: Fixture, _db: Reopen) {
    let a = actor(&store, &f.counsellor).await;
    let client = register_client(&store, &f, &f.counsellor).await;
    let ep = uuid();
    let data = |d: &str| json!({"client_id": client, "programme_id": f.programme_id, "enrolled_on": "2026-03-01", "closed_on": d, "closure_reason": "completed"});
    let open =
        json!({"client_id": client, "programme_id": f.programme_id, "enrolled_on": "2026-03-01"});
    store
        .push(&a, "phone", vec![rec("episode", &ep, None, open)])
        .await
        .unwrap();
    // Two devices both edit version 1 offline.
    let first = store
        .push(
            &a,
            "phone",
            vec![rec("episode", &ep, Some(1), data("2026-04-01"))],
        )
        .await
        .unwrap();
    assert_eq!(
        (first[0].status, first[0].version),
        (AckStatus::Updated, Some(2))
    );
    let second = store
        .push(
            &a,
            "tablet",
            vec![rec("episode", &ep, Some(1), data("2026-04-02"))],
        )
        .await
        .unwrap();
    assert_eq!(second[0].status, AckStatus::Conflict);
    let s = actor(&store, &f.supervisor).await;
    let conflicts = store.conflicts(&s).await.unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].server_data["closed_on"], "2026-04-01");
    assert_eq!(conflicts[0].incoming_data["closed_on"], "2026-04-02");
    // Another supervisor does not see it; resolving with the incoming version makes it current.
    let sb = actor(&store, &f.supervisor_b).await;
    assert!(store.conflicts(&sb).await.unwrap().is_empty());
    store
        .resolve_conflict(&s, &conflicts[0].id, "incoming")
        .await
        .unwrap();
    let recs = store.client_records(&s, &client).await.unwrap();
    let episode = recs.iter().find(|r| r.id == ep).unwrap();
    assert_eq!(
        (episode.version, episode.data["closed_on"].as_str()),
        (3, Some("2026-04-02"))
    );
    let versions = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM record_versions WHERE record_id = $1",
    )
    .bind(ep.clone())
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(versions.get::<i64, _>("n"), 3, "every version is kept");
    // Edits, a conflict and its resolution moved the episode's tag; the kept counts followed.
    assert!(scaleup_storage::testing::summary_counts_match_records(&store).await);
}

/// Hardening issue, item 1: a conflict resolved by keeping the device's version goes through the
/// same write path as every other write. A PHQ-9 whose item 9 is positive, kept this way, raises
/// the risk alert and replaces the stored score.
async fn kept_conflict_rescores_and_raises_alerts(store: Store, f: Fixture, _db: Reopen) {
    let client = register_client(&store, &f, &f.counsellor).await;
    let a = actor(&store, &f.counsellor).await;
    let s = actor(&store, &f.supervisor).await;
    let phq = |item9: i64, item1: i64| {
        json!({"client_id": client, "instrument": "phq9", "occasion": "baseline", "administered_on": "2026-03-01",
        "responses": {"1": item1, "2": 0, "3": 0, "4": 0, "5": 0, "6": 0, "7": 0, "8": 0, "9": item9}})
    };
    let id = uuid();
    push_created(&store, &a, vec![rec("assessment", &id, None, phq(0, 1))]).await;
    let phone = store
        .push(
            &a,
            "phone",
            vec![rec("assessment", &id, Some(1), phq(0, 2))],
        )
        .await
        .unwrap();
    assert_eq!(phone[0].status, AckStatus::Updated);
    let tablet = store
        .push(
            &a,
            "tablet",
            vec![rec("assessment", &id, Some(1), phq(1, 3))],
        )
        .await
        .unwrap();
    assert_eq!(tablet[0].status, AckStatus::Conflict);
    assert!(store.alerts(&s, None).await.unwrap().is_empty());
    let conflict = store.conflicts(&s).await.unwrap().remove(0);
    store
        .resolve_conflict(&s, &conflict.id, "incoming")
        .await
        .unwrap();
    let alerts = store.alerts(&s, Some("open")).await.unwrap();
    assert_eq!(alerts.len(), 1, "the kept item 9 raised its alert");
    assert_eq!(
        (alerts[0].rule_id.as_str(), alerts[0].record_id.as_str()),
        ("phq9.item9_positive", id.as_str())
    );
    let score = sqlx::query("SELECT total FROM assessment_scores WHERE record_id = $1")
        .bind(id.clone())
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(score.get::<f64, _>("total"), 4.0, "rescored: 3 + 1");
    // The kept version was authored by the counsellor and made current by the supervisor.
    let v = sqlx::query("SELECT r.updated_by, v.author_id FROM records r JOIN record_versions v ON v.record_id = r.id AND v.version = r.version WHERE r.id = $1")
        .bind(id.clone())
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(
        (
            v.get::<String, _>("updated_by"),
            v.get::<String, _>("author_id")
        ),
        (f.supervisor.id.clone(), f.counsellor.id.clone())
    );
    assert!(store.verify_audit().await.unwrap().ok);
    assert!(scaleup_storage::testing::summary_counts_match_records(&store).await);
}

/// Hardening issue, item 1: keeping an incoming identity updates the sealed identity that reads
/// use; keeping an incoming client that names another counsellor moves the client's records.
/// A version its author could no longer write is refused with the reason.
async fn kept_conflict_updates_identity_and_moves_a_client(store: Store, f: Fixture, _db: Reopen) {
    let client = register_client(&store, &f, &f.counsellor).await;
    let a = actor(&store, &f.counsellor).await;
    let s = actor(&store, &f.supervisor).await;
    let identity = uuid();
    let name = |n: &str| json!({"client_id": client, "given_name": n});
    push_created(
        &store,
        &a,
        vec![rec("client_identity", &identity, None, name("Amani"))],
    )
    .await;
    store
        .push(
            &a,
            "phone",
            vec![rec("client_identity", &identity, Some(1), name("Baraka"))],
        )
        .await
        .unwrap();
    let acks = store
        .push(
            &a,
            "tablet",
            vec![rec("client_identity", &identity, Some(1), name("Chausiku"))],
        )
        .await
        .unwrap();
    assert_eq!(acks[0].status, AckStatus::Conflict);
    let conflict = store.conflicts(&s).await.unwrap().remove(0);
    store
        .resolve_conflict(&s, &conflict.id, "incoming")
        .await
        .unwrap();
    assert_eq!(
        store.client_identity(&s, &client).await.unwrap()["given_name"],
        "Chausiku"
    );

    // The supervisor reassigns the client to themself on one device while the counsellor edits
    // it on another; keeping the supervisor's version moves the client's whole history.
    let base = |sex: &str| json!({"programme_id": f.programme_id, "facility_id": f.facility_id, "registered_on": "2026-03-01", "sex": sex, "birth_year": 1990});
    let edited = store
        .push(
            &a,
            "phone",
            vec![rec("client", &client, Some(1), base("male"))],
        )
        .await
        .unwrap();
    assert_eq!(edited[0].status, AckStatus::Updated);
    let mut moved = base("female");
    moved["counsellor_id"] = json!(f.supervisor.id);
    let acks = store
        .push(&s, "laptop", vec![rec("client", &client, Some(1), moved)])
        .await
        .unwrap();
    assert_eq!(acks[0].status, AckStatus::Conflict);
    let conflict = store.conflicts(&s).await.unwrap().remove(0);
    store
        .resolve_conflict(&s, &conflict.id, "incoming")
        .await
        .unwrap();
    let owners = sqlx::query("SELECT DISTINCT counsellor_id FROM records WHERE client_id = $1")
        .bind(client.clone())
        .fetch_all(store.pool())
        .await
        .unwrap();
    let owners: Vec<String> = owners.iter().map(|r| r.get("counsellor_id")).collect();
    assert_eq!(owners, vec![f.supervisor.id.clone()], "every record moved");
    assert!(
        store.client(&a, &client).await.is_err(),
        "no longer the counsellor's"
    );

    // A stale edit by the counsellor, who no longer holds the client, cannot be kept.
    let sup_edit = store
        .push(
            &s,
            "laptop",
            vec![rec("client", &client, Some(3), {
                let mut v = base("female");
                v["counsellor_id"] = json!(f.supervisor.id);
                v["birth_year"] = json!(1991);
                v
            })],
        )
        .await
        .unwrap();
    assert_eq!(sup_edit[0].status, AckStatus::Updated, "{sup_edit:?}");
    let conflict_id: String = uuid();
    sqlx::query("INSERT INTO sync_conflicts (id, record_id, kind, hub_id, client_id, counsellor_id, base_version, server_version, incoming_payload, author_id, device_time, received_at, status)
                 SELECT $1, id, kind, hub_id, client_id, counsellor_id, 1, version, $2, $3, device_time, updated_at, 'open' FROM records WHERE id = $4")
        .bind(conflict_id.clone())
        .bind(base("male").to_string())
        .bind(f.counsellor.id.clone())
        .bind(client.clone())
        .execute(store.pool())
        .await
        .unwrap();
    let refused = store.resolve_conflict(&s, &conflict_id, "incoming").await;
    assert!(
        matches!(&refused, Err(StoreError::Invalid { field, message }) if field == "keep" && message.contains("can no longer be written")),
        "{refused:?}"
    );
    assert!(store.verify_audit().await.unwrap().ok);
}

/// Hardening issue, item 3: the stored acknowledgement of a replay is returned only to someone
/// who may still write the record. A counsellor whose client moved away, or a counsellor who
/// guesses a record's exact content, gets a rejection, not "created".
async fn replay_is_answered_only_after_permission(store: Store, f: Fixture, _db: Reopen) {
    let client = register_client(&store, &f, &f.counsellor).await;
    let a = actor(&store, &f.counsellor).await;
    let b = actor(&store, &f.counsellor_b).await;
    let s = actor(&store, &f.supervisor).await;
    let session = rec(
        "assessment",
        &uuid(),
        None,
        json!({"client_id": client, "instrument": "phq9", "occasion": "baseline", "administered_on": "2026-03-01", "responses": {"1": 1, "2": 1, "3": 0, "4": 0, "5": 0, "6": 0, "7": 0, "8": 0, "9": 0}}),
    );
    push_created(&store, &a, vec![session.clone()]).await;
    let guessed = store
        .push(&b, "other", vec![session.clone()])
        .await
        .unwrap();
    assert_eq!(guessed[0].status, AckStatus::Rejected, "{guessed:?}");
    let mut moved = json!({"programme_id": f.programme_id, "facility_id": f.facility_id, "registered_on": "2026-03-01", "sex": "female", "birth_year": 1990});
    moved["counsellor_id"] = json!(f.supervisor.id);
    let acks = store
        .push(&s, "laptop", vec![rec("client", &client, Some(1), moved)])
        .await
        .unwrap();
    assert_eq!(acks[0].status, AckStatus::Updated);
    let replay = store.push(&a, "device-1", vec![session]).await.unwrap();
    assert_eq!(replay[0].status, AckStatus::Rejected, "{replay:?}");
}

async fn pull_returns_only_the_callers_caseload(store: Store, f: Fixture, _db: Reopen) {
    let mine = register_client(&store, &f, &f.counsellor).await;
    let theirs = register_client(&store, &f, &f.counsellor_b).await;
    let a = actor(&store, &f.counsellor).await;
    let page = store.pull(&a, "", 1000).await.unwrap();
    assert!(!page.has_more);
    assert_eq!(page.changes.len(), 4);
    assert!(
        page.changes
            .iter()
            .all(|c| c.data.to_string().contains(&mine) || c.id == mine)
    );
    assert!(
        !page
            .changes
            .iter()
            .any(|c| c.data.to_string().contains(&theirs) || c.id == theirs)
    );
    let identity = page
        .changes
        .iter()
        .find(|c| c.kind == "client_identity")
        .unwrap();
    assert_eq!(
        identity.data["given_name"], "Wanjiru",
        "the counsellor's device gets names for its caseload"
    );
    // Delta: nothing new, then one new session.
    let empty = store.pull(&a, &page.next_cursor, 1000).await.unwrap();
    assert!(empty.changes.is_empty());
    store.push(&a, "d", vec![rec("referral", &uuid(), None, json!({"client_id": mine, "on": "2026-03-05", "to_service": "primary_care_doctor", "reason": "medical", "urgency": "routine", "status": "made"}))]).await.unwrap();
    let delta = store.pull(&a, &page.next_cursor, 1000).await.unwrap();
    assert_eq!(delta.changes.len(), 1);
    // Pagination with a small limit reaches the same end.
    let mut cursor = String::new();
    let mut n = 0;
    loop {
        let p = store.pull(&a, &cursor, 2).await.unwrap();
        n += p.changes.len();
        cursor = p.next_cursor;
        if !p.has_more {
            break;
        }
    }
    assert_eq!(n, 5);
    // The supervisor of counsellor sees mine, not theirs; a researcher gets no identities.
    let s = actor(&store, &f.supervisor).await;
    let sp = store.pull(&s, "", 1000).await.unwrap();
    assert!(sp.changes.iter().any(|c| c.id == mine) && !sp.changes.iter().any(|c| c.id == theirs));
    let r = actor(&store, &f.researcher).await;
    let rp = store.pull(&r, "", 1000).await.unwrap();
    assert!(rp.changes.iter().all(|c| c.kind != "client_identity"));
    assert!(rp.changes.iter().any(|c| c.id == theirs));
    assert!(matches!(
        store.pull(&a, "garbage", 10).await,
        Err(StoreError::Invalid { .. })
    ));
}

/// Pushes a client with one episode enrolled on `enrolled_on`, closed on `closed_on` if given.
async fn client_with_episode(
    store: &Store,
    f: &Fixture,
    counsellor: &scaleup_storage::UserRecord,
    enrolled_on: &str,
    closed_on: Option<&str>,
) -> String {
    let a = actor(store, counsellor).await;
    let client = uuid();
    let mut episode =
        json!({"client_id": client, "programme_id": f.programme_id, "enrolled_on": enrolled_on});
    if let Some(closed) = closed_on {
        episode["closed_on"] = json!(closed);
        episode["closure_reason"] = json!("completed");
    }
    push_created(store, &a, vec![
            rec("client", &client, None, json!({"programme_id": f.programme_id, "facility_id": f.facility_id, "registered_on": enrolled_on, "sex": "male"})),
            rec("episode", &uuid(), None, episode),
        ])
        .await;
    client
}

async fn caseload_is_scoped_paged_and_audited(store: Store, f: Fixture, _db: Reopen) {
    let mut mine = Vec::new();
    for _ in 0..3 {
        mine.push(register_client(&store, &f, &f.counsellor).await);
    }
    // Closed ten days ago: still shown, so a recent dropout or completion is seen.
    let recent = (time::OffsetDateTime::now_utc() - time::Duration::days(10)).date();
    let recent = format!(
        "{:04}-{:02}-{:02}",
        recent.year(),
        u8::from(recent.month()),
        recent.day()
    );
    // The first client (one attended session) gets a risk alert.
    let flagged = mine[0].clone();
    let mine_recent = client_with_episode(&store, &f, &f.counsellor, &recent, Some(&recent)).await;
    mine.push(mine_recent.clone());
    // Closed years ago: history, not caseload.
    let old =
        client_with_episode(&store, &f, &f.counsellor, "2020-01-06", Some("2020-03-02")).await;
    let theirs = register_client(&store, &f, &f.counsellor_b).await;
    mine.sort();
    let a = actor(&store, &f.counsellor).await;
    store
        .push(&a, "d", vec![rec("assessment", &uuid(), None, json!({"client_id": flagged, "instrument": "phq9", "occasion": "baseline", "administered_on": "2026-03-01", "responses": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0, "6": 0, "7": 0, "8": 0, "9": 1}}))])
        .await
        .unwrap();

    let ids = |items: &[scaleup_storage::CaseloadEntry]| -> Vec<String> {
        items.iter().map(|c| c.client_id.clone()).collect()
    };
    let (items, next) = store.caseload(&a, None, 100).await.unwrap();
    assert_eq!(
        ids(&items),
        mine,
        "the counsellor's own clients in care, by id"
    );
    assert!(next.is_none());
    assert!(!ids(&items).contains(&old));
    let alerted: Vec<bool> = items.iter().map(|c| c.open_risk_alert).collect();
    assert_eq!(
        alerted,
        mine.iter().map(|c| *c == flagged).collect::<Vec<_>>()
    );
    let scored = items.iter().find(|c| c.client_id == flagged).unwrap();
    assert_eq!(scored.scores[0].total, 1.0);
    assert_eq!(scored.scores[0].occasion.as_deref(), Some("baseline"));
    assert_eq!(
        (scored.sessions_attended, scored.last_session_number),
        (1, 1),
        "{scored:?}"
    );
    assert_eq!(scored.last_session_on.as_deref(), Some("2026-03-01"));
    assert_eq!(scored.episode_status, "active");
    let closed = items.iter().find(|c| c.client_id == mine_recent).unwrap();
    assert_eq!(
        (closed.episode_status, closed.closure_reason.as_deref()),
        ("closed", Some("completed"))
    );

    let s = actor(&store, &f.supervisor).await;
    assert_eq!(ids(&store.caseload(&s, None, 100).await.unwrap().0), mine);

    // The hub manager's caseload, two clients a page: every client once, in order, then the end.
    let m = actor(&store, &f.manager).await;
    let mut all = mine.clone();
    all.push(theirs.clone());
    all.sort();
    let events_before = store.audit_events(None, 1000).await.unwrap().len();
    let (mut seen, mut cursor, mut pages) = (Vec::new(), None::<String>, 0);
    loop {
        let (items, next) = store.caseload(&m, cursor.as_deref(), 2).await.unwrap();
        assert!(items.len() <= 2);
        seen.extend(ids(&items));
        pages += 1;
        match next {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }
    assert_eq!(seen, all);
    assert_eq!(pages, 3);
    let read_events = store.audit_events(None, 1000).await.unwrap().len() - events_before;
    assert_eq!(read_events, 3, "each page's read is audited");

    for user in [&f.researcher, &f.viewer, &f.admin] {
        let who = actor(&store, user).await;
        assert!(matches!(
            store.caseload(&who, None, 100).await,
            Err(StoreError::Forbidden(_))
        ));
    }
}

async fn identities_are_encrypted_at_rest(store: Store, f: Fixture, _db: Reopen) {
    let client = register_client(&store, &f, &f.counsellor).await;
    for table in [
        "records",
        "record_versions",
        "client_identities",
        "audit_log",
    ] {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM {table}")))
            .fetch_all(store.pool())
            .await
            .unwrap();
        for row in rows {
            for i in 0..sqlx::Row::len(&row) {
                if let Ok(Some(text)) = row.try_get::<Option<String>, _>(i) {
                    assert!(
                        !text.contains("Wanjiru") && !text.contains("700 000000"),
                        "plaintext identity in {table}"
                    );
                }
            }
        }
    }
    let a = actor(&store, &f.counsellor).await;
    assert_eq!(
        store.client_identity(&a, &client).await.unwrap()["given_name"],
        "Wanjiru"
    );
    let r = actor(&store, &f.researcher).await;
    assert!(matches!(
        store.client_identity(&r, &client).await,
        Err(StoreError::NotFound)
    ));
    let b = actor(&store, &f.counsellor_b).await;
    assert!(matches!(
        store.client_identity(&b, &client).await,
        Err(StoreError::NotFound)
    ));
}

async fn risk_items_raise_alerts_that_escalate(store: Store, f: Fixture, _db: Reopen) {
    let client = register_client(&store, &f, &f.counsellor).await;
    let a = actor(&store, &f.counsellor).await;
    // Total 1, but item 9 = 1: the flag is raised regardless of the low total.
    let assessment = uuid();
    let acks = store
        .push(&a, "d", vec![rec("assessment", &assessment, None, json!({"client_id": client, "instrument": "phq9", "occasion": "baseline", "administered_on": "2026-03-01", "responses": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0, "6": 0, "7": 0, "8": 0, "9": 1}}))])
        .await
        .unwrap();
    assert_eq!(acks[0].status, AckStatus::Created);
    let s = actor(&store, &f.supervisor).await;
    let alerts = store.alerts(&s, Some("open")).await.unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(
        (
            alerts[0].rule_id.as_str(),
            alerts[0].supervisor_id.as_deref()
        ),
        ("phq9.item9_positive", Some(f.supervisor.id.as_str()))
    );
    let sb = actor(&store, &f.supervisor_b).await;
    assert!(store.alerts(&sb, None).await.unwrap().is_empty());
    assert!(matches!(
        store
            .acknowledge_alert(&sb, &alerts[0].id, &codes(&["contacted_client"]), None)
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .acknowledge_alert(&s, &alerts[0].id, &codes(&["ignored"]), None)
            .await,
        Err(StoreError::Invalid { .. })
    ));
    // Not acknowledged in time: escalates to the hub manager, once.
    sqlx::query("UPDATE risk_alerts SET due_at = '2000-01-01T00:00:00.000000Z'")
        .execute(store.pool())
        .await
        .unwrap();
    assert_eq!(store.escalate_overdue_alerts().await.unwrap(), 1);
    assert_eq!(store.escalate_overdue_alerts().await.unwrap(), 0);
    let m = actor(&store, &f.manager).await;
    let escalated = store.alerts(&m, Some("escalated")).await.unwrap();
    assert_eq!(
        escalated[0].escalated_to.as_deref(),
        Some(f.manager.id.as_str())
    );
    let acked = store
        .acknowledge_alert(&m, &escalated[0].id, &codes(&["safety_plan_made"]), None)
        .await
        .unwrap();
    assert_eq!(
        (acked.status.as_str(), acked.action.as_deref()),
        ("acknowledged", Some("safety_plan_made"))
    );
    // Pagination and period filters.
    let (page, next) = store
        .alerts_page(
            &m,
            &scaleup_storage::AlertFilter {
                limit: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((page.len(), next), (1, None));
    let today = scaleup_storage::now_timestamp()[..10].to_string();
    let (page, _) = store
        .alerts_page(
            &m,
            &scaleup_storage::AlertFilter {
                from: Some(today.clone()),
                to: Some(today),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.len(), 1);
    let (page, _) = store
        .alerts_page(
            &m,
            &scaleup_storage::AlertFilter {
                to: Some("2020-01-01".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(page.is_empty());
    assert!(matches!(
        store
            .alerts_page(
                &m,
                &scaleup_storage::AlertFilter {
                    cursor: Some("nonsense".into()),
                    limit: 10,
                    ..Default::default()
                }
            )
            .await,
        Err(StoreError::Invalid { .. })
    ));
    // The same assessment replayed raises no second alert.
    store.push(&a, "d", vec![rec("assessment", &assessment, Some(1), json!({"client_id": client, "instrument": "phq9", "occasion": "baseline", "administered_on": "2026-03-01", "responses": {"1": 1, "9": 1}}))]).await.unwrap();
    assert_eq!(store.alerts(&m, None).await.unwrap().len(), 1);
}

async fn client_queries_are_scoped_by_role(store: Store, f: Fixture, _db: Reopen) {
    let mine = register_client(&store, &f, &f.counsellor).await;
    let theirs = register_client(&store, &f, &f.counsellor_b).await;
    let foreign = {
        let a = actor(&store, &f.foreign_counsellor).await;
        let id = uuid();
        let acks = store.push(&a, "d", vec![rec("client", &id, None, json!({"programme_id": f.other_programme_id, "facility_id": f.other_facility_id, "registered_on": "2026-03-01", "sex": "female"}))]).await.unwrap();
        assert_eq!(acks[0].status, AckStatus::Created, "{acks:?}");
        id
    };
    let visible = |user: scaleup_storage::UserRecord| {
        let store = store.clone();
        async move {
            let a = store.actor_for(&user).await.unwrap();
            let (rows, _) = store
                .clients(&a, None, None, None, None, 100)
                .await
                .unwrap();
            let mut ids: Vec<String> = rows.into_iter().map(|c| c.id).collect();
            ids.sort();
            ids
        }
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(visible(f.counsellor.clone()).await, vec![mine.clone()]);
    assert_eq!(visible(f.counsellor_b.clone()).await, vec![theirs.clone()]);
    assert_eq!(visible(f.supervisor.clone()).await, vec![mine.clone()]);
    assert_eq!(
        visible(f.manager.clone()).await,
        sorted(vec![mine.clone(), theirs.clone()])
    );
    assert_eq!(
        visible(f.researcher.clone()).await,
        sorted(vec![mine.clone(), theirs.clone()])
    );
    assert!(visible(f.viewer.clone()).await.is_empty());
    assert_eq!(
        visible(f.admin.clone()).await,
        sorted(vec![mine.clone(), theirs.clone(), foreign.clone()])
    );
    // Single reads: invisible is indistinguishable from absent.
    let a = actor(&store, &f.counsellor).await;
    assert!(matches!(
        store.client(&a, &theirs).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.client(&a, &uuid()).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.client(&a, &mine).await.unwrap().id, mine);
    // Cross-hub access only when granted.
    let r = actor(&store, &f.researcher).await;
    assert!(matches!(
        store.client(&r, &foreign).await,
        Err(StoreError::NotFound)
    ));
    store
        .grant_hub(None, &f.researcher.id, &f.other_hub_id)
        .await
        .unwrap();
    let r = actor(&store, &f.researcher).await;
    assert_eq!(store.client(&r, &foreign).await.unwrap().id, foreign);
    // Filters: by site subtree and by period; pagination by cursor.
    let m = actor(&store, &f.manager).await;
    let (rows, _) = store
        .clients(
            &m,
            Some(&f.facility_id),
            Some("2026-03-01"),
            Some("2026-03-31"),
            None,
            100,
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    let (rows, _) = store
        .clients(&m, None, Some("2026-04-01"), None, None, 100)
        .await
        .unwrap();
    assert!(rows.is_empty());
    let (page1, next) = store.clients(&m, None, None, None, None, 1).await.unwrap();
    let (page2, end) = store
        .clients(&m, None, None, None, next.as_deref(), 1)
        .await
        .unwrap();
    assert_eq!(page1.len() + page2.len(), 2);
    assert_ne!(page1[0].id, page2[0].id);
    assert!(end.is_none());
    // Aggregates: small cells are suppressed.
    let v = actor(&store, &f.viewer).await;
    let cells = store.summary(&v, None, None).await.unwrap();
    let registered = cells.iter().find(|c| c.indicator == "registered").unwrap();
    assert!(registered.suppressed && registered.value.is_none());
}

/// Each kind of tampering by someone holding the database but not the key gets its own finding,
/// naming the rows concerned (hardening item 4: an appended row is reported as appended, not as
/// rows deleted at the end; a tail cut with the head rewritten to the last row kept is caught).
async fn audit_chain_detects_tampering(store: Store, f: Fixture, _db: Reopen) {
    let client = register_client(&store, &f, &f.counsellor).await;
    let a = actor(&store, &f.counsellor).await;
    store.client(&a, &client).await.unwrap();
    // A server's sealer chains recorded events within its interval; here, at once.
    store.seal_audit().await.unwrap();
    let reads = sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM audit_log WHERE action = 'client.read' AND client_id = $1").bind(client.clone()).fetch_one(store.pool()).await.unwrap();
    assert_eq!(reads.get::<i64, _>("n"), 1, "reads are audited");
    let ok = store.verify_audit().await.unwrap();
    assert!(ok.ok && ok.rows_checked > 20, "{ok:?}");

    let last = head_seq(&store).await;
    assert_eq!(ok.head_seq, last);
    let kept = last - 2;
    // A row copied to another place in the log: what someone without the key can add.
    let copy = |to: i64, from: i64| {
        format!(
            "INSERT INTO audit_log (seq, at, actor_id, actor_role, action, entity_kind, entity_id, client_id, hub_id, detail, prev_hash, hash)
             SELECT {to}, at, actor_id, actor_role, action, entity_kind, entity_id, client_id, hub_id, detail, hash, hash FROM audit_log WHERE seq = {from}"
        )
    };
    let unsigned = |after: i64| {
        format!(
            "the recorded head is not signed by this database's key: rows after {after} may have been removed"
        )
    };
    let cases: Vec<(&str, Vec<String>, Vec<String>)> = vec![
        (
            "a row modified",
            vec!["UPDATE audit_log SET actor_id = 'someone-else' WHERE seq = 5".into()],
            vec!["row 5: contents do not match its hash (modified)".into()],
        ),
        (
            "a row's hash replaced",
            vec!["UPDATE audit_log SET hash = 'ab' || substr(hash, 3) WHERE seq = 5".into()],
            vec![
                "row 5: contents do not match its hash (modified)".into(),
                "row 6: does not link to row 5 (one of them was replaced)".into(),
            ],
        ),
        (
            "a row deleted",
            vec!["DELETE FROM audit_log WHERE seq = 10".into()],
            vec!["row 10 is missing (deleted)".into()],
        ),
        (
            "rows deleted",
            vec!["DELETE FROM audit_log WHERE seq BETWEEN 10 AND 12".into()],
            vec!["rows 10..12 are missing (deleted)".into()],
        ),
        (
            "the tail cut",
            vec![format!("DELETE FROM audit_log WHERE seq > {kept}")],
            vec![format!(
                "rows after {kept} were removed: the log ends at row {kept} but the recorded head is row {last}"
            )],
        ),
        (
            "the tail cut and the head rewritten to the last row kept",
            vec![
                format!("DELETE FROM audit_log WHERE seq > {kept}"),
                format!(
                    "UPDATE store_state SET audit_seq = {kept}, audit_hash = (SELECT hash FROM audit_log WHERE seq = {kept}) WHERE id = 1"
                ),
            ],
            vec![unsigned(kept)],
        ),
        (
            "a row appended without moving the head",
            vec![copy(last + 1, last)],
            vec![format!(
                "row {} was appended after the recorded head ({last})",
                last + 1
            )],
        ),
        (
            "rows appended without moving the head",
            vec![copy(last + 1, last), copy(last + 2, last)],
            vec![format!(
                "rows {}..{} were appended after the recorded head ({last})",
                last + 1,
                last + 2
            )],
        ),
        (
            "the head's hash rewritten",
            vec![
                "UPDATE store_state SET audit_hash = (SELECT hash FROM audit_log WHERE seq = 5) WHERE id = 1"
                    .into(),
            ],
            vec![
                format!(
                    "row {last}: its hash is not the recorded head's (the row or the head was changed)"
                ),
                unsigned(last),
            ],
        ),
        (
            "the head's MAC removed",
            vec!["UPDATE store_state SET audit_head_mac = NULL WHERE id = 1".into()],
            vec![unsigned(last)],
        ),
        (
            "a row inserted before the first",
            vec![copy(0, 1)],
            vec!["row 0 is numbered before the first row of the log (inserted)".into()],
        ),
    ];
    for (case, tamper, expected) in cases {
        assert_eq!(findings_after(&store, &tamper).await, expected, "{case}");
    }
    let _ = Ack {
        id: json!(null),
        status: AckStatus::Unchanged,
        version: None,
        conflict_id: None,
        error: None,
        score: None,
        alerts: vec![],
    };
}

/// What verification finds after `tamper` (SQL run by someone holding the database but not the
/// key). The audit log and the head are put back afterwards, so cases do not add up.
async fn findings_after(store: &Store, tamper: &[String]) -> Vec<String> {
    let run = |sql: String| async move {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(store.pool())
            .await
            .unwrap();
    };
    run("CREATE TABLE audit_log_kept AS SELECT * FROM audit_log".into()).await;
    run("CREATE TABLE store_state_kept AS SELECT * FROM store_state".into()).await;
    for sql in tamper {
        run(sql.clone()).await;
    }
    let found = store.verify_audit().await.unwrap();
    assert_eq!(found.ok, found.problems.is_empty());
    run("DELETE FROM audit_log".into()).await;
    run("INSERT INTO audit_log SELECT * FROM audit_log_kept".into()).await;
    run("DELETE FROM store_state".into()).await;
    run("INSERT INTO store_state SELECT * FROM store_state_kept".into()).await;
    run("DROP TABLE audit_log_kept".into()).await;
    run("DROP TABLE store_state_kept".into()).await;
    let restored = store.verify_audit().await.unwrap();
    assert!(restored.ok, "put back: {restored:?}");
    found.problems
}

/// Hardening item 4: a tail cut and a head rewritten without the key stay caught after a restart
/// (a head whose MAC was removed is not signed again) and after the server writes new events
/// (it records the unsigned head in the chain before extending it).
async fn truncation_without_the_key_stays_caught_after_new_events(
    store: Store,
    f: Fixture,
    db: Reopen,
) {
    register_client(&store, &f, &f.counsellor).await;
    let kept = head_seq(&store).await - 3;
    // The MAC removed too, hoping the next start signs the head as it does after an upgrade.
    for sql in [
        format!("DELETE FROM audit_log WHERE seq > {kept}"),
        format!(
            "UPDATE store_state SET audit_seq = {kept}, audit_hash = (SELECT hash FROM audit_log WHERE seq = {kept}), audit_head_mac = NULL WHERE id = 1"
        ),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(store.pool())
            .await
            .unwrap();
    }
    store.close().await;
    let store = Store::open(scaleup_storage::StoreOptions {
        url: db.url,
        master_key: db.key,
        max_connections: 2,
        rules: Arc::new(TestRules),
    })
    .await
    .unwrap();
    assert_eq!(
        store.verify_audit().await.unwrap().problems,
        vec![format!(
            "the recorded head is not signed by this database's key: rows after {kept} may have been removed"
        )]
    );
    let marker = format!(
        "row {}: written onto a recorded head (row {kept}) that this database's key did not sign: rows after {kept} may have been removed before it",
        kept + 1
    );
    let a = actor(&store, &f.counsellor).await;
    for _ in 0..3 {
        store
            .audit(
                Some(&a),
                scaleup_storage::AuditEvent::new("client.list", "client"),
            )
            .await
            .unwrap();
        let v = store.verify_audit().await.unwrap();
        assert_eq!(v.problems, vec![marker.clone()], "{v:?}");
        let head = head_seq(&store).await;
        assert_eq!(
            (v.head_seq, v.rows_checked),
            (head, head),
            "no row is missing"
        );
    }
}

/// Hardening item 4: a checkpoint kept outside the database catches what the head's MAC cannot,
/// a log cut or rewritten below it by someone holding the database (here, rolling back to a
/// signed head they saw earlier, which is what holding the key also allows).
async fn a_checkpoint_catches_truncation_below_it(store: Store, f: Fixture, _db: Reopen) {
    let a = actor(&store, &f.counsellor).await;
    let event = || scaleup_storage::AuditEvent::new("client.list", "client");
    register_client(&store, &f, &f.counsellor).await;
    // A head someone holding the database saw (in a backup, say), MAC and all.
    let seen = sqlx::query("SELECT audit_seq, audit_hash, audit_head_mac FROM store_state")
        .fetch_one(store.pool())
        .await
        .unwrap();
    let seen_seq: i64 = seen.get("audit_seq");
    for _ in 0..5 {
        store.audit(Some(&a), event()).await.unwrap();
    }
    let CheckpointOutcome::Signed {
        checkpoint,
        rows_checked,
    } = store.audit_checkpoint().await.unwrap()
    else {
        panic!("an intact chain gets a checkpoint");
    };
    assert_eq!(
        (checkpoint.seq, rows_checked),
        (head_seq(&store).await, checkpoint.seq)
    );
    assert_eq!(checkpoint.format, scaleup_storage::CHECKPOINT_FORMAT);
    assert_eq!(
        Some(checkpoint.key_id.clone()),
        store.database_key_id().await.unwrap()
    );
    // The file a hub keeps: one checkpoint a line, read back whole.
    store.audit(Some(&a), event()).await.unwrap();
    let CheckpointOutcome::Signed {
        checkpoint: later, ..
    } = store.audit_checkpoint().await.unwrap()
    else {
        panic!("an intact chain gets a checkpoint");
    };
    let file = format!(
        "{}\n{}\n",
        serde_json::to_string(&checkpoint).unwrap(),
        serde_json::to_string(&later).unwrap()
    );
    let kept = AuditCheckpoint::read_all(&file).unwrap();
    assert_eq!(kept, vec![checkpoint.clone(), later.clone()]);
    let v = store.verify_audit_with(&kept).await.unwrap();
    assert!(v.ok && v.checkpoints_checked == 2, "{v:?}");

    // Edited or foreign checkpoints are refused, naming the row they claim.
    let mut moved = checkpoint.clone();
    moved.seq -= 1;
    let mut foreign = checkpoint.clone();
    foreign.key_id = "000000000000".into();
    let mut future = checkpoint.clone();
    future.format = "scaleup-audit-checkpoint/9".into();
    let key_id = store.database_key_id().await.unwrap().unwrap();
    let k = checkpoint.seq;
    assert_eq!(
        store
            .verify_audit_with(&[moved, foreign, future])
            .await
            .unwrap()
            .problems,
        vec![
            format!(
                "checkpoint of row {}: its MAC does not match: it was altered, or not made with this database's key",
                k - 1
            ),
            format!(
                "checkpoint of row {k}: made for another database or key (this database's key id is {key_id})"
            ),
            format!(
                "checkpoint of row {k}: not a checkpoint this version reads (its format is not scaleup-audit-checkpoint/1)"
            ),
        ]
    );

    // Roll the log back to the head seen before the checkpoint: the head's MAC is genuine, so
    // only the checkpoint can tell.
    for sql in [
        format!("DELETE FROM audit_log WHERE seq > {seen_seq}"),
        format!(
            "UPDATE store_state SET audit_seq = {seen_seq}, audit_hash = '{}', audit_head_mac = '{}' WHERE id = 1",
            seen.get::<String, _>("audit_hash"),
            seen.get::<String, _>("audit_head_mac")
        ),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(store.pool())
            .await
            .unwrap();
    }
    assert!(
        store.verify_audit().await.unwrap().ok,
        "the limit checkpoints exist for"
    );
    let taken = format!("checkpoint of row {k} taken {}", checkpoint.at);
    assert_eq!(
        store
            .verify_audit_with(std::slice::from_ref(&checkpoint))
            .await
            .unwrap()
            .problems,
        vec![format!(
            "{taken}: rows after {seen_seq} were removed: the checkpoint saw row {k} but the recorded head is row {seen_seq}"
        )]
    );
    // The server writes on past the checkpointed row: row k exists again, but it is another.
    while head_seq(&store).await <= k {
        store.audit(Some(&a), event()).await.unwrap();
    }
    assert!(store.verify_audit().await.unwrap().ok);
    assert_eq!(
        store
            .verify_audit_with(std::slice::from_ref(&checkpoint))
            .await
            .unwrap()
            .problems,
        vec![format!(
            "{taken}: row {k} is not the row checkpointed (its hash differs): the log was rewritten from row {k} or earlier"
        )]
    );

    // A chain that does not verify gets no checkpoint.
    sqlx::query("UPDATE audit_log SET actor_id = 'someone-else' WHERE seq = 3")
        .execute(store.pool())
        .await
        .unwrap();
    let CheckpointOutcome::Refused(findings) = store.audit_checkpoint().await.unwrap() else {
        panic!("a checkpoint vouched for a modified chain");
    };
    assert_eq!(
        findings.problems,
        vec!["row 3: contents do not match its hash (modified)"]
    );
}

/// Issue 11 and hardening item 4: on a live server every audited read appends an event while
/// `verify_audit` walks the log. Verification must judge the chain as of one moment and never
/// report rows committed during the walk as tampering.
async fn verify_on_a_live_server_never_cries_wolf(store: Store, f: Fixture, _db: Reopen) {
    let a = actor(&store, &f.counsellor).await;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let appender = {
        let (store, stop) = (store.clone(), stop.clone());
        tokio::spawn(async move {
            let mut appended = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                store
                    .audit(
                        Some(&a),
                        scaleup_storage::AuditEvent::new("client.list", "client"),
                    )
                    .await
                    .unwrap();
                // Another server's sealer, chaining while verification walks.
                store.seal_audit().await.unwrap();
                appended += 1;
            }
            appended
        })
    };
    // The test means something only if rows were appended while verification ran: verify until
    // that happened ten times (a loaded machine may need many rounds; a minute at most).
    let started = std::time::Instant::now();
    let (mut rounds, mut overlapped) = (0, 0);
    let mut checkpoints = Vec::new();
    while overlapped < 10 && started.elapsed() < std::time::Duration::from_secs(60) {
        let before = head_seq(&store).await;
        // Every other round takes a checkpoint (which verifies first), the others verify
        // with the checkpoints taken so far.
        if rounds % 2 == 0 {
            match store.audit_checkpoint().await.unwrap() {
                CheckpointOutcome::Signed { checkpoint, .. } => checkpoints.push(checkpoint),
                CheckpointOutcome::Refused(v) => {
                    panic!("checkpoint {rounds} on a live server refused: {v:?}")
                }
            }
        } else {
            let v = store.verify_audit_with(&checkpoints).await.unwrap();
            assert!(v.ok, "verification {rounds} on a live server: {v:?}");
        }
        if head_seq(&store).await > before {
            overlapped += 1;
        }
        rounds += 1;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let appended = appender.await.unwrap();
    assert!(
        overlapped >= 10,
        "only {overlapped} of {rounds} verifications ran while rows were appended ({appended} in all)"
    );
    assert!(store.verify_audit().await.unwrap().ok);
}

/// The recorded head of the audit chain (`store_state.audit_seq`), once every event recorded
/// so far is chained (a server's sealer would have done it within its interval).
async fn head_seq(store: &Store) -> i64 {
    store.seal_audit().await.unwrap();
    sqlx::query_scalar("SELECT audit_seq FROM store_state WHERE id = 1")
        .fetch_one(store.pool())
        .await
        .unwrap()
}

async fn summary_counts_indicators_and_suppresses_small_cells(
    store: Store,
    f: Fixture,
    _db: Reopen,
) {
    let mut clients = Vec::new();
    for _ in 0..6 {
        clients.push(register_client(&store, &f, &f.counsellor).await);
    }
    let a = actor(&store, &f.counsellor).await;
    store
        .push(&a, "d", vec![rec("eligibility", &uuid(), None, json!({"client_id": clients[0], "decided_on": "2026-03-01", "eligible": true, "offered": true, "accepted": false, "decline_reason": "stigma"}))])
        .await
        .unwrap();
    let v = actor(&store, &f.viewer).await;
    let cells = store
        .summary(&v, Some("2026-03-01"), Some("2026-03-31"))
        .await
        .unwrap();
    let get = |ind: &str| {
        cells
            .iter()
            .find(|c| c.indicator == ind && c.facility_id == f.facility_id && c.month == "2026-03")
            .map(|c| (c.value, c.suppressed))
    };
    assert_eq!(get("registered"), Some((Some(6), false)));
    assert_eq!(get("enrolled"), Some((Some(6), false)));
    assert_eq!(get("sessions_attended"), Some((Some(6), false)));
    assert_eq!(
        get("declined"),
        Some((None, true)),
        "a count of 1 is suppressed"
    );
    assert_eq!(get("screened"), None);
    assert!(
        store
            .summary(&v, Some("2026-04-01"), None)
            .await
            .unwrap()
            .is_empty()
    );
    // A viewer of another hub sees nothing of this one.
    let foreign = scaleup_storage::Actor {
        user_id: "x".into(),
        role: Role::Viewer,
        hubs: vec![f.other_hub_id.clone()],
    };
    assert!(
        store
            .summary(&foreign, None, None)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(scaleup_storage::testing::summary_counts_match_records(&store).await);

    // Any period, whole months or ragged, gives what counting the records gives.
    for (i, day) in [
        "2026-02-27",
        "2026-03-15",
        "2026-03-31",
        "2026-04-02",
        "2026-05-01",
    ]
    .iter()
    .enumerate()
    {
        for k in 0..=i {
            let acks = store
                .push(&a, "d", vec![rec("eligibility", &uuid(), None, json!({"client_id": clients[k + 1], "decided_on": day, "eligible": true, "offered": true, "accepted": true}))])
                .await
                .unwrap();
            assert!(acks[0].error.is_none(), "{:?}", acks[0].error);
        }
    }
    let admin = actor(&store, &f.admin).await;
    let periods = [
        (None, None),
        (Some("2026-03-01"), Some("2026-03-31")),
        (Some("2026-02-01"), Some("2026-04-30")),
        (Some("2026-03-02"), Some("2026-04-15")),
        (Some("2026-02-15"), None),
        (None, Some("2026-03-10")),
        (Some("2026-03-15"), Some("2026-03-15")),
        (Some("2026-04-03"), Some("2026-04-30")),
        (Some("2026-05-01"), Some("2026-02-01")),
    ];
    for who in [&v, &admin, &foreign] {
        for (from, to) in periods {
            let kept = store.summary(who, from, to).await.unwrap();
            let counted =
                scaleup_storage::testing::summary_from_records(&store, who, from, to).await;
            assert_eq!(kept, counted, "{:?} from {from:?} to {to:?}", who.role);
        }
    }
    assert!(scaleup_storage::testing::summary_counts_match_records(&store).await);
}

/// `Store::study_source` (every export's read): the programme's client-level records, never an
/// identity, with the server's scores, its sites and org units; audited with the options; a
/// caller outside the programme's hub sees nothing.
async fn an_export_reads_a_programme_with_its_scores_and_is_audited(
    store: Store,
    f: Fixture,
    _db: Reopen,
) {
    let client = register_client(&store, &f, &f.counsellor).await;
    let a = actor(&store, &f.counsellor).await;
    let acks = store
        .push(&a, "d", vec![rec(
            "assessment",
            &uuid(),
            None,
            json!({"client_id": client, "instrument": "phq9", "occasion": "baseline", "administered_on": "2026-03-01", "responses": {"1": 3, "2": 3, "3": 2}}),
        )])
        .await
        .unwrap();
    assert_eq!(acks[0].status, AckStatus::Created, "{acks:?}");
    let source = store
        .study_source(None, &f.programme_id, "dataset", json!({"unit": "episode"}))
        .await
        .unwrap();
    let kinds: std::collections::BTreeMap<String, usize> =
        source.records.iter().fold(Default::default(), |mut m, r| {
            *m.entry(r.payload.kind().as_str().to_string()).or_default() += 1;
            m
        });
    assert_eq!(
        kinds,
        [
            ("assessment", 1),
            ("client", 1),
            ("episode", 1),
            ("session", 1)
        ]
        .map(|(k, n)| (k.to_string(), n))
        .into()
    );
    let score = source
        .records
        .iter()
        .find_map(|r| r.score.as_ref())
        .unwrap();
    assert_eq!(score.total, Some(8.0));
    assert_eq!(source.hub_code, "ke-pmplus");
    assert!(
        source
            .org_units
            .iter()
            .any(|u| u.id.to_string() == f.facility_id)
    );
    store.seal_audit().await.unwrap();
    let row = sqlx::query(
        "SELECT detail FROM audit_log WHERE action = 'export.dataset' ORDER BY seq DESC",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    let detail: Value = serde_json::from_str(&row.get::<String, _>("detail")).unwrap();
    assert_eq!(detail["unit"], "episode");
    assert_eq!(detail["records"], 4);
    assert_eq!(detail["clients"], 1);
    // A counsellor of another hub cannot read this programme.
    let foreign = actor(&store, &f.foreign_counsellor).await;
    assert!(matches!(
        store
            .study_source(Some(&foreign), &f.programme_id, "dataset", json!({}))
            .await,
        Err(StoreError::NotFound)
    ));
}

async fn activity_for_costing_is_aggregated_per_hub_and_year(
    store: Store,
    f: Fixture,
    _db: Reopen,
) {
    // Three clients, each with one attended 90-minute session (register_client).
    let mut clients = Vec::new();
    for _ in 0..3 {
        clients.push(register_client(&store, &f, &f.counsellor).await);
    }
    let a = actor(&store, &f.counsellor).await;
    // Client 0: PHQ-9 baseline 16 -> session 8 (responder, remission below 10); client 1: 16 -> 14.
    let scores = |client: &str, baseline: u32, later: u32| {
        let resp = |v: u32| json!({"1": v.min(3), "2": v.saturating_sub(3).min(3), "3": v.saturating_sub(6).min(3), "4": v.saturating_sub(9).min(3), "5": v.saturating_sub(12).min(3), "6": v.saturating_sub(15).min(3)});
        vec![
            rec(
                "assessment",
                &uuid(),
                None,
                json!({"client_id": client, "instrument": "phq9", "occasion": "baseline", "administered_on": "2026-03-01", "responses": resp(baseline)}),
            ),
            rec(
                "assessment",
                &uuid(),
                None,
                json!({"client_id": client, "instrument": "phq9", "occasion": "session", "session_number": 4, "administered_on": "2026-04-01", "responses": resp(later)}),
            ),
        ]
    };
    let mut batch = scores(&clients[0], 16, 8);
    batch.extend(scores(&clients[1], 16, 14));
    assert!(
        store
            .push(&a, "d", batch)
            .await
            .unwrap()
            .iter()
            .all(|a| a.status == AckStatus::Created)
    );
    let s = actor(&store, &f.supervisor).await;
    let acks = store
        .push(&s, "t", vec![
            rec("supervision_session", &uuid(), None, json!({"supervisor_id": f.supervisor.id, "on": "2026-03-10", "duration_minutes": 90, "format": "group", "counsellor_ids": [f.counsellor.id], "cases_reviewed": [clients[0]]})),
            rec("training_record", &uuid(), None, json!({"person_id": f.counsellor.id, "course": "pm_plus", "started_on": "2026-01-10", "completed_on": "2026-01-17", "hours": 40.0, "passed": true})),
        ])
        .await
        .unwrap();
    assert!(
        acks.iter().all(|a| a.status == AckStatus::Created),
        "{acks:?}"
    );
    let rule = scaleup_storage::OutcomeRule {
        instrument: "phq9".into(),
        response_fraction: 0.5,
        remission_below: 10.0,
    };
    let rows = store
        .activity_by_hub_year(None, None, Some(&rule))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    let r = &rows[0];
    assert_eq!((r.hub_code.as_str(), r.year), ("ke-pmplus", 2026));
    assert_eq!((r.clients, r.sessions), (3, 3));
    assert!((r.session_minutes - 270.0).abs() < 1e-9);
    assert!(
        (r.supervision_hours - 1.5).abs() < 1e-9
            && (r.counsellor_supervision_hours - 1.5).abs() < 1e-9
    );
    assert!((r.training_hours - 40.0).abs() < 1e-9 && r.training_courses == 1);
    assert_eq!((r.responders, r.remissions), (1, 1));

    // Issue 11: the caller's hubs are applied in SQL. Activity in a second hub changes nothing
    // for the first hub's row, shows up for an operator and an admin, and for nobody else.
    let foreign = actor(&store, &f.foreign_counsellor).await;
    let (other_client, other_episode) = (uuid(), uuid());
    let acks = store
        .push(&foreign, "d", vec![
            rec("client", &other_client, None, json!({"programme_id": f.other_programme_id, "facility_id": f.other_facility_id, "registered_on": "2026-03-01", "sex": "male", "birth_year": 1985})),
            rec("episode", &other_episode, None, json!({"client_id": other_client, "programme_id": f.other_programme_id, "enrolled_on": "2026-03-01"})),
            rec("session", &uuid(), None, json!({"client_id": other_client, "episode_id": other_episode, "number": 1, "on": "2026-03-02", "attended": true, "duration_minutes": 45, "modality": "individual"})),
        ])
        .await
        .unwrap();
    assert!(
        acks.iter().all(|a| a.status == AckStatus::Created),
        "{acks:?}"
    );
    let all = store
        .activity_by_hub_year(None, None, Some(&rule))
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|r| r.hub_code.as_str()).collect::<Vec<_>>(),
        vec!["ke-pmplus", "zw-fb"]
    );
    assert_eq!(&all[0], r, "the first hub's figures are unchanged");
    assert_eq!((all[1].clients, all[1].sessions), (1, 1));
    let admin = actor(&store, &f.admin).await;
    assert_eq!(
        store
            .activity_by_hub_year(Some(&admin), None, Some(&rule))
            .await
            .unwrap(),
        all
    );
    for user in [&f.manager, &f.researcher, &f.viewer] {
        let caller = actor(&store, user).await;
        assert_eq!(
            store
                .activity_by_hub_year(Some(&caller), None, Some(&rule))
                .await
                .unwrap(),
            vec![r.clone()],
            "{}",
            user.username
        );
    }
    let zw = actor(&store, &f.foreign_counsellor).await;
    let only_zw = store
        .activity_by_hub_year(Some(&zw), None, Some(&rule))
        .await
        .unwrap();
    assert_eq!(only_zw, vec![all[1].clone()]);
    // One hub asked for: that hub's row, for the operator and an admin; nothing for a caller
    // who may not see it.
    for caller in [None, Some(&admin)] {
        assert_eq!(
            store
                .activity_by_hub_year(caller, Some(&f.other_hub_id), Some(&rule))
                .await
                .unwrap(),
            vec![all[1].clone()]
        );
    }
    let manager = actor(&store, &f.manager).await;
    assert!(
        store
            .activity_by_hub_year(Some(&manager), Some(&f.other_hub_id), Some(&rule))
            .await
            .unwrap()
            .is_empty()
    );
}

/// The migration files of a backend, sorted.
fn migration_files(backend: &str) -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
    let mut v: Vec<String> = std::fs::read_dir(format!("{dir}/{backend}"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    v.sort();
    v
}

/// Both folders hold the same names; the newest is `LATEST_VERSION`. Versions may have gaps
/// (9 is reserved for the hub console's branch while 10 is the indicator facts).
#[test]
fn both_backends_have_the_same_migrations() {
    assert_eq!(migration_files("sqlite"), migration_files("postgres"));
    let last = migration_files("sqlite").last().cloned().unwrap();
    assert_eq!(
        last[..4].parse::<i64>().unwrap(),
        scaleup_storage::LATEST_VERSION
    );
}

/// Loaded history says what became of each alert: acknowledged by the supervisor in time,
/// acknowledged late (so escalated to the hub manager at the deadline first), or still open with
/// its deadline counted from the load, so the sweep does not escalate it before anyone saw it.
async fn bulk_loaded_alerts_are_reviewed_as_the_loader_says(store: Store, f: Fixture, _db: Reopen) {
    use scaleup_domain::record::{RecordKind, parse_payload};
    use scaleup_storage::{AlertReview, BulkRecord, RiskFlagSummary, ScoreSummary};
    let client = register_client(&store, &f, &f.counsellor).await;
    let record = |review: Option<(i64, &str)>| {
        let payload = parse_payload(
            RecordKind::Assessment,
            &json!({"client_id": client, "instrument": "phq9", "occasion": "session", "session_number": 2, "administered_on": "2026-03-08", "responses": {"9": 1}}),
        )
        .unwrap();
        BulkRecord {
            id: uuid(),
            payload,
            hub_id: f.hub_id.clone(),
            client_id: Some(client.clone()),
            episode_id: None,
            counsellor_id: Some(f.counsellor.id.clone()),
            facility_id: Some(f.facility_id.clone()),
            programme_id: Some(f.programme_id.clone()),
            created_by: f.counsellor.id.clone(),
            recorded_at: "2026-03-08T10:00:00.000000Z".into(),
            score: Some(ScoreSummary {
                total: Some(1.0),
                risk_flags: vec![RiskFlagSummary {
                    rule_id: "phq9.item9_positive".into(),
                    rule: "item9_positive".into(),
                    level: "urgent".into(),
                }],
                ..ScoreSummary::default()
            }),
            alert_review: review.map(|(after_minutes, action)| AlertReview {
                after_minutes,
                action: action.into(),
            }),
        }
    };
    let in_time = record(Some((90, "contacted_client")));
    let late = record(Some((600, "home_visit")));
    let open = record(None);
    store
        .bulk_insert(&[in_time.clone(), late.clone(), open.clone()], "test")
        .await
        .unwrap();
    assert!(matches!(
        store
            .bulk_insert(&[record(Some((5, "ignored")))], "test")
            .await,
        Err(StoreError::Invalid { .. })
    ));
    let s = actor(&store, &f.supervisor).await;
    let alerts = store.alerts(&s, None).await.unwrap();
    let get = |r: &BulkRecord| alerts.iter().find(|a| a.record_id == r.id).unwrap();
    // The programme allows 24 hours; urgent flags get a quarter: due at 16:00.
    let a = get(&in_time);
    assert_eq!(
        (
            a.status.as_str(),
            a.due_at.as_str(),
            a.acknowledged_at.as_deref(),
            a.acknowledged_by.as_deref(),
            a.action.as_deref(),
            a.escalated_to.as_deref(),
        ),
        (
            "acknowledged",
            "2026-03-08T16:00:00.000000Z",
            Some("2026-03-08T11:30:00.000000Z"),
            Some(f.supervisor.id.as_str()),
            Some("contacted_client"),
            None,
        )
    );
    let a = get(&late);
    assert_eq!(
        (
            a.status.as_str(),
            a.escalated_at.as_deref(),
            a.escalated_to.as_deref(),
            a.acknowledged_by.as_deref(),
            a.acknowledged_at.as_deref(),
        ),
        (
            "acknowledged",
            Some("2026-03-08T16:00:00.000000Z"),
            Some(f.manager.id.as_str()),
            Some(f.manager.id.as_str()),
            Some("2026-03-08T20:00:00.000000Z"),
        )
    );
    let a = get(&open);
    assert_eq!(a.status, "open");
    assert!(a.due_at > scaleup_storage::now_timestamp(), "{}", a.due_at);
    assert_eq!(store.escalate_overdue_alerts().await.unwrap(), 0);
    assert_eq!(store.alerts(&s, Some("open")).await.unwrap().len(), 1);
    // Acknowledgements are in the alerts' history, as if made in the app.
    let (alert, history) = store.alert_detail(&s, &get(&in_time).id).await.unwrap();
    assert_eq!(alert.actions, vec!["contacted_client".to_string()]);
    assert_eq!(
        history
            .iter()
            .map(|h| (h.kind.as_str(), h.by_user_id.as_str(), h.at.as_str()))
            .collect::<Vec<_>>(),
        vec![(
            "acknowledge",
            f.supervisor.id.as_str(),
            "2026-03-08T11:30:00.000000Z"
        )]
    );
    let m = actor(&store, &f.manager).await;
    let (_, history) = store.alert_detail(&m, &get(&late).id).await.unwrap();
    assert_eq!(history[0].by_user_id, f.manager.id);
    // The open alert, and only it, is announced to the supervisor.
    let (sent, _) = store.notifications_page(&m, None, None, 10).await.unwrap();
    assert_eq!(
        sent.iter()
            .map(|n| (
                n.event.as_str(),
                n.subject_id.as_str(),
                n.recipient_user_id.as_str()
            ))
            .collect::<Vec<_>>(),
        vec![(
            "risk_alert.raised",
            get(&open).id.as_str(),
            f.supervisor.id.as_str()
        )]
    );
}

/// Care app contract, item 1: an accepted assessment's acknowledgement carries the server's
/// score, and every accepted record the alerts its write raised; a replay returns the same,
/// and receipts stored before these fields existed still answer replays.
async fn acks_carry_the_servers_score_and_the_alerts_raised(store: Store, f: Fixture, _db: Reopen) {
    let client = register_client(&store, &f, &f.counsellor).await;
    let a = actor(&store, &f.counsellor).await;
    // Items 1-3 at 2, items 4-8 at 1, item 9 at 1: total 12, with the risk item positive.
    let mut responses = phq9_responses(1, 1);
    for i in ["1", "2", "3"] {
        responses[i] = json!(2);
    }
    let assessment = uuid();
    let body = json!({"client_id": client, "instrument": "phq9", "occasion": "baseline", "administered_on": "2026-03-01", "responses": responses});
    let batch = vec![
        rec("assessment", &assessment, None, body.clone()),
        rec(
            "consent",
            &uuid(),
            None,
            json!({"client_id": client, "scope": "research", "given": true, "on": "2026-03-02"}),
        ),
    ];
    let acks = store.push(&a, "d", batch.clone()).await.unwrap();
    assert_eq!(acks[0].status, AckStatus::Created);
    let score = serde_json::to_value(acks[0].score.as_ref().unwrap()).unwrap();
    assert_eq!(
        score,
        json!({"instrument": "phq9", "instrument_version": "1", "total": 12.0, "band": "moderate",
               "band_label": "Moderate", "positive": true,
               "risk_flags": [{"rule_id": "item9_positive", "level": "urgent"}]})
    );
    let s = actor(&store, &f.supervisor).await;
    let stored = store.alerts(&s, None).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(acks[0].alerts.len(), 1);
    let alert = &acks[0].alerts[0];
    assert_eq!(
        (
            &alert.id,
            &alert.rule_id,
            alert.level.as_str(),
            &alert.due_at
        ),
        (
            &stored[0].id,
            &stored[0].rule_id,
            "urgent",
            &stored[0].due_at
        )
    );
    // Records that are not assessments have neither; an empty list is left out of the JSON.
    assert!(acks[1].score.is_none() && acks[1].alerts.is_empty());
    let json = serde_json::to_value(&acks[1]).unwrap();
    assert!(
        json.get("score").is_none() && json.get("alerts").is_none(),
        "{json}"
    );

    // A replay returns the same acknowledgements, alerts included, and raises nothing new.
    let replay = store.push(&a, "d", batch).await.unwrap();
    assert_eq!(replay, acks);
    assert_eq!(store.alerts(&s, None).await.unwrap().len(), 1);

    // An edit rescored without the flag: the new score, and no alert (the first one stays).
    let mut edited = body.clone();
    edited["responses"]["9"] = json!(0);
    let updated = store
        .push(
            &a,
            "d",
            vec![rec("assessment", &assessment, Some(1), edited.clone())],
        )
        .await
        .unwrap();
    assert_eq!(updated[0].status, AckStatus::Updated);
    let score = updated[0].score.as_ref().unwrap();
    assert_eq!((score.total, score.risk_flags.len()), (Some(11.0), 0));
    assert!(updated[0].alerts.is_empty());
    // The same content under another base version is unchanged, and still carries its score.
    let unchanged = store
        .push(
            &a,
            "d",
            vec![rec("assessment", &assessment, Some(7), edited)],
        )
        .await
        .unwrap();
    assert_eq!(unchanged[0].status, AckStatus::Unchanged);
    assert_eq!(unchanged[0].score.as_ref().unwrap().total, Some(11.0));

    // A receipt stored by an older server (no score, no alerts) still answers its replay.
    let consent = uuid();
    let old = vec![rec(
        "consent",
        &consent,
        None,
        json!({"client_id": client, "scope": "treatment", "given": true, "on": "2026-03-02"}),
    )];
    store.push(&a, "d", old.clone()).await.unwrap();
    let old_receipt = json!({"id": consent, "status": "created", "version": 1}).to_string();
    sqlx::query("UPDATE sync_receipts SET ack = $1 WHERE record_id = $2")
        .bind(old_receipt)
        .bind(consent.clone())
        .execute(store.pool())
        .await
        .unwrap();
    let replay = store.push(&a, "d", old).await.unwrap();
    assert_eq!(
        (
            replay[0].status,
            replay[0].version,
            replay[0].score.is_none(),
            replay[0].alerts.is_empty()
        ),
        (AckStatus::Created, Some(1), true, true)
    );
}

/// Care app contract, item 2: an assessment names the instrument version its form used and is
/// scored with exactly that version; absent, with the newest; an unknown one is rejected.
async fn assessments_are_scored_with_the_version_they_name(store: Store, f: Fixture, _db: Reopen) {
    use scaleup_domain::catalog::Catalog;
    // A hub replaced the built-in PHQ-9 with version 2, positive only above 14.
    let mut catalog = Catalog::builtin();
    let v1 = catalog.instrument("phq9").unwrap().version().to_string();
    assert_eq!(v1, "1");
    let text = scaleup_domain::catalog::BUILTIN_FILES
        .iter()
        .find(|(name, _)| *name == "instruments/phq9.toml")
        .unwrap()
        .1
        .replace("version = \"1\"", "version = \"2\"")
        .replace("default_cutoff = \"ge10\"", "default_cutoff = \"gt14\"");
    catalog.add_file("hub/phq9-v2.toml", &text).unwrap();
    let store = store.with_rules(Arc::new(scaleup_storage::CatalogRules::new(Arc::new(
        catalog,
    ))));
    let client = register_client(&store, &f, &f.counsellor).await;
    let a = actor(&store, &f.counsellor).await;
    // Total 12: positive under version 1 (>= 10), not under version 2 (> 14).
    let mut responses = phq9_responses(1, 0);
    for i in ["1", "2", "3", "4"] {
        responses[i] = json!(2);
    }
    let body = |version: Option<&str>| {
        let mut b = json!({"client_id": client, "instrument": "phq9", "occasion": "baseline", "administered_on": "2026-03-01", "responses": responses});
        if let Some(v) = version {
            b["instrument_version"] = json!(v);
        }
        b
    };
    let (old, new, newest) = (uuid(), uuid(), uuid());
    let acks = store
        .push(
            &a,
            "d",
            vec![
                rec("assessment", &old, None, body(Some("1"))),
                rec("assessment", &new, None, body(Some("2"))),
                rec("assessment", &newest, None, body(None)),
                rec("assessment", &uuid(), None, body(Some("3"))),
            ],
        )
        .await
        .unwrap();
    let verdict = |ack: &Ack| {
        let s = ack.score.as_ref().unwrap();
        (s.instrument_version.clone().unwrap(), s.total, s.positive)
    };
    assert_eq!(verdict(&acks[0]), ("1".into(), Some(12.0), Some(true)));
    assert_eq!(verdict(&acks[1]), ("2".into(), Some(12.0), Some(false)));
    assert_eq!(verdict(&acks[2]), ("2".into(), Some(12.0), Some(false)));
    assert_eq!(
        rejection(&acks[3]),
        (
            "data.instrument_version".into(),
            "is not a version of phq9 in the catalogue; known: 1, 2".into()
        )
    );
    // The stored score records the version used.
    for (id, version, positive) in [(&old, "1", 1), (&new, "2", 0), (&newest, "2", 0)] {
        let row = sqlx::query(
            "SELECT instrument_version, CAST(positive AS BIGINT) AS positive FROM assessment_scores WHERE record_id = $1",
        )
        .bind(id.clone())
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(
            (
                row.get::<Option<String>, _>("instrument_version")
                    .as_deref(),
                row.get::<i64, _>("positive")
            ),
            (Some(version), positive)
        );
    }
}

/// Care app contract, item 3: a session's components must be its protocol's, no record date may
/// be after tomorrow, and a device clock may not run more than a day ahead.
async fn protocol_rules_and_the_clock_reject_what_cannot_be_right(
    store: Store,
    f: Fixture,
    _db: Reopen,
) {
    let a = actor(&store, &f.counsellor).await;
    let client = client_with_episode(&store, &f, &f.counsellor, &day(-10), None).await;
    let episode: String =
        sqlx::query_scalar("SELECT id FROM records WHERE client_id = $1 AND kind = 'episode'")
            .bind(client.clone())
            .fetch_one(store.pool())
            .await
            .unwrap();
    let session = |number: u32, on: &str, components: Value| json!({"client_id": client, "episode_id": episode, "number": number, "on": on, "attended": true, "modality": "individual", "components": components});
    let acks = store
        .push(&a, "d", vec![
            // A HAP component in a PM+ session.
            rec("session", &uuid(), None, session(1, &day(-3), json!(["psychoeducation", "activity_monitoring"]))),
            rec("session", &uuid(), None, session(1, &day(2), json!([]))),
            rec("session", &uuid(), None, session(1, &day(1), json!(["psychoeducation", "staying_well"]))),
            rec("episode", &uuid(), None, json!({"client_id": client, "programme_id": f.programme_id, "enrolled_on": day(-10), "closed_on": day(30), "closure_reason": "completed"})),
            rec("consent", &uuid(), None, json!({"client_id": client, "scope": "treatment", "given": true, "on": "2099-01-01"})),
        ])
        .await
        .unwrap();
    assert_eq!(
        rejection(&acks[0]),
        (
            "data.components.1".into(),
            "is not a component of protocol pm_plus_individual; allowed: assessment, psychoeducation, managing_stress, managing_problems, get_going_keep_doing, strengthening_social_support, staying_well".into()
        )
    );
    let future = |field: &str| (field.to_string(), "must not be in the future".to_string());
    assert_eq!(rejection(&acks[1]), future("data.on"));
    // Tomorrow is already today in UTC+14.
    assert_eq!(acks[2].status, AckStatus::Created, "{:?}", acks[2]);
    assert_eq!(rejection(&acks[3]), future("data.closed_on"));
    assert_eq!(rejection(&acks[4]), future("data.on"));

    // The device clock: half a day ahead is a time zone, two days ahead is a wrong clock.
    let ahead = |hours: i64| {
        let t = time::OffsetDateTime::now_utc() + time::Duration::hours(hours);
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let consent = |device_time: String| {
        serde_json::from_value::<IncomingRecord>(
            json!({"kind": "consent", "id": uuid(), "device_time": device_time,
            "data": {"client_id": client, "scope": "research", "given": true, "on": day(0)}}),
        )
        .unwrap()
    };
    let acks = store
        .push(&a, "d", vec![consent(ahead(12)), consent(ahead(48))])
        .await
        .unwrap();
    assert_eq!(acks[0].status, AckStatus::Created, "{:?}", acks[0]);
    let (field, message) = rejection(&acks[1]);
    assert_eq!(field, "device_time");
    assert!(message.contains("ahead of the server's clock"), "{message}");
}

/// Care app contract, item 3: the protocol's exclusion (PM+: suicide_risk, PHQ-9 item 9, refer)
/// blocks enrolment while the client's latest screening raised it; a later clean screening
/// lifts it, and closing an existing episode is never blocked.
async fn an_exclusion_blocks_enrolment_until_a_clean_screening(
    store: Store,
    f: Fixture,
    _db: Reopen,
) {
    let a = actor(&store, &f.counsellor).await;
    let client = uuid();
    let screening = |on: &str, item9: u32| {
        rec(
            "assessment",
            &uuid(),
            None,
            json!({"client_id": client, "instrument": "phq9", "occasion": "screening", "administered_on": on, "responses": phq9_responses(2, item9)}),
        )
    };
    let episode = |id: &str| {
        rec(
            "episode",
            id,
            None,
            json!({"client_id": client, "programme_id": f.programme_id, "enrolled_on": "2026-03-03"}),
        )
    };
    let blocked = (
        "data.client_id".to_string(),
        "enrolment is blocked by the protocol's exclusion suicide_risk (refer): the latest phq9 screening raised item9_positive; record a referral instead".to_string(),
    );
    // The flagged screening and the episode in one batch: the episode sees the screening.
    let first_episode = uuid();
    let acks = store
        .push(&a, "d", vec![
            rec("client", &client, None, json!({"programme_id": f.programme_id, "facility_id": f.facility_id, "registered_on": "2026-03-01", "sex": "female"})),
            screening("2026-03-01", 1),
            episode(&first_episode),
        ])
        .await
        .unwrap();
    assert_eq!(rejection(&acks[2]), blocked);
    let episodes = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM records WHERE client_id = $1 AND kind = 'episode'",
        )
        .bind(client.clone())
        .fetch_one(store.pool())
        .await
        .unwrap()
    };
    assert_eq!(episodes().await, 0);
    // A baseline on the same day without the flag is the latest: enrolment goes ahead.
    let acks = store
        .push(&a, "d", vec![
            rec("assessment", &uuid(), None, json!({"client_id": client, "instrument": "phq9", "occasion": "baseline", "administered_on": "2026-03-01", "responses": phq9_responses(2, 0)})),
            episode(&first_episode),
        ])
        .await
        .unwrap();
    assert_eq!(acks[1].status, AckStatus::Created, "{:?}", acks[1]);
    // A new flagged screening: closing the open episode is allowed, a second episode is not.
    let acks = store
        .push(&a, "d", vec![
            screening("2026-03-20", 2),
            rec("episode", &first_episode, Some(1), json!({"client_id": client, "programme_id": f.programme_id, "enrolled_on": "2026-03-03", "closed_on": "2026-03-20", "closure_reason": "referred"})),
            episode(&uuid()),
        ])
        .await
        .unwrap();
    assert_eq!(acks[1].status, AckStatus::Updated, "{:?}", acks[1]);
    assert_eq!(rejection(&acks[2]), blocked);
    // A flagged session assessment is not a screening: it does not decide enrolment.
    let acks = store
        .push(&a, "d", vec![
            screening("2026-04-01", 0),
            rec("assessment", &uuid(), None, json!({"client_id": client, "episode_id": first_episode, "instrument": "phq9", "occasion": "session", "session_number": 2, "administered_on": "2026-04-02", "responses": phq9_responses(2, 1)})),
            episode(&uuid()),
        ])
        .await
        .unwrap();
    assert_eq!(acks[2].status, AckStatus::Created, "{:?}", acks[2]);
    assert_eq!(episodes().await, 2);
}

/// Care app contract, item 4: each active episode in a caseload shows its next session, computed
/// by `Protocol::next_session` from the episode's own sessions; supervision flags come from the
/// store too.
async fn caseload_shows_the_next_session_of_active_episodes(store: Store, f: Fixture, _db: Reopen) {
    let a = actor(&store, &f.counsellor).await;
    let session = |client: &str, episode: &str, number: u32, on: String, attended: bool| {
        rec(
            "session",
            &uuid(),
            None,
            json!({"client_id": client, "episode_id": episode, "number": number, "on": on, "attended": attended, "modality": "individual", "components": []}),
        )
    };
    let enrol = |client: &str, episode: &str, on: String, closed: Option<String>| {
        let mut e = json!({"client_id": client, "programme_id": f.programme_id, "enrolled_on": on});
        if let Some(c) = closed {
            e["closed_on"] = json!(c);
            e["closure_reason"] = json!("completed");
        }
        rec("episode", episode, None, e)
    };
    let new_client = |id: &str| {
        rec(
            "client",
            id,
            None,
            json!({"programme_id": f.programme_id, "facility_id": f.facility_id, "registered_on": day(-60), "sex": "female"}),
        )
    };
    let (fresh, behind, done, returning, closed) = (uuid(), uuid(), uuid(), uuid(), uuid());
    let (e_fresh, e_behind, e_done, e_old, e_new, e_closed) =
        (uuid(), uuid(), uuid(), uuid(), uuid(), uuid());
    let mut batch = vec![
        // Enrolled today, nothing held yet.
        new_client(&fresh),
        enrol(&fresh, &e_fresh, day(0), None),
        // Session 1 attended 17 days ago, session 2 missed 10 days ago: 3 was due 3 days ago.
        new_client(&behind),
        enrol(&behind, &e_behind, day(-20), None),
        session(&behind, &e_behind, 1, day(-17), true),
        session(&behind, &e_behind, 2, day(-10), false),
        // All five planned PM+ sessions held.
        new_client(&done),
        enrol(&done, &e_done, day(-40), None),
        // An earlier, closed episode with four sessions, and a new one with one session: the new
        // episode's own sessions count.
        new_client(&returning),
        enrol(&returning, &e_old, day(-150), Some(day(-100))),
        enrol(&returning, &e_new, day(-5), None),
        session(&returning, &e_new, 1, day(-5), true),
        // Closed: no next session.
        new_client(&closed),
        enrol(&closed, &e_closed, day(-30), Some(day(-2))),
    ];
    for n in 1..=5 {
        batch.push(session(&done, &e_done, n, day(-40 + 7 * n as i64), true));
    }
    for n in 1..=4 {
        batch.push(session(
            &returning,
            &e_old,
            n,
            day(-150 + 7 * n as i64),
            true,
        ));
    }
    push_created(&store, &a, batch).await;

    let (items, _) = store.caseload(&a, None, 100).await.unwrap();
    let entry = |id: &str| items.iter().find(|c| c.client_id == id).unwrap();
    let next = |id: &str| serde_json::to_value(&entry(id).next_session).unwrap();
    assert_eq!(
        next(&fresh),
        json!({"number": 1, "due_on": day(0), "status": "today", "components": ["assessment", "psychoeducation", "managing_stress"]})
    );
    assert_eq!(
        next(&behind),
        json!({"number": 3, "due_on": day(-3), "status": "overdue", "overdue_days": 3, "components": ["managing_stress", "managing_problems", "get_going_keep_doing"]})
    );
    assert_eq!(
        next(&done),
        json!({"number": null, "due_on": null, "status": "done", "components": []})
    );
    assert_eq!(
        next(&returning),
        json!({"number": 2, "due_on": day(2), "status": "upcoming", "components": ["managing_stress", "managing_problems"]})
    );
    assert_eq!(next(&closed), Value::Null);
    // The supervision flags and the protocol's other verdicts are on the same entries.
    let behind = entry(&behind);
    assert_eq!(behind.protocol.as_deref(), Some("pm_plus_individual"));
    // The `overdue` flag keeps its earlier rule (from the last attended session: 17 days ago,
    // 10 past the interval), while the schedule counts the missed session too (3 days overdue).
    // FIXME(care app): decide whether the flag should follow `next_session`; kept as it was.
    assert_eq!(behind.flags, vec!["missed_sessions", "overdue"]);
    assert_eq!(behind.adequate_dose, Some(false));
    assert_eq!(entry(&done).adequate_dose, Some(true));
}

/// Pushes a PHQ-9 whose item 9 is positive for `client`; returns the alert it raised.
async fn raise_risk_alert(
    store: &Store,
    f: &Fixture,
    counsellor: &scaleup_storage::UserRecord,
    client: &str,
) -> scaleup_storage::AlertRow {
    let a = actor(store, counsellor).await;
    let record = uuid();
    push_created(store, &a, vec![rec("assessment", &record, None, json!({"client_id": client, "instrument": "phq9", "occasion": "baseline", "administered_on": "2026-03-01", "responses": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0, "6": 0, "7": 0, "8": 0, "9": 2}}))]).await;
    let admin = actor(store, &f.admin).await;
    store
        .alerts(&admin, None)
        .await
        .unwrap()
        .into_iter()
        .find(|alert| alert.record_id == record)
        .expect("the positive item 9 raised an alert")
}

/// Every audit detail, as text, for checks that something never reaches the log.
async fn audit_details(store: &Store) -> String {
    store.seal_audit().await.unwrap();
    sqlx::query("SELECT detail FROM audit_log")
        .fetch_all(store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>("detail"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Care app: acknowledging records every action taken and a note; the note is sealed with the
/// alert id (it cannot be read as another alert's), and never reaches SQL or the audit log in
/// clear. Bad input changes nothing.
async fn alert_acknowledgement_keeps_every_action_and_a_sealed_note(
    store: Store,
    f: Fixture,
    _db: Reopen,
) {
    let client = register_client(&store, &f, &f.counsellor).await;
    let alert = raise_risk_alert(&store, &f, &f.counsellor, &client).await;
    let s = actor(&store, &f.supervisor).await;
    let invalid = |r: Result<scaleup_storage::AlertRow, StoreError>| match r {
        Err(StoreError::Invalid { field, message }) => (field, message),
        other => panic!("expected invalid input, got {other:?}"),
    };
    let (field, message) = invalid(store.acknowledge_alert(&s, &alert.id, &[], None).await);
    assert_eq!(field, "actions");
    assert!(message.contains("called_counsellor"), "{message}");
    let (field, message) = invalid(
        store
            .acknowledge_alert(&s, &alert.id, &codes(&["contacted_client", "prayed"]), None)
            .await,
    );
    assert_eq!(field, "actions.1");
    assert_eq!(
        message,
        format!(
            "must be one of: {}",
            scaleup_storage::ALERT_ACTIONS.join(", ")
        )
    );
    let (field, _) = invalid(
        store
            .acknowledge_alert(&s, &alert.id, &codes(&["home_visit", "home_visit"]), None)
            .await,
    );
    assert_eq!(field, "actions.1");
    let long = "x".repeat(scaleup_storage::MAX_NOTE_CHARS + 1);
    let (field, _) = invalid(
        store
            .acknowledge_alert(&s, &alert.id, &codes(&["home_visit"]), Some(&long))
            .await,
    );
    assert_eq!(field, "note");
    // Only the alert's supervisor (or a hub manager) may act; to anyone else it does not exist.
    for other in [&f.supervisor_b, &f.counsellor, &f.admin, &f.researcher] {
        let o = actor(&store, other).await;
        assert!(
            matches!(
                store
                    .acknowledge_alert(&o, &alert.id, &codes(&["home_visit"]), None)
                    .await,
                Err(StoreError::NotFound)
            ),
            "{}",
            other.username
        );
        assert!(matches!(
            store.alert_detail(&o, &alert.id).await,
            Err(StoreError::NotFound)
        ));
    }
    let untouched = store.alert_detail(&s, &alert.id).await.unwrap();
    assert_eq!(untouched.0.status, "open");
    assert!(
        untouched.1.is_empty(),
        "refused acknowledgements left nothing"
    );

    let note = "Spoke with Wanjiru's sister; she stays with her tonight.";
    let acked = store
        .acknowledge_alert(
            &s,
            &alert.id,
            &codes(&["contacted_client", "safety_plan_made"]),
            Some(note),
        )
        .await
        .unwrap();
    assert_eq!(
        (
            acked.status.as_str(),
            acked.action.as_deref(),
            acked.actions.clone(),
            acked.acknowledged_by.as_deref()
        ),
        (
            "acknowledged",
            Some("contacted_client"),
            codes(&["contacted_client", "safety_plan_made"]),
            Some(f.supervisor.id.as_str())
        )
    );
    assert!(matches!(
        store
            .acknowledge_alert(&s, &alert.id, &codes(&["home_visit"]), None)
            .await,
        Err(StoreError::Conflict(_))
    ));
    let (read, history) = store.alert_detail(&s, &alert.id).await.unwrap();
    assert_eq!(read.actions, acked.actions);
    assert_eq!(history.len(), 1);
    assert_eq!(
        (
            history[0].kind.as_str(),
            history[0].actions.clone(),
            history[0].note.as_deref(),
            history[0].by_name.as_str()
        ),
        (
            "acknowledge",
            codes(&["contacted_client", "safety_plan_made"]),
            Some(note),
            "supervisor"
        )
    );
    // Lists carry the actions too.
    let listed = store.alerts(&s, Some("acknowledged")).await.unwrap();
    assert_eq!(listed[0].actions, acked.actions);
    // At rest and in the audit log the note is nowhere in clear.
    let stored: String = sqlx::query_scalar("SELECT note FROM alert_actions WHERE alert_id = $1")
        .bind(alert.id.clone())
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert!(!stored.contains("sister") && !stored.contains("Wanjiru"));
    let details = audit_details(&store).await;
    assert!(!details.contains("sister") && !details.contains("Wanjiru"));
    store.seal_audit().await.unwrap();
    let reads = sqlx::query("SELECT client_id FROM audit_log WHERE action = 'alert.read'")
        .fetch_all(store.pool())
        .await
        .unwrap();
    assert_eq!(reads.len(), 2, "every detail read is audited");
    assert_eq!(reads[1].get::<String, _>("client_id"), client);
    // Sealed with its alert's id: moved to another alert, the note no longer opens.
    let other_client = register_client(&store, &f, &f.counsellor).await;
    let other = raise_risk_alert(&store, &f, &f.counsellor, &other_client).await;
    sqlx::query("UPDATE alert_actions SET alert_id = $1 WHERE alert_id = $2")
        .bind(other.id.clone())
        .bind(alert.id.clone())
        .execute(store.pool())
        .await
        .unwrap();
    assert!(matches!(
        store.alert_detail(&s, &other.id).await,
        Err(StoreError::Crypto(_))
    ));
    assert!(store.verify_audit().await.unwrap().ok);
}

/// Care app: follow-ups can be added to an alert in any state, by its supervisor and, after
/// escalation, the hub manager; the history lists them oldest first, with who wrote them.
async fn alert_follow_ups_build_a_history_only_its_handlers_see(
    store: Store,
    f: Fixture,
    _db: Reopen,
) {
    let client = register_client(&store, &f, &f.counsellor).await;
    let alert = raise_risk_alert(&store, &f, &f.counsellor, &client).await;
    let s = actor(&store, &f.supervisor).await;
    let m = actor(&store, &f.manager).await;
    // A follow-up needs an action or a note; a blank note is no note.
    assert!(matches!(
        store.add_alert_follow_up(&s, &alert.id, &[], Some("   ")).await,
        Err(StoreError::Invalid { field, .. }) if field == "actions"
    ));
    assert!(matches!(
        store
            .add_alert_follow_up(&s, &alert.id, &codes(&["unheard_of"]), None)
            .await,
        Err(StoreError::Invalid { field, .. }) if field == "actions.0"
    ));
    let first = store
        .add_alert_follow_up(&s, &alert.id, &[], Some("Counsellor trying to reach her."))
        .await
        .unwrap();
    assert_eq!(
        (
            first.kind.as_str(),
            first.actions.len(),
            first.by_name.as_str()
        ),
        ("follow_up", 0, "supervisor")
    );
    sqlx::query("UPDATE risk_alerts SET due_at = '2000-01-01T00:00:00.000000Z'")
        .execute(store.pool())
        .await
        .unwrap();
    assert_eq!(store.escalate_overdue_alerts().await.unwrap(), 1);
    store
        .add_alert_follow_up(&m, &alert.id, &codes(&["called_counsellor"]), None)
        .await
        .unwrap();
    store
        .acknowledge_alert(&m, &alert.id, &codes(&["visited_with_counsellor"]), None)
        .await
        .unwrap();
    let last = store
        .add_alert_follow_up(
            &s,
            &alert.id,
            &codes(&["supervision_scheduled", "client_not_reached"]),
            Some("Next supervision on Friday."),
        )
        .await
        .unwrap();
    assert_eq!(last.note.as_deref(), Some("Next supervision on Friday."));
    for other in [&f.supervisor_b, &f.counsellor, &f.viewer] {
        let o = actor(&store, other).await;
        assert!(matches!(
            store
                .add_alert_follow_up(&o, &alert.id, &codes(&["home_visit"]), None)
                .await,
            Err(StoreError::NotFound)
        ));
    }
    assert!(matches!(
        store
            .add_alert_follow_up(&s, &uuid(), &codes(&["home_visit"]), None)
            .await,
        Err(StoreError::NotFound)
    ));
    let (alert_now, history) = store.alert_detail(&m, &alert.id).await.unwrap();
    assert_eq!(alert_now.status, "acknowledged");
    assert_eq!(alert_now.actions, codes(&["visited_with_counsellor"]));
    let summary: Vec<(&str, Vec<String>, &str)> = history
        .iter()
        .map(|h| (h.kind.as_str(), h.actions.clone(), h.by_name.as_str()))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("follow_up", vec![], "supervisor"),
            ("follow_up", codes(&["called_counsellor"]), "manager"),
            (
                "acknowledge",
                codes(&["visited_with_counsellor"]),
                "manager"
            ),
            (
                "follow_up",
                codes(&["supervision_scheduled", "client_not_reached"]),
                "supervisor"
            ),
        ]
    );
    assert!(history.windows(2).all(|w| w[0].at <= w[1].at));
    assert_eq!(history[3].id, last.id);
    let details = audit_details(&store).await;
    assert!(!details.contains("Friday") && !details.contains("reach her"));
}

fn rating(f: &Fixture, levels: Value) -> Value {
    json!({"counsellor_id": f.counsellor.id, "assessor_id": f.supervisor.id, "on": "2026-03-02",
           "tool": "enact_equip", "method": "role_play", "levels": levels})
}

/// ENACT/EQUIP: a competency rated at the harmful level raises one supervision safety flag for
/// the counsellor, seen and acknowledged by the hub's clinical lead (a hub manager), seen by
/// the rater, and told to the hub's managers in the rating's own transaction.
async fn harmful_competency_rating_raises_one_safety_flag_for_the_hub_lead(
    store: Store,
    f: Fixture,
    _db: Reopen,
) {
    let s = actor(&store, &f.supervisor).await;
    let m = actor(&store, &f.manager).await;
    let rated = uuid();
    push_created(
        &store,
        &s,
        vec![
            rec(
                "competency_assessment",
                &uuid(),
                None,
                rating(&f, json!({"1": 2, "2": 3})),
            ),
            rec(
                "competency_assessment",
                &rated,
                None,
                rating(&f, json!({"1": 3, "7": 1})),
            ),
        ],
    )
    .await;
    let (flags, next) = store.safety_flags_page(&m, None, None, 10).await.unwrap();
    assert_eq!((flags.len(), next), (1, None), "only the harmful rating");
    let flag = &flags[0];
    assert_eq!(
        (
            flag.hub_id.as_str(),
            flag.counsellor_id.as_str(),
            flag.record_id.as_str(),
            flag.rule.as_str(),
            flag.competencies.clone(),
            flag.raised_by.as_str(),
            flag.status.as_str()
        ),
        (
            f.hub_id.as_str(),
            f.counsellor.id.as_str(),
            rated.as_str(),
            scaleup_storage::SAFETY_FLAG_RULE,
            vec!["7".to_string()],
            f.supervisor.id.as_str(),
            "open"
        )
    );
    // The hub's manager is told, in the same transaction as the rating.
    let told = sqlx::query("SELECT recipient_user_id, body FROM notifications WHERE event = 'safety_flag.raised' AND subject_id = $1")
        .bind(flag.id.clone())
        .fetch_all(store.pool())
        .await
        .unwrap();
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].get::<String, _>("recipient_user_id"), f.manager.id);
    // Rewriting the rating, still harmful, raises no second flag.
    let acks = store
        .push(
            &s,
            "d",
            vec![rec(
                "competency_assessment",
                &rated,
                Some(1),
                rating(&f, json!({"1": 2, "7": 1, "9": 1})),
            )],
        )
        .await
        .unwrap();
    assert_eq!(acks[0].status, AckStatus::Updated);
    assert_eq!(
        store
            .safety_flags_page(&m, None, None, 10)
            .await
            .unwrap()
            .0
            .len(),
        1
    );
    // Who sees flags: admins all, the rater theirs, another supervisor none, the rest refused.
    let admin = actor(&store, &f.admin).await;
    assert_eq!(
        store
            .safety_flags_page(&admin, None, None, 10)
            .await
            .unwrap()
            .0
            .len(),
        1
    );
    assert_eq!(
        store
            .safety_flags_page(&s, None, None, 10)
            .await
            .unwrap()
            .0
            .len(),
        1
    );
    let sb = actor(&store, &f.supervisor_b).await;
    assert!(
        store
            .safety_flags_page(&sb, None, None, 10)
            .await
            .unwrap()
            .0
            .is_empty()
    );
    for refused in [&f.counsellor, &f.researcher, &f.viewer] {
        let r = actor(&store, refused).await;
        assert!(matches!(
            store.safety_flags_page(&r, None, None, 10).await,
            Err(StoreError::Forbidden(_))
        ));
    }
    assert!(matches!(
        store.safety_flags_page(&m, Some("closed"), None, 10).await,
        Err(StoreError::Invalid { field, message }) if field == "status" && message == "must be one of: open, acknowledged"
    ));
    assert!(matches!(
        store.safety_flags_page(&m, None, Some("nonsense"), 10).await,
        Err(StoreError::Invalid { field, .. }) if field == "cursor"
    ));
    // Only a hub manager of the flag's hub acknowledges it.
    for refused in [&s, &admin] {
        assert!(matches!(
            store.acknowledge_safety_flag(refused, &flag.id, None).await,
            Err(StoreError::Forbidden(_))
        ));
    }
    assert!(matches!(
        store.acknowledge_safety_flag(&m, &uuid(), None).await,
        Err(StoreError::NotFound)
    ));
    let foreign_manager = scaleup_storage::Actor {
        user_id: f.manager.id.clone(),
        role: scaleup_domain::role::Role::HubManager,
        hubs: vec![f.other_hub_id.clone()],
    };
    assert!(matches!(
        store
            .acknowledge_safety_flag(&foreign_manager, &flag.id, None)
            .await,
        Err(StoreError::NotFound)
    ));
    let note = "Observed dismissing disclosure of self-harm; retraining booked.";
    let acked = store
        .acknowledge_safety_flag(&m, &flag.id, Some(note))
        .await
        .unwrap();
    assert_eq!(
        (
            acked.status.as_str(),
            acked.acknowledged_by.as_deref(),
            acked.note.as_deref()
        ),
        ("acknowledged", Some(f.manager.id.as_str()), Some(note))
    );
    assert!(matches!(
        store.acknowledge_safety_flag(&m, &flag.id, None).await,
        Err(StoreError::Conflict(_))
    ));
    let (open, _) = store
        .safety_flags_page(&m, Some("open"), None, 10)
        .await
        .unwrap();
    let (done, _) = store
        .safety_flags_page(&s, Some("acknowledged"), None, 10)
        .await
        .unwrap();
    assert_eq!((open.len(), done.len()), (0, 1));
    assert_eq!(
        done[0].note.as_deref(),
        Some(note),
        "the rater reads the lead's note"
    );
    let stored: String = sqlx::query_scalar("SELECT note FROM safety_flags WHERE id = $1")
        .bind(flag.id.clone())
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert!(!stored.contains("self-harm"));
    let details = audit_details(&store).await;
    assert!(!details.contains("self-harm"));
    store.seal_audit().await.unwrap();
    let audited: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE entity_kind = 'safety_flag' ORDER BY seq",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert_eq!(audited[0], "safety_flag.raise");
    assert_eq!(
        audited
            .iter()
            .filter(|a| *a == "safety_flag.acknowledge")
            .count(),
        1
    );
    assert!(audited.contains(&"safety_flag.list".to_string()));
    assert!(store.verify_audit().await.unwrap().ok);
}

/// A harmful rating that arrives through a kept sync conflict raises its flag like a synced
/// one: the flag hangs on the one write path, not on sync.
async fn every_write_path_raises_the_safety_flag(store: Store, f: Fixture, _db: Reopen) {
    let s = actor(&store, &f.supervisor).await;
    let m = actor(&store, &f.manager).await;
    let id = uuid();
    push_created(
        &store,
        &s,
        vec![rec(
            "competency_assessment",
            &id,
            None,
            rating(&f, json!({"1": 3})),
        )],
    )
    .await;
    let phone = store
        .push(
            &s,
            "phone",
            vec![rec(
                "competency_assessment",
                &id,
                Some(1),
                rating(&f, json!({"1": 4})),
            )],
        )
        .await
        .unwrap();
    assert_eq!(phone[0].status, AckStatus::Updated);
    let tablet = store
        .push(
            &s,
            "tablet",
            vec![rec(
                "competency_assessment",
                &id,
                Some(1),
                rating(&f, json!({"1": 1})),
            )],
        )
        .await
        .unwrap();
    assert_eq!(tablet[0].status, AckStatus::Conflict);
    assert!(
        store
            .safety_flags_page(&m, None, None, 10)
            .await
            .unwrap()
            .0
            .is_empty()
    );
    let conflict = store.conflicts(&m).await.unwrap().remove(0);
    store
        .resolve_conflict(&m, &conflict.id, "incoming")
        .await
        .unwrap();
    let (flags, _) = store.safety_flags_page(&m, None, None, 10).await.unwrap();
    assert_eq!(flags.len(), 1, "the kept harmful rating raised its flag");
    assert_eq!(
        (flags[0].record_id.as_str(), flags[0].raised_by.as_str()),
        (id.as_str(), f.supervisor.id.as_str()),
        "raised by the rater, not by the reviewer who kept the version"
    );
}

/// The outbox: an alert raised tells the supervisor (or, without one, the hub's managers), an
/// escalation tells the manager it goes to, once; bodies carry ids, level, times, the hub code
/// and the recipient's address, never a client id, a name or the clinical rule.
async fn notifications_are_written_with_their_event_and_name_no_client(
    store: Store,
    f: Fixture,
    _db: Reopen,
) {
    sqlx::query(
        "UPDATE users SET notify_address = 'tel:+254700000001', language = 'sw' WHERE id = $1",
    )
    .bind(f.supervisor.id.clone())
    .execute(store.pool())
    .await
    .unwrap();
    let client = register_client(&store, &f, &f.counsellor).await;
    let alert = raise_risk_alert(&store, &f, &f.counsellor, &client).await;
    let rows = |event: &'static str| {
        let store = store.clone();
        async move {
            sqlx::query("SELECT recipient_user_id, subject_id, body, status, attempts FROM notifications WHERE event = $1 ORDER BY created_at")
                .bind(event)
                .fetch_all(store.pool())
                .await
                .unwrap()
        }
    };
    let raised = rows("risk_alert.raised").await;
    assert_eq!(raised.len(), 1);
    assert_eq!(
        raised[0].get::<String, _>("recipient_user_id"),
        f.supervisor.id
    );
    assert_eq!(raised[0].get::<String, _>("status"), "pending");
    assert_eq!(raised[0].get::<i64, _>("attempts"), 0);
    let text: String = raised[0].get("body");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["event"], "risk_alert.raised");
    assert_eq!(body["subject_id"], alert.id.as_str());
    assert_eq!(body["hub"], "ke-pmplus");
    assert_eq!(body["level"], "urgent");
    assert_eq!(body["due_at"], alert.due_at.as_str());
    assert_eq!(
        body["recipient"],
        json!({"user_id": f.supervisor.id, "username": "supervisor", "address": "tel:+254700000001", "language": "sw"})
    );
    assert!(
        body["text"]
            .as_str()
            .unwrap()
            .starts_with("An urgent risk alert in scaleup needs your attention before "),
        "{body}"
    );
    for secret in [
        client.as_str(),
        "phq9",
        "item9",
        "Wanjiru",
        f.counsellor.id.as_str(),
    ] {
        assert!(!text.contains(secret), "the body names {secret}: {text}");
    }
    // A counsellor without a supervisor: the hub's managers are told instead.
    let alone = store
        .create_user(
            None,
            scaleup_storage::NewUser {
                username: "alone".into(),
                display_name: "Alone".into(),
                password: FIXTURE_PASSWORD.into(),
                role: scaleup_domain::role::Role::Counsellor,
                hub_id: Some(f.hub_id.clone()),
                supervisor_id: None,
                site_ids: vec![],
                language: None,
                notify_address: None,
            },
        )
        .await
        .unwrap();
    let their_client = register_client(&store, &f, &alone).await;
    let unsupervised = raise_risk_alert(&store, &f, &alone, &their_client).await;
    let raised = rows("risk_alert.raised").await;
    assert_eq!(raised.len(), 2);
    assert_eq!(
        (
            raised[1].get::<String, _>("recipient_user_id"),
            raised[1].get::<String, _>("subject_id")
        ),
        (f.manager.id.clone(), unsupervised.id.clone())
    );
    // A supervisor whose account was closed is not the one told: the managers are.
    sqlx::query("UPDATE users SET active = 0 WHERE id = $1")
        .bind(f.supervisor_b.id.clone())
        .execute(store.pool())
        .await
        .unwrap();
    let b_client = register_client(&store, &f, &f.counsellor_b).await;
    let orphaned = raise_risk_alert(&store, &f, &f.counsellor_b, &b_client).await;
    let told: Vec<String> =
        sqlx::query_scalar("SELECT recipient_user_id FROM notifications WHERE subject_id = $1")
            .bind(orphaned.id.clone())
            .fetch_all(store.pool())
            .await
            .unwrap();
    assert_eq!(told, vec![f.manager.id.clone()]);
    sqlx::query("DELETE FROM notifications WHERE subject_id = $1")
        .bind(orphaned.id.clone())
        .execute(store.pool())
        .await
        .unwrap();
    // Escalation tells the manager it goes to, once however often the sweep runs.
    sqlx::query("UPDATE risk_alerts SET due_at = '2000-01-01T00:00:00.000000Z' WHERE id = $1")
        .bind(alert.id.clone())
        .execute(store.pool())
        .await
        .unwrap();
    assert_eq!(store.escalate_overdue_alerts().await.unwrap(), 1);
    assert_eq!(store.escalate_overdue_alerts().await.unwrap(), 0);
    let escalated = rows("risk_alert.escalated").await;
    assert_eq!(escalated.len(), 1);
    assert_eq!(
        escalated[0].get::<String, _>("recipient_user_id"),
        f.manager.id
    );
    let body: Value = serde_json::from_str(&escalated[0].get::<String, _>("body")).unwrap();
    assert_eq!(
        (
            body["subject_id"].as_str(),
            body["level"].as_str(),
            body["recipient"]["address"].clone()
        ),
        (Some(alert.id.as_str()), Some("urgent"), Value::Null)
    );
    // A record that is rejected writes no notification.
    let a = actor(&store, &f.counsellor).await;
    let acks = store
        .push(&a, "d", vec![rec("assessment", &uuid(), None, json!({"client_id": client, "instrument": "phq9", "occasion": "baseline", "administered_on": "2026-03-01", "responses": {"9": 7}}))])
        .await
        .unwrap();
    assert_eq!(acks[0].status, AckStatus::Rejected);
    assert_eq!(rows("risk_alert.raised").await.len(), 2);
    // Delivery status: hub managers for their hubs, admins everything, nobody else.
    let m = actor(&store, &f.manager).await;
    let (page, next) = store.notifications_page(&m, None, None, 2).await.unwrap();
    assert_eq!(page.len(), 2);
    let (rest, last) = store
        .notifications_page(&m, None, next.as_deref(), 2)
        .await
        .unwrap();
    assert_eq!((rest.len(), last), (1, None));
    assert!(page[0].created_at >= page[1].created_at && page[1].created_at >= rest[0].created_at);
    let admin = actor(&store, &f.admin).await;
    assert_eq!(
        store
            .notifications_page(&admin, Some("pending"), None, 10)
            .await
            .unwrap()
            .0
            .len(),
        3
    );
    assert!(matches!(
        store.notifications_page(&m, Some("lost"), None, 10).await,
        Err(StoreError::Invalid { field, message }) if field == "status" && message == "must be one of: pending, sent, failed"
    ));
    for refused in [&f.supervisor, &f.counsellor, &f.researcher, &f.viewer] {
        let r = actor(&store, refused).await;
        assert!(matches!(
            store.notifications_page(&r, None, None, 10).await,
            Err(StoreError::Forbidden(_))
        ));
    }
    let foreign = scaleup_storage::Actor {
        user_id: f.manager.id.clone(),
        role: scaleup_domain::role::Role::HubManager,
        hubs: vec![f.other_hub_id.clone()],
    };
    assert!(
        store
            .notifications_page(&foreign, None, None, 10)
            .await
            .unwrap()
            .0
            .is_empty()
    );
}

/// The sender's side of the outbox: a claimed row is not claimed again by a concurrent sender,
/// a sent row is done, a failed one waits 1, 2, 4 … minutes and is given up after 20 attempts.
async fn claimed_notifications_are_sent_once_and_back_off(store: Store, f: Fixture, _db: Reopen) {
    for _ in 0..6 {
        let client = register_client(&store, &f, &f.counsellor).await;
        raise_risk_alert(&store, &f, &f.counsellor, &client).await;
    }
    // Two senders at once share the due rows without overlap.
    let (a, b) = tokio::join!(
        store.claim_due_notifications(4),
        store.claim_due_notifications(4)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let mut ids: Vec<String> = a.iter().chain(&b).map(|n| n.id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(
        (a.len() + b.len(), ids.len()),
        (6, 6),
        "{} + {}",
        a.len(),
        b.len()
    );
    assert!(
        store.claim_due_notifications(10).await.unwrap().is_empty(),
        "all leased"
    );
    let sent = &a[0];
    assert_eq!(sent.event, "risk_alert.raised");
    assert_eq!(
        sent.body["id"],
        sent.id.as_str(),
        "the body carries its id for deduplication"
    );
    store.notification_sent(&sent.id).await.unwrap();
    assert!(matches!(
        store.notification_sent(&sent.id).await,
        Err(StoreError::NotFound)
    ));
    let failing = b.first().or(a.get(1)).unwrap().id.clone();
    let status = |id: String| {
        let store = store.clone();
        async move {
            let r = sqlx::query("SELECT status, attempts, next_attempt_at, last_error, sent_at FROM notifications WHERE id = $1")
                .bind(id)
                .fetch_one(store.pool())
                .await
                .unwrap();
            (
                r.get::<String, _>("status"),
                r.get::<i64, _>("attempts"),
                r.get::<String, _>("next_attempt_at"),
                r.get::<Option<String>, _>("last_error"),
                r.get::<Option<String>, _>("sent_at"),
            )
        }
    };
    let done = status(sent.id.clone()).await;
    assert_eq!((done.0.as_str(), done.1), ("sent", 1));
    assert!(done.4.is_some());
    let wait_after = |minutes: i64| {
        let now = time::OffsetDateTime::now_utc();
        (
            scaleup_storage::format_timestamp(now + time::Duration::seconds(minutes * 60 - 30)),
            scaleup_storage::format_timestamp(now + time::Duration::seconds(minutes * 60 + 30)),
        )
    };
    let due_again = |id: String| {
        let store = store.clone();
        async move {
            sqlx::query("UPDATE notifications SET next_attempt_at = '2000-01-01T00:00:00.000000Z' WHERE id = $1")
                .bind(id)
                .execute(store.pool())
                .await
                .unwrap();
        }
    };
    for (attempt, minutes) in [(1, 1), (2, 2), (3, 4)] {
        let (low, high) = wait_after(minutes);
        store
            .notification_failed(&failing, "the webhook answered HTTP 500")
            .await
            .unwrap();
        let (state, attempts, next, error, _) = status(failing.clone()).await;
        assert_eq!((state.as_str(), attempts), ("pending", attempt));
        assert!(
            low <= next && next <= high,
            "{next} not within {low}..{high}"
        );
        assert_eq!(error.as_deref(), Some("the webhook answered HTTP 500"));
        assert!(
            store.claim_due_notifications(10).await.unwrap().is_empty(),
            "not due yet"
        );
        due_again(failing.clone()).await;
        let claimed = store.claim_due_notifications(10).await.unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!(claimed[0].id, failing);
    }
    // The twentieth failure gives up.
    sqlx::query("UPDATE notifications SET attempts = $1 WHERE id = $2")
        .bind(scaleup_storage::NOTIFICATION_MAX_ATTEMPTS - 1)
        .bind(failing.clone())
        .execute(store.pool())
        .await
        .unwrap();
    store
        .notification_failed(&failing, "timed out")
        .await
        .unwrap();
    let (state, attempts, ..) = status(failing.clone()).await;
    assert_eq!(
        (state.as_str(), attempts),
        ("failed", scaleup_storage::NOTIFICATION_MAX_ATTEMPTS)
    );
    due_again(failing.clone()).await;
    assert!(store.claim_due_notifications(10).await.unwrap().is_empty());
    assert!(matches!(
        store.notification_failed(&failing, "again").await,
        Err(StoreError::NotFound)
    ));
}

/// Staff settings: a language from the supported set and a notification address with a scheme
/// and digits, both checked with errors naming the field; the language can be changed later.
async fn staff_language_and_notify_address_are_validated_and_kept(
    store: Store,
    f: Fixture,
    _db: Reopen,
) {
    let new =
        |username: &str, language: Option<&str>, address: Option<&str>| scaleup_storage::NewUser {
            username: username.into(),
            display_name: "Achieng".into(),
            password: FIXTURE_PASSWORD.into(),
            role: scaleup_domain::role::Role::Supervisor,
            hub_id: Some(f.hub_id.clone()),
            supervisor_id: None,
            site_ids: vec![],
            language: language.map(str::to_string),
            notify_address: address.map(str::to_string),
        };
    let user = store
        .create_user(
            None,
            new("achieng", Some("sw"), Some("whatsapp:+254711000000")),
        )
        .await
        .unwrap();
    assert_eq!(
        (user.language.as_deref(), user.notify_address.as_deref()),
        (Some("sw"), Some("whatsapp:+254711000000"))
    );
    let m = actor(&store, &f.manager).await;
    let listed = store.list_users(&m).await.unwrap();
    assert_eq!(
        listed
            .iter()
            .find(|u| u.id == user.id)
            .unwrap()
            .language
            .as_deref(),
        Some("sw")
    );
    for (bad, field) in [
        (new("bad-1", Some("de"), None), "language"),
        (new("bad-2", None, Some("0711000000")), "notify_address"),
        (
            new("bad-3", None, Some("sms:+254711000000")),
            "notify_address",
        ),
    ] {
        assert!(matches!(
            store.create_user(None, bad).await,
            Err(StoreError::Invalid { field: f, .. }) if f == field
        ));
    }
    assert!(store.user_by_username("bad-1").await.unwrap().is_none());
    store.set_user_language(&user.id, Some("fr")).await.unwrap();
    assert_eq!(
        store
            .user(&user.id)
            .await
            .unwrap()
            .unwrap()
            .language
            .as_deref(),
        Some("fr")
    );
    // The session carries the new language to the pages.
    let LoginOutcome::Success { token, .. } = store
        .login("achieng", FIXTURE_PASSWORD, "x", SessionKind::Cookie)
        .await
        .unwrap()
    else {
        panic!("login failed");
    };
    let (_, me) = store.session_actor(&token).await.unwrap().unwrap();
    assert_eq!(me.language.as_deref(), Some("fr"));
    store.set_user_language(&user.id, None).await.unwrap();
    assert_eq!(store.user(&user.id).await.unwrap().unwrap().language, None);
    assert!(matches!(
        store.set_user_language(&user.id, Some("klingon")).await,
        Err(StoreError::Invalid { field, message }) if field == "language" && message.contains("en, fr, pt, es, sw, hi")
    ));
    assert!(matches!(
        store.set_user_language(&uuid(), Some("en")).await,
        Err(StoreError::NotFound)
    ));
}

// Sign-in under attack (hardening item 5). The policy is written out in the storage crate's
// `throttle` module: recognised devices by their own counter; others by (account, address) with
// 5 free failures then 30 s doubling to an hour, by account locked at 100, and by address with
// 30 free then 1 s doubling to five minutes.

async fn sign_in(
    store: &Store,
    username: &str,
    password: &str,
    remote: &str,
    device: Option<&str>,
) -> Result<LoginOutcome, StoreError> {
    store
        .login_with_device(username, password, remote, device, SessionKind::Cookie)
        .await
}

fn device_of(outcome: Result<LoginOutcome, StoreError>) -> String {
    match outcome {
        Ok(LoginOutcome::Success { device_token, .. }) => device_token,
        Ok(LoginOutcome::Invalid) => panic!("expected a sign-in, got wrong credentials"),
        Err(e) => panic!("expected a sign-in, got {e}"),
    }
}

fn is_invalid(outcome: &Result<LoginOutcome, StoreError>) -> bool {
    matches!(outcome, Ok(LoginOutcome::Invalid))
}

/// Attempts recorded (and so checked) for a username.
async fn checked_attempts(store: &Store, username: &str) -> i64 {
    sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM login_attempts WHERE username = $1")
        .bind(username)
        .fetch_one(store.pool())
        .await
        .unwrap()
}

/// Reproduction 1: five wrong passwords for one account from one address locked the real user
/// out from every other address.
async fn wrong_passwords_from_one_address_do_not_lock_the_account_out_elsewhere(
    store: Store,
    _f: Fixture,
    _db: Reopen,
) {
    for _ in 0..5 {
        assert!(is_invalid(
            &sign_in(&store, "viewer", "wrong password!", "192.0.2.10", None).await
        ));
    }
    // The guessing address waits 30 s, even with the right password (it is not checked).
    match sign_in(&store, "viewer", FIXTURE_PASSWORD, "192.0.2.10", None).await {
        Err(StoreError::RateLimited {
            retry_after_seconds,
        }) => assert!((29..=30).contains(&retry_after_seconds)),
        other => panic!("expected a wait, got {:?}", other.err()),
    }
    // The real user, elsewhere, signs in at once.
    device_of(sign_in(&store, "viewer", FIXTURE_PASSWORD, "198.51.100.20", None).await);
    // Their success does not reopen the guesser's address.
    assert!(matches!(
        sign_in(&store, "viewer", "wrong password!", "192.0.2.10", None).await,
        Err(StoreError::RateLimited { .. })
    ));
    // The same address's IPv6 neighbours in its /64 are the same guesser.
    for _ in 0..5 {
        assert!(is_invalid(
            &sign_in(&store, "viewer", "wrong password!", "2001:db8::1", None).await
        ));
    }
    assert!(matches!(
        sign_in(&store, "viewer", FIXTURE_PASSWORD, "2001:db8::2", None).await,
        Err(StoreError::RateLimited { .. })
    ));
}

/// Reproduction 2: twenty failed sign-ins for unknown names from one address locked out
/// everyone behind it (a clinic's shared connection).
async fn unknown_names_from_a_clinic_address_do_not_lock_out_its_counsellors(
    store: Store,
    _f: Fixture,
    _db: Reopen,
) {
    let clinic = "203.0.113.7";
    // A counsellor signed in on the clinic's computer yesterday: the browser is recognised.
    let device = device_of(sign_in(&store, "counsellor", FIXTURE_PASSWORD, clinic, None).await);
    for i in 0..20 {
        assert!(is_invalid(
            &sign_in(&store, &format!("nobody{i}"), "whatever123", clinic, None).await
        ));
    }
    // Everyone behind the address still signs in, recognised or not, and a morning of the
    // clinic's own sign-ins does not add up to a wait: a success is not a failure.
    for _ in 0..40 {
        device_of(sign_in(&store, "supervisor", FIXTURE_PASSWORD, clinic, None).await);
    }
    device_of(
        sign_in(
            &store,
            "counsellor",
            FIXTURE_PASSWORD,
            clinic,
            Some(&device),
        )
        .await,
    );
    for i in 20..30 {
        assert!(is_invalid(
            &sign_in(&store, &format!("nobody{i}"), "whatever123", clinic, None).await
        ));
    }
    let address_failures = || async {
        sqlx::query_scalar::<_, i64>("SELECT failures FROM login_throttle WHERE rule = 'address'")
            .fetch_one(store.pool())
            .await
            .unwrap()
    };
    assert_eq!(
        address_failures().await,
        30,
        "the 41 successes were given back"
    );
    // An hour of spraying past the 30 free failures (the counter as it would then stand: 60,
    // the last just now) makes unrecognised browsers there wait, five minutes at most, never
    // lock; the recognised browser is not slowed at all.
    sqlx::query(
        "UPDATE login_throttle SET failures = 60, last_failure_at = $1 WHERE rule = 'address'",
    )
    .bind(scaleup_storage::now_timestamp())
    .execute(store.pool())
    .await
    .unwrap();
    match sign_in(&store, "manager", FIXTURE_PASSWORD, clinic, None).await {
        Err(StoreError::RateLimited {
            retry_after_seconds,
        }) => assert!((299..=300).contains(&retry_after_seconds)),
        other => panic!("expected a wait, got {:?}", other.err()),
    }
    device_of(
        sign_in(
            &store,
            "counsellor",
            FIXTURE_PASSWORD,
            clinic,
            Some(&device),
        )
        .await,
    );
    // A recognised token is the counsellor's only: another account behind it is not
    // recognised by it.
    assert!(matches!(
        sign_in(&store, "manager", FIXTURE_PASSWORD, clinic, Some(&device)).await,
        Err(StoreError::RateLimited { .. })
    ));
}

/// Reproduction 3: thirty wrong passwords sent in parallel from one address were all checked
/// against a limit of 5 (the count was read before the hash and written after it).
async fn parallel_wrong_passwords_are_checked_at_most_the_limit(
    store: Store,
    _f: Fixture,
    _db: Reopen,
) {
    let before = store.hashing_stats().completed;
    let tasks: Vec<_> = (0..30)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                sign_in(&store, "viewer", "wrong password!", "192.0.2.30", None).await
            })
        })
        .collect();
    let mut invalid = 0;
    let mut throttled = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(LoginOutcome::Invalid) => invalid += 1,
            Err(StoreError::RateLimited { .. }) => throttled += 1,
            other => panic!("unexpected {:?}", other.err()),
        }
    }
    assert_eq!((invalid, throttled), (5, 25));
    assert_eq!(store.hashing_stats().completed - before, 5);
    assert_eq!(checked_attempts(&store, "viewer").await, 5);
    // The policy afterwards: the address waits, even with the right password; another address
    // signs in.
    assert!(matches!(
        sign_in(&store, "viewer", FIXTURE_PASSWORD, "192.0.2.30", None).await,
        Err(StoreError::RateLimited { .. })
    ));
    device_of(sign_in(&store, "viewer", FIXTURE_PASSWORD, "192.0.2.31", None).await);
    // The same race on a recognised device's own counter.
    let device =
        device_of(sign_in(&store, "researcher", FIXTURE_PASSWORD, "192.0.2.32", None).await);
    let before = store.hashing_stats().completed;
    let tasks: Vec<_> = (0..30)
        .map(|_| {
            let (store, device) = (store.clone(), device.clone());
            tokio::spawn(async move {
                sign_in(
                    &store,
                    "researcher",
                    "wrong password!",
                    "192.0.2.32",
                    Some(&device),
                )
                .await
            })
        })
        .collect();
    let mut invalid = 0;
    for t in tasks {
        invalid += usize::from(is_invalid(&t.await.unwrap()));
    }
    assert_eq!(invalid, 5);
    assert_eq!(store.hashing_stats().completed - before, 5);
}

/// A browser that signed in before is not locked out by failures it did not make, even when
/// the account has reached NIST's 100 and takes no unrecognised device any more.
async fn a_recognised_device_is_not_locked_out_by_failures_it_did_not_make(
    store: Store,
    f: Fixture,
    _db: Reopen,
) {
    let phone =
        device_of(sign_in(&store, "counsellor", FIXTURE_PASSWORD, "192.0.2.40", None).await);
    // A guesser spread over 20 addresses, five tries each: 100 failures.
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                sign_in(
                    &store,
                    "counsellor",
                    "wrong password!",
                    &format!("10.9.{}.1", i / 5),
                    None,
                )
                .await
            })
        })
        .collect();
    for t in tasks {
        assert!(is_invalid(&t.await.unwrap()));
    }
    // No unrecognised device gets in now, from any address, whatever it sends.
    assert!(matches!(
        sign_in(
            &store,
            "counsellor",
            FIXTURE_PASSWORD,
            "198.51.100.41",
            None
        )
        .await,
        Err(StoreError::SignInLocked)
    ));
    // A token the server never issued is no key.
    assert!(matches!(
        sign_in(
            &store,
            "counsellor",
            FIXTURE_PASSWORD,
            "198.51.100.41",
            Some(&"A".repeat(43))
        )
        .await,
        Err(StoreError::SignInLocked)
    ));
    // The counsellor's phone signs in, and that success ends the lock.
    let again = device_of(
        sign_in(
            &store,
            "counsellor",
            FIXTURE_PASSWORD,
            "198.51.100.42",
            Some(&phone),
        )
        .await,
    );
    assert_eq!(again, phone, "a recognised token is kept");
    device_of(
        sign_in(
            &store,
            "counsellor",
            FIXTURE_PASSWORD,
            "198.51.100.43",
            None,
        )
        .await,
    );
    // The phone's own failures slow the phone: five free, then a wait.
    for _ in 0..5 {
        assert!(is_invalid(
            &sign_in(
                &store,
                "counsellor",
                "wrong password!",
                "192.0.2.40",
                Some(&phone)
            )
            .await
        ));
    }
    assert!(matches!(
        sign_in(
            &store,
            "counsellor",
            FIXTURE_PASSWORD,
            "192.0.2.40",
            Some(&phone)
        )
        .await,
        Err(StoreError::RateLimited { .. })
    ));
    // A stolen token is worth 100 guesses at most: at the 100th failure (days of waits, here
    // written into its counter) the device is forgotten and counts as unrecognised again.
    let devices = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM login_devices WHERE user_id = $1",
        )
        .bind(f.counsellor.id.clone())
        .fetch_one(store.pool())
        .await
        .unwrap()
    };
    let known = devices().await;
    sqlx::query("UPDATE login_throttle SET failures = 99, last_failure_at = '2000-01-01T00:00:00.000000Z' WHERE rule = 'device'")
        .execute(store.pool())
        .await
        .unwrap();
    assert!(is_invalid(
        &sign_in(
            &store,
            "counsellor",
            "wrong password!",
            "192.0.2.44",
            Some(&phone)
        )
        .await
    ));
    assert_eq!(devices().await, known - 1);
    let renewed = device_of(
        sign_in(
            &store,
            "counsellor",
            FIXTURE_PASSWORD,
            "192.0.2.44",
            Some(&phone),
        )
        .await,
    );
    assert_ne!(renewed, phone, "a forgotten token is not taken back");
    // An administrator's password reset clears every counter and forgets every device.
    let admin = actor(&store, &f.admin).await;
    store
        .set_password(Some(&admin), &f.counsellor.id, "a new long password")
        .await
        .unwrap();
    let remembered: i64 =
        sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM login_devices WHERE user_id = $1")
            .bind(f.counsellor.id.clone())
            .fetch_one(store.pool())
            .await
            .unwrap();
    assert_eq!(remembered, 0);
    let fresh = device_of(
        sign_in(
            &store,
            "counsellor",
            "a new long password",
            "192.0.2.40",
            Some(&phone),
        )
        .await,
    );
    // The forgotten token is not taken back: the browser gets a new one.
    assert_ne!(fresh, phone);
}

/// When every hashing slot stays taken, the attempt is turned away (503) and given back: it was
/// never checked, so it must not bring the user closer to a wait.
async fn an_attempt_the_server_was_too_busy_to_check_is_given_back(
    store: Store,
    _f: Fixture,
    _db: Reopen,
) {
    let narrow = store
        .clone()
        .with_password_hashing(1, std::time::Duration::from_millis(1));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let narrow = narrow.clone();
            tokio::spawn(async move {
                sign_in(&narrow, "viewer", "wrong password!", "192.0.2.50", None).await
            })
        })
        .collect();
    let (mut checked, mut busy) = (0i64, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(LoginOutcome::Invalid) => checked += 1,
            Err(StoreError::Busy {
                retry_after_seconds,
            }) => {
                assert_eq!(retry_after_seconds, 1);
                busy += 1;
            }
            Err(StoreError::RateLimited { .. }) => {}
            other => panic!("unexpected {:?}", other.err()),
        }
    }
    assert!(busy > 0 && checked >= 1, "checked {checked}, busy {busy}");
    assert!(narrow.hashing_stats().peak_running <= 1);
    assert_eq!(checked_attempts(&store, "viewer").await, checked);
    // Exactly the unchecked ones were given back: 5 - checked more tries, then the wait.
    for _ in checked..5 {
        assert!(is_invalid(
            &sign_in(&store, "viewer", "wrong password!", "192.0.2.50", None).await
        ));
    }
    assert!(matches!(
        sign_in(&store, "viewer", "wrong password!", "192.0.2.50", None).await,
        Err(StoreError::RateLimited { .. })
    ));
}

/// The counters hold MACs, never a username or an address; idle address counters are pruned,
/// and a locked account stays locked however long it waits.
async fn sign_in_counters_name_nobody_and_idle_ones_are_pruned(
    store: Store,
    _f: Fixture,
    _db: Reopen,
) {
    for _ in 0..3 {
        let _ = sign_in(&store, "viewer", "wrong password!", "192.0.2.60", None).await;
    }
    let rows = sqlx::query("SELECT key, rule FROM login_throttle")
        .fetch_all(store.pool())
        .await
        .unwrap();
    assert_eq!(rows.len(), 3, "account, account and address, address");
    for r in &rows {
        let key: String = r.get("key");
        assert!(
            !key.contains("viewer") && !key.contains("192.0.2") && key.len() == 64,
            "{key}"
        );
    }
    // Nothing is idle yet.
    assert_eq!(store.prune_sign_in_counters().await.unwrap(), 0);
    // Two years pass; the account had reached its limit.
    sqlx::query("UPDATE login_throttle SET last_failure_at = '2000-01-01T00:00:00.000000Z'")
        .execute(store.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE login_throttle SET failures = 100 WHERE rule = 'account'")
        .execute(store.pool())
        .await
        .unwrap();
    assert_eq!(store.prune_sign_in_counters().await.unwrap(), 2);
    assert!(matches!(
        sign_in(&store, "viewer", FIXTURE_PASSWORD, "192.0.2.61", None).await,
        Err(StoreError::SignInLocked)
    ));
}

/// Issue 11: `scaleup key rotate`. Everything sealed under the first key (identities in their
/// table, records, versions; supervision notes; an alert's note) is re-sealed in chunks while a
/// store holding both keys keeps reading; a rotation interrupted after a few chunks resumes
/// from its cursor; a server still on the old key alone can no longer commit once the rotation
/// started; at the end the new key alone opens everything, the old one is refused, and the
/// audit chain (never rewritten) verifies with a checkpoint taken before the rotation.
async fn key_rotation_reseals_everything_and_resumes_after_a_crash(
    store: Store,
    f: Fixture,
    db: Reopen,
) {
    let mut clients = Vec::new();
    for _ in 0..3 {
        clients.push(register_client(&store, &f, &f.counsellor).await);
    }
    let a = actor(&store, &f.counsellor).await;
    push_created(&store, &a, vec![rec("assessment", &uuid(), None, json!({"client_id": clients[0], "instrument": "phq9", "occasion": "baseline", "administered_on": "2026-03-01", "responses": phq9_responses(0, 1)}))]).await;
    let s = actor(&store, &f.supervisor).await;
    let alert = store.alerts(&s, Some("open")).await.unwrap().remove(0);
    store
        .acknowledge_alert(
            &s,
            &alert.id,
            &codes(&["contacted_client"]),
            Some("called her sister"),
        )
        .await
        .unwrap();
    let supervision = uuid();
    push_created(&store, &s, vec![rec("supervision_session", &supervision, None, json!({"supervisor_id": f.supervisor.id, "on": "2026-03-10", "duration_minutes": 60, "format": "individual", "counsellor_ids": [f.counsellor.id], "notes": "rehearse the safety plan", "action_points": ["role-play item 9"]}))]).await;
    let before = match store.audit_checkpoint().await.unwrap() {
        CheckpointOutcome::Signed { checkpoint, .. } => checkpoint,
        CheckpointOutcome::Refused(v) => panic!("{v:?}"),
    };
    store.close().await;

    let new_key = scaleup_storage::MasterKey::generate();
    let open = |key: scaleup_storage::MasterKey, previous: Option<scaleup_storage::MasterKey>| {
        Store::open_rotating(
            scaleup_storage::StoreOptions {
                url: db.url.clone(),
                master_key: key,
                max_connections: 3,
                rules: Arc::new(TestRules),
            },
            previous,
        )
    };
    let rotating = open(new_key.clone(), Some(db.key.clone())).await.unwrap();
    let partial = rotating.rotate_key(2, Some(2)).await.unwrap();
    assert!(!partial.finished && partial.resealed > 0, "{partial:?}");
    // Readers keep working on rows under either key.
    let a = actor(&rotating, &f.counsellor).await;
    for c in &clients {
        assert_eq!(
            rotating.client_identity(&a, c).await.unwrap()["given_name"],
            "Wanjiru"
        );
    }
    // A server forgotten on the old key alone still opens the database (its check value is
    // still the old key's) but cannot commit an audited read or write any more.
    let old_only = open(db.key.clone(), None).await.unwrap();
    let a_old = actor(&old_only, &f.counsellor).await;
    assert!(old_only.client_identity(&a_old, &clients[2]).await.is_err());
    old_only.close().await;
    // The rotating process dies here; a new one resumes from the recorded cursor.
    rotating.close().await;
    drop(rotating);
    let resumed = open(new_key.clone(), Some(db.key.clone())).await.unwrap();
    let pending = resumed.rotation_in_progress().await.unwrap().unwrap();
    assert_eq!(pending.resealed, partial.resealed);
    assert_eq!(pending.stage, partial.stage);
    let done = resumed.rotate_key(2, None).await.unwrap();
    assert!(done.finished, "{done:?}");
    assert!(resumed.rotation_in_progress().await.unwrap().is_none());
    resumed.close().await;

    // The old key is refused now; the new one alone opens everything.
    assert!(matches!(
        open(db.key.clone(), None).await,
        Err(StoreError::WrongKey { .. })
    ));
    let new_only = open(new_key.clone(), None).await.unwrap();
    let a = actor(&new_only, &f.counsellor).await;
    for c in &clients {
        assert_eq!(
            new_only.client_identity(&a, c).await.unwrap()["given_name"],
            "Wanjiru"
        );
    }
    let s = actor(&new_only, &f.supervisor).await;
    let (_, history) = new_only.alert_detail(&s, &alert.id).await.unwrap();
    assert_eq!(history[0].note.as_deref(), Some("called her sister"));
    let log = new_only.supervision_log(&s, 10).await.unwrap();
    let (_, sup) = log.iter().find(|(id, _)| *id == supervision).unwrap();
    assert_eq!(sup["notes"], "rehearse the safety plan");
    // Nothing is left under the old key.
    let new_id = new_only.database_key_id().await.unwrap().unwrap();
    for sql in [
        "SELECT key_id FROM client_identities",
        "SELECT note_key_id FROM alert_actions WHERE note IS NOT NULL",
    ] {
        for row in sqlx::query(sql).fetch_all(new_only.pool()).await.unwrap() {
            assert_eq!(row.try_get::<String, _>(0).unwrap(), new_id, "{sql}");
        }
    }
    for row in sqlx::query(
        "SELECT v.payload FROM record_versions v JOIN records r ON r.id = v.record_id WHERE r.kind = 'client_identity'",
    )
    .fetch_all(new_only.pool())
    .await
    .unwrap()
    {
        let payload: Value = serde_json::from_str(&row.try_get::<String, _>(0).unwrap()).unwrap();
        assert_eq!(payload["key_id"], new_id.as_str());
    }
    // Re-sealed payloads left no client marked for the indicator facts (cleared chunk by
    // chunk, not left for the next care write).
    let marked: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM indicator_dirty")
        .fetch_one(new_only.pool())
        .await
        .unwrap();
    assert_eq!(marked, 0);
    // The chain was never rewritten: it verifies with the new key alone, and so does a
    // checkpoint taken under the old key; new events and checkpoints carry on.
    register_client(&new_only, &f, &f.counsellor).await;
    let v = new_only.verify_audit_with(&[before]).await.unwrap();
    assert!(v.ok, "{:?}", v.problems);
    match new_only.audit_checkpoint().await.unwrap() {
        CheckpointOutcome::Signed { checkpoint, .. } => assert_eq!(checkpoint.key_id, new_id),
        CheckpointOutcome::Refused(v) => panic!("{v:?}"),
    }
    // Tampering with a row of the retired key's epoch is still caught.
    sqlx::query("UPDATE audit_log SET action = 'user.tampered' WHERE seq = 2")
        .execute(new_only.pool())
        .await
        .unwrap();
    assert!(!new_only.verify_audit().await.unwrap().ok);
    // A finished rotation run again does nothing.
    assert!(new_only.rotate_key(2, None).await.unwrap().finished);
}

/// Issue 11: conflicts were listed 500 at most with no cursor, and one beyond the first 500
/// could not be resolved. Now they are paged by a cursor and looked up by id.
async fn conflicts_beyond_the_first_page_are_listed_and_resolved(
    store: Store,
    f: Fixture,
    _db: Reopen,
) {
    let a = actor(&store, &f.counsellor).await;
    let (client, episode, session) = (uuid(), uuid(), uuid());
    let sess = |minutes: u32| json!({"client_id": client, "episode_id": episode, "number": 1, "on": "2026-03-01", "attended": true, "duration_minutes": minutes, "modality": "individual", "components": ["psychoeducation"]});
    push_created(&store, &a, vec![
        rec("client", &client, None, json!({"programme_id": f.programme_id, "facility_id": f.facility_id, "registered_on": "2026-03-01", "sex": "female", "birth_year": 1990})),
        rec("episode", &episode, None, json!({"client_id": client, "programme_id": f.programme_id, "enrolled_on": "2026-03-01"})),
        rec("session", &session, None, sess(599)),
    ])
    .await;
    let acks = store
        .push(
            &a,
            "phone",
            vec![rec("session", &session, Some(1), sess(600))],
        )
        .await
        .unwrap();
    assert_eq!(acks[0].status, AckStatus::Updated);
    // 520 stale edits of version 1 from another device, each different: 520 conflicts.
    let minutes: Vec<u32> = (1..=520).collect();
    for batch in minutes.chunks(260) {
        let records = batch
            .iter()
            .map(|m| rec("session", &session, Some(1), sess(*m)))
            .collect();
        let acks = store.push(&a, "tablet", records).await.unwrap();
        assert!(
            acks.iter().all(|a| a.status == AckStatus::Conflict),
            "{acks:?}"
        );
    }
    let s = actor(&store, &f.supervisor).await;
    let (first, next) = store.conflicts_page(&s, None, 500).await.unwrap();
    assert_eq!(first.len(), 500);
    let (rest, last_cursor) = store
        .conflicts_page(&s, next.as_deref(), 500)
        .await
        .unwrap();
    assert_eq!(rest.len(), 20);
    assert!(last_cursor.is_none());
    let ids: std::collections::BTreeSet<_> =
        first.iter().chain(&rest).map(|c| c.id.clone()).collect();
    assert_eq!(ids.len(), 520, "no conflict twice, none missing");
    // The oldest-first order holds across the pages.
    assert!(first.last().unwrap().received_at <= rest[0].received_at);
    // The 520th, beyond the old cap, is found by id and resolved.
    let beyond = rest.last().unwrap().clone();
    let found = store.conflict(&s, &beyond.id).await.unwrap();
    assert_eq!(
        found.incoming_data["duration_minutes"],
        beyond.incoming_data["duration_minutes"]
    );
    let sb = actor(&store, &f.supervisor_b).await;
    assert!(matches!(
        store.conflict(&sb, &beyond.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.resolve_conflict(&sb, &beyond.id, "server").await,
        Err(StoreError::NotFound)
    ));
    store
        .resolve_conflict(&s, &beyond.id, "server")
        .await
        .unwrap();
    assert!(matches!(
        store.conflict(&s, &beyond.id).await,
        Err(StoreError::NotFound)
    ));
    let (page, _) = store
        .conflicts_page(&s, next.as_deref(), 500)
        .await
        .unwrap();
    assert_eq!(page.len(), 19);
    assert!(matches!(
        store.conflicts_page(&s, Some("garbage"), 10).await,
        Err(StoreError::Invalid { .. })
    ));
}
