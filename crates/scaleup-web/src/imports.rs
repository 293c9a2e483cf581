//! Imports over HTTP (`POST /api/v1/imports/odk`, `/redcap`, `/dhis2-tracker`), and
//! [`Importer`], the one loop that turns the readers' units into pushed records, shared with
//! `scaleup import` so the command line and the API count, batch and report alike.
//!
//! Records go through `Store::import_records` → `Store::push` as the caller, from the device
//! `import:<source>`: the permissions, validation, protocol rules, scoring, alerts and audit of
//! sync. Only the roles that write care records (counsellors, supervisors) may import; the
//! body is bounded like a sync push. Reports name file, row and column, never a value.
//!
//! An ODK Central export zip sent as the `file` (known by its bytes, whatever its name) is read
//! as it is: `scaleup_interop::import::central` finds the submissions' and the repeat groups'
//! CSVs in it and measures them against the upload limit before a row is read, then streams
//! them from the spooled file entry by entry. KoboToolbox's XLSX export (a zip too, sent with a
//! mapping whose source is `kobo`) is read by `scaleup_interop::import::kobo`: measured, its
//! submissions' sheet and each repeat group's read whole (it is small by KoboToolbox's own
//! limits; a larger one is refused before reading), then joined as Central's CSVs are.

use crate::api::{AppState, Body};
use crate::auth::Caller;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{FromRequest, State};
use axum::http::StatusCode;
use scaleup_domain::role::Capability;
use scaleup_interop::import::central::{self, CentralZip};
use scaleup_interop::import::kobo::{self, KoboWorkbook};
use scaleup_interop::import::mapping::{
    Join, Mapping, Pass, Source as MappingSource, Tables, read_export,
};
use scaleup_interop::import::table::{RowSource, Table};
use scaleup_interop::import::{ImportError, ImportedRecord, Location, Targets, Unit, dhis2};
use scaleup_storage::{AckStatus, Actor, IncomingRecord, Store, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

/// Most problems listed in a report (the rest are counted).
pub const MAX_PROBLEMS: usize = 500;

/// Records per push.
pub const DEFAULT_BATCH: usize = 200;

/// What an import did.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    /// Source units read: CSV rows, DHIS2 objects.
    pub rows: u64,
    /// Units refused whole by the reader (nothing of them was sent).
    pub rows_refused: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Kept as sync conflicts for review (a record edited in scaleup since the last import).
    pub conflicts: u64,
    /// Refused by the server's rules.
    pub rejected: u64,
    /// Dry run: records that do not exist yet.
    pub would_create: u64,
    /// Dry run: records that exist (an import would update them or leave them unchanged).
    pub would_replace: u64,
}

/// Batches units' records, pushes them and counts what happened.
pub struct Importer<'a> {
    store: &'a Store,
    actor: Actor,
    device: String,
    batch: usize,
    dry_run: bool,
    pending: Vec<(String, ImportedRecord)>,
    summary: Summary,
    problems: Vec<String>,
    problem_count: u64,
}

impl<'a> Importer<'a> {
    pub fn new(store: &'a Store, actor: Actor, source: &str, batch: usize, dry_run: bool) -> Self {
        Importer {
            store,
            actor,
            device: format!("import:{source}"),
            batch: batch.max(1),
            dry_run,
            pending: Vec::new(),
            summary: Summary::default(),
            problems: Vec::new(),
            problem_count: 0,
        }
    }

    fn problem(&mut self, line: String) {
        self.problem_count += 1;
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(line);
        }
    }

    /// Takes the problems found so far (for a command that prints as it goes).
    pub fn take_problems(&mut self) -> Vec<String> {
        std::mem::take(&mut self.problems)
    }

    /// One unit: its records are queued (and a full batch pushed), or its errors reported.
    pub async fn unit(&mut self, unit: Unit) -> Result<(), StoreError> {
        self.summary.rows += 1;
        match unit.outcome {
            Ok(records) => {
                let at = unit.location.to_string();
                self.pending
                    .extend(records.into_iter().map(|r| (at.clone(), r)));
                if self.pending.len() >= self.batch {
                    self.flush().await?;
                }
            }
            Err(errors) => {
                self.summary.rows_refused += 1;
                for e in errors {
                    self.problem(format!("refused: {e}"));
                }
            }
        }
        Ok(())
    }

    /// Pushes what is queued.
    pub async fn flush(&mut self) -> Result<(), StoreError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.pending);
        if self.dry_run {
            let ids: Vec<String> = batch.iter().map(|(_, r)| r.id.to_string()).collect();
            let existing = self.store.record_versions(&self.actor, &ids).await?;
            for id in ids {
                if existing.contains_key(&id) {
                    self.summary.would_replace += 1;
                } else {
                    self.summary.would_create += 1;
                }
            }
            return Ok(());
        }
        let incoming: Vec<IncomingRecord> = batch
            .iter()
            .map(|(_, r)| IncomingRecord {
                kind: json!(r.kind.as_str()),
                id: json!(r.id.to_string()),
                base_version: None,
                device_time: Some(r.device_time.clone()),
                data: r.data.clone(),
            })
            .collect();
        let acks = self
            .store
            .import_records(&self.actor, &self.device, incoming)
            .await?;
        for ((at, r), ack) in batch.iter().zip(acks) {
            match ack.status {
                AckStatus::Created => self.summary.created += 1,
                AckStatus::Updated => self.summary.updated += 1,
                AckStatus::Unchanged => self.summary.unchanged += 1,
                AckStatus::Conflict => {
                    self.summary.conflicts += 1;
                    self.problem(format!(
                        "conflict: {at}: {} record kept as a sync conflict for review",
                        r.kind.as_str()
                    ));
                }
                AckStatus::Rejected => {
                    self.summary.rejected += 1;
                    let why = ack
                        .error
                        .map(|e| match e.field {
                            Some(f) => format!("{f}: {}", e.message),
                            None => e.message,
                        })
                        .unwrap_or_default();
                    self.problem(format!("rejected: {at}: {} record: {why}", r.kind.as_str()));
                }
            }
        }
        Ok(())
    }

    /// Pushes the rest and returns the summary, the problems not yet taken and how many
    /// problems there were in all.
    pub async fn finish(mut self) -> Result<(Summary, Vec<String>, u64), StoreError> {
        self.flush().await?;
        Ok((self.summary, self.problems, self.problem_count))
    }
}

/// The programmes, facilities and accounts a mapping may name, as the actor sees them.
/// A facility code two visible hubs share is left out (it cannot say which facility it is).
pub async fn resolve_targets(
    store: &Store,
    actor: &Actor,
    usernames: &[String],
) -> Result<Targets, StoreError> {
    let mut targets = Targets::default();
    for p in store.programmes(actor).await? {
        if let Ok(id) = Uuid::parse_str(&p.id) {
            targets.programmes.insert(p.code, id);
        }
    }
    let mut ambiguous = std::collections::BTreeSet::new();
    for u in store.org_units(actor, None).await? {
        if u.level.as_str() != "facility" {
            continue;
        }
        if let Ok(id) = Uuid::parse_str(&u.id)
            && targets.facilities.insert(u.code.clone(), id).is_some()
        {
            ambiguous.insert(u.code);
        }
    }
    for code in ambiguous {
        targets.facilities.remove(&code);
    }
    for name in usernames {
        if let Some(u) = store.user_by_username(name).await?
            && u.active
            && let Ok(id) = Uuid::parse_str(&u.id)
        {
            targets.users.insert(name.clone(), id);
        }
    }
    Ok(targets)
}

/// The body of an import request sent as JSON (at most 16 MiB, like a sync push); larger
/// files go as `multipart/form-data`, which is spooled to disk ([`ImportLimits`]).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportBody {
    /// The mapping file's text (TOML), as `scaleup import --mapping` reads it.
    mapping: String,
    /// The export's text (CSV or JSON, UTF-8).
    content: String,
    /// The file name to use in reports (default `upload`).
    #[serde(default)]
    file_name: Option<String>,
    #[serde(default)]
    dry_run: bool,
    /// DHIS2 Tracker only: the programme (code) the tracked entities are clients of.
    #[serde(default)]
    programme: Option<String>,
}

/// Limits of multipart imports (the API's and the page's), part of `AppState`.
#[derive(Clone, Debug)]
pub struct ImportLimits {
    /// Most bytes of an upload, decompressed; past it the request gets 413
    /// (`scaleup serve --import-max-bytes`).
    pub max_bytes: u64,
    /// Where uploads are spooled (the system's temporary folder when `None`). The files are
    /// unlinked from the start, so nothing is left behind.
    pub spool_dir: Option<std::path::PathBuf>,
    /// Multipart imports at once, upload and import (`scaleup serve --imports-at-once`): each
    /// may spool `max_bytes` to disk, so this bounds the disk in use; one more gets 503 with
    /// Retry-After before a byte of its body is read.
    pub slots: std::sync::Arc<tokio::sync::Semaphore>,
    /// The longest an upload may take to arrive (`--import-upload-seconds`): a body trickling
    /// in holds a slot and a file, so past it the request gets 408.
    pub upload_time: std::time::Duration,
}

/// Multipart imports at once by default.
pub const DEFAULT_IMPORTS_AT_ONCE: usize = 2;

/// The default time an upload may take to arrive: 30 minutes (1 GiB at 5 Mbit/s).
pub const DEFAULT_UPLOAD_SECONDS: u64 = 30 * 60;

impl ImportLimits {
    /// Limits with `at_once` slots.
    pub fn new(
        max_bytes: u64,
        spool_dir: Option<std::path::PathBuf>,
        at_once: usize,
        upload_time: std::time::Duration,
    ) -> Self {
        ImportLimits {
            max_bytes,
            spool_dir,
            slots: std::sync::Arc::new(tokio::sync::Semaphore::new(at_once.max(1))),
            upload_time,
        }
    }
}

/// The default bound of an upload: 1 GiB.
pub const DEFAULT_MAX_UPLOAD: u64 = 1 << 30;

/// Most bytes of a mapping file.
pub const MAX_MAPPING_BYTES: u64 = 1 << 20;

/// Units read ahead of the pushes: the reader waits when the queue is full, so memory holds
/// this many units and one batch, whatever the file's size.
const UNIT_QUEUE: usize = 256;

impl Default for ImportLimits {
    fn default() -> Self {
        ImportLimits::new(
            DEFAULT_MAX_UPLOAD,
            None,
            DEFAULT_IMPORTS_AT_ONCE,
            std::time::Duration::from_secs(DEFAULT_UPLOAD_SECONDS),
        )
    }
}

/// Which kind of export a request carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// ODK Central or KoboToolbox: a submission CSV, Central's export zip or Kobo's XLSX export.
    Odk,
    /// REDCap flat record export (CSV).
    Redcap,
    /// DHIS2 Tracker payload (JSON).
    Dhis2Tracker,
}

impl Source {
    /// Every source, in the order a form lists them.
    pub const ALL: [Source; 3] = [Source::Odk, Source::Redcap, Source::Dhis2Tracker];

    /// The name in routes and forms: `odk`, `redcap`, `dhis2-tracker`.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Odk => "odk",
            Source::Redcap => "redcap",
            Source::Dhis2Tracker => "dhis2-tracker",
        }
    }

    pub fn parse(text: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// The export's bytes: a JSON request's text, or a section of a spooled upload.
pub(crate) enum Content {
    Text(axum::body::Bytes),
    Spooled(crate::spool::Section),
}

/// A reader that can seek, as a zip's reader needs.
pub(crate) trait ReadSeek: std::io::Read + std::io::Seek + Send {}

impl<T: std::io::Read + std::io::Seek + Send> ReadSeek for T {}

impl Content {
    /// A reader from the start (blocking I/O for a spooled upload).
    fn open(&self) -> std::io::Result<Box<dyn std::io::Read + Send>> {
        Ok(match self {
            Content::Text(b) => Box::new(std::io::Cursor::new(b.clone())),
            Content::Spooled(s) => Box::new(s.open()?),
        })
    }

    /// A reader that can seek (blocking I/O for a spooled upload).
    fn seekable(&self) -> std::io::Result<Box<dyn ReadSeek>> {
        Ok(match self {
            Content::Text(b) => Box::new(std::io::Cursor::new(b.clone())),
            Content::Spooled(s) => {
                Box::new(std::io::BufReader::with_capacity(64 << 10, s.seekable()?))
            }
        })
    }

    fn try_clone(&self) -> std::io::Result<Content> {
        Ok(match self {
            Content::Text(b) => Content::Text(b.clone()),
            Content::Spooled(s) => Content::Spooled(s.try_clone()?),
        })
    }

    /// Whether the content begins as a zip does (blocking I/O for a spooled upload).
    fn is_zip(&self) -> std::io::Result<bool> {
        let mut head = Vec::with_capacity(4);
        std::io::Read::read_to_end(&mut std::io::Read::take(self.open()?, 4), &mut head)?;
        Ok(central::is_zip(&head))
    }
}

/// What an ODK, Kobo or REDCap import reads: a CSV with its repeat groups' CSVs (group, file
/// name, contents), ODK Central's export zip, opened and measured, or KoboToolbox's XLSX
/// export, its sheets read.
enum Tabular {
    Csv {
        content: Content,
        groups: Vec<(String, String, Content)>,
    },
    Zip(Box<CentralZip<Box<dyn ReadSeek>>>),
    Workbook(Box<KoboWorkbook>),
}

/// One import, however it arrived.
pub(crate) struct ImportRequest {
    pub source: Source,
    pub mapping: String,
    pub content: Content,
    /// The name reports give the file.
    pub file_name: String,
    pub dry_run: bool,
    /// DHIS2 Tracker only.
    pub programme: Option<String>,
    /// ODK Central only: the CSVs of repeat groups from the same export, each with its file
    /// name (`<form>-<group>.csv`, which names the mapping's `[[repeats]]` group).
    pub repeats: Vec<(String, Content)>,
    /// ODK Central's export zip: the most bytes the CSVs read from it may take once unzipped
    /// (the server's import limit, as for an upload).
    pub max_unzipped: u64,
}

/// What an import did: the summary, the first [`MAX_PROBLEMS`] problems (file, row and
/// column, never a value) and how many there were.
#[derive(Clone, Debug, Serialize)]
pub struct ImportReport {
    pub summary: Summary,
    pub problems: Vec<String>,
    pub problems_total: u64,
}

/// Why an import did not run: the mapping or the file cannot be used (nothing was written),
/// or the store failed.
pub(crate) enum ImportFailure {
    Invalid {
        field: &'static str,
        message: String,
    },
    Store(StoreError),
    Internal(&'static str),
}

impl From<StoreError> for ImportFailure {
    fn from(e: StoreError) -> Self {
        ImportFailure::Store(e)
    }
}

impl From<ImportFailure> for ApiError {
    fn from(f: ImportFailure) -> Self {
        match f {
            ImportFailure::Invalid { field, message } => ApiError::invalid(field, message),
            ImportFailure::Store(e) => e.into(),
            ImportFailure::Internal(cause) => {
                tracing::error!(cause, "import failed");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "something went wrong",
                )
            }
        }
    }
}

fn today() -> (scaleup_domain::date::Date, String) {
    let now = time::OffsetDateTime::now_utc();
    let date = scaleup_domain::date::Date::parse(
        &format!(
            "{:04}-{:02}-{:02}",
            now.year(),
            u8::from(now.month()),
            now.day()
        ),
        "today",
    )
    .expect("the clock gives a valid date");
    let stamp = format!(
        "{}T{:02}:{:02}:{:02}Z",
        date,
        now.hour(),
        now.minute(),
        now.second()
    );
    (date, stamp)
}

fn invalid(field: &'static str, errors: &[scaleup_interop::import::ImportError]) -> ImportFailure {
    let lines: Vec<String> = errors.iter().take(50).map(|e| e.to_string()).collect();
    ImportFailure::Invalid {
        field,
        message: lines.join("; "),
    }
}

/// The CSV of an ODK, Kobo or REDCap import and its repeat groups' CSVs: every repeat CSV names a
/// group of the mapping, and every group has its CSV, as on the command line (`scaleup import
/// odk --repeat GROUP=FILE`).
fn csv_with_groups(
    mapping: &Mapping,
    content: Content,
    repeats: Vec<(String, Content)>,
) -> Result<Tabular, ImportFailure> {
    if mapping.source == MappingSource::Kobo && (!mapping.repeats.is_empty() || !repeats.is_empty())
    {
        return Err(ImportFailure::Invalid {
            field: "file",
            message: "KoboToolbox's CSV export cannot hold repeat groups: send its XLSX export (\"XML values and headers\") as the file".into(),
        });
    }
    let mut groups: Vec<(String, String, Content)> = Vec::new();
    for (name, part) in repeats {
        let Some(group) = mapping.repeat_group_of_file(&name) else {
            return Err(ImportFailure::Invalid {
                field: "repeat",
                message: format!(
                    "{name}: names no [[repeats]] group of the mapping (it has: {}); Central names a repeat's CSV <form>-<group>.csv",
                    mapping.repeat_group_names()
                ),
            });
        };
        if groups.iter().any(|(given, _, _)| given == group) {
            return Err(ImportFailure::Invalid {
                field: "repeat",
                message: format!(
                    "{name}: a second CSV of the repeat group {group}: send each group's CSV once"
                ),
            });
        }
        groups.push((group.to_string(), name, part));
    }
    if let Some(group) =
        mapping.repeat_without_file(|g| groups.iter().any(|(given, _, _)| given == g))
    {
        return Err(ImportFailure::Invalid {
            field: "repeat",
            message: format!(
                "the mapping reads the repeat group {group}: send its CSV as a `repeat` file, or send Central's export zip as the file"
            ),
        });
    }
    Ok(Tabular::Csv { content, groups })
}

/// The CSVs of an ODK import sent one by one (the file and its `repeat` parts), each opened
/// from the spool again for each reading `read_export` asks for.
struct CsvParts {
    main: (String, Content),
    /// Group, file name, contents.
    groups: Vec<(String, String, Content)>,
}

/// A part opened as a table, or why not (named as the file).
fn part_table(name: &str, part: &Content) -> Result<Box<dyn RowSource>, Vec<ImportError>> {
    let input = part
        .open()
        .map_err(|_| vec![Location::file(name).error("the file could not be read")])?;
    Ok(Box::new(Table::new(name, input).map_err(|e| vec![e])?))
}

impl Tables for CsvParts {
    fn join(&self) -> Join {
        Join::Central
    }

    fn main(&mut self, _: Pass) -> Result<Box<dyn RowSource + '_>, Vec<ImportError>> {
        part_table(&self.main.0, &self.main.1)
    }

    fn group(&mut self, group: &str, _: Pass) -> Result<Box<dyn RowSource + '_>, Vec<ImportError>> {
        match self.groups.iter().find(|(g, _, _)| g == group) {
            Some((_, name, part)) => part_table(name, part),
            None => Err(vec![Location::file(&self.main.0).error(format!(
                "the repeat group {group} has no CSV: send it as a `repeat` file"
            ))]),
        }
    }
}

/// ODK Central's export zip sent as the file: opened from the spool, its CSVs found and
/// measured (blocking I/O, off the runtime) before anything is read or written.
async fn central_zip(
    mapping: &Mapping,
    content: Content,
    file_name: &str,
    repeats: Vec<(String, Content)>,
    max_unzipped: u64,
) -> Result<Tabular, ImportFailure> {
    if mapping.source != MappingSource::Odk {
        return Err(ImportFailure::Invalid {
            field: "file",
            message: format!(
                "{file_name} is a zip: scaleup reads a zip only as ODK Central's export (POST /api/v1/imports/odk with a mapping whose source is \"odk\") or KoboToolbox's XLSX export (source \"kobo\"); unzip it and send the CSV"
            ),
        });
    }
    if !repeats.is_empty() {
        return Err(ImportFailure::Invalid {
            field: "repeat",
            message: format!(
                "{file_name} is ODK Central's export zip, which carries its repeat groups' CSVs: send the zip alone"
            ),
        });
    }
    let mapping = mapping.clone();
    let zip = open_seekable(content, file_name, move |name, input| {
        CentralZip::open(name, input, &mapping, max_unzipped)
    })
    .await?;
    Ok(Tabular::Zip(Box::new(zip)))
}

/// Opens `content` (named `file_name`) with a reader that can seek and hands it to `open`, off
/// the runtime (blocking I/O on the spool); `open`'s refusal is the `file` field's.
async fn open_seekable<T: Send + 'static>(
    content: Content,
    file_name: &str,
    open: impl FnOnce(&str, Box<dyn ReadSeek>) -> Result<T, scaleup_interop::import::ImportError>
    + Send
    + 'static,
) -> Result<T, ImportFailure> {
    let name = file_name.to_string();
    tokio::task::spawn_blocking(move || {
        let input = content
            .seekable()
            .map_err(|_| Location::file(&name).error("the file could not be read"))?;
        open(&name, input)
    })
    .await
    .map_err(|_| ImportFailure::Internal("the import reader task failed"))?
    .map_err(|e| invalid("file", &[e]))
}

/// KoboToolbox's XLSX export sent as the file (a zip with a `kobo` mapping): opened from the
/// spool, measured and its sheets read (blocking I/O, off the runtime) before anything is
/// written; a workbook too large to read whole is refused with what to send instead.
async fn kobo_workbook(
    mapping: &Mapping,
    content: Content,
    file_name: &str,
    repeats: Vec<(String, Content)>,
    max_unzipped: u64,
) -> Result<Tabular, ImportFailure> {
    if !repeats.is_empty() {
        return Err(ImportFailure::Invalid {
            field: "repeat",
            message: format!(
                "{file_name} is KoboToolbox's XLSX export, which holds its repeat groups as sheets: send the workbook alone"
            ),
        });
    }
    let mapping = mapping.clone();
    let book = open_seekable(content, file_name, move |name, input| {
        KoboWorkbook::open(name, input, &mapping, max_unzipped.min(kobo::MAX_UNZIPPED))
    })
    .await?;
    Ok(Tabular::Workbook(Box::new(book)))
}

/// Runs one import as `actor`: the reader streams the content on the blocking pool and hands
/// units through a bounded queue to [`Importer`], which pushes them in batches. The caller has
/// checked `Capability::WriteCareRecords` before reading the upload.
pub(crate) async fn import(
    store: &Store,
    actor: &Actor,
    request: ImportRequest,
) -> Result<ImportReport, ImportFailure> {
    let ImportRequest {
        source,
        mapping,
        content,
        file_name,
        dry_run,
        programme,
        repeats,
        max_unzipped,
    } = request;
    let (today, now) = today();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Unit>(UNIT_QUEUE);
    let device: String;
    let reading = if source == Source::Dhis2Tracker {
        device = "dhis2".into();
        let mapping = scaleup_interop::dhis2::Mapping::from_toml(&mapping).map_err(|e| {
            ImportFailure::Invalid {
                field: "mapping",
                message: e.to_string(),
            }
        })?;
        let programme = programme.ok_or(ImportFailure::Invalid {
            field: "programme",
            message: "name the programme (code)".into(),
        })?;
        let targets = resolve_targets(store, actor, &[]).await?;
        tokio::task::spawn_blocking(move || {
            let at = || Location::file(&file_name);
            // A broken JSON is refused before any record is sent: one pass that checks only
            // the syntax (nothing is kept), then the reader's two.
            let input = content
                .open()
                .map_err(|_| vec![at().error("the file could not be read")])?;
            let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::new(input));
            serde::de::IgnoredAny::deserialize(&mut de)
                .and_then(|_| de.end())
                .map_err(|e| {
                    vec![at().row(e.line() as u64).error(if e.is_eof() {
                        "the JSON ends early (a truncated file)"
                    } else {
                        "not valid JSON (the row is the line of the file)"
                    })]
                })?;
            let mut reader =
                dhis2::TrackerReader::new(&file_name, &mapping, &targets, &programme, today, &now)
                    .map_err(|e| vec![e])?;
            reader
                .read(|| content.open(), &mut |u| {
                    // The receiver is gone only when the pushes failed; the rest is moot.
                    let _ = tx.blocking_send(u);
                })
                .map_err(|e| vec![e])
        })
    } else {
        let mapping =
            Mapping::from_toml("mapping", &mapping).map_err(|e| invalid("mapping", &[e]))?;
        let allowed: &[&str] = if source == Source::Odk {
            &["odk", "kobo"]
        } else {
            &["redcap"]
        };
        if !allowed.contains(&mapping.source.as_str()) {
            return Err(ImportFailure::Invalid {
                field: "mapping",
                message: format!("source: this route reads {}", allowed.join(" or ")),
            });
        }
        device = mapping.source.as_str().to_string();
        let probe = content
            .try_clone()
            .map_err(|_| ImportFailure::Internal("an import upload could not be reopened"))?;
        let zipped = tokio::task::spawn_blocking(move || probe.is_zip())
            .await
            .map_err(|_| ImportFailure::Internal("the import reader task failed"))?
            .map_err(|_| ImportFailure::Invalid {
                field: "file",
                message: format!("{file_name}: the file could not be read"),
            })?;
        // A zip is KoboToolbox's workbook or ODK Central's export: the mapping's source says
        // which, and each reader refuses the other's by its entries.
        let tabular = if zipped && mapping.source == MappingSource::Kobo {
            kobo_workbook(&mapping, content, &file_name, repeats, max_unzipped).await?
        } else if zipped {
            central_zip(&mapping, content, &file_name, repeats, max_unzipped).await?
        } else {
            csv_with_groups(&mapping, content, repeats)?
        };
        let usernames: Vec<String> = mapping.users.values().cloned().collect();
        let targets = resolve_targets(store, actor, &usernames).await?;
        tokio::task::spawn_blocking(move || {
            let (content, groups) = match tabular {
                Tabular::Zip(mut zip) => {
                    return zip.read(&mapping, &targets, today, &now, &mut |_| {}, &mut |u| {
                        // The receiver is gone only when the pushes failed: stop reading.
                        tx.blocking_send(u).is_ok()
                    });
                }
                Tabular::Workbook(book) => {
                    return book.read(&mapping, &targets, today, &now, &mut |u| {
                        tx.blocking_send(u).is_ok()
                    });
                }
                Tabular::Csv { content, groups } => (content, groups),
            };
            // A group is read after the group it is nested in (`read_export`), whatever the
            // order of the `repeat` parts; only the rows' kept keys and cells are held.
            let mut parts = CsvParts {
                main: (file_name, content),
                groups,
            };
            read_export(&mut parts, &mapping, &targets, today, &now, &mut |u| {
                // The receiver is gone only when the pushes failed: stop reading.
                tx.blocking_send(u).is_ok()
            })
        })
    };
    let mut importer = Importer::new(store, actor.clone(), &device, DEFAULT_BATCH, dry_run);
    let mut pushed = Ok(());
    while let Some(unit) = rx.recv().await {
        if let Err(e) = importer.unit(unit).await {
            pushed = Err(e);
            break;
        }
    }
    // Stops the reader if the pushes failed.
    drop(rx);
    let read = reading
        .await
        .map_err(|_| ImportFailure::Internal("the import reader task failed"))?;
    pushed?;
    read.map_err(|e| invalid("mapping", &e))?;
    let (summary, problems, problems_total) = importer.finish().await?;
    Ok(ImportReport {
        summary,
        problems,
        problems_total,
    })
}

/// The parts of a multipart import: `mapping` (a file or a text field), `file` (the export),
/// `file_name`, `dry_run` (`true`, `1` or `on`), `programme`; `_csrf` for the page.
pub(crate) struct ImportForm {
    pub form: crate::spool::SpooledForm,
    /// The slot this import holds until it is answered.
    _slot: tokio::sync::OwnedSemaphorePermit,
}

/// Why a multipart upload was refused before it was read.
pub(crate) enum UploadRefusal {
    /// Not multipart/form-data.
    NotMultipart,
    TooLarge(u64),
    Broken,
    Malformed,
    Disk,
    /// Every import slot is taken.
    Busy,
    /// The upload did not arrive within the time allowed.
    TooSlow,
}

/// Seconds a refused import is told to wait before trying again.
pub(crate) const BUSY_RETRY_SECONDS: u64 = 30;

/// Spools a multipart request body and finds its parts (the role was checked before).
pub(crate) async fn read_form(
    limits: &ImportLimits,
    req: axum::extract::Request,
) -> Result<ImportForm, UploadRefusal> {
    let boundary = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::ui::forms::boundary_of)
        .ok_or(UploadRefusal::NotMultipart)?;
    let slot = limits
        .slots
        .clone()
        .try_acquire_owned()
        .map_err(|_| UploadRefusal::Busy)?;
    let spool = tokio::time::timeout(
        limits.upload_time,
        crate::spool::spool(req.into_body(), limits.max_bytes, limits.spool_dir.clone()),
    )
    .await
    .map_err(|_| UploadRefusal::TooSlow)?
    .map_err(|e| match e {
        crate::spool::SpoolError::TooLarge(n) => UploadRefusal::TooLarge(n),
        crate::spool::SpoolError::Broken => UploadRefusal::Broken,
        crate::spool::SpoolError::Disk(e) => {
            tracing::error!(error = %e, "an import upload could not be spooled");
            UploadRefusal::Disk
        }
    })?;
    let form = tokio::task::spawn_blocking(move || {
        crate::spool::SpooledForm::read(&spool, &boundary, 4096, &["mapping"], MAX_MAPPING_BYTES)
    })
    .await
    .map_err(|_| UploadRefusal::Disk)?
    .map_err(|e| match e {
        crate::spool::FormError::Malformed => UploadRefusal::Malformed,
        crate::spool::FormError::Io(e) => {
            tracing::error!(error = %e, "an import upload could not be read back");
            UploadRefusal::Disk
        }
    })?;
    Ok(ImportForm { form, _slot: slot })
}

/// A checkbox or flag field: `true`, `1`, `on`, `yes`.
pub(crate) fn truthy(v: Option<&str>) -> bool {
    v.is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "on" | "yes"))
}

/// The mapping's text from a form: a file part or a text field.
pub(crate) enum MappingPart {
    Missing,
    TooLarge,
    NotText,
    Text(String),
}

impl ImportForm {
    pub fn mapping(&self) -> MappingPart {
        if let Some((_, small, _)) = self.form.file("mapping") {
            return match small {
                None => MappingPart::TooLarge,
                Some(b) => match std::str::from_utf8(b) {
                    Ok(t) => MappingPart::Text(t.to_string()),
                    Err(_) => MappingPart::NotText,
                },
            };
        }
        match self.form.text("mapping") {
            Some(t) => MappingPart::Text(t.to_string()),
            None if self.form.has_text_part("mapping") => MappingPart::TooLarge,
            None => MappingPart::Missing,
        }
    }
}

/// The `repeat` files of a multipart import (ODK Central repeat-group CSVs), named.
pub(crate) fn repeat_parts(
    form: &crate::spool::SpooledForm,
) -> std::io::Result<Vec<(String, Content)>> {
    form.files("repeat")
        .into_iter()
        .map(|(name, section)| {
            Ok((
                crate::spool::clean_file_name(name),
                Content::Spooled(section.try_clone()?),
            ))
        })
        .collect()
}

fn bad_upload(r: UploadRefusal) -> ApiError {
    match r {
        UploadRefusal::NotMultipart => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the import as JSON (application/json, at most 16 MiB) or as multipart/form-data",
        ),
        UploadRefusal::TooLarge(n) => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the upload is larger than {n} bytes, the server's import limit"),
        ),
        UploadRefusal::Broken => ApiError::invalid(
            "body",
            "the upload broke off, or is not the gzip its Content-Encoding says",
        ),
        UploadRefusal::Malformed => ApiError::invalid(
            "body",
            "not multipart/form-data (RFC 7578) with at most 20 parts",
        ),
        UploadRefusal::Disk => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "something went wrong",
        ),
        UploadRefusal::Busy => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "the server is running as many imports as it allows; try again shortly",
        )
        .with_retry_after(BUSY_RETRY_SECONDS),
        UploadRefusal::TooSlow => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "too_slow",
            "the upload did not arrive within the time the server allows; try again on a faster connection, or split the file",
        ),
    }
}

async fn run(
    state: &AppState,
    caller: &Caller,
    source: Source,
    req: axum::extract::Request,
) -> Result<Json<ImportReport>, ApiError> {
    // The role first: nobody else makes the server read an upload.
    caller.require(Capability::WriteCareRecords)?;
    let content_type = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let request = if content_type.starts_with("multipart/form-data") {
        // Programs send multipart with their token; a browser uses the page, with its form
        // token (a session cookie alone does not carry a multipart import).
        if !crate::ui::security::has_bearer(req.headers()) {
            return Err(ApiError::forbidden(
                "a multipart import needs a bearer token (browsers use the import page, /imports)",
            ));
        }
        let upload = read_form(&state.imports, req).await.map_err(bad_upload)?;
        let mapping = match upload.mapping() {
            MappingPart::Text(t) => t,
            MappingPart::Missing => {
                return Err(ApiError::invalid("mapping", "send the mapping file (TOML)"));
            }
            MappingPart::TooLarge => {
                return Err(ApiError::invalid(
                    "mapping",
                    format!("a mapping file is at most {MAX_MAPPING_BYTES} bytes"),
                ));
            }
            MappingPart::NotText => {
                return Err(ApiError::invalid("mapping", "not UTF-8 text"));
            }
        };
        let Some((name, _, section)) = upload.form.file("file") else {
            return Err(ApiError::invalid(
                "file",
                "send the export as the `file` part",
            ));
        };
        let file_name = upload
            .form
            .text("file_name")
            .map(crate::spool::clean_file_name)
            .filter(|f| !f.is_empty())
            .unwrap_or_else(|| name.to_string());
        ImportRequest {
            source,
            mapping,
            content: Content::Spooled(
                section
                    .try_clone()
                    .map_err(|_| bad_upload(UploadRefusal::Disk))?,
            ),
            file_name,
            dry_run: truthy(upload.form.text("dry_run")),
            programme: upload.form.text("programme").map(str::to_string),
            repeats: repeat_parts(&upload.form).map_err(|_| bad_upload(UploadRefusal::Disk))?,
            max_unzipped: state.imports.max_bytes,
        }
    } else {
        let Body(body) = Body::<ImportBody>::from_request(req, state).await?;
        ImportRequest {
            source,
            mapping: body.mapping,
            content: Content::Text(body.content.into()),
            file_name: body
                .file_name
                .filter(|f| !f.trim().is_empty() && f.len() <= 200)
                .unwrap_or_else(|| "upload".into()),
            dry_run: body.dry_run,
            programme: body.programme,
            repeats: Vec::new(),
            max_unzipped: state.imports.max_bytes,
        }
    };
    Ok(Json(import(&state.store, &caller.actor, request).await?))
}

/// `POST /api/v1/imports/odk`: an ODK Central or KoboToolbox submission CSV, Central's export
/// zip, or KoboToolbox's XLSX export.
pub async fn import_odk(
    State(state): State<AppState>,
    caller: Caller,
    req: axum::extract::Request,
) -> Result<Json<ImportReport>, ApiError> {
    run(&state, &caller, Source::Odk, req).await
}

/// `POST /api/v1/imports/redcap`: a REDCap flat record export.
pub async fn import_redcap(
    State(state): State<AppState>,
    caller: Caller,
    req: axum::extract::Request,
) -> Result<Json<ImportReport>, ApiError> {
    run(&state, &caller, Source::Redcap, req).await
}

/// `POST /api/v1/imports/dhis2-tracker`: a DHIS2 Tracker payload.
pub async fn import_dhis2_tracker(
    State(state): State<AppState>,
    caller: Caller,
    req: axum::extract::Request,
) -> Result<Json<ImportReport>, ApiError> {
    run(&state, &caller, Source::Dhis2Tracker, req).await
}
