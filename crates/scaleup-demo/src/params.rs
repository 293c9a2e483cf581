//! Parameters of the three demo hubs, with their sources.
//!
//! Published figures come from `shared/reference/implementation-science.md` §6 and
//! `economics-and-study-design.md` §7 and §9. Where the literature gives no figure (screening
//! prevalence in the attending population, uptake, dropout, item-level risk rates), the value is
//! an assumption chosen to be plausible for task-shared programmes in primary care and is marked
//! `ASSUMED` — the demo must look like a programme, not reproduce a particular one.

use scaleup_domain::date::Date;

/// Which of the three demo hubs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HubKind {
    /// Healthy Activity Program in Goa, India (PREMIUM).
    IndiaHap,
    /// Friendship Bench in Harare, Zimbabwe.
    ZimbabweFriendshipBench,
    /// Problem Management Plus in Nairobi, Kenya, run as a stepped-wedge cluster trial.
    KenyaPmPlus,
}

impl HubKind {
    pub const ALL: [HubKind; 3] = [
        HubKind::IndiaHap,
        HubKind::ZimbabweFriendshipBench,
        HubKind::KenyaPmPlus,
    ];
}

/// Everything that differs between the hubs.
#[derive(Clone, Debug, PartialEq)]
pub struct HubParams {
    pub kind: HubKind,
    pub code: &'static str,
    pub name: &'static str,
    /// ISO 3166-1 alpha-2.
    pub country: &'static str,
    pub country_name: &'static str,
    /// Short prefix of usernames and org-unit codes.
    pub prefix: &'static str,
    pub region: &'static str,
    pub districts: &'static [&'static str],
    pub programme_code: &'static str,
    pub programme_name: &'static str,
    /// Protocol code in the built-in catalogue.
    pub protocol: &'static str,
    /// Share of all generated clients.
    pub client_share: f64,
    /// Facilities at the default size; more are added for large runs (one per `clients_per_facility`).
    pub base_facilities: usize,
    /// Adults in a facility's catchment area, uniform in this range. ASSUMED: urban primary
    /// care catchments of 15,000–60,000 adults.
    pub catchment: (i64, i64),
    /// Counsellors per facility, uniform in this range. ASSUMED.
    pub counsellors_per_facility: (usize, usize),
    /// Counsellors per supervisor. ASSUMED: no citable span of control exists
    /// (economics-and-study-design.md §8.1 makes it a user input).
    pub span_of_control: usize,
    /// Share of women among clients. ASSUMED (Friendship Bench and PM+ Kenya recruited mostly or
    /// only women; HAP both sexes).
    pub female_share: f64,
    /// Client age range at registration.
    pub age: (i32, i32),
    /// Latent severity at screening on the screening instrument's scale: population mean,
    /// between-person SD, between-facility SD and occasion (measurement) SD. ASSUMED, tuned so
    /// that the screen-positive fraction is plausible (see `screen_positive_note`).
    pub severity_mean: f64,
    pub severity_sd: f64,
    pub facility_sd: f64,
    pub occasion_sd: f64,
    pub screen_positive_note: &'static str,
    /// Probability that an eligible client is offered treatment (capacity). ASSUMED.
    pub p_offer: f64,
    /// Probability that an offered client accepts, before the facility effect. ASSUMED.
    pub p_accept: f64,
    /// Probability of not attending a scheduled session. ASSUMED.
    pub p_miss: f64,
    /// Probability of dropping out after an attended session. ASSUMED.
    pub dropout_hazard: f64,
    /// Probability of dropping out after a missed session. ASSUMED.
    pub dropout_after_miss: f64,
    /// Share of sessions held by telephone, where the protocol allows it. ASSUMED.
    pub remote_share: f64,
    /// Natural improvement over 12 weeks without the intervention (instrument points), before
    /// regression to the mean, which the model produces by itself through selection on a noisy
    /// screening score.
    pub natural_change: f64,
    /// Improvement added by a full course of the intervention (instrument points).
    pub treatment_change: f64,
    /// SD of person-level heterogeneity in change.
    pub change_sd: f64,
    /// SD of the counsellor effect on the treatment change (therapist effect). ASSUMED.
    pub counsellor_sd: f64,
    /// Days from enrolment to the follow-up assessment.
    pub follow_up_days: i64,
    /// Probability that the follow-up assessment is obtained. ASSUMED.
    pub p_follow_up: f64,
    /// Days of the registration window, which ends `REGISTRATION_LAG_DAYS` before today.
    pub window_days: i64,
    /// About the share of screened clients who enrol (eligible, offered, accepted), as the
    /// generator produces it (`tests/generator.rs`, `rates_are_plausible`). Used only to size
    /// the present.
    pub enrolment_share: f64,
    /// Largest share of the hub's clients the present may take from the history (see
    /// `HubPlan::current_clients`).
    pub max_current_share: f64,
}

impl HubParams {
    /// First and last registration date for a demo opened on `today`.
    pub fn window(&self, today: Date) -> (Date, Date) {
        let end = registration_end(today);
        (end.add_days(1 - self.window_days), end)
    }
}

// The timeline. Every date is counted back from `today` (`DemoConfig::today`), so a demo built
// on any day looks like a programme on a working day: registration runs up to a few days ago,
// episodes are open, sessions are due, yesterday's alerts wait for the supervisor. The day
// itself is not generated: the demo opens at the start of `today`, before anything is recorded.

/// Days between the last registration and `today`: the newest clients are still being booked in.
pub const REGISTRATION_LAG_DAYS: i64 = 3;

/// Length of a routine hub's registration window: 632 days (21 months, January 2025 to
/// September 2026 in the demo's first version).
pub const ROUTINE_WINDOW_DAYS: i64 = 632;

/// The present: the last days of every registration window, which the plan fills so that
/// counsellors have a working caseload whatever the size of the demo (see
/// `HubPlan::current_clients`). Eight weeks cover a course of 5–8 weekly sessions.
pub const CURRENT_DAYS: i64 = 56;

/// New enrolments per counsellor the plan aims for over the present. With 5–8 weekly
/// sessions, dropouts kept open for four weeks and about 30 % of courses closed by today, ten
/// leave about seven active episodes. ASSUMED: the references give no caseload per lay
/// counsellor; 8–25 active clients is the range the demo aims for at full size.
pub const CURRENT_ENROLMENTS: f64 = 12.0;

/// Risk alerts raised on the last this many days before `today` are still open; older ones have
/// been acknowledged (see `crate::AlertReview`).
pub const OPEN_ALERT_DAYS: i64 = 3;

/// The last day with records: the day before `today`.
pub fn last_day(today: Date) -> Date {
    today.add_days(-1)
}

/// The last registration day of every hub.
pub fn registration_end(today: Date) -> Date {
    today.add_days(-REGISTRATION_LAG_DAYS)
}

/// The stepped-wedge trial of the Kenya PM+ programme. Hussey & Hughes 2007 layout
/// (economics-and-study-design.md §9.2): `PERIODS` periods, the first all-control, then one
/// sequence of clusters crosses over per period, the last all-intervention.
pub const SW_PERIODS: usize = 5;
/// Length of a trial period: 13 weeks.
pub const SW_PERIOD_DAYS: i64 = 91;
/// Sequences (steps): clusters cross over at the start of periods 1..=4.
pub const SW_SEQUENCES: usize = 4;
/// The true treatment effect on the PHQ-9 change from baseline to the 3-month follow-up
/// (intervention minus control, PHQ-9 points). Chosen near published PM+ effects: Bryant et al.
/// 2017 (Nairobi) report a GHQ-12 difference of 3.33 at 3 months; Step-by-Step a depression SMD
/// of 0.71 (implementation-science.md §6). On a PHQ-9 change SD of about 4.5 this is d ≈ 0.67.
pub const SW_TRUE_EFFECT: f64 = -3.0;
/// Facility ICC of the 3-month PHQ-9 change. Depression CRTs: pooled ICC 0.07 (0.05–0.09);
/// UK primary care median 0.016–0.02 (economics-and-study-design.md §9.3); 0.05 lies between.
pub const SW_ICC: f64 = 0.05;
/// Secular improvement per period (PHQ-9 points), the period effect β_j of Hussey & Hughes.
pub const SW_PERIOD_TREND: f64 = -0.3;

pub fn hubs() -> [HubParams; 3] {
    [
        HubParams {
            kind: HubKind::IndiaHap,
            code: "demo-in-hap",
            name: "Demo hub India (HAP)",
            country: "IN",
            country_name: "India",
            prefix: "in",
            region: "Goa",
            districts: &["North Goa", "South Goa"],
            programme_code: "hap-goa",
            programme_name: "Healthy Activity Program, Goa primary care",
            protocol: "hap",
            client_share: 0.36,
            base_facilities: 10,
            catchment: (15_000, 60_000),
            counsellors_per_facility: (2, 3),
            span_of_control: 6,
            female_share: 0.62,
            age: (18, 70),
            // PHQ-9 scale. Eligibility PHQ-9 > 14 (Patel et al. Lancet 2017, PREMIUM). ASSUMED
            // attender distribution: about 9 % score above 14.
            severity_mean: 7.0,
            severity_sd: 4.6,
            facility_sd: 1.0,
            occasion_sd: 2.0,
            screen_positive_note: "about 9 % of attenders score PHQ-9 > 14 (assumed)",
            p_offer: 0.97,
            p_accept: 0.80,
            p_miss: 0.10,
            dropout_hazard: 0.04,
            dropout_after_miss: 0.25,
            remote_share: 0.10,
            // Remission (PHQ-9 < 10) at 3 months is the PREMIUM endpoint; with these values about
            // 55–65 % of treated clients remit, against about 45 % without treatment.
            natural_change: 4.0,
            treatment_change: 4.0,
            change_sd: 3.0,
            counsellor_sd: 1.0,
            follow_up_days: 91,
            p_follow_up: 0.70,
            window_days: ROUTINE_WINDOW_DAYS,
            enrolment_share: 0.055,
            max_current_share: 0.5,
        },
        HubParams {
            kind: HubKind::ZimbabweFriendshipBench,
            code: "demo-zw-fb",
            name: "Demo hub Zimbabwe (Friendship Bench)",
            country: "ZW",
            country_name: "Zimbabwe",
            prefix: "zw",
            region: "Harare",
            districts: &["Harare Central", "Harare South", "Chitungwiza"],
            programme_code: "fb-harare",
            programme_name: "Friendship Bench, Harare clinics",
            protocol: "friendship_bench",
            client_share: 0.36,
            base_facilities: 12,
            catchment: (15_000, 60_000),
            counsellors_per_facility: (2, 3),
            span_of_control: 6,
            female_share: 0.80,
            age: (18, 70),
            // SSQ-14 scale. Eligibility SSQ-14 >= 9 (Chibanda et al. JAMA 2016). ASSUMED: about
            // 25 % of attenders screen positive.
            severity_mean: 6.0,
            severity_sd: 2.8,
            facility_sd: 0.6,
            occasion_sd: 1.2,
            screen_positive_note: "about 25 % of attenders score SSQ-14 >= 9 (assumed)",
            p_offer: 0.98,
            p_accept: 0.85,
            p_miss: 0.10,
            dropout_hazard: 0.05,
            dropout_after_miss: 0.30,
            remote_share: 0.0,
            // Chibanda et al. 2016: SSQ-14 at 6 months 3.81 (Friendship Bench) vs 8.90 (enhanced
            // usual care) from a baseline of about 11: natural change ≈ 1.5–2, treatment ≈ 5.
            natural_change: 1.8,
            treatment_change: 5.0,
            change_sd: 1.5,
            counsellor_sd: 0.6,
            follow_up_days: 182,
            p_follow_up: 0.70,
            window_days: ROUTINE_WINDOW_DAYS,
            enrolment_share: 0.17,
            max_current_share: 0.5,
        },
        HubParams {
            kind: HubKind::KenyaPmPlus,
            code: "demo-ke-pmplus",
            name: "Demo hub Kenya (PM+ stepped-wedge trial)",
            country: "KE",
            country_name: "Kenya",
            prefix: "ke",
            region: "Nairobi",
            districts: &["Nairobi East", "Nairobi West"],
            programme_code: "pmplus-sw-trial",
            programme_name: "PM+ stepped-wedge cluster trial, Nairobi",
            protocol: "pm_plus_individual",
            client_share: 0.28,
            base_facilities: 12,
            catchment: (15_000, 60_000),
            counsellors_per_facility: (2, 3),
            span_of_control: 6,
            female_share: 0.75,
            age: (18, 65),
            // PHQ-9 scale; eligibility PHQ-9 > 9 and WHODAS-12 > 16 (protocol pm_plus_individual).
            // ASSUMED: about a third of attenders screen positive (a distressed population).
            severity_mean: 8.0,
            severity_sd: 5.0,
            facility_sd: 1.0,
            occasion_sd: 2.0,
            screen_positive_note: "about a third of attenders meet PHQ-9 > 9 and WHODAS > 16 (assumed)",
            p_offer: 0.98,
            p_accept: 0.85,
            p_miss: 0.10,
            dropout_hazard: 0.06,
            dropout_after_miss: 0.30,
            remote_share: 0.10,
            natural_change: 3.0,
            // In the trial the effect is SW_TRUE_EFFECT regardless of dose (intention to treat).
            treatment_change: -SW_TRUE_EFFECT,
            change_sd: 3.0,
            counsellor_sd: 0.8,
            follow_up_days: 91,
            // Trial follow-up by research staff reaches more clients than routine follow-up.
            p_follow_up: 0.88,
            // The trial's five periods end with registration, a few days before today: the last
            // period's follow-ups are not yet due.
            window_days: SW_PERIOD_DAYS * SW_PERIODS as i64,
            enrolment_share: 0.27,
            // Two thirds of the trial's clients stay in the periods whose follow-ups are done.
            max_current_share: 0.33,
        },
    ]
}

/// Reasons for declining an offer, with weights. ASSUMED distribution; the codes are the
/// domain's `DeclineReason` (RE-AIM reach reports them).
pub const DECLINE_WEIGHTS: [(scaleup_domain::record::DeclineReason, f64); 8] = {
    use scaleup_domain::record::DeclineReason::*;
    [
        (NoTime, 0.25),
        (Distance, 0.15),
        (Cost, 0.08),
        (FamilyObjection, 0.10),
        (Stigma, 0.15),
        (NotNeeded, 0.15),
        (PrefersOtherCare, 0.07),
        (Other, 0.05),
    ]
};

/// Probability of a positive self-harm item given the instrument total:
/// `logit p = a + b · total`. ASSUMED: PHQ-9 item 9 is positive in about 2 % of people scoring
/// 5 and about 18 % of those scoring 20, which gives a few per cent of all screens.
pub const PHQ9_ITEM9_LOGIT: (f64, f64) = (-4.5, 0.15);
/// SSQ-14 item 11 (suicidal thoughts): about 2 % at a total of 5, 10 % at 11. ASSUMED.
pub const SSQ14_ITEM11_LOGIT: (f64, f64) = (-5.5, 0.3);
/// Per-session probabilities of leaving care other than by dropout. ASSUMED, rare.
pub const P_TRANSFER_PER_SESSION: f64 = 0.004;
pub const P_DEATH_PER_SESSION: f64 = 0.0004;
