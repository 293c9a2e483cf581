//! The hub console's routes under `/api/v1/`: deactivating and reactivating accounts, moving a
//! caseload, editing org units (catchment population, prevalence) and programmes, and
//! uploading definition files. One handler per route, like `api`; the role rule is
//! `Role::can`, checked first with a refusal that says who may; which rows is the store's.

use crate::api::{AppState, Body};
use crate::auth::Caller;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use scaleup_domain::role::Capability;
use scaleup_storage::{OrgUnitUpdate, ProgrammeUpdate, StoreError};
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

/// A path id that is not a UUID cannot name anything the caller may see.
fn id_or_404(id: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(id)
        .map(|u| u.to_string())
        .map_err(|_| ApiError::not_found())
}

fn uuid_field(id: &str, field: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(id)
        .map(|u| u.to_string())
        .map_err(|_| ApiError::invalid(field, "must be a UUID"))
}

pub async fn deactivate_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Capability::ManageUsers)?;
    let user = state
        .store
        .set_user_active(&caller.actor, &id_or_404(&id)?, false)
        .await?;
    Ok(Json(json!(user)))
}

pub async fn reactivate_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Capability::ManageUsers)?;
    let user = state
        .store
        .set_user_active(&caller.actor, &id_or_404(&id)?, true)
        .await?;
    Ok(Json(json!(user)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveBody {
    to_counsellor_id: String,
}

pub async fn move_caseload(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(b): Body<MoveBody>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Capability::MoveCaseloads)?;
    let from = id_or_404(&id)?;
    let to = uuid_field(&b.to_counsellor_id, "to_counsellor_id")?;
    let moved = state.store.move_caseload(&caller.actor, &from, &to).await?;
    Ok(Json(json!(moved)))
}

/// `Some(None)` for an explicit `null`, `None` when the field is absent.
fn explicit<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgUnitPatch {
    name: Option<String>,
    catchment_population: Option<i64>,
    #[serde(default, deserialize_with = "explicit")]
    prevalence: Option<Option<f64>>,
    prevalence_source: Option<String>,
}

pub async fn update_org_unit(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(b): Body<OrgUnitPatch>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Capability::ManageHubSetup)?;
    let unit = state
        .store
        .update_org_unit(
            &caller.actor,
            &id_or_404(&id)?,
            OrgUnitUpdate {
                name: b.name,
                catchment_population: b.catchment_population,
                prevalence: b.prevalence,
                prevalence_source: b.prevalence_source,
            },
        )
        .await?;
    Ok(Json(json!(unit)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgrammePatch {
    name: Option<String>,
    protocol_code: Option<String>,
    alert_ack_hours: Option<i64>,
}

pub async fn update_programme(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(b): Body<ProgrammePatch>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Capability::ManageHubSetup)?;
    let programme = state
        .store
        .update_programme(
            &caller.actor,
            &id_or_404(&id)?,
            ProgrammeUpdate {
                name: b.name,
                protocol_code: b.protocol_code,
                alert_ack_hours: b.alert_ack_hours,
            },
        )
        .await?;
    Ok(Json(json!(programme)))
}

/// The definition files that apply to the caller's hubs, and any stored file that does not
/// load (with why).
pub async fn list_definitions(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    caller.require(Capability::ManageDefinitions)?;
    let items = state.store.definitions_visible(&caller.actor).await?;
    let catalogs = state.store.catalogs();
    let problems: Vec<&scaleup_storage::DefinitionProblem> = catalogs
        .problems()
        .iter()
        .filter(|p| {
            p.hub_id
                .as_deref()
                .is_none_or(|h| caller.actor.may_see_hub(h))
        })
        .collect();
    Ok(Json(
        json!({"items": items, "problems": problems, "version": catalogs.version(), "next_cursor": null}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefinitionUpload {
    /// The hub the file applies to; `null`: every hub (admins only).
    hub_id: Option<String>,
    file_name: String,
    text: String,
}

/// What an upload stored.
pub struct Uploaded {
    pub kind: String,
    pub code: String,
    pub version: String,
}

/// Validates and stores one uploaded file: an instrument, protocol, competency framework or
/// item-text file (by its `kind` key), or a price-list file (`[[price_list]]` tables). Shared
/// by the API and the console page.
pub async fn upload(
    state: &AppState,
    caller: &scaleup_storage::Actor,
    hub_id: Option<&str>,
    file_name: &str,
    text: &str,
) -> Result<Uploaded, StoreError> {
    if is_price_list(text) {
        let file = scaleup_econ::costing::parse_costing_file(text)
            .map_err(|e| StoreError::Definition(price_error(file_name, e)))?;
        if !file.activity.is_empty() {
            return Err(StoreError::Definition(
                scaleup_domain::catalog::DefinitionError {
                    origin: file_name.to_string(),
                    line: None,
                    field: "activity".into(),
                    message: "a stored price list holds [[price_list]] tables only: activity comes from the records".into(), more: Vec::new(),
                },
            ));
        }
        let hubs: Vec<String> = file.price_lists.iter().map(|p| p.hub.clone()).collect();
        let years: Vec<i32> = file.price_lists.iter().map(|p| p.year).collect();
        state
            .store
            .put_price_list(Some(caller), hub_id, file_name, text, &hubs, &years)
            .await?;
        let mut years: Vec<String> = years.iter().map(|y| y.to_string()).collect();
        years.sort();
        years.dedup();
        // As stored: each hub once (a file pricing several years names its hub in each).
        let mut hubs = hubs;
        hubs.sort();
        hubs.dedup();
        return Ok(Uploaded {
            kind: scaleup_storage::PRICE_LIST_KIND.into(),
            code: hubs.join(","),
            version: years.join(","),
        });
    }
    let added = state
        .store
        .add_definitions(
            Some(caller),
            hub_id,
            &[(file_name.to_string(), text.to_string())],
        )
        .await?;
    let added = added
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::Internal("nothing was added".into()))?;
    Ok(Uploaded {
        kind: added.kind.as_str().into(),
        code: added.code,
        version: added.version,
    })
}

/// A price-list file has `[[price_list]]` tables and no top-level `kind` (the catalogue's files
/// all name their kind).
fn is_price_list(text: &str) -> bool {
    let mut tables = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with("kind") && line[4..].trim_start().starts_with('=') && !tables {
            return false;
        }
        if line.starts_with("[[price_list]]") {
            tables = true;
        }
        if line.starts_with('[') && !tables {
            // The first table: top-level keys are over.
            return line.starts_with("[[price_list]]");
        }
    }
    tables
}

/// A price file's error in the catalogue's form (file, line, field, message).
fn price_error(
    file_name: &str,
    e: scaleup_econ::input::FileError,
) -> scaleup_domain::catalog::DefinitionError {
    use scaleup_econ::input::FileError;
    let (line, field, message) = match e {
        FileError::Syntax {
            line,
            field,
            message,
        } => (Some(line), field.unwrap_or_default(), message),
        FileError::Invalid {
            line,
            field,
            message,
        } => (line, field, message),
    };
    scaleup_domain::catalog::DefinitionError {
        origin: file_name.to_string(),
        line,
        field,
        message,
        more: Vec::new(),
    }
}

pub async fn add_definition(
    State(state): State<AppState>,
    caller: Caller,
    Body(b): Body<DefinitionUpload>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(Capability::ManageDefinitions)?;
    if b.hub_id.is_none() {
        caller.require(Capability::ManageNetworkDefinitions).map_err(|_| {
            ApiError::forbidden(
                "only an admin can upload network-wide definitions: give hub_id to upload the file for your hub instead",
            )
        })?;
    }
    let hub = b
        .hub_id
        .as_deref()
        .map(|h| uuid_field(h, "hub_id"))
        .transpose()?;
    match upload(&state, &caller.actor, hub.as_deref(), &b.file_name, &b.text).await {
        Ok(u) => Ok((
            StatusCode::CREATED,
            Json(
                json!({"kind": u.kind, "code": u.code, "version": u.version, "hub_id": hub, "definitions_version": state.store.catalogs().version()}),
            ),
        )),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::is_price_list;

    #[test]
    fn price_lists_are_told_from_catalogue_files() {
        assert!(is_price_list(
            "[[price_list]]\nhub = \"x\"\nyear = 2026\ncurrency = \"USD\"\n"
        ));
        assert!(is_price_list(
            "target_currency = \"USD\"\n\n[[price_list]]\nhub = \"x\"\n"
        ));
        assert!(!is_price_list("kind = \"instrument\"\ncode = \"x\"\n"));
        assert!(!is_price_list("kind = \"instrument\"\n[[price_list]]\n"));
        assert!(!is_price_list("[scoring]\n"));
    }
}
