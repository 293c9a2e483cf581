//! scaleup-domain.
