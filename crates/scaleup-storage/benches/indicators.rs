//! Indicator benchmark on a demo database (`scaleup demo --clients N`): the full recomputation
//! of the facts, the dashboard query (every indicator of one programme, all time, and the
//! contract codes by month), and the incremental path (a counsellor pushes a new client with a
//! screening; the time until the next request counts it).
//!
//! Run: `SCALEUP_BENCH_DB=demo.sqlite cargo bench -p scaleup-storage --bench indicators`
//! (the key beside it, `demo.sqlite.key`), or with a PostgreSQL URL and `SCALEUP_KEY_FILE`. Prints one line of `key=value` pairs that
//! scripts/bench/indicators.sh turns into the table of docs/benchmarks.md. Speed is measured
//! here, never asserted in tests.

use scaleup_domain::catalog::Catalog;
use scaleup_domain::date::Date;
use scaleup_indicators::{QueryText, Request};
use scaleup_storage::{CatalogRules, IncomingRecord, MasterKey, Store, StoreOptions};
use serde_json::json;
use sqlx::Row;
use std::sync::Arc;
use std::time::Instant;

fn request(programme: &str, by: Option<&str>, codes: Option<&str>, today: Date) -> Request {
    QueryText {
        programme: Some(programme.into()),
        by: by.map(str::to_string),
        indicator: codes.map(str::to_string),
        ..Default::default()
    }
    .parse(today)
    .unwrap()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn screened(doc: &scaleup_indicators::Computed) -> f64 {
    let table = scaleup_indicators::disclose(doc.clone(), scaleup_indicators::Disclosure::Exact);
    table
        .row("screened", &[])
        .and_then(|r| r.numerator)
        .unwrap()
}

fn main() {
    let Ok(db) = std::env::var("SCALEUP_BENCH_DB") else {
        eprintln!("set SCALEUP_BENCH_DB to a demo database (scaleup demo --clients N)");
        return;
    };
    // A PostgreSQL demo's key is wherever `SCALEUP_KEY_FILE` put it; a SQLite demo's beside it.
    let key_file = std::env::var("SCALEUP_KEY_FILE").unwrap_or_else(|_| format!("{db}.key"));
    let key = std::fs::read_to_string(&key_file).expect("the demo's key file");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = Store::open(StoreOptions {
            url: db.clone(),
            master_key: MasterKey::from_base64(key.trim()).unwrap(),
            max_connections: 2,
            rules: Arc::new(CatalogRules::new(Arc::new(Catalog::builtin()))),
        })
        .await
        .unwrap();
        let today = Date::parse(&scaleup_storage::now_timestamp()[..10], "today").unwrap();
        let clients: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM records WHERE kind = 'client'")
            .fetch_one(store.pool())
            .await
            .unwrap();
        // A counsellor, one of their facilities and a programme at it (SCALEUP_BENCH_PROGRAMME,
        // else the first).
        let wanted = std::env::var("SCALEUP_BENCH_PROGRAMME").unwrap_or_default();
        let row = sqlx::query(
            "SELECT u.username, s.org_unit_id, p.id AS programme_id, p.code FROM users u
             JOIN user_sites s ON s.user_id = u.id
             JOIN programme_sites ps ON ps.org_unit_id = s.org_unit_id
             JOIN programmes p ON p.id = ps.programme_id
             WHERE u.role = 'counsellor' AND u.active = 1 AND ($1 = '' OR p.code = $1)
             ORDER BY u.username LIMIT 1",
        )
        .bind(wanted)
        .fetch_one(store.pool())
        .await
        .unwrap();
        let username: String = row.try_get("username").unwrap();
        let facility: String = row.try_get("org_unit_id").unwrap();
        let programme_id: String = row.try_get("programme_id").unwrap();
        let code: String = row.try_get("code").unwrap();

        // Full recomputation of every client's facts from the records.
        let started = Instant::now();
        store.rebuild_indicator_facts().await.unwrap();
        let rebuild = started.elapsed().as_secs_f64();

        // The dashboard queries, from the kept facts.
        let all = request(&code, None, None, today);
        let codes =
            "screened,eligible,enrolled,reach,completion,phq9_response,phq9_remission,phq9_mean_change";
        let contract = request(&code, None, Some(codes), today);
        let by_month = request(&code, Some("month"), Some(codes), today);
        let (mut t_all, mut t_contract, mut t_month) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..5 {
            for (req, out) in [
                (&all, &mut t_all),
                (&contract, &mut t_contract),
                (&by_month, &mut t_month),
            ] {
                let s = Instant::now();
                store.indicators(None, None, req).await.unwrap();
                out.push(s.elapsed().as_secs_f64());
            }
        }

        // Incremental: a new client and its screening, pushed; then the next request.
        let user = store.user_by_username(&username).await.unwrap().unwrap();
        let actor = store.actor_for(&user).await.unwrap();
        let screened_only = request(&code, None, Some("screened"), today);
        let before = screened(&store.indicators(None, None, &screened_only).await.unwrap());
        let mut t_push = Vec::new();
        let mut t_fresh = Vec::new();
        for i in 0..5 {
            let client = uuid::Uuid::new_v4().to_string();
            let mut responses = serde_json::Map::new();
            for item in 1..=9 {
                responses.insert(item.to_string(), json!(if item == 9 { 0 } else { 1 }));
            }
            let records: Vec<IncomingRecord> = serde_json::from_value(json!([
                {"kind": "client", "id": client, "device_time": "2026-03-01T08:00:00Z",
                 "data": {"programme_id": programme_id, "facility_id": facility, "registered_on": today.to_string(), "sex": "female", "birth_year": 1990}},
                {"kind": "assessment", "id": uuid::Uuid::new_v4().to_string(), "device_time": "2026-03-01T08:00:00Z",
                 "data": {"client_id": client, "instrument": "phq9", "occasion": "screening", "administered_on": today.to_string(), "responses": responses}},
            ]))
            .unwrap();
            let s = Instant::now();
            store.push(&actor, "bench", records).await.unwrap();
            t_push.push(s.elapsed().as_secs_f64());
            let now = screened(&store.indicators(None, None, &screened_only).await.unwrap());
            t_fresh.push(s.elapsed().as_secs_f64());
            assert_eq!(now, before + i as f64 + 1.0, "the next request counts the new client");
        }
        println!(
            "clients={clients} programme={code} screened={before} rebuild_s={rebuild:.3} all_indicators_ms={:.1} contract_ms={:.1} contract_by_month_ms={:.1} push_ms={:.1} push_to_fresh_ms={:.1}",
            median(t_all) * 1e3,
            median(t_contract) * 1e3,
            median(t_month) * 1e3,
            median(t_push) * 1e3,
            median(t_fresh) * 1e3,
        );
        store.close().await;
    });
}
