//! scaleup-stats.
