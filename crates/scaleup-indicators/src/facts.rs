//! Per-person facts: one row per client and one per episode, derived from that client's records
//! alone. Every indicator that speaks of people counts these rows, never the records, so a
//! client screened with two instruments is screened once.
//!
//! [`client_facts`] is the only place the facts are derived. Storage keeps its result in the
//! `indicator_clients` and `indicator_episodes` tables, recomputing a client's rows in the
//! transaction of every write that touches the client, and a full recomputation runs the same
//! function over every client: the two cannot disagree except through a write path that skips
//! the recomputation, which the conformance suite checks for.
//!
//! A fact depends only on the client's records, the risk alerts raised for the client and the
//! protocol of each programme (planned sessions, session plan, adequate dose, primary outcome).
//! Ties between records of the same date are broken by record id, so the result does not
//! depend on the order the records arrived in.

use scaleup_domain::date::Date;
use scaleup_domain::protocol::Protocol;
use scaleup_domain::record::{Assessment, ClosureReason, DeclineReason, Occasion, RecordPayload};
use std::collections::BTreeMap;

/// Bumped whenever the derivation below changes: storage recomputes every fact of a database
/// whose facts were derived by another version.
pub const FACTS_VERSION: i64 = 1;

/// Days from the last contact after which a follow-up counts for maintenance (RE-AIM: at least
/// six months after the final intervention contact; docs/indicators.md#maintenance).
pub const MAINTENANCE_DAYS: i64 = 182;

/// Age bands at registration (completed years in the registration year minus the birth year).
pub const AGE_BANDS: &[&str] = &[
    "0-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+", "unknown",
];

/// One stored record of a client, with where storage placed it and the server's score.
#[derive(Clone, Debug)]
pub struct FactRecord {
    pub id: String,
    pub payload: RecordPayload,
    pub hub_id: String,
    pub programme_id: Option<String>,
    pub facility_id: Option<String>,
    pub counsellor_id: Option<String>,
    /// The server's total of an assessment (`assessment_scores.total`), `None` otherwise.
    pub score_total: Option<f64>,
}

/// A column of a fact table: its name (the SQL column, the CSV header, the Parquet column of
/// the benchmark) and the kind of value it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ColKind {
    /// Identifiers and codes.
    Text,
    /// `YYYY-MM-DD`.
    Date,
    /// Counts and 0/1 flags (BIGINT).
    Int,
    /// Scores and shares (DOUBLE PRECISION).
    Num,
}

macro_rules! columns {
    ($($(#[$doc:meta])* $var:ident => $name:literal, $kind:ident;)*) => {
        /// The columns of the fact tables ([`CLIENT_COLUMNS`], [`EPISODE_COLUMNS`]).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Col { $($(#[$doc])* $var,)* }
        impl Col {
            /// Every column, in declaration order.
            pub const ALL: &'static [Col] = &[$(Col::$var,)*];
            /// The column's name in the fact tables.
            pub fn name(self) -> &'static str { match self { $(Col::$var => $name,)* } }
            /// The kind of value it holds.
            pub fn kind(self) -> ColKind { match self { $(Col::$var => ColKind::$kind,)* } }
        }
    };
}

columns! {
    /// The client (its `client` record's id).
    ClientId => "client_id", Text;
    /// The episode record's id.
    EpisodeId => "episode_id", Text;
    HubId => "hub_id", Text;
    /// The client's programme (for an episode: the episode's programme).
    ProgrammeId => "programme_id", Text;
    /// The client's facility (episodes carry their client's).
    FacilityId => "facility_id", Text;
    /// The counsellor holding the client's caseload now.
    CounsellorId => "counsellor_id", Text;
    /// female, male, other, unknown.
    Sex => "sex", Text;
    /// One of [`AGE_BANDS`].
    AgeBand => "age_band", Text;
    /// Trial arm: the episode's; for a client, that of the first episode.
    Arm => "arm", Text;
    RegisteredOn => "registered_on", Date;
    /// Earliest assessment on the `screening` occasion, any instrument.
    ScreenedOn => "screened_on", Date;
    /// Earliest eligibility decision with `eligible` true.
    EligibleOn => "eligible_on", Date;
    /// The latest decision among those with `eligible` true: not_offered, offered (no answer
    /// yet), accepted or declined.
    Decision => "decision", Text;
    /// Reason of a `declined` decision.
    DeclineReason => "decline_reason", Text;
    /// Earliest episode enrolment (clients); the episode's enrolment (episodes).
    EnrolledOn => "enrolled_on", Date;
    /// First attended session of the client (participation, service contact).
    ContactOn => "contact_on", Date;
    /// The day the first of the client's episodes reached the protocol's adequate dose
    /// (clients); the day this episode did (episodes).
    AdequateOn => "adequate_on", Date;
    /// 1 when a risk alert was raised for the client on or after enrolment.
    AlertInCare => "alert_in_care", Int;
    /// Latest AIM (acceptability) score, 1-5, and its date.
    Aim => "aim", Num;
    AimOn => "aim_on", Date;
    /// Latest IAM (appropriateness) score.
    Iam => "iam", Num;
    IamOn => "iam_on", Date;
    /// Latest FIM (feasibility) score.
    Fim => "fim", Num;
    FimOn => "fim_on", Date;
    ClosedOn => "closed_on", Date;
    /// completed, dropped_out, referred, transferred, died.
    ClosureReason => "closure_reason", Text;
    SessionsAttended => "sessions_attended", Int;
    SessionsMissed => "sessions_missed", Int;
    /// The protocol's planned sessions.
    SessionsPlanned => "sessions_planned", Int;
    /// Attended sessions counted towards dose: at most the planned number.
    SessionsCounted => "sessions_counted", Int;
    /// 1 when attended sessions reach the protocol's minimum adequate dose.
    Adequate => "adequate", Int;
    FirstSessionOn => "first_session_on", Date;
    LastSessionOn => "last_session_on", Date;
    /// The last attended session, else the enrolment.
    LastContactOn => "last_contact_on", Date;
    /// Components the protocol's session plan lists for the sessions attended.
    ComponentsPlanned => "components_planned", Int;
    /// Of those, the ones recorded as delivered.
    ComponentsDelivered => "components_delivered", Int;
    /// components_delivered / components_planned; absent when nothing was planned.
    Fidelity => "fidelity", Num;
    /// PHQ-9 total (sum of the nine items) of the episode's earliest baseline.
    Phq9Baseline => "phq9_baseline", Num;
    Phq9BaselineOn => "phq9_baseline_on", Date;
    /// PHQ-9 total of the episode's latest endpoint.
    Phq9Endpoint => "phq9_endpoint", Num;
    Phq9EndpointOn => "phq9_endpoint_on", Date;
    /// The protocol's primary outcome instrument (its first `outcomes` entry).
    OutcomeInstrument => "outcome_instrument", Text;
    OutcomeBaseline => "outcome_baseline", Num;
    OutcomeBaselineOn => "outcome_baseline_on", Date;
    OutcomeEndpoint => "outcome_endpoint", Num;
    OutcomeEndpointOn => "outcome_endpoint_on", Date;
    /// Latest follow-up of the primary instrument at least [`MAINTENANCE_DAYS`] after the last
    /// contact.
    FollowupTotal => "followup_total", Num;
    FollowupOn => "followup_on", Date;
}

/// The columns of `indicator_clients`, in table order (the first is the key).
pub const CLIENT_COLUMNS: &[Col] = &[
    Col::ClientId,
    Col::HubId,
    Col::ProgrammeId,
    Col::FacilityId,
    Col::CounsellorId,
    Col::Sex,
    Col::AgeBand,
    Col::Arm,
    Col::RegisteredOn,
    Col::ScreenedOn,
    Col::EligibleOn,
    Col::Decision,
    Col::DeclineReason,
    Col::EnrolledOn,
    Col::ContactOn,
    Col::AdequateOn,
    Col::AlertInCare,
    Col::Aim,
    Col::AimOn,
    Col::Iam,
    Col::IamOn,
    Col::Fim,
    Col::FimOn,
];

/// The columns of `indicator_episodes`, in table order (the first is the key).
pub const EPISODE_COLUMNS: &[Col] = &[
    Col::EpisodeId,
    Col::ClientId,
    Col::HubId,
    Col::ProgrammeId,
    Col::FacilityId,
    Col::CounsellorId,
    Col::Sex,
    Col::AgeBand,
    Col::Arm,
    Col::ContactOn,
    Col::EnrolledOn,
    Col::ClosedOn,
    Col::ClosureReason,
    Col::SessionsAttended,
    Col::SessionsMissed,
    Col::SessionsPlanned,
    Col::SessionsCounted,
    Col::Adequate,
    Col::AdequateOn,
    Col::FirstSessionOn,
    Col::LastSessionOn,
    Col::LastContactOn,
    Col::ComponentsPlanned,
    Col::ComponentsDelivered,
    Col::Fidelity,
    Col::Phq9Baseline,
    Col::Phq9BaselineOn,
    Col::Phq9Endpoint,
    Col::Phq9EndpointOn,
    Col::OutcomeInstrument,
    Col::OutcomeBaseline,
    Col::OutcomeBaselineOn,
    Col::OutcomeEndpoint,
    Col::OutcomeEndpointOn,
    Col::FollowupTotal,
    Col::FollowupOn,
];

/// One value of a fact column.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    Null,
    Text(String),
    Date(Date),
    Int(i64),
    Num(f64),
}

impl Val {
    /// The value as a number (dates and text are not numbers).
    pub fn num(&self) -> Option<f64> {
        match self {
            Val::Int(i) => Some(*i as f64),
            Val::Num(x) => Some(*x),
            _ => None,
        }
    }

    /// The value as SQL stores it in text columns: dates as `YYYY-MM-DD`.
    pub fn text(&self) -> Option<String> {
        match self {
            Val::Text(s) => Some(s.clone()),
            Val::Date(d) => Some(d.to_string()),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Val::Null)
    }
}

fn text(v: &Option<String>) -> Val {
    v.as_ref().map_or(Val::Null, |s| Val::Text(s.clone()))
}

fn date(v: &Option<Date>) -> Val {
    v.map_or(Val::Null, Val::Date)
}

fn num(v: &Option<f64>) -> Val {
    v.map_or(Val::Null, Val::Num)
}

/// A row of a fact table, read column by column (the evaluator and storage's writer use it).
pub trait FactRow: Send + Sync {
    /// The value of `col`; [`Val::Null`] for a column the table does not have.
    fn get(&self, col: Col) -> Val;
}

/// One client, as the reach, participation and cascade indicators count people.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ClientFacts {
    pub client_id: String,
    pub hub_id: String,
    pub programme_id: Option<String>,
    pub facility_id: Option<String>,
    pub counsellor_id: Option<String>,
    pub sex: String,
    pub age_band: String,
    pub arm: Option<String>,
    pub registered_on: Option<Date>,
    pub screened_on: Option<Date>,
    pub eligible_on: Option<Date>,
    pub decision: Option<String>,
    pub decline_reason: Option<String>,
    pub enrolled_on: Option<Date>,
    pub contact_on: Option<Date>,
    pub adequate_on: Option<Date>,
    pub alert_in_care: bool,
    pub aim: Option<f64>,
    pub aim_on: Option<Date>,
    pub iam: Option<f64>,
    pub iam_on: Option<Date>,
    pub fim: Option<f64>,
    pub fim_on: Option<Date>,
}

impl FactRow for ClientFacts {
    fn get(&self, col: Col) -> Val {
        match col {
            Col::ClientId => Val::Text(self.client_id.clone()),
            Col::HubId => Val::Text(self.hub_id.clone()),
            Col::ProgrammeId => text(&self.programme_id),
            Col::FacilityId => text(&self.facility_id),
            Col::CounsellorId => text(&self.counsellor_id),
            Col::Sex => Val::Text(self.sex.clone()),
            Col::AgeBand => Val::Text(self.age_band.clone()),
            Col::Arm => text(&self.arm),
            Col::RegisteredOn => date(&self.registered_on),
            Col::ScreenedOn => date(&self.screened_on),
            Col::EligibleOn => date(&self.eligible_on),
            Col::Decision => text(&self.decision),
            Col::DeclineReason => text(&self.decline_reason),
            Col::EnrolledOn => date(&self.enrolled_on),
            Col::ContactOn => date(&self.contact_on),
            Col::AdequateOn => date(&self.adequate_on),
            Col::AlertInCare => Val::Int(i64::from(self.alert_in_care)),
            Col::Aim => num(&self.aim),
            Col::AimOn => date(&self.aim_on),
            Col::Iam => num(&self.iam),
            Col::IamOn => date(&self.iam_on),
            Col::Fim => num(&self.fim),
            Col::FimOn => date(&self.fim_on),
            _ => Val::Null,
        }
    }
}

/// One episode (course of treatment), as the effectiveness and delivery indicators count them.
/// Client-level cut columns (facility, counsellor, sex, age band, contact) are the client's, so
/// that counting distinct clients over episodes partitions them exactly as the client table does.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct EpisodeFacts {
    pub episode_id: String,
    pub client_id: String,
    pub hub_id: String,
    pub programme_id: Option<String>,
    pub facility_id: Option<String>,
    pub counsellor_id: Option<String>,
    pub sex: String,
    pub age_band: String,
    pub arm: Option<String>,
    pub contact_on: Option<Date>,
    pub enrolled_on: Option<Date>,
    pub closed_on: Option<Date>,
    pub closure_reason: Option<String>,
    pub sessions_attended: i64,
    pub sessions_missed: i64,
    pub sessions_planned: i64,
    pub sessions_counted: i64,
    pub adequate: bool,
    pub adequate_on: Option<Date>,
    pub first_session_on: Option<Date>,
    pub last_session_on: Option<Date>,
    pub last_contact_on: Option<Date>,
    pub components_planned: i64,
    pub components_delivered: i64,
    pub fidelity: Option<f64>,
    pub phq9_baseline: Option<f64>,
    pub phq9_baseline_on: Option<Date>,
    pub phq9_endpoint: Option<f64>,
    pub phq9_endpoint_on: Option<Date>,
    pub outcome_instrument: Option<String>,
    pub outcome_baseline: Option<f64>,
    pub outcome_baseline_on: Option<Date>,
    pub outcome_endpoint: Option<f64>,
    pub outcome_endpoint_on: Option<Date>,
    pub followup_total: Option<f64>,
    pub followup_on: Option<Date>,
}

impl FactRow for EpisodeFacts {
    fn get(&self, col: Col) -> Val {
        match col {
            Col::EpisodeId => Val::Text(self.episode_id.clone()),
            Col::ClientId => Val::Text(self.client_id.clone()),
            Col::HubId => Val::Text(self.hub_id.clone()),
            Col::ProgrammeId => text(&self.programme_id),
            Col::FacilityId => text(&self.facility_id),
            Col::CounsellorId => text(&self.counsellor_id),
            Col::Sex => Val::Text(self.sex.clone()),
            Col::AgeBand => Val::Text(self.age_band.clone()),
            Col::Arm => text(&self.arm),
            Col::ContactOn => date(&self.contact_on),
            Col::EnrolledOn => date(&self.enrolled_on),
            Col::ClosedOn => date(&self.closed_on),
            Col::ClosureReason => text(&self.closure_reason),
            Col::SessionsAttended => Val::Int(self.sessions_attended),
            Col::SessionsMissed => Val::Int(self.sessions_missed),
            Col::SessionsPlanned => Val::Int(self.sessions_planned),
            Col::SessionsCounted => Val::Int(self.sessions_counted),
            Col::Adequate => Val::Int(i64::from(self.adequate)),
            Col::AdequateOn => date(&self.adequate_on),
            Col::FirstSessionOn => date(&self.first_session_on),
            Col::LastSessionOn => date(&self.last_session_on),
            Col::LastContactOn => date(&self.last_contact_on),
            Col::ComponentsPlanned => Val::Int(self.components_planned),
            Col::ComponentsDelivered => Val::Int(self.components_delivered),
            Col::Fidelity => num(&self.fidelity),
            Col::Phq9Baseline => num(&self.phq9_baseline),
            Col::Phq9BaselineOn => date(&self.phq9_baseline_on),
            Col::Phq9Endpoint => num(&self.phq9_endpoint),
            Col::Phq9EndpointOn => date(&self.phq9_endpoint_on),
            Col::OutcomeInstrument => text(&self.outcome_instrument),
            Col::OutcomeBaseline => num(&self.outcome_baseline),
            Col::OutcomeBaselineOn => date(&self.outcome_baseline_on),
            Col::OutcomeEndpoint => num(&self.outcome_endpoint),
            Col::OutcomeEndpointOn => date(&self.outcome_endpoint_on),
            Col::FollowupTotal => num(&self.followup_total),
            Col::FollowupOn => date(&self.followup_on),
            _ => Val::Null,
        }
    }
}

/// A client's facts: one client row and one row per episode.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct PersonFacts {
    pub client: ClientFacts,
    pub episodes: Vec<EpisodeFacts>,
}

/// The age band of someone born in `birth_year`, at registration on `registered_on`.
pub fn age_band(birth_year: Option<i32>, registered_on: Option<Date>) -> &'static str {
    let (Some(born), Some(on)) = (birth_year, registered_on) else {
        return "unknown";
    };
    match on.year() - born {
        a if a < 0 => "unknown",
        0..=17 => "0-17",
        18..=24 => "18-24",
        25..=34 => "25-34",
        35..=44 => "35-44",
        45..=54 => "45-54",
        55..=64 => "55-64",
        _ => "65+",
    }
}

/// The total an outcome indicator uses. PHQ-9: the sum of the nine items, and none when any of
/// the nine is unanswered (the contract's definition; with the built-in definition this is the
/// server's total). Any other instrument: the server's total.
pub fn outcome_total(a: &Assessment, stored: Option<f64>) -> Option<f64> {
    if a.instrument == "phq9" {
        let mut sum = 0.0;
        for item in 1..=9 {
            sum += a.responses.get(&item.to_string()).copied().flatten()?;
        }
        Some(sum)
    } else {
        stored
    }
}

fn code_of<T: serde::Serialize>(v: &T) -> Option<String> {
    serde_json::to_value(v).ok()?.as_str().map(str::to_string)
}

/// (date, record id): the order that picks "earliest" and "latest" independently of arrival.
type Key<'a> = (Date, &'a str);

fn earlier<'a>(current: &mut Option<(Key<'a>, f64)>, key: Key<'a>, value: f64) {
    if current.as_ref().is_none_or(|(k, _)| key < *k) {
        *current = Some((key, value));
    }
}

fn later<'a>(current: &mut Option<(Key<'a>, f64)>, key: Key<'a>, value: f64) {
    if current.as_ref().is_none_or(|(k, _)| key > *k) {
        *current = Some((key, value));
    }
}

fn min_date(a: Option<Date>, b: Option<Date>) -> Option<Date> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// Derives the facts of client `client_id` from all of its records (`records`, any order), the
/// dates of the risk alerts raised for it, and the protocol each programme follows. `None` when
/// the records hold no `client` record for it (nothing is counted for a client never
/// registered).
pub fn client_facts<'p>(
    client_id: &str,
    records: &[FactRecord],
    alerts_raised: &[Date],
    protocol_of: &dyn Fn(&str) -> Option<&'p Protocol>,
) -> Option<PersonFacts> {
    let client_record = records.iter().find(|r| r.id == client_id)?;
    let RecordPayload::Client(client) = &client_record.payload else {
        return None;
    };
    let mut c = ClientFacts {
        client_id: client_id.to_string(),
        hub_id: client_record.hub_id.clone(),
        programme_id: Some(client.programme_id.to_string()),
        facility_id: client_record
            .facility_id
            .clone()
            .or_else(|| Some(client.facility_id.to_string())),
        counsellor_id: client_record.counsellor_id.clone(),
        sex: code_of(&client.sex).unwrap_or_else(|| "unknown".into()),
        age_band: age_band(client.birth_year, Some(client.registered_on)).to_string(),
        registered_on: Some(client.registered_on),
        ..Default::default()
    };

    // Screening, eligibility and the acceptability measures.
    let mut decision: Option<(Key, String, Option<String>)> = None;
    let mut perception: BTreeMap<&str, (Key, f64)> = BTreeMap::new();
    for r in records {
        match &r.payload {
            RecordPayload::Assessment(a) => {
                if a.occasion == Occasion::Screening {
                    c.screened_on = min_date(c.screened_on, Some(a.administered_on));
                }
                if let ("aim" | "iam" | "fim", Some(total)) = (a.instrument.as_str(), r.score_total)
                {
                    let key = (a.administered_on, r.id.as_str());
                    let slot = perception
                        .entry(a.instrument.as_str())
                        .or_insert((key, total));
                    if key > slot.0 {
                        *slot = (key, total);
                    }
                }
            }
            RecordPayload::Eligibility(e) if e.eligible => {
                c.eligible_on = min_date(c.eligible_on, Some(e.decided_on));
                let key = (e.decided_on, r.id.as_str());
                if decision.as_ref().is_none_or(|(k, ..)| key > *k) {
                    let status = match (e.offered, e.accepted) {
                        (false, _) => "not_offered",
                        (true, None) => "offered",
                        (true, Some(true)) => "accepted",
                        (true, Some(false)) => "declined",
                    };
                    let reason = e.decline_reason.and_then(|d: DeclineReason| code_of(&d));
                    decision = Some((key, status.to_string(), reason));
                }
            }
            _ => {}
        }
    }
    if let Some((_, status, reason)) = decision {
        c.decision = Some(status);
        c.decline_reason = reason;
    }
    for (instrument, ((on, _), total)) in perception {
        match instrument {
            "aim" => (c.aim, c.aim_on) = (Some(total), Some(on)),
            "iam" => (c.iam, c.iam_on) = (Some(total), Some(on)),
            _ => (c.fim, c.fim_on) = (Some(total), Some(on)),
        }
    }

    // Episodes, each with its sessions and outcome assessments.
    let mut episodes: Vec<(&FactRecord, &scaleup_domain::record::Episode)> = records
        .iter()
        .filter_map(|r| match &r.payload {
            RecordPayload::Episode(e) => Some((r, e)),
            _ => None,
        })
        .collect();
    episodes.sort_by(|a, b| (a.1.enrolled_on, &a.0.id).cmp(&(b.1.enrolled_on, &b.0.id)));
    let mut out = Vec::new();
    for (er, e) in &episodes {
        let programme = e.programme_id.to_string();
        let protocol = protocol_of(&programme);
        let primary = protocol
            .and_then(|p| p.def().outcomes.first())
            .map(|o| o.instrument.clone());
        let mut f = EpisodeFacts {
            episode_id: er.id.clone(),
            client_id: client_id.to_string(),
            hub_id: er.hub_id.clone(),
            programme_id: Some(programme),
            facility_id: c.facility_id.clone(),
            counsellor_id: c.counsellor_id.clone(),
            sex: c.sex.clone(),
            age_band: c.age_band.clone(),
            arm: e.arm.clone(),
            enrolled_on: Some(e.enrolled_on),
            closed_on: e.closed_on,
            closure_reason: e.closure_reason.and_then(|r: ClosureReason| code_of(&r)),
            sessions_planned: protocol.map_or(0, |p| i64::from(p.def().sessions.planned)),
            outcome_instrument: primary.clone(),
            ..Default::default()
        };
        let minimum = protocol.map(|p| i64::from(p.def().dose.minimum_sessions));
        let mut attended: Vec<(Date, &str, &scaleup_domain::record::Session)> = Vec::new();
        for r in records {
            if let RecordPayload::Session(s) = &r.payload {
                if s.episode_id.to_string() != er.id {
                    continue;
                }
                if s.attended {
                    attended.push((s.on, r.id.as_str(), s));
                } else {
                    f.sessions_missed += 1;
                }
            }
        }
        attended.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        f.sessions_attended = attended.len() as i64;
        f.sessions_counted = f.sessions_attended.min(f.sessions_planned);
        f.first_session_on = attended.first().map(|a| a.0);
        f.last_session_on = attended.last().map(|a| a.0);
        f.last_contact_on = f.last_session_on.or(Some(e.enrolled_on));
        if let Some(min) = minimum {
            f.adequate = f.sessions_attended >= min;
            if f.adequate {
                f.adequate_on = if min == 0 {
                    Some(e.enrolled_on)
                } else {
                    attended.get(min as usize - 1).map(|a| a.0)
                };
            }
        }
        if let Some(p) = protocol {
            for (_, _, s) in &attended {
                if let Some(plan) = p.def().session_plan.iter().find(|x| x.session == s.number) {
                    f.components_planned += plan.components.len() as i64;
                    f.components_delivered += plan
                        .components
                        .iter()
                        .filter(|c| s.components.contains(c))
                        .count() as i64;
                }
            }
        }
        if f.components_planned > 0 {
            f.fidelity = Some(f.components_delivered as f64 / f.components_planned as f64);
        }
        // Outcomes: earliest baseline and latest endpoint of the episode, per instrument.
        let (mut phq_base, mut phq_end, mut out_base, mut out_end, mut follow) =
            (None, None, None, None, None);
        for r in records {
            let RecordPayload::Assessment(a) = &r.payload else {
                continue;
            };
            if a.episode_id.map(|id| id.to_string()).as_deref() != Some(er.id.as_str()) {
                continue;
            }
            let Some(total) = outcome_total(a, r.score_total) else {
                continue;
            };
            let key = (a.administered_on, r.id.as_str());
            if a.instrument == "phq9" {
                match a.occasion {
                    Occasion::Baseline => earlier(&mut phq_base, key, total),
                    Occasion::Endpoint => later(&mut phq_end, key, total),
                    _ => {}
                }
            }
            if primary.as_deref() == Some(a.instrument.as_str()) {
                match a.occasion {
                    Occasion::Baseline => earlier(&mut out_base, key, total),
                    Occasion::Endpoint => later(&mut out_end, key, total),
                    Occasion::FollowUp => {
                        let after = f
                            .last_contact_on
                            .is_some_and(|l| l.days_until(a.administered_on) >= MAINTENANCE_DAYS);
                        if after {
                            later(&mut follow, key, total);
                        }
                    }
                    _ => {}
                }
            }
        }
        (f.phq9_baseline_on, f.phq9_baseline) = split(phq_base);
        (f.phq9_endpoint_on, f.phq9_endpoint) = split(phq_end);
        (f.outcome_baseline_on, f.outcome_baseline) = split(out_base);
        (f.outcome_endpoint_on, f.outcome_endpoint) = split(out_end);
        (f.followup_on, f.followup_total) = split(follow);
        out.push(f);
    }

    // The client's person-level view of its episodes.
    if let Some((_, first)) = episodes.first() {
        c.arm = first.arm.clone();
    }
    c.enrolled_on = episodes.iter().map(|(_, e)| e.enrolled_on).min();
    c.contact_on = out.iter().filter_map(|f| f.first_session_on).min();
    c.adequate_on = out.iter().filter_map(|f| f.adequate_on).min();
    c.alert_in_care = c
        .enrolled_on
        .is_some_and(|enrolled| alerts_raised.iter().any(|d| *d >= enrolled));
    for f in &mut out {
        f.contact_on = c.contact_on;
    }
    Some(PersonFacts {
        client: c,
        episodes: out,
    })
}

fn split(v: Option<(Key<'_>, f64)>) -> (Option<Date>, Option<f64>) {
    match v {
        Some(((on, _), total)) => (Some(on), Some(total)),
        None => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_belongs_to_a_table() {
        for col in Col::ALL {
            assert!(
                CLIENT_COLUMNS.contains(col) || EPISODE_COLUMNS.contains(col),
                "{col:?}"
            );
        }
    }

    #[test]
    fn age_bands_are_completed_years_at_registration() {
        let on = Date::parse("2026-03-01", "d").ok();
        assert_eq!(age_band(Some(2008), on), "18-24");
        assert_eq!(age_band(Some(2009), on), "0-17");
        assert_eq!(age_band(Some(1961), on), "65+");
        assert_eq!(age_band(None, on), "unknown");
        assert_eq!(age_band(Some(2027), on), "unknown");
    }
}
