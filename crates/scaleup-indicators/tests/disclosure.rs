//! Disclosure control against the attacks of issue 8: differencing overlapping periods
//! (single days included) and subtracting cells from margins.
//!
//! The test is indistinguishability: two datasets that differ in a small cell (3 against 4
//! people screened, women, February) and in its complements, with every margin the same. If
//! every document a viewer can ask for (each cut, each period of whole months, single days)
//! is identical for both, no combination of answers can tell 3 from 4. Plain small-cell
//! suppression fails the same test, and exact figures obviously do.

use scaleup_domain::date::Date;
use scaleup_indicators::measure::Tally;
use scaleup_indicators::request::{CellKey, Inputs, MeasureCells, ProgrammeData, ProgrammeInfo};
use scaleup_indicators::{
    Computed, Dimension, Disclosure, Period, QueryText, Request, canonical_cuts, compute, disclose,
    disclose_controlled, snap_period,
};
use serde_json::Value;

/// People screened per (month, sex).
type Data = Vec<(&'static str, &'static str, i64)>;

/// Counts per (measure, month, sex).
type Measures = Vec<(&'static str, &'static str, &'static str, i64)>;

fn screened(data: &Data) -> Measures {
    data.iter()
        .map(|(m, s, n)| ("screened", *m, *s, *n))
        .collect()
}

fn dataset_a() -> Data {
    vec![
        ("2026-01", "female", 10),
        ("2026-01", "male", 12),
        ("2026-02", "female", 3),
        ("2026-02", "male", 9),
        ("2026-03", "female", 8),
        ("2026-03", "male", 6),
        ("2026-04", "female", 12),
        ("2026-04", "male", 11),
    ]
}

/// A with February's women 4 instead of 3: February's men, March's women and men moved so
/// that every month's and every sex's total is unchanged.
fn dataset_b() -> Data {
    vec![
        ("2026-01", "female", 10),
        ("2026-01", "male", 12),
        ("2026-02", "female", 4),
        ("2026-02", "male", 8),
        ("2026-03", "female", 7),
        ("2026-03", "male", 7),
        ("2026-04", "female", 12),
        ("2026-04", "male", 11),
    ]
}

fn today() -> Date {
    Date::parse("2026-06-30", "today").unwrap()
}

fn request(by: &str, from: Option<&str>, to: Option<&str>) -> Request {
    request_of("screened", by, from, to)
}

fn request_of(codes: &str, by: &str, from: Option<&str>, to: Option<&str>) -> Request {
    QueryText {
        programme: Some("p".into()),
        by: Some(by.into()),
        from: from.map(str::to_string),
        to: to.map(str::to_string),
        indicator: Some(codes.into()),
        ..Default::default()
    }
    .parse(today())
    .unwrap()
}

/// What storage would read for `request` (the period filters the cells, as its SQL does).
fn computed(data: &Data, request: &Request) -> Computed {
    computed_of(&screened(data), request)
}

fn computed_of(data: &Measures, request: &Request) -> Computed {
    let mut cells = MeasureCells::default();
    let p = request.period;
    for (measure, month, sex, n) in data {
        let first = Date::parse(&format!("{month}-15"), "d").unwrap();
        if p.from.is_some_and(|f| first < f) || p.to.is_some_and(|t| first > t) {
            continue;
        }
        let key = CellKey {
            month: Some(month.to_string()),
            sex: Some(sex.to_string()),
            ..Default::default()
        };
        cells.add(measure, key, Tally { n: *n, sum: 0.0 });
    }
    let programme = ProgrammeInfo {
        id: "p".into(),
        code: "p".into(),
        name: "P".into(),
        hub_id: "h".into(),
        hub_code: "h".into(),
        hub_name: "H".into(),
        protocol: "x".into(),
        primary_instrument: None,
        default_remission_below: None,
        sites: vec![],
    };
    let inputs = Inputs {
        programmes: vec![ProgrammeData {
            programme,
            baseline_spread: (0, 0.0, 0.0),
            cells,
            activity: vec![],
            alerts: vec![],
        }],
        ..Default::default()
    };
    compute(request, &inputs).unwrap()
}

/// The document a viewer gets (what `Store::indicator_table` does, over in-memory cells).
fn controlled(data: &Data, request: &Request) -> Value {
    controlled_of(&screened(data), request)
}

fn controlled_of(data: &Measures, request: &Request) -> Value {
    let mut snapped = request.clone();
    snapped.period = snap_period(request.period);
    let canonical: Vec<Computed> = canonical_cuts(&request.by)
        .into_iter()
        .map(|cuts| {
            let mut r = snapped.clone();
            r.by = cuts;
            r.period = Period::default();
            computed_of(data, &r)
        })
        .collect();
    scaleup_indicators::render::json(&disclose_controlled(
        computed_of(data, &snapped),
        &canonical,
        5,
    ))
}

fn plain(data: &Data, request: &Request) -> Value {
    scaleup_indicators::render::json(&disclose(
        computed(data, request),
        Disclosure::SuppressBelow { k: 5 },
    ))
}

/// Every query a viewer might combine: each cut, all time, every period of whole months
/// within January-April, and single days and half months (the attack of issue 8).
fn queries() -> Vec<Request> {
    let months = ["2026-01", "2026-02", "2026-03", "2026-04"];
    let mut periods: Vec<(Option<String>, Option<String>)> = vec![(None, None)];
    for (i, a) in months.iter().enumerate() {
        for b in &months[i..] {
            let end = Date::parse(&format!("{b}-01"), "d")
                .unwrap()
                .last_of_month();
            periods.push((Some(format!("{a}-01")), Some(end.to_string())));
        }
        periods.push((Some(format!("{a}-01")), None));
        periods.push((None, Some(format!("{a}-15"))));
    }
    for day in [
        "2026-02-01",
        "2026-02-14",
        "2026-02-15",
        "2026-02-28",
        "2026-03-01",
    ] {
        periods.push((Some(day.into()), Some(day.into())));
        periods.push((Some("2026-01-10".into()), Some(day.into())));
        periods.push((Some(day.into()), Some("2026-04-20".into())));
    }
    let mut out = Vec::new();
    for by in [
        "",
        "month",
        "quarter",
        "sex",
        "sex,month",
        "month,sex",
        "sex,quarter",
    ] {
        for (from, to) in &periods {
            out.push(request(by, from.as_deref(), to.as_deref()));
        }
    }
    out
}

#[test]
fn no_query_tells_a_hidden_cell_from_its_alternative() {
    let (a, b) = (dataset_a(), dataset_b());
    let mut published = 0;
    for q in queries() {
        let (da, db) = (controlled(&a, &q), controlled(&b, &q));
        assert_eq!(da, db, "{:?} {:?}", q.by, q.period);
        for r in da["indicators"].as_array().unwrap() {
            if let Some(x) = r["numerator"].as_f64() {
                assert!(x == 0.0 || x >= 5.0, "{r}");
                published += 1;
            }
        }
    }
    // Not everything is withheld: the totals, the months, each sex and the periods whose
    // figures follow from them are shown.
    assert!(published > 100, "{published}");
}

#[test]
fn periods_snap_to_whole_months_and_say_so() {
    let q = request("", Some("2026-02-14"), Some("2026-02-14"));
    let doc = controlled(&dataset_a(), &q);
    assert_eq!(doc["period"]["from"], "2026-02-01");
    assert_eq!(doc["period"]["to"], "2026-02-28");
    // February's total (12) follows from the monthly table and is shown.
    assert_eq!(doc["indicators"][0]["numerator"], 12);
}

#[test]
fn margin_subtraction_and_period_differencing_recover_the_cell_without_control() {
    let (a, b) = (dataset_a(), dataset_b());
    // Plain small-cell suppression: February's women are withheld, but February's total minus
    // February's men gives them back.
    let by_both = request("month,sex", None, None);
    let doc = plain(&a, &by_both);
    let cell = |doc: &Value, month: &str, sex: &str| {
        doc["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["by"]["month"]["key"] == month && r["by"]["sex"]["key"] == sex)
            .unwrap()["numerator"]
            .as_f64()
    };
    assert_eq!(cell(&doc, "2026-02", "female"), None);
    let men = cell(&doc, "2026-02", "male").unwrap();
    let total = plain(&a, &request("month", None, None))["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["by"]["month"]["key"] == "2026-02")
        .unwrap()["numerator"]
        .as_f64()
        .unwrap();
    assert_eq!(total - men, 3.0);
    // Overlapping single-day periods (issue 8): women screened from 1 January to 28 February
    // minus those to 31 January.
    let women = |doc: &Value| {
        doc["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["by"]["sex"]["key"] == "female")
            .unwrap()["numerator"]
            .as_f64()
    };
    let long = women(&plain(
        &a,
        &request("sex", Some("2026-01-01"), Some("2026-02-28")),
    ));
    let short = women(&plain(
        &a,
        &request("sex", Some("2026-01-01"), Some("2026-01-31")),
    ));
    assert_eq!(long.unwrap() - short.unwrap(), 3.0);
    // So plain suppression tells the datasets apart; controlled disclosure withholds one of
    // the two periods (the longer one contains February but not March, a complement).
    assert_ne!(plain(&a, &by_both), plain(&b, &by_both));
    let controlled_long = controlled(&a, &request("sex", Some("2026-01-01"), Some("2026-02-28")));
    assert_eq!(women(&controlled_long), None);
}

#[test]
fn canonical_cuts_are_every_margin_with_and_without_month() {
    // Sex: out or in (2); facility: out, or facility, district, region, country (5); month:
    // out or in (2).
    let cuts = canonical_cuts(&[Dimension::Sex, Dimension::Quarter, Dimension::Facility]);
    assert_eq!(cuts.len(), 20);
    assert_eq!(cuts[0], Vec::<Dimension>::new());
    assert!(cuts.contains(&vec![Dimension::Sex, Dimension::Facility, Dimension::Month]));
    assert!(cuts.contains(&vec![Dimension::Sex, Dimension::District]));
    assert!(!cuts.iter().flatten().any(|d| *d == Dimension::Quarter));
    // Coarser tables come first: a district table is protected before the facility table.
    let at = |c: &[Dimension]| cuts.iter().position(|x| x == c).unwrap();
    assert!(at(&[Dimension::District]) < at(&[Dimension::Facility]));
}

/// A facility's count hidden in the facility table must not come back as its district's
/// total (another request) minus the district's other facilities.
#[test]
fn a_district_minus_its_other_facilities_gives_nothing_back() {
    use scaleup_domain::org::OrgLevel;
    use scaleup_indicators::request::OrgUnit;
    let unit = |id: &str, parent: Option<&str>, level: OrgLevel| OrgUnit {
        id: id.into(),
        hub_id: "h".into(),
        parent_id: parent.map(str::to_string),
        level,
        code: id.to_uppercase(),
        name: id.to_uppercase(),
        catchment_population: None,
        prevalence: None,
        prevalence_source: None,
    };
    let units = vec![
        unit("c", None, OrgLevel::Country),
        unit("d1", Some("c"), OrgLevel::District),
        unit("d2", Some("c"), OrgLevel::District),
        unit("f1", Some("d1"), OrgLevel::Facility),
        unit("f2", Some("d1"), OrgLevel::Facility),
        unit("f3", Some("d2"), OrgLevel::Facility),
        unit("f4", Some("d2"), OrgLevel::Facility),
    ];
    // District 1: 3 + 9; district 2: 10 + 8. The alternative moves one person within district 1.
    let run = |counts: [i64; 4], by: &str| -> Value {
        let computed = |r: &Request| {
            let mut cells = MeasureCells::default();
            for (f, n) in ["f1", "f2", "f3", "f4"].iter().zip(counts) {
                let key = CellKey {
                    facility: Some(f.to_string()),
                    month: Some("2026-01".into()),
                    ..Default::default()
                };
                cells.add("screened", key, Tally { n, sum: 0.0 });
            }
            let programme = ProgrammeInfo {
                id: "p".into(),
                code: "p".into(),
                name: "P".into(),
                hub_id: "h".into(),
                hub_code: "h".into(),
                hub_name: "H".into(),
                protocol: "x".into(),
                primary_instrument: None,
                default_remission_below: None,
                sites: vec![],
            };
            let inputs = Inputs {
                programmes: vec![ProgrammeData {
                    programme,
                    baseline_spread: (0, 0.0, 0.0),
                    cells,
                    activity: vec![],
                    alerts: vec![],
                }],
                org_units: units.clone(),
                ..Default::default()
            };
            compute(r, &inputs).unwrap()
        };
        let q = request(by, None, None);
        let canonical: Vec<Computed> = canonical_cuts(&q.by)
            .into_iter()
            .map(|cuts| {
                let mut r = q.clone();
                r.by = cuts;
                computed(&r)
            })
            .collect();
        scaleup_indicators::render::json(&disclose_controlled(computed(&q), &canonical, 5))
    };
    for by in [
        "",
        "facility",
        "district",
        "country",
        "facility,month",
        "district,month",
    ] {
        assert_eq!(run([3, 9, 10, 8], by), run([4, 8, 10, 8], by), "{by}");
    }
    // District totals are shown; in district 1 both facilities are withheld.
    let doc = run([3, 9, 10, 8], "district");
    assert_eq!(doc["indicators"][0]["numerator"], 12);
    let doc = run([3, 9, 10, 8], "facility");
    let shown: Vec<&Value> = doc["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| !r["suppressed"].as_bool().unwrap())
        .map(|r| &r["by"]["facility"]["key"])
        .collect();
    assert_eq!(shown, ["F3", "F4"]);
}

/// Eligible = participants + non-participants: a cell withheld in one of them is withheld in
/// all three, or eligible minus participants would give the non-participants back.
#[test]
fn parts_of_a_total_are_withheld_together() {
    let data = |non_f: i64, non_m: i64| -> Measures {
        vec![
            ("eligible", "2026-01", "female", 10),
            ("eligible", "2026-01", "male", 12),
            ("eligible_participants", "2026-01", "female", 10 - non_f),
            ("eligible_participants", "2026-01", "male", 12 - non_m),
            ("eligible_non_participants", "2026-01", "female", non_f),
            ("eligible_non_participants", "2026-01", "male", non_m),
        ]
    };
    let (a, b) = (data(2, 3), data(3, 2));
    let codes = "eligible,eligible_non_participants,reach_conservative";
    for by in ["", "sex", "month", "sex,month"] {
        for (from, to) in [(None, None), (Some("2026-01-01"), Some("2026-01-31"))] {
            let q = request_of(codes, by, from, to);
            assert_eq!(
                controlled_of(&a, &q),
                controlled_of(&b, &q),
                "{by} {from:?}"
            );
        }
    }
    // The totals are still shown.
    let doc = controlled_of(&a, &request_of(codes, "", None, None));
    assert_eq!(doc["indicators"][0]["numerator"], 22);
}
