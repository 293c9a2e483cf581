//! scaleup-storage.
