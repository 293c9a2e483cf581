//! The indicators, each defined once: its metadata (framework, unit, numerator and denominator
//! in words, anchor, operationalisation note, citation) beside the measures it is computed from.
//!
//! docs/indicators.md is the readable form of this file, and a test keeps the two in step
//! (every code documented, every citation resolving inside the repository).

use crate::facts::Col;
use crate::measure::{Agg, Cond, Expr, Measure, Op, Param, Table};

/// The framework an indicator belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Framework {
    /// RE-AIM reach (Glasgow et al. 2019).
    Reach,
    /// RE-AIM effectiveness.
    Effectiveness,
    /// RE-AIM adoption.
    Adoption,
    /// RE-AIM implementation (with Proctor's fidelity).
    Implementation,
    /// RE-AIM maintenance (Proctor's sustainability).
    Maintenance,
    /// Proctor et al. 2011 implementation outcomes.
    Proctor,
    /// The effective-coverage cascade and the treatment gap.
    Coverage,
}

impl Framework {
    /// Every framework, in the order reports list them (the catalogue's order).
    pub const ALL: [Framework; 7] = [
        Framework::Reach,
        Framework::Effectiveness,
        Framework::Adoption,
        Framework::Implementation,
        Framework::Maintenance,
        Framework::Proctor,
        Framework::Coverage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Framework::Reach => "reach",
            Framework::Effectiveness => "effectiveness",
            Framework::Adoption => "adoption",
            Framework::Implementation => "implementation",
            Framework::Maintenance => "maintenance",
            Framework::Proctor => "proctor",
            Framework::Coverage => "coverage",
        }
    }

    /// Name for people.
    pub fn label(self) -> &'static str {
        match self {
            Framework::Reach => "RE-AIM: Reach",
            Framework::Effectiveness => "RE-AIM: Effectiveness",
            Framework::Adoption => "RE-AIM: Adoption",
            Framework::Implementation => "RE-AIM: Implementation",
            Framework::Maintenance => "RE-AIM: Maintenance",
            Framework::Proctor => "Proctor implementation outcomes",
            Framework::Coverage => "Effective coverage and treatment gap",
        }
    }
}

/// What the value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueKind {
    /// A number of units (value = numerator).
    Count,
    /// numerator ÷ denominator, between 0 and 1 (reach may exceed 1 when enrolled clients
    /// lack an eligibility record).
    Proportion,
    /// A mean (value only; `n` says over how many).
    Mean,
    /// Hours (a quantile of a distribution; `n` says over how many).
    Hours,
    /// People (a population estimate, not a count of records).
    People,
}

/// The design behind an effectiveness estimate. Estimates of different designs are different
/// quantities: [`pool_designs`] refuses to combine them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EstimateDesign {
    /// Change from baseline within the treated group, without a comparison group: includes
    /// natural improvement and regression to the mean.
    UncontrolledBeforeAfter,
    /// Difference between trial arms (or conditions of a stepped-wedge trial) from the design's
    /// model: a controlled effect.
    ControlledTrialArm,
}

impl EstimateDesign {
    pub fn as_str(self) -> &'static str {
        match self {
            EstimateDesign::UncontrolledBeforeAfter => "uncontrolled_before_after",
            EstimateDesign::ControlledTrialArm => "controlled_trial_arm",
        }
    }

    /// Name for people.
    pub fn label(self) -> &'static str {
        match self {
            EstimateDesign::UncontrolledBeforeAfter => "uncontrolled before/after",
            EstimateDesign::ControlledTrialArm => "controlled (trial arm)",
        }
    }

    pub fn parse(text: &str) -> Option<EstimateDesign> {
        match text {
            "uncontrolled_before_after" => Some(EstimateDesign::UncontrolledBeforeAfter),
            "controlled_trial_arm" => Some(EstimateDesign::ControlledTrialArm),
            _ => None,
        }
    }
}

/// Pooling estimates of different designs is refused: an uncontrolled before/after change
/// and a controlled effect are not the same quantity.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "estimates of different designs cannot be pooled: {} {} and {} {}; pool each design separately",
    .first.1, .first.0.label(), .second.1, .second.0.label()
)]
pub struct MixedDesigns {
    /// The first design and the label of an estimate with it.
    pub first: (EstimateDesign, String),
    /// A different design and the label of an estimate with it.
    pub second: (EstimateDesign, String),
}

/// The one design of `estimates` (label, design), or the refusal naming two that differ.
/// `None` when there are no estimates.
pub fn pool_designs<'a>(
    estimates: impl IntoIterator<Item = (&'a str, EstimateDesign)>,
) -> Result<Option<EstimateDesign>, MixedDesigns> {
    let mut first: Option<(EstimateDesign, &str)> = None;
    for (label, design) in estimates {
        match first {
            None => first = Some((design, label)),
            Some((d, l)) if d != design => {
                return Err(MixedDesigns {
                    first: (d, l.to_string()),
                    second: (design, label.to_string()),
                });
            }
            Some(_) => {}
        }
    }
    Ok(first.map(|(d, _)| d))
}

/// Indicators not computed from the fact tables but from other inputs storage reads on
/// demand (staff records, the activity counts, risk alerts, org units).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// Programme sites with an attended session ÷ programme sites.
    AdoptionFacilities,
    /// Trained counsellors delivering a session ÷ trained counsellors.
    AdoptionCounsellors,
    /// Delivering counsellors supervised in the 30 days to the as-of date ÷ delivering.
    SupervisionCoverage,
    /// Share of competency ratings at this ENACT/EQUIP level (1-4).
    CompetencyLevel(u8),
    /// Rated counsellors with every competency at level 3 or above ÷ rated counsellors.
    CounsellorsCompetent,
    /// Median hours from a risk alert to its acknowledgement.
    AlertResponseMedian,
    /// 90th percentile of the same.
    AlertResponseP90,
    /// Alerts acknowledged by their deadline ÷ alerts due.
    AlertWithinLimit,
    /// Sites delivering six months after their support ended ÷ sites whose support ended.
    MaintenanceFacilities,
}

/// How an indicator's numerator, denominator and value come from measures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Formula {
    /// value = numerator = the measure's count.
    Count(&'static str),
    /// numerator ÷ denominator, two measures' counts.
    Ratio(&'static str, &'static str),
    /// Mean of a [`Agg::Sum`] measure: its sum ÷ its count (value only).
    Mean(&'static str),
    /// The population in need: Σ catchment × prevalence over the group's facilities.
    Need,
    /// A measure's count ÷ the population in need.
    OfNeed(&'static str),
    /// 1 − measure ÷ need: the share of need not in contact (numerator = need − measure).
    GapOfNeed(&'static str),
    /// Computed from the side inputs.
    Side(Side),
}

/// One indicator's definition.
#[derive(Clone, Copy, Debug)]
pub struct IndicatorDef {
    /// Stable code (the contract's codes among them).
    pub code: &'static str,
    pub label: &'static str,
    pub framework: Framework,
    /// What one unit is: client, episode, counsellor, facility, rating, alert, person.
    pub unit: &'static str,
    pub value: ValueKind,
    pub formula: Formula,
    /// The numerator in words.
    pub numerator: &'static str,
    /// The denominator in words, when there is one.
    pub denominator: Option<&'static str>,
    /// Which date places a unit in a period or a month.
    pub anchor: &'static str,
    /// For effectiveness estimates: their design.
    pub design: Option<EstimateDesign>,
    /// How the definition was made operational here.
    pub note: &'static str,
    /// Where the definition comes from (docs inside the repository).
    pub citation: &'static str,
}

/// Definitions are equal when their codes are (codes are unique).
impl PartialEq for IndicatorDef {
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code
    }
}

// ---------------------------------------------------------------------------------------------
// Measures.

const fn count(id: &'static str, table: Table, anchor: Col, when: Cond) -> Measure {
    Measure {
        id,
        table,
        anchor,
        when,
        agg: Agg::Count,
    }
}

const fn people(id: &'static str, anchor: Col, when: Cond) -> Measure {
    Measure {
        id,
        table: Table::Episodes,
        anchor,
        when,
        agg: Agg::DistinctClients,
    }
}

const fn sum(id: &'static str, table: Table, anchor: Col, when: Cond, e: Expr) -> Measure {
    Measure {
        id,
        table,
        anchor,
        when,
        agg: Agg::Sum(e),
    }
}

const OFFERED: Cond = Cond::In(Col::Decision, &["offered", "accepted", "declined"]);
const DECLINED: Cond = Cond::Eq(Col::Decision, "declined");
const CLOSED: Cond = Cond::Present(Col::ClosureReason);
const PHQ9_PAIR: Cond = Cond::And(&[
    Cond::Present(Col::Phq9Baseline),
    Cond::Present(Col::Phq9Endpoint),
]);
const OUTCOME_PAIR: Cond = Cond::And(&[
    Cond::Present(Col::OutcomeBaseline),
    Cond::Present(Col::OutcomeEndpoint),
]);
const CHANGE: Expr = Expr::Sub(
    &Expr::Col(Col::OutcomeEndpoint),
    &Expr::Col(Col::OutcomeBaseline),
);
/// Response on the primary outcome: a positive baseline and an endpoint at most half of it.
const RESPONSE: Cond = Cond::And(&[
    Cond::Cmp(Expr::Col(Col::OutcomeBaseline), Op::Gt, Expr::Num(0.0)),
    Cond::Cmp(
        Expr::Scale(&Expr::Col(Col::OutcomeEndpoint), 2.0),
        Op::Le,
        Expr::Col(Col::OutcomeBaseline),
    ),
]);
const REMISSION: Cond = Cond::Cmp(
    Expr::Col(Col::OutcomeEndpoint),
    Op::Lt,
    Expr::Param(Param::RemissionBelow),
);
const QUALITY: Cond = Cond::And(&[
    Cond::Flag(Col::Adequate),
    Cond::Cmp(
        Expr::Col(Col::Fidelity),
        Op::Ge,
        Expr::Param(Param::FidelityThreshold),
    ),
]);
const MAINTENANCE_DUE: Cond = Cond::And(&[
    CLOSED,
    Cond::Present(Col::OutcomeBaseline),
    Cond::Cmp(
        Expr::Col(Col::LastContactOn),
        Op::Le,
        Expr::Param(Param::MaintenanceClosedBy),
    ),
]);

/// The measures, by id. Each appears once; indicators name them.
pub static MEASURES: &[Measure] = &[
    // Reach: clients.
    count("registered", Table::Clients, Col::RegisteredOn, Cond::True),
    count("screened", Table::Clients, Col::ScreenedOn, Cond::True),
    count("eligible", Table::Clients, Col::EligibleOn, Cond::True),
    count("eligible_offered", Table::Clients, Col::EligibleOn, OFFERED),
    count(
        "eligible_offered_participants",
        Table::Clients,
        Col::EligibleOn,
        Cond::And(&[OFFERED, Cond::Present(Col::ContactOn)]),
    ),
    count(
        "eligible_participants",
        Table::Clients,
        Col::EligibleOn,
        Cond::Present(Col::ContactOn),
    ),
    count(
        "eligible_non_participants",
        Table::Clients,
        Col::EligibleOn,
        Cond::Not(&Cond::Present(Col::ContactOn)),
    ),
    count("declined", Table::Clients, Col::EligibleOn, DECLINED),
    count(
        "declined_no_time",
        Table::Clients,
        Col::EligibleOn,
        Cond::And(&[DECLINED, Cond::Eq(Col::DeclineReason, "no_time")]),
    ),
    count(
        "declined_distance",
        Table::Clients,
        Col::EligibleOn,
        Cond::And(&[DECLINED, Cond::Eq(Col::DeclineReason, "distance")]),
    ),
    count(
        "declined_cost",
        Table::Clients,
        Col::EligibleOn,
        Cond::And(&[DECLINED, Cond::Eq(Col::DeclineReason, "cost")]),
    ),
    count(
        "declined_family_objection",
        Table::Clients,
        Col::EligibleOn,
        Cond::And(&[DECLINED, Cond::Eq(Col::DeclineReason, "family_objection")]),
    ),
    count(
        "declined_stigma",
        Table::Clients,
        Col::EligibleOn,
        Cond::And(&[DECLINED, Cond::Eq(Col::DeclineReason, "stigma")]),
    ),
    count(
        "declined_not_needed",
        Table::Clients,
        Col::EligibleOn,
        Cond::And(&[DECLINED, Cond::Eq(Col::DeclineReason, "not_needed")]),
    ),
    count(
        "declined_prefers_other_care",
        Table::Clients,
        Col::EligibleOn,
        Cond::And(&[DECLINED, Cond::Eq(Col::DeclineReason, "prefers_other_care")]),
    ),
    count(
        "declined_other",
        Table::Clients,
        Col::EligibleOn,
        Cond::And(&[DECLINED, Cond::Eq(Col::DeclineReason, "other")]),
    ),
    count("enrolled", Table::Clients, Col::EnrolledOn, Cond::True),
    count(
        "enrolled_with_alert",
        Table::Clients,
        Col::EnrolledOn,
        Cond::Flag(Col::AlertInCare),
    ),
    count("contacted", Table::Clients, Col::ContactOn, Cond::True),
    sum(
        "aim",
        Table::Clients,
        Col::AimOn,
        Cond::True,
        Expr::Col(Col::Aim),
    ),
    sum(
        "iam",
        Table::Clients,
        Col::IamOn,
        Cond::True,
        Expr::Col(Col::Iam),
    ),
    sum(
        "fim",
        Table::Clients,
        Col::FimOn,
        Cond::True,
        Expr::Col(Col::Fim),
    ),
    // Effectiveness and delivery: episodes.
    count("closed", Table::Episodes, Col::ClosedOn, CLOSED),
    count(
        "closed_completed",
        Table::Episodes,
        Col::ClosedOn,
        Cond::Eq(Col::ClosureReason, "completed"),
    ),
    count(
        "closed_dropped_out",
        Table::Episodes,
        Col::ClosedOn,
        Cond::Eq(Col::ClosureReason, "dropped_out"),
    ),
    count(
        "phq9_pairs",
        Table::Episodes,
        Col::Phq9EndpointOn,
        PHQ9_PAIR,
    ),
    count(
        "phq9_responders",
        Table::Episodes,
        Col::Phq9EndpointOn,
        Cond::And(&[
            PHQ9_PAIR,
            Cond::Cmp(
                Expr::Scale(&Expr::Col(Col::Phq9Endpoint), 2.0),
                Op::Le,
                Expr::Col(Col::Phq9Baseline),
            ),
        ]),
    ),
    count(
        "phq9_remitters",
        Table::Episodes,
        Col::Phq9EndpointOn,
        Cond::And(&[
            PHQ9_PAIR,
            Cond::Cmp(Expr::Col(Col::Phq9Endpoint), Op::Lt, Expr::Num(5.0)),
        ]),
    ),
    sum(
        "phq9_change",
        Table::Episodes,
        Col::Phq9EndpointOn,
        PHQ9_PAIR,
        Expr::Sub(&Expr::Col(Col::Phq9Endpoint), &Expr::Col(Col::Phq9Baseline)),
    ),
    count(
        "outcome_pairs",
        Table::Episodes,
        Col::OutcomeEndpointOn,
        OUTCOME_PAIR,
    ),
    count(
        "outcome_responders",
        Table::Episodes,
        Col::OutcomeEndpointOn,
        Cond::And(&[OUTCOME_PAIR, RESPONSE]),
    ),
    count(
        "outcome_remitters",
        Table::Episodes,
        Col::OutcomeEndpointOn,
        Cond::And(&[OUTCOME_PAIR, REMISSION]),
    ),
    sum(
        "outcome_change",
        Table::Episodes,
        Col::OutcomeEndpointOn,
        OUTCOME_PAIR,
        CHANGE,
    ),
    count(
        "outcome_reliable_improvement",
        Table::Episodes,
        Col::OutcomeEndpointOn,
        Cond::And(&[
            OUTCOME_PAIR,
            Cond::Cmp(
                CHANGE,
                Op::Lt,
                Expr::Scale(&Expr::Param(Param::MinReliableChange), -1.0),
            ),
        ]),
    ),
    count(
        "outcome_reliable_deterioration",
        Table::Episodes,
        Col::OutcomeEndpointOn,
        Cond::And(&[
            OUTCOME_PAIR,
            Cond::Cmp(CHANGE, Op::Gt, Expr::Param(Param::MinReliableChange)),
        ]),
    ),
    // Baseline spread of the primary outcome (all episodes with a baseline): the SD_pre of the
    // reliable change index. Read all-time, per programme, before the other measures.
    sum(
        "outcome_baseline",
        Table::Episodes,
        Col::OutcomeBaselineOn,
        Cond::True,
        Expr::Col(Col::OutcomeBaseline),
    ),
    sum(
        "outcome_baseline_squared",
        Table::Episodes,
        Col::OutcomeBaselineOn,
        Cond::True,
        Expr::Prod(
            &Expr::Col(Col::OutcomeBaseline),
            &Expr::Col(Col::OutcomeBaseline),
        ),
    ),
    sum(
        "dose_attended",
        Table::Episodes,
        Col::ClosedOn,
        CLOSED,
        Expr::Col(Col::SessionsCounted),
    ),
    sum(
        "dose_planned",
        Table::Episodes,
        Col::ClosedOn,
        CLOSED,
        Expr::Col(Col::SessionsPlanned),
    ),
    count(
        "closed_adequate",
        Table::Episodes,
        Col::ClosedOn,
        Cond::And(&[CLOSED, Cond::Flag(Col::Adequate)]),
    ),
    sum(
        "components_delivered",
        Table::Episodes,
        Col::EnrolledOn,
        Cond::Cmp(Expr::Col(Col::ComponentsPlanned), Op::Gt, Expr::Num(0.0)),
        Expr::Col(Col::ComponentsDelivered),
    ),
    sum(
        "components_planned",
        Table::Episodes,
        Col::EnrolledOn,
        Cond::Cmp(Expr::Col(Col::ComponentsPlanned), Op::Gt, Expr::Num(0.0)),
        Expr::Col(Col::ComponentsPlanned),
    ),
    // The cascade: people in contact, anchored at first contact so every step is a subset of
    // the one before.
    people(
        "cascade_adequate",
        Col::ContactOn,
        Cond::Flag(Col::Adequate),
    ),
    people("cascade_quality", Col::ContactOn, QUALITY),
    people(
        "cascade_outcome",
        Col::ContactOn,
        Cond::And(&[QUALITY, Cond::Or(&[RESPONSE, REMISSION])]),
    ),
    // Maintenance, individual level.
    count(
        "maintenance_due",
        Table::Episodes,
        Col::ClosedOn,
        MAINTENANCE_DUE,
    ),
    count(
        "maintenance_followed",
        Table::Episodes,
        Col::ClosedOn,
        Cond::And(&[MAINTENANCE_DUE, Cond::Present(Col::FollowupTotal)]),
    ),
    count(
        "maintenance_sustained",
        Table::Episodes,
        Col::ClosedOn,
        Cond::And(&[
            MAINTENANCE_DUE,
            Cond::Cmp(Expr::Col(Col::OutcomeBaseline), Op::Gt, Expr::Num(0.0)),
            Cond::Cmp(
                Expr::Scale(&Expr::Col(Col::FollowupTotal), 2.0),
                Op::Le,
                Expr::Col(Col::OutcomeBaseline),
            ),
        ]),
    ),
];

/// The measure with this id.
pub fn measure(id: &str) -> Option<&'static Measure> {
    MEASURES.iter().find(|m| m.id == id)
}

// ---------------------------------------------------------------------------------------------
// Indicators.

const RE_AIM: &str = "docs/indicators.md#reach; docs/sources.md#re-aim";

macro_rules! def {
    ($code:literal, $label:literal, $fw:ident, $unit:literal, $value:ident, $formula:expr,
     num: $num:literal, den: $den:expr, anchor: $anchor:literal, design: $design:expr,
     note: $note:literal, cite: $cite:expr) => {
        IndicatorDef {
            code: $code,
            label: $label,
            framework: Framework::$fw,
            unit: $unit,
            value: ValueKind::$value,
            formula: $formula,
            numerator: $num,
            denominator: $den,
            anchor: $anchor,
            design: $design,
            note: $note,
            citation: $cite,
        }
    };
}

const UBA: Option<EstimateDesign> = Some(EstimateDesign::UncontrolledBeforeAfter);

/// Every indicator, in the order reports list them.
pub static INDICATORS: &[IndicatorDef] = &[
    // --- Reach ---------------------------------------------------------------------------
    def!("registered", "Clients registered", Reach, "client", Count, Formula::Count("registered"),
        num: "distinct clients registered in the programme", den: None,
        anchor: "registration date", design: None,
        note: "The screening register: every person screened gets a client record.",
        cite: RE_AIM),
    def!("screened", "Clients screened", Reach, "client", Count, Formula::Count("screened"),
        num: "distinct clients of the programme with at least one assessment whose occasion is screening", den: None,
        anchor: "earliest screening assessment", design: None,
        note: "People, not assessments: a client screened with two instruments counts once (contract).",
        cite: RE_AIM),
    def!("eligible", "Clients eligible", Reach, "client", Count, Formula::Count("eligible"),
        num: "distinct clients with an eligibility record whose eligible is true", den: None,
        anchor: "earliest eligibility decision with eligible true", design: None,
        note: "RE-AIM step 4's denominator before offers (contract).",
        cite: RE_AIM),
    def!("offered", "Eligible clients offered treatment", Reach, "client", Proportion,
        Formula::Ratio("eligible_offered", "eligible"),
        num: "eligible clients whose latest eligible decision records an offer (offered, accepted or declined)",
        den: Some("eligible clients"),
        anchor: "earliest eligibility decision with eligible true", design: None,
        note: "Eligible clients never offered are RE-AIM's lost or indeterminate cases (step 3).",
        cite: RE_AIM),
    def!("enrolled", "Clients enrolled", Reach, "client", Count, Formula::Count("enrolled"),
        num: "distinct clients with at least one episode", den: None,
        anchor: "earliest episode enrolment", design: None,
        note: "Contract definition.",
        cite: RE_AIM),
    def!("reach", "Reach (enrolled ÷ eligible)", Reach, "client", Proportion,
        Formula::Ratio("enrolled", "eligible"),
        num: "enrolled clients (as `enrolled`)", den: Some("eligible clients (as `eligible`)"),
        anchor: "numerator: earliest enrolment; denominator: earliest eligible decision", design: None,
        note: "Contract definition: two independent counts, so a client enrolled without an eligibility record counts above the line only, and within a period the two are counted by their own dates.",
        cite: RE_AIM),
    def!("reach_participation", "Participation among those offered", Reach, "client", Proportion,
        Formula::Ratio("eligible_offered_participants", "eligible_offered"),
        num: "eligible clients offered treatment who attended at least one session",
        den: Some("eligible clients offered treatment"),
        anchor: "earliest eligible decision (a cohort: the numerator is a subset of the denominator)", design: None,
        note: "RE-AIM step 5: participants (began or attended the first session) ÷ known eligible offered.",
        cite: RE_AIM),
    def!("reach_conservative", "Conservative reach", Reach, "client", Proportion,
        Formula::Ratio("eligible_participants", "eligible"),
        num: "eligible clients who attended at least one session",
        den: Some("eligible clients, offered or not (the not offered are lost or indeterminate)"),
        anchor: "earliest eligible decision (cohort)", design: None,
        note: "RE-AIM step 6: participants ÷ (eligible offered + lost or indeterminate).",
        cite: RE_AIM),
    def!("eligible_non_participants", "Eligible clients not participating", Reach, "client", Count,
        Formula::Count("eligible_non_participants"),
        num: "eligible clients who never attended a session", den: None,
        anchor: "earliest eligible decision", design: None,
        note: "Representativeness (RE-AIM step 7): cut this and `reach_conservative` by sex, age band or facility to compare participants with eligible non-participants.",
        cite: RE_AIM),
    def!("declined", "Declined the offer", Reach, "client", Proportion,
        Formula::Ratio("declined", "eligible_offered"),
        num: "eligible clients whose latest eligible decision is a refusal", den: Some("eligible clients offered treatment"),
        anchor: "earliest eligible decision (cohort)", design: None,
        note: "The reasons follow (RE-AIM step 8), each as a share of those who declined.",
        cite: RE_AIM),
    def!("decline_reason_no_time", "Declined: no time", Reach, "client", Proportion,
        Formula::Ratio("declined_no_time", "declined"),
        num: "clients who declined giving this reason", den: Some("clients who declined"),
        anchor: "earliest eligible decision (cohort)", design: None, note: "Reason codes as recorded.", cite: RE_AIM),
    def!("decline_reason_distance", "Declined: distance", Reach, "client", Proportion,
        Formula::Ratio("declined_distance", "declined"),
        num: "clients who declined giving this reason", den: Some("clients who declined"),
        anchor: "earliest eligible decision (cohort)", design: None, note: "Reason codes as recorded.", cite: RE_AIM),
    def!("decline_reason_cost", "Declined: cost", Reach, "client", Proportion,
        Formula::Ratio("declined_cost", "declined"),
        num: "clients who declined giving this reason", den: Some("clients who declined"),
        anchor: "earliest eligible decision (cohort)", design: None, note: "Reason codes as recorded.", cite: RE_AIM),
    def!("decline_reason_family_objection", "Declined: family objection", Reach, "client", Proportion,
        Formula::Ratio("declined_family_objection", "declined"),
        num: "clients who declined giving this reason", den: Some("clients who declined"),
        anchor: "earliest eligible decision (cohort)", design: None, note: "Reason codes as recorded.", cite: RE_AIM),
    def!("decline_reason_stigma", "Declined: stigma", Reach, "client", Proportion,
        Formula::Ratio("declined_stigma", "declined"),
        num: "clients who declined giving this reason", den: Some("clients who declined"),
        anchor: "earliest eligible decision (cohort)", design: None, note: "Reason codes as recorded.", cite: RE_AIM),
    def!("decline_reason_not_needed", "Declined: not needed", Reach, "client", Proportion,
        Formula::Ratio("declined_not_needed", "declined"),
        num: "clients who declined giving this reason", den: Some("clients who declined"),
        anchor: "earliest eligible decision (cohort)", design: None, note: "Reason codes as recorded.", cite: RE_AIM),
    def!("decline_reason_prefers_other_care", "Declined: prefers other care", Reach, "client", Proportion,
        Formula::Ratio("declined_prefers_other_care", "declined"),
        num: "clients who declined giving this reason", den: Some("clients who declined"),
        anchor: "earliest eligible decision (cohort)", design: None, note: "Reason codes as recorded.", cite: RE_AIM),
    def!("decline_reason_other", "Declined: other reason", Reach, "client", Proportion,
        Formula::Ratio("declined_other", "declined"),
        num: "clients who declined giving this reason", den: Some("clients who declined"),
        anchor: "earliest eligible decision (cohort)", design: None, note: "Reason codes as recorded.", cite: RE_AIM),
    // --- Effectiveness -------------------------------------------------------------------
    def!("completion", "Completion", Effectiveness, "episode", Proportion,
        Formula::Ratio("closed_completed", "closed"),
        num: "episodes closed with reason completed", den: Some("episodes closed"),
        anchor: "closure date", design: None,
        note: "Contract definition.",
        cite: "docs/indicators.md#effectiveness"),
    def!("dropout", "Drop-out", Effectiveness, "episode", Proportion,
        Formula::Ratio("closed_dropped_out", "closed"),
        num: "episodes closed with reason dropped_out", den: Some("episodes closed"),
        anchor: "closure date", design: None,
        note: "Negative outcome (RE-AIM effectiveness includes negative effects).",
        cite: "docs/indicators.md#effectiveness"),
    def!("phq9_response", "PHQ-9 response", Effectiveness, "episode", Proportion,
        Formula::Ratio("phq9_responders", "phq9_pairs"),
        num: "episodes whose latest endpoint PHQ-9 total is at most half their earliest baseline total",
        den: Some("episodes with a PHQ-9 at occasion baseline and one at endpoint"),
        anchor: "date of the latest endpoint PHQ-9", design: UBA,
        note: "Contract definition. Total = sum of the nine items; an assessment with an unanswered item has none. A baseline of 0 with an endpoint of 0 counts as a response (at most half of 0).",
        cite: "docs/indicators.md#effectiveness; docs/sources.md#change-scores"),
    def!("phq9_remission", "PHQ-9 remission (< 5)", Effectiveness, "episode", Proportion,
        Formula::Ratio("phq9_remitters", "phq9_pairs"),
        num: "episodes whose latest endpoint PHQ-9 total is below 5", den: Some("episodes with a PHQ-9 at occasion baseline and one at endpoint"),
        anchor: "date of the latest endpoint PHQ-9", design: UBA,
        note: "Contract definition (NQF #0710 cut-off).",
        cite: "docs/indicators.md#effectiveness; docs/sources.md#change-scores"),
    def!("phq9_mean_change", "PHQ-9 mean change", Effectiveness, "episode", Mean,
        Formula::Mean("phq9_change"),
        num: "sum over those episodes of endpoint minus baseline totals", den: Some("episodes with a PHQ-9 at occasion baseline and one at endpoint"),
        anchor: "date of the latest endpoint PHQ-9", design: UBA,
        note: "Contract definition: the value only (negative = improvement); `n` gives the episodes.",
        cite: "docs/indicators.md#effectiveness"),
    def!("outcome_response", "Response on the primary outcome", Effectiveness, "episode", Proportion,
        Formula::Ratio("outcome_responders", "outcome_pairs"),
        num: "episodes with a positive baseline whose endpoint is at most half of it", den: Some("episodes with a baseline and an endpoint of the protocol's primary outcome instrument"),
        anchor: "date of the latest endpoint", design: UBA,
        note: "Primary instrument = the protocol's first outcome (SSQ-14 for the Friendship Bench). Response ≥ 50 % fall from a positive baseline.",
        cite: "docs/indicators.md#effectiveness; docs/sources.md#change-scores"),
    def!("outcome_remission", "Remission on the primary outcome", Effectiveness, "episode", Proportion,
        Formula::Ratio("outcome_remitters", "outcome_pairs"),
        num: "episodes whose endpoint is below the remission cut-off", den: Some("episodes with a baseline and an endpoint of the primary instrument"),
        anchor: "date of the latest endpoint", design: UBA,
        note: "Cut-off configurable (`remission_below`); default: below the instrument's default screening cut-off (PHQ-9 < 10, the PREMIUM definition).",
        cite: "docs/indicators.md#effectiveness; docs/sources.md#change-scores"),
    def!("outcome_mean_change", "Mean change on the primary outcome", Effectiveness, "episode", Mean,
        Formula::Mean("outcome_change"),
        num: "sum of endpoint minus baseline", den: Some("episodes with a baseline and an endpoint of the primary instrument"),
        anchor: "date of the latest endpoint", design: UBA,
        note: "Uncontrolled: includes natural improvement and regression to the mean. The controlled effect of a trial is `scaleup analyze effectiveness`.",
        cite: "docs/indicators.md#effectiveness"),
    def!("reliable_improvement", "Reliable improvement (RCI)", Effectiveness, "episode", Proportion,
        Formula::Ratio("outcome_reliable_improvement", "outcome_pairs"),
        num: "episodes whose fall from baseline exceeds 1.96 × S_diff", den: Some("episodes with a baseline and an endpoint of the primary instrument"),
        anchor: "date of the latest endpoint", design: UBA,
        note: "Jacobson–Truax: S_diff = √2 · SD_pre · √(1 − r), SD_pre the SD of the programme's baseline totals (all time), r the instrument's reliability (configurable; PHQ-9 α 0.89).",
        cite: "docs/indicators.md#effectiveness; docs/sources.md#change-scores"),
    def!("reliable_deterioration", "Reliable deterioration (RCI)", Effectiveness, "episode", Proportion,
        Formula::Ratio("outcome_reliable_deterioration", "outcome_pairs"),
        num: "episodes whose rise from baseline exceeds 1.96 × S_diff", den: Some("episodes with a baseline and an endpoint of the primary instrument"),
        anchor: "date of the latest endpoint", design: UBA,
        note: "The negative counterpart of reliable improvement.",
        cite: "docs/indicators.md#effectiveness; docs/sources.md#change-scores"),
    def!("adverse_events", "Risk alerts during care", Effectiveness, "client", Proportion,
        Formula::Ratio("enrolled_with_alert", "enrolled"),
        num: "enrolled clients with a risk alert raised on or after their first enrolment", den: Some("enrolled clients"),
        anchor: "earliest enrolment (cohort)", design: None,
        note: "Risk alerts (self-harm items) as adverse events: a safety signal, not an effect estimate.",
        cite: "docs/indicators.md#effectiveness"),
    // --- Adoption ------------------------------------------------------------------------
    def!("adoption_facilities", "Facilities delivering", Adoption, "facility", Proportion,
        Formula::Side(Side::AdoptionFacilities),
        num: "programme sites with at least one attended session in the period", den: Some("programme sites (facilities approached)"),
        anchor: "session month", design: None,
        note: "Counted from the attended-session counts kept per programme, facility, counsellor and day.",
        cite: "docs/indicators.md#adoption; docs/sources.md#re-aim"),
    def!("adoption_counsellors", "Trained counsellors delivering", Adoption, "counsellor", Proportion,
        Formula::Side(Side::AdoptionCounsellors),
        num: "trained counsellors who delivered at least one attended session of the programme in the period",
        den: Some("counsellors of the hub with a completed (not failed) training record by the end of the period"),
        anchor: "session date; training completion", design: None,
        note: "Counsellors delivering without a training record are reported as a diagnostic, not counted.",
        cite: "docs/indicators.md#adoption; docs/sources.md#re-aim"),
    // --- Implementation ------------------------------------------------------------------
    def!("fidelity", "Fidelity (components delivered)", Implementation, "component", Proportion,
        Formula::Ratio("components_delivered", "components_planned"),
        num: "protocol components recorded as delivered in attended sessions", den: Some("components the protocol's session plan lists for those sessions"),
        anchor: "episode enrolment (treatment cohort)", design: None,
        note: "Summed over episodes (each component weighs the same).",
        cite: "docs/indicators.md#implementation; docs/sources.md#proctor"),
    def!("dose", "Dose (sessions attended ÷ planned)", Implementation, "session", Proportion,
        Formula::Ratio("dose_attended", "dose_planned"),
        num: "sessions attended in closed episodes, at most the planned number each", den: Some("sessions the protocol plans, per closed episode"),
        anchor: "closure date", design: None,
        note: "Closed episodes only: an open episode's dose is not final.",
        cite: "docs/indicators.md#implementation; docs/sources.md#proctor"),
    def!("adequate_dose", "Adequate dose reached", Implementation, "episode", Proportion,
        Formula::Ratio("closed_adequate", "closed"),
        num: "closed episodes with at least the protocol's minimum adequate sessions attended", den: Some("closed episodes"),
        anchor: "closure date", design: None,
        note: "The minimum is the protocol's `dose.minimum_sessions`.",
        cite: "docs/indicators.md#implementation"),
    def!("competency_level_1", "Competency ratings at level 1 (harmful)", Implementation, "rating", Proportion,
        Formula::Side(Side::CompetencyLevel(1)),
        num: "competencies rated at level 1 in each counsellor's latest rating", den: Some("competencies rated in those ratings"),
        anchor: "the latest rating on or before the end of the period", design: None,
        note: "ENACT/EQUIP levels per competency; level 1 raises a supervision safety flag.",
        cite: "docs/indicators.md#implementation; docs/sources.md#enact-equip"),
    def!("competency_level_2", "Competency ratings at level 2", Implementation, "rating", Proportion,
        Formula::Side(Side::CompetencyLevel(2)),
        num: "competencies rated at level 2 in each counsellor's latest rating", den: Some("competencies rated in those ratings"),
        anchor: "the latest rating on or before the end of the period", design: None,
        note: "ENACT/EQUIP levels per competency.", cite: "docs/indicators.md#implementation; docs/sources.md#enact-equip"),
    def!("competency_level_3", "Competency ratings at level 3", Implementation, "rating", Proportion,
        Formula::Side(Side::CompetencyLevel(3)),
        num: "competencies rated at level 3 in each counsellor's latest rating", den: Some("competencies rated in those ratings"),
        anchor: "the latest rating on or before the end of the period", design: None,
        note: "ENACT/EQUIP levels per competency.", cite: "docs/indicators.md#implementation; docs/sources.md#enact-equip"),
    def!("competency_level_4", "Competency ratings at level 4", Implementation, "rating", Proportion,
        Formula::Side(Side::CompetencyLevel(4)),
        num: "competencies rated at level 4 in each counsellor's latest rating", den: Some("competencies rated in those ratings"),
        anchor: "the latest rating on or before the end of the period", design: None,
        note: "ENACT/EQUIP levels per competency.", cite: "docs/indicators.md#implementation; docs/sources.md#enact-equip"),
    def!("counsellors_competent", "Counsellors competent (all competencies ≥ level 3)", Implementation, "counsellor", Proportion,
        Formula::Side(Side::CounsellorsCompetent),
        num: "rated counsellors whose latest rating has every competency at level 3 or 4", den: Some("counsellors with a rating"),
        anchor: "the latest rating on or before the end of the period", design: None,
        note: "The EQUIP certification reading (level 3: all basic skills, no harmful behaviour).",
        cite: "docs/indicators.md#implementation; docs/sources.md#enact-equip"),
    def!("supervision_coverage", "Supervision coverage (last 30 days)", Implementation, "counsellor", Proportion,
        Formula::Side(Side::SupervisionCoverage),
        num: "counsellors delivering in the 30 days to the as-of date who took part in a supervision session in those days",
        den: Some("counsellors with an attended session of the programme in those 30 days"),
        anchor: "as-of date: the period's end (or each month's or quarter's end), at most today", design: None,
        note: "Group supervision counts for every counsellor listed in it.",
        cite: "docs/indicators.md#implementation"),
    def!("alert_response_median_hours", "Risk-alert response time, median", Implementation, "alert", Hours,
        Formula::Side(Side::AlertResponseMedian),
        num: "median hours from raising to acknowledgement of acknowledged risk alerts", den: None,
        anchor: "date the alert was raised", design: None,
        note: "Exact median of the acknowledged alerts (the mean of the middle two for an even number).",
        cite: "docs/indicators.md#implementation"),
    def!("alert_response_p90_hours", "Risk-alert response time, 90th percentile", Implementation, "alert", Hours,
        Formula::Side(Side::AlertResponseP90),
        num: "90th percentile of hours from raising to acknowledgement", den: None,
        anchor: "date the alert was raised", design: None,
        note: "Nearest-rank percentile.",
        cite: "docs/indicators.md#implementation"),
    def!("alert_response_within_limit", "Risk alerts acknowledged within the protocol's limit", Implementation, "alert", Proportion,
        Formula::Side(Side::AlertWithinLimit),
        num: "alerts acknowledged by their deadline", den: Some("alerts whose deadline has passed by the as-of date, or acknowledged"),
        anchor: "date the alert was raised", design: None,
        note: "The deadline is the programme's acknowledgement limit (a quarter of it for urgent alerts), as each alert carries it.",
        cite: "docs/indicators.md#implementation"),
    // --- Maintenance ---------------------------------------------------------------------
    def!("maintenance_facilities", "Sites still delivering 6 months after support", Maintenance, "facility", Proportion,
        Formula::Side(Side::MaintenanceFacilities),
        num: "sites with an attended session 6 months or more after their support ended", den: Some("sites whose support ended at least 6 months before the as-of date"),
        anchor: "support end date (programme design `support_ended_on`, per site or for the programme)", design: None,
        note: "Not computed (with a diagnostic) until the programme records when support ended.",
        cite: "docs/indicators.md#maintenance; docs/sources.md#re-aim"),
    def!("maintenance_followup", "Follow-up 6 months after last contact", Maintenance, "episode", Proportion,
        Formula::Ratio("maintenance_followed", "maintenance_due"),
        num: "of those, episodes with a primary-outcome follow-up at least 6 months after the last contact", den: Some("closed episodes with a baseline whose last contact was 6 months or more before the as-of date"),
        anchor: "closure date", design: None,
        note: "Long-term attrition (RE-AIM individual maintenance).",
        cite: "docs/indicators.md#maintenance; docs/sources.md#re-aim"),
    def!("maintenance_response", "Response sustained 6 months after last contact", Maintenance, "episode", Proportion,
        Formula::Ratio("maintenance_sustained", "maintenance_followed"),
        num: "episodes whose 6-month follow-up is at most half the (positive) baseline", den: Some("episodes with such a follow-up"),
        anchor: "closure date", design: UBA,
        note: "Outcome at least six months after the final intervention contact.",
        cite: "docs/indicators.md#maintenance; docs/sources.md#re-aim"),
    // --- Proctor -------------------------------------------------------------------------
    def!("penetration_clients", "Penetration (clients)", Proctor, "client", Proportion,
        Formula::Ratio("eligible_participants", "eligible"),
        num: "eligible clients who used the service (attended a session)", den: Some("eligible clients"),
        anchor: "earliest eligible decision (cohort)", design: None,
        note: "Proctor's client penetration with the screening register as the eligible population: the same measures as `reach_conservative`. Against the population in need it is `coverage_contact`.",
        cite: "docs/indicators.md#proctor; docs/sources.md#proctor"),
    def!("penetration_providers", "Penetration (providers)", Proctor, "counsellor", Proportion,
        Formula::Side(Side::AdoptionCounsellors),
        num: "trained counsellors delivering", den: Some("trained counsellors"),
        anchor: "session date; training completion", design: None,
        note: "Proctor's provider penetration: the same computation as `adoption_counsellors`.",
        cite: "docs/indicators.md#proctor; docs/sources.md#proctor"),
    def!("acceptability_aim", "Acceptability (AIM mean)", Proctor, "client", Mean, Formula::Mean("aim"),
        num: "sum of each client's latest AIM score (1-5)", den: Some("clients with an AIM score"),
        anchor: "date of the latest AIM", design: None,
        note: "Weiner et al. 2017; no official cut-off.",
        cite: "docs/indicators.md#proctor; docs/sources.md#proctor"),
    def!("appropriateness_iam", "Appropriateness (IAM mean)", Proctor, "client", Mean, Formula::Mean("iam"),
        num: "sum of each client's latest IAM score (1-5)", den: Some("clients with an IAM score"),
        anchor: "date of the latest IAM", design: None,
        note: "Weiner et al. 2017.", cite: "docs/indicators.md#proctor; docs/sources.md#proctor"),
    def!("feasibility_fim", "Feasibility (FIM mean)", Proctor, "client", Mean, Formula::Mean("fim"),
        num: "sum of each client's latest FIM score (1-5)", den: Some("clients with a FIM score"),
        anchor: "date of the latest FIM", design: None,
        note: "Weiner et al. 2017.", cite: "docs/indicators.md#proctor; docs/sources.md#proctor"),
    // --- Effective coverage ----------------------------------------------------------------
    def!("need", "Population in need", Coverage, "person", People, Formula::Need,
        num: "Σ over the group's programme sites of catchment population × prevalence", den: None,
        anchor: "not dated: the same population for every period", design: None,
        note: "Prevalence per org unit with its source (the facility's, else its nearest ancestor's). Not defined for cuts by sex, age band, arm or counsellor.",
        cite: "docs/indicators.md#coverage; docs/sources.md#effective-coverage"),
    def!("coverage_contact", "Contact coverage", Coverage, "person", Proportion, Formula::OfNeed("contacted"),
        num: "clients whose first attended session falls in the period", den: Some("population in need"),
        anchor: "first attended session", design: None,
        note: "Cascade step 1. Over a period shorter than a year it counts new contacts against the whole need.",
        cite: "docs/indicators.md#coverage; docs/sources.md#effective-coverage"),
    def!("coverage_adequate_dose", "Coverage with an adequate dose", Coverage, "person", Proportion,
        Formula::OfNeed("cascade_adequate"),
        num: "of those in contact, clients with an episode reaching the adequate dose", den: Some("population in need"),
        anchor: "first attended session (so each step is within the previous)", design: None,
        note: "Cascade step 3 (intervention coverage).",
        cite: "docs/indicators.md#coverage; docs/sources.md#effective-coverage"),
    def!("coverage_quality", "Quality-adjusted coverage", Coverage, "person", Proportion,
        Formula::OfNeed("cascade_quality"),
        num: "of those, clients whose adequate episode had fidelity at or above the threshold", den: Some("population in need"),
        anchor: "first attended session", design: None,
        note: "Cascade step 4; fidelity threshold configurable (`fidelity_threshold`, default 0.8).",
        cite: "docs/indicators.md#coverage; docs/sources.md#effective-coverage"),
    def!("coverage_effective", "Effective coverage", Coverage, "person", Proportion,
        Formula::OfNeed("cascade_outcome"),
        num: "of those, clients whose quality episode ended in response or remission on the primary outcome", den: Some("population in need"),
        anchor: "first attended session", design: None,
        note: "Cascade step 6 (outcome-adjusted coverage).",
        cite: "docs/indicators.md#coverage; docs/sources.md#effective-coverage"),
    def!("treatment_gap", "Treatment gap", Coverage, "person", Proportion, Formula::GapOfNeed("contacted"),
        num: "population in need minus clients in contact", den: Some("population in need"),
        anchor: "first attended session", design: None,
        note: "1 − contact coverage (NIMH; De Silva et al. 2014); never below 0.",
        cite: "docs/indicators.md#coverage; docs/sources.md#effective-coverage"),
];

/// The indicator with this code.
pub fn indicator(code: &str) -> Option<&'static IndicatorDef> {
    INDICATORS.iter().find(|d| d.code == code)
}

/// Whether a protocol may set a target on `code`: the indicator must be a share (targets are
/// drawn as a line across its month-by-month series). The refusal lists the codes allowed.
pub fn check_target(code: &str) -> Result<(), String> {
    match indicator(code) {
        Some(d) if d.value == ValueKind::Proportion => Ok(()),
        found => {
            let shares: Vec<&str> = INDICATORS
                .iter()
                .filter(|d| d.value == ValueKind::Proportion)
                .map(|d| d.code)
                .collect();
            let what = if found.is_some() {
                "is not a share"
            } else {
                "is not an indicator"
            };
            Err(format!(
                "{code} {what}; targets may be set on: {}",
                shares.join(", ")
            ))
        }
    }
}

/// The measures an indicator is computed from.
pub fn measures_of(def: &IndicatorDef) -> Vec<&'static Measure> {
    let ids: Vec<&str> = match def.formula {
        Formula::Count(m) | Formula::Mean(m) | Formula::OfNeed(m) | Formula::GapOfNeed(m) => {
            vec![m]
        }
        Formula::Ratio(a, b) => vec![a, b],
        Formula::Need | Formula::Side(_) => vec![],
    };
    ids.into_iter().filter_map(measure).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_measure_ids_are_unique_and_every_reference_resolves() {
        let mut codes: Vec<_> = INDICATORS.iter().map(|d| d.code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), INDICATORS.len());
        let mut ids: Vec<_> = MEASURES.iter().map(|m| m.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), MEASURES.len());
        for d in INDICATORS {
            let wanted = match d.formula {
                Formula::Count(_)
                | Formula::Mean(_)
                | Formula::OfNeed(_)
                | Formula::GapOfNeed(_) => 1,
                Formula::Ratio(..) => 2,
                _ => 0,
            };
            assert_eq!(measures_of(d).len(), wanted, "{}", d.code);
            if let Formula::Mean(m) = d.formula {
                assert!(matches!(measure(m).unwrap().agg, Agg::Sum(_)), "{}", d.code);
            }
        }
    }

    /// `Framework::ALL` is the frameworks of the catalogue, in its order, each once (the
    /// dashboard's headings and their translations are checked over it).
    #[test]
    fn framework_all_lists_the_catalogues_frameworks_in_order() {
        let mut seen: Vec<Framework> = Vec::new();
        for d in INDICATORS {
            if seen.last() != Some(&d.framework) {
                seen.push(d.framework);
            }
        }
        assert_eq!(seen, Framework::ALL);
    }

    #[test]
    fn every_measure_reads_only_columns_of_its_table() {
        for m in MEASURES {
            for c in m.columns() {
                assert!(m.table.columns().contains(&c), "{} reads {c:?}", m.id);
            }
            assert!(
                matches!(m.anchor.kind(), crate::facts::ColKind::Date),
                "{}",
                m.id
            );
        }
    }

    #[test]
    fn the_contract_codes_are_present() {
        for code in [
            "screened",
            "eligible",
            "enrolled",
            "reach",
            "completion",
            "phq9_response",
            "phq9_remission",
            "phq9_mean_change",
        ] {
            assert!(indicator(code).is_some(), "{code}");
        }
    }

    #[test]
    fn pooling_refuses_to_mix_designs() {
        let ok = pool_designs([
            ("HAP", EstimateDesign::UncontrolledBeforeAfter),
            ("FB", EstimateDesign::UncontrolledBeforeAfter),
        ]);
        assert_eq!(ok, Ok(Some(EstimateDesign::UncontrolledBeforeAfter)));
        let err = pool_designs([
            ("HAP", EstimateDesign::UncontrolledBeforeAfter),
            ("PM+ trial", EstimateDesign::ControlledTrialArm),
        ])
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "estimates of different designs cannot be pooled: HAP uncontrolled before/after and PM+ trial controlled (trial arm); pool each design separately"
        );
        assert_eq!(pool_designs(std::iter::empty()), Ok(None));
    }
}
