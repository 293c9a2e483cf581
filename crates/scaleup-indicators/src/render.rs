//! The indicator table as JSON (the contract of `scaleup indicators --format json` and
//! `GET /api/v1/indicators`), CSV and a self-contained HTML page. Both edges render through
//! these functions, so they cannot drift apart.

use crate::catalogue::{INDICATORS, IndicatorDef, ValueKind};
use crate::compute::IndicatorRow;
use crate::disclosure::{Disclosure, IndicatorTable};
use serde_json::{Value, json};
use std::fmt::Write as _;

/// A number as JSON: whole numbers as integers (counts read as counts), others as floats.
fn number(x: Option<f64>) -> Value {
    match x {
        None => Value::Null,
        Some(v) if v.fract() == 0.0 && v.abs() < 9.0e15 => json!(v as i64),
        Some(v) => json!(v),
    }
}

fn row_json(table: &IndicatorTable, r: &IndicatorRow) -> Value {
    let mut by = serde_json::Map::new();
    for (d, v) in table.by().iter().zip(&r.by) {
        by.insert(
            d.as_str().to_string(),
            json!({"key": v.key, "label": v.label}),
        );
    }
    let mut o = json!({
        "code": r.def.code,
        "label": r.def.label,
        "numerator": number(r.numerator),
        "denominator": number(r.denominator),
        "value": number(r.value),
        "n": r.n,
        "framework": r.def.framework.as_str(),
        "unit": r.def.unit,
        "value_kind": r.def.value,
        "by": by,
        "suppressed": r.suppressed,
    });
    if let Some(d) = r.def.design {
        o["design"] = json!(d.as_str());
    }
    o
}

/// The JSON document: `{"programme", "period", "as_of", "by", "disclosure", "indicators",
/// "parameters", "diagnostics"}`; each indicator `{"code", "label", "numerator",
/// "denominator", "value", "n", "framework", "unit", "value_kind", "by", "suppressed",
/// "design"?}`.
pub fn json(table: &IndicatorTable) -> Value {
    let disclosure = match table.disclosure() {
        Disclosure::Exact => json!({"policy": "exact"}),
        Disclosure::SuppressBelow { k } => json!({"policy": "suppress_below", "k": k}),
    };
    let parameters: serde_json::Map<String, Value> = table
        .parameters()
        .iter()
        .map(|(code, p)| (code.clone(), serde_json::to_value(p).unwrap_or_default()))
        .collect();
    json!({
        "programme": table.programme(),
        "period": {
            "from": table.period().from.map(|d| d.to_string()),
            "to": table.period().to.map(|d| d.to_string()),
        },
        "as_of": table.as_of().to_string(),
        "by": table.by().iter().map(|d| d.as_str()).collect::<Vec<_>>(),
        "disclosure": disclosure,
        "indicators": table.rows().iter().map(|r| row_json(table, r)).collect::<Vec<_>>(),
        "parameters": parameters,
        "diagnostics": table.diagnostics(),
    })
}

fn csv_field(out: &mut String, text: &str) {
    if text.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}

fn plain(x: Option<f64>) -> String {
    match x {
        None => String::new(),
        Some(v) if v.fract() == 0.0 && v.abs() < 9.0e15 => format!("{}", v as i64),
        Some(v) => format!("{v}"),
    }
}

/// One line per row: `code,label,framework,unit,<dimension>,<dimension>_label,...,numerator,
/// denominator,value,n,suppressed,design` (raw numbers, empty when absent).
pub fn csv(table: &IndicatorTable) -> String {
    let mut out = String::new();
    let mut header: Vec<String> = ["code", "label", "framework", "unit"]
        .map(String::from)
        .to_vec();
    for d in table.by() {
        header.push(d.as_str().to_string());
        header.push(format!("{}_label", d.as_str()));
    }
    header.extend(
        [
            "numerator",
            "denominator",
            "value",
            "n",
            "suppressed",
            "design",
        ]
        .map(String::from),
    );
    out.push_str(&header.join(","));
    out.push('\n');
    for r in table.rows() {
        let mut fields: Vec<String> = vec![
            r.def.code.into(),
            r.def.label.into(),
            r.def.framework.as_str().into(),
            r.def.unit.into(),
        ];
        for v in &r.by {
            fields.push(v.key.clone());
            fields.push(v.label.clone());
        }
        fields.extend([
            plain(r.numerator),
            plain(r.denominator),
            plain(r.value),
            r.n.map(|n| n.to_string()).unwrap_or_default(),
            r.suppressed.to_string(),
            r.def
                .design
                .map(|d| d.as_str().to_string())
                .unwrap_or_default(),
        ]);
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            csv_field(&mut out, f);
        }
        out.push('\n');
    }
    out
}

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The value as people read it.
fn shown(def: &IndicatorDef, r: &IndicatorRow) -> String {
    if r.suppressed {
        return "suppressed".into();
    }
    let Some(v) = r.value else {
        return "–".into();
    };
    match def.value {
        ValueKind::Proportion => scaleup_format::percent(v, 1),
        ValueKind::Count | ValueKind::People => scaleup_format::count(v),
        ValueKind::Mean => scaleup_format::number(v, 2),
        ValueKind::Hours => format!("{} h", scaleup_format::number(v, 1)),
    }
}

/// A self-contained page: one table per framework, every figure with its numerator and
/// denominator, the design of every effect estimate, the diagnostics and the definitions.
pub fn html(table: &IndicatorTable) -> String {
    let mut h = String::new();
    let title = match table.programme() {
        Some(p) => format!("Indicators: {p}"),
        None => "Indicators: all programmes".into(),
    };
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title>\
         <style>body{{font-family:system-ui,sans-serif;margin:1rem;max-width:80rem}}table{{border-collapse:collapse;margin-bottom:1.5rem}}\
         th,td{{padding:.25rem .5rem;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}}td.n{{text-align:right;font-variant-numeric:tabular-nums}}\
         .design{{font-size:.85em;color:#555}}</style></head><body>\n<h1>{}</h1>\n",
        esc(&title),
        esc(&title)
    );
    let period = match (table.period().from, table.period().to) {
        (None, None) => "all time".to_string(),
        (f, t) => format!(
            "{} to {}",
            f.map_or("the start".into(), |d| d.to_string()),
            t.map_or("today".into(), |d| d.to_string())
        ),
    };
    let _ = writeln!(
        h,
        "<p>Period: {}; as of {}. Figures: {}.</p>",
        esc(&period),
        table.as_of(),
        match table.disclosure() {
            Disclosure::Exact => "exact".to_string(),
            Disclosure::SuppressBelow { k } =>
                format!("counts from 1 to {} are withheld", k.saturating_sub(1)),
        }
    );
    let mut framework = None;
    for r in table.rows() {
        if framework != Some(r.def.framework) {
            if framework.is_some() {
                h.push_str("</tbody></table>\n");
            }
            framework = Some(r.def.framework);
            let _ = write!(
                h,
                "<h2>{}</h2>\n<table><thead><tr><th>Indicator</th>",
                esc(r.def.framework.label())
            );
            for d in table.by() {
                let _ = write!(h, "<th>{}</th>", esc(&scaleup_format::label(d.as_str())));
            }
            h.push_str(
                "<th>Value</th><th>Numerator</th><th>Denominator</th></tr></thead><tbody>\n",
            );
        }
        let design = r
            .def
            .design
            .map(|d| format!("<br><span class=\"design\">{}</span>", esc(d.label())))
            .unwrap_or_default();
        let _ = write!(h, "<tr><td>{}{design}</td>", esc(r.def.label));
        for v in &r.by {
            let _ = write!(h, "<td>{}</td>", esc(&v.label));
        }
        let count = |x: Option<f64>| x.map_or(String::new(), |v| scaleup_format::up_to(v, 1));
        let den = match (r.denominator, r.n) {
            (Some(d), _) => count(Some(d)),
            (None, Some(n)) => format!("n = {}", scaleup_format::count(n as f64)),
            _ => String::new(),
        };
        let _ = writeln!(
            h,
            "<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&shown(r.def, r)),
            count(r.numerator),
            den
        );
    }
    if framework.is_some() {
        h.push_str("</tbody></table>\n");
    }
    if !table.diagnostics().is_empty() {
        h.push_str("<h2>Diagnostics</h2>\n<ul>\n");
        for d in table.diagnostics() {
            let _ = writeln!(h, "<li>{}</li>", esc(d));
        }
        h.push_str("</ul>\n");
    }
    h.push_str("<h2>Definitions</h2>\n<dl>\n");
    let shown_codes: std::collections::BTreeSet<&str> =
        table.rows().iter().map(|r| r.def.code).collect();
    for d in INDICATORS.iter().filter(|d| shown_codes.contains(d.code)) {
        let _ = writeln!(
            h,
            "<dt>{} (<code>{}</code>)</dt><dd>{}{}. {}</dd>",
            esc(d.label),
            d.code,
            esc(d.numerator),
            d.denominator
                .map(|x| format!(" ÷ {}", esc(x)))
                .unwrap_or_default(),
            esc(d.note)
        );
    }
    h.push_str("</dl>\n</body></html>\n");
    h
}

/// The catalogue as JSON (`scaleup indicators --list`, `GET /api/v1/indicators/definitions`):
/// every indicator's metadata.
pub fn catalogue_json() -> Value {
    Value::Array(
        INDICATORS
            .iter()
            .map(|d| {
                json!({
                    "code": d.code,
                    "label": d.label,
                    "framework": d.framework.as_str(),
                    "unit": d.unit,
                    "value_kind": d.value,
                    "numerator": d.numerator,
                    "denominator": d.denominator,
                    "anchor": d.anchor,
                    "design": d.design.map(|x| x.as_str()),
                    "note": d.note,
                    "citation": d.citation,
                })
            })
            .collect(),
    )
}
