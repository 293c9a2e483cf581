#![no_main]
//! The CSV imports: the first byte picks a REDCap data dictionary (with the translation into
//! an instrument) or a submission export read through a fixed mapping that uses every kind of
//! field source (columns of each type, codes, records, facilities, users, checkboxes).
use libfuzzer_sys::fuzz_target;
use scaleup_interop::import::mapping::{Mapping, Rows};
use scaleup_interop::import::{Targets, redcap};

const MAPPING: &str = r#"
source = "redcap"
dataset = "fuzz"
[users]
a = "u"
[[records]]
kind = "client"
key = "c/{record_id}"
when = { column = "w" }
[records.fields]
programme_id = { programme = "p" }
facility_id = { facility = "f", codes = { "1" = "f1" } }
registered_on = { column = "d", type = "date" }
sex = { column = "s", codes = { "1" = "female" } }
birth_year = { column = "y", type = "integer" }
counsellor_id = { user = "u" }
[[records]]
kind = "session"
when = { column = "w", equals = ["x"] }
[records.fields]
client_id = { record = "c/{record_id}" }
episode_id = { record = "e/{record_id}" }
number = { column = "y", type = "integer" }
on = { column = "d", type = "date" }
attended = { column = "b", type = "boolean" }
modality = { column = "s" }
components = { checkbox = "k" }
[[records]]
kind = "assessment"
[records.fields]
client_id = { record = "c/{record_id}" }
instrument = { value = "phq2" }
occasion = { column = "s", type = "list" }
administered_on = { column = "d", type = "date" }
[records.responses]
"1" = "n"
"#;

fuzz_target!(|data: &[u8]| {
    if data.len() > 65536 || data.is_empty() {
        return;
    }
    let body = &data[1..];
    if data[0] % 2 == 0 {
        if let Ok(forms) = redcap::read_dictionary("f.csv", body) {
            for f in forms {
                let _ = f.to_instrument(&Default::default());
            }
        }
    } else {
        let mapping = Mapping::from_toml("m.toml", MAPPING).expect("the fixed mapping parses");
        let mut t = Targets::default();
        t.programmes.insert("p".into(), uuid::Uuid::from_u128(1));
        t.facilities.insert("f1".into(), uuid::Uuid::from_u128(2));
        t.users.insert("u".into(), uuid::Uuid::from_u128(3));
        let today = scaleup_domain::date::Date::parse("2026-06-15", "t").unwrap();
        if let Ok(rows) = Rows::new("f.csv", body, &mapping, &t, today, "2026-06-15T00:00:00Z") {
            for _ in rows {}
        }
    }
});
