#![no_main]
//! The export files read as they are downloaded: the first byte picks ODK Central's export zip
//! (`CentralZip`: the zip's directory, the CSVs found by name, measured, then streamed) or
//! KoboToolbox's XLSX export (`KoboWorkbook`: measured, the sheets read into rows), each
//! through the household mapping of the tests (a submission frame and a repeat group); for
//! Central, the selector's second bit picks the mapping with a repeat nested in that group
//! instead (`followups` in `members`).
use libfuzzer_sys::fuzz_target;
use scaleup_interop::import::central::CentralZip;
use scaleup_interop::import::kobo::KoboWorkbook;
use scaleup_interop::import::mapping::Mapping;
use scaleup_interop::import::Targets;

const CENTRAL: &str =
    include_str!("../../crates/scaleup-interop/tests/fixtures/import/odk-central-household.mapping.toml");
const CENTRAL_NESTED: &str = include_str!(
    "../../crates/scaleup-interop/tests/fixtures/import/odk-central-household-nested.mapping.toml"
);
const KOBO: &str =
    include_str!("../../crates/scaleup-interop/tests/fixtures/import/kobo-household.mapping.toml");

fuzz_target!(|data: &[u8]| {
    if data.len() > 1 << 20 || data.is_empty() {
        return;
    }
    let body = std::io::Cursor::new(&data[1..]);
    let mut t = Targets::default();
    t.programmes.insert("ke-pmplus".into(), uuid::Uuid::from_u128(1));
    t.facilities.insert("f1".into(), uuid::Uuid::from_u128(2));
    t.users.insert("u".into(), uuid::Uuid::from_u128(3));
    let today = scaleup_domain::date::Date::parse("2026-06-15", "t").unwrap();
    let now = "2026-06-15T00:00:00Z";
    // A small unzipped limit, so that a zip bomb's refusal is exercised too.
    let limit = 4 << 20;
    if data[0] % 2 == 0 {
        let text = if data[0] & 2 == 0 { CENTRAL } else { CENTRAL_NESTED };
        let mapping = Mapping::from_toml("m.toml", text).expect("the fixture mapping parses");
        if let Ok(mut zip) = CentralZip::open("f.zip", body, &mapping, limit) {
            let _ = zip.read(&mapping, &t, today, now, &mut |_| {}, &mut |_| true);
        }
    } else {
        let mapping = Mapping::from_toml("m.toml", KOBO).expect("the fixture mapping parses");
        if let Ok(book) = KoboWorkbook::open("f.xlsx", body, &mapping, limit) {
            let _ = book.read(&mapping, &t, today, now, &mut |_| true);
        }
    }
});
