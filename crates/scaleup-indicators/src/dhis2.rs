//! DHIS2 aggregate export: indicator values as a `dataValueSets` payload, through a hub's
//! mapping file.
//!
//! A ministry's DHIS2 holds aggregate values as data element × category option combo × period ×
//! org unit (docs/dhis2-export.md). A hub agrees with the ministry which of its
//! indicators feed which data elements; the mapping file says so, with the DHIS2 ids of the
//! hub's org units. This module turns indicator cells (already through disclosure control: the
//! values leave the hub) into the bulk form of the payload, where every value carries its own
//! period and org unit, and reads DHIS2's import summary. Pure: the command line reads the files
//! and sends the request.
//!
//! Refusals are explicit. A cell whose org unit has no DHIS2 id, two cells landing on the same
//! DHIS2 value, or a mapping naming an unknown indicator stop the export with the offending names;
//! a suppressed cell is left out and listed (DHIS2 has no "<5" for a number), so the ministry's
//! figure for it stays empty rather than wrong.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// How DHIS2 periods are written for the mapping's period type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodType {
    /// `202601`, from a `month` cut keyed `2026-01`.
    Monthly,
    /// `2026Q1`, from a `quarter` cut keyed `2026-Q1`.
    Quarterly,
}

impl PeriodType {
    /// The cut the indicator request must be made by.
    pub fn dimension(self) -> &'static str {
        match self {
            PeriodType::Monthly => "month",
            PeriodType::Quarterly => "quarter",
        }
    }

    /// The DHIS2 period for a cut key, or `None` when the key is not of this type.
    pub fn dhis2_period(self, key: &str) -> Option<String> {
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        match self {
            PeriodType::Monthly => {
                let (y, m) = key.split_once('-')?;
                let month: u8 = m.parse().ok()?;
                (digits(y, 4) && digits(m, 2) && (1..=12).contains(&month))
                    .then(|| format!("{y}{m}"))
            }
            PeriodType::Quarterly => {
                let (y, q) = key.split_once("-Q")?;
                (digits(y, 4) && matches!(q, "1" | "2" | "3" | "4")).then(|| format!("{y}Q{q}"))
            }
        }
    }
}

/// Which figure of an indicator cell a data element receives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ValuePart {
    /// The count (people screened, enrolled...): what aggregate data elements usually hold.
    #[default]
    Numerator,
    Denominator,
    /// The ratio or mean, multiplied by `scale` (100 for a percentage data element).
    Value,
}

/// One data element fed by one indicator.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataElementMap {
    /// The scaleup indicator code (`screened`, `reach`, ...).
    pub indicator: String,
    #[serde(default)]
    pub value: ValuePart,
    /// The DHIS2 data element id (11 characters).
    pub data_element: String,
    /// The category option combo when the value is not disaggregated (DHIS2's `default` combo
    /// has a different id on every older server, so it is never assumed).
    #[serde(default)]
    pub category_option_combo: Option<String>,
    /// A cut (`sex`, `age_band`) whose keys select the category option combo.
    #[serde(default)]
    pub disaggregate_by: Option<String>,
    /// Category option combo per key of `disaggregate_by`.
    #[serde(default)]
    pub category_option_combos: BTreeMap<String, String>,
    /// Multiplies `value` (not counts); 100 turns a share into a percentage.
    #[serde(default)]
    pub scale: Option<f64>,
    /// Decimal places of a `value`; counts are whole numbers.
    #[serde(default)]
    pub decimals: Option<u8>,
}

/// A hub's mapping file (TOML): which indicators go to which DHIS2 data elements, and the DHIS2
/// ids of its org units.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    pub period_type: PeriodType,
    /// The cut whose keys are mapped to DHIS2 org units: `facility`, `district`, `region` or
    /// `hub` (the org-unit level DHIS2 collects the data set at).
    pub org_unit_level: String,
    /// The attribute option combo of every value, when the data set uses one.
    #[serde(default)]
    pub attribute_option_combo: Option<String>,
    /// Org-unit key (as the indicator cut names it: the org unit's code) → DHIS2 org-unit id.
    pub org_units: BTreeMap<String, String>,
    #[serde(rename = "data_element")]
    pub data_elements: Vec<DataElementMap>,
}

/// The cut levels a mapping may send to DHIS2 org units.
pub const ORG_UNIT_LEVELS: [&str; 4] = ["facility", "district", "region", "hub"];
/// The cuts a data element may be disaggregated by.
pub const DISAGGREGATIONS: [&str; 2] = ["sex", "age_band"];

/// Whether `id` has the shape of a DHIS2 uid: 11 letters and digits, starting with a letter.
pub fn is_uid(id: &str) -> bool {
    id.len() == 11
        && id.bytes().all(|b| b.is_ascii_alphanumeric())
        && id.as_bytes()[0].is_ascii_alphabetic()
}

/// A mapping file that cannot be used, with where.
#[derive(Debug, Clone, PartialEq)]
pub struct MappingError {
    /// What in the file: `data_element[2].category_option_combo`, `org_units.KIS-01`, or the
    /// TOML parser's line and column.
    pub at: String,
    pub message: String,
}

impl fmt::Display for MappingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

impl Mapping {
    /// Reads and checks a mapping. `known_indicator` says which codes exist. Every problem is
    /// reported, not only the first.
    pub fn parse(
        text: &str,
        known_indicator: impl Fn(&str) -> bool,
    ) -> Result<Mapping, Vec<MappingError>> {
        let mapping: Mapping = toml::from_str(text).map_err(|e| {
            let at = e
                .span()
                .map(|span| {
                    let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                    format!("line {line}")
                })
                .unwrap_or_else(|| "file".into());
            vec![MappingError {
                at,
                message: e.message().to_string(),
            }]
        })?;
        let errors = mapping.problems(known_indicator);
        if errors.is_empty() {
            Ok(mapping)
        } else {
            Err(errors)
        }
    }

    fn problems(&self, known_indicator: impl Fn(&str) -> bool) -> Vec<MappingError> {
        let mut errors = Vec::new();
        let mut err = |at: String, message: String| errors.push(MappingError { at, message });
        if !ORG_UNIT_LEVELS.contains(&self.org_unit_level.as_str()) {
            err(
                "org_unit_level".into(),
                format!(
                    "`{}` is not a level; use one of {}",
                    self.org_unit_level,
                    ORG_UNIT_LEVELS.join(", ")
                ),
            );
        }
        if let Some(aoc) = &self.attribute_option_combo
            && !is_uid(aoc)
        {
            err(
                "attribute_option_combo".into(),
                format!(
                    "`{aoc}` is not a DHIS2 id (11 letters and digits, starting with a letter)"
                ),
            );
        }
        if self.org_units.is_empty() {
            err("org_units".into(), "maps no org unit".into());
        }
        for (key, id) in &self.org_units {
            if !is_uid(id) {
                err(
                    format!("org_units.{key}"),
                    format!(
                        "`{id}` is not a DHIS2 id (11 letters and digits, starting with a letter)"
                    ),
                );
            }
        }
        if self.data_elements.is_empty() {
            err("data_element".into(), "maps no indicator".into());
        }
        let mut targets = BTreeSet::new();
        let mut shapes: BTreeMap<(&str, ValuePart), Option<&str>> = BTreeMap::new();
        for (i, de) in self.data_elements.iter().enumerate() {
            let shape = de.disaggregate_by.as_deref();
            if let Some(earlier) = shapes.insert((de.indicator.as_str(), de.value), shape)
                && earlier != shape
            {
                err(
                    format!("data_element[{}].disaggregate_by", i + 1),
                    format!(
                        "`{}` is sent both whole and split by a cut: DHIS2 users could subtract the visible parts from the whole and recover a suppressed one; send it one way",
                        de.indicator
                    ),
                );
            }
            let at = |field: &str| format!("data_element[{}].{field}", i + 1);
            if !known_indicator(&de.indicator) {
                err(
                    at("indicator"),
                    format!("`{}` is not an indicator code", de.indicator),
                );
            }
            if !is_uid(&de.data_element) {
                err(
                    at("data_element"),
                    format!("`{}` is not a DHIS2 id", de.data_element),
                );
            }
            match (&de.disaggregate_by, &de.category_option_combo) {
                (None, None) => err(
                    at("category_option_combo"),
                    "is required (DHIS2's `default` combo has a different id on each server: copy it from the data element)".into(),
                ),
                (None, Some(coc)) => {
                    if !is_uid(coc) {
                        err(at("category_option_combo"), format!("`{coc}` is not a DHIS2 id"));
                    }
                    if !de.category_option_combos.is_empty() {
                        err(
                            at("category_option_combos"),
                            "needs `disaggregate_by` to say which cut its keys belong to".into(),
                        );
                    }
                    targets_check(&mut targets, &de.data_element, coc, &at("category_option_combo"), &mut err);
                }
                (Some(by), single) => {
                    if !DISAGGREGATIONS.contains(&by.as_str()) {
                        err(
                            at("disaggregate_by"),
                            format!("`{by}` is not a disaggregation; use one of {}", DISAGGREGATIONS.join(", ")),
                        );
                    }
                    if single.is_some() {
                        err(
                            at("category_option_combo"),
                            "a disaggregated data element takes `category_option_combos`, one per key".into(),
                        );
                    }
                    if de.category_option_combos.is_empty() {
                        err(at("category_option_combos"), "maps no key".into());
                    }
                    for (key, coc) in &de.category_option_combos {
                        let at = format!("data_element[{}].category_option_combos.{key}", i + 1);
                        if !is_uid(coc) {
                            err(at.clone(), format!("`{coc}` is not a DHIS2 id"));
                        }
                        targets_check(&mut targets, &de.data_element, coc, &at, &mut err);
                    }
                }
            }
            if de.value != ValuePart::Value && (de.scale.is_some() || de.decimals.is_some()) {
                err(
                    at("value"),
                    "`scale` and `decimals` apply to `value = \"value\"` only: counts are sent whole".into(),
                );
            }
            if let Some(s) = de.scale
                && !(s.is_finite() && s > 0.0)
            {
                err(at("scale"), "must be a positive number".into());
            }
            if de.decimals.is_some_and(|d| d > 6) {
                err(at("decimals"), "must be at most 6".into());
            }
        }
        errors
    }

    /// The cuts a data element's figures come from: the org-unit level, the period, and its
    /// disaggregation if any.
    pub fn cuts_of(&self, de: &DataElementMap) -> Vec<String> {
        let mut cuts = vec![
            self.org_unit_level.clone(),
            self.period_type.dimension().to_string(),
        ];
        cuts.extend(de.disaggregate_by.clone());
        cuts
    }

    /// The indicator requests this mapping needs: each distinct set of cuts with the indicators
    /// wanted by it. A value is built only from cells cut exactly as its data element needs.
    pub fn requests(&self) -> Vec<(Vec<String>, Vec<String>)> {
        let mut by_cuts: BTreeMap<Vec<String>, BTreeSet<String>> = BTreeMap::new();
        for de in &self.data_elements {
            by_cuts
                .entry(self.cuts_of(de))
                .or_default()
                .insert(de.indicator.clone());
        }
        by_cuts
            .into_iter()
            .map(|(cuts, codes)| (cuts, codes.into_iter().collect()))
            .collect()
    }
}

fn targets_check(
    targets: &mut BTreeSet<(String, String)>,
    de: &str,
    coc: &str,
    at: &str,
    err: &mut impl FnMut(String, String),
) {
    if !targets.insert((de.to_string(), coc.to_string())) {
        err(
            at.to_string(),
            format!(
                "data element {de} with combo {coc} is already fed by another entry: its values would overwrite each other"
            ),
        );
    }
}

/// One indicator figure for one combination of cuts, after disclosure control.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    pub indicator: String,
    /// Cut name → key (`district` → `KIS`, `month` → `2026-01`, `sex` → `female`).
    pub by: BTreeMap<String, String>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub value: Option<f64>,
    /// Hidden by disclosure control: never sent.
    pub suppressed: bool,
}

/// One DHIS2 data value (bulk form).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataValue {
    pub data_element: String,
    pub period: String,
    pub org_unit: String,
    pub category_option_combo: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribute_option_combo: Option<String>,
    pub value: String,
}

/// The body of `POST /api/dataValueSets`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataValueSet {
    pub data_values: Vec<DataValue>,
}

/// A cell left out of the payload, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Skipped {
    pub indicator: String,
    pub by: BTreeMap<String, String>,
    pub reason: SkipReason,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// Below the disclosure threshold.
    Suppressed,
    /// The indicator has no figure there (a share with no denominator).
    NoValue,
    /// A disaggregation key the mapping has no combo for (e.g. sex `other`).
    UnmappedKey,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Suppressed => "suppressed (below the disclosure threshold)",
            SkipReason::NoValue => "no value",
            SkipReason::UnmappedKey => "no category option combo for this key",
        }
    }
}

/// Why an export cannot be built.
#[derive(Debug, Clone, PartialEq)]
pub enum ExportError {
    /// Cells whose org unit has no DHIS2 id in the mapping (the keys, sorted).
    UnmappedOrgUnits(Vec<String>),
    /// A cell lacks a cut the mapping needs: the request was made with other cuts.
    MissingCut { indicator: String, cut: String },
    /// A period key that is not of the mapping's period type.
    BadPeriod(String),
    /// Two cells give the same DHIS2 value.
    Duplicate(String),
}

impl fmt::Display for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExportError::UnmappedOrgUnits(keys) => {
                write!(
                    f,
                    "these org units have no DHIS2 id in the mapping's [org_units]: {}",
                    keys.join(", ")
                )?;
                if keys.iter().any(|k| k == "unknown") {
                    write!(f, " (`unknown` holds clients recorded without a facility)")?;
                }
                Ok(())
            }
            ExportError::MissingCut { indicator, cut } => write!(
                f,
                "indicator {indicator} was not cut as the mapping needs (by {cut})"
            ),
            ExportError::BadPeriod(key) => {
                write!(f, "period `{key}` is not of the mapping's period type")
            }
            ExportError::Duplicate(what) => {
                write!(f, "two cells give the same DHIS2 value: {what}")
            }
        }
    }
}

impl std::error::Error for ExportError {}

/// What [`build`] made.
#[derive(Clone, Debug, PartialEq)]
pub struct Export {
    pub payload: DataValueSet,
    pub skipped: Vec<Skipped>,
}

/// Formats a number the way DHIS2 reads it: whole numbers without a decimal point, others with
/// at most `decimals` places and no trailing zeros.
fn format_value(x: f64, decimals: u8) -> String {
    let text = format!("{:.*}", decimals as usize, x);
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    if text == "-0" { "0".into() } else { text }
}

/// The cells of a disclosed indicator table: the only way indicator figures reach a payload,
/// so what leaves the hub has been through disclosure control.
pub fn cells(table: &crate::IndicatorTable) -> Vec<Cell> {
    table
        .rows()
        .iter()
        .map(|row| Cell {
            indicator: row.def.code.to_string(),
            by: table
                .by()
                .iter()
                .zip(&row.by)
                .map(|(d, v)| (d.as_str().to_string(), v.key.clone()))
                .collect(),
            numerator: row.numerator,
            denominator: row.denominator,
            value: row.value,
            suppressed: row.suppressed,
        })
        .collect()
}

/// Builds the payload from cells. Cells of indicators the mapping does not name are ignored;
/// a cell of a mapped indicator must be cut exactly as one of its data elements needs.
pub fn build(mapping: &Mapping, cells: &[Cell]) -> Result<Export, ExportError> {
    let mut unmapped = BTreeSet::new();
    let mut values = Vec::new();
    let mut skipped = Vec::new();
    let mut seen = BTreeSet::new();
    let period_cut = mapping.period_type.dimension();
    for cell in cells {
        let wanted: Vec<&DataElementMap> = mapping
            .data_elements
            .iter()
            .filter(|d| d.indicator == cell.indicator)
            .collect();
        if let Some(first) = wanted.first() {
            let fits = |d: &DataElementMap| {
                let cuts = mapping.cuts_of(d);
                cell.by.len() == cuts.len() && cuts.iter().all(|c| cell.by.contains_key(c))
            };
            if !wanted.iter().any(|d| fits(d)) {
                let cut = mapping
                    .cuts_of(first)
                    .into_iter()
                    .find(|c| !cell.by.contains_key(c))
                    .unwrap_or_else(|| "no more than its data element's cuts".into());
                return Err(ExportError::MissingCut {
                    indicator: cell.indicator.clone(),
                    cut,
                });
            }
        }
        for de in mapping.data_elements.iter().filter(|d| {
            d.indicator == cell.indicator && {
                // Only cells cut exactly as this data element needs (a request by more cuts
                // made for another data element would give the same value several times).
                let cuts = mapping.cuts_of(d);
                cell.by.len() == cuts.len() && cuts.iter().all(|c| cell.by.contains_key(c))
            }
        }) {
            let cut = |name: &str| {
                cell.by.get(name).ok_or_else(|| ExportError::MissingCut {
                    indicator: cell.indicator.clone(),
                    cut: name.to_string(),
                })
            };
            let org_key = cut(&mapping.org_unit_level)?;
            let period_key = cut(period_cut)?;
            let period = mapping
                .period_type
                .dhis2_period(period_key)
                .ok_or_else(|| ExportError::BadPeriod(period_key.clone()))?;
            let Some(org_unit) = mapping.org_units.get(org_key) else {
                unmapped.insert(org_key.clone());
                continue;
            };
            let skip = |reason| Skipped {
                indicator: cell.indicator.clone(),
                by: cell.by.clone(),
                reason,
            };
            let coc = match &de.disaggregate_by {
                None => de.category_option_combo.clone().unwrap_or_default(),
                Some(by) => match de.category_option_combos.get(cut(by)?) {
                    Some(c) => c.clone(),
                    None => {
                        skipped.push(skip(SkipReason::UnmappedKey));
                        continue;
                    }
                },
            };
            if cell.suppressed {
                skipped.push(skip(SkipReason::Suppressed));
                continue;
            }
            let figure = match de.value {
                ValuePart::Numerator => cell.numerator.map(|n| format_value(n, 0)),
                ValuePart::Denominator => cell.denominator.map(|n| format_value(n, 0)),
                ValuePart::Value => cell
                    .value
                    .map(|v| format_value(v * de.scale.unwrap_or(1.0), de.decimals.unwrap_or(2))),
            };
            let Some(value) = figure.filter(|v| v != "NaN" && v != "inf" && v != "-inf") else {
                skipped.push(skip(SkipReason::NoValue));
                continue;
            };
            let key = (
                de.data_element.clone(),
                coc.clone(),
                period.clone(),
                org_unit.clone(),
            );
            if !seen.insert(key) {
                return Err(ExportError::Duplicate(format!(
                    "data element {} combo {coc} period {period} org unit {org_unit} (indicator {})",
                    de.data_element, cell.indicator
                )));
            }
            values.push(DataValue {
                data_element: de.data_element.clone(),
                period,
                org_unit: org_unit.clone(),
                category_option_combo: coc,
                attribute_option_combo: mapping.attribute_option_combo.clone(),
                value,
            });
        }
    }
    if !unmapped.is_empty() {
        return Err(ExportError::UnmappedOrgUnits(
            unmapped.into_iter().collect(),
        ));
    }
    // A stable order: the same data give the same file.
    values.sort_by(|a, b| {
        (
            &a.period,
            &a.org_unit,
            &a.data_element,
            &a.category_option_combo,
        )
            .cmp(&(
                &b.period,
                &b.org_unit,
                &b.data_element,
                &b.category_option_combo,
            ))
    });
    Ok(Export {
        payload: DataValueSet {
            data_values: values,
        },
        skipped,
    })
}

/// DHIS2's answer to an import, in the parts a person needs.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ImportSummary {
    /// `SUCCESS`, `WARNING` or `ERROR` (DHIS2's words).
    pub status: String,
    pub imported: u64,
    pub updated: u64,
    pub ignored: u64,
    pub deleted: u64,
    /// Each conflict as "object: value".
    pub conflicts: Vec<String>,
}

/// Reads an import summary: the bare form of older servers, or the `{"response": ...}` envelope
/// of 2.38 and later.
pub fn parse_import_summary(body: &str) -> Result<ImportSummary, String> {
    let json: serde_json::Value =
        serde_json::from_str(body).map_err(|e| format!("the answer is not JSON: {e}"))?;
    let summary = match json.get("response") {
        Some(inner) if inner.get("importCount").is_some() => inner,
        _ => &json,
    };
    let Some(count) = summary.get("importCount") else {
        let message = json
            .get("message")
            .and_then(|m| m.as_str())
            .unwrap_or("no importCount in the answer");
        return Err(message.to_string());
    };
    let n = |k: &str| count.get(k).and_then(|v| v.as_u64()).unwrap_or(0);
    let conflicts = summary
        .get("conflicts")
        .and_then(|c| c.as_array())
        .map(|list| {
            list.iter()
                .map(|c| {
                    let part = |k: &str| {
                        c.get(k)
                            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                            .unwrap_or_default()
                    };
                    format!("{}: {}", part("object"), part("value"))
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(ImportSummary {
        status: summary
            .get("status")
            .and_then(|s| s.as_str())
            .unwrap_or("")
            .to_string(),
        imported: n("imported"),
        updated: n("updated"),
        ignored: n("ignored"),
        deleted: n("deleted"),
        conflicts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAPPING: &str = r#"
period_type = "monthly"
org_unit_level = "facility"

[org_units]
KIS-01 = "DiszpKrYNg8"
KIS-02 = "Rp268JB6Ne4"

[[data_element]]
indicator = "screened"
data_element = "f7n9E0hX8qk"
disaggregate_by = "sex"
category_option_combos = { female = "hfdmMSPBgLG", male = "Prlt0C1RF0s" }

[[data_element]]
indicator = "reach"
value = "value"
scale = 100
decimals = 1
data_element = "Uvn6LCg7dVU"
category_option_combo = "HllvX50cXC0"
"#;

    fn known(code: &str) -> bool {
        matches!(code, "screened" | "reach" | "enrolled")
    }

    fn cell(ind: &str, facility: &str, month: &str, sex: Option<&str>, n: f64, d: f64) -> Cell {
        let mut by = BTreeMap::from([
            ("facility".to_string(), facility.to_string()),
            ("month".to_string(), month.to_string()),
        ]);
        if let Some(s) = sex {
            by.insert("sex".into(), s.into());
        }
        Cell {
            indicator: ind.into(),
            by,
            numerator: Some(n),
            denominator: Some(d),
            value: (d > 0.0).then(|| n / d),
            suppressed: false,
        }
    }

    #[test]
    fn counts_go_whole_and_shares_scaled_with_their_combo_period_and_org_unit() {
        let m = Mapping::parse(MAPPING, known).unwrap();
        let cells = vec![
            cell("screened", "KIS-01", "2026-03", Some("female"), 12.0, 0.0),
            cell("screened", "KIS-01", "2026-03", Some("male"), 7.0, 0.0),
            cell("reach", "KIS-02", "2026-03", None, 2.0, 3.0),
            cell("enrolled", "KIS-02", "2026-03", None, 9.0, 0.0),
        ];
        let out = build(&m, &cells).unwrap();
        let json = serde_json::to_value(&out.payload).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"dataValues": [
                {"dataElement": "f7n9E0hX8qk", "period": "202603", "orgUnit": "DiszpKrYNg8",
                 "categoryOptionCombo": "Prlt0C1RF0s", "value": "7"},
                {"dataElement": "f7n9E0hX8qk", "period": "202603", "orgUnit": "DiszpKrYNg8",
                 "categoryOptionCombo": "hfdmMSPBgLG", "value": "12"},
                {"dataElement": "Uvn6LCg7dVU", "period": "202603", "orgUnit": "Rp268JB6Ne4",
                 "categoryOptionCombo": "HllvX50cXC0", "value": "66.7"},
            ]})
        );
        assert!(out.skipped.is_empty());
    }

    #[test]
    fn suppressed_cells_and_unmapped_keys_are_left_out_and_listed() {
        let m = Mapping::parse(MAPPING, known).unwrap();
        let mut hidden = cell("screened", "KIS-01", "2026-03", Some("female"), 3.0, 0.0);
        hidden.suppressed = true;
        let other = cell("screened", "KIS-01", "2026-03", Some("other"), 1.0, 0.0);
        let mut empty = cell("reach", "KIS-01", "2026-03", None, 0.0, 0.0);
        empty.value = None;
        let out = build(&m, &[hidden, other, empty]).unwrap();
        assert!(out.payload.data_values.is_empty());
        let reasons: Vec<_> = out.skipped.iter().map(|s| s.reason).collect();
        assert_eq!(
            reasons,
            vec![
                SkipReason::Suppressed,
                SkipReason::UnmappedKey,
                SkipReason::NoValue
            ]
        );
    }

    #[test]
    fn an_org_unit_without_a_dhis2_id_stops_the_export_naming_it() {
        let m = Mapping::parse(MAPPING, known).unwrap();
        let err = build(
            &m,
            &[
                cell("reach", "NAI-09", "2026-03", None, 1.0, 2.0),
                cell("reach", "MSA-01", "2026-03", None, 1.0, 2.0),
            ],
        )
        .unwrap_err();
        assert_eq!(
            err,
            ExportError::UnmappedOrgUnits(vec!["MSA-01".into(), "NAI-09".into()])
        );
    }

    #[test]
    fn cells_cut_otherwise_than_the_mapping_needs_are_refused() {
        let m = Mapping::parse(MAPPING, known).unwrap();
        let mut c = cell("reach", "KIS-01", "2026-03", None, 1.0, 2.0);
        c.by.remove("month");
        assert_eq!(
            build(&m, &[c]).unwrap_err(),
            ExportError::MissingCut {
                indicator: "reach".into(),
                cut: "month".into()
            }
        );
        let c = cell("reach", "KIS-01", "2026-Q1", None, 1.0, 2.0);
        assert_eq!(
            build(&m, &[c]).unwrap_err(),
            ExportError::BadPeriod("2026-Q1".into())
        );
        let twice = cell("reach", "KIS-01", "2026-03", None, 1.0, 2.0);
        assert!(matches!(
            build(&m, &[twice.clone(), twice]).unwrap_err(),
            ExportError::Duplicate(_)
        ));
    }

    #[test]
    fn periods_follow_dhis2s_spelling() {
        assert_eq!(
            PeriodType::Monthly.dhis2_period("2026-01").as_deref(),
            Some("202601")
        );
        assert_eq!(PeriodType::Monthly.dhis2_period("2026-13"), None);
        assert_eq!(PeriodType::Monthly.dhis2_period("26-01"), None);
        assert_eq!(
            PeriodType::Quarterly.dhis2_period("2026-Q4").as_deref(),
            Some("2026Q4")
        );
        assert_eq!(PeriodType::Quarterly.dhis2_period("2026-Q5"), None);
    }

    #[test]
    fn every_problem_of_a_mapping_is_reported_with_where() {
        let bad = r#"
period_type = "monthly"
org_unit_level = "ward"
[org_units]
KIS-01 = "not-a-uid"
[[data_element]]
indicator = "phq9_magic"
data_element = "f7n9E0hX8qk"
[[data_element]]
indicator = "screened"
data_element = "f7n9E0hX8qk"
category_option_combo = "HllvX50cXC0"
scale = 100
[[data_element]]
indicator = "enrolled"
data_element = "f7n9E0hX8qk"
category_option_combo = "HllvX50cXC0"
"#;
        let errors = Mapping::parse(bad, known).unwrap_err();
        let at: Vec<&str> = errors.iter().map(|e| e.at.as_str()).collect();
        assert_eq!(
            at,
            vec![
                "org_unit_level",
                "org_units.KIS-01",
                "data_element[1].indicator",
                "data_element[1].category_option_combo",
                "data_element[2].value",
                "data_element[3].category_option_combo",
            ],
            "{errors:?}"
        );
        let both = format!(
            "{MAPPING}\n[[data_element]]\nindicator = \"screened\"\ndata_element = \"Xvn6LCg7dVU\"\ncategory_option_combo = \"HllvX50cXC0\"\n"
        );
        let errors = Mapping::parse(&both, known).unwrap_err();
        assert_eq!(
            errors[0].at, "data_element[3].disaggregate_by",
            "{errors:?}"
        );
        assert!(errors[0].message.contains("both whole and split"));
        let syntax =
            Mapping::parse("period_type = \"monthly\"\norg_unit_level = \n", known).unwrap_err();
        assert_eq!(syntax[0].at, "line 2");
        let unknown = Mapping::parse(&format!("{MAPPING}\ncolour = \"red\"\n"), known).unwrap_err();
        assert!(unknown[0].message.contains("colour"), "{unknown:?}");
    }

    #[test]
    fn values_are_written_as_dhis2_reads_them() {
        assert_eq!(format_value(12.0, 0), "12");
        assert_eq!(format_value(66.666, 1), "66.7");
        assert_eq!(format_value(50.0, 2), "50");
        assert_eq!(format_value(-0.0001, 2), "0");
        assert_eq!(format_value(0.125, 3), "0.125");
    }

    #[test]
    fn import_summaries_of_old_and_new_servers_read_the_same() {
        let old = r#"{"responseType":"ImportSummary","status":"WARNING","importCount":{"imported":2,"updated":1,"ignored":1,"deleted":0},"conflicts":[{"object":"Rp268JB6Ne4","value":"Org unit not in hierarchy"}]}"#;
        let new = r#"{"httpStatus":"Conflict","httpStatusCode":409,"status":"WARNING","response":{"responseType":"ImportSummary","status":"WARNING","importCount":{"imported":2,"updated":1,"ignored":1,"deleted":0},"conflicts":[{"object":"Rp268JB6Ne4","value":"Org unit not in hierarchy"}]}}"#;
        let a = parse_import_summary(old).unwrap();
        assert_eq!(a, parse_import_summary(new).unwrap());
        assert_eq!((a.imported, a.updated, a.ignored), (2, 1, 1));
        assert_eq!(a.conflicts, vec!["Rp268JB6Ne4: Org unit not in hierarchy"]);
        assert!(
            parse_import_summary(r#"{"httpStatus":"Unauthorized","message":"Bad token"}"#)
                .unwrap_err()
                .contains("Bad token")
        );
        assert!(parse_import_summary("<html>").is_err());
    }
}
