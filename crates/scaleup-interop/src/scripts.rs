//! The files of an analysis dataset: the CSV, its data dictionary (CSV and JSON), an R script
//! and a Stata do-file that load the CSV with variable labels, value labels and dates, and a
//! README. All are written from the dataset's [`Variable`]s.
//!
//! Strings that go into a script (labels, codes) are this crate's own vocabulary, never data:
//! value labels are written only for coded variables with fixed code lists, so nothing from the
//! database can end up as code in a script.

use crate::csv;
use crate::dataset::{Dataset, VarType};
use serde_json::json;

/// The files of a dataset export, as (file name, contents).
pub fn files(d: &Dataset) -> Vec<(String, Vec<u8>)> {
    vec![
        (format!("{}.csv", d.name), data_csv(d).into_bytes()),
        (
            format!("{}_dictionary.csv", d.name),
            dictionary_csv(d).into_bytes(),
        ),
        (
            format!("{}_dictionary.json", d.name),
            (serde_json::to_string_pretty(&dictionary_json(d)).expect("plain JSON") + "\n")
                .into_bytes(),
        ),
        (format!("{}.R", d.name), r_script(d).into_bytes()),
        (format!("{}.do", d.name), stata_do(d).into_bytes()),
        (format!("{}_README.txt", d.name), readme(d).into_bytes()),
    ]
}

/// The data: a header of variable names, then one line per row.
pub fn data_csv(d: &Dataset) -> String {
    let mut out = String::new();
    let names: Vec<&str> = d.variables.iter().map(|v| v.name.as_str()).collect();
    csv::write_text_row(&mut out, &names);
    let numeric: Vec<bool> = d
        .variables
        .iter()
        .map(|v| v.var_type.is_numeric())
        .collect();
    for row in &d.rows {
        csv::write_row(&mut out, row, &numeric);
    }
    out
}

fn codes_text(codes: &[(String, String)]) -> String {
    codes
        .iter()
        .map(|(c, l)| format!("{c}={l}"))
        .collect::<Vec<_>>()
        .join(" | ")
}

/// variable, label, type, units, codes (`code=label | ...`).
pub fn dictionary_csv(d: &Dataset) -> String {
    let mut out = String::new();
    csv::write_text_row(&mut out, &["variable", "label", "type", "units", "codes"]);
    for v in &d.variables {
        csv::write_text_row(
            &mut out,
            &[
                v.name.as_str(),
                v.label.as_str(),
                v.var_type.as_str(),
                v.units.as_deref().unwrap_or(""),
                &codes_text(&v.codes),
            ],
        );
    }
    out
}

pub fn dictionary_json(d: &Dataset) -> serde_json::Value {
    json!({
        "dataset": d.name,
        "programme": d.programme,
        "unit": d.unit.as_str(),
        "rows": d.rows.len(),
        "clients": d.clients,
        "outcome_instrument": d.instrument,
        "deidentification": {
            "age_bands": d.deid.age_bands,
            "date_shifting": d.deid.shift_dates,
            "free_text_dropped": d.deid.drop_free_text,
            "facility_coarsened_to_district": d.deid.coarsen_facility,
            "k": d.deid.k,
            "quasi_identifiers": d.quasi_identifiers,
        },
        "notes": d.notes,
        "variables": d.variables.iter().map(|v| json!({
            "variable": v.name,
            "label": v.label,
            "type": v.var_type.as_str(),
            "units": v.units,
            "codes": v.codes.iter().map(|(c, l)| json!({"code": c, "label": l})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// A string literal for R or Stata: double quotes, with quotes and backslashes escaped and
/// line breaks removed.
fn quoted(text: &str) -> String {
    let clean: String = text
        .chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .replace('\\', "\\\\")
        .replace('"', "'");
    format!("\"{clean}\"")
}

/// The data frame's name in R: the file stem with every character R does not allow in a name
/// (such as the `-` of a programme code) replaced by `_`.
pub fn r_name(d: &Dataset) -> String {
    let name: String = d
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name
    } else {
        format!("d_{name}")
    }
}

pub fn r_script(d: &Dataset) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "# Loads {name}.csv with its labels (base R only). Run from the folder holding the file:\n#   source(\"{name}.R\")\n# The data dictionary is {name}_dictionary.csv.\n\n",
        name = d.name
    ));
    let classes: Vec<String> = d
        .variables
        .iter()
        .map(|v| {
            let class = match v.var_type {
                VarType::Integer => "integer",
                VarType::Number => "numeric",
                _ => "character",
            };
            format!("  {} = {}", v.name, quoted(class))
        })
        .collect();
    s.push_str(&format!(
        "{name} <- read.csv({file}, colClasses = c(\n{classes}\n), na.strings = \"\", stringsAsFactors = FALSE, encoding = \"UTF-8\")\n\n",
        name = r_name(d),
        file = quoted(&format!("{}.csv", d.name)),
        classes = classes.join(",\n")
    ));
    s.push_str("# Text cells that began with = + - @ were written with a leading ' (spreadsheet safety).\n");
    s.push_str(&format!(
        "for (v in names({n})) if (is.character({n}[[v]])) {n}[[v]] <- sub(\"^'([=+@\\t\\r-])\", \"\\\\1\", {n}[[v]])\n\n",
        n = r_name(d)
    ));
    for v in &d.variables {
        let col = format!("{}${}", r_name(d), v.name);
        match v.var_type {
            VarType::Date => s.push_str(&format!("{col} <- as.Date({col})\n")),
            VarType::Code | VarType::Integer if !v.codes.is_empty() => {
                let levels: Vec<String> = v.codes.iter().map(|(c, _)| quoted(c)).collect();
                let labels: Vec<String> = v.codes.iter().map(|(_, l)| quoted(l)).collect();
                s.push_str(&format!(
                    "{col} <- factor({col}, levels = c({}), labels = c({}))\n",
                    levels.join(", "),
                    labels.join(", ")
                ));
            }
            _ => {}
        }
        s.push_str(&format!("attr({col}, \"label\") <- {}\n", quoted(&v.label)));
        if let Some(u) = &v.units {
            s.push_str(&format!("attr({col}, \"units\") <- {}\n", quoted(u)));
        }
    }
    s
}

/// A Stata variable name: at most 32 characters (ours are shorter; checked in tests).
pub fn stata_do(d: &Dataset) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "* Loads {name}.csv with its labels. Run from the folder holding the file:\n*   do {name}.do\n* The data dictionary is {name}_dictionary.csv.\n\n",
        name = d.name
    ));
    let strings: Vec<&str> = d
        .variables
        .iter()
        .filter(|v| !v.var_type.is_numeric())
        .map(|v| v.name.as_str())
        .collect();
    // `stringcols()` takes column numbers (1-based), not names.
    let string_columns: Vec<String> = d
        .variables
        .iter()
        .enumerate()
        .filter(|(_, v)| !v.var_type.is_numeric())
        .map(|(i, _)| (i + 1).to_string())
        .collect();
    let stringcols = if string_columns.is_empty() {
        String::new()
    } else {
        format!(" stringcols({})", string_columns.join(" "))
    };
    s.push_str(&format!(
        "import delimited using {}, varnames(1) case(preserve) encoding(\"utf-8\"){stringcols} clear\n\n",
        quoted(&format!("{}.csv", d.name)),
    ));
    s.push_str("* Text cells that began with = + - @ were written with a leading ' (spreadsheet safety).\n");
    for v in strings.iter() {
        s.push_str(&format!(
            "replace {v} = substr({v}, 2, .) if regexm({v}, \"^'[-=+@]\")\n"
        ));
    }
    s.push('\n');
    for v in &d.variables {
        match v.var_type {
            VarType::Date => {
                s.push_str(&format!(
                    "generate _d = date({n}, \"YMD\")\nformat _d %td\norder _d, after({n})\ndrop {n}\nrename _d {n}\n",
                    n = v.name
                ));
            }
            VarType::Code if !v.codes.is_empty() => {
                // Value labels map 1..n to the codes so `encode` keeps them in the given order,
                // then the labels are replaced by the readable ones.
                let by_code: Vec<String> = v
                    .codes
                    .iter()
                    .enumerate()
                    .map(|(i, (c, _))| format!("{} {}", i + 1, quoted(c)))
                    .collect();
                let by_label: Vec<String> = v
                    .codes
                    .iter()
                    .enumerate()
                    .map(|(i, (_, l))| format!("{} {}", i + 1, quoted(l)))
                    .collect();
                s.push_str(&format!(
                    "label define {n}_lbl {}\nencode {n}, generate(_c) label({n}_lbl) noextend\norder _c, after({n})\ndrop {n}\nrename _c {n}\nlabel define {n}_lbl {}, modify\n",
                    by_code.join(" "),
                    by_label.join(" "),
                    n = v.name
                ));
            }
            VarType::Integer if !v.codes.is_empty() => {
                let labels: Vec<String> = v
                    .codes
                    .iter()
                    .map(|(c, l)| format!("{c} {}", quoted(l)))
                    .collect();
                s.push_str(&format!(
                    "label define {n}_lbl {}\nlabel values {n} {n}_lbl\n",
                    labels.join(" "),
                    n = v.name
                ));
            }
            _ => {}
        }
        s.push_str(&format!("label variable {} {}\n", v.name, quoted(&v.label)));
    }
    s
}

pub fn readme(d: &Dataset) -> String {
    let mut s = format!(
        "{name}: one row per {unit} of programme {programme} ({rows} rows, {clients} clients).\n\n\
         Files: {name}.csv (data), {name}_dictionary.csv and .json (variable, label, type, units, codes),\n\
         {name}.R and {name}.do (load the data with labels in R or Stata).\n\nDe-identification:\n",
        name = d.name,
        unit = d.unit.as_str(),
        programme = d.programme,
        rows = d.rows.len(),
        clients = d.clients
    );
    for n in &d.notes {
        s.push_str(&format!("- {n}\n"));
    }
    s.push_str("- Client and episode ids are keyed pseudonyms: they link rows of this file and of later exports, not the hub's records.\n");
    s
}
