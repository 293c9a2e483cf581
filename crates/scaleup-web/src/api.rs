//! Routes and handlers of `/api/v1/`. One function per route; each authenticates, parses,
//! calls the store and serialises.

use crate::analyses;
use crate::auth::Caller;
use crate::console;
use crate::error::ApiError;
use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::header::{CACHE_CONTROL, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode, request::Parts};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use scaleup_domain::catalog::Catalog;
use scaleup_domain::org::OrgLevel;
use scaleup_domain::role::{Capability, Role};
use scaleup_storage::{
    IncomingRecord, LoginOutcome, NewOrgUnit, NewProgramme, NewUser, SessionKind, Store,
};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// Everything a handler needs. Cloned per request; holds no per-user state. The catalogue
/// lives in the store ([`Store::catalogs`]), which keeps it in step with the definitions in the
/// database: uploads take effect on every server without a restart.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    /// Set the `Secure` attribute on the session cookie (behind TLS).
    pub secure_cookies: bool,
    /// Settings of the web pages.
    pub ui: UiConfig,
    /// The analysis slots of this server and the limits on analysis uploads.
    pub analyses: analyses::AnalysisLimits,
    /// The bound and the spool folder of multipart imports (the API's and the page's).
    pub imports: crate::imports::ImportLimits,
    /// Trusted proxies, who may read `/metrics`, and the counters behind it (`ops`).
    pub ops: crate::ops::OpsConfig,
}

impl AppState {
    /// The catalogue for a hub: built-ins, network-wide files and the hub's own (the network's
    /// alone for `None`). A snapshot: a reload meanwhile does not change it.
    pub fn catalog(&self, hub_id: Option<&str>) -> Arc<Catalog> {
        self.store.catalogs().catalog(hub_id).clone()
    }
}

/// Settings of the web pages.
#[derive(Clone, Debug, Default)]
pub struct UiConfig {
    /// Serve the service-worker kill switch instead of the worker (`--no-service-worker`):
    /// every phone drops the cached app shell on its next visit; queued records are untouched.
    pub service_worker_disabled: bool,
}

/// Maximum records in one sync batch.
pub const MAX_BATCH: usize = 1000;

/// Builds the router. Tests call this with a store and drive it in-process.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/health", get(health))
        .route("/openapi.json", get(openapi))
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
        .route("/auth/me", get(me))
        .route("/hubs", get(list_hubs).post(create_hub))
        .route("/org-units", get(list_org_units).post(create_org_unit))
        .route("/org-units/{id}", patch(console::update_org_unit))
        .route("/programmes", get(list_programmes).post(create_programme))
        .route("/programmes/{id}", patch(console::update_programme))
        .route("/users", get(list_users).post(create_user))
        .route("/users/{id}/password", post(reset_password))
        .route("/users/{id}/deactivate", post(console::deactivate_user))
        .route("/users/{id}/reactivate", post(console::reactivate_user))
        .route("/users/{id}/move-caseload", post(console::move_caseload))
        .route(
            "/definitions",
            get(console::list_definitions).post(console::add_definition),
        )
        .route("/clients", get(list_clients))
        .route("/clients/{id}", get(get_client))
        .route("/clients/{id}/records", get(get_client_records))
        .route("/clients/{id}/identity", get(get_client_identity))
        .route(
            "/sync",
            get(sync_pull)
                .post(sync_push)
                .layer(DefaultBodyLimit::max(SYNC_BODY_LIMIT)),
        )
        .route("/alerts", get(list_alerts))
        .route("/alerts/{id}", get(get_alert))
        .route("/alerts/{id}/acknowledge", post(acknowledge_alert))
        .route("/alerts/{id}/follow-ups", post(add_alert_follow_up))
        .route("/safety-flags", get(list_safety_flags))
        .route(
            "/safety-flags/{id}/acknowledge",
            post(acknowledge_safety_flag),
        )
        .route("/notifications", get(list_notifications))
        .route("/caseload", get(caseload))
        .route("/conflicts", get(list_conflicts))
        .route("/conflicts/{id}", get(get_conflict))
        .route("/conflicts/{id}/resolve", post(resolve_conflict))
        .route("/summary", get(summary))
        .route("/indicators", get(crate::indicators::indicators))
        .route("/audit", get(list_audit))
        .route(
            "/audit/verify",
            get(verify_audit).post(verify_audit_with_checkpoints),
        )
        .route("/audit/checkpoint", get(audit_checkpoint))
        .route("/instruments", get(list_instruments))
        .route("/instruments/{code}", get(get_instrument))
        .route("/protocols", get(list_protocols))
        .route("/protocols/{code}", get(get_protocol))
        .route(
            "/programmes/{code}/effectiveness",
            get(analyses::programme_effectiveness),
        )
        .route(
            "/programmes/{code}/dataset",
            get(crate::exports::programme_dataset),
        )
        .route(
            "/programmes/{code}/fhir",
            get(crate::exports::programme_fhir),
        )
        .route(
            "/programmes/{code}/nda",
            post(crate::exports::programme_nda),
        )
        .route(
            "/programmes/{code}/dhis2",
            post(crate::exports::programme_dhis2),
        )
        .route(
            "/imports/odk",
            post(crate::imports::import_odk).layer(DefaultBodyLimit::max(SYNC_BODY_LIMIT)),
        )
        .route(
            "/imports/redcap",
            post(crate::imports::import_redcap).layer(DefaultBodyLimit::max(SYNC_BODY_LIMIT)),
        )
        .route(
            "/imports/dhis2-tracker",
            post(crate::imports::import_dhis2_tracker)
                .layer(DefaultBodyLimit::max(SYNC_BODY_LIMIT)),
        )
        .route("/analyses/lmm", post(analyses::lmm))
        .route("/analyses/glmm", post(analyses::glmm))
        .route("/analyses/gee", post(analyses::gee))
        .route("/analyses/icc", post(analyses::icc))
        .route("/analyses/meta", post(analyses::meta))
        .route("/analyses/icers", post(analyses::icers))
        .route("/analyses/psa", post(analyses::psa))
        .route("/analyses/evpi", post(analyses::evpi))
        .route("/analyses/owsa", post(analyses::owsa))
        .route("/analyses/markov", post(analyses::markov))
        .route("/analyses/power", post(analyses::power))
        .route("/analyses/sample-size", post(analyses::sample_size))
        .route("/analyses/plan", post(analyses::plan))
        .route("/analyses/budget-impact", post(analyses::budget_impact))
        .route("/analyses/roi", post(analyses::roi))
        .route("/analyses/costs", post(analyses::costs))
        .fallback(|| async { ApiError::not_found() });
    let secure = state.secure_cookies;
    Router::new()
        .nest("/api/v1", api)
        .merge(crate::ui::routes())
        .route("/metrics", get(crate::ops::metrics))
        // Every matched route names its template for the request counters.
        .route_layer(axum::middleware::from_fn(crate::ops::tag_route))
        .fallback(|| async { ApiError::not_found() })
        // Counted after decompression, as the body is read (the decompression layer is
        // outside this one). Analyses read their bodies themselves, with their own limits.
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        // Devices on metered mobile data ask for gzip; sync pulls shrink several-fold.
        .layer(tower_http::compression::CompressionLayer::new().gzip(true))
        // Devices may also send gzip-compressed batches (Content-Encoding: gzip).
        .layer(tower_http::decompression::RequestDecompressionLayer::new().gzip(true))
        .layer(axum::middleware::from_fn(no_store))
        // A browser's cross-site request never reaches a handler; every response carries the
        // security headers (CSP, nosniff, no framing, no referrer, HSTS behind TLS).
        .layer(axum::middleware::from_fn(
            crate::ui::security::refuse_cross_site,
        ))
        .layer(axum::middleware::from_fn(move |req, next| {
            crate::ui::security::security_headers(secure, req, next)
        }))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::ops::track,
        ))
        // Outermost: the client's address (behind a trusted proxy, from X-Forwarded-For) is
        // known before anything else runs.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::ops::client_addr,
        ))
        .with_state(state)
}

/// Most bytes of a request body (decompressed) outside sync and the analyses: sign-in, setup,
/// alert actions and forms are a few kilobytes. Sign-in reads its body before anyone is known,
/// so this is what an anonymous gzip bomb can make the server hold, per request.
pub const BODY_LIMIT: usize = 1 << 20;

/// Most bytes of a sync push (decompressed): up to [`MAX_BATCH`] records of a few KB each.
pub const SYNC_BODY_LIMIT: usize = 16 << 20;

/// Client-level responses must not sit in shared caches. Only the app's static assets (which
/// hold nothing personal) set a cache policy of their own.
async fn no_store(req: Request, next: axum::middleware::Next) -> Response {
    let mut res = next.run(req).await;
    res.headers_mut()
        .entry(CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    res
}

/// A JSON body whose parse errors name the field (`records.3.data`), in our error format.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        // A JSON endpoint takes only JSON: a browser form on another site can send text/plain
        // or a urlencoded body with the victim's cookie, but not application/json (that needs
        // a preflight the server never grants).
        let json = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .is_some_and(|v| v == "application/json" || v.ends_with("+json"));
        if !json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "the request body is too large or unreadable",
            )
        })?;
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(&mut de)
            .map(Body)
            .map_err(|e| {
                let field = e.path().to_string();
                let inner = e.inner();
                let message = if inner.is_syntax() || inner.is_eof() {
                    "the body is not valid JSON".to_string()
                } else {
                    let text = inner.to_string();
                    if text.starts_with("missing field") || text.starts_with("unknown field") {
                        text.split(" at line").next().unwrap_or(&text).to_string()
                    } else if let Some(allowed) =
                        scaleup_domain::error::allowed_in_serde_message(&text)
                    {
                        scaleup_domain::error::one_of(&allowed)
                    } else {
                        "has the wrong type or an invalid value".to_string()
                    }
                };
                ApiError::invalid(if field == "." { "body".into() } else { field }, message)
            })
    }
}

/// Query parameters, with errors in our format.
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(t)| Params(t))
            .map_err(|e| {
                let text = e.body_text();
                let detail = text.split(": ").last().unwrap_or("");
                // An enum parameter outside its set: name the allowed values, not the one sent.
                if let Some(allowed) = scaleup_domain::error::allowed_in_serde_message(detail) {
                    let parts: Vec<&str> = text.split(": ").collect();
                    let field = parts
                        .len()
                        .checked_sub(2)
                        .map(|i| parts[i])
                        .and_then(|f| f.rsplit(' ').next())
                        .filter(|f| f.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
                        .unwrap_or("query");
                    return ApiError::invalid(field, scaleup_domain::error::one_of(&allowed));
                }
                ApiError::invalid("query", format!("invalid query parameters: {detail}"))
            })
    }
}

/// The client's address (for sign-in throttling and the sign-in audit event): the one
/// `ops::client_addr` resolved (behind a trusted proxy, from `X-Forwarded-For`), else the TCP
/// peer's, else `unknown` (in-process tests without connection info).
pub(crate) struct Remote(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Remote {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let addr = parts
            .extensions
            .get::<crate::ops::ClientAddr>()
            .map(|c| c.0.to_string())
            .or_else(|| {
                parts
                    .extensions
                    .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                    .map(|c| c.0.ip().to_string())
            })
            .unwrap_or_else(|| "unknown".to_string());
        Ok(Remote(addr))
    }
}

fn uuid_param(id: &str, field: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(id)
        .map(|u| u.to_string())
        .map_err(|_| ApiError::invalid(field, "must be a UUID"))
}

/// A path id that is not a UUID cannot name anything the caller may see: 404, not 400,
/// so probing with odd ids reveals nothing.
fn uuid_or_404(id: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(id)
        .map(|u| u.to_string())
        .map_err(|_| ApiError::not_found())
}

async fn health(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let version = state.store.schema_version().await?;
    Ok(Json(json!({"status": "ok", "schema_version": version})))
}

async fn openapi() -> Json<Value> {
    Json(crate::openapi::openapi_document())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    username: String,
    password: String,
}

/// `POST /auth/login`. A device that signed in before sends the `device_token` it was given in
/// the `X-Scaleup-Device` header (a browser's cookie counts too): failures made elsewhere then
/// never slow it down. Throttled: 429 with `Retry-After` (or, for an account locked against
/// unrecognised devices, without); no hashing slot in time: 503 with `Retry-After`.
async fn login(
    State(state): State<AppState>,
    Remote(remote): Remote,
    headers: axum::http::HeaderMap,
    Body(body): Body<LoginBody>,
) -> Result<Response, ApiError> {
    if body.username.is_empty() || body.username.len() > 128 {
        return Err(ApiError::invalid("username", "must be 1-128 characters"));
    }
    if body.password.is_empty() || body.password.len() > 512 {
        return Err(ApiError::invalid("password", "must be 1-512 bytes"));
    }
    let device = crate::auth::device_token(&headers);
    match state
        .store
        .login_with_device(
            &body.username,
            &body.password,
            &remote,
            device.as_deref(),
            SessionKind::Bearer,
        )
        .await?
    {
        LoginOutcome::Invalid => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "wrong username or password",
        )),
        LoginOutcome::Success {
            token,
            user,
            expires_at,
            device_token,
        } => {
            let cookie = crate::ui::session_cookie(&token, &expires_at, state.secure_cookies);
            let body = json!({"token": token, "expires_at": expires_at, "user": user, "device_token": device_token});
            let mut res = Json(body).into_response();
            res.headers_mut().insert(
                SET_COOKIE,
                HeaderValue::from_str(&cookie).map_err(|_| ApiError::not_found())?,
            );
            Ok(res)
        }
    }
}

async fn logout(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    state.store.logout(&caller.token).await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut().insert(
        SET_COOKIE,
        HeaderValue::from_static("scaleup_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(res)
}

/// The caller, and the form token of their session (the offline app needs it to sign out).
async fn me(caller: Caller) -> Json<Value> {
    Json(json!({
        "user": caller.user,
        "hubs": caller.actor.hubs,
        "csrf": crate::ui::security::csrf_token(&caller.token),
    }))
}

async fn list_hubs(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({"items": state.store.hubs(Some(&caller.actor)).await?, "next_cursor": null}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HubBody {
    code: String,
    name: String,
    country: String,
}

async fn create_hub(
    State(state): State<AppState>,
    caller: Caller,
    Body(b): Body<HubBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(Capability::ManageHubs)?;
    let hub = state
        .store
        .create_hub(Some(&caller.actor), &b.code, &b.name, &b.country)
        .await?;
    Ok((StatusCode::CREATED, Json(json!(hub))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HubFilter {
    hub_id: Option<String>,
}

async fn list_org_units(
    State(state): State<AppState>,
    caller: Caller,
    Params(q): Params<HubFilter>,
) -> Result<Json<Value>, ApiError> {
    let hub = q
        .hub_id
        .as_deref()
        .map(|h| uuid_param(h, "hub_id"))
        .transpose()?;
    let units = state.store.org_units(&caller.actor, hub.as_deref()).await?;
    Ok(Json(json!({"items": units, "next_cursor": null})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrgUnitBody {
    hub_id: String,
    parent_id: Option<String>,
    level: String,
    code: String,
    name: String,
    catchment_population: Option<i64>,
}

async fn create_org_unit(
    State(state): State<AppState>,
    caller: Caller,
    Body(b): Body<OrgUnitBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(Capability::ManageHubSetup)?;
    let level = OrgLevel::parse(&b.level).ok_or_else(|| {
        ApiError::invalid("level", "must be country, region, district or facility")
    })?;
    let unit = state
        .store
        .create_org_unit(
            Some(&caller.actor),
            NewOrgUnit {
                hub_id: uuid_param(&b.hub_id, "hub_id")?,
                parent_id: b
                    .parent_id
                    .as_deref()
                    .map(|p| uuid_param(p, "parent_id"))
                    .transpose()?,
                level,
                code: b.code,
                name: b.name,
                catchment_population: b.catchment_population,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(json!(unit))))
}

async fn list_programmes(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({"items": state.store.programmes(&caller.actor).await?, "next_cursor": null}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SiteBody {
    facility_id: String,
    arm: Option<String>,
    cluster: Option<String>,
    crossover_period: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProgrammeBody {
    hub_id: String,
    code: String,
    name: String,
    protocol_code: String,
    #[serde(default)]
    design: Option<Value>,
    alert_ack_hours: i64,
    start_date: String,
    #[serde(default)]
    sites: Vec<SiteBody>,
}

async fn create_programme(
    State(state): State<AppState>,
    caller: Caller,
    Body(b): Body<ProgrammeBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(Capability::ManageHubSetup)?;
    let mut sites = Vec::new();
    for (i, s) in b.sites.into_iter().enumerate() {
        sites.push((
            uuid_param(&s.facility_id, &format!("sites.{i}.facility_id"))?,
            s.arm,
            s.cluster,
            s.crossover_period,
        ));
    }
    let p = state
        .store
        .create_programme(
            Some(&caller.actor),
            NewProgramme {
                hub_id: uuid_param(&b.hub_id, "hub_id")?,
                code: b.code,
                name: b.name,
                protocol_code: b.protocol_code,
                design: b.design.unwrap_or_else(|| json!({"type": "routine"})),
                alert_ack_hours: b.alert_ack_hours,
                start_date: b.start_date,
                sites,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(json!(p))))
}

async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    if !matches!(
        caller.actor.role,
        Role::Admin | Role::HubManager | Role::Supervisor
    ) {
        return Err(ApiError::forbidden("your role may not list accounts"));
    }
    Ok(Json(
        json!({"items": state.store.list_users(&caller.actor).await?, "next_cursor": null}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserBody {
    username: String,
    display_name: String,
    password: String,
    role: String,
    hub_id: Option<String>,
    supervisor_id: Option<String>,
    #[serde(default)]
    site_ids: Vec<String>,
    language: Option<String>,
    notify_address: Option<String>,
}

async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    Body(b): Body<UserBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(Capability::ManageUsers)?;
    let role = Role::parse(&b.role).ok_or_else(|| {
        ApiError::invalid(
            "role",
            "must be admin, hub_manager, supervisor, counsellor, researcher or viewer",
        )
    })?;
    let user = state
        .store
        .create_user(
            Some(&caller.actor),
            NewUser {
                username: b.username,
                display_name: b.display_name,
                password: b.password,
                role,
                hub_id: b
                    .hub_id
                    .as_deref()
                    .map(|h| uuid_param(h, "hub_id"))
                    .transpose()?,
                supervisor_id: b
                    .supervisor_id
                    .as_deref()
                    .map(|h| uuid_param(h, "supervisor_id"))
                    .transpose()?,
                site_ids: b
                    .site_ids
                    .iter()
                    .enumerate()
                    .map(|(i, s)| uuid_param(s, &format!("site_ids.{i}")))
                    .collect::<Result<_, _>>()?,
                language: b.language,
                notify_address: b.notify_address,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(json!(user))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    password: String,
}

async fn reset_password(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(b): Body<PasswordBody>,
) -> Result<StatusCode, ApiError> {
    caller.require(Capability::ManageUsers)?;
    state
        .store
        .set_password(Some(&caller.actor), &uuid_or_404(&id)?, &b.password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientFilter {
    site: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

async fn list_clients(
    State(state): State<AppState>,
    caller: Caller,
    Params(q): Params<ClientFilter>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Capability::ReadClientRecords)?;
    let site = q
        .site
        .as_deref()
        .map(|s| uuid_param(s, "site"))
        .transpose()?;
    let cursor = q
        .cursor
        .as_deref()
        .map(|s| uuid_param(s, "cursor"))
        .transpose()?;
    // A generous default page: integrations that read one page still see a typical caseload whole.
    let limit = q.limit.unwrap_or(1000);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 1000"));
    }
    let (items, next) = state
        .store
        .clients(
            &caller.actor,
            site.as_deref(),
            q.from.as_deref(),
            q.to.as_deref(),
            cursor.as_deref(),
            limit,
        )
        .await?;
    Ok(Json(json!({"items": items, "next_cursor": next})))
}

async fn get_client(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller
        .require(Capability::ReadClientRecords)
        .map_err(|_| ApiError::not_found())?;
    Ok(Json(json!(
        state
            .store
            .client(&caller.actor, &uuid_or_404(&id)?)
            .await?
    )))
}

async fn get_client_records(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller
        .require(Capability::ReadClientRecords)
        .map_err(|_| ApiError::not_found())?;
    let items = state
        .store
        .client_records(&caller.actor, &uuid_or_404(&id)?)
        .await?;
    Ok(Json(json!({"items": items, "next_cursor": null})))
}

async fn get_client_identity(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller
        .require(Capability::ReadIdentity)
        .map_err(|_| ApiError::not_found())?;
    Ok(Json(
        state
            .store
            .client_identity(&caller.actor, &uuid_or_404(&id)?)
            .await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PushBody {
    device_id: String,
    records: Vec<Value>,
}

async fn sync_push(
    State(state): State<AppState>,
    caller: Caller,
    Body(b): Body<PushBody>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Capability::WriteCareRecords)?;
    if b.device_id.is_empty() || b.device_id.len() > 128 {
        return Err(ApiError::invalid("device_id", "must be 1-128 characters"));
    }
    if b.records.len() > MAX_BATCH {
        return Err(ApiError::invalid(
            "records",
            format!("at most {MAX_BATCH} records per batch"),
        ));
    }
    // Each record is parsed on its own, so one malformed record is rejected alone.
    let mut acks: Vec<Option<Value>> = vec![None; b.records.len()];
    let mut good = Vec::new();
    let mut positions = Vec::new();
    for (i, raw) in b.records.into_iter().enumerate() {
        let id = raw.get("id").cloned().unwrap_or(Value::Null);
        match serde_json::from_value::<IncomingRecord>(raw) {
            Ok(r) => {
                good.push(r);
                positions.push(i);
            }
            Err(e) => {
                // serde names an unknown or missing field (never a value) in these messages.
                let text = e.to_string();
                let message =
                    if text.starts_with("unknown field") || text.starts_with("missing field") {
                        text.split(" at line").next().unwrap_or(&text).to_string()
                    } else {
                        "must be an object with kind, id, device_time and data".to_string()
                    };
                acks[i] = Some(
                    json!({"id": id, "status": "rejected", "error": {"code": "invalid", "field": format!("records.{i}"), "message": message}}),
                );
            }
        }
    }
    let results = state.store.push(&caller.actor, &b.device_id, good).await?;
    state.ops.metrics.record_sync(
        acks.iter()
            .filter(|a| a.is_some())
            .map(|_| "rejected")
            .chain(results.iter().map(|a| match a.status {
                scaleup_storage::AckStatus::Created => "created",
                scaleup_storage::AckStatus::Updated => "updated",
                scaleup_storage::AckStatus::Unchanged => "unchanged",
                scaleup_storage::AckStatus::Conflict => "conflict",
                scaleup_storage::AckStatus::Rejected => "rejected",
            })),
    );
    for (pos, ack) in positions.into_iter().zip(results) {
        acks[pos] = Some(json!(ack));
    }
    Ok(Json(json!({"acks": acks})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PullQuery {
    cursor: Option<String>,
    limit: Option<i64>,
}

async fn sync_pull(
    State(state): State<AppState>,
    caller: Caller,
    Params(q): Params<PullQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Capability::ReadClientRecords)?;
    let limit = q.limit.unwrap_or(1000);
    if !(1..=5000).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 5000"));
    }
    let page = state
        .store
        .pull(&caller.actor, q.cursor.as_deref().unwrap_or(""), limit)
        .await?;
    Ok(Json(json!(page)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertQuery {
    status: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

async fn list_alerts(
    State(state): State<AppState>,
    caller: Caller,
    Params(q): Params<AlertQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 1000"));
    }
    let filter = scaleup_storage::AlertFilter {
        status: q.status,
        from: q.from,
        to: q.to,
        cursor: q.cursor,
        limit,
    };
    let (items, next) = state.store.alerts_page(&caller.actor, &filter).await?;
    Ok(Json(json!({"items": items, "next_cursor": next})))
}

/// What a supervisor did about an alert: `actions` (a list of codes) or, as before they could
/// be several, `action` (one code); and an optional note.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertActionBody {
    action: Option<String>,
    actions: Option<Vec<String>>,
    note: Option<String>,
}

impl AlertActionBody {
    /// The action codes in either form, and whether the one-code form was used.
    fn actions(&self) -> Result<(Vec<String>, bool), ApiError> {
        match (&self.action, &self.actions) {
            (Some(_), Some(_)) => Err(ApiError::invalid(
                "action",
                "give either actions (a list of codes) or action (one code), not both",
            )),
            (Some(one), None) => Ok((vec![one.clone()], true)),
            (None, Some(list)) => Ok((list.clone(), false)),
            (None, None) => Ok((Vec::new(), false)),
        }
    }
}

/// A store error about `actions` as the caller wrote it: a body with the one-code form gets
/// its errors under `action`.
fn as_sent(e: scaleup_storage::StoreError, single: bool) -> ApiError {
    match e {
        scaleup_storage::StoreError::Invalid { field, message }
            if single && (field == "actions" || field == "actions.0") =>
        {
            ApiError::invalid("action", message)
        }
        other => other.into(),
    }
}

async fn get_alert(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller
        .require(Capability::ReviewClinical)
        .map_err(|_| ApiError::not_found())?;
    let (alert, history) = state
        .store
        .alert_detail(&caller.actor, &uuid_or_404(&id)?)
        .await?;
    Ok(Json(json!({"alert": alert, "history": history})))
}

async fn acknowledge_alert(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(b): Body<AlertActionBody>,
) -> Result<Json<Value>, ApiError> {
    caller
        .require(Capability::ReviewClinical)
        .map_err(|_| ApiError::not_found())?;
    let id = uuid_or_404(&id)?;
    let (actions, single) = b.actions()?;
    let alert = state
        .store
        .acknowledge_alert(&caller.actor, &id, &actions, b.note.as_deref())
        .await
        .map_err(|e| as_sent(e, single))?;
    Ok(Json(json!(alert)))
}

async fn add_alert_follow_up(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(b): Body<AlertActionBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller
        .require(Capability::ReviewClinical)
        .map_err(|_| ApiError::not_found())?;
    let id = uuid_or_404(&id)?;
    let (actions, single) = b.actions()?;
    let added = state
        .store
        .add_alert_follow_up(&caller.actor, &id, &actions, b.note.as_deref())
        .await
        .map_err(|e| as_sent(e, single))?;
    Ok((StatusCode::CREATED, Json(json!(added))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusPageQuery {
    status: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

impl StatusPageQuery {
    fn limit(&self) -> Result<i64, ApiError> {
        let limit = self.limit.unwrap_or(100);
        if (1..=1000).contains(&limit) {
            Ok(limit)
        } else {
            Err(ApiError::invalid("limit", "must be between 1 and 1000"))
        }
    }
}

async fn list_safety_flags(
    State(state): State<AppState>,
    caller: Caller,
    Params(q): Params<StatusPageQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = q.limit()?;
    let (items, next) = state
        .store
        .safety_flags_page(
            &caller.actor,
            q.status.as_deref(),
            q.cursor.as_deref(),
            limit,
        )
        .await?;
    Ok(Json(json!({"items": items, "next_cursor": next})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SafetyFlagAckBody {
    note: Option<String>,
}

async fn acknowledge_safety_flag(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(b): Body<SafetyFlagAckBody>,
) -> Result<Json<Value>, ApiError> {
    let id = uuid_or_404(&id)?;
    Ok(Json(json!(
        state
            .store
            .acknowledge_safety_flag(&caller.actor, &id, b.note.as_deref())
            .await?
    )))
}

async fn list_notifications(
    State(state): State<AppState>,
    caller: Caller,
    Params(q): Params<StatusPageQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = q.limit()?;
    let (items, next) = state
        .store
        .notifications_page(
            &caller.actor,
            q.status.as_deref(),
            q.cursor.as_deref(),
            limit,
        )
        .await?;
    Ok(Json(json!({"items": items, "next_cursor": next})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseloadQuery {
    cursor: Option<String>,
    limit: Option<i64>,
}

async fn caseload(
    State(state): State<AppState>,
    caller: Caller,
    Params(q): Params<CaseloadQuery>,
) -> Result<Json<Value>, ApiError> {
    let cursor = q
        .cursor
        .as_deref()
        .map(|s| uuid_param(s, "cursor"))
        .transpose()?;
    // The default page holds a counsellor's or supervisor's whole caseload; a hub manager's
    // large one comes in pages.
    let limit = q.limit.unwrap_or(500);
    if !(1..=scaleup_storage::MAX_CASELOAD_PAGE).contains(&limit) {
        return Err(ApiError::invalid(
            "limit",
            format!(
                "must be between 1 and {}",
                scaleup_storage::MAX_CASELOAD_PAGE
            ),
        ));
    }
    // Supervision flags and the next session come with the entries: the protocol rules are
    // applied in the store, by the domain's functions.
    let (items, next) = state
        .store
        .caseload(&caller.actor, cursor.as_deref(), limit)
        .await?;
    Ok(Json(json!({"items": items, "next_cursor": next})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PageQuery {
    cursor: Option<String>,
    limit: Option<i64>,
}

async fn list_conflicts(
    State(state): State<AppState>,
    caller: Caller,
    Params(q): Params<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    let max = scaleup_storage::MAX_CONFLICT_PAGE;
    let limit = q.limit.unwrap_or(max);
    if !(1..=max).contains(&limit) {
        return Err(ApiError::invalid(
            "limit",
            format!("must be between 1 and {max}"),
        ));
    }
    let (items, next) = state
        .store
        .conflicts_page(&caller.actor, q.cursor.as_deref(), limit)
        .await?;
    Ok(Json(json!({"items": items, "next_cursor": next})))
}

async fn get_conflict(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(
        state
            .store
            .conflict(&caller.actor, &uuid_or_404(&id)?)
            .await?
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResolveBody {
    keep: String,
}

async fn resolve_conflict(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Body(b): Body<ResolveBody>,
) -> Result<StatusCode, ApiError> {
    caller.require(Capability::ReviewClinical)?;
    state
        .store
        .resolve_conflict(&caller.actor, &uuid_or_404(&id)?, &b.keep)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PeriodQuery {
    from: Option<String>,
    to: Option<String>,
}

async fn summary(
    State(state): State<AppState>,
    caller: Caller,
    Params(q): Params<PeriodQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Capability::ReadAggregates)?;
    // Callers under disclosure control get whole months only: every cell is then a whole
    // facility-month, the same in every period that includes it, so subtracting overlapping
    // periods (single days, issue 8) gives nothing back. Staff who see client rows keep days.
    let (mut from, mut to) = (q.from, q.to);
    if !caller.actor.role.can(Capability::ReadExactIndicators) {
        use scaleup_domain::date::Date;
        let snap = |text: &mut Option<String>, end: bool| {
            if let Some(d) = text.as_deref().and_then(|t| Date::parse(t, "date").ok()) {
                let d = if end {
                    d.last_of_month()
                } else {
                    d.first_of_month()
                };
                *text = Some(d.to_string());
            }
        };
        snap(&mut from, false);
        snap(&mut to, true);
    }
    let cells = state
        .store
        .summary(&caller.actor, from.as_deref(), to.as_deref())
        .await?;
    Ok(Json(
        json!({"items": cells, "small_cell_threshold": scaleup_storage::SMALL_CELL_THRESHOLD, "next_cursor": null}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    hub_id: Option<String>,
    before: Option<i64>,
    limit: Option<i64>,
}

/// Audit events, newest first: admins all, hub managers their hubs' (scoped by the store).
async fn list_audit(
    State(state): State<AppState>,
    caller: Caller,
    Params(q): Params<AuditQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Capability::ReadAudit)?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 1000"));
    }
    let hub = q
        .hub_id
        .as_deref()
        .map(|h| uuid_param(h, "hub_id"))
        .transpose()?;
    let (items, next) = state
        .store
        .audit_page(&caller.actor, hub.as_deref(), q.before, limit)
        .await?;
    Ok(Json(
        json!({"items": items, "next_cursor": next.map(|s| s.to_string())}),
    ))
}

async fn verify_audit(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    caller.require(Capability::VerifyAudit)?;
    Ok(Json(json!(state.store.verify_audit().await?)))
}

/// At most this many checkpoints in one request (over 13 years of daily ones): each costs an
/// indexed lookup, and the body stays under the default 2 MB limit.
pub const MAX_AUDIT_CHECKPOINTS: usize = 5000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditVerifyBody {
    /// Checkpoints as `GET /audit/checkpoint` (or `scaleup audit checkpoint`) wrote them.
    checkpoints: Vec<scaleup_storage::AuditCheckpoint>,
}

async fn verify_audit_with_checkpoints(
    State(state): State<AppState>,
    caller: Caller,
    Body(b): Body<AuditVerifyBody>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Capability::VerifyAudit)?;
    if b.checkpoints.len() > MAX_AUDIT_CHECKPOINTS {
        return Err(ApiError::invalid(
            "checkpoints",
            format!("at most {MAX_AUDIT_CHECKPOINTS} checkpoints in one request"),
        ));
    }
    Ok(Json(json!(
        state.store.verify_audit_with(&b.checkpoints).await?
    )))
}

/// Verifies the chain and signs its head, for the admin to keep outside the database.
async fn audit_checkpoint(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    caller.require(Capability::VerifyAudit)?;
    match state.store.audit_checkpoint().await? {
        scaleup_storage::CheckpointOutcome::Signed { checkpoint, .. } => {
            Ok(Json(json!(checkpoint)))
        }
        // A checkpoint says the log was whole up to its row: none for a log that is not.
        scaleup_storage::CheckpointOutcome::Refused(v) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "audit_not_intact",
            format!(
                "the audit log does not verify ({} problem(s)), so no checkpoint was made: see GET /api/v1/audit/verify",
                v.problems.len()
            ),
        )),
    }
}

/// The catalogue the caller works with: their own hub's (the network's for an admin).
fn caller_catalog(state: &AppState, caller: &Caller) -> Arc<Catalog> {
    state.catalog(caller.user.hub_id.as_deref())
}

fn listing(items: Vec<Value>) -> Json<Value> {
    Json(json!({"items": items, "next_cursor": null}))
}

async fn list_instruments(State(state): State<AppState>, caller: Caller) -> Json<Value> {
    let catalog = caller_catalog(&state, &caller);
    listing(
        catalog
            .instruments()
            .map(|(_, i)| serde_json::to_value(i.def()).unwrap_or_default())
            .collect(),
    )
}

/// The newest version of an instrument in the caller's catalogue.
async fn get_instrument(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let catalog = caller_catalog(&state, &caller);
    let i = catalog.instrument(&code).ok_or_else(ApiError::not_found)?;
    Ok(Json(serde_json::to_value(i.def()).unwrap_or_default()))
}

async fn list_protocols(State(state): State<AppState>, caller: Caller) -> Json<Value> {
    let catalog = caller_catalog(&state, &caller);
    listing(
        catalog
            .protocols()
            .map(|(_, p)| serde_json::to_value(p.def()).unwrap_or_default())
            .collect(),
    )
}

async fn get_protocol(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let catalog = caller_catalog(&state, &caller);
    let p = catalog.protocol(&code).ok_or_else(ApiError::not_found)?;
    Ok(Json(serde_json::to_value(p.def()).unwrap_or_default()))
}
