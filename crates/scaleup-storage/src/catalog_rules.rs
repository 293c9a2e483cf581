//! The production [`Rules`]: scores assessments and looks up protocols in the catalogue.

use crate::records::{RiskFlagSummary, Rules, ScoreSummary};
use scaleup_domain::catalog::Catalog;
use scaleup_domain::error::FieldError;
use scaleup_domain::instrument::{Escalation, Instrument, Responses, ScoreError};
use scaleup_domain::protocol::Protocol;
use scaleup_domain::record::{Assessment, CompetencyAssessment};
use std::sync::Arc;

/// The built-in catalogue plus any hub-supplied definitions.
pub struct CatalogRules {
    catalog: Arc<Catalog>,
}

impl CatalogRules {
    pub fn new(catalog: Arc<Catalog>) -> Self {
        CatalogRules { catalog }
    }

    /// The instrument an assessment is scored with: exactly the version it names (a record
    /// made offline with a definition since replaced is scored as it was filled in), else the
    /// newest. The version used is stored with the score.
    fn instrument(&self, a: &Assessment) -> Result<&Instrument, FieldError> {
        let newest = self.catalog.instrument(&a.instrument).ok_or_else(|| {
            FieldError::new("data.instrument", "is not an instrument in the catalogue")
        })?;
        let Some(version) = &a.instrument_version else {
            return Ok(newest);
        };
        self.catalog
            .instrument_version(&a.instrument, version)
            .ok_or_else(|| {
                let known: Vec<&str> = self
                    .catalog
                    .instrument_versions(&a.instrument)
                    .map(|i| i.version())
                    .collect();
                FieldError::new(
                    "data.instrument_version",
                    format!(
                        "is not a version of {} in the catalogue; known: {}",
                        a.instrument,
                        known.join(", ")
                    ),
                )
            })
    }
}

fn level(e: Escalation) -> String {
    match e {
        Escalation::Routine => "routine".into(),
        Escalation::Urgent => "urgent".into(),
    }
}

impl Rules for CatalogRules {
    fn protocol(&self, code: &str) -> Option<&Protocol> {
        self.catalog.protocol(code)
    }

    fn remission_below(&self, instrument: &str) -> Option<f64> {
        use scaleup_domain::instrument::def::Comparison;
        let def = self.catalog.instrument(instrument)?.def();
        let id = def.default_cutoff.as_deref()?;
        let cutoff = def.cutoffs.iter().find(|c| c.id == id)?;
        // Positive at `>= t`: remission below t. Positive at `> t` on whole-number totals:
        // remission at t or below, i.e. below t + 1. A cut-off of another direction is not a
        // severity threshold.
        match cutoff.comparison {
            Comparison::Ge => Some(cutoff.threshold),
            Comparison::Gt if cutoff.threshold.fract() == 0.0 => Some(cutoff.threshold + 1.0),
            _ => None,
        }
    }

    fn score(&self, a: &Assessment) -> Result<ScoreSummary, FieldError> {
        let instrument = self.instrument(a)?;
        let mut responses = Responses::new();
        for (item, value) in &a.responses {
            let code = match value {
                None => None,
                Some(v) if v.fract() == 0.0 && v.abs() < 1e6 => Some(*v as i32),
                Some(_) => {
                    return Err(FieldError::new(
                        format!("data.responses.{item}"),
                        "must be a whole-number response code",
                    ));
                }
            };
            responses.insert(item.clone(), code);
        }
        let flags = |flags: &[scaleup_domain::instrument::RiskFlag]| {
            flags
                .iter()
                .map(|f| RiskFlagSummary {
                    rule_id: format!("{}.{}", f.instrument, f.rule),
                    rule: f.rule.clone(),
                    level: level(f.escalation),
                })
                .collect()
        };
        match instrument.score(&responses) {
            Ok(s) => Ok(ScoreSummary {
                instrument_version: Some(s.version.clone()),
                total: Some(s.total),
                band: s.band.as_ref().map(|b| b.band.clone()),
                band_label: s.band.as_ref().map(|b| b.label.clone()),
                positive: s.positive,
                risk_flags: flags(&s.risk_flags),
                detail: serde_json::to_value(&s).unwrap_or_default(),
            }),
            // Too incomplete for a total, but the answered items' red flags still count.
            Err(ScoreError::TooManyMissing {
                missing,
                allowed,
                risk_flags,
            }) => Ok(ScoreSummary {
                instrument_version: Some(instrument.version().to_string()),
                total: None,
                band: None,
                band_label: None,
                positive: None,
                risk_flags: flags(&risk_flags),
                // The flags are kept in the detail as in a complete score's, so the protocol's
                // enrolment exclusions see a red flag on an incomplete screening too.
                detail: serde_json::json!({"instrument": a.instrument, "version": instrument.version(), "incomplete": true, "missing": missing, "allowed": allowed, "risk_flags": risk_flags}),
            }),
            Err(ScoreError::UnknownItem { item }) => Err(FieldError::new(
                format!("data.responses.{item}"),
                "is not an item of this instrument",
            )),
            Err(ScoreError::CodeOutOfRange { item, allowed }) => Err(FieldError::new(
                format!("data.responses.{item}"),
                format!(
                    "is not one of the item's allowed codes: {}",
                    allowed
                        .iter()
                        .map(i32::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
            Err(other) => Err(FieldError::new("data", other.to_string())),
        }
    }

    fn harmful_competencies(&self, rating: &CompetencyAssessment) -> Vec<String> {
        // The framework the rating names decides which levels are harmful (a hub's own file
        // may differ from ENACT); a rating of a framework the catalogue lacks falls back to
        // the EQUIP rule rather than raising nothing.
        let Some(framework) = self.catalog.competency_framework(&rating.tool) else {
            return crate::records::equip_harmful_competencies(rating);
        };
        let harmful: Vec<u8> = framework
            .def()
            .levels
            .iter()
            .filter(|l| l.safety_flag)
            .map(|l| l.level)
            .collect();
        rating
            .levels
            .iter()
            .filter(|(_, level)| harmful.contains(level))
            .map(|(id, _)| id.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scaleup_domain::record::{Occasion, RecordKind, RecordPayload, parse_payload};

    fn assessment(instrument: &str, responses: serde_json::Value) -> Assessment {
        let data = serde_json::json!({"client_id": uuid::Uuid::nil(), "instrument": instrument, "occasion": "baseline", "administered_on": "2026-01-05", "responses": responses});
        match parse_payload(RecordKind::Assessment, &data).unwrap() {
            RecordPayload::Assessment(a) => a,
            _ => unreachable!(),
        }
    }

    #[test]
    fn phq9_item_nine_flags_at_a_low_total_and_bad_codes_name_the_item() {
        let rules = CatalogRules::new(Arc::new(Catalog::builtin()));
        let a = assessment(
            "phq9",
            serde_json::json!({"1": 1, "2": 1, "3": 0, "4": 0, "5": 0, "6": 0, "7": 0, "8": 0, "9": 1}),
        );
        assert_eq!(a.occasion, Occasion::Baseline);
        let s = rules.score(&a).unwrap();
        assert_eq!(s.total, Some(3.0));
        assert_eq!(s.positive, Some(false));
        assert_eq!(s.risk_flags.len(), 1);
        assert!(s.risk_flags[0].rule_id.starts_with("phq9."));
        let bad = rules
            .score(&assessment("phq9", serde_json::json!({"1": 7})))
            .unwrap_err();
        assert_eq!(bad.field, "data.responses.1");
        let unknown = rules
            .score(&assessment("nope", serde_json::json!({"1": 1})))
            .unwrap_err();
        assert_eq!(unknown.field, "data.instrument");
    }

    #[test]
    fn an_incomplete_score_keeps_its_red_flags_in_the_detail() {
        let rules = CatalogRules::new(Arc::new(Catalog::builtin()));
        // Item 1 unanswered: no total under PHQ-9's no-missing rule, but item 9 still flags.
        let a = assessment(
            "phq9",
            serde_json::json!({"1": null, "2": 1, "3": 0, "4": 0, "5": 0, "6": 0, "7": 0, "8": 0, "9": 2}),
        );
        let s = rules.score(&a).unwrap();
        assert_eq!((s.total, s.band_label.as_deref()), (None, None));
        assert_eq!(
            (
                s.risk_flags[0].rule_id.as_str(),
                s.risk_flags[0].rule.as_str()
            ),
            ("phq9.item9_positive", "item9_positive")
        );
        // Storage reads raised rules from `risk_flags[].rule`, as in a complete score's detail.
        assert_eq!(s.detail["risk_flags"][0]["rule"], "item9_positive");
        assert_eq!(s.detail["version"], "1");
        let complete = rules
            .score(&assessment(
                "phq9",
                serde_json::json!({"1": 3, "2": 3, "3": 3, "4": 3, "5": 3, "6": 3, "7": 3, "8": 0, "9": 1}),
            ))
            .unwrap();
        assert_eq!(complete.detail["risk_flags"][0]["rule"], "item9_positive");
        assert_eq!(
            (complete.band.as_deref(), complete.band_label.as_deref()),
            (Some("severe"), Some("Severe"))
        );
    }

    fn rating(tool: &str, levels: serde_json::Value) -> CompetencyAssessment {
        let c = uuid::Uuid::nil();
        let data = serde_json::json!({"counsellor_id": c, "assessor_id": c, "on": "2026-01-05", "tool": tool, "method": "role_play", "levels": levels});
        match parse_payload(RecordKind::CompetencyAssessment, &data).unwrap() {
            RecordPayload::CompetencyAssessment(a) => a,
            _ => unreachable!(),
        }
    }

    #[test]
    fn the_rating_framework_decides_which_levels_are_harmful() {
        let mut catalog = Catalog::builtin();
        // A hub's own framework where level 2 is also a safety flag.
        let hub = include_str!("../../scaleup-domain/definitions/competencies/enact_equip.toml")
            .replace("code = \"enact_equip\"", "code = \"hub_enact\"")
            .replace(
                "label = \"No harmful behaviour; none or only some basic skills\"",
                "label = \"No harmful behaviour; none or only some basic skills\"\nsafety_flag = true",
            );
        catalog.add_file("hub_enact.toml", &hub).unwrap();
        let rules = CatalogRules::new(Arc::new(catalog));
        let levels = serde_json::json!({"1": 3, "2": 2, "7": 1});
        assert_eq!(
            rules.harmful_competencies(&rating("enact_equip", levels.clone())),
            ["7"]
        );
        assert_eq!(
            rules.harmful_competencies(&rating("hub_enact", levels.clone())),
            ["2", "7"]
        );
        // An unknown framework still counts level 1 as harmful.
        assert_eq!(
            rules.harmful_competencies(&rating("no_such_tool", levels)),
            ["7"]
        );
        assert!(
            rules
                .harmful_competencies(&rating("enact_equip", serde_json::json!({"1": 2})))
                .is_empty()
        );
    }
}
