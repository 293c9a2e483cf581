//! The production [`Scorer`]: scores assessments with the instrument catalogue.

use crate::records::{RiskFlagSummary, ScoreSummary, Scorer};
use scaleup_domain::catalog::Catalog;
use scaleup_domain::error::FieldError;
use scaleup_domain::instrument::{Escalation, Responses, ScoreError};
use scaleup_domain::record::Assessment;
use std::sync::Arc;

// Scores always use the newest version of an instrument; the version is stored with the score.

/// Scores with the built-in catalogue plus any hub-supplied definitions.
pub struct CatalogScorer {
    catalog: Arc<Catalog>,
}

impl CatalogScorer {
    pub fn new(catalog: Arc<Catalog>) -> Self {
        CatalogScorer { catalog }
    }
}

fn level(e: Escalation) -> String {
    match e {
        Escalation::Routine => "routine".into(),
        Escalation::Urgent => "urgent".into(),
    }
}

impl Scorer for CatalogScorer {
    fn score(&self, a: &Assessment) -> Result<ScoreSummary, FieldError> {
        let instrument = self.catalog.instrument(&a.instrument).ok_or_else(|| {
            FieldError::new("data.instrument", "is not an instrument in the catalogue")
        })?;
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
                    level: level(f.escalation),
                })
                .collect()
        };
        match instrument.score(&responses) {
            Ok(s) => Ok(ScoreSummary {
                instrument_version: Some(s.version.clone()),
                total: Some(s.total),
                band: s.band.as_ref().map(|b| b.band.clone()),
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
                positive: None,
                risk_flags: flags(&risk_flags),
                detail: serde_json::json!({"instrument": a.instrument, "incomplete": true, "missing": missing, "allowed": allowed}),
            }),
            Err(ScoreError::UnknownItem { item }) => Err(FieldError::new(
                format!("data.responses.{item}"),
                "is not an item of this instrument",
            )),
            Err(ScoreError::CodeOutOfRange { item }) => Err(FieldError::new(
                format!("data.responses.{item}"),
                "is not one of the item's allowed codes",
            )),
            Err(other) => Err(FieldError::new("data", other.to_string())),
        }
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
        let scorer = CatalogScorer::new(Arc::new(Catalog::builtin()));
        let a = assessment(
            "phq9",
            serde_json::json!({"1": 1, "2": 1, "3": 0, "4": 0, "5": 0, "6": 0, "7": 0, "8": 0, "9": 1}),
        );
        assert_eq!(a.occasion, Occasion::Baseline);
        let s = scorer.score(&a).unwrap();
        assert_eq!(s.total, Some(3.0));
        assert_eq!(s.positive, Some(false));
        assert_eq!(s.risk_flags.len(), 1);
        assert!(s.risk_flags[0].rule_id.starts_with("phq9."));
        let bad = scorer
            .score(&assessment("phq9", serde_json::json!({"1": 7})))
            .unwrap_err();
        assert_eq!(bad.field, "data.responses.1");
        let unknown = scorer
            .score(&assessment("nope", serde_json::json!({"1": 1})))
            .unwrap_err();
        assert_eq!(unknown.field, "data.instrument");
    }
}
