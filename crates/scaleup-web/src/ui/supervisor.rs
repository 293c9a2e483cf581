//! The supervisor's pages (and the hub manager's): the review queue, a risk alert with its
//! acknowledgement and follow-ups, a client, the supervision log, competency ratings and the
//! per-counsellor coaching view. All server-rendered; none needs JavaScript.

use super::forms::FormData;
use super::svg;
use super::{Chrome, PageError, Visitor, redirect, render};
use crate::api::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use scaleup_domain::competency::{BasicSkills, enact_level};
use scaleup_domain::role::Role;
use scaleup_storage::{AlertFilter, AlertRow, IncomingRecord, Store, UserRecord};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};

const REVIEWERS: &[Role] = &[Role::Supervisor, Role::HubManager];

/// The short pseudonymous code shown for a client whose name the viewer may not read.
fn code(client_id: &str) -> String {
    client_id.chars().take(8).collect()
}

fn uuid_or_404(id: &str, v: &Visitor) -> Result<String, PageError> {
    uuid::Uuid::parse_str(id)
        .map(|u| u.to_string())
        .map_err(|_| PageError::Status(StatusCode::NOT_FOUND, v.tr.t("error-not-found")))
}

/// Display names of the accounts the actor may list (supervisees, hub staff).
async fn staff_names(store: &Store, v: &Visitor) -> Result<HashMap<String, UserRecord>, PageError> {
    let s = v.signed_in()?;
    Ok(store
        .list_users(&s.actor)
        .await?
        .into_iter()
        .map(|u| (u.id.clone(), u))
        .collect())
}

/// Writes records through the sync path a device uses: same checks, scores, alerts, audit.
/// Returns the first rejection's message, if any.
async fn write_records(
    store: &Store,
    v: &Visitor,
    records: Vec<(&str, String, Value)>,
) -> Result<Option<String>, PageError> {
    let s = v.signed_in()?;
    let now = scaleup_storage::now_timestamp();
    let incoming: Vec<IncomingRecord> = records
        .into_iter()
        .map(|(kind, id, data)| {
            serde_json::from_value(
                json!({"kind": kind, "id": id, "device_time": now, "data": data}),
            )
            .map_err(|e| PageError::Internal(e.to_string()))
        })
        .collect::<Result<_, _>>()?;
    let acks = store.push(&s.actor, "web", incoming).await?;
    Ok(acks.into_iter().find_map(|a| {
        a.error.map(|e| {
            format!(
                "{}{}",
                e.field.map(|f| f + ": ").unwrap_or_default(),
                e.message
            )
        })
    }))
}

// ------------------------------------------------------------------------------------ queue

pub struct QueueAlert {
    pub id: String,
    pub client_id: String,
    pub client: String,
    pub counsellor: String,
    pub level: String,
    pub status: String,
    pub due_at: String,
    pub overdue: bool,
}

pub struct QueueRow {
    pub client_id: String,
    pub client: String,
    pub counsellor: String,
    pub flags: Vec<(&'static str, String)>,
}

#[derive(Template)]
#[template(path = "supervise_queue.html")]
struct QueuePage {
    c: Chrome,
    alerts: Vec<QueueAlert>,
    rows: Vec<QueueRow>,
    counsellors: Vec<(String, String)>,
}

/// Flag order in the queue: risk first, then no improvement, missed and overdue sessions,
/// dropout (the order: what is most urgent for the client first).
fn flag_rank(flag: &str) -> usize {
    [
        "risk",
        "no_improvement",
        "missed_sessions",
        "overdue",
        "dropout",
    ]
    .iter()
    .position(|f| *f == flag)
    .unwrap_or(9)
}

/// `GET /supervise`: open risk alerts, then flagged clients across the caller's supervisees.
pub async fn queue(State(state): State<AppState>, v: Visitor) -> Result<Response, PageError> {
    let s = v.with_role(REVIEWERS)?;
    let store = &state.store;
    let staff = staff_names(store, &v).await?;
    let name_of = |id: &Option<String>| {
        id.as_ref()
            .and_then(|i| staff.get(i))
            .map(|u| u.display_name.clone())
            .unwrap_or_default()
    };
    let mut alerts = Vec::new();
    for status in ["open", "escalated"] {
        let (page, _) = store
            .alerts_page(
                &s.actor,
                &AlertFilter {
                    status: Some(status.into()),
                    limit: 500,
                    ..Default::default()
                },
            )
            .await?;
        alerts.extend(page);
    }
    alerts.sort_by(|a, b| (a.level != "urgent", &a.due_at).cmp(&(b.level != "urgent", &b.due_at)));
    // The store applies the protocol rules: each entry carries its supervision flags.
    let (entries, _) = store.caseload(&s.actor, None, 500).await?;
    let mut rows: Vec<(usize, QueueRow)> = Vec::new();
    let mut ids: Vec<String> = alerts.iter().map(|a| a.client_id.clone()).collect();
    for entry in &entries {
        if entry.flags.is_empty() {
            continue;
        }
        ids.push(entry.client_id.clone());
        let mut flags: Vec<&'static str> = entry.flags.clone();
        flags.sort_by_key(|f| flag_rank(f));
        rows.push((
            flag_rank(flags[0]),
            QueueRow {
                client_id: entry.client_id.clone(),
                client: String::new(),
                counsellor: name_of(&entry.counsellor_id),
                flags: flags
                    .into_iter()
                    .map(|f| (f, v.tr.t(&format!("flag-{f}"))))
                    .collect(),
            },
        ));
    }
    ids.sort();
    ids.dedup();
    let names = store.client_names(&s.actor, &ids).await?;
    let label = |id: &str| names.get(id).cloned().unwrap_or_else(|| code(id));
    rows.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.counsellor.cmp(&b.1.counsellor)));
    let now = scaleup_storage::now_timestamp();
    let alerts = alerts
        .into_iter()
        .map(|a| QueueAlert {
            client: label(&a.client_id),
            counsellor: name_of(&a.counsellor_id),
            overdue: a.due_at < now,
            due_at: a
                .due_at
                .chars()
                .take(16)
                .collect::<String>()
                .replace('T', " "),
            level: v.tr.t(&format!("alert-level-{}", a.level)),
            status: v.tr.t(&format!("alert-status-{}", a.status)),
            id: a.id,
            client_id: a.client_id,
        })
        .collect();
    let rows = rows
        .into_iter()
        .map(|(_, mut r)| {
            r.client = label(&r.client_id);
            r
        })
        .collect();
    let mut counsellors: Vec<(String, String)> = staff
        .values()
        .filter(|u| {
            u.role == Role::Counsellor
                && (s.actor.role != Role::Supervisor
                    || u.supervisor_id.as_deref() == Some(s.user.id.as_str()))
        })
        .map(|u| (u.id.clone(), u.display_name.clone()))
        .collect();
    counsellors.sort_by(|a, b| a.1.cmp(&b.1));
    render(&QueuePage {
        c: v.chrome(v.tr.t("queue-title"), "/supervise"),
        alerts,
        rows,
        counsellors,
    })
}

// ------------------------------------------------------------------------------------ alert

pub struct HistoryRow {
    pub kind: String,
    pub at: String,
    pub by: String,
    pub actions: Vec<String>,
    pub note: Option<String>,
}

#[derive(Template)]
#[template(path = "supervise_alert.html")]
struct AlertPage {
    c: Chrome,
    alert: AlertRow,
    client: String,
    counsellor: String,
    rule_message: String,
    level: String,
    status: String,
    history: Vec<HistoryRow>,
    actions: Vec<(&'static str, String)>,
    error: Option<String>,
    done: Option<String>,
}

async fn alert_page(
    state: &AppState,
    v: &Visitor,
    id: &str,
    error: Option<String>,
    done: Option<String>,
) -> Result<Response, PageError> {
    let s = v.with_role(REVIEWERS)?;
    let store = &state.store;
    let (alert, history) = store.alert_detail(&s.actor, id).await?;
    let staff = staff_names(store, v).await?;
    let names = store
        .client_names(&s.actor, std::slice::from_ref(&alert.client_id))
        .await?;
    let rule_message = state
        .catalog(Some(&alert.hub_id))
        .instruments()
        .find_map(|(_, i)| {
            i.def()
                .risk_rules
                .iter()
                .find(|r| alert.rule_id.ends_with(&r.id) && alert.rule_id.starts_with(i.code()))
                .map(|r| r.message.clone())
        })
        .unwrap_or_else(|| alert.rule_id.clone());
    let history = history
        .into_iter()
        .map(|h| HistoryRow {
            kind: v.tr.t(&format!("history-{}", h.kind)),
            at: h.at.chars().take(16).collect::<String>().replace('T', " "),
            by: h.by_name,
            actions: h
                .actions
                .iter()
                .map(|a| v.tr.t(&format!("action-{a}")))
                .collect(),
            note: h.note,
        })
        .collect();
    let page = AlertPage {
        c: v.chrome(v.tr.t("alert-title"), "/supervise"),
        client: names
            .get(&alert.client_id)
            .cloned()
            .unwrap_or_else(|| code(&alert.client_id)),
        counsellor: alert
            .counsellor_id
            .as_ref()
            .and_then(|c| staff.get(c))
            .map(|u| u.display_name.clone())
            .unwrap_or_default(),
        rule_message,
        level: v.tr.t(&format!("alert-level-{}", alert.level)),
        status: v.tr.t(&format!("alert-status-{}", alert.status)),
        history,
        actions: scaleup_storage::ALERT_ACTIONS
            .iter()
            .map(|a| (*a, v.tr.t(&format!("action-{a}"))))
            .collect(),
        error,
        done,
        alert,
    };
    render(&page)
}

/// `GET /supervise/alerts/{id}`.
pub async fn alert(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let id = uuid_or_404(&id, &v)?;
    let done = q.get("done").map(|d| match d.as_str() {
        "ack" => v.tr.t("alert-ack-done"),
        _ => v.tr.t("alert-followup-done"),
    });
    alert_page(&state, &v, &id, None, done).await
}

/// `POST /supervise/alerts/{id}/acknowledge`: one or more actions and an optional note.
pub async fn acknowledge(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let s = v.with_role(REVIEWERS)?;
    form.check_token(s, &v.tr)?;
    let id = uuid_or_404(&id, &v)?;
    let actions = form.all("actions");
    if actions.is_empty() {
        return alert_page(&state, &v, &id, Some(v.tr.t("alert-choose-action")), None).await;
    }
    match state
        .store
        .acknowledge_alert(&s.actor, &id, &actions, form.get("note"))
        .await
    {
        Ok(_) => Ok(redirect(&format!("/supervise/alerts/{id}?done=ack"))),
        Err(scaleup_storage::StoreError::Invalid { field, message }) => {
            alert_page(&state, &v, &id, Some(format!("{field}: {message}")), None).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /supervise/alerts/{id}/follow-up`: later actions and notes on the same alert.
pub async fn follow_up(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let s = v.with_role(REVIEWERS)?;
    form.check_token(s, &v.tr)?;
    let id = uuid_or_404(&id, &v)?;
    let actions = form.all("actions");
    let note = form.get("note");
    if actions.is_empty() && note.is_none() {
        return alert_page(&state, &v, &id, Some(v.tr.t("alert-choose-action")), None).await;
    }
    match state
        .store
        .add_alert_follow_up(&s.actor, &id, &actions, note)
        .await
    {
        Ok(_) => Ok(redirect(&format!("/supervise/alerts/{id}?done=follow-up"))),
        Err(scaleup_storage::StoreError::Invalid { field, message }) => {
            alert_page(&state, &v, &id, Some(format!("{field}: {message}")), None).await
        }
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------------------------------ client

pub struct RecordLine {
    pub kind: String,
    pub on: String,
    pub summary: String,
}

#[derive(Template)]
#[template(path = "supervise_client.html")]
struct ClientPage {
    c: Chrome,
    name: String,
    programme: String,
    counsellor: String,
    status: String,
    sessions: usize,
    trend: String,
    records: Vec<RecordLine>,
}

/// `GET /supervise/clients/{id}`: one client's course, for supervision.
pub async fn client(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let s = v.with_role(REVIEWERS)?;
    let id = uuid_or_404(&id, &v)?;
    let store = &state.store;
    let client = store.client(&s.actor, &id).await?;
    let records = store.client_records(&s.actor, &id).await?;
    let names = store
        .client_names(&s.actor, std::slice::from_ref(&id))
        .await?;
    let staff = staff_names(store, &v).await?;
    let programme = match &client.programme_id {
        Some(p) => store.programme(p).await?,
        None => None,
    };
    // The client's hub's catalogue: the network's definitions and the hub's own.
    let catalog = state.catalog(Some(&client.hub_id));
    let protocol = programme
        .as_ref()
        .and_then(|p| catalog.protocol(&p.protocol_code));
    let outcome = protocol
        .and_then(|p| p.def().outcomes.first().map(|o| o.instrument.clone()))
        .or_else(|| {
            protocol.and_then(|p| p.def().screening.as_ref().map(|s| s.instrument.clone()))
        });
    let episode = records.iter().rfind(|r| r.kind == "episode");
    let status = match episode {
        None => v.tr.t("episode-none"),
        Some(e) if e.data.get("closed_on").is_some() => v.tr.t("episode-closed"),
        Some(_) => v.tr.t("episode-active"),
    };
    let sessions = records
        .iter()
        .filter(|r| r.kind == "session" && r.data["attended"] == json!(true))
        .count();
    let mut points = Vec::new();
    let mut range = (0.0, 1.0);
    if let Some(code) = &outcome {
        if let Some(i) = catalog.instrument(code) {
            let r = i.def().scoring.range;
            range = (r[0], r[1]);
        }
        for r in records
            .iter()
            .filter(|r| r.kind == "assessment" && r.data["instrument"] == json!(code))
        {
            let (Some(on), Some(total)) = (
                r.occurred_on
                    .as_deref()
                    .and_then(|d| scaleup_domain::date::Date::parse(d, "d").ok()),
                r.score.as_ref().and_then(|s| s["total"].as_f64()),
            ) else {
                continue;
            };
            points.push((on.julian_day() as i64, total));
        }
    }
    let trend = if points.is_empty() {
        String::new()
    } else {
        svg::trend(outcome.as_deref().unwrap_or_default(), &points, range)
    };
    let lines = records
        .iter()
        .rev()
        .filter(|r| r.kind != "client_identity")
        .map(|r| RecordLine {
            kind: v.tr.t(&format!("app-kind-{}", r.kind)),
            on: r.occurred_on.clone().unwrap_or_default(),
            summary: summarise(r, &v, &catalog),
        })
        .collect();
    render(&ClientPage {
        c: v.chrome(
            names
                .get(&id)
                .cloned()
                .unwrap_or_else(|| v.tr.s("client-title", &[("code", &code(&id))])),
            "/supervise",
        ),
        name: names.get(&id).cloned().unwrap_or_else(|| code(&id)),
        programme: programme.map(|p| p.name).unwrap_or_default(),
        counsellor: client
            .counsellor_id
            .as_ref()
            .and_then(|c| staff.get(c))
            .map(|u| u.display_name.clone())
            .unwrap_or_default(),
        status,
        sessions,
        trend,
        records: lines,
    })
}

fn summarise(
    r: &scaleup_storage::RecordRow,
    v: &Visitor,
    catalog: &scaleup_domain::catalog::Catalog,
) -> String {
    let d = &r.data;
    match r.kind.as_str() {
        "assessment" => {
            let code = d["instrument"].as_str().unwrap_or_default();
            let instrument = catalog
                .instrument(code)
                .and_then(|i| i.def().short_name.clone())
                .unwrap_or_else(|| code.to_string());
            let total = r
                .score
                .as_ref()
                .and_then(|s| s["total"].as_f64())
                .map(svg::fmt)
                .unwrap_or_else(|| "–".into());
            let band = r
                .score
                .as_ref()
                .and_then(|s| s["band"]["label"].as_str())
                .unwrap_or_default();
            format!("{instrument} {total} {band}")
        }
        "session" => format!(
            "{} · {}",
            v.tr.s("app-session-n", &[("n", &d["number"].to_string())]),
            if d["attended"] == json!(true) {
                v.tr.t("app-session-attended")
            } else {
                v.tr.t("app-session-missed")
            }
        ),
        "episode" => d["closure_reason"]
            .as_str()
            .map(|r| v.tr.t(&format!("app-closure-{r}")))
            .unwrap_or_else(|| v.tr.t("episode-active")),
        "referral" => v.tr.t(&format!(
            "app-service-{}",
            d["to_service"].as_str().unwrap_or("other")
        )),
        _ => String::new(),
    }
}

// ------------------------------------------------------------------------------------ supervision log

pub struct LogEntry {
    pub on: String,
    pub minutes: String,
    pub format: String,
    pub counsellors: String,
    pub notes: Option<String>,
    pub action_points: Vec<String>,
}

#[derive(Template)]
#[template(path = "supervise_session.html")]
struct SessionPage {
    c: Chrome,
    today: String,
    counsellors: Vec<(String, String)>,
    recent: Vec<LogEntry>,
    error: Option<String>,
    done: bool,
}

async fn session_page(
    state: &AppState,
    v: &Visitor,
    error: Option<String>,
    done: bool,
) -> Result<Response, PageError> {
    let s = v.with_role(&[Role::Supervisor])?;
    let staff = staff_names(&state.store, v).await?;
    let mut counsellors: Vec<(String, String)> = staff
        .values()
        .filter(|u| u.supervisor_id.as_deref() == Some(s.user.id.as_str()))
        .map(|u| (u.id.clone(), u.display_name.clone()))
        .collect();
    counsellors.sort_by(|a, b| a.1.cmp(&b.1));
    let recent = state
        .store
        .supervision_log(&s.actor, 10)
        .await?
        .into_iter()
        .map(|(_, d)| LogEntry {
            on: d["on"].as_str().unwrap_or_default().into(),
            minutes: d["duration_minutes"].to_string(),
            format: v.tr.t(&format!(
                "format-{}",
                d["format"].as_str().unwrap_or("individual")
            )),
            counsellors: d["counsellor_ids"]
                .as_array()
                .map(|ids| {
                    ids.iter()
                        .filter_map(|i| i.as_str().and_then(|i| staff.get(i)))
                        .map(|u| u.display_name.clone())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default(),
            notes: d["notes"].as_str().map(str::to_string),
            action_points: d["action_points"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    render(&SessionPage {
        c: v.chrome(v.tr.t("supervision-title"), "/supervise/sessions/new"),
        today: scaleup_storage::now_timestamp()[..10].to_string(),
        counsellors,
        recent,
        error,
        done,
    })
}

/// `GET /supervise/sessions/new`: the supervision log and its form.
pub async fn session_form(
    State(state): State<AppState>,
    v: Visitor,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    session_page(&state, &v, None, q.contains_key("done")).await
}

/// `POST /supervise/sessions/new`: records a supervision session (notes sealed at rest).
pub async fn save_session(
    State(state): State<AppState>,
    v: Visitor,
    form: FormData,
) -> Result<Response, PageError> {
    let s = v.with_role(&[Role::Supervisor])?;
    form.check_token(s, &v.tr)?;
    let action_points: Vec<String> = form
        .get("action_points")
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let mut data = json!({
        "supervisor_id": s.user.id,
        "on": form.get("on").unwrap_or_default(),
        "duration_minutes": form.get("minutes").and_then(|m| m.parse::<u32>().ok()).unwrap_or(0),
        "format": form.get("format").unwrap_or("individual"),
        "counsellor_ids": form.all("counsellors"),
    });
    if let Some(n) = form.get("notes") {
        data["notes"] = json!(n);
    }
    if !action_points.is_empty() {
        data["action_points"] = json!(action_points);
    }
    let id = uuid::Uuid::new_v4().to_string();
    match write_records(&state.store, &v, vec![("supervision_session", id, data)]).await? {
        Some(problem) => session_page(&state, &v, Some(problem), false).await,
        None => Ok(redirect("/supervise/sessions/new?done")),
    }
}

// ------------------------------------------------------------------------------------ rating

pub struct CompetencyRow {
    pub id: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "supervise_rating.html")]
struct RatingPage {
    c: Chrome,
    counsellor_id: String,
    competencies: Vec<CompetencyRow>,
    enact: bool,
    levels: Vec<(u8, String)>,
    today: String,
    error: Option<String>,
}

async fn counsellor(state: &AppState, v: &Visitor, id: &str) -> Result<UserRecord, PageError> {
    let staff = staff_names(&state.store, v).await?;
    staff
        .get(id)
        .filter(|u| u.role == Role::Counsellor)
        .cloned()
        .ok_or_else(|| PageError::Status(StatusCode::NOT_FOUND, v.tr.t("error-not-found")))
}

async fn rating_page(
    state: &AppState,
    v: &Visitor,
    id: &str,
    error: Option<String>,
) -> Result<Response, PageError> {
    v.with_role(REVIEWERS)?;
    let who = counsellor(state, v, id).await?;
    let catalog = state.catalog(who.hub_id.as_deref());
    let framework = catalog
        .competency_framework("enact_equip")
        .ok_or_else(|| PageError::Internal("the competency framework is missing".into()))?;
    render(&RatingPage {
        c: v.chrome(
            v.tr.s("rating-title", &[("name", &who.display_name)]),
            "/supervise",
        ),
        counsellor_id: who.id,
        competencies: framework
            .def()
            .competencies
            .iter()
            .map(|c| CompetencyRow {
                id: c.id.clone(),
                name: c.name.clone(),
            })
            .collect(),
        enact: framework.uses_enact_levels(),
        levels: framework
            .def()
            .levels
            .iter()
            .map(|l| (l.level, l.label.clone()))
            .collect(),
        today: scaleup_storage::now_timestamp()[..10].to_string(),
        error,
    })
}

/// `GET /supervise/counsellors/{id}/rate`: the ENACT/EQUIP rating form.
pub async fn rating_form(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = uuid_or_404(&id, &v)?;
    rating_page(&state, &v, &id, None).await
}

/// `POST /supervise/counsellors/{id}/rate`: computes each competency's level from the rater's
/// answers (ENACT's general rule) and records the rating; a level-1 rating raises the
/// supervision safety flag on the server.
pub async fn save_rating(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let s = v.with_role(REVIEWERS)?;
    form.check_token(s, &v.tr)?;
    let id = uuid_or_404(&id, &v)?;
    let who = counsellor(&state, &v, &id).await?;
    let catalog = state.catalog(who.hub_id.as_deref());
    let framework = catalog
        .competency_framework("enact_equip")
        .ok_or_else(|| PageError::Internal("the competency framework is missing".into()))?;
    let mut levels = BTreeMap::new();
    for c in &framework.def().competencies {
        let level = if framework.uses_enact_levels() {
            let basic = match form.get(&format!("basic-{}", c.id)) {
                Some("all") => Some(BasicSkills::All),
                Some("some") => Some(BasicSkills::Some),
                Some("none") => Some(BasicSkills::None),
                _ => None,
            };
            let harmful = form.get(&format!("harmful-{}", c.id)) == Some("yes");
            let advanced = form.get(&format!("advanced-{}", c.id)) == Some("yes");
            match (harmful, basic) {
                (true, _) => Some(1),
                (false, Some(b)) => Some(enact_level(false, b, advanced)),
                (false, None) => None,
            }
        } else {
            form.get(&format!("level-{}", c.id))
                .and_then(|l| l.parse::<u8>().ok())
        };
        if let Some(l) = level {
            levels.insert(c.id.clone(), l);
        }
    }
    if levels.is_empty() {
        return rating_page(&state, &v, &id, Some(v.tr.t("app-required"))).await;
    }
    let harmful = levels.values().any(|&l| l == 1);
    let data = json!({
        "counsellor_id": who.id,
        "assessor_id": s.user.id,
        "on": form.get("on").unwrap_or_default(),
        "tool": "enact_equip",
        "method": form.get("method").unwrap_or("observed_session"),
        "levels": levels,
    });
    let record = uuid::Uuid::new_v4().to_string();
    match write_records(
        &state.store,
        &v,
        vec![("competency_assessment", record, data)],
    )
    .await?
    {
        Some(problem) => rating_page(&state, &v, &id, Some(problem)).await,
        None => Ok(redirect(&format!(
            "/supervise/counsellors/{id}?rated={}",
            if harmful { "flag" } else { "ok" }
        ))),
    }
}

// ------------------------------------------------------------------------------------ coaching

#[derive(Template)]
#[template(path = "supervise_coaching.html")]
struct CoachingPage {
    c: Chrome,
    counsellor_id: String,
    active: usize,
    weekly: String,
    components: String,
    improving: String,
    /// Dates of the ratings, oldest first, and per competency its level at each.
    rating_dates: Vec<String>,
    rating_rows: Vec<(String, Vec<String>)>,
    rated: Option<String>,
    may_rate: bool,
}

/// `GET /supervise/counsellors/{id}`: one counsellor's work, for coaching.
pub async fn coaching(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let s = v.with_role(REVIEWERS)?;
    let id = uuid_or_404(&id, &v)?;
    let who = counsellor(&state, &v, &id).await?;
    let today = time::OffsetDateTime::now_utc().date();
    let since = today - time::Duration::days(7 * 8);
    let work = state
        .store
        .counsellor_work(&s.actor, &id, &since.to_string())
        .await?;
    let programmes = state.store.programmes(&s.actor).await?;
    let catalog = state.catalog(who.hub_id.as_deref());
    let summary = scaleup_domain::coaching::summarise(
        &work
            .records
            .iter()
            .map(|r| scaleup_domain::coaching::Fact {
                kind: r.kind.as_str(),
                client_id: r.client_id.as_deref(),
                on: r.occurred_on.as_deref(),
                data: &r.data,
                total: r.score_total,
            })
            .collect::<Vec<_>>(),
        &|programme_id: &str| {
            programmes
                .iter()
                .find(|p| p.id == programme_id)
                .and_then(|p| catalog.protocol(&p.protocol_code))
        },
        scaleup_domain::date::Date::parse(&today.to_string(), "today")
            .map_err(|e| PageError::Internal(e.to_string()))?,
        8,
    );
    let framework = catalog.competency_framework("enact_equip");
    let competencies: Vec<(String, String)> = framework
        .map(|f| {
            f.def()
                .competencies
                .iter()
                .map(|c| (c.id.clone(), c.name.clone()))
                .collect()
        })
        .unwrap_or_default();
    let rating_dates = summary
        .ratings
        .iter()
        .map(|(on, _)| on.to_string())
        .collect();
    let rating_rows = competencies
        .iter()
        .map(|(cid, name)| {
            let levels = summary
                .ratings
                .iter()
                .map(|(_, levels)| {
                    levels
                        .get(cid)
                        .map(|l| l.to_string())
                        .unwrap_or_else(|| "–".into())
                })
                .collect();
            (name.clone(), levels)
        })
        .collect();
    let weekly: Vec<(String, u32)> = summary
        .sessions_per_week
        .iter()
        .map(|(week, n)| (week.to_string()[5..].to_string(), *n))
        .collect();
    let rated = q.get("rated").map(|r| {
        if r == "flag" {
            v.tr.t("rating-safety-flag")
        } else {
            v.tr.t("rating-saved")
        }
    });
    render(&CoachingPage {
        c: v.chrome(
            v.tr.s("coaching-title", &[("name", &who.display_name)]),
            "/supervise",
        ),
        counsellor_id: id,
        active: summary.active_clients,
        weekly: svg::bars(&v.tr.t("coaching-sessions-week"), &weekly),
        components: match summary.components_planned {
            0 => "–".into(),
            planned => format!(
                "{} / {} ({}%)",
                summary.components_delivered,
                planned,
                (100.0 * summary.components_delivered as f64 / planned as f64).round()
            ),
        },
        improving: match summary.with_followup {
            0 => "–".into(),
            n => format!("{} / {n}", summary.improving),
        },
        rating_dates,
        rating_rows,
        rated,
        may_rate: true,
    })
}

// ------------------------------------------------------------------------------------ hub

#[derive(Template)]
#[template(path = "hub.html")]
struct HubPage {
    c: Chrome,
    flags: Vec<(String, String, String)>,
    escalated: Vec<QueueAlert>,
}

/// `GET /hub`: what reaches the hub's clinical lead: supervision safety flags and escalated
/// risk alerts.
pub async fn hub_home(State(state): State<AppState>, v: Visitor) -> Result<Response, PageError> {
    let s = v.with_role(&[Role::HubManager])?;
    let store = &state.store;
    let staff = staff_names(store, &v).await?;
    let (flags, _) = store
        .safety_flags_page(&s.actor, Some("open"), None, 200)
        .await?;
    let flags = flags
        .into_iter()
        .map(|f| {
            (
                f.counsellor_id.clone(),
                staff
                    .get(&f.counsellor_id)
                    .map(|u| u.display_name.clone())
                    .unwrap_or_default(),
                f.raised_at.chars().take(10).collect(),
            )
        })
        .collect();
    let (alerts, _) = store
        .alerts_page(
            &s.actor,
            &AlertFilter {
                status: Some("escalated".into()),
                limit: 200,
                ..Default::default()
            },
        )
        .await?;
    let ids: Vec<String> = alerts.iter().map(|a| a.client_id.clone()).collect();
    let names = store.client_names(&s.actor, &ids).await?;
    let escalated = alerts
        .into_iter()
        .map(|a| QueueAlert {
            client: names
                .get(&a.client_id)
                .cloned()
                .unwrap_or_else(|| code(&a.client_id)),
            counsellor: a
                .counsellor_id
                .as_ref()
                .and_then(|c| staff.get(c))
                .map(|u| u.display_name.clone())
                .unwrap_or_default(),
            overdue: true,
            due_at: a
                .due_at
                .chars()
                .take(16)
                .collect::<String>()
                .replace('T', " "),
            level: v.tr.t(&format!("alert-level-{}", a.level)),
            status: v.tr.t(&format!("alert-status-{}", a.status)),
            id: a.id,
            client_id: a.client_id,
        })
        .collect();
    render(&HubPage {
        c: v.chrome(v.tr.t("hub-title"), "/hub"),
        flags,
        escalated,
    })
}
