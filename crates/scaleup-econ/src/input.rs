//! Shared input plumbing for the scenario files of the planner, budget impact and ROI models:
//! parameter errors that name a field, TOML parsing that turns byte spans into line numbers, and
//! the "one value or one value per year" type.
//!
//! Parsing text is not I/O: callers read the file and hand over its contents, so everything here
//! stays testable without a file system.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use toml::de::{DeArray, DeTable, DeValue};

/// A parameter that failed a validity rule. `field` is a dotted path such as
/// `scenario[1].attrition`; the message states the rule, never the rejected value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("field `{field}`: {message}")]
pub struct ParamError {
    /// Dotted path of the offending field.
    pub field: String,
    /// The rule that was broken.
    pub message: String,
}

impl ParamError {
    /// Builds an error for `field` with a rule description.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// Prefixes the field path, e.g. `attrition` becomes `scenario[1].attrition`.
    pub fn within(mut self, prefix: &str) -> Self {
        if !prefix.is_empty() {
            self.field = format!("{prefix}.{}", self.field);
        }
        self
    }
}

/// An error in a scenario file: where it is (line, field) and what is wrong.
/// The caller adds the file name.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FileError {
    /// The text is not valid TOML or a value has the wrong type or an unknown key.
    #[error("line {line}{}: {message}", field_suffix(.field))]
    Syntax {
        /// 1-based line.
        line: usize,
        /// The key whose value is at fault, when it can be found.
        field: Option<String>,
        /// Parser message.
        message: String,
    },
    /// The file parsed but a parameter breaks a rule.
    #[error("{}field `{field}`: {message}", line_prefix(*.line))]
    Invalid {
        /// 1-based line of the field (or of the nearest enclosing table), when known.
        line: Option<usize>,
        /// Dotted path of the field.
        field: String,
        /// The rule that was broken.
        message: String,
    },
}

fn field_suffix(field: &Option<String>) -> String {
    field
        .as_ref()
        .map(|f| format!(", field `{f}`"))
        .unwrap_or_default()
}

fn line_prefix(line: Option<usize>) -> String {
    line.map(|l| format!("line {l}, ")).unwrap_or_default()
}

/// Deserialises `text` into `T`, reporting the line and the key on failure.
pub fn parse_toml<T: DeserializeOwned>(text: &str) -> Result<T, FileError> {
    toml::from_str(text).map_err(|err| {
        let offset = err.span().map(|s| s.start).unwrap_or(0);
        FileError::Syntax {
            line: line_of(text, offset),
            field: path_at(text, offset),
            message: err.message().trim().to_string(),
        }
    })
}

/// Turns a [`ParamError`] into a [`FileError`] with the line of the field. Paths are tried in
/// order: the error's own path, then each of `fallbacks` with the error's last key appended
/// (a scenario inherits from `[base]`, so a bad inherited value lives there).
pub fn locate_param(text: &str, err: ParamError, fallbacks: &[&str]) -> FileError {
    let mut line = find_line(text, &err.field);
    if line.is_none() {
        let leaf = err.field.rsplit('.').next().unwrap_or(&err.field);
        for prefix in fallbacks {
            line = find_line(text, &format!("{prefix}.{leaf}"));
            if line.is_some() {
                break;
            }
        }
    }
    if line.is_none()
        && let Some((scalar, _)) = err.field.strip_suffix(']').and_then(|f| f.rsplit_once('['))
    {
        // `growth[0]` of a value given once for every year: the value's own line.
        line = find_line(text, scalar);
    }
    if line.is_none() {
        // Fall back to the nearest enclosing table that exists, so the user at least sees
        // which block to look in.
        let mut path = err.field.as_str();
        while let Some((head, _)) = path.rsplit_once('.') {
            line = find_line(text, head);
            if line.is_some() {
                break;
            }
            path = head;
        }
    }
    FileError::Invalid {
        line,
        field: err.field,
        message: err.message,
    }
}

/// 1-based line containing byte `offset`.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

fn segments(path: &str) -> Vec<Seg<'_>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            out.push(Seg::Key(key));
        }
        for idx in rest.split('[').filter(|s| !s.is_empty()) {
            if let Ok(i) = idx.trim_end_matches(']').parse() {
                out.push(Seg::Index(i));
            }
        }
    }
    out
}

/// Line of the value at a dotted path such as `scenario[1].coverage[2]`, if present.
pub fn find_line(text: &str, path: &str) -> Option<usize> {
    let doc = DeTable::parse(text).ok()?;
    let segs = segments(path);
    if segs.is_empty() {
        return None;
    }
    let mut table: Option<&DeTable<'_>> = Some(doc.get_ref());
    let mut array: Option<&DeArray<'_>> = None;
    let mut span = None;
    for seg in segs {
        let next = match seg {
            Seg::Key(k) => table?.iter().find(|(key, _)| key.get_ref() == k)?.1,
            Seg::Index(i) => array?.get(i)?,
        };
        span = Some(next.span());
        table = None;
        array = None;
        match next.get_ref() {
            DeValue::Table(t) => table = Some(t),
            DeValue::Array(a) => array = Some(a),
            _ => {}
        }
    }
    span.map(|s| line_of(text, s.start))
}

/// Dotted path of the innermost key whose value contains byte `offset`.
///
/// Spans of `[table]` and `[[array]]` headers cover only the header, so the search descends
/// into every container and checks containment at the leaves (and inline containers).
pub fn path_at(text: &str, offset: usize) -> Option<String> {
    let (doc, _) = DeTable::parse_recoverable(text);
    let path = search_table(doc.get_ref(), offset, "")?;
    Some(path.trim_start_matches('.').to_string())
}

fn search_table(t: &DeTable<'_>, offset: usize, prefix: &str) -> Option<String> {
    for (k, v) in t.iter() {
        let here = format!("{prefix}.{}", k.get_ref());
        if k.span().contains(&offset) {
            return Some(here);
        }
        if let Some(p) = search_value(v.get_ref(), offset, &here) {
            return Some(p);
        }
        if v.span().contains(&offset) {
            return Some(here);
        }
    }
    None
}

fn search_value(v: &DeValue<'_>, offset: usize, prefix: &str) -> Option<String> {
    match v {
        DeValue::Table(t) => search_table(t, offset, prefix),
        DeValue::Array(a) => a.iter().enumerate().find_map(|(i, e)| {
            let here = format!("{prefix}[{i}]");
            search_value(e.get_ref(), offset, &here)
                .or_else(|| e.span().contains(&offset).then_some(here))
        }),
        _ => None,
    }
}

/// A parameter given once (constant over the horizon) or once per year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PerYear {
    /// Same value every year.
    Constant(f64),
    /// One value per year, in order.
    Yearly(Vec<f64>),
}

impl PerYear {
    /// Expands to exactly `years` values, or explains the length mismatch.
    pub fn expand(&self, field: &str, years: usize) -> Result<Vec<f64>, ParamError> {
        match self {
            PerYear::Constant(v) => Ok(vec![*v; years]),
            PerYear::Yearly(v) if v.len() == years => Ok(v.clone()),
            PerYear::Yearly(v) => Err(ParamError::new(
                field,
                format!("has {} values but the horizon is {years} years", v.len()),
            )),
        }
    }
}

/// Checks that every value is finite and inside `[lo, hi]`.
/// Checks a horizon before anything is sized by it: per-year values are expanded to `years`
/// entries, and each year's loop indexes an `i32` calendar year, so an unchecked `years` of
/// 4,000,000,000 asked for 32 GB and wrapped the year.
pub fn check_years(years: usize, max: usize) -> Result<(), ParamError> {
    if (1..=max).contains(&years) {
        Ok(())
    } else {
        Err(ParamError::new(
            "years",
            format!("must be between 1 and {max}"),
        ))
    }
}

/// Earliest and latest calendar year a scenario may start in; years are `i32` and a horizon
/// adds at most 100 to the start, so these keep every year in range.
pub const START_YEARS: std::ops::RangeInclusive<i32> = 1..=9999;

/// Checks a scenario's first calendar year (see [`START_YEARS`]).
pub fn check_start_year(start_year: i32) -> Result<(), ParamError> {
    if START_YEARS.contains(&start_year) {
        Ok(())
    } else {
        Err(ParamError::new(
            "start_year",
            format!(
                "must be between {} and {}",
                START_YEARS.start(),
                START_YEARS.end()
            ),
        ))
    }
}

pub fn check_range(field: &str, values: &[f64], lo: f64, hi: f64) -> Result<(), ParamError> {
    for (i, v) in values.iter().enumerate() {
        if !v.is_finite() || *v < lo || *v > hi {
            let name = if values.len() == 1 {
                field.to_string()
            } else {
                format!("{field}[{i}]")
            };
            return Err(ParamError::new(
                name,
                format!("must be a number between {lo} and {hi}"),
            ));
        }
    }
    Ok(())
}

/// Checks that a value is finite and `>= 0`.
pub fn check_nonneg(field: &str, v: f64) -> Result<(), ParamError> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(ParamError::new(field, "must be a finite number >= 0"))
    }
}

/// Checks that a value is finite and `> 0`.
pub fn check_positive(field: &str, v: f64) -> Result<(), ParamError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(ParamError::new(field, "must be a finite number > 0"))
    }
}

/// Rounds up, forgiving floating-point noise: 55.000000000001 is 55, not 56.
/// Head counts and cohorts are whole people; the tolerance is far below any real fraction.
pub fn ceil_count(x: f64) -> f64 {
    let r = x.round();
    if (x - r).abs() < 1e-9 {
        r.max(0.0)
    } else {
        x.ceil().max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "title = \"x\"\n[base]\nattrition = 0.1\n\n[[scenario]]\nname = \"a\"\n\n[[scenario]]\nname = \"b\"\ncoverage = [0.1, 0.2]\n";

    #[test]
    fn finds_lines_of_nested_paths() {
        assert_eq!(find_line(DOC, "title"), Some(1));
        assert_eq!(find_line(DOC, "base.attrition"), Some(3));
        assert_eq!(find_line(DOC, "scenario[1].name"), Some(9));
        assert_eq!(find_line(DOC, "scenario[1].coverage[1]"), Some(10));
        assert_eq!(find_line(DOC, "scenario[0].coverage"), None);
    }

    #[test]
    fn locates_inherited_fields_in_base() {
        let e = locate_param(
            DOC,
            ParamError::new("scenario[0].attrition", "bad"),
            &["base"],
        );
        assert_eq!(
            e,
            FileError::Invalid {
                line: Some(3),
                field: "scenario[0].attrition".into(),
                message: "bad".into()
            }
        );
    }

    #[test]
    fn path_at_names_the_key() {
        let off = DOC.find("0.2").unwrap();
        assert_eq!(
            path_at(DOC, off).as_deref(),
            Some("scenario[1].coverage[1]")
        );
    }

    #[test]
    fn ceil_count_ignores_noise() {
        assert_eq!(ceil_count(55.000000000001), 55.0);
        assert_eq!(ceil_count(54.05), 55.0);
        assert_eq!(ceil_count(0.0), 0.0);
    }
}
