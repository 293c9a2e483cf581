//! scaleup-demo.
