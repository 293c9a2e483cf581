//! The serialized form of a protocol definition (one TOML file per protocol).

use crate::instrument::def::{Citation, Comparison};
use serde::{Deserialize, Serialize};

/// How sessions may be delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Modality {
    /// One client, face to face.
    Individual,
    /// Several clients together.
    Group,
    /// Telephone, video or app.
    Remote,
}

/// Planned number and length of sessions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionsDef {
    /// Sessions planned.
    pub planned: u32,
    /// Typical minutes per session.
    pub typical_minutes: u32,
    /// Days between sessions, when the protocol is weekly or similar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_days: Option<u32>,
}

/// A protocol component (checklist entry).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentDef {
    /// Stable code.
    pub code: String,
    /// Label.
    pub label: String,
}

/// Components planned for one session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionPlanDef {
    /// Session number, 1-based.
    pub session: u32,
    /// Component codes.
    pub components: Vec<String>,
    /// Modality when it differs by session (CPT: session 1 individual, then group).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modality: Option<Modality>,
    /// Minutes when they differ from `sessions.typical_minutes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes: Option<u32>,
}

/// When an outcome instrument is administered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Timepoint {
    /// Before the first session.
    Baseline,
    /// At every session.
    EachSession,
    /// At the last session or at discharge.
    End,
}

/// One outcome instrument and its schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeDef {
    /// Instrument code.
    pub instrument: String,
    /// Timepoints.
    pub at: Vec<Timepoint>,
    /// Additional sessions (1-based) at which it is administered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sessions: Vec<u32>,
    /// Follow-ups, months after the end.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub follow_up_months: Vec<u32>,
}

/// The screening step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScreeningDef {
    /// Instrument used to screen.
    pub instrument: String,
}

/// An eligibility criterion: a cut-off of an instrument, an explicit threshold, or a
/// combination.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CriterionDef {
    /// Instrument code (leaf criteria).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instrument: Option<String>,
    /// Cut-off id of that instrument (its threshold, as overridden by the programme).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cutoff: Option<String>,
    /// Explicit comparison on the total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
    /// Explicit threshold on the total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// Coding of the explicit threshold (WHODAS "1-5").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coding: Option<String>,
    /// All sub-criteria hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all: Option<Vec<CriterionDef>>,
    /// Any sub-criterion holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any: Option<Vec<CriterionDef>>,
}

/// What an exclusion does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExclusionAction {
    /// Not eligible; refer to a higher level of care.
    Refer,
    /// Not eligible.
    Exclude,
}

/// An exclusion triggered by a risk flag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExclusionDef {
    /// Stable id (reported as a reason).
    pub id: String,
    /// Instrument code.
    pub instrument: String,
    /// Risk rule id of that instrument.
    pub risk_rule: String,
    /// Consequence.
    pub action: ExclusionAction,
    /// Source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// Eligibility: `all` and/or `any` criteria plus exclusions.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EligibilityDef {
    /// All must hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all: Option<Vec<CriterionDef>>,
    /// At least one must hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any: Option<Vec<CriterionDef>>,
    /// Exclusions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclusions: Vec<ExclusionDef>,
    /// Source of the rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// Minimum adequate dose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoseDef {
    /// Sessions attended for an adequate dose.
    pub minimum_sessions: u32,
    /// Source or rationale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// What to do when the stepped-care rule fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepAction {
    /// Review the case at supervision.
    Review,
    /// Step up to a more intensive treatment or refer.
    StepUp,
}

/// The stepped-care rule: by session N, the outcome must have improved by a minimum amount.
/// The flag fires when any given minimum is not met.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SteppedCareDef {
    /// Outcome instrument.
    pub instrument: String,
    /// Session from which the rule applies.
    pub by_session: u32,
    /// Minimum fractional reduction from baseline (0.5 = 50 %).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_reduction_fraction: Option<f64>,
    /// Minimum reduction in points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_reduction_points: Option<f64>,
    /// Action.
    pub action: StepAction,
    /// Source.
    pub source: String,
}

/// Who receives an escalated alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationTarget {
    /// The hub manager.
    HubManager,
}

/// A risk flag that creates an alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertOnDef {
    /// Instrument code.
    pub instrument: String,
    /// Risk rule id.
    pub rule: String,
}

/// Risk alert routing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskDef {
    /// Flags that create alerts for the supervisor.
    pub alert_on: Vec<AlertOnDef>,
    /// Hours before an unacknowledged alert escalates.
    pub acknowledge_within_hours: u32,
    /// Who receives the escalation.
    pub escalate_to: EscalationTarget,
    /// What the counsellor does, one step at a time, when a risk item is positive. Empty: the
    /// app's standard steps (ask, keep safe, call, record; WHO mhGAP-IG 2.0, SUI module).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub safety_steps: Vec<SafetyStepDef>,
}

/// One safety step. The app words the standard kinds in the counsellor's language; `text`
/// replaces that wording with the protocol's own (shown as written, in the language it is
/// written in).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SafetyStepDef {
    pub kind: SafetyStepKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// The kinds of safety step: what to ask, how to keep the person safe, who to call, what to
/// record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SafetyStepKind {
    Ask,
    KeepSafe,
    Call,
    Record,
}

/// When a planned session counts as missed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MissedSessionDef {
    /// Days after the due date.
    pub overdue_days: u32,
}

/// A target for one indicator of programmes following the protocol, drawn against that
/// indicator's month-by-month series on the dashboard. Exactly one of `at_least` and `at_most`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetDef {
    /// The indicator's code: a share of the indicator catalogue (docs/indicators.md), such as
    /// `completion` or `fidelity`. Storage checks the code against the catalogue on upload.
    pub indicator: String,
    /// The share to reach or exceed, 0 to 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<f64>,
    /// The share to stay at or below, 0 to 1 (drop-out, the treatment gap).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_most: Option<f64>,
    /// Where the target comes from: a trial's benchmark, a guideline, or who set it.
    pub source: String,
}

impl TargetDef {
    /// The target share, whichever side it is on.
    pub fn share(&self) -> f64 {
        self.at_least.or(self.at_most).unwrap_or(0.0)
    }

    /// Whether a value meets the target.
    pub fn met_by(&self, value: f64) -> bool {
        match (self.at_least, self.at_most) {
            (Some(t), _) => value >= t,
            (None, Some(t)) => value <= t,
            (None, None) => false,
        }
    }
}

/// A whole protocol file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtocolDef {
    /// Always `"protocol"` in files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Stable code.
    pub code: String,
    /// Definition version.
    pub version: String,
    /// Name.
    pub name: String,
    /// Intervention sources.
    pub sources: Vec<Citation>,
    /// Allowed modalities.
    pub delivery: Vec<Modality>,
    /// Sessions.
    pub sessions: SessionsDef,
    /// Component catalogue.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<ComponentDef>,
    /// Per-session checklist.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub session_plan: Vec<SessionPlanDef>,
    /// Outcome schedule.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outcomes: Vec<OutcomeDef>,
    /// Screening.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screening: Option<ScreeningDef>,
    /// Eligibility.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eligibility: Option<EligibilityDef>,
    /// Minimum adequate dose.
    pub dose: DoseDef,
    /// Stepped care.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stepped_care: Option<SteppedCareDef>,
    /// Risk alerts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<RiskDef>,
    /// Missed sessions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missed_session: Option<MissedSessionDef>,
    /// Targets for indicators of programmes following the protocol.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<TargetDef>,
    /// Notes, including unverified details.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}
