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

/// A multipart body: text fields, then files (name, file name, bytes).
fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, Vec<u8>)]) -> (String, Vec<u8>) {
    let boundary = "----scaleupApiImport";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .bytes(),
        );
    }
    for (k, name, bytes) in files {
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{name}\"\r\n\r\n").bytes());
        body.extend(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn odk_files() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let b = body(false);
    vec![
        (
            "file",
            "submissions.csv",
            b["content"].as_str().unwrap().as_bytes().to_vec(),
        ),
        (
            "mapping",
            "odk.toml",
            b["mapping"].as_str().unwrap().as_bytes().to_vec(),
        ),
    ]
}

async fn send_multipart(
    app: &App,
    auth: (&str, &str),
    fields: &[(&str, &str)],
    files: &[(&str, &str, Vec<u8>)],
) -> (u16, Value) {
    let (content_type, bytes) = multipart(fields, files);
    let page = app
        .send_bytes(
            "POST",
            "/api/v1/imports/odk",
            &[auth, ("content-type", &content_type)],
            bytes,
        )
        .await;
    (
        page.status.as_u16(),
        serde_json::from_str(&page.body).unwrap_or(Value::Null),
    )
}

/// Issue 9: the import API also takes `multipart/form-data` (the export spooled to a temporary
/// file, bounded by the server's import limit rather than the 16 MiB of a JSON body), with the
/// same report and the same record ids as the JSON body.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multipart_upload_is_spooled_and_imported_like_json() {
    let app = App::sqlite().await;
    let token = app.token("counsellor").await;
    let bearer = format!("Bearer {token}");
    let auth = ("authorization", bearer.as_str());
    let (s, dry) = send_multipart(&app, auth, &[("dry_run", "true")], &odk_files()).await;
    assert_eq!(s, 200, "{dry}");
    assert_eq!(dry["summary"]["would_create"], 4, "{dry}");
    assert_eq!(dry["summary"]["created"], 0);
    let (s, first) = send_multipart(&app, auth, &[], &odk_files()).await;
    assert_eq!(s, 200, "{first}");
    assert_eq!(first["summary"]["created"], 4, "{first}");
    // The file is named as sent (or as `file_name` says), row and column, never a value.
    assert!(
        first["problems"].as_array().unwrap().iter().any(|p| p
            .as_str()
            .unwrap()
            .starts_with("refused: submissions.csv, row 4, column items-phq2_1")),
        "{first}"
    );
    // The same export as a JSON body: the same records, unchanged.
    let (s, again) = app
        .call(
            "POST",
            "/api/v1/imports/odk",
            Some(&token),
            Some(body(false)),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(again["summary"]["unchanged"], 4, "{again}");
    // No mapping: 400 naming it.
    let (s, e) = send_multipart(&app, auth, &[], &odk_files()[..1]).await;
    assert_eq!(s, 400, "{e}");
    assert_eq!(e["error"]["field"], "mapping");
    // The mapping as a text field (longer than a short field's 4 KiB) works as well as a file.
    let mapping_text = format!(
        "{}\n{}",
        String::from_utf8(odk_files()[1].2.clone()).unwrap(),
        "# padding\n".repeat(600)
    );
    let (s, dry) = send_multipart(
        &app,
        auth,
        &[("mapping", &mapping_text), ("dry_run", "1")],
        &odk_files()[..1],
    )
    .await;
    assert_eq!(s, 200, "{dry}");
    assert_eq!(dry["summary"]["would_replace"], 4, "{dry}");
    // A session cookie alone does not carry a multipart import (browsers use /imports).
    let cookie = app.browser_session("counsellor").await;
    let (content_type, bytes) = multipart(&[], &odk_files());
    let res = app
        .send_bytes(
            "POST",
            "/api/v1/imports/odk",
            &[
                ("cookie", &cookie),
                ("content-type", &content_type),
                ("sec-fetch-site", "same-origin"),
            ],
            bytes,
        )
        .await;
    assert_eq!(res.status.as_u16(), 403, "{}", res.body);
    // A role that may not import is refused before the body is read.
    let manager = app.token("manager").await;
    let manager_bearer = format!("Bearer {manager}");
    let (s, e) = send_multipart(
        &app,
        ("authorization", manager_bearer.as_str()),
        &[],
        &odk_files(),
    )
    .await;
    assert_eq!(s, 403, "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multipart_upload_past_the_import_limit_gets_413() {
    let app = App::sqlite_with(|s| s.imports.max_bytes = 1500).await;
    let token = app.token("counsellor").await;
    let bearer = format!("Bearer {token}");
    let (s, e) = send_multipart(
        &app,
        ("authorization", bearer.as_str()),
        &[("dry_run", "true")],
        &odk_files(),
    )
    .await;
    assert_eq!(s, 413, "{e}");
    assert_eq!(e["error"]["code"], "too_large");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("1500 bytes"),
        "{e}"
    );
}

/// The DHIS2 documentation's flat payload through the mapping of the interop tests, as JSON
/// and as multipart: read element by element and reported per element; a truncated payload is
/// refused whole (its JSON is checked before the first record is sent), so nothing is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dhis2_tracker_payload_is_read_and_a_truncated_one_writes_nothing() {
    let app = App::sqlite().await;
    let token = app.token("counsellor").await;
    let mapping = "tracked_entity_type = \"nEenWmSyUEp\"\nprogram = \"IpHINAT79UW\"\n[org_units]\nkibra-hc = \"y77LiPqLMoq\"\n[assessments.phq9]\nstage = \"A03MvHHogjR\"\noccasion = \"screening\"\ndata_elements = { \"1\" = \"UXz7xuGCEhU\" }\n[session]\nstage = \"ZzYYXq4fJie\"\ndata_elements = { number = \"X8zyunlgUfM\" }\n";
    let payload = fixture("dhis2-docs-flat-payload.json");
    let (s, dry) = app
        .call(
            "POST",
            "/api/v1/imports/dhis2-tracker",
            Some(&token),
            Some(
                json!({"mapping": mapping, "content": payload, "file_name": "tracker.json",
                "dry_run": true, "programme": "pmplus-2026"}),
            ),
        )
        .await;
    assert_eq!(s, 200, "{dry}");
    assert_eq!(dry["summary"]["rows"], 4, "{dry}");
    assert_eq!(dry["summary"]["rows_refused"], 2, "{dry}");
    assert!(
        dry["problems"].as_array().unwrap().iter().any(|p| p
            .as_str()
            .unwrap()
            .starts_with("refused: tracker.json: sheet events, row 2")),
        "{dry}"
    );
    // Truncated: one 400 naming the file and the line, and no record.
    let half = &payload[..payload.len() / 2];
    let bearer = format!("Bearer {token}");
    let (content_type, bytes) = multipart(
        &[("programme", "pmplus-2026")],
        &[
            ("file", "tracker.json", half.as_bytes().to_vec()),
            ("mapping", "dhis2.toml", mapping.as_bytes().to_vec()),
        ],
    );
    let res = app
        .send_bytes(
            "POST",
            "/api/v1/imports/dhis2-tracker",
            &[
                ("authorization", bearer.as_str()),
                ("content-type", &content_type),
            ],
            bytes,
        )
        .await;
    assert_eq!(res.status.as_u16(), 400, "{}", res.body);
    assert!(
        res.body.contains("tracker.json, row") && res.body.contains("the JSON ends early"),
        "{}",
        res.body
    );
    let (_, clients) = app.call("GET", "/api/v1/clients", Some(&token), None).await;
    assert_eq!(clients["items"].as_array().unwrap().len(), 0, "{clients}");
}

/// A body that sends its first bytes and then nothing more, never ending: a slow client.
struct Stalled(Option<axum::body::Bytes>);

impl http_body::Body for Stalled {
    type Data = axum::body::Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        match self.0.take() {
            Some(b) => std::task::Poll::Ready(Some(Ok(http_body::Frame::data(b)))),
            None => std::task::Poll::Pending,
        }
    }
}

/// Multipart imports are bounded in number and in time: with every slot taken the next one
/// gets 503 with Retry-After before its body is read, and an upload that trickles in past the
/// time allowed gets 408 and gives its slot back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_imports_are_bounded_in_number_and_in_time() {
    use tower::ServiceExt;
    let app = App::sqlite_with(|s| {
        s.imports = scaleup_web::imports::ImportLimits::new(
            1 << 20,
            None,
            1,
            std::time::Duration::from_millis(300),
        )
    })
    .await;
    let token = app.token("counsellor").await;
    let bearer = format!("Bearer {token}");
    let (content_type, bytes) = multipart(&[("dry_run", "true")], &odk_files());
    let stalled = |prefix: Vec<u8>| {
        axum::http::Request::builder()
            .method("POST")
            .uri("/api/v1/imports/odk")
            .header("authorization", &bearer)
            .header("content-type", &content_type)
            .body(axum::body::Body::new(Stalled(Some(prefix.into()))))
            .unwrap()
    };
    // One upload stalls, holding the only slot; a second meanwhile is turned away at once.
    let first = tokio::spawn(app.router.clone().oneshot(stalled(bytes[..100].to_vec())));
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let (s, e) = send_multipart(
        &app,
        ("authorization", bearer.as_str()),
        &[("dry_run", "true")],
        &odk_files(),
    )
    .await;
    assert_eq!(s, 503, "{e}");
    assert_eq!(e["error"]["code"], "busy");
    // The stalled one runs out of time.
    let res = first.await.unwrap().unwrap();
    assert_eq!(res.status().as_u16(), 408);
    // Its slot is free again: a whole upload goes through.
    let (s, dry) = send_multipart(
        &app,
        ("authorization", bearer.as_str()),
        &[("dry_run", "true")],
        &odk_files(),
    )
    .await;
    assert_eq!(s, 200, "{dry}");
}

/// ODK Central repeat groups over HTTP, as on the command line: the group's CSV goes as a
/// `repeat` file named as Central names it (`<form>-<group>.csv`); members land joined to their
/// submissions, an orphan row is named by file, row and column, a missing group's file or a
/// file of no group is refused before anything is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_odk_repeat_group_is_imported_over_http() {
    let app = App::sqlite().await;
    let token = app.token("counsellor").await;
    let bearer = format!("Bearer {token}");
    let mapping = fixture("odk-central-household.mapping.toml")
        .replace("ke-pmplus", "pmplus-2026")
        .replace("\"phq2\"", "\"phq9\"");
    let main = fixture("odk-central-household.csv");
    let members = fixture("odk-central-household-members.csv");
    let files = |repeat: Option<&'static str>| {
        let mut f: Vec<(&str, &str, Vec<u8>)> = vec![
            ("file", "household_screening.csv", main.as_bytes().to_vec()),
            ("mapping", "household.toml", mapping.as_bytes().to_vec()),
        ];
        if let Some(name) = repeat {
            f.push(("repeat", name, members.as_bytes().to_vec()));
        }
        f
    };
    let auth = ("authorization", bearer.as_str());
    let send = |repeat| {
        let files = files(repeat);
        let app = &app;
        async move { send_multipart(app, auth, &[], &files).await }
    };
    let (s, e) = send(None).await;
    assert_eq!(s, 400, "{e}");
    assert_eq!(e["error"]["field"], "repeat", "{e}");
    let (s, e) = send(Some("household_screening-visits.csv")).await;
    assert_eq!(s, 400, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("names no [[repeats]] group of the mapping (it has: members)"),
        "{e}"
    );
    let (s, report) = send(Some("household_screening-members.csv")).await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["summary"]["created"], 4, "{report}");
    assert!(
        report["problems"].as_array().unwrap().iter().any(|p| p
            .as_str()
            .unwrap()
            .contains("household_screening-members.csv, row 5, column PARENT_KEY")),
        "{report}"
    );
    let (s, again) = send(Some("household_screening-members.csv")).await;
    assert_eq!(s, 200, "{again}");
    assert_eq!(
        (&again["summary"]["created"], &again["summary"]["unchanged"]),
        (&serde_json::json!(0), &serde_json::json!(4)),
        "{again}"
    );
}

/// Issue 9: a repeat nested in a repeat over HTTP (`followups` in `members`): the `repeat` parts
/// in any order, each group read after the one it is nested in; the follow-ups land joined
/// through their member rows, a follow-up of a refused or absent member row is named by file,
/// row and column, the same parts again change nothing; a mapping that reads `followups` as a
/// repeat of the submissions is refused (its rows' PARENT_KEY names member rows) before
/// anything is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nested_repeat_group_is_imported_over_http() {
    let app = App::sqlite().await;
    let token = app.token("counsellor").await;
    let bearer = format!("Bearer {token}");
    let mapping = fixture("odk-central-household-nested.mapping.toml")
        .replace("ke-pmplus", "pmplus-2026")
        .replace("\"phq2\"", "\"phq9\"");
    let main = fixture("odk-central-household.csv");
    let members = fixture("odk-central-household-members.csv");
    let followups = fixture("odk-central-household-followups.csv");
    let files = |mapping: &str| -> Vec<(&'static str, &'static str, Vec<u8>)> {
        vec![
            ("file", "household_screening.csv", main.as_bytes().to_vec()),
            ("mapping", "nested.toml", mapping.as_bytes().to_vec()),
            (
                "repeat",
                "household_screening-followups.csv",
                followups.as_bytes().to_vec(),
            ),
            (
                "repeat",
                "household_screening-members.csv",
                members.as_bytes().to_vec(),
            ),
        ]
    };
    let auth = ("authorization", bearer.as_str());
    let (s, report) = send_multipart(&app, auth, &[], &files(&mapping)).await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["summary"]["created"], 7, "{report}");
    for row in [5, 6] {
        let place = format!("household_screening-followups.csv, row {row}, column PARENT_KEY");
        assert!(
            report["problems"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p.as_str().unwrap().contains(&place)),
            "{report}"
        );
    }
    let (s, again) = send_multipart(&app, auth, &[], &files(&mapping)).await;
    assert_eq!(s, 200, "{again}");
    assert_eq!(
        (&again["summary"]["created"], &again["summary"]["unchanged"]),
        (&serde_json::json!(0), &serde_json::json!(7)),
        "{again}"
    );
    // The members' CSV twice: refused before anything is read.
    let mut twice = files(&mapping);
    twice.push((
        "repeat",
        "household_screening-members.csv",
        members.as_bytes().to_vec(),
    ));
    let (s, e) = send_multipart(&app, auth, &[], &twice).await;
    assert_eq!(s, 400, "{e}");
    assert_eq!(e["error"]["field"], "repeat", "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("a second CSV of the repeat group members"),
        "{e}"
    );
    let flat = mapping.replace("nested_in = \"members\"\n", "");
    let (s, e) = send_multipart(&app, auth, &[], &files(&flat)).await;
    assert_eq!(s, 400, "{e}");
    assert!(
        e["error"]["message"].as_str().unwrap().contains(
            "household_screening-followups.csv, row 2, column PARENT_KEY: the mapping reads followups as a repeat group of the submissions, but in this export its rows belong to a row of the repeat group members"
        ),
        "{e}"
    );
}

/// A zip as ODK Central streams its "all submissions" export (deflate, data descriptors).
fn central_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new_stream(Vec::new());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        w.start_file(*name, options).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// Issue 9: ODK Central's export zip sent as the `file` part, as downloaded: read from the
/// spooled upload (the submissions' CSV, then the `members` group's; a nested repeat and media
/// beside them are not read), problems named by zip and entry, the same zip twice unchanged;
/// refused before anything is written when `repeat` parts come with it, when the group's CSV
/// is missing, when its CSVs would unzip past the server's import limit, or on a route that
/// does not read zips.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_odk_central_export_zip_is_imported_from_the_spooled_upload() {
    let app = App::sqlite().await;
    let token = app.token("counsellor").await;
    let bearer = format!("Bearer {token}");
    let auth = ("authorization", bearer.as_str());
    let mapping = fixture("odk-central-household.mapping.toml")
        .replace("ke-pmplus", "pmplus-2026")
        .replace("\"phq2\"", "\"phq9\"");
    let main = fixture("odk-central-household.csv");
    let members = fixture("odk-central-household-members.csv");
    let export = central_zip(&[
        ("household_screening.csv", main.as_bytes()),
        ("household_screening-members.csv", members.as_bytes()),
        (
            "household_screening-members-phones.csv",
            b"phone,PARENT_KEY,KEY\n1,a,b\n",
        ),
        ("media/1712.jpg", b"\xFF\xD8\xFF"),
    ]);
    let files = |zip: &[u8]| -> Vec<(&str, &str, Vec<u8>)> {
        vec![
            ("file", "submissions.csv.zip", zip.to_vec()),
            ("mapping", "household.toml", mapping.as_bytes().to_vec()),
        ]
    };
    let clients = || async {
        let (_, c) = app.call("GET", "/api/v1/clients", Some(&token), None).await;
        c["items"].as_array().unwrap().len()
    };

    let (s, dry) = send_multipart(&app, auth, &[("dry_run", "true")], &files(&export)).await;
    assert_eq!(s, 200, "{dry}");
    assert_eq!(dry["summary"]["would_create"], 4, "{dry}");
    assert_eq!(clients().await, 0);

    let (s, first) = send_multipart(&app, auth, &[], &files(&export)).await;
    assert_eq!(s, 200, "{first}");
    assert_eq!(
        (&first["summary"]["rows"], &first["summary"]["created"]),
        (&json!(8), &json!(4)),
        "{first}"
    );
    let problems: Vec<&str> = first["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(
        problems.iter().any(|p| p.contains(
            "submissions.csv.zip:household_screening-members.csv, row 5, column PARENT_KEY"
        )),
        "{problems:?}"
    );
    assert!(problems.iter().all(|p| !p.contains("HYPERLINK")));
    assert_eq!(clients().await, 2);

    let (s, again) = send_multipart(&app, auth, &[], &files(&export)).await;
    assert_eq!(s, 200, "{again}");
    assert_eq!(
        (&again["summary"]["created"], &again["summary"]["unchanged"]),
        (&json!(0), &json!(4)),
        "{again}"
    );

    // The zip carries its groups: a `repeat` part beside it is refused.
    let mut with_repeat = files(&export);
    with_repeat.push((
        "repeat",
        "household_screening-members.csv",
        members.as_bytes().to_vec(),
    ));
    let (s, e) = send_multipart(&app, auth, &[], &with_repeat).await;
    assert_eq!(s, 400, "{e}");
    assert_eq!(e["error"]["field"], "repeat");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("send the zip alone"),
        "{e}"
    );
    // No CSV for the mapping's group: refused naming the group and the file expected.
    let partial = central_zip(&[("household_screening.csv", main.as_bytes())]);
    let (s, e) = send_multipart(&app, auth, &[], &files(&partial)).await;
    assert_eq!(s, 400, "{e}");
    assert_eq!(e["error"]["field"], "file");
    assert!(
        e["error"]["message"].as_str().unwrap().contains(
            "submissions.csv.zip: the mapping reads the repeat group members, but the zip has no household_screening-members.csv"
        ),
        "{e}"
    );
    // A zip is read only as Central's export, on the ODK route.
    let redcap = mapping.replace("source = \"odk\"", "source = \"redcap\"");
    let (content_type, bytes) = multipart(
        &[],
        &[
            ("file", "submissions.csv.zip", export.clone()),
            ("mapping", "redcap.toml", redcap.into_bytes()),
        ],
    );
    let res = app
        .send_bytes(
            "POST",
            "/api/v1/imports/redcap",
            &[auth, ("content-type", &content_type)],
            bytes,
        )
        .await;
    assert_eq!(res.status.as_u16(), 400, "{}", res.body);
    assert!(res.body.contains("is a zip"), "{}", res.body);
    assert_eq!(clients().await, 2);

    // A few kilobytes on the wire that would unzip past the server's limit (64 KiB here):
    // refused from the zip's directory, before a byte of the entry is inflated.
    let app = App::sqlite_with(|s| s.imports.max_bytes = 64 << 10).await;
    let token = app.token("counsellor").await;
    let bearer = format!("Bearer {token}");
    let padded = format!("{members}{}", " ".repeat(200 << 10));
    let bomb = central_zip(&[
        ("household_screening.csv", main.as_bytes()),
        ("household_screening-members.csv", padded.as_bytes()),
    ]);
    assert!(bomb.len() < 8 << 10, "{}", bomb.len());
    let (s, e) = send_multipart(&app, ("authorization", bearer.as_str()), &[], &files(&bomb)).await;
    assert_eq!(s, 400, "{e}");
    assert_eq!(e["error"]["field"], "file");
    assert!(
        e["error"]["message"].as_str().unwrap().contains(
            "submissions.csv.zip:household_screening-members.csv: the entry would take more than 65536 bytes once unzipped"
        ),
        "{e}"
    );
}

/// Issue 9: KoboToolbox's XLSX export sent as the `file` part with a `kobo` mapping: read from
/// the spooled upload, its repeat group `members` joined to the visits on the first sheet, the
/// same workbook twice unchanged; a `repeat` part beside it is refused, and so is a Kobo CSV
/// for a mapping with repeat groups.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kobo_xlsx_export_is_imported_from_the_spooled_upload() {
    let app = App::sqlite().await;
    let token = app.token("counsellor").await;
    let bearer = format!("Bearer {token}");
    let auth = ("authorization", bearer.as_str());
    let mapping = fixture("kobo-household.mapping.toml")
        .replace("ke-pmplus", "pmplus-2026")
        .replace("\"phq2\"", "\"phq9\"");
    let book = std::fs::read(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../scaleup-interop/tests/fixtures/import/kobo-household.xlsx"),
    )
    .unwrap();
    let files = |file: Vec<u8>| -> Vec<(&str, &str, Vec<u8>)> {
        vec![
            ("file", "household_visit.xlsx", file),
            ("mapping", "kobo.toml", mapping.as_bytes().to_vec()),
        ]
    };
    let (s, dry) = send_multipart(&app, auth, &[("dry_run", "true")], &files(book.clone())).await;
    assert_eq!(s, 200, "{dry}");
    assert_eq!(dry["summary"]["rows"], 5, "{dry}");
    let (s, report) = send_multipart(&app, auth, &[], &files(book.clone())).await;
    assert_eq!(s, 200, "{report}");
    let created = report["summary"]["created"].as_u64().unwrap();
    assert_eq!(
        created,
        dry["summary"]["would_create"].as_u64().unwrap(),
        "{report}"
    );
    assert_eq!(
        (created, &report["summary"]["rows_refused"]),
        (6, &json!(0)),
        "three members, a client and a screening each: {report}"
    );
    let (s, again) = send_multipart(&app, auth, &[], &files(book.clone())).await;
    assert_eq!(s, 200, "{again}");
    assert_eq!(
        (&again["summary"]["created"], &again["summary"]["unchanged"]),
        (&json!(0), &json!(created)),
        "{again}"
    );
    // The workbook carries its groups.
    let mut with_repeat = files(book.clone());
    with_repeat.push(("repeat", "members.csv", b"a\n1\n".to_vec()));
    let (s, e) = send_multipart(&app, auth, &[], &with_repeat).await;
    assert_eq!(s, 400, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("send the workbook alone"),
        "{e}"
    );
    // KoboToolbox's CSV cannot hold the group.
    let (s, e) = send_multipart(&app, auth, &[], &files(b"_uuid,_index\nu1,1\n".to_vec())).await;
    assert_eq!(s, 400, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("send its XLSX export"),
        "{e}"
    );
}
