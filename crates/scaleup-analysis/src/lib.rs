//! The analyses users run, from input documents to reports: shared by the command line
//! (`scaleup stats|design|econ|analyze`) and the HTTP API (`/api/v1/analyses/...`), so both
//! give the same JSON for the same input.
//!
//! Pure like the core crates it calls (no files, no network, no database): inputs arrive as
//! text or a reader with a `source` label (a file name, or `body` for an upload) that every
//! error message names together with the line and field. Store-backed analyses take rows the
//! edge has already read with the caller's scope (see [`effectiveness`]).
//!
//! Errors are `anyhow::Error` with user-facing messages: this layer's job is to turn typed
//! core errors into sentences that point at the offending line of the user's file.

pub mod cea;
pub mod design;
pub mod econ;
pub mod effectiveness;
pub mod gee_meta;
pub mod models;
pub mod table;
pub mod uncertainty;

/// One analysis result in the two forms the edges print: the JSON contract and a text report.
#[derive(Clone, Debug)]
pub struct Report {
    pub json: serde_json::Value,
    pub text: String,
    /// Things the user should know that did not stop the analysis (e.g. a column read as a
    /// factor because one cell is not a number).
    pub warnings: Vec<String>,
    /// A standalone HTML page (with SVG charts) where the analysis has one.
    pub html: Option<String>,
}
