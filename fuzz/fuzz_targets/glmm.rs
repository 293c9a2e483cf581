#![no_main]
//! As `lmm`, but only the binomial GLMM: its Laplace fits cost more per input, so a run of its
//! own spends all of its time there.
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
        ml: false,
        blups: true,
        no_df: false,
    };
    let _ = models::glmm("fuzz.csv", csv.as_bytes(), &req);
});
