//! Cost-effectiveness from documents: ICERs from a strategy table (CSV) and Markov cohort
//! models (TOML). The JSON shapes are the public contract of `scaleup econ icers|markov
//! --format json` and of `POST /api/v1/analyses/icers|markov`.

use anyhow::{Context, Result, bail};
use scaleup_econ::cea::{self, IcerRow, Strategy};
use scaleup_econ::markov::{Model, Outcome};
use scaleup_format as fmt;
use serde_json::{Value, json};

use crate::Report;

/// ICERs, dominance and (with `wtp`) net monetary benefit of the strategies in a CSV table
/// with columns strategy,cost,effect.
pub fn icers(source: &str, input: impl std::io::Read, wtp: Option<f64>) -> Result<Report> {
    let strategies = read_strategy_csv(source, input)?;
    let rows = cea::calculate_icers(&strategies)
        .with_context(|| format!("{source}: cannot compute ICERs"))?;
    let mut json = json!({ "strategies": icer_rows_json(&rows, wtp) });
    if let Some(w) = wtp {
        json["wtp"] = json!(w);
    }
    Ok(Report {
        json,
        text: icer_table(&rows, wtp),
        warnings: Vec::new(),
        html: None,
    })
}

/// Reads and validates a Markov model document; errors carry the source name.
pub fn load_model(source: &str, text: &str) -> Result<Model> {
    Model::from_toml_str(text).with_context(|| format!("{source}: invalid model"))
}

/// The base case of a Markov cohort model: each strategy's cost and effect, and their ICERs.
pub fn markov(source: &str, text: &str, wtp: Option<f64>) -> Result<Report> {
    let model = load_model(source, text)?;
    let outcomes = model
        .evaluate(&model.base_values())
        .with_context(|| format!("{source}: cannot evaluate the base case"))?;
    let strategies = strategies_of(&model, &outcomes);
    let rows = cea::calculate_icers(&strategies)?;
    let json = json!({
        "strategies": strategies.iter().map(|s| json!({
            "name": s.name, "cost": s.cost, "effect": s.effect
        })).collect::<Vec<_>>(),
        "icers": icer_rows_json(&rows, wtp),
        "cycles": model.cycles(),
        "states": model.states(),
    });
    let mut text = format!(
        "Markov cohort model: {} states, {} cycles\n\n",
        model.states().len(),
        model.cycles()
    );
    for s in &strategies {
        text.push_str(&format!(
            "{:<24} cost {:>14}  effect {:>12}\n",
            s.name,
            fmt::number(s.cost, 2),
            fmt::number(s.effect, 4)
        ));
    }
    text.push('\n');
    text.push_str(&icer_table(&rows, wtp));
    Ok(Report {
        json,
        text,
        warnings: Vec::new(),
        html: None,
    })
}

/// The JSON contract shared by `icers` and `markov`: one object per strategy with
/// strategy, cost, effect, status and icer (null when not on the frontier or first).
pub fn icer_rows_json(rows: &[IcerRow], wtp: Option<f64>) -> Vec<Value> {
    rows.iter()
        .map(|r| {
            let mut v = json!({
                "strategy": r.name,
                "cost": r.cost,
                "effect": r.effect,
                "status": r.status.code(),
                "icer": r.icer,
                "inc_cost": r.inc_cost,
                "inc_effect": r.inc_effect,
            });
            if let Some(w) = wtp {
                v["nmb"] = json!(cea::net_monetary_benefit(r.cost, r.effect, w));
            }
            v
        })
        .collect()
}

pub fn icer_table(rows: &[IcerRow], wtp: Option<f64>) -> String {
    let mut s = format!(
        "{:<24} {:>14} {:>12} {:>6} {:>14}",
        "Strategy", "Cost", "Effect", "Status", "ICER"
    );
    if wtp.is_some() {
        s.push_str(&format!(" {:>14}", "NMB"));
    }
    s.push('\n');
    for r in rows {
        let icer = r.icer.map_or("-".to_string(), |v| fmt::number(v, 2));
        s.push_str(&format!(
            "{:<24} {:>14} {:>12} {:>6} {:>14}",
            r.name,
            fmt::number(r.cost, 2),
            fmt::number(r.effect, 5),
            r.status.code(),
            icer
        ));
        if let Some(w) = wtp {
            s.push_str(&format!(
                " {:>14}",
                fmt::number(cea::net_monetary_benefit(r.cost, r.effect, w), 2)
            ));
        }
        s.push('\n');
    }
    s
}

/// Reads a CSV file with a header and returns, for each record, its 1-based line number and
/// the cells of the requested columns (by header name).
pub fn read_csv_columns(
    source: &str,
    input: impl std::io::Read,
    wanted: &[&str],
) -> Result<Vec<(u64, Vec<String>)>> {
    let mut out = Vec::new();
    for_each_csv_row(source, input, wanted, |line, cells| {
        out.push((line, cells.iter().map(|c| c.to_string()).collect()));
        Ok(())
    })?;
    Ok(out)
}

/// Calls `row` with each record's 1-based line number and the cells of the requested columns
/// (by header name, in the order asked), holding one record at a time. At most
/// [`MAX_CELLS`](crate::table::MAX_CELLS) requested cells are read, so what a caller keeps per
/// cell bounds its memory.
pub fn for_each_csv_row(
    source: &str,
    input: impl std::io::Read,
    wanted: &[&str],
    mut row: impl FnMut(u64, &[&str]) -> Result<()>,
) -> Result<()> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(crate::table::RowGuard::new(input));
    let headers = rdr
        .headers()
        .with_context(|| format!("{}: cannot read the header line", source))?
        .clone();
    let mut idx = Vec::with_capacity(wanted.len());
    for w in wanted {
        match headers.iter().position(|h| h.eq_ignore_ascii_case(w)) {
            Some(i) => idx.push(i),
            None => bail!(
                "{}: missing column '{w}' (expected columns: {})",
                source,
                wanted.join(",")
            ),
        }
    }
    let mut record = csv::StringRecord::new();
    let mut read = 0usize;
    while rdr
        .read_record(&mut record)
        .with_context(|| format!("{}: malformed CSV", source))?
    {
        let line = record.position().map_or(0, |p| p.line());
        read += idx.len();
        if read > crate::table::MAX_CELLS {
            bail!(
                "{source} line {line}: more than {} cells in the requested columns, the most one file may have",
                crate::table::MAX_CELLS
            );
        }
        let cells: Vec<&str> = idx.iter().map(|&i| record.get(i).unwrap_or("")).collect();
        row(line, &cells)?;
    }
    Ok(())
}

pub fn parse_num(source: &str, line: u64, field: &str, cell: &str) -> Result<f64> {
    let v: f64 = cell
        .parse()
        .map_err(|_| anyhow::anyhow!("{} line {line}: field '{field}' is not a number", source))?;
    if !v.is_finite() {
        bail!(
            "{} line {line}: field '{field}' is not a finite number",
            source
        );
    }
    Ok(v)
}

pub fn read_strategy_csv(source: &str, input: impl std::io::Read) -> Result<Vec<Strategy>> {
    let rows = read_csv_columns(source, input, &["strategy", "cost", "effect"])?;
    let mut out = Vec::with_capacity(rows.len());
    for (line, cells) in rows {
        if cells[0].is_empty() {
            bail!("{} line {line}: field 'strategy' is empty", source);
        }
        out.push(Strategy {
            name: cells[0].clone(),
            cost: parse_num(source, line, "cost", &cells[1])?,
            effect: parse_num(source, line, "effect", &cells[2])?,
        });
    }
    if out.is_empty() {
        bail!("{}: no strategies (the file has only a header)", source);
    }
    Ok(out)
}

pub fn strategies_of(model: &Model, outcomes: &[Outcome]) -> Vec<Strategy> {
    model
        .strategy_names()
        .into_iter()
        .zip(outcomes)
        .map(|(n, o)| Strategy {
            name: n.to_string(),
            cost: o.cost,
            effect: o.effect,
        })
        .collect()
}
