//! Helpers shared by the fuzz targets.

use scaleup_analysis::table::{build_frame, read_table};
use scaleup_stats::formula::Formula;

/// Most data rows a model input may have.
pub const MAX_ROWS: usize = 200;
/// Most CSV columns.
pub const MAX_COLS: usize = 8;
/// Longest formula line.
pub const MAX_FORMULA: usize = 160;
/// Most fixed-effect columns of the frame.
pub const MAX_P: usize = 16;
/// Most random effects outside the first term (the dense part of the LMM).
pub const MAX_DENSE: usize = 64;

/// Splits a model input (formula line, then CSV) and returns it only when it is small enough
/// for a fit to finish quickly: the harness explores the fitting code, not size limits, which
/// the library enforces itself (and which the `tables` target still reaches).
pub fn model_input(data: &[u8]) -> Option<(&str, &str)> {
    if data.len() > 4096 {
        return None;
    }
    let text = std::str::from_utf8(data).ok()?;
    let (formula, csv) = text.split_once('\n').unwrap_or((text, ""));
    if formula.len() > MAX_FORMULA {
        return None;
    }
    let rows = csv.bytes().filter(|b| *b == b'\n').count();
    if rows > MAX_ROWS + 1 {
        return None;
    }
    let header = csv.lines().next().unwrap_or("");
    if header.bytes().filter(|b| *b == b',').count() >= MAX_COLS {
        return None;
    }
    // Build the frame once here (cheap next to a fit) to skip large designs; inputs that fail
    // to parse or build still go to the library, which must reject them cleanly.
    if let Ok(f) = Formula::parse(formula) {
        if let Ok(table) = read_table("fuzz.csv", csv.as_bytes(), &[]) {
            if let Ok(frame) = build_frame(&f, &table, "fuzz.csv") {
                if frame.x.ncols() > MAX_P {
                    return None;
                }
                let mut sizes: Vec<usize> = frame
                    .random
                    .iter()
                    .map(|b| b.levels.len() * b.term_names.len())
                    .collect();
                sizes.sort_unstable();
                sizes.pop();
                if sizes.iter().sum::<usize>() > MAX_DENSE
                    || frame.random.iter().any(|b| b.term_names.len() > 6)
                {
                    return None;
                }
            }
        }
    }
    Some((formula, csv))
}
