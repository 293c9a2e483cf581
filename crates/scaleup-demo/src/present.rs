//! The present: a first pass over every client, to see the demo as its users will on `today`.
//! It decides which risk alerts older than `params::OPEN_ALERT_DAYS` are still open and picks
//! the accounts printed for the user, so that a fresh demo shows a working day whatever the
//! seed.
//!
//! Risk items are rare (a few alerts a week for a supervisor's six counsellors), so the last
//! days alone would leave some supervisors without an alert to act on. Two alerts of the last
//! `params::CURRENT_DAYS` days are therefore still open although older, as if their supervisor
//! had not yet got to them: the newest of the printed counsellor of each hub if none of theirs
//! is recent, and the newest of each supervisor's counsellors if none of theirs is recent and
//! none was held for the printed counsellor. Only alerts on clients in care count (clients
//! screened and referred have no episode, so no caseload shows them).

use crate::clients::ClientStream;
use crate::plan::Plan;
use crate::{DemoError, Directory, params};
use scaleup_domain::date::Date;
use scaleup_domain::protocol::{Due, SessionFact};
use scaleup_domain::record::RecordPayload;
use scaleup_domain::role::Role;
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// A counsellor's day on `today`, as their Today list shows it: each active client's next
/// session is `Protocol::next_session` (which the app mirrors offline), the session after the
/// latest recorded one, attended or missed, due the protocol's interval after it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Day {
    /// Clients with an open episode.
    pub active: u32,
    /// Active clients whose next session is due today.
    pub due_today: u32,
    /// Past due by fewer than the protocol's `missed_session.overdue_days`.
    pub overdue: u32,
    /// Past due by `overdue_days` or more (Today's "missed").
    pub missed: u32,
    /// Active clients with a session recorded as missed (the caseload's `missed_sessions`).
    pub missed_sessions: u32,
    /// Unacknowledged risk alerts on clients in care (the caseload's `risk`).
    pub open_alerts: u32,
}

/// What the survey found: see the module documentation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Present {
    /// Assessments whose alerts stay open although they are older than `OPEN_ALERT_DAYS`.
    pub(crate) held_open: BTreeSet<Uuid>,
    /// Per counsellor (index into `Plan::accounts`).
    days: BTreeMap<usize, Day>,
    /// Per hub, the counsellor whose day shows the most, then their supervisor.
    showcase: Vec<usize>,
}

/// The newest alert of a counsellor that could be held open: (day, minute, assessment id).
type Newest = (Date, u32, Uuid);

impl Present {
    /// Generates every client once (without keeping the records): about as long as the
    /// generation itself, 30 s at a million clients against more than 20 minutes of loading.
    pub fn survey(plan: &Plan) -> Result<Present, DemoError> {
        let dir = Directory::synthetic(plan);
        let stream = ClientStream::bare(plan, &dir, 1)?;
        let open_from = plan.today.add_days(-params::OPEN_ALERT_DAYS);
        let hold_from = plan.today.add_days(-params::CURRENT_DAYS);
        let mut days: BTreeMap<usize, Day> = plan
            .accounts
            .iter()
            .enumerate()
            .filter(|(_, a)| a.role == Role::Counsellor)
            .map(|(i, _)| (i, Day::default()))
            .collect();
        let mut newest: BTreeMap<usize, Newest> = BTreeMap::new();
        for k in 0..plan.clients {
            let (records, _) = stream.generate(k);
            let Some(first) = records.first() else {
                continue;
            };
            let h = first.hub;
            let c = stream.account_index[&first.counsellor_id.expect("client records are placed")];
            let mut episode: Option<(Date, bool)> = None;
            let mut sessions: Vec<SessionFact> = Vec::new();
            for r in &records {
                match &r.payload {
                    RecordPayload::Episode(e) => {
                        episode = Some((e.enrolled_on, e.closed_on.is_none()));
                    }
                    RecordPayload::Session(s) => sessions.push(SessionFact {
                        number: s.number,
                        on: s.on,
                        attended: s.attended,
                    }),
                    RecordPayload::Assessment(a)
                        if a.episode_id.is_some() && r.recorded_on >= hold_from =>
                    {
                        let key = (r.recorded_on, r.recorded_minute, r.id);
                        let recent = r.recorded_on >= open_from;
                        if !recent && newest.get(&c).is_some_and(|n| *n >= key) {
                            continue;
                        }
                        if stream
                            .score(&a.instrument, &a.responses)
                            .risk_flags
                            .is_empty()
                        {
                            continue;
                        }
                        let day = days.get_mut(&c).expect("clients have a counsellor");
                        if recent {
                            day.open_alerts += 1;
                        } else {
                            newest.insert(c, key);
                        }
                    }
                    _ => {}
                }
            }
            let Some((enrolled, true)) = episode else {
                continue;
            };
            let day = days.get_mut(&c).expect("clients have a counsellor");
            day.active += 1;
            day.missed_sessions += u32::from(sessions.iter().any(|s| !s.attended));
            match stream.protocols[h]
                .next_session(enrolled, &sessions, plan.today)
                .status
            {
                Due::Today => day.due_today += 1,
                Due::Overdue { .. } => day.overdue += 1,
                Due::Missed => day.missed += 1,
                Due::Upcoming | Due::Done => {}
            }
        }

        let mut held_open = BTreeSet::new();
        let mut hold = |c: usize, days: &mut BTreeMap<usize, Day>| {
            if let Some((_, _, id)) = newest.get(&c) {
                held_open.insert(*id);
                days.get_mut(&c).expect("a counsellor").open_alerts += 1;
            }
        };
        let mut showcase = Vec::new();
        for hub in &plan.hubs {
            // Lexicographic: a client due today, one overdue or missed, a risk alert, a missed
            // session recorded, then the fullest caseload; the first counsellor wins a tie.
            let show = |c: &usize| {
                let d = &days[c];
                (
                    d.due_today > 0,
                    d.overdue + d.missed > 0,
                    d.open_alerts > 0 || newest.contains_key(c),
                    d.missed_sessions > 0,
                    d.active,
                )
            };
            let mut best = hub.counsellors[0];
            for c in &hub.counsellors[1..] {
                if show(c) > show(&best) {
                    best = *c;
                }
            }
            if days[&best].open_alerts == 0 {
                hold(best, &mut days);
            }
            showcase.push(best);
            showcase.extend(plan.accounts[best].supervisor);
        }
        for (s, _) in plan
            .accounts
            .iter()
            .enumerate()
            .filter(|(_, a)| a.role == Role::Supervisor)
        {
            let team: Vec<usize> = days
                .keys()
                .copied()
                .filter(|&c| plan.accounts[c].supervisor == Some(s))
                .collect();
            if team.iter().all(|c| days[c].open_alerts == 0)
                && let Some(c) = team.iter().copied().max_by_key(|c| newest.get(c))
            {
                hold(c, &mut days);
            }
        }
        Ok(Present {
            held_open,
            days,
            showcase,
        })
    }

    /// A counsellor's day (`account` indexes `Plan::accounts`); `None` for other accounts.
    pub fn day(&self, account: usize) -> Option<&Day> {
        self.days.get(&account)
    }

    /// The accounts to print for the user (indices into `Plan::accounts`): per hub, the
    /// counsellor whose day shows the most (a client due today, one overdue, a risk alert, a
    /// missed session recorded) and their supervisor. Every counsellor of a hub shares a password, and so
    /// does every supervisor, so any of them may sign in; these are the ones worth opening first.
    pub fn showcase(&self) -> &[usize] {
        &self.showcase
    }
}
