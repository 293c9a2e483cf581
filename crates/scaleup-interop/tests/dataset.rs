//! Analysis datasets on a hand-built programme: rows, design variables, de-identification,
//! k-anonymity, formula-injection escaping and the loader scripts.

mod common;

use common::*;
use scaleup_domain::record::Sex;
use scaleup_interop::dataset::{self, DatasetError, DatasetOptions, Unit};
use scaleup_interop::deid::{DeidKey, Deidentification};
use scaleup_interop::scripts;

fn key() -> DeidKey {
    DeidKey::new([3; 32])
}

fn build(people: &[Person], options: &DatasetOptions) -> Result<dataset::Dataset, DatasetError> {
    dataset::build(&source(people), options, &key())
}

fn column<'a>(d: &'a dataset::Dataset, name: &str) -> Vec<Option<&'a str>> {
    let i = d
        .variables
        .iter()
        .position(|v| v.name == name)
        .unwrap_or_else(|| panic!("{name}"));
    d.rows.iter().map(|r| r[i].as_deref()).collect()
}

#[test]
fn one_row_per_unit_with_design_variables_and_outcomes() {
    let people = twelve();
    let d = build(&people, &DatasetOptions::default()).unwrap();
    assert_eq!(d.rows.len(), 12);
    assert_eq!(d.clients, 12);
    assert_eq!(d.name, "sw-trial_episodes");
    let names: Vec<&str> = d.variables.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "client_id",
            "episode_id",
            "hub",
            "district",
            "cluster",
            "site_arm",
            "arm",
            "period",
            "exposed",
            "sex",
            "age_band",
            "enrolled_on",
            "closed_on",
            "closure_reason",
            "sessions_attended",
            "sessions_missed",
            "baseline_score",
            "baseline_on",
            "followup_score",
            "followup_on",
            "days_to_followup"
        ]
    );
    assert!(
        column(&d, "baseline_score")
            .iter()
            .all(|s| *s == Some("16"))
    );
    assert!(column(&d, "followup_score").iter().all(|s| *s == Some("8")));
    assert!(
        column(&d, "days_to_followup")
            .iter()
            .all(|s| *s == Some("90"))
    );
    assert!(
        column(&d, "sessions_attended")
            .iter()
            .all(|s| *s == Some("2"))
    );
    assert!(
        column(&d, "sessions_missed")
            .iter()
            .all(|s| *s == Some("1"))
    );
    assert!(column(&d, "district").iter().all(|s| *s == Some("north")));
    // Enrolled on 10 January, period 0 of a design starting 1 January; facility B crosses over
    // at period 0, A at period 1.
    assert!(column(&d, "period").iter().all(|s| *s == Some("0")));
    let exposed: Vec<_> = column(&d, "exposed");
    assert!(exposed.contains(&Some("1")) && exposed.contains(&Some("0")));
    // Cluster labels are recoded when facilities are coarsened.
    let clusters: std::collections::BTreeSet<_> = column(&d, "cluster").into_iter().collect();
    assert_eq!(clusters, [Some("cluster_01"), Some("cluster_02")].into());

    let a = build(
        &people,
        &DatasetOptions {
            unit: Unit::Assessment,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(a.rows.len(), 24);
    let s = build(
        &people,
        &DatasetOptions {
            unit: Unit::Session,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(s.rows.len(), 36);
    assert_eq!(s.name, "sw-trial_sessions");
}

#[test]
fn dates_are_shifted_per_client_stably_and_intervals_kept() {
    let people = twelve();
    let shifted = build(&people, &DatasetOptions::default()).unwrap();
    let again = build(&people, &DatasetOptions::default()).unwrap();
    assert_eq!(shifted.rows, again.rows, "the same key gives the same file");
    let truth = build(
        &people,
        &DatasetOptions {
            deid: Deidentification {
                shift_dates: false,
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .unwrap();
    assert!(
        column(&truth, "enrolled_on")
            .iter()
            .all(|s| *s == Some("2026-01-10"))
    );
    let mut offsets = std::collections::BTreeSet::new();
    for (s, t) in column(&shifted, "enrolled_on")
        .iter()
        .zip(column(&truth, "enrolled_on"))
    {
        let off = d(t.unwrap()).days_until(d(s.unwrap()));
        assert!(off != 0 && off.abs() <= 182, "{off}");
        offsets.insert(off);
    }
    assert!(
        offsets.len() > 6,
        "clients move by different offsets: {offsets:?}"
    );
    // Within a client the offset is the same: follow-up minus baseline stays 90 days.
    for (b, f) in column(&shifted, "baseline_on")
        .iter()
        .zip(column(&shifted, "followup_on"))
    {
        assert_eq!(d(b.unwrap()).days_until(d(f.unwrap())), 90);
    }
    // Another key, other dates and pseudonyms.
    let other = dataset::build(
        &source(&people),
        &DatasetOptions::default(),
        &DeidKey::new([4; 32]),
    )
    .unwrap();
    assert_ne!(
        column(&other, "enrolled_on"),
        column(&shifted, "enrolled_on")
    );
    assert_ne!(column(&other, "client_id"), column(&shifted, "client_id"));
}

#[test]
fn k_anonymity_refuses_a_rare_combination_and_names_it() {
    let mut people = twelve();
    people.push(person(40, Sex::Female, 1950));
    let err = build(&people, &DatasetOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "k-anonymity: only 1 client(s) share sex=female, age_band=55+, district=north; at least 5 are required (coarsen a variable, drop it from the export, or lower k knowingly)"
    );
    // Checking fewer quasi-identifiers, or a lower k, is the caller's explicit choice.
    let fewer = DatasetOptions {
        deid: Deidentification {
            quasi_identifiers: Some(vec!["sex".into()]),
            ..Default::default()
        },
        ..Default::default()
    };
    assert_eq!(build(&people, &fewer).unwrap().rows.len(), 13);
    let unknown = DatasetOptions {
        deid: Deidentification {
            quasi_identifiers: Some(vec!["facility".into()]),
            ..Default::default()
        },
        ..Default::default()
    };
    assert!(matches!(
        build(&people, &unknown),
        Err(DatasetError::UnknownVariable { .. })
    ));
    // Exact ages and facilities are quasi-identifiers too when kept.
    let exact = DatasetOptions {
        deid: Deidentification {
            age_bands: false,
            coarsen_facility: false,
            ..Default::default()
        },
        ..Default::default()
    };
    let err = build(&twelve(), &exact).unwrap_err().to_string();
    assert!(
        err.contains("sex=female, age=31, district=north, facility=fac-"),
        "{err}"
    );
}

#[test]
fn cells_that_start_like_formulas_are_escaped_in_the_csv() {
    let mut people = twelve();
    for p in &mut people {
        // The widest a code can go: `-` is a code character and a formula start.
        p.arm = "-1";
    }
    let d = build(&people, &DatasetOptions::default()).unwrap();
    let csv = scripts::data_csv(&d);
    assert!(csv.contains(",'-1,"), "{csv}");
    assert!(!csv.contains(",-1,"));
    // Numbers are not text: a number column is never prefixed.
    assert!(!csv.contains("'1"));
}

#[test]
fn dictionary_and_scripts_describe_every_variable() {
    let d = build(&twelve(), &DatasetOptions::default()).unwrap();
    let files = scripts::files(&d);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "sw-trial_episodes.csv",
            "sw-trial_episodes_dictionary.csv",
            "sw-trial_episodes_dictionary.json",
            "sw-trial_episodes.R",
            "sw-trial_episodes.do",
            "sw-trial_episodes_README.txt"
        ]
    );
    let dict = scripts::dictionary_json(&d);
    assert_eq!(
        dict["variables"].as_array().unwrap().len(),
        d.variables.len()
    );
    let sex = dict["variables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["variable"] == "sex")
        .unwrap();
    assert_eq!(sex["type"], "code");
    assert_eq!(sex["codes"][0]["code"], "female");
    let dict_csv = scripts::dictionary_csv(&d);
    assert!(dict_csv.starts_with("variable,label,type,units,codes\n"));
    assert!(
        dict_csv
            .contains("sex,Sex,code,,female=Female | male=Male | other=Other | unknown=Unknown\n"),
        "{dict_csv}"
    );
    let r = scripts::r_script(&d);
    let stata = scripts::stata_do(&d);
    for v in &d.variables {
        assert!(
            r.contains(&format!("attr(sw-trial_episodes${}, \"label\")", v.name))
                || r.contains(&format!("${}, \"label\")", v.name)),
            "{}",
            v.name
        );
        assert!(
            stata.contains(&format!("label variable {} ", v.name)),
            "{}",
            v.name
        );
        assert!(v.name.len() <= 32, "Stata names are at most 32 characters");
    }
    assert!(r.contains("as.Date("));
    assert!(stata.contains("import delimited using \"sw-trial_episodes.csv\""));
    // R names may not hold `-`; Stata's stringcols takes column numbers.
    assert!(
        r.contains("sw_trial_episodes <- read.csv(\"sw-trial_episodes.csv\""),
        "{r}"
    );
    assert!(
        stata.contains(" stringcols(1 2 3 4 5 6 7 10 11 12 13 14 18 20)"),
        "{stata}"
    );
}
