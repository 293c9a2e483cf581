//! scaleup-domain.
pub mod catalog;
pub mod competency;
pub mod instrument;
pub mod protocol;
