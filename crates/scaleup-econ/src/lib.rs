//! scaleup-econ: pure health economics for task-shared mental health care.
//!
//! Every function here is a function of data: callers read files and databases, this crate
//! computes. Scenario files arrive as text and are parsed with errors that name the line and the
//! field ([`input`]).
//!
//! - [`planner`]: workforce, coverage, training and budget projection for scale-up scenarios.
//! - [`budget_impact`]: ISPOR-style budget impact by year and cost category.
//! - [`roi`]: WHO/UNDP investment-case return on investment (Chisholm et al. 2016 structure).
//! - [`costing`]: ingredients/activity-based costing with price-year and currency conversion.
//! - [`daly`]: GBD disability weights (versioned), YLD/YLL/DALY, PHQ-9 band mapping.

#![warn(missing_docs)]

pub mod budget_impact;
pub mod input;
pub mod planner;
pub mod planner_svg;
pub mod roi;
