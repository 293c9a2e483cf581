//! `Store::import_records` on both backends (issue 9): imported records take the push path, a
//! second import of the same records is `unchanged` (no version, no conflict), an edited source
//! `updates`, `record_versions` sees only the caller's hubs, and the audit names the device.

use scaleup_storage::testing::{Fixture, TestDb, TestRules};
use scaleup_storage::{AckStatus, IncomingRecord, Store};
use serde_json::{Value, json};
use sqlx::Row;
use std::sync::Arc;

scaleup_storage::on_both_backends!(
    a_second_import_is_unchanged_and_an_edit_updates,
    versions_are_read_only_in_the_callers_hubs,
);

async fn run<F, Fut>(db: &TestDb, test: F)
where
    F: FnOnce(Store, Fixture) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let store = db.open(Arc::new(TestRules)).await;
    let fixture = Fixture::seed(&store).await;
    test(store, fixture).await;
}

fn rec(kind: &str, id: &str, data: Value) -> IncomingRecord {
    serde_json::from_value(
        json!({"kind": kind, "id": id, "device_time": "2026-03-01T09:00:00Z", "data": data}),
    )
    .unwrap()
}

fn records(f: &Fixture, client: &str, consent: &str, on: &str) -> Vec<IncomingRecord> {
    vec![
        rec(
            "client",
            client,
            json!({"programme_id": f.programme_id, "facility_id": f.facility_id, "registered_on": "2026-03-01", "sex": "female"}),
        ),
        rec(
            "consent",
            consent,
            json!({"client_id": client, "scope": "research", "given": true, "on": on}),
        ),
    ]
}

async fn a_second_import_is_unchanged_and_an_edit_updates(store: Store, f: Fixture) {
    let actor = store.actor_for(&f.counsellor).await.unwrap();
    let (client, consent) = (
        uuid::Uuid::new_v4().to_string(),
        uuid::Uuid::new_v4().to_string(),
    );
    let statuses = |acks: Vec<scaleup_storage::Ack>| -> Vec<AckStatus> {
        acks.into_iter().map(|a| a.status).collect()
    };
    let first = store
        .import_records(
            &actor,
            "import:odk",
            records(&f, &client, &consent, "2026-03-01"),
        )
        .await
        .unwrap();
    assert_eq!(statuses(first), [AckStatus::Created, AckStatus::Created]);
    let again = store
        .import_records(
            &actor,
            "import:odk",
            records(&f, &client, &consent, "2026-03-01"),
        )
        .await
        .unwrap();
    assert_eq!(
        statuses(again),
        [AckStatus::Unchanged, AckStatus::Unchanged]
    );
    let edited = store
        .import_records(
            &actor,
            "import:odk",
            records(&f, &client, &consent, "2026-03-02"),
        )
        .await
        .unwrap();
    assert_eq!(statuses(edited), [AckStatus::Unchanged, AckStatus::Updated]);
    let versions = store
        .record_versions(&actor, &[client.clone(), consent.clone()])
        .await
        .unwrap();
    assert_eq!((versions[&client], versions[&consent]), (1, 2));
    let conflicts: i64 = sqlx::query("SELECT COUNT(*) AS n FROM sync_conflicts")
        .fetch_one(store.pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
    assert_eq!(conflicts, 0);
    // A server's sealer chains recorded events within its interval; here, at once.
    store.seal_audit().await.unwrap();
    let audited: i64 = sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'sync.push' AND detail LIKE '%import:odk%'")
        .fetch_one(store.pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
    assert_eq!(audited, 3);
}

async fn versions_are_read_only_in_the_callers_hubs(store: Store, f: Fixture) {
    let actor = store.actor_for(&f.counsellor).await.unwrap();
    let client = uuid::Uuid::new_v4().to_string();
    store
        .import_records(
            &actor,
            "import:redcap",
            records(&f, &client, &uuid::Uuid::new_v4().to_string(), "2026-03-01")[..1].to_vec(),
        )
        .await
        .unwrap();
    let mine = store
        .record_versions(&actor, std::slice::from_ref(&client))
        .await
        .unwrap();
    assert_eq!(mine.get(&client), Some(&1));
    let foreign = store.actor_for(&f.foreign_counsellor).await.unwrap();
    let theirs = store
        .record_versions(&foreign, std::slice::from_ref(&client))
        .await
        .unwrap();
    assert!(theirs.is_empty(), "another hub's record is as if absent");
    // Many ids at once (more than one lookup statement).
    let ids: Vec<String> = (0..1200)
        .map(|_| uuid::Uuid::new_v4().to_string())
        .chain([client.clone()])
        .collect();
    assert_eq!(store.record_versions(&actor, &ids).await.unwrap().len(), 1);
}
