//! scaleup-demo: a deterministic synthetic dataset for scaleup, from published parameters.
//!
//! Principal types:
//! - [`DemoConfig`] (seed, number of clients, `today`) → [`Plan`]: three hubs (HAP in Goa,
//!   India; Friendship Bench in Harare, Zimbabwe; PM+ in Nairobi, Kenya, run as a stepped-wedge
//!   cluster trial), their org units (country > region > district > facility, each facility with
//!   its catchment adult population), programmes with sites, and staff (admin, hub managers,
//!   supervisors, counsellors each with a supervisor, a researcher and a viewer) with passwords
//!   derived from the seed. The plan is small and lives in memory.
//! - [`Present`]: a first pass over every client that sees the demo as its users will on
//!   `today`: it keeps a few older risk alerts open so that every supervisor has one to act on,
//!   and picks per hub the counsellor (and their supervisor) whose day shows the most, the
//!   accounts printed for the user ([`Plan::list`]).
//! - [`Directory`]: the database ids the caller gave the plan's hubs, org units, programmes
//!   and accounts when it created them.
//! - [`ClientStream`]: an iterator of [`DemoRecord`] batches, a few thousand clients at a time,
//!   so a million clients never sit in memory. Every client draws from its own random stream
//!   (seed, client index), so the output does not depend on the batch size. When the stream is
//!   exhausted, [`ClientStream::staff_records`] yields supervision sessions (which review the
//!   clients generated), ENACT/EQUIP competency assessments and training records.
//!
//! Nothing here touches a database, a file or the clock: the output is a function of
//! (seed, clients, today), and the `scaleup demo` command does the rest.
//!
//! # Generative model
//!
//! Indices: hub h, facility f, counsellor c, client i, occasion t (days since enrolment).
//! Parameters per hub are in [`params`], each with its source or marked ASSUMED.
//!
//! **Timeline.** Every date is counted back from `today`, so a demo built on any day is a
//! working day: clients due today, overdue clients, alerts waiting for the supervisor. The day
//! itself holds no record (the demo opens at its start) and nothing is dated after it. Moving
//! `today` shifts every date by the same number of days and changes nothing else. Registration
//! ends [`params::REGISTRATION_LAG_DAYS`] (3) days before `today`; it starts 632 days earlier in
//! India and Zimbabwe, and with the trial's first period in Kenya, whose 5 × 91-day periods end
//! with registration. Whatever would fall on or after `today` is not generated: later sessions
//! are not yet held, follow-ups not yet done (so the trial's last period has no outcome yet),
//! episodes still running are open.
//!
//! **The present and the history.** A small demo has the workforce of a programme but a
//! fraction of its clients; spread evenly over 21 months they would leave each counsellor a new
//! client every few weeks and caseloads nearly empty. So the last [`params::CURRENT_DAYS`] (56)
//! days of each window take `counsellors × CURRENT_ENROLMENTS / enrolment_share` clients, the
//! number that gives every counsellor about [`params::CURRENT_ENROLMENTS`] (12) new enrolments
//! in those weeks, dealt to the counsellors in turn. That number is never below the history's own
//! rate (a full-size demo has a steady flow) and at most the hub's `max_current_share` of its
//! clients (half in India and Zimbabwe, a third in Kenya, whose trial needs its earlier
//! periods): below about 10,000 clients the present is busier than the months before it. The
//! other clients register uniformly before the present. Facilities are staffed for their volume:
//! one counsellor per 1,000 clients screened over the window, at least one and at most the
//! hub's range (one per facility at the default 10,000 clients; the full 2–3 from 2,000 clients
//! per facility, where large runs add facilities).
//!
//! **Pathway.** Client i registers at facility f (in the history chosen with probability
//! proportional to its catchment population, in the present the facility of the counsellor
//! dealt) and is screened the same day:
//!
//! ```text
//! B_i  = μ_h + u_f + ε_i,          u_f ~ N(0, σ_f²),  ε_i ~ N(0, σ_b²)     latent severity
//! Y_i^scr = clamp(round(B_i + e), range),             e ~ N(0, σ_occ²)     screening total
//! ```
//!
//! on the screening instrument's scale (PHQ-9 in India and Kenya, SSQ-14 in Zimbabwe). Kenya
//! also gets WHODAS-12 (1–5 coding): `W = clamp(round(18 + 1.3·(B_i − 8) + w_i + e), 12, 60)`,
//! `w_i ~ N(0, 4²)`. Eligibility is decided by the protocol in the catalogue
//! (`Protocol::eligibility`: HAP PHQ-9 > 14; Friendship Bench SSQ-14 ≥ 9; PM+ PHQ-9 > 9 and
//! WHODAS > 16), including its exclusion: a positive self-harm item means referral, not
//! enrolment. Every screened client gets a client record, an (encrypted) identity, a consent,
//! the screening assessment(s) and an eligibility record, whether eligible or not. An eligible
//! client is offered treatment with probability p_offer and accepts with
//! `logit p = logit p_accept + a_f`, `a_f ~ N(0, 0.4²)`; a refusal carries a reason drawn from
//! [`params::DECLINE_WEIGHTS`].
//!
//! **Sessions.** An enrolled client (in Kenya: only in the intervention condition) is scheduled
//! weekly for the protocol's planned sessions (HAP: 6–8 per client), on the same weekday; one
//! appointment in four moves by a day earlier or one or two days later. A scheduled session is
//! missed with probability p_miss (first session 8 %); after a miss the client drops out with
//! probability `dropout_after_miss` (always after two misses in a row); after an attended
//! session with hazard `h_h · exp(d_f + d_c)`, `d_f ~ N(0, 0.3²)`, `d_c ~ N(0, 0.25²)`. Rarely
//! the client transfers or dies. Attended sessions carry a duration (the protocol's typical
//! minutes × lognormal(0, 0.15)), a modality (remote where the protocol allows it) and the
//! components of the protocol's session plan, each delivered with the counsellor's fidelity.
//!
//! **Outcomes.** With `g(t) = min(max(t, 0)/84, 1)` (change accrues over 12 weeks, then holds):
//!
//! ```text
//! L_i(t) = B_i − g(t)·C_i
//! C_i    = ν_h + α_f + β_j + η_i + T_i·δ_i,   α_f ~ N(0, τ²), η_i ~ N(0, σ_η²)
//! δ_i    = (Δ_h + v_c)·(0.3 + 0.7·d_i)        routine programmes, d_i = attended / scheduled
//! δ_i    = θ + v_c                             the Kenya trial (intention to treat), v_c ~ N(0, σ_c²)
//! Y_i(t) = clamp(round(L_i(t) + e_it), range), e_it ~ N(0, σ_occ²)
//! ```
//!
//! T_i = 1 when treated (always in India and Zimbabwe; in Kenya when the facility had crossed
//! over by the enrolment period), ν_h is the natural improvement, β_j = −[`params::SW_PERIOD_TREND`]·j
//! the secular trend of trial period j (Kenya only, 0 elsewhere). Regression to the mean needs no
//! term: selection on a noisy screening score produces it. Friendship Bench clients also get a
//! PHQ-9 at baseline, end and follow-up: `1.5·L_i(t) + 1 + o_i + e`, `o_i ~ N(0, 2²)`. Each total
//! becomes item responses that sum to it ([`items`]); the self-harm item (PHQ-9 item 9, SSQ-14
//! item 11) is positive with a probability logistic in the total, so the scorer raises risk alerts
//! at a realistic rate. Assessments: baseline at enrolment, at each attended session where the
//! protocol says so (the last one as the endpoint), and a follow-up at 3 months (6 for the
//! Friendship Bench) obtained with probability p_follow_up. A positive risk item during treatment
//! leads to an urgent referral (40 %), which closes the episode half the time; a stepped-care flag
//! (`Protocol::stepped_care_flag`, HAP: < 50 % reduction by session 3) to a routine referral.
//! A client who drops out is closed 4 weeks after the last session (until then overdue), and
//! closures that would fall on or after `today` are not recorded.
//!
//! **Risk alerts.** Each assessment carries an [`AlertReview`]: what the supervisor did about the
//! alerts it raises (storage turns the flags into alerts). Those of the last
//! [`params::OPEN_ALERT_DAYS`] (3) days have none and stay open; older ones were acknowledged
//! after a log-normal delay (median 2 h, log-SD 0.8, at most 30 h) with an action drawn from
//! [`ALERT_ACTIONS`]; storage records those later than the programme's deadline as escalated to
//! the hub manager first. [`Present`] keeps a few older alerts open (see its documentation).
//!
//! **The stepped-wedge trial (Kenya PM+).** Facilities are the clusters, shuffled and dealt in turn
//! to 4 sequences that cross over at the start of periods 1–4 of 5 periods of 91 days (period 0 all
//! control, period 4 all intervention; Hussey & Hughes 2007). A client's condition is fixed by the
//! enrolment date. The design JSON of the programme records `true_effect` θ =
//! [`params::SW_TRUE_EFFECT`] (−3.0 PHQ-9 points: intervention minus control in the expected change
//! from baseline to the 3-month follow-up), `icc` (of that change across facilities,
//! [`params::SW_ICC`]) with the implied `sd_cluster` τ and nominal within-facility SD
//! `sqrt(σ_η² + 2σ_occ²)`, the periods, their length and the period effects; each site row holds its
//! sequence (arm), cluster code and crossover period. The effect does not depend on dose and
//! follow-up is missing completely at random, so an intention-to-treat analysis of
//! `change ~ period + treatment + (1 | facility)` recovers θ up to sampling error and a small
//! attenuation from the PHQ-9 floor at 0. The periods end a few days before `today`, so the last
//! one (every facility in the intervention condition) has no follow-up yet and the estimate
//! rests on periods 0–3: a trial in its final follow-ups.
//!
//! **Staff.** Supervisors oversee about 6 counsellors at whole facilities; they meet their
//! supervisees every 2 weeks (weekly for the Friendship Bench), mostly in groups, reviewing up to
//! two recent clients per counsellor, up to the day before `today`. Counsellors and supervisors
//! have training records; counsellors have ENACT/EQUIP ratings (15 competencies, levels 1–4)
//! after training and then every six months on a cycle of their own, so the latest lies in the
//! last six months: `level = clamp(round(2.5 + κ_c + 0.35·min(k, 2) + N(0, 0.6²)), 1, 4)` for
//! the k-th rating (competence grows over the first year, then holds).

mod clients;
pub mod items;
mod names;
pub mod params;
pub mod plan;
mod present;
mod staff;

pub use clients::ClientStream;
pub use plan::{AccountPlan, FacilityPlan, HubPlan, OrgUnitPlan, Plan, ProgrammePlan, SitePlan};
pub use present::{Day, Present};

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::Distribution;
use scaleup_domain::date::Date;
use scaleup_domain::record::RecordPayload;
use uuid::Uuid;

/// Largest `--clients` accepted.
pub const MAX_CLIENTS: u64 = 5_000_000;

/// What to generate. The output is a function of these three values only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoConfig {
    pub clients: u64,
    pub seed: u64,
    /// The day the demo is opened. Every date is counted back from it and no record is dated on
    /// or after it. Moving it shifts every date by the same number of days and changes nothing
    /// else (the stepped-wedge periods and the present move with it).
    pub today: Date,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DemoError {
    #[error("the number of clients must be between 1 and {max}")]
    ClientCount { max: u64 },
    #[error("the directory does not match the plan: {0}")]
    Directory(&'static str),
    #[error("protocol {0} is not in the built-in catalogue")]
    UnknownProtocol(String),
}

/// Database ids of the plan's entities, in plan order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directory {
    pub hubs: Vec<Uuid>,
    /// Per hub, one id per entry of `HubPlan::org_units`.
    pub org_units: Vec<Vec<Uuid>>,
    /// One per hub.
    pub programmes: Vec<Uuid>,
    /// One per entry of `Plan::accounts`.
    pub accounts: Vec<Uuid>,
}

impl Directory {
    /// Ids derived from the plan's codes (UUID v5), for tests and dry runs.
    pub fn synthetic(plan: &Plan) -> Directory {
        let ns = Uuid::NAMESPACE_OID;
        let id = |s: String| Uuid::new_v5(&ns, s.as_bytes());
        Directory {
            hubs: plan
                .hubs
                .iter()
                .map(|h| id(format!("hub/{}", h.params.code)))
                .collect(),
            org_units: plan
                .hubs
                .iter()
                .map(|h| {
                    h.org_units
                        .iter()
                        .map(|o| id(format!("ou/{}/{}", h.params.code, o.code)))
                        .collect()
                })
                .collect(),
            programmes: plan
                .hubs
                .iter()
                .map(|h| id(format!("prog/{}", h.programme.code)))
                .collect(),
            accounts: plan
                .accounts
                .iter()
                .map(|a| id(format!("user/{}", a.username)))
                .collect(),
        }
    }

    fn check(&self, plan: &Plan) -> Result<(), DemoError> {
        if self.hubs.len() != plan.hubs.len() || self.programmes.len() != plan.hubs.len() {
            return Err(DemoError::Directory("one hub and programme id per hub"));
        }
        if self.accounts.len() != plan.accounts.len() {
            return Err(DemoError::Directory("one id per account"));
        }
        if self.org_units.len() != plan.hubs.len()
            || self
                .org_units
                .iter()
                .zip(&plan.hubs)
                .any(|(ids, h)| ids.len() != h.org_units.len())
        {
            return Err(DemoError::Directory("one id per org unit"));
        }
        Ok(())
    }
}

/// One generated record with its placement (what storage indexes it by).
#[derive(Clone, Debug, PartialEq)]
pub struct DemoRecord {
    pub id: Uuid,
    pub payload: RecordPayload,
    /// Index into `Plan::hubs` / `Directory::hubs`.
    pub hub: usize,
    pub client_id: Option<Uuid>,
    pub episode_id: Option<Uuid>,
    /// The counsellor whose caseload holds the record (for supervision: the supervisor).
    pub counsellor_id: Option<Uuid>,
    pub facility_id: Option<Uuid>,
    pub programme_id: Option<Uuid>,
    pub created_by: Uuid,
    /// When it was recorded: day and minute of the day (UTC).
    pub recorded_on: Date,
    pub recorded_minute: u32,
    /// For an assessment, what the supervisor did about any risk alert it raises; `None` for an
    /// assessment of the last `params::OPEN_ALERT_DAYS` days, whose alerts are still open, and
    /// for every other kind of record.
    pub alert_review: Option<AlertReview>,
}

/// How a supervisor dealt with a risk alert. ASSUMED: half of the urgent alerts are acknowledged
/// within two hours and about nine in ten within the six-hour limit the demo programmes set
/// (storage records the others as escalated to the hub manager, who acknowledged them). The
/// delay is capped at 30 hours, so no acknowledgement is later than the start of `today`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlertReview {
    /// Minutes from the recording of the assessment to the acknowledgement.
    pub after_minutes: u32,
    /// What was done: one of storage's `ALERT_ACTIONS`.
    pub action: &'static str,
}

/// Acknowledgement actions with their weights. ASSUMED: most positive self-harm items at low
/// severity end with a call and a risk assessment; a few need a referral or an emergency.
pub const ALERT_ACTIONS: [(&str, f64); 6] = [
    ("contacted_client", 0.42),
    ("risk_assessed_low", 0.22),
    ("safety_plan_made", 0.16),
    ("referred_specialist", 0.10),
    ("home_visit", 0.06),
    ("referred_emergency", 0.04),
];

impl AlertReview {
    /// The review of an alert raised on `on`, or `None` if it is recent enough to be open.
    pub(crate) fn draw<R: rand::Rng>(rng: &mut R, on: Date, today: Date) -> Option<AlertReview> {
        if on >= today.add_days(-params::OPEN_ALERT_DAYS) {
            return None;
        }
        // Log-normal delay: median 120 minutes, log-SD 0.8 (P(> 6 h) ≈ 8.5 %).
        let z: f64 = rand_distr::StandardNormal.sample(rng);
        let after_minutes = (120.0 * (0.8 * z).exp()).clamp(5.0, 30.0 * 60.0) as u32;
        let mut x = rng.random::<f64>();
        let mut action = ALERT_ACTIONS[0].0;
        for (a, w) in ALERT_ACTIONS {
            if x < w {
                action = a;
                break;
            }
            x -= w;
        }
        Some(AlertReview {
            after_minutes,
            action,
        })
    }
}

/// The random stream for (seed, stream): independent streams of one ChaCha8 key.
pub(crate) fn sub_rng(seed: u64, stream: u64, _word: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// A UUID in the version-7 layout whose 48-bit prefix is `order` (instead of a clock) and whose
/// other bits come from the generator's random stream. Ids of one client are consecutive and
/// clients follow each other, so a bulk load appends to the primary-key B-trees instead of
/// touching random pages: loading is several times faster once the database outgrows SQLite's
/// page cache. Devices generate random (v4) ids; any UUID is a valid record id.
pub(crate) fn ordered_uuid<R: RngCore>(order: u64, rng: &mut R) -> Uuid {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes[6..]);
    bytes[..6].copy_from_slice(&order.to_be_bytes()[2..]);
    bytes[6] = 0x70 | (bytes[6] & 0x0F);
    bytes[8] = 0x80 | (bytes[8] & 0x3F);
    Uuid::from_bytes(bytes)
}

/// Order prefix of the `n`-th record of client `k` (at most 4,096 records per client).
pub(crate) fn client_order(k: u64, n: u64) -> u64 {
    (k << 12) | (n & 0xFFF)
}

/// Order prefix of the `n`-th staff record: after every client's.
pub(crate) fn staff_order(n: u64) -> u64 {
    (1 << 47) | n
}
