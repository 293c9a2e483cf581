//! KoboToolbox's XLSX data export ("XML values and headers"), repeat groups included.
//!
//! KoboToolbox cannot export repeat groups as CSV; its workbook (formpack) holds the submissions
//! on the first sheet (columns named by XML name, `group/question` when groups are in the
//! headers, and the meta columns `_id`, `_uuid`, `_submission_time`, `_index`, ...) and one sheet
//! per repeat group, named after the group (cut to 31 characters, Excel's limit), whose rows
//! carry `_index` (the row within that sheet), `_parent_table_name` (the sheet of the row they
//! belong to) and `_parent_index` (that row's `_index`).
//!
//! [`KoboWorkbook::open`] measures the workbook before calamine reads it (calamine reads a whole
//! sheet, and inflates shared strings whole, into memory: a workbook larger than
//! [`MAX_UNZIPPED`] once unzipped is refused with what to do instead, rather than pretending to
//! stream), then reads the first sheet and the sheet of each of the mapping's `[[repeats]]`
//! groups, cell by cell, into text rows: numbers without a trailing `.0` when whole, dates as
//! `YYYY-MM-DD`, date-times as RFC 3339 (Excel keeps no offset: read as UTC, as Kobo writes
//! `_submission_time`), so the mapping of the CSV export reads the workbook alike. A group whose
//! sheet is missing, or whose rows belong to another repeat's rows (a nested repeat), is refused
//! before any record is made. [`KoboWorkbook::read`] then hands the rows to the same readers as
//! a CSV's ([`Rows`], [`RepeatRows`] with [`Join::Kobo`]).
//!
//! Reports name the file, the sheet, the row as Excel numbers it and the column header, never a
//! value.

use super::mapping::{Join, Mapping, RepeatRows, Rows, Source};
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

/// The longest sheet name Excel keeps: a group's sheet is its name cut to this many characters.
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

/// A name as Excel keeps it for a sheet: its first 31 characters.
fn sheet_cut(name: &str) -> &str {
    match name.char_indices().nth(SHEET_NAME_MAX) {
        Some((i, _)) => &name[..i],
        None => name,
    }
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
        // Every group's sheet is found before any sheet is read.
        let mut wanted: Vec<(String, String)> = Vec::new();
        for r in &mapping.repeats {
            if wanted.iter().any(|(g, _)| *g == r.group) {
                continue;
            }
            let cut = sheet_cut(&r.group);
            let Some(sheet) = names
                .iter()
                .skip(1)
                .find(|n| n.as_str() == r.group || n.as_str() == cut)
            else {
                return Err(at.error(format!(
                    "the mapping reads the repeat group {}, but the workbook has no sheet of that name (its sheets: {}); export with \"XML values and headers\"",
                    shown(&r.group),
                    list()
                )));
            };
            wanted.push((r.group.clone(), sheet.clone()));
        }
        let mut cells_left = MAX_CELLS;
        let main = read_sheet(&mut book, label, &main_name, &mut cells_left)?;
        let mut repeats = Vec::new();
        for (group, name) in wanted {
            let sheet = read_sheet(&mut book, label, &name, &mut cells_left)?;
            check_parent_table(&sheet, &group, &main_name)?;
            repeats.push((group, sheet));
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

    /// Reads the export: the submissions, then each repeat group's rows joined to them, handing
    /// every unit (one per row) to `sink`, which returns false to stop. Every sheet's header is
    /// checked against the mapping first, so a group the mapping cannot read stops the import
    /// before its first record.
    pub fn read(
        self,
        mapping: &Mapping,
        targets: &Targets,
        today: Date,
        now: &str,
        sink: &mut dyn FnMut(Unit) -> bool,
    ) -> Result<(), Vec<ImportError>> {
        let KoboWorkbook { main, repeats } = self;
        let header_only =
            Rows::from_source(main.header_only(), Join::Kobo, mapping, targets, today, now)?
                .into_parents();
        for (group, sheet) in &repeats {
            RepeatRows::from_source(
                sheet.header_only(),
                mapping,
                group,
                &header_only,
                targets,
                today,
                now,
            )?;
        }
        // Repeat rows after their submissions, so a member's records never precede what they
        // refer to.
        let mut rows = Rows::from_source(main, Join::Kobo, mapping, targets, today, now)?;
        for unit in rows.by_ref() {
            if !sink(unit) {
                return Ok(());
            }
        }
        let parents = rows.into_parents();
        for (group, sheet) in repeats {
            let rows =
                RepeatRows::from_source(sheet, mapping, &group, &parents, targets, today, now)?;
            for unit in rows {
                if !sink(unit) {
                    return Ok(());
                }
            }
        }
        Ok(())
    }
}

/// Refuses a group's sheet whose rows belong to anything but the submissions' sheet: a nested
/// repeat's rows name another repeat's sheet in `_parent_table_name`, and their
/// `_parent_index` counts that sheet's rows, not the submissions'.
fn check_parent_table(sheet: &Sheet, group: &str, main: &str) -> Result<(), ImportError> {
    let Some(col) = sheet.header.iter().position(|h| h == "_parent_table_name") else {
        return Err(sheet.at.row(1).column("_parent_table_name").error(
            "a repeat group's sheet needs this column (KoboToolbox writes _parent_table_name, _parent_index and _index on it)",
        ));
    };
    for row in sheet.rows.iter().flatten() {
        let parent = row.cells.get(col).map(|c| c.trim()).unwrap_or("");
        if parent.is_empty() || parent == main || sheet_cut(parent) == main {
            continue;
        }
        return Err(sheet.at.row(row.row).column("_parent_table_name").error(format!(
            "the mapping reads {} as a repeat group of the submissions, but in this export its rows belong to {} (a repeat inside another repeat); scaleup does not read nested repeats",
            shown(group),
            shown(parent)
        )));
    }
    Ok(())
}
