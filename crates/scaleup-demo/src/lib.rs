//! scaleup-demo: a deterministic synthetic dataset for scaleup, from published parameters.
//!
//! Principal types:
//! - [`DemoConfig`] (seed, number of clients) → [`Plan`]: three hubs (HAP in Goa, India;
//!   Friendship Bench in Harare, Zimbabwe; PM+ in Nairobi, Kenya, run as a stepped-wedge cluster
//!   trial), their org units (country > region > district > facility, each facility with its
//!   catchment adult population), programmes with sites, and staff (admin, hub managers,
//!   supervisors, counsellors each with a supervisor, a researcher and a viewer) with passwords
//!   derived from the seed. The plan is small and lives in memory.
//! - [`Directory`]: the database ids the caller gave the plan's hubs, org units, programmes
//!   and accounts when it created them.
//! - [`ClientStream`]: an iterator of [`DemoRecord`] batches, a few thousand clients at a time,
//!   so a million clients never sit in memory. Every client draws from its own random stream
//!   (seed, client index), so the output does not depend on the batch size. When the stream is
//!   exhausted, [`ClientStream::staff_records`] yields supervision sessions (which review the
//!   clients generated), ENACT/EQUIP competency assessments and training records.
//!
//! Nothing here touches a database or a file: the `scaleup demo` command does.
//!
//! # Generative model
//!
//! Indices: hub h, facility f, counsellor c, client i, occasion t (days since enrolment).
//! Parameters per hub are in [`params`], each with its source or marked ASSUMED.
//!
//! **Pathway.** Client i registers at facility f (chosen with probability proportional to its
//! catchment population) on a day uniform in the hub's window, and is screened the same day:
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
//! weekly for the protocol's planned sessions (HAP: 6–8 per client). A scheduled session is
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
//! attenuation from the PHQ-9 floor at 0.
//!
//! **Staff.** Supervisors oversee about 6 counsellors at whole facilities; they meet their
//! supervisees every 2 weeks (weekly for the Friendship Bench), mostly in groups, reviewing up to
//! two recent clients per counsellor. Counsellors and supervisors have training records;
//! counsellors have ENACT/EQUIP ratings (15 competencies, levels 1–4) after training and at 6 and
//! 12 months: `level = clamp(round(2.5 + κ_c + 0.35·k + N(0, 0.6²)), 1, 4)` for the k-th rating.

mod clients;
pub mod items;
mod names;
pub mod params;
pub mod plan;
mod staff;

pub use clients::ClientStream;
pub use plan::{AccountPlan, FacilityPlan, HubPlan, OrgUnitPlan, Plan, ProgrammePlan, SitePlan};

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use scaleup_domain::date::Date;
use scaleup_domain::record::RecordPayload;
use uuid::Uuid;

/// Largest `--clients` accepted.
pub const MAX_CLIENTS: u64 = 5_000_000;

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoConfig {
    pub clients: u64,
    pub seed: u64,
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
