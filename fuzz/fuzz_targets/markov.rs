#![no_main]
//! A Markov model file: parse, evaluate, and the CEA report around it; then a one-way
//! sensitivity analysis and a small PSA of the same model.
use libfuzzer_sys::fuzz_target;
use scaleup_analysis::{cea, uncertainty};
use scaleup_econ::psa::{PsaConfig, run_psa};

fuzz_target!(|data: &[u8]| {
    if data.len() > 8192 {
        return;
    }
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = cea::markov("fuzz.toml", text, Some(1000.0));
    if let Ok(model) = cea::load_model("fuzz.toml", text) {
        let req = uncertainty::OwsaRequest { wtp: 1000.0, ..Default::default() };
        let _ = uncertainty::owsa("fuzz.toml", &model, &req);
        let cfg = PsaConfig::new(20, 7, vec![0.0, 1000.0]);
        if let Ok(result) = run_psa(&model, &cfg, |_| Ok(())) {
            let _ = uncertainty::psa_report(&model, &result, 7);
        }
    }
});
