//! Power and sample size from a TOML design spec (the public contract of `scaleup design` and
//! `POST /api/v1/analyses/power|sample-size`). Validation errors name the source, the line and
//! the field; all computation lives in `scaleup_stats::power`.

use scaleup_stats::power::{self, DesignError, PowerResult, SolveFor, SpecFile};
use serde_json::Value;

use crate::Report;

/// Power of the design a spec describes.
pub fn power(source: &str, text: &str) -> anyhow::Result<Report> {
    let spec = read_spec(source, text)?
        .into_spec(None)
        .map_err(|e| spec_error(source, text, e))?;
    let result = power::power(&spec).map_err(|e| spec_error(source, text, e))?;
    Ok(Report {
        json: serde_json::to_value(&result)?,
        text: render_text(&result),
        warnings: Vec::new(),
        html: None,
    })
}

/// The smallest value of `what` reaching `target_power`.
pub fn sample_size(
    source: &str,
    text: &str,
    what: SolveFor,
    target_power: f64,
) -> anyhow::Result<Report> {
    if !(target_power > 0.0 && target_power < 1.0) {
        anyhow::bail!("target_power must be between 0 and 1");
    }
    let spec = read_spec(source, text)?
        .into_spec(Some(what))
        .map_err(|e| spec_error(source, text, e))?;
    let sol = power::solve(&spec, what, target_power).map_err(|e| spec_error(source, text, e))?;
    let mut json = serde_json::to_value(&sol.result)?;
    if let Value::Object(obj) = &mut json {
        obj.insert("solved_for".into(), sol.solved_for.into());
        obj.insert("value".into(), sol.value.into());
        obj.insert("target_power".into(), sol.target_power.into());
    }
    let text = format!(
        "{}: {} (power {:.4} ≥ target {})\n{}",
        sol.solved_for,
        sol.value,
        sol.result.power,
        sol.target_power,
        render_text(&sol.result)
    );
    Ok(Report {
        json,
        text,
        warnings: Vec::new(),
        html: None,
    })
}

fn read_spec(source: &str, text: &str) -> anyhow::Result<SpecFile> {
    // toml's error text already carries the line, column and key.
    toml::from_str(text).map_err(|e| anyhow::anyhow!("{source}: invalid design spec: {e}"))
}

/// Adds the file name and, where the field can be found, its line to a validation error.
fn spec_error(source: &str, text: &str, err: DesignError) -> anyhow::Error {
    let field = match &err {
        DesignError::InvalidField { field, .. } | DesignError::MissingField { field } => {
            Some(*field)
        }
        DesignError::Unidentified(_) => Some("stepped_wedge.sequences"),
        DesignError::Unreachable { .. } => None,
    };
    match field.and_then(|f| locate(text, f)) {
        Some(line) => anyhow::anyhow!("{}: line {line}: {err}", source),
        None => anyhow::anyhow!("{}: {err}", source),
    }
}

/// Finds the 1-based line of a dotted field (`table.key`, `table` or top-level `key`) in a TOML
/// document written with plain `[table]` headers and `key = value` lines (the documented spec
/// style). A missing key points at its table header; dotted or inline-table keys are not found,
/// in which case the message has no line.
fn locate(text: &str, field: &str) -> Option<usize> {
    let (table, key) = match field.split_once('.') {
        Some((t, k)) => (Some(t), Some(k)),
        None if text.lines().any(|l| is_header(l, field)) => (Some(field), None),
        None => (None, Some(field)),
    };
    let mut in_table = table.is_none();
    let mut header_line = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            in_table = table.is_some_and(|t| is_header(line, t));
            if in_table {
                header_line = Some(i + 1);
                if key.is_none() {
                    return header_line;
                }
            }
            continue;
        }
        if in_table
            && let Some(k) = key
            && let Some(rest) = trimmed.strip_prefix(k)
            && rest.trim_start().starts_with('=')
        {
            return Some(i + 1);
        }
    }
    header_line
}

fn is_header(line: &str, table: &str) -> bool {
    line.trim()
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .map(str::trim)
        == Some(table)
}

fn opt(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |x| format!("{x:.6}"))
}

fn render_text(r: &PowerResult) -> String {
    let mut s = String::new();
    s.push_str(&format!("design          {} ({})\n", r.kind, r.method));
    s.push_str(&format!("power           {:.4}\n", r.power));
    s.push_str(&format!("alpha           {}\n", r.alpha));
    s.push_str(&format!("effect          {:.6}\n", r.effect));
    s.push_str(&format!("SE (H1 / H0)    {:.6} / {:.6}\n", r.se, r.se_null));
    s.push_str(&format!("design effect   {}\n", opt(r.design_effect)));
    s.push_str(&format!("ICC             {}\n", opt(r.icc)));
    s.push_str(&format!(
        "variances       sigma2 {:.6}, tau2 {}, gamma2 {}\n",
        r.sigma2,
        opt(r.tau2),
        opt(r.gamma2)
    ));
    if let Some(c) = r.n_clusters {
        s.push_str(&format!("clusters        {c}\n"));
    }
    if let Some(t) = r.n_periods {
        s.push_str(&format!("periods         {t}\n"));
    }
    s.push_str(&format!(
        "participants    {} recruited, {} analysed\n",
        r.n_total, r.n_analysed
    ));
    for note in &r.notes {
        s.push_str(&format!("note: {note}\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::locate;

    #[test]
    fn locates_fields() {
        let doc = "kind = \"parallel-crt\"\nalpha = 0.05\n\n[outcome]\ntype = \"binary\"\np0 = 1.5\n\n[parallel_crt]\ncluster_size = 0\n";
        assert_eq!(locate(doc, "alpha"), Some(2));
        assert_eq!(locate(doc, "outcome.p0"), Some(6));
        assert_eq!(locate(doc, "parallel_crt.cluster_size"), Some(9));
        assert_eq!(locate(doc, "parallel_crt.clusters_per_arm"), Some(8));
        assert_eq!(locate(doc, "outcome"), Some(4));
        assert_eq!(locate(doc, "clustering"), None);
    }
}
