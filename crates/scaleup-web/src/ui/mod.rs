//! The web pages: sign-in, the counsellor's offline app, the supervisor's pages, the hub
//! console (hub managers and admins: accounts, org units, programmes, definitions, the audit
//! log, sync conflicts), the import page (supervisors and counsellors: records from ODK, REDCap
//! and DHIS2).
//!
//! Pages are HTML rendered here from askama templates (`templates/`), in the language the
//! visitor reads ([`i18n`]), styled by one stylesheet, with no script except where working
//! offline needs one: the counsellor's app (`assets/js/app.js` and its service worker). Every
//! supervisor page works without JavaScript. Forms post back to the page that showed them and
//! redirect after success, so a reload never submits twice.
//!
//! Who may open a page is `Role::can` ([`Visitor::may`]); a refusal says, in the reader's
//! language, what the role may not do and which roles can.
//!
//! Like the API, the pages hold no rules of their own: they read through the store (scoped to
//! the caller) and write care records through the same sync path a device uses
//! ([`scaleup_storage::Store::push`]), so a record made on a page is checked, scored and
//! audited exactly like one made offline.

pub mod i18n;
pub mod security;

mod assets;
mod console;
mod costs;
mod counsellor;
mod dashboard;
pub(crate) mod forms;
mod imports;
mod pages;
mod supervisor;
mod svg;

pub use assets::app_js as app_bundle;
pub use pages::session_cookie;

use crate::api::AppState;
use askama::Template;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::header::{ACCEPT_LANGUAGE, LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use i18n::Tr;
use scaleup_domain::role::{Capability, Role};
use scaleup_storage::{Actor, UserRecord};

/// The cookie that remembers a language choice before (and besides) sign-in.
pub const LANGUAGE_COOKIE: &str = "scaleup_lang";

/// The page routes, merged beside `/api/v1` by [`crate::router`].
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/login", post(pages::login))
        .route("/logout", post(pages::logout))
        .route(
            "/language",
            get(pages::language_page).post(pages::set_language),
        )
        .route("/static/{file}", get(assets::static_file))
        .route("/app/sw.js", get(assets::service_worker))
        .route("/app/manifest.webmanifest", get(assets::manifest))
        .route("/app/defs", get(counsellor::definitions))
        .route("/app/{lang}/", get(counsellor::shell))
        .route("/app/", get(counsellor::app_root))
        .route("/favicon.ico", get(assets::favicon))
        .route("/supervise", get(supervisor::queue))
        .route("/supervise/alerts/{id}", get(supervisor::alert))
        .route(
            "/supervise/alerts/{id}/acknowledge",
            post(supervisor::acknowledge),
        )
        .route(
            "/supervise/alerts/{id}/follow-up",
            post(supervisor::follow_up),
        )
        .route("/supervise/clients/{id}", get(supervisor::client))
        .route(
            "/supervise/sessions/new",
            get(supervisor::session_form).post(supervisor::save_session),
        )
        .route("/supervise/counsellors/{id}", get(supervisor::coaching))
        .route(
            "/supervise/counsellors/{id}/rate",
            get(supervisor::rating_form).post(supervisor::save_rating),
        )
        .route("/hub", get(supervisor::hub_home))
        .route("/imports", get(imports::form).post(imports::upload))
        .route("/dashboard", get(dashboard::dashboard))
        .route("/dashboard/costs", get(costs::costs))
        .route("/console", get(console::home))
        .route(
            "/console/users",
            get(console::users).post(console::create_user),
        )
        .route("/console/users/{id}/deactivate", post(console::deactivate))
        .route("/console/users/{id}/reactivate", post(console::reactivate))
        .route(
            "/console/users/{id}/password",
            post(console::reset_password),
        )
        .route(
            "/console/users/{id}/move",
            get(console::move_form).post(console::move_caseload),
        )
        .route("/console/org-units", get(console::org_units))
        .route("/console/org-units/{id}", post(console::save_org_unit))
        .route("/console/programmes", get(console::programmes))
        .route("/console/programmes/{id}", post(console::save_programme))
        .route(
            "/console/definitions",
            get(console::definitions).post(console::upload_definition),
        )
        .route("/console/audit", get(console::audit))
        .route("/console/conflicts", get(console::conflicts))
        .route(
            "/console/conflicts/{id}/resolve",
            post(console::resolve_conflict),
        )
}

/// Who is looking at a page, and in which language. Signed out is a valid visitor.
pub struct Visitor {
    pub tr: Tr,
    pub session: Option<Session>,
}

/// A signed-in browser session.
pub struct Session {
    pub actor: Actor,
    pub user: UserRecord,
    pub token: String,
    /// The token forms must carry back.
    pub csrf: String,
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let mut session = None;
        if let Some(token) = security::session_cookie(&parts.headers)
            && token.len() <= 256
            && let Ok(Some((actor, user))) = state.store.session_actor(&token).await
        {
            session = Some(Session {
                csrf: security::csrf_token(&token),
                actor,
                user,
                token,
            });
        }
        let lang = i18n::negotiate(
            session.as_ref().and_then(|s| user_language(&s.user)),
            security::cookie(&parts.headers, LANGUAGE_COOKIE).as_deref(),
            parts
                .headers
                .get(ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        );
        Ok(Visitor {
            tr: Tr::new(lang),
            session,
        })
    }
}

impl Visitor {
    /// The session, or a redirect to the sign-in page.
    pub fn signed_in(&self) -> Result<&Session, PageError> {
        self.session.as_ref().ok_or(PageError::SignIn)
    }

    /// The session of a user whose role is one of `roles`, or an error page.
    pub fn with_role(&self, roles: &[Role]) -> Result<&Session, PageError> {
        let s = self.signed_in()?;
        if roles.contains(&s.actor.role) {
            Ok(s)
        } else {
            Err(PageError::Status(
                StatusCode::FORBIDDEN,
                self.tr.t("error-forbidden"),
            ))
        }
    }

    /// The session of a user whose role may do `capability` (`Role::can`, the one place for
    /// such rules), or a 403 page that says what the caller may not do and who can.
    pub fn may(&self, capability: Capability) -> Result<&Session, PageError> {
        let s = self.signed_in()?;
        if s.actor.role.can(capability) {
            Ok(s)
        } else {
            Err(PageError::Status(
                StatusCode::FORBIDDEN,
                self.refusal(s.actor.role, capability),
            ))
        }
    }

    /// "Your role (counsellor) may not create, deactivate or reset accounts. An administrator
    /// or a hub manager can: ask them." in the visitor's language.
    pub fn refusal(&self, role: Role, capability: Capability) -> String {
        let role_name = |r: Role| self.tr.t(&format!("role-{}", r.as_str()));
        let who: Vec<String> = Role::holders(capability)
            .into_iter()
            .map(role_name)
            .collect();
        self.tr.s(
            "error-refused",
            &[
                ("role", &role_name(role)),
                (
                    "action",
                    &self.tr.t(&format!("capability-{}", capability.as_str())),
                ),
                ("who", &who.join(", ")),
            ],
        )
    }

    /// The frame every page shares.
    pub fn chrome(&self, title: String, current: &str) -> Chrome {
        let role = self.session.as_ref().map(|s| s.actor.role);
        let mut nav = match role {
            Some(Role::Supervisor) => vec![
                ("/supervise", self.tr.t("nav-queue")),
                ("/supervise/sessions/new", self.tr.t("nav-supervision-log")),
                ("/dashboard", self.tr.t("nav-dashboard")),
            ],
            Some(Role::HubManager) => vec![
                ("/hub", self.tr.t("nav-hub")),
                ("/supervise", self.tr.t("nav-queue")),
                ("/dashboard", self.tr.t("nav-dashboard")),
            ],
            Some(Role::Counsellor) => vec![("/", self.tr.t("nav-today"))],
            Some(Role::Admin | Role::Researcher | Role::Viewer) => {
                vec![("/dashboard", self.tr.t("nav-dashboard"))]
            }
            None => vec![],
        };
        // Whoever may write care records may import them (the page, like the API, writes as
        // the signed-in account).
        if role.is_some_and(|r| r.can(Capability::WriteCareRecords)) {
            nav.push(("/imports", self.tr.t("nav-imports")));
        }
        if role.is_some_and(|r| r.can(Capability::OpenHubConsole)) {
            nav.push(("/console", self.tr.t("nav-console")));
        } else if role.is_some_and(|r| r.can(Capability::ReviewClinical)) {
            // Supervisors review their supervisees' sync conflicts on the console's page.
            nav.push(("/console/conflicts", self.tr.t("console-conflicts")));
        }
        Chrome {
            tr: self.tr,
            title,
            user_name: self.session.as_ref().map(|s| s.user.display_name.clone()),
            csrf: self
                .session
                .as_ref()
                .map(|s| s.csrf.clone())
                .unwrap_or_default(),
            nav: nav
                .into_iter()
                .map(|(href, label)| NavItem {
                    href,
                    label,
                    current: href == current,
                })
                .collect(),
            css: assets::css_url(),
            unreviewed: !self.tr.reviewed(),
        }
    }
}

/// What every page shows around its content.
pub struct Chrome {
    pub tr: Tr,
    pub title: String,
    pub user_name: Option<String>,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    pub css: String,
    /// The interface language has not been reviewed by a native speaker yet.
    pub unreviewed: bool,
}

pub struct NavItem {
    pub href: &'static str,
    pub label: String,
    pub current: bool,
}

/// Why a page could not be shown.
pub enum PageError {
    /// Not signed in: go to the sign-in page.
    SignIn,
    /// A status with a message already in the visitor's language.
    Status(StatusCode, String),
    /// An internal failure; its cause is logged, the page says only that something failed.
    Internal(String),
}

impl From<scaleup_storage::StoreError> for PageError {
    fn from(e: scaleup_storage::StoreError) -> Self {
        use scaleup_storage::StoreError;
        match e {
            StoreError::NotFound => PageError::Status(StatusCode::NOT_FOUND, "not found".into()),
            StoreError::Forbidden(m) => PageError::Status(StatusCode::FORBIDDEN, m.into()),
            StoreError::Invalid { field, message } => {
                PageError::Status(StatusCode::BAD_REQUEST, format!("{field}: {message}"))
            }
            StoreError::Conflict(m) => PageError::Status(StatusCode::CONFLICT, m),
            StoreError::Definition(e) => {
                PageError::Status(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
            }
            other => PageError::Internal(other.to_string()),
        }
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        PageError::Internal(format!("template: {e}"))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    status: u16,
    message: String,
    back: String,
    /// The app's stylesheet, so a refusal looks like the rest of the app (the visitor's
    /// language and navigation are not known here; the message is already in the language).
    css: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            PageError::SignIn => return redirect("/"),
            PageError::Status(s, m) => (s, m),
            PageError::Internal(cause) => {
                tracing::error!(error = %cause, "page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on the server.".to_string(),
                )
            }
        };
        let page = ErrorPage {
            status: status.as_u16(),
            message,
            back: "/".into(),
            css: assets::css_url(),
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => status.into_response(),
        }
    }
}

/// Renders a template as a page.
pub fn render<T: Template>(page: &T) -> Result<Response, PageError> {
    Ok(Html(page.render()?).into_response())
}

/// A 303 redirect (after a form: the browser follows with GET).
pub fn redirect(to: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        res.headers_mut().insert(LOCATION, v);
    }
    res
}

/// Adds a `Set-Cookie` header.
pub fn with_cookie(mut res: Response, cookie: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        res.headers_mut().append(SET_COOKIE, v);
    }
    res
}

/// Where a signed-in user starts.
pub fn home_of(role: Role, lang: &str) -> String {
    match role {
        Role::Counsellor => format!("/app/{lang}/"),
        Role::Supervisor => "/supervise".into(),
        Role::HubManager => "/hub".into(),
        Role::Admin | Role::Researcher | Role::Viewer => "/?home".into(),
    }
}

/// The user's own language setting.
fn user_language(user: &UserRecord) -> Option<&str> {
    user.language.as_deref()
}

/// Stores a signed-in user's language choice in their account.
async fn set_user_language(
    state: &AppState,
    session: &Session,
    code: &str,
) -> Result<(), PageError> {
    Ok(state
        .store
        .set_user_language(&session.user.id, Some(code))
        .await?)
}
