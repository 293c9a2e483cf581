//! The import page (issue 9, "an upload page"), in-process: a supervisor dry-runs the ODK
//! fixture export with its mapping (nothing written), imports it (records created, the bad rows
//! named by file, row and column, never by value), imports it again (unchanged); a bad form is
//! refused with its reason; a role that may not write care records is told who may, and does
//! not see the page in its navigation.

mod common;

use axum::http::StatusCode;
use common::{App, Page, form_token};

const SAME_SITE: (&str, &str) = ("sec-fetch-site", "same-origin");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../scaleup-interop/tests/fixtures/import")
            .join(name),
    )
    .unwrap()
}

/// The ODK fixture's mapping, adjusted to the test hub (its programme code; PHQ-9 in place of
/// PHQ-2, whose items 1 and 2 are the same questions).
fn mapping() -> Vec<u8> {
    String::from_utf8(fixture("odk-central-phq2.mapping.toml"))
        .unwrap()
        .replace("ke-pmplus", "pmplus-2026")
        .replace("\"phq2\"", "\"phq9\"")
        .into_bytes()
}

/// A form as the page's own sends it: the token unless `token` is false, text fields, files.
struct Form<'a> {
    token: bool,
    fields: Vec<(&'a str, &'a str)>,
    files: Vec<(&'a str, &'a str, Vec<u8>)>,
}

impl<'a> Form<'a> {
    /// The ODK export and its mapping, source odk; a dry run unless `dry_run` is false.
    fn odk(dry_run: bool) -> Form<'a> {
        let mut fields = vec![("source", "odk")];
        if dry_run {
            fields.push(("dry_run", "on"));
        }
        Form {
            token: true,
            fields,
            files: vec![
                ("file", "submissions.csv", fixture("odk-central-phq2.csv")),
                ("mapping", "odk.mapping.toml", mapping()),
            ],
        }
    }
}

async fn post(app: &App, cookie: &str, form: Form<'_>) -> Page {
    let boundary = "----scaleupImportBoundary9";
    let mut body = Vec::new();
    let token = form_token(cookie);
    let mut fields = form.fields.clone();
    if form.token {
        fields.insert(0, ("_csrf", &token));
    }
    for (k, v) in fields {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .bytes(),
        );
    }
    for (k, name, bytes) in form.files {
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").bytes());
        body.extend(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").bytes());
    let content_type = format!("multipart/form-data; boundary={boundary}");
    app.send_bytes(
        "POST",
        "/imports",
        &[
            ("cookie", cookie),
            ("content-type", &content_type),
            SAME_SITE,
        ],
        body,
    )
    .await
}

/// One line of the result's summary table as the page renders it.
fn count(label: &str, n: u64) -> String {
    format!("<tr><th scope=\"row\">{label}</th><td>{n}</td></tr>")
}

async fn clients_of_counsellor(app: &App) -> usize {
    let token = app.token("counsellor").await;
    let (_, clients) = app.call("GET", "/api/v1/clients", Some(&token), None).await;
    clients["items"].as_array().unwrap().len()
}

#[tokio::test]
async fn a_supervisor_dry_runs_then_imports_an_odk_export_once() {
    let app = App::sqlite().await;
    let supervisor = app.browser_session("supervisor").await;
    let page = app
        .send("GET", "/imports", &[("cookie", &supervisor)], "")
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // Reached from the main navigation; the dry run is ticked by default.
    assert!(
        page.body
            .contains("<a href=\"/imports\" aria-current=\"page\">Import records</a>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("name=\"dry_run\" value=\"on\" checked"));
    assert!(page.body.contains("<label for=\"mapping\">"));

    // The dry run counts and writes nothing.
    let dry = post(&app, &supervisor, Form::odk(true)).await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.body);
    assert!(
        dry.body
            .contains("Dry run of submissions.csv: nothing was written"),
        "{}",
        dry.body
    );
    assert!(dry.body.contains(&count("Rows read", 4)), "{}", dry.body);
    assert!(
        dry.body
            .contains(&count("Records that would be created", 4))
    );
    assert!(dry.body.contains(&count("Rows refused", 2)));
    assert_eq!(clients_of_counsellor(&app).await, 0);
    // The form comes back as it was sent: still a dry run.
    assert!(dry.body.contains("name=\"dry_run\" value=\"on\" checked"));

    // The import: the good rows land as the counsellor's records, the bad ones are named by
    // file, row and column, never by what they hold.
    let first = post(&app, &supervisor, Form::odk(false)).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert!(
        first.body.contains("Imported submissions.csv"),
        "{}",
        first.body
    );
    assert!(
        first.body.contains(&count("Records created", 4)),
        "{}",
        first.body
    );
    assert!(first.body.contains(&count("Rows refused", 2)));
    assert!(
        first
            .body
            .contains("<li><code>refused: submissions.csv, row 4, column items-phq2_1"),
        "{}",
        first.body
    );
    assert!(
        first.body.contains("refused: submissions.csv, row 5"),
        "the future visit date: {}",
        first.body
    );
    assert!(!first.body.contains("HYPERLINK"));
    assert!(!first.body.contains("2099"));
    assert!(!first.body.contains("name=\"dry_run\" value=\"on\" checked"));
    assert_eq!(clients_of_counsellor(&app).await, 2);

    // The same files again change nothing.
    let again = post(&app, &supervisor, Form::odk(false)).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert!(
        again.body.contains(&count("Records created", 0)),
        "{}",
        again.body
    );
    assert!(again.body.contains(&count("Records unchanged", 4)));
    assert!(again.body.contains(&count("Records updated", 0)));
    assert_eq!(clients_of_counsellor(&app).await, 2);
    // A dry run now finds them all.
    let dry = post(&app, &supervisor, Form::odk(true)).await;
    assert!(
        dry.body.contains(&count(
            "Records that exist already (updated or left unchanged)",
            4
        )),
        "{}",
        dry.body
    );
    // Imported through the sync path as the supervisor, from the device import:odk.
    let actions = app.store.audit_events(None, 1000).await.unwrap();
    assert!(
        actions
            .iter()
            .any(|e| e["action"].as_str().unwrap_or("").starts_with("record.")),
        "{actions:?}"
    );
}

#[tokio::test]
async fn a_bad_form_or_mapping_is_refused_and_nothing_is_written() {
    let app = App::sqlite().await;
    let supervisor = app.browser_session("supervisor").await;
    // Without the form token.
    let mut form = Form::odk(false);
    form.token = false;
    let res = post(&app, &supervisor, form).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    // No mapping file, no data file, no source.
    let mut form = Form::odk(false);
    form.files.retain(|f| f.0 != "mapping");
    let res = post(&app, &supervisor, form).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.body.contains("Choose the mapping file."),
        "{}",
        res.body
    );
    let mut form = Form::odk(false);
    form.files.retain(|f| f.0 != "file");
    let res = post(&app, &supervisor, form).await;
    assert!(res.body.contains("Choose the data file."), "{}", res.body);
    let mut form = Form::odk(false);
    form.fields.retain(|f| f.0 != "source");
    let res = post(&app, &supervisor, form).await;
    assert!(res.body.contains("Choose the source of the file."));
    // A mapping naming a column the file lacks: the column is named, nothing is written.
    let mut form = Form::odk(false);
    let bad = String::from_utf8(mapping())
        .unwrap()
        .replace("\"birth_year\", type", "\"year_of_birth\", type");
    form.files[1].2 = bad.into_bytes();
    let res = post(&app, &supervisor, form).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(
        res.body
            .contains("This import did not run and nothing was written: mapping:"),
        "{}",
        res.body
    );
    assert!(res.body.contains("column year_of_birth"), "{}", res.body);
    // A REDCap mapping under the ODK source.
    let mut form = Form::odk(false);
    form.fields = vec![("source", "redcap")];
    let res = post(&app, &supervisor, form).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.body.contains("source: this route reads redcap"),
        "{}",
        res.body
    );
    assert_eq!(clients_of_counsellor(&app).await, 0);
    // Not multipart at all.
    let res = app
        .send(
            "POST",
            "/imports",
            &[
                ("cookie", &supervisor),
                ("content-type", "application/x-www-form-urlencoded"),
                SAME_SITE,
            ],
            "source=odk",
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_upload_past_the_servers_limit_is_refused_with_413() {
    let app = App::sqlite_with(|s| s.imports.max_bytes = 1024).await;
    let supervisor = app.browser_session("supervisor").await;
    let res = post(&app, &supervisor, Form::odk(true)).await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", res.body);
    assert!(res.body.contains("at most 1 KiB"), "{}", res.body);
}

#[tokio::test]
async fn a_role_that_may_not_import_is_told_who_may() {
    let app = App::sqlite().await;
    let manager = app.browser_session("manager").await;
    let page = app
        .send("GET", "/imports", &[("cookie", &manager)], "")
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(
        page.body.contains(
            "Your role (hub manager) may not write or import care records. Who can: supervisor, counsellor."
        ),
        "{}",
        page.body
    );
    // Refused before the upload is read.
    let res = post(&app, &manager, Form::odk(false)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(clients_of_counsellor(&app).await, 0);
    // Not in the hub manager's navigation; in the supervisor's, and in the counsellor's app.
    let hub = app.send("GET", "/hub", &[("cookie", &manager)], "").await;
    assert!(!hub.body.contains("href=\"/imports\""), "{}", hub.body);
    let counsellor = app.browser_session("counsellor").await;
    let shell = app
        .send("GET", "/app/en/", &[("cookie", &counsellor)], "")
        .await;
    assert!(
        shell
            .body
            .contains("<a href=\"/imports\">Import records</a>")
    );
    let researcher = app.browser_session("researcher").await;
    let page = app
        .send("GET", "/imports", &[("cookie", &researcher)], "")
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    // Signed out: the sign-in page.
    let page = app.send("GET", "/imports", &[], "").await;
    assert_ne!(page.status, StatusCode::OK);
}

/// Issue 9: ODK Central's export zip chosen as the data file, as downloaded: the page says it
/// may be, the submissions' and the `members` group's CSVs are read from it (no repeat files
/// chosen), problems name the zip and the entry, and the same zip again changes nothing.
#[tokio::test]
async fn a_central_export_zip_is_imported_from_the_page_as_downloaded() {
    use std::io::Write;
    let app = App::sqlite().await;
    let supervisor = app.browser_session("supervisor").await;
    let page = app
        .send("GET", "/imports", &[("cookie", &supervisor)], "")
        .await;
    assert!(
        page.body.contains("accept=\".csv,.json,.zip,"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("export zip (all submissions, as downloaded) may be chosen as it is"),
        "{}",
        page.body
    );
    let mut w = zip::ZipWriter::new_stream(Vec::new());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in [
        (
            "household_screening.csv",
            fixture("odk-central-household.csv"),
        ),
        (
            "household_screening-members.csv",
            fixture("odk-central-household-members.csv"),
        ),
        ("media/1712.jpg", vec![0xFF, 0xD8, 0xFF]),
    ] {
        w.start_file(name, options).unwrap();
        w.write_all(&bytes).unwrap();
    }
    let export = w.finish().unwrap().into_inner();
    let mapping = String::from_utf8(fixture("odk-central-household.mapping.toml"))
        .unwrap()
        .replace("ke-pmplus", "pmplus-2026")
        .replace("\"phq2\"", "\"phq9\"")
        .into_bytes();
    let form = || Form {
        token: true,
        fields: vec![("source", "odk")],
        files: vec![
            ("file", "household_screening.csv.zip", export.clone()),
            ("mapping", "household.toml", mapping.clone()),
        ],
    };
    let first = post(&app, &supervisor, form()).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert!(
        first.body.contains("Imported household_screening.csv.zip"),
        "{}",
        first.body
    );
    assert!(
        first.body.contains(&count("Rows read", 8)),
        "{}",
        first.body
    );
    assert!(
        first.body.contains(&count("Records created", 4)),
        "{}",
        first.body
    );
    assert!(
        first.body.contains(
            "refused: household_screening.csv.zip:household_screening-members.csv, row 5, column PARENT_KEY"
        ),
        "{}",
        first.body
    );
    assert!(!first.body.contains("HYPERLINK"));
    assert_eq!(clients_of_counsellor(&app).await, 2);
    let again = post(&app, &supervisor, form()).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert!(
        again.body.contains(&count("Records unchanged", 4)),
        "{}",
        again.body
    );
    assert!(again.body.contains(&count("Records created", 0)));
    assert_eq!(clients_of_counsellor(&app).await, 2);
}

/// Issue 9: KoboToolbox's XLSX export chosen as the data file with a `kobo` mapping: the page
/// says it may be (and accepts .xlsx), the members are read from their sheet and joined to
/// their visits, and the same workbook again changes nothing.
#[tokio::test]
async fn a_kobo_xlsx_export_is_imported_from_the_page() {
    let app = App::sqlite().await;
    let supervisor = app.browser_session("supervisor").await;
    let page = app
        .send("GET", "/imports", &[("cookie", &supervisor)], "")
        .await;
    assert!(page.body.contains(".xlsx,"), "{}", page.body);
    assert!(
        page.body
            .contains("each repeat group is read from its own sheet"),
        "{}",
        page.body
    );
    let mapping = String::from_utf8(fixture("kobo-household.mapping.toml"))
        .unwrap()
        .replace("ke-pmplus", "pmplus-2026")
        .replace("\"phq2\"", "\"phq9\"")
        .into_bytes();
    let form = || Form {
        token: true,
        fields: vec![("source", "odk")],
        files: vec![
            (
                "file",
                "household_visit.xlsx",
                fixture("kobo-household.xlsx"),
            ),
            ("mapping", "kobo.toml", mapping.clone()),
        ],
    };
    let first = post(&app, &supervisor, form()).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert!(
        first.body.contains("Imported household_visit.xlsx"),
        "{}",
        first.body
    );
    assert!(
        first.body.contains(&count("Rows read", 5)),
        "{}",
        first.body
    );
    assert!(
        first.body.contains(&count("Records created", 6)),
        "{}",
        first.body
    );
    assert_eq!(clients_of_counsellor(&app).await, 3);
    let again = post(&app, &supervisor, form()).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert!(
        again.body.contains(&count("Records unchanged", 6)),
        "{}",
        again.body
    );
    assert!(again.body.contains(&count("Records created", 0)));
    assert_eq!(clients_of_counsellor(&app).await, 3);
}
