//! Indicator facts and the contract indicators, on SQLite and on PostgreSQL.
//!
//! One hand-built workload covers every write path that changes facts (sync push, a kept
//! conflict resolved, the bulk loader): afterwards the facts kept incrementally equal a full
//! recomputation, the contract codes have the values worked out by hand below, a full rebuild
//! changes no figure, and a newly pushed record shows in the very next request.

use scaleup_domain::date::Date;
use scaleup_domain::record::{RecordKind, parse_payload};
use scaleup_indicators::{Disclosure, QueryText, Request};
use scaleup_storage::testing::{Fixture, TestDb, TestRules};
use scaleup_storage::{AckStatus, BulkRecord, IncomingRecord, Store};
use serde_json::{Value, json};
use std::sync::Arc;

scaleup_storage::on_both_backends!(
    mixed_workload_keeps_facts_equal_to_a_rebuild_and_the_contract_values,
    a_pushed_record_shows_in_the_next_request,
    episodes_without_and_with_scores_in_one_transaction,
    facts_from_before_the_rollups_get_their_cells_at_start,
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

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn rec(kind: &str, id: &str, base: Option<i64>, data: Value) -> IncomingRecord {
    serde_json::from_value(json!({"kind": kind, "id": id, "base_version": base, "device_time": "2026-03-01T09:00:00+03:00", "data": data})).unwrap()
}

/// PHQ-9 responses whose nine items sum to `total` (item 9 always 0: no risk alert).
fn phq9(total: u32) -> Value {
    assert!(total <= 24);
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

fn request() -> Request {
    QueryText {
        programme: Some("pmplus-2026".into()),
        ..Default::default()
    }
    .parse(Date::parse("2026-12-01", "today").unwrap())
    .unwrap()
}

/// `{code: (numerator, denominator, value)}` of the contract codes, exact.
async fn contract(store: &Store) -> std::collections::BTreeMap<String, (Value, Value, Value)> {
    let computed = store.indicators(None, None, &request()).await.unwrap();
    let doc = scaleup_indicators::render::json(&scaleup_indicators::disclose(
        computed,
        Disclosure::Exact,
    ));
    assert_eq!(doc["programme"], "pmplus-2026");
    doc["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            [
                "screened",
                "eligible",
                "enrolled",
                "reach",
                "completion",
                "phq9_response",
                "phq9_remission",
                "phq9_mean_change",
            ]
            .contains(&r["code"].as_str().unwrap())
        })
        .map(|r| {
            (
                r["code"].as_str().unwrap().to_string(),
                (
                    r["numerator"].clone(),
                    r["denominator"].clone(),
                    r["value"].clone(),
                ),
            )
        })
        .collect()
}

/// The roll-ups answer exactly as the facts do: every indicator, cut every way a grain holds
/// (and some no grain holds), over all time, whole months, and a period cutting a month.
async fn rollups_agree_with_facts(store: &Store) {
    let cuts = [
        None,
        Some("month"),
        Some("facility"),
        Some("district,month"),
        Some("sex"),
        Some("age_band,month"),
        Some("sex,age_band,arm"),
        Some("facility,sex"),
        Some("counsellor"),
        Some("counsellor,month"),
        Some("facility,counsellor"),
    ];
    let periods = [
        (None, None),
        (Some("2026-03-01"), Some("2026-04-30")),
        (Some("2026-03-05"), Some("2026-04-30")),
    ];
    for by in cuts {
        for (from, to) in periods {
            let request = QueryText {
                programme: Some("pmplus-2026".into()),
                by: by.map(str::to_string),
                from: from.map(str::to_string),
                to: to.map(str::to_string),
                ..Default::default()
            }
            .parse(Date::parse("2026-12-01", "today").unwrap())
            .unwrap();
            let doc = |c| {
                scaleup_indicators::render::json(&scaleup_indicators::disclose(
                    c,
                    Disclosure::Exact,
                ))
            };
            let kept = doc(store.indicators(None, None, &request).await.unwrap());
            let scanned = doc(store
                .indicators_from_facts(None, None, &request)
                .await
                .unwrap());
            assert_eq!(kept, scanned, "by {by:?} from {from:?} to {to:?}");
            assert!(
                !kept["indicators"].as_array().unwrap().is_empty(),
                "by {by:?}"
            );
        }
    }
}

/// The whole document, for before/after comparisons.
async fn document(store: &Store) -> Value {
    let computed = store.indicators(None, None, &request()).await.unwrap();
    scaleup_indicators::render::json(&scaleup_indicators::disclose(computed, Disclosure::Exact))
}

/// Clients A–F (F bulk-loaded):
///
/// | client | screenings        | eligible | episode (closure)          | PHQ-9 baseline(s) → endpoint(s)   |
/// |--------|-------------------|----------|----------------------------|-----------------------------------|
/// | A      | PHQ-9 twice       | yes      | completed                  | 16 (03-05), 18 (03-10) → 9 (04-20), 4 (04-25) |
/// | B      | PHQ-9             | yes      | dropped out                | 12 → 7                            |
/// | C      | PHQ-9             | no       | none                       |                                   |
/// | D      | PHQ-9             | yes      | open                       | 10 → none                         |
/// | E      | none              | yes      | completed (after conflict) | 10 → 5                            |
/// | F      | PHQ-9 (bulk)      | yes      | none                       |                                   |
///
/// screened = {A,B,C,D,F} = 5 (A once); eligible = {A,B,D,E,F} = 5; enrolled = {A,B,D,E} = 4;
/// reach = 4/5; completion = {A,E} / {A,B,E} = 2/3. PHQ-9 pairs (earliest baseline, latest
/// endpoint): A 16→4, B 12→7, E 10→5. Response (endpoint ≤ baseline/2): A (4 ≤ 8), E (5 ≤ 5),
/// not B (7 > 6): 2/3. Remission (endpoint < 5): A only: 1/3. Mean change: (−12 − 5 − 5)/3.
async fn mixed_workload_keeps_facts_equal_to_a_rebuild_and_the_contract_values(
    store: Store,
    f: Fixture,
) {
    let a = store.actor_for(&f.counsellor).await.unwrap();
    let p = f.programme_id.clone();
    let client = |id: &str| {
        rec(
            "client",
            id,
            None,
            json!({"programme_id": p, "facility_id": f.facility_id, "registered_on": "2026-03-01", "sex": "female", "birth_year": 1990}),
        )
    };
    let screen = |c: &str, on: &str, total: u32| {
        rec(
            "assessment",
            &uuid(),
            None,
            json!({"client_id": c, "instrument": "phq9", "occasion": "screening", "administered_on": on, "responses": phq9(total)}),
        )
    };
    let eligibility = |c: &str, eligible: bool| {
        rec(
            "eligibility",
            &uuid(),
            None,
            json!({"client_id": c, "decided_on": "2026-03-02", "eligible": eligible, "offered": eligible, "accepted": if eligible { Some(true) } else { None }}),
        )
    };
    let outcome = |c: &str, e: &str, occasion: &str, on: &str, total: u32| {
        rec(
            "assessment",
            &uuid(),
            None,
            json!({"client_id": c, "episode_id": e, "instrument": "phq9", "occasion": occasion, "administered_on": on, "responses": phq9(total)}),
        )
    };
    let episode = |c: &str, closed: Option<(&str, &str)>| {
        let mut d = json!({"client_id": c, "programme_id": p, "enrolled_on": "2026-03-05"});
        if let Some((on, reason)) = closed {
            d["closed_on"] = json!(on);
            d["closure_reason"] = json!(reason);
        }
        d
    };
    let (ca, cb, cc, cd, ce) = (uuid(), uuid(), uuid(), uuid(), uuid());
    let (ea, eb, ed, ee) = (uuid(), uuid(), uuid(), uuid());
    let batch = vec![
        client(&ca),
        screen(&ca, "2026-03-01", 15),
        screen(&ca, "2026-03-02", 14),
        eligibility(&ca, true),
        rec("episode", &ea, None, episode(&ca, None)),
        outcome(&ca, &ea, "baseline", "2026-03-10", 18),
        outcome(&ca, &ea, "baseline", "2026-03-05", 16),
        outcome(&ca, &ea, "endpoint", "2026-04-25", 4),
        outcome(&ca, &ea, "endpoint", "2026-04-20", 9),
        client(&cb),
        screen(&cb, "2026-03-01", 12),
        eligibility(&cb, true),
        rec(
            "episode",
            &eb,
            None,
            episode(&cb, Some(("2026-04-30", "dropped_out"))),
        ),
        outcome(&cb, &eb, "baseline", "2026-03-05", 12),
        outcome(&cb, &eb, "endpoint", "2026-04-28", 7),
        client(&cc),
        screen(&cc, "2026-03-01", 3),
        eligibility(&cc, false),
        client(&cd),
        screen(&cd, "2026-03-01", 10),
        eligibility(&cd, true),
        rec("episode", &ed, None, episode(&cd, None)),
        outcome(&cd, &ed, "baseline", "2026-03-05", 10),
        client(&ce),
        eligibility(&ce, true),
        rec("episode", &ee, None, episode(&ce, None)),
        outcome(&ce, &ee, "baseline", "2026-03-05", 10),
        outcome(&ce, &ee, "endpoint", "2026-04-29", 5),
    ];
    let acks = store.push(&a, "phone", batch).await.unwrap();
    assert!(
        acks.iter().all(|k| k.status == AckStatus::Created),
        "{acks:?}"
    );
    // A's episode closes as completed (an update through sync).
    let acks = store
        .push(
            &a,
            "phone",
            vec![rec(
                "episode",
                &ea,
                Some(1),
                episode(&ca, Some(("2026-04-30", "completed"))),
            )],
        )
        .await
        .unwrap();
    assert_eq!(acks[0].status, AckStatus::Updated, "{acks:?}");
    // E's episode: two devices close it differently; the supervisor keeps the incoming one.
    let first = store
        .push(
            &a,
            "phone",
            vec![rec(
                "episode",
                &ee,
                Some(1),
                episode(&ce, Some(("2026-04-30", "dropped_out"))),
            )],
        )
        .await
        .unwrap();
    assert_eq!(first[0].status, AckStatus::Updated);
    let second = store
        .push(
            &a,
            "tablet",
            vec![rec(
                "episode",
                &ee,
                Some(1),
                episode(&ce, Some(("2026-04-30", "completed"))),
            )],
        )
        .await
        .unwrap();
    assert_eq!(second[0].status, AckStatus::Conflict);
    let s = store.actor_for(&f.supervisor).await.unwrap();
    let conflicts = store.conflicts(&s).await.unwrap();
    // Before the resolution E's episode counts as dropped out.
    assert_eq!(
        contract(&store).await["completion"],
        (json!(1), json!(3), json!(1.0 / 3.0))
    );
    store
        .resolve_conflict(&s, &conflicts[0].id, "incoming")
        .await
        .unwrap();
    // F arrives through the bulk loader (as `scaleup demo` and imports write).
    let cf = uuid();
    let bulk = |kind: RecordKind, data: Value| BulkRecord {
        id: uuid(),
        payload: parse_payload(kind, &data).unwrap(),
        hub_id: f.hub_id.clone(),
        client_id: Some(cf.clone()),
        episode_id: None,
        counsellor_id: Some(f.counsellor.id.clone()),
        facility_id: Some(f.facility_id.clone()),
        programme_id: Some(f.programme_id.clone()),
        created_by: f.counsellor.id.clone(),
        recorded_at: "2026-03-03T10:00:00Z".into(),
        score: None,
        alert_review: None,
    };
    let mut records = vec![
        bulk(
            RecordKind::Client,
            json!({"programme_id": f.programme_id, "facility_id": f.facility_id, "registered_on": "2026-03-01", "sex": "male", "birth_year": 1985}),
        ),
        bulk(
            RecordKind::Assessment,
            json!({"client_id": cf, "instrument": "phq9", "occasion": "screening", "administered_on": "2026-03-03", "responses": phq9(11)}),
        ),
        bulk(
            RecordKind::Eligibility,
            json!({"client_id": cf, "decided_on": "2026-03-03", "eligible": true, "offered": false}),
        ),
    ];
    records[0].id = cf.clone();
    assert_eq!(store.bulk_insert(&records, "test").await.unwrap(), 3);

    assert!(
        store.indicator_facts_match_records().await.unwrap(),
        "the kept facts equal a recomputation from the records"
    );
    let c = contract(&store).await;
    let third = |n: f64| json!(n / 3.0);
    assert_eq!(c["screened"], (json!(5), Value::Null, json!(5)));
    assert_eq!(c["eligible"], (json!(5), Value::Null, json!(5)));
    assert_eq!(c["enrolled"], (json!(4), Value::Null, json!(4)));
    assert_eq!(c["reach"], (json!(4), json!(5), json!(0.8)));
    assert_eq!(c["completion"], (json!(2), json!(3), third(2.0)));
    assert_eq!(c["phq9_response"], (json!(2), json!(3), third(2.0)));
    assert_eq!(c["phq9_remission"], (json!(1), json!(3), third(1.0)));
    let change = c["phq9_mean_change"].2.as_f64().unwrap();
    assert!((change - (-22.0 / 3.0)).abs() < 1e-9, "{change}");
    rollups_agree_with_facts(&store).await;

    // A full recomputation changes no figure.
    let before = document(&store).await;
    store.rebuild_indicator_facts().await.unwrap();
    assert_eq!(document(&store).await, before);
    assert!(store.indicator_facts_match_records().await.unwrap());
}

/// Freshness: nothing is cached between a write and the next request.
async fn a_pushed_record_shows_in_the_next_request(store: Store, f: Fixture) {
    let a = store.actor_for(&f.counsellor).await.unwrap();
    assert_eq!(contract(&store).await["screened"].0, json!(0));
    let c = uuid();
    store
        .push(
            &a,
            "phone",
            vec![
                rec("client", &c, None, json!({"programme_id": f.programme_id, "facility_id": f.facility_id, "registered_on": "2026-03-01", "sex": "female", "birth_year": 1990})),
            ],
        )
        .await
        .unwrap();
    assert_eq!(contract(&store).await["screened"].0, json!(0));
    let started = std::time::Instant::now();
    store
        .push(
            &a,
            "phone",
            vec![rec("assessment", &uuid(), None, json!({"client_id": c, "instrument": "phq9", "occasion": "screening", "administered_on": "2026-03-02", "responses": phq9(12)}))],
        )
        .await
        .unwrap();
    assert_eq!(contract(&store).await["screened"].0, json!(1));
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
}

/// On PostgreSQL, facts written in chunks on one connection, some chunks with scores missing
/// and others with them, failed the whole write ("incorrect binary data format": a NULL bound
/// for a float poisons the connection's cached statement through sqlx's Any driver; see
/// tests/any_driver_nulls.rs). Found on a 10,000-client demo, where 7,000 clients were left
/// without facts. 96 episodes in one push: the first half without endpoint scores.
async fn episodes_without_and_with_scores_in_one_transaction(store: Store, f: Fixture) {
    let a = store.actor_for(&f.counsellor).await.unwrap();
    let mut batch = Vec::new();
    for i in 0..96 {
        let (client, episode) = (uuid(), uuid());
        let score = |occasion: &str, on: &str, total: u32| {
            rec(
                "assessment",
                &uuid(),
                None,
                json!({"client_id": client, "episode_id": episode, "instrument": "phq9", "occasion": occasion, "administered_on": on, "responses": phq9(total)}),
            )
        };
        batch.push(rec("client", &client, None, json!({"programme_id": f.programme_id, "facility_id": f.facility_id, "registered_on": "2026-03-01", "sex": "female"})));
        batch.push(rec("episode", &episode, None, json!({"client_id": client, "programme_id": f.programme_id, "enrolled_on": "2026-03-02"})));
        batch.push(score("baseline", "2026-03-02", 15));
        if i >= 48 {
            batch.push(score("endpoint", "2026-04-20", 6));
        }
    }
    let acks = store.push(&a, "phone", batch).await.unwrap();
    assert!(
        acks.iter().all(|a| a.status == AckStatus::Created),
        "{:?}",
        acks.iter().find(|a| a.status != AckStatus::Created)
    );
    assert!(store.indicator_facts_match_records().await.unwrap());
    store.rebuild_indicator_facts().await.unwrap();
    assert!(store.indicator_facts_match_records().await.unwrap());
    let c = contract(&store).await;
    assert_eq!(c["enrolled"], (json!(96), Value::Null, json!(96)));
    assert_eq!(c["phq9_response"], (json!(48), json!(48), json!(1)));
}

/// A database upgraded from before the roll-ups (migration 0014) holds facts and no cells. The
/// next start empties the facts and rebuilds both, and so does an explicit rebuild: changing
/// empty cells by what the facts change would leave them wrong (negative counts).
async fn facts_from_before_the_rollups_get_their_cells_at_start(store: Store, f: Fixture) {
    let a = store.actor_for(&f.counsellor).await.unwrap();
    let mut batch = Vec::new();
    for (i, sex) in ["female", "male", "female"].into_iter().enumerate() {
        let (client, episode) = (uuid(), uuid());
        batch.push(rec("client", &client, None, json!({"programme_id": f.programme_id, "facility_id": f.facility_id, "registered_on": format!("2026-0{}-10", i + 2), "sex": sex})));
        batch.push(rec("assessment", &uuid(), None, json!({"client_id": client, "instrument": "phq9", "occasion": "screening", "administered_on": "2026-04-02", "responses": phq9(14)})));
        batch.push(rec("episode", &episode, None, json!({"client_id": client, "programme_id": f.programme_id, "enrolled_on": "2026-04-03"})));
    }
    let acks = store.push(&a, "phone", batch).await.unwrap();
    assert!(acks.iter().all(|a| a.status == AckStatus::Created));
    let before = document(&store).await;
    assert_eq!(contract(&store).await["enrolled"].0, json!(3));
    let as_before_rollups = || async {
        sqlx::query("DELETE FROM indicator_rollups")
            .execute(store.pool())
            .await
            .unwrap();
        sqlx::query("UPDATE indicator_state SET rollups_version = 0")
            .execute(store.pool())
            .await
            .unwrap();
    };
    as_before_rollups().await;
    assert!(store.ensure_indicator_facts().await.unwrap(), "rebuilt");
    assert!(!store.ensure_indicator_facts().await.unwrap(), "current");
    assert_eq!(document(&store).await, before);
    assert!(store.indicator_facts_match_records().await.unwrap());
    rollups_agree_with_facts(&store).await;

    as_before_rollups().await;
    store.rebuild_indicator_facts().await.unwrap();
    assert_eq!(document(&store).await, before);
    assert!(store.indicator_facts_match_records().await.unwrap());
}
