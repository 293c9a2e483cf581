#![no_main]
use libfuzzer_sys::fuzz_target;
use scaleup_stats::formula::Formula;

fuzz_target!(|data: &[u8]| {
    if data.len() > 4096 {
        return;
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(f) = Formula::parse(text) {
            let _ = f.variables();
            let _ = f.grouping_variables();
        }
    }
});
