//! Imports over HTTP (`POST /api/v1/imports/odk`, `/redcap`, `/dhis2-tracker`), and
//! [`Importer`], the one loop that turns the readers' units into pushed records, shared with
//! `scaleup import` so the command line and the API count, batch and report alike.
//!
//! Records go through `Store::import_records` → `Store::push` as the caller, from the device
//! `import:<source>`: the permissions, validation, protocol rules, scoring, alerts and audit of
//! sync. Only the roles that write care records (counsellors, supervisors) may import; the
//! body is bounded like a sync push. Reports name file, row and column, never a value.

use crate::api::{AppState, Body};
use crate::auth::Caller;
use crate::error::ApiError;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use scaleup_domain::role::Capability;
use scaleup_interop::import::mapping::{Mapping, Rows};
use scaleup_interop::import::{ImportedRecord, Targets, Unit, dhis2};
use scaleup_storage::{AckStatus, Actor, IncomingRecord, Store, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
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

/// The body of an import request.
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

fn unprocessable(errors: &[scaleup_interop::import::ImportError]) -> ApiError {
    let lines: Vec<String> = errors.iter().take(50).map(|e| e.to_string()).collect();
    ApiError::invalid("mapping", lines.join("; "))
}

async fn run(
    state: &AppState,
    caller: &Caller,
    source: &'static str,
    body: ImportBody,
) -> Result<Json<Value>, ApiError> {
    caller.require(Capability::WriteCareRecords)?;
    let file = body
        .file_name
        .clone()
        .filter(|f| !f.trim().is_empty() && f.len() <= 200)
        .unwrap_or_else(|| "upload".into());
    let (today, now) = today();
    let mut device = "dhis2";
    let units: Vec<Unit> = if source == "dhis2-tracker" {
        let mapping = scaleup_interop::dhis2::Mapping::from_toml(&body.mapping)
            .map_err(|e| ApiError::invalid("mapping", e.to_string()))?;
        let programme = body
            .programme
            .clone()
            .ok_or_else(|| ApiError::invalid("programme", "name the programme (code)"))?;
        let targets = resolve_targets(&state.store, &caller.actor, &[]).await?;
        let content = body.content;
        tokio::task::spawn_blocking(move || {
            let mut reader =
                dhis2::TrackerReader::new(&file, &mapping, &targets, &programme, today, &now)
                    .map_err(|e| unprocessable(&[e]))?;
            let mut units = Vec::new();
            reader
                .read(|| Ok(content.as_bytes()), &mut |u| units.push(u))
                .map_err(|e| unprocessable(&[e]))?;
            Ok::<_, ApiError>(units)
        })
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "something went wrong",
            )
        })??
    } else {
        let mapping =
            Mapping::from_toml("mapping", &body.mapping).map_err(|e| unprocessable(&[e]))?;
        let allowed: &[&str] = if source == "odk" {
            &["odk", "kobo"]
        } else {
            &["redcap"]
        };
        if !allowed.contains(&mapping.source.as_str()) {
            return Err(ApiError::invalid(
                "mapping",
                format!("source: this route reads {}", allowed.join(" or ")),
            ));
        }
        device = mapping.source.as_str();
        let usernames: Vec<String> = mapping.users.values().cloned().collect();
        let targets = resolve_targets(&state.store, &caller.actor, &usernames).await?;
        let content = body.content;
        tokio::task::spawn_blocking(move || {
            let rows = Rows::new(&file, content.as_bytes(), &mapping, &targets, today, &now)
                .map_err(|e| unprocessable(&e))?;
            Ok::<_, ApiError>(rows.collect::<Vec<Unit>>())
        })
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "something went wrong",
            )
        })??
    };
    let mut importer = Importer::new(
        &state.store,
        caller.actor.clone(),
        device,
        DEFAULT_BATCH,
        body.dry_run,
    );
    for unit in units {
        importer.unit(unit).await?;
    }
    let (summary, problems, count) = importer.finish().await?;
    Ok(Json(json!({
        "summary": summary,
        "problems": problems,
        "problems_total": count,
    })))
}

/// `POST /api/v1/imports/odk`: an ODK Central or KoboToolbox submission CSV.
pub async fn import_odk(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<ImportBody>,
) -> Result<Json<Value>, ApiError> {
    run(&state, &caller, "odk", body).await
}

/// `POST /api/v1/imports/redcap`: a REDCap flat record export.
pub async fn import_redcap(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<ImportBody>,
) -> Result<Json<Value>, ApiError> {
    run(&state, &caller, "redcap", body).await
}

/// `POST /api/v1/imports/dhis2-tracker`: a DHIS2 Tracker payload.
pub async fn import_dhis2_tracker(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body<ImportBody>,
) -> Result<Json<Value>, ApiError> {
    run(&state, &caller, "dhis2-tracker", body).await
}
