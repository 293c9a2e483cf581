//! Scoring: responses in, a [`Score`] out.
//!
//! Errors name the item and the rule that failed, never the response value: error messages end
//! up in logs, and a response is a clinical value.

use super::def::*;
use super::{Condition, Instrument};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Responses to one administration: item id → code, `None` for an unanswered item.
/// An item absent from the map counts as unanswered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Responses(BTreeMap<String, Option<i32>>);

/// A malformed `ITEM=CODE` list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResponseParseError {
    /// A pair is not of the form `ITEM=CODE` or `ITEM=`.
    #[error("response pair {position}: expected ITEM=CODE (or ITEM= for unanswered)")]
    Malformed {
        /// 1-based position of the pair in the list.
        position: usize,
    },
    /// The code is not an integer.
    #[error("response for item {item}: code must be an integer")]
    NotInteger {
        /// Item id.
        item: String,
    },
    /// The same item appears twice.
    #[error("response for item {item}: given more than once")]
    Duplicate {
        /// Item id.
        item: String,
    },
}

impl Responses {
    /// Empty responses.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the code of an item (`None` = unanswered).
    pub fn insert(&mut self, item: impl Into<String>, code: Option<i32>) {
        self.0.insert(item.into(), code);
    }

    /// The recorded code of an item, if answered.
    pub fn get(&self, item: &str) -> Option<i32> {
        self.0.get(item).copied().flatten()
    }

    /// All entries in item-id order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Option<i32>)> {
        self.0.iter().map(|(k, v)| (k.as_str(), *v))
    }

    /// Parses `1=2,2=1,3=` (whitespace allowed; an empty code means unanswered).
    pub fn parse_pairs(text: &str) -> Result<Responses, ResponseParseError> {
        let mut out = Responses::new();
        for (i, pair) in text
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .enumerate()
        {
            let Some((item, code)) = pair.split_once('=') else {
                return Err(ResponseParseError::Malformed { position: i + 1 });
            };
            let item = item.trim();
            if item.is_empty() {
                return Err(ResponseParseError::Malformed { position: i + 1 });
            }
            let code = code.trim();
            let value = if code.is_empty() {
                None
            } else {
                Some(
                    code.parse::<i32>()
                        .map_err(|_| ResponseParseError::NotInteger {
                            item: item.to_string(),
                        })?,
                )
            };
            if out.0.insert(item.to_string(), value).is_some() {
                return Err(ResponseParseError::Duplicate {
                    item: item.to_string(),
                });
            }
        }
        Ok(out)
    }
}

impl FromIterator<(String, Option<i32>)> for Responses {
    fn from_iter<T: IntoIterator<Item = (String, Option<i32>)>>(iter: T) -> Self {
        Responses(iter.into_iter().collect())
    }
}

impl<'a> FromIterator<(&'a str, Option<i32>)> for Responses {
    fn from_iter<T: IntoIterator<Item = (&'a str, Option<i32>)>>(iter: T) -> Self {
        Responses(iter.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }
}

/// Programme-level choices applied when scoring. Cut-offs are configuration: a programme picks
/// its cut-off and may override thresholds; the defaults come from the instrument file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScoreOptions {
    /// Coding convention for `Score::total` (default: the instrument's default coding).
    #[serde(default)]
    pub coding: Option<String>,
    /// Cut-off used for `Score::positive` (default: the instrument's `default_cutoff`).
    #[serde(default)]
    pub cutoff: Option<String>,
    /// Threshold overrides by cut-off id.
    #[serde(default)]
    pub thresholds: BTreeMap<String, f64>,
    /// Respondent's sex, for sex-specific cut-offs; unknown makes them not applicable.
    #[serde(default)]
    pub sex: Option<Sex>,
}

/// Why responses could not be scored. Messages name items and rules, never values.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScoreError {
    /// A response names an item the instrument does not have.
    #[error("item {item}: not an item of this instrument")]
    UnknownItem {
        /// The unknown id.
        item: String,
    },
    /// A response code is not one of the item's codes.
    #[error("item {item}: code is not one of the item's allowed codes: {}", join_codes(.allowed))]
    CodeOutOfRange {
        /// Item id.
        item: String,
        /// The item's codes (the definition's, never the rejected response).
        allowed: Vec<i32>,
    },
    /// More scored items are unanswered than the missing-item rule allows. Risk flags raised by
    /// the answered items are still carried here: a missing total must not hide a red flag.
    #[error("too many unanswered items: {missing} missing, rule allows at most {allowed}")]
    TooManyMissing {
        /// Unanswered scored items.
        missing: usize,
        /// `scoring.max_missing`.
        allowed: usize,
        /// Flags raised by the answered items.
        risk_flags: Vec<RiskFlag>,
    },
    /// `ScoreOptions::coding` names no coding of this instrument.
    #[error("coding {coding}: not a coding of this instrument")]
    UnknownCoding {
        /// The coding id.
        coding: String,
    },
    /// `ScoreOptions::cutoff` or a threshold override names no cut-off of this instrument.
    #[error("cut-off {cutoff}: not a cut-off of this instrument")]
    UnknownCutoff {
        /// The cut-off id.
        cutoff: String,
    },
}

/// The total under one coding convention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodedTotal {
    /// Coding id.
    pub coding: String,
    /// Total under that coding.
    pub total: f64,
}

/// A subscale score; `None` when its items are too incomplete to score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubscaleScore {
    /// Subscale id.
    pub id: String,
    /// Score under the chosen coding.
    pub value: Option<f64>,
}

/// The band a total falls in, for one band set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BandResult {
    /// Band set id.
    pub band_set: String,
    /// Band id.
    pub band: String,
    /// Band label.
    pub label: String,
}

/// The result of one cut-off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CutoffResult {
    /// Cut-off id.
    pub id: String,
    /// Operator.
    pub comparison: Comparison,
    /// Threshold applied (after any programme override).
    pub threshold: f64,
    /// Whether a programme override replaced the file's threshold.
    pub overridden: bool,
    /// `Some(true)` if the score is on the positive side; `None` when not applicable
    /// (sex-specific cut-off with unknown or other sex, or an unscorable subscale).
    pub positive: Option<bool>,
}

/// A derived rule's outcome (`None` when unanswered items leave it undecided).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleResult {
    /// Rule id.
    pub id: String,
    /// Outcome.
    pub met: Option<bool>,
}

/// A raised risk flag, ready to become an alert. The message carries no clinical values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskFlag {
    /// Instrument code.
    pub instrument: String,
    /// Instrument version.
    pub version: String,
    /// Risk rule id (stable; protocols reference it).
    pub rule: String,
    /// Urgency.
    pub escalation: Escalation,
    /// Message for the supervisor.
    pub message: String,
}

/// A scored administration. Everything needed to store, display and recompute it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// Instrument code.
    pub instrument: String,
    /// Instrument version.
    pub version: String,
    /// Scoring method.
    pub method: Method,
    /// Coding convention of `total` (`None` when the instrument has one convention).
    pub coding: Option<String>,
    /// Total (sum, prorated sum or mean) under `coding`.
    pub total: f64,
    /// Range of `total` under `coding`.
    pub range: [f64; 2],
    /// The total under every coding convention (empty for single-convention instruments).
    pub totals_by_coding: Vec<CodedTotal>,
    /// Subscale scores.
    pub subscales: Vec<SubscaleScore>,
    /// Band of the default band set.
    pub band: Option<BandResult>,
    /// Bands of every band set.
    pub bands: Vec<BandResult>,
    /// Every cut-off's result.
    pub cutoffs: Vec<CutoffResult>,
    /// Cut-off used for `positive`.
    pub selected_cutoff: Option<String>,
    /// Result of the selected cut-off.
    pub positive: Option<bool>,
    /// Derived rules.
    pub rules: Vec<RuleResult>,
    /// Raised risk flags.
    pub risk_flags: Vec<RiskFlag>,
    /// Items referenced by risk rules that were left unanswered (prompt the counsellor).
    pub unanswered_risk_items: Vec<String>,
    /// Answered scored items.
    pub answered: usize,
    /// Unanswered scored items.
    pub missing: usize,
    /// Whether the total was scaled up for missing items.
    pub prorated: bool,
}

impl Score {
    /// The total under a coding id (or the reported total when `coding` is `None`).
    pub fn total_under(&self, coding: Option<&str>) -> Option<f64> {
        match coding {
            None => Some(self.total),
            Some(c) => {
                if self.coding.as_deref() == Some(c) {
                    return Some(self.total);
                }
                self.totals_by_coding
                    .iter()
                    .find(|t| t.coding == c)
                    .map(|t| t.total)
            }
        }
    }

    /// The result of a cut-off by id.
    pub fn cutoff(&self, id: &str) -> Option<&CutoffResult> {
        self.cutoffs.iter().find(|c| c.id == id)
    }

    /// The value of a subscale by id.
    pub fn subscale(&self, id: &str) -> Option<f64> {
        self.subscales.iter().find(|s| s.id == id)?.value
    }

    /// Whether a risk rule was raised.
    pub fn has_risk_flag(&self, rule: &str) -> bool {
        self.risk_flags.iter().any(|f| f.rule == rule)
    }
}

/// Item scores after reverse keying, before any coding offset; `None` = unanswered.
struct Scored {
    values: Vec<Option<f64>>,
}

struct Context<'a> {
    scored: &'a Scored,
    total: Option<f64>,
    subscales: &'a [Option<f64>],
}

fn eval(c: &Condition, ctx: &Context<'_>) -> Option<bool> {
    match c {
        Condition::Item {
            item,
            cmp,
            threshold,
        } => ctx.scored.values[*item].map(|v| cmp.holds(v, *threshold)),
        Condition::Count {
            items,
            cmp,
            threshold,
            at_least,
        } => {
            let hits = items
                .iter()
                .filter(|&&i| ctx.scored.values[i].is_some_and(|v| cmp.holds(v, *threshold)))
                .count();
            let unknown = items
                .iter()
                .filter(|&&i| ctx.scored.values[i].is_none())
                .count();
            if hits >= *at_least {
                Some(true)
            } else if hits + unknown >= *at_least {
                None
            } else {
                Some(false)
            }
        }
        Condition::Subscale {
            subscale,
            cmp,
            threshold,
        } => ctx.subscales[*subscale].map(|v| cmp.holds(v, *threshold)),
        Condition::Total { cmp, threshold } => ctx.total.map(|v| cmp.holds(v, *threshold)),
        Condition::All(list) => {
            let mut undecided = false;
            for sub in list {
                match eval(sub, ctx) {
                    Some(false) => return Some(false),
                    None => undecided = true,
                    Some(true) => {}
                }
            }
            if undecided { None } else { Some(true) }
        }
        Condition::Any(list) => {
            let mut undecided = false;
            for sub in list {
                match eval(sub, ctx) {
                    Some(true) => return Some(true),
                    None => undecided = true,
                    Some(false) => {}
                }
            }
            if undecided { None } else { Some(false) }
        }
    }
}

fn referenced_items(c: &Condition, out: &mut Vec<usize>) {
    match c {
        Condition::Item { item, .. } => out.push(*item),
        Condition::Count { items, .. } => out.extend(items),
        Condition::Subscale { .. } | Condition::Total { .. } => {}
        Condition::All(l) | Condition::Any(l) => l.iter().for_each(|s| referenced_items(s, out)),
    }
}

impl Instrument {
    /// Scores responses with the instrument's defaults (default coding and cut-off).
    pub fn score(&self, responses: &Responses) -> Result<Score, ScoreError> {
        self.score_with(responses, &ScoreOptions::default())
    }

    /// Risk flags raised by the answered items alone, whether or not a total can be computed.
    /// Rules on totals or subscales are included only when those can be scored.
    pub fn risk_flags(&self, responses: &Responses) -> Result<Vec<RiskFlag>, ScoreError> {
        match self.score(responses) {
            Ok(s) => Ok(s.risk_flags),
            Err(ScoreError::TooManyMissing { risk_flags, .. }) => Ok(risk_flags),
            Err(e) => Err(e),
        }
    }

    fn check_responses(&self, responses: &Responses) -> Result<Scored, ScoreError> {
        for (id, code) in responses.iter() {
            let Some(k) = self.def.items.iter().position(|i| i.id == id) else {
                return Err(ScoreError::UnknownItem {
                    item: id.to_string(),
                });
            };
            if let Some(c) = code
                && !self.items[k].codes.contains(&c)
            {
                return Err(ScoreError::CodeOutOfRange {
                    item: id.to_string(),
                    allowed: self.items[k].codes.clone(),
                });
            }
        }
        let values = self
            .def
            .items
            .iter()
            .zip(&self.items)
            .map(|(d, r)| {
                responses.get(&d.id).map(|c| {
                    let v = if r.reverse { r.min + r.max - c } else { c };
                    f64::from(v)
                })
            })
            .collect();
        Ok(Scored { values })
    }

    /// Aggregates item scores under a coding offset; `None` when nothing is answered.
    fn aggregate(&self, scored: &Scored, idx: &[usize], offset: i32) -> Option<(f64, bool)> {
        let answered: Vec<f64> = idx
            .iter()
            .filter_map(|&i| scored.values[i])
            .map(|v| v + f64::from(offset))
            .collect();
        if answered.is_empty() {
            return None;
        }
        let sum: f64 = answered.iter().sum();
        let missing = idx.len() - answered.len();
        match self.def.scoring.method {
            Method::Sum => (missing == 0).then_some((sum, false)),
            Method::ProratedSum => {
                Some((sum * idx.len() as f64 / answered.len() as f64, missing > 0))
            }
            Method::Mean => Some((sum / answered.len() as f64, false)),
        }
    }

    /// Scores responses with programme options.
    pub fn score_with(
        &self,
        responses: &Responses,
        options: &ScoreOptions,
    ) -> Result<Score, ScoreError> {
        let scored = self.check_responses(responses)?;
        let codings = &self.def.scoring.codings;
        let coding_index = match &options.coding {
            None => self.default_coding,
            Some(c) => codings
                .iter()
                .position(|k| &k.id == c)
                .ok_or_else(|| ScoreError::UnknownCoding { coding: c.clone() })?,
        };
        for id in options.thresholds.keys().chain(options.cutoff.iter()) {
            if !self.def.cutoffs.iter().any(|c| &c.id == id) {
                return Err(ScoreError::UnknownCutoff { cutoff: id.clone() });
            }
        }
        let offset_of = |i: usize| codings.get(i).map_or(0, |c| c.item_offset);
        let default_offset = self.default_coding_offset();

        let scored_idx: Vec<usize> = (0..self.items.len())
            .filter(|&i| self.items[i].scored)
            .collect();
        let missing = scored_idx
            .iter()
            .filter(|&&i| scored.values[i].is_none())
            .count();
        let answered = scored_idx.len() - missing;
        let allowed = self.def.scoring.max_missing as usize;

        // Subscales and the total in the default coding drive conditions; bands and cut-offs use
        // the coding each one names, so a "WHODAS > 16 (1-5 coding)" rule means the same thing
        // whichever coding the programme reports.
        let sub_default: Vec<Option<f64>> = self
            .subscales
            .iter()
            .map(|idx| self.aggregate(&scored, idx, default_offset).map(|x| x.0))
            .collect();
        let complete = missing <= allowed;
        let default_total = if complete {
            self.aggregate(&scored, &scored_idx, default_offset)
        } else {
            None
        };
        let ctx = Context {
            scored: &scored,
            total: default_total.map(|x| x.0),
            subscales: &sub_default,
        };
        let risk_flags: Vec<RiskFlag> = self
            .risk
            .iter()
            .zip(&self.def.risk_rules)
            .filter(|(c, _)| eval(c, &ctx) == Some(true))
            .map(|(_, r)| RiskFlag {
                instrument: self.def.code.clone(),
                version: self.def.version.clone(),
                rule: r.id.clone(),
                escalation: r.escalation,
                message: r.message.clone(),
            })
            .collect();
        let Some((_, prorated)) = default_total else {
            return Err(ScoreError::TooManyMissing {
                missing,
                allowed,
                risk_flags,
            });
        };

        let offset = offset_of(coding_index);
        let total = self
            .aggregate(&scored, &scored_idx, offset)
            .expect("complete responses aggregate")
            .0;
        let total_for = |coding: Option<&String>| -> f64 {
            let off = match coding {
                None => default_offset,
                Some(c) => codings
                    .iter()
                    .find(|k| &k.id == c)
                    .map_or(default_offset, |k| k.item_offset),
            };
            self.aggregate(&scored, &scored_idx, off)
                .expect("complete responses aggregate")
                .0
        };
        let (lo, hi) = self.range_under(offset);
        let totals_by_coding = codings
            .iter()
            .map(|k| CodedTotal {
                coding: k.id.clone(),
                total: total_for(Some(&k.id)),
            })
            .collect();
        let subscales: Vec<SubscaleScore> = self
            .def
            .subscales
            .iter()
            .zip(&self.subscales)
            .map(|(d, idx)| SubscaleScore {
                id: d.id.clone(),
                value: self.aggregate(&scored, idx, offset).map(|x| x.0),
            })
            .collect();

        // Bands are defined in the default coding.
        let default_value = default_total.expect("checked above").0;
        let bands: Vec<BandResult> = self
            .def
            .band_sets
            .iter()
            .filter_map(|set| {
                let n = set.bands.len();
                set.bands
                    .iter()
                    .enumerate()
                    .find(|(k, b)| {
                        default_value >= b.min - 1e-9
                            && (*k + 1 == n || default_value < set.bands[k + 1].min - 1e-9)
                    })
                    .map(|(_, b)| BandResult {
                        band_set: set.id.clone(),
                        band: b.id.clone(),
                        label: b.label.clone(),
                    })
            })
            .collect();
        let band = self
            .def
            .band_sets
            .iter()
            .position(|s| s.default || self.def.band_sets.len() == 1)
            .and_then(|i| {
                bands
                    .iter()
                    .find(|b| b.band_set == self.def.band_sets[i].id)
                    .cloned()
            });

        let cutoffs: Vec<CutoffResult> = self
            .def
            .cutoffs
            .iter()
            .map(|c| {
                let threshold = options.thresholds.get(&c.id).copied();
                let value = match &c.subscale {
                    None => Some(total_for(c.coding.as_ref())),
                    Some(sub) => {
                        let k = self
                            .def
                            .subscales
                            .iter()
                            .position(|s| &s.id == sub)
                            .expect("validated subscale reference");
                        let off = c
                            .coding
                            .as_ref()
                            .and_then(|id| codings.iter().find(|k| &k.id == id))
                            .map_or(default_offset, |k| k.item_offset);
                        self.aggregate(&scored, &self.subscales[k], off)
                            .map(|x| x.0)
                    }
                };
                let applicable = match c.sex {
                    None => true,
                    Some(s) => options.sex == Some(s),
                };
                let t = threshold.unwrap_or(c.threshold);
                CutoffResult {
                    id: c.id.clone(),
                    comparison: c.comparison,
                    threshold: t,
                    overridden: threshold.is_some(),
                    positive: if applicable {
                        value.map(|v| c.comparison.holds(v, t))
                    } else {
                        None
                    },
                }
            })
            .collect();
        let selected_cutoff = options
            .cutoff
            .clone()
            .or_else(|| self.def.default_cutoff.clone());
        let positive = selected_cutoff
            .as_ref()
            .and_then(|id| cutoffs.iter().find(|c| &c.id == id))
            .and_then(|c| c.positive);

        let rules = self
            .rules
            .iter()
            .zip(&self.def.rules)
            .map(|(c, r)| RuleResult {
                id: r.id.clone(),
                met: eval(c, &ctx),
            })
            .collect();

        let mut risk_items = Vec::new();
        self.risk
            .iter()
            .for_each(|c| referenced_items(c, &mut risk_items));
        risk_items.sort_unstable();
        risk_items.dedup();
        let unanswered_risk_items = risk_items
            .into_iter()
            .filter(|&i| scored.values[i].is_none())
            .map(|i| self.def.items[i].id.clone())
            .collect();

        Ok(Score {
            instrument: self.def.code.clone(),
            version: self.def.version.clone(),
            method: self.def.scoring.method,
            coding: codings.get(coding_index).map(|k| k.id.clone()),
            total,
            range: [lo, hi],
            totals_by_coding,
            subscales,
            band,
            bands,
            cutoffs,
            selected_cutoff,
            positive,
            rules,
            risk_flags,
            unanswered_risk_items,
            answered,
            missing,
            prorated,
        })
    }
}

/// `0, 1, 2, 3`: an item's codes as its error lists them.
fn join_codes(codes: &[i32]) -> String {
    codes
        .iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
