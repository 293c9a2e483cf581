//! Imports (issue 9) on public sample files and files written in their formats
//! (tests/fixtures/import/SOURCES.md): what each reader keeps, what it refuses and where it
//! says the problem is, and that a second reading names the same records.

mod common;

use scaleup_domain::catalog::Catalog;
use scaleup_domain::instrument::{LicenceStatus, Method};
use scaleup_domain::record::{RecordKind, RecordPayload};
use scaleup_interop::import::form::{Form, InstrumentOptions, QuestionType};
use scaleup_interop::import::mapping::{
    Join, Mapping, Parents, Pass, RepeatRows, Rows, Tables, read_export,
};
use scaleup_interop::import::table::{RowSource, Table};
use scaleup_interop::import::{ImportError, Targets, Unit, dhis2, record_uuid, redcap, xlsform};
use serde_json::{Value, json};
use std::path::PathBuf;
use uuid::Uuid;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name)
}

fn bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap()
}

fn form(name: &str) -> Result<Form, Vec<ImportError>> {
    xlsform::read(name, std::io::Cursor::new(bytes(name)))
}

fn messages(errors: &[ImportError]) -> Vec<String> {
    errors.iter().map(|e| e.to_string()).collect()
}

fn open() -> InstrumentOptions {
    InstrumentOptions {
        licence: LicenceStatus::Open,
        ..InstrumentOptions::default()
    }
}

#[test]
fn a_multilingual_xlsform_becomes_an_instrument_and_french_item_texts() {
    let f = form("phq2-multilingual.xlsx").unwrap();
    assert_eq!(f.id.as_deref(), Some("phq2_odk"));
    assert_eq!(f.languages, ["English (en)", "French (fr)"]);
    let names: Vec<&str> = f.questions.iter().map(|q| q.name.as_str()).collect();
    assert_eq!(names, ["phq2_1", "phq2_2"]);
    assert!(
        f.questions
            .iter()
            .all(|q| q.required && q.kind == QuestionType::SelectOne)
    );
    // The metadata, note, group boundaries and calculation are listed, not silently dropped.
    assert_eq!(f.left_out.len(), 5, "{:?}", f.left_out);
    assert!(f.left_out[0].contains("row 2") && f.left_out[0].contains("metadata"));
    let files = f.to_instrument(&open()).unwrap();
    assert_eq!(files.code, "phq2_odk");
    assert!(
        files
            .instrument
            .contains("Little interest or pleasure in doing things")
    );
    assert!(
        files.instrument.contains("range = [0.0, 6.0]"),
        "{}",
        files.instrument
    );
    // The files join a catalogue exactly as `scaleup definitions add` would add them.
    let mut catalog = Catalog::builtin();
    catalog
        .add_file("phq2_odk.toml", &files.instrument)
        .unwrap();
    assert_eq!(files.item_texts.len(), 1);
    let (lang, text) = &files.item_texts[0];
    assert_eq!(lang, "fr");
    assert!(text.contains("Peu d'intérêt"));
    assert!(text.contains("Presque tous les jours"));
    catalog.add_file("phq2_odk.fr.toml", text).unwrap();
    // Without an open licence no wording is carried at all.
    let closed = f.to_instrument(&InstrumentOptions::default()).unwrap();
    assert!(!closed.instrument.contains("Little interest"));
    assert!(closed.item_texts.is_empty());
    assert!(closed.notes.iter().any(|n| n.contains("licence")));
}

#[test]
fn every_type_and_expression_is_read_and_what_an_instrument_cannot_hold_is_refused_where_it_is() {
    let f = form("screening-features.xlsx").unwrap();
    let kinds: Vec<QuestionType> = f.questions.iter().map(|q| q.kind).collect();
    use QuestionType::*;
    assert_eq!(
        kinds,
        [SelectOne, Integer, Decimal, Date, SelectMultiple, Text]
    );
    let age = &f.questions[1];
    assert!(age.required);
    assert_eq!(
        age.relevant.as_ref().unwrap().value.to_string(),
        "${consent} = 'yes'"
    );
    assert_eq!(
        age.constraint.as_ref().unwrap().value.integer_range(),
        Some((15, 120))
    );
    assert_eq!(f.choices["symptoms"].len(), 3);
    let errors = messages(&f.to_instrument(&open()).unwrap_err());
    for expected in [
        "screening-features.xlsx: sheet choices, row 2, column name: choice names must be whole numbers",
        "screening-features.xlsx: sheet survey, row 3, column relevant: skip logic (relevant) cannot be represented",
        "screening-features.xlsx: sheet survey, row 4, column type: decimal questions cannot be represented",
        "screening-features.xlsx: sheet survey, row 5, column type: date questions cannot be represented",
        "screening-features.xlsx: sheet survey, row 6, column type: select_multiple questions cannot be represented",
        "screening-features.xlsx: sheet survey, row 7, column type: text questions cannot be represented",
    ] {
        assert!(
            errors.iter().any(|e| e.starts_with(expected)),
            "missing {expected} in {errors:#?}"
        );
    }
}

#[test]
fn pyxform_examples_are_read_and_refused_as_instruments_with_their_cells_named() {
    let f = form("pyxform-text_and_integer.xlsx").unwrap();
    assert_eq!(f.languages, ["english"]);
    assert_eq!(f.questions.len(), 2);
    let errors = messages(&f.to_instrument(&open()).unwrap_err());
    assert!(
        errors
            .iter()
            .any(|e| e.contains("sheet survey, row 2, column type: text questions"))
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("row 3, column type: an integer item needs a range"))
    );
    let f = form("pyxform-yes_or_no_question.xlsx").unwrap();
    assert_eq!(f.questions[0].kind, QuestionType::SelectOne);
    assert_eq!(f.questions[0].list.as_deref(), Some("yes_or_no"));
    let errors = messages(&f.to_instrument(&open()).unwrap_err());
    assert!(
        errors
            .iter()
            .any(|e| e.contains("sheet choices, row 2, column name")),
        "{errors:?}"
    );
    // A language without a code cannot name item texts.
    assert!(errors.iter().all(|e| !e.contains("label::english")));
}

#[test]
fn a_repeat_a_truncated_workbook_and_garbage_are_refused_without_a_panic() {
    let e = messages(&form("bad-repeat.xlsx").unwrap_err());
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(e[0].starts_with("bad-repeat.xlsx: sheet survey, row 2, column type: a question type scaleup cannot represent"));
    let whole = bytes("phq2-multilingual.xlsx");
    for cut in [10, whole.len() / 3, whole.len() / 2, whole.len() - 20] {
        let e = xlsform::read("cut.xlsx", std::io::Cursor::new(whole[..cut].to_vec())).unwrap_err();
        assert!(e[0].to_string().starts_with("cut.xlsx"), "{e:?}");
    }
    let e = xlsform::read(
        "x.xlsx",
        std::io::Cursor::new(b"=cmd|' /C calc'!A0".to_vec()),
    )
    .unwrap_err();
    assert!(e[0].message.contains("not an .xlsx"));
}

#[test]
fn a_real_redcap_dictionary_is_read_and_its_text_fields_refused_as_instrument_items() {
    let forms =
        redcap::read_dictionary("tblcenter.csv", &bytes("redcap-iedea-tblcenter.csv")[..]).unwrap();
    assert_eq!(forms.len(), 1);
    let f = &forms[0];
    assert_eq!(f.id.as_deref(), Some("tblcenter"));
    assert_eq!(f.questions.len(), 22);
    assert_eq!(f.left_out.len(), 2, "two descriptive fields");
    let rural = f.questions.iter().find(|q| q.name == "rural").unwrap();
    assert_eq!(f.choices["rural"].len(), 5);
    assert_eq!(rural.kind, QuestionType::SelectOne);
    let open_d = f.questions.iter().find(|q| q.name == "open_d").unwrap();
    assert_eq!(open_d.kind, QuestionType::Date);
    let errors = messages(&f.to_instrument(&open()).unwrap_err());
    assert!(
        errors.iter().any(|e| e.starts_with(
            "tblcenter.csv, row 2, column Field Type: text questions cannot be represented"
        )),
        "{errors:#?}"
    );
    assert!(errors.iter().any(|e| e.starts_with("tblcenter.csv, row 5, column Choices, Calculations, OR Slider Labels: choice names must be whole numbers")));
}

#[test]
fn a_redcap_instrument_becomes_a_scaleup_instrument_with_named_fields_left_out() {
    let forms =
        redcap::read_dictionary("dict.csv", &bytes("redcap-phq2-dictionary.csv")[..]).unwrap();
    let names: Vec<_> = forms.iter().map(|f| f.id.clone().unwrap()).collect();
    assert_eq!(names, ["enrolment", "phq2", "sessions"]);
    let phq2 = &forms[1];
    let e = messages(&phq2.to_instrument(&open()).unwrap_err());
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].contains("row 11, column Field Type: date questions"));
    let mut options = open();
    options.leave_out.insert("phq2_date".into());
    options.code = Some("phq2_redcap".into());
    options.method = Method::Sum;
    let files = phq2.to_instrument(&options).unwrap();
    Catalog::builtin()
        .add_file("phq2_redcap.toml", &files.instrument)
        .unwrap();
    assert!(
        files
            .notes
            .iter()
            .any(|n| n.contains("phq2_date left out on request"))
    );
    assert!(files.notes.iter().any(|n| n.contains("calculated field")));
    // Branching logic is read into the expression tree.
    let sessions = &forms[2];
    let date = sessions
        .questions
        .iter()
        .find(|q| q.name == "session_date")
        .unwrap();
    assert_eq!(
        date.relevant.as_ref().unwrap().value.to_string(),
        "${session_no} != ''"
    );
}

#[test]
fn a_dictionary_with_the_wrong_columns_or_encoding_is_refused() {
    let e = redcap::read_dictionary("d.csv", &b"field_name,form_name\nx,y\n"[..]).unwrap_err();
    assert!(
        e[0].to_string()
            .starts_with("d.csv, row 1, column Section Header: not a REDCap data dictionary"),
        "{e:?}"
    );
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend("Variable".encode_utf16().flat_map(|u| u.to_le_bytes()));
    let e = redcap::read_dictionary("d.csv", &utf16[..]).unwrap_err();
    assert!(e[0].message.contains("UTF-16"));
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

fn today() -> scaleup_domain::date::Date {
    common::d("2026-06-15")
}

fn read_rows(csv: &str, mapping: &str) -> Vec<Unit> {
    let m = Mapping::from_toml(mapping, &String::from_utf8(bytes(mapping)).unwrap()).unwrap();
    Rows::new(
        csv,
        &bytes(csv)[..],
        &m,
        &targets(),
        today(),
        "2026-06-15T10:00:00Z",
    )
    .unwrap()
    .collect()
}

#[test]
fn a_redcap_export_becomes_clients_episodes_assessments_and_sessions() {
    let units = read_rows(
        "redcap-phq2-records.csv",
        "redcap-phq2-records.mapping.toml",
    );
    assert_eq!(units.len(), 6);
    let kinds = |u: &Unit| -> Vec<RecordKind> {
        u.outcome.as_ref().unwrap().iter().map(|r| r.kind).collect()
    };
    use RecordKind::*;
    assert_eq!(kinds(&units[0]), [Client, Episode, Assessment]);
    assert_eq!(kinds(&units[1]), [Session]);
    assert_eq!(kinds(&units[3]), [Assessment]);
    let first = units[0].outcome.as_ref().unwrap();
    let (client, episode, baseline) = (&first[0], &first[1], &first[2]);
    assert_eq!(client.data["sex"], "female");
    assert_eq!(client.data["facility_id"], Uuid::from_u128(11).to_string());
    assert_eq!(baseline.data["occasion"], "baseline");
    assert_eq!(baseline.data["responses"], json!({"1": 2.0, "2": 3.0}));
    let session = &units[2].outcome.as_ref().unwrap()[0];
    assert_eq!(session.data["number"], 2);
    assert_eq!(
        session.data["components"],
        json!(["managing_stress", "problem_solving"])
    );
    assert_eq!(session.data["client_id"], client.id.to_string());
    assert_eq!(session.data["episode_id"], episode.id.to_string());
    let follow_up = &units[3].outcome.as_ref().unwrap()[0];
    assert_eq!(follow_up.data["occasion"], "follow_up");
    assert_ne!(follow_up.id, baseline.id);
    // The bad row is refused whole, each reason at its cell, the formula never echoed.
    let bad = messages(units[5].outcome.as_ref().unwrap_err());
    assert_eq!(bad.len(), 2, "{bad:?}");
    assert!(bad[0].starts_with(
        "redcap-phq2-records.csv, row 7, column facility: not the code of a facility"
    ));
    assert!(bad[1].starts_with("redcap-phq2-records.csv, row 7, column phq2_1: must be a number"));
    assert!(bad.iter().all(|m| !m.contains("cmd")));
    // The same file read again names the same records.
    let again = read_rows(
        "redcap-phq2-records.csv",
        "redcap-phq2-records.mapping.toml",
    );
    assert_eq!(units, again);
}

#[test]
fn an_odk_central_export_becomes_clients_and_screenings_with_its_meta_columns() {
    let units = read_rows("odk-central-phq2.csv", "odk-central-phq2.mapping.toml");
    assert_eq!(units.len(), 4);
    let first = units[0].outcome.as_ref().unwrap();
    assert_eq!(first.len(), 2);
    assert_eq!(first[0].device_time, "2026-01-05T08:58:20.525Z");
    assert_eq!(
        first[0].data["counsellor_id"],
        Uuid::from_u128(99).to_string()
    );
    assert_eq!(first[1].data["responses"], json!({"1": 2.0, "2": 3.0}));
    assert_eq!(first[1].data["client_id"], first[0].id.to_string());
    let injection = messages(units[2].outcome.as_ref().unwrap_err());
    assert_eq!(
        injection,
        [
            "odk-central-phq2.csv, row 4, column items-phq2_1: must be a number (or a code listed in response_codes)"
        ]
    );
    let future = messages(units[3].outcome.as_ref().unwrap_err());
    assert!(
        future
            .iter()
            .all(|m| m.contains("column visit_date") && m.contains("record: data.")),
        "{future:?}"
    );
    // A mapping naming a column the file lacks stops before any row.
    let m = Mapping::from_toml("m.toml", "source = \"odk\"\ndataset = \"x\"\n[[records]]\nkind = \"client\"\n[records.fields]\nsex = { column = \"gender\" }\n").unwrap();
    let e = Rows::new(
        "f.csv",
        &bytes("odk-central-phq2.csv")[..],
        &m,
        &targets(),
        today(),
        "2026-06-15T10:00:00Z",
    )
    .err()
    .unwrap();
    assert_eq!(
        messages(&e),
        [
            "f.csv, row 1, column gender: the mapping reads this column (records[0].fields.sex), which the file does not have"
        ]
    );
    // An unknown key in the mapping is named with its line.
    let e = Mapping::from_toml(
        "m.toml",
        "source = \"odk\"\ndataset = \"x\"\nrecordz = []\n",
    )
    .unwrap_err();
    assert!(
        e.to_string().starts_with("m.toml, row 3: unknown field"),
        "{e}"
    );
}

const DOCS_MAPPING: &str = r#"
tracked_entity_type = "nEenWmSyUEp"
program = "IpHINAT79UW"
[org_units]
kibra-hc = "y77LiPqLMoq"
[assessments.phq2]
stage = "A03MvHHogjR"
occasion = "screening"
data_elements = { "1" = "UXz7xuGCEhU" }
[session]
stage = "ZzYYXq4fJie"
data_elements = { number = "X8zyunlgUfM" }
"#;

fn read_tracker(
    payload: &[u8],
    mapping: &scaleup_interop::dhis2::Mapping,
    t: &Targets,
    programme: &str,
) -> Result<Vec<Unit>, ImportError> {
    let mut units = Vec::new();
    let mut reader = dhis2::TrackerReader::new(
        "payload.json",
        mapping,
        t,
        programme,
        today(),
        "2026-06-15T10:00:00Z",
    )?;
    reader.read(|| Ok(payload), &mut |u| units.push(u))?;
    Ok(units)
}

#[test]
fn the_dhis2_documentation_payload_is_read_element_by_element() {
    let mapping = scaleup_interop::dhis2::Mapping::from_toml(DOCS_MAPPING).unwrap();
    let units = read_tracker(
        &bytes("dhis2-docs-flat-payload.json"),
        &mapping,
        &targets(),
        "ke-pmplus",
    )
    .unwrap();
    let shown: Vec<String> = units
        .iter()
        .map(|u| match &u.outcome {
            Ok(r) => format!(
                "{}: {:?}",
                u.location,
                r.iter().map(|r| r.kind).collect::<Vec<_>>()
            ),
            Err(e) => messages(e).join("; "),
        })
        .collect();
    assert_eq!(
        shown,
        [
            "payload.json: sheet enrollments, row 1: [Client, Episode]",
            "payload.json: sheet trackedEntities, row 2: a tracked entity without an enrollment, a registered_on attribute or createdAt has no registration date",
            "payload.json: sheet events, row 1: [Assessment]",
            "payload.json: sheet events, row 2: session record: data: missing field `number`",
        ]
    );
    let assessment = &units[2].outcome.as_ref().unwrap()[0];
    assert_eq!(assessment.data["responses"], json!({"1": 5.7}));
    assert_eq!(assessment.data["administered_on"], "2019-08-01");
    // Truncated and malformed payloads are errors with a position, never a panic.
    let whole = bytes("dhis2-docs-flat-payload.json");
    let e = read_tracker(&whole[..whole.len() / 2], &mapping, &targets(), "ke-pmplus").unwrap_err();
    assert!(e.message.contains("ends early"), "{e}");
    let e = read_tracker(b"{\"events\": {}}", &mapping, &targets(), "ke-pmplus").unwrap_err();
    assert!(e.message.contains("not valid JSON"));
    let e = read_tracker(b"[]", &mapping, &targets(), "nope").unwrap_err();
    assert!(e.message.contains("--programme"));
}

const ROUND_TRIP_MAPPING: &str = r#"
tracked_entity_type = "nEenWmSyUEp"
program = "IpHINAT79UW"
[org_units]
fac-a = "DiszpKrYNg8"
fac-b = "g8upMTyEZGZ"
[attributes]
sex = "cejWyOfXge6"
birth_year = "gHGyrwKPzej"
registered_on = "regDate0001"
pseudonym = "lZGmxYbs97q"
[sex_codes]
female = "Female"
male = "Male"
[assessments.phq9]
stage = "A03MvHHogjR"
data_elements = { "1" = "de000000001", "2" = "de000000002", "3" = "de000000003", "4" = "de000000004", "5" = "de000000005", "6" = "de000000006", "7" = "de000000007", "8" = "de000000008", "9" = "de000000009", occasion = "deOccasion1", total = "BuZ5LGNfGEU", band = "deBand00001" }
[session]
stage = "ZzYYXq4fJie"
data_elements = { number = "X8zyunlgUfM", attended = "GieVkTxp4HH", duration_minutes = "dDuration01", modality = "dModality01", components = "dComponent1" }
"#;

#[test]
fn scaleup_to_dhis2_tracker_and_back_keeps_every_field_the_format_carries() {
    use common::*;
    let source = source(&twelve());
    let mapping = scaleup_interop::dhis2::Mapping::from_toml(ROUND_TRIP_MAPPING).unwrap();
    let key = scaleup_interop::deid::DeidKey::new([3; 32]);
    let (payload, summary) = scaleup_interop::dhis2::tracker_payload(&source, &mapping, &key);
    assert!(
        summary.unmapped_values.is_empty(),
        "{:?}",
        summary.unmapped_values
    );
    let text = serde_json::to_vec(&payload).unwrap();
    let mut t = Targets::default();
    t.programmes.insert("sw-trial".into(), id(PROGRAMME));
    t.facilities.insert("fac-a".into(), id(FAC_A));
    t.facilities.insert("fac-b".into(), id(FAC_B));
    let units = read_tracker(&text, &mapping, &t, "sw-trial").unwrap();
    let imported: Vec<RecordPayload> = units
        .iter()
        .flat_map(|u| u.outcome.clone().unwrap_or_else(|e| panic!("{e:?}")))
        .map(|r| scaleup_domain::record::parse_payload(r.kind, &r.data).unwrap())
        .collect();
    // Compare each kind's fields the format carries, in order (ids differ by design: DHIS2
    // uids are keyed pseudonyms of scaleup ids, and the import derives new ids from them).
    let strip = |p: &RecordPayload| -> Value {
        let mut v = p.to_json();
        for k in [
            "client_id",
            "episode_id",
            "programme_id",
            "counsellor_id",
            "arm",
        ] {
            v.as_object_mut().unwrap().remove(k);
        }
        json!({"kind": p.kind().as_str(), "data": v})
    };
    let kinds = [
        RecordKind::Client,
        RecordKind::Episode,
        RecordKind::Assessment,
        RecordKind::Session,
    ];
    let mut original: Vec<Value> = source
        .records
        .iter()
        .map(|r| &r.payload)
        .filter(|p| kinds.contains(&p.kind()))
        .map(strip)
        .collect();
    let mut back: Vec<Value> = imported.iter().map(strip).collect();
    let sort = |v: &mut Vec<Value>| v.sort_by_key(|x| x.to_string());
    sort(&mut original);
    sort(&mut back);
    assert_eq!(original.len(), 12 * (2 + 2 + 3));
    assert_eq!(back, original);
    // Every client keeps its facility and its registration date.
    for p in &imported {
        if let RecordPayload::Client(c) = p {
            assert!(c.facility_id == id(FAC_A) || c.facility_id == id(FAC_B));
            assert_eq!(c.registered_on, d("2026-01-05"));
        }
    }
}

#[test]
fn a_kobotoolbox_export_is_read_with_its_own_delimiter_and_meta_columns() {
    let units = read_rows("kobo-phq2.csv", "kobo-phq2.mapping.toml");
    assert_eq!(units.len(), 1);
    let records = units[0].outcome.as_ref().unwrap();
    assert_eq!(records.len(), 2);
    // `_submission_time` has no offset: read as UTC.
    assert_eq!(records[0].device_time, "2026-01-05T06:00:00Z");
    assert_eq!(records[1].data["responses"], json!({"1": 1.0, "2": 2.0}));
    // The default key is the submission's `_uuid`: the same row always names the same records,
    // and an ODK export of another submission never collides with it.
    let odk = read_rows("odk-central-phq2.csv", "odk-central-phq2.mapping.toml");
    let odk_ids: Vec<Uuid> = odk[0]
        .outcome
        .as_ref()
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert!(!odk_ids.contains(&records[1].id));
}

#[test]
fn a_scheduled_dhis2_event_is_refused_not_imported_as_an_empty_record() {
    let mapping = scaleup_interop::dhis2::Mapping::from_toml(DOCS_MAPPING).unwrap();
    let payload = br#"{"trackedEntities": [{"trackedEntity": "Kj6vYde4LHh", "orgUnit": "y77LiPqLMoq"}],
        "enrollments": [{"enrollment": "MNWZ6hnuhSw", "trackedEntity": "Kj6vYde4LHh", "program": "IpHINAT79UW", "enrolledAt": "2019-08-19T00:00:00.000", "status": "ACTIVE"}],
        "events": [{"event": "ZwwuwNp6gVd", "enrollment": "MNWZ6hnuhSw", "programStage": "A03MvHHogjR", "status": "SCHEDULE", "occurredAt": "2019-08-01T00:00:00.000"}]}"#;
    let units = read_tracker(payload, &mapping, &targets(), "ke-pmplus").unwrap();
    let last = messages(units.last().unwrap().outcome.as_ref().unwrap_err());
    assert_eq!(
        last,
        [
            "payload.json: sheet events, row 1, column status: a scheduled, skipped or overdue event carries no data and is not a record"
        ]
    );
}

/// Issue 9: an ODK Central export with a repeat group. Each member row of
/// `<form>-members.csv` becomes a client and a screening, joined to its household submission
/// by PARENT_KEY for the facility, visit date, submitter and submission time; a member of a
/// submission refused whole, or of none in the file, is refused by row and column; the ids are
/// the same on every read.
#[test]
fn an_odk_repeat_group_is_joined_to_its_submissions() {
    let name = "odk-central-household.mapping.toml";
    let m = Mapping::from_toml(name, &String::from_utf8(bytes(name)).unwrap()).unwrap();
    // A repeat CSV is known by the name Central gives it, `<form>-<group>.csv`.
    assert_eq!(
        m.repeat_group_of_file("household_screening-members.csv"),
        Some("members")
    );
    assert_eq!(m.repeat_group_of_file("members.csv"), Some("members"));
    assert_eq!(
        m.repeat_group_of_file("household_screening-othermembers.csv"),
        None
    );
    assert_eq!(m.repeat_group_of_file("household_screening.csv"), None);
    assert_eq!(m.repeat_without_file(|g| g == "members"), None);
    assert_eq!(m.repeat_without_file(|_| false), Some("members"));
    assert_eq!(m.repeat_group_names(), "members");
    let read = || {
        let main = bytes("odk-central-household.csv");
        let mut rows = Rows::new(
            "household.csv",
            &main[..],
            &m,
            &targets(),
            today(),
            "2026-06-15T10:00:00Z",
        )
        .unwrap();
        let main_units: Vec<Unit> = rows.by_ref().collect();
        let mut parents = rows.into_parents();
        let members = bytes("odk-central-household-members.csv");
        let units: Vec<Unit> = RepeatRows::new(
            "members.csv",
            &members[..],
            &m,
            "members",
            &mut parents,
            &targets(),
            today(),
            "2026-06-15T10:00:00Z",
        )
        .unwrap()
        .collect();
        (main_units, parents.len(), units)
    };
    let (main, kept, members) = read();
    assert_eq!(main.len(), 3);
    // The household rows carry no records; the third is refused whole (its submission time).
    assert_eq!(main[0].outcome.as_ref().unwrap().len(), 0);
    assert_eq!(
        messages(main[2].outcome.as_ref().unwrap_err()),
        ["household.csv, row 4, column SubmissionDate: must be a date-time (RFC 3339)"]
    );
    assert_eq!(kept, 2);
    assert_eq!(members.len(), 5);
    let a = members[0].outcome.as_ref().unwrap();
    assert_eq!(a.len(), 2);
    assert_eq!(a[0].data["facility_id"], Uuid::from_u128(11).to_string());
    assert_eq!(a[0].data["registered_on"], "2026-02-03");
    assert_eq!(a[0].data["counsellor_id"], Uuid::from_u128(99).to_string());
    assert_eq!(a[0].device_time, "2026-02-03T09:12:44.120Z");
    assert_eq!(a[1].data["client_id"], a[0].id.to_string());
    assert_eq!(a[1].data["responses"], json!({"1": 1.0, "2": 2.0}));
    // The second member of the same household: the same household's facility, its own client.
    let b = members[1].outcome.as_ref().unwrap();
    assert_eq!(b[0].data["facility_id"], a[0].data["facility_id"]);
    assert_ne!(b[0].id, a[0].id);
    assert_eq!(
        messages(members[3].outcome.as_ref().unwrap_err()),
        [
            "members.csv, row 5, column PARENT_KEY: no submission of the main file has this key (a row of another export, or of a submission refused whole)"
        ]
    );
    assert!(members[4].outcome.is_err());
    // The formula cell of the second household's member is named by its cell, not echoed.
    let injected = members[2].outcome.as_ref().unwrap_err();
    assert!(
        messages(injected)
            .iter()
            .all(|e| e.starts_with("members.csv, row 4, column phq-phq2_2")
                && !e.contains("HYPERLINK")),
        "{injected:?}"
    );
    // The same files again: the same record ids (a re-import is unchanged).
    let (_, _, again) = read();
    assert_eq!(
        again[0].outcome.as_ref().unwrap()[0].id,
        members[0].outcome.as_ref().unwrap()[0].id
    );
    // A mapping keeping a column the main file lacks, or a group file without PARENT_KEY.
    let bad = Mapping::from_toml(
        "m.toml",
        &String::from_utf8(bytes(name))
            .unwrap()
            .replace("\"SubmitterName\"]", "\"village\"]"),
    )
    .unwrap();
    let e = Rows::new(
        "household.csv",
        &bytes("odk-central-household.csv")[..],
        &bad,
        &targets(),
        today(),
        "2026-06-15T10:00:00Z",
    )
    .err()
    .unwrap();
    assert_eq!(
        messages(&e),
        [
            "household.csv, row 1, column village: the mapping keeps this column for its repeat groups (parent_columns), which the file does not have"
        ]
    );
    let mut parents = Parents::default();
    let e = RepeatRows::new(
        "members.csv",
        &b"member_code,sex\nA,female\n"[..],
        &m,
        "members",
        &mut parents,
        &targets(),
        today(),
        "2026-06-15T10:00:00Z",
    )
    .err()
    .unwrap();
    assert_eq!(e.len(), 2, "{:?}", messages(&e));
}

const NOW: &str = "2026-06-15T10:00:00Z";

fn nested_mapping_text() -> String {
    String::from_utf8(bytes("odk-central-household-nested.mapping.toml")).unwrap()
}

fn nested_mapping() -> Mapping {
    Mapping::from_toml("nested.toml", &nested_mapping_text()).unwrap()
}

/// The household submissions, their members and the members' follow-ups, read as a caller
/// reads them: the main CSV, then each group in the mapping's reading order, joined through
/// one `Parents`. Each group's units, by group.
fn read_nested(m: &Mapping, files: &[(&str, &str)]) -> Vec<(String, Vec<Unit>)> {
    let main = bytes("odk-central-household.csv");
    let mut rows = Rows::new("household.csv", &main[..], m, &targets(), today(), NOW).unwrap();
    let main_units: Vec<Unit> = rows.by_ref().collect();
    let mut parents = rows.into_parents();
    let mut out = vec![("".to_string(), main_units)];
    for r in m.repeats_in_order() {
        let (name, fixture_name) = files
            .iter()
            .find(|(g, _)| *g == r.group)
            .map(|(g, f)| (format!("{g}.csv"), *f))
            .unwrap();
        let data = bytes(fixture_name);
        let units: Vec<Unit> = RepeatRows::new(
            &name,
            &data[..],
            m,
            &r.group,
            &mut parents,
            &targets(),
            today(),
            NOW,
        )
        .unwrap()
        .collect();
        out.push((r.group.clone(), units));
    }
    out
}

const NESTED_FILES: [(&str, &str); 2] = [
    ("members", "odk-central-household-members.csv"),
    ("followups", "odk-central-household-followups.csv"),
];

/// Issue 9: a repeat nested in a repeat (Central's `<form>-followups.csv`, whose PARENT_KEY is
/// the KEY of a `members` row). Each follow-up row is joined to its member row and through it
/// to the household submission: its records read the submission's time, refer to the member's
/// client by the member row's instance key (`{_parent_instance}`) and are keyed by the row's
/// own KEY, the same on every read. A follow-up of a member row refused whole, or of a member
/// row the export does not have, is refused with its file, row and column.
#[test]
fn a_nested_odk_repeat_group_is_joined_through_the_row_it_is_nested_in() {
    let m = nested_mapping();
    let order: Vec<&str> = m
        .repeats_in_order()
        .iter()
        .map(|r| r.group.as_str())
        .collect();
    assert_eq!(order, ["members", "followups"]);
    // The reading order is the nesting's, not the mapping file's.
    let text = nested_mapping_text();
    let (preamble, entries) = text.split_once("[[repeats]]").unwrap();
    let (members, followups) = entries.split_once("[[repeats]]").unwrap();
    let reordered = format!("{preamble}[[repeats]]{followups}\n[[repeats]]{members}");
    let r = Mapping::from_toml("r.toml", &reordered).unwrap();
    assert_eq!(r.repeats[0].group, "followups");
    let order: Vec<&str> = r
        .repeats_in_order()
        .iter()
        .map(|r| r.group.as_str())
        .collect();
    assert_eq!(order, ["members", "followups"]);

    let read = read_nested(&m, &NESTED_FILES);
    let (members, followups) = (&read[1].1, &read[2].1);
    assert_eq!(members.len(), 5);
    assert_eq!(followups.len(), 5);
    let m1 = members[0].outcome.as_ref().unwrap();
    let client = &m1[0];
    assert_eq!(
        client.id,
        record_uuid(
            "odk:household_screening",
            "member/uuid:9a1c0e52-0001-4c1e-8f00-000000000001/members[1]"
        )
    );
    let f1 = followups[0].outcome.as_ref().unwrap();
    assert_eq!(f1.len(), 1);
    assert_eq!(f1[0].data["client_id"], client.id.to_string());
    assert_eq!(f1[0].data["occasion"], "follow_up");
    assert_eq!(f1[0].data["administered_on"], "2026-03-03");
    assert_eq!(f1[0].data["responses"], json!({"1": 1.0, "2": 1.0}));
    // The submission's time, two levels up.
    assert_eq!(f1[0].device_time, "2026-02-03T09:12:44.120Z");
    assert_eq!(
        f1[0].id,
        record_uuid(
            "odk:household_screening",
            "uuid:9a1c0e52-0001-4c1e-8f00-000000000001/members[1]/followups[1]#assessment#0"
        )
    );
    // The second member's follow-up refers to the second member's client.
    let m2 = members[1].outcome.as_ref().unwrap();
    let f3 = followups[2].outcome.as_ref().unwrap();
    assert_eq!(f3[0].data["client_id"], m2[0].id.to_string());
    assert!(followups[1].outcome.is_ok());
    // A follow-up of the member row refused whole (its formula cell), and one of a member row
    // the export does not have: refused by file, row and column, the rest read.
    assert!(members[2].outcome.is_err());
    for (i, row) in [(3, 5), (4, 6)] {
        assert_eq!(
            messages(followups[i].outcome.as_ref().unwrap_err()),
            [format!(
                "followups.csv, row {row}, column PARENT_KEY: no row of members (the repeat group followups is nested in) has this key (a row of another export, or of a row of members refused whole)"
            )]
        );
    }
    // Read again: the same records with the same ids (a re-import is unchanged).
    let again = read_nested(&m, &NESTED_FILES);
    let ok = |units: &[Unit]| -> Vec<scaleup_interop::import::ImportedRecord> {
        units
            .iter()
            .filter_map(|u| u.outcome.as_ref().ok())
            .flatten()
            .cloned()
            .collect()
    };
    for (a, b) in read.iter().zip(&again) {
        assert_eq!(ok(&a.1), ok(&b.1));
    }
    assert_eq!(ok(followups).len(), 3);
}

/// Central's CSVs held in memory, as `read_export` asks for them.
struct MemCsvs(Vec<(String, String, Vec<u8>)>);

impl Tables for MemCsvs {
    fn join(&self) -> Join {
        Join::Central
    }

    fn main(&mut self, _: Pass) -> Result<Box<dyn RowSource + '_>, Vec<ImportError>> {
        let (_, name, data) = &self.0[0];
        Ok(Box::new(Table::new(name, &data[..]).map_err(|e| vec![e])?))
    }

    fn group(&mut self, group: &str, _: Pass) -> Result<Box<dyn RowSource + '_>, Vec<ImportError>> {
        let (_, name, data) = self.0.iter().find(|(g, _, _)| g == group).unwrap();
        Ok(Box::new(Table::new(name, &data[..]).map_err(|e| vec![e])?))
    }
}

fn mem_csvs(files: &[(&str, Vec<u8>)]) -> MemCsvs {
    let mut all = vec![(
        String::new(),
        "household.csv".to_string(),
        bytes("odk-central-household.csv"),
    )];
    for (g, data) in files {
        all.push((g.to_string(), format!("{g}.csv"), data.clone()));
    }
    MemCsvs(all)
}

fn nested_files() -> Vec<(&'static str, Vec<u8>)> {
    NESTED_FILES.iter().map(|(g, f)| (*g, bytes(f))).collect()
}

/// A group whose rows belong elsewhere than the mapping nests it is refused by its first row's
/// PARENT_KEY before any record goes out; a nested group read before the group it is nested in
/// is refused, not read as orphans; read whole, the export gives the same records as the
/// readers one by one.
#[test]
fn a_nested_group_the_export_nests_otherwise_is_refused_before_any_record() {
    let m = nested_mapping();
    let mut units = Vec::new();
    read_export(
        &mut mem_csvs(&nested_files()),
        &m,
        &targets(),
        today(),
        NOW,
        &mut |u| {
            units.push(u);
            true
        },
    )
    .unwrap();
    let direct: Vec<Unit> = read_nested(&m, &NESTED_FILES)
        .into_iter()
        .flat_map(|(_, u)| u)
        .collect();
    assert_eq!(units, direct);

    // `followups` read as a repeat of the submission: its rows name member rows.
    let flat = Mapping::from_toml(
        "flat.toml",
        &nested_mapping_text().replace("nested_in = \"members\"\n", ""),
    )
    .unwrap();
    let mut sent = 0;
    let e = read_export(
        &mut mem_csvs(&nested_files()),
        &flat,
        &targets(),
        today(),
        NOW,
        &mut |_| {
            sent += 1;
            true
        },
    )
    .unwrap_err();
    assert_eq!(sent, 0, "a record went out before the refusal");
    assert_eq!(
        messages(&e),
        [
            "followups.csv, row 2, column PARENT_KEY: the mapping reads followups as a repeat group of the submissions, but in this export its rows belong to a row of the repeat group members (their PARENT_KEY): set nested_in = \"members\" in the [[repeats]] entry of followups"
        ]
    );
    // The members' CSV given as the follow-ups': its rows belong to submissions.
    let e = read_export(
        &mut mem_csvs(&[
            ("members", bytes("odk-central-household-members.csv")),
            (
                "followups",
                bytes("odk-central-household-followups.csv")
                    .split(|b| *b == b'\n')
                    .take(2)
                    .map(|line| String::from_utf8_lossy(line).replace("/members[1],", ",") + "\n")
                    .collect::<String>()
                    .into_bytes(),
            ),
        ]),
        &m,
        &targets(),
        today(),
        NOW,
        &mut |_| panic!("a record went out before the refusal"),
    )
    .unwrap_err();
    assert_eq!(
        messages(&e),
        [
            "followups.csv, row 2, column PARENT_KEY: the mapping reads followups as nested in members, but in this export its rows belong to a submission (their PARENT_KEY): remove nested_in from the [[repeats]] entry of followups"
        ]
    );
    // The follow-ups before the members they are nested in.
    let mut parents = Parents::default();
    let e = RepeatRows::new(
        "followups.csv",
        &bytes("odk-central-household-followups.csv")[..],
        &m,
        "followups",
        &mut parents,
        &targets(),
        today(),
        NOW,
    )
    .err()
    .unwrap();
    assert_eq!(
        messages(&e),
        [
            "followups.csv: the rows of members, which followups is nested in, must be read before followups's"
        ]
    );
}

fn line_of(text: &str, needle: &str) -> usize {
    text[..text.find(needle).unwrap()].matches('\n').count() + 1
}

/// The `[[repeats]]` entries are checked against one another when the mapping is read, before
/// any file: a `nested_in` naming no group, the group itself or a circle of groups, two
/// entries of one group, a group without records that frames none: each refused naming the
/// mapping file, the entry and the line. A group that only frames others may have no records;
/// `{_parent_instance}` belongs to repeat rows.
#[test]
fn a_mapping_nesting_groups_it_cannot_resolve_is_refused_before_any_file_is_read() {
    let text = nested_mapping_text();
    let refused = |text: &str| Mapping::from_toml("m.toml", text).unwrap_err().to_string();
    let unknown = text.replace("nested_in = \"members\"", "nested_in = \"visits\"");
    assert_eq!(
        refused(&unknown),
        format!(
            "m.toml, row {}: mapping: repeats[1] (group followups): nested_in = \"visits\" names no [[repeats]] group of the mapping (it has: members, followups); a repeat of the submission itself has no nested_in",
            line_of(&unknown, "nested_in")
        )
    );
    let itself = text.replace("nested_in = \"members\"", "nested_in = \"followups\"");
    assert_eq!(
        refused(&itself),
        format!(
            "m.toml, row {}: mapping: repeats[1] (group followups): nested_in names the group itself",
            line_of(&itself, "nested_in")
        )
    );
    let circle = text.replace(
        "group = \"members\"\n",
        "group = \"members\"\nnested_in = \"followups\"\n",
    );
    assert_eq!(
        refused(&circle),
        format!(
            "m.toml, row {}: mapping: repeats[0] (group members): its groups are nested in one another in a circle (members → followups → members); the chain of nested_in must end at a repeat of the submission",
            line_of(&circle, "nested_in")
        )
    );
    let twice = format!(
        "{text}\n[[repeats]]\ngroup = \"members\"\n[[repeats.records]]\nkind = \"client\"\n"
    );
    assert_eq!(
        refused(&twice),
        "m.toml: mapping: repeats[2] (group members): repeats[0] reads this group already; give each group one [[repeats]] entry"
    );
    let empty = format!("{text}\n[[repeats]]\ngroup = \"phones\"\nnested_in = \"members\"\n");
    assert_eq!(
        refused(&empty),
        "m.toml: mapping: repeats[2] (group phones): no [[repeats.records]], and no group is nested in it"
    );
    // A group read only as the frame of the group nested in it: accepted, and its rows carry
    // no records of their own.
    let (members_entry, followups_entry) = text
        .split_once("[[repeats]]\ngroup = \"followups\"")
        .unwrap();
    let (preamble, _) = members_entry.split_once("[[repeats]]").unwrap();
    let frame = format!(
        "{preamble}[[repeats]]\ngroup = \"members\"\nparent_columns = [\"facility\"]\n\n[[repeats]]\ngroup = \"followups\"{}",
        followups_entry.replace("member/{_parent_instance}", "client/{_parent_instance}")
    );
    let m = Mapping::from_toml("frame.toml", &frame).unwrap();
    let read = read_nested(&m, &NESTED_FILES);
    let members: Vec<_> = read[1]
        .1
        .iter()
        .filter_map(|u| u.outcome.as_ref().ok())
        .collect();
    assert_eq!(members.len(), 3);
    assert!(members.iter().all(|records| records.is_empty()));
    // The members' formula cell refuses no member row here (no record reads it): only the
    // follow-up of a member the export does not have is refused.
    let followups: Vec<_> = read[2].1.iter().filter(|u| u.outcome.is_ok()).collect();
    assert_eq!(followups.len(), 4);
    // `{_parent_instance}` on the submissions' own records: refused with the record.
    let main_records = format!(
        "{text}\n[[records]]\nkind = \"client\"\nkey = \"x/{{_parent_instance}}\"\n[records.fields]\nprogramme_id = {{ programme = \"ke-pmplus\" }}\n"
    );
    let m = Mapping::from_toml("m.toml", &main_records).unwrap();
    let e = Rows::new(
        "household.csv",
        &bytes("odk-central-household.csv")[..],
        &m,
        &targets(),
        today(),
        NOW,
    )
    .err()
    .unwrap();
    assert_eq!(
        messages(&e),
        [
            "household.csv, row 1: mapping: records[0].key uses {_parent_instance}, which only the records of a [[repeats]] group have (the instance key of the submission or row their row belongs to)"
        ]
    );
}

/// Any depth: three repeats nested in one another as Central's own test of nested repeats
/// writes them (central-backend `test/unit/data/briefcase.js`, "briefcase replicated test:
/// nested-repeats": `g1`, `g2` in `g1`, `g3` in `g2`, each `PARENT_KEY` the enclosing row's
/// `KEY`), the mapping listing the innermost first and the outer two only as frames: each `g3`
/// row reaches its submission through two rows, a `g3` row of a `g2` row the export does not
/// have is refused, and the records are the same on a second reading.
#[test]
fn repeats_nested_three_deep_reach_their_submission() {
    let text = r#"
source = "odk"
dataset = "nested-repeats"

[[repeats]]
group = "g3"
nested_in = "g2"
[[repeats.records]]
kind = "assessment"
[repeats.records.fields]
client_id = { record = "row/{_parent_instance}" }
instrument = { value = "phq2" }
occasion = { value = "screening" }
administered_on = { value = "2018-02-01" }
[repeats.records.responses]
"1" = "t3"

[[repeats]]
group = "g2"
nested_in = "g1"

[[repeats]]
group = "g1"
"#;
    let m = Mapping::from_toml("deep.toml", text).unwrap();
    let order: Vec<&str> = m
        .repeats_in_order()
        .iter()
        .map(|r| r.group.as_str())
        .collect();
    assert_eq!(order, ["g1", "g2", "g3"]);
    let id = "uuid:0a1b861f-a5fd-4f49-846a-78dcf06cfc1b";
    let main = format!("SubmissionDate,meta-instanceID,KEY\n2018-02-01T11:35:19.178Z,{id},{id}\n");
    let g1 =
        format!("t1,PARENT_KEY,KEY\nx,{id},{id}/g1[1]\nx,{id},{id}/g1[2]\nx,{id},{id}/g1[3]\n");
    let g2 = format!(
        "t2,PARENT_KEY,KEY\nx,{id}/g1[1],{id}/g1[1]/g2[1]\nx,{id}/g1[1],{id}/g1[1]/g2[2]\nx,{id}/g1[2],{id}/g1[2]/g2[1]\nx,{id}/g1[3],{id}/g1[3]/g2[1]\n"
    );
    let g3 = format!(
        "t3,PARENT_KEY,KEY\n1,{id}/g1[1]/g2[1],{id}/g1[1]/g2[1]/g3[1]\n2,{id}/g1[3]/g2[1],{id}/g1[3]/g2[1]/g3[1]\n3,{id}/g1[3]/g2[1],{id}/g1[3]/g2[1]/g3[2]\n0,{id}/g1[2]/g2[7],{id}/g1[2]/g2[7]/g3[1]\n"
    );
    let read = || {
        let mut tables = MemCsvs(vec![
            (String::new(), "deep.csv".into(), main.clone().into_bytes()),
            ("g3".into(), "deep-g3.csv".into(), g3.clone().into_bytes()),
            ("g1".into(), "deep-g1.csv".into(), g1.clone().into_bytes()),
            ("g2".into(), "deep-g2.csv".into(), g2.clone().into_bytes()),
        ]);
        let mut units = Vec::new();
        read_export(&mut tables, &m, &targets(), today(), NOW, &mut |u| {
            units.push(u);
            true
        })
        .unwrap();
        units
    };
    let units = read();
    // One submission, three g1 rows, four g2 rows, four g3 rows.
    assert_eq!(units.len(), 1 + 3 + 4 + 4);
    let g3_units = &units[8..];
    let records: Vec<_> = g3_units[..3]
        .iter()
        .map(|u| u.outcome.as_ref().unwrap()[0].clone())
        .collect();
    assert!(
        records
            .iter()
            .all(|r| r.device_time == "2018-02-01T11:35:19.178Z")
    );
    assert_eq!(
        records[2].id,
        record_uuid(
            "odk:nested-repeats",
            &format!("{id}/g1[3]/g2[1]/g3[2]#assessment#0")
        )
    );
    assert_eq!(
        records[2].data["client_id"],
        record_uuid("odk:nested-repeats", &format!("row/{id}/g1[3]/g2[1]")).to_string()
    );
    assert_eq!(
        messages(g3_units[3].outcome.as_ref().unwrap_err()),
        [
            "deep-g3.csv, row 5, column PARENT_KEY: no row of g2 (the repeat group g3 is nested in) has this key (a row of another export, or of a row of g2 refused whole)"
        ]
    );
    assert_eq!(read(), units);
}
