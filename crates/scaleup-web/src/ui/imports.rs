//! The import page (`/imports`): a supervisor (or a counsellor) uploads an ODK Central or
//! KoboToolbox submission CSV, a REDCap flat record export or a DHIS2 Tracker payload with its
//! mapping file, as REDCap's Data Import Tool does: a dry run first (the box is ticked by
//! default), then the import. The page shows the summary and every problem with its file, row
//! and column, never a value.
//!
//! Nothing here imports: the upload is spooled to disk and handed to
//! `crate::imports::import`, the loop `POST /api/v1/imports/*` and `scaleup import` share, so the
//! page writes records as the signed-in account through the sync path, with its rules, scores,
//! alerts and audit. Who may is `Capability::WriteCareRecords`, checked before a byte of the
//! upload is read; the form carries the session's token like every other form.
//!
//! The result is shown in the answer to the post rather than after a redirect: it is not
//! stored anywhere (the server keeps no state between requests), and posting the same files
//! again changes nothing, because imports are idempotent.

use super::{Chrome, PageError, Visitor, render, security};
use crate::api::AppState;
use crate::imports::{
    Content, ImportFailure, ImportReport, ImportRequest, MappingPart, Source, UploadRefusal,
};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use scaleup_domain::role::Capability;

/// What the page shows after an import or a dry run.
pub struct ResultView {
    pub heading: String,
    pub counts: Vec<(String, u64)>,
    pub problems: Vec<String>,
    /// "N problems in all; the first M are listed", when some were left out.
    pub more: Option<String>,
    pub dry_run: bool,
}

#[derive(Template)]
#[template(path = "imports.html")]
struct ImportsPage {
    c: Chrome,
    /// (value, label, checked).
    sources: Vec<(&'static str, String, bool)>,
    /// (code, name) of the programmes the caller sees, for DHIS2 Tracker.
    programmes: Vec<(String, String)>,
    programme: String,
    dry_run: bool,
    file_hint: String,
    error: Option<String>,
    result: Option<ResultView>,
}

/// What the form had, to show it again as it was sent.
struct Sent {
    source: Option<Source>,
    programme: String,
    dry_run: bool,
}

impl Default for Sent {
    fn default() -> Self {
        Sent {
            source: None,
            programme: String::new(),
            // A dry run first, as REDCap's Data Import Tool previews first.
            dry_run: true,
        }
    }
}

/// `1073741824` → `1 GiB`.
fn size(bytes: u64) -> String {
    if bytes >= 1 << 30 && bytes.is_multiple_of(1 << 30) {
        format!("{} GiB", bytes >> 30)
    } else if bytes >= 1 << 20 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{} KiB", (bytes >> 10).max(1))
    }
}

async fn page(
    state: &AppState,
    v: &Visitor,
    sent: Sent,
    error: Option<String>,
    result: Option<ResultView>,
) -> Result<Response, PageError> {
    let s = v.may(Capability::WriteCareRecords)?;
    let programmes = state
        .store
        .programmes(&s.actor)
        .await?
        .into_iter()
        .map(|p| (p.code, p.name))
        .collect();
    let chosen = sent.source.unwrap_or(Source::Odk);
    render(&ImportsPage {
        c: v.chrome(v.tr.t("imports-title"), "/imports"),
        sources: Source::ALL
            .into_iter()
            .map(|src| {
                (
                    src.as_str(),
                    v.tr.t(&format!("imports-source-{}", src.as_str())),
                    src == chosen,
                )
            })
            .collect(),
        programmes,
        programme: sent.programme,
        dry_run: sent.dry_run,
        file_hint: v.tr.s(
            "imports-file-hint",
            &[("size", &size(state.imports.max_bytes))],
        ),
        error,
        result,
    })
}

/// `GET /imports`: the upload form.
pub async fn form(State(state): State<AppState>, v: Visitor) -> Result<Response, PageError> {
    page(&state, &v, Sent::default(), None, None).await
}

fn shown(res: Result<Response, PageError>, status: StatusCode) -> Result<Response, PageError> {
    res.map(|r| (status, r).into_response())
}

fn result_view(v: &Visitor, file: &str, dry_run: bool, report: ImportReport) -> ResultView {
    let s = &report.summary;
    let mut counts = vec![
        (v.tr.t("imports-rows"), s.rows),
        (v.tr.t("imports-rows-refused"), s.rows_refused),
    ];
    if dry_run {
        counts.push((v.tr.t("imports-would-create"), s.would_create));
        counts.push((v.tr.t("imports-would-replace"), s.would_replace));
    } else {
        counts.extend([
            (v.tr.t("imports-created"), s.created),
            (v.tr.t("imports-updated"), s.updated),
            (v.tr.t("imports-unchanged"), s.unchanged),
            (v.tr.t("imports-conflicts"), s.conflicts),
            (v.tr.t("imports-rejected"), s.rejected),
        ]);
    }
    let more = (report.problems_total > report.problems.len() as u64).then(|| {
        v.tr.s(
            "imports-problems-more",
            &[
                ("count", &report.problems_total.to_string()),
                ("shown", &report.problems.len().to_string()),
            ],
        )
    });
    ResultView {
        heading: v.tr.s(
            if dry_run {
                "imports-result-dry"
            } else {
                "imports-result"
            },
            &[("file", file)],
        ),
        counts,
        problems: report.problems,
        more,
        dry_run,
    }
}

/// The form again with a problem beside it: 422, so a script or a test can tell it from success.
async fn refused(
    state: &AppState,
    v: &Visitor,
    sent: Sent,
    key: &str,
) -> Result<Response, PageError> {
    shown(
        page(state, v, sent, Some(v.tr.t(key)), None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

/// `POST /imports` (`multipart/form-data`: `_csrf`, `source`, `file`, `mapping`, `programme`,
/// `dry_run`): runs the import or the dry run and shows what it did.
pub async fn upload(
    State(state): State<AppState>,
    v: Visitor,
    req: axum::extract::Request,
) -> Result<Response, PageError> {
    // The role first: nobody else makes the server read an upload.
    let s = v.may(Capability::WriteCareRecords)?;
    let upload = match crate::imports::read_form(&state.imports, req).await {
        Ok(u) => u,
        Err(UploadRefusal::TooLarge(n)) => {
            return Err(PageError::Status(
                StatusCode::PAYLOAD_TOO_LARGE,
                v.tr.s("imports-too-large", &[("size", &size(n))]),
            ));
        }
        Err(UploadRefusal::Disk) => {
            return Err(PageError::Internal(
                "an import upload could not be spooled".into(),
            ));
        }
        Err(UploadRefusal::Busy) => {
            return Err(PageError::Status(
                StatusCode::SERVICE_UNAVAILABLE,
                v.tr.t("imports-busy"),
            ));
        }
        Err(UploadRefusal::TooSlow) => {
            return Err(PageError::Status(
                StatusCode::REQUEST_TIMEOUT,
                v.tr.t("imports-too-slow"),
            ));
        }
        Err(UploadRefusal::NotMultipart | UploadRefusal::Broken | UploadRefusal::Malformed) => {
            return Err(PageError::Status(
                StatusCode::BAD_REQUEST,
                v.tr.t("imports-unreadable"),
            ));
        }
    };
    let form = &upload.form;
    match form.text("_csrf") {
        Some(t) if security::csrf_matches(&s.token, t) => {}
        _ => {
            return Err(PageError::Status(
                StatusCode::FORBIDDEN,
                v.tr.t("error-form-expired"),
            ));
        }
    }
    let sent = Sent {
        source: form.text("source").and_then(Source::parse),
        programme: form.text("programme").unwrap_or_default().to_string(),
        dry_run: crate::imports::truthy(form.text("dry_run")),
    };
    let Some(source) = sent.source else {
        return refused(&state, &v, sent, "imports-source-required").await;
    };
    let Some((file_name, _, section)) = form.file("file").filter(|f| !f.2.is_empty()) else {
        return refused(&state, &v, sent, "imports-file-required").await;
    };
    let mapping = match upload.mapping() {
        MappingPart::Text(t) => t,
        MappingPart::Missing => return refused(&state, &v, sent, "imports-mapping-required").await,
        MappingPart::TooLarge => {
            return refused(&state, &v, sent, "imports-mapping-too-large").await;
        }
        MappingPart::NotText => return refused(&state, &v, sent, "imports-mapping-not-text").await,
    };
    let Ok(section) = section.try_clone() else {
        return Err(PageError::Internal(
            "an import upload could not be reopened".into(),
        ));
    };
    let file_name = file_name.to_string();
    let request = ImportRequest {
        source,
        mapping,
        content: Content::Spooled(section),
        file_name: file_name.clone(),
        dry_run: sent.dry_run,
        programme: (source == Source::Dhis2Tracker && !sent.programme.is_empty())
            .then(|| sent.programme.clone()),
        repeats: crate::imports::repeat_parts(form)
            .map_err(|_| PageError::Internal("an import upload could not be reopened".into()))?,
        max_unzipped: state.imports.max_bytes,
    };
    match crate::imports::import(&state.store, &s.actor, request).await {
        Ok(report) => {
            let view = result_view(&v, &file_name, sent.dry_run, report);
            shown(
                page(&state, &v, sent, None, Some(view)).await,
                StatusCode::OK,
            )
        }
        Err(ImportFailure::Invalid { field, message }) => {
            let problem = format!("{}: {field}: {message}", v.tr.t("imports-refused"));
            shown(
                page(&state, &v, sent, Some(problem), None).await,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(ImportFailure::Store(e)) => Err(e.into()),
        Err(ImportFailure::Internal(cause)) => Err(PageError::Internal(cause.into())),
    }
}
