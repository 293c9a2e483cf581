//! `scaleup import` end to end on a demo database (issue 9): records from an ODK export, a
//! REDCap export and a DHIS2 Tracker payload land through the sync path (scored, alerted,
//! audited as `import:<source>`), a bad row is refused whole and named, the same file twice
//! changes nothing, an edited source updates, and `--dry-run` writes nothing.

#![cfg(feature = "server")]

mod common;

use common::BIN;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn demo(dir: &Path, seed: &str) -> PathBuf {
    let db = dir.join(format!("demo{seed}.sqlite"));
    let out = Command::new(BIN)
        .args([
            "demo",
            "--clients",
            "60",
            "--seed",
            seed,
            "--today",
            "2026-06-15",
            "--db",
        ])
        .arg(&db)
        .output()
        .unwrap();
    ok(&out);
    db
}

fn ok(o: &Output) {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn import(kind: &str, db: &Path, file: &Path, mapping: &Path, extra: &[&str]) -> (Value, String) {
    let out = Command::new(BIN)
        .args(["import", kind])
        .arg(file)
        .arg("--mapping")
        .arg(mapping)
        .arg("--db")
        .arg(db)
        .args([
            "--as",
            "ke.c001",
            "--today",
            "2026-06-15",
            "--format",
            "json",
        ])
        .args(extra)
        .output()
        .unwrap();
    ok(&out);
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    (summary, String::from_utf8_lossy(&out.stderr).to_string())
}

fn count(db: &Path, sql: &str) -> i64 {
    let url = format!("sqlite://{}", db.display());
    let sql = sql.to_string();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async move {
            use sqlx::Row;
            let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
            let n: i64 = sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_one(&pool)
                .await
                .unwrap()
                .try_get(0)
                .unwrap();
            pool.close().await;
            n
        })
}

const ODK_MAPPING: &str = r#"
source = "odk"
dataset = "phq9_screening"

[[records]]
kind = "client"
key = "client/{client_code}"
[records.fields]
programme_id = { programme = "pmplus-sw-trial" }
facility_id = { facility = "facility" }
registered_on = { column = "visit_date", type = "date" }
sex = { column = "sex" }
birth_year = { column = "birth_year", type = "integer" }

[[records]]
kind = "assessment"
[records.fields]
client_id = { record = "client/{client_code}" }
instrument = { value = "phq9" }
occasion = { value = "screening" }
administered_on = { column = "visit_date", type = "date" }
[records.responses]
"1" = "q-1"
"2" = "q-2"
"3" = "q-3"
"4" = "q-4"
"5" = "q-5"
"6" = "q-6"
"7" = "q-7"
"8" = "q-8"
"9" = "q-9"
"#;

fn odk_csv(item9_of_first: &str) -> String {
    let header = "SubmissionDate,meta-instanceID,client_code,facility,sex,birth_year,visit_date,q-1,q-2,q-3,q-4,q-5,q-6,q-7,q-8,q-9,KEY,SubmitterID,SubmitterName";
    let row = |n: u32, fac: &str, items: &str| {
        format!(
            "2026-06-0{n}T08:00:00.000Z,uuid:00000000-0000-4000-8000-00000000000{n},KC-{n},{fac},female,1990,2026-06-0{n},{items},uuid:x{n},7,amina"
        )
    };
    [
        header.to_string(),
        row(1, "ke-f001", &format!("2,2,2,2,1,1,1,1,{item9_of_first}")),
        row(2, "ke-f002", "0,0,1,0,0,1,0,0,0"),
        // Formula injection in an item cell: the row is refused whole, the cell named.
        row(3, "ke-f001", "=cmd|' /C calc'!A0,0,0,0,0,0,0,0,0"),
    ]
    .join("\n")
        + "\n"
}

#[test]
fn an_odk_export_lands_by_the_sync_path_and_a_second_import_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path(), "5");
    let mapping = dir.path().join("odk.toml");
    std::fs::write(&mapping, ODK_MAPPING).unwrap();
    let csv = dir.path().join("submissions.csv");
    std::fs::write(&csv, odk_csv("2")).unwrap();
    let records_before = count(&db, "SELECT COUNT(*) FROM records");

    // A dry run reads and checks everything and writes nothing.
    let (s, _) = import("odk", &db, &csv, &mapping, &["--dry-run"]);
    assert_eq!(s["would_create"], 4);
    assert_eq!(s["rows_refused"], 1);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM records"), records_before);

    let (s, stderr) = import("odk", &db, &csv, &mapping, &[]);
    assert_eq!(
        (s["rows"].as_u64(), s["rows_refused"].as_u64()),
        (Some(3), Some(1))
    );
    assert_eq!(
        (s["created"].as_u64(), s["rejected"].as_u64()),
        (Some(4), Some(0)),
        "{stderr}"
    );
    assert!(
        stderr.contains("submissions.csv, row 4, column q-1: must be a number"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("cmd"),
        "the rejected value is never echoed: {stderr}"
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM records"),
        records_before + 4
    );
    // Scored by the server, and item 9 above 0 raised a risk alert, as for a phone's record.
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM assessment_scores s JOIN records r ON r.id = s.record_id JOIN sync_receipts x ON x.record_id = r.id"
        ),
        2
    );
    let alerts_after_first = count(&db, "SELECT COUNT(*) FROM risk_alerts");
    assert!(alerts_after_first >= 1);
    // Audited as a push from the import device.
    assert!(
        count(
            &db,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'sync.push' AND detail LIKE '%import:odk%'"
        ) >= 1
    );

    // The same file again changes nothing.
    let versions = count(&db, "SELECT COUNT(*) FROM record_versions");
    let (s, _) = import("odk", &db, &csv, &mapping, &[]);
    assert_eq!(
        (s["created"].as_u64(), s["unchanged"].as_u64()),
        (Some(0), Some(4))
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM record_versions"), versions);
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM risk_alerts"),
        alerts_after_first
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM sync_conflicts"), 0);

    // An edited submission updates its record (no conflict), the rest stay as they were.
    std::fs::write(&csv, odk_csv("0")).unwrap();
    let (s, _) = import("odk", &db, &csv, &mapping, &[]);
    assert_eq!(
        (s["updated"].as_u64(), s["unchanged"].as_u64()),
        (Some(1), Some(3))
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM sync_conflicts"), 0);

    // Someone who may not write care records is refused by the sync path's own rule.
    let out = run(&[
        "import",
        "odk",
        csv.to_str().unwrap(),
        "--mapping",
        mapping.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "--as",
        "demo.researcher",
        "--today",
        "2026-06-15",
        "--format",
        "json",
    ]);
    let s: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    assert!(
        !out.status.success() || s["created"] == 0,
        "a researcher wrote records: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn a_redcap_export_with_events_repeats_and_checkboxes_lands_and_server_rules_apply() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path(), "5");
    let fixtures =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scaleup-interop/tests/fixtures/import");
    let mapping = std::fs::read_to_string(fixtures.join("redcap-phq2-records.mapping.toml"))
        .unwrap()
        .replace("ke-pmplus", "pmplus-sw-trial")
        .replace(
            "facility_id = { facility = \"facility\" }",
            "facility_id = { facility = \"facility\", codes = { \"kibra-hc\" = \"ke-f001\", \"olympic-hc\" = \"ke-f002\", \"nowhere-hc\" = \"nowhere\" } }",
        );
    let m = dir.path().join("redcap.toml");
    std::fs::write(&m, mapping).unwrap();
    let (s, stderr) = import(
        "redcap",
        &db,
        &fixtures.join("redcap-phq2-records.csv"),
        &m,
        &[],
    );
    // Row 7 is refused by the reader; session 2 names a component outside the PM+ protocol and
    // is rejected by the server's protocol rule, exactly as a phone's record would be.
    assert_eq!(s["rows_refused"], 1, "{stderr}");
    assert_eq!(s["created"], 8, "{s} {stderr}");
    assert_eq!(s["rejected"], 1, "{stderr}");
    assert!(
        stderr
            .contains("rejected: redcap-phq2-records.csv, row 4: session record: data.components"),
        "{stderr}"
    );
    let (s, _) = import(
        "redcap",
        &db,
        &fixtures.join("redcap-phq2-records.csv"),
        &m,
        &[],
    );
    assert_eq!(
        (s["created"].as_u64(), s["unchanged"].as_u64()),
        (Some(0), Some(8))
    );
}

#[test]
fn a_programme_goes_out_as_a_dhis2_tracker_payload_and_comes_back_into_another_server() {
    let dir = tempfile::tempdir().unwrap();
    let from = demo(dir.path(), "5");
    let into = demo(dir.path(), "6");
    let uid = |n: usize| format!("a{:010}", n);
    let mut mapping = String::from(
        "tracked_entity_type = \"nEenWmSyUEp\"\nprogram = \"IpHINAT79UW\"\n[org_units]\n",
    );
    for f in 1..=12 {
        mapping += &format!("ke-f{f:03} = \"{}\"\n", uid(f));
    }
    mapping += "[attributes]\nsex = \"cejWyOfXge6\"\nbirth_year = \"gHGyrwKPzej\"\nregistered_on = \"regDate0001\"\n";
    mapping += "[sex_codes]\nfemale = \"Female\"\nmale = \"Male\"\n";
    mapping += "[assessments.phq9]\nstage = \"A03MvHHogjR\"\ndata_elements = { ";
    let items: Vec<String> = (1..=10)
        .map(|i| format!("\"{i}\" = \"{}\"", uid(100 + i)))
        .collect();
    mapping += &items.join(", ");
    mapping += &format!(
        ", occasion = \"{}\", session_number = \"{}\" }}\n",
        uid(200),
        uid(201)
    );
    mapping += &format!(
        "[session]\nstage = \"ZzYYXq4fJie\"\ndata_elements = {{ number = \"{}\", attended = \"{}\", duration_minutes = \"{}\", modality = \"{}\", components = \"{}\" }}\n",
        uid(300),
        uid(301),
        uid(302),
        uid(303),
        uid(304)
    );
    let m = dir.path().join("dhis2.toml");
    std::fs::write(&m, mapping).unwrap();
    let payload = dir.path().join("payload.json");
    ok(&run(&[
        "export",
        "dhis2-tracker",
        "--programme",
        "pmplus-sw-trial",
        "--db",
        from.to_str().unwrap(),
        "--mapping",
        m.to_str().unwrap(),
        "--out",
        payload.to_str().unwrap(),
    ]));
    let out = Command::new(BIN)
        .args(["import", "dhis2-tracker"])
        .arg(&payload)
        .args(["--programme", "pmplus-sw-trial", "--mapping"])
        .arg(&m)
        .arg("--db")
        .arg(&into)
        .args([
            "--as",
            "ke.sup01",
            "--today",
            "2026-06-15",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    ok(&out);
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(s["rows_refused"], 0, "{stderr}");
    assert!(s["created"].as_u64().unwrap() > 10, "{s}");
    // Enrolments, assessments and sessions as many as went out (the demo's records pass the
    // same rules on the way back in).
    let sent: Value = serde_json::from_slice(&std::fs::read(&payload).unwrap()).unwrap();
    let objects = sent["trackedEntities"].as_array().unwrap().len()
        + sent["enrollments"].as_array().unwrap().len()
        + sent["events"].as_array().unwrap().len();
    assert_eq!(
        s["created"].as_u64().unwrap() + s["rejected"].as_u64().unwrap(),
        objects as u64,
        "{stderr}"
    );
    let again = Command::new(BIN)
        .args(["import", "dhis2-tracker"])
        .arg(&payload)
        .args(["--programme", "pmplus-sw-trial", "--mapping"])
        .arg(&m)
        .arg("--db")
        .arg(&into)
        .args([
            "--as",
            "ke.sup01",
            "--today",
            "2026-06-15",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    ok(&again);
    let s2: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(s2["created"], 0);
    assert_eq!(s2["unchanged"], s["created"]);
}

#[test]
fn forms_become_definition_files_that_definitions_add_accepts_or_are_refused_by_cell() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scaleup-interop/tests/fixtures/import");
    let out = dir.path().join("defs");
    let o = run(&[
        "import",
        "xlsform",
        fixtures.join("phq2-multilingual.xlsx").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--licence",
        "open",
    ]);
    ok(&o);
    assert!(out.join("phq2_odk.toml").exists() && out.join("phq2_odk.fr.toml").exists());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("note:"),
        "what was left out is listed"
    );
    let o = run(&[
        "import",
        "redcap-dictionary",
        fixtures
            .join("redcap-phq2-dictionary.csv")
            .to_str()
            .unwrap(),
        "--form",
        "phq2",
        "--code",
        "phq2_redcap",
        "--leave-out",
        "phq2_date",
        "--out",
        out.to_str().unwrap(),
    ]);
    ok(&o);
    let db = demo(dir.path(), "5");
    let o = Command::new(BIN)
        .args(["definitions", "add", "--hub", "demo-ke-pmplus", "--db"])
        .arg(&db)
        .arg(out.join("phq2_odk.toml"))
        .arg(out.join("phq2_odk.fr.toml"))
        .arg(out.join("phq2_redcap.toml"))
        .output()
        .unwrap();
    ok(&o);
    // A form an instrument cannot hold: exit status 2, every cell named, nothing written.
    let refused = dir.path().join("refused");
    let o = run(&[
        "import",
        "xlsform",
        fixtures.join("screening-features.xlsx").to_str().unwrap(),
        "--out",
        refused.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("screening-features.xlsx: sheet survey, row 4, column type: decimal questions cannot be represented"), "{stderr}");
    assert!(!refused.exists());
    // `--format json` is the form as read (scripts/compare-pyxform.py reads it).
    let o = run(&[
        "import",
        "xlsform",
        fixtures.join("screening-features.xlsx").to_str().unwrap(),
        "--format",
        "json",
    ]);
    ok(&o);
    let form: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(form[0]["questions"][1]["relevant"], "${consent} = 'yes'");
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scaleup-interop/tests/fixtures/import")
}

/// The household fixture's mapping (a repeat group `members`), adjusted to the demo hub: its
/// programme, PHQ-9 for PHQ-2 (the same first two items), its counsellor and facility codes.
fn household_mapping(dir: &Path) -> PathBuf {
    let mapping = std::fs::read_to_string(fixtures().join("odk-central-household.mapping.toml"))
        .unwrap()
        .replace("ke-pmplus", "pmplus-sw-trial")
        .replace("\"phq2\"", "\"phq9\"")
        .replace("amina = \"counsellor\"", "amina = \"ke.c001\"")
        .replace(
            "facility_id = { facility = \"parent.facility\" }",
            "facility_id = { facility = \"parent.facility\", codes = { \"kibra-hc\" = \"ke-f001\", \"olympic-hc\" = \"ke-f002\" } }",
        );
    let m = dir.join("household.toml");
    std::fs::write(&m, mapping).unwrap();
    m
}

/// Issue 9: an ODK Central export with a repeat group (`--repeat members=FILE`): the members
/// land as clients and screenings joined to their household submissions, refused ones are
/// named by file, row and column, the same files twice change nothing, and a mapping's group
/// without its file is refused before anything is read.
#[test]
fn an_odk_export_with_a_repeat_group_lands_joined_to_its_submissions() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path(), "7");
    let fixtures = fixtures();
    let m = household_mapping(dir.path());
    let main = fixtures.join("odk-central-household.csv");
    let members = format!(
        "members={}",
        fixtures.join("odk-central-household-members.csv").display()
    );
    let clients_before = count(&db, "SELECT COUNT(*) FROM records WHERE kind = 'client'");
    let (s, stderr) = import("odk", &db, &main, &m, &["--repeat", &members]);
    assert_eq!(
        (
            s["rows"].as_u64(),
            s["rows_refused"].as_u64(),
            s["created"].as_u64(),
            s["rejected"].as_u64()
        ),
        (Some(8), Some(4), Some(4), Some(0)),
        "{s} {stderr}"
    );
    assert!(
        stderr.contains("odk-central-household-members.csv, row 5, column PARENT_KEY"),
        "{stderr}"
    );
    assert!(!stderr.contains("HYPERLINK"), "{stderr}");
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM records WHERE kind = 'client'"),
        clients_before + 2
    );
    let (s, _) = import("odk", &db, &main, &m, &["--repeat", &members]);
    assert_eq!(
        (s["created"].as_u64(), s["unchanged"].as_u64()),
        (Some(0), Some(4)),
        "{s}"
    );
    // The mapping reads a group whose file was not given.
    let out = run(&[
        "import",
        "odk",
        main.to_str().unwrap(),
        "--mapping",
        m.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "--as",
        "ke.c001",
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--repeat members=FILE"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The nested fixture's mapping (`followups` nested in `members`), adjusted to the demo hub as
/// `household_mapping` adjusts its own.
fn nested_mapping(dir: &Path) -> PathBuf {
    let mapping =
        std::fs::read_to_string(fixtures().join("odk-central-household-nested.mapping.toml"))
            .unwrap()
            .replace("ke-pmplus", "pmplus-sw-trial")
            .replace("\"phq2\"", "\"phq9\"")
            .replace("amina = \"counsellor\"", "amina = \"ke.c001\"")
            .replace(
                "facility_id = { facility = \"parent.facility\" }",
                "facility_id = { facility = \"parent.facility\", codes = { \"kibra-hc\" = \"ke-f001\", \"olympic-hc\" = \"ke-f002\" } }",
            );
    let m = dir.join("nested.toml");
    std::fs::write(&m, mapping).unwrap();
    m
}

/// Issue 9: a repeat nested in a repeat (`followups` in `members`), given as Central's CSVs in
/// any order (`--repeat followups=...` before `--repeat members=...`): each follow-up lands
/// joined through its member row to its household, a follow-up of a refused or absent member
/// row is named by file, row and column, the same files twice and the export zip holding them
/// change nothing, and a mapping nesting a group in one it does not have is refused before
/// anything is read.
#[test]
fn an_odk_export_with_a_nested_repeat_lands_through_the_rows_it_is_nested_in() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path(), "7");
    let fixtures = fixtures();
    let m = nested_mapping(dir.path());
    let main = fixtures.join("odk-central-household.csv");
    let members = fixtures.join("odk-central-household-members.csv");
    let followups = fixtures.join("odk-central-household-followups.csv");
    let repeats = [
        "--repeat".to_string(),
        format!("followups={}", followups.display()),
        "--repeat".to_string(),
        format!("members={}", members.display()),
    ];
    let repeats: Vec<&str> = repeats.iter().map(String::as_str).collect();
    let records = || count(&db, "SELECT COUNT(*) FROM records");
    let follow_ups = || {
        count(
            &db,
            "SELECT COUNT(*) FROM records WHERE kind = 'assessment' AND tag = 'follow_up'",
        )
    };
    let before = records();
    let follow_ups_before = follow_ups();
    let (s, stderr) = import("odk", &db, &main, &m, &repeats);
    assert_eq!(
        (
            s["rows"].as_u64(),
            s["rows_refused"].as_u64(),
            s["created"].as_u64(),
            s["rejected"].as_u64()
        ),
        (Some(13), Some(6), Some(7), Some(0)),
        "{s} {stderr}"
    );
    for row in [5, 6] {
        assert!(
            stderr.contains(&format!(
                "odk-central-household-followups.csv, row {row}, column PARENT_KEY: no row of members"
            )),
            "{stderr}"
        );
    }
    assert_eq!(records(), before + 7);
    assert_eq!(follow_ups(), follow_ups_before + 3);
    let (s, _) = import("odk", &db, &main, &m, &repeats);
    assert_eq!(
        (s["created"].as_u64(), s["unchanged"].as_u64()),
        (Some(0), Some(7)),
        "{s}"
    );
    // The export zip of the same submissions, named as Central names nested repeats.
    let export = dir.path().join("household_screening.csv.zip");
    central_zip(
        &export,
        &[
            ("household_screening.csv", std::fs::read(&main).unwrap()),
            (
                "household_screening-followups.csv",
                std::fs::read(&followups).unwrap(),
            ),
            (
                "household_screening-members.csv",
                std::fs::read(&members).unwrap(),
            ),
        ],
    );
    let (s, _) = import("odk", &db, &export, &m, &[]);
    assert_eq!(
        (s["created"].as_u64(), s["unchanged"].as_u64()),
        (Some(0), Some(7)),
        "{s}"
    );
    // `followups` nested in a group the mapping does not have: refused, nothing read.
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        std::fs::read_to_string(&m)
            .unwrap()
            .replace("nested_in = \"members\"", "nested_in = \"visits\""),
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["import", "odk"])
        .arg(&main)
        .arg("--mapping")
        .arg(&bad)
        .arg("--db")
        .arg(&db)
        .args(["--as", "ke.c001", "--today", "2026-06-15"])
        .args(&repeats)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.toml, row ")
            && stderr.contains(
                "mapping: repeats[1] (group followups): nested_in = \"visits\" names no [[repeats]] group of the mapping"
            ),
        "{stderr}"
    );
    // One group given twice: which file is its cannot be told.
    let out = Command::new(BIN)
        .args(["import", "odk"])
        .arg(&main)
        .arg("--mapping")
        .arg(&m)
        .arg("--db")
        .arg(&db)
        .args(["--as", "ke.c001", "--today", "2026-06-15"])
        .args(&repeats)
        .args(["--repeat", &format!("members={}", members.display())])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--repeat: the group members is given twice"),
        "{stderr}"
    );
    assert_eq!(records(), before + 7);
}

/// A zip as ODK Central streams its "all submissions" export (deflate, data descriptors).
fn central_zip(path: &Path, entries: &[(&str, Vec<u8>)]) {
    use std::io::Write;
    let file = std::fs::File::create(path).unwrap();
    let mut w = zip::ZipWriter::new_stream(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        w.start_file(*name, options).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap();
}

/// Issue 9: ODK Central's export zip imported as downloaded: the submissions' CSV and the
/// `members` group's are found in it (a nested repeat and media beside them are not read), the
/// rows land as from the unzipped CSVs, problems name the zip and the entry, the same zip twice
/// changes nothing, and a zip without the group's CSV or with `--repeat` is refused before
/// anything is written.
#[test]
fn an_odk_central_export_zip_is_imported_as_downloaded_and_a_second_time_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path(), "7");
    let m = household_mapping(dir.path());
    let main = std::fs::read(fixtures().join("odk-central-household.csv")).unwrap();
    let members = std::fs::read(fixtures().join("odk-central-household-members.csv")).unwrap();
    let export = dir.path().join("household_screening.csv.zip");
    central_zip(
        &export,
        &[
            ("household_screening.csv", main.clone()),
            ("household_screening-members.csv", members.clone()),
            (
                "household_screening-members-phones.csv",
                b"phone,PARENT_KEY,KEY\n1,a,b\n".to_vec(),
            ),
            ("media/photo.jpg", vec![0xFF, 0xD8, 0xFF]),
        ],
    );
    let records = || count(&db, "SELECT COUNT(*) FROM records");
    let before = records();
    let clients_before = count(&db, "SELECT COUNT(*) FROM records WHERE kind = 'client'");

    let (s, _) = import("odk", &db, &export, &m, &["--dry-run"]);
    assert_eq!(
        (s["would_create"].as_u64(), s["rows_refused"].as_u64()),
        (Some(4), Some(4)),
        "{s}"
    );
    assert_eq!(records(), before);

    let (s, stderr) = import("odk", &db, &export, &m, &[]);
    assert_eq!(
        (
            s["rows"].as_u64(),
            s["rows_refused"].as_u64(),
            s["created"].as_u64(),
            s["rejected"].as_u64()
        ),
        (Some(8), Some(4), Some(4), Some(0)),
        "{s} {stderr}"
    );
    assert!(
        stderr.contains(
            "household_screening.csv.zip:household_screening-members.csv, row 5, column PARENT_KEY"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "household_screening.csv.zip:household_screening.csv, row 4, column SubmissionDate"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("HYPERLINK"), "{stderr}");
    assert_eq!(records(), before + 4);
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM records WHERE kind = 'client'"),
        clients_before + 2
    );

    let versions = count(&db, "SELECT COUNT(*) FROM record_versions");
    let (s, _) = import("odk", &db, &export, &m, &[]);
    assert_eq!(
        (s["created"].as_u64(), s["unchanged"].as_u64()),
        (Some(0), Some(4)),
        "{s}"
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM record_versions"), versions);

    // The unzipped CSVs name the same records: unchanged too.
    let unzipped = dir.path().join("household_screening.csv");
    let group = dir.path().join("household_screening-members.csv");
    std::fs::write(&unzipped, &main).unwrap();
    std::fs::write(&group, &members).unwrap();
    let (s, _) = import(
        "odk",
        &db,
        &unzipped,
        &m,
        &["--repeat", &format!("members={}", group.display())],
    );
    assert_eq!(s["unchanged"], 4, "{s}");

    let refused = |file: &Path, extra: &[&str]| {
        let out = Command::new(BIN)
            .args(["import", "odk"])
            .arg(file)
            .arg("--mapping")
            .arg(&m)
            .arg("--db")
            .arg(&db)
            .args(["--as", "ke.c001", "--today", "2026-06-15"])
            .args(extra)
            .output()
            .unwrap();
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    // The zip carries its groups: --repeat beside it is refused.
    let stderr = refused(
        &export,
        &["--repeat", &format!("members={}", group.display())],
    );
    assert!(stderr.contains("give the zip alone"), "{stderr}");
    // A zip without the group's CSV: refused naming the group and the file expected, nothing
    // written (not even the submissions' records, were there any).
    let partial = dir.path().join("partial.zip");
    central_zip(&partial, &[("household_screening.csv", main.clone())]);
    let stderr = refused(&partial, &[]);
    assert!(
        stderr.contains(
            "partial.zip: the mapping reads the repeat group members, but the zip has no household_screening-members.csv"
        ),
        "{stderr}"
    );
    assert_eq!(records(), before + 4);
}

/// Issue 9: KoboToolbox's XLSX export, its repeat group `members` on a sheet of its own: known
/// by its bytes (the file has no extension here), a dry run writes nothing, the members land
/// joined to their visits, and the same workbook a second time changes nothing. A CSV for a
/// mapping with repeat groups is refused with what to give instead.
#[test]
fn a_kobo_xlsx_export_with_a_repeat_group_lands_and_a_second_time_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path(), "8");
    let mapping = std::fs::read_to_string(fixtures().join("kobo-household.mapping.toml"))
        .unwrap()
        .replace("ke-pmplus", "pmplus-sw-trial")
        .replace("\"phq2\"", "\"phq9\"")
        .replace("amina = \"counsellor\"", "amina = \"ke.c001\"")
        .replace(
            "facility_id = { facility = \"parent.facility\" }",
            "facility_id = { facility = \"parent.facility\", codes = { \"kibra-hc\" = \"ke-f001\", \"olympic-hc\" = \"ke-f002\" } }",
        );
    let m = dir.path().join("kobo.toml");
    std::fs::write(&m, mapping).unwrap();
    let book = dir.path().join("kobo-export");
    std::fs::copy(fixtures().join("kobo-household.xlsx"), &book).unwrap();
    let records = "SELECT COUNT(*) FROM records";
    let before = count(&db, records);
    let (s, stderr) = import("kobo", &db, &book, &m, &["--dry-run"]);
    assert_eq!(
        (
            s["rows"].as_u64(),
            s["rows_refused"].as_u64(),
            s["would_create"].as_u64()
        ),
        (Some(5), Some(0), Some(6)),
        "{s} {stderr}"
    );
    assert_eq!(count(&db, records), before, "a dry run writes nothing");
    let (s, stderr) = import("kobo", &db, &book, &m, &[]);
    assert_eq!(
        (
            s["created"].as_u64(),
            s["rejected"].as_u64(),
            s["conflicts"].as_u64()
        ),
        (Some(6), Some(0), Some(0)),
        "{s} {stderr}"
    );
    assert_eq!(count(&db, records), before + 6);
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM records WHERE kind = 'client' AND occurred_on IN ('2026-01-05', '2026-01-06')"
        ),
        3,
        "the members registered on their visit's date (an Excel date cell)"
    );
    let (s, _) = import("kobo", &db, &book, &m, &[]);
    assert_eq!(
        (
            s["created"].as_u64(),
            s["updated"].as_u64(),
            s["unchanged"].as_u64()
        ),
        (Some(0), Some(0), Some(6)),
        "{s}"
    );
    assert_eq!(count(&db, records), before + 6);
    // KoboToolbox's CSV cannot carry the group.
    let csv = dir.path().join("kobo.csv");
    std::fs::write(&csv, "_uuid,_index\nu1,1\n").unwrap();
    let out = run(&[
        "import",
        "kobo",
        csv.to_str().unwrap(),
        "--mapping",
        m.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "--as",
        "ke.c001",
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("give its XLSX export"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
