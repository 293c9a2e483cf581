//! Sync benchmark: ingest throughput of `Store::push` beside a plain SQLite bulk insert of the
//! same rows, in the same run; pull payload sizes (raw and gzip) for a counsellor with 40 active
//! clients on first sync and after a typical day.
//!
//! Run: `cargo bench -p scaleup-storage --bench sync` (release). Prints Markdown for
//! docs/benchmarks.md. Speed is measured here, never asserted in tests.

use scaleup_domain::catalog::Catalog;
use scaleup_storage::testing::{Fixture, TestDb};
use scaleup_storage::{CatalogRules, IncomingRecord, Store};
use serde_json::{Value, json};
use sqlx::ConnectOptions;
use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

fn rec(kind: &str, id: &str, data: Value) -> Value {
    json!({"kind": kind, "id": id, "device_time": "2026-03-01T08:00:00Z", "data": data})
}

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn phq9(
    client: &str,
    episode: Option<&str>,
    occasion: &str,
    session: Option<u32>,
    on: &str,
    level: u32,
) -> Value {
    let mut responses = serde_json::Map::new();
    for i in 1..=9 {
        let v = if i == 9 { 0 } else { (level + i) % 4 };
        responses.insert(i.to_string(), json!(v));
    }
    let mut d = json!({"client_id": client, "instrument": "phq9", "occasion": occasion, "administered_on": on, "responses": responses});
    if let Some(e) = episode {
        d["episode_id"] = json!(e);
    }
    if let Some(s) = session {
        d["session_number"] = json!(s);
    }
    d
}

/// One client's records as a counsellor's device would create them, in dependency order.
fn client_records(f: &Fixture, sessions: u32) -> Vec<Value> {
    let client = uuid();
    let episode = uuid();
    let mut v = vec![
        rec(
            "client",
            &client,
            json!({"programme_id": f.programme_id, "facility_id": f.facility_id, "registered_on": "2026-02-01", "sex": "female", "birth_year": 1988}),
        ),
        rec(
            "client_identity",
            &uuid(),
            json!({"client_id": client, "given_name": "Neema", "family_name": "Otieno", "phone": "+254 700 000 000"}),
        ),
        rec(
            "consent",
            &uuid(),
            json!({"client_id": client, "scope": "treatment", "given": true, "on": "2026-02-01"}),
        ),
        rec(
            "assessment",
            &uuid(),
            phq9(&client, None, "screening", None, "2026-02-01", 2),
        ),
        rec(
            "eligibility",
            &uuid(),
            json!({"client_id": client, "decided_on": "2026-02-01", "eligible": true, "offered": true, "accepted": true}),
        ),
        rec(
            "episode",
            &episode,
            json!({"client_id": client, "programme_id": f.programme_id, "enrolled_on": "2026-02-01"}),
        ),
    ];
    for s in 1..=sessions {
        let on = scaleup_domain::date::Date::from_ymd(2026, 2, 1)
            .unwrap()
            .add_days(7 * s as i64)
            .to_string();
        v.push(rec("session", &uuid(), json!({"client_id": client, "episode_id": episode, "number": s, "on": on, "attended": true, "duration_minutes": 90, "modality": "individual", "components": ["managing_problems", "managing_stress"]})));
        if s % 2 == 0 {
            v.push(rec(
                "assessment",
                &uuid(),
                phq9(&client, Some(&episode), "session", Some(s), &on, 1),
            ));
        }
    }
    v
}

fn gzip_len(bytes: &[u8]) -> usize {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap().len()
}

async fn push_all(
    store: &Store,
    actor: &scaleup_storage::Actor,
    records: &[Value],
    batch: usize,
) -> usize {
    let mut n = 0;
    for chunk in records.chunks(batch) {
        let parsed: Vec<IncomingRecord> = chunk
            .iter()
            .map(|r| serde_json::from_value(r.clone()).unwrap())
            .collect();
        let acks = store.push(actor, "bench", parsed).await.unwrap();
        n += acks
            .iter()
            .filter(|a| a.status != scaleup_storage::AckStatus::Rejected)
            .count();
    }
    n
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let clients: usize = std::env::var("BENCH_CLIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let batch = 500;
    let db = TestDb::sqlite();
    let store = db
        .open(Arc::new(CatalogRules::new(Arc::new(Catalog::builtin()))))
        .await;
    let f = Fixture::seed(&store).await;
    let counsellor = store.actor_for(&f.counsellor).await.unwrap();

    // 1. Ingest through the sync path.
    let records: Vec<Value> = (0..clients).flat_map(|_| client_records(&f, 6)).collect();
    let t = Instant::now();
    let accepted = push_all(&store, &counsellor, &records, batch).await;
    let sync_secs = t.elapsed().as_secs_f64();
    assert_eq!(accepted, records.len());

    // 2. The same rows, plainly inserted into SQLite (same WAL and synchronous=FULL settings),
    //    once in one transaction and once in transactions of the sync batch size.
    let dir = tempfile::tempdir().unwrap();
    let plain_path = dir.path().join("plain.sqlite");
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&plain_path)
        .create_if_missing(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .synchronous(sqlx::sqlite::SqliteSynchronous::Full)
        .connect()
        .await
        .unwrap();
    sqlx::raw_sql("CREATE TABLE plain (id TEXT PRIMARY KEY, kind TEXT NOT NULL, client_id TEXT, payload TEXT NOT NULL)").execute(&mut conn).await.unwrap();
    let rows: Vec<(String, String, String, String)> = records
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["kind"].as_str().unwrap().to_string(),
                r["data"]["client_id"].as_str().unwrap_or("").to_string(),
                r["data"].to_string(),
            )
        })
        .collect();
    let mut timings = Vec::new();
    for tx_rows in [rows.len(), batch] {
        sqlx::raw_sql("DELETE FROM plain")
            .execute(&mut conn)
            .await
            .unwrap();
        let t = Instant::now();
        for chunk in rows.chunks(tx_rows) {
            let mut tx = sqlx::Connection::begin(&mut conn).await.unwrap();
            for (id, kind, client, payload) in chunk {
                sqlx::query(
                    "INSERT INTO plain (id, kind, client_id, payload) VALUES (?1, ?2, ?3, ?4)",
                )
                .bind(id)
                .bind(kind)
                .bind(client)
                .bind(payload)
                .execute(&mut *tx)
                .await
                .unwrap();
            }
            tx.commit().await.unwrap();
        }
        timings.push((tx_rows, t.elapsed().as_secs_f64()));
    }

    // 3. Pull payloads for a counsellor with 40 active clients.
    let other = store.actor_for(&f.counsellor_b).await.unwrap();
    let f_b = &f;
    let mut day0 = Vec::new();
    let mut episodes = Vec::new();
    for _ in 0..40 {
        let r = client_records(f_b, 4);
        let client = r[0]["id"].as_str().unwrap().to_string();
        let episode = r[5]["id"].as_str().unwrap().to_string();
        episodes.push((client, episode));
        day0.extend(r);
    }
    // The fixture's counsellor_b supervises nobody and owns these clients once assigned.
    for r in day0.iter_mut() {
        if r["kind"] == "client" {
            r["data"]["counsellor_id"] = json!(f_b.counsellor_b.id);
        }
    }
    push_all(&store, &other, &day0, batch).await;
    let first = store.pull(&other, "", 5000).await.unwrap();
    let first_json = serde_json::to_vec(&first).unwrap();
    // A typical day: 8 sessions, 4 of them with a PHQ-9, one referral.
    let mut day1 = Vec::new();
    for (i, (client, episode)) in episodes.iter().take(8).enumerate() {
        day1.push(rec("session", &uuid(), json!({"client_id": client, "episode_id": episode, "number": 5, "on": "2026-03-10", "attended": true, "duration_minutes": 60, "modality": "individual", "components": ["managing_problems"]})));
        if i % 2 == 0 {
            day1.push(rec(
                "assessment",
                &uuid(),
                phq9(client, Some(episode), "session", Some(5), "2026-03-10", 0),
            ));
        }
    }
    day1.push(rec("referral", &uuid(), json!({"client_id": episodes[0].0, "on": "2026-03-10", "to_service": "primary_care_doctor", "reason": "medical", "urgency": "routine", "status": "made"})));
    push_all(&store, &other, &day1, batch).await;
    let delta = store.pull(&other, &first.next_cursor, 5000).await.unwrap();
    let delta_json = serde_json::to_vec(&delta).unwrap();

    let n = records.len() as f64;
    println!("| measure | scaleup | peer | ratio |");
    println!("|---|---|---|---|");
    for (tx_rows, secs) in &timings {
        let label = if *tx_rows == rows.len() {
            "one transaction".to_string()
        } else {
            format!("transactions of {tx_rows}")
        };
        println!(
            "| ingest {} records (batches of {batch}) vs plain SQLite insert, {label} | {:.0} records/s | {:.0} records/s | {:.2}× slower |",
            records.len(),
            n / sync_secs,
            n / secs,
            sync_secs / secs
        );
    }
    println!(
        "| first pull, 40 active clients ({} changes) | {} B raw, {} B gzip | budget 100 KB gzip | {:.1}% of budget |",
        first.changes.len(),
        first_json.len(),
        gzip_len(&first_json),
        100.0 * gzip_len(&first_json) as f64 / 102_400.0
    );
    println!(
        "| one day's delta ({} changes) | {} B raw, {} B gzip | budget 10 KB gzip | {:.1}% of budget |",
        delta.changes.len(),
        delta_json.len(),
        gzip_len(&delta_json),
        100.0 * gzip_len(&delta_json) as f64 / 10_240.0
    );
    store.close().await;
}
