//! scaleup-web: the HTTP edge. A JSON API under `/api/v1/`, described by `/api/v1/openapi.json`,
//! and the web pages people use ([`ui`]): sign-in, the counsellor's offline app, the
//! supervisor's pages.
//!
//! The layer is thin: authenticate the caller, parse the request into domain values, call one
//! [`Store`](scaleup_storage::Store) method, serialise the answer. Authorisation by role lives in
//! `scaleup_domain::role`, scoping by caseload in the store; this crate adds no rules of its own
//! beyond mapping errors to statuses.
//!
//! Invariants:
//! - The server holds no state between requests: sessions, sign-in counters and everything
//!   else live in the database, so any number of servers can share one PostgreSQL. (The store's
//!   bound on concurrent password checks is per process: a resource limit, not a record.) The
//!   one cache, the catalogue built from uploaded definitions, is the store's, and follows the
//!   database's definitions version.
//! - Bad input is a 4xx JSON error naming the field; internal failures are a generic 500 whose
//!   cause is logged without identifiers or clinical values.
//! - A client the caller may not see is a 404, exactly like one that does not exist.

pub mod analyses;
mod api;
mod auth;
mod console;
mod error;
mod exports;
pub mod imports;
mod indicators;
pub mod notify;
pub mod openapi;
pub mod ops;
mod spool;
pub mod ui;

pub use api::{AppState, MAX_BATCH, UiConfig, router};
pub use error::ApiError;
pub use openapi::openapi_document;
