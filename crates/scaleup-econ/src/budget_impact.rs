//! Budget impact analysis following the ISPOR good-practice principles (Sullivan et al. 2014,
//! *Value Health* 17:5–14): the budget holder's perspective, a short horizon reported year by
//! year, **undiscounted**, an eligible population that grows, a treatment mix per scenario and
//! costs by category. Scenarios are compared with a reference scenario (usually current
//! practice); uncertainty is explored with scenarios rather than PSA.
//!
//! ```text
//! N_t        = population_t · eligible_share_t,   population_t = population·Π_{s<t}(1 + growth_s)
//! patients_j = N_t · share_{j,t}
//! cost_{c,t} = Σ_j patients_j · cost_{j,c,t} + fixed_{c,t}
//! BI_t       = total_t(scenario) − total_t(reference)            (reference doc §5)
//! ```

use crate::input::{
    FileError, ParamError, PerYear, check_range, check_start_year, check_years, locate_param,
    parse_toml,
};
use scaleup_format as fmt;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Longest budget-impact horizon, in years (ISPOR recommends 1 to 5).
pub const MAX_YEARS: usize = 50;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    title: Option<String>,
    currency: Option<String>,
    price_year: Option<i32>,
    perspective: Option<String>,
    start_year: Option<i32>,
    years: usize,
    population: RawPopulation,
    #[serde(default)]
    treatment: Vec<RawTreatment>,
    #[serde(default)]
    scenario: Vec<RawScenario>,
    #[serde(default)]
    sources: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPopulation {
    total: f64,
    #[serde(default = "zero")]
    growth: PerYear,
    eligible_share: PerYear,
}

fn zero() -> PerYear {
    PerYear::Constant(0.0)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTreatment {
    name: String,
    #[serde(default)]
    costs: BTreeMap<String, PerYear>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: String,
    #[serde(default)]
    reference: bool,
    #[serde(default)]
    shares: BTreeMap<String, PerYear>,
    #[serde(default)]
    fixed_costs: BTreeMap<String, PerYear>,
}

/// A checked budget impact model: every per-year series has exactly `years` values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BiaModel {
    /// Title.
    pub title: String,
    /// Currency of every cost.
    pub currency: String,
    /// Price year of every cost.
    pub price_year: Option<i32>,
    /// Budget holder whose perspective the costs take.
    pub perspective: String,
    /// First calendar year.
    pub start_year: i32,
    /// Horizon in years.
    pub years: usize,
    /// Population in the first year.
    pub population: f64,
    /// Growth rate applied from year t to t+1, per year (the last value is unused).
    pub growth: Vec<f64>,
    /// Share of the population eligible, per year.
    pub eligible_share: Vec<f64>,
    /// Treatments with per-patient yearly costs by category.
    pub treatments: Vec<Treatment>,
    /// Scenarios; the one at `reference` is the comparator.
    pub scenarios: Vec<BiaScenario>,
    /// Index of the reference scenario.
    pub reference: usize,
    /// Parameter sources echoed in reports.
    pub sources: BTreeMap<String, String>,
}

/// A treatment option and its cost per patient per year, by category.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Treatment {
    /// Name used in scenario `shares`.
    pub name: String,
    /// Category → cost per patient, one value per year.
    pub costs: BTreeMap<String, Vec<f64>>,
}

/// A scenario: treatment mix and programme (fixed) costs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BiaScenario {
    /// Label.
    pub name: String,
    /// Treatment name → share of the eligible population, per year.
    pub shares: BTreeMap<String, Vec<f64>>,
    /// Category → fixed programme cost, per year.
    pub fixed_costs: BTreeMap<String, Vec<f64>>,
}

/// Results for one scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioBudget {
    /// Label.
    pub name: String,
    /// Year by year.
    pub years: Vec<BudgetYear>,
    /// Sum over the horizon (undiscounted).
    pub total: f64,
}

/// One year's budget for a scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BudgetYear {
    /// Calendar year.
    pub year: i32,
    /// Population.
    pub population: f64,
    /// Eligible people.
    pub eligible: f64,
    /// Treatment → patients treated.
    pub patients: BTreeMap<String, f64>,
    /// Category → cost.
    pub costs: BTreeMap<String, f64>,
    /// Total cost.
    pub total: f64,
}

/// Budget impact of one scenario against the reference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Impact {
    /// Scenario label.
    pub scenario: String,
    /// Reference label.
    pub versus: String,
    /// Year by year.
    pub years: Vec<ImpactYear>,
    /// Cumulative impact over the horizon (undiscounted).
    pub total: f64,
}

/// One year of a budget impact.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImpactYear {
    /// Calendar year.
    pub year: i32,
    /// Category → difference in cost (scenario − reference).
    pub by_category: BTreeMap<String, f64>,
    /// Difference in total cost.
    pub total: f64,
    /// Running sum of `total`.
    pub cumulative: f64,
}

/// The output of `scaleup econ bia`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BiaReport {
    /// Title.
    pub title: String,
    /// Currency.
    pub currency: String,
    /// Price year.
    pub price_year: Option<i32>,
    /// Budget holder.
    pub perspective: String,
    /// Always "none": budget impact is reported undiscounted (ISPOR).
    pub discounting: &'static str,
    /// Reference scenario label.
    pub reference: String,
    /// Budgets per scenario.
    pub scenarios: Vec<ScenarioBudget>,
    /// Impacts of every other scenario against the reference.
    pub impacts: Vec<Impact>,
    /// Parameter sources.
    pub sources: BTreeMap<String, String>,
}

impl BiaModel {
    /// Checks every rule.
    pub fn validate(&self) -> Result<(), ParamError> {
        let n = self.years;
        check_years(n, MAX_YEARS)?;
        check_start_year(self.start_year)?;
        let len = |field: &str, v: &[f64]| {
            if v.len() == n {
                Ok(())
            } else {
                Err(ParamError::new(field, format!("needs {n} values")))
            }
        };
        if !(self.population.is_finite() && self.population >= 0.0) {
            return Err(ParamError::new(
                "population.total",
                "must be a finite number >= 0",
            ));
        }
        len("population.growth", &self.growth)?;
        check_range("population.growth", &self.growth, -0.5, 1.0)?;
        len("population.eligible_share", &self.eligible_share)?;
        check_range("population.eligible_share", &self.eligible_share, 0.0, 1.0)?;
        if self.treatments.is_empty() {
            return Err(ParamError::new(
                "treatment",
                "at least one [[treatment]] is required",
            ));
        }
        for (i, t) in self.treatments.iter().enumerate() {
            if self.treatments[..i].iter().any(|o| o.name == t.name) {
                return Err(ParamError::new(
                    format!("treatment[{i}].name"),
                    "duplicates an earlier treatment",
                ));
            }
            for (c, v) in &t.costs {
                let f = format!("treatment[{i}].costs.{c}");
                len(&f, v)?;
                finite(&f, v)?;
            }
        }
        if self.scenarios.is_empty() {
            return Err(ParamError::new(
                "scenario",
                "at least one [[scenario]] is required",
            ));
        }
        for (i, s) in self.scenarios.iter().enumerate() {
            for (name, v) in &s.shares {
                let f = format!("scenario[{i}].shares.{name}");
                if !self.treatments.iter().any(|t| &t.name == name) {
                    return Err(ParamError::new(f, "names no [[treatment]]"));
                }
                len(&f, v)?;
                check_range(&f, v, 0.0, 1.0)?;
            }
            for t in 0..n {
                let sum: f64 = s.shares.values().map(|v| v[t]).sum();
                if sum > 1.0 + 1e-9 {
                    return Err(ParamError::new(
                        format!("scenario[{i}].shares"),
                        format!("shares in year {} add up to more than 1", t + 1),
                    ));
                }
            }
            for (c, v) in &s.fixed_costs {
                let f = format!("scenario[{i}].fixed_costs.{c}");
                len(&f, v)?;
                finite(&f, v)?;
            }
        }
        Ok(())
    }
}

fn finite(field: &str, v: &[f64]) -> Result<(), ParamError> {
    match v.iter().position(|x| !x.is_finite()) {
        Some(i) => Err(ParamError::new(
            format!("{field}[{i}]"),
            "must be a finite number",
        )),
        None => Ok(()),
    }
}

/// Computes every scenario's budget and the impacts against the reference.
pub fn budget_impact(m: &BiaModel) -> Result<BiaReport, ParamError> {
    m.validate()?;
    let mut population = Vec::with_capacity(m.years);
    let mut pop = m.population;
    for t in 0..m.years {
        population.push(pop);
        pop *= 1.0 + m.growth[t];
    }
    let scenarios: Vec<ScenarioBudget> = m
        .scenarios
        .iter()
        .map(|s| {
            let years: Vec<BudgetYear> = (0..m.years)
                .map(|t| {
                    let eligible = population[t] * m.eligible_share[t];
                    let mut patients = BTreeMap::new();
                    let mut costs: BTreeMap<String, f64> = BTreeMap::new();
                    for tr in &m.treatments {
                        let share = s.shares.get(&tr.name).map(|v| v[t]).unwrap_or(0.0);
                        let n = eligible * share;
                        patients.insert(tr.name.clone(), n);
                        for (c, v) in &tr.costs {
                            *costs.entry(c.clone()).or_default() += n * v[t];
                        }
                    }
                    for (c, v) in &s.fixed_costs {
                        *costs.entry(c.clone()).or_default() += v[t];
                    }
                    let total = costs.values().sum();
                    BudgetYear {
                        year: m.start_year + t as i32,
                        population: population[t],
                        eligible,
                        patients,
                        costs,
                        total,
                    }
                })
                .collect();
            ScenarioBudget {
                name: s.name.clone(),
                total: years.iter().map(|y| y.total).sum(),
                years,
            }
        })
        .collect();
    let reference = &scenarios[m.reference];
    let impacts = scenarios
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != m.reference)
        .map(|(_, s)| {
            let mut cumulative = 0.0;
            let years = s
                .years
                .iter()
                .zip(&reference.years)
                .map(|(a, b)| {
                    let mut by_category = BTreeMap::new();
                    for c in a.costs.keys().chain(b.costs.keys()) {
                        let d = a.costs.get(c).copied().unwrap_or(0.0)
                            - b.costs.get(c).copied().unwrap_or(0.0);
                        by_category.insert(c.clone(), d);
                    }
                    let total = a.total - b.total;
                    cumulative += total;
                    ImpactYear {
                        year: a.year,
                        by_category,
                        total,
                        cumulative,
                    }
                })
                .collect();
            Impact {
                scenario: s.name.clone(),
                versus: reference.name.clone(),
                years,
                total: s.total - reference.total,
            }
        })
        .collect();
    Ok(BiaReport {
        title: m.title.clone(),
        currency: m.currency.clone(),
        price_year: m.price_year,
        perspective: m.perspective.clone(),
        discounting: "none",
        reference: reference.name.clone(),
        scenarios,
        impacts,
        sources: m.sources.clone(),
    })
}

/// Parses a budget impact scenario file (see the crate's `models/` folder for an example).
pub fn parse_bia_file(text: &str) -> Result<BiaModel, FileError> {
    let raw: RawFile = parse_toml(text)?;
    let loc = |e: ParamError| locate_param(text, e, &[]);
    let n = raw.years;
    check_years(n, MAX_YEARS).map_err(loc)?;
    let expand_map = |prefix: String,
                      m: &BTreeMap<String, PerYear>|
     -> Result<BTreeMap<String, Vec<f64>>, ParamError> {
        m.iter()
            .map(|(k, v)| Ok((k.clone(), v.expand(&format!("{prefix}.{k}"), n)?)))
            .collect()
    };
    let treatments = raw
        .treatment
        .iter()
        .enumerate()
        .map(|(i, t)| {
            Ok(Treatment {
                name: t.name.clone(),
                costs: expand_map(format!("treatment[{i}].costs"), &t.costs)?,
            })
        })
        .collect::<Result<Vec<_>, ParamError>>()
        .map_err(loc)?;
    let scenarios = raw
        .scenario
        .iter()
        .enumerate()
        .map(|(i, s)| {
            Ok(BiaScenario {
                name: s.name.clone(),
                shares: expand_map(format!("scenario[{i}].shares"), &s.shares)?,
                fixed_costs: expand_map(format!("scenario[{i}].fixed_costs"), &s.fixed_costs)?,
            })
        })
        .collect::<Result<Vec<_>, ParamError>>()
        .map_err(loc)?;
    let refs: Vec<usize> = raw
        .scenario
        .iter()
        .enumerate()
        .filter(|(_, s)| s.reference)
        .map(|(i, _)| i)
        .collect();
    if refs.len() > 1 {
        return Err(loc(ParamError::new(
            format!("scenario[{}].reference", refs[1]),
            "only one scenario can be the reference",
        )));
    }
    let model = BiaModel {
        title: raw.title.unwrap_or_else(|| "Budget impact".into()),
        currency: raw.currency.unwrap_or_else(|| "USD".into()),
        price_year: raw.price_year,
        perspective: raw
            .perspective
            .unwrap_or_else(|| "Ministry of Health".into()),
        start_year: raw.start_year.unwrap_or(1),
        years: n,
        population: raw.population.total,
        growth: raw
            .population
            .growth
            .expand("population.growth", n)
            .map_err(loc)?,
        eligible_share: raw
            .population
            .eligible_share
            .expand("population.eligible_share", n)
            .map_err(loc)?,
        treatments,
        scenarios,
        reference: refs.first().copied().unwrap_or(0),
        sources: raw.sources,
    };
    model.validate().map_err(loc)?;
    Ok(model)
}

// ---------------------------------------------------------------------------------------------
// Reports.

/// Plain-text report.
pub fn render_text(r: &BiaReport) -> String {
    use std::fmt::Write;
    let mut out = format!(
        "{}\nPerspective: {}. Costs in {}{}, undiscounted. Reference: {}.\n",
        r.title,
        r.perspective,
        r.currency,
        r.price_year
            .map(|y| format!(" ({y} prices)"))
            .unwrap_or_default(),
        r.reference
    );
    for s in &r.scenarios {
        let _ = writeln!(out, "\n== {} ==", s.name);
        let cats: Vec<&String> = s
            .years
            .first()
            .map(|y| y.costs.keys().collect())
            .unwrap_or_default();
        // Categories are the file's keys (`lhw_time`); the table shows their human names, each
        // column as wide as its name.
        let names: Vec<String> = cats.iter().map(|c| fmt::label(c)).collect();
        let widths: Vec<usize> = names.iter().map(|n| n.chars().count().max(12)).collect();
        let mut header = format!("{:>6} {:>12}", "Year", "Eligible");
        for (n, w) in names.iter().zip(&widths) {
            let _ = write!(header, " {n:>w$}");
        }
        let _ = writeln!(out, "{header} {:>14}", "Total");
        for y in &s.years {
            let mut line = format!("{:>6} {:>12}", y.year, fmt::number(y.eligible, 0));
            for (c, w) in cats.iter().zip(&widths) {
                let _ = write!(line, " {:>w$}", fmt::number(y.costs[*c], 0));
            }
            let _ = writeln!(out, "{line} {:>14}", fmt::number(y.total, 0));
        }
        let _ = writeln!(
            out,
            "Total over {} years: {}",
            s.years.len(),
            fmt::number(s.total, 0)
        );
    }
    for imp in &r.impacts {
        let _ = writeln!(out, "\nBudget impact: {} vs {}", imp.scenario, imp.versus);
        for y in &imp.years {
            let _ = writeln!(
                out,
                "{:>6} {:>14} (cumulative {})",
                y.year,
                fmt::number(y.total, 0),
                fmt::number(y.cumulative, 0)
            );
        }
        let _ = writeln!(out, "Total: {}", fmt::number(imp.total, 0));
    }
    out
}

/// Self-contained HTML report with SVG charts.
pub fn render_html(r: &BiaReport) -> String {
    use crate::planner_svg::{Series, bar_chart, esc, line_chart, table};
    let labels: Vec<String> = r
        .scenarios
        .first()
        .map(|s| s.years.iter().map(|y| y.year.to_string()).collect())
        .unwrap_or_default();
    let mut body = format!(
        "<p>Perspective: {}. Costs in {}{}, undiscounted (ISPOR budget impact principles, Sullivan et al. 2014). Reference scenario: {}.</p><div class=\"charts\">",
        esc(&r.perspective),
        esc(&r.currency),
        r.price_year
            .map(|y| format!(" ({y} prices)"))
            .unwrap_or_default(),
        esc(&r.reference)
    );
    let totals: Vec<Series> = r
        .scenarios
        .iter()
        .map(|s| Series {
            name: s.name.clone(),
            values: s.years.iter().map(|y| y.total).collect(),
        })
        .collect();
    body.push_str(&bar_chart(
        "Budget by scenario",
        &r.currency,
        &labels,
        &totals,
    ));
    let impacts: Vec<Series> = r
        .impacts
        .iter()
        .map(|i| Series {
            name: format!("{} − {}", i.scenario, i.versus),
            values: i.years.iter().map(|y| y.cumulative).collect(),
        })
        .collect();
    if !impacts.is_empty() {
        body.push_str(&line_chart(
            "Cumulative budget impact",
            &r.currency,
            &labels,
            &impacts,
        ));
    }
    body.push_str("</div>");
    for s in &r.scenarios {
        body.push_str(&format!("<h2>{}</h2>", esc(&s.name)));
        let cats: Vec<String> = s
            .years
            .first()
            .map(|y| y.costs.keys().cloned().collect())
            .unwrap_or_default();
        let mut header = vec!["Year".to_string(), "Eligible".to_string()];
        header.extend(
            s.years
                .first()
                .map(|y| {
                    y.patients
                        .keys()
                        .map(|k| format!("Patients: {k}"))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default(),
        );
        header.extend(cats.iter().map(|c| fmt::label(c)));
        header.push("Total".into());
        let rows: Vec<Vec<String>> = s
            .years
            .iter()
            .map(|y| {
                let mut row = vec![y.year.to_string(), fmt::number(y.eligible, 0)];
                row.extend(y.patients.values().map(|v| fmt::number(*v, 0)));
                row.extend(cats.iter().map(|c| fmt::number(y.costs[c], 0)));
                row.push(fmt::number(y.total, 0));
                row
            })
            .collect();
        let h: Vec<&str> = header.iter().map(String::as_str).collect();
        body.push_str(&table(&h, &rows));
    }
    for imp in &r.impacts {
        body.push_str(&format!(
            "<h2>Budget impact: {} vs {}</h2>",
            esc(&imp.scenario),
            esc(&imp.versus)
        ));
        let cats: Vec<String> = imp
            .years
            .first()
            .map(|y| y.by_category.keys().cloned().collect())
            .unwrap_or_default();
        let mut header = vec!["Year".to_string()];
        header.extend(cats.iter().map(|c| fmt::label(c)));
        header.push("Total".into());
        header.push("Cumulative".into());
        let rows: Vec<Vec<String>> = imp
            .years
            .iter()
            .map(|y| {
                let mut row = vec![y.year.to_string()];
                row.extend(cats.iter().map(|c| fmt::number(y.by_category[c], 0)));
                row.push(fmt::number(y.total, 0));
                row.push(fmt::number(y.cumulative, 0));
                row
            })
            .collect();
        let h: Vec<&str> = header.iter().map(String::as_str).collect();
        body.push_str(&table(&h, &rows));
    }
    if !r.sources.is_empty() {
        body.push_str("<h2>Sources</h2>");
        let rows: Vec<Vec<String>> = r
            .sources
            .iter()
            .map(|(k, v)| vec![fmt::label(k), v.clone()])
            .collect();
        body.push_str(&table(&["Parameter", "Source"], &rows));
    }
    crate::planner_svg::page(&r.title, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
title = "t"
start_year = 2025
years = 2

[population]
total = 1000
growth = 0.1
eligible_share = 0.5

[[treatment]]
name = "UC"
costs = { staff = 10 }

[[treatment]]
name = "FB"
costs = { staff = [20, 30], materials = 5 }

[[scenario]]
name = "Current"
shares = { UC = 0.2 }

[[scenario]]
name = "Scale-up"
shares = { UC = 0.2, FB = [0.1, 0.2] }
fixed_costs = { training = [100, 0] }
"#;

    /// Hardening item 8: `years = 4000000000` expanded every per-year value to four billion
    /// entries before any check. It is refused while parsing, naming the field and its line;
    /// so is a start year whose later years would overflow.
    #[test]
    fn a_horizon_of_four_billion_years_is_refused_by_name() {
        let err = parse_bia_file(&FILE.replace("years = 2", "years = 4000000000"))
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with("field `years`: must be between 1 and 50"),
            "{err}"
        );
        assert!(err.starts_with("line "), "{err}");
        let err = parse_bia_file(&FILE.replace("start_year = 2025", "start_year = 2147483647"))
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with("field `start_year`: must be between 1 and 9999"),
            "{err}"
        );
    }

    #[test]
    fn hand_derived_two_year_case() {
        // Year 1: eligible 1000 × 0.5 = 500. Current: UC 100 patients × 10 = 1000.
        //   Scale-up: UC 1000 + FB 50 × (20 staff + 5 materials) = 1250 + training 100 → 2350.
        // Year 2: population 1100, eligible 550. Current: 110 × 10 = 1100.
        //   Scale-up: 1100 + FB 110 × (30 + 5) = 3850 → 4950.
        // Impact: 1350, 3850; cumulative 5200.
        let m = parse_bia_file(FILE).unwrap();
        let r = budget_impact(&m).unwrap();
        assert_eq!(r.reference, "Current");
        let close = |a: f64, b: f64| assert!((a - b).abs() < 1e-9, "{a} vs {b}");
        close(r.scenarios[0].years[0].total, 1000.0);
        close(r.scenarios[1].years[0].total, 2350.0);
        close(r.scenarios[1].years[1].total, 4950.0);
        close(r.scenarios[1].years[1].costs["materials"], 550.0);
        let imp = &r.impacts[0];
        close(imp.years[0].total, 1350.0);
        close(imp.years[1].total, 3850.0);
        close(imp.years[1].cumulative, 5200.0);
        close(imp.total, 5200.0);
        close(imp.years[0].by_category["training"], 100.0);
    }

    #[test]
    fn errors_name_line_and_field() {
        let bad = FILE.replace(
            "shares = { UC = 0.2, FB = [0.1, 0.2] }",
            "shares = { UC = 0.2, FB = [0.1, 0.9] }",
        );
        let e = parse_bia_file(&bad).unwrap_err().to_string();
        assert!(
            e.contains("line 25") && e.contains("scenario[1].shares") && e.contains("year 2"),
            "{e}"
        );
        let bad = FILE.replace("FB = [0.1, 0.2]", "XX = [0.1, 0.2]");
        let e = parse_bia_file(&bad).unwrap_err().to_string();
        assert!(
            e.contains("scenario[1].shares.XX") && e.contains("names no"),
            "{e}"
        );
        let bad = FILE.replace("staff = [20, 30]", "staff = [20, 30, 40]");
        let e = parse_bia_file(&bad).unwrap_err().to_string();
        assert!(
            e.contains("line 17") && e.contains("treatment[1].costs.staff"),
            "{e}"
        );
    }
}

#[cfg(test)]
mod model_file_tests {
    #[test]
    fn friendship_bench_bia_model_parses() {
        let m = super::parse_bia_file(include_str!("../models/friendship_bench_bia.toml")).unwrap();
        let r = super::budget_impact(&m).unwrap();
        // Year 1 differs only by the one-off scale-up cost (same shares in both scenarios).
        assert!((r.impacts[0].years[0].total - 474_842.0).abs() < 1e-6);
        assert!(super::render_html(&r).contains("<svg"));
    }
}
