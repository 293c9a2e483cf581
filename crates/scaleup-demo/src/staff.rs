//! Staff-level records: training, ENACT/EQUIP competency ratings and supervision sessions.
//! Generated after the clients, because supervision reviews the clients the stream produced.

use crate::clients::ClientStream;
use crate::params::{self, HubKind};
use crate::plan::AccountPlan;
use crate::{DemoRecord, ordered_uuid, staff_order, sub_rng};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use scaleup_domain::date::Date;
use scaleup_domain::record::{
    CompetencyAssessment, CompetencyMethod, RecordPayload, SupervisionFormat, SupervisionSession,
    TrainingRecord,
};
use scaleup_domain::role::Role;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Number of ENACT/EQUIP competencies (implementation-science.md §4.2).
const COMPETENCIES: usize = 15;

impl ClientStream<'_> {
    /// Training, competency and supervision records. Call after the stream is exhausted (the
    /// supervision sessions review the clients generated so far).
    pub fn staff_records(&mut self) -> Vec<DemoRecord> {
        for load in &mut self.caseloads {
            load.sort();
        }
        let plan = self.plan;
        let dir = self.dir;
        let census = params::census_date();
        let mut rng = sub_rng(plan.seed, u64::MAX - 1, 0);
        let mut out = Vec::new();
        let mut n = 0u64;
        let mut record = |rng: &mut ChaCha8Rng,
                          payload: RecordPayload,
                          hub: usize,
                          owner: Uuid,
                          author: Uuid,
                          on: Date| {
            out.push(DemoRecord {
                id: {
                    n += 1;
                    ordered_uuid(staff_order(n), rng)
                },
                payload,
                hub,
                client_id: None,
                episode_id: None,
                counsellor_id: Some(owner),
                facility_id: None,
                programme_id: None,
                created_by: author,
                recorded_on: on,
                recorded_minute: rng.random_range(8 * 60..17 * 60),
            });
        };
        let noise = Normal::new(0.0, 0.6).expect("finite SD");
        for (h, hub) in plan.hubs.iter().enumerate() {
            let p = &hub.params;
            let start = p.window.0;
            let manager = plan
                .accounts
                .iter()
                .position(|a| a.role == Role::HubManager && a.hub == Some(h))
                .expect("every hub has a manager");
            // PM+ Kenya: 8 days' training (implementation-science.md §6); the others ASSUMED.
            let course_hours = match p.kind {
                HubKind::KenyaPmPlus => 64.0,
                HubKind::IndiaHap => 48.0,
                HubKind::ZimbabweFriendshipBench => 40.0,
            };
            let staff: Vec<(usize, &AccountPlan)> = plan
                .accounts
                .iter()
                .enumerate()
                .filter(|(_, a)| {
                    a.hub == Some(h) && matches!(a.role, Role::Counsellor | Role::Supervisor)
                })
                .collect();
            for &(i, a) in &staff {
                let trainer = a.supervisor.unwrap_or(manager);
                let began = start.add_days(-rng.random_range(45..120));
                let mut courses = vec![
                    (format!("{}_foundation", p.protocol), course_hours),
                    ("equip_foundational_helping_skills".to_string(), 16.0),
                ];
                if a.role == Role::Supervisor {
                    courses.push(("supervision_skills".to_string(), 24.0));
                }
                let mut day = began;
                for (course, hours) in courses {
                    let done = day.add_days((hours / 8.0f64).ceil() as i64 + 1);
                    record(
                        &mut rng,
                        RecordPayload::TrainingRecord(TrainingRecord {
                            person_id: dir.accounts[i],
                            course,
                            started_on: day,
                            completed_on: Some(done),
                            hours,
                            passed: Some(true),
                        }),
                        h,
                        dir.accounts[i],
                        dir.accounts[trainer],
                        done,
                    );
                    day = done.add_days(rng.random_range(1..10));
                }
                // Competency ratings for counsellors: after training, at 6 and at 12 months.
                if let (Some(c), Some(sup)) = (&a.counsellor, a.supervisor) {
                    for (k, on) in [start.add_days(-7), start.add_days(180), start.add_days(365)]
                        .into_iter()
                        .enumerate()
                    {
                        if on > census {
                            continue;
                        }
                        let levels: BTreeMap<String, u8> = (1..=COMPETENCIES)
                            .map(|n| {
                                let x =
                                    2.5 + c.competence + 0.35 * k as f64 + noise.sample(&mut rng);
                                (n.to_string(), x.round().clamp(1.0, 4.0) as u8)
                            })
                            .collect();
                        record(
                            &mut rng,
                            RecordPayload::CompetencyAssessment(CompetencyAssessment {
                                counsellor_id: dir.accounts[i],
                                assessor_id: dir.accounts[sup],
                                on,
                                tool: "enact_equip".into(),
                                method: if k == 0 {
                                    CompetencyMethod::RolePlay
                                } else {
                                    CompetencyMethod::ObservedSession
                                },
                                levels,
                            }),
                            h,
                            dir.accounts[i],
                            dir.accounts[sup],
                            on,
                        );
                    }
                }
            }
            // Supervision: every 2 weeks (Friendship Bench: weekly, §6), mostly in groups.
            let every = if p.kind == HubKind::ZimbabweFriendshipBench {
                7
            } else {
                14
            };
            let end = census.min(p.window.1.add_days(p.follow_up_days));
            for &(s, _) in staff.iter().filter(|(_, a)| a.role == Role::Supervisor) {
                let supervisees: Vec<usize> = plan
                    .accounts
                    .iter()
                    .enumerate()
                    .filter(|(_, a)| a.supervisor == Some(s))
                    .map(|(i, _)| i)
                    .collect();
                let mut on = start.add_days(rng.random_range(0..every));
                while on <= end {
                    let present: Vec<usize> = supervisees
                        .iter()
                        .copied()
                        .filter(|_| rng.random_bool(0.85))
                        .collect();
                    let present = if present.is_empty() {
                        supervisees[..1].to_vec()
                    } else {
                        present
                    };
                    let mut cases = Vec::new();
                    for &c in &present {
                        // Up to two clients enrolled in the 12 weeks before the meeting.
                        let load = &self.caseloads[c];
                        let lo = load.partition_point(|(d, _)| *d < on.add_days(-84));
                        let hi = load.partition_point(|(d, _)| *d <= on);
                        if hi > lo {
                            for _ in 0..2.min(hi - lo) {
                                let (_, id) = load[rng.random_range(lo..hi)];
                                if !cases.contains(&id) {
                                    cases.push(id);
                                }
                            }
                        }
                    }
                    let x: f64 = rng.random();
                    let format = if x < 0.75 {
                        SupervisionFormat::Group
                    } else if x < 0.9 {
                        SupervisionFormat::Individual
                    } else {
                        SupervisionFormat::Remote
                    };
                    let duration_minutes = rng.random_range(6..=12) * 10;
                    record(
                        &mut rng,
                        RecordPayload::SupervisionSession(SupervisionSession {
                            supervisor_id: dir.accounts[s],
                            on,
                            duration_minutes,
                            format,
                            counsellor_ids: present.iter().map(|&c| dir.accounts[c]).collect(),
                            cases_reviewed: cases,
                            notes: None,
                            action_points: Vec::new(),
                        }),
                        h,
                        dir.accounts[s],
                        dir.accounts[s],
                        on,
                    );
                    on = on.add_days(every);
                }
            }
        }
        out
    }
}
