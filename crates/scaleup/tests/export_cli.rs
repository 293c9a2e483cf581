//! `scaleup export dataset` on a demo database (issue 9): one row per unit as the database
//! holds them, a refusal below k that writes nothing, the same pseudonyms and date shifts in
//! every export, and an audit row naming what was exported.

#![cfg(feature = "server")]

mod common;

use common::BIN;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PROGRAMME: &str = "pmplus-sw-trial";

fn demo(dir: &Path) -> PathBuf {
    let db = dir.join("demo.sqlite");
    let out = Command::new(BIN)
        .args([
            "demo",
            "--clients",
            "3000",
            "--seed",
            "5",
            "--today",
            "2026-06-15",
            "--db",
        ])
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    db
}

fn export(db: &Path, out: &Path, extra: &[&str]) -> Output {
    Command::new(BIN)
        .args(["export", "dataset", "--programme", PROGRAMME, "--db"])
        .arg(db)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

fn ok(o: &Output) {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn query(db: &Path, sql: &str) -> Vec<(String, i64)> {
    let url = format!("sqlite://{}", db.display());
    let sql = sql.to_string();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async move {
            use sqlx::Row;
            let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(&pool)
                .await
                .unwrap();
            let out = rows
                .iter()
                .map(|r| {
                    (
                        r.try_get::<String, _>(0).unwrap(),
                        r.try_get::<i64, _>(1).unwrap(),
                    )
                })
                .collect();
            pool.close().await;
            out
        })
}

fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

#[test]
fn datasets_match_the_database_refuse_below_k_and_are_audited() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    let counts: std::collections::BTreeMap<String, i64> = query(
        &db,
        &format!(
            "SELECT r.kind, COUNT(*) FROM records r JOIN programmes p ON p.id = r.programme_id
             WHERE p.code = '{PROGRAMME}' GROUP BY r.kind"
        ),
    )
    .into_iter()
    .collect();

    // One row per unit, as many as the database holds.
    for (unit, kind, extra) in [
        // A 3,000-client demo is small: its rarest combinations of sex, age band and district
        // fall below k, as they would in a small hub. The researcher checks fewer.
        (
            "episode",
            "episode",
            vec!["--quasi-identifiers", "sex,age_band"],
        ),
        (
            "assessment",
            "assessment",
            vec!["--quasi-identifiers", "sex,age_band"],
        ),
        ("session", "session", vec!["--quasi-identifiers", "sex"]),
    ] {
        let out = dir.path().join(unit);
        let mut args = vec!["--unit", unit];
        args.extend(extra);
        ok(&export(&db, &out, &args));
        let rows = csv_rows(&out.join(format!("{PROGRAMME}_{unit}s.csv")));
        assert_eq!(rows.len() as i64 - 1, counts[kind], "{unit}");
        for f in [
            "_dictionary.csv",
            "_dictionary.json",
            ".R",
            ".do",
            "_README.txt",
        ] {
            assert!(out.join(format!("{PROGRAMME}_{unit}s{f}")).exists(), "{f}");
        }
    }

    // The same key gives the same file; true dates differ from shifted ones by one offset per
    // client.
    let again = dir.path().join("again");
    let qi = ["--quasi-identifiers", "sex,age_band"];
    ok(&export(&db, &again, &qi));
    let file = format!("{PROGRAMME}_episodes.csv");
    let first = std::fs::read(dir.path().join("episode").join(&file)).unwrap();
    assert_eq!(first, std::fs::read(again.join(&file)).unwrap());
    let truth = dir.path().join("truth");
    ok(&export(&db, &truth, &["--no-date-shift", qi[0], qi[1]]));
    let shifted = csv_rows(&dir.path().join("episode").join(&file));
    let unshifted = csv_rows(&truth.join(&file));
    let col = shifted[0].iter().position(|c| c == "enrolled_on").unwrap();
    let date = |s: &str| scaleup_domain::date::Date::parse(s, "t").unwrap();
    for (s, t) in shifted.iter().zip(&unshifted).skip(1) {
        assert_eq!(s[0], t[0], "same client, same pseudonym");
        let off = date(&t[col]).days_until(date(&s[col]));
        assert!(off != 0 && off.abs() <= 182, "{off}");
    }
    // No database id leaves in the file.
    let ids = query(
        &db,
        &format!(
            "SELECT r.id, 0 FROM records r JOIN programmes p ON p.id = r.programme_id WHERE p.code = '{PROGRAMME}' LIMIT 50"
        ),
    );
    let text = String::from_utf8(first).unwrap();
    for (id, _) in ids {
        assert!(!text.contains(&id));
    }

    // Below k: refused, with the combination named, and nothing written.
    let refused = dir.path().join("refused");
    let o = export(&db, &refused, &[]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("k-anonymity: only") && err.contains("sex="),
        "{err}"
    );
    assert!(!refused.exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("partial"))
        .collect();
    assert!(leftovers.is_empty());
    // An existing destination is never overwritten.
    let o = export(&db, &again, &qi);
    assert!(!o.status.success());

    // FHIR: one QuestionnaireResponse per assessment of the programme, audited too.
    let bundle_file = dir.path().join("bundle.json");
    let o = Command::new(BIN)
        .args(["export", "fhir", "--programme", PROGRAMME, "--db"])
        .arg(&db)
        .arg("--out")
        .arg(&bundle_file)
        .output()
        .unwrap();
    ok(&o);
    let bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&bundle_file).unwrap()).unwrap();
    let responses = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["resource"]["resourceType"] == "QuestionnaireResponse")
        .count();
    assert_eq!(responses as i64, counts["assessment"]);
    let fhir_audit = query(
        &db,
        "SELECT action, seq FROM audit_log WHERE action = 'export.fhir'",
    );
    assert_eq!(fhir_audit.len(), 1);

    // NDA: a GUID map for all clients but one; that one is reported, the rest exported.
    let clients = query(
        &db,
        &format!(
            "SELECT r.id, 0 FROM records r JOIN programmes p ON p.id = r.programme_id WHERE p.code = '{PROGRAMME}' AND r.kind = 'client' ORDER BY r.id"
        ),
    );
    let mut map = String::from("client_id,subjectkey\n");
    for (i, (id, _)) in clients.iter().enumerate().skip(1) {
        map.push_str(&format!("{id},NDAR_INV{i:08}\n"));
    }
    let map_file = dir.path().join("guids.csv");
    std::fs::write(&map_file, map).unwrap();
    let nda_dir = dir.path().join("nda");
    let o = Command::new(BIN)
        .args(["export", "nda", "--programme", PROGRAMME, "--db"])
        .arg(&db)
        .arg("--guid-map")
        .arg(&map_file)
        .arg("--out")
        .arg(&nda_dir)
        .output()
        .unwrap();
    ok(&o);
    let subjects = std::fs::read_to_string(nda_dir.join("ndar_subject01.csv")).unwrap();
    assert!(subjects.starts_with(
        "ndar_subject,01\nsubjectkey,src_subject_id,interview_date,interview_age,sex\n"
    ));
    assert_eq!(subjects.lines().count(), 2 + clients.len() - 1);
    let report = std::fs::read_to_string(nda_dir.join("validation_report.txt")).unwrap();
    assert!(report.contains("missing_guid: 1"), "{report}");

    // Every export is audited with what was exported.
    let audited = query(
        &db,
        "SELECT detail, seq FROM audit_log WHERE action = 'export.dataset' ORDER BY seq",
    );
    assert_eq!(audited.len(), 6, "{audited:?}");
    let detail: serde_json::Value = serde_json::from_str(&audited[1].0).unwrap();
    assert_eq!(detail["unit"], "assessment");
    assert_eq!(detail["programme"], PROGRAMME);
    assert_eq!(detail["date_shifting"], true);
}
