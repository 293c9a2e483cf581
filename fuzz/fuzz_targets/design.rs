#![no_main]
//! A power / sample-size design spec. The first byte picks power or which quantity to solve.
use libfuzzer_sys::fuzz_target;
use scaleup_analysis::design;
use scaleup_stats::power::SolveFor;

fuzz_target!(|data: &[u8]| {
    if data.len() > 4096 || data.is_empty() {
        return;
    }
    let Ok(text) = std::str::from_utf8(&data[1..]) else { return };
    let _ = match data[0] % 4 {
        0 => design::power("fuzz.toml", text),
        1 => design::sample_size("fuzz.toml", text, SolveFor::Clusters, 0.8),
        2 => design::sample_size("fuzz.toml", text, SolveFor::ClusterSize, 0.8),
        _ => design::sample_size("fuzz.toml", text, SolveFor::NPerArm, 0.9),
    };
});
