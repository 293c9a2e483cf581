//! A protocol's rules for one client's course of care: who may be enrolled, what a session may
//! record, when the next session is due, and which cases a supervisor should look at.
//!
//! The server applies these when a device syncs and when a caseload is listed; the counsellor's
//! offline app applies the same rules from the same protocol files (in JavaScript), so each rule
//! here is written out in its doc comment exactly enough to be mirrored. Everything is a pure
//! function of the protocol, the client's facts and `today`: no clock is read here.

use super::{ExclusionAction, Protocol};
use crate::date::Date;
use crate::error::FieldError;
use crate::instrument::Score;
use crate::record::Occasion;
use std::collections::{BTreeMap, BTreeSet};

/// Days between sessions when a protocol does not say (`sessions.interval_days`).
pub const DEFAULT_INTERVAL_DAYS: u32 = 7;

/// A client's latest screening or baseline assessment with one instrument, as far as the
/// enrolment rules look at it: when it was given and which risk rules it raised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatestScreening {
    /// `Screening` or `Baseline`.
    pub occasion: Occasion,
    /// Ids of the instrument's risk rules the assessment raised (e.g. `item9_positive`).
    pub risk_rules: BTreeSet<String>,
}

/// Why a client may not be enrolled: an exclusion of the protocol fired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolmentBlock {
    /// Exclusion id, e.g. `suicide_risk`.
    pub exclusion: String,
    /// What the protocol says to do instead.
    pub action: ExclusionAction,
    /// Instrument whose assessment raised the rule.
    pub instrument: String,
    /// Risk rule id.
    pub risk_rule: String,
    /// Occasion of that assessment.
    pub occasion: Occasion,
}

impl EnrolmentBlock {
    /// The rejection a device is shown: codes and ids only, no score or response.
    pub fn to_field_error(&self) -> FieldError {
        let action = match self.action {
            ExclusionAction::Refer => "refer",
            ExclusionAction::Exclude => "exclude",
        };
        let occasion = match self.occasion {
            Occasion::Baseline => "baseline assessment",
            _ => "screening",
        };
        let next = match self.action {
            ExclusionAction::Refer => "record a referral instead",
            ExclusionAction::Exclude => "the client is not eligible for this programme",
        };
        FieldError::new(
            "data.client_id",
            format!(
                "enrolment is blocked by the protocol's exclusion {} ({action}): the latest {} {occasion} raised {}; {next}",
                self.exclusion, self.instrument, self.risk_rule
            ),
        )
    }
}

/// One session of an episode as the schedule sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionFact {
    /// Session number, 1-based.
    pub number: u32,
    /// Date it took place (or was missed).
    pub on: Date,
    /// Attended or missed; both count as a session held for the schedule.
    pub attended: bool,
}

/// Where the next session stands on `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Due after today.
    Upcoming,
    /// Due today.
    Today,
    /// Past due by `days` (1 or more), fewer days than `missed_session.overdue_days`.
    Overdue {
        /// Days since the due date.
        days: u32,
    },
    /// Past due by `missed_session.overdue_days` or more.
    Missed,
    /// Every planned session has been held; nothing is due.
    Done,
}

impl Due {
    /// The status code the API shows: `upcoming`, `today`, `overdue`, `missed` or `done`.
    pub fn as_str(self) -> &'static str {
        match self {
            Due::Upcoming => "upcoming",
            Due::Today => "today",
            Due::Overdue { .. } => "overdue",
            Due::Missed => "missed",
            Due::Done => "done",
        }
    }
}

/// What the protocol says comes next in an episode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextStep {
    /// The next session's number; `None` when the planned sessions are done.
    pub number: Option<u32>,
    /// When it is due; `None` when done (or past the calendar's end).
    pub due_on: Option<Date>,
    /// Where it stands today.
    pub status: Due,
    /// The session plan's components for that session number (empty when the plan has none).
    pub components: Vec<String>,
}

/// A supervision flag on a caseload entry. The order of the variants is the order flags are
/// listed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SupervisionFlag {
    /// An unacknowledged risk alert.
    Risk,
    /// A session recorded as missed.
    MissedSessions,
    /// An active episode whose next session is past the protocol's missed-session limit.
    Overdue,
    /// The stepped-care rule fired.
    NoImprovement,
    /// The episode closed as dropped out.
    Dropout,
}

impl SupervisionFlag {
    /// The code the API shows.
    pub fn as_str(self) -> &'static str {
        match self {
            SupervisionFlag::Risk => "risk",
            SupervisionFlag::MissedSessions => "missed_sessions",
            SupervisionFlag::Overdue => "overdue",
            SupervisionFlag::NoImprovement => "no_improvement",
            SupervisionFlag::Dropout => "dropout",
        }
    }
}

/// A scored assessment of a client, in a caseload.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredAssessment {
    /// Occasion, when known.
    pub occasion: Option<Occasion>,
    /// Session number, for assessments given at a session.
    pub session_number: Option<u32>,
    /// The stored score.
    pub score: Score,
}

/// What the supervision flags look at in one client's caseload entry.
#[derive(Debug, Clone, Copy)]
pub struct CaseFacts<'a> {
    /// The client has an unacknowledged risk alert.
    pub open_risk_alert: bool,
    /// Sessions recorded as missed (all episodes).
    pub sessions_missed: u32,
    /// The latest episode is open.
    pub episode_active: bool,
    /// The latest episode closed as dropped out.
    pub dropped_out: bool,
    /// Date of the last attended session.
    pub last_attended_on: Option<Date>,
    /// Scored assessments in date order.
    pub scores: &'a [ScoredAssessment],
}

/// The supervision flags of one case, in [`SupervisionFlag`] order:
/// - `risk`: an unacknowledged risk alert;
/// - `missed_sessions`: a session recorded as missed;
/// - `overdue`: the episode is active and the session after the last attended one (that
///   session's date plus the interval) is past due by at least `missed_session.overdue_days`
///   days (protocol needed; missed sessions do not move this date, unlike [`Protocol::next_session`]);
/// - `no_improvement`: the stepped-care rule fired for a session-numbered score against the
///   first screening or baseline score of the same instrument (protocol needed);
/// - `dropout`: the episode closed as dropped out.
pub fn supervision_flags(
    protocol: Option<&Protocol>,
    case: &CaseFacts<'_>,
    today: Date,
) -> Vec<SupervisionFlag> {
    let mut flags = Vec::new();
    if case.open_risk_alert {
        flags.push(SupervisionFlag::Risk);
    }
    if case.sessions_missed > 0 {
        flags.push(SupervisionFlag::MissedSessions);
    }
    if let Some(p) = protocol {
        if case.episode_active && overdue_since_last_attended(p, case.last_attended_on, today) {
            flags.push(SupervisionFlag::Overdue);
        }
        if no_improvement(p, case.scores) {
            flags.push(SupervisionFlag::NoImprovement);
        }
    }
    if case.dropped_out {
        flags.push(SupervisionFlag::Dropout);
    }
    flags
}

fn overdue_since_last_attended(p: &Protocol, last: Option<Date>, today: Date) -> bool {
    let Some(last) = last else {
        return false;
    };
    let days_overdue = last.days_until(today) - i64::from(p.interval_days());
    days_overdue > 0 && p.session_missed(u32::try_from(days_overdue).unwrap_or(u32::MAX))
}

fn no_improvement(p: &Protocol, scores: &[ScoredAssessment]) -> bool {
    let Some(baseline) = scores
        .iter()
        .find(|s| matches!(s.occasion, Some(Occasion::Baseline | Occasion::Screening)))
    else {
        return false;
    };
    scores.iter().rev().any(|s| {
        s.session_number.is_some_and(|n| {
            s.score.instrument == baseline.score.instrument
                && p.stepped_care_flag(&baseline.score, &s.score, n).is_some()
        })
    })
}

impl Protocol {
    /// Days between sessions: `sessions.interval_days`, or [`DEFAULT_INTERVAL_DAYS`].
    pub fn interval_days(&self) -> u32 {
        self.def
            .sessions
            .interval_days
            .unwrap_or(DEFAULT_INTERVAL_DAYS)
    }

    /// The component codes of this protocol, in file order.
    pub fn component_codes(&self) -> impl Iterator<Item = &str> {
        self.def.components.iter().map(|c| c.code.as_str())
    }

    /// The session plan's components for session `number` (empty when the plan names none).
    pub fn planned_components(&self, number: u32) -> &[String] {
        self.def
            .session_plan
            .iter()
            .find(|s| s.session == number)
            .map(|s| s.components.as_slice())
            .unwrap_or(&[])
    }

    /// Checks a session's recorded components: each must be a component of this protocol.
    /// The error names the first offending position (`data.components.<i>`) and lists what is
    /// allowed; component codes are protocol vocabulary, not clinical values.
    pub fn check_session_components(&self, components: &[String]) -> Result<(), FieldError> {
        let allowed: Vec<&str> = self.component_codes().collect();
        match components
            .iter()
            .position(|c| !allowed.contains(&c.as_str()))
        {
            None => Ok(()),
            Some(i) => Err(FieldError::new(
                format!("data.components.{i}"),
                if allowed.is_empty() {
                    format!(
                        "is not a component of protocol {}; it defines no components, so record none",
                        self.code()
                    )
                } else {
                    format!(
                        "is not a component of protocol {}; allowed: {}",
                        self.code(),
                        allowed.join(", ")
                    )
                },
            )),
        }
    }

    /// Whether the protocol's exclusions block enrolling a client, from the client's latest
    /// screening or baseline assessment per instrument (`latest`: instrument code → that
    /// assessment). The first exclusion, in file order, whose instrument's latest assessment
    /// raised its risk rule blocks; a later assessment without the flag lifts the block.
    pub fn enrolment_block(
        &self,
        latest: &BTreeMap<String, LatestScreening>,
    ) -> Option<EnrolmentBlock> {
        let e = self.def.eligibility.as_ref()?;
        e.exclusions.iter().find_map(|x| {
            let seen = latest.get(&x.instrument)?;
            seen.risk_rules
                .contains(&x.risk_rule)
                .then(|| EnrolmentBlock {
                    exclusion: x.id.clone(),
                    action: x.action,
                    instrument: x.instrument.clone(),
                    risk_rule: x.risk_rule.clone(),
                    occasion: seen.occasion,
                })
        })
    }

    /// The next session of an episode and where it stands on `today`. The rule, exactly (the
    /// counsellor's app computes the same offline):
    ///
    /// 1. `sessions` are the episode's session records, attended or missed alike. With none,
    ///    the next is session 1, due on `enrolled_on`.
    /// 2. Otherwise the next number is the highest recorded `number` plus 1, and it is due on
    ///    the latest recorded `on` date plus `sessions.interval_days` (7 when the protocol does
    ///    not say).
    /// 3. If the next number is above `sessions.planned`, the episode's sessions are done:
    ///    number and due date are `None`, status `Done`, no components.
    /// 4. Otherwise, with `d` = days from the due date to `today`: `d < 0` is `Upcoming`,
    ///    `d == 0` is `Today`; `d > 0` is `Missed` when the protocol has `missed_session` and
    ///    `d >= missed_session.overdue_days`, else `Overdue { days: d }`.
    /// 5. `components` are the session plan's components for the next number (empty when the
    ///    plan has no entry for it).
    ///
    /// A due date past the calendar's end (year 9999) is `None` with status `Upcoming`.
    pub fn next_session(
        &self,
        enrolled_on: Date,
        sessions: &[SessionFact],
        today: Date,
    ) -> NextStep {
        let (number, due_on) = match sessions.iter().map(|s| s.number).max() {
            None => (1, Some(enrolled_on)),
            Some(highest) => {
                let latest = sessions.iter().map(|s| s.on).max().unwrap_or(enrolled_on);
                (
                    highest.saturating_add(1),
                    latest.checked_add_days(i64::from(self.interval_days())),
                )
            }
        };
        if number > self.def.sessions.planned {
            return NextStep {
                number: None,
                due_on: None,
                status: Due::Done,
                components: Vec::new(),
            };
        }
        let status = match due_on.map(|due| due.days_until(today)) {
            None => Due::Upcoming,
            Some(d) if d < 0 => Due::Upcoming,
            Some(0) => Due::Today,
            Some(d) => {
                let days = u32::try_from(d).unwrap_or(u32::MAX);
                if self.session_missed(days) {
                    Due::Missed
                } else {
                    Due::Overdue { days }
                }
            }
        };
        NextStep {
            number: Some(number),
            due_on,
            status,
            components: self.planned_components(number).to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::instrument::Responses;

    fn d(text: &str) -> Date {
        Date::parse(text, "t").unwrap()
    }

    fn protocol(code: &str) -> &'static Protocol {
        Catalog::builtin_shared().protocol(code).unwrap()
    }

    /// A protocol with none of the optional parts: no interval, no missed-session rule, no
    /// components, no exclusions.
    fn bare() -> Protocol {
        let text = r#"
kind = "protocol"
code = "bare"
version = "1"
name = "Bare"
delivery = ["individual"]
[[sources]]
text = "Test."
[sessions]
planned = 3
typical_minutes = 30
[dose]
minimum_sessions = 2
"#;
        Protocol::from_toml("bare.toml", text, &Catalog::new()).unwrap()
    }

    /// Renders `next_session` compactly: `number due status components`.
    fn next(p: &Protocol, enrolled: &str, sessions: &[(u32, &str, bool)], today: &str) -> String {
        let facts: Vec<SessionFact> = sessions
            .iter()
            .map(|&(number, on, attended)| SessionFact {
                number,
                on: d(on),
                attended,
            })
            .collect();
        let n = p.next_session(d(enrolled), &facts, d(today));
        let status = match n.status {
            Due::Overdue { days } => format!("overdue({days})"),
            other => other.as_str().to_string(),
        };
        format!(
            "{} {} {status} [{}]",
            n.number.map_or("-".into(), |x| x.to_string()),
            n.due_on.map_or("-".into(), |x| x.to_string()),
            n.components.join(",")
        )
    }

    #[test]
    fn next_session_follows_the_documented_rule() {
        let hap = protocol("hap");
        // HAP: 8 sessions, every 7 days, missed 7 days after the due date.
        // (enrolled on, sessions as (number, on, attended), today, expected rendering)
        type Case<'a> = (&'a str, &'a [(u32, &'a str, bool)], &'a str, &'a str);
        let cases: &[Case] = &[
            // No session yet: session 1 is due on the enrolment date.
            (
                "2026-12-06",
                &[],
                "2026-12-06",
                "1 2026-12-06 today [engagement,activity_monitoring]",
            ),
            (
                "2026-12-08",
                &[],
                "2026-12-06",
                "1 2026-12-08 upcoming [engagement,activity_monitoring]",
            ),
            (
                "2026-12-01",
                &[],
                "2026-12-06",
                "1 2026-12-01 overdue(5) [engagement,activity_monitoring]",
            ),
            // Six days past due is still overdue; seven is missed.
            (
                "2026-11-30",
                &[],
                "2026-12-06",
                "1 2026-11-30 overdue(6) [engagement,activity_monitoring]",
            ),
            (
                "2026-11-29",
                &[],
                "2026-12-06",
                "1 2026-11-29 missed [engagement,activity_monitoring]",
            ),
            // A missed session counts like an attended one: session 3 is due 7 days after it.
            (
                "2026-11-13",
                &[(1, "2026-11-20", true), (2, "2026-11-27", false)],
                "2026-12-06",
                "3 2026-12-04 overdue(2) [activity_scheduling,social_network_activation]",
            ),
            (
                "2026-11-13",
                &[(1, "2026-12-05", true)],
                "2026-12-06",
                "2 2026-12-12 upcoming [engagement,activity_monitoring,activity_scheduling]",
            ),
            // Number from the highest number, date from the latest date, independently.
            (
                "2026-11-01",
                &[(3, "2026-11-10", true), (2, "2026-11-20", true)],
                "2026-11-27",
                "4 2026-11-27 today [activity_scheduling,problem_solving]",
            ),
            // The eighth session held: done.
            (
                "2026-10-01",
                &[(8, "2026-11-20", true)],
                "2026-12-06",
                "- - done []",
            ),
            // A due date past the calendar's end does not crash.
            (
                "9999-12-01",
                &[(1, "9999-12-30", true)],
                "2026-12-06",
                "2 - upcoming [engagement,activity_monitoring,activity_scheduling]",
            ),
        ];
        for (enrolled, sessions, today, expect) in cases {
            assert_eq!(
                next(hap, enrolled, sessions, today),
                *expect,
                "enrolled {enrolled}, sessions {sessions:?}, today {today}"
            );
        }
        // No interval: 7 days. No missed-session rule: overdue however late. No plan: no components.
        let bare = bare();
        assert_eq!(
            next(
                &bare,
                "2026-01-01",
                &[(1, "2026-01-05", true)],
                "2026-06-01"
            ),
            "2 2026-01-12 overdue(140) []"
        );
        assert_eq!(
            next(
                &bare,
                "2026-01-01",
                &[(3, "2026-01-05", true)],
                "2026-06-01"
            ),
            "- - done []"
        );
    }

    #[test]
    fn session_components_must_belong_to_the_protocol() {
        let hap = protocol("hap");
        let list = |codes: &[&str]| codes.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        assert!(hap.check_session_components(&[]).is_ok());
        assert!(
            hap.check_session_components(&list(&["engagement", "relapse_prevention"]))
                .is_ok()
        );
        // A PM+ component is not a HAP component.
        let e = hap
            .check_session_components(&list(&["engagement", "psychoeducation"]))
            .unwrap_err();
        assert_eq!(e.field, "data.components.1");
        assert_eq!(
            e.message,
            "is not a component of protocol hap; allowed: engagement, activity_monitoring, \
             activity_scheduling, social_network_activation, problem_solving, relapse_prevention"
        );
        let e = bare()
            .check_session_components(&list(&["anything"]))
            .unwrap_err();
        assert_eq!(e.field, "data.components.0");
        assert!(e.message.contains("defines no components"), "{}", e.message);
    }

    fn latest(entries: &[(&str, Occasion, &[&str])]) -> BTreeMap<String, LatestScreening> {
        entries
            .iter()
            .map(|(instrument, occasion, rules)| {
                (
                    instrument.to_string(),
                    LatestScreening {
                        occasion: *occasion,
                        risk_rules: rules.iter().map(|r| r.to_string()).collect(),
                    },
                )
            })
            .collect()
    }

    #[test]
    fn an_exclusion_blocks_enrolment_until_a_later_screening_lifts_it() {
        let hap = protocol("hap");
        let block = hap
            .enrolment_block(&latest(&[(
                "phq9",
                Occasion::Screening,
                &["item9_positive"],
            )]))
            .unwrap();
        assert_eq!(
            (
                block.exclusion.as_str(),
                block.action,
                block.risk_rule.as_str()
            ),
            ("suicide_risk", ExclusionAction::Refer, "item9_positive")
        );
        let e = block.to_field_error();
        assert_eq!(e.field, "data.client_id");
        assert_eq!(
            e.message,
            "enrolment is blocked by the protocol's exclusion suicide_risk (refer): the latest \
             phq9 screening raised item9_positive; record a referral instead"
        );
        let baseline = hap
            .enrolment_block(&latest(&[(
                "phq9",
                Occasion::Baseline,
                &["item9_positive"],
            )]))
            .unwrap();
        assert!(
            baseline
                .to_field_error()
                .message
                .contains("latest phq9 baseline assessment raised")
        );
        // The latest assessment without the flag, another instrument's flag, or no assessment at
        // all: enrolment goes ahead (eligibility itself is the counsellor's recorded decision).
        for facts in [
            latest(&[("phq9", Occasion::Screening, &[])]),
            latest(&[("gad7", Occasion::Screening, &["item9_positive"])]),
            latest(&[]),
        ] {
            assert_eq!(hap.enrolment_block(&facts), None, "{facts:?}");
        }
        assert_eq!(
            bare().enrolment_block(&latest(&[(
                "phq9",
                Occasion::Screening,
                &["item9_positive"]
            )])),
            None
        );
    }

    fn phq9(items: i32, item9: i32) -> Score {
        let inst = Catalog::builtin_shared().instrument("phq9").unwrap();
        let mut r = Responses::new();
        for i in 1..=8 {
            r.insert(i.to_string(), Some(items));
        }
        r.insert("9", Some(item9));
        inst.score(&r).unwrap()
    }

    #[test]
    fn supervision_flags_follow_the_protocol() {
        // PM+ individual: from session 3, at least a 50 % reduction from baseline; a session
        // is missed 7 days after it was due; sessions every 7 days.
        let pm = protocol("pm_plus_individual");
        let today = d("2026-12-06");
        let scored = |occasion, session_number, score| ScoredAssessment {
            occasion: Some(occasion),
            session_number,
            score,
        };
        let stuck = [
            scored(Occasion::Baseline, None, phq9(2, 0)),
            scored(Occasion::Session, Some(3), phq9(2, 0)),
        ];
        let improving = [
            scored(Occasion::Baseline, None, phq9(2, 0)),
            scored(Occasion::Session, Some(3), phq9(1, 0)),
        ];
        let case = |scores, last: &str, active, missed, alert| CaseFacts {
            open_risk_alert: alert,
            sessions_missed: missed,
            episode_active: active,
            dropped_out: false,
            last_attended_on: Some(d(last)),
            scores,
        };
        let codes =
            |flags: Vec<SupervisionFlag>| flags.into_iter().map(|f| f.as_str()).collect::<Vec<_>>();
        // Last attended 19 days ago: the next was due 12 days ago, past the 7-day limit.
        assert_eq!(
            codes(supervision_flags(
                Some(pm),
                &case(&improving, "2026-11-17", true, 0, false),
                today
            )),
            vec!["overdue"]
        );
        assert_eq!(
            codes(supervision_flags(
                Some(pm),
                &case(&stuck, "2026-11-17", true, 1, true),
                today
            )),
            vec!["risk", "missed_sessions", "overdue", "no_improvement"]
        );
        // 14 days since the last session is 7 past due: overdue; 13 is not yet.
        assert_eq!(
            codes(supervision_flags(
                Some(pm),
                &case(&improving, "2026-11-22", true, 0, false),
                today
            )),
            vec!["overdue"]
        );
        assert!(
            supervision_flags(
                Some(pm),
                &case(&improving, "2026-11-23", true, 0, false),
                today
            )
            .is_empty()
        );
        // A closed episode is not overdue; without a protocol only risk, missed and dropout apply.
        assert!(
            supervision_flags(
                Some(pm),
                &case(&improving, "2026-01-01", false, 0, false),
                today
            )
            .is_empty()
        );
        let dropped = CaseFacts {
            dropped_out: true,
            ..case(&stuck, "2026-01-01", true, 2, false)
        };
        assert_eq!(
            codes(supervision_flags(None, &dropped, today)),
            vec!["missed_sessions", "dropout"]
        );
    }
}
