//! NIMH Data Archive (NDA) submission files: `ndar_subject01` and one file per instrument that
//! has an NDA data structure (PHQ-9 `cde_phq901`, GAD-7 `cde_gad701`, WHODAS 2.0 `cde_whodas01`),
//! each with NDA's two-line header (`<short name>,<version>`, then the element names), plus a
//! validation report of what NDA would reject and why (nda.nih.gov: the data dictionary and
//! NDAR/nda-tools, whose test fixtures show the two-line header).
//!
//! - `subjectkey` comes from the hub's GUID map (a GUID or pseudo-GUID per client); a client
//!   without one is left out of every file and reported.
//! - `src_subject_id` is the client's keyed pseudonym, the same as in the analysis datasets.
//! - `interview_date` is `MM/DD/YYYY`, optionally shifted per client (a persistent secret
//!   offset, as NDA allows when an IRB restricts dates); `interview_age` is in months, computed
//!   from the true dates.
//! - scaleup keeps only the birth year outside the encrypted identity, so ages assume a birth on
//!   1 July of that year (at most 6 months off); the report says so.
//!
//! Element names of instrument items follow the pattern `<structure prefix>_<item>` and are
//! **unverified** against NDA's data dictionary (only the structure names are confirmed):
//! the report says so, and `vtcmd` validation is the step before submission.

use crate::csv;
use crate::deid::DeidKey;
use crate::source::StudySource;
use scaleup_domain::date::Date;
use scaleup_domain::record::{Client, RecordPayload, Sex};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// An instrument's NDA structure: short name, version, element prefix of its items and the
/// element of its total.
pub struct Structure {
    pub short_name: &'static str,
    pub version: &'static str,
    pub item_prefix: &'static str,
    pub total: &'static str,
}

pub fn structure(instrument: &str) -> Option<Structure> {
    Some(match instrument {
        "phq9" => Structure {
            short_name: "cde_phq9",
            version: "01",
            item_prefix: "phq9",
            total: "phq9_total",
        },
        "gad7" => Structure {
            short_name: "cde_gad7",
            version: "01",
            item_prefix: "gad7",
            total: "gad7_total",
        },
        "whodas12" => Structure {
            short_name: "cde_whodas",
            version: "01",
            item_prefix: "whodas",
            total: "whodas_total",
        },
        _ => return None,
    })
}

/// Reads a hub's GUID map: CSV with a header naming the columns `client_id` (scaleup's client
/// id or the client's export pseudonym) and `subjectkey` (the GUID or pseudo-GUID), in any
/// order among others. Errors name the line, never a value.
pub fn parse_guid_map(text: &str) -> Result<BTreeMap<String, String>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap_or("")
        .split(',')
        .map(|h| h.trim().trim_matches('"').to_ascii_lowercase())
        .collect();
    let col = |name: &str| {
        header.iter().position(|h| h == name).ok_or_else(|| {
            "line 1: the header must name the columns client_id and subjectkey".to_string()
        })
    };
    let (client, guid) = (col("client_id")?, col("subjectkey")?);
    let mut map = BTreeMap::new();
    for (i, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line
            .split(',')
            .map(|c| c.trim().trim_matches('"'))
            .collect();
        let (Some(c), Some(g)) = (cells.get(client), cells.get(guid)) else {
            return Err(format!("line {}: too few columns", i + 2));
        };
        if c.is_empty() || g.is_empty() {
            return Err(format!("line {}: an empty client_id or subjectkey", i + 2));
        }
        if map.insert(c.to_string(), g.to_string()).is_some() {
            return Err(format!("line {}: a client listed twice", i + 2));
        }
    }
    Ok(map)
}

/// Interview ages NDA accepts, in months.
pub const AGE_MONTHS: std::ops::RangeInclusive<i64> = 0..=1260;

/// Options of an NDA export.
#[derive(Clone, Debug, Default)]
pub struct NdaOptions {
    /// Shift every interview date of a client by the client's secret offset.
    pub shift_dates: bool,
}

/// One thing NDA would reject (a row left out) or a caution about the files.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// `ndar_subject01`, a structure's short name with version, or `*` for all.
    pub file: String,
    /// The client's src_subject_id, when the finding is about one client.
    pub subject: Option<String>,
    pub rule: &'static str,
    pub message: String,
    /// Whether the row was left out (NDA would reject it), or only a caution.
    pub rejected: bool,
}

/// The files and the report.
#[derive(Clone, Debug, Default)]
pub struct NdaExport {
    pub files: Vec<(String, String)>,
    pub findings: Vec<Finding>,
    pub rows: BTreeMap<String, usize>,
}

fn nda_date(d: Date) -> String {
    format!("{:02}/{:02}/{:04}", d.month(), d.day(), d.year())
}

/// Age in whole months at `on` for someone born in `year`, taken as born on 1 July.
pub fn age_in_months(birth_year: i32, on: Date) -> i64 {
    // Completed months since 1 July: the day of the month never takes one away, as the
    // assumed birthday is the 1st.
    (on.year() as i64 - birth_year as i64) * 12 + (on.month() as i64 - 7)
}

fn sex_code(sex: Sex) -> Option<&'static str> {
    match sex {
        Sex::Female => Some("F"),
        Sex::Male => Some("M"),
        Sex::Other => Some("O"),
        Sex::Unknown => None,
    }
}

/// Checks a GUID or pseudo-GUID's shape: NDA's are letters, digits and `_`, such as
/// `NDAR_INVAB123CDE`; anything else is surely a mistake in the map.
pub fn guid_ok(guid: &str) -> bool {
    (8..=64).contains(&guid.len()) && guid.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// One structure's file in the making: the structure, its item elements, and per row the common
/// cells and the values by element.
type StructureRows = (
    Structure,
    BTreeSet<String>,
    Vec<(Vec<Option<String>>, BTreeMap<String, String>)>,
);

/// What a client contributes to every file: the three common elements and whether any failed.
struct Subject {
    key: String,
    src: String,
    shift: i64,
    client: Option<Client>,
}

/// Builds the submission files. `guids` maps a client (its scaleup id or its export pseudonym)
/// to its GUID or pseudo-GUID.
pub fn export(
    source: &StudySource,
    guids: &BTreeMap<String, String>,
    key: &DeidKey,
    options: &NdaOptions,
) -> NdaExport {
    let mut out = NdaExport::default();
    let clients: BTreeMap<Uuid, &Client> = source
        .records
        .iter()
        .filter_map(|r| match &r.payload {
            RecordPayload::Client(c) => Some((r.id, c)),
            _ => None,
        })
        .collect();
    let reject =
        |out: &mut NdaExport, file: &str, subject: &str, rule: &'static str, message: String| {
            out.findings.push(Finding {
                file: file.into(),
                subject: Some(subject.into()),
                rule,
                message,
                rejected: true,
            });
        };
    // Every client of the programme (registered, or only assessed), once, with its GUID.
    let mut ids: BTreeSet<Uuid> = clients.keys().copied().collect();
    for r in &source.records {
        if let RecordPayload::Assessment(a) = &r.payload {
            ids.insert(a.client_id);
        }
    }
    let mut subjects: BTreeMap<Uuid, Subject> = BTreeMap::new();
    for id in ids {
        let src = key.pseudonym("C", "client", id);
        match guids.get(&id.to_string()).or_else(|| guids.get(&src)) {
            None => reject(
                &mut out,
                "*",
                &src,
                "missing_guid",
                "no GUID or pseudo-GUID in the map: left out of every file".into(),
            ),
            Some(g) if !guid_ok(g) => reject(
                &mut out,
                "*",
                &src,
                "malformed_guid",
                "the map's GUID is not 8-64 letters, digits or _: left out of every file".into(),
            ),
            Some(g) => {
                subjects.insert(
                    id,
                    Subject {
                        key: g.clone(),
                        src,
                        shift: if options.shift_dates {
                            key.date_shift(id)
                        } else {
                            0
                        },
                        client: clients.get(&id).map(|c| (*c).clone()),
                    },
                );
            }
        }
    }
    // The common elements of one row, or why NDA would reject it.
    let common = |s: &Subject, on: Date| -> Result<Vec<Option<String>>, (&'static str, String)> {
        let client = s.client.as_ref().ok_or((
            "missing_required",
            "the client's registration record is missing (sex, age)".to_string(),
        ))?;
        let sex = sex_code(client.sex).ok_or((
            "missing_required",
            "sex is unknown; NDA requires it".to_string(),
        ))?;
        let year = client.birth_year.ok_or((
            "missing_required",
            "no birth year, so no interview_age".to_string(),
        ))?;
        let age = age_in_months(year, on);
        if !AGE_MONTHS.contains(&age) {
            return Err((
                "age_out_of_range",
                format!(
                    "interview_age must be 0 to 1260 months; this row's is {}",
                    if age < 0 { "negative" } else { "above 1260" }
                ),
            ));
        }
        let date = on.checked_add_days(s.shift).ok_or((
            "missing_required",
            "the shifted date is outside the calendar".to_string(),
        ))?;
        Ok(vec![
            Some(s.key.clone()),
            Some(s.src.clone()),
            Some(nda_date(date)),
            Some(age.to_string()),
            Some(sex.to_string()),
        ])
    };
    const COMMON: [&str; 5] = [
        "subjectkey",
        "src_subject_id",
        "interview_date",
        "interview_age",
        "sex",
    ];

    // ndar_subject01: one row per client, at registration.
    let mut subject_rows = Vec::new();
    for (id, client) in &clients {
        let Some(s) = subjects.get(id) else { continue };
        match common(s, client.registered_on) {
            Ok(row) => subject_rows.push(row),
            Err((rule, message)) => reject(&mut out, "ndar_subject01", &s.src, rule, message),
        }
    }
    let mut text = String::new();
    csv::write_text_row(&mut text, &["ndar_subject", "01"]);
    csv::write_text_row(&mut text, &COMMON);
    let numeric = [false, false, false, true, false];
    for row in &subject_rows {
        csv::write_row(&mut text, row, &numeric);
    }
    out.rows.insert("ndar_subject01".into(), subject_rows.len());
    out.files.push(("ndar_subject01.csv".into(), text));

    // One file per instrument with a structure.
    let mut per_structure: BTreeMap<&'static str, StructureRows> = BTreeMap::new();
    let mut without: BTreeSet<String> = BTreeSet::new();
    for r in &source.records {
        let RecordPayload::Assessment(a) = &r.payload else {
            continue;
        };
        let Some(st) = structure(&a.instrument) else {
            without.insert(a.instrument.clone());
            continue;
        };
        let Some(s) = subjects.get(&a.client_id) else {
            continue;
        };
        let file = format!("{}{}", st.short_name, st.version);
        let row = match common(s, a.administered_on) {
            Ok(row) => row,
            Err((rule, message)) => {
                reject(&mut out, &file, &s.src, rule, message);
                continue;
            }
        };
        let entry = per_structure
            .entry(st.short_name)
            .or_insert_with(|| (st, BTreeSet::new(), Vec::new()));
        let mut values = BTreeMap::new();
        for (item, v) in &a.responses {
            let element = format!(
                "{}_{}",
                entry.0.item_prefix,
                item.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
            );
            entry.1.insert(element.clone());
            if let Some(v) = v {
                values.insert(
                    element,
                    if v.fract() == 0.0 {
                        format!("{}", *v as i64)
                    } else {
                        v.to_string()
                    },
                );
            }
        }
        if let Some(total) = r.score.as_ref().and_then(|s| s.total) {
            values.insert(
                entry.0.total.to_string(),
                if total.fract() == 0.0 {
                    format!("{}", total as i64)
                } else {
                    total.to_string()
                },
            );
        }
        entry.2.push((row, values));
    }
    for (_, (st, elements, rows)) in per_structure {
        // Items in numeric order where they are numbered.
        let mut elements: Vec<String> = elements.into_iter().collect();
        elements.sort_by_key(|e| {
            let tail = e.rsplit('_').next().unwrap_or("");
            (tail.parse::<u32>().unwrap_or(u32::MAX), e.clone())
        });
        elements.push(st.total.to_string());
        let mut text = String::new();
        csv::write_text_row(&mut text, &[st.short_name, st.version]);
        let header: Vec<&str> = COMMON
            .iter()
            .copied()
            .chain(elements.iter().map(String::as_str))
            .collect();
        csv::write_text_row(&mut text, &header);
        let numeric: Vec<bool> = header
            .iter()
            .enumerate()
            .map(|(i, _)| i == 3 || i >= 5)
            .collect();
        for (row, values) in &rows {
            let mut cells = row.clone();
            cells.extend(elements.iter().map(|e| values.get(e).cloned()));
            csv::write_row(&mut text, &cells, &numeric);
        }
        let name = format!("{}{}", st.short_name, st.version);
        out.rows.insert(name.clone(), rows.len());
        out.files.push((format!("{name}.csv"), text));
        out.findings.push(Finding {
            file: name,
            subject: None,
            rule: "unverified_elements",
            message: format!("item elements are named {}_<item> and the total {}; check them against the structure's definitions in the NDA data dictionary before vtcmd", st.item_prefix, st.total),
            rejected: false,
        });
    }
    for code in without {
        out.findings.push(Finding {
            file: "*".into(),
            subject: None,
            rule: "no_structure",
            message: format!("instrument {code} has no NDA data structure here: its administrations are not exported"),
            rejected: false,
        });
    }
    out.findings.push(Finding {
        file: "*".into(),
        subject: None,
        rule: "age_from_birth_year",
        message: "interview_age is computed from the birth year (born 1 July assumed): it may be up to 6 months off".into(),
        rejected: false,
    });
    if options.shift_dates {
        out.findings.push(Finding {
            file: "*".into(),
            subject: None,
            rule: "dates_shifted",
            message: "interview dates are shifted per subject by a persistent secret offset (1 to 182 days either way); ages are from the true dates".into(),
            rejected: false,
        });
    }
    out.files
        .push(("validation_report.txt".into(), report_text(&out)));
    out.files.push((
        "validation_report.json".into(),
        serde_json::to_string_pretty(&report_json(&out)).expect("plain JSON") + "\n",
    ));
    out
}

fn report_json(out: &NdaExport) -> serde_json::Value {
    json!({
        "rows": out.rows,
        "rejected": out.findings.iter().filter(|f| f.rejected).count(),
        "findings": out.findings.iter().map(|f| json!({
            "file": f.file, "src_subject_id": f.subject, "rule": f.rule,
            "message": f.message, "rejected": f.rejected,
        })).collect::<Vec<_>>(),
    })
}

fn report_text(out: &NdaExport) -> String {
    let mut s = String::from("NDA submission files and what NDA would reject\n\nRows written:\n");
    for (file, n) in &out.rows {
        s.push_str(&format!("  {file}: {n}\n"));
    }
    let rejected: Vec<&Finding> = out.findings.iter().filter(|f| f.rejected).collect();
    s.push_str(&format!(
        "\nLeft out because NDA would reject them ({}):\n",
        rejected.len()
    ));
    let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &rejected {
        *by_rule.entry(f.rule).or_default() += 1;
    }
    for (rule, n) in &by_rule {
        s.push_str(&format!("  {rule}: {n}\n"));
    }
    for f in &rejected {
        s.push_str(&format!(
            "  {} {}: {} ({})\n",
            f.file,
            f.subject.as_deref().unwrap_or("-"),
            f.message,
            f.rule
        ));
    }
    s.push_str("\nCautions:\n");
    for f in out.findings.iter().filter(|f| !f.rejected) {
        s.push_str(&format!("  {}: {} ({})\n", f.file, f.message, f.rule));
    }
    s.push_str("\nValidate with NDA's own tool before submitting: vtcmd <files> (pip install nda-tools).\n");
    s
}
