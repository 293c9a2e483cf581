//! scaleup-stats: pure statistical numerics, no I/O.
//!
//! - [`data`]: a column table ([`data::Data`]) of numeric and factor columns with missing values.
//! - [`formula`]: lme4-style model formulas ([`formula::Formula::parse`]).
//! - [`frame`]: model frames ([`frame::ModelFrame`]): response, fixed-effects design matrix with
//!   R's coding rules, random-effects blocks, listwise deletion with counts.
//! - [`lmm`]: linear mixed models by lme4's profiled deviance (REML/ML), with Satterthwaite df.
//! - [`glmm`]: binomial-logit mixed models by the Laplace approximation (lme4's `glmer`), for
//!   0/1 responses or aggregated `cbind(successes, failures)` counts.
//! - [`optim`]: the bound-constrained minimiser behind both; [`linalg`], [`dist`]: small helpers.
//! - [`gee`]: GEE (gaussian, binomial; independence, exchangeable) with sandwich SEs.
//! - [`icc`]: ICC and design effect from a fitted linear mixed model.
//! - [`meta`]: fixed-effect, DerSimonian–Laird and REML meta-analysis with forest plots.
//! - [`power`]: power and sample size for individual, parallel cluster and stepped-wedge trials.
//! - [`prob`]: normal, t and χ² distribution functions (statrs-based) for `meta`, `power`, `gee`.
//!
//! Invariants: no I/O, no global state; every fallible entry point returns a typed error
//! (`FormulaError`, `FrameError`, `LmmError`, `GlmmError`) instead of a silently wrong answer;
//! results are checked against R (lme4, lmerTest) by the tests under `tests/`, whose reference
//! values come from the committed scripts in `tests/reference/`.

#![warn(missing_docs)]

pub mod data;
pub mod dist;
pub mod formula;
pub mod frame;
pub mod glmm;
pub mod linalg;
pub mod lmm;
pub mod optim;

pub mod gee;
pub mod icc;
pub mod meta;
pub mod power;
pub mod prob;
