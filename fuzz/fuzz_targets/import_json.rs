#![no_main]
//! A DHIS2 Tracker payload read back through a fixed mapping (both passes over the bytes), and
//! the XLSForm expression subset (first byte odd).
use libfuzzer_sys::fuzz_target;
use scaleup_interop::dhis2::Mapping;
use scaleup_interop::import::{Targets, dhis2, expr};

const MAPPING: &str = r#"
tracked_entity_type = "nEenWmSyUEp"
program = "IpHINAT79UW"
cancelled_as = "dropped_out"
[org_units]
f1 = "y77LiPqLMoq"
[attributes]
sex = "cejWyOfXge6"
birth_year = "gHGyrwKPzej"
registered_on = "regDate0001"
[assessments.phq2]
stage = "A03MvHHogjR"
occasion = "screening"
data_elements = { "1" = "UXz7xuGCEhU", "2" = "bx6fsa0t90x", occasion = "deOccasion1", session_number = "deSession01" }
[session]
stage = "ZzYYXq4fJie"
data_elements = { number = "X8zyunlgUfM", attended = "GieVkTxp4HH", components = "dComponent1", modality = "dModality01", duration_minutes = "dDuration01" }
"#;

fuzz_target!(|data: &[u8]| {
    if data.len() > 65536 || data.is_empty() {
        return;
    }
    let body = &data[1..];
    if data[0] % 2 == 1 {
        if let Ok(text) = std::str::from_utf8(body) {
            if let Ok(e) = expr::parse(text) {
                let _ = e.to_string();
                let _ = e.integer_range();
            }
        }
        return;
    }
    let mapping = Mapping::from_toml(MAPPING).expect("the fixed mapping parses");
    let mut t = Targets::default();
    t.programmes.insert("p".into(), uuid::Uuid::from_u128(1));
    t.facilities.insert("f1".into(), uuid::Uuid::from_u128(2));
    let today = scaleup_domain::date::Date::parse("2026-06-15", "t").unwrap();
    let mut reader = dhis2::TrackerReader::new("p.json", &mapping, &t, "p", today, "2026-06-15T00:00:00Z")
        .expect("the fixed mapping resolves");
    let _ = reader.read(|| Ok(body), &mut |_| {});
});
