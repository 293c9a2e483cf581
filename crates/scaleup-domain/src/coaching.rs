//! The coaching view of one counsellor's work: what a supervisor looks at with the counsellor,
//! for coaching, not ranking (issue "Care app"). A pure summary of records already read.
//!
//! - Active clients: clients with an episode not closed.
//! - Sessions per week: attended sessions in each of the last `weeks` weeks (weeks end today).
//! - Protocol components delivered: of the components the protocol's session plan lists for
//!   each attended session, how many the counsellor recorded (fidelity, Proctor).
//! - Clients improving: of the active or recently closed clients with at least two scores on
//!   their protocol's primary outcome instrument, how many have fallen by half or more from the
//!   first (response, instruments.md section 6).
//! - Competency levels over time: each rating's level per competency, oldest first.

use crate::date::Date;
use crate::protocol::Protocol;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// One stored record, as the coaching view reads it.
pub struct Fact<'a> {
    pub kind: &'a str,
    pub client_id: Option<&'a str>,
    /// The record's date (`occurred_on`).
    pub on: Option<&'a str>,
    pub data: &'a Value,
    /// The stored total of an assessment.
    pub total: Option<f64>,
}

/// The summary the coaching page shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CoachingSummary {
    pub active_clients: usize,
    /// (first day of the week, attended sessions), oldest first.
    pub sessions_per_week: Vec<(Date, u32)>,
    pub components_delivered: u32,
    pub components_planned: u32,
    pub improving: u32,
    pub with_followup: u32,
    /// (rating date, competency → level), oldest first.
    pub ratings: Vec<(Date, BTreeMap<String, u8>)>,
}

/// Summarises `facts` (one counsellor's episodes, sessions, assessments and ratings).
/// `protocol_of` gives the protocol a programme follows.
pub fn summarise<'p>(
    facts: &[Fact<'_>],
    protocol_of: &dyn Fn(&str) -> Option<&'p Protocol>,
    today: Date,
    weeks: usize,
) -> CoachingSummary {
    let mut s = CoachingSummary::default();
    let date = |f: &Fact| f.on.and_then(|d| Date::parse(d, "on").ok());
    // Episodes: which programme each belongs to, and which clients are active.
    let mut client_programme: HashMap<&str, &str> = HashMap::new();
    let mut active = BTreeSet::new();
    let mut recent = BTreeSet::new();
    let window_start = today.add_days(-(7 * weeks as i64) + 1);
    for f in facts.iter().filter(|f| f.kind == "episode") {
        let (Some(client), Some(programme)) = (f.client_id, f.data["programme_id"].as_str()) else {
            continue;
        };
        client_programme.insert(client, programme);
        match f.data["closed_on"]
            .as_str()
            .and_then(|d| Date::parse(d, "closed_on").ok())
        {
            None => {
                active.insert(client);
                recent.insert(client);
            }
            Some(closed) if closed >= window_start => {
                recent.insert(client);
            }
            Some(_) => {}
        }
    }
    s.active_clients = active.len();
    // Sessions per week and fidelity.
    let mut weekly = vec![0u32; weeks];
    for f in facts.iter().filter(|f| f.kind == "session") {
        if f.data["attended"] != Value::Bool(true) {
            continue;
        }
        let Some(on) = date(f) else { continue };
        let age = on.days_until(today);
        if age < 0 || age >= 7 * weeks as i64 {
            continue;
        }
        weekly[weeks - 1 - (age / 7) as usize] += 1;
        let protocol = f
            .client_id
            .and_then(|c| client_programme.get(c))
            .and_then(|p| protocol_of(p));
        let number = f.data["number"].as_u64().unwrap_or(0) as u32;
        if let Some(plan) =
            protocol.and_then(|p| p.def().session_plan.iter().find(|s| s.session == number))
        {
            let delivered: BTreeSet<&str> = f.data["components"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            s.components_planned += plan.components.len() as u32;
            s.components_delivered += plan
                .components
                .iter()
                .filter(|c| delivered.contains(c.as_str()))
                .count() as u32;
        }
    }
    s.sessions_per_week = weekly
        .into_iter()
        .enumerate()
        .map(|(i, n)| (today.add_days(-7 * (weeks - 1 - i) as i64 - 6), n))
        .collect();
    // Improvement on the primary outcome, per client.
    let mut scores: BTreeMap<&str, Vec<(Date, f64)>> = BTreeMap::new();
    for f in facts.iter().filter(|f| f.kind == "assessment") {
        let (Some(client), Some(total), Some(on)) = (f.client_id, f.total, date(f)) else {
            continue;
        };
        if !recent.contains(client) {
            continue;
        }
        let outcome = client_programme
            .get(client)
            .and_then(|p| protocol_of(p))
            .and_then(|p| p.def().outcomes.first())
            .map(|o| o.instrument.as_str());
        if outcome.is_some() && f.data["instrument"].as_str() == outcome {
            scores.entry(client).or_default().push((on, total));
        }
    }
    for series in scores.values_mut() {
        series.sort_by_key(|(d, _)| *d);
        if series.len() >= 2 {
            s.with_followup += 1;
            let (first, last) = (series[0].1, series[series.len() - 1].1);
            if first > 0.0 && last <= first * 0.5 {
                s.improving += 1;
            }
        }
    }
    // Competency ratings.
    for f in facts.iter().filter(|f| f.kind == "competency_assessment") {
        let Some(on) = date(f) else { continue };
        let levels: BTreeMap<String, u8> = f.data["levels"]
            .as_object()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_u64().map(|l| (k.clone(), l as u8)))
                    .collect()
            })
            .unwrap_or_default();
        s.ratings.push((on, levels));
    }
    s.ratings.sort_by_key(|(d, _)| *d);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use serde_json::json;

    #[test]
    fn counts_active_clients_weekly_sessions_fidelity_and_response() {
        let catalog = Catalog::builtin();
        let hap = catalog.protocol("hap").unwrap();
        let today = Date::parse("2026-12-06", "t").unwrap();
        let ep = |closed: Option<&str>| {
            let mut d = json!({"programme_id": "p", "enrolled_on": "2026-10-01"});
            if let Some(c) = closed {
                d["closed_on"] = json!(c);
                d["closure_reason"] = json!("completed");
            }
            d
        };
        let (e1, e2, e3) = (ep(None), ep(Some("2026-11-30")), ep(Some("2025-01-01")));
        // HAP session 1 plans engagement + activity_monitoring: one of two delivered.
        let s1 = json!({"number": 1, "attended": true, "components": ["engagement"]});
        // Session 3 plans activity_scheduling + social_network_activation: both delivered.
        let s3 = json!({"number": 3, "attended": true, "components": ["activity_scheduling", "social_network_activation"]});
        let missed = json!({"number": 2, "attended": false, "components": []});
        let phq = json!({"instrument": "phq9"});
        let facts = vec![
            Fact {
                kind: "episode",
                client_id: Some("a"),
                on: Some("2026-10-01"),
                data: &e1,
                total: None,
            },
            Fact {
                kind: "episode",
                client_id: Some("b"),
                on: Some("2026-10-01"),
                data: &e2,
                total: None,
            },
            Fact {
                kind: "episode",
                client_id: Some("c"),
                on: Some("2024-10-01"),
                data: &e3,
                total: None,
            },
            Fact {
                kind: "session",
                client_id: Some("a"),
                on: Some("2026-12-06"),
                data: &s1,
                total: None,
            },
            Fact {
                kind: "session",
                client_id: Some("a"),
                on: Some("2026-11-29"),
                data: &s3,
                total: None,
            },
            Fact {
                kind: "session",
                client_id: Some("a"),
                on: Some("2026-11-30"),
                data: &missed,
                total: None,
            },
            // Client a: 20 -> 9 (a fall of more than half); b: 18 -> 12 (not); c closed long ago.
            Fact {
                kind: "assessment",
                client_id: Some("a"),
                on: Some("2026-10-01"),
                data: &phq,
                total: Some(20.0),
            },
            Fact {
                kind: "assessment",
                client_id: Some("a"),
                on: Some("2026-12-06"),
                data: &phq,
                total: Some(9.0),
            },
            Fact {
                kind: "assessment",
                client_id: Some("b"),
                on: Some("2026-10-01"),
                data: &phq,
                total: Some(18.0),
            },
            Fact {
                kind: "assessment",
                client_id: Some("b"),
                on: Some("2026-11-20"),
                data: &phq,
                total: Some(12.0),
            },
            Fact {
                kind: "assessment",
                client_id: Some("c"),
                on: Some("2024-10-01"),
                data: &phq,
                total: Some(18.0),
            },
            Fact {
                kind: "assessment",
                client_id: Some("c"),
                on: Some("2024-12-01"),
                data: &phq,
                total: Some(2.0),
            },
        ];
        let s = summarise(&facts, &|_| Some(hap), today, 8);
        assert_eq!(s.active_clients, 1);
        // Today and 2026-11-30..12-06 fall in the last week; 11-29 in the one before.
        assert_eq!(s.sessions_per_week.len(), 8);
        assert_eq!(
            s.sessions_per_week[7],
            (Date::parse("2026-11-30", "t").unwrap(), 1)
        );
        assert_eq!(s.sessions_per_week[6].1, 1);
        assert_eq!((s.components_delivered, s.components_planned), (3, 4));
        assert_eq!((s.improving, s.with_followup), (1, 2));
    }
}
