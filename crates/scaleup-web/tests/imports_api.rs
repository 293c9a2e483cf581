//! `POST /api/v1/imports/*` (issue 9): the ODK fixture export lands through the sync path as
//! the caller, a second upload changes nothing, a bad mapping is refused naming the column,
//! and a role that may not write care records cannot import.

mod common;

use common::App;
use serde_json::{Value, json};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../scaleup-interop/tests/fixtures/import")
            .join(name),
    )
    .unwrap()
}

fn body(dry_run: bool) -> Value {
    json!({
        // The test catalogue has PHQ-9, not PHQ-2: items 1 and 2 are the same questions.
        "mapping": fixture("odk-central-phq2.mapping.toml").replace("ke-pmplus", "pmplus-2026").replace("\"phq2\"", "\"phq9\""),
        "content": fixture("odk-central-phq2.csv"),
        "file_name": "submissions.csv",
        "dry_run": dry_run,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_odk_upload_lands_once_and_names_its_bad_rows() {
    let app = App::sqlite().await;
    let counsellor = app.token("counsellor").await;
    let (s, dry) = app
        .call(
            "POST",
            "/api/v1/imports/odk",
            Some(&counsellor),
            Some(body(true)),
        )
        .await;
    assert_eq!(s, 200, "{dry}");
    assert_eq!(dry["summary"]["would_create"], 4);
    let (s, first) = app
        .call(
            "POST",
            "/api/v1/imports/odk",
            Some(&counsellor),
            Some(body(false)),
        )
        .await;
    assert_eq!(s, 200, "{first}");
    assert_eq!(first["summary"]["created"], 4, "{first}");
    assert_eq!(first["summary"]["rows_refused"], 2);
    let problems: Vec<&str> = first["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("refused: submissions.csv, row 4, column items-phq2_1")),
        "{problems:?}"
    );
    assert!(problems.iter().all(|p| !p.contains("HYPERLINK")));
    // The records are the counsellor's, as if synced from a phone.
    let (_, clients) = app
        .call("GET", "/api/v1/clients", Some(&counsellor), None)
        .await;
    assert!(clients["items"].as_array().unwrap().len() >= 2, "{clients}");
    let (s, again) = app
        .call(
            "POST",
            "/api/v1/imports/odk",
            Some(&counsellor),
            Some(body(false)),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        (
            again["summary"]["created"].as_u64(),
            again["summary"]["unchanged"].as_u64()
        ),
        (Some(0), Some(4))
    );
    // A mapping naming a column the file lacks: 400 naming the column.
    let mut bad = body(false);
    bad["mapping"] = json!(
        bad["mapping"]
            .as_str()
            .unwrap()
            .replace("\"birth_year\", type", "\"year_of_birth\", type")
    );
    let (s, e) = app
        .call("POST", "/api/v1/imports/odk", Some(&counsellor), Some(bad))
        .await;
    assert_eq!(s, 400, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("column year_of_birth"),
        "{e}"
    );
    // A mapping for another source is refused by this route.
    let mut other = body(false);
    other["mapping"] = json!(
        other["mapping"]
            .as_str()
            .unwrap()
            .replace("source = \"odk\"", "source = \"redcap\"")
    );
    let (s, _) = app
        .call(
            "POST",
            "/api/v1/imports/odk",
            Some(&counsellor),
            Some(other),
        )
        .await;
    assert_eq!(s, 400);
    let manager = app.token("manager").await;
    let (s, _) = app
        .call(
            "POST",
            "/api/v1/imports/odk",
            Some(&manager),
            Some(body(false)),
        )
        .await;
    assert_eq!(s, 403);
}
