//! Shared by the reference tests: reading the CSV files R wrote and the JSON values it wrote.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use scaleup_stats::data::{Data, factor_from_labels};
use serde_json::Value;

/// `tests/reference/<sub>` of this crate.
pub fn reference_dir(sub: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/reference")
        .join(sub)
}

/// Reads an R `write.csv` file: a column is numeric when every cell parses (cells equal to
/// `missing` are NaN), otherwise a factor (`missing` cells are missing levels). R writes `NA`
/// by default and `""` with `na = ""`.
pub fn read_r_csv(path: &Path, missing: &str) -> Data {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(|s| s.trim_matches('"').to_string())
        .collect();
    let mut cells: Vec<Vec<String>> = vec![Vec::new(); header.len()];
    for line in lines.filter(|l| !l.is_empty()) {
        for (k, c) in line.split(',').enumerate() {
            cells[k].push(c.trim_matches('"').to_string());
        }
    }
    let mut data = Data::new();
    for (name, col) in header.iter().zip(cells) {
        let parsed: Option<Vec<f64>> = col
            .iter()
            .map(|c| {
                if c == missing {
                    Some(f64::NAN)
                } else {
                    c.parse().ok()
                }
            })
            .collect();
        match parsed {
            Some(v) => data.add_numeric(name, v).unwrap(),
            None => {
                let labels: Vec<Option<&str>> = col
                    .iter()
                    .map(|c| (c != missing).then_some(c.as_str()))
                    .collect();
                data.add_column(name, factor_from_labels(&labels)).unwrap()
            }
        }
    }
    data
}

/// Flattens a JSON number or (nested) array of numbers (jsonlite unboxes length-1 vectors).
pub fn nums(v: &Value) -> Vec<f64> {
    match v {
        Value::Number(n) => vec![n.as_f64().unwrap()],
        Value::Array(a) => a.iter().flat_map(nums).collect(),
        other => panic!("not numeric: {other}"),
    }
}
