//! scaleup-indicators: implementation outcomes (RE-AIM, Proctor), the effective-coverage
//! cascade and the treatment gap, each defined once and computed from per-person facts.
//!
//! A pure crate like the rest of the core: no files, no database, no clock. Storage gathers the
//! inputs and runs the SQL that this crate's definitions compile to; the web and the command
//! line render the result. Principal items, in the order data flows:
//!
//! - [`facts`]: [`facts::client_facts`] derives one client's facts (a client row and a row per
//!   episode: dates of screening, eligibility, enrolment and first contact, dose, fidelity,
//!   baseline and endpoint totals) from its records. Storage keeps these rows current in the
//!   transaction of every write ([`facts::FACTS_VERSION`] says when to rebuild them).
//! - [`measure`]: [`measure::Measure`], a count or sum of fact rows with an anchor date, as data
//!   ([`measure::Cond`], [`measure::Expr`]) that storage compiles to SQL and
//!   [`measure::Measure::eval`] evaluates in memory.
//! - [`catalogue`]: [`catalogue::INDICATORS`], every indicator's definition (framework, unit,
//!   numerator and denominator in words, anchor, design, note, citation) and formula over
//!   [`catalogue::MEASURES`]. docs/indicators.md lists the same definitions.
//! - [`request`]: [`request::Request`] (programme, cuts by [`request::Dimension`], period,
//!   [`request::Parameters`]) and [`request::Inputs`], what storage reads for it.
//! - [`rollup`]: the additive measures summed by month and cut ([`rollup::Grain`]), which
//!   storage keeps current beside the facts so dashboards read cells, not rows.
//! - [`compute`]: [`compute::resolve_params`] (per programme, before the SQL) and
//!   [`compute::compute`] (cells → rows, roll-ups, staff, alerts and need).
//! - [`disclosure`]: [`disclosure::disclose`] with a [`disclosure::Disclosure`] policy, the only
//!   way to an [`disclosure::IndicatorTable`]: the hook for disclosure control.
//! - [`render`]: the JSON contract, CSV and HTML.
//! - [`dhis2`]: a disclosed table as a DHIS2 `dataValueSets` payload, through a hub's mapping
//!   file, and DHIS2's import summary.
//!
//! Effectiveness estimates carry their design ([`catalogue::EstimateDesign`]); estimates of
//! different designs are never pooled ([`catalogue::pool_designs`]).

pub mod catalogue;
pub mod compute;
pub mod dhis2;
pub mod disclosure;
pub mod facts;
pub mod measure;
pub mod render;
pub mod request;
pub mod rollup;

pub use catalogue::{
    EstimateDesign, Formula, Framework, INDICATORS, IndicatorDef, MixedDesigns, ValueKind,
    check_target, indicator, pool_designs,
};
pub use compute::{Computed, CutValue, IndicatorRow, ResolvedParams, compute, resolve_params};
pub use disclosure::{
    DEFAULT_K, Disclosure, IndicatorTable, MAX_CONTROLLED_CUTS, canonical_cuts, disclose,
    disclose_controlled, snap_period,
};
pub use request::{Dimension, Inputs, Parameters, Period, QueryText, Request};
