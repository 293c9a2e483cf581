//! Issue 9: KoboToolbox's XLSX export, repeat groups included. The workbooks are written here
//! part by part (the XML parts an XLSX holds, with typed cells: numbers, date and date-time
//! serials, booleans, errors, inline strings), as KoboToolbox's formpack lays its export out:
//! the submissions on the first sheet, each repeat group on a sheet of its own joined by
//! `_parent_index`. `kobo-household.xlsx` (the CLI's and the HTTP tests' fixture) is the
//! workbook [`household`] writes, checked byte for byte below; regenerate it with
//! `SCALEUP_WRITE_FIXTURES=1 cargo test -p scaleup-interop --test kobo`.

use scaleup_domain::date::Date;
use scaleup_interop::import::kobo::{KoboWorkbook, MAX_UNZIPPED};
use scaleup_interop::import::mapping::{Mapping, Rows};
use scaleup_interop::import::{ImportedRecord, Targets, Unit, record_uuid};
use std::io::{Cursor, Write};
use std::path::PathBuf;
use uuid::Uuid;

const NOW: &str = "2026-06-15T10:00:00Z";

/// A typed cell of a sheet.
#[derive(Clone, Debug)]
enum C {
    S(&'static str),
    N(f64),
    /// A date serial (styled as a date).
    D(f64),
    /// A date-time serial (styled as a date-time).
    T(f64),
    B(bool),
    /// A formula error (`#REF!`).
    E,
    /// Nothing in this cell.
    X,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn col(i: usize) -> String {
    let mut n = i + 1;
    let mut s = Vec::new();
    while n > 0 {
        s.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    s.reverse();
    String::from_utf8(s).unwrap()
}

fn sheet_xml(rows: &[Vec<C>]) -> String {
    let mut x = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    for (r, row) in rows.iter().enumerate() {
        x.push_str(&format!(r#"<row r="{}">"#, r + 1));
        for (c, cell) in row.iter().enumerate() {
            let at = format!("{}{}", col(c), r + 1);
            x.push_str(&match cell {
                C::S(s) => format!(
                    r#"<c r="{at}" t="inlineStr"><is><t>{}</t></is></c>"#,
                    escape(s)
                ),
                C::N(n) => format!(r#"<c r="{at}"><v>{n}</v></c>"#),
                C::D(n) => format!(r#"<c r="{at}" s="1"><v>{n}</v></c>"#),
                C::T(n) => format!(r#"<c r="{at}" s="2"><v>{n}</v></c>"#),
                C::B(b) => format!(r#"<c r="{at}" t="b"><v>{}</v></c>"#, u8::from(*b)),
                C::E => format!(r#"<c r="{at}" t="e"><v>#REF!</v></c>"#),
                C::X => String::new(),
            });
        }
        x.push_str("</row>");
    }
    x.push_str("</sheetData></worksheet>");
    x
}

/// An XLSX workbook of these sheets, stored (not deflated) with fixed times, so the same
/// sheets always give the same bytes.
fn xlsx(sheets: &[(&str, Vec<Vec<C>>)]) -> Vec<u8> {
    const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    const PKG: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
    let mut types = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>"#,
    );
    let mut book = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>"#
    );
    let mut rels = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{PKG}">"#
    );
    for (i, (name, _)) in sheets.iter().enumerate() {
        let n = i + 1;
        types.push_str(&format!(r#"<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#));
        book.push_str(&format!(
            r#"<sheet name="{}" sheetId="{n}" r:id="rId{n}"/>"#,
            escape(name)
        ));
        rels.push_str(&format!(
            r#"<Relationship Id="rId{n}" Type="{REL}/worksheet" Target="worksheets/sheet{n}.xml"/>"#
        ));
    }
    types.push_str("</Types>");
    book.push_str("</sheets></workbook>");
    rels.push_str(&format!(
        r#"<Relationship Id="rIdStyles" Type="{REL}/styles" Target="styles.xml"/></Relationships>"#
    ));
    let styles = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="{MAIN}"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts><fonts count="1"><font/></fonts><fills count="1"><fill/></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="164" applyNumberFormat="1"/></cellXfs></styleSheet>"#
    );
    let root = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
    );
    let mut parts: Vec<(String, String)> = vec![
        ("[Content_Types].xml".into(), types),
        ("_rels/.rels".into(), root),
        ("xl/workbook.xml".into(), book),
        ("xl/_rels/workbook.xml.rels".into(), rels),
        ("xl/styles.xml".into(), styles),
    ];
    for (i, (_, rows)) in sheets.iter().enumerate() {
        parts.push((format!("xl/worksheets/sheet{}.xml", i + 1), sheet_xml(rows)));
    }
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(zip::DateTime::default());
    for (name, text) in parts {
        w.start_file(name, options).unwrap();
        w.write_all(text.as_bytes()).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn main_header() -> Vec<C> {
    [
        "start",
        "facility",
        "visit_date",
        "_id",
        "_uuid",
        "_submission_time",
        "_submitted_by",
        "_index",
    ]
    .map(C::S)
    .to_vec()
}

fn members_header() -> Vec<C> {
    [
        "member_code",
        "sex",
        "birth_year",
        "phq/phq2_1",
        "phq/phq2_2",
        "_index",
        "_parent_table_name",
        "_parent_index",
        "_submission__id",
        "_submission__uuid",
        "_submission__submission_time",
    ]
    .map(C::S)
    .to_vec()
}

/// A member row: code, sex, birth year, the two answers, its `_index`, its submission's.
fn member(
    code: &'static str,
    sex: &'static str,
    born: f64,
    a: f64,
    b: f64,
    index: f64,
    parent: f64,
) -> Vec<C> {
    vec![
        C::S(code),
        C::S(sex),
        C::N(born),
        C::N(a),
        C::N(b),
        C::N(index),
        C::S("household_visit"),
        C::N(parent),
        C::N(100.0 + parent),
        C::S(if parent == 1.0 { "uuid-h1" } else { "uuid-h2" }),
        C::T(46027.25),
    ]
}

/// Two household visits (2026-01-05 and -06) and their three members, with `extra` sheets.
fn household_sheets(members: Vec<Vec<C>>) -> Vec<(&'static str, Vec<Vec<C>>)> {
    let mut member_rows = vec![members_header()];
    member_rows.extend(members);
    vec![
        (
            "household_visit",
            vec![
                main_header(),
                vec![
                    C::T(46027.368055555555),
                    C::S("kibra-hc"),
                    C::D(46027.0),
                    C::N(101.0),
                    C::S("uuid-h1"),
                    C::T(46027.25),
                    C::S("amina"),
                    C::N(1.0),
                ],
                vec![
                    C::T(46028.3125),
                    C::S("olympic-hc"),
                    C::D(46028.0),
                    C::N(102.0),
                    C::S("uuid-h2"),
                    C::T(46028.3125),
                    C::S("amina"),
                    C::N(2.0),
                ],
            ],
        ),
        ("members", member_rows),
    ]
}

fn household_members() -> Vec<Vec<C>> {
    vec![
        member("M-1", "female", 1990.0, 1.0, 2.0, 1.0, 1.0),
        member("M-2", "male", 1985.0, 0.0, 1.0, 2.0, 1.0),
        member("M-3", "female", 2001.0, 3.0, 3.0, 3.0, 2.0),
    ]
}

/// The fixture workbook: the two visits and their members, and a nested repeat (`phones`,
/// inside `members`) the mapping does not read.
fn household() -> Vec<u8> {
    let mut sheets = household_sheets(household_members());
    sheets.push((
        "phones",
        vec![
            ["number", "_index", "_parent_table_name", "_parent_index"]
                .map(C::S)
                .to_vec(),
            vec![C::S("0700"), C::N(1.0), C::S("members"), C::N(1.0)],
        ],
    ));
    xlsx(&sheets)
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name)
}

fn mapping() -> Mapping {
    let text = std::fs::read_to_string(fixture("kobo-household.mapping.toml")).unwrap();
    Mapping::from_toml("kobo-household.mapping.toml", &text).unwrap()
}

fn targets() -> Targets {
    let mut t = Targets::default();
    t.programmes.insert("ke-pmplus".into(), Uuid::from_u128(1));
    t.facilities.insert("kibra-hc".into(), Uuid::from_u128(11));
    t.facilities
        .insert("olympic-hc".into(), Uuid::from_u128(12));
    t.users.insert("counsellor".into(), Uuid::from_u128(99));
    t
}

fn today() -> Date {
    Date::parse("2026-06-15", "today").unwrap()
}

fn open(bytes: Vec<u8>, mapping: &Mapping) -> Result<KoboWorkbook, String> {
    KoboWorkbook::open("kobo.xlsx", Cursor::new(bytes), mapping, MAX_UNZIPPED)
        .map_err(|e| e.to_string())
}

fn read(book: KoboWorkbook, mapping: &Mapping) -> (Vec<Unit>, Result<(), Vec<String>>) {
    let mut units = Vec::new();
    let done = book.read(mapping, &targets(), today(), NOW, &mut |u| {
        units.push(u);
        true
    });
    (
        units,
        done.map_err(|e| e.iter().map(|e| e.to_string()).collect()),
    )
}

fn records(units: &[Unit]) -> Vec<ImportedRecord> {
    units
        .iter()
        .flat_map(|u| match &u.outcome {
            Ok(r) => r.clone(),
            Err(e) => panic!("{e:?}"),
        })
        .collect()
}

fn problems(units: &[Unit]) -> Vec<String> {
    units
        .iter()
        .filter_map(|u| u.outcome.as_ref().err())
        .flatten()
        .map(|e| e.to_string())
        .collect()
}

#[test]
fn the_fixture_is_what_the_builder_writes() {
    let path = fixture("kobo-household.xlsx");
    if std::env::var_os("SCALEUP_WRITE_FIXTURES").is_some() {
        std::fs::write(&path, household()).unwrap();
    }
    assert!(
        std::fs::read(&path).unwrap() == household(),
        "{} is not what tests/kobo.rs writes: regenerate it (see the module)",
        path.display()
    );
}

/// The submissions and one repeat group: each member row joined to its visit by
/// `_parent_index`, reading the visit's facility, date and submitter; typed cells read as the
/// CSV's text; ids derived from `_uuid`, the group and the row's `_index`, the same on a
/// second reading; the nested repeat the mapping does not name is left alone.
#[test]
fn a_repeat_group_sheet_is_joined_to_its_submissions() {
    let m = mapping();
    let book = open(household(), &m).unwrap();
    assert_eq!(book.main().name(), "household_visit");
    assert_eq!(book.rows(), 5);
    let (units, done) = read(book, &m);
    done.unwrap();
    assert_eq!(units.len(), 5, "two visits and three members");
    let recs = records(&units);
    assert_eq!(recs.len(), 6, "a client and an assessment a member");
    let clients: Vec<&ImportedRecord> = recs
        .iter()
        .filter(|r| r.kind.as_str() == "client")
        .collect();
    assert_eq!(clients.len(), 3);
    let m1 = &clients[0];
    assert_eq!(m1.data["facility_id"], Uuid::from_u128(11).to_string());
    assert_eq!(m1.data["registered_on"], "2026-01-05");
    assert_eq!(m1.data["birth_year"], 1990);
    assert_eq!(m1.data["sex"], "female");
    assert_eq!(m1.data["counsellor_id"], Uuid::from_u128(99).to_string());
    assert_eq!(m1.device_time, "2026-01-05T06:00:00Z");
    assert_eq!(m1.id, record_uuid("kobo:household_visit", "client/M-1"));
    let m3 = &clients[2];
    assert_eq!(m3.data["facility_id"], Uuid::from_u128(12).to_string());
    assert_eq!(m3.data["registered_on"], "2026-01-06");
    assert_eq!(m3.device_time, "2026-01-06T07:30:00Z");
    let assessments: Vec<&ImportedRecord> = recs
        .iter()
        .filter(|r| r.kind.as_str() == "assessment")
        .collect();
    assert_eq!(
        assessments[0].id,
        record_uuid("kobo:household_visit", "uuid-h1/members[1]#assessment#1")
    );
    assert_eq!(
        assessments[2].id,
        record_uuid("kobo:household_visit", "uuid-h2/members[3]#assessment#1")
    );
    assert_eq!(assessments[0].data["responses"]["1"], 1.0);
    assert_eq!(assessments[0].data["client_id"], m1.id.to_string());
    // A second reading names the same records with the same content.
    let (again, _) = read(open(household(), &m).unwrap(), &m);
    assert_eq!(records(&again), recs);
}

#[test]
fn a_missing_repeat_sheet_is_refused_naming_the_group_and_the_sheets() {
    let m = mapping();
    let sheets = household_sheets(household_members());
    let only_main = xlsx(&sheets[..1]);
    assert_eq!(
        open(only_main, &m).unwrap_err(),
        "kobo.xlsx: the mapping reads the repeat group members, but the workbook has no sheet of that name (its sheets: household_visit); export with \"XML values and headers\""
    );
}

/// A row whose `_parent_index` names no submission is refused with its sheet, row (as Excel
/// numbers it) and column; the other rows stand. A cell holding a formula error refuses its row
/// by the column's header.
#[test]
fn a_row_of_no_submission_and_a_bad_cell_are_refused_by_sheet_row_and_column() {
    let m = mapping();
    let mut members = household_members();
    members[1][7] = C::N(9.0);
    members[2][2] = C::E;
    let (units, done) = read(open(xlsx(&household_sheets(members)), &m).unwrap(), &m);
    done.unwrap();
    assert_eq!(
        problems(&units),
        [
            "kobo.xlsx: sheet members, row 3, column _parent_index: no submission on the first sheet has this _index (a row of another export, or of a submission refused whole)",
            "kobo.xlsx: sheet members, row 4, column birth_year: holds a spreadsheet error (#REF!, #VALUE!, ...)",
        ]
    );
    assert_eq!(units.iter().filter(|u| u.outcome.is_ok()).count(), 3);
}

/// The mapping of KoboToolbox's CSV export reads its XLSX export alike: numbers, dates and
/// date-times typed by Excel become the CSV's text, so the same records come out.
#[test]
fn typed_cells_read_as_the_csv_export_does() {
    let text = std::fs::read_to_string(fixture("kobo-phq2.mapping.toml")).unwrap();
    let m = Mapping::from_toml("kobo-phq2.mapping.toml", &text).unwrap();
    let mut t = targets();
    t.facilities.insert("kibra-hc".into(), Uuid::from_u128(11));
    let csv = std::fs::read(fixture("kobo-phq2.csv")).unwrap();
    let from_csv: Vec<Unit> = Rows::new("kobo-phq2.csv", &csv[..], &m, &t, today(), NOW)
        .unwrap()
        .collect();
    let header = [
        "start",
        "end",
        "client_code",
        "facility",
        "sex",
        "birth_year",
        "visit_date",
        "items/phq2_1",
        "items/phq2_2",
        "_id",
        "_uuid",
        "_submission_time",
        "_validation_status",
        "_submitted_by",
        "_index",
    ]
    .map(C::S)
    .to_vec();
    let row = vec![
        C::T(46027.368055555555),
        C::T(46027.37361111111),
        C::S("KC-0101"),
        C::S("kibra-hc"),
        C::S("female"),
        C::N(1992.0),
        C::D(46027.0),
        C::N(1.0),
        C::N(2.0),
        C::N(101.0),
        C::S("0f6b1d9e-2c3a-4b5d-9e8f-000000000101"),
        C::T(46027.25),
        C::X,
        C::S("amina"),
        C::N(1.0),
    ];
    let book = KoboWorkbook::open(
        "kobo-phq2.xlsx",
        Cursor::new(xlsx(&[("phq2_screening", vec![header, row])])),
        &m,
        MAX_UNZIPPED,
    )
    .unwrap();
    let mut from_xlsx = Vec::new();
    book.read(&m, &t, today(), NOW, &mut |u| {
        from_xlsx.push(u);
        true
    })
    .unwrap();
    assert_eq!(records(&from_xlsx), records(&from_csv));
    assert_eq!(records(&from_xlsx).len(), 2);
}

#[test]
fn booleans_and_fractions_are_text_too() {
    // A sheet of odd cells read through a text mapping: true/false, a fraction, a time of day.
    let text = r#"
source = "kobo"
dataset = "odd"
[[records]]
kind = "client"
key = "client/{code}"
[records.fields]
programme_id = { programme = "ke-pmplus" }
facility_id = { facility = "facility" }
registered_on = { column = "when", type = "date" }
sex = { column = "sex", codes = { "true" = "female", "false" = "male" } }
birth_year = { column = "born", type = "integer" }
"#;
    let m = Mapping::from_toml("odd.toml", text).unwrap();
    let sheet = vec![
        ["code", "facility", "when", "sex", "born", "_uuid"]
            .map(C::S)
            .to_vec(),
        vec![
            C::S("A"),
            C::S("kibra-hc"),
            C::T(46027.5),
            C::B(true),
            C::N(1990.0),
            C::S("u1"),
        ],
        vec![
            C::S("B"),
            C::S("kibra-hc"),
            C::D(46027.0),
            C::B(false),
            C::N(1990.5),
            C::S("u2"),
        ],
    ];
    let book = open(xlsx(&[("odd", sheet)]), &m).unwrap();
    let (units, _) = read(book, &m);
    let ok: Vec<&ImportedRecord> = units
        .iter()
        .filter_map(|u| u.outcome.as_ref().ok())
        .flatten()
        .collect();
    assert_eq!(ok.len(), 1, "{:?}", problems(&units));
    assert_eq!(ok[0].data["registered_on"], "2026-01-05");
    assert_eq!(ok[0].data["sex"], "female");
    assert_eq!(
        problems(&units),
        ["kobo.xlsx: sheet odd, row 3, column born: must be a whole number"]
    );
}

/// Past the limit once unzipped, the workbook is refused before calamine reads it, saying what
/// to do instead; so is a zip that is no workbook, and a workbook with an ODK mapping.
#[test]
fn an_oversized_or_foreign_workbook_is_refused_before_reading() {
    let m = mapping();
    let e = KoboWorkbook::open("big.xlsx", Cursor::new(household()), &m, 2048).unwrap_err();
    let text = e.to_string();
    assert!(
        text.starts_with("big.xlsx: the workbook would take more than 2048 bytes once unzipped"),
        "{text}"
    );
    assert!(text.contains("use the CSV export"), "{text}");
    assert!(text.contains("KoboToolbox's API"), "{text}");
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    w.start_file("form.csv", zip::write::SimpleFileOptions::default())
        .unwrap();
    w.write_all(b"a,b\n").unwrap();
    let not_a_workbook = w.finish().unwrap().into_inner();
    assert!(
        open(not_a_workbook, &m)
            .unwrap_err()
            .contains("not an Excel workbook")
    );
    let odk = mapping_text().replace("source = \"kobo\"", "source = \"odk\"");
    let odk = Mapping::from_toml("odk.toml", &odk).unwrap();
    assert!(
        open(household(), &odk)
            .unwrap_err()
            .contains("source must be \"kobo\"")
    );
    // Garbage and a workbook cut short: refused, never a panic.
    assert!(open(b"PK\x03\x04garbage".to_vec(), &m).is_err());
    let whole = household();
    for cut in [30, whole.len() / 2, whole.len() - 10] {
        assert!(open(whole[..cut].to_vec(), &m).is_err());
    }
}

fn mapping_text() -> String {
    std::fs::read_to_string(fixture("kobo-household.mapping.toml")).unwrap()
}

/// The mapping of the fixture, with a repeat `followups` nested in `members`: a member's client
/// is keyed by the member row's instance key, so a follow-up names it by its own
/// `{_parent_instance}`.
fn nested_mapping_text() -> String {
    mapping_text()
        .replace(
            "key = \"client/{member_code}\"",
            "key = \"member/{_instance}\"",
        )
        .replace(
            "client_id = { record = \"client/{member_code}\" }",
            "client_id = { record = \"member/{_instance}\" }",
        )
        + r#"
[[repeats]]
group = "followups"
nested_in = "members"

[[repeats.records]]
kind = "assessment"
[repeats.records.fields]
client_id = { record = "member/{_parent_instance}" }
instrument = { value = "phq2" }
occasion = { value = "follow_up" }
administered_on = { column = "followup_date", type = "date" }
[repeats.records.responses]
"1" = "phq/phq2_1"
"2" = "phq/phq2_2"
"#
}

fn nested_mapping() -> Mapping {
    Mapping::from_toml("nested.toml", &nested_mapping_text()).unwrap()
}

/// A follow-up row of the sheet `followups`, nested in `members`: its date (an Excel serial),
/// the two answers, its `_index`, the section it belongs to and that row's `_index`.
fn followup(date: f64, a: f64, b: f64, index: f64, table: &'static str, parent: f64) -> Vec<C> {
    vec![
        C::D(date),
        C::N(a),
        C::N(b),
        C::N(index),
        C::S(table),
        C::N(parent),
    ]
}

fn followups_sheet(rows: Vec<Vec<C>>) -> (&'static str, Vec<Vec<C>>) {
    let mut sheet = vec![
        [
            "followup_date",
            "phq/phq2_1",
            "phq/phq2_2",
            "_index",
            "_parent_table_name",
            "_parent_index",
        ]
        .map(C::S)
        .to_vec(),
    ];
    sheet.extend(rows);
    ("followups", sheet)
}

/// Issue 9: a repeat nested in a repeat, on its own sheet: each follow-up row is joined by
/// `_parent_index` to the `_index` of its member row and through it to the visit, so its
/// records read the visit's time, refer to the member's client by the member row's instance
/// key and are keyed `<_uuid>/followups[<_index>]` (the same form as a member row's), the same
/// on a second reading. A follow-up of a member row refused whole, or of one the sheet does not
/// have, is refused with its sheet, row and column.
#[test]
fn a_nested_repeat_sheet_is_joined_through_the_rows_it_is_nested_in() {
    let m = nested_mapping();
    let mut members = household_members();
    members[1][2] = C::E;
    let mut sheets = household_sheets(members);
    sheets.push(followups_sheet(vec![
        followup(46084.0, 1.0, 1.0, 1.0, "members", 1.0),
        followup(46085.0, 0.0, 0.0, 2.0, "members", 3.0),
        followup(46086.0, 2.0, 2.0, 3.0, "members", 9.0),
        followup(46087.0, 1.0, 0.0, 4.0, "members", 2.0),
    ]));
    let workbook = xlsx(&sheets);
    let book = open(workbook.clone(), &m).unwrap();
    assert_eq!(book.rows(), 2 + 3 + 4);
    let (units, done) = read(book, &m);
    done.unwrap();
    assert_eq!(
        problems(&units),
        [
            "kobo.xlsx: sheet members, row 3, column birth_year: holds a spreadsheet error (#REF!, #VALUE!, ...)",
            "kobo.xlsx: sheet followups, row 4, column _parent_index: no row of members (the repeat group followups is nested in) has this _index on its sheet (a row of another export, or of a row of members refused whole)",
            "kobo.xlsx: sheet followups, row 5, column _parent_index: no row of members (the repeat group followups is nested in) has this _index on its sheet (a row of another export, or of a row of members refused whole)",
        ]
    );
    let ok: Vec<ImportedRecord> = units
        .iter()
        .filter_map(|u| u.outcome.as_ref().ok())
        .flatten()
        .cloned()
        .collect();
    let member = |n: usize| {
        record_uuid(
            "kobo:household_visit",
            &format!("member/uuid-h{}/members[{n}]", if n < 3 { 1 } else { 2 }),
        )
    };
    let followups: Vec<&ImportedRecord> = ok
        .iter()
        .filter(|r| r.data["occasion"] == "follow_up")
        .collect();
    assert_eq!(followups.len(), 2);
    assert_eq!(
        followups[0].id,
        record_uuid("kobo:household_visit", "uuid-h1/followups[1]#assessment#0")
    );
    assert_eq!(followups[0].data["client_id"], member(1).to_string());
    assert_eq!(followups[0].data["administered_on"], "2026-03-03");
    assert_eq!(followups[0].device_time, "2026-01-05T06:00:00Z");
    // The second follow-up's member belongs to the second visit: its client, its time.
    assert_eq!(
        followups[1].id,
        record_uuid("kobo:household_visit", "uuid-h2/followups[2]#assessment#0")
    );
    assert_eq!(followups[1].data["client_id"], member(3).to_string());
    assert_eq!(followups[1].device_time, "2026-01-06T07:30:00Z");
    assert!(ok.iter().any(|r| r.id == member(1)));
    // Read again: the same records.
    let (again, _) = read(open(workbook, &m).unwrap(), &m);
    let again: Vec<ImportedRecord> = again
        .iter()
        .filter_map(|u| u.outcome.as_ref().ok())
        .flatten()
        .cloned()
        .collect();
    assert_eq!(again, ok);
}

/// A group whose rows belong elsewhere than the mapping nests it (`_parent_table_name`) is
/// refused when the workbook is opened: the fixture's `phones`, nested in `members`, read as a
/// repeat of the submissions; follow-ups of the visits read as nested in `members`; rows naming
/// a table that is no plain name, which is not echoed.
#[test]
fn a_nested_sheet_the_mapping_nests_otherwise_is_refused_when_opened() {
    let text = mapping_text().replace("group = \"members\"", "group = \"phones\"");
    let m = Mapping::from_toml("m.toml", &text).unwrap();
    assert_eq!(
        open(household(), &m).unwrap_err(),
        "kobo.xlsx: sheet phones, row 2, column _parent_table_name: the mapping reads phones as a repeat group of the submissions, but in this export its rows belong to a row of the repeat group members (their _parent_table_name): set nested_in = \"members\" in the [[repeats]] entry of phones"
    );
    let m = nested_mapping();
    let mut sheets = household_sheets(household_members());
    sheets.push(followups_sheet(vec![followup(
        46084.0,
        1.0,
        1.0,
        1.0,
        "household_visit",
        1.0,
    )]));
    assert_eq!(
        open(xlsx(&sheets), &m).unwrap_err(),
        "kobo.xlsx: sheet followups, row 2, column _parent_table_name: the mapping reads followups as nested in members, but in this export its rows belong to a submission (their _parent_table_name): remove nested_in from the [[repeats]] entry of followups"
    );
    sheets.pop();
    sheets.push(followups_sheet(vec![followup(
        46084.0,
        1.0,
        1.0,
        1.0,
        "=cmd|' /C calc'!A0",
        1.0,
    )]));
    let e = open(xlsx(&sheets), &m).unwrap_err();
    assert_eq!(
        e,
        "kobo.xlsx: sheet followups, row 2, column _parent_table_name: the mapping reads followups as nested in members, but in this export its rows belong to a row of another repeat group (their _parent_table_name): set nested_in in the [[repeats]] entry of followups"
    );
}

/// Sheets are found under the names formpack gives them: a group name longer than 31
/// characters is cut to 28 and `...` (or, as scaleup has always read, to 31), a second long
/// name alike in its first characters ends `... (1)`; two sheets that could both be a group's
/// are refused; the form's title, whose characters Excel forbids formpack replaces on the first
/// sheet, still names it in `_parent_table_name`.
#[test]
fn long_and_unusual_names_are_found_as_formpack_names_their_sheets() {
    let long = "household_members_of_the_visit_2026";
    let text = mapping_text().replace("group = \"members\"", &format!("group = \"{long}\""));
    let m = Mapping::from_toml("m.toml", &text).unwrap();
    for sheet in [
        "household_members_of_the_visit_",
        "household_members_of_the_vis...",
        "household_members_of_the... (1)",
    ] {
        let mut sheets = household_sheets(household_members());
        sheets[1].0 = sheet;
        assert!(sheet.chars().count() == 31);
        let (units, done) = read(open(xlsx(&sheets), &m).unwrap(), &m);
        done.unwrap();
        assert_eq!(records(&units).len(), 6, "{sheet}");
        // The instance key names the group as the mapping does.
        assert!(records(&units).iter().any(|r| r.id
            == record_uuid(
                "kobo:household_visit",
                &format!("uuid-h1/{long}[1]#assessment#1")
            )));
    }
    let mut sheets = household_sheets(household_members());
    sheets[1].0 = "household_members_of_the_vis...";
    let mut other = sheets[1].clone();
    other.0 = "household_members_of_the... (1)";
    sheets.push(other);
    assert_eq!(
        open(xlsx(&sheets), &m).unwrap_err(),
        "kobo.xlsx: the mapping reads the repeat group household_members_of_the_visit_2026, and several sheets could be its (household_members_of_the_vis..., household_members_of_the... (1)): KoboToolbox cuts long names to 31 characters, so which one is cannot be told; give the groups shorter names"
    );
    // A title with `/` and `:`: formpack's first sheet is `Household visit_ 2026_27`, its
    // members' rows name `Household visit: 2026/27`.
    let mut members = household_members();
    for row in &mut members {
        row[6] = C::S("Household visit: 2026/27");
    }
    let mut sheets = household_sheets(members);
    sheets[0].0 = "Household visit_ 2026_27";
    let (units, done) = read(open(xlsx(&sheets), &mapping()).unwrap(), &mapping());
    done.unwrap();
    assert_eq!(records(&units).len(), 6);
}

/// A wide header makes every row as wide: the cells held are bounded as rows × columns, not
/// only by the workbook's size (this one is a few megabytes unzipped).
#[test]
fn rows_times_columns_are_bounded() {
    let text = r#"
source = "kobo"
dataset = "wide"
[[records]]
kind = "client"
key = "client/{c0}"
[records.fields]
programme_id = { programme = "ke-pmplus" }
"#;
    let m = Mapping::from_toml("wide.toml", text).unwrap();
    let names: Vec<&'static str> = (0..15_000)
        .map(|i| &*Box::leak(format!("c{i}").into_boxed_str()))
        .collect();
    let mut rows = vec![names.iter().map(|n| C::S(n)).collect::<Vec<_>>()];
    for _ in 0..400 {
        rows.push(vec![C::N(1.0)]);
    }
    let e = open(xlsx(&[("wide", rows)]), &m).unwrap_err();
    assert!(
        e.starts_with("kobo.xlsx: sheet wide, row 335: the sheets read hold more than 5000000 cells (rows × columns); scaleup reads a KoboToolbox workbook whole"),
        "{e}"
    );
}

/// Damaged workbooks (bytes overwritten here and there) are refused or read, never a panic.
#[test]
fn damaged_workbooks_never_panic() {
    let m = mapping();
    let whole = household();
    let mut seed: u64 = 9;
    for _ in 0..300 {
        let mut bytes = whole.clone();
        for _ in 0..4 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let i = (seed >> 33) as usize % bytes.len();
            bytes[i] = (seed >> 13) as u8;
        }
        if let Ok(book) = open(bytes, &m) {
            let _ = read(book, &m);
        }
    }
}
