//! Hand-computed indicators: a handful of people whose facts are written out below, every
//! fact-table measure evaluated in memory (the reference the SQL must match), the engine's
//! computation, and the expected numerator, denominator and value of each indicator worked out
//! by hand in the comments.

use scaleup_domain::date::Date;
use scaleup_domain::org::OrgLevel;
use scaleup_indicators::catalogue::{INDICATORS, measures_of};
use scaleup_indicators::facts::{ClientFacts, EpisodeFacts, FactRow};
use scaleup_indicators::measure::Table;
use scaleup_indicators::request::{
    Activity, AlertFact, CellKey, Counsellor, Inputs, MeasureCells, OrgUnit, ProgrammeData,
    ProgrammeInfo, Site,
};
use scaleup_indicators::{Disclosure, QueryText, compute, disclose, resolve_params};

fn d(text: &str) -> Option<Date> {
    Some(Date::parse(text, "date").unwrap())
}

fn client(id: &str) -> ClientFacts {
    ClientFacts {
        client_id: id.into(),
        hub_id: "h".into(),
        programme_id: Some("p".into()),
        sex: "female".into(),
        age_band: "25-34".into(),
        registered_on: d("2026-01-01"),
        ..Default::default()
    }
}

fn episode(id: &str, client: &str) -> EpisodeFacts {
    EpisodeFacts {
        episode_id: id.into(),
        client_id: client.into(),
        hub_id: "h".into(),
        programme_id: Some("p".into()),
        sex: "female".into(),
        age_band: "25-34".into(),
        enrolled_on: d("2026-01-05"),
        outcome_instrument: Some("phq9".into()),
        ..Default::default()
    }
}

/// Clients:
/// - c1 screened, eligible, accepted, enrolled, in contact; AIM 4.
/// - c2 screened, eligible, declined (stigma).
/// - c3 screened, not eligible.
/// - c4 screened, eligible, accepted, enrolled, in contact; AIM 3.
/// - c5 not screened, eligible, never offered.
/// - c6 not screened, no eligibility record, enrolled (two episodes), never in contact.
///
/// Episodes (PHQ-9 earliest baseline → latest endpoint):
/// - e1 (c1) completed, 20 → 8: response (8 ≤ 10), no remission, change −12.
/// - e2 (c4) dropped out, 15 → 9: no response (9 > 7.5), no remission, change −6.
/// - e3 (c6) open, 10 → 4: response, remission (4 < 5), change −6.
/// - e4 (c6) referred, no PHQ-9.
fn people() -> (Vec<ClientFacts>, Vec<EpisodeFacts>) {
    let mut c1 = client("c1");
    (c1.screened_on, c1.eligible_on, c1.decision) =
        (d("2026-01-02"), d("2026-01-03"), Some("accepted".into()));
    (c1.enrolled_on, c1.contact_on, c1.aim, c1.aim_on) =
        (d("2026-01-05"), d("2026-01-05"), Some(4.0), d("2026-03-01"));
    let mut c2 = client("c2");
    (c2.screened_on, c2.eligible_on, c2.decision) =
        (d("2026-01-02"), d("2026-01-03"), Some("declined".into()));
    c2.decline_reason = Some("stigma".into());
    let mut c3 = client("c3");
    c3.screened_on = d("2026-01-02");
    let mut c4 = client("c4");
    (c4.screened_on, c4.eligible_on, c4.decision) =
        (d("2026-01-02"), d("2026-01-03"), Some("accepted".into()));
    (c4.enrolled_on, c4.contact_on, c4.aim, c4.aim_on) =
        (d("2026-01-10"), d("2026-01-12"), Some(3.0), d("2026-03-02"));
    let mut c5 = client("c5");
    c5.eligible_on = d("2026-01-04");
    let mut c6 = client("c6");
    c6.enrolled_on = d("2026-01-06");

    let pair = |e: &mut EpisodeFacts, base: f64, end: f64, end_on: &str| {
        (e.phq9_baseline, e.phq9_baseline_on) = (Some(base), d("2026-01-05"));
        (e.phq9_endpoint, e.phq9_endpoint_on) = (Some(end), d(end_on));
        (e.outcome_baseline, e.outcome_baseline_on) = (Some(base), d("2026-01-05"));
        (e.outcome_endpoint, e.outcome_endpoint_on) = (Some(end), d(end_on));
    };
    c4.alert_in_care = true;
    (c1.iam, c1.iam_on) = (Some(4.0), d("2026-03-01"));
    let mut e1 = episode("e1", "c1");
    (e1.closed_on, e1.closure_reason) = (d("2026-04-01"), Some("completed".into()));
    pair(&mut e1, 20.0, 8.0, "2026-03-30");
    (e1.contact_on, e1.last_contact_on) = (d("2026-01-05"), d("2026-03-30"));
    (e1.sessions_counted, e1.sessions_planned, e1.adequate) = (5, 5, true);
    (e1.components_planned, e1.components_delivered, e1.fidelity) = (10, 9, Some(0.9));
    (e1.followup_total, e1.followup_on) = (Some(6.0), d("2026-10-15"));
    let mut e2 = episode("e2", "c4");
    (e2.closed_on, e2.closure_reason) = (d("2026-04-02"), Some("dropped_out".into()));
    pair(&mut e2, 15.0, 9.0, "2026-03-31");
    (e2.contact_on, e2.last_contact_on) = (d("2026-01-12"), d("2026-03-31"));
    (e2.sessions_counted, e2.sessions_planned) = (2, 5);
    (e2.components_planned, e2.components_delivered, e2.fidelity) = (10, 6, Some(0.6));
    let mut e3 = episode("e3", "c6");
    pair(&mut e3, 10.0, 4.0, "2026-03-15");
    let mut e4 = episode("e4", "c6");
    (e4.closed_on, e4.closure_reason) = (d("2026-04-03"), Some("referred".into()));
    e4.sessions_planned = 5;
    (vec![c1, c2, c3, c4, c5, c6], vec![e1, e2, e3, e4])
}

/// A district (prevalence 5 %) with facilities f1 (catchment 1,000) and f2 (no catchment).
fn org_units() -> Vec<OrgUnit> {
    let unit = |id: &str, parent: Option<&str>, level, catchment, prevalence| OrgUnit {
        id: id.into(),
        hub_id: "h".into(),
        parent_id: parent.map(str::to_string),
        level,
        code: id.into(),
        name: id.into(),
        catchment_population: catchment,
        prevalence,
        prevalence_source: prevalence.map(|_| "survey".to_string()),
    };
    vec![
        unit("d", None, OrgLevel::District, None, Some(0.05)),
        unit("f1", Some("d"), OrgLevel::Facility, Some(1000), None),
        unit("f2", Some("d"), OrgLevel::Facility, None, None),
    ]
}

/// k1 trained, delivering (January and November), supervised 20 November, latest rating
/// [3, 3, 4]; k2 trained, not delivering, supervised in September, rated [2, 3, 3]; k3 untrained.
fn counsellors() -> Vec<Counsellor> {
    let c = |id: &str, trained: Option<&str>| Counsellor {
        id: id.into(),
        name: id.into(),
        hub_id: "h".into(),
        sites: vec!["f1".into()],
        trained_on: trained.and_then(d),
        ..Default::default()
    };
    let mut k1 = c("k1", Some("2025-12-01"));
    k1.ratings = vec![
        (d("2026-01-01").unwrap(), "r0".into(), vec![1, 2, 3]),
        (d("2026-02-01").unwrap(), "r1".into(), vec![3, 3, 4]),
    ];
    k1.supervised_on = vec![d("2026-11-20").unwrap()];
    let mut k2 = c("k2", Some("2025-12-01"));
    k2.ratings = vec![(d("2026-02-01").unwrap(), "r2".into(), vec![2, 3, 3])];
    k2.supervised_on = vec![d("2026-09-01").unwrap()];
    vec![k1, k2, c("k3", None)]
}

/// k1's attended sessions at f1: 5 January and 10 November.
fn activity() -> Vec<Activity> {
    let a = |month: &str, day: u8| Activity {
        facility_id: Some("f1".into()),
        counsellor_id: Some("k1".into()),
        month: d(month).unwrap(),
        days: 1 << (day - 1),
        sessions: 1,
    };
    vec![a("2026-01-01", 5), a("2026-11-01", 10)]
}

/// Acknowledged after 2 h (in time), 10 h (late), 4 h (in time); one open, not yet due.
fn alerts() -> Vec<AlertFact> {
    let a = |on: &str, hours: Option<f64>, within: Option<bool>| AlertFact {
        facility_id: Some("f1".into()),
        counsellor_id: Some("k1".into()),
        sex: Some("female".into()),
        age_band: Some("25-34".into()),
        arm: None,
        raised_on: d(on).unwrap(),
        response_hours: hours,
        within_limit: within,
    };
    vec![
        a("2026-02-01", Some(2.0), Some(true)),
        a("2026-02-05", Some(10.0), Some(false)),
        a("2026-03-01", Some(4.0), Some(true)),
        a("2026-11-30", None, None),
    ]
}

/// `(numerator, denominator, value)` of every indicator for the people above, all time.
/// An indicator's code with its numerator, denominator and value.
type Figures<C> = (C, Option<f64>, Option<f64>, Option<f64>);

fn computed() -> Vec<Figures<String>> {
    let (clients, episodes) = people();
    let programme = ProgrammeInfo {
        id: "p".into(),
        code: "p".into(),
        name: "P".into(),
        hub_id: "h".into(),
        hub_code: "h".into(),
        hub_name: "H".into(),
        protocol: "pm_plus_individual".into(),
        primary_instrument: Some("phq9".into()),
        default_remission_below: Some(10.0),
        sites: vec![
            Site {
                facility_id: "f1".into(),
                arm: None,
                support_ended_on: d("2026-03-01"),
            },
            Site {
                facility_id: "f2".into(),
                arm: None,
                support_ended_on: None,
            },
        ],
    };
    let request = QueryText {
        programme: Some("p".into()),
        ..Default::default()
    }
    .parse(Date::parse("2026-12-01", "today").unwrap())
    .unwrap();
    let baselines: Vec<f64> = episodes.iter().filter_map(|e| e.outcome_baseline).collect();
    let spread = (
        baselines.len() as i64,
        baselines.iter().sum(),
        baselines.iter().map(|x| x * x).sum(),
    );
    let params = resolve_params(&programme, spread, &request);
    let mut cells = MeasureCells::default();
    for def in INDICATORS {
        for m in measures_of(def) {
            if cells.0.contains_key(&(m.id, CellKey::default())) {
                continue;
            }
            let rows: Vec<&dyn FactRow> = match m.table {
                Table::Clients => clients.iter().map(|c| c as &dyn FactRow).collect(),
                Table::Episodes => episodes.iter().map(|e| e as &dyn FactRow).collect(),
            };
            cells.add(m.id, CellKey::default(), m.eval(rows, &params, None, None));
        }
    }
    let inputs = Inputs {
        programmes: vec![ProgrammeData {
            programme,
            baseline_spread: spread,
            cells,
            activity: activity(),
            alerts: alerts(),
        }],
        org_units: org_units(),
        counsellors: counsellors(),
    };
    let table = disclose(compute(&request, &inputs).unwrap(), Disclosure::Exact);
    table
        .rows()
        .iter()
        .map(|r| (r.def.code.to_string(), r.numerator, r.denominator, r.value))
        .collect()
}

fn check(expected: &[Figures<&str>]) {
    let got = computed();
    for (code, num, den, value) in expected {
        let (_, n, dd, v) = got
            .iter()
            .find(|(c, ..)| c == code)
            .unwrap_or_else(|| panic!("no indicator {code}"));
        assert_eq!((n, dd), (num, den), "{code}: numerator and denominator");
        match (v, value) {
            (Some(a), Some(b)) => assert!((a - b).abs() < 1e-12, "{code}: {a} ≠ {b}"),
            (a, b) => assert_eq!(a, b, "{code}: value"),
        }
    }
}

#[test]
fn reach_indicators_count_people() {
    check(&[
        // Six client records.
        ("registered", Some(6.0), None, Some(6.0)),
        // c1-c4 have a screening date; c5 and c6 do not.
        ("screened", Some(4.0), None, Some(4.0)),
        // c1, c2, c4, c5.
        ("eligible", Some(4.0), None, Some(4.0)),
        // Offered among eligible: c1, c2 (declined), c4; not c5.
        ("offered", Some(3.0), Some(4.0), Some(0.75)),
        // c1, c4, c6 (once, though two episodes).
        ("enrolled", Some(3.0), None, Some(3.0)),
        // Contract: enrolled ÷ eligible, counted independently (c6 counts above the line only).
        ("reach", Some(3.0), Some(4.0), Some(0.75)),
        // Offered and in contact (c1, c4) ÷ offered (c1, c2, c4).
        ("reach_participation", Some(2.0), Some(3.0), Some(2.0 / 3.0)),
        // Eligible and in contact (c1, c4) ÷ eligible (4).
        ("reach_conservative", Some(2.0), Some(4.0), Some(0.5)),
        // Eligible, never in contact: c2, c5.
        ("eligible_non_participants", Some(2.0), None, Some(2.0)),
        // Declined (c2) ÷ offered (3); its reason is stigma.
        ("declined", Some(1.0), Some(3.0), Some(1.0 / 3.0)),
        ("decline_reason_stigma", Some(1.0), Some(1.0), Some(1.0)),
        ("decline_reason_cost", Some(0.0), Some(1.0), Some(0.0)),
        ("decline_reason_no_time", Some(0.0), Some(1.0), Some(0.0)),
        ("decline_reason_distance", Some(0.0), Some(1.0), Some(0.0)),
        (
            "decline_reason_family_objection",
            Some(0.0),
            Some(1.0),
            Some(0.0),
        ),
        ("decline_reason_not_needed", Some(0.0), Some(1.0), Some(0.0)),
        (
            "decline_reason_prefers_other_care",
            Some(0.0),
            Some(1.0),
            Some(0.0),
        ),
        ("decline_reason_other", Some(0.0), Some(1.0), Some(0.0)),
    ]);
}

#[test]
fn effectiveness_indicators_use_the_pairs() {
    check(&[
        // Closed: e1 (completed), e2 (dropped out), e4 (referred).
        ("completion", Some(1.0), Some(3.0), Some(1.0 / 3.0)),
        ("dropout", Some(1.0), Some(3.0), Some(1.0 / 3.0)),
        // Pairs e1, e2, e3; responders e1 (8 ≤ 10) and e3 (4 ≤ 5).
        ("phq9_response", Some(2.0), Some(3.0), Some(2.0 / 3.0)),
        // Below 5: e3 only.
        ("phq9_remission", Some(1.0), Some(3.0), Some(1.0 / 3.0)),
        // (−12 − 6 − 6) ÷ 3; value only.
        ("phq9_mean_change", None, None, Some(-8.0)),
        // The primary outcome is PHQ-9 here: the same pairs; remission below the default
        // cut-off 10: e1 (8), e2 (9) and e3 (4).
        ("outcome_response", Some(2.0), Some(3.0), Some(2.0 / 3.0)),
        ("outcome_remission", Some(3.0), Some(3.0), Some(1.0)),
        ("outcome_mean_change", None, None, Some(-8.0)),
    ]);
}

#[test]
fn proctor_means_are_over_respondents() {
    // AIM: c1 4, c4 3.
    check(&[("acceptability_aim", None, None, Some(3.5))]);
}

#[test]
fn implementation_maintenance_and_proctor_indicators() {
    // Baselines 20, 15, 10: SD 5; PHQ-9 reliability 0.89: minimum reliable change
    // 1.96 × √2 × 5 × √0.11 = 4.60. Changes −12, −6, −6 are all reliable improvements.
    let mrc = 1.96 * 2f64.sqrt() * 5.0 * 0.11f64.sqrt();
    assert!((mrc - 4.597).abs() < 1e-3);
    check(&[
        ("reliable_improvement", Some(3.0), Some(3.0), Some(1.0)),
        ("reliable_deterioration", Some(0.0), Some(3.0), Some(0.0)),
        // Enrolled with a risk alert in care: c4 of c1, c4, c6.
        ("adverse_events", Some(1.0), Some(3.0), Some(1.0 / 3.0)),
        // Components over episodes with a plan: (9 + 6) ÷ (10 + 10).
        ("fidelity", Some(15.0), Some(20.0), Some(0.75)),
        // Closed episodes e1, e2, e4: sessions (5 + 2 + 0) ÷ planned (5 + 5 + 5).
        ("dose", Some(7.0), Some(15.0), Some(7.0 / 15.0)),
        // Adequate among closed: e1.
        ("adequate_dose", Some(1.0), Some(3.0), Some(1.0 / 3.0)),
        // Sites f1 (delivering), f2 (not).
        ("adoption_facilities", Some(1.0), Some(2.0), Some(0.5)),
        // Trained k1 (delivering), k2 (not); k3 untrained is outside both.
        ("adoption_counsellors", Some(1.0), Some(2.0), Some(0.5)),
        ("penetration_providers", Some(1.0), Some(2.0), Some(0.5)),
        // Delivering in the 30 days to 1 December: k1, supervised on 20 November.
        ("supervision_coverage", Some(1.0), Some(1.0), Some(1.0)),
        // Latest ratings: k1 [3, 3, 4], k2 [2, 3, 3]: six competency levels.
        ("competency_level_1", Some(0.0), Some(6.0), Some(0.0)),
        ("competency_level_2", Some(1.0), Some(6.0), Some(1.0 / 6.0)),
        ("competency_level_3", Some(4.0), Some(6.0), Some(4.0 / 6.0)),
        ("competency_level_4", Some(1.0), Some(6.0), Some(1.0 / 6.0)),
        ("counsellors_competent", Some(1.0), Some(2.0), Some(0.5)),
        // Response hours 2, 4, 10: median 4, 90th percentile (nearest rank 3 of 3) 10; in time
        // 2 of the 3 due (the open one is not yet due).
        ("alert_response_median_hours", None, None, Some(4.0)),
        ("alert_response_p90_hours", None, None, Some(10.0)),
        (
            "alert_response_within_limit",
            Some(2.0),
            Some(3.0),
            Some(2.0 / 3.0),
        ),
        // f1's support ended 1 March; it delivered in November, after 30 August.
        ("maintenance_facilities", Some(1.0), Some(1.0), Some(1.0)),
        // Closed with a baseline and last contact by 2 June (182 days before 1 December): e1,
        // e2; followed up: e1 (6, at most half of 20: sustained).
        ("maintenance_followup", Some(1.0), Some(2.0), Some(0.5)),
        ("maintenance_response", Some(1.0), Some(1.0), Some(1.0)),
        // Eligible in contact (c1, c4) ÷ eligible (4).
        ("penetration_clients", Some(2.0), Some(4.0), Some(0.5)),
        ("appropriateness_iam", None, None, Some(4.0)),
        ("feasibility_fim", None, None, None),
    ]);
}

#[test]
fn the_cascade_is_over_the_population_in_need() {
    check(&[
        // f1: 1,000 × 5 % (the district's prevalence); f2 has no catchment (a diagnostic).
        ("need", Some(50.0), None, Some(50.0)),
        // In contact: c1, c4.
        ("coverage_contact", Some(2.0), Some(50.0), Some(0.04)),
        // Adequate dose: c1 (e1); quality (fidelity 0.9 ≥ 0.8): c1; outcome (20 → 8, a
        // response): c1.
        ("coverage_adequate_dose", Some(1.0), Some(50.0), Some(0.02)),
        ("coverage_quality", Some(1.0), Some(50.0), Some(0.02)),
        ("coverage_effective", Some(1.0), Some(50.0), Some(0.02)),
        // 1 − 2/50: need minus those in contact over need.
        ("treatment_gap", Some(48.0), Some(50.0), Some(0.96)),
    ]);
}

/// Every indicator in the catalogue has a hand-computed expectation above.
#[test]
fn every_indicator_is_checked_by_hand() {
    let source = include_str!("hand_computed.rs");
    for def in INDICATORS {
        assert!(
            source.contains(&format!("\"{}\",", def.code)),
            "{} has no hand-computed test",
            def.code
        );
    }
}
