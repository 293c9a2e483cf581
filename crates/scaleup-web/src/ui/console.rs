//! The hub console: the pages a hub manager (and an admin, network-wide) runs a hub with.
//! Accounts (create, deactivate, reactivate, reset a password, move a counsellor's caseload
//! after a confirmation), org units (catchment population, prevalence and its source),
//! programmes, definition files (uploaded as `multipart/form-data`, refused with the file's
//! line and field), the audit log (paged, filtered) and sync conflicts.
//!
//! Like the other pages, these hold no rules of their own: which role may open a page or
//! post a form is `Role::can` ([`Visitor::may`]), which accounts, units, files and events is
//! the store's, and every change goes through the store call the JSON API uses, so it is
//! checked and audited the same way. Every form works without JavaScript and redirects after
//! success (`?done=...` says what happened), so a reload never posts twice.

use super::forms::{FormData, MultipartData};
use super::{Chrome, NavItem, PageError, Session, Visitor, redirect, render};
use crate::api::AppState;
use askama::Template;
use axum::extract::{FromRequest, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use scaleup_domain::role::{Capability, Role};
use scaleup_storage::{
    AuditFilter, NewUser, OrgUnitUpdate, ProgrammeUpdate, StoreError, UserRecord,
};
use std::collections::HashMap;

/// Accounts per page of the users list.
const USERS_PAGE: i64 = 50;
/// Events per page of the audit viewer.
const AUDIT_PAGE: i64 = 50;
/// The largest definition file (the same bound the command line's files meet in practice).
const MAX_DEFINITION_BYTES: usize = 512 * 1024;

type Params = Query<HashMap<String, String>>;

/// The console's own tabs, those the caller's role may open.
fn tabs(v: &Visitor, current: &str) -> Vec<NavItem> {
    let role = v.session.as_ref().map(|s| s.actor.role);
    [
        ("/console/users", "console-users", Capability::ManageUsers),
        (
            "/console/org-units",
            "console-org-units",
            Capability::ManageHubSetup,
        ),
        (
            "/console/programmes",
            "console-programmes",
            Capability::ManageHubSetup,
        ),
        (
            "/console/definitions",
            "console-definitions",
            Capability::ManageDefinitions,
        ),
        ("/console/audit", "console-audit", Capability::ReadAudit),
        (
            "/console/conflicts",
            "console-conflicts",
            Capability::ReviewClinical,
        ),
    ]
    .into_iter()
    .filter(|(_, _, cap)| role.is_some_and(|r| r.can(*cap)))
    .map(|(href, key, _)| NavItem {
        href,
        label: v.tr.t(key),
        current: href == current,
    })
    .collect()
}

/// The frame of a console page: the main navigation marks the console, the tabs the page.
/// A supervisor reaches the conflicts page from the main navigation, not through the console.
fn frame(v: &Visitor, title_key: &str, tab: &str) -> (Chrome, Vec<NavItem>) {
    let console = v
        .session
        .as_ref()
        .is_some_and(|s| s.actor.role.can(Capability::OpenHubConsole));
    let current = if console { "/console" } else { tab };
    (v.chrome(v.tr.t(title_key), current), tabs(v, tab))
}

/// What a `?done=` after a redirect says. Only known words; anything else says nothing.
fn notice(v: &Visitor, q: &HashMap<String, String>) -> Option<String> {
    const DONE: &[&str] = &[
        "created",
        "deactivated",
        "reactivated",
        "password",
        "moved",
        "saved",
        "uploaded",
        "resolved",
    ];
    let done = q.get("done")?;
    DONE.contains(&done.as_str())
        .then(|| v.tr.t(&format!("console-done-{done}")))
}

/// A store refusal that the form can show beside itself (bad input, a rule of the store);
/// anything else becomes an error page.
fn form_problem(e: StoreError) -> Result<String, PageError> {
    match e {
        StoreError::Invalid { field, message } => Ok(format!("{field}: {message}")),
        StoreError::Conflict(m) => Ok(m),
        StoreError::Forbidden(m) => Ok(m.to_string()),
        StoreError::Definition(e) => Ok(e.to_string()),
        other => Err(other.into()),
    }
}

/// A page re-shown with a problem: 422, so a script or a test can tell it from success.
fn unprocessable(res: Result<Response, PageError>) -> Result<Response, PageError> {
    res.map(|r| (StatusCode::UNPROCESSABLE_ENTITY, r).into_response())
}

fn uuid_or_404(id: &str, v: &Visitor) -> Result<String, PageError> {
    uuid::Uuid::parse_str(id)
        .map(|u| u.to_string())
        .map_err(|_| PageError::Status(StatusCode::NOT_FOUND, v.tr.t("error-not-found")))
}

/// Hub ids to codes, for the hubs the caller may see.
async fn hub_codes(state: &AppState, s: &Session) -> Result<Vec<(String, String)>, PageError> {
    Ok(state
        .store
        .hubs(Some(&s.actor))
        .await?
        .into_iter()
        .map(|h| (h.id, h.code))
        .collect())
}

fn code_of(hubs: &[(String, String)], id: Option<&str>) -> String {
    id.and_then(|id| hubs.iter().find(|(h, _)| h == id))
        .map(|(_, c)| c.clone())
        .unwrap_or_default()
}

/// `GET /console`: the first tab the caller may open.
pub async fn home(v: Visitor) -> Result<Response, PageError> {
    v.may(Capability::OpenHubConsole)?;
    let first = tabs(&v, "").into_iter().next().map(|t| t.href);
    Ok(redirect(first.unwrap_or("/")))
}

// ------------------------------------------------------------------------------------ users

pub struct UserRow {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub hub: String,
    pub active: bool,
    pub counsellor: bool,
    pub is_self: bool,
}

#[derive(Template)]
#[template(path = "console_users.html")]
struct UsersPage {
    c: Chrome,
    tabs: Vec<NavItem>,
    users: Vec<UserRow>,
    next: Option<String>,
    hubs: Vec<(String, String)>,
    roles: Vec<(&'static str, String)>,
    supervisors: Vec<(String, String)>,
    notice: Option<String>,
    error: Option<String>,
    min_password: usize,
    password_hint: String,
    may_move: bool,
    /// The hub the list is narrowed to (callers who see several hubs may choose one).
    hub: String,
}

/// Which users page to show: a hub (or all the caller's), from after a username.
#[derive(Default)]
struct UsersQuery<'a> {
    hub: Option<&'a str>,
    after: Option<&'a str>,
}

async fn users_page(
    state: &AppState,
    v: &Visitor,
    q: UsersQuery<'_>,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let s = v.may(Capability::ManageUsers)?;
    let hubs = hub_codes(state, s).await?;
    // Only a hub the caller sees narrows the list; anything else shows them all.
    let hub = q.hub.filter(|h| hubs.iter().any(|(id, _)| id == h));
    let (users, next) = state
        .store
        .users_page(&s.actor, hub, q.after, USERS_PAGE)
        .await?;
    let rows = users
        .into_iter()
        .map(|u| UserRow {
            role: v.tr.t(&format!("role-{}", u.role.as_str())),
            hub: code_of(&hubs, u.hub_id.as_deref()),
            counsellor: u.role == Role::Counsellor,
            is_self: u.id == s.user.id,
            active: u.active,
            id: u.id,
            username: u.username,
            display_name: u.display_name,
        })
        .collect();
    // Supervisors (and hub managers) a new counsellor may report to.
    let mut supervisors: Vec<(String, String)> = state
        .store
        .list_users(&s.actor)
        .await?
        .into_iter()
        .filter(|u| u.active && matches!(u.role, Role::Supervisor | Role::HubManager))
        .map(|u| {
            let hub = code_of(&hubs, u.hub_id.as_deref());
            (u.id, format!("{} ({hub})", u.display_name))
        })
        .collect();
    supervisors.sort_by(|a, b| a.1.cmp(&b.1));
    // An admin creates any role; everyone else the roles below admin (the store decides the
    // rest, such as a hub manager's hub).
    let roles = Role::ALL
        .into_iter()
        .filter(|r| s.actor.role.may_grant(*r))
        .map(|r| (r.as_str(), v.tr.t(&format!("role-{}", r.as_str()))))
        .collect();
    let (c, tabs) = frame(v, "console-users-title", "/console/users");
    render(&UsersPage {
        c,
        tabs,
        users: rows,
        next,
        hubs,
        roles,
        supervisors,
        notice,
        error,
        min_password: scaleup_storage::MIN_PASSWORD_LEN,
        password_hint: v.tr.n(
            "console-password-hint",
            "count",
            scaleup_storage::MIN_PASSWORD_LEN as i64,
        ),
        may_move: s.actor.role.can(Capability::MoveCaseloads),
        hub: hub.unwrap_or_default().to_string(),
    })
}

/// `GET /console/users[?after=USERNAME]`: the accounts the caller manages, a page at a time.
pub async fn users(
    State(state): State<AppState>,
    v: Visitor,
    Query(q): Params,
) -> Result<Response, PageError> {
    let text = |k: &str| q.get(k).map(String::as_str).filter(|a| !a.is_empty());
    let query = UsersQuery {
        hub: text("hub"),
        after: text("after"),
    };
    users_page(&state, &v, query, notice(&v, &q), None).await
}

/// `POST /console/users`: creates an account.
pub async fn create_user(
    State(state): State<AppState>,
    v: Visitor,
    form: FormData,
) -> Result<Response, PageError> {
    let s = v.may(Capability::ManageUsers)?;
    form.check_token(s, &v.tr)?;
    let Some(role) = form.get("role").and_then(Role::parse) else {
        return unprocessable(
            users_page(
                &state,
                &v,
                UsersQuery::default(),
                None,
                Some(v.tr.t("console-role-required")),
            )
            .await,
        );
    };
    // A hub manager of one hub need not choose it.
    let hub_id = form
        .get("hub_id")
        .map(str::to_string)
        .or_else(|| match s.actor.hubs.as_slice() {
            [one] if !s.actor.role.sees_every_hub() => Some(one.clone()),
            _ => None,
        });
    let new = NewUser {
        username: form.get("username").unwrap_or_default().to_string(),
        display_name: form.get("display_name").unwrap_or_default().to_string(),
        password: form
            .0
            .iter()
            .find(|(k, _)| k == "password")
            .map(|(_, p)| p.clone())
            .unwrap_or_default(),
        role,
        hub_id,
        supervisor_id: form
            .get("supervisor_id")
            .filter(|_| role == Role::Counsellor)
            .map(str::to_string),
        site_ids: vec![],
        language: None,
        notify_address: None,
    };
    match state.store.create_user(Some(&s.actor), new).await {
        Ok(_) => Ok(redirect("/console/users?done=created")),
        Err(e) => {
            let problem = form_problem(e)?;
            unprocessable(users_page(&state, &v, UsersQuery::default(), None, Some(problem)).await)
        }
    }
}

async fn set_active(
    state: AppState,
    v: Visitor,
    id: String,
    form: FormData,
    active: bool,
) -> Result<Response, PageError> {
    let s = v.may(Capability::ManageUsers)?;
    form.check_token(s, &v.tr)?;
    let id = uuid_or_404(&id, &v)?;
    match state.store.set_user_active(&s.actor, &id, active).await {
        Ok(_) if active => Ok(redirect("/console/users?done=reactivated")),
        Ok(_) => Ok(redirect("/console/users?done=deactivated")),
        Err(StoreError::Forbidden(_)) => Err(PageError::Status(
            StatusCode::FORBIDDEN,
            v.tr.t("console-deactivate-self"),
        )),
        Err(e) => Err(e.into()),
    }
}

/// `POST /console/users/{id}/deactivate`: the account's sessions end at once.
pub async fn deactivate(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    set_active(state, v, id, form, false).await
}

/// `POST /console/users/{id}/reactivate`.
pub async fn reactivate(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    set_active(state, v, id, form, true).await
}

/// `POST /console/users/{id}/password`: sets a new password and ends the account's sessions.
pub async fn reset_password(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let s = v.may(Capability::ManageUsers)?;
    form.check_token(s, &v.tr)?;
    let id = uuid_or_404(&id, &v)?;
    // The password as typed: leading or trailing spaces are part of it.
    let password = form
        .0
        .iter()
        .find(|(k, _)| k == "password")
        .map(|(_, p)| p.as_str())
        .unwrap_or_default();
    match state
        .store
        .set_password(Some(&s.actor), &id, password)
        .await
    {
        Ok(()) => Ok(redirect("/console/users?done=password")),
        Err(e) => {
            let problem = form_problem(e)?;
            unprocessable(users_page(&state, &v, UsersQuery::default(), None, Some(problem)).await)
        }
    }
}

#[derive(Template)]
#[template(path = "console_move.html")]
struct MovePage {
    c: Chrome,
    tabs: Vec<NavItem>,
    heading: String,
    from: UserRecord,
    /// How many clients would move and how many stay.
    counts: String,
    candidates: Vec<(String, String)>,
    /// The chosen counsellor's id and the question, when the page asks for confirmation.
    to: Option<(String, String)>,
    notice: Option<String>,
    error: Option<String>,
}

async fn move_page(
    state: &AppState,
    v: &Visitor,
    id: &str,
    to: Option<&str>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let s = v.may(Capability::MoveCaseloads)?;
    let id = uuid_or_404(id, v)?;
    // Counts first: they refuse an account the caller does not manage (404, like absent).
    let (active_clients, ended_clients) = state.store.caseload_counts(&s.actor, &id).await?;
    let from = state
        .store
        .user(&id)
        .await?
        .filter(|u| u.role == Role::Counsellor)
        .ok_or_else(|| {
            PageError::Status(StatusCode::NOT_FOUND, v.tr.t("console-not-counsellor"))
        })?;
    let mut candidates: Vec<(String, String)> = state
        .store
        .list_users(&s.actor)
        .await?
        .into_iter()
        .filter(|u| {
            u.role == Role::Counsellor && u.active && u.id != from.id && u.hub_id == from.hub_id
        })
        .map(|u| (u.id, u.display_name))
        .collect();
    candidates.sort_by(|a, b| a.1.cmp(&b.1));
    let to = to
        .and_then(|t| candidates.iter().find(|(id, _)| id == t))
        .map(|(id, name)| {
            (
                id.clone(),
                v.tr.s(
                    "console-move-confirm",
                    &[("from", &from.display_name), ("to", name)],
                ),
            )
        });
    let (c, tabs) = frame(v, "console-move-title", "/console/users");
    render(&MovePage {
        c,
        tabs,
        heading: v
            .tr
            .s("console-move-heading", &[("name", &from.display_name)]),
        counts: format!(
            "{} {}",
            v.tr.n("console-move-active", "count", active_clients),
            v.tr.n("console-move-ended", "count", ended_clients)
        ),
        from,
        candidates,
        to,
        notice: None,
        error,
    })
}

/// `GET /console/users/{id}/move[?to=ID]`: choose the counsellor who takes the caseload, then
/// confirm (the confirmation says how many clients move and how many stay).
pub async fn move_form(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<String>,
    Query(q): Params,
) -> Result<Response, PageError> {
    move_page(&state, &v, &id, q.get("to").map(String::as_str), None).await
}

/// `POST /console/users/{id}/move`: moves the active caseload (history follows, audited).
pub async fn move_caseload(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let s = v.may(Capability::MoveCaseloads)?;
    form.check_token(s, &v.tr)?;
    let from = uuid_or_404(&id, &v)?;
    let Some(to) = form.get("to").and_then(|t| uuid::Uuid::parse_str(t).ok()) else {
        return unprocessable(
            move_page(&state, &v, &id, None, Some(v.tr.t("console-move-choose"))).await,
        );
    };
    let to = to.to_string();
    if form.get("confirm") != Some("yes") {
        return move_page(&state, &v, &id, Some(&to), None).await;
    }
    match state.store.move_caseload(&s.actor, &from, &to).await {
        Ok(_) => Ok(redirect("/console/users?done=moved")),
        Err(e) => {
            let problem = form_problem(e)?;
            unprocessable(move_page(&state, &v, &id, None, Some(problem)).await)
        }
    }
}

// -------------------------------------------------------------------------------- org units

pub struct UnitRow {
    pub id: String,
    pub hub: String,
    pub level: String,
    pub code: String,
    pub name: String,
    pub catchment: String,
    /// Prevalence as a percentage, as people write it.
    pub prevalence: String,
    pub source: String,
}

#[derive(Template)]
#[template(path = "console_org_units.html")]
struct UnitsPage {
    c: Chrome,
    tabs: Vec<NavItem>,
    units: Vec<UnitRow>,
    notice: Option<String>,
    error: Option<String>,
}

async fn units_page(
    state: &AppState,
    v: &Visitor,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let s = v.may(Capability::ManageHubSetup)?;
    let hubs = hub_codes(state, s).await?;
    let units = state
        .store
        .org_units(&s.actor, None)
        .await?
        .into_iter()
        .map(|u| UnitRow {
            hub: code_of(&hubs, Some(&u.hub_id)),
            level: serde_json::to_value(u.level)
                .ok()
                .and_then(|l| l.as_str().map(str::to_string))
                .unwrap_or_default(),
            catchment: u
                .catchment_population
                .map(|p| p.to_string())
                .unwrap_or_default(),
            prevalence: u
                .prevalence
                .map(|p| scaleup_format::value(p * 100.0))
                .unwrap_or_default(),
            source: u.prevalence_source.unwrap_or_default(),
            id: u.id,
            code: u.code,
            name: u.name,
        })
        .collect();
    let (c, tabs) = frame(v, "console-org-units-title", "/console/org-units");
    render(&UnitsPage {
        c,
        tabs,
        units,
        notice,
        error,
    })
}

/// `GET /console/org-units`.
pub async fn org_units(
    State(state): State<AppState>,
    v: Visitor,
    Query(q): Params,
) -> Result<Response, PageError> {
    units_page(&state, &v, notice(&v, &q), None).await
}

/// `POST /console/org-units/{id}`: name, catchment population, prevalence (%) and its source.
pub async fn save_org_unit(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let s = v.may(Capability::ManageHubSetup)?;
    form.check_token(s, &v.tr)?;
    let id = uuid_or_404(&id, &v)?;
    let catchment = match form.get("catchment_population") {
        None => None,
        Some(t) => match t.replace([',', ' '], "").parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                return unprocessable(
                    units_page(&state, &v, None, Some(v.tr.t("console-catchment-invalid"))).await,
                );
            }
        },
    };
    // Blank clears the prevalence; a number is a percentage.
    let prevalence = match form.get("prevalence") {
        None => Some(None),
        Some(t) => match t.trim_end_matches('%').trim().parse::<f64>() {
            Ok(p) if p.is_finite() && (0.0..=100.0).contains(&p) => Some(Some(p / 100.0)),
            _ => {
                return unprocessable(
                    units_page(&state, &v, None, Some(v.tr.t("console-prevalence-invalid"))).await,
                );
            }
        },
    };
    let update = OrgUnitUpdate {
        name: form.get("name").map(str::to_string),
        catchment_population: catchment,
        prevalence,
        prevalence_source: form.get("prevalence_source").map(str::to_string),
    };
    match state.store.update_org_unit(&s.actor, &id, update).await {
        Ok(_) => Ok(redirect("/console/org-units?done=saved")),
        Err(e) => {
            let problem = form_problem(e)?;
            unprocessable(units_page(&state, &v, None, Some(problem)).await)
        }
    }
}

// ------------------------------------------------------------------------------- programmes

pub struct ProgrammeRowView {
    pub id: String,
    pub hub: String,
    pub code: String,
    pub name: String,
    pub protocol: String,
    pub alert_ack_hours: i64,
    pub start_date: String,
    /// Protocols the programme may use: its hub's catalogue.
    pub protocols: Vec<String>,
}

#[derive(Template)]
#[template(path = "console_programmes.html")]
struct ProgrammesPage {
    c: Chrome,
    tabs: Vec<NavItem>,
    programmes: Vec<ProgrammeRowView>,
    notice: Option<String>,
    error: Option<String>,
}

async fn programmes_page(
    state: &AppState,
    v: &Visitor,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let s = v.may(Capability::ManageHubSetup)?;
    let hubs = hub_codes(state, s).await?;
    let programmes = state
        .store
        .programmes(&s.actor)
        .await?
        .into_iter()
        .map(|p| {
            let mut protocols: Vec<String> = state
                .catalog(Some(&p.hub_id))
                .protocols()
                .map(|(_, pr)| pr.code().to_string())
                .collect();
            protocols.sort();
            protocols.dedup();
            ProgrammeRowView {
                hub: code_of(&hubs, Some(&p.hub_id)),
                protocols,
                id: p.id,
                code: p.code,
                name: p.name,
                protocol: p.protocol_code,
                alert_ack_hours: p.alert_ack_hours,
                start_date: p.start_date,
            }
        })
        .collect();
    let (c, tabs) = frame(v, "console-programmes-title", "/console/programmes");
    render(&ProgrammesPage {
        c,
        tabs,
        programmes,
        notice,
        error,
    })
}

/// `GET /console/programmes`.
pub async fn programmes(
    State(state): State<AppState>,
    v: Visitor,
    Query(q): Params,
) -> Result<Response, PageError> {
    programmes_page(&state, &v, notice(&v, &q), None).await
}

/// `POST /console/programmes/{id}`: name, protocol and the hours a risk alert may wait.
pub async fn save_programme(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let s = v.may(Capability::ManageHubSetup)?;
    form.check_token(s, &v.tr)?;
    let id = uuid_or_404(&id, &v)?;
    let hours = match form.get("alert_ack_hours") {
        None => None,
        Some(h) => match h.parse::<i64>() {
            Ok(h) => Some(h),
            Err(_) => {
                return unprocessable(
                    programmes_page(&state, &v, None, Some(v.tr.t("console-hours-invalid"))).await,
                );
            }
        },
    };
    let update = ProgrammeUpdate {
        name: form.get("name").map(str::to_string),
        protocol_code: form.get("protocol_code").map(str::to_string),
        alert_ack_hours: hours,
    };
    match state.store.update_programme(&s.actor, &id, update).await {
        Ok(_) => Ok(redirect("/console/programmes?done=saved")),
        Err(e) => {
            let problem = form_problem(e)?;
            unprocessable(programmes_page(&state, &v, None, Some(problem)).await)
        }
    }
}

// ------------------------------------------------------------------------------ definitions

pub struct DefinitionView {
    pub kind: String,
    pub code: String,
    pub version: String,
    pub scope: String,
    pub added_at: String,
}

/// One problem of an uploaded file, at its line, with the line as the file has it.
pub struct LineProblem {
    pub line: Option<usize>,
    pub field: String,
    pub message: String,
    /// The numbered lines around the problem (the file's own text: definitions are not
    /// client data).
    pub excerpt: Vec<(usize, String, bool)>,
}

#[derive(Template)]
#[template(path = "console_definitions.html")]
struct DefinitionsPage {
    c: Chrome,
    tabs: Vec<NavItem>,
    definitions: Vec<DefinitionView>,
    /// Stored files that do not load (a hub's file broken by a newer network file).
    stored_problems: Vec<String>,
    hubs: Vec<(String, String)>,
    network: bool,
    /// Which catalogue version is in force (it moves with every upload, on every server).
    version_note: String,
    notice: Option<String>,
    /// The uploaded file's name and its problems.
    refused: Option<(String, Vec<LineProblem>)>,
    error: Option<String>,
}

async fn definitions_page(
    state: &AppState,
    v: &Visitor,
    notice: Option<String>,
    refused: Option<(String, Vec<LineProblem>)>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let s = v.may(Capability::ManageDefinitions)?;
    let hubs = hub_codes(state, s).await?;
    let network_label = v.tr.t("console-scope-network");
    let mut definitions: Vec<DefinitionView> = state
        .store
        .definitions_visible(&s.actor)
        .await?
        .into_iter()
        .map(|d| DefinitionView {
            scope: match &d.hub_id {
                Some(h) => code_of(&hubs, Some(h)),
                None => network_label.clone(),
            },
            kind: d.kind,
            code: d.code,
            version: d.version,
            added_at: d.added_at.chars().take(10).collect(),
        })
        .collect();
    definitions.reverse();
    let catalogs = state.store.catalogs();
    let stored_problems = catalogs
        .problems()
        .iter()
        .filter(|p| p.hub_id.as_deref().is_none_or(|h| s.actor.may_see_hub(h)))
        .map(|p| format!("{}: {}", p.origin, p.message))
        .collect();
    let (c, tabs) = frame(v, "console-definitions-title", "/console/definitions");
    render(&DefinitionsPage {
        c,
        tabs,
        definitions,
        stored_problems,
        hubs,
        network: s.actor.role.can(Capability::ManageNetworkDefinitions),
        version_note: v.tr.s(
            "console-definitions-version",
            &[("version", &catalogs.version().to_string())],
        ),
        notice,
        refused,
        error,
    })
}

/// `GET /console/definitions`: the files that apply to the caller's hubs, and the upload form.
pub async fn definitions(
    State(state): State<AppState>,
    v: Visitor,
    Query(q): Params,
) -> Result<Response, PageError> {
    definitions_page(&state, &v, notice(&v, &q), None, None).await
}

/// Every problem of a refused file, each with the lines around it when the file is text.
fn line_problems(
    e: &scaleup_domain::catalog::DefinitionError,
    text: Option<&str>,
) -> Vec<LineProblem> {
    e.problems()
        .map(|p| LineProblem {
            line: p.line,
            field: p.field.clone(),
            message: p.message.clone(),
            excerpt: text.map(|t| excerpt(t, p.line)).unwrap_or_default(),
        })
        .collect()
}

/// The numbered lines around `line` (two either side), the problem's line marked.
fn excerpt(text: &str, line: Option<usize>) -> Vec<(usize, String, bool)> {
    let Some(line) = line else { return vec![] };
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(n, _)| n.abs_diff(line) <= 2)
        .map(|(n, l)| (n, l.chars().take(200).collect(), n == line))
        .collect()
}

/// `POST /console/definitions` (`multipart/form-data`: `file`, `hub_id`, `_csrf`): validates
/// and stores a definition file for a hub, or for every hub (`hub_id=network`, admins). A
/// refused file is shown with its problem at its line; an accepted one applies at once, on
/// every server.
pub async fn upload_definition(
    State(state): State<AppState>,
    v: Visitor,
    req: axum::extract::Request,
) -> Result<Response, PageError> {
    // The role first: nobody else makes the server read a file.
    let s = v.may(Capability::ManageDefinitions)?;
    let form = MultipartData::from_request(req, &()).await?;
    form.check_token(s, &v.tr)?;
    let hub = match form.get("hub_id") {
        Some("network") => None,
        Some(h) => Some(uuid_or_404(h, &v)?),
        None => match s.actor.hubs.as_slice() {
            [one] if !s.actor.role.sees_every_hub() => Some(one.clone()),
            _ => {
                return unprocessable(
                    definitions_page(&state, &v, None, None, Some(v.tr.t("console-hub-required")))
                        .await,
                );
            }
        },
    };
    if hub.is_none() {
        v.may(Capability::ManageNetworkDefinitions)?;
    }
    let Some((file_name, bytes)) = form.file("file") else {
        return unprocessable(
            definitions_page(
                &state,
                &v,
                None,
                None,
                Some(v.tr.t("console-file-required")),
            )
            .await,
        );
    };
    if bytes.len() > MAX_DEFINITION_BYTES {
        return Err(PageError::Status(
            StatusCode::PAYLOAD_TOO_LARGE,
            v.tr.t("console-file-too-large"),
        ));
    }
    // Only the file's own name: a browser may send a path.
    let file_name: String = file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect();
    // An XLSForm workbook becomes an instrument (and item texts per language), stored in one
    // step: every file is validated before any is kept.
    if file_name.to_ascii_lowercase().ends_with(".xlsx") || bytes.starts_with(b"PK\x03\x04") {
        return upload_xlsform(
            &state,
            &v,
            &s.actor,
            hub.as_deref(),
            &file_name,
            bytes,
            form.get("licence"),
        )
        .await;
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return unprocessable(
            definitions_page(
                &state,
                &v,
                None,
                None,
                Some(v.tr.t("console-file-not-text")),
            )
            .await,
        );
    };
    match crate::console::upload(&state, &s.actor, hub.as_deref(), &file_name, text).await {
        Ok(_) => Ok(redirect("/console/definitions?done=uploaded")),
        Err(StoreError::Definition(e)) => {
            let problems = line_problems(&e, Some(text));
            unprocessable(
                definitions_page(&state, &v, None, Some((file_name, problems)), None).await,
            )
        }
        Err(e) => {
            let problem = form_problem(e)?;
            unprocessable(definitions_page(&state, &v, None, None, Some(problem)).await)
        }
    }
}

/// An uploaded XLSForm: translated by scaleup-interop (`import::xlsform`), refused with every
/// cell that stops it (sheet, row and column in place of a line), or stored with its item texts.
async fn upload_xlsform(
    state: &AppState,
    v: &Visitor,
    actor: &scaleup_storage::Actor,
    hub: Option<&str>,
    file_name: &str,
    bytes: &[u8],
    licence: Option<&str>,
) -> Result<Response, PageError> {
    use scaleup_domain::instrument::LicenceStatus;
    use scaleup_interop::import::form::InstrumentOptions;
    let options = InstrumentOptions {
        licence: match licence {
            Some("open") => LicenceStatus::Open,
            Some("attribution") => LicenceStatus::Attribution,
            _ => LicenceStatus::Unknown,
        },
        ..InstrumentOptions::default()
    };
    let name = file_name.to_string();
    let owned = bytes.to_vec();
    let translated = tokio::task::spawn_blocking(move || {
        scaleup_interop::import::xlsform::read(&name, std::io::Cursor::new(owned))
            .and_then(|form| form.to_instrument(&options))
    })
    .await
    .map_err(|_| PageError::Internal("the XLSForm translation task failed".into()))?;
    let files = match translated {
        Ok(f) => f,
        Err(errors) => {
            let problems = errors
                .iter()
                .map(|e| LineProblem {
                    line: e.location.row.map(|r| r as usize),
                    field: match (&e.location.sheet, &e.location.column) {
                        (Some(s), Some(c)) => format!("{s} / {c}"),
                        (Some(s), None) => s.clone(),
                        (None, Some(c)) => c.clone(),
                        (None, None) => String::new(),
                    },
                    message: e.message.clone(),
                    excerpt: Vec::new(),
                })
                .collect();
            return unprocessable(
                definitions_page(
                    state,
                    v,
                    None,
                    Some((file_name.to_string(), problems)),
                    None,
                )
                .await,
            );
        }
    };
    let mut texts = vec![(format!("{}.toml", files.code), files.instrument.clone())];
    for (lang, text) in &files.item_texts {
        texts.push((format!("{}.{lang}.toml", files.code), text.clone()));
    }
    match state.store.add_definitions(Some(actor), hub, &texts).await {
        Ok(_) => Ok(redirect("/console/definitions?done=uploaded")),
        Err(StoreError::Definition(e)) => {
            let problems = line_problems(&e, None);
            unprocessable(
                definitions_page(
                    state,
                    v,
                    None,
                    Some((file_name.to_string(), problems)),
                    None,
                )
                .await,
            )
        }
        Err(e) => {
            let problem = form_problem(e)?;
            unprocessable(definitions_page(state, v, None, None, Some(problem)).await)
        }
    }
}

// ------------------------------------------------------------------------------------ audit

pub struct AuditRowView {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub entity: String,
    pub hub: String,
}

#[derive(Template)]
#[template(path = "console_audit.html")]
struct AuditPage {
    c: Chrome,
    tabs: Vec<NavItem>,
    rows: Vec<AuditRowView>,
    /// The filter as given, to fill the form again.
    hub: String,
    /// Hubs to choose from, when the caller sees more than one.
    hubs: Vec<(String, String)>,
    actor: String,
    action: String,
    from: String,
    to: String,
    /// The link to the next (older) page, filters kept.
    older: Option<String>,
    notice: Option<String>,
    error: Option<String>,
}

/// `GET /console/audit[?actor=USERNAME&action=PREFIX&from=DATE&to=DATE&before=SEQ]`: the
/// events of the caller's hubs (an admin's: all), newest first, a page at a time.
pub async fn audit(
    State(state): State<AppState>,
    v: Visitor,
    Query(q): Params,
) -> Result<Response, PageError> {
    let s = v.may(Capability::ReadAudit)?;
    let field = |k: &str| {
        q.get(k)
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
    };
    let (actor, action, from, to) = (field("actor"), field("action"), field("from"), field("to"));
    // The cursor comes from the page's own link; anything else starts from the newest.
    let before = field("before").and_then(|b| b.parse::<i64>().ok());
    let hubs = hub_codes(&state, s).await?;
    let staff: HashMap<String, UserRecord> = state
        .store
        .list_users(&s.actor)
        .await?
        .into_iter()
        .map(|u| (u.id.clone(), u))
        .collect();
    // An account the caller cannot see matches no event (rather than saying it exists).
    let actor_id = actor.as_ref().map(|name| {
        staff
            .values()
            .find(|u| &u.username == name)
            .map(|u| u.id.clone())
            .unwrap_or_else(|| "-".into())
    });
    // A hub the caller sees (admins: any) narrows the log; anything else is ignored.
    let hub = field("hub").filter(|h| hubs.iter().any(|(id, _)| id == h));
    let filter = AuditFilter {
        hub_id: hub.clone(),
        actor_id,
        action: action.clone(),
        from: from.clone(),
        to: to.clone(),
    };
    let (c, tabs) = frame(&v, "console-audit-title", "/console/audit");
    let page = |rows, older, error| AuditPage {
        c,
        tabs,
        rows,
        hub: hub.clone().unwrap_or_default(),
        hubs: if hubs.len() > 1 { hubs.clone() } else { vec![] },
        actor: actor.clone().unwrap_or_default(),
        action: action.clone().unwrap_or_default(),
        from: from.clone().unwrap_or_default(),
        to: to.clone().unwrap_or_default(),
        older,
        notice: None,
        error,
    };
    let (items, next) = match state
        .store
        .audit_page_filtered(&s.actor, &filter, before, AUDIT_PAGE)
        .await
    {
        Ok(found) => found,
        Err(StoreError::Invalid { field, .. }) => {
            let message = v.tr.s("console-audit-bad-date", &[("field", &field)]);
            return unprocessable(render(&page(vec![], None, Some(message))));
        }
        Err(e) => return Err(e.into()),
    };
    let system = v.tr.t("console-audit-system");
    let rows = items
        .iter()
        .map(|e| {
            let text = |k: &str| e[k].as_str().unwrap_or_default().to_string();
            AuditRowView {
                seq: e["seq"].as_i64().unwrap_or_default(),
                at: text("at")
                    .chars()
                    .take(19)
                    .collect::<String>()
                    .replace('T', " "),
                actor: e["actor_id"]
                    .as_str()
                    .map(|id| {
                        staff
                            .get(id)
                            .map(|u| u.username.clone())
                            .unwrap_or_else(|| id.chars().take(8).collect())
                    })
                    .unwrap_or_else(|| system.clone()),
                role: e["actor_role"]
                    .as_str()
                    .map(|r| v.tr.t(&format!("role-{r}")))
                    .unwrap_or_default(),
                action: text("action"),
                entity: format!(
                    "{} {}",
                    text("entity_kind"),
                    text("entity_id").chars().take(8).collect::<String>()
                ),
                hub: code_of(&hubs, e["hub_id"].as_str()),
            }
        })
        .collect();
    let older = next.map(|n| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, val) in [
            ("hub", &hub),
            ("actor", &actor),
            ("action", &action),
            ("from", &from),
            ("to", &to),
        ] {
            if let Some(val) = val {
                q.append_pair(k, val);
            }
        }
        q.append_pair("before", &n.to_string());
        format!("/console/audit?{}", q.finish())
    });
    render(&page(rows, older, None))
}

// -------------------------------------------------------------------------------- conflicts

pub struct ConflictView {
    pub id: String,
    pub kind: String,
    pub client: String,
    /// Who sent the edit, when, for whose caseload.
    pub by: String,
    /// Fields whose values differ: name, kept on the server, sent by the device.
    pub changes: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "console_conflicts.html")]
struct ConflictsPage {
    c: Chrome,
    tabs: Vec<NavItem>,
    conflicts: Vec<ConflictView>,
    notice: Option<String>,
    error: Option<String>,
}

/// A field's value as one short line.
fn short(value: Option<&serde_json::Value>) -> String {
    let text = match value {
        None | Some(serde_json::Value::Null) => "—".to_string(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    let mut out: String = text.chars().take(80).collect();
    if text.chars().count() > 80 {
        out.push('…');
    }
    out
}

/// `GET /console/conflicts`: open sync conflicts in the caller's scope, field by field.
pub async fn conflicts(
    State(state): State<AppState>,
    v: Visitor,
    Query(q): Params,
) -> Result<Response, PageError> {
    let s = v.may(Capability::ReviewClinical)?;
    let staff: HashMap<String, String> = state
        .store
        .list_users(&s.actor)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    let name = |id: Option<&str>| {
        id.map(|i| {
            staff
                .get(i)
                .cloned()
                .unwrap_or_else(|| i.chars().take(8).collect())
        })
        .unwrap_or_default()
    };
    let conflicts = state
        .store
        .conflicts(&s.actor)
        .await?
        .into_iter()
        .map(|c| {
            let mut keys: Vec<&String> = c
                .server_data
                .as_object()
                .into_iter()
                .chain(c.incoming_data.as_object())
                .flat_map(|o| o.keys())
                .collect();
            keys.sort();
            keys.dedup();
            let changes = keys
                .into_iter()
                .filter(|k| c.server_data.get(k.as_str()) != c.incoming_data.get(k.as_str()))
                .map(|k| {
                    (
                        k.clone(),
                        short(c.server_data.get(k.as_str())),
                        short(c.incoming_data.get(k.as_str())),
                    )
                })
                .collect();
            ConflictView {
                kind: v.tr.t(&format!("app-kind-{}", c.kind)),
                client: c
                    .client_id
                    .as_deref()
                    .map(|i| i.chars().take(8).collect())
                    .unwrap_or_default(),
                by: v.tr.s(
                    "console-conflict-by",
                    &[
                        ("author", &name(Some(&c.author_id))),
                        (
                            "time",
                            &c.device_time
                                .chars()
                                .take(16)
                                .collect::<String>()
                                .replace('T', " "),
                        ),
                        ("counsellor", &name(c.counsellor_id.as_deref())),
                    ],
                ),
                changes,
                id: c.id,
            }
        })
        .collect();
    let (c, tabs) = frame(&v, "console-conflicts-title", "/console/conflicts");
    render(&ConflictsPage {
        c,
        tabs,
        conflicts,
        notice: notice(&v, &q),
        error: None,
    })
}

/// `POST /console/conflicts/{id}/resolve` (`keep=server|incoming`).
pub async fn resolve_conflict(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let s = v.may(Capability::ReviewClinical)?;
    form.check_token(s, &v.tr)?;
    let id = uuid_or_404(&id, &v)?;
    let keep = form.get("keep").unwrap_or_default();
    state.store.resolve_conflict(&s.actor, &id, keep).await?;
    Ok(redirect("/console/conflicts?done=resolved"))
}
