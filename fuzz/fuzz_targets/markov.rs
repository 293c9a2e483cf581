#![no_main]
//! A Markov model file: parse, evaluate, and the CEA report around it.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() > 8192 {
        return;
    }
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = scaleup_analysis::cea::markov("fuzz.toml", text, Some(1000.0));
});
