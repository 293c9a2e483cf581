//! The serialized form of an instrument definition (one TOML file per instrument).
//!
//! These structs mirror the file format field by field. They carry no invariants of their own:
//! an [`InstrumentDef`] becomes a usable [`crate::instrument::Instrument`] only through
//! validation, which checks every cross-reference and rule listed in the module docs.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Whether item texts and the instrument itself may be embedded in an open-source repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LicenceStatus {
    /// Public domain or an open licence.
    Open,
    /// Free to reproduce with the stated attribution.
    Attribution,
    /// Written permission from the copyright holder is required.
    PermissionRequired,
    /// No reuse licence is documented; treated like `PermissionRequired`.
    Unknown,
}

impl LicenceStatus {
    /// Item texts may be shipped only for open or attribution-only instruments.
    pub fn allows_item_text(self) -> bool {
        matches!(self, LicenceStatus::Open | LicenceStatus::Attribution)
    }
}

/// How well a fact in a definition has been checked against its primary source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verification {
    /// Checked against the primary or authoritative source.
    Verified,
    /// Confirmed only through a source that reproduces the original.
    SecondarySource,
    /// Not confirmed; check before relying on it.
    #[default]
    Unverified,
}

/// Licence of an instrument.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Licence {
    /// Reuse status.
    pub status: LicenceStatus,
    /// Copyright or attribution text to display with the instrument.
    pub text: String,
    /// Where the status was established (URL or reference).
    pub source: String,
    /// Who granted permission, when a hub ships item texts of a restricted instrument.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_note: Option<String>,
}

/// A bibliographic source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Citation {
    /// Full reference.
    pub text: String,
    /// URL, DOI or PMC link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// LOINC codes of the panel and of the total score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Loinc {
    /// Panel (questionnaire) code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub panel: Option<String>,
    /// Total score code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<String>,
    /// Whether the codes were checked against loinc.org.
    pub status: Verification,
}

/// One answer option: the code recorded and its label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionDef {
    /// Code stored in responses (for reverse-keyed items, the position code; see `ItemDef`).
    pub code: i32,
    /// Label shown to the respondent (or a neutral label when the licence forbids the text).
    pub label: String,
}

/// An integer rating scale without labelled options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeDef {
    /// Lowest code.
    pub min: i32,
    /// Highest code.
    pub max: i32,
}

/// A reusable set of options or a range, referenced by items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseSet {
    /// Labelled options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<OptionDef>>,
    /// Numeric range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<RangeDef>,
}

/// One item. Exactly one of `response_set`, `options` or `range` must be given.
///
/// Response codes are the codes of the options as printed (for EPDS: 0 for the first option).
/// A reverse-keyed item is scored `min + max - code`; item conditions (risk rules) compare
/// this scored value, never the raw code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemDef {
    /// Stable item id within the instrument ("1".."n" or a name).
    pub id: String,
    /// Item wording, only where the licence allows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Short neutral label ("Item 10", a domain name) used when the text may not be shipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Name of an entry in `response_sets`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_set: Option<String>,
    /// Inline options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<OptionDef>>,
    /// Inline numeric range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<RangeDef>,
    /// Scored as `min + max - code`.
    #[serde(default)]
    pub reverse_keyed: bool,
    /// Whether the item counts towards the total (PHQ-9 item 10 does not).
    #[serde(default = "yes")]
    pub scored: bool,
}

fn yes() -> bool {
    true
}

/// How a total is computed from the item scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Plain sum; no missing items allowed.
    Sum,
    /// Mean of the answered items.
    Mean,
    /// Sum of the answered items scaled to the full item count.
    ProratedSum,
}

/// A scoring convention that shifts every item score (WHODAS 1–5 vs 0–4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodingDef {
    /// Identifier, e.g. `"1-5"`.
    pub id: String,
    /// Added to every item score under this convention.
    pub item_offset: i32,
    /// The convention used when none is chosen.
    #[serde(default)]
    pub default: bool,
    /// Where the convention is used or defined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// Scoring rule of the whole instrument.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoringDef {
    /// Sum, mean or prorated sum.
    pub method: Method,
    /// Largest number of unanswered scored items that still gives a score.
    #[serde(default)]
    pub max_missing: u32,
    /// Declared range of the total under the default coding; checked against the items.
    pub range: [f64; 2],
    /// Alternative codings; empty means the option codes are the scores.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub codings: Vec<CodingDef>,
}

/// A subscale (PCL-5 cluster, WHODAS domain).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscaleDef {
    /// Identifier, e.g. `"B"`.
    pub id: String,
    /// Display label.
    pub label: String,
    /// Item ids.
    pub items: Vec<String>,
}

/// A named severity band; covers `[min, next band's min)` when scores can be fractional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandDef {
    /// Identifier, e.g. `"moderate"`.
    pub id: String,
    /// Display label.
    pub label: String,
    /// Lowest total in the band (inclusive).
    pub min: f64,
    /// Highest total in the band (inclusive, for display).
    pub max: f64,
}

/// One banding convention (K10 has two).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandSetDef {
    /// Identifier.
    pub id: String,
    /// Display label.
    pub label: String,
    /// Where the bands come from.
    pub source: String,
    /// Used for `Score::band`.
    #[serde(default)]
    pub default: bool,
    /// Bands in ascending order, covering the whole range.
    pub bands: Vec<BandDef>,
}

/// Comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Comparison {
    /// Greater or equal.
    #[serde(rename = ">=")]
    Ge,
    /// Greater.
    #[serde(rename = ">")]
    Gt,
    /// Less or equal.
    #[serde(rename = "<=")]
    Le,
    /// Less.
    #[serde(rename = "<")]
    Lt,
    /// Equal.
    #[serde(rename = "==")]
    Eq,
}

impl Comparison {
    /// Applies the comparison `value OP threshold`.
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        // Scores are sums of small integers or means of a few; an epsilon avoids 4.499999 < 4.5.
        const EPS: f64 = 1e-9;
        match self {
            Comparison::Ge => value >= threshold - EPS,
            Comparison::Gt => value > threshold + EPS,
            Comparison::Le => value <= threshold + EPS,
            Comparison::Lt => value < threshold - EPS,
            Comparison::Eq => (value - threshold).abs() <= EPS,
        }
    }

    /// The operator as written in definition files.
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Ge => ">=",
            Comparison::Gt => ">",
            Comparison::Le => "<=",
            Comparison::Lt => "<",
            Comparison::Eq => "==",
        }
    }
}

/// Sex at birth, for sex-specific cut-offs (AUDIT-C).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// Male.
    Male,
    /// Female.
    Female,
}

/// A cut-off with its provenance. Cut-offs are configuration: a programme picks one by id and
/// may override its threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CutoffDef {
    /// Identifier, e.g. `"kroenke2001_ge10"`.
    pub id: String,
    /// Display label.
    pub label: String,
    /// Operator applied as `total OP threshold`.
    pub comparison: Comparison,
    /// Threshold.
    pub threshold: f64,
    /// Paper or guideline.
    pub source: String,
    /// Population the cut-off was derived in.
    pub population: String,
    /// Language of the validated version.
    pub language: String,
    /// Coding convention the threshold refers to (default coding when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coding: Option<String>,
    /// Applies to a subscale instead of the total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscale: Option<String>,
    /// Applies only to respondents of this sex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<Sex>,
    /// Verification status of the cut-off.
    #[serde(default)]
    pub verification: Verification,
}

/// Escalation level of a risk flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Escalation {
    /// Review at the next supervision.
    Routine,
    /// Same-day follow-up; the alert escalates if not acknowledged in time.
    Urgent,
}

/// A condition over item scores, subscales or the total, written as a TOML inline table.
///
/// Forms: `{ item, comparison, threshold }`, `{ total = true, comparison, threshold }`,
/// `{ subscale, comparison, threshold }`, `{ items = [...], comparison, threshold, at_least }`
/// (at least `at_least` of the listed items satisfy the comparison), `{ all = [...] }` and
/// `{ any = [...] }`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionDef {
    /// Single item id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// Several item ids, counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<String>>,
    /// Subscale id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscale: Option<String>,
    /// Condition on the total (default coding).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<bool>,
    /// Operator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
    /// Threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// For `items`: how many must satisfy the comparison (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<u32>,
    /// All sub-conditions hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all: Option<Vec<ConditionDef>>,
    /// Any sub-condition holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any: Option<Vec<ConditionDef>>,
}

/// A risk rule: raised independently of the total and cut-offs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskRuleDef {
    /// Stable identifier, referenced by protocols.
    pub id: String,
    /// When the flag is raised.
    pub when: ConditionDef,
    /// Urgency.
    pub escalation: Escalation,
    /// Message for the supervisor; must not contain clinical values.
    pub message: String,
    /// Source of the rule.
    pub source: String,
}

/// A derived yes/no rule (PCL-5 provisional diagnosis, AUDIT next-level rule).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    /// Identifier.
    pub id: String,
    /// Display label.
    pub label: String,
    /// Condition.
    pub when: ConditionDef,
    /// Source of the rule.
    pub source: String,
}

/// A whole instrument file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstrumentDef {
    /// Always `"instrument"` in files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Stable code, lower-case letters, digits and `_` (e.g. `phq9`).
    pub code: String,
    /// Version of this definition; stored with every response.
    pub version: String,
    /// Full name.
    pub name: String,
    /// Short name, e.g. `PHQ-9`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_name: Option<String>,
    /// What the instrument measures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub construct: Option<String>,
    /// Recall window as worded by the instrument.
    pub recall_window: String,
    /// Whether a higher total is better (AIM) or worse (PHQ-9, the default).
    #[serde(default)]
    pub higher_is_better: bool,
    /// Licence.
    pub licence: Licence,
    /// Sources (at least one).
    pub citations: Vec<Citation>,
    /// LOINC codes, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loinc: Option<Loinc>,
    /// Named option sets.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub response_sets: BTreeMap<String, ResponseSet>,
    /// Items in order.
    pub items: Vec<ItemDef>,
    /// Scoring rule.
    pub scoring: ScoringDef,
    /// Subscales.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subscales: Vec<SubscaleDef>,
    /// Banding conventions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub band_sets: Vec<BandSetDef>,
    /// Cut-offs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cutoffs: Vec<CutoffDef>,
    /// Cut-off used for `Score::positive` unless a programme chooses another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_cutoff: Option<String>,
    /// Risk rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub risk_rules: Vec<RiskRuleDef>,
    /// Derived rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RuleDef>,
    /// Free-text notes (conventions, caveats).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}
