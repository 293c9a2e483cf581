//! scaleup-interop: exchange formats as pure translations between domain values and bytes.
//!
//! Nothing here reads or writes a file, a database or the network, and nothing reads a clock:
//! the caller (storage reads, the binary writes) hands in a [`source::StudySource`] and gets
//! back the files of an export as bytes, or an error that says what is wrong.
//!
//! - [`dataset`]: analysis datasets, one row per episode, assessment or session, with the design
//!   variables an analysis needs, de-identified by default ([`deid`]: keyed pseudonyms, per-client
//!   date shifting, age bands, facility coarsened to district, a k-anonymity check), written as
//!   CSV ([`csv`], with formula-injection protection), a data dictionary (CSV and JSON) and R and
//!   Stata scripts that load it with labels ([`scripts`]).
//! - [`fhir`]: FHIR R4 transaction Bundles (Questionnaire, QuestionnaireResponse, Observation,
//!   Patient).
//! - [`nda`]: NIMH Data Archive submission CSVs and a validation report.
//! - [`dhis2`]: a DHIS2 Tracker payload (`/api/tracker`) through the hub's mapping file.
//!
//! Invariants: no I/O; errors name the variable, field or combination and never a clinical
//! value; every identifier that leaves through an export is a keyed pseudonym, never a database
//! id, unless the caller supplies a mapping (NDA GUIDs).

pub mod csv;
pub mod dataset;
pub mod deid;
pub mod dhis2;
pub mod fhir;
pub mod import;
pub mod nda;
pub mod scripts;
pub mod source;
