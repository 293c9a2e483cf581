//! Uncertainty: probabilistic sensitivity analysis summaries (CE plane, CEAC, CEAF, EVPI),
//! EVPI from a table of PSA draws, and one-way sensitivity analysis with a tornado diagram.
//! The JSON shapes are the public contract of `scaleup econ psa|evpi|owsa --format json` and
//! of `POST /api/v1/analyses/psa|evpi|owsa`.

use scaleup_format as fmt;
use std::collections::HashMap;
use std::fmt::Write as _;

use anyhow::{Context, Result, bail};
use scaleup_econ::cea::{self, Strategy};
use scaleup_econ::markov::{Model, Outcome};
use scaleup_econ::owsa::{self, Measure, OwsaSpec};
use scaleup_econ::psa::PsaResult;
use scaleup_econ::svg;
use scaleup_econ::voi::{self, PsaTable};
use serde_json::{Value, json};

use crate::Report;
use crate::cea::{for_each_csv_row, icer_rows_json, icer_table, parse_num};

/// `{strategy name: value}` for one value per strategy.
fn by_name(names: &[String], values: &[f64]) -> serde_json::Map<String, Value> {
    names
        .iter()
        .cloned()
        .zip(values.iter().map(|x| json!(x)))
        .collect()
}

/// A standalone page: a title, charts and the text report.
pub(crate) fn page(title: &str, charts: &str, text: &str) -> String {
    let text = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n{charts}\n<pre>{text}</pre>\n</body></html>\n"
    )
}

/// The JSON, text and page (CE plane and CEAC) of a finished PSA. `seed` is reported so the
/// run can be repeated.
pub fn psa_report(model: &Model, result: &PsaResult, seed: u64) -> Result<Report> {
    let names: Vec<String> = model
        .strategy_names()
        .into_iter()
        .map(String::from)
        .collect();
    let mean_strategies: Vec<Strategy> = names
        .iter()
        .enumerate()
        .map(|(j, n)| Strategy {
            name: n.clone(),
            cost: result.mean_cost[j],
            effect: result.mean_effect[j],
        })
        .collect();
    let (mut json, mut text) = psa_json_and_text(&names, result, seed, &mean_strategies)?;
    let warnings = psa_warnings(model);
    // The warnings are part of the result, not only of the terminal: the JSON and the text
    // carry them so a report read later still says what the EVPI leaves out.
    json["fixed_parameters"] = json!(fixed_parameters(model));
    json["warnings"] = json!(warnings);
    if !warnings.is_empty() {
        let mut head = String::new();
        for w in &warnings {
            let _ = writeln!(head, "Warning: {w}");
        }
        text = format!("{head}\n{text}");
    }
    let charts: String = psa_charts(result).into_iter().map(|(_, svg)| svg).collect();
    let html = page("Probabilistic sensitivity analysis", &charts, &text);
    Ok(Report {
        json,
        text,
        warnings,
        html: Some(html),
    })
}

/// Parameters whose distribution does not vary (fixed values and zero-spread distributions).
fn fixed_parameters(model: &Model) -> Vec<&str> {
    model
        .parameters()
        .iter()
        .filter(|p| !p.distribution.varies())
        .map(|p| p.name.as_str())
        .collect()
}

/// What a PSA's summaries leave out. `run_psa` refuses a model where nothing varies; with some
/// parameters fixed the EVPI is the value of information about the others only, and with a
/// single varying parameter it is that parameter's EVPPI rather than the decision's EVPI.
pub fn psa_warnings(model: &Model) -> Vec<String> {
    let fixed = fixed_parameters(model);
    let varying: Vec<&str> = model
        .parameters()
        .iter()
        .filter(|p| p.distribution.varies())
        .map(|p| p.name.as_str())
        .collect();
    let mut out = Vec::new();
    if !fixed.is_empty() {
        out.push(format!(
            "{} of {} parameters are fixed ({}): their uncertainty is not in the CEAC or the EVPI",
            fixed.len(),
            fixed.len() + varying.len(),
            fixed.join(", ")
        ));
    }
    if let [only] = varying.as_slice() {
        out.push(format!(
            "only one parameter varies ({only}): the EVPI is the value of information about it alone, not about the whole decision"
        ));
    }
    out
}

fn psa_json_and_text(
    names: &[String],
    result: &PsaResult,
    seed: u64,
    mean_strategies: &[Strategy],
) -> Result<(Value, String)> {
    let icers = cea::calculate_icers(mean_strategies)?;
    let json = {
        let by_name = |v: &[f64]| by_name(names, v);
        let out = json!({
            "draws": result.draws,
            "seed": seed,
            "strategies": names.iter().enumerate().map(|(j, n)| json!({
                "name": n,
                "mean_cost": result.mean_cost[j],
                "mean_effect": result.mean_effect[j],
                "sd_cost": result.sd_cost[j],
                "sd_effect": result.sd_effect[j],
            })).collect::<Vec<_>>(),
            "icers": icer_rows_json(&icers, None),
            "wtp": result.by_wtp.iter().map(|s| s.wtp).collect::<Vec<_>>(),
            "evpi": result.by_wtp.iter().map(|s| s.evpi).collect::<Vec<_>>(),
            "by_wtp": result.by_wtp.iter().map(|s| json!({
                "wtp": s.wtp,
                "ceac": by_name(&s.prob_optimal),
                "optimal": names[s.optimal],
                "ceaf": s.ceaf,
                "evpi": s.evpi,
                "expected_nmb": by_name(&s.expected_nmb),
            })).collect::<Vec<_>>(),
        });
        out
    };
    let mut text = String::new();
    let _ = writeln!(
        text,
        "PSA: {} draws, seed {seed}\n",
        fmt::count(result.draws as f64)
    );
    for (j, n) in names.iter().enumerate() {
        let _ = writeln!(
            text,
            "{:<24} cost {:>14} (sd {:>10})  effect {:>10} (sd {:>8})",
            n,
            fmt::number(result.mean_cost[j], 2),
            fmt::number(result.sd_cost[j], 2),
            fmt::number(result.mean_effect[j], 5),
            fmt::number(result.sd_effect[j], 5)
        );
    }
    let _ = writeln!(text);
    text.push_str(&icer_table(&icers, None));
    let _ = writeln!(
        text,
        "\n{:>12} {:<24} {:>12} {:>14}",
        "WTP", "Optimal", "P(optimal)", "EVPI"
    );
    for s in &result.by_wtp {
        let _ = writeln!(
            text,
            "{:>12} {:<24} {:>12} {:>14}",
            fmt::value(s.wtp),
            names[s.optimal],
            fmt::number(s.ceaf, 4),
            fmt::number(s.evpi, 2)
        );
    }
    Ok((json, text))
}

/// CE plane and CEAC charts for a PSA result.
pub fn psa_charts(r: &PsaResult) -> Vec<(&'static str, String)> {
    let k = r.strategies.len();
    let plane: Vec<svg::Series> = r
        .strategies
        .iter()
        .enumerate()
        .map(|(j, n)| svg::Series {
            name: n.clone(),
            points: r
                .points
                .iter()
                .skip(j)
                .step_by(k)
                .map(|o| (o.effect, o.cost))
                .collect(),
        })
        .collect();
    let means: Vec<(f64, f64)> = (0..k).map(|j| (r.mean_effect[j], r.mean_cost[j])).collect();
    let ceac: Vec<svg::Series> = r
        .strategies
        .iter()
        .enumerate()
        .map(|(j, n)| svg::Series {
            name: n.clone(),
            points: r
                .by_wtp
                .iter()
                .map(|s| (s.wtp, s.prob_optimal[j]))
                .collect(),
        })
        .collect();
    vec![
        (
            "ce_plane.svg",
            svg::scatter("Cost-effectiveness plane", "Effect", "Cost", &plane, &means),
        ),
        (
            "ceac.svg",
            svg::lines(
                "Cost-effectiveness acceptability curves",
                "Willingness to pay",
                "Probability cost-effective",
                &ceac,
                Some((0.0, 1.0)),
            ),
        ),
    ]
}

/// Population EVPI settings: people affected per year, years, annual discount rate.
#[derive(Clone, Debug)]
pub struct EvpiRequest {
    pub wtp: f64,
    pub population: Option<f64>,
    pub years: u32,
    pub discount: f64,
    /// Parameter columns of the draws table whose partial EVPI (EVPPI) to estimate.
    pub evppi: Vec<String>,
    /// Blocks for the EVPPI estimator (default: √draws, rounded down).
    pub evppi_groups: Option<usize>,
}

/// EVPI (per person and for the population) from a long table of PSA draws.
pub fn evpi(source: &str, input: impl std::io::Read, req: &EvpiRequest) -> Result<Report> {
    if !req.wtp.is_finite() || req.wtp < 0.0 {
        bail!("wtp must be a number of at least 0");
    }
    if req.population.is_some_and(|p| !(p.is_finite() && p >= 0.0)) {
        bail!("population must be a number of at least 0");
    }
    if !(req.discount.is_finite() && req.discount >= 0.0 && req.discount < 1.0) {
        bail!("discount must be at least 0 and below 1");
    }
    if !(1..=voi::MAX_DECISION_YEARS).contains(&req.years) {
        bail!("{}", voi::VoiError::Years);
    }
    let (table, parameters) = read_psa_csv(source, input, &req.evppi)?;
    let s = voi::summarise(&table, &[req.wtp]).remove(0);
    let groups = req
        .evppi_groups
        .unwrap_or_else(|| (table.n_draws() as f64).sqrt() as usize);
    let mut evppi = Vec::new();
    for (name, values) in req.evppi.iter().zip(&parameters) {
        let v = voi::evppi_single(&table, values, req.wtp, groups)
            .with_context(|| format!("{source}: EVPPI of '{name}'"))?;
        evppi.push((name.clone(), v));
    }
    let names = table.strategies();
    let pop = req
        .population
        .map(|n| {
            let mult = voi::population_multiplier(n, req.years, req.discount)?;
            Ok::<_, voi::VoiError>((mult, s.evpi * mult))
        })
        .transpose()?;
    let json = {
        let by_name = |v: &[f64]| by_name(names, v);
        let out = json!({
            "evpi": s.evpi,
            "wtp": s.wtp,
            "n_draws": table.n_draws(),
            "strategies": names,
            "optimal": names[s.optimal],
            "expected_nmb": by_name(&s.expected_nmb),
            "ceac": by_name(&s.prob_optimal),
            "ceaf": s.ceaf,
            "population_evpi": pop.map(|p| p.1),
            "evppi": evppi.iter().map(|(name, v)| json!({
                "parameter": name, "evppi": v, "groups": groups,
                "population_evppi": pop.map(|p| v * p.0),
            })).collect::<Vec<_>>(),
            "population": pop.map(|p| json!({
                "per_year": req.population, "years": req.years,
                "discount": req.discount, "effective_population": p.0,
            })),
        });
        out
    };
    let mut text = String::new();
    let _ = writeln!(
        text,
        "EVPI at wtp {}: {} per person ({} draws)",
        fmt::value(s.wtp),
        fmt::number(s.evpi, 2),
        fmt::count(table.n_draws() as f64)
    );
    let _ = writeln!(
        text,
        "Optimal in expectation: {} (probability optimal {:.4})",
        names[s.optimal], s.ceaf
    );
    for (j, n) in names.iter().enumerate() {
        let _ = writeln!(
            text,
            "  {:<24} expected NMB {:>14}  P(optimal) {:.4}",
            n,
            fmt::number(s.expected_nmb[j], 2),
            s.prob_optimal[j]
        );
    }
    if let Some((mult, p)) = pop {
        let _ = writeln!(
            text,
            "Population EVPI: {} (effective population {})",
            fmt::number(p, 0),
            fmt::number(mult, 0)
        );
    }
    for (name, v) in &evppi {
        let _ = writeln!(
            text,
            "EVPPI of {name}: {} per person ({groups} blocks; Strong & Oakley 2014)",
            fmt::number(*v, 2)
        );
    }
    Ok(Report {
        json,
        text,
        warnings: Vec::new(),
        html: None,
    })
}

/// Reads a long-format PSA file into a table; every draw must list every strategy once.
/// Reads a long table of PSA draws (draw,strategy,cost,effect, one row per draw and strategy)
/// and the named parameter columns, one value per draw (the same on each of its rows).
pub fn read_psa_csv(
    source: &str,
    input: impl std::io::Read,
    parameters: &[String],
) -> Result<(PsaTable, Vec<Vec<f64>>)> {
    let mut wanted = vec!["draw", "strategy", "cost", "effect"];
    wanted.extend(parameters.iter().map(String::as_str));
    let mut parameter_values: Vec<Vec<f64>> = vec![Vec::new(); parameters.len()];
    let mut strategies: Vec<String> = Vec::new();
    let mut strategy_index: HashMap<String, usize> = HashMap::new();
    let mut draws: Vec<String> = Vec::new();
    let mut draw_index: HashMap<String, usize> = HashMap::new();
    let mut cells: Vec<Vec<Option<(f64, f64)>>> = Vec::new();
    // Rows are parsed as they are read, so the file is never held as text. Every draw lists
    // every strategy once, so a file that can be completed has draws × strategies rows of
    // four cells or more: a grid beyond a quarter of the cell limit cannot be, and is refused
    // as it appears. (Without this, rows each naming a new draw and a new strategy grew the
    // grid, 24 bytes a cell, as rows²: ten thousand such rows took 2.4 GB.)
    let grid_fits = |draws: usize, strategies: usize| {
        draws
            .checked_mul(strategies)
            .is_some_and(|grid| grid <= crate::table::MAX_CELLS / 4)
    };
    for_each_csv_row(source, input, &wanted, |line, c| {
        let (draw, strat) = (c[0], c[1]);
        if draw.is_empty() || strat.is_empty() {
            bail!(
                "{} line {line}: fields 'draw' and 'strategy' must not be empty",
                source
            );
        }
        let cost = parse_num(source, line, "cost", c[2])?;
        let effect = parse_num(source, line, "effect", c[3])?;
        let j = match strategy_index.get(strat) {
            Some(&j) => j,
            None => {
                if !grid_fits(draws.len().max(1), strategies.len() + 1) {
                    bail!(
                        "{source} line {line}: strategy '{strat}' makes {} strategies for {} draws, more than one file may hold; every draw must list every strategy once",
                        strategies.len() + 1,
                        draws.len().max(1)
                    );
                }
                strategies.push(strat.to_string());
                strategy_index.insert(strat.to_string(), strategies.len() - 1);
                cells.iter_mut().for_each(|r| r.push(None));
                strategies.len() - 1
            }
        };
        let d = match draw_index.get(draw) {
            Some(&d) => d,
            None => {
                if !grid_fits(draws.len() + 1, strategies.len()) {
                    bail!(
                        "{source} line {line}: draw '{draw}' makes {} draws of {} strategies, more than one file may hold; every draw must list every strategy once",
                        draws.len() + 1,
                        strategies.len()
                    );
                }
                draws.push(draw.to_string());
                draw_index.insert(draw.to_string(), draws.len() - 1);
                cells.push(vec![None; strategies.len()]);
                draws.len() - 1
            }
        };
        for (p, name) in parameters.iter().enumerate() {
            let v = parse_num(source, line, name, c[4 + p])?;
            match parameter_values[p].get(d) {
                None => parameter_values[p].push(v),
                Some(first) if *first != v => bail!(
                    "{source} line {line}: draw '{draw}' has two values of parameter '{name}'; it must be the same on every row of a draw"
                ),
                Some(_) => {}
            }
        }
        if cells[d][j].is_some() {
            bail!(
                "{} line {line}: draw '{draw}' lists strategy '{strat}' twice",
                source
            );
        }
        cells[d][j] = Some((cost, effect));
        Ok(())
    })?;
    if draws.is_empty() {
        bail!("{}: no draws (the file has only a header)", source);
    }
    let k = strategies.len();
    let mut cost = Vec::with_capacity(draws.len() * k);
    let mut effect = Vec::with_capacity(draws.len() * k);
    for (d, row) in cells.iter().enumerate() {
        for (j, cell) in row.iter().enumerate() {
            let (c, e) = cell.ok_or_else(|| {
                anyhow::anyhow!(
                    "{}: draw '{}' has no row for strategy '{}'",
                    source,
                    draws[d],
                    strategies[j]
                )
            })?;
            cost.push(c);
            effect.push(e);
        }
    }
    Ok((PsaTable::new(strategies, cost, effect)?, parameter_values))
}

/// A one-way sensitivity analysis of a Markov model.
#[derive(Clone, Debug, Default)]
pub struct OwsaRequest {
    /// Vary only this parameter between `low` and `high`; without it, every parameter with
    /// `low` and `high` in the model file.
    pub parameter: Option<String>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub wtp: f64,
    /// Strategy whose (incremental) net monetary benefit is shown (default: the last).
    pub strategy: Option<String>,
    /// Comparator for incremental net benefit (default: the first strategy).
    pub comparator: Option<String>,
}

/// One-way results and the tornado diagram.
pub struct OwsaReport {
    pub report: Report,
    pub tornado_svg: String,
}

/// Varies each parameter over its range, others at base values; bars sorted by swing.
pub fn owsa(source: &str, model: &Model, req: &OwsaRequest) -> Result<OwsaReport> {
    if req.parameter.is_some() != (req.low.is_some() && req.high.is_some()) {
        bail!("parameter, low and high go together");
    }
    let names: Vec<String> = model
        .strategy_names()
        .into_iter()
        .map(String::from)
        .collect();
    let find = |n: &str| {
        names
            .iter()
            .position(|s| s == n)
            .ok_or_else(|| anyhow::anyhow!("{}: no strategy named '{n}'", source))
    };
    let strategy = match &req.strategy {
        Some(n) => find(n)?,
        None => names.len() - 1,
    };
    let comparator = match &req.comparator {
        Some(n) => Some(find(n)?),
        None if names.len() > 1 && strategy != 0 => Some(0),
        None if names.len() > 1 => Some(1),
        None => None,
    };
    let measure = match comparator {
        Some(c) => Measure::Inmb {
            strategy,
            comparator: c,
            wtp: req.wtp,
        },
        None => Measure::Nmb {
            strategy,
            wtp: req.wtp,
        },
    };
    let label = match comparator {
        Some(c) => format!(
            "Incremental NMB of {} vs {} at wtp {}",
            names[strategy],
            names[c],
            fmt::value(req.wtp)
        ),
        None => format!("NMB of {} at wtp {}", names[strategy], fmt::value(req.wtp)),
    };
    let specs = match (&req.parameter, req.low, req.high) {
        (Some(p), Some(low), Some(high)) => vec![OwsaSpec {
            parameter: p.clone(),
            low,
            high,
        }],
        _ => owsa::specs_from_model(model),
    };
    let result = owsa::run_owsa(model, &specs)
        .with_context(|| format!("{}: one-way analysis failed", source))?;
    let base = measure.of(&result.base);
    let bars = owsa::tornado_bars(&result, measure);
    let tornado = svg::tornado("Tornado diagram", &label, base, &bars);
    let mut order: Vec<usize> = (0..bars.len()).collect();
    order.sort_by(|&a, &b| {
        let sa = (bars[a].at_high - bars[a].at_low).abs();
        let sb = (bars[b].at_high - bars[b].at_low).abs();
        sb.partial_cmp(&sa).unwrap_or(std::cmp::Ordering::Equal)
    });
    let outcomes_json = |o: &[Outcome]| -> Vec<Value> {
        names
            .iter()
            .zip(o)
            .map(|(n, o)| json!({"name": n, "cost": o.cost, "effect": o.effect}))
            .collect()
    };
    let json = {
        let out = json!({
            "outcome": label,
            "wtp": req.wtp,
            "base": { "outcome": base, "strategies": outcomes_json(&result.base) },
            "parameters": order.iter().map(|&i| {
                let r = &result.rows[i];
                json!({
                    "parameter": r.parameter,
                    "base_value": r.base_value,
                    "low": r.low,
                    "high": r.high,
                    "outcome_low": bars[i].at_low,
                    "outcome_high": bars[i].at_high,
                    "swing": (bars[i].at_high - bars[i].at_low).abs(),
                    "strategies_low": outcomes_json(&r.at_low),
                    "strategies_high": outcomes_json(&r.at_high),
                })
            }).collect::<Vec<_>>(),
        });
        out
    };
    let mut text = String::new();
    let _ = writeln!(text, "{label}: base case {}\n", fmt::number(base, 2));
    let _ = writeln!(
        text,
        "{:<24} {:>12} {:>12} {:>14} {:>14} {:>14}",
        "Parameter", "Low", "High", "At low", "At high", "Swing"
    );
    for &i in &order {
        let (r, b) = (&result.rows[i], &bars[i]);
        let _ = writeln!(
            text,
            "{:<24} {:>12} {:>12} {:>14} {:>14} {:>14}",
            r.parameter,
            fmt::value(r.low),
            fmt::value(r.high),
            fmt::number(b.at_low, 2),
            fmt::number(b.at_high, 2),
            fmt::number((b.at_high - b.at_low).abs(), 2)
        );
    }
    let html = page("One-way sensitivity analysis", &tornado, &text);
    Ok(OwsaReport {
        report: Report {
            json,
            text,
            warnings: Vec::new(),
            html: Some(html),
        },
        tornado_svg: tornado,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(years: u32) -> EvpiRequest {
        EvpiRequest {
            wtp: 1000.0,
            population: Some(10_000.0),
            years,
            discount: 0.03,
            evppi: Vec::new(),
            evppi_groups: None,
        }
    }

    const DRAWS: &str = "draw,strategy,cost,effect\n1,a,10,1\n1,b,20,2\n2,a,11,1\n2,b,19,2\n";

    /// Hardening item 8: `years = 4000000000` ran a loop of four billion steps with a wrapped
    /// i32 exponent. It is refused before the draws are read, naming the field.
    #[test]
    fn a_population_horizon_of_four_billion_years_is_refused_by_name() {
        let err = evpi("draws.csv", DRAWS.as_bytes(), &request(4_000_000_000)).unwrap_err();
        assert_eq!(err.to_string(), "years must be between 1 and 100");
        assert!(evpi("draws.csv", DRAWS.as_bytes(), &request(100)).is_ok());
    }

    /// Each new draw of a PSA file took a row of cells for every strategy seen, so a file of
    /// rows each naming a new draw and a new strategy grew as rows² (ten thousand rows, 2.4
    /// GB). The grid stops at a quarter of the cell limit (2,048² cells), as it appears.
    #[test]
    fn a_psa_file_whose_grid_outgrows_the_cell_limit_is_refused() {
        let mut csv = String::from("draw,strategy,cost,effect\n");
        for k in 0..10_000 {
            csv.push_str(&format!("{k},s{k},1,1\n"));
        }
        let err = format!(
            "{:#}",
            read_psa_csv("draws.csv", csv.as_bytes(), &[]).unwrap_err()
        );
        // Row k (line k + 2) brings draw k and strategy k: 2,048 draws × 2,049 strategies is
        // the first grid past 4,194,304 cells.
        assert!(err.starts_with("draws.csv line 2050: strategy 's2048' makes 2049 strategies for 2048 draws, more than one file may hold"), "{err}");
        let (table, _) = read_psa_csv("draws.csv", DRAWS.as_bytes(), &[]).unwrap();
        assert_eq!((table.n_draws(), table.strategies().len()), (2, 2));
    }
}
