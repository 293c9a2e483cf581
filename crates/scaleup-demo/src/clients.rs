//! The client stream: one client's pathway at a time, batched. See the crate documentation for
//! the model.

use crate::items::{self, ItemResponses};
use crate::params::{
    self, DECLINE_WEIGHTS, HubKind, P_DEATH_PER_SESSION, P_TRANSFER_PER_SESSION, SW_PERIOD_DAYS,
    SW_PERIOD_TREND, SW_PERIODS,
};
use crate::plan::{FacilityPlan, HubPlan, Plan};
use crate::{DemoError, DemoRecord, Directory, client_order, names, ordered_uuid, sub_rng};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use scaleup_domain::catalog::Catalog;
use scaleup_domain::date::Date;
use scaleup_domain::instrument::{Responses, Score};
use scaleup_domain::protocol::{Protocol, StepAction, Timepoint};
use scaleup_domain::record::{
    Assessment, Client, ClientIdentity, ClosureReason, Consent, ConsentScope, Eligibility, Episode,
    Modality, Occasion, RecordPayload, Referral, ReferralStatus, Session, Sex, Urgency,
};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Batches of client-level records, `batch_clients` clients per batch.
pub struct ClientStream<'a> {
    pub(crate) plan: &'a Plan,
    pub(crate) dir: &'a Directory,
    catalog: Catalog,
    /// The protocol of each hub's programme.
    protocols: Vec<Protocol>,
    next: u64,
    batch_clients: u64,
    /// Cumulative catchment weights of each hub's facilities.
    weights: Vec<Vec<f64>>,
    /// Enrolled clients per account index: (enrolment date, client id), in generation order.
    pub(crate) caseloads: Vec<Vec<(Date, Uuid)>>,
}

fn n01(rng: &mut ChaCha8Rng) -> f64 {
    Normal::new(0.0, 1.0).expect("standard normal").sample(rng)
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Person-level heterogeneity of self-harm risk: SD and shift of the log-odds offset. The shift
/// keeps the marginal rate near that of `params::PHQ9_ITEM9_LOGIT` (a logistic-normal mean is
/// close to `logistic(μ / sqrt(1 + π·σ²/8))`). ASSUMED.
const RISK_SD: f64 = 1.5;
const RISK_SHIFT: f64 = -1.0;

/// Share of the 12-week change reached `t` days after enrolment.
fn g(t: i64) -> f64 {
    (t.max(0) as f64 / 84.0).min(1.0)
}

/// What a client's trajectory needs at any occasion.
struct Trajectory {
    kind: HubKind,
    baseline: f64,
    change: f64,
    occasion_sd: f64,
    /// Friendship Bench: person offset of the PHQ-9 derived from the SSQ-14 latent.
    phq_offset: f64,
    /// Kenya: person offset of WHODAS.
    whodas_offset: f64,
    /// Person-level shift of the log-odds of a positive self-harm item (persistent risk).
    risk_offset: f64,
}

impl Trajectory {
    fn latent(&self, t: i64) -> f64 {
        self.baseline - g(t) * self.change
    }

    /// Item responses for `instrument` at day `t`.
    fn responses(&self, rng: &mut ChaCha8Rng, instrument: &str, t: i64) -> ItemResponses {
        let l = self.latent(t);
        match (self.kind, instrument) {
            (HubKind::ZimbabweFriendshipBench, "ssq14") => {
                let total = (l + self.occasion_sd * n01(rng)).round() as i32;
                items::ssq14(rng, total, self.risk_offset)
            }
            (HubKind::ZimbabweFriendshipBench, _) => {
                let total = (1.5 * l + 1.0 + self.phq_offset + 2.0 * n01(rng)).round() as i32;
                items::phq9(rng, total, self.risk_offset)
            }
            (_, "whodas12") => {
                let total =
                    (18.0 + 1.3 * (l - 8.0) + self.whodas_offset + 2.0 * n01(rng)).round() as i32;
                items::whodas12(rng, total)
            }
            _ => {
                let total = (l + self.occasion_sd * n01(rng)).round() as i32;
                items::phq9(rng, total, self.risk_offset)
            }
        }
    }
}

/// One scheduled session before outcomes are attached.
struct Slot {
    number: u32,
    on: Date,
    attended: bool,
}

enum Ending {
    Completed,
    DroppedOut,
    Transferred,
    Died,
}

impl<'a> ClientStream<'a> {
    /// A stream over all of the plan's clients, `batch_clients` (≥ 1) clients per batch.
    pub fn new(
        plan: &'a Plan,
        dir: &'a Directory,
        batch_clients: u64,
    ) -> Result<ClientStream<'a>, DemoError> {
        dir.check(plan)?;
        let weights = plan
            .hubs
            .iter()
            .map(|h| {
                let mut acc = 0.0;
                h.facilities
                    .iter()
                    .map(|f| {
                        acc += f.catchment_population as f64;
                        acc
                    })
                    .collect()
            })
            .collect();
        let catalog = Catalog::builtin();
        let protocols =
            plan.hubs
                .iter()
                .map(|h| {
                    catalog.protocol(&h.programme.protocol_code).cloned().ok_or(
                        DemoError::Directory("a programme's protocol is not in the catalogue"),
                    )
                })
                .collect::<Result<Vec<_>, _>>()?;
        Ok(ClientStream {
            plan,
            dir,
            catalog,
            protocols,
            next: 0,
            batch_clients: batch_clients.max(1),
            weights,
            caseloads: vec![Vec::new(); plan.accounts.len()],
        })
    }

    /// Clients generated so far.
    pub fn clients_done(&self) -> u64 {
        self.next
    }

    fn score(&self, instrument: &str, responses: &ItemResponses) -> Score {
        let mut r = Responses::new();
        for (k, v) in responses {
            r.insert(k.clone(), v.map(|x| x as i32));
        }
        self.catalog
            .instrument(instrument)
            .expect("built-in instrument")
            .score(&r)
            .expect("generated responses are complete and in range")
    }

    /// All records of client `k` (0-based, below the plan's client count). The same whatever
    /// the batching; also how tests look at one hub's clients without generating the others.
    pub fn client_records(&mut self, k: u64) -> Vec<DemoRecord> {
        self.client(k)
    }

    /// All records of client `k`.
    fn client(&mut self, k: u64) -> Vec<DemoRecord> {
        let plan = self.plan;
        let h = plan.hub_of_client(k);
        let hub: &HubPlan = &plan.hubs[h];
        let p = &hub.params;
        let mut rng = sub_rng(plan.seed, k, 0);
        let protocol: &Protocol = &self.protocols[h];
        let pdef = protocol.def();

        // Placement.
        let w = &self.weights[h];
        let x = rng.random::<f64>() * w[w.len() - 1];
        let fi = w.partition_point(|&c| c <= x).min(w.len() - 1);
        let fac: &FacilityPlan = &hub.facilities[fi];
        let ci = fac.counsellors[rng.random_range(0..fac.counsellors.len())];
        let couns = plan.accounts[ci]
            .counsellor
            .as_ref()
            .expect("facility staff are counsellors");
        let counsellor_id = self.dir.accounts[ci];
        let facility_id = self.dir.org_units[h][fac.org_unit];
        let programme_id = self.dir.programmes[h];
        let (w0, w1) = p.window;
        let registered = w0.add_days(rng.random_range(0..=w0.days_until(w1)));
        let client_id = ordered_uuid(client_order(k, 0), &mut rng);
        let mut seq = 0u64;

        let mut out: Vec<DemoRecord> = Vec::with_capacity(8);
        let mut push = |rng: &mut ChaCha8Rng,
                        out: &mut Vec<DemoRecord>,
                        payload: RecordPayload,
                        on: Date,
                        episode: Option<Uuid>|
         -> Uuid {
            let id = if matches!(payload, RecordPayload::Client(_)) {
                client_id
            } else {
                seq += 1;
                ordered_uuid(client_order(k, seq), rng)
            };
            let episode_id = match &payload {
                RecordPayload::Episode(_) => Some(id),
                _ => episode,
            };
            out.push(DemoRecord {
                id,
                payload,
                hub: h,
                client_id: Some(client_id),
                episode_id,
                counsellor_id: Some(counsellor_id),
                facility_id: Some(facility_id),
                programme_id: Some(programme_id),
                created_by: counsellor_id,
                recorded_on: on,
                recorded_minute: rng.random_range(8 * 60..17 * 60),
            });
            id
        };

        // Registration and identity.
        let female = rng.random_bool(p.female_share);
        let age = rng.random_range(p.age.0..=p.age.1);
        let birth_year = registered.year() - age;
        push(
            &mut rng,
            &mut out,
            RecordPayload::Client(Client {
                programme_id,
                facility_id,
                registered_on: registered,
                sex: if female { Sex::Female } else { Sex::Male },
                birth_year: Some(birth_year),
                counsellor_id: Some(counsellor_id),
            }),
            registered,
            None,
        );
        let lists = names::lists(p.kind);
        let given = if female { lists.female } else { lists.male };
        let district = p.districts[rng.random_range(0..p.districts.len())];
        let identity = ClientIdentity {
            client_id,
            given_name: given[rng.random_range(0..given.len())].to_string(),
            family_name: Some(lists.family[rng.random_range(0..lists.family.len())].to_string()),
            phone: Some(names::fake_phone(k)),
            address: Some(format!("Plot {}, {district}", rng.random_range(1..2000))),
            birth_date: Date::from_ymd(
                birth_year,
                rng.random_range(1..=12),
                rng.random_range(1..=28),
            ),
        };
        push(
            &mut rng,
            &mut out,
            RecordPayload::ClientIdentity(identity),
            registered,
            None,
        );
        push(
            &mut rng,
            &mut out,
            RecordPayload::Consent(Consent {
                client_id,
                scope: ConsentScope::Treatment,
                given: true,
                on: registered,
            }),
            registered,
            None,
        );

        // Latent severity and screening.
        let baseline = p.severity_mean + fac.severity_effect + p.severity_sd * n01(&mut rng);
        let mut traj = Trajectory {
            kind: p.kind,
            baseline,
            change: 0.0,
            occasion_sd: p.occasion_sd,
            phq_offset: 2.0 * n01(&mut rng),
            whodas_offset: 4.0 * n01(&mut rng),
            risk_offset: RISK_SD * n01(&mut rng) + RISK_SHIFT,
        };
        let screening_instruments: Vec<&str> = match p.kind {
            HubKind::IndiaHap => vec!["phq9"],
            HubKind::ZimbabweFriendshipBench => vec!["ssq14"],
            HubKind::KenyaPmPlus => vec!["phq9", "whodas12"],
        };
        // Screening happens before enrolment; t < 0 keeps g(t) at 0.
        let mut scores: BTreeMap<String, Score> = BTreeMap::new();
        let mut first_screen = None;
        for inst in &screening_instruments {
            let responses = traj.responses(&mut rng, inst, -1);
            scores.insert(inst.to_string(), self.score(inst, &responses));
            let id = push(
                &mut rng,
                &mut out,
                RecordPayload::Assessment(Assessment {
                    client_id,
                    episode_id: None,
                    instrument: inst.to_string(),
                    instrument_version: None,
                    occasion: Occasion::Screening,
                    session_number: None,
                    administered_on: registered,
                    responses,
                }),
                registered,
                None,
            );
            first_screen.get_or_insert(id);
        }
        let decision = protocol.eligibility(&scores);
        let offered = decision.eligible && rng.random_bool(p.p_offer);
        let accepted = offered && rng.random_bool(logistic(logit(p.p_accept) + fac.uptake_effect));
        let decline_reason = (offered && !accepted).then(|| {
            let total: f64 = DECLINE_WEIGHTS.iter().map(|(_, w)| w).sum();
            let mut x = rng.random::<f64>() * total;
            let mut reason = DECLINE_WEIGHTS[DECLINE_WEIGHTS.len() - 1].0;
            for (r, w) in DECLINE_WEIGHTS {
                if x < w {
                    reason = r;
                    break;
                }
                x -= w;
            }
            reason
        });
        push(
            &mut rng,
            &mut out,
            RecordPayload::Eligibility(Eligibility {
                client_id,
                assessment_id: first_screen,
                decided_on: registered,
                eligible: decision.eligible,
                offered,
                accepted: offered.then_some(accepted),
                decline_reason,
            }),
            registered,
            None,
        );
        if decision.refer {
            let status = referral_status(&mut rng);
            push(
                &mut rng,
                &mut out,
                RecordPayload::Referral(Referral {
                    client_id,
                    episode_id: None,
                    on: registered,
                    to_service: "mental_health_specialist".into(),
                    reason: "suicide_risk".into(),
                    urgency: Urgency::Urgent,
                    status,
                }),
                registered,
                None,
            );
        }
        if !accepted {
            return out;
        }

        // Enrolment.
        let census = params::census_date();
        let enrolled = registered.add_days(rng.random_range(0..=7));
        if enrolled > census {
            return out;
        }
        let (treated, arm, period) = if p.kind == HubKind::KenyaPmPlus {
            let j = (params::start_date().days_until(enrolled) / SW_PERIOD_DAYS)
                .clamp(0, SW_PERIODS as i64 - 1) as usize;
            let x = fac.crossover_period.is_some_and(|c| j >= c);
            let arm = if x { "intervention" } else { "control" };
            (x, Some(arm.to_string()), j)
        } else {
            (true, None, 0)
        };
        self.caseloads[ci].push((enrolled, client_id));
        // The episode record is written first (so it precedes its sessions) and completed below.
        let episode_pos = out.len();
        let episode_id = push(
            &mut rng,
            &mut out,
            RecordPayload::Episode(Episode {
                client_id,
                programme_id,
                enrolled_on: enrolled,
                arm: arm.clone(),
                closed_on: None,
                closure_reason: None,
            }),
            enrolled,
            None,
        );
        let ep = Some(episode_id);
        if p.kind == HubKind::KenyaPmPlus {
            push(
                &mut rng,
                &mut out,
                RecordPayload::Consent(Consent {
                    client_id,
                    scope: ConsentScope::Research,
                    given: true,
                    on: enrolled,
                }),
                enrolled,
                ep,
            );
        }

        // The attendance schedule, decided before outcomes so the dose is known.
        let planned = pdef.sessions.planned;
        let target = if p.kind == HubKind::IndiaHap {
            rng.random_range(6..=planned.max(6))
        } else {
            planned
        };
        let interval = i64::from(pdef.sessions.interval_days.unwrap_or(7));
        let hazard =
            (p.dropout_hazard * (fac.dropout_effect + couns.dropout_effect).exp()).min(0.9);
        let mut slots: Vec<Slot> = Vec::new();
        let mut ending = Ending::Completed;
        let end_day;
        if treated {
            let mut on = enrolled.add_days(rng.random_range(0..=3));
            let mut n = 1;
            let mut misses = 0;
            loop {
                let p_miss = if n == 1 { 0.08 } else { p.p_miss };
                if rng.random_bool(p_miss) {
                    slots.push(Slot {
                        number: n,
                        on,
                        attended: false,
                    });
                    misses += 1;
                    if misses >= 2 || rng.random_bool(p.dropout_after_miss) {
                        ending = Ending::DroppedOut;
                        end_day = on.add_days(28);
                        break;
                    }
                } else {
                    slots.push(Slot {
                        number: n,
                        on,
                        attended: true,
                    });
                    misses = 0;
                    if n >= target {
                        end_day = on;
                        break;
                    }
                    n += 1;
                    if rng.random_bool(P_DEATH_PER_SESSION) {
                        ending = Ending::Died;
                        end_day = on.add_days(rng.random_range(1..interval));
                        break;
                    }
                    if rng.random_bool(P_TRANSFER_PER_SESSION) {
                        ending = Ending::Transferred;
                        end_day = on.add_days(rng.random_range(1..interval));
                        break;
                    }
                    if rng.random_bool(hazard) {
                        ending = Ending::DroppedOut;
                        end_day = on.add_days(interval + 28);
                        break;
                    }
                }
                on = on.add_days(interval + rng.random_range(-1..=2));
            }
        } else {
            end_day = enrolled.add_days(p.follow_up_days);
        }
        let attended = slots.iter().filter(|s| s.attended).count() as f64;

        // The change over 12 weeks.
        let mut change = p.natural_change + fac.change_effect + p.change_sd * n01(&mut rng);
        if p.kind == HubKind::KenyaPmPlus {
            change -= SW_PERIOD_TREND * period as f64;
        }
        if treated {
            let effect = p.treatment_change + couns.change_effect;
            change += if p.kind == HubKind::KenyaPmPlus {
                effect
            } else {
                effect * (0.3 + 0.7 * attended / f64::from(target))
            };
        }
        traj.change = change;

        // Baseline.
        let outcome_instruments: Vec<(&str, bool, bool)> = pdef
            .outcomes
            .iter()
            .filter(|o| o.instrument != "psychlops")
            .map(|o| {
                (
                    o.instrument.as_str(),
                    o.at.contains(&Timepoint::EachSession),
                    o.at.contains(&Timepoint::End),
                )
            })
            .collect();
        let mut baseline_scores: BTreeMap<String, Score> = BTreeMap::new();
        for (inst, _, _) in &outcome_instruments {
            let responses = traj.responses(&mut rng, inst, 0);
            baseline_scores.insert(inst.to_string(), self.score(inst, &responses));
            push(
                &mut rng,
                &mut out,
                RecordPayload::Assessment(Assessment {
                    client_id,
                    episode_id: ep,
                    instrument: inst.to_string(),
                    instrument_version: None,
                    occasion: Occasion::Baseline,
                    session_number: None,
                    administered_on: enrolled,
                    responses,
                }),
                enrolled,
                ep,
            );
        }

        // Sessions with their assessments, referrals and stepped-care flags.
        let mut closure: Option<(Date, ClosureReason)> = None;
        let last_attended = slots.iter().rposition(|s| s.attended);
        for (si, slot) in slots.iter().enumerate() {
            if slot.on > census {
                break;
            }
            let plan_entry = pdef.session_plan.iter().find(|s| s.session == slot.number);
            let modality = if pdef
                .delivery
                .iter()
                .any(|m| matches!(m, scaleup_domain::protocol::Modality::Remote))
                && rng.random_bool(p.remote_share)
            {
                Modality::Remote
            } else {
                Modality::Individual
            };
            let (duration, components) = if slot.attended {
                let typical = plan_entry
                    .and_then(|s| s.minutes)
                    .unwrap_or(pdef.sessions.typical_minutes) as f64;
                let minutes = (typical * (0.15 * n01(&mut rng)).exp()).round() as u32;
                let mut comps: Vec<String> = plan_entry
                    .map(|s| s.components.clone())
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|_| rng.random_bool(couns.fidelity))
                    .collect();
                if comps.is_empty() {
                    comps.extend(plan_entry.and_then(|s| s.components.first()).cloned());
                }
                (Some(minutes.clamp(10, 240)), comps)
            } else {
                (None, Vec::new())
            };
            push(
                &mut rng,
                &mut out,
                RecordPayload::Session(Session {
                    client_id,
                    episode_id,
                    number: slot.number,
                    on: slot.on,
                    attended: slot.attended,
                    duration_minutes: duration,
                    modality,
                    components,
                }),
                slot.on,
                ep,
            );
            if !slot.attended {
                continue;
            }
            let is_end = matches!(ending, Ending::Completed) && Some(si) == last_attended;
            let t = enrolled.days_until(slot.on);
            let mut risk = false;
            for (inst, each, end) in &outcome_instruments {
                if !(*each || (is_end && *end)) {
                    continue;
                }
                let responses = traj.responses(&mut rng, inst, t);
                let score = self.score(inst, &responses);
                risk |= !score.risk_flags.is_empty();
                // The stepped-care rule is checked at the session it names.
                let by_session = pdef.stepped_care.as_ref().map_or(0, |s| s.by_session);
                let flag = baseline_scores
                    .get(*inst)
                    .and_then(|base| protocol.stepped_care_flag(base, &score, slot.number))
                    .filter(|_| slot.number == by_session);
                let p_ref = match flag.map(|f| f.action) {
                    Some(StepAction::StepUp) => 0.6,
                    Some(_) => 0.15,
                    None => 0.0,
                };
                if p_ref > 0.0 && rng.random_bool(p_ref) {
                    let status = referral_status(&mut rng);
                    push(
                        &mut rng,
                        &mut out,
                        RecordPayload::Referral(Referral {
                            client_id,
                            episode_id: ep,
                            on: slot.on,
                            to_service: "primary_care_doctor".into(),
                            reason: "no_improvement".into(),
                            urgency: Urgency::Routine,
                            status,
                        }),
                        slot.on,
                        ep,
                    );
                }
                push(
                    &mut rng,
                    &mut out,
                    RecordPayload::Assessment(Assessment {
                        client_id,
                        episode_id: ep,
                        instrument: inst.to_string(),
                        instrument_version: None,
                        occasion: if is_end {
                            Occasion::Endpoint
                        } else {
                            Occasion::Session
                        },
                        session_number: Some(slot.number),
                        administered_on: slot.on,
                        responses,
                    }),
                    slot.on,
                    ep,
                );
            }
            if risk && rng.random_bool(0.4) {
                let status = referral_status(&mut rng);
                push(
                    &mut rng,
                    &mut out,
                    RecordPayload::Referral(Referral {
                        client_id,
                        episode_id: ep,
                        on: slot.on,
                        to_service: "mental_health_specialist".into(),
                        reason: "suicide_risk".into(),
                        urgency: Urgency::Urgent,
                        status,
                    }),
                    slot.on,
                    ep,
                );
                if rng.random_bool(0.5) {
                    closure = Some((slot.on, ClosureReason::Referred));
                    break;
                }
            }
        }
        let (closed_on, reason) = closure.unwrap_or(match ending {
            Ending::Completed => (end_day, ClosureReason::Completed),
            Ending::DroppedOut => (end_day, ClosureReason::DroppedOut),
            Ending::Transferred => (end_day, ClosureReason::Transferred),
            Ending::Died => (end_day, ClosureReason::Died),
        });

        // Follow-up (research or routine), whatever the course of treatment, except after
        // death or transfer.
        if !matches!(reason, ClosureReason::Died | ClosureReason::Transferred)
            && rng.random_bool(p.p_follow_up)
        {
            let on = enrolled.add_days(p.follow_up_days + rng.random_range(0..=14));
            if on <= census {
                for (inst, _, _) in &outcome_instruments {
                    let responses = traj.responses(&mut rng, inst, enrolled.days_until(on));
                    push(
                        &mut rng,
                        &mut out,
                        RecordPayload::Assessment(Assessment {
                            client_id,
                            episode_id: ep,
                            instrument: inst.to_string(),
                            instrument_version: None,
                            occasion: Occasion::FollowUp,
                            session_number: None,
                            administered_on: on,
                            responses,
                        }),
                        on,
                        ep,
                    );
                }
            }
        }
        if let (true, RecordPayload::Episode(e)) =
            (closed_on <= census, &mut out[episode_pos].payload)
        {
            e.closed_on = Some(closed_on);
            e.closure_reason = Some(reason);
        }
        out
    }
}

fn referral_status(rng: &mut ChaCha8Rng) -> ReferralStatus {
    let x: f64 = rng.random();
    if x < 0.6 {
        ReferralStatus::Attended
    } else if x < 0.85 {
        ReferralStatus::NotAttended
    } else {
        ReferralStatus::Made
    }
}

impl Iterator for ClientStream<'_> {
    type Item = Vec<DemoRecord>;

    fn next(&mut self) -> Option<Vec<DemoRecord>> {
        if self.next >= self.plan.clients {
            return None;
        }
        let end = (self.next + self.batch_clients).min(self.plan.clients);
        let mut batch = Vec::new();
        for k in self.next..end {
            batch.extend(self.client(k));
        }
        self.next = end;
        Some(batch)
    }
}
