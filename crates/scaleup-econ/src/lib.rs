//! scaleup-econ.
