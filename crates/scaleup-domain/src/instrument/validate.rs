//! Validation of an [`InstrumentDef`] into an [`Instrument`].
//!
//! Every rule here exists because a definition error would otherwise surface as a wrong score
//! in the field: unknown references, duplicate codes, a declared range that disagrees with the
//! items, bands with gaps, and item texts shipped against the licence.

use super::def::*;
use super::{Condition, Instrument, ResolvedItem};
use crate::catalog::{FieldError, Problems};
use std::collections::BTreeSet;

fn err(path: impl Into<String>, message: impl Into<String>) -> FieldError {
    FieldError {
        path: path.into(),
        message: message.into(),
    }
}

/// Codes are lower-case ASCII letters, digits and underscores so they are safe in URLs,
/// file names, FHIR canonical URLs and XLSForm names.
pub(crate) fn check_code(path: &str, code: &str) -> Result<(), FieldError> {
    if code.is_empty()
        || !code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(err(
            path,
            "must be non-empty lower-case letters, digits or underscores",
        ));
    }
    Ok(())
}

fn check_nonempty(path: &str, s: &str) -> Result<(), FieldError> {
    if s.trim().is_empty() {
        return Err(err(path, "must not be empty"));
    }
    Ok(())
}

fn check_unique<'a>(
    path: &str,
    what: &str,
    ids: impl Iterator<Item = &'a str>,
) -> Result<(), FieldError> {
    let mut seen = BTreeSet::new();
    for (i, id) in ids.enumerate() {
        if id.trim().is_empty() {
            return Err(err(format!("{path}[{i}].{what}"), "must not be empty"));
        }
        if !seen.insert(id) {
            return Err(err(format!("{path}[{i}].{what}"), "must be unique"));
        }
    }
    Ok(())
}

/// Codes and coding offsets stay within ±1,000,000 (sync accepts no larger response code), so
/// reverse keying (`min + max - code`) and offsets cannot overflow `i32`: an overflow panics in a
/// debug build and silently wraps into a wrong score in a release build.
const MAX_CODE: i32 = 1_000_000;

/// A range item's codes are listed in memory (and by the offline scorer on the phone), so a range
/// may span at most this many codes; a 0-100 rating needs 101.
const MAX_RANGE_CODES: i64 = 1001;

fn check_bounded(path: &str, value: i32) -> Result<(), FieldError> {
    if !(-MAX_CODE..=MAX_CODE).contains(&value) {
        return Err(err(path, "must be between -1000000 and 1000000"));
    }
    Ok(())
}

fn check_options(path: &str, options: &[OptionDef]) -> Result<(), FieldError> {
    if options.len() < 2 {
        return Err(err(path, "needs at least two options"));
    }
    let mut codes = BTreeSet::new();
    for (i, o) in options.iter().enumerate() {
        check_bounded(&format!("{path}[{i}].code"), o.code)?;
        if !codes.insert(o.code) {
            return Err(err(path, "codes must be unique"));
        }
        check_nonempty(&format!("{path}[{i}].label"), &o.label)?;
    }
    Ok(())
}

fn check_range(path: &str, r: &RangeDef) -> Result<(), FieldError> {
    check_bounded(&format!("{path}.min"), r.min)?;
    check_bounded(&format!("{path}.max"), r.max)?;
    if r.min >= r.max {
        return Err(err(path, "min must be below max"));
    }
    if i64::from(r.max) - i64::from(r.min) + 1 > MAX_RANGE_CODES {
        return Err(err(path, "may span at most 1001 codes"));
    }
    Ok(())
}

/// Validates in stages; within a stage every check runs and every problem is kept, and a stage
/// with problems ends validation (the next relies on it: items on their response sets, the
/// scoring range on the items, bands and rules on the range and the items).
pub(crate) fn validate(def: InstrumentDef) -> Result<Instrument, Vec<FieldError>> {
    let mut p = Problems::default();

    // Stage 1: the header and the response sets.
    if let Some(kind) = &def.kind
        && kind != "instrument"
    {
        p.add(err("kind", "must be \"instrument\""));
    }
    p.keep(check_code("code", &def.code));
    p.keep(check_nonempty("version", &def.version));
    p.keep(check_nonempty("name", &def.name));
    p.keep(check_nonempty("recall_window", &def.recall_window));
    p.keep(check_nonempty("licence.text", &def.licence.text));
    p.keep(check_nonempty("licence.source", &def.licence.source));
    if def.citations.is_empty() {
        p.add(err("citations", "at least one citation is required"));
    }
    for (i, c) in def.citations.iter().enumerate() {
        p.keep(check_nonempty(&format!("citations[{i}].text"), &c.text));
    }
    for (name, set) in &def.response_sets {
        let path = format!("response_sets.{name}");
        p.keep(match (&set.options, &set.range) {
            (Some(o), None) => check_options(&format!("{path}.options"), o),
            (None, Some(r)) => check_range(&format!("{path}.range"), r),
            _ => Err(err(path, "give exactly one of options or range")),
        });
    }
    p.gate()?;

    // Stage 2: the items, each on its own.
    if def.items.is_empty() {
        p.add(err("items", "at least one item is required"));
    }
    p.keep(check_unique(
        "items",
        "id",
        def.items.iter().map(|i| i.id.as_str()),
    ));
    let texts_allowed =
        def.licence.status.allows_item_text() || def.licence.permission_note.is_some();
    let mut items = Vec::with_capacity(def.items.len());
    for (i, item) in def.items.iter().enumerate() {
        if let Some(resolved) = p.keep(resolve_item(&def, i, item, texts_allowed)) {
            items.push(resolved);
        }
    }
    p.gate()?;
    let n_scored = items.iter().filter(|i| i.scored).count();
    if n_scored == 0 {
        return Err(vec![err("items", "at least one item must be scored")]);
    }

    // Stage 3: scoring and subscales.
    let s = &def.scoring;
    if s.max_missing as usize >= n_scored {
        p.add(err(
            "scoring.max_missing",
            "must be smaller than the number of scored items",
        ));
    } else if s.method == Method::Sum && s.max_missing != 0 {
        p.add(err(
            "scoring.max_missing",
            "must be 0 for method sum; use prorated_sum or mean to allow missing items",
        ));
    }
    p.keep(check_unique(
        "scoring.codings",
        "id",
        s.codings.iter().map(|c| c.id.as_str()),
    ));
    for (i, c) in s.codings.iter().enumerate() {
        p.keep(check_bounded(
            &format!("scoring.codings[{i}].item_offset"),
            c.item_offset,
        ));
    }
    if !s.range.iter().all(|x| x.is_finite()) {
        p.add(err("scoring.range", "must be finite numbers"));
    }
    let default_coding = if s.codings.is_empty() {
        0
    } else {
        let defaults: Vec<usize> = s
            .codings
            .iter()
            .enumerate()
            .filter(|(_, c)| c.default)
            .map(|(i, _)| i)
            .collect();
        if defaults.len() != 1 {
            p.add(err(
                "scoring.codings",
                "exactly one coding must have default = true",
            ));
        }
        defaults.first().copied().unwrap_or(0)
    };

    let index_of = |id: &str| def.items.iter().position(|it| it.id == id);
    p.keep(check_unique(
        "subscales",
        "id",
        def.subscales.iter().map(|s| s.id.as_str()),
    ));
    let mut subscales = Vec::new();
    for (i, sub) in def.subscales.iter().enumerate() {
        let resolved = (|| {
            if sub.items.is_empty() {
                return Err(err(format!("subscales[{i}].items"), "must not be empty"));
            }
            let mut idx = Vec::new();
            for id in &sub.items {
                match index_of(id) {
                    Some(k) if items[k].scored => idx.push(k),
                    Some(_) => {
                        return Err(err(
                            format!("subscales[{i}].items"),
                            "lists an unscored item",
                        ));
                    }
                    None => {
                        return Err(err(
                            format!("subscales[{i}].items"),
                            "lists an unknown item id",
                        ));
                    }
                }
            }
            Ok(idx)
        })();
        if let Some(idx) = p.keep(resolved) {
            subscales.push(idx);
        }
    }
    p.gate()?;

    let mut inst = Instrument {
        def,
        items,
        default_coding,
        subscales,
        risk: Vec::new(),
        rules: Vec::new(),
    };

    // The declared range is a checksum on the items: a typo in an option code shows up here.
    let (lo, hi) = inst.range_under(inst.default_coding_offset());
    let declared = inst.def.scoring.range;
    if (lo - declared[0]).abs() > 1e-9 || (hi - declared[1]).abs() > 1e-9 {
        return Err(vec![err(
            "scoring.range",
            format!("does not match the items (computed {lo}..{hi})"),
        )]);
    }

    // Stage 4: bands, cut-offs and rules, each on its own.
    let def = &inst.def;
    p.keep(check_unique(
        "band_sets",
        "id",
        def.band_sets.iter().map(|b| b.id.as_str()),
    ));
    if def.band_sets.len() > 1 && def.band_sets.iter().filter(|b| b.default).count() != 1 {
        p.add(err(
            "band_sets",
            "exactly one band set must have default = true",
        ));
    }
    let integer_totals = def.scoring.method == Method::Sum;
    for (b, set) in def.band_sets.iter().enumerate() {
        p.keep(check_band_set(b, set, integer_totals, (lo, hi)));
    }

    p.keep(check_unique(
        "cutoffs",
        "id",
        def.cutoffs.iter().map(|c| c.id.as_str()),
    ));
    for (i, c) in def.cutoffs.iter().enumerate() {
        p.keep(check_cutoff(def, i, c));
    }
    if let Some(d) = &def.default_cutoff
        && !def.cutoffs.iter().any(|c| &c.id == d)
    {
        p.add(err("default_cutoff", "names no entry of cutoffs"));
    }

    p.keep(check_unique(
        "risk_rules",
        "id",
        def.risk_rules.iter().map(|r| r.id.as_str()),
    ));
    let mut risk = Vec::new();
    for (i, r) in def.risk_rules.iter().enumerate() {
        p.keep(check_nonempty(
            &format!("risk_rules[{i}].message"),
            &r.message,
        ));
        p.keep(check_nonempty(
            &format!("risk_rules[{i}].source"),
            &r.source,
        ));
        if let Some(c) = p.keep(compile(def, &format!("risk_rules[{i}].when"), &r.when)) {
            risk.push(c);
        }
    }
    p.keep(check_unique(
        "rules",
        "id",
        def.rules.iter().map(|r| r.id.as_str()),
    ));
    let mut rules = Vec::new();
    for (i, r) in def.rules.iter().enumerate() {
        if let Some(c) = p.keep(compile(def, &format!("rules[{i}].when"), &r.when)) {
            rules.push(c);
        }
    }
    p.gate()?;
    inst.risk = risk;
    inst.rules = rules;
    Ok(inst)
}

/// One item: its text under the licence, and its codes from its response set, options or range.
fn resolve_item(
    def: &InstrumentDef,
    i: usize,
    item: &ItemDef,
    texts_allowed: bool,
) -> Result<ResolvedItem, FieldError> {
    let path = format!("items[{i}]");
    if item.text.is_some() && !texts_allowed {
        return Err(err(
            format!("{path}.text"),
            "item text is not allowed under this licence status without licence.permission_note",
        ));
    }
    if item.text.is_none() && item.label.is_none() {
        return Err(err(path, "give a text or a neutral label"));
    }
    let codes: Vec<i32> = match (&item.response_set, &item.options, &item.range) {
        (Some(name), None, None) => match def.response_sets.get(name) {
            Some(ResponseSet {
                options: Some(o), ..
            }) => o.iter().map(|o| o.code).collect(),
            Some(ResponseSet { range: Some(r), .. }) => (r.min..=r.max).collect(),
            _ => {
                return Err(err(
                    format!("{path}.response_set"),
                    "names no entry of response_sets",
                ));
            }
        },
        (None, Some(o), None) => {
            check_options(&format!("{path}.options"), o)?;
            o.iter().map(|o| o.code).collect()
        }
        (None, None, Some(r)) => {
            check_range(&format!("{path}.range"), r)?;
            (r.min..=r.max).collect()
        }
        _ => {
            return Err(err(
                path,
                "give exactly one of response_set, options or range",
            ));
        }
    };
    let (Some(&min), Some(&max)) = (codes.iter().min(), codes.iter().max()) else {
        return Err(err(path, "has no response codes"));
    };
    Ok(ResolvedItem {
        codes,
        min,
        max,
        reverse: item.reverse_keyed,
        scored: item.scored,
    })
}

/// One band set: ascending bands without gaps or overlaps that cover the scoring range.
fn check_band_set(
    b: usize,
    set: &BandSetDef,
    integer_totals: bool,
    (lo, hi): (f64, f64),
) -> Result<(), FieldError> {
    let path = format!("band_sets[{b}].bands");
    if set.bands.is_empty() {
        return Err(err(path, "must not be empty"));
    }
    check_unique(&path, "id", set.bands.iter().map(|b| b.id.as_str()))?;
    for (k, band) in set.bands.iter().enumerate() {
        // NaN compares false everywhere, so it would pass every check below.
        if !band.min.is_finite() || !band.max.is_finite() {
            return Err(err(
                format!("{path}[{k}]"),
                "min and max must be finite numbers",
            ));
        }
        if band.min > band.max {
            return Err(err(format!("{path}[{k}]"), "min must not exceed max"));
        }
        if k > 0 {
            let prev = &set.bands[k - 1];
            let gap_ok = if integer_totals {
                (band.min - (prev.max + 1.0)).abs() < 1e-9
            } else {
                band.min > prev.max
            };
            if !gap_ok {
                return Err(err(
                    format!("{path}[{k}].min"),
                    "bands must be ascending without gaps or overlaps",
                ));
            }
        }
    }
    if (set.bands[0].min - lo).abs() > 1e-9
        || (set.bands[set.bands.len() - 1].max - hi).abs() > 1e-9
    {
        return Err(err(path, "bands must cover the scoring range"));
    }
    Ok(())
}

/// One cut-off: a finite threshold with its source, on a coding and subscale that exist.
fn check_cutoff(def: &InstrumentDef, i: usize, c: &CutoffDef) -> Result<(), FieldError> {
    let path = format!("cutoffs[{i}]");
    if !c.threshold.is_finite() {
        return Err(err(format!("{path}.threshold"), "must be a finite number"));
    }
    check_nonempty(&format!("{path}.source"), &c.source)?;
    if let Some(coding) = &c.coding
        && !def.scoring.codings.iter().any(|k| &k.id == coding)
    {
        return Err(err(
            format!("{path}.coding"),
            "names no coding in scoring.codings",
        ));
    }
    if let Some(sub) = &c.subscale
        && !def.subscales.iter().any(|s| &s.id == sub)
    {
        return Err(err(format!("{path}.subscale"), "names no subscale"));
    }
    Ok(())
}

fn compile(def: &InstrumentDef, path: &str, c: &ConditionDef) -> Result<Condition, FieldError> {
    let forms = [
        c.item.is_some(),
        c.items.is_some(),
        c.subscale.is_some(),
        c.total.is_some(),
        c.all.is_some(),
        c.any.is_some(),
    ]
    .iter()
    .filter(|x| **x)
    .count();
    if forms != 1 {
        return Err(err(
            path,
            "give exactly one of item, items, subscale, total, all or any",
        ));
    }
    let leaf = || -> Result<(Comparison, f64), FieldError> {
        match (c.comparison, c.threshold) {
            (Some(cmp), Some(t)) if t.is_finite() => Ok((cmp, t)),
            _ => Err(err(path, "needs comparison and threshold")),
        }
    };
    let item_index = |id: &str, p: &str| -> Result<usize, FieldError> {
        def.items
            .iter()
            .position(|it| it.id == id)
            .ok_or_else(|| err(p, "names an unknown item id"))
    };
    if let Some(id) = &c.item {
        let (cmp, t) = leaf()?;
        return Ok(Condition::Item {
            item: item_index(id, &format!("{path}.item"))?,
            cmp,
            threshold: t,
        });
    }
    if let Some(ids) = &c.items {
        let (cmp, t) = leaf()?;
        if ids.is_empty() {
            return Err(err(format!("{path}.items"), "must not be empty"));
        }
        let idx = ids
            .iter()
            .map(|id| item_index(id, &format!("{path}.items")))
            .collect::<Result<Vec<_>, _>>()?;
        let at_least = c.at_least.unwrap_or(1);
        if at_least == 0 || at_least as usize > idx.len() {
            return Err(err(
                format!("{path}.at_least"),
                "must be between 1 and the number of items",
            ));
        }
        return Ok(Condition::Count {
            items: idx,
            cmp,
            threshold: t,
            at_least: at_least as usize,
        });
    }
    if let Some(sub) = &c.subscale {
        let (cmp, t) = leaf()?;
        let k = def
            .subscales
            .iter()
            .position(|s| &s.id == sub)
            .ok_or_else(|| err(format!("{path}.subscale"), "names no subscale"))?;
        return Ok(Condition::Subscale {
            subscale: k,
            cmp,
            threshold: t,
        });
    }
    if let Some(total) = c.total {
        if !total {
            return Err(err(format!("{path}.total"), "must be true when given"));
        }
        let (cmp, t) = leaf()?;
        return Ok(Condition::Total { cmp, threshold: t });
    }
    let (list, is_all) = match (&c.all, &c.any) {
        (Some(l), None) => (l, true),
        (None, Some(l)) => (l, false),
        _ => unreachable!("exactly one form was checked above"),
    };
    if list.is_empty() {
        return Err(err(path, "all/any must not be empty"));
    }
    if c.comparison.is_some() || c.threshold.is_some() || c.at_least.is_some() {
        return Err(err(
            path,
            "all/any take no comparison, threshold or at_least",
        ));
    }
    let key = if is_all { "all" } else { "any" };
    let subs = list
        .iter()
        .enumerate()
        .map(|(i, s)| compile(def, &format!("{path}.{key}[{i}]"), s))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(if is_all {
        Condition::All(subs)
    } else {
        Condition::Any(subs)
    })
}
