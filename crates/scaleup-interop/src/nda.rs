//! NIMH Data Archive export (see below).
