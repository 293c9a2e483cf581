//! scaleup-web.
