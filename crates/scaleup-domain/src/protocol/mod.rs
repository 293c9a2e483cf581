//! Protocols as data: sessions, components, outcome schedule, eligibility, dose, stepped care,
//! risk routing and missed sessions of an evidence-based intervention.
//!
//! A [`Protocol`] is validated against the instruments of a [`crate::catalog::Catalog`]: every
//! instrument, cut-off, coding and risk rule it names exists. Evaluation functions are pure and
//! take [`Score`]s computed by the instrument layer.

pub mod care;
pub mod def;

pub use care::*;
pub use def::*;

use crate::catalog::{Catalog, DefinitionError, FieldError, Problems};
use crate::instrument::{Instrument, RiskFlag, Score};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A validated protocol.
#[derive(Debug, Clone, PartialEq)]
pub struct Protocol {
    def: ProtocolDef,
}

/// Why an eligibility decision came out as it did. Codes only, no score values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Reason {
    /// A leaf criterion held.
    CriterionMet {
        /// Instrument code.
        instrument: String,
        /// Criterion code: `cutoff:<id>` or `total<op><threshold>[@coding]`.
        criterion: String,
    },
    /// A leaf criterion did not hold.
    CriterionNotMet {
        /// Instrument code.
        instrument: String,
        /// Criterion code.
        criterion: String,
    },
    /// No score was supplied for an instrument the rule needs.
    MissingScore {
        /// Instrument code.
        instrument: String,
    },
    /// An exclusion fired.
    Excluded {
        /// Exclusion id.
        exclusion: String,
        /// Consequence.
        action: ExclusionAction,
    },
}

/// Outcome of [`Protocol::eligibility`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EligibilityDecision {
    /// Eligible: the rule holds and no exclusion fired.
    pub eligible: bool,
    /// Refer to a higher level of care (an exclusion with action `refer` fired).
    pub refer: bool,
    /// Reasons, in rule order.
    pub reasons: Vec<Reason>,
}

/// A supervision flag from a protocol rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    /// Flag code, e.g. `no_improvement`.
    pub code: String,
    /// Protocol code.
    pub protocol: String,
    /// Instrument the rule looked at.
    pub instrument: String,
    /// Session at which the rule fired.
    pub session_number: u32,
    /// Recommended action.
    pub action: StepAction,
}

/// How a risk flag becomes an alert under this protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertPolicy {
    /// Hours before an unacknowledged alert escalates.
    pub acknowledge_within_hours: u32,
    /// Who receives the escalation.
    pub escalate_to: EscalationTarget,
}

fn ferr(path: impl Into<String>, message: impl Into<String>) -> FieldError {
    FieldError {
        path: path.into(),
        message: message.into(),
    }
}

impl Protocol {
    /// Parses and validates one protocol file against the instruments of `catalog`.
    pub fn from_toml(origin: &str, text: &str, catalog: &Catalog) -> Result<Self, DefinitionError> {
        let def: ProtocolDef = crate::catalog::parse_toml(origin, text)?;
        Self::validate(def, catalog).map_err(|e| FieldError::locate_all(e, origin, text))
    }

    /// Validates in two stages: the header (what the rest is checked against) and then every
    /// section on its own, keeping every section's problem.
    fn validate(def: ProtocolDef, catalog: &Catalog) -> Result<Self, Vec<FieldError>> {
        let mut p = Problems::default();
        if let Some(k) = &def.kind
            && k != "protocol"
        {
            p.add(ferr("kind", "must be \"protocol\""));
        }
        p.keep(crate::instrument::validate_code("code", &def.code));
        if def.version.trim().is_empty() {
            p.add(ferr("version", "must not be empty"));
        }
        if def.sources.is_empty() {
            p.add(ferr("sources", "at least one source is required"));
        }
        if def.delivery.is_empty() {
            p.add(ferr("delivery", "at least one modality is required"));
        }
        let planned = def.sessions.planned;
        if planned == 0 {
            p.add(ferr("sessions.planned", "must be at least 1"));
        }
        p.gate()?;
        let mut codes = BTreeSet::new();
        p.keep((|| {
            for (i, c) in def.components.iter().enumerate() {
                crate::instrument::validate_code(&format!("components[{i}].code"), &c.code)?;
                if !codes.insert(c.code.as_str()) {
                    return Err(ferr(format!("components[{i}].code"), "must be unique"));
                }
            }
            Ok(())
        })());
        p.keep((|| {
            let mut sessions = BTreeSet::new();
            for (i, s) in def.session_plan.iter().enumerate() {
                if s.session == 0 || s.session > planned {
                    return Err(ferr(
                        format!("session_plan[{i}].session"),
                        "must be between 1 and sessions.planned",
                    ));
                }
                if !sessions.insert(s.session) {
                    return Err(ferr(format!("session_plan[{i}].session"), "must be unique"));
                }
                if let Some(m) = s.modality
                    && !def.delivery.contains(&m)
                {
                    let allowed: Vec<String> = def
                        .delivery
                        .iter()
                        .filter_map(|m| serde_json::to_value(m).ok())
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect();
                    return Err(ferr(
                        format!("session_plan[{i}].modality"),
                        format!(
                            "is not one of the protocol's delivery modalities: {}",
                            allowed.join(", ")
                        ),
                    ));
                }
                for c in &s.components {
                    if !codes.contains(c.as_str()) {
                        return Err(ferr(
                            format!("session_plan[{i}].components"),
                            "names a component not listed in components",
                        ));
                    }
                }
            }
            Ok(())
        })());
        let instrument = |path: String, code: &str| -> Result<&Instrument, FieldError> {
            catalog
                .instrument(code)
                .ok_or_else(|| ferr(path, "names an instrument not in the catalogue"))
        };
        p.keep((|| {
            for (i, o) in def.outcomes.iter().enumerate() {
                instrument(format!("outcomes[{i}].instrument"), &o.instrument)?;
                if o.at.is_empty() && o.sessions.is_empty() && o.follow_up_months.is_empty() {
                    return Err(ferr(
                        format!("outcomes[{i}]"),
                        "needs at least one timepoint",
                    ));
                }
                if o.sessions.iter().any(|&s| s == 0 || s > planned) {
                    return Err(ferr(
                        format!("outcomes[{i}].sessions"),
                        "must be between 1 and sessions.planned",
                    ));
                }
            }
            Ok(())
        })());
        p.keep((|| {
            if let Some(s) = &def.screening {
                instrument("screening.instrument".into(), &s.instrument)?;
            }
            Ok(())
        })());
        p.keep((|| {
            if let Some(e) = &def.eligibility {
                match (&e.all, &e.any) {
                    (None, None) => {
                        return Err(ferr("eligibility", "give all and/or any criteria"));
                    }
                    _ => {
                        for (key, list) in [("all", &e.all), ("any", &e.any)] {
                            if let Some(list) = list {
                                if list.is_empty() {
                                    return Err(ferr(
                                        format!("eligibility.{key}"),
                                        "must not be empty",
                                    ));
                                }
                                for (i, c) in list.iter().enumerate() {
                                    check_criterion(
                                        catalog,
                                        &format!("eligibility.{key}[{i}]"),
                                        c,
                                    )?;
                                }
                            }
                        }
                    }
                }
                let mut ids = BTreeSet::new();
                for (i, x) in e.exclusions.iter().enumerate() {
                    let path = format!("eligibility.exclusions[{i}]");
                    if !ids.insert(x.id.as_str()) {
                        return Err(ferr(format!("{path}.id"), "must be unique"));
                    }
                    let inst = instrument(format!("{path}.instrument"), &x.instrument)?;
                    if !inst.risk_rule_ids().any(|r| r == x.risk_rule) {
                        return Err(ferr(
                            format!("{path}.risk_rule"),
                            "names no risk rule of that instrument",
                        ));
                    }
                }
            }
            Ok(())
        })());
        p.keep((|| {
            if def.dose.minimum_sessions == 0 || def.dose.minimum_sessions > planned {
                return Err(ferr(
                    "dose.minimum_sessions",
                    "must be between 1 and sessions.planned",
                ));
            }
            Ok(())
        })());
        p.keep((|| {
        if let Some(s) = &def.stepped_care {
            let inst = instrument("stepped_care.instrument".into(), &s.instrument)?;
            if inst.def().higher_is_better {
                return Err(ferr(
                    "stepped_care.instrument",
                    "higher scores are better on this instrument; the rule measures a reduction",
                ));
            }
            if s.by_session == 0 || s.by_session > planned {
                return Err(ferr(
                    "stepped_care.by_session",
                    "must be between 1 and sessions.planned",
                ));
            }
            match (s.min_reduction_fraction, s.min_reduction_points) {
                (None, None) => {
                    return Err(ferr(
                        "stepped_care",
                        "give min_reduction_fraction and/or min_reduction_points",
                    ));
                }
                (Some(f), _) if !(f > 0.0 && f <= 1.0) => {
                    return Err(ferr(
                        "stepped_care.min_reduction_fraction",
                        "must lie in (0, 1]",
                    ));
                }
                (_, Some(p)) if !(p > 0.0 && p.is_finite()) => {
                    return Err(ferr(
                        "stepped_care.min_reduction_points",
                        "must be positive",
                    ));
                }
                _ => {}
            }
        }
            Ok(())
        })());
        p.keep((|| {
            if let Some(r) = &def.risk {
                for (i, step) in r.safety_steps.iter().enumerate() {
                    if step
                        .text
                        .as_ref()
                        .is_some_and(|t| t.trim().is_empty() || t.len() > 1000)
                    {
                        return Err(ferr(
                            format!("risk.safety_steps[{i}].text"),
                            "must be 1 to 1000 characters when given",
                        ));
                    }
                }
                if r.acknowledge_within_hours == 0 {
                    return Err(ferr("risk.acknowledge_within_hours", "must be at least 1"));
                }
                for (i, a) in r.alert_on.iter().enumerate() {
                    let inst = instrument(format!("risk.alert_on[{i}].instrument"), &a.instrument)?;
                    if !inst.risk_rule_ids().any(|x| x == a.rule) {
                        return Err(ferr(
                            format!("risk.alert_on[{i}].rule"),
                            "names no risk rule of that instrument",
                        ));
                    }
                }
            }
            Ok(())
        })());
        p.keep((|| {
            if let Some(m) = &def.missed_session
                && m.overdue_days == 0
            {
                return Err(ferr("missed_session.overdue_days", "must be at least 1"));
            }
            Ok(())
        })());
        p.keep((|| {
            let mut targeted = BTreeSet::new();
            for (i, t) in def.targets.iter().enumerate() {
                let path = format!("targets[{i}]");
                crate::instrument::validate_code(&format!("{path}.indicator"), &t.indicator)?;
                if !targeted.insert(t.indicator.as_str()) {
                    return Err(ferr(
                        format!("{path}.indicator"),
                        "has a target already: give one target per indicator",
                    ));
                }
                let share = match (t.at_least, t.at_most) {
                    (Some(v), None) | (None, Some(v)) => v,
                    _ => return Err(ferr(path, "give exactly one of at_least or at_most")),
                };
                if !(0.0..=1.0).contains(&share) {
                    let side = if t.at_least.is_some() {
                        "at_least"
                    } else {
                        "at_most"
                    };
                    return Err(ferr(
                        format!("{path}.{side}"),
                        "must be a share between 0 and 1 (0.7 for 70 %)",
                    ));
                }
                if t.source.trim().is_empty() {
                    return Err(ferr(format!("{path}.source"), "must not be empty"));
                }
            }
            Ok(())
        })());
        p.gate()?;
        Ok(Protocol { def })
    }

    /// The targets for indicators of programmes following the protocol.
    pub fn targets(&self) -> &[def::TargetDef] {
        &self.def.targets
    }

    /// The definition.
    pub fn def(&self) -> &ProtocolDef {
        &self.def
    }

    /// Stable code.
    pub fn code(&self) -> &str {
        &self.def.code
    }

    /// Definition version.
    pub fn version(&self) -> &str {
        &self.def.version
    }

    /// Instrument codes this protocol references (screening, eligibility, outcomes, rules).
    pub fn instrument_codes(&self) -> BTreeSet<String> {
        let d = &self.def;
        let mut out = BTreeSet::new();
        if let Some(s) = &d.screening {
            out.insert(s.instrument.clone());
        }
        for o in &d.outcomes {
            out.insert(o.instrument.clone());
        }
        if let Some(e) = &d.eligibility {
            fn walk(c: &CriterionDef, out: &mut BTreeSet<String>) {
                if let Some(i) = &c.instrument {
                    out.insert(i.clone());
                }
                for l in c.all.iter().chain(c.any.iter()) {
                    l.iter().for_each(|s| walk(s, out));
                }
            }
            for l in e.all.iter().chain(e.any.iter()) {
                l.iter().for_each(|c| walk(c, &mut out));
            }
            for x in &e.exclusions {
                out.insert(x.instrument.clone());
            }
        }
        if let Some(s) = &d.stepped_care {
            out.insert(s.instrument.clone());
        }
        if let Some(r) = &d.risk {
            for a in &r.alert_on {
                out.insert(a.instrument.clone());
            }
        }
        out
    }

    /// Evaluates eligibility from the scores available (instrument code → score).
    ///
    /// A criterion on an instrument without a score is undecided; an undecided rule is not
    /// eligible and reports `MissingScore`, so the counsellor knows what to administer.
    pub fn eligibility(&self, scores: &BTreeMap<String, Score>) -> EligibilityDecision {
        let mut reasons = Vec::new();
        let Some(e) = &self.def.eligibility else {
            return EligibilityDecision {
                eligible: true,
                refer: false,
                reasons,
            };
        };
        let mut result = Some(true);
        if let Some(all) = &e.all {
            result = and(result, eval_all(all, scores, &mut reasons));
        }
        if let Some(any) = &e.any {
            result = and(result, eval_any(any, scores, &mut reasons));
        }
        let mut refer = false;
        let mut excluded = false;
        for x in &e.exclusions {
            if scores
                .get(&x.instrument)
                .is_some_and(|s| s.has_risk_flag(&x.risk_rule))
            {
                excluded = true;
                refer |= x.action == ExclusionAction::Refer;
                reasons.push(Reason::Excluded {
                    exclusion: x.id.clone(),
                    action: x.action,
                });
            }
        }
        EligibilityDecision {
            eligible: result == Some(true) && !excluded,
            refer,
            reasons,
        }
    }

    /// The stepped-care flag: from `by_session` on, fires when the reduction from baseline is
    /// below any configured minimum. Returns `None` when the rule does not apply (no rule,
    /// earlier session, or scores of another instrument).
    pub fn stepped_care_flag(
        &self,
        baseline: &Score,
        current: &Score,
        session_number: u32,
    ) -> Option<Flag> {
        let rule = self.def.stepped_care.as_ref()?;
        if session_number < rule.by_session
            || baseline.instrument != rule.instrument
            || current.instrument != rule.instrument
        {
            return None;
        }
        // Compare on the same coding so a WHODAS 0-4 baseline and 1-5 follow-up agree.
        let base = baseline.total;
        let now = current.total_under(baseline.coding.as_deref())?;
        let reduction = base - now;
        let short_fraction = rule
            .min_reduction_fraction
            .is_some_and(|f| reduction < f * base - 1e-9);
        let short_points = rule
            .min_reduction_points
            .is_some_and(|p| reduction < p - 1e-9);
        (short_fraction || short_points).then(|| Flag {
            code: "no_improvement".into(),
            protocol: self.def.code.clone(),
            instrument: rule.instrument.clone(),
            session_number,
            action: rule.action,
        })
    }

    /// Whether the sessions attended reach the minimum adequate dose.
    pub fn adequate_dose(&self, sessions_attended: u32) -> bool {
        sessions_attended >= self.def.dose.minimum_sessions
    }

    /// Whether a session this many days past its due date counts as missed.
    pub fn session_missed(&self, days_overdue: u32) -> bool {
        self.def
            .missed_session
            .as_ref()
            .is_some_and(|m| days_overdue >= m.overdue_days)
    }

    /// The alert policy for a raised risk flag, if this protocol turns it into an alert.
    pub fn alert_policy(&self, flag: &RiskFlag) -> Option<AlertPolicy> {
        let r = self.def.risk.as_ref()?;
        r.alert_on
            .iter()
            .any(|a| a.instrument == flag.instrument && a.rule == flag.rule)
            .then_some(AlertPolicy {
                acknowledge_within_hours: r.acknowledge_within_hours,
                escalate_to: r.escalate_to,
            })
    }
}

fn and(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

fn or(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}

// `fold` rather than `try_fold`: `None` means "undecided", not "stop", and every criterion must
// be visited so its reason is reported.
#[allow(clippy::manual_try_fold)]
fn eval_all(
    list: &[CriterionDef],
    scores: &BTreeMap<String, Score>,
    reasons: &mut Vec<Reason>,
) -> Option<bool> {
    list.iter().fold(Some(true), |acc, c| {
        and(acc, eval_criterion(c, scores, reasons))
    })
}

#[allow(clippy::manual_try_fold)]
fn eval_any(
    list: &[CriterionDef],
    scores: &BTreeMap<String, Score>,
    reasons: &mut Vec<Reason>,
) -> Option<bool> {
    list.iter().fold(Some(false), |acc, c| {
        or(acc, eval_criterion(c, scores, reasons))
    })
}

fn criterion_code(c: &CriterionDef) -> String {
    match (&c.cutoff, c.comparison, c.threshold) {
        (Some(id), _, _) => format!("cutoff:{id}"),
        (None, Some(cmp), Some(t)) => {
            let coding = c
                .coding
                .as_ref()
                .map(|k| format!("@{k}"))
                .unwrap_or_default();
            format!("total{}{t}{coding}", cmp.symbol())
        }
        _ => String::from("criterion"),
    }
}

fn eval_criterion(
    c: &CriterionDef,
    scores: &BTreeMap<String, Score>,
    reasons: &mut Vec<Reason>,
) -> Option<bool> {
    if let Some(all) = &c.all {
        return eval_all(all, scores, reasons);
    }
    if let Some(any) = &c.any {
        return eval_any(any, scores, reasons);
    }
    let instrument = c.instrument.as_ref().expect("validated leaf criterion");
    let Some(score) = scores.get(instrument) else {
        reasons.push(Reason::MissingScore {
            instrument: instrument.clone(),
        });
        return None;
    };
    let outcome = match (&c.cutoff, c.comparison, c.threshold) {
        (Some(id), _, _) => score.cutoff(id).and_then(|r| r.positive),
        (None, Some(cmp), Some(t)) => score
            .total_under(c.coding.as_deref())
            .map(|v| cmp.holds(v, t)),
        _ => None,
    };
    match outcome {
        Some(true) => reasons.push(Reason::CriterionMet {
            instrument: instrument.clone(),
            criterion: criterion_code(c),
        }),
        Some(false) => reasons.push(Reason::CriterionNotMet {
            instrument: instrument.clone(),
            criterion: criterion_code(c),
        }),
        None => reasons.push(Reason::MissingScore {
            instrument: instrument.clone(),
        }),
    }
    outcome
}

fn check_criterion(catalog: &Catalog, path: &str, c: &CriterionDef) -> Result<(), FieldError> {
    let nested = c.all.is_some() || c.any.is_some();
    if nested {
        if c.instrument.is_some() || c.cutoff.is_some() || c.threshold.is_some() {
            return Err(ferr(
                path,
                "a combinator (all/any) takes no instrument or threshold",
            ));
        }
        if c.all.is_some() && c.any.is_some() {
            return Err(ferr(path, "give either all or any, not both"));
        }
        let (key, list) = match (&c.all, &c.any) {
            (Some(l), _) => ("all", l),
            (_, Some(l)) => ("any", l),
            _ => unreachable!(),
        };
        if list.is_empty() {
            return Err(ferr(format!("{path}.{key}"), "must not be empty"));
        }
        for (i, s) in list.iter().enumerate() {
            check_criterion(catalog, &format!("{path}.{key}[{i}]"), s)?;
        }
        return Ok(());
    }
    let Some(code) = &c.instrument else {
        return Err(ferr(path, "needs an instrument (or all/any)"));
    };
    let inst = catalog.instrument(code).ok_or_else(|| {
        ferr(
            format!("{path}.instrument"),
            "names an instrument not in the catalogue",
        )
    })?;
    match (&c.cutoff, c.comparison, c.threshold) {
        (Some(id), None, None) => {
            if !inst.cutoff_ids().any(|x| x == id) {
                return Err(ferr(
                    format!("{path}.cutoff"),
                    "names no cut-off of that instrument",
                ));
            }
        }
        (None, Some(_), Some(t)) if t.is_finite() => {}
        _ => {
            return Err(ferr(
                path,
                "give either cutoff, or comparison and threshold",
            ));
        }
    }
    if let Some(k) = &c.coding
        && !inst.coding_ids().any(|x| x == k)
    {
        return Err(ferr(
            format!("{path}.coding"),
            "names no coding of that instrument",
        ));
    }
    Ok(())
}
