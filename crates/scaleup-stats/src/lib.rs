//! scaleup-stats: pure numerics for implementation research — estimators, intervals, tests and
//! study design. No I/O: callers parse files and print results.
//!
//! - [`meta`]: fixed-effect, DerSimonian–Laird and REML meta-analysis with forest plots.
//! - [`power`]: power and sample size for individual, parallel cluster and stepped-wedge trials.
//! - [`prob`]: normal, t and χ² distribution functions shared by the modules.

pub mod meta;
pub mod power;
pub mod prob;
