//! scaleup-econ: pure health economics, with no file, network or database access.
//!
//! Callers parse inputs into the types here, call a function and render the result.
//! Principal entry points:
//! - [`cea::calculate_icers`]: efficiency frontier with strong and extended dominance.
//! - [`markov::Model`]: a Markov cohort model parsed from its TOML specification and evaluated
//!   deterministically.
//! - [`psa::run_psa`]: probabilistic sensitivity analysis streamed in chunks, with CEAC, CEAF
//!   and EVPI; [`voi`] computes EVPI from stored draws.
//! - [`owsa::run_owsa`]: one-way sensitivity analysis for tornado diagrams.
//! - [`svg`]: small hand-written SVG charts (CE plane, CEAC, tornado).

pub mod cea;
pub mod markov;
pub mod owsa;
pub mod psa;
pub mod svg;
pub mod voi;
