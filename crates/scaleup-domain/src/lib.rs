//! scaleup-domain: the validated vocabulary of task-shared mental health care.
//!
//! Everything here is a pure function of data: no I/O, no async, no SQL, no HTTP. Raw input
//! (a sync record, a form field, an imported row) becomes a domain value through a fallible
//! constructor that names the offending field; once constructed, a value is valid.
//!
//! Principal types:
//! - [`role::Role`]: who a user is (admin, hub manager, supervisor, counsellor, researcher, viewer)
//!   and what each role may do ([`role::Capability`]).
//! - [`org::OrgLevel`]: country > region > district > facility.
//! - [`record::RecordKind`] and [`record::RecordPayload`]: the care records a device syncs
//!   (client, consent, assessment, eligibility decision, episode, session, referral, supervision,
//!   competency assessment, training), each parsed from JSON by [`record::parse_payload`].
//! - [`instrument::Instrument`], [`protocol::Protocol`], [`competency::CompetencyFramework`] and
//!   [`catalog::Catalog`]: instruments, protocols and competency frameworks as data, with their
//!   scoring and rules; the built-in definitions live in `definitions/` with their sources.
//! - [`error::FieldError`]: "which field, which rule" — never the rejected value, which may be clinical.

pub mod catalog;
pub mod coaching;
pub mod competency;
pub mod date;
pub mod error;
pub mod instrument;
pub mod org;
pub mod protocol;
pub mod record;
pub mod role;
