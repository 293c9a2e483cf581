//! XLSForm workbooks (.xlsx) read with calamine into a [`Form`]: the `survey`, `choices` and
//! `settings` sheets, labels per language (`label::French (fr)`), the types `select_one`,
//! `select_multiple`, `integer`, `decimal`, `text` and `date`, and `required`, `relevant` and
//! `constraint` in the expression subset of [`super::expr`].
//!
//! Cells are read one by one (calamine's cell reader, not its dense ranges, which a single cell
//! at XFD1048576 would blow up to billions of entries) and bounded: [`MAX_ROWS`] rows,
//! [`MAX_COLUMNS`] columns, [`MAX_CELL`] bytes a cell. A feature outside what scaleup reads is
//! refused with the sheet, row and column; structure that carries no answer (notes, groups,
//! calculations, metadata) is left out and listed in [`Form::left_out`].
//!
//! Before calamine sees the workbook, [`check_zip`] opens it as the zip it is and refuses one
//! that would inflate past [`MAX_UNZIPPED`] or holds more than [`MAX_ENTRIES`] entries (or is
//! larger than [`MAX_WORKBOOK`] as sent): calamine inflates whole parts such as
//! `xl/sharedStrings.xml` into memory, so a zip bomb of a few kilobytes would otherwise take
//! gigabytes.

use super::expr;
use super::form::{Choice, Form, Located, Question, QuestionType};
use super::{ImportError, Location};
use calamine::{DataRef, Reader, Xlsx};
use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};

/// Most rows read in one sheet.
pub const MAX_ROWS: u32 = 20_000;
/// Most columns read in one sheet.
pub const MAX_COLUMNS: u32 = 512;
/// Longest cell (bytes).
pub const MAX_CELL: usize = 32 << 10;

/// Most bytes of a workbook as sent (XLSForms are tens of kilobytes; a large one a few MB).
pub const MAX_WORKBOOK: u64 = 32 << 20;
/// Most bytes all of a workbook's entries may hold once inflated.
pub const MAX_UNZIPPED: u64 = 64 << 20;
/// Most entries in a workbook's zip (a workbook of three sheets has about a dozen).
pub const MAX_ENTRIES: usize = 1_000;

/// The bounds a workbook is held to before calamine reads it (see [`check_workbook`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkbookLimits {
    /// Most bytes as sent.
    pub workbook: u64,
    /// Most bytes all its entries may hold once inflated.
    pub unzipped: u64,
    /// Most entries in its zip.
    pub entries: usize,
}

/// An XLSForm's bounds: [`MAX_WORKBOOK`], [`MAX_UNZIPPED`], [`MAX_ENTRIES`].
pub const XLSFORM_LIMITS: WorkbookLimits = WorkbookLimits {
    workbook: MAX_WORKBOOK,
    unzipped: MAX_UNZIPPED,
    entries: MAX_ENTRIES,
};

/// `n` bytes as a limit reads: whole MiB when it is, else bytes.
fn bytes_text(n: u64) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else {
        format!("{n} bytes")
    }
}

/// Refuses an XLSForm workbook that is too large as sent or once inflated, or holds too many
/// entries, before anything inflates it whole ([`check_workbook`] with [`XLSFORM_LIMITS`]).
/// Leaves `input` at its start.
pub fn check_zip<RS: Read + Seek>(file: &str, input: &mut RS) -> Result<(), ImportError> {
    check_workbook(file, input, &XLSFORM_LIMITS, "")
}

/// Refuses a workbook outside `limits` before calamine sees it. The entry count is read from the
/// zip's end record before the central directory is parsed; the inflated size is both the sum
/// the central directory declares and the bytes actually inflated (an entry can lie about its
/// size), entry by entry into a sink, never held. `advice` (what to do instead, starting with
/// `"; "`, or empty) ends the size refusals. Leaves `input` at its start.
pub fn check_workbook<RS: Read + Seek>(
    file: &str,
    input: &mut RS,
    limits: &WorkbookLimits,
    advice: &str,
) -> Result<(), ImportError> {
    let at = Location::file(file);
    let damaged = || {
        at.error("not an .xlsx workbook (a legacy .xls, or a damaged or password-protected file): save it as .xlsx")
    };
    let len = input.seek(SeekFrom::End(0)).map_err(|_| damaged())?;
    if len > limits.workbook {
        return Err(at.error(format!(
            "the workbook is larger than {}{advice}",
            bytes_text(limits.workbook)
        )));
    }
    // The end-of-central-directory record: the last 22 bytes plus a comment of at most 64 KiB.
    let tail_len = len.min(22 + 0xFFFF);
    input
        .seek(SeekFrom::Start(len - tail_len))
        .map_err(|_| damaged())?;
    let mut tail = vec![0u8; tail_len as usize];
    input.read_exact(&mut tail).map_err(|_| damaged())?;
    let Some(eocd) = tail
        .windows(4)
        .rposition(|w| w == b"PK\x05\x06")
        .filter(|&i| i + 22 <= tail.len())
    else {
        return Err(damaged());
    };
    let entries = u16::from_le_bytes([tail[eocd + 10], tail[eocd + 11]]);
    let too_many = || {
        at.error(format!(
            "the workbook's zip holds more than {} entries: refused before reading",
            limits.entries
        ))
    };
    // 0xFFFF says "see the ZIP64 record": more than any limit here either way.
    if usize::from(entries) > limits.entries {
        return Err(too_many());
    }
    input.seek(SeekFrom::Start(0)).map_err(|_| damaged())?;
    let mut archive = zip::ZipArchive::new(&mut *input).map_err(|_| damaged())?;
    if archive.len() > limits.entries {
        return Err(too_many());
    }
    let too_big = || {
        at.error(format!(
            "the workbook would take more than {} once unzipped (a zip bomb?): refused before reading{advice}",
            bytes_text(limits.unzipped)
        ))
    };
    let mut declared: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|_| damaged())?;
        declared = declared.saturating_add(entry.size());
    }
    if declared > limits.unzipped {
        return Err(too_big());
    }
    let mut inflated: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(|_| damaged())?;
        let budget = limits.unzipped - inflated;
        let n = std::io::copy(&mut entry.take(budget + 1), &mut std::io::sink())
            .map_err(|_| damaged())?;
        inflated += n;
        if inflated > limits.unzipped {
            return Err(too_big());
        }
    }
    drop(archive);
    input.seek(SeekFrom::Start(0)).map_err(|_| damaged())?;
    Ok(())
}

/// A sheet as rows of text cells, with its spreadsheet row numbers.
struct Sheet {
    name: String,
    header: Vec<String>,
    /// (spreadsheet row number, cells by column index).
    rows: Vec<(u64, BTreeMap<usize, String>)>,
}

impl Sheet {
    fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }
}

/// A cell's text, or why it has none a reader could use.
pub(crate) type CellText = Result<String, &'static str>;

/// A typed cell as text: whole numbers without `.0`, booleans as `true`/`false`, date-times as
/// `date_time` writes them (the XLSForm reader keeps Excel's serial number; the Kobo export
/// reader writes dates as a CSV export holds them). Shared by both workbook readers.
pub(crate) fn cell_text_with(
    v: &DataRef<'_>,
    date_time: impl Fn(&calamine::ExcelDateTime) -> CellText,
) -> CellText {
    Ok(match v {
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => {
            if !f.is_finite() {
                return Err("holds a number a spreadsheet cannot hold");
            }
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                f.to_string()
            }
        }
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => s.to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(d) => date_time(d)?,
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(_) => return Err("holds a spreadsheet error (#REF!, #VALUE!, ...)"),
        DataRef::Empty => String::new(),
    })
}

fn cell_text(v: &DataRef<'_>) -> CellText {
    cell_text_with(v, |d| Ok(d.as_f64().to_string()))
}

fn read_sheet<RS: Read + Seek>(
    book: &mut Xlsx<RS>,
    file: &str,
    name: &str,
) -> Result<Sheet, ImportError> {
    let at = Location::file(file).sheet(name);
    let mut reader = book
        .worksheet_cells_reader(name)
        .map_err(|_| at.error("the sheet could not be read"))?;
    let mut cells: BTreeMap<u32, BTreeMap<usize, String>> = BTreeMap::new();
    let mut count = 0usize;
    loop {
        let cell = match reader.next_cell() {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(_) => return Err(at.error("the sheet is damaged and could not be read to its end")),
        };
        let (r, c) = cell.get_position();
        let here = at.clone().row(u64::from(r) + 1);
        if r >= MAX_ROWS {
            return Err(here.error(format!("more than {MAX_ROWS} rows")));
        }
        if c >= MAX_COLUMNS {
            return Err(here.error(format!("more than {MAX_COLUMNS} columns")));
        }
        let text = cell_text(cell.get_value())
            .map_err(|m| here.clone().column(&col_letter(c)).error(m))?;
        if text.len() > MAX_CELL {
            return Err(here
                .column(&col_letter(c))
                .error(format!("a cell longer than {MAX_CELL} bytes")));
        }
        count += 1;
        if count > 1_000_000 {
            return Err(at.error("more than a million cells"));
        }
        if !text.trim().is_empty() {
            cells.entry(r).or_default().insert(c as usize, text);
        }
    }
    let mut rows = cells.into_iter();
    let Some((_, head)) = rows.next() else {
        return Ok(Sheet {
            name: name.to_string(),
            header: Vec::new(),
            rows: Vec::new(),
        });
    };
    let width = head.keys().max().map(|m| m + 1).unwrap_or(0);
    let mut header = vec![String::new(); width];
    for (c, text) in head {
        header[c] = normalise_header(&text);
    }
    Ok(Sheet {
        name: name.to_string(),
        header,
        rows: rows.map(|(r, cells)| (u64::from(r) + 1, cells)).collect(),
    })
}

/// Header cells as pyxform reads them: trimmed, `list name` as `list_name`, the `::` language
/// separator kept, and plain column names lower-cased.
fn normalise_header(text: &str) -> String {
    let t = text.trim();
    // Legacy single-colon language columns (`label:english`), as older pyxform examples write.
    let legacy;
    let t = match t.split_once(':') {
        Some((col, lang))
            if !lang.starts_with(':')
                && ["label", "hint"].contains(&col.trim().to_ascii_lowercase().as_str()) =>
        {
            legacy = format!("{}::{}", col.trim(), lang);
            legacy.as_str()
        }
        _ => t,
    };
    match t.split_once("::") {
        Some((col, lang)) => format!("{}::{}", col.trim().to_ascii_lowercase(), lang.trim()),
        None => {
            let l = t.to_ascii_lowercase();
            if l == "list name" {
                "list_name".into()
            } else {
                l
            }
        }
    }
}

/// A column's letters as a spreadsheet shows them (0 → `A`, 26 → `AA`).
pub(crate) fn col_letter(c: u32) -> String {
    let mut n = c + 1;
    let mut s = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        s.push(b'A' + r as u8);
        n = (n - 1) / 26;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// Older spellings pyxform still reads: `select one from list`, `select all that apply from
/// list`, `begin group`.
fn legacy_type(text: &str) -> String {
    let t = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for (old, new) in [
        ("select one from ", "select_one "),
        ("select all that apply from ", "select_multiple "),
        ("select_one_from ", "select_one "),
        ("begin group", "begin_group"),
        ("end group", "end_group"),
        ("begin repeat", "begin_repeat"),
        ("end repeat", "end_repeat"),
    ] {
        if let Some(rest) = t.strip_prefix(old) {
            return format!("{new}{rest}");
        }
        if t == old.trim() {
            return new.trim().to_string();
        }
    }
    t
}

/// Types that carry no respondent answer: left out, and listed.
const METADATA: &[&str] = &[
    "start",
    "end",
    "today",
    "deviceid",
    "subscriberid",
    "simserial",
    "phonenumber",
    "username",
    "email",
    "audit",
    "start-geopoint",
];

fn is_yes(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "" | "no" | "false" | "false()" | "0" => Some(false),
        "yes" | "true" | "true()" | "1" => Some(true),
        _ => None,
    }
}

/// Survey columns that change what is collected and that scaleup cannot honour; a non-empty
/// cell in one of them refuses its row.
const REFUSED_COLUMNS: &[&str] = &["choice_filter", "repeat_count", "trigger", "save_to"];

/// Reads an XLSForm workbook. `file` names it in errors.
pub fn read<RS: Read + Seek>(file: &str, mut input: RS) -> Result<Form, Vec<ImportError>> {
    let at = Location::file(file);
    check_zip(file, &mut input).map_err(|e| vec![e])?;
    let mut book: Xlsx<RS> = Xlsx::new(input).map_err(|_| {
        vec![at.error("not an .xlsx workbook (a legacy .xls, or a damaged or password-protected file): save it as .xlsx")]
    })?;
    let names = book.sheet_names();
    let find = |want: &str| {
        names
            .iter()
            .find(|n| n.trim().eq_ignore_ascii_case(want))
            .cloned()
    };
    let Some(survey_name) = find("survey") else {
        return Err(vec![at.error("there is no `survey` sheet")]);
    };
    let survey = read_sheet(&mut book, file, &survey_name).map_err(|e| vec![e])?;
    let choices = match find("choices") {
        Some(n) => Some(read_sheet(&mut book, file, &n).map_err(|e| vec![e])?),
        None => None,
    };
    let settings = match find("settings") {
        Some(n) => Some(read_sheet(&mut book, file, &n).map_err(|e| vec![e])?),
        None => None,
    };
    from_sheets(file, &survey, choices.as_ref(), settings.as_ref())
}

fn from_sheets(
    file: &str,
    survey: &Sheet,
    choices: Option<&Sheet>,
    settings: Option<&Sheet>,
) -> Result<Form, Vec<ImportError>> {
    let mut errors = Vec::new();
    let sat = Location::file(file).sheet(&survey.name);
    let (Some(ty), Some(name)) = (survey.column("type"), survey.column("name")) else {
        return Err(vec![
            sat.row(1)
                .error("the survey sheet needs `type` and `name` columns"),
        ]);
    };
    // Label columns and their languages.
    let mut languages: Vec<String> = Vec::new();
    let mut label_cols: Vec<(usize, String)> = Vec::new();
    for (i, h) in survey.header.iter().enumerate() {
        if h == "label" {
            label_cols.push((i, String::new()));
        } else if let Some(lang) = h.strip_prefix("label::") {
            label_cols.push((i, lang.to_string()));
        } else {
            continue;
        }
        let key = label_cols.last().map(|l| l.1.clone()).unwrap_or_default();
        if !languages.contains(&key) {
            languages.push(key);
        }
    }
    if label_cols.iter().any(|l| l.1.is_empty()) && label_cols.iter().any(|l| !l.1.is_empty()) {
        errors.push(sat.clone().row(1).column("label").error(
            "an unnamed `label` column beside `label::language` columns is ambiguous (pyxform #584): name every language",
        ));
    }
    let col = |h: &str| survey.column(h);
    let (required_c, relevant_c, constraint_c) =
        (col("required"), col("relevant"), col("constraint"));
    let mut questions = Vec::new();
    let mut left_out = Vec::new();
    let mut names_seen = std::collections::BTreeSet::new();
    for (row, cells) in &survey.rows {
        let at = sat.clone().row(*row);
        let get = |c: Option<usize>| {
            c.and_then(|c| cells.get(&c))
                .map(|s| s.trim())
                .unwrap_or("")
        };
        let type_text = legacy_type(get(Some(ty)));
        if type_text.is_empty() {
            if cells.values().any(|v| !v.trim().is_empty()) && !get(Some(name)).is_empty() {
                errors.push(at.column("type").error("a question without a type"));
            }
            continue;
        }
        let mut words = type_text.split_whitespace();
        let head = words.next().unwrap_or("").to_ascii_lowercase();
        let arg = words.next().map(str::to_string);
        let extra = words.next().is_some();
        let qname = get(Some(name)).to_string();
        let kind = match head.as_str() {
            "select_one" => QuestionType::SelectOne,
            "select_multiple" => QuestionType::SelectMultiple,
            "integer" | "int" => QuestionType::Integer,
            "decimal" => QuestionType::Decimal,
            "text" | "string" => QuestionType::Text,
            "date" => QuestionType::Date,
            "begin_group" | "end_group" => {
                left_out.push(format!(
                    "{}: a group boundary (its questions are kept, the grouping is not)",
                    at
                ));
                continue;
            }
            "note" => {
                left_out.push(format!("{}: a note (it carries no answer)", at));
                continue;
            }
            "calculate" => {
                left_out.push(format!(
                    "{}: a calculation (scaleup scores with the instrument's own rule)",
                    at
                ));
                continue;
            }
            t if METADATA.contains(&t) => {
                left_out.push(format!("{}: form metadata `{t}` (not a question)", at));
                continue;
            }
            _ => {
                errors.push(at.column("type").error(
                    "a question type scaleup cannot represent (it reads select_one, select_multiple, integer, decimal, text, date, note, calculate, groups and metadata)",
                ));
                continue;
            }
        };
        let is_select = matches!(kind, QuestionType::SelectOne | QuestionType::SelectMultiple);
        if is_select && (arg.is_none() || extra) {
            errors.push(
                at.column("type")
                    .error("a select question names exactly one choice list"),
            );
            continue;
        }
        if !is_select && arg.is_some() {
            errors.push(
                at.column("type")
                    .error("only select questions take a choice list"),
            );
            continue;
        }
        if qname.is_empty() {
            errors.push(at.column("name").error("a question without a name"));
            continue;
        }
        if !names_seen.insert(qname.clone()) {
            errors.push(
                at.column("name")
                    .error("this name is used by an earlier question"),
            );
            continue;
        }
        for c in REFUSED_COLUMNS {
            if !get(col(c)).is_empty() {
                errors.push(
                    at.column(c)
                        .error("this column cannot be represented by scaleup"),
                );
            }
        }
        let required =
            match is_yes(get(required_c)) {
                Some(r) => r,
                None => {
                    errors.push(at.column("required").error(
                        "must be yes or no (a conditional requirement cannot be represented)",
                    ));
                    false
                }
            };
        let mut expression = |c: Option<usize>, column: &str| -> Option<Located<expr::Expr>> {
            let text = get(c);
            if text.is_empty() {
                return None;
            }
            match expr::parse(text) {
                Ok(e) => Some(Located {
                    value: e,
                    at: at.column(column),
                }),
                Err(why) => {
                    errors.push(at.column(column).error(why));
                    None
                }
            }
        };
        let relevant = expression(relevant_c, "relevant");
        let constraint = expression(constraint_c, "constraint");
        let labels = label_cols
            .iter()
            .filter_map(|(c, lang)| cells.get(c).map(|t| (lang.clone(), t.trim().to_string())))
            .collect();
        questions.push(Question {
            at,
            type_column: "type".into(),
            name: qname,
            kind,
            list: arg,
            labels,
            required,
            relevant,
            constraint,
            range: None,
        });
    }
    // References in expressions must name questions of the form.
    for q in &questions {
        for e in q.relevant.iter().chain(q.constraint.iter()) {
            if e.value.refs().iter().any(|r| !names_seen.contains(*r)) {
                errors.push(e.at.error("refers to a question the form does not have"));
            }
        }
    }
    // Choices.
    let mut lists: BTreeMap<String, Vec<Choice>> = BTreeMap::new();
    if let Some(ch) = choices {
        let cat = Location::file(file).sheet(&ch.name);
        match (ch.column("list_name"), ch.column("name")) {
            (Some(lc), Some(nc)) => {
                let choice_labels: Vec<(usize, String)> = ch
                    .header
                    .iter()
                    .enumerate()
                    .filter_map(|(i, h)| {
                        if h == "label" {
                            Some((i, String::new()))
                        } else {
                            h.strip_prefix("label::").map(|l| (i, l.to_string()))
                        }
                    })
                    .collect();
                for (row, cells) in &ch.rows {
                    let at = cat.clone().row(*row);
                    let list = cells.get(&lc).map(|s| s.trim()).unwrap_or("");
                    let cname = cells.get(&nc).map(|s| s.trim()).unwrap_or("");
                    if list.is_empty() && cname.is_empty() {
                        continue;
                    }
                    if list.is_empty() {
                        errors.push(at.column("list_name").error("a choice without a list name"));
                        continue;
                    }
                    if cname.is_empty() {
                        errors.push(at.column("name").error("a choice without a name"));
                        continue;
                    }
                    let entry = lists.entry(list.to_string()).or_default();
                    if entry.iter().any(|c| c.name == cname) {
                        errors.push(
                            at.column("name")
                                .error("this choice name appears twice in its list"),
                        );
                        continue;
                    }
                    entry.push(Choice {
                        at,
                        name_column: "name".into(),
                        name: cname.to_string(),
                        labels: choice_labels
                            .iter()
                            .filter_map(|(c, lang)| {
                                cells.get(c).map(|t| (lang.clone(), t.trim().to_string()))
                            })
                            .collect(),
                    });
                }
            }
            _ => errors.push(
                cat.row(1)
                    .error("the choices sheet needs `list_name` and `name` columns"),
            ),
        }
    }
    for q in &questions {
        if let Some(list) = &q.list
            && !lists.contains_key(list)
        {
            errors.push(
                q.at.column("type")
                    .error("names a choice list that the choices sheet does not have"),
            );
        }
    }
    // Settings.
    let (mut id, mut title, mut version, mut default_language) = (None, None, None, None);
    if let Some(st) = settings
        && let Some((_, cells)) = st.rows.first()
    {
        let get = |h: &str| {
            st.column(h)
                .and_then(|c| cells.get(&c))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        id = get("form_id");
        title = get("form_title");
        version = get("version");
        default_language = get("default_language");
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Form {
        file: file.to_string(),
        id,
        title,
        version,
        default_language,
        languages,
        questions,
        choices: lists,
        left_out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters() {
        assert_eq!(col_letter(0), "A");
        assert_eq!(col_letter(25), "Z");
        assert_eq!(col_letter(26), "AA");
        assert_eq!(
            normalise_header(" Label :: French (fr) "),
            "label::French (fr)"
        );
        assert_eq!(normalise_header("List Name"), "list_name");
    }

    #[test]
    fn garbage_is_not_a_workbook() {
        let e = read(
            "x.xlsx",
            std::io::Cursor::new(b"PK\x03\x04garbage".to_vec()),
        )
        .unwrap_err();
        assert!(e[0].message.contains("not an .xlsx"));
    }
}
