//! `/api/v1/programmes/{code}/dataset` (and the other exports): the files `scaleup export`
//! writes, for the roles that may take client-level, pseudonymised data out for analysis
//! (admin, hub manager, researcher). The store audits each read with the caller and the
//! options; the formats are scaleup-interop's. Query parameters have the command's option names.

use crate::api::{AppState, Body, Params};
use crate::auth::Caller;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use scaleup_domain::record::Occasion;
use scaleup_domain::role::Capability;
use scaleup_interop::dataset::{self, DatasetOptions, Unit};
use scaleup_interop::deid::{DEFAULT_K, Deidentification};
use scaleup_storage::ProgrammeRow;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Clone, Copy, Debug, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitParam {
    #[default]
    Episode,
    Assessment,
    Session,
}

#[derive(Clone, Copy, Debug, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpParam {
    Endpoint,
    #[default]
    FollowUp,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetQuery {
    #[serde(default)]
    unit: UnitParam,
    instrument: Option<String>,
    #[serde(default)]
    follow_up: FollowUpParam,
    #[serde(default)]
    exact_ages: bool,
    #[serde(default)]
    no_date_shift: bool,
    #[serde(default)]
    keep_free_text: bool,
    #[serde(default)]
    keep_facility: bool,
    k: Option<usize>,
    /// Comma-separated.
    quasi_identifiers: Option<String>,
}

impl DatasetQuery {
    fn options(&self) -> DatasetOptions {
        DatasetOptions {
            unit: match self.unit {
                UnitParam::Episode => Unit::Episode,
                UnitParam::Assessment => Unit::Assessment,
                UnitParam::Session => Unit::Session,
            },
            instrument: self.instrument.clone(),
            follow_up: match self.follow_up {
                FollowUpParam::Endpoint => Occasion::Endpoint,
                FollowUpParam::FollowUp => Occasion::FollowUp,
            },
            deid: Deidentification {
                age_bands: !self.exact_ages,
                shift_dates: !self.no_date_shift,
                drop_free_text: !self.keep_free_text,
                coarsen_facility: !self.keep_facility,
                k: self.k.unwrap_or(DEFAULT_K),
                quasi_identifiers: self.quasi_identifiers.as_ref().map(|q| {
                    q.split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect()
                }),
            },
        }
    }
}

/// Client-level exports need both: the right to read pseudonymised client rows and to run
/// analyses (viewers see aggregates only; care staff do not export).
fn require_exporter(caller: &Caller) -> Result<(), ApiError> {
    caller.require(Capability::ReadClientRecords)?;
    caller.require(Capability::RunAnalyses)
}

/// The programme of this code among the caller's hubs.
pub(crate) async fn programme_of(
    state: &AppState,
    caller: &Caller,
    code: &str,
) -> Result<ProgrammeRow, ApiError> {
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
    found.pop().ok_or_else(ApiError::not_found)
}

fn files_json(files: Vec<(String, Vec<u8>)>) -> Vec<Value> {
    files
        .into_iter()
        .map(|(name, bytes)| json!({"name": name, "content": String::from_utf8_lossy(&bytes)}))
        .collect()
}

/// A de-identified analysis dataset of a programme: the files `scaleup export dataset` writes.
pub async fn programme_dataset(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Params(q): Params<DatasetQuery>,
) -> Result<Json<Value>, ApiError> {
    require_exporter(&caller)?;
    let options = q.options();
    let programme = programme_of(&state, &caller, &code).await?;
    let detail = json!({
        "unit": options.unit.as_str(),
        "instrument": options.instrument,
        "age_bands": options.deid.age_bands,
        "date_shifting": options.deid.shift_dates,
        "free_text_dropped": options.deid.drop_free_text,
        "facility_coarsened": options.deid.coarsen_facility,
        "k": options.deid.k,
        "quasi_identifiers": options.deid.quasi_identifiers,
        "by": caller.user.username,
    });
    let source = state
        .store
        .study_source(Some(&caller.actor), &programme.id, "dataset", detail)
        .await?;
    let key = state.store.deidentification_key();
    let data = tokio::task::spawn_blocking(move || dataset::build(&source, &options, &key))
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "something went wrong",
            )
        })?
        .map_err(|e| {
            let field = match &e {
                dataset::DatasetError::KAnonymity(_) => "k",
                dataset::DatasetError::UnknownVariable { .. } => "quasi_identifiers",
            };
            let mut err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "refused", e.to_string());
            err.field = Some(field.into());
            err
        })?;
    Ok(Json(json!({
        "dataset": data.name,
        "rows": data.rows.len(),
        "clients": data.clients,
        "files": files_json(scaleup_interop::scripts::files(&data)),
    })))
}

/// The FHIR R4 transaction Bundle of a programme, as `scaleup export fhir` writes it.
pub async fn programme_fhir(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<Value>, ApiError> {
    require_exporter(&caller)?;
    let programme = programme_of(&state, &caller, &code).await?;
    let detail = json!({"format": "fhir-r4-bundle", "by": caller.user.username});
    let source = state
        .store
        .study_source(Some(&caller.actor), &programme.id, "fhir", detail)
        .await?;
    let key = state.store.deidentification_key();
    let catalog = state.catalog(Some(&programme.hub_id));
    let (bundle, _) =
        tokio::task::spawn_blocking(move || scaleup_interop::fhir::bundle(&source, &catalog, &key))
            .await
            .map_err(|_| internal())?;
    Ok(Json(bundle))
}

fn internal() -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "something went wrong",
    )
}

/// The hub's GUID map: client (scaleup id or export pseudonym) → GUID or pseudo-GUID.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NdaBody {
    guids: std::collections::BTreeMap<String, String>,
    /// As `--shift-dates`.
    #[serde(default)]
    shift_dates: bool,
}

/// NIMH Data Archive files of a programme with the report of what NDA would reject.
pub async fn programme_nda(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Body(body): Body<NdaBody>,
) -> Result<Json<Value>, ApiError> {
    require_exporter(&caller)?;
    let programme = programme_of(&state, &caller, &code).await?;
    let detail =
        json!({"format": "nda", "date_shifting": body.shift_dates, "by": caller.user.username});
    let source = state
        .store
        .study_source(Some(&caller.actor), &programme.id, "nda", detail)
        .await?;
    let key = state.store.deidentification_key();
    let options = scaleup_interop::nda::NdaOptions {
        shift_dates: body.shift_dates,
    };
    let out = tokio::task::spawn_blocking(move || {
        scaleup_interop::nda::export(&source, &body.guids, &key, &options)
    })
    .await
    .map_err(|_| internal())?;
    let rejected = out.findings.iter().filter(|f| f.rejected).count();
    Ok(Json(json!({
        "rows": out.rows,
        "rejected": rejected,
        "files": out.files.iter().map(|(n, t)| json!({"name": n, "content": t})).collect::<Vec<_>>(),
    })))
}

/// A DHIS2 Tracker payload of a programme through the hub's mapping (the TOML file's fields as
/// JSON), with what the mapping left out.
pub async fn programme_dhis2(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Body(mapping): Body<scaleup_interop::dhis2::Mapping>,
) -> Result<Json<Value>, ApiError> {
    require_exporter(&caller)?;
    mapping.check().map_err(|e| {
        let message = e.to_string();
        let field = message.split(':').next().unwrap_or("body").to_string();
        ApiError::invalid(field, message)
    })?;
    let programme = programme_of(&state, &caller, &code).await?;
    let detail = json!({"format": "dhis2-tracker", "by": caller.user.username});
    let source = state
        .store
        .study_source(Some(&caller.actor), &programme.id, "dhis2", detail)
        .await?;
    let key = state.store.deidentification_key();
    let (payload, summary) = tokio::task::spawn_blocking(move || {
        scaleup_interop::dhis2::tracker_payload(&source, &mapping, &key)
    })
    .await
    .map_err(|_| internal())?;
    Ok(Json(json!({
        "payload": payload,
        "left_out": {
            "facilities": summary.unmapped_facilities.len(),
            "instruments": summary.unmapped_instruments,
            "values": summary.unmapped_values,
        },
    })))
}
