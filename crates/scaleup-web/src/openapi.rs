//! The OpenAPI 3 description of `/api/v1/`, built from one route table.
//!
//! [`ROUTES`] is the single list of operations: the document is generated from it, and the
//! authorisation-matrix test walks it, so a route cannot be added without being described and
//! tested for every role.

use serde_json::{Value, json};

/// One operation: method, path (OpenAPI template), summary, tag, whether it needs a session.
pub struct RouteDoc {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    pub tag: &'static str,
    pub authenticated: bool,
}

const fn r(
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    tag: &'static str,
    authenticated: bool,
) -> RouteDoc {
    RouteDoc {
        method,
        path,
        summary,
        tag,
        authenticated,
    }
}

pub const ROUTES: &[RouteDoc] = &[
    r(
        "get",
        "/health",
        "Liveness and schema version",
        "system",
        false,
    ),
    r("get", "/openapi.json", "This document", "system", false),
    r(
        "post",
        "/auth/login",
        "Sign in with username and password; returns a bearer token and sets the session cookie",
        "auth",
        false,
    ),
    r(
        "post",
        "/auth/logout",
        "End the current session",
        "auth",
        true,
    ),
    r(
        "get",
        "/auth/me",
        "The signed-in user and their hubs",
        "auth",
        true,
    ),
    r("get", "/hubs", "Hubs the caller may see", "setup", true),
    r("post", "/hubs", "Create a hub (admin)", "setup", true),
    r(
        "get",
        "/org-units",
        "Org units (country > region > district > facility) of the caller's hubs",
        "setup",
        true,
    ),
    r(
        "post",
        "/org-units",
        "Create an org unit (admin, hub manager)",
        "setup",
        true,
    ),
    r(
        "patch",
        "/org-units/{id}",
        "Change an org unit's name, catchment population or prevalence (0-1, with its source) (admin, the hub's managers)",
        "setup",
        true,
    ),
    r(
        "get",
        "/programmes",
        "Programmes of the caller's hubs",
        "setup",
        true,
    ),
    r(
        "post",
        "/programmes",
        "Create a programme with its sites and trial design (admin, hub manager)",
        "setup",
        true,
    ),
    r(
        "patch",
        "/programmes/{id}",
        "Change a programme's name, protocol (from the hub's catalogue) or alert deadline (admin, the hub's managers)",
        "setup",
        true,
    ),
    r(
        "get",
        "/users",
        "Accounts the caller administers or supervises",
        "users",
        true,
    ),
    r(
        "post",
        "/users",
        "Create an account (admin; hub manager within their hub)",
        "users",
        true,
    ),
    r(
        "post",
        "/users/{id}/password",
        "Reset a password (admin; hub manager for their hub's staff); ends the user's sessions",
        "users",
        true,
    ),
    r(
        "post",
        "/users/{id}/deactivate",
        "Deactivate an account (admin; hub manager within their hub; not one's own): its sessions end at once",
        "users",
        true,
    ),
    r(
        "post",
        "/users/{id}/reactivate",
        "Reactivate an account (admin; hub manager within their hub)",
        "users",
        true,
    ),
    r(
        "post",
        "/users/{id}/move-caseload",
        "Move a counsellor's active clients (an open episode, or none yet) to another counsellor of the same hub; each client's records, open alerts and conflicts follow (audited)",
        "users",
        true,
    ),
    r(
        "get",
        "/clients",
        "Clients the caller may see; filter by site subtree and registration period; cursor pagination",
        "clients",
        true,
    ),
    r(
        "get",
        "/clients/{id}",
        "One client (404 if not visible)",
        "clients",
        true,
    ),
    r(
        "get",
        "/clients/{id}/records",
        "All care records of one client",
        "clients",
        true,
    ),
    r(
        "get",
        "/clients/{id}/identity",
        "Decrypted identifying details (care staff only; audited)",
        "clients",
        true,
    ),
    r(
        "post",
        "/sync",
        "Push a batch of offline records; per-record acknowledgements with the server's score and the alerts raised; idempotent",
        "sync",
        true,
    ),
    r(
        "get",
        "/sync",
        "Pull changes in the caller's caseload after a cursor",
        "sync",
        true,
    ),
    r(
        "get",
        "/alerts",
        "Risk alerts the caller is responsible for",
        "safety",
        true,
    ),
    r(
        "get",
        "/alerts/{id}",
        "One risk alert and its history of actions and notes (its supervisor; hub managers of its hub; audited)",
        "safety",
        true,
    ),
    r(
        "post",
        "/alerts/{id}/acknowledge",
        "Acknowledge a risk alert with the actions taken and an optional note (sealed at rest)",
        "safety",
        true,
    ),
    r(
        "post",
        "/alerts/{id}/follow-ups",
        "Add a follow-up (actions and/or a note) to a risk alert in any state",
        "safety",
        true,
    ),
    r(
        "get",
        "/safety-flags",
        "Supervision safety flags from harmful ENACT/EQUIP ratings (hub managers: their hubs; admins: all; supervisors: the flags their ratings raised)",
        "supervision",
        true,
    ),
    r(
        "post",
        "/safety-flags/{id}/acknowledge",
        "Acknowledge a supervision safety flag with an optional note (hub managers, the hubs' clinical leads)",
        "supervision",
        true,
    ),
    r(
        "get",
        "/notifications",
        "Delivery status of outgoing notifications (admins: all; hub managers: their hubs)",
        "safety",
        true,
    ),
    r(
        "get",
        "/caseload",
        "Caseload with supervision flags (risk, no improvement, missed sessions, dropout) and each active episode's next session",
        "supervision",
        true,
    ),
    r(
        "get",
        "/conflicts",
        "Open sync conflicts for review, oldest first, paged (audited)",
        "sync",
        true,
    ),
    r(
        "get",
        "/conflicts/{id}",
        "One open sync conflict, by id (audited)",
        "sync",
        true,
    ),
    r(
        "post",
        "/conflicts/{id}/resolve",
        "Resolve a conflict keeping the server or the incoming version",
        "sync",
        true,
    ),
    r(
        "get",
        "/summary",
        "Aggregate counts per facility and month, small cells suppressed",
        "aggregates",
        true,
    ),
    r(
        "get",
        "/indicators",
        "Implementation outcomes (RE-AIM, Proctor, effective coverage, treatment gap) of the caller's programmes, cut and over a period; JSON (default) or CSV. Exact for admins and a hub's own managers and supervisors; small cells suppressed for everyone else",
        "aggregates",
        true,
    ),
    r(
        "get",
        "/audit",
        "Audit events, newest first (admin: all; hub manager: the events of their hubs)",
        "audit",
        true,
    ),
    r(
        "get",
        "/audit/verify",
        "Verify the audit hash chain up to its recorded head (admin)",
        "audit",
        true,
    ),
    r(
        "post",
        "/audit/verify",
        "Verify the audit hash chain and that it still holds each checkpoint sent (admin)",
        "audit",
        true,
    ),
    r(
        "get",
        "/audit/checkpoint",
        "Verify the audit hash chain and sign its head, for the hub to keep outside the database (admin; 409 if the chain does not verify)",
        "audit",
        true,
    ),
    r(
        "get",
        "/definitions",
        "Definition files in force for the caller's hubs (network-wide and the hubs' own) and stored files that do not load (admin, hub manager)",
        "catalogue",
        true,
    ),
    r(
        "post",
        "/definitions",
        "Upload an instrument, protocol, competency-framework, item-text or price-list file for a hub (or network-wide: admin); validated (422 naming file, line and field), in force on every server within seconds, no restart",
        "catalogue",
        true,
    ),
    r(
        "get",
        "/instruments",
        "Instrument catalogue of the caller's hub (built-in, network-wide and the hub's own files)",
        "catalogue",
        true,
    ),
    r(
        "get",
        "/instruments/{code}",
        "One instrument definition",
        "catalogue",
        true,
    ),
    r("get", "/protocols", "Protocol catalogue", "catalogue", true),
    r(
        "get",
        "/protocols/{code}",
        "One protocol definition",
        "catalogue",
        true,
    ),
    r(
        "get",
        "/programmes/{code}/effectiveness",
        "Effectiveness of a programme: its design's standard mixed model on outcome change (audited)",
        "analysis",
        true,
    ),
    r(
        "get",
        "/programmes/{code}/dataset",
        "A de-identified analysis dataset of a programme (one row per episode, assessment or session) with its data dictionary and R and Stata loaders, as `scaleup export dataset` writes them; audited with the caller and the options. Refused (422) when a combination of the quasi-identifiers is shared by fewer than k clients",
        "export",
        true,
    ),
    r(
        "get",
        "/programmes/{code}/fhir",
        "The programme's assessments as a FHIR R4 transaction Bundle (Questionnaires, pseudonymous Patients, QuestionnaireResponses, total-score Observations), as `scaleup export fhir` writes it; audited",
        "export",
        true,
    ),
    r(
        "post",
        "/programmes/{code}/nda",
        "NIMH Data Archive submission files of the programme (ndar_subject01 and each instrument's structure) with the report of rows NDA would reject, from the hub's GUID map; audited",
        "export",
        true,
    ),
    r(
        "post",
        "/programmes/{code}/dhis2",
        "A DHIS2 Tracker payload (for POST /api/tracker) of the programme through the hub's mapping of DHIS2 UIDs; audited",
        "export",
        true,
    ),
    r(
        "post",
        "/imports/odk",
        "Import an ODK Central or KoboToolbox submission CSV through a mapping file, as `scaleup import odk`: records pushed by the sync path as the caller (device import:odk or import:kobo); counsellors and supervisors; a JSON body of at most 16 MiB, or multipart/form-data (with a bearer token) spooled to disk up to the server's import limit (`serve --import-max-bytes`, 1 GiB by default). The `file` may be ODK Central's \"all submissions\" export zip as downloaded: the submissions' CSV and each `[[repeats]]` group's CSV (`<form>-<group>.csv`) are read from it, no `repeat` parts. With a mapping whose source is `kobo`, the `file` may be KoboToolbox's XLSX export (\"XML values and headers\"): the submissions from its first sheet, each `[[repeats]]` group from the sheet of its name joined by `_parent_index` (a group with `nested_in` to the rows of the group it is nested in); a workbook of more than 128 MiB unzipped is refused (use the CSV export)",
        "import",
        true,
    ),
    r(
        "post",
        "/imports/redcap",
        "Import a REDCap flat record export through a mapping file, as `scaleup import redcap`: records pushed by the sync path as the caller (device import:redcap)",
        "import",
        true,
    ),
    r(
        "post",
        "/imports/dhis2-tracker",
        "Import a DHIS2 Tracker payload through the tracker export's mapping file, as `scaleup import dhis2-tracker`: records pushed by the sync path as the caller (device import:dhis2)",
        "import",
        true,
    ),
    r(
        "post",
        "/analyses/lmm",
        "Linear mixed model (lme4-style formula; REML or ML) on a CSV table",
        "analysis",
        true,
    ),
    r(
        "post",
        "/analyses/glmm",
        "Binomial (logit) GLMM by Laplace approximation on a CSV table",
        "analysis",
        true,
    ),
    r(
        "post",
        "/analyses/gee",
        "GEE (gaussian or binomial; independence or exchangeable) with sandwich SEs on a CSV table",
        "analysis",
        true,
    ),
    r(
        "post",
        "/analyses/icc",
        "ICCs and design effects from a random-intercept LMM on a CSV table",
        "analysis",
        true,
    ),
    r(
        "post",
        "/analyses/meta",
        "Meta-analysis (FE, DerSimonian-Laird, REML; Knapp-Hartung) of a CSV of study estimates; html: forest plot",
        "analysis",
        true,
    ),
    r(
        "post",
        "/analyses/psa",
        "Probabilistic sensitivity analysis of a Markov model: CEAC, CEAF, EVPI; html: CE plane and CEAC",
        "analysis",
        true,
    ),
    r(
        "post",
        "/analyses/evpi",
        "EVPI and population EVPI from PSA draws (CSV draw,strategy,cost,effect)",
        "analysis",
        true,
    ),
    r(
        "post",
        "/analyses/owsa",
        "One-way sensitivity analysis of a Markov model; html: tornado diagram",
        "analysis",
        true,
    ),
    r(
        "post",
        "/analyses/icers",
        "ICERs, dominance and net monetary benefit from a strategy,cost,effect CSV table",
        "analysis",
        true,
    ),
    r(
        "post",
        "/analyses/markov",
        "Markov cohort model (TOML spec): cost and effect per strategy, and ICERs",
        "analysis",
        true,
    ),
    r(
        "post",
        "/analyses/power",
        "Power of an individual, parallel cluster or stepped-wedge design (TOML spec)",
        "analysis",
        true,
    ),
    r(
        "post",
        "/analyses/sample-size",
        "Clusters, cluster size or participants needed to reach a target power (TOML spec)",
        "analysis",
        true,
    ),
    r(
        "post",
        "/analyses/plan",
        "Scale-up plan: workforce, training, coverage and budget per scenario (TOML scenario)",
        "analysis",
        true,
    ),
    r(
        "post",
        "/analyses/budget-impact",
        "Budget impact by year and scenario (TOML scenario)",
        "analysis",
        true,
    ),
    r(
        "post",
        "/analyses/roi",
        "Return on investment, investment-case structure (TOML scenario)",
        "analysis",
        true,
    ),
    r(
        "post",
        "/analyses/costs",
        "Costs of the activity recorded in the caller's hubs, priced with the TOML price lists sent or, with an empty body, with the price lists stored for those hubs (years none prices are named in `warnings`; audited)",
        "analysis",
        true,
    ),
];

/// Query parameters: (path, name, schema, required, description). The schema is a JSON type
/// name or a JSON Schema object. Every route that reads its query string lists all of its
/// parameters here: handlers reject unknown ones, and the contract test checks that the names
/// here are exactly the names each handler accepts.
pub const QUERY_PARAMS: &[(&str, &str, &str, bool, &str)] = &[
    (
        "/org-units",
        "hub_id",
        r#"{"type": "string", "format": "uuid"}"#,
        false,
        "only this hub's units",
    ),
    (
        "/clients",
        "site",
        r#"{"type": "string", "format": "uuid"}"#,
        false,
        "org unit id: clients registered in its subtree",
    ),
    (
        "/clients",
        "from",
        r#"{"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}"#,
        false,
        "registered on or after this date",
    ),
    (
        "/clients",
        "to",
        r#"{"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}"#,
        false,
        "registered on or before this date",
    ),
    (
        "/clients",
        "cursor",
        r#"{"type": "string", "format": "uuid"}"#,
        false,
        "next_cursor of the previous page",
    ),
    (
        "/clients",
        "limit",
        r#"{"type": "integer", "minimum": 1, "maximum": 1000}"#,
        false,
        "page size (default 1000)",
    ),
    (
        "/sync",
        "cursor",
        "string",
        false,
        "next_cursor of the previous pull; empty for the first",
    ),
    (
        "/sync",
        "limit",
        r#"{"type": "integer", "minimum": 1, "maximum": 5000}"#,
        false,
        "changes per page (default 1000)",
    ),
    (
        "/alerts",
        "status",
        r#"{"type": "string", "enum": ["open", "escalated", "acknowledged"]}"#,
        false,
        "only alerts in this state",
    ),
    (
        "/alerts",
        "from",
        r#"{"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}"#,
        false,
        "raised on or after this date",
    ),
    (
        "/alerts",
        "to",
        r#"{"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}"#,
        false,
        "raised on or before this date",
    ),
    (
        "/alerts",
        "cursor",
        "string",
        false,
        "next_cursor of the previous page",
    ),
    (
        "/alerts",
        "limit",
        r#"{"type": "integer", "minimum": 1, "maximum": 1000}"#,
        false,
        "page size (default 100)",
    ),
    (
        "/safety-flags",
        "status",
        r#"{"type": "string", "enum": ["open", "acknowledged"]}"#,
        false,
        "only flags in this state",
    ),
    (
        "/safety-flags",
        "cursor",
        "string",
        false,
        "next_cursor of the previous page",
    ),
    (
        "/safety-flags",
        "limit",
        r#"{"type": "integer", "minimum": 1, "maximum": 1000}"#,
        false,
        "page size (default 100)",
    ),
    (
        "/notifications",
        "status",
        r#"{"type": "string", "enum": ["pending", "sent", "failed"]}"#,
        false,
        "only notifications in this state",
    ),
    (
        "/notifications",
        "cursor",
        "string",
        false,
        "next_cursor of the previous page",
    ),
    (
        "/notifications",
        "limit",
        r#"{"type": "integer", "minimum": 1, "maximum": 1000}"#,
        false,
        "page size (default 100)",
    ),
    (
        "/caseload",
        "cursor",
        r#"{"type": "string", "format": "uuid"}"#,
        false,
        "next_cursor of the previous page (a client id)",
    ),
    (
        "/caseload",
        "limit",
        r#"{"type": "integer", "minimum": 1, "maximum": 1000}"#,
        false,
        "clients per page (default 500)",
    ),
    (
        "/conflicts",
        "cursor",
        "string",
        false,
        "next_cursor of the previous page",
    ),
    (
        "/conflicts",
        "limit",
        r#"{"type": "integer", "minimum": 1, "maximum": 500}"#,
        false,
        "conflicts per page (default 500)",
    ),
    (
        "/summary",
        "from",
        r#"{"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}"#,
        false,
        "first day of the period (callers without exact indicators: the start of its month)",
    ),
    (
        "/summary",
        "to",
        r#"{"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}"#,
        false,
        "last day of the period (callers without exact indicators: the end of its month)",
    ),
    (
        "/indicators",
        "programme",
        "string",
        false,
        "programme code (default: every programme the caller may see); over all time without from/to",
    ),
    (
        "/indicators",
        "hub",
        "string",
        false,
        "hub code, when several hubs have a programme with that code",
    ),
    (
        "/indicators",
        "by",
        r#"{"type": "string", "pattern": "^[a-z_]+(,[a-z_]+)*$"}"#,
        false,
        "cuts, comma-separated: hub, programme, country, region, district, facility, arm, counsellor, month, quarter, sex, age_band (month or quarter gives a time series)",
    ),
    (
        "/indicators",
        "from",
        r#"{"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}"#,
        false,
        "first day of the period (callers under disclosure control: snapped to the start of its calendar month)",
    ),
    (
        "/indicators",
        "to",
        r#"{"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}"#,
        false,
        "last day of the period (callers under disclosure control: snapped to the end of its calendar month)",
    ),
    (
        "/indicators",
        "indicator",
        "string",
        false,
        "only these indicator codes, comma-separated (e.g. screened,reach,phq9_response)",
    ),
    (
        "/indicators",
        "remission_below",
        "number",
        false,
        "remission: endpoint total of the primary outcome below this (default: the instrument's screening cut-off)",
    ),
    (
        "/indicators",
        "reliability",
        r#"{"type": "number", "minimum": 0, "exclusiveMaximum": 1}"#,
        false,
        "reliability of the primary instrument for the reliable change index",
    ),
    (
        "/indicators",
        "fidelity_threshold",
        r#"{"type": "number", "minimum": 0, "maximum": 1}"#,
        false,
        "fidelity at or above which an adequate episode counts as quality care (default 0.8)",
    ),
    (
        "/indicators",
        "format",
        r#"{"type": "string", "enum": ["json", "csv"]}"#,
        false,
        "json (default) or csv",
    ),
    (
        "/audit",
        "hub_id",
        r#"{"type": "string", "format": "uuid"}"#,
        false,
        "only this hub's events",
    ),
    (
        "/audit",
        "before",
        "integer",
        false,
        "events with a sequence number below this (next_cursor)",
    ),
    (
        "/audit",
        "limit",
        r#"{"type": "integer", "minimum": 1, "maximum": 1000}"#,
        false,
        "events per page (default 100)",
    ),
    (
        "/analyses/lmm",
        "formula",
        r#"{"type": "string", "minLength": 1}"#,
        true,
        "lme4-style formula, e.g. y ~ x + (1 + t | site)",
    ),
    (
        "/analyses/lmm",
        "factors",
        "string",
        false,
        "comma-separated numeric columns to treat as factors",
    ),
    (
        "/analyses/lmm",
        "ml",
        "boolean",
        false,
        "maximum likelihood instead of REML",
    ),
    (
        "/analyses/lmm",
        "blups",
        "boolean",
        false,
        "include BLUPs and conditional variances",
    ),
    (
        "/analyses/lmm",
        "no_df",
        "boolean",
        false,
        "skip Satterthwaite degrees of freedom",
    ),
    (
        "/analyses/glmm",
        "family",
        r#"{"type": "string", "enum": ["binomial"]}"#,
        true,
        "response family (logit link)",
    ),
    (
        "/analyses/glmm",
        "formula",
        r#"{"type": "string", "minLength": 1}"#,
        true,
        "formula with a 0/1 response or cbind(successes, failures)",
    ),
    (
        "/analyses/glmm",
        "factors",
        "string",
        false,
        "comma-separated numeric columns to treat as factors",
    ),
    (
        "/analyses/glmm",
        "blups",
        "boolean",
        false,
        "include BLUPs and conditional variances",
    ),
    (
        "/analyses/gee",
        "formula",
        r#"{"type": "string", "minLength": 1}"#,
        true,
        "fixed-effects formula, e.g. y ~ arm + period",
    ),
    (
        "/analyses/gee",
        "family",
        r#"{"type": "string", "enum": ["gaussian", "binomial"]}"#,
        true,
        "identity link, or logit link with a 0/1 response",
    ),
    (
        "/analyses/gee",
        "corr",
        r#"{"type": "string", "enum": ["independence", "exchangeable"]}"#,
        false,
        "working correlation (default exchangeable)",
    ),
    (
        "/analyses/gee",
        "group",
        r#"{"type": "string", "minLength": 1}"#,
        true,
        "cluster column",
    ),
    (
        "/analyses/gee",
        "small_sample",
        r#"{"type": "string", "enum": ["mancl-derouen"]}"#,
        false,
        "small-sample correction of the sandwich",
    ),
    (
        "/analyses/gee",
        "factors",
        "string",
        false,
        "comma-separated numeric columns to treat as factors",
    ),
    (
        "/analyses/icc",
        "formula",
        r#"{"type": "string", "minLength": 1}"#,
        true,
        "random-intercept model, e.g. y ~ 1 + (1 | site)",
    ),
    (
        "/analyses/icc",
        "factors",
        "string",
        false,
        "comma-separated numeric columns to treat as factors",
    ),
    (
        "/analyses/meta",
        "estimate",
        r#"{"type": "string", "minLength": 1}"#,
        true,
        "column of study estimates",
    ),
    (
        "/analyses/meta",
        "se",
        r#"{"type": "string", "minLength": 1}"#,
        true,
        "column of their standard errors",
    ),
    (
        "/analyses/meta",
        "label",
        "string",
        false,
        "column of study labels",
    ),
    (
        "/analyses/meta",
        "df",
        "string",
        false,
        "column of each estimate's own degrees of freedom (t intervals for those studies)",
    ),
    (
        "/analyses/meta",
        "method",
        r#"{"type": "string", "enum": ["fe", "dl", "reml"]}"#,
        false,
        "fixed effect, DerSimonian-Laird or REML (default reml)",
    ),
    (
        "/analyses/meta",
        "knapp_hartung",
        "boolean",
        false,
        "Knapp-Hartung adjustment",
    ),
    (
        "/analyses/meta",
        "kh_truncate",
        "boolean",
        false,
        "truncate the Knapp-Hartung factor at 1",
    ),
    (
        "/analyses/meta",
        "level",
        r#"{"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}"#,
        false,
        "confidence level (default 0.95)",
    ),
    (
        "/analyses/meta",
        "axis_label",
        "string",
        false,
        "forest plot axis label",
    ),
    (
        "/analyses/icers",
        "wtp",
        r#"{"type": "number", "minimum": 0}"#,
        false,
        "willingness to pay per unit of effect (adds net monetary benefit)",
    ),
    (
        "/analyses/markov",
        "wtp",
        r#"{"type": "number", "minimum": 0}"#,
        false,
        "willingness to pay per unit of effect (adds net monetary benefit)",
    ),
    (
        "/analyses/psa",
        "draws",
        r#"{"type": "integer", "minimum": 1, "maximum": 100000}"#,
        false,
        "number of draws (default 1000)",
    ),
    (
        "/analyses/psa",
        "seed",
        r#"{"type": "integer", "minimum": 0}"#,
        false,
        "random seed (same seed, same draws)",
    ),
    (
        "/analyses/psa",
        "wtp",
        r#"{"type": "string", "minLength": 1}"#,
        true,
        "comma-separated willingness-to-pay values, e.g. 0,500,1000",
    ),
    (
        "/analyses/evpi",
        "wtp",
        r#"{"type": "number", "minimum": 0}"#,
        true,
        "willingness to pay per unit of effect",
    ),
    (
        "/analyses/evpi",
        "population",
        r#"{"type": "number", "minimum": 0}"#,
        false,
        "population affected per year (adds population EVPI)",
    ),
    (
        "/analyses/evpi",
        "years",
        r#"{"type": "integer", "minimum": 1}"#,
        false,
        "years the decision applies",
    ),
    (
        "/analyses/evpi",
        "discount",
        r#"{"type": "number", "minimum": 0}"#,
        false,
        "annual discount rate for population EVPI",
    ),
    (
        "/analyses/evpi",
        "evppi",
        "string",
        false,
        "comma-separated parameter columns for partial EVPI",
    ),
    (
        "/analyses/evpi",
        "evppi_groups",
        r#"{"type": "integer", "minimum": 1}"#,
        false,
        "groups per parameter for the EVPPI estimate",
    ),
    (
        "/analyses/owsa",
        "wtp",
        r#"{"type": "number", "minimum": 0}"#,
        true,
        "willingness to pay per unit of effect",
    ),
    (
        "/analyses/owsa",
        "parameter",
        "string",
        false,
        "only this parameter",
    ),
    (
        "/analyses/owsa",
        "low",
        "number",
        false,
        "low value of that parameter",
    ),
    (
        "/analyses/owsa",
        "high",
        "number",
        false,
        "high value of that parameter",
    ),
    (
        "/analyses/owsa",
        "strategy",
        "string",
        false,
        "strategy whose net benefit is compared",
    ),
    (
        "/analyses/owsa",
        "comparator",
        "string",
        false,
        "comparator strategy",
    ),
    (
        "/analyses/sample-size",
        "solve",
        r#"{"type": "string", "enum": ["clusters", "cluster_size", "n_per_arm"]}"#,
        true,
        "what to solve for",
    ),
    (
        "/analyses/sample-size",
        "target_power",
        r#"{"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}"#,
        false,
        "default 0.8",
    ),
    (
        "/analyses/costs",
        "admin_minutes_per_session",
        r#"{"type": "number", "minimum": 0}"#,
        false,
        "assumed counsellor admin minutes per session (default 0)",
    ),
    (
        "/analyses/costs",
        "training_hours_per_day",
        r#"{"type": "number", "exclusiveMinimum": 0}"#,
        false,
        "hours in a training day (default 8)",
    ),
    (
        "/analyses/costs",
        "outcome_instrument",
        "string",
        false,
        "instrument for responders and remissions (default phq9)",
    ),
    (
        "/analyses/costs",
        "response_fraction",
        r#"{"type": "number", "exclusiveMinimum": 0, "maximum": 1}"#,
        false,
        "response: at least this fractional reduction (default 0.5)",
    ),
    (
        "/analyses/costs",
        "remission_below",
        "number",
        false,
        "remission: last score below this (default 10)",
    ),
    (
        "/programmes/{code}/dataset",
        "unit",
        r#"{"type": "string", "enum": ["episode", "assessment", "session"]}"#,
        false,
        "what one row is (default episode)",
    ),
    (
        "/programmes/{code}/dataset",
        "instrument",
        r#"{"type": "string", "pattern": "^[a-z0-9_.-]{1,64}$"}"#,
        false,
        "outcome instrument of an episode row (default: the design's, else phq9)",
    ),
    (
        "/programmes/{code}/dataset",
        "follow_up",
        r#"{"type": "string", "enum": ["endpoint", "follow_up"]}"#,
        false,
        "occasion of an episode row's follow-up score (default follow_up)",
    ),
    (
        "/programmes/{code}/dataset",
        "exact_ages",
        "boolean",
        false,
        "exact ages in years instead of bands",
    ),
    (
        "/programmes/{code}/dataset",
        "no_date_shift",
        "boolean",
        false,
        "true dates instead of per-client shifted ones",
    ),
    (
        "/programmes/{code}/dataset",
        "keep_free_text",
        "boolean",
        false,
        "keep free-text variables",
    ),
    (
        "/programmes/{code}/dataset",
        "keep_facility",
        "boolean",
        false,
        "keep facilities and cluster labels instead of coarsening to district",
    ),
    (
        "/programmes/{code}/dataset",
        "k",
        r#"{"type": "integer", "minimum": 0}"#,
        false,
        "k of the k-anonymity check (default 5; 0 or 1 turns it off)",
    ),
    (
        "/programmes/{code}/dataset",
        "quasi_identifiers",
        "string",
        false,
        "comma-separated variables checked for k-anonymity (default sex, age_band or age, district, facility when kept)",
    ),
    (
        "/programmes/{code}/effectiveness",
        "instrument",
        "string",
        false,
        "outcome instrument (default: the design's)",
    ),
    (
        "/programmes/{code}/effectiveness",
        "occasion",
        r#"{"type": "string", "enum": ["screening", "baseline", "session", "endpoint", "follow_up"]}"#,
        false,
        "follow-up occasion compared with baseline (default follow_up)",
    ),
    (
        "/programmes/{code}/effectiveness",
        "cluster_period",
        "boolean",
        false,
        "stepped wedge: include the cluster-by-period random effect (default true)",
    ),
    (
        "/programmes/{code}/effectiveness",
        "level",
        r#"{"type": "number", "minimum": 0.5, "exclusiveMaximum": 1}"#,
        false,
        "confidence level (default 0.95)",
    ),
];

/// The document each analysis route reads as its body.
fn analysis_body(path: &str) -> Option<(&'static str, &'static str)> {
    match path {
        "/analyses/lmm" | "/analyses/glmm" | "/analyses/gee" | "/analyses/icc" => {
            Some(("text/csv", "data table with a header row"))
        }
        "/analyses/meta" => Some(("text/csv", "one row per study")),
        "/analyses/evpi" => Some(("text/csv", "PSA draws: columns draw,strategy,cost,effect")),
        "/analyses/psa" | "/analyses/owsa" => Some((
            "application/toml",
            "Markov model spec with parameter distributions, as `scaleup econ psa --model`",
        )),
        "/analyses/icers" => Some(("text/csv", "columns strategy,cost,effect")),
        "/analyses/markov" => Some((
            "application/toml",
            "Markov model spec, as `scaleup econ markov --model`",
        )),
        "/analyses/power" | "/analyses/sample-size" => Some((
            "application/toml",
            "design spec, as `scaleup design power --spec`",
        )),
        "/analyses/costs" => Some((
            "application/toml",
            "price lists, as `scaleup econ cost --prices`; empty to use the stored price lists",
        )),
        p if p.starts_with("/analyses/") => Some((
            "application/toml",
            "scenario file, as the command line reads it",
        )),
        _ => None,
    }
}

fn error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": ["string", "null"]}
        }}}
    })
}

/// The status a route answers with when it succeeds.
fn success_status(method: &str, path: &str) -> &'static str {
    match (method, path) {
        (
            "post",
            "/hubs"
            | "/org-units"
            | "/programmes"
            | "/users"
            | "/alerts/{id}/follow-ups"
            | "/definitions",
        ) => "201",
        ("post", "/auth/logout" | "/users/{id}/password" | "/conflicts/{id}/resolve") => "204",
        _ => "200",
    }
}

/// The component schema of a route's JSON request body (login and sync push have their own).
fn json_body(method: &str, path: &str) -> Option<&'static str> {
    Some(match (method, path) {
        ("post", "/hubs") => "HubCreate",
        ("post", "/org-units") => "OrgUnitCreate",
        ("post", "/programmes") => "ProgrammeCreate",
        ("post", "/users") => "UserCreate",
        ("post", "/users/{id}/password") => "PasswordReset",
        ("post", "/users/{id}/move-caseload") => "CaseloadMoveRequest",
        ("patch", "/org-units/{id}") => "OrgUnitUpdate",
        ("patch", "/programmes/{id}") => "ProgrammeUpdate",
        ("post", "/definitions") => "DefinitionUpload",
        ("post", "/alerts/{id}/acknowledge") => "AlertAcknowledge",
        ("post", "/alerts/{id}/follow-ups") => "AlertFollowUp",
        ("post", "/safety-flags/{id}/acknowledge") => "SafetyFlagAcknowledge",
        ("post", "/conflicts/{id}/resolve") => "ConflictResolve",
        ("post", "/audit/verify") => "AuditVerifyRequest",
        ("post", "/programmes/{code}/nda") => "NdaGuidMap",
        ("post", "/programmes/{code}/dhis2") => "Dhis2Mapping",
        ("post", "/imports/odk" | "/imports/redcap" | "/imports/dhis2-tracker") => "ImportRequest",
        _ => return None,
    })
}

/// The component schema of a route's success response, where one is written out (the others
/// are documented as an object).
fn response_schema(method: &str, path: &str) -> Option<&'static str> {
    Some(match (method, path) {
        ("post", "/sync") => "SyncAcks",
        ("get", "/caseload") => "CaseloadPage",
        ("get" | "post", "/audit/verify") => "AuditVerification",
        ("get", "/audit/checkpoint") => "AuditCheckpoint",
        ("get", "/indicators") => "IndicatorTable",
        ("get", "/programmes/{code}/dataset") => "ExportFiles",
        ("post", "/imports/odk" | "/imports/redcap" | "/imports/dhis2-tracker") => "ImportReport",
        _ => return None,
    })
}

fn nullable(kind: &str) -> Value {
    json!({"type": [kind, "null"]})
}

/// Response schemas: the acknowledgements of a push and the caseload, which the counsellor's
/// app reads field by field. Open objects, so that a field added later is not a breaking change.
fn response_schemas() -> Value {
    let uid = json!({"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9]{10}$"});
    let stage = json!({"type": "object", "required": ["stage"], "additionalProperties": false, "properties": {
        "stage": uid, "data_elements": {"type": "object", "additionalProperties": uid},
        "occasion": {"type": "string", "enum": ["screening", "baseline", "session", "endpoint", "follow_up"], "description": "import only: the occasion of the stage's assessments when no data element carries it"}}});
    json!({
        "NdaGuidMap": {"type": "object", "required": ["guids"], "additionalProperties": false, "properties": {
            "guids": {"type": "object", "additionalProperties": {"type": "string"},
                "description": "client (scaleup's client id or its export pseudonym) -> GUID or pseudo-GUID"},
            "shift_dates": {"type": "boolean", "description": "shift every interview date of a subject by a persistent secret offset (as --shift-dates)"}}},
        "Dhis2Mapping": {"type": "object", "required": ["tracked_entity_type", "program", "org_units"], "additionalProperties": false,
            "description": "the hub's DHIS2 UIDs, as in the TOML file `scaleup export dhis2 --mapping` reads",
            "properties": {
                "tracked_entity_type": uid, "program": uid,
                "org_units": {"type": "object", "additionalProperties": uid, "description": "facility code -> org unit UID"},
                "attributes": {"type": "object", "additionalProperties": uid, "description": "sex, birth_year, registered_on, pseudonym -> attribute UID"},
                "cancelled_as": {"type": "string", "enum": ["completed", "dropped_out", "referred", "transferred", "died"], "description": "import only: the closure reason of a CANCELLED enrollment"},
                "sex_codes": {"type": "object", "additionalProperties": {"type": "string"}},
                "assessments": {"type": "object", "additionalProperties": stage, "description": "instrument code -> stage and data elements"},
                "session": stage}},
        "ImportRequest": {"type": "object", "required": ["mapping", "content"], "additionalProperties": false, "properties": {
            "mapping": {"type": "string", "description": "the mapping file's text (TOML), as `scaleup import --mapping` reads it (docs/interoperability.md, Imports)"},
            "content": {"type": "string", "description": "the export's text: CSV (odk, redcap) or JSON (dhis2-tracker), UTF-8"},
            "file_name": {"type": "string", "maxLength": 200, "description": "the name reports use for the file (default upload)"},
            "dry_run": {"type": "boolean", "description": "read, map and check every row; write nothing"},
            "programme": {"type": "string", "description": "dhis2-tracker: the programme (code) the tracked entities are clients of"}}},
        "ImportUpload": {"type": "object", "required": ["file", "mapping"], "properties": {
            "file": {"type": "string", "contentMediaType": "application/octet-stream", "description": "the export: CSV (odk, redcap) or JSON (dhis2-tracker), UTF-8; or, for odk, ODK Central's export zip as downloaded (known by its first bytes, PK\\x03\\x04, whatever its name), whose submissions' CSV and the CSVs of the mapping's repeat groups (nested ones too, <form>-<group>.csv as Central names them) are found by name, measured against the import limit once unzipped and read entry by entry (media and groups the mapping does not name are not read; an encrypted entry, or one compressed other than stored or deflate, is refused with its name); or, for odk with a kobo mapping, KoboToolbox's XLSX export (a zip holding xl/workbook.xml), whose first sheet holds the submissions and whose sheet per repeat group (nested ones too) is joined by _parent_index to the rows it belongs to, read whole and so refused beyond 128 MiB unzipped. Written to a temporary file as it arrives and read from there a row at a time"},
            "mapping": {"type": "string", "maxLength": 1048576, "description": "the mapping file (TOML), as a file part or a text field"},
            "file_name": {"type": "string", "maxLength": 200, "description": "the name reports use for the file (default: the file part's name)"},
            "dry_run": {"type": "string", "description": "true, 1, on or yes: read, map and check every row; write nothing"},
            "programme": {"type": "string", "description": "dhis2-tracker: the programme (code) the tracked entities are clients of"},
            "repeat": {"type": "array", "items": {"type": "string", "contentMediaType": "text/csv"}, "description": "odk: the CSV of each repeat group of the same Central export, nested ones too, one part each in any order, named as Central names it (<form>-<group>.csv, which names the mapping's [[repeats]] group; a group is read after the group its nested_in names); not with Central's export zip or KoboToolbox's XLSX export as the file, which carry them"}}},
        "ImportReport": {"type": "object", "required": ["summary", "problems"], "properties": {
            "summary": {"type": "object", "properties": {
                "rows": {"type": "integer"}, "rows_refused": {"type": "integer"}, "created": {"type": "integer"},
                "updated": {"type": "integer"}, "unchanged": {"type": "integer"}, "conflicts": {"type": "integer"},
                "rejected": {"type": "integer"}, "would_create": {"type": "integer"}, "would_replace": {"type": "integer"}}},
            "problems": {"type": "array", "items": {"type": "string"}, "description": "the first 500 problems, each naming file, row and column, never a value"},
            "problems_total": {"type": "integer"}}},
        "ExportFiles": {"type": "object", "required": ["files"], "properties": {
            "dataset": {"type": "string", "description": "file stem, e.g. pmplus-sw-trial_episodes"},
            "rows": {"type": "integer"}, "clients": {"type": "integer"},
            "files": {"type": "array", "items": {"type": "object", "required": ["name", "content"], "properties": {
                "name": {"type": "string"}, "content": {"type": "string", "description": "the file's text (UTF-8)"}}}}}},
        "SyncAcks": {"type": "object", "required": ["acks"], "properties": {
            "acks": {"type": "array", "items": {"$ref": "#/components/schemas/Ack"}}}},
        "Ack": {"type": "object", "required": ["id", "status"], "properties": {
            "id": {"description": "the record id as sent"},
            "status": {"type": "string", "enum": ["created", "updated", "unchanged", "conflict", "rejected"]},
            "version": {"type": "integer", "description": "the record's current version on the server"},
            "conflict_id": {"type": "string", "format": "uuid", "description": "a kept conflict, for supervisor review"},
            "error": {"type": "object", "required": ["code", "message"], "properties": {
                "code": {"type": "string", "enum": ["invalid", "forbidden", "not_found", "internal"]},
                "message": {"type": "string", "description": "what is allowed; never the rejected value"},
                "field": {"type": ["string", "null"], "description": "e.g. data.components.2, data.on, device_time"}}},
            "score": {"$ref": "#/components/schemas/AckScore"},
            "alerts": {"type": "array", "description": "risk alerts this write raised (omitted when none)",
                "items": {"$ref": "#/components/schemas/AckAlert"}}}},
        "AckScore": {"type": "object",
            "description": "the server's score of an accepted assessment (created, updated or unchanged; omitted otherwise)",
            "required": ["instrument", "instrument_version", "total", "band", "band_label", "positive", "risk_flags"],
            "properties": {
                "instrument": {"type": "string"},
                "instrument_version": {"type": ["string", "null"], "description": "the version scored with: the one the record named, else the newest"},
                "total": {"type": ["number", "null"], "description": "null when too many items were unanswered"},
                "band": nullable("string"), "band_label": nullable("string"), "positive": nullable("boolean"),
                "risk_flags": {"type": "array", "items": {"type": "object", "required": ["rule_id", "level"], "properties": {
                    "rule_id": {"type": "string", "description": "the instrument's risk rule id, e.g. item9_positive"},
                    "level": {"type": "string", "enum": ["urgent", "routine"]}}}}}},
        "AckAlert": {"type": "object", "required": ["id", "rule_id", "level", "due_at"], "properties": {
            "id": {"type": "string", "format": "uuid"},
            "rule_id": {"type": "string", "description": "as /alerts shows it: <instrument>.<rule>"},
            "level": {"type": "string", "enum": ["urgent", "routine"]},
            "due_at": {"type": "string", "format": "date-time"}}},
        "IndicatorTable": {"type": "object", "required": ["programme", "period", "as_of", "by", "disclosure", "indicators"],
            "description": "the same document as `scaleup indicators --format json`; definitions in docs/indicators.md",
            "properties": {
                "programme": {"type": ["string", "null"], "description": "the code asked for; null: every programme the caller may see"},
                "period": {"type": "object", "description": "the period the figures are over (null ends: open); for callers under disclosure control, whole calendar months",
                    "properties": {"from": {"type": ["string", "null"], "format": "date"}, "to": {"type": ["string", "null"], "format": "date"}}},
                "as_of": {"type": "string", "format": "date"},
                "by": {"type": "array", "items": {"type": "string"}},
                "disclosure": {"type": "object", "required": ["policy"], "properties": {
                    "policy": {"type": "string", "enum": ["exact", "suppress_below"]},
                    "k": {"type": "integer", "description": "smallest count shown (suppress_below)"}}},
                "indicators": {"type": "array", "items": {"$ref": "#/components/schemas/IndicatorRow"}},
                "parameters": {"type": "object", "description": "per programme code: the parameters used (remission cut-off, reliability, fidelity threshold)"},
                "diagnostics": {"type": "array", "items": {"type": "string"}}}},
        "IndicatorRow": {"type": "object", "required": ["code", "label", "numerator", "denominator", "value", "suppressed"],
            "properties": {
                "code": {"type": "string", "description": "stable: screened, eligible, enrolled, reach, completion, phq9_response, phq9_remission, phq9_mean_change and the rest of the catalogue"},
                "label": {"type": "string"},
                "numerator": {"type": ["number", "null"]}, "denominator": {"type": ["number", "null"]},
                "value": {"type": ["number", "null"], "description": "null when undefined or suppressed"},
                "n": {"type": ["integer", "null"], "description": "units a mean or quantile is over"},
                "framework": {"type": "string"}, "unit": {"type": "string"}, "value_kind": {"type": "string"},
                "by": {"type": "object", "description": "the row's value of each cut: {dimension: {key, label}}"},
                "suppressed": {"type": "boolean", "description": "figures withheld by disclosure control"},
                "design": {"type": "string", "description": "effectiveness estimates: uncontrolled_before_after or controlled_trial_arm"}}},
        "AuditVerification": {"type": "object", "required": ["ok", "rows_checked", "problems", "head_seq", "checkpoints_checked"], "properties": {
            "ok": {"type": "boolean"},
            "rows_checked": {"type": "integer", "minimum": 0},
            "problems": {"type": "array", "items": {"type": "string"},
                "description": "findings, each naming the rows concerned: modified, missing, removed at the end, appended after the head, an unsigned head, a checkpoint no longer in the log"},
            "head_seq": {"type": "integer", "description": "the recorded head verified up to, read before the walk"},
            "checkpoints_checked": {"type": "integer", "minimum": 0}}},
        "CaseloadPage": {"type": "object", "required": ["items", "next_cursor"], "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/CaseloadEntry"}},
            "next_cursor": nullable("string")}},
        "CaseloadEntry": {"type": "object",
            "required": ["client_id", "episode_status", "sessions_attended", "sessions_missed", "last_session_number", "scores", "open_risk_alert", "flags"],
            "properties": {
                "client_id": {"type": "string", "format": "uuid"},
                "counsellor_id": nullable("string"), "programme_id": nullable("string"),
                "episode_status": {"type": "string", "enum": ["none", "active", "closed"]},
                "closure_reason": nullable("string"),
                "sessions_attended": {"type": "integer", "minimum": 0},
                "sessions_missed": {"type": "integer", "minimum": 0},
                "last_session_on": nullable("string"),
                "last_session_number": {"type": "integer", "minimum": 0},
                "scores": {"type": "array", "items": {"type": "object", "properties": {
                    "instrument": nullable("string"), "on": nullable("string"), "occasion": nullable("string"),
                    "session_number": nullable("integer"), "total": {"type": "number"}}}},
                "open_risk_alert": {"type": "boolean"},
                "protocol": {"type": "string", "description": "the programme's protocol, when the catalogue has it"},
                "adequate_dose": {"type": "boolean"},
                "flags": {"type": "array", "items": {"type": "string", "enum": ["risk", "missed_sessions", "overdue", "no_improvement", "dropout"]}},
                "next_session": {"$ref": "#/components/schemas/NextSession"}}},
        "NextSession": {"type": "object",
            "description": "for an active episode: next number = highest recorded session number + 1 (attended or missed); due = latest session date + the protocol's interval_days (default 7), or the enrolment date before any session; upcoming / today / overdue (days past due, fewer than missed_session.overdue_days) / missed / done (planned sessions held)",
            "required": ["number", "due_on", "status", "components"],
            "properties": {
                "number": {"type": ["integer", "null"], "minimum": 1},
                "due_on": {"type": ["string", "null"], "format": "date"},
                "status": {"type": "string", "enum": ["upcoming", "today", "overdue", "missed", "done"]},
                "overdue_days": {"type": "integer", "minimum": 1, "description": "only with status overdue"},
                "components": {"type": "array", "items": {"type": "string"}, "description": "the session plan's components for that session"}}}
    })
}

/// A closed object (the handlers reject unknown fields).
fn object(required: &[&str], properties: Value) -> Value {
    json!({"type": "object", "required": required, "properties": properties, "additionalProperties": false})
}

fn uuid() -> Value {
    json!({"type": "string", "format": "uuid"})
}

fn date() -> Value {
    json!({"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"})
}

fn text(max: usize) -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": max})
}

fn code_schema() -> Value {
    json!({"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$"})
}

/// The properties of a body that records what was done about an alert.
fn alert_action_properties() -> Value {
    json!({
        "actions": {"type": "array", "items": {"type": "string", "enum": scaleup_storage::ALERT_ACTIONS},
            "uniqueItems": true, "maxItems": scaleup_storage::ALERT_ACTIONS.len(),
            "description": "the actions taken"},
        "action": {"type": "string", "enum": scaleup_storage::ALERT_ACTIONS, "deprecated": true,
            "description": "one action (the form from before actions); not together with actions"},
        "note": note()
    })
}

fn note() -> Value {
    json!({"type": ["string", "null"], "maxLength": scaleup_storage::MAX_NOTE_CHARS,
        "description": "free text, sealed at rest; never logged"})
}

fn password() -> Value {
    json!({"type": "string", "minLength": scaleup_storage::MIN_PASSWORD_LEN, "maxLength": 512})
}

/// A parameter's schema: a JSON type name, or a JSON Schema object written out.
fn param_schema(schema: &str) -> Value {
    if schema.starts_with('{') {
        serde_json::from_str(schema).expect("QUERY_PARAMS holds valid JSON (tested)")
    } else {
        json!({ "type": schema })
    }
}

/// The whole document.
pub fn openapi_document() -> Value {
    let mut paths = serde_json::Map::new();
    for route in ROUTES {
        let mut params: Vec<Value> = route
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        if route.method == "get" || route.tag == "analysis" {
            params.extend(
                QUERY_PARAMS
                    .iter()
                    .filter(|(p, ..)| *p == route.path)
                    .map(|(_, name, schema, required, description)| {
                        json!({"name": name, "in": "query", "required": required, "description": description, "schema": param_schema(schema)})
                    }),
            );
        }
        if route.tag == "analysis" {
            params.push(json!({"name": "format", "in": "query", "required": false,
                "description": "json (default), text, or html where the analysis has a page",
                "schema": {"type": "string", "enum": ["json", "text", "html"]}}));
        }
        let mut responses = json!({
            "400": {"description": "Bad input; `field` names the offending field", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
        });
        match success_status(route.method, route.path) {
            "204" => responses["204"] = json!({"description": "Done; no content"}),
            status => {
                let schema = match response_schema(route.method, route.path) {
                    Some(name) => json!({"$ref": format!("#/components/schemas/{name}")}),
                    None => json!({"type": "object"}),
                };
                responses[status] = json!({"description": if status == "201" { "Created" } else { "Success" },
                    "content": {"application/json": {"schema": schema}}})
            }
        }
        if route.authenticated {
            responses["401"] = json!({"description": "Not signed in", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
            responses["403"] = json!({"description": "The caller's role may not do this", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
            responses["404"] = json!({"description": "Not found or not visible to the caller", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
        }
        let mut op = json!({
            "summary": route.summary,
            "tags": [route.tag],
            "operationId": format!("{}_{}", route.method, route.path.trim_matches('/').replace(['/', '{', '}', '.', '-'], "_")),
            "parameters": params,
            "responses": responses,
        });
        if !route.authenticated {
            op["security"] = json!([]);
        }
        if route.path == "/auth/login" {
            op["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {
                "type": "object", "required": ["username", "password"],
                "properties": {"username": {"type": "string"}, "password": {"type": "string"}}}}}});
            op["parameters"] = json!([{"name": "X-Scaleup-Device", "in": "header", "required": false,
                "description": "The device_token of an earlier successful sign-in from this device: failed sign-ins made elsewhere then never slow this device down",
                "schema": {"type": "string"}}]);
            let retry_after = json!({"description": "Seconds to wait before trying again", "schema": {"type": "integer", "minimum": 1}});
            let error = json!({"$ref": "#/components/schemas/Error"});
            op["responses"]["200"]["description"] = json!(
                "Signed in: `token` for the Authorization header, `device_token` to send as X-Scaleup-Device next time"
            );
            op["responses"]["401"] = json!({"description": "Wrong username or password", "content": {"application/json": {"schema": error}}});
            op["responses"]["429"] = json!({"description": "Too many failed sign-ins: `rate_limited` with Retry-After, or `sign_in_locked` (only a device that signed in before, or a password reset, helps); the password was not checked",
                "headers": {"Retry-After": retry_after}, "content": {"application/json": {"schema": error}}});
            op["responses"]["503"] = json!({"description": "Every password-checking slot is busy; nothing was checked or counted",
                "headers": {"Retry-After": retry_after}, "content": {"application/json": {"schema": error}}});
        }
        if route.path == "/sync" && route.method == "post" {
            op["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SyncPush"}}}});
        }
        if let Some(schema) = json_body(route.method, route.path) {
            op["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}});
        }
        if route.tag == "export" {
            op["responses"]["422"] = json!({"description": "Refused: the message names the combination of quasi-identifiers shared by fewer than k clients, or the unknown variable", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
        }
        if route.tag == "import" {
            op["requestBody"]["content"]["multipart/form-data"] =
                json!({"schema": {"$ref": "#/components/schemas/ImportUpload"}});
            op["responses"]["400"] = json!({"description": "The mapping cannot be used with this file, or a zip cannot be read as ODK Central's export or KoboToolbox's XLSX export: the message names the mapping key, the file's column, the zip's entry, or the workbook's sheet (a row's problems are in the 200 report instead)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
            op["responses"]["413"] = json!({"description": "A JSON body larger than 16 MiB, or a multipart upload larger than the server's import limit (1 GiB by default): send larger files as multipart/form-data, or import them with `scaleup import`", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
            op["responses"]["408"] = json!({"description": "A multipart upload took longer to arrive than the server allows (`serve --import-upload-seconds`, 30 minutes by default)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
            op["responses"]["503"] = json!({"description": "As many multipart imports are running as the server allows (`serve --imports-at-once`, 2 by default); nothing of this one was read",
                "headers": {"Retry-After": {"description": "Seconds to wait before trying again", "schema": {"type": "integer", "minimum": 1}}},
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
        }
        if route.path == "/audit/checkpoint" {
            op["responses"]["409"] = json!({"description": "The audit chain does not verify, so no checkpoint was made (GET /audit/verify lists the findings)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
        }
        if route.path == "/definitions" && route.method == "post" {
            op["responses"]["422"] = json!({"description": "The file does not validate; the message names the file, line and field (`my_scale.toml:14: items[3].options: codes must be unique`) and nothing is stored", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
        }
        if let Some((media, description)) = analysis_body(route.path) {
            op["requestBody"] = json!({"required": true, "description": description,
                "content": {media: {"schema": {"type": "string", "minLength": 1}}}});
            op["responses"]["422"] = json!({"description": "The document could not be analysed; the message names the line and field", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
            let limit = if matches!(
                route.path,
                "/analyses/lmm"
                    | "/analyses/glmm"
                    | "/analyses/gee"
                    | "/analyses/icc"
                    | "/analyses/evpi"
            ) {
                crate::analyses::TABLE_LIMIT
            } else {
                crate::analyses::DOCUMENT_LIMIT
            };
            op["responses"]["408"] = json!({"description": format!("The document did not arrive within {} s of the analysis slot being taken", crate::analyses::UPLOAD_TIME.as_secs()), "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
            op["responses"]["413"] = json!({"description": format!("The document is larger than {} MiB once decompressed (Content-Encoding: gzip is accepted)", limit >> 20), "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
        }
        if route.path.starts_with("/analyses/") || route.path.ends_with("/effectiveness") {
            op["responses"]["503"] = json!({"description": "Every analysis slot stayed busy; try again after Retry-After seconds", "headers": {"Retry-After": {"schema": {"type": "integer"}}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
        }
        let entry = paths
            .entry(route.path.to_string())
            .or_insert_with(|| json!({}));
        entry[route.method] = op;
    }
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "scaleup API",
            "version": "1",
            "description": "Task-shared mental health care records, offline sync, supervision and aggregates. Errors are {\"error\": {\"code\", \"message\", \"field\"}}.",
            "license": {"name": "MIT OR Apache-2.0", "identifier": "MIT OR Apache-2.0"}
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}, {"cookie": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "scaleup_session"}
            },
            "schemas": {
                "Error": error_schema(),
                "HubCreate": object(&["code", "name", "country"], json!({
                    "code": code_schema(), "name": text(scaleup_storage::MAX_NAME_CHARS),
                    "country": {"type": "string", "pattern": "^[A-Z]{2}$", "description": "ISO 3166-1 alpha-2 code, e.g. KE"}})),
                "OrgUnitCreate": object(&["hub_id", "level", "code", "name"], json!({
                    "hub_id": uuid(), "parent_id": {"type": ["string", "null"], "format": "uuid"},
                    "level": {"type": "string", "enum": scaleup_domain::org::OrgLevel::ALL.iter().map(|l| l.as_str()).collect::<Vec<_>>()},
                    "code": code_schema(), "name": text(scaleup_storage::MAX_NAME_CHARS),
                    "catchment_population": {"type": ["integer", "null"], "minimum": 0,
                        "description": "adults in the catchment; required for a facility (coverage denominator)"}})),
                "ProgrammeCreate": object(&["hub_id", "code", "name", "protocol_code", "alert_ack_hours", "start_date"], json!({
                    "hub_id": uuid(), "code": code_schema(), "name": text(scaleup_storage::MAX_NAME_CHARS), "protocol_code": text(64),
                    "design": {"type": ["object", "null"], "description": "trial design: arms, clusters, stepped-wedge steps"},
                    "alert_ack_hours": {"type": "integer", "minimum": 1, "maximum": 336,
                        "description": "hours a supervisor has to acknowledge a risk alert before it escalates"},
                    "start_date": date(),
                    "sites": {"type": "array", "items": object(&["facility_id"], json!({
                        "facility_id": uuid(), "arm": {"type": ["string", "null"]},
                        "cluster": {"type": ["string", "null"]},
                        "crossover_period": {"type": ["integer", "null"], "minimum": 0}}))}})),
                "UserCreate": object(&["username", "display_name", "password", "role"], json!({
                    "username": {"type": "string", "pattern": "^[A-Za-z0-9._@-]{3,64}$"},
                    "display_name": text(scaleup_storage::MAX_NAME_CHARS), "password": password(),
                    "role": {"type": "string", "enum": scaleup_domain::role::Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>()},
                    "hub_id": {"type": ["string", "null"], "format": "uuid"},
                    "supervisor_id": {"type": ["string", "null"], "format": "uuid"},
                    "site_ids": {"type": "array", "items": uuid()},
                    "language": {"type": ["string", "null"], "enum": scaleup_storage::SUPPORTED_LANGUAGES.iter().map(|l| Value::from(*l)).chain([Value::Null]).collect::<Vec<_>>(),
                        "description": "language of the pages and of notifications (BCP-47)"},
                    "notify_address": {"type": ["string", "null"], "pattern": "^(tel|whatsapp):[+]?[0-9]{7,15}$",
                        "description": "where notifications reach the user, e.g. tel:+254700000000"}})),
                "PasswordReset": object(&["password"], json!({"password": password()})),
                "AlertAcknowledge": {"type": "object", "additionalProperties": false,
                    "properties": alert_action_properties(),
                    "oneOf": [{"required": ["actions"], "properties": {"actions": {"minItems": 1}}, "not": {"required": ["action"]}},
                              {"required": ["action"], "not": {"required": ["actions"]}}]},
                "AlertFollowUp": {"type": "object", "additionalProperties": false,
                    "properties": alert_action_properties(),
                    "description": "at least one action or a non-empty note"},
                "SafetyFlagAcknowledge": object(&[], json!({"note": note()})),
                "ConflictResolve": object(&["keep"], json!({
                    "keep": {"type": "string", "enum": ["server", "incoming"],
                        "description": "keep the server's version, or make the incoming one current"}})),
                "SyncPush": {
                    "type": "object", "required": ["device_id", "records"], "additionalProperties": false,
                    "properties": {
                        "device_id": text(128),
                        "records": {"type": "array", "maxItems": crate::api::MAX_BATCH, "items": {
                            "type": "object", "required": ["kind", "id", "device_time", "data"], "additionalProperties": false,
                            "properties": {
                                "kind": {"type": "string", "enum": scaleup_domain::record::RecordKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>()},
                                "id": {"type": "string", "format": "uuid"},
                                "base_version": {"type": ["integer", "null"]},
                                "device_time": {"type": "string", "format": "date-time",
                                    "description": "the device's clock when the record was saved; at most a day ahead of the server's"},
                                "data": {"type": "object",
                                    "description": "the record body of its kind (its schema is `<Kind>Data`, chosen by `kind`); no date in it may be after the server's today plus one day. An assessment may name `instrument_version`, the version of the instrument its form used: the server scores with exactly that version (rejected at data.instrument_version when the catalogue lacks it), else the newest. A session's `components` must be components of its episode's programme's protocol; a new episode is rejected at data.client_id while an exclusion of that protocol fires on the client's latest screening or baseline."}
                            },
                            "allOf": record_data_by_kind()
                        }}
                    }
                }
            }
        }
    });
    for extra in [
        audit_schemas(),
        response_schemas(),
        console_schemas(),
        record_data_schemas(),
    ] {
        if let (Some(schemas), Value::Object(extra)) =
            (doc["components"]["schemas"].as_object_mut(), extra)
        {
            schemas.extend(extra);
        }
    }
    doc
}

/// The bodies of the hub console's routes.
fn console_schemas() -> Value {
    json!({
                "CaseloadMoveRequest": object(&["to_counsellor_id"], json!({
                    "to_counsellor_id": {"type": "string", "format": "uuid",
                        "description": "an active counsellor or supervisor of the same hub"}})),
                "OrgUnitUpdate": object(&[], json!({
                    "name": text(scaleup_storage::MAX_NAME_CHARS),
                    "catchment_population": {"type": "integer", "minimum": 0},
                    "prevalence": {"type": ["number", "null"], "minimum": 0, "maximum": 1,
                        "description": "share of the catchment with the condition (need = catchment x prevalence); null clears it"},
                    "prevalence_source": {"type": "string", "minLength": 1, "maxLength": scaleup_storage::MAX_SOURCE_CHARS,
                        "description": "where the prevalence comes from; required with a prevalence"}})),
                "ProgrammeUpdate": object(&[], json!({
                    "name": text(scaleup_storage::MAX_NAME_CHARS), "protocol_code": text(64),
                    "alert_ack_hours": {"type": "integer", "minimum": 1, "maximum": 336}})),
                "DefinitionUpload": object(&["hub_id", "file_name", "text"], json!({
                    "hub_id": {"type": ["string", "null"], "format": "uuid",
                        "description": "the hub the file applies to; null: every hub (admins only)"},
                    "file_name": {"type": "string", "minLength": 1, "maxLength": 200},
                    "text": {"type": "string", "minLength": 1, "maxLength": 524288,
                        "description": "the TOML file: kind = instrument | protocol | competency_framework | item_texts, or [[price_list]] tables as `scaleup econ cost --prices` reads them"}}))
    })
}

/// The component name of the schema of a record kind's `data`: `client_identity` →
/// `ClientIdentityData`.
pub fn record_data_schema_name(kind: scaleup_domain::record::RecordKind) -> String {
    let mut name = String::new();
    for part in kind.as_str().split('_') {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            name.push(first.to_ascii_uppercase());
            name.extend(chars);
        }
    }
    name + "Data"
}

/// One schema per record kind's `data`, generated from the domain type that parses it
/// (`scaleup_domain::record::data_schema`), so the document and the validation cannot drift.
fn record_data_schemas() -> Value {
    let map: serde_json::Map<String, Value> = scaleup_domain::record::RecordKind::ALL
        .iter()
        .map(|&kind| {
            (
                record_data_schema_name(kind),
                scaleup_domain::record::data_schema(kind),
            )
        })
        .collect();
    Value::Object(map)
}

/// `kind` selects the schema of `data`: one `if kind is K then data is KData` per kind.
fn record_data_by_kind() -> Value {
    scaleup_domain::record::RecordKind::ALL
        .iter()
        .map(|&kind| {
            json!({
                "if": {"required": ["kind"], "properties": {"kind": {"const": kind.as_str()}}},
                "then": {"properties": {"data": {"$ref": format!("#/components/schemas/{}", record_data_schema_name(kind))}}}
            })
        })
        .collect()
}

/// A checkpoint of the audit chain, as `GET /audit/checkpoint` returns it and
/// `POST /audit/verify` takes it back, and that request. Closed: the format is versioned and its
/// MAC covers every field, so a new field is a new format. Values are not constrained beyond
/// their types: a checkpoint that is wrong in any way is a finding of the verification (200),
/// not a bad request.
fn audit_schemas() -> Value {
    json!({
        "AuditCheckpoint": object(&["format", "key_id", "chain", "seq", "hash", "at", "mac"], json!({
            "format": {"type": "string", "description": format!("`{}` (others are reported as unreadable)", scaleup_storage::CHECKPOINT_FORMAT)},
            "key_id": {"type": "string", "description": "public fingerprint of the database's master key"},
            "chain": {"type": "string", "description": "which chain: `store`, the database's one chain"},
            "seq": {"type": "integer", "description": "the head's sequence number: the last row vouched for"},
            "hash": {"type": "string", "description": "that row's hash"},
            "at": {"type": "string", "format": "date-time"},
            "mac": {"type": "string", "description": "HMAC-SHA256 (hex) of the other fields under a subkey of the master key"}})),
        "AuditVerifyRequest": object(&["checkpoints"], json!({
            "checkpoints": {"type": "array", "maxItems": crate::api::MAX_AUDIT_CHECKPOINTS,
                "items": {"$ref": "#/components/schemas/AuditCheckpoint"},
                "description": "checkpoints kept outside the database; each must still be in the log with its hash"}}))
    })
}
