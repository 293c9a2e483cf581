//! FHIR R4 export (see below).
