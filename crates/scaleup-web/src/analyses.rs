//! `/api/v1/analyses/...` and `/api/v1/programmes/{code}/effectiveness`: the analyses of the
//! command line, over HTTP, giving the same JSON for the same input (both call
//! `scaleup_analysis`), plus a `warnings` list where the command would print warnings.
//!
//! The body is the document the command reads from a file — a CSV table, a TOML spec or
//! scenario — sent as is; options go in the query string. `?format=text` returns the text
//! report, `?format=html` the HTML page where the analysis has one. Store-backed analyses read
//! only the caller's hubs and are audited by the store.
//!
//! Model fits are CPU-bound: they run on the blocking pool, at most [`ANALYSIS_SLOTS`] at a
//! time, so a burst of analyses cannot starve the sync and care-delivery routes.
//!
//! Uploads are bounded by what the server holds, not by what the caller sends. A request takes
//! its analysis slot before a byte of its body is read, and gets 503 with `Retry-After` when
//! none frees within [`AnalysisLimits::slot_wait`]; so at most `ANALYSIS_SLOTS` bodies are
//! being read at any time, and a queue of waiting requests holds only their sockets. Bodies are
//! counted after `Content-Encoding: gzip` is undone, as they are read: a data table
//! ([`TABLE_LIMIT`]) streams straight into the CSV reader on the blocking pool and is never
//! held whole; a TOML document ([`DOCUMENT_LIMIT`]) is read into one buffer and checked as
//! UTF-8 in place. Past the limit the request gets 413 naming it, and nothing more is inflated.

use crate::api::{AppState, Params};
use crate::auth::Caller;
use crate::error::ApiError;
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use scaleup_analysis::Report;
use scaleup_analysis::effectiveness;
use scaleup_domain::role::Capability;
use scaleup_econ::costing::Activity;
use scaleup_econ::voi::MAX_DECISION_YEARS;
use scaleup_stats::power::SolveFor;
use scaleup_storage::{HubYearActivity, OutcomePair, OutcomeRule, ProgrammeRow};
use serde::Deserialize;
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::time::Instant;

/// Analyses reading their input or computing at once; further requests wait their turn, for
/// a while.
pub const ANALYSIS_SLOTS: usize = 2;

/// Most bytes of a CSV data table (LMM, GLMM, GEE, ICC, EVPI draws) after decompression:
/// 128 MiB, a table at the reader's cell limit (16,777,216) at eight bytes a cell; a million
/// rows of a typical trial table is 30–40 MB. A table streams into the reader and is never
/// held as text; what it becomes in memory is bounded by the reader's cell and level limits
/// (`scaleup_analysis::table`), and its labels by this.
pub const TABLE_LIMIT: usize = 128 << 20;

/// Most bytes of any other analysis document (TOML specs and scenarios, and the small CSV
/// tables of meta-analysis and ICERs: studies and strategies) after decompression. The
/// largest shipped example is a few kilobytes; a 100-state Markov model is about 100 KB.
pub const DOCUMENT_LIMIT: usize = 1 << 20;

/// How long a request waits for an analysis slot before it gets 503.
pub const SLOT_WAIT: Duration = Duration::from_secs(5);

/// How long an upload may take once its slot is taken: a slot is one of two, and a caller
/// trickling a body must not keep it from everyone else. 128 MiB in two minutes is about
/// 9 Mbit/s; gzip shrinks CSV about fivefold on the wire.
pub const UPLOAD_TIME: Duration = Duration::from_secs(120);

/// What a 503 asks the caller to wait before trying again, in seconds.
const RETRY_AFTER_SECS: u64 = 10;

/// Chunks of an upload in flight between the socket and the CSV reader: with the decoder's
/// chunks of a few KiB, a few hundred KiB at most.
const UPLOAD_CHUNKS: usize = 16;

/// The analysis slots of one server and the limits on what an analysis may upload.
#[derive(Clone, Debug)]
pub struct AnalysisLimits {
    /// Permits for analyses reading or computing; [`ANALYSIS_SLOTS`] by default.
    pub slots: Arc<Semaphore>,
    /// How long a request waits for a slot before 503.
    pub slot_wait: Duration,
    /// Most bytes of a data table, decompressed.
    pub table_bytes: usize,
    /// Most bytes of any other document, decompressed.
    pub document_bytes: usize,
    /// How long the body may take to arrive once the slot is taken.
    pub upload_time: Duration,
}

impl Default for AnalysisLimits {
    fn default() -> Self {
        AnalysisLimits {
            slots: Arc::new(Semaphore::new(ANALYSIS_SLOTS)),
            slot_wait: SLOT_WAIT,
            table_bytes: TABLE_LIMIT,
            document_bytes: DOCUMENT_LIMIT,
            upload_time: UPLOAD_TIME,
        }
    }
}

impl AnalysisLimits {
    /// Takes a slot, waiting at most `slot_wait`.
    async fn take_slot(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        match tokio::time::timeout(self.slot_wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) => Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "shutting down",
            )),
            Err(_) => Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                format!(
                    "every analysis slot stayed busy for {} s; try again in {RETRY_AFTER_SECS} s",
                    self.slot_wait.as_secs_f64()
                ),
            )
            .with_retry_after(RETRY_AFTER_SECS)),
        }
    }
}

/// Which limit a route's body has.
#[derive(Clone, Copy)]
enum Kind {
    Table,
    Document,
}

impl Kind {
    fn limit(self, limits: &AnalysisLimits) -> usize {
        match self {
            Kind::Table => limits.table_bytes,
            Kind::Document => limits.document_bytes,
        }
    }
}

/// Why reading a body stopped early.
#[derive(Clone, Copy, Debug)]
enum Refusal {
    TooLarge(usize),
    TooSlow(Duration),
    Broken,
}

impl Refusal {
    fn error(self) -> ApiError {
        match self {
            Refusal::TooLarge(limit) => ApiError {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                code: "too_large",
                message: format!(
                    "the document is larger than {} once decompressed, the most this analysis accepts; run larger analyses with the `scaleup` command line",
                    size(limit)
                ),
                field: Some(BODY.into()),
                retry_after: None,
            },
            Refusal::TooSlow(time) => ApiError {
                status: StatusCode::REQUEST_TIMEOUT,
                code: "timeout",
                message: format!(
                    "the document did not arrive within {} s of the analysis slot being taken",
                    time.as_secs()
                ),
                field: Some(BODY.into()),
                retry_after: None,
            },
            Refusal::Broken => ApiError::invalid(
                BODY,
                "the body could not be read (broken off, or not the gzip its Content-Encoding says)",
            ),
        }
    }

    fn io_error(self) -> std::io::Error {
        std::io::Error::other(self.error().message)
    }
}

/// `1048576` → `1 MiB`.
fn size(bytes: usize) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes.is_multiple_of(1 << 10) {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

fn empty_body() -> ApiError {
    ApiError::invalid(BODY, "send the document (CSV or TOML) as the request body")
}

/// The next non-empty data chunk of the body (decompressed), `None` at its end.
async fn next_chunk(
    body: &mut Body,
    deadline: Instant,
    time: Duration,
) -> Result<Option<Bytes>, Refusal> {
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => return Err(Refusal::TooSlow(time)),
            Ok(None) => return Ok(None),
            Ok(Some(Err(_))) => return Err(Refusal::Broken),
            Ok(Some(Ok(frame))) => frame,
        };
        // Trailers carry nothing an analysis reads.
        if let Ok(data) = frame.into_data()
            && !data.is_empty()
        {
            return Ok(Some(data));
        }
    }
}

/// The body as text, read whole (it is at most `limit` bytes) within the slot's upload time.
/// The one buffer becomes the `String`: UTF-8 is checked in place, not in a copy.
async fn read_text(limits: &AnalysisLimits, body: Body, limit: usize) -> Result<String, ApiError> {
    let text = read_text_or_empty(limits, body, limit).await?;
    if text.is_empty() {
        return Err(empty_body());
    }
    Ok(text)
}

/// [`read_text`] where an empty body means something (the costs: use the stored price lists).
async fn read_text_or_empty(
    limits: &AnalysisLimits,
    mut body: Body,
    limit: usize,
) -> Result<String, ApiError> {
    let deadline = Instant::now() + limits.upload_time;
    let mut text = Vec::new();
    while let Some(chunk) = next_chunk(&mut body, deadline, limits.upload_time)
        .await
        .map_err(Refusal::error)?
    {
        if text.len() + chunk.len() > limit {
            return Err(Refusal::TooLarge(limit).error());
        }
        text.extend_from_slice(&chunk);
    }
    String::from_utf8(text).map_err(|e| {
        ApiError::invalid(
            BODY,
            format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
        )
    })
}

/// The blocking side of a streamed upload: chunks arrive from [`pump`] through a bounded
/// channel. An empty chunk marks the end; a channel closed without it means the request went
/// away, which is an error, never a short file.
pub struct UploadReader {
    rx: mpsc::Receiver<std::io::Result<Bytes>>,
    chunk: Bytes,
    done: bool,
}

impl Read for UploadReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.chunk.is_empty() {
            if self.done {
                return Ok(0);
            }
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) if chunk.is_empty() => self.done = true,
                Some(Ok(chunk)) => self.chunk = chunk,
                Some(Err(e)) => return Err(e),
                None => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "the upload broke off",
                    ));
                }
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk.split_to(n));
        Ok(n)
    }
}

/// Moves the body into the channel, counting decompressed bytes. Stops at the limit, at the
/// deadline, or when the reader has gone (the analysis failed early); says why it stopped
/// early, if it did. The reader is told too, so it never mistakes a refusal for the end.
async fn pump(
    mut body: Body,
    first: Bytes,
    tx: mpsc::Sender<std::io::Result<Bytes>>,
    limit: usize,
    deadline: Instant,
    time: Duration,
) -> Option<Refusal> {
    let mut total = first.len();
    if tx.send(Ok(first)).await.is_err() {
        return None;
    }
    loop {
        match next_chunk(&mut body, deadline, time).await {
            Ok(Some(chunk)) => {
                total += chunk.len();
                if total > limit {
                    let refusal = Refusal::TooLarge(limit);
                    let _ = tx.send(Err(refusal.io_error())).await;
                    return Some(refusal);
                }
                if tx.send(Ok(chunk)).await.is_err() {
                    return None;
                }
            }
            Ok(None) => {
                let _ = tx.send(Ok(Bytes::new())).await;
                return None;
            }
            Err(refusal) => {
                let _ = tx.send(Err(refusal.io_error())).await;
                return Some(refusal);
            }
        }
    }
}

/// Runs an analysis that reads a CSV table from the body. The slot is taken first; the body
/// then streams into `f` on the blocking pool, so the table is never held whole as text.
async fn analyse_table<F>(
    limits: &AnalysisLimits,
    body: Body,
    kind: Kind,
    f: F,
) -> Result<Report, ApiError>
where
    F: FnOnce(&mut UploadReader) -> anyhow::Result<Report> + Send + 'static,
{
    let permit = limits.take_slot().await?;
    let limit = kind.limit(limits);
    let deadline = Instant::now() + limits.upload_time;
    let mut body = body;
    // An empty body is the caller's mistake, not a table: say so before starting a reader.
    let first = match next_chunk(&mut body, deadline, limits.upload_time).await {
        Ok(Some(chunk)) if chunk.len() > limit => return Err(Refusal::TooLarge(limit).error()),
        Ok(Some(chunk)) => chunk,
        Ok(None) => return Err(empty_body()),
        Err(refusal) => return Err(refusal.error()),
    };
    let (tx, rx) = mpsc::channel(UPLOAD_CHUNKS);
    let task = tokio::task::spawn_blocking(move || {
        // The slot is held until the computation ends, even if the caller has gone.
        let _permit = permit;
        let mut reader = UploadReader {
            rx,
            chunk: Bytes::new(),
            done: false,
        };
        f(&mut reader)
    });
    let refused = pump(body, first, tx, limit, deadline, limits.upload_time).await;
    let outcome = task.await;
    // The reader saw the refusal as an I/O error inside whatever it was parsing; the refusal
    // is the answer.
    if let Some(refusal) = refused {
        return Err(refusal.error());
    }
    finish(outcome)
}

/// Reads a text document (within the slot) and runs an analysis of it.
async fn analyse_document<F>(limits: &AnalysisLimits, body: Body, f: F) -> Result<Report, ApiError>
where
    F: FnOnce(String) -> anyhow::Result<Report> + Send + 'static,
{
    let permit = limits.take_slot().await?;
    let text = read_text(limits, body, limits.document_bytes).await?;
    run_blocking(permit, move || f(text)).await
}

/// Runs an analysis without a body, within the concurrency limit.
async fn compute<F>(limits: &AnalysisLimits, f: F) -> Result<Report, ApiError>
where
    F: FnOnce() -> anyhow::Result<Report> + Send + 'static,
{
    let permit = limits.take_slot().await?;
    run_blocking(permit, f).await
}

/// Runs `f` on the blocking pool, holding `permit` until it ends.
async fn run_blocking<F>(permit: OwnedSemaphorePermit, f: F) -> Result<Report, ApiError>
where
    F: FnOnce() -> anyhow::Result<Report> + Send + 'static,
{
    finish(
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            f()
        })
        .await,
    )
}

/// An analysis's errors are about the input (they name the line and field), so they become
/// 422 with the message.
fn finish(
    outcome: Result<anyhow::Result<Report>, tokio::task::JoinError>,
) -> Result<Report, ApiError> {
    match outcome {
        Ok(Ok(report)) => Ok(report),
        Ok(Err(e)) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
            format!("{e:#}"),
        )),
        Err(_) => {
            tracing::error!("an analysis task panicked");
            Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "something went wrong on the server",
            ))
        }
    }
}

/// The label errors use for the uploaded document.
const BODY: &str = "body";

#[derive(Deserialize, Clone, Copy, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    #[default]
    Json,
    Text,
    Html,
}

fn respond(report: Report, format: OutputFormat) -> Result<Response, ApiError> {
    Ok(match format {
        OutputFormat::Json => {
            let mut json = report.json;
            if !report.warnings.is_empty()
                && let Some(obj) = json.as_object_mut()
            {
                obj.insert("warnings".into(), report.warnings.into());
            }
            Json(json).into_response()
        }
        OutputFormat::Text => {
            ([(CONTENT_TYPE, "text/plain; charset=utf-8")], report.text).into_response()
        }
        OutputFormat::Html => match report.html {
            Some(html) => ([(CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response(),
            None => {
                return Err(ApiError::invalid(
                    "format",
                    "this analysis has no HTML page; use json or text",
                ));
            }
        },
    })
}

/// A caller whose role may run analyses. As an extractor it runs before the query and body
/// are parsed, so a refused role gets 403 whatever it sent, never a 400 about its input.
pub struct Analyst(pub Caller);

impl FromRequestParts<AppState> for Analyst {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require(Capability::RunAnalyses)?;
        Ok(Analyst(caller))
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ModelQuery {
    formula: String,
    /// Comma-separated numeric columns to treat as factors.
    #[serde(default)]
    factors: Option<String>,
    #[serde(default)]
    ml: bool,
    #[serde(default)]
    blups: bool,
    #[serde(default)]
    no_df: bool,
    #[serde(default)]
    format: OutputFormat,
}

impl ModelQuery {
    fn request(&self) -> scaleup_analysis::models::ModelRequest {
        scaleup_analysis::models::ModelRequest {
            formula: self.formula.clone(),
            factors: split_list(self.factors.as_deref()),
            ml: self.ml,
            blups: self.blups,
            no_df: self.no_df,
        }
    }
}

pub async fn lmm(
    State(state): State<AppState>,
    _: Analyst,
    Params(q): Params<ModelQuery>,
    body: Body,
) -> Result<Response, ApiError> {
    let req = q.request();
    let report = analyse_table(&state.analyses, body, Kind::Table, move |input| {
        scaleup_analysis::models::lmm(BODY, input, &req)
    })
    .await?;
    respond(report, q.format)
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GlmmFamily {
    Binomial,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GlmmQuery {
    family: GlmmFamily,
    formula: String,
    #[serde(default)]
    factors: Option<String>,
    #[serde(default)]
    blups: bool,
    #[serde(default)]
    format: OutputFormat,
}

pub async fn glmm(
    State(state): State<AppState>,
    _: Analyst,
    Params(q): Params<GlmmQuery>,
    body: Body,
) -> Result<Response, ApiError> {
    let GlmmFamily::Binomial = q.family;
    let req = ModelQuery {
        formula: q.formula,
        factors: q.factors,
        blups: q.blups,
        ..ModelQuery::default()
    }
    .request();
    let report = analyse_table(&state.analyses, body, Kind::Table, move |input| {
        scaleup_analysis::models::glmm(BODY, input, &req)
    })
    .await?;
    respond(report, q.format)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormatQuery {
    #[serde(default)]
    format: OutputFormat,
}

/// The analyses whose whole input is one TOML document.
macro_rules! document_route {
    ($name:ident, $run:path) => {
        pub async fn $name(
            State(state): State<AppState>,
            _: Analyst,
            Params(q): Params<FormatQuery>,
            body: Body,
        ) -> Result<Response, ApiError> {
            let report = analyse_document(&state.analyses, body, |text| $run(BODY, &text)).await?;
            respond(report, q.format)
        }
    };
}

document_route!(power, scaleup_analysis::design::power);
document_route!(plan, scaleup_analysis::econ::plan);
document_route!(budget_impact, scaleup_analysis::econ::budget_impact);
document_route!(roi, scaleup_analysis::econ::roi);

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum Solve {
    Clusters,
    ClusterSize,
    NPerArm,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleSizeQuery {
    solve: Solve,
    #[serde(default = "default_power")]
    target_power: f64,
    #[serde(default)]
    format: OutputFormat,
}

fn default_power() -> f64 {
    0.8
}

pub async fn sample_size(
    State(state): State<AppState>,
    _: Analyst,
    Params(q): Params<SampleSizeQuery>,
    body: Body,
) -> Result<Response, ApiError> {
    let what = match q.solve {
        Solve::Clusters => SolveFor::Clusters,
        Solve::ClusterSize => SolveFor::ClusterSize,
        Solve::NPerArm => SolveFor::NPerArm,
    };
    let target = q.target_power;
    let report = analyse_document(&state.analyses, body, move |text| {
        scaleup_analysis::design::sample_size(BODY, &text, what, target)
    })
    .await?;
    respond(report, q.format)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WtpQuery {
    wtp: Option<f64>,
    #[serde(default)]
    format: OutputFormat,
}

pub async fn icers(
    State(state): State<AppState>,
    _: Analyst,
    Params(q): Params<WtpQuery>,
    body: Body,
) -> Result<Response, ApiError> {
    let wtp = q.wtp;
    let report = analyse_table(&state.analyses, body, Kind::Document, move |input| {
        scaleup_analysis::cea::icers(BODY, input, wtp)
    })
    .await?;
    respond(report, q.format)
}

pub async fn markov(
    State(state): State<AppState>,
    _: Analyst,
    Params(q): Params<WtpQuery>,
    body: Body,
) -> Result<Response, ApiError> {
    let wtp = q.wtp;
    let report = analyse_document(&state.analyses, body, move |text| {
        scaleup_analysis::cea::markov(BODY, &text, wtp)
    })
    .await?;
    respond(report, q.format)
}

/// What costing from recorded activity assumes where nothing is recorded; the defaults are
/// those of `scaleup econ cost --db`.
#[derive(Clone, Debug)]
pub struct CostingAssumptions {
    /// Counsellor administration minutes per session (not recorded; an assumption to state).
    pub admin_minutes_per_session: f64,
    /// Hours in one training day, to turn recorded training hours into trainee-days.
    pub training_hours_per_day: f64,
    /// Outcome instrument for responders and remissions.
    pub outcome_instrument: String,
    /// Response: at least this fractional reduction from baseline.
    pub response_fraction: f64,
    /// Remission: last score strictly below this.
    pub remission_below: f64,
}

impl Default for CostingAssumptions {
    fn default() -> Self {
        CostingAssumptions {
            admin_minutes_per_session: 0.0,
            training_hours_per_day: 8.0,
            outcome_instrument: "phq9".into(),
            response_fraction: 0.5,
            remission_below: 10.0,
        }
    }
}

impl CostingAssumptions {
    /// Rejects values no costing could use, naming the field.
    pub fn validate(&self) -> Result<(), ApiError> {
        if !(self.admin_minutes_per_session >= 0.0 && self.admin_minutes_per_session.is_finite()) {
            return Err(ApiError::invalid(
                "admin_minutes_per_session",
                "must be 0 or more",
            ));
        }
        if !(self.training_hours_per_day > 0.0 && self.training_hours_per_day <= 24.0) {
            return Err(ApiError::invalid(
                "training_hours_per_day",
                "must be above 0 and at most 24",
            ));
        }
        if !(self.response_fraction > 0.0 && self.response_fraction <= 1.0) {
            return Err(ApiError::invalid(
                "response_fraction",
                "must be above 0 and at most 1",
            ));
        }
        if !self.remission_below.is_finite() {
            return Err(ApiError::invalid("remission_below", "must be a number"));
        }
        Ok(())
    }

    /// The rule the store uses to count responders and remissions.
    pub fn outcome_rule(&self) -> OutcomeRule {
        OutcomeRule {
            instrument: self.outcome_instrument.clone(),
            response_fraction: self.response_fraction,
            remission_below: self.remission_below,
        }
    }

    /// Recorded activity in the costing model's units.
    pub fn activity(&self, rows: Vec<HubYearActivity>) -> Vec<Activity> {
        rows.into_iter()
            .map(|r| Activity {
                hub: r.hub_code,
                year: r.year,
                clients: r.clients as f64,
                sessions: r.sessions as f64,
                session_minutes: r.session_minutes,
                admin_minutes_per_session: self.admin_minutes_per_session,
                supervision_hours: r.supervision_hours,
                counsellor_supervision_hours: r.counsellor_supervision_hours,
                training_days: r.training_hours / self.training_hours_per_day,
                training_events: r.training_courses as f64,
                responders: Some(r.responders as f64),
                remissions: Some(r.remissions as f64),
            })
            .collect()
    }
}

/// The assumptions and the format. Spelled out rather than `#[serde(flatten)]`, which makes
/// query-string numbers arrive as strings.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostsQuery {
    admin_minutes_per_session: Option<f64>,
    training_hours_per_day: Option<f64>,
    outcome_instrument: Option<String>,
    response_fraction: Option<f64>,
    remission_below: Option<f64>,
    #[serde(default)]
    format: OutputFormat,
}

impl CostsQuery {
    fn assumptions(&self) -> CostingAssumptions {
        let d = CostingAssumptions::default();
        CostingAssumptions {
            admin_minutes_per_session: self
                .admin_minutes_per_session
                .unwrap_or(d.admin_minutes_per_session),
            training_hours_per_day: self
                .training_hours_per_day
                .unwrap_or(d.training_hours_per_day),
            outcome_instrument: self
                .outcome_instrument
                .clone()
                .unwrap_or(d.outcome_instrument),
            response_fraction: self.response_fraction.unwrap_or(d.response_fraction),
            remission_below: self.remission_below.unwrap_or(d.remission_below),
        }
    }
}

/// The stored price-list files the caller's hubs may use, most authoritative first: a hub's
/// own files (which price that hub only) before network-wide ones, newer before older.
pub async fn stored_price_sources(
    store: &scaleup_storage::Store,
    actor: &scaleup_storage::Actor,
) -> Result<Vec<scaleup_econ::costing::PriceSource>, scaleup_storage::StoreError> {
    let mut rows = store.price_lists(actor).await?;
    rows.reverse();
    rows.sort_by_key(|r| r.hub_id.is_none());
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            // Checked when stored; a file that no longer parses (a stricter rule since) is
            // left out, as the catalogue leaves out a definition that no longer loads.
            let file = scaleup_econ::costing::parse_costing_file(&r.source).ok()?;
            Some(scaleup_econ::costing::PriceSource {
                origin: r.origin,
                file,
            })
        })
        .collect())
}

/// Costs the activity recorded in the caller's hubs with the price lists in the body or, with
/// an empty body, with the price lists stored for those hubs (years without one are named in
/// the warnings).
pub async fn costs(
    State(state): State<AppState>,
    Analyst(caller): Analyst,
    Params(q): Params<CostsQuery>,
    body: Body,
) -> Result<Response, ApiError> {
    let assumptions = q.assumptions();
    assumptions.validate()?;
    let permit = state.analyses.take_slot().await?;
    let text = read_text_or_empty(&state.analyses, body, state.analyses.document_bytes).await?;
    let rows = state
        .store
        .activity_by_hub_year(Some(&caller.actor), None, Some(&assumptions.outcome_rule()))
        .await?;
    let recorded = assumptions.activity(rows);
    let report = if text.trim().is_empty() {
        let sources = stored_price_sources(&state.store, &caller.actor).await?;
        run_blocking(permit, move || {
            scaleup_analysis::econ::stored_costs(&sources, recorded)
        })
        .await?
    } else {
        run_blocking(permit, move || {
            scaleup_analysis::econ::costs(BODY, &text, recorded)
        })
        .await?
    };
    respond(report, q.format)
}

/// Runs the effectiveness analysis on a programme as stored (shared with `scaleup analyze`).
pub fn effectiveness_report(
    programme: &ProgrammeRow,
    pairs: &[OutcomePair],
    options: &effectiveness::Options,
) -> anyhow::Result<Report> {
    let changes: Vec<effectiveness::OutcomeChange> = pairs
        .iter()
        .map(|p| effectiveness::OutcomeChange {
            facility_id: &p.facility_id,
            baseline_on: &p.baseline_on,
            baseline: p.baseline,
            follow_up: p.follow_up,
        })
        .collect();
    let input = effectiveness::Programme {
        code: &programme.code,
        start_date: &programme.start_date,
        design: &programme.design,
        sites: &programme.sites,
    };
    effectiveness::effectiveness(&input, &changes, options)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EffectivenessQuery {
    instrument: Option<String>,
    occasion: Option<String>,
    cluster_period: Option<bool>,
    level: Option<f64>,
    #[serde(default)]
    format: OutputFormat,
}

/// The design's standard effectiveness model on a programme of the caller's hubs.
pub async fn programme_effectiveness(
    State(state): State<AppState>,
    Analyst(caller): Analyst,
    Path(code): Path<String>,
    Params(q): Params<EffectivenessQuery>,
) -> Result<Response, ApiError> {
    let defaults = effectiveness::Options::default();
    let options = effectiveness::Options {
        instrument: q.instrument,
        occasion: q.occasion.unwrap_or(defaults.occasion),
        cluster_period: q.cluster_period.unwrap_or(defaults.cluster_period),
        level: q.level.unwrap_or(defaults.level),
    };
    options.validate().map_err(|e| {
        let msg = e.to_string();
        let field = msg.split(':').next().unwrap_or("query").to_string();
        ApiError::invalid(field, msg)
    })?;
    // Programme codes are unique within a hub; the caller's hubs decide which one is meant.
    let mut found: Vec<ProgrammeRow> = state
        .store
        .programmes(&caller.actor)
        .await?
        .into_iter()
        .filter(|p| p.code == code)
        .collect();
    if found.len() > 1 {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "ambiguous",
            format!(
                "{} of your hubs have a programme with this code",
                found.len()
            ),
        ));
    }
    let programme = found.pop().ok_or_else(ApiError::not_found)?;
    let instrument = options.instrument_for(&programme.design);
    let pairs = state
        .store
        .outcome_pairs(
            Some(&caller.actor),
            &programme.id,
            &instrument,
            &options.occasion,
        )
        .await?;
    let report = compute(&state.analyses, move || {
        effectiveness_report(&programme, &pairs, &options)
    })
    .await?;
    respond(report, q.format)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeeQuery {
    formula: String,
    family: scaleup_analysis::gee_meta::GeeFamily,
    #[serde(default)]
    corr: scaleup_analysis::gee_meta::GeeCorrelation,
    group: String,
    small_sample: Option<scaleup_analysis::gee_meta::GeeSmallSample>,
    factors: Option<String>,
    #[serde(default)]
    format: OutputFormat,
}

pub async fn gee(
    State(state): State<AppState>,
    _: Analyst,
    Params(q): Params<GeeQuery>,
    body: Body,
) -> Result<Response, ApiError> {
    let req = scaleup_analysis::gee_meta::GeeRequest {
        formula: q.formula,
        family: q.family,
        corr: q.corr,
        group: q.group,
        small_sample: q.small_sample,
        factors: split_list(q.factors.as_deref()),
    };
    let report = analyse_table(&state.analyses, body, Kind::Table, move |input| {
        scaleup_analysis::gee_meta::gee(BODY, input, &req)
    })
    .await?;
    respond(report, q.format)
}

/// `a,b, c` → `["a", "b", "c"]`.
fn split_list(list: Option<&str>) -> Vec<String> {
    list.into_iter()
        .flat_map(|f| f.split(','))
        .map(|f| f.trim().to_string())
        .filter(|f| !f.is_empty())
        .collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetaQuery {
    estimate: String,
    se: String,
    label: Option<String>,
    df: Option<String>,
    #[serde(default)]
    method: scaleup_analysis::gee_meta::MetaMethodArg,
    #[serde(default)]
    knapp_hartung: bool,
    #[serde(default)]
    kh_truncate: bool,
    level: Option<f64>,
    axis_label: Option<String>,
    #[serde(default)]
    format: OutputFormat,
}

pub async fn meta(
    State(state): State<AppState>,
    _: Analyst,
    Params(q): Params<MetaQuery>,
    body: Body,
) -> Result<Response, ApiError> {
    let req = scaleup_analysis::gee_meta::MetaRequest {
        estimate: q.estimate,
        se: q.se,
        label: q.label,
        df: q.df,
        method: q.method,
        knapp_hartung: q.knapp_hartung,
        kh_truncate: q.kh_truncate,
        level: q.level.unwrap_or(0.95),
        axis_label: q.axis_label.unwrap_or_else(|| "Estimate".into()),
    };
    let report = analyse_table(&state.analyses, body, Kind::Document, move |input| {
        scaleup_analysis::gee_meta::meta(BODY, input, &req).map(|m| m.report)
    })
    .await?;
    respond(report, q.format)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IccQuery {
    formula: String,
    factors: Option<String>,
    #[serde(default)]
    format: OutputFormat,
}

pub async fn icc(
    State(state): State<AppState>,
    _: Analyst,
    Params(q): Params<IccQuery>,
    body: Body,
) -> Result<Response, ApiError> {
    let factors = split_list(q.factors.as_deref());
    let formula = q.formula;
    let report = analyse_table(&state.analyses, body, Kind::Table, move |input| {
        scaleup_analysis::gee_meta::icc(BODY, input, &formula, &factors)
    })
    .await?;
    respond(report, q.format)
}

/// Most PSA draws one request may ask for: a server shares two cores among everyone, and the
/// command line is there for bigger runs (docs/benchmarks.md: 100k draws of a 10-state model
/// take seconds).
pub const MAX_PSA_DRAWS: usize = 100_000;

/// Most state-transition steps one PSA request may take (about ten seconds on one core).
pub const MAX_PSA_STEPS: usize = 20_000_000_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PsaQuery {
    draws: Option<usize>,
    seed: Option<u64>,
    /// Comma-separated willingness-to-pay values.
    wtp: String,
    #[serde(default)]
    format: OutputFormat,
}

fn parse_wtp(list: &str) -> Result<Vec<f64>, ApiError> {
    let values: Result<Vec<f64>, _> = list.split(',').map(|v| v.trim().parse::<f64>()).collect();
    match values {
        Ok(v) if !v.is_empty() && v.iter().all(|x| x.is_finite() && *x >= 0.0) => Ok(v),
        _ => Err(ApiError::invalid(
            "wtp",
            "comma-separated numbers of at least 0, e.g. 0,1000,5000",
        )),
    }
}

pub async fn psa(
    State(state): State<AppState>,
    _: Analyst,
    Params(q): Params<PsaQuery>,
    body: Body,
) -> Result<Response, ApiError> {
    let draws = q.draws.unwrap_or(1000);
    if !(1..=MAX_PSA_DRAWS).contains(&draws) {
        return Err(ApiError::invalid(
            "draws",
            format!("must be between 1 and {MAX_PSA_DRAWS}"),
        ));
    }
    let wtp = parse_wtp(&q.wtp)?;
    let seed = q.seed.unwrap_or(1);
    let report = analyse_document(&state.analyses, body, move |text| {
        let model = scaleup_analysis::cea::load_model(BODY, &text)?;
        let per_draw = model
            .states()
            .len()
            .saturating_pow(2)
            .saturating_mul(model.cycles())
            .saturating_mul(model.strategy_names().len());
        if per_draw.saturating_mul(draws) > MAX_PSA_STEPS {
            anyhow::bail!(
                "draws: this model allows at most {} draws per request (states² × cycles × strategies × draws ≤ {MAX_PSA_STEPS}); run larger analyses with `scaleup econ psa`",
                (MAX_PSA_STEPS / per_draw.max(1)).max(1)
            );
        }
        let cfg = scaleup_econ::psa::PsaConfig {
            draws,
            seed,
            wtp,
            chunk_size: 4096,
            // One analysis slot, one core: results do not depend on the thread count.
            threads: 1,
            keep_points: 1000,
        };
        let result = scaleup_econ::psa::run_psa(&model, &cfg, |_| Ok(()))
            .map_err(|e| anyhow::anyhow!("{BODY}: PSA failed: {e}"))?;
        scaleup_analysis::uncertainty::psa_report(&model, &result, seed)
    })
    .await?;
    respond(report, q.format)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvpiQuery {
    wtp: f64,
    population: Option<f64>,
    years: Option<u32>,
    discount: Option<f64>,
    /// Comma-separated parameter columns for partial EVPI.
    evppi: Option<String>,
    evppi_groups: Option<usize>,
    #[serde(default)]
    format: OutputFormat,
}

pub async fn evpi(
    State(state): State<AppState>,
    _: Analyst,
    Params(q): Params<EvpiQuery>,
    body: Body,
) -> Result<Response, ApiError> {
    let years = q.years.unwrap_or(1);
    // Checked before a slot is taken or a byte read: the horizon sizes a loop.
    if !(1..=MAX_DECISION_YEARS).contains(&years) {
        return Err(ApiError::invalid(
            "years",
            format!("must be between 1 and {MAX_DECISION_YEARS}"),
        ));
    }
    let req = scaleup_analysis::uncertainty::EvpiRequest {
        wtp: q.wtp,
        population: q.population,
        years,
        discount: q.discount.unwrap_or(0.0),
        evppi: split_list(q.evppi.as_deref()),
        evppi_groups: q.evppi_groups,
    };
    let report = analyse_table(&state.analyses, body, Kind::Table, move |input| {
        scaleup_analysis::uncertainty::evpi(BODY, input, &req)
    })
    .await?;
    respond(report, q.format)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwsaQuery {
    wtp: f64,
    parameter: Option<String>,
    low: Option<f64>,
    high: Option<f64>,
    strategy: Option<String>,
    comparator: Option<String>,
    #[serde(default)]
    format: OutputFormat,
}

pub async fn owsa(
    State(state): State<AppState>,
    _: Analyst,
    Params(q): Params<OwsaQuery>,
    body: Body,
) -> Result<Response, ApiError> {
    let req = scaleup_analysis::uncertainty::OwsaRequest {
        parameter: q.parameter,
        low: q.low,
        high: q.high,
        wtp: q.wtp,
        strategy: q.strategy,
        comparator: q.comparator,
    };
    let report = analyse_document(&state.analyses, body, move |text| {
        let model = scaleup_analysis::cea::load_model(BODY, &text)?;
        scaleup_analysis::uncertainty::owsa(BODY, &model, &req).map(|o| o.report)
    })
    .await?;
    respond(report, q.format)
}
