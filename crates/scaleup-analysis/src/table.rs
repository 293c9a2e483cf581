//! CSV tables for the models: a header row, numeric columns where every non-missing cell is a
//! number, factors otherwise. Errors name the source (a file name, or `body` for an upload),
//! the line and the column.

use std::collections::HashMap;
use std::io::Read;

use anyhow::{Context, bail};
use scaleup_stats::data::{Column, Data, MISSING, factor_from_interned};
use scaleup_stats::formula::Formula;
use scaleup_stats::frame::{FrameError, ModelFrame};

/// Builds the model frame, turning a factor response into an error that names the first
/// non-numeric row.
pub fn build_frame(formula: &Formula, data: &Data, source: &str) -> anyhow::Result<ModelFrame> {
    ModelFrame::new(formula, data).map_err(|e| match e {
        FrameError::ResponseNotNumeric(name) => anyhow::anyhow!(
            "{}: the response column `{name}` must be numeric but has non-numeric values",
            source
        ),
        // The header is line 1, so input row r is line r + 1.
        FrameError::CountNotWhole { response, row } => anyhow::anyhow!(
            "{}: line {}: the counts in `{response}` must be non-negative whole numbers",
            source,
            row + 1
        ),
        other => anyhow::anyhow!("{}: {other}", source),
    })
}

/// Most columns a table may have. A model uses at most `MAX_DESIGN_COLUMNS` (2,000) design
/// columns, and item-level exports run to a few hundred; a wider header is a mistake or an
/// attack, and each column costs a builder per row read.
pub const MAX_COLUMNS: usize = 10_000;

/// Longest row (header included) of any CSV file this crate reads: 1 MiB. The CSV reader holds
/// a whole row in memory before anyone can look at it, so without this a file with no line
/// break (a gzip bomb of one repeated byte) would be buffered whole.
pub const MAX_ROW_BYTES: usize = 1 << 20;

/// Most cells (rows × columns) a table may have: 16,777,216, a million rows of sixteen
/// columns. Each cell is kept as a number (8 bytes) or a factor code (4 bytes), so this caps
/// a table at 128 MiB of cells whatever its file looks like: a file of empty or one-digit
/// cells would otherwise grow eight bytes in memory for every byte read.
pub const MAX_CELLS: usize = 1 << 24;

/// Most distinct text values (factor levels, over all columns) a table may have: two
/// million, enough for a grouping factor of two million clients. Each costs a hundred-odd
/// bytes of bookkeeping besides its text, so a file of unique labels would otherwise grow
/// about twenty times its size in memory.
pub const MAX_LEVELS: usize = 2_000_000;

/// A reader that refuses any CSV row longer than [`MAX_ROW_BYTES`], counted as the bytes are
/// read, before the CSV parser buffers them. A row ends at a line break outside quotes (a
/// quoted cell may hold line breaks; `""` inside quotes toggles twice and changes nothing).
pub struct RowGuard<R> {
    inner: R,
    in_quotes: bool,
    row_bytes: usize,
    /// Physical line being read (1-based) and the line the current row began on.
    line: u64,
    row_start: u64,
    failed: bool,
}

impl<R: Read> RowGuard<R> {
    pub fn new(inner: R) -> Self {
        RowGuard {
            inner,
            in_quotes: false,
            row_bytes: 0,
            line: 1,
            row_start: 1,
            failed: false,
        }
    }

    fn too_long(&mut self) -> std::io::Error {
        self.failed = true;
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "the row starting on line {} is longer than {} MiB, the most one row may hold",
                self.row_start,
                MAX_ROW_BYTES >> 20
            ),
        )
    }
}

impl<R: Read> Read for RowGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.failed {
            return Err(self.too_long());
        }
        let n = self.inner.read(buf)?;
        for &b in &buf[..n] {
            match b {
                b'"' => self.in_quotes = !self.in_quotes,
                b'\n' => {
                    self.line += 1;
                    if !self.in_quotes {
                        self.row_bytes = 0;
                        self.row_start = self.line;
                        continue;
                    }
                }
                _ => {}
            }
            self.row_bytes += 1;
            if self.row_bytes > MAX_ROW_BYTES {
                return Err(self.too_long());
            }
        }
        Ok(n)
    }
}

fn is_missing(cell: &[u8]) -> bool {
    matches!(
        cell,
        b"" | b"NA" | b"NaN" | b"nan" | b"null" | b"NULL" | b"."
    )
}

enum Builder {
    Numeric(Vec<f64>),
    /// Codes per row, and each distinct label with its code. Each label is kept once, in the
    /// index; the level list is built from it at the end.
    Factor {
        codes: Vec<u32>,
        index: HashMap<Box<str>, u32>,
    },
}

impl Builder {
    /// Adds a cell; `levels_left` counts down the distinct text values the table may still
    /// take (see [`MAX_LEVELS`]).
    fn push(&mut self, cell: &[u8], levels_left: &mut usize) -> anyhow::Result<()> {
        let cell = trim(cell);
        if let Builder::Numeric(v) = self {
            if is_missing(cell) {
                v.push(f64::NAN);
                return Ok(());
            }
            if let Some(x) = std::str::from_utf8(cell)
                .ok()
                .and_then(|s| s.parse::<f64>().ok())
            {
                v.push(x);
                return Ok(());
            }
            // First non-numeric cell: the column is a factor; earlier numbers become labels.
            let mut b = Builder::Factor {
                codes: Vec::with_capacity(v.capacity()),
                index: HashMap::new(),
            };
            for x in v.iter() {
                if x.is_nan() {
                    b.push(b"", levels_left)?;
                } else {
                    b.push(format!("{x}").as_bytes(), levels_left)?;
                }
            }
            *self = b;
        }
        if let Builder::Factor { codes, index } = self {
            if is_missing(cell) {
                codes.push(MISSING);
                return Ok(());
            }
            let s = std::str::from_utf8(cell).context("cell is not valid UTF-8")?;
            let code = match index.get(s) {
                Some(c) => *c,
                None => {
                    if *levels_left == 0 {
                        bail!(
                            "more than {MAX_LEVELS} distinct text values in the table, the most one table may have"
                        );
                    }
                    *levels_left -= 1;
                    let c = index.len() as u32;
                    index.insert(s.into(), c);
                    c
                }
            };
            codes.push(code);
        }
        Ok(())
    }
}

fn trim(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &b[start..end]
}

/// Reads a CSV file with a header into a [`Data`] table. A column is numeric when every
/// non-missing cell parses as a number, otherwise a factor; columns named in `factors` are
/// factors in any case. Missing cells: empty, `NA`, `NaN`, `null`, `.`.
pub fn read_table(
    source: &str,
    input: impl std::io::Read,
    factors: &[String],
) -> anyhow::Result<Data> {
    Ok(read_table_checked(source, input, factors)?.data)
}

/// A table read from CSV with what the reader noticed.
pub struct Table {
    /// The columns.
    pub data: Data,
    /// Columns that began with numbers but have a non-numeric cell, with the line of the first
    /// such cell: they became factors, which is rarely what was meant.
    pub mixed: Vec<(String, usize)>,
    /// Every column read as text, with the line of its first non-numeric cell.
    pub text_from: Vec<(String, usize)>,
}

impl Table {
    /// Errors if the response is a mixed column (naming the line); returns warnings for other
    /// mixed columns the formula uses that were not named as factors.
    pub fn check_formula(
        &self,
        formula: &Formula,
        factors: &[String],
        source: &str,
    ) -> anyhow::Result<Vec<String>> {
        let mut warnings = Vec::new();
        let response = formula.response.columns();
        if let Some((name, line)) = self
            .text_from
            .iter()
            .find(|(n, _)| response.contains(&n.as_str()))
        {
            bail!(
                "{source}: line {line}, column `{name}`: not a number (the response must be numeric)"
            );
        }
        for (name, line) in &self.mixed {
            if response.contains(&name.as_str()) {
                bail!(
                    "{}: line {line}, column `{name}`: not a number (the response must be numeric)",
                    source
                );
            }
            if formula.variables().contains(name) && !factors.contains(name) {
                warnings.push(format!(
                    "{source}: column `{name}` has numbers but line {line} is not a number, so it is treated as a factor; fix the cell, or name `{name}` as a factor to confirm"
                ));
            }
        }
        Ok(warnings)
    }
}

/// As [`read_table`], also reporting columns with mixed numeric and non-numeric cells.
pub fn read_table_checked(
    source: &str,
    input: impl std::io::Read,
    factors: &[String],
) -> anyhow::Result<Table> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .buffer_capacity(1 << 20)
        .from_reader(RowGuard::new(input));
    let header: Vec<String> = reader
        .headers()
        .with_context(|| format!("{}: cannot read the header row", source))?
        .iter()
        // A byte-order mark (spreadsheet exports) must not become part of the first name.
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    if header.is_empty() || header.iter().all(String::is_empty) {
        bail!("{}: the header row is empty", source);
    }
    if header.len() > MAX_COLUMNS {
        bail!(
            "{}: the header row has {} columns; a table may have at most {MAX_COLUMNS}",
            source,
            header.len()
        );
    }
    for f in factors {
        if !header.contains(f) {
            bail!("{}: factors: column `{f}` is not in the header", source);
        }
    }
    let mut cols: Vec<Builder> = header
        .iter()
        .map(|_| Builder::Numeric(Vec::new()))
        .collect();
    let mut record = csv::ByteRecord::new();
    let mut line = 1usize;
    let mut numbers_seen = vec![false; header.len()];
    let mut mixed: Vec<(String, usize)> = Vec::new();
    let mut text_from: Vec<(String, usize)> = Vec::new();
    let mut levels_left = MAX_LEVELS;
    let mut cells = 0usize;
    loop {
        let more = reader
            .read_byte_record(&mut record)
            .with_context(|| format!("{}: malformed CSV after line {line}", source))?;
        if !more {
            break;
        }
        line = record.position().map_or(line + 1, |p| p.line() as usize);
        cells += header.len();
        if cells > MAX_CELLS {
            bail!(
                "{}: line {line}: the table has more than {MAX_CELLS} cells (rows × columns), the most one table may have",
                source
            );
        }
        for (k, (col, cell)) in cols.iter_mut().zip(record.iter()).enumerate() {
            let was_numeric = matches!(col, Builder::Numeric(_));
            col.push(cell, &mut levels_left)
                .with_context(|| format!("{}: line {line}, column `{}`", source, header[k]))?;
            if was_numeric {
                match col {
                    Builder::Numeric(v) => {
                        numbers_seen[k] |= v.last().is_some_and(|x| !x.is_nan());
                    }
                    Builder::Factor { .. } => {
                        text_from.push((header[k].clone(), line));
                        if numbers_seen[k] {
                            mixed.push((header[k].clone(), line));
                        }
                    }
                }
            }
        }
    }
    let mut data = Data::new();
    for (name, b) in header.iter().zip(cols) {
        let column = match b {
            Builder::Numeric(v) => {
                let c = Column::Numeric(v);
                if factors.contains(name) {
                    c.to_factor()
                } else {
                    c
                }
            }
            Builder::Factor { codes, index } => {
                let mut levels = vec![String::new(); index.len()];
                for (label, code) in index {
                    levels[code as usize] = label.into_string();
                }
                factor_from_interned(codes, levels)
            }
        };
        data.add_column(name, column)
            .with_context(|| format!("{}: column `{name}`", source))?;
    }
    Ok(Table {
        data,
        mixed,
        text_from,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(csv: &[u8]) -> String {
        match read_table("upload.csv", csv, &[]) {
            Ok(_) => panic!("the table was accepted"),
            Err(e) => format!("{e:#}"),
        }
    }

    /// Hardening item 8: a 100,000-column header made reading quadratic in its width (each
    /// column scanned every earlier name). It is now refused after the header, naming the file
    /// and the limit.
    #[test]
    fn a_header_of_a_hundred_thousand_columns_is_refused_by_name() {
        let mut csv = (0..100_000)
            .map(|k| format!("c{k}"))
            .collect::<Vec<_>>()
            .join(",");
        csv.push('\n');
        let err = error_of(csv.as_bytes());
        assert!(err.starts_with("upload.csv: "), "{err}");
        assert!(err.contains("100000 columns"), "{err}");
        assert!(err.contains(&format!("at most {MAX_COLUMNS}")), "{err}");
    }

    /// A header as wide as the limit is still read.
    #[test]
    fn a_header_at_the_column_limit_is_read() {
        let header = (0..MAX_COLUMNS)
            .map(|k| format!("c{k}"))
            .collect::<Vec<_>>()
            .join(",");
        let row = vec!["1"; MAX_COLUMNS].join(",");
        let data = read_table("upload.csv", format!("{header}\n{row}\n").as_bytes(), &[]).unwrap();
        assert_eq!((data.names().len(), data.nrows()), (MAX_COLUMNS, 1));
    }

    /// Hardening item 7: a body of one repeated byte with no line break (what a gzip bomb
    /// inflates to) was buffered whole as the header. It is refused once the row passes
    /// MAX_ROW_BYTES, before the rest is read.
    #[test]
    fn a_header_without_a_line_break_is_refused_at_the_row_limit() {
        struct Endless(usize);
        impl Read for Endless {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                buf.fill(b'a');
                self.0 += buf.len();
                Ok(buf.len())
            }
        }
        let mut input = Endless(0);
        let err = match read_table("upload.csv", &mut input, &[]) {
            Ok(_) => panic!("the table was accepted"),
            Err(e) => format!("{e:#}"),
        };
        assert!(err.starts_with("upload.csv: "), "{err}");
        assert!(err.contains("line 1 is longer than 1 MiB"), "{err}");
        // What was read is the row limit plus at most one read buffer, not the input.
        assert!(input.0 <= 3 * MAX_ROW_BYTES, "read {} bytes", input.0);
    }

    /// A data row is held to the same limit, and the message names its line.
    #[test]
    fn a_long_data_row_is_refused_naming_its_line() {
        let mut csv = b"y,label\n1,a\n2,\"".to_vec();
        csv.extend(std::iter::repeat_n(b'x', MAX_ROW_BYTES + 1));
        csv.extend(b"\"\n");
        let err = error_of(&csv);
        assert!(err.contains("line 3 is longer than 1 MiB"), "{err}");
    }

    /// A file of one-digit cells grew eight bytes in memory per byte read; it stops at
    /// MAX_CELLS, naming the line and the limit.
    #[test]
    fn a_table_past_the_cell_limit_is_refused_naming_the_line() {
        let rows = MAX_CELLS / 2;
        let mut csv = b"a,b\n".to_vec();
        csv.extend(b"1,\n".repeat(rows + 1));
        let err = error_of(&csv);
        let last = rows + 2;
        assert!(
            err.starts_with(&format!(
                "upload.csv: line {last}: the table has more than {MAX_CELLS} cells"
            )),
            "{err}"
        );
    }

    /// Each distinct label costs bookkeeping beyond its bytes; a file of unique labels stops
    /// at MAX_LEVELS, naming the line, the column and the limit.
    #[test]
    fn a_table_past_the_level_limit_is_refused() {
        let mut csv = String::from("id\n");
        for k in 0..=MAX_LEVELS {
            csv.push_str(&format!("x{k}\n"));
        }
        let err = error_of(csv.as_bytes());
        assert!(
            err.contains(&format!(
                "line {}, column `id`: more than {MAX_LEVELS} distinct",
                MAX_LEVELS + 2
            )),
            "{err}"
        );
    }

    /// Line breaks inside quotes do not end a row, and quoted cells are otherwise untouched.
    #[test]
    fn quoted_line_breaks_belong_to_their_row() {
        let csv = b"y,label\n1,\"two\nlines\"\n2,\"say \"\"hi\"\"\"\n";
        let data = read_table("upload.csv", &csv[..], &[]).unwrap();
        assert_eq!(data.nrows(), 2);
        let mut guard = RowGuard::new(&csv[..]);
        std::io::copy(&mut guard, &mut std::io::sink()).unwrap();
        assert_eq!((guard.line, guard.row_start), (5, 5));
    }
}
