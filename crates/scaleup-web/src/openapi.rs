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
        "Reset a password (admin); ends the user's sessions",
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
        "Push a batch of offline records; per-record acknowledgements; idempotent",
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
        "post",
        "/alerts/{id}/acknowledge",
        "Acknowledge a risk alert with the action taken",
        "safety",
        true,
    ),
    r(
        "get",
        "/caseload",
        "Caseload with supervision flags (risk, no improvement, missed sessions, dropout)",
        "supervision",
        true,
    ),
    r(
        "get",
        "/conflicts",
        "Open sync conflicts for review",
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
        "/audit",
        "Audit events, newest first (admin)",
        "audit",
        true,
    ),
    r(
        "get",
        "/audit/verify",
        "Verify the audit hash chain (admin)",
        "audit",
        true,
    ),
    r(
        "get",
        "/instruments",
        "Instrument catalogue",
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
        "Costs of the activity recorded in the caller's hubs, priced with the TOML price lists sent (audited)",
        "analysis",
        true,
    ),
];

/// Query parameters: (path, name, JSON type, required, description). Every route that reads
/// its query string lists its parameters here (handlers reject unknown ones).
const QUERY_PARAMS: &[(&str, &str, &str, bool, &str)] = &[
    (
        "/org-units",
        "hub_id",
        "string",
        false,
        "only this hub's units",
    ),
    (
        "/clients",
        "site",
        "string",
        false,
        "org unit id: clients registered in its subtree",
    ),
    (
        "/clients",
        "from",
        "string",
        false,
        "registered on or after this date (YYYY-MM-DD)",
    ),
    (
        "/clients",
        "to",
        "string",
        false,
        "registered on or before this date (YYYY-MM-DD)",
    ),
    (
        "/clients",
        "cursor",
        "string",
        false,
        "next_cursor of the previous page",
    ),
    (
        "/clients",
        "limit",
        "integer",
        false,
        "page size, 1 to 1000 (default 1000)",
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
        "integer",
        false,
        "changes per page, 1 to 5000 (default 1000)",
    ),
    (
        "/alerts",
        "status",
        "string",
        false,
        "open, escalated or acknowledged",
    ),
    (
        "/alerts",
        "from",
        "string",
        false,
        "raised on or after this date (YYYY-MM-DD)",
    ),
    (
        "/alerts",
        "to",
        "string",
        false,
        "raised on or before this date (YYYY-MM-DD)",
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
        "integer",
        false,
        "page size, 1 to 1000 (default 100)",
    ),
    (
        "/caseload",
        "cursor",
        "string",
        false,
        "next_cursor of the previous page (a client id)",
    ),
    (
        "/caseload",
        "limit",
        "integer",
        false,
        "clients per page, 1 to 1000 (default 500)",
    ),
    (
        "/summary",
        "from",
        "string",
        false,
        "first day of the period (YYYY-MM-DD)",
    ),
    (
        "/summary",
        "to",
        "string",
        false,
        "last day of the period (YYYY-MM-DD)",
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
        "integer",
        false,
        "events per page, 1 to 1000 (default 100)",
    ),
    (
        "/analyses/lmm",
        "formula",
        "string",
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
    ("/analyses/glmm", "family", "string", true, "binomial"),
    (
        "/analyses/glmm",
        "formula",
        "string",
        true,
        "formula with a 0/1 response",
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
        "/analyses/icers",
        "wtp",
        "number",
        false,
        "willingness to pay per unit of effect (adds net monetary benefit)",
    ),
    (
        "/analyses/markov",
        "wtp",
        "number",
        false,
        "willingness to pay per unit of effect (adds net monetary benefit)",
    ),
    (
        "/analyses/sample-size",
        "solve",
        "string",
        true,
        "clusters | cluster_size | n_per_arm",
    ),
    (
        "/analyses/sample-size",
        "target_power",
        "number",
        false,
        "default 0.8",
    ),
    (
        "/analyses/costs",
        "admin_minutes_per_session",
        "number",
        false,
        "assumed counsellor admin minutes per session (default 0)",
    ),
    (
        "/analyses/costs",
        "training_hours_per_day",
        "number",
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
        "number",
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
        "/programmes/{code}/effectiveness",
        "instrument",
        "string",
        false,
        "outcome instrument (default: the design's)",
    ),
    (
        "/programmes/{code}/effectiveness",
        "occasion",
        "string",
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
        "number",
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
            "price lists, as `scaleup econ cost --prices`",
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
                    .map(|(_, name, ty, required, description)| {
                        json!({"name": name, "in": "query", "required": required, "description": description, "schema": {"type": ty}})
                    }),
            );
        }
        if route.tag == "analysis" {
            params.push(json!({"name": "format", "in": "query", "required": false,
                "description": "json (default), text, or html where the analysis has a page",
                "schema": {"type": "string", "enum": ["json", "text", "html"]}}));
        }
        let mut responses = json!({
            "200": {"description": "Success", "content": {"application/json": {"schema": {"type": "object"}}}},
            "400": {"description": "Bad input; `field` names the offending field", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
        });
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
        }
        if route.path == "/sync" && route.method == "post" {
            op["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SyncPush"}}}});
        }
        if let Some((media, description)) = analysis_body(route.path) {
            op["requestBody"] = json!({"required": true, "description": description,
                "content": {media: {"schema": {"type": "string"}}}});
            op["responses"]["422"] = json!({"description": "The document could not be analysed; the message names the line and field", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
        }
        let entry = paths
            .entry(route.path.to_string())
            .or_insert_with(|| json!({}));
        entry[route.method] = op;
    }
    json!({
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
                "SyncPush": {
                    "type": "object", "required": ["device_id", "records"],
                    "properties": {
                        "device_id": {"type": "string"},
                        "records": {"type": "array", "maxItems": crate::api::MAX_BATCH, "items": {
                            "type": "object", "required": ["kind", "id", "device_time", "data"],
                            "properties": {
                                "kind": {"type": "string", "enum": scaleup_domain::record::RecordKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>()},
                                "id": {"type": "string", "format": "uuid"},
                                "base_version": {"type": ["integer", "null"]},
                                "device_time": {"type": "string", "format": "date-time"},
                                "data": {"type": "object"}
                            }
                        }}
                    }
                }
            }
        }
    })
}
