//! DALYs and their ingredients: GBD disability weights stored with a version tag and citation,
//! YLD, YLL and DALY (undiscounted and discounted, no age weighting), comorbidity combination,
//! severity-weighted averages, and the PHQ-9 → severity → disability-weight mapping.
//!
//! Formulas (reference doc §3.3; GBD 2010+ conventions):
//! ```text
//! YLD (prevalence)      = Σ_states cases × DW
//! YLL                   = deaths × standard life expectancy at the age of death
//! DALY                  = YLL + YLD
//! YLD (incidence, r)    = I · DW · (1 − e^{−rL}) / r          (→ I · DW · L as r → 0)
//! comorbid DW           = 1 − Π_i (1 − DW_i)
//! discrete discounting  = Σ_t x_t / (1 + r)^t, t from 0 or from 1
//! ```
//! The legacy age-weighted form (Murray 1994) is deliberately absent: GBD dropped it in 2010.
//!
//! **No published PHQ-9 → GBD health-state crosswalk is known.** [`Phq9Mapping`] is therefore a
//! labelled, configurable modelling assumption, and its label travels with every result.

use serde::{Deserialize, Serialize};

/// The bundled disability-weight table (CSV with version, condition, severity, weight, UI,
/// source and verification status).
pub const BUNDLED_WEIGHTS_CSV: &str = include_str!("../data/gbd_disability_weights.csv");

/// One disability weight with its provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DisabilityWeight {
    /// Version tag, e.g. `GBD2019`, `GBD2010`, `FB2022`.
    pub version: String,
    /// Condition key, e.g. `major_depressive_disorder`.
    pub condition: String,
    /// Severity key, e.g. `mild`.
    pub severity: String,
    /// Health-state label.
    pub health_state: String,
    /// Weight in [0, 1].
    pub weight: f64,
    /// Lower bound of the 95 % uncertainty interval, when known.
    pub lower: Option<f64>,
    /// Upper bound, when known.
    pub upper: Option<f64>,
    /// Citation.
    pub source: String,
    /// How far the value has been checked against the primary source.
    pub status: String,
}

/// A table of disability weights.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeightTable {
    rows: Vec<DisabilityWeight>,
}

/// Errors of the DALY helpers.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DalyError {
    /// A row of a weight table is malformed.
    #[error("disability weights, line {line}, field `{field}`: {message}")]
    BadRow {
        /// 1-based line.
        line: usize,
        /// Column name.
        field: &'static str,
        /// Rule broken.
        message: &'static str,
    },
    /// A parameter breaks a rule.
    #[error("field `{field}`: {message}")]
    Invalid {
        /// Field name.
        field: &'static str,
        /// Rule broken.
        message: &'static str,
    },
}

impl WeightTable {
    /// The weights shipped with scaleup (see [`BUNDLED_WEIGHTS_CSV`]).
    pub fn bundled() -> WeightTable {
        // The bundled file is checked by a unit test, so this cannot fail at run time.
        Self::from_csv(BUNDLED_WEIGHTS_CSV).expect("bundled disability weights are valid")
    }

    /// Parses a weight table from CSV text with the bundled file's header. Fields must not
    /// contain commas (citations use semicolons).
    pub fn from_csv(text: &str) -> Result<WeightTable, DalyError> {
        let mut rows = Vec::new();
        for (i, line) in text.lines().enumerate().skip(1) {
            if line.trim().is_empty() {
                continue;
            }
            let n = i + 1;
            let cells: Vec<&str> = line.split(',').map(str::trim).collect();
            if cells.len() != 9 {
                return Err(DalyError::BadRow {
                    line: n,
                    field: "row",
                    message: "needs 9 comma-separated fields",
                });
            }
            let num = |field: &'static str, s: &str| -> Result<Option<f64>, DalyError> {
                if s.is_empty() {
                    return Ok(None);
                }
                match s.parse::<f64>() {
                    Ok(v) if (0.0..=1.0).contains(&v) => Ok(Some(v)),
                    _ => Err(DalyError::BadRow {
                        line: n,
                        field,
                        message: "must be a number between 0 and 1",
                    }),
                }
            };
            let weight = num("weight", cells[4])?.ok_or(DalyError::BadRow {
                line: n,
                field: "weight",
                message: "is required",
            })?;
            rows.push(DisabilityWeight {
                version: cells[0].into(),
                condition: cells[1].into(),
                severity: cells[2].into(),
                health_state: cells[3].into(),
                weight,
                lower: num("lower", cells[5])?,
                upper: num("upper", cells[6])?,
                source: cells[7].into(),
                status: cells[8].into(),
            });
        }
        Ok(WeightTable { rows })
    }

    /// All rows.
    pub fn rows(&self) -> &[DisabilityWeight] {
        &self.rows
    }

    /// The weight of a condition and severity in a version.
    pub fn get(&self, version: &str, condition: &str, severity: &str) -> Option<&DisabilityWeight> {
        self.rows
            .iter()
            .find(|r| r.version == version && r.condition == condition && r.severity == severity)
    }
}

/// YLD from prevalent cases: `cases × DW` (prevalence-based, undiscounted, GBD 2010+).
pub fn yld_prevalence(cases: f64, dw: f64) -> f64 {
    cases * dw
}

/// YLL: deaths × standard life expectancy at the age of death (undiscounted).
pub fn yll(deaths: f64, life_expectancy: f64) -> f64 {
    deaths * life_expectancy
}

/// Years lived over `duration` with weight `dw`, continuously discounted at `rate`:
/// `DW·(1 − e^{−rL})/r`, tending to `DW·L` as r → 0. Multiply by incident cases for YLD.
pub fn discounted_years(dw: f64, duration: f64, rate: f64) -> f64 {
    if rate.abs() < 1e-12 {
        dw * duration
    } else {
        // expm1 keeps precision for small r·L.
        dw * -(-rate * duration).exp_m1() / rate
    }
}

/// Incidence-based YLD with continuous discounting: `I · DW · (1 − e^{−rL})/r`.
pub fn yld_incidence(incidence: f64, dw: f64, duration: f64, rate: f64) -> f64 {
    incidence * discounted_years(dw, duration, rate)
}

/// YLL with continuous discounting of the years lost: `deaths · (1 − e^{−rL})/r`.
pub fn yll_discounted(deaths: f64, life_expectancy: f64, rate: f64) -> f64 {
    deaths * discounted_years(1.0, life_expectancy, rate)
}

/// Discrete discounting of a yearly series: `Σ x_t/(1+r)^t`, with t starting at 0 (first year
/// undiscounted) or at 1.
pub fn discounted_sum(values: &[f64], rate: f64, first_year_discounted: bool) -> f64 {
    let offset = if first_year_discounted { 1 } else { 0 };
    values
        .iter()
        .enumerate()
        .map(|(t, v)| v / (1.0 + rate).powi((t + offset) as i32))
        .sum()
}

/// Combined weight of co-occurring states: `1 − Π(1 − DW_i)` (GBD multiplicative rule).
pub fn combine_comorbid(weights: &[f64]) -> f64 {
    1.0 - weights.iter().map(|w| 1.0 - w).product::<f64>()
}

/// Average weight over a severity distribution: `Σ share_s · DW_s` (shares of the asymptomatic
/// contribute 0 and may be left out).
pub fn average_weight(shares_and_weights: &[(f64, f64)]) -> Result<f64, DalyError> {
    let total: f64 = shares_and_weights.iter().map(|(s, _)| s).sum();
    if shares_and_weights
        .iter()
        .any(|(s, w)| !(0.0..=1.0).contains(s) || !(0.0..=1.0).contains(w))
        || total > 1.0 + 1e-9
    {
        return Err(DalyError::Invalid {
            field: "shares",
            message: "shares and weights must lie in [0, 1] and shares add up to at most 1",
        });
    }
    Ok(shares_and_weights.iter().map(|(s, w)| s * w).sum())
}

/// PHQ-9 severity bands (Kroenke et al. 2001).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phq9Band {
    /// 0–4.
    Minimal,
    /// 5–9.
    Mild,
    /// 10–14.
    Moderate,
    /// 15–19.
    ModeratelySevere,
    /// 20–27.
    Severe,
}

/// Kroenke et al. 2001 band of a PHQ-9 total (0–27); `None` outside the range.
pub fn phq9_band(score: u8) -> Option<Phq9Band> {
    Some(match score {
        0..=4 => Phq9Band::Minimal,
        5..=9 => Phq9Band::Mild,
        10..=14 => Phq9Band::Moderate,
        15..=19 => Phq9Band::ModeratelySevere,
        20..=27 => Phq9Band::Severe,
        _ => return None,
    })
}

/// One range of PHQ-9 scores mapped to a GBD severity (or to no disability state).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Phq9Range {
    /// Lowest score, inclusive.
    pub min: u8,
    /// Highest score, inclusive.
    pub max: u8,
    /// Severity key in the weight table, or `None` for no disability state.
    pub severity: Option<String>,
}

/// A PHQ-9 → GBD severity mapping. It is a **modelling assumption** (no published crosswalk is
/// known), so it carries a label that reports must show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Phq9Mapping {
    /// Label shown with every result, stating that this is an assumption.
    pub label: String,
    /// Weight-table version.
    pub version: String,
    /// Condition key in the weight table.
    pub condition: String,
    /// Score ranges; together they must cover 0–27 exactly once.
    pub ranges: Vec<Phq9Range>,
}

impl Default for Phq9Mapping {
    /// The example map of the reference doc §3.4: 0–9 no episode (minimal and subthreshold),
    /// 10–14 mild, 15–19 moderate, 20–27 severe MDD, GBD 2019 weights.
    fn default() -> Self {
        let r = |min, max, s: Option<&str>| Phq9Range {
            min,
            max,
            severity: s.map(String::from),
        };
        Phq9Mapping {
            label: "ASSUMPTION: PHQ-9 0-9 no episode, 10-14 mild, 15-19 moderate, 20-27 severe MDD (no published crosswalk; configurable)".into(),
            version: "GBD2019".into(),
            condition: "major_depressive_disorder".into(),
            ranges: vec![r(0, 9, None), r(10, 14, Some("mild")), r(15, 19, Some("moderate")), r(20, 27, Some("severe"))],
        }
    }
}

/// Disability weight for a PHQ-9 score under a mapping, with the mapping's label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MappedWeight {
    /// Severity key, or `None` for no disability state.
    pub severity: Option<String>,
    /// Weight (0 when no state).
    pub weight: f64,
    /// The mapping's assumption label.
    pub assumption: String,
}

impl Phq9Mapping {
    /// Checks that the ranges cover 0–27 exactly once and every severity exists in `table`.
    pub fn validate(&self, table: &WeightTable) -> Result<(), DalyError> {
        let mut seen = [0u8; 28];
        for r in &self.ranges {
            if r.min > r.max || r.max > 27 {
                return Err(DalyError::Invalid {
                    field: "ranges",
                    message: "each range needs min <= max <= 27",
                });
            }
            for s in r.min..=r.max {
                seen[s as usize] += 1;
            }
            if let Some(sev) = &r.severity
                && table.get(&self.version, &self.condition, sev).is_none()
            {
                return Err(DalyError::Invalid {
                    field: "ranges.severity",
                    message: "names no weight for this version and condition",
                });
            }
        }
        if seen.iter().any(|c| *c != 1) {
            return Err(DalyError::Invalid {
                field: "ranges",
                message: "must cover every score 0-27 exactly once",
            });
        }
        Ok(())
    }

    /// Maps a PHQ-9 total to a disability weight.
    pub fn weight(&self, table: &WeightTable, score: u8) -> Result<MappedWeight, DalyError> {
        self.validate(table)?;
        let range = self
            .ranges
            .iter()
            .find(|r| (r.min..=r.max).contains(&score))
            .ok_or(DalyError::Invalid {
                field: "score",
                message: "must be between 0 and 27",
            })?;
        let weight = match &range.severity {
            Some(s) => table
                .get(&self.version, &self.condition, s)
                .map(|w| w.weight)
                .unwrap_or(0.0),
            None => 0.0,
        };
        Ok(MappedWeight {
            severity: range.severity.clone(),
            weight,
            assumption: self.label.clone(),
        })
    }
}

/// Burden summary for a group of people with recorded PHQ-9 totals (e.g. a clinic's caseload at
/// one assessment), under a labelled [`Phq9Mapping`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreBurden {
    /// People with a score.
    pub people: usize,
    /// People per mapped severity (`none` for scores mapped to no disability state).
    pub by_severity: std::collections::BTreeMap<String, usize>,
    /// Mean disability weight across all people.
    pub mean_weight: f64,
    /// YLD over `years` of follow-up if every weight held that long (prevalence-based,
    /// undiscounted): Σ DW × years.
    pub yld: f64,
    /// The mapping's assumption label, to be shown with the numbers.
    pub assumption: String,
}

/// Maps each PHQ-9 total to a weight and sums YLD over `years` (e.g. 0.25 for a quarter). Scores
/// above 27 are an error naming the position, not the value.
pub fn burden_from_phq9(
    scores: &[u8],
    mapping: &Phq9Mapping,
    table: &WeightTable,
    years: f64,
) -> Result<ScoreBurden, DalyError> {
    mapping.validate(table)?;
    if !(years.is_finite() && years >= 0.0) {
        return Err(DalyError::Invalid {
            field: "years",
            message: "must be a finite number >= 0",
        });
    }
    let mut by_severity = std::collections::BTreeMap::new();
    let mut total = 0.0;
    for &score in scores {
        let w = mapping.weight(table, score)?;
        *by_severity
            .entry(w.severity.unwrap_or_else(|| "none".into()))
            .or_insert(0) += 1;
        total += w.weight;
    }
    Ok(ScoreBurden {
        people: scores.len(),
        by_severity,
        mean_weight: if scores.is_empty() {
            0.0
        } else {
            total / scores.len() as f64
        },
        yld: total * years,
        assumption: mapping.label.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_table_is_valid_and_versioned() {
        let t = WeightTable::bundled();
        assert_eq!(
            t.get("GBD2019", "major_depressive_disorder", "moderate")
                .unwrap()
                .weight,
            0.396
        );
        assert_eq!(
            t.get("GBD2010", "major_depressive_disorder", "moderate")
                .unwrap()
                .weight,
            0.406
        );
        assert_eq!(
            t.get("FB2022", "common_mental_disorder", "cmd")
                .unwrap()
                .weight,
            0.41
        );
        assert!(
            t.rows()
                .iter()
                .all(|r| !r.source.is_empty() && !r.status.is_empty())
        );
        assert!(t.rows().iter().all(|r| match (r.lower, r.upper) {
            (Some(l), Some(u)) => l <= r.weight && r.weight <= u,
            _ => true,
        }));
    }

    #[test]
    fn bad_rows_name_line_and_field() {
        let text = format!(
            "{}\nGBD2019,x,mild,X,1.5,,,src,ok\n",
            BUNDLED_WEIGHTS_CSV.lines().next().unwrap()
        );
        assert_eq!(
            WeightTable::from_csv(&text).unwrap_err(),
            DalyError::BadRow {
                line: 2,
                field: "weight",
                message: "must be a number between 0 and 1"
            }
        );
    }

    #[test]
    fn phq9_mapping_is_labelled_and_configurable() {
        let t = WeightTable::bundled();
        let m = Phq9Mapping::default();
        assert_eq!(m.weight(&t, 7).unwrap().weight, 0.0);
        assert_eq!(m.weight(&t, 12).unwrap().weight, 0.145);
        assert_eq!(m.weight(&t, 27).unwrap().weight, 0.658);
        assert!(
            m.weight(&t, 12)
                .unwrap()
                .assumption
                .starts_with("ASSUMPTION")
        );
        assert!(m.weight(&t, 28).is_err());
        let mut gap = m.clone();
        gap.ranges[0].max = 8;
        assert!(gap.validate(&t).is_err());
        assert_eq!(phq9_band(9), Some(Phq9Band::Mild));
        assert_eq!(phq9_band(15), Some(Phq9Band::ModeratelySevere));
    }

    #[test]
    fn burden_from_scores_by_hand() {
        // Scores 3, 12, 16, 22 → none, mild 0.145, moderate 0.396, severe 0.658 (default map).
        // Sum 1.199; mean 0.29975; over a quarter year YLD = 0.29975.
        let t = WeightTable::bundled();
        let b = burden_from_phq9(&[3, 12, 16, 22], &Phq9Mapping::default(), &t, 0.25).unwrap();
        assert_eq!(b.people, 4);
        assert_eq!(b.by_severity["none"], 1);
        assert!((b.mean_weight - 0.29975).abs() < 1e-12);
        assert!((b.yld - 0.29975).abs() < 1e-12);
        assert!(b.assumption.starts_with("ASSUMPTION"));
        assert!(burden_from_phq9(&[30], &Phq9Mapping::default(), &t, 1.0).is_err());
    }

    #[test]
    fn hand_derived_prevalence_daly() {
        // 1,000 moderate MDD cases × 0.396 = 396 YLD; 2 deaths × 30 years = 60 YLL → 456 DALYs.
        let d = yld_prevalence(1000.0, 0.396) + yll(2.0, 30.0);
        assert!((d - 456.0).abs() < 1e-9);
    }
}
