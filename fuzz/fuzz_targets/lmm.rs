#![no_main]
//! First line: the formula; the rest: a CSV table. Fits both an LMM and a binomial GLMM.
use libfuzzer_sys::fuzz_target;
use scaleup_analysis::models::{self, ModelRequest};

fuzz_target!(|data: &[u8]| {
    if data.len() > 4096 {
        return;
    }
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (formula, csv) = text.split_once('\n').unwrap_or((text, ""));
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
