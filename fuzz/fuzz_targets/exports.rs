#![no_main]
//! The files a hub hands to an export: a DHIS2 mapping (TOML) and an NDA GUID map (CSV). The
//! first byte picks which.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() > 65536 || data.is_empty() {
        return;
    }
    let Ok(text) = std::str::from_utf8(&data[1..]) else { return };
    if data[0] % 2 == 0 {
        let _ = scaleup_interop::dhis2::Mapping::from_toml(text);
    } else {
        let _ = scaleup_interop::nda::parse_guid_map(text);
    }
});
