//! The CSV reader under every tabular import (ODK Central, KoboToolbox, REDCap).
//!
//! It streams: one record is held at a time, so memory does not grow with the file. What it
//! refuses, it names: a file that is not UTF-8 (UTF-16 exports are recognised and named), a
//! physical line longer than [`MAX_LINE`] bytes, a cell longer than [`MAX_CELL`] characters, a
//! row whose width differs from the header's, a header with an empty or repeated column name.
//! The delimiter is read from the header line: `,`, or `;` (KoboToolbox) or tab when they
//! outnumber commas there.
//! A bad row is reported and reading goes on with the next one; a bad header stops the file.

use super::{ImportError, Location};
use std::io::{BufRead, BufReader, Read};

/// Longest physical line read (bytes). A line past it stops the file: nothing legitimate in a
/// submission export is that long, and the reader must not buffer an unbounded line.
pub const MAX_LINE: usize = 8 << 20;

/// Longest cell (bytes) accepted in a row; a longer one rejects its row.
pub const MAX_CELL: usize = 64 << 10;

/// Most columns in a header.
pub const MAX_COLUMNS: usize = 20_000;

/// A `Read` that fails once a physical line grows past `limit` bytes.
struct LineLimit<R> {
    inner: R,
    run: usize,
    limit: usize,
}

impl<R: Read> Read for LineLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for &b in &buf[..n] {
            if b == b'\n' {
                self.run = 0;
            } else {
                self.run += 1;
                if self.run > self.limit {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "line too long",
                    ));
                }
            }
        }
        Ok(n)
    }
}

/// A CSV file being read: its header, then rows on demand.
pub struct Table<R: Read> {
    file: String,
    header: Vec<String>,
    reader: csv::Reader<LineLimit<BufReader<R>>>,
    record: csv::ByteRecord,
    /// Spreadsheet row number of the last row read (header = 1).
    row: u64,
    done: bool,
}

/// One row: its spreadsheet row number and its cells (as many as the header has columns).
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub row: u64,
    pub cells: Vec<String>,
}

impl<R: Read> Table<R> {
    /// Opens a CSV stream and reads its header.
    pub fn new(file: &str, input: R) -> Result<Table<R>, ImportError> {
        let at = Location::file(file);
        let mut buffered = BufReader::with_capacity(64 << 10, input);
        let head = buffered
            .fill_buf()
            .map_err(|_| at.error("the file could not be read"))?;
        if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
            return Err(
                at.error("the file is UTF-16 text; export it as UTF-8 CSV (Excel: \"CSV UTF-8\")")
            );
        }
        if head.is_empty() {
            return Err(at.row(1).error("the file is empty: a header row is needed"));
        }
        let delimiter = sniff_delimiter(head);
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(LineLimit {
                inner: buffered,
                run: 0,
                limit: MAX_LINE,
            });
        let mut table = Table {
            file: file.to_string(),
            header: Vec::new(),
            reader,
            record: csv::ByteRecord::new(),
            row: 0,
            done: false,
        };
        let header = match table.next_record() {
            Some(Ok(cells)) => cells,
            Some(Err(e)) => return Err(e),
            None => return Err(at.row(1).error("the file is empty: a header row is needed")),
        };
        if header.len() > MAX_COLUMNS {
            return Err(at.row(1).error(format!("more than {MAX_COLUMNS} columns")));
        }
        let mut seen = std::collections::BTreeSet::new();
        let mut names = Vec::with_capacity(header.len());
        for (i, raw) in header.into_iter().enumerate() {
            let name = raw.trim_start_matches('\u{feff}').trim().to_string();
            if name.is_empty() {
                // Trailing empty header cells (spreadsheet leftovers) are allowed; an empty
                // name between named columns is not.
                names.push(String::new());
                continue;
            }
            if !seen.insert(name.clone()) {
                return Err(at
                    .row(1)
                    .column(&column_label(&name, i))
                    .error("this column name appears twice in the header"));
            }
            names.push(name);
        }
        while names.last().is_some_and(String::is_empty) {
            names.pop();
        }
        if let Some(i) = names.iter().position(String::is_empty) {
            return Err(at
                .row(1)
                .column(&format!("#{}", i + 1))
                .error("a column between named columns has no name"));
        }
        table.header = names;
        Ok(table)
    }

    /// The column names, in order.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    pub fn file(&self) -> &str {
        &self.file
    }

    /// Reads the next physical record as text cells; `None` at the end.
    fn next_record(&mut self) -> Option<Result<Vec<String>, ImportError>> {
        if self.done {
            return None;
        }
        self.row += 1;
        let at = Location::file(&self.file).row(self.row);
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => {
                self.done = true;
                None
            }
            Ok(true) => {
                let mut cells = Vec::with_capacity(self.record.len());
                for (i, field) in self.record.iter().enumerate() {
                    match std::str::from_utf8(field) {
                        Ok(text) => cells.push(text.to_string()),
                        Err(_) => {
                            let col = self
                                .header
                                .get(i)
                                .cloned()
                                .unwrap_or_else(|| format!("#{}", i + 1));
                            return Some(Err(at
                                .column(&col)
                                .error("not UTF-8 text; export the file as UTF-8 CSV")));
                        }
                    }
                }
                Some(Ok(cells))
            }
            Err(e) => {
                // A broken stream cannot be resynchronised reliably: stop here.
                self.done = true;
                let why = match e.kind() {
                    csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::InvalidData => {
                        format!("a line is longer than {MAX_LINE} bytes; reading stopped here")
                    }
                    csv::ErrorKind::Io(_) => "the file could not be read to the end".to_string(),
                    _ => "the CSV could not be parsed; reading stopped here".to_string(),
                };
                Some(Err(at.error(why)))
            }
        }
    }

    /// The next data row, or an error for that row (reading may go on), or `None` at the end.
    /// Completely empty rows (spreadsheet leftovers) are skipped.
    pub fn next_row(&mut self) -> Option<Result<Row, ImportError>> {
        loop {
            let cells = match self.next_record()? {
                Ok(c) => c,
                Err(e) => return Some(Err(e)),
            };
            let at = Location::file(&self.file).row(self.row);
            if cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            let mut cells = cells;
            // Trailing empty cells beyond the header are spreadsheet leftovers.
            while cells.len() > self.header.len() && cells.last().is_some_and(|c| c.is_empty()) {
                cells.pop();
            }
            if cells.len() != self.header.len() {
                return Some(Err(at.error(format!(
                    "{} cells where the header has {} columns (a truncated file or a stray delimiter)",
                    cells.len(),
                    self.header.len()
                ))));
            }
            for (i, c) in cells.iter().enumerate() {
                if c.len() > MAX_CELL {
                    return Some(Err(at
                        .column(&self.header[i])
                        .error(format!("longer than {MAX_CELL} bytes"))));
                }
            }
            return Some(Ok(Row {
                row: self.row,
                cells,
            }));
        }
    }
}

/// Where a mapping's rows come from: a CSV read as it streams ([`Table`]), or a sheet of a
/// workbook already read ([`super::kobo`]). The mapping's readers ([`super::mapping::Rows`],
/// [`super::mapping::RepeatRows`]) take either, so a CSV export and a workbook export of the same
/// form become the same records through the same mapping.
pub trait RowSource {
    /// Where the rows are (the file, and the sheet of a workbook), for reports.
    fn location(&self) -> Location;
    /// The column names, in order.
    fn header(&self) -> &[String];
    /// The next data row, or an error for that row (reading may go on), or `None` at the end.
    fn next_row(&mut self) -> Option<Result<Row, ImportError>>;
}

impl<R: Read> RowSource for Table<R> {
    fn location(&self) -> Location {
        Location::file(&self.file)
    }

    fn header(&self) -> &[String] {
        Table::header(self)
    }

    fn next_row(&mut self) -> Option<Result<Row, ImportError>> {
        Table::next_row(self)
    }
}

/// A boxed source, as an export hands out its tables ([`super::mapping::Tables`]).
impl<T: RowSource + ?Sized> RowSource for Box<T> {
    fn location(&self) -> Location {
        (**self).location()
    }

    fn header(&self) -> &[String] {
        (**self).header()
    }

    fn next_row(&mut self) -> Option<Result<Row, ImportError>> {
        (**self).next_row()
    }
}

/// The delimiter of the header line: `,` unless the line (outside quotes) has more `;` or tabs,
/// as KoboToolbox's CSV exports (`;`) and spreadsheets' "text" exports (tab) write.
fn sniff_delimiter(head: &[u8]) -> u8 {
    let line = head.split(|b| *b == b'\n').next().unwrap_or(head);
    let (mut comma, mut semi, mut tab, mut quoted) = (0, 0, 0, false);
    for &b in line {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => comma += 1,
            b';' if !quoted => semi += 1,
            b'\t' if !quoted => tab += 1,
            _ => {}
        }
    }
    if semi > comma && semi >= tab {
        b';'
    } else if tab > comma && tab > semi {
        b'\t'
    } else {
        b','
    }
}

fn column_label(name: &str, i: usize) -> String {
    if name.is_empty() {
        format!("#{}", i + 1)
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Outcome = (
        Result<Vec<String>, ImportError>,
        Vec<Result<Row, ImportError>>,
    );

    fn rows(text: &[u8]) -> Outcome {
        match Table::new("f.csv", text) {
            Ok(mut t) => {
                let header = t.header().to_vec();
                let mut out = Vec::new();
                while let Some(r) = t.next_row() {
                    out.push(r);
                }
                (Ok(header), out)
            }
            Err(e) => (Err(e), Vec::new()),
        }
    }

    #[test]
    fn reads_rows_and_names_bad_ones() {
        let (h, r) = rows(b"\xEF\xBB\xBFa,b\n1,2\n3\n\n5,6,\n7,\"x\ny\"\n");
        assert_eq!(h.unwrap(), ["a", "b"]);
        assert_eq!(r.len(), 4);
        assert_eq!(r[0].as_ref().unwrap().cells, ["1", "2"]);
        let e = r[1].as_ref().unwrap_err();
        assert_eq!(e.location.row, Some(3));
        assert!(e.message.contains("1 cells where the header has 2"));
        assert_eq!(r[2].as_ref().unwrap().cells, ["5", "6"]);
        assert_eq!(r[3].as_ref().unwrap().cells, ["7", "x\ny"]);
    }

    #[test]
    fn reads_semicolon_and_tab_separated_exports() {
        let (h, r) = rows(b"\"_uuid\";\"q/a\";\"b,c\"\n\"u1\";\"1,5\";x\n");
        assert_eq!(h.unwrap(), ["_uuid", "q/a", "b,c"]);
        assert_eq!(r[0].as_ref().unwrap().cells, ["u1", "1,5", "x"]);
        let (h, _) = rows(b"a\tb\tc\n1\t2\t3\n");
        assert_eq!(h.unwrap(), ["a", "b", "c"]);
    }

    #[test]
    fn refuses_wrong_encodings_and_bad_headers() {
        let (h, _) = rows(b"\xFF\xFEa\x00,\x00");
        assert!(h.unwrap_err().message.contains("UTF-16"));
        let (h, _) = rows(b"");
        assert!(h.unwrap_err().message.contains("empty"));
        let (h, _) = rows(b"a,a\n");
        assert_eq!(h.unwrap_err().location.column.as_deref(), Some("a"));
        let (h, _) = rows(b"a,,b\n");
        assert!(h.unwrap_err().message.contains("no name"));
        let (_, r) = rows(b"a,b\n\xE9t\xE9,2\n");
        let e = r[0].as_ref().unwrap_err();
        assert_eq!(
            e.to_string(),
            "f.csv, row 2, column a: not UTF-8 text; export the file as UTF-8 CSV"
        );
    }

    #[test]
    fn bounds_cells_and_lines() {
        let mut text = b"a,b\n1,".to_vec();
        text.extend(std::iter::repeat_n(b'x', MAX_CELL + 1));
        text.extend(b"\n2,3\n");
        let (_, r) = rows(&text);
        assert_eq!(
            r[0].as_ref().unwrap_err().location.column.as_deref(),
            Some("b")
        );
        assert!(r[1].is_ok());
        let mut text = b"a\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
        let (_, r) = rows(&text);
        assert!(r[0].as_ref().unwrap_err().message.contains("longer than"));
        assert_eq!(r.len(), 1);
    }
}
