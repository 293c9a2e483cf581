//! What an export reads: one programme's records, its sites and its organisation units, as
//! storage hands them over. Records are typed payloads (they were validated when stored).

use scaleup_domain::date::Date;
use scaleup_domain::record::RecordPayload;
use uuid::Uuid;

/// One programme's data, complete enough for every export.
#[derive(Clone, Debug)]
pub struct StudySource {
    pub hub_code: String,
    pub programme: ProgrammeInfo,
    pub org_units: Vec<OrgUnit>,
    pub records: Vec<SourceRecord>,
}

#[derive(Clone, Debug)]
pub struct ProgrammeInfo {
    pub id: Uuid,
    pub code: String,
    pub start_date: Date,
    /// The design document as stored (`type`, `start_date`, `period_days`, `periods`, ...).
    pub design: serde_json::Value,
    pub sites: Vec<Site>,
}

/// A facility taking part in the programme, with its place in the design.
#[derive(Clone, Debug, PartialEq)]
pub struct Site {
    pub facility_id: Uuid,
    pub arm: Option<String>,
    pub cluster: Option<String>,
    /// Stepped wedge: the first period (0-based) in which the facility delivers the intervention.
    pub crossover_period: Option<i64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OrgUnit {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    /// `country`, `region`, `district` or `facility`.
    pub level: String,
    pub code: String,
}

/// One stored record with the server's score of an assessment.
#[derive(Clone, Debug)]
pub struct SourceRecord {
    pub id: Uuid,
    pub payload: RecordPayload,
    pub score: Option<Score>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Score {
    /// The total, absent when too many items were unanswered.
    pub total: Option<f64>,
    pub band: Option<String>,
    /// The instrument version the server scored with.
    pub version: Option<String>,
}

impl StudySource {
    /// The district code above a facility (walking up the hierarchy), if any.
    pub fn district_of(&self, facility: Uuid) -> Option<&str> {
        let mut at = self.org_units.iter().find(|u| u.id == facility)?;
        for _ in 0..16 {
            if at.level == "district" {
                return Some(&at.code);
            }
            let parent = at.parent_id?;
            at = self.org_units.iter().find(|u| u.id == parent)?;
        }
        None
    }

    pub fn facility_code(&self, facility: Uuid) -> Option<&str> {
        self.org_units
            .iter()
            .find(|u| u.id == facility)
            .map(|u| u.code.as_str())
    }

    pub fn site(&self, facility: Uuid) -> Option<&Site> {
        self.programme
            .sites
            .iter()
            .find(|s| s.facility_id == facility)
    }

    /// The design's period (0-based) of a date, for a design with periods (stepped wedge);
    /// `None` otherwise. Dates before the start are period 0, after the end the last period,
    /// as the effectiveness analysis counts them.
    pub fn period_of(&self, on: Date) -> Option<i64> {
        let d = &self.programme.design;
        let period_days = d["period_days"].as_i64().filter(|p| *p > 0)?;
        let periods = d["periods"].as_i64().filter(|p| *p > 0)?;
        let start = d["start_date"]
            .as_str()
            .and_then(|s| Date::parse(s, "design.start_date").ok())
            .unwrap_or(self.programme.start_date);
        Some(
            start
                .days_until(on)
                .div_euclid(period_days)
                .clamp(0, periods - 1),
        )
    }

    /// The outcome instrument the design names, else `phq9`.
    pub fn outcome_instrument(&self) -> String {
        self.programme.design["outcome"]["instrument"]
            .as_str()
            .unwrap_or("phq9")
            .to_string()
    }
}
