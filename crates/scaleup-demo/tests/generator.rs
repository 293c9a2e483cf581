//! Generator tests: determinism, validity of every record, plausible rates, the stepped-wedge
//! trial (balanced, and its true effect recoverable from the generated data), and the present:
//! a working day for every counsellor and supervisor, nothing dated on or after `today`.

use scaleup_demo::params::{self, SW_PERIOD_DAYS, SW_PERIODS, SW_SEQUENCES, SW_TRUE_EFFECT};
use scaleup_demo::{ClientStream, Day, DemoConfig, DemoRecord, Directory, Plan, Present};
use scaleup_domain::catalog::Catalog;
use scaleup_domain::date::Date;
use scaleup_domain::instrument::Responses;
use scaleup_domain::protocol::{Due, SessionFact};
use scaleup_domain::record::{ClosureReason, Occasion, RecordPayload, parse_payload};
use scaleup_domain::role::Role;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// The day the tests open the demo (a Monday).
fn today() -> Date {
    Date::from_ymd(2026, 6, 15).unwrap()
}

fn plan(clients: u64, seed: u64) -> Plan {
    plan_on(clients, seed, today())
}

fn plan_on(clients: u64, seed: u64, today: Date) -> Plan {
    Plan::new(&DemoConfig {
        clients,
        seed,
        today,
    })
    .unwrap()
}

fn all_records(plan: &Plan, batch: u64) -> Vec<DemoRecord> {
    let dir = Directory::synthetic(plan);
    let present = Present::survey(plan).unwrap();
    let mut stream = ClientStream::new(plan, &dir, batch, &present).unwrap();
    let mut out: Vec<DemoRecord> = stream.by_ref().flatten().collect();
    out.extend(stream.staff_records());
    out
}

fn phq9_total(p: &RecordPayload) -> Option<f64> {
    match p {
        RecordPayload::Assessment(a) if a.instrument == "phq9" => {
            Some((1..=9).map(|i| a.responses[&i.to_string()].unwrap()).sum())
        }
        _ => None,
    }
}

#[test]
fn same_seed_same_plan_and_records_different_seed_differs() {
    let a = plan(500, 7);
    let b = plan(500, 7);
    assert_eq!(a, b);
    let dir = Directory::synthetic(&a);
    let present = Present::survey(&a).unwrap();
    assert_eq!(present, Present::survey(&b).unwrap());
    let first_a = ClientStream::new(&a, &dir, 100, &present)
        .unwrap()
        .next()
        .unwrap();
    let first_b = ClientStream::new(&b, &dir, 100, &present)
        .unwrap()
        .next()
        .unwrap();
    assert_eq!(first_a, first_b);
    assert!(!first_a.is_empty());

    let c = plan(500, 8);
    assert_ne!(a, c);
    let dir_c = Directory::synthetic(&c);
    let present_c = Present::survey(&c).unwrap();
    let first_c = ClientStream::new(&c, &dir_c, 100, &present_c)
        .unwrap()
        .next()
        .unwrap();
    assert_ne!(first_a, first_c);
    // Passwords come from the seed too.
    assert_ne!(a.accounts[0].password, c.accounts[0].password);
}

#[test]
fn output_does_not_depend_on_batch_size() {
    let p = plan(300, 11);
    assert_eq!(all_records(&p, 7), all_records(&p, 1000));
}

#[test]
fn every_record_is_valid_and_accounts_cover_every_role() {
    let p = plan(400, 5);
    let records = all_records(&p, 200);
    let mut ids = BTreeSet::new();
    for r in &records {
        assert!(ids.insert(r.id), "duplicate record id");
        let parsed = parse_payload(r.payload.kind(), &r.payload.to_json()).unwrap();
        assert_eq!(parsed, r.payload);
        if let RecordPayload::ClientIdentity(i) = &r.payload {
            assert!(i.phone.as_deref().unwrap().starts_with("+000 555 "));
        }
        if r.payload.kind().is_client_level() {
            assert_eq!(r.client_id, r.payload.client_id(r.id));
        }
    }
    for role in Role::ALL {
        assert!(
            p.accounts.iter().any(|a| a.listed && a.role == role),
            "no listed {role:?}"
        );
    }
    for a in &p.accounts {
        assert!(a.password.len() >= 12);
        if a.role == Role::Counsellor {
            let s = a.supervisor.expect("every counsellor has a supervisor");
            assert_eq!(p.accounts[s].role, Role::Supervisor);
            assert_eq!(p.accounts[s].hub, a.hub);
        }
    }
    let facilities = p.facility_count();
    assert!((20..=60).contains(&facilities), "{facilities} facilities");
}

/// Rates over 2,000 clients, each within a plausible range (ranges from the parameters in
/// `params.rs`, widened for sampling error at this size).
#[test]
fn rates_are_plausible() {
    let p = plan(2000, 2);
    let records = all_records(&p, 500);
    let mut by_hub: BTreeMap<usize, [f64; 4]> = BTreeMap::new(); // screened, eligible, offered, accepted
    let mut episodes = 0.0;
    let mut dropped = 0.0;
    let mut closed_treated = 0.0;
    let mut attended: BTreeMap<uuid::Uuid, f64> = BTreeMap::new();
    let mut screens = 0.0;
    let mut item9 = 0.0;
    for r in &records {
        match &r.payload {
            RecordPayload::Eligibility(e) => {
                let c = by_hub.entry(r.hub).or_default();
                c[0] += 1.0;
                c[1] += f64::from(u8::from(e.eligible));
                c[2] += f64::from(u8::from(e.offered));
                c[3] += f64::from(u8::from(e.accepted == Some(true)));
            }
            RecordPayload::Episode(e) => {
                episodes += 1.0;
                if e.arm.as_deref() != Some("control") {
                    attended.entry(r.id).or_default();
                    if let Some(reason) = e.closure_reason {
                        closed_treated += 1.0;
                        dropped += f64::from(u8::from(reason == ClosureReason::DroppedOut));
                    }
                }
            }
            RecordPayload::Session(s) if s.attended => {
                *attended.entry(s.episode_id).or_default() += 1.0;
            }
            RecordPayload::Assessment(a)
                if a.instrument == "phq9" && a.occasion == Occasion::Screening =>
            {
                screens += 1.0;
                item9 += f64::from(u8::from(a.responses["9"].unwrap() > 0.0));
            }
            _ => {}
        }
    }
    // Screen-positive (eligible) fractions: HAP PHQ-9 > 14, FB SSQ-14 >= 9, PM+ PHQ-9 > 9 and WHODAS > 16.
    let expected = [(0.03, 0.16), (0.12, 0.35), (0.22, 0.48)];
    for (h, c) in &by_hub {
        let eligible = c[1] / c[0];
        let (lo, hi) = expected[*h];
        assert!(
            (lo..=hi).contains(&eligible),
            "hub {h}: eligible {eligible}"
        );
        let uptake = c[3] / c[2];
        assert!((0.65..=0.97).contains(&uptake), "hub {h}: uptake {uptake}");
    }
    assert!(episodes > 100.0, "{episodes} episodes");
    let dropout = dropped / closed_treated;
    assert!((0.15..=0.45).contains(&dropout), "dropout {dropout}");
    let mean_sessions = attended.values().sum::<f64>() / attended.len() as f64;
    assert!(
        (3.0..=6.5).contains(&mean_sessions),
        "mean sessions attended {mean_sessions}"
    );
    let item9_rate = item9 / screens;
    eprintln!(
        "eligible/uptake by hub {by_hub:?}; dropout {dropout:.3}; mean sessions {mean_sessions:.2}; item 9 at screening {item9_rate:.3}"
    );
    assert!(
        (0.01..=0.08).contains(&item9_rate),
        "PHQ-9 item 9 positive at screening {item9_rate}"
    );
}

#[test]
fn stepped_wedge_is_balanced_and_documented() {
    for clients in [3000, 200_000] {
        let p = plan(clients, 4);
        let ke = &p.hubs[2];
        let design = &ke.programme.design;
        assert_eq!(design["type"], "stepped_wedge");
        assert_eq!(design["true_effect"], SW_TRUE_EFFECT);
        assert_eq!(design["periods"], SW_PERIODS);
        assert_eq!(design["period_days"], SW_PERIOD_DAYS);
        assert!(design["icc"].as_f64().unwrap() > 0.0);
        let mut per_seq: BTreeMap<i64, usize> = BTreeMap::new();
        for s in &ke.programme.sites {
            *per_seq.entry(s.crossover_period.unwrap()).or_default() += 1;
            assert!(s.cluster.is_some() && s.arm.is_some());
        }
        assert_eq!(per_seq.len(), SW_SEQUENCES);
        assert_eq!(
            per_seq.keys().copied().collect::<Vec<_>>(),
            vec![1, 2, 3, 4]
        );
        let counts: BTreeSet<usize> = per_seq.values().copied().collect();
        assert_eq!(counts.len(), 1, "unequal sequences: {per_seq:?}");
    }
}

/// Solves `A x = b` by Gaussian elimination with partial pivoting (small dense systems).
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
    let n = b.len();
    for col in 0..n {
        let piv = (col..n)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap();
        a.swap(col, piv);
        b.swap(col, piv);
        let pivot = a[col].clone();
        for row in col + 1..n {
            let f = a[row][col] / pivot[col];
            for (v, p) in a[row].iter_mut().zip(&pivot).skip(col) {
                *v -= f * p;
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    x
}

/// The Kenya trial's effect, estimated by OLS of the PHQ-9 change (baseline to follow-up) on
/// facility and period fixed effects and treatment, is the documented true effect.
///
/// The trial's five periods end a few days before `today`, so the last period (all facilities
/// in the intervention condition) has no follow-up yet and the estimate rests on periods 0–3.
/// Tolerance 0.6 PHQ-9 points. With 80,000 clients (about 4,000 follow-ups in 12 clusters, with
/// counsellor effects on the treatment), seeds 9 and 1–8 and 10 gave −2.71, −3.39, −2.74,
/// −2.65, −2.92, −2.75, −2.73, −2.86, −2.89 and −2.90 (mean −2.85, SD 0.21 between seeds; SW_SEED
/// picks another seed). The PHQ-9 floor at 0 attenuates the observed effect by about 0.15
/// (normal model: E[max(Y, 0)] − E[Y] is about 0.20 at the intervention arm's follow-up mean of
/// 7, SD 5.1, and 0.05 at the control arm's 10), which is the mean's distance from −3.
#[test]
fn stepped_wedge_true_effect_is_recovered() {
    let seed = std::env::var("SW_SEED").map_or(9, |s| s.parse().unwrap());
    let p = plan(80_000, seed);
    let dir = Directory::synthetic(&p);
    let ke = &p.hubs[2];
    let mut stream = ClientStream::new(&p, &dir, 1000, &Present::default()).unwrap();
    let facility_index: BTreeMap<uuid::Uuid, usize> = ke
        .facilities
        .iter()
        .enumerate()
        .map(|(i, f)| (dir.org_units[2][f.org_unit], i))
        .collect();
    // (facility, period, treated, change)
    let mut rows: Vec<(usize, usize, f64, f64)> = Vec::new();
    for k in ke.first_client..ke.first_client + ke.clients {
        let recs = stream.client_records(k);
        let Some((ep_rec, ep)) = recs.iter().find_map(|r| match &r.payload {
            RecordPayload::Episode(e) => Some((r, e)),
            _ => None,
        }) else {
            continue;
        };
        let find = |occ: Occasion| {
            recs.iter().find_map(|r| match &r.payload {
                RecordPayload::Assessment(a) if a.occasion == occ => phq9_total(&r.payload),
                _ => None,
            })
        };
        let (Some(base), Some(fu)) = (find(Occasion::Baseline), find(Occasion::FollowUp)) else {
            continue;
        };
        let period = (ke.window.0.days_until(ep.enrolled_on) / SW_PERIOD_DAYS) as usize;
        let treated = f64::from(u8::from(ep.arm.as_deref() == Some("intervention")));
        let f = facility_index[&ep_rec.facility_id.unwrap()];
        rows.push((f, period.min(SW_PERIODS - 1), treated, fu - base));
    }
    assert!(rows.len() > 3000, "{} analysable clients", rows.len());
    // Design: facility dummies (all), period dummies 1..T-1, treatment. The last period's
    // follow-ups are not due by `today`, so only the periods with outcomes get a column.
    let nf = ke.facilities.len();
    let last = rows.iter().map(|r| r.1).max().unwrap();
    let k = nf + last + 1;
    let mut xtx = vec![vec![0.0; k]; k];
    let mut xty = vec![0.0; k];
    for &(f, j, t, y) in &rows {
        let mut x = vec![0.0; k];
        x[f] = 1.0;
        if j > 0 {
            x[nf + j - 1] = 1.0;
        }
        x[k - 1] = t;
        for a in 0..k {
            xty[a] += x[a] * y;
            for b in 0..k {
                xtx[a][b] += x[a] * x[b];
            }
        }
    }
    let beta = solve(xtx, xty);
    let theta = beta[k - 1];
    eprintln!(
        "stepped wedge: {} clients analysed, estimated effect {theta:.3}",
        rows.len()
    );
    assert!(
        (theta - SW_TRUE_EFFECT).abs() < 0.6,
        "estimated {theta}, true {SW_TRUE_EFFECT}"
    );
}

/// Every `YYYY-MM-DD` string anywhere in a JSON value.
fn dates_in(v: &serde_json::Value, out: &mut Vec<Date>) {
    match v {
        serde_json::Value::String(s) => {
            if let Ok(d) = Date::parse(s, "date") {
                out.push(d);
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| dates_in(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| dates_in(x, out)),
        _ => {}
    }
}

/// Nothing is dated on or after `today`: not when it was recorded, not any date in its body.
#[test]
fn no_record_is_dated_today_or_later() {
    let p = plan(3000, 3);
    let records = all_records(&p, 1000);
    let mut dates = Vec::new();
    for r in &records {
        assert!(r.recorded_on < p.today, "recorded on {}", r.recorded_on);
        dates.clear();
        dates_in(&r.payload.to_json(), &mut dates);
        assert!(
            dates.iter().all(|d| *d < p.today),
            "{} dated {dates:?}",
            r.payload.kind().as_str()
        );
    }
    // Registration runs up to a few days before today, in every hub.
    for hub in &p.hubs {
        assert_eq!(
            hub.window.1,
            p.today.add_days(-params::REGISTRATION_LAG_DAYS)
        );
    }
}

/// Moving `today` moves every record by the same number of days and changes nothing else: the
/// generator is a function of (seed, clients, today), and a demo built on any day looks alike.
#[test]
fn moving_today_shifts_every_date() {
    let a = all_records(&plan_on(400, 6, today()), 100);
    let b = all_records(&plan_on(400, 6, today().add_days(200)), 100);
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.id, y.id);
        assert_eq!(x.payload.kind(), y.payload.kind());
        assert_eq!(x.recorded_on.add_days(200), y.recorded_on);
        assert_eq!(x.alert_review, y.alert_review);
    }
    // The same day twice: the same records.
    assert_eq!(a, all_records(&plan_on(400, 6, today()), 100));
}

/// What the records say about each counsellor's day (account index → day), computed here
/// from the records with the catalogue's scorer, independently of `Present`; and per counsellor
/// the risk alerts that were acknowledged and those older than `OPEN_ALERT_DAYS` left open.
fn working_days(plan: &Plan, records: &[DemoRecord]) -> BTreeMap<usize, (Day, u32, u32)> {
    let catalog = Catalog::builtin();
    let dir = Directory::synthetic(plan);
    let account: BTreeMap<uuid::Uuid, usize> = dir
        .accounts
        .iter()
        .enumerate()
        .map(|(i, id)| (*id, i))
        .collect();
    // Per episode: (counsellor, hub, enrolled, closed, sessions).
    type Episode = (usize, usize, Date, bool, Vec<SessionFact>);
    let mut episodes: BTreeMap<uuid::Uuid, Episode> = BTreeMap::new();
    let mut days: BTreeMap<usize, (Day, u32, u32)> = plan
        .accounts
        .iter()
        .enumerate()
        .filter(|(_, a)| a.role == Role::Counsellor)
        .map(|(i, _)| (i, Default::default()))
        .collect();
    for r in records {
        let Some(c) = r.counsellor_id.and_then(|c| account.get(&c).copied()) else {
            continue;
        };
        match &r.payload {
            RecordPayload::Episode(e) => {
                episodes.insert(
                    r.id,
                    (c, r.hub, e.enrolled_on, e.closed_on.is_some(), Vec::new()),
                );
            }
            RecordPayload::Session(s) => {
                let ep = episodes.get_mut(&s.episode_id).expect("episode first");
                ep.4.push(SessionFact {
                    number: s.number,
                    on: s.on,
                    attended: s.attended,
                });
            }
            RecordPayload::Assessment(a) => {
                let mut responses = Responses::new();
                for (k, v) in &a.responses {
                    responses.insert(k.clone(), v.map(|x| x as i32));
                }
                let score = catalog
                    .instrument(&a.instrument)
                    .unwrap()
                    .score(&responses)
                    .unwrap();
                if score.risk_flags.is_empty() {
                    continue;
                }
                let (day, reviewed, held) = days.get_mut(&c).unwrap();
                match r.alert_review {
                    Some(review) => {
                        *reviewed += 1;
                        assert!(review.after_minutes <= 30 * 60);
                    }
                    // Screened and referred clients have no episode, so no caseload shows them.
                    None if a.episode_id.is_none() => {}
                    None => {
                        day.open_alerts += 1;
                        *held += u32::from(
                            r.recorded_on < plan.today.add_days(-params::OPEN_ALERT_DAYS),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    // The next session as the Today list shows it (`Protocol::next_session`).
    for (c, hub, enrolled, closed, sessions) in episodes.into_values() {
        if closed {
            continue;
        }
        let protocol = catalog
            .protocol(&plan.hubs[hub].programme.protocol_code)
            .unwrap();
        let day = &mut days.get_mut(&c).unwrap().0;
        day.active += 1;
        day.missed_sessions += u32::from(sessions.iter().any(|s| !s.attended));
        match protocol
            .next_session(enrolled, &sessions, plan.today)
            .status
        {
            Due::Today => day.due_today += 1,
            Due::Overdue { .. } => day.overdue += 1,
            Due::Missed => day.missed += 1,
            Due::Upcoming | Due::Done => {}
        }
    }
    days
}

/// A demo of the default size opened on `today` is a working day, as the counsellor's Today list
/// counts it. Every counsellor has clients in care. Every supervisor's counsellors have clients
/// due today, overdue and past the missed-session limit, and an open risk alert on a client in
/// care; an alert older than `OPEN_ALERT_DAYS` is open only when none is more recent. The
/// counsellor printed for each hub has a client due today, one late, an open alert and one with
/// a missed session. Old alerts were acknowledged. The survey agrees with the records.
#[test]
fn the_default_demo_is_a_working_day() {
    let mut p = plan(10_000, 1);
    let present = Present::survey(&p).unwrap();
    p.list(present.showcase());
    let records = all_records(&p, 1000);
    let days = working_days(&p, &records);
    let mut table = String::new();
    let mut failures = Vec::new();
    for (i, a) in p.accounts.iter().enumerate() {
        let line = |d: &Day| {
            format!(
                "active {:>3}  due today {:>2}  overdue {:>2}  missed {:>2}  with a missed session {:>2}  open alerts {}",
                d.active, d.due_today, d.overdue, d.missed, d.missed_sessions, d.open_alerts
            )
        };
        match a.role {
            Role::Counsellor => {
                let (d, reviewed, _) = &days[&i];
                let listed = if a.listed { " (listed)" } else { "" };
                writeln!(
                    table,
                    "  {:<8} {}  reviewed {reviewed}{listed}",
                    a.username,
                    line(d)
                )
                .unwrap();
                if present.day(i) != Some(d) {
                    failures.push(format!(
                        "{}: the survey counts {:?}",
                        a.username,
                        present.day(i)
                    ));
                }
                if d.active == 0 {
                    failures.push(format!("{} has no client in care", a.username));
                }
                let late = d.overdue + d.missed;
                if a.listed && [d.due_today, late, d.open_alerts, d.missed_sessions].contains(&0) {
                    failures.push(format!("{}, printed, has a thin day", a.username));
                }
            }
            Role::Supervisor => {
                let team: Vec<&(Day, u32, u32)> = p
                    .accounts
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.supervisor == Some(i))
                    .map(|(c, _)| &days[&c])
                    .collect();
                let mut sum = Day::default();
                let mut held = 0;
                for (d, _, h) in &team {
                    sum.active += d.active;
                    sum.due_today += d.due_today;
                    sum.overdue += d.overdue;
                    sum.missed += d.missed;
                    sum.missed_sessions += d.missed_sessions;
                    sum.open_alerts += d.open_alerts;
                    held += h;
                }
                writeln!(
                    table,
                    "{:<10} {} counsellors: {} (held {held})",
                    a.username,
                    team.len(),
                    line(&sum)
                )
                .unwrap();
                for (what, n) in [
                    ("due today", sum.due_today),
                    ("overdue", sum.overdue),
                    ("missed", sum.missed),
                    ("in care with an open alert", sum.open_alerts),
                ] {
                    if n == 0 {
                        failures.push(format!("{}: no client {what}", a.username));
                    }
                }
                if held > 2 || (held > 0 && sum.open_alerts == held && held > 1) {
                    failures.push(format!("{}: old alerts held open needlessly", a.username));
                }
            }
            _ => {}
        }
    }
    eprintln!("{table}");
    assert!(failures.is_empty(), "{failures:#?}");
    let open: u32 = days.values().map(|d| d.0.open_alerts).sum();
    let reviewed: u32 = days.values().map(|d| d.1).sum();
    assert!(reviewed > 20 * open, "{open} open, {reviewed} reviewed");
}
