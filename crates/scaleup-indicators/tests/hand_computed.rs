//! Hand-computed indicators: a handful of people whose facts are written out below, every
//! fact-table measure evaluated in memory (the reference the SQL must match), the engine's
//! computation, and the expected numerator, denominator and value of each indicator worked out
//! by hand in the comments.

use scaleup_domain::date::Date;
use scaleup_indicators::catalogue::{INDICATORS, measures_of};
use scaleup_indicators::facts::{ClientFacts, EpisodeFacts, FactRow};
use scaleup_indicators::measure::Table;
use scaleup_indicators::request::{CellKey, Inputs, MeasureCells, ProgrammeData, ProgrammeInfo};
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
    let mut e1 = episode("e1", "c1");
    (e1.closed_on, e1.closure_reason) = (d("2026-04-01"), Some("completed".into()));
    pair(&mut e1, 20.0, 8.0, "2026-03-30");
    let mut e2 = episode("e2", "c4");
    (e2.closed_on, e2.closure_reason) = (d("2026-04-02"), Some("dropped_out".into()));
    pair(&mut e2, 15.0, 9.0, "2026-03-31");
    let mut e3 = episode("e3", "c6");
    pair(&mut e3, 10.0, 4.0, "2026-03-15");
    let mut e4 = episode("e4", "c6");
    (e4.closed_on, e4.closure_reason) = (d("2026-04-03"), Some("referred".into()));
    (vec![c1, c2, c3, c4, c5, c6], vec![e1, e2, e3, e4])
}

/// `(numerator, denominator, value)` of every indicator for the people above, all time.
fn computed() -> Vec<(String, Option<f64>, Option<f64>, Option<f64>)> {
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
        sites: vec![],
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
            activity: vec![],
            alerts: vec![],
        }],
        ..Default::default()
    };
    let table = disclose(compute(&request, &inputs).unwrap(), Disclosure::Exact);
    table
        .rows()
        .iter()
        .map(|r| (r.def.code.to_string(), r.numerator, r.denominator, r.value))
        .collect()
}

fn check(expected: &[(&str, Option<f64>, Option<f64>, Option<f64>)]) {
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
