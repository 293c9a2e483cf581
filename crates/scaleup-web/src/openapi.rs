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
];

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
        let params: Vec<Value> = route
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
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
