//! CSV as the exports write it: RFC 4180 quoting, `\n` line ends, UTF-8 without a byte-order
//! mark, and protection against formula injection.
//!
//! A spreadsheet opening a CSV runs a cell that starts with `=`, `+`, `-` or `@` (and, in some,
//! a tab or carriage return) as a formula (OWASP "CSV Injection"). Text cells that start with
//! one of those get a leading `'`, which spreadsheets show as text and R and Stata read as a
//! character. Numeric cells are written by this crate from numbers and are left alone, so a
//! negative score stays a number.

/// Characters that make a spreadsheet treat a cell as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text cell made safe for spreadsheets: a leading `'` when it starts like a formula.
pub fn defuse(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(FORMULA_STARTS) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// One field, quoted when it holds a comma, quote, or line break (and quotes doubled).
pub fn field(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\"")).into()
    } else {
        text.into()
    }
}

/// Appends one record. `numeric[i]` says whether column `i` holds numbers written by this crate
/// (not defused); `None` is an empty cell.
pub fn write_row(out: &mut String, cells: &[Option<String>], numeric: &[bool]) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if let Some(text) = cell {
            if numeric.get(i).copied().unwrap_or(false) {
                out.push_str(&field(text));
            } else {
                out.push_str(&field(&defuse(text)));
            }
        }
    }
    out.push('\n');
}

/// A header or any row of text cells (all defused).
pub fn write_text_row<S: AsRef<str>>(out: &mut String, cells: &[S]) {
    let cells: Vec<Option<String>> = cells.iter().map(|c| Some(c.as_ref().to_string())).collect();
    write_row(out, &cells, &[]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_start_like_formulas_get_a_leading_quote() {
        for (cell, want) in [
            (
                "=HYPERLINK(\"http://x\")",
                "\"'=HYPERLINK(\"\"http://x\"\")\"",
            ),
            ("+1", "'+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "\"'\rx\""),
            ("plain", "plain"),
            ("a,b", "\"a,b\""),
        ] {
            let mut out = String::new();
            write_row(&mut out, &[Some(cell.to_string())], &[false]);
            assert_eq!(out, format!("{want}\n"), "{cell:?}");
        }
        // Numbers the crate wrote stay numbers.
        let mut out = String::new();
        write_row(
            &mut out,
            &[Some("-3".into()), None, Some("-3".into())],
            &[true, false, false],
        );
        assert_eq!(out, "-3,,'-3\n");
    }
}
