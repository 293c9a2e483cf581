//! NIMH Data Archive files on a hand-built programme: the two-line headers, MM/DD/YYYY dates,
//! ages in months, GUIDs from the hub's map, and the report of what NDA would reject.

mod common;

use common::*;
use scaleup_domain::record::Sex;
use scaleup_interop::deid::DeidKey;
use scaleup_interop::nda::{self, NdaOptions};
use std::collections::BTreeMap;

fn key() -> DeidKey {
    DeidKey::new([6; 32])
}

fn guids(people: &[Person]) -> BTreeMap<String, String> {
    people
        .iter()
        .map(|p| (id(1000 + p.n).to_string(), format!("NDAR_INV{:08}", p.n)))
        .collect()
}

fn file<'a>(out: &'a nda::NdaExport, name: &str) -> Vec<&'a str> {
    out.files
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("{name}"))
        .1
        .lines()
        .collect()
}

#[test]
fn files_have_ndas_two_line_header_dates_and_ages_in_months() {
    let people = twelve();
    let out = nda::export(
        &source(&people),
        &guids(&people),
        &key(),
        &NdaOptions::default(),
    );
    let subjects = file(&out, "ndar_subject01.csv");
    assert_eq!(subjects[0], "ndar_subject,01");
    assert_eq!(
        subjects[1],
        "subjectkey,src_subject_id,interview_date,interview_age,sex"
    );
    assert_eq!(subjects.len(), 2 + 12);
    // Client 0: a woman born in 1995 (1 July assumed), registered on 5 January 2026.
    let first = subjects
        .iter()
        .find(|l| l.starts_with("NDAR_INV00000000,"))
        .unwrap();
    let cells: Vec<&str> = first.split(',').collect();
    assert_eq!(cells[1], key().pseudonym("C", "client", id(1000)));
    assert_eq!(cells[2], "01/05/2026");
    assert_eq!(cells[3], (30 * 12 + 6).to_string());
    assert_eq!(cells[4], "F");
    let phq = file(&out, "cde_phq901.csv");
    assert_eq!(phq[0], "cde_phq9,01");
    assert_eq!(
        phq[1],
        "subjectkey,src_subject_id,interview_date,interview_age,sex,phq9_1,phq9_2,phq9_3,phq9_4,phq9_5,phq9_6,phq9_7,phq9_8,phq9_9,phq9_total"
    );
    assert_eq!(phq.len(), 2 + 24);
    assert!(
        phq[2..]
            .iter()
            .all(|l| l.ends_with(",16") || l.ends_with(",8"))
    );
    assert_eq!(out.rows["cde_phq901"], 24);
    assert!(
        out.findings.iter().all(|f| !f.rejected),
        "{:?}",
        out.findings
    );
    let report = file(&out, "validation_report.txt").join("\n");
    assert!(
        report.contains("Left out because NDA would reject them (0)"),
        "{report}"
    );
    assert!(report.contains("unverified_elements"));
}

#[test]
fn the_report_names_what_nda_would_reject() {
    let mut people = twelve();
    people.push(person(20, Sex::Female, 1900)); // 126 years old: out of range
    people.push(person(21, Sex::Unknown, 1990)); // sex missing
    people.push(person(22, Sex::Male, 1990)); // no GUID
    people.push(person(23, Sex::Male, 1990)); // a malformed GUID
    let mut map = guids(&people);
    map.remove(&id(1022).to_string());
    map.insert(id(1023).to_string(), "not a guid!".into());
    let out = nda::export(&source(&people), &map, &key(), &NdaOptions::default());
    let rejected: BTreeMap<(String, String), String> = out
        .findings
        .iter()
        .filter(|f| f.rejected)
        .map(|f| {
            (
                (f.file.clone(), f.subject.clone().unwrap()),
                f.rule.to_string(),
            )
        })
        .collect();
    let src = |n: u128| key().pseudonym("C", "client", id(1000 + n));
    assert_eq!(
        rejected[&("ndar_subject01".into(), src(20))],
        "age_out_of_range"
    );
    assert_eq!(
        rejected[&("cde_phq901".into(), src(20))],
        "age_out_of_range"
    );
    assert_eq!(
        rejected[&("ndar_subject01".into(), src(21))],
        "missing_required"
    );
    assert_eq!(rejected[&("*".into(), src(22))], "missing_guid");
    assert_eq!(rejected[&("*".into(), src(23))], "malformed_guid");
    // Rejected rows are left out; the others are all there.
    assert_eq!(out.rows["ndar_subject01"], 12);
    assert_eq!(out.rows["cde_phq901"], 24);
    let report = file(&out, "validation_report.txt").join("\n");
    assert!(report.contains("missing_guid: 1"), "{report}");
    assert!(report.contains("age_out_of_range: 3"), "{report}");
    // The report names subjects by pseudonym, never by database id.
    assert!(!report.contains(&id(1022).to_string()));
}

#[test]
fn shifted_dates_keep_ages_and_the_map_may_use_pseudonyms() {
    let people = twelve();
    // A map keyed by the export pseudonyms works as well as one keyed by scaleup ids.
    let map: BTreeMap<String, String> = people
        .iter()
        .map(|p| {
            (
                key().pseudonym("C", "client", id(1000 + p.n)),
                format!("NDAR_INV{:08}", p.n),
            )
        })
        .collect();
    let plain = nda::export(&source(&people), &map, &key(), &NdaOptions::default());
    let shifted = nda::export(
        &source(&people),
        &map,
        &key(),
        &NdaOptions { shift_dates: true },
    );
    let a = file(&plain, "ndar_subject01.csv");
    let b = file(&shifted, "ndar_subject01.csv");
    assert_eq!(a.len(), 14);
    let mut moved = 0;
    for (x, y) in a.iter().zip(&b).skip(2) {
        let (x, y): (Vec<&str>, Vec<&str>) = (x.split(',').collect(), y.split(',').collect());
        assert_eq!(x[0], y[0]);
        assert_eq!(x[3], y[3], "ages are from the true dates");
        if x[2] != y[2] {
            moved += 1;
        }
    }
    assert_eq!(moved, 12);
}

#[test]
fn guid_maps_are_read_by_header_and_refused_by_line() {
    let map = nda::parse_guid_map(
        "\u{feff}site,subjectkey,client_id\nA,NDAR_INV1,c1\n\nB,NDAR_INV2,c2\n",
    )
    .unwrap();
    assert_eq!(map["c1"], "NDAR_INV1");
    assert_eq!(map.len(), 2);
    assert_eq!(
        nda::parse_guid_map("client,guid\nc1,g1\n").unwrap_err(),
        "line 1: the header must name the columns client_id and subjectkey"
    );
    assert_eq!(
        nda::parse_guid_map("client_id,subjectkey\nc1,g1\nc1,g2\n").unwrap_err(),
        "line 3: a client listed twice"
    );
    assert_eq!(
        nda::parse_guid_map("client_id,subjectkey\nc1\n").unwrap_err(),
        "line 2: too few columns"
    );
}
