//! KoboToolbox's XLSX data export ("XML values and headers"), repeat groups included.
//!
//! KoboToolbox cannot export repeat groups as CSV; its workbook (formpack) holds the submissions
//! on the first sheet (columns named by XML name, `group/question` when groups are in the
//! headers, and the meta columns `_id`, `_uuid`, `_submission_time`, `_index`, ...) and one sheet
//! per repeat group, nested ones included, named after the group (as formpack makes a name fit
//! Excel: [`is_sheet_of`]), whose rows carry `_index` (the row within that sheet),
//! `_parent_table_name` (the section of the row they belong to: the form, or the repeat they are
//! nested in) and `_parent_index` (that row's `_index`).
//!
//! [`KoboWorkbook::open`] measures the workbook before calamine reads it (calamine reads a whole
//! sheet, and inflates shared strings whole, into memory: a workbook larger than
//! [`MAX_UNZIPPED`] once unzipped is refused with what to do instead, rather than pretending to
//! stream), then reads the first sheet and the sheet of each of the mapping's `[[repeats]]`
//! groups, cell by cell, into text rows: numbers without a trailing `.0` when whole, dates as
//! `YYYY-MM-DD`, date-times as RFC 3339 (Excel keeps no offset: read as UTC, as Kobo writes
//! `_submission_time`), so the mapping of the CSV export reads the workbook alike. A group whose
//! sheet is missing, or whose rows belong elsewhere than the mapping nests it (`nested_in`:
//! their `_parent_table_name`), is refused before any record is made. [`KoboWorkbook::read`]
//! then hands the rows to the same readers as a CSV's ([`read_export`] with [`Join::Kobo`]): a
//! nested group's rows are joined by `_parent_index` to the accepted rows of the group they are
//! nested in, and through them to their submission.
//!
//! Reports name the file, the sheet, the row as Excel numbers it and the column header, never a
//! value.

use super::mapping::{
    Join, Mapping, Pass, Source, Tables, nesting_mismatch, plain_name, read_export,
};
use super::table::{MAX_CELL, MAX_COLUMNS, Row, RowSource};
use super::xlsform::{CellText, WorkbookLimits, cell_text_with, check_workbook, col_letter};
use super::{ImportError, Location, Targets, Unit};
use calamine::{DataRef, ExcelDateTime, Reader, Xlsx};
use scaleup_domain::date::Date;
use std::collections::{BTreeMap, VecDeque};
use std::io::{Read, Seek, SeekFrom};

/// Most bytes of a workbook as sent.
pub const MAX_WORKBOOK: u64 = 64 << 20;

/// Most bytes a workbook's entries may hold once unzipped. The sheets read are held whole in
/// memory as text, about as large as their XML; KoboToolbox's own server fails to build an
/// XLSX export of more than a few thousand submissions, which stays well under this.
pub const MAX_UNZIPPED: u64 = 128 << 20;

/// Most entries in a workbook's zip (one per sheet and a few more).
pub const MAX_ENTRIES: usize = 1_000;

/// Most cells held for the sheets read, counted as rows × header columns (a row is held as
/// wide as its header): about 120 MB of empty cells at worst, and more than twice what a
/// KoboToolbox export of 5,000 submissions of 400 questions holds. The unzipped size alone
/// does not bound it: a single far-right header cell would make every short row as wide.
pub const MAX_CELLS: u64 = 5_000_000;

/// The longest sheet name Excel keeps: a longer group's sheet has its name cut ([`is_sheet_of`]).
pub const SHEET_NAME_MAX: usize = 31;

/// What to do instead of importing a workbook too large to read whole.
const TOO_LARGE: &str = "; scaleup reads a KoboToolbox workbook whole, so a larger one is refused: use the CSV export (it cannot hold repeat groups), or export fewer submissions at a time (a date range) or page through KoboToolbox's API";

/// A sheet's name as reports show it: no control characters (a name comes from the file).
fn shown(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .take(64)
        .collect()
}

/// The first `n` characters of `text`.
fn first_chars(text: &str, n: usize) -> &str {
    match text.char_indices().nth(n) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

/// Whether `sheet` is the sheet KoboToolbox's exporter names for the section `section` (the
/// form's title, or a repeat group's name), as formpack does it (kobotoolbox/formpack
/// `utils/string.py`, `unique_name_for_xls`, called by `Export.to_xlsx`; its test
/// `test_excel_compatible_worksheet_names`): each of `[]:*?/\` becomes `_`, and so does a `'`
/// that begins or ends the name; a name longer than 31 characters (Excel's limit) keeps its
/// first 28 and ends `...`; a name already taken by a sheet written before (two long names
/// alike in their first 28 characters) ends `... (1)`, `... (2)`, ... after as many
/// characters as fit in 31. A plain cut at 31 characters, which scaleup has always read,
/// still is. `_parent_table_name` holds the section's own name, not its sheet's.
fn is_sheet_of(sheet: &str, section: &str) -> bool {
    if sheet == section {
        return true;
    }
    let mut clean: String = section
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .collect();
    if clean.ends_with('\'') {
        clean.pop();
        clean.push('_');
    }
    if let Some(rest) = clean.strip_prefix('\'') {
        clean = format!("_{rest}");
    }
    if clean.chars().count() <= SHEET_NAME_MAX {
        return sheet == clean;
    }
    if sheet == first_chars(&clean, SHEET_NAME_MAX)
        || sheet
            .strip_suffix("...")
            .is_some_and(|head| head == first_chars(&clean, SHEET_NAME_MAX - 3))
    {
        return true;
    }
    // The `... (n)` of a name taken already.
    let Some((head, n)) = sheet
        .strip_suffix(')')
        .and_then(|rest| rest.rsplit_once("... ("))
    else {
        return false;
    };
    let ellipsis = "... ()".len() + n.len();
    !n.is_empty()
        && !n.starts_with('0')
        && n.bytes().all(|b| b.is_ascii_digit())
        && ellipsis < SHEET_NAME_MAX
        && head == first_chars(&clean, SHEET_NAME_MAX - ellipsis)
}

/// A sheet of the workbook read whole into text rows: its header, then its data rows (or the
/// reason each cannot be read) in order.
#[derive(Clone, Debug)]
pub struct Sheet {
    at: Location,
    name: String,
    header: Vec<String>,
    rows: VecDeque<Result<Row, ImportError>>,
}

impl Sheet {
    /// The sheet's name in the workbook.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Data rows (read or refused).
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The same header without rows: enough to check a mapping against.
    fn header_only(&self) -> Sheet {
        Sheet {
            at: self.at.clone(),
            name: self.name.clone(),
            header: self.header.clone(),
            rows: VecDeque::new(),
        }
    }
}

impl RowSource for Sheet {
    fn location(&self) -> Location {
        self.at.clone()
    }

    fn header(&self) -> &[String] {
        &self.header
    }

    fn next_row(&mut self) -> Option<Result<Row, ImportError>> {
        self.rows.pop_front()
    }
}

/// A date or date-time cell as the text the mapping's types read.
fn time_text(d: &ExcelDateTime) -> CellText {
    let v = d.as_f64();
    if d.is_duration() {
        return Ok(v.to_string());
    }
    // Excel's dates run from 1900-01-01 (serial 1) to 9999-12-31; below 1 is a time of day.
    if !v.is_finite() || !(0.0..2_958_466.0).contains(&v) {
        return Err("holds a date outside the dates a spreadsheet can hold");
    }
    let (y, mo, da, h, mi, s, ms) = d.to_ymd_hms_milli();
    if v < 1.0 {
        return Ok(format!("{h:02}:{mi:02}:{s:02}"));
    }
    Ok(if (h, mi, s, ms) == (0, 0, 0, 0) {
        format!("{y:04}-{mo:02}-{da:02}")
    } else if ms == 0 {
        format!("{y:04}-{mo:02}-{da:02}T{h:02}:{mi:02}:{s:02}Z")
    } else {
        format!("{y:04}-{mo:02}-{da:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
    })
}

/// A typed cell as the text a CSV export would hold: whole numbers without `.0` (a mapping's
/// `integer` reads them), dates and date-times as above, booleans as `true`/`false`.
fn cell_text(v: &DataRef<'_>) -> CellText {
    cell_text_with(v, time_text)
}

/// Reads one sheet into a [`Sheet`]: its first row is the header. A bad header refuses the
/// sheet; a bad cell refuses its row (with the row and the column's header), and reading goes
/// on.
fn read_sheet<RS: Read + Seek>(
    book: &mut Xlsx<RS>,
    file: &str,
    name: &str,
    cells_left: &mut u64,
) -> Result<Sheet, ImportError> {
    let at = Location::file(file).sheet(&shown(name));
    let budget = *cells_left;
    let too_many = |at: &Location| {
        at.error(format!(
            "the sheets read hold more than {MAX_CELLS} cells (rows × columns){TOO_LARGE}"
        ))
    };
    let mut reader = book
        .worksheet_cells_reader(name)
        .map_err(|_| at.error("the sheet could not be read"))?;
    // Row → its non-empty cells (column, text or why not). The cell reader, not calamine's
    // dense ranges: one cell at XFD1048576 must not become a billion empty ones.
    let mut cells: BTreeMap<u32, Vec<(u32, CellText)>> = BTreeMap::new();
    loop {
        let cell = match reader.next_cell() {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(_) => return Err(at.error("the sheet is damaged and could not be read to its end")),
        };
        let (r, c) = cell.get_position();
        if c as usize >= MAX_COLUMNS {
            return Err(at
                .row(u64::from(r) + 1)
                .error(format!("more than {MAX_COLUMNS} columns")));
        }
        let text = cell_text(cell.get_value());
        if text.as_ref().is_ok_and(|t| t.trim().is_empty()) {
            continue;
        }
        *cells_left = cells_left.checked_sub(1).ok_or_else(|| too_many(&at))?;
        cells.entry(r).or_default().push((c, text));
    }
    drop(reader);
    let mut rows = cells.into_iter();
    let Some((head_row, head)) = rows.next() else {
        return Err(at
            .row(1)
            .error("the sheet is empty: a header row is needed"));
    };
    let head_at = at.row(u64::from(head_row) + 1);
    let width = head.iter().map(|(c, _)| *c as usize + 1).max().unwrap_or(0);
    let mut header = vec![String::new(); width];
    for (c, text) in head {
        let text = text.map_err(|m| head_at.column(&col_letter(c)).error(m))?;
        let name = text.trim().to_string();
        if header.contains(&name) {
            return Err(head_at
                .column(&shown(&name))
                .error("this column name appears twice in the header"));
        }
        header[c as usize] = name;
    }
    if let Some(i) = header.iter().position(String::is_empty) {
        return Err(head_at
            .column(&col_letter(i as u32))
            .error("a column between named columns has no name"));
    }
    // The sparse cells counted while reading were a bound on what was read; the dense rows
    // held from here are counted instead.
    *cells_left = budget;
    let mut out = VecDeque::new();
    for (r, row_cells) in rows {
        let row = u64::from(r) + 1;
        let here = at.row(row);
        *cells_left = cells_left
            .checked_sub(width as u64)
            .ok_or_else(|| too_many(&here))?;
        let mut texts = vec![String::new(); width];
        let mut bad = None;
        for (c, text) in row_cells {
            let column = header
                .get(c as usize)
                .map(|h| shown(h))
                .unwrap_or_else(|| col_letter(c));
            match text {
                Err(m) => bad = bad.or(Some(here.column(&column).error(m))),
                Ok(_) if c as usize >= width => {
                    bad = bad.or(Some(here.column(&column).error(
                        "a cell beyond the header's last column (a stray value, or a column without a name)",
                    )))
                }
                Ok(t) if t.len() > MAX_CELL => {
                    bad = bad.or(Some(
                        here.column(&column)
                            .error(format!("longer than {MAX_CELL} bytes")),
                    ))
                }
                Ok(t) => texts[c as usize] = t,
            }
        }
        out.push_back(match bad {
            Some(e) => Err(e),
            None => Ok(Row { row, cells: texts }),
        });
    }
    Ok(Sheet {
        at,
        name: name.to_string(),
        header,
        rows: out,
    })
}

/// KoboToolbox's XLSX export, its sheets found and read for a mapping (see the module).
#[derive(Debug)]
pub struct KoboWorkbook {
    main: Sheet,
    /// The mapping's groups and their sheets, in the mapping's order.
    repeats: Vec<(String, Sheet)>,
}

impl KoboWorkbook {
    /// Opens `input` as KoboToolbox's XLSX export (named `label` in reports) and reads the
    /// sheets `mapping` needs: refused when it is larger than [`MAX_WORKBOOK`], would take more
    /// than `max_unzipped` (at most [`MAX_UNZIPPED`]) once unzipped, is no workbook, lacks a
    /// group's sheet, or a group is a repeat inside another repeat.
    pub fn open<RS: Read + Seek>(
        label: &str,
        mut input: RS,
        mapping: &Mapping,
        max_unzipped: u64,
    ) -> Result<KoboWorkbook, ImportError> {
        let at = Location::file(label);
        if mapping.source != Source::Kobo {
            return Err(at.error(
                "an Excel workbook is read as KoboToolbox's XLSX export: the mapping's source must be \"kobo\" (ODK Central's export is read as CSV or as its zip)",
            ));
        }
        let limits = WorkbookLimits {
            workbook: MAX_WORKBOOK,
            unzipped: max_unzipped.min(MAX_UNZIPPED),
            entries: MAX_ENTRIES,
        };
        check_workbook(label, &mut input, &limits, TOO_LARGE)?;
        // A zip is a workbook when it holds the workbook part; anything else (an ODK Central
        // zip, a zip of CSVs) is refused by name rather than by calamine's error.
        let has_workbook = zip::ZipArchive::new(&mut input)
            .map(|z| z.index_for_name("xl/workbook.xml").is_some())
            .unwrap_or(false);
        if !has_workbook {
            return Err(at.error(
                "a zip, but not an Excel workbook (no xl/workbook.xml): give KoboToolbox's XLSX export, or its CSV export",
            ));
        }
        input
            .seek(SeekFrom::Start(0))
            .map_err(|_| at.error("the file could not be read"))?;
        let mut book: Xlsx<RS> = Xlsx::new(input).map_err(|_| {
            at.error("not an .xlsx workbook that can be read (damaged or password-protected): export it again from KoboToolbox")
        })?;
        let names = book.sheet_names();
        let Some(main_name) = names.first().cloned() else {
            return Err(at.error("the workbook has no sheet"));
        };
        let list = || {
            names
                .iter()
                .map(|n| shown(n))
                .collect::<Vec<_>>()
                .join(", ")
        };
        // Every group's sheet is found before any sheet is read: the sheet of its name, else
        // the one formpack would name for it (`is_sheet_of`).
        let mut wanted: Vec<(String, String)> = Vec::new();
        for r in &mapping.repeats {
            if wanted.iter().any(|(g, _)| *g == r.group) {
                continue;
            }
            let exact = names.iter().skip(1).find(|n| **n == r.group);
            let named: Vec<&String> = match exact {
                Some(n) => vec![n],
                None => names
                    .iter()
                    .skip(1)
                    .filter(|n| is_sheet_of(n, &r.group))
                    .collect(),
            };
            let sheet = match named[..] {
                [one] => one,
                [] => {
                    return Err(at.error(format!(
                        "the mapping reads the repeat group {}, but the workbook has no sheet of that name (its sheets: {}); export with \"XML values and headers\"",
                        shown(&r.group),
                        list()
                    )));
                }
                _ => {
                    let several: Vec<String> = named.iter().map(|n| shown(n)).collect();
                    return Err(at.error(format!(
                        "the mapping reads the repeat group {}, and several sheets could be its ({}): KoboToolbox cuts long names to 31 characters, so which one is cannot be told; give the groups shorter names",
                        shown(&r.group),
                        several.join(", ")
                    )));
                }
            };
            wanted.push((r.group.clone(), sheet.clone()));
        }
        let mut cells_left = MAX_CELLS;
        let main = read_sheet(&mut book, label, &main_name, &mut cells_left)?;
        let mut repeats = Vec::new();
        for (group, name) in &wanted {
            let sheet = read_sheet(&mut book, label, name, &mut cells_left)?;
            // Where the mapping nests the group: the submissions' sheet, or its group's.
            let nested_in = mapping
                .repeats
                .iter()
                .find(|r| r.group == *group)
                .and_then(|r| r.nested_in())
                .and_then(|p| {
                    wanted
                        .iter()
                        .find(|(g, _)| g == p)
                        .map(|(g, s)| (g.as_str(), s.as_str()))
                });
            check_parent_table(&sheet, group, nested_in, &main_name)?;
            repeats.push((group.clone(), sheet));
        }
        Ok(KoboWorkbook { main, repeats })
    }

    /// The submissions' sheet.
    pub fn main(&self) -> &Sheet {
        &self.main
    }

    /// Each of the mapping's groups and its sheet.
    pub fn repeats(&self) -> impl Iterator<Item = (&str, &Sheet)> {
        self.repeats.iter().map(|(g, s)| (g.as_str(), s))
    }

    /// Data rows of every sheet read (for a progress bar).
    pub fn rows(&self) -> u64 {
        (self.main.len() + self.repeats.iter().map(|(_, s)| s.len()).sum::<usize>()) as u64
    }

    /// Reads the export: the submissions, then each repeat group's rows joined to the rows they
    /// belong to (a group after the one it is nested in), handing every unit (one per row) to
    /// `sink`, which returns false to stop. Every sheet's header is checked against the mapping
    /// first, so a group the mapping cannot read stops the import before its first record
    /// ([`read_export`]).
    pub fn read(
        self,
        mapping: &Mapping,
        targets: &Targets,
        today: Date,
        now: &str,
        sink: &mut dyn FnMut(Unit) -> bool,
    ) -> Result<(), Vec<ImportError>> {
        let KoboWorkbook { main, repeats } = self;
        let mut tables = BookTables {
            at: main.at.clone(),
            main: Some(main),
            repeats: repeats.into_iter().map(|(g, s)| (g, Some(s))).collect(),
        };
        read_export(&mut tables, mapping, targets, today, now, sink)
    }
}

/// The sheets read, as [`read_export`] asks for them: a sheet's header alone for the check,
/// then the sheet itself (its rows handed over once).
struct BookTables {
    at: Location,
    main: Option<Sheet>,
    repeats: Vec<(String, Option<Sheet>)>,
}

/// A sheet for `pass`, or the reader's own mistake (a sheet asked for twice).
fn sheet_for(
    sheet: &mut Option<Sheet>,
    pass: Pass,
    at: &Location,
) -> Result<Box<dyn RowSource + 'static>, Vec<ImportError>> {
    let given = match pass {
        Pass::Check => sheet.as_ref().map(Sheet::header_only),
        Pass::Read => sheet.take(),
    };
    given
        .map(|s| Box::new(s) as Box<dyn RowSource>)
        .ok_or_else(|| vec![at.error("a sheet was read twice")])
}

impl Tables for BookTables {
    fn join(&self) -> Join {
        Join::Kobo
    }

    fn main(&mut self, pass: Pass) -> Result<Box<dyn RowSource + '_>, Vec<ImportError>> {
        sheet_for(&mut self.main, pass, &self.at)
    }

    fn group(
        &mut self,
        group: &str,
        pass: Pass,
    ) -> Result<Box<dyn RowSource + '_>, Vec<ImportError>> {
        match self.repeats.iter_mut().find(|(g, _)| g == group) {
            Some((_, sheet)) => sheet_for(sheet, pass, &self.at),
            None => Err(vec![self.at.error(format!(
                "the workbook was not opened for the repeat group {}",
                shown(group)
            ))]),
        }
    }
}

/// Refuses a group's sheet whose rows belong elsewhere than the mapping nests the group
/// (`nested_in`: the group and the sheet of the repeat it is nested in; none, the submissions'):
/// formpack writes on each row the name of the section it belongs to (`_parent_table_name`:
/// the form's title for a repeat of the submission, the enclosing repeat's name for a nested
/// one; kobotoolbox/formpack `reporting/export.py`, `format_one_submission`), and its
/// `_parent_index` counts that section's rows.
fn check_parent_table(
    sheet: &Sheet,
    group: &str,
    nested_in: Option<(&str, &str)>,
    main: &str,
) -> Result<(), ImportError> {
    let Some(col) = sheet.header.iter().position(|h| h == "_parent_table_name") else {
        return Err(sheet.at.row(1).column("_parent_table_name").error(
            "a repeat group's sheet needs this column (KoboToolbox writes _parent_table_name, _parent_index and _index on it)",
        ));
    };
    for row in sheet.rows.iter().flatten() {
        let parent = row.cells.get(col).map(|c| c.trim()).unwrap_or("");
        let belongs = match nested_in {
            _ if parent.is_empty() => true,
            None => is_sheet_of(main, parent),
            Some((outer, outer_sheet)) => parent == outer || parent == outer_sheet,
        };
        if belongs {
            continue;
        }
        let found = (!is_sheet_of(main, parent)).then(|| plain_name(parent));
        return Err(sheet
            .at
            .row(row.row)
            .column("_parent_table_name")
            .error(nesting_mismatch(
                group,
                nested_in.map(|(g, _)| g),
                found,
                "their _parent_table_name",
            )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// formpack's own cases (kobotoolbox/formpack `tests/test_utils_string.py`,
    /// `test_excel_compatible_worksheet_names`, and `unique_name_for_xls`'s docstring): the
    /// sheet each section's name becomes, and the names that do not.
    #[test]
    fn sheets_are_named_as_formpack_names_them() {
        for (section, sheet) in [
            (
                "123456789_123456789_123456789_12",
                "123456789_123456789_12345678...",
            ),
            (
                "[hi]: *nice*? ok \"/_o,o_\\\"",
                "_hi__ _nice__ ok \"__o,o__\"",
            ),
            ("'both'", "_both_"),
            ("'leading", "_leading"),
            ("trailing'", "trailing_"),
            ("'_'mixed'''", "__'mixed''_"),
            (
                "This string has more than 31 characters!",
                "This string has more than 31...",
            ),
            (
                "This string has more than 31 characters!",
                "This string has more tha... (1)",
            ),
            (
                "This string has more than 31 characters!",
                "This string has more th... (12)",
            ),
            // The plain cut scaleup has always read.
            (
                "This string has more than 31 characters!",
                "This string has more than 31 ch",
            ),
            ("members", "members"),
        ] {
            assert!(is_sheet_of(sheet, section), "{section} → {sheet}");
        }
        for (section, sheet) in [
            ("members", "members_"),
            ("members", "member"),
            ("[hi]", "[hi]_"),
            (
                "This string has more than 31 characters!",
                "This string has more tha... (0)",
            ),
            (
                "This string has more than 31 characters!",
                "This string has more than... (1)",
            ),
            (
                "This string has more than 31 characters!",
                "This string has",
            ),
        ] {
            assert!(!is_sheet_of(sheet, section), "{section} ↛ {sheet}");
        }
    }
}
