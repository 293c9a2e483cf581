//! `scaleup indicators`: the contract document on a demo database, cross-checked against
//! independent SQL over the raw records (JSON payloads, not the indicator fact tables), and a
//! full rebuild of the facts giving the same figures.
//!
//! Needs the `server` feature (the command exists only there).
#![cfg(feature = "server")]

use serde_json::Value;
use std::process::Command;

fn scaleup() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_scaleup"));
    c.env_remove("SCALEUP_MASTER_KEY")
        .env_remove("SCALEUP_KEY_FILE")
        .env_remove("SCALEUP_DB");
    c
}

const TODAY: &str = "2026-06-15";

fn run(args: &[&str]) -> String {
    let out = scaleup().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The contract codes computed from the records alone: the client's programme from its client
/// record, screenings and eligibility from assessment and eligibility payloads, episodes of the
/// programme, and PHQ-9 totals as the sum of the nine items of the earliest complete baseline
/// and the latest complete endpoint of each episode.
const INDEPENDENT_SQL: &str = r#"
WITH prog AS (SELECT id FROM programmes WHERE code = $1),
cl AS (SELECT r.id FROM records r, prog WHERE r.kind = 'client' AND json_extract(r.payload, '$.programme_id') = prog.id),
ep AS (SELECT r.id, r.client_id, json_extract(r.payload, '$.closure_reason') AS reason FROM records r, prog
       WHERE r.kind = 'episode' AND json_extract(r.payload, '$.programme_id') = prog.id AND r.client_id IN (SELECT id FROM cl)),
phq AS (
  SELECT a.id, json_extract(a.payload, '$.episode_id') AS episode_id, json_extract(a.payload, '$.occasion') AS occasion,
         json_extract(a.payload, '$.administered_on') AS on_day,
         (SELECT SUM(CAST(value AS REAL)) FROM json_each(a.payload, '$.responses') WHERE key IN ('1','2','3','4','5','6','7','8','9')) AS total,
         (SELECT COUNT(*) FROM json_each(a.payload, '$.responses') WHERE key IN ('1','2','3','4','5','6','7','8','9') AND value IS NOT NULL) AS answered
  FROM records a WHERE a.kind = 'assessment' AND json_extract(a.payload, '$.instrument') = 'phq9'),
base AS (SELECT episode_id, total FROM (SELECT episode_id, total, ROW_NUMBER() OVER (PARTITION BY episode_id ORDER BY on_day, id) AS k
         FROM phq WHERE occasion = 'baseline' AND answered = 9) WHERE k = 1),
endp AS (SELECT episode_id, total FROM (SELECT episode_id, total, ROW_NUMBER() OVER (PARTITION BY episode_id ORDER BY on_day DESC, id DESC) AS k
         FROM phq WHERE occasion = 'endpoint' AND answered = 9) WHERE k = 1),
pairs AS (SELECT b.total AS b, e.total AS e FROM ep JOIN base b ON b.episode_id = ep.id JOIN endp e ON e.episode_id = ep.id)
SELECT
 (SELECT COUNT(DISTINCT a.client_id) FROM records a WHERE a.kind = 'assessment'
    AND json_extract(a.payload, '$.occasion') = 'screening' AND a.client_id IN (SELECT id FROM cl)) AS screened,
 (SELECT COUNT(DISTINCT e.client_id) FROM records e WHERE e.kind = 'eligibility'
    AND json_extract(e.payload, '$.eligible') = 1 AND e.client_id IN (SELECT id FROM cl)) AS eligible,
 (SELECT COUNT(DISTINCT client_id) FROM ep) AS enrolled,
 (SELECT COUNT(*) FROM ep WHERE reason = 'completed') AS completed,
 (SELECT COUNT(*) FROM ep WHERE reason IS NOT NULL) AS closed,
 (SELECT COUNT(*) FROM pairs) AS pairs,
 (SELECT COUNT(*) FROM pairs WHERE e <= b / 2.0) AS responders,
 (SELECT COUNT(*) FROM pairs WHERE e < 5) AS remitters,
 (SELECT AVG(e - b) FROM pairs) AS mean_change
"#;

fn row<'a>(doc: &'a Value, code: &str) -> &'a Value {
    doc["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == code)
        .unwrap_or_else(|| panic!("no {code}"))
}

#[test]
fn contract_indicators_match_independent_sql_on_a_demo_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite");
    let db = db.to_str().unwrap();
    run(&[
        "demo",
        "--db",
        db,
        "--clients",
        "2000",
        "--today",
        TODAY,
        "--json",
    ]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let pool = runtime
        .block_on(sqlx::sqlite::SqlitePool::connect(&format!("sqlite://{db}")))
        .unwrap();
    let codes: Vec<String> = runtime
        .block_on(sqlx::query_scalar("SELECT code FROM programmes ORDER BY code").fetch_all(&pool))
        .unwrap();
    assert_eq!(codes.len(), 3);
    let mut documents = Vec::new();
    for code in &codes {
        let doc: Value = serde_json::from_str(&run(&[
            "indicators",
            "--db",
            db,
            "--programme",
            code,
            "--format",
            "json",
            "--today",
            TODAY,
        ]))
        .unwrap();
        assert_eq!(doc["programme"], code.as_str());
        let r = runtime
            .block_on(sqlx::query(INDEPENDENT_SQL).bind(code).fetch_one(&pool))
            .unwrap();
        use sqlx::Row;
        let n = |c: &str| r.get::<i64, _>(c) as f64;
        let value = |code: &str| row(&doc, code)["value"].as_f64();
        let numden = |code: &str| {
            (
                row(&doc, code)["numerator"].as_f64(),
                row(&doc, code)["denominator"].as_f64(),
            )
        };
        assert!(
            n("screened") > 0.0 && n("pairs") > 0.0,
            "{code}: the demo has data"
        );
        assert_eq!(value("screened"), Some(n("screened")), "{code} screened");
        assert_eq!(value("eligible"), Some(n("eligible")), "{code} eligible");
        assert_eq!(value("enrolled"), Some(n("enrolled")), "{code} enrolled");
        assert_eq!(
            numden("reach"),
            (Some(n("enrolled")), Some(n("eligible"))),
            "{code}"
        );
        assert_eq!(
            numden("completion"),
            (Some(n("completed")), Some(n("closed"))),
            "{code}"
        );
        assert_eq!(
            numden("phq9_response"),
            (Some(n("responders")), Some(n("pairs"))),
            "{code}"
        );
        assert_eq!(
            numden("phq9_remission"),
            (Some(n("remitters")), Some(n("pairs"))),
            "{code}"
        );
        let mean: f64 = r.get("mean_change");
        assert!(
            (value("phq9_mean_change").unwrap() - mean).abs() < 1e-9,
            "{code}"
        );
        documents.push(doc);
    }
    runtime.block_on(pool.close());
    // A full recomputation of the facts changes no figure.
    for (code, before) in codes.iter().zip(&documents) {
        let after: Value = serde_json::from_str(&run(&[
            "indicators",
            "--db",
            db,
            "--programme",
            code,
            "--format",
            "json",
            "--today",
            TODAY,
            "--rebuild",
        ]))
        .unwrap();
        assert_eq!(&after, before, "{code}");
    }
    // CSV and HTML render the same table.
    let csv = run(&[
        "indicators",
        "--db",
        db,
        "--programme",
        &codes[0],
        "--format",
        "csv",
        "--today",
        TODAY,
    ]);
    assert!(csv.starts_with("code,label"));
    assert!(csv.lines().any(|l| l.starts_with("phq9_response,")));
    let html = run(&[
        "indicators",
        "--db",
        db,
        "--programme",
        &codes[0],
        "--format",
        "html",
        "--today",
        TODAY,
    ]);
    assert!(html.contains("<html") && html.contains("phq9_response"));
}
