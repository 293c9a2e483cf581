//! A small programme built by hand: a stepped-wedge design over two facilities in one district,
//! clients with an episode, a baseline and a follow-up PHQ-9, and sessions.

#![allow(dead_code)]

use scaleup_domain::date::Date;
use scaleup_domain::record::{
    Assessment, Client, Episode, Modality, Occasion, RecordKind, RecordPayload, Session, Sex,
    parse_payload,
};
use scaleup_interop::source::{OrgUnit, ProgrammeInfo, Score, Site, SourceRecord, StudySource};
use serde_json::json;
use std::collections::BTreeMap;
use uuid::Uuid;

pub fn d(text: &str) -> Date {
    Date::parse(text, "test").unwrap()
}

pub fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

pub const DISTRICT: u128 = 10;
pub const FAC_A: u128 = 11;
pub const FAC_B: u128 = 12;
pub const PROGRAMME: u128 = 1;

/// One client: its records (client, episode, baseline, follow-up, `sessions` sessions).
pub struct Person {
    pub n: u128,
    pub sex: Sex,
    pub birth_year: i32,
    pub facility: u128,
    pub sessions: u32,
    pub arm: &'static str,
}

pub fn person(n: u128, sex: Sex, birth_year: i32) -> Person {
    Person {
        n,
        sex,
        birth_year,
        facility: if n.is_multiple_of(2) { FAC_A } else { FAC_B },
        sessions: 3,
        arm: "intervention",
    }
}

pub fn phq9(
    client: Uuid,
    episode: Option<Uuid>,
    occasion: Occasion,
    on: &str,
    item: f64,
) -> Assessment {
    let responses: BTreeMap<String, Option<f64>> = (1..=9)
        .map(|i| (i.to_string(), Some(if i == 9 { 0.0 } else { item })))
        .collect();
    Assessment {
        client_id: client,
        episode_id: episode,
        instrument: "phq9".into(),
        instrument_version: None,
        occasion,
        session_number: None,
        administered_on: d(on),
        responses,
    }
}

pub fn source(people: &[Person]) -> StudySource {
    let mut records = Vec::new();
    for p in people {
        let client = id(1000 + p.n);
        let episode = id(2000 + p.n);
        records.push(SourceRecord {
            id: client,
            payload: RecordPayload::Client(Client {
                programme_id: id(PROGRAMME),
                facility_id: id(p.facility),
                registered_on: d("2026-01-05"),
                sex: p.sex,
                birth_year: Some(p.birth_year),
                counsellor_id: None,
            }),
            score: None,
        });
        records.push(SourceRecord {
            id: episode,
            payload: RecordPayload::Episode(Episode {
                client_id: client,
                programme_id: id(PROGRAMME),
                enrolled_on: d("2026-01-10"),
                arm: Some(p.arm.into()),
                closed_on: None,
                closure_reason: None,
            }),
            score: None,
        });
        for (k, (occasion, on, item)) in [
            (Occasion::Baseline, "2026-01-10", 2.0),
            (Occasion::FollowUp, "2026-04-10", 1.0),
        ]
        .into_iter()
        .enumerate()
        {
            records.push(SourceRecord {
                id: id(3000 + 10 * p.n + k as u128),
                payload: RecordPayload::Assessment(phq9(client, Some(episode), occasion, on, item)),
                score: Some(Score {
                    total: Some(item * 8.0),
                    band: Some(
                        if item > 1.0 {
                            "moderately_severe"
                        } else {
                            "mild"
                        }
                        .into(),
                    ),
                    version: Some("1".into()),
                }),
            });
        }
        for s in 1..=p.sessions {
            records.push(SourceRecord {
                id: id(4000 + 10 * p.n + s as u128),
                payload: RecordPayload::Session(Session {
                    client_id: client,
                    episode_id: episode,
                    number: s,
                    on: d("2026-01-10").add_days(7 * s as i64),
                    attended: s != 2,
                    duration_minutes: Some(60),
                    modality: Modality::Individual,
                    components: if s != 2 {
                        vec!["psychoeducation".into()]
                    } else {
                        vec![]
                    },
                }),
                score: None,
            });
        }
    }
    // Every body goes through the parser, as storage's do.
    for r in &records {
        let kind: RecordKind = r.payload.kind();
        parse_payload(kind, &r.payload.to_json()).unwrap();
    }
    StudySource {
        hub_code: "demo-hub".into(),
        programme: ProgrammeInfo {
            id: id(PROGRAMME),
            code: "sw-trial".into(),
            start_date: d("2026-01-01"),
            design: json!({"type": "stepped_wedge", "periods": 4, "period_days": 30,
                           "start_date": "2026-01-01", "outcome": {"instrument": "phq9"}}),
            sites: vec![
                Site {
                    facility_id: id(FAC_A),
                    arm: Some("sequence_1".into()),
                    cluster: Some("fac-a".into()),
                    crossover_period: Some(1),
                },
                Site {
                    facility_id: id(FAC_B),
                    arm: Some("sequence_0".into()),
                    cluster: Some("fac-b".into()),
                    crossover_period: Some(0),
                },
            ],
        },
        org_units: vec![
            OrgUnit {
                id: id(DISTRICT),
                parent_id: None,
                level: "district".into(),
                code: "north".into(),
            },
            OrgUnit {
                id: id(FAC_A),
                parent_id: Some(id(DISTRICT)),
                level: "facility".into(),
                code: "fac-a".into(),
            },
            OrgUnit {
                id: id(FAC_B),
                parent_id: Some(id(DISTRICT)),
                level: "facility".into(),
                code: "fac-b".into(),
            },
        ],
        records,
    }
}

/// Twelve clients: six women aged 25-34 and six men aged 35-44 (in 2026).
pub fn twelve() -> Vec<Person> {
    (0..12)
        .map(|n| {
            if n < 6 {
                person(n, Sex::Female, 1995)
            } else {
                person(n, Sex::Male, 1986)
            }
        })
        .collect()
}
