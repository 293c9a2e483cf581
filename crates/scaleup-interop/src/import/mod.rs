//! Imports: files from other systems turned into scaleup records and definitions, as pure
//! translations. Each reader takes a [`std::io::Read`] (or, for .xlsx and zips, `Read + Seek`) and
//! yields either domain values or errors that name the file, sheet, row and column, never the
//! rejected value.
//!
//! - [`xlsform`]: an XLSForm workbook (survey, choices, settings) → a [`form::Form`];
//!   [`form::Form::to_instrument`] turns a form into an instrument definition file (and item-text
//!   files per language), refusing what an instrument cannot hold with the sheet, row and column.
//! - [`redcap`]: a REDCap data dictionary (18-column CSV) → forms, and the flat record export's
//!   header conventions (`record_id`, events, repeat instances, `field___code` checkboxes).
//! - [`mapping`]: the mapping file (TOML) that turns rows of a tabular export (ODK Central,
//!   KoboToolbox, REDCap) into records, [`mapping::Rows`], the streaming reader that applies it
//!   one row at a time, [`mapping::RepeatRows`], which joins a repeat group's rows (nested ones
//!   through the rows they are nested in) to their submissions, and [`mapping::read_export`],
//!   the one order in which an export's tables are read.
//! - [`central`]: ODK Central's "all submissions" export zip read as it is downloaded: the
//!   submissions' CSV and each repeat group's (nested ones too) found by name, measured, then
//!   streamed entry by entry through [`mapping::read_export`].
//! - [`kobo`]: KoboToolbox's XLSX export, the only one of its exports that holds repeat groups:
//!   measured (a workbook is read whole, so one too large is refused), the submissions' sheet and
//!   each repeat group's read cell by cell into text rows, then through
//!   [`mapping::read_export`] joined by `_parent_index` ([`mapping::Join::Kobo`]).
//! - [`table`]: the CSV reader under every tabular import: UTF-8 only, bounded lines and cells,
//!   rows of the wrong width reported, never guessed; [`table::RowSource`], what the mapping's
//!   readers take (a CSV, or a workbook's sheet).
//! - [`dhis2`]: a DHIS2 Tracker payload (`trackedEntities`, `enrollments`, `events`) → records,
//!   through the same mapping file the tracker export uses, streamed element by element.
//! - [`expr`]: the subset of XLSForm expressions (`relevant`, `constraint`) scaleup reads.
//!
//! Every imported record gets a UUID derived (UUIDv5) from its source's stable key (ODK
//! instance id, REDCap record + event + instance, DHIS2 uid), so the same file imported twice
//! names the same records and changes nothing. The records are [`ImportedRecord`]s: the caller
//! pushes them through the same path a device's sync takes, which validates, scores, raises
//! alerts and audits.

pub mod central;
pub mod dhis2;
pub mod expr;
pub mod form;
pub mod kobo;
pub mod mapping;
pub mod redcap;
pub mod table;
pub mod xlsform;

use scaleup_domain::record::RecordKind;
use std::collections::BTreeMap;
use std::fmt;
use uuid::Uuid;

/// Where in a source something is: the file, and as far as known the sheet, row and column.
/// Rows count as a spreadsheet shows them: the header is row 1.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub sheet: Option<String>,
    pub row: Option<u64>,
    pub column: Option<String>,
}

impl Location {
    pub fn file(file: &str) -> Location {
        Location {
            file: file.to_string(),
            ..Location::default()
        }
    }

    /// This location in a sheet.
    pub fn sheet(&self, sheet: &str) -> Location {
        let mut at = self.clone();
        at.sheet = Some(sheet.to_string());
        at
    }

    /// This location at a row.
    pub fn row(&self, row: u64) -> Location {
        let mut at = self.clone();
        at.row = Some(row);
        at
    }

    /// This location at a column.
    pub fn column(&self, column: &str) -> Location {
        let mut at = self.clone();
        at.column = Some(column.to_string());
        at
    }

    /// An error at this location.
    pub fn error(&self, message: impl Into<String>) -> ImportError {
        ImportError {
            location: self.clone(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(s) = &self.sheet {
            write!(f, ": sheet {s}")?;
        }
        if let Some(r) = self.row {
            write!(f, ", row {r}")?;
        }
        if let Some(c) = &self.column {
            write!(f, ", column {c}")?;
        }
        Ok(())
    }
}

/// Why (part of) a file cannot be imported. The message names the rule broken, never the value
/// found: values are clinical or identifying.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {message}")]
pub struct ImportError {
    pub location: Location,
    pub message: String,
}

/// One record ready to be pushed: kind, derived id, the time the source says it was made, and
/// the record body (already checked against the record kind's rules).
#[derive(Clone, Debug, PartialEq)]
pub struct ImportedRecord {
    pub kind: RecordKind,
    pub id: Uuid,
    /// RFC 3339, UTC.
    pub device_time: String,
    pub data: serde_json::Value,
}

/// What one source unit (a CSV row, a DHIS2 object) became: its records, or every reason it
/// was refused. A refused unit contributes no record at all.
#[derive(Clone, Debug, PartialEq)]
pub struct Unit {
    pub location: Location,
    pub outcome: Result<Vec<ImportedRecord>, Vec<ImportError>>,
}

/// The scaleup entities a mapping refers to by code, resolved by the caller from the store:
/// programme code → id, facility code → id, username → user id.
#[derive(Clone, Debug, Default)]
pub struct Targets {
    pub programmes: BTreeMap<String, Uuid>,
    pub facilities: BTreeMap<String, Uuid>,
    pub users: BTreeMap<String, Uuid>,
}

/// The namespace of every imported record's UUID (UUIDv5 of `scaleup:import`).
fn namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_OID, b"scaleup:import")
}

/// The record id of a source's stable key: the same key always gives the same id, different
/// sources never collide (`source` is part of the name).
pub fn record_uuid(source: &str, key: &str) -> Uuid {
    let name = format!("{source}\u{1f}{key}");
    Uuid::new_v5(&namespace(), name.as_bytes())
}

/// A timestamp as the source wrote it, as RFC 3339 in UTC: a date alone is midnight UTC and a
/// date-time without an offset is read as UTC. `None` for anything else.
pub fn normalise_time(text: &str) -> Option<String> {
    let t = text.trim();
    if t.len() == 10 {
        scaleup_domain::date::Date::parse(t, "time").ok()?;
        return Some(format!("{t}T00:00:00Z"));
    }
    if t.len() < 19 || !t.is_char_boundary(10) {
        return None;
    }
    scaleup_domain::date::Date::parse(&t[..10], "time").ok()?;
    let sep = t.as_bytes()[10];
    if sep != b'T' && sep != b' ' {
        return None;
    }
    let rest = &t[11..];
    let has_offset = rest.ends_with('Z')
        || rest.ends_with('z')
        || rest
            .rfind(['+', '-'])
            .is_some_and(|i| i >= 8 && rest.len() - i == 6);
    let mut out = format!("{}T{}", &t[..10], rest);
    if !has_offset {
        out.push('Z');
    }
    let ok = out.len() <= 40
        && out[11..]
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ':' | '.' | '+' | '-' | 'Z' | 'z'));
    ok.then_some(out)
}

/// A date (`YYYY-MM-DD`) from a date or a date-time cell.
pub fn date_part(text: &str) -> Option<&str> {
    let t = text.trim();
    let d = t.get(..10)?;
    if t.len() > 10 && !matches!(t.as_bytes()[10], b'T' | b' ') {
        return None;
    }
    scaleup_domain::date::Date::parse(d, "date").ok()?;
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_ids_are_stable_and_scoped_by_source() {
        assert_eq!(record_uuid("odk", "uuid:1"), record_uuid("odk", "uuid:1"));
        assert_ne!(
            record_uuid("odk", "uuid:1"),
            record_uuid("redcap", "uuid:1")
        );
        assert_eq!(record_uuid("odk", "a").get_version_num(), 5);
    }

    #[test]
    fn times_become_rfc3339_utc() {
        assert_eq!(
            normalise_time("2018-04-26T08:58:20.525Z").as_deref(),
            Some("2018-04-26T08:58:20.525Z")
        );
        assert_eq!(
            normalise_time("2024-01-05T10:00:00").as_deref(),
            Some("2024-01-05T10:00:00Z")
        );
        assert_eq!(
            normalise_time("2024-01-05 10:00:00+03:00").as_deref(),
            Some("2024-01-05T10:00:00+03:00")
        );
        assert_eq!(
            normalise_time("2024-01-05").as_deref(),
            Some("2024-01-05T00:00:00Z")
        );
        assert_eq!(normalise_time("05/01/2024"), None);
        assert_eq!(normalise_time("2024-01-05Tgarbage=cmd"), None);
        assert_eq!(normalise_time("2024-01-0é"), None);
        assert_eq!(date_part("2024-01-05T10:00:00Z"), Some("2024-01-05"));
        assert_eq!(date_part("2024-01-05x"), None);
        assert_eq!(date_part("é"), None);
    }
}
