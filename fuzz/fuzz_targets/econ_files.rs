#![no_main]
//! The economics input files, parsed and run through the analysis layer. The first byte picks
//! which file kind the rest is.
use libfuzzer_sys::fuzz_target;
use scaleup_analysis::{cea, econ};
use scaleup_econ::costing;

fuzz_target!(|data: &[u8]| {
    if data.len() > 8192 || data.is_empty() {
        return;
    }
    let Ok(text) = std::str::from_utf8(&data[1..]) else { return };
    match data[0] % 6 {
        0 => {
            let _ = econ::plan("fuzz.toml", text);
        }
        1 => {
            let _ = econ::roi("fuzz.toml", text);
        }
        2 => {
            let _ = econ::budget_impact("fuzz.toml", text);
        }
        3 => {
            let _ = econ::costs("fuzz.toml", text, Vec::new());
        }
        4 => {
            if let Ok(acts) = costing::parse_activity_csv(text) {
                let _ = acts.len();
            }
        }
        _ => {
            let _ = cea::icers("fuzz.csv", text.as_bytes(), Some(1000.0));
            let _ = cea::read_csv_columns("fuzz.csv", text.as_bytes(), &["strategy", "cost", "effect"]);
        }
    }
});
