#![no_main]
//! First line: the formula; the rest: a CSV table. Fits both an LMM and a binomial GLMM.
//!
//! The point is the fitting code, so inputs that would spend their time elsewhere are skipped
//! up front (see `model_input`): at most 200 rows, 8 columns, a 160-character formula, and a
//! frame with at most 16 fixed-effect columns and 64 random effects outside the first term.
use libfuzzer_sys::fuzz_target;
use scaleup_analysis::models::{self, ModelRequest};
use scaleup_fuzz::model_input;

fuzz_target!(|data: &[u8]| {
    let Some((formula, csv)) = model_input(data) else {
        return;
    };
    let req = ModelRequest {
        formula: formula.to_string(),
        factors: Vec::new(),
        ml: formula.len() % 2 == 0,
        blups: true,
        no_df: false,
    };
    let _ = models::lmm("fuzz.csv", csv.as_bytes(), &req);
    let _ = models::glmm("fuzz.csv", csv.as_bytes(), &req);
});
