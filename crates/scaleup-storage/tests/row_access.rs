//! Hardening item 9: sqlx's `Row::get` panics when a column is missing or of another type, and a
//! panic in a handler drops the connection. Storage reads columns with `try_get` and returns the
//! error. This scans the storage sources so that a `get` on a row cannot come back unnoticed
//! (clippy.toml disallows the method too, for those who run clippy).

use std::path::Path;

/// Calls that read a column by name with the panicking accessor: `.get("col")` or
/// `.get::<T, _>("col")`. Storage has no maps keyed by string literals, so every such call is a
/// row access.
fn panicking_row_reads(source: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (i, line) in source.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find(".get") {
            let after = &rest[at + 4..];
            let is_row_read = after.starts_with("(\"") || after.starts_with("::<");
            if is_row_read {
                found.push((i + 1, line.trim().to_string()));
                break;
            }
            rest = after;
        }
    }
    found
}

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("storage sources") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn storage_reads_columns_without_panicking() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    assert!(files.len() > 10, "found the storage sources");
    let mut offences = Vec::new();
    for file in files {
        // The test helpers run only under tests, where a panic is a failed test.
        if file.file_name().is_some_and(|n| n == "testing.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("readable source");
        for (line, code) in panicking_row_reads(&text) {
            offences.push(format!("{}:{line}: {code}", file.display()));
        }
    }
    assert!(
        offences.is_empty(),
        "use try_get (Row::get panics on a missing or mistyped column):\n{}",
        offences.join("\n")
    );
}

#[test]
fn the_scan_recognises_both_spellings_and_ignores_try_get() {
    let src = "let a: String = r.get(\"x\");\nlet b = r.get::<i64, _>(\"n\");\nlet c: String = r.try_get(\"x\")?;\n// r.get(\"in a comment\")\n";
    let found: Vec<usize> = panicking_row_reads(src)
        .into_iter()
        .map(|(l, _)| l)
        .collect();
    assert_eq!(found, vec![1, 2]);
}
