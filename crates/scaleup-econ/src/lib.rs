//! scaleup-econ: pure health economics, with no file, network or database access.
//!
//! Callers parse inputs into the types here, call a function and render the result.
//! Scenario files arrive as text and are parsed with errors that name the line and the field.
//! Principal entry points:
//! - [`cea::calculate_icers`]: efficiency frontier with strong and extended dominance.
//! - [`markov::Model`]: a Markov cohort model parsed from its TOML specification and evaluated
//!   deterministically.
//! - [`psa::run_psa`]: probabilistic sensitivity analysis streamed in chunks, with CEAC, CEAF
//!   and EVPI; [`voi`] computes EVPI from stored draws.
//! - [`owsa::run_owsa`]: one-way sensitivity analysis for tornado diagrams.
//! - [`svg`]: small hand-written SVG charts (CE plane, CEAC, tornado).
//! - [`planner`]: workforce, coverage, training and budget projection for scale-up scenarios.
//! - [`budget_impact`]: ISPOR-style budget impact by year and cost category.
//! - [`roi`]: WHO/UNDP investment-case return on investment (Chisholm et al. 2016 structure).
//! - [`costing`]: ingredients/activity-based costing with price-year and currency conversion.
//! - [`daly`]: GBD disability weights (versioned), YLD/YLL/DALY, PHQ-9 band mapping.
//! - [`input`] and [`planner_svg`]: scenario-file parsing with line numbers; charts and HTML
//!   pages for the planner, budget impact and ROI reports.

pub mod budget_impact;
pub mod cea;
pub mod costing;
pub mod daly;
pub mod input;
pub mod markov;
pub mod owsa;
pub mod planner;
pub mod planner_svg;
pub mod psa;
pub mod roi;
pub mod svg;
pub mod voi;
