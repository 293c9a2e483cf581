//! Return on investment in the structure of the WHO/UNDP mental health investment case used by
//! Chisholm et al. 2016 (*Lancet Psychiatry* 3:415–24): a linear coverage scale-up, the cost of
//! treating the extra cases, healthy life-years (HLY) gained, productivity gains from better
//! ability to work and productivity at work, optionally the economic value of the health gained,
//! and the benefit–cost ratio and net present value of the whole.
//!
//! The paper's own equations and inputs are not public; the formulas follow the generic form in
//! the reference doc §1.3 (years t = 0..T−1, conditions d, packages s):
//! ```text
//! cov_{d,s,t}  = cov0 + (covT − cov0)·t/(T−1)                    (linear scale-up)
//! Treated_t    = Pop_t · prev_d · share_{d,s} · cov_{d,s,t};     baseline uses cov_baseline
//! ΔTreated_t   = Treated_t − Treated_t^baseline
//! Cost_t       = Σ ΔTreated_t · unit_cost + programme_t          (cost_basis = "incremental")
//!              = Σ Treated_t · unit_cost + programme_t           (cost_basis = "total")
//! HLY_t        = Σ ΔTreated_t · ΔYLD_per_case,  ΔYLD = DW_untr·dur_untr − DW_tr·dur_tr
//! Prod_t       = Σ ΔTreated_t · (1 − unemployment) · LFPR · GDP_per_worker_t · (a_abs + a_pres)
//! NPV(x)       = Σ_t x_t / (1 + r)^t
//! BCR          = [NPV(Prod) + V_HLY · NPV(HLY)] / NPV(Cost);   ROI = BCR − 1
//! ```
//! Chisholm et al. set a_abs = a_pres = 0.05; the base those shares act on is not published, so
//! every parameter is an input, and the report lists any parameter without a stated source.

use crate::input::{
    FileError, ParamError, PerYear, check_nonneg, check_range, check_start_year, check_years,
    locate_param, parse_toml,
};
use crate::planner::linear_path;
use scaleup_format as fmt;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Longest investment-case horizon, in years.
pub const MAX_YEARS: usize = 100;

/// Whether costs count only the extra cases treated or all treated cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CostBasis {
    /// Cost of the cases treated beyond the baseline coverage (matches the benefits).
    #[default]
    Incremental,
    /// Cost of every treated case (the full scaled-up programme).
    Total,
}

/// A checked investment case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoiModel {
    /// Title.
    pub title: String,
    /// Currency of money values.
    pub currency: String,
    /// Price year.
    pub price_year: Option<i32>,
    /// First calendar year.
    pub start_year: i32,
    /// Horizon in years.
    pub years: usize,
    /// Annual discount rate for costs, health and productivity.
    pub discount_rate: f64,
    /// Population in the first year.
    pub population: f64,
    /// Annual population growth.
    pub population_growth: f64,
    /// Cost basis.
    pub cost_basis: CostBasis,
    /// Programme (above-service) costs per year.
    pub programme_costs: Vec<f64>,
    /// Economic value of one healthy life-year; `None` leaves health value out.
    pub value_per_hly: Option<f64>,
    /// Productivity parameters.
    pub productivity: Productivity,
    /// Conditions and their treatment packages.
    pub conditions: Vec<Condition>,
    /// Parameter sources.
    pub sources: BTreeMap<String, String>,
}

/// Productivity parameters (Chisholm et al. 2016: 5 % gains in absenteeism and presenteeism).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Productivity {
    /// Unemployment rate.
    pub unemployment: f64,
    /// Labour-force participation rate.
    pub labour_force_participation: f64,
    /// GDP per worker in the first year.
    pub gdp_per_worker: f64,
    /// Annual real growth of GDP per worker.
    #[serde(default)]
    pub gdp_growth: f64,
    /// Gain in ability to work (less absenteeism) per treated case.
    pub absenteeism_gain: f64,
    /// Gain in productivity at work (less presenteeism) per treated case.
    pub presenteeism_gain: f64,
}

/// A condition (e.g. depression) with its prevalence and packages.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Condition {
    /// Name.
    pub name: String,
    /// Prevalence in the population.
    pub prevalence: f64,
    /// Treatment packages (e.g. by severity).
    pub packages: Vec<Package>,
}

/// A treatment package for a share of the cases of a condition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Package {
    /// Name.
    pub name: String,
    /// Share of the condition's cases this package is for.
    pub share: f64,
    /// Cost per treated case per year.
    pub unit_cost: f64,
    /// Coverage per year in the scale-up.
    pub coverage: Vec<f64>,
    /// Coverage held constant in the counterfactual.
    pub baseline_coverage: f64,
    /// Healthy life-years gained per extra treated case.
    pub delta_yld_per_case: f64,
}

/// One year of the investment case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoiYear {
    /// Calendar year.
    pub year: i32,
    /// Population.
    pub population: f64,
    /// Cases treated with scale-up.
    pub treated: f64,
    /// Cases treated at baseline coverage.
    pub treated_baseline: f64,
    /// Extra cases treated.
    pub extra_treated: f64,
    /// Cost (on the chosen basis), including programme costs.
    pub cost: f64,
    /// Healthy life-years gained.
    pub hly: f64,
    /// Value of productivity gains.
    pub productivity: f64,
    /// Economic value of health gained (0 when no value per HLY is given).
    pub health_value: f64,
    /// 1/(1+r)^t.
    pub discount_factor: f64,
}

/// Discounted totals and ratios.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoiSummary {
    /// Present value of costs.
    pub pv_cost: f64,
    /// Discounted healthy life-years gained.
    pub pv_hly: f64,
    /// Present value of productivity gains.
    pub pv_productivity: f64,
    /// Present value of health gains (null without a value per HLY).
    pub pv_health_value: Option<f64>,
    /// Productivity gains / costs.
    pub bcr_economic: Option<f64>,
    /// (Productivity + health value) / costs (null without a value per HLY).
    pub bcr_with_health: Option<f64>,
    /// BCR − 1, economic benefits only.
    pub roi_economic: Option<f64>,
    /// BCR − 1, with health value.
    pub roi_with_health: Option<f64>,
    /// Net present value, economic benefits only.
    pub npv_economic: f64,
    /// Net present value with health value.
    pub npv_with_health: Option<f64>,
    /// Present value of costs per discounted HLY gained.
    pub cost_per_hly: Option<f64>,
    /// Undiscounted sums.
    pub undiscounted: Undiscounted,
}

/// Undiscounted sums over the horizon.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Undiscounted {
    /// Costs.
    pub cost: f64,
    /// Healthy life-years.
    pub hly: f64,
    /// Productivity gains.
    pub productivity: f64,
    /// Extra cases treated.
    pub extra_treated: f64,
}

/// The output of `scaleup econ roi`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoiReport {
    /// Title.
    pub title: String,
    /// Currency.
    pub currency: String,
    /// Price year.
    pub price_year: Option<i32>,
    /// Discount rate used.
    pub discount_rate: f64,
    /// Cost basis used.
    pub cost_basis: CostBasis,
    /// Year by year.
    pub years: Vec<RoiYear>,
    /// Discounted summary.
    pub summary: RoiSummary,
    /// Model as used.
    pub parameters: RoiModel,
    /// Parameter names without an entry in `[sources]`.
    pub unsourced: Vec<String>,
}

impl RoiModel {
    /// Checks every rule.
    pub fn validate(&self) -> Result<(), ParamError> {
        let n = self.years;
        check_years(n, MAX_YEARS)?;
        check_start_year(self.start_year)?;
        check_range("discount_rate", &[self.discount_rate], 0.0, 1.0)?;
        check_nonneg("population", self.population)?;
        check_range("population_growth", &[self.population_growth], -0.5, 1.0)?;
        if self.programme_costs.len() != n {
            return Err(ParamError::new(
                "programme_costs",
                format!("needs {n} values"),
            ));
        }
        for (i, c) in self.programme_costs.iter().enumerate() {
            check_nonneg(&format!("programme_costs[{i}]"), *c)?;
        }
        if let Some(v) = self.value_per_hly {
            check_nonneg("value_per_hly", v)?;
        }
        let p = &self.productivity;
        check_range("productivity.unemployment", &[p.unemployment], 0.0, 1.0)?;
        check_range(
            "productivity.labour_force_participation",
            &[p.labour_force_participation],
            0.0,
            1.0,
        )?;
        check_nonneg("productivity.gdp_per_worker", p.gdp_per_worker)?;
        check_range("productivity.gdp_growth", &[p.gdp_growth], -0.5, 1.0)?;
        check_range(
            "productivity.absenteeism_gain",
            &[p.absenteeism_gain],
            0.0,
            1.0,
        )?;
        check_range(
            "productivity.presenteeism_gain",
            &[p.presenteeism_gain],
            0.0,
            1.0,
        )?;
        if self.conditions.is_empty() {
            return Err(ParamError::new(
                "condition",
                "at least one [[condition]] is required",
            ));
        }
        for (i, c) in self.conditions.iter().enumerate() {
            let f = format!("condition[{i}]");
            check_range(&format!("{f}.prevalence"), &[c.prevalence], 0.0, 1.0)?;
            if c.packages.is_empty() {
                return Err(ParamError::new(
                    format!("{f}.package"),
                    "at least one [[condition.package]] is required",
                ));
            }
            let total: f64 = c.packages.iter().map(|p| p.share).sum();
            if total > 1.0 + 1e-9 {
                return Err(ParamError::new(
                    format!("{f}.package"),
                    "package shares add up to more than 1",
                ));
            }
            for (j, p) in c.packages.iter().enumerate() {
                let g = format!("{f}.package[{j}]");
                check_range(&format!("{g}.share"), &[p.share], 0.0, 1.0)?;
                check_nonneg(&format!("{g}.unit_cost"), p.unit_cost)?;
                if p.coverage.len() != n {
                    return Err(ParamError::new(
                        format!("{g}.coverage"),
                        format!("needs {n} values"),
                    ));
                }
                check_range(&format!("{g}.coverage"), &p.coverage, 0.0, 1.0)?;
                check_range(
                    &format!("{g}.baseline_coverage"),
                    &[p.baseline_coverage],
                    0.0,
                    1.0,
                )?;
                if !p.delta_yld_per_case.is_finite() {
                    return Err(ParamError::new(
                        format!("{g}.delta_yld_per_case"),
                        "must be a finite number",
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Computes the investment case.
pub fn roi(m: &RoiModel) -> Result<RoiReport, ParamError> {
    m.validate()?;
    let prod = &m.productivity;
    let employed = (1.0 - prod.unemployment) * prod.labour_force_participation;
    let gain = prod.absenteeism_gain + prod.presenteeism_gain;
    let mut years = Vec::with_capacity(m.years);
    for t in 0..m.years {
        let population = m.population * (1.0 + m.population_growth).powi(t as i32);
        let gdp_per_worker = prod.gdp_per_worker * (1.0 + prod.gdp_growth).powi(t as i32);
        let (mut treated, mut treated_baseline, mut service_cost, mut hly) = (0.0, 0.0, 0.0, 0.0);
        for c in &m.conditions {
            for p in &c.packages {
                let cases = population * c.prevalence * p.share;
                let tr = cases * p.coverage[t];
                let base = cases * p.baseline_coverage;
                let extra = tr - base;
                treated += tr;
                treated_baseline += base;
                service_cost += p.unit_cost
                    * match m.cost_basis {
                        CostBasis::Incremental => extra,
                        CostBasis::Total => tr,
                    };
                hly += extra * p.delta_yld_per_case;
            }
        }
        let extra_treated = treated - treated_baseline;
        let productivity = extra_treated * employed * gdp_per_worker * gain;
        years.push(RoiYear {
            year: m.start_year + t as i32,
            population,
            treated,
            treated_baseline,
            extra_treated,
            cost: service_cost + m.programme_costs[t],
            hly,
            productivity,
            health_value: m.value_per_hly.map(|v| v * hly).unwrap_or(0.0),
            discount_factor: 1.0 / (1.0 + m.discount_rate).powi(t as i32),
        });
    }
    let pv =
        |f: &dyn Fn(&RoiYear) -> f64| years.iter().map(|y| f(y) * y.discount_factor).sum::<f64>();
    let pv_cost = pv(&|y| y.cost);
    let pv_hly = pv(&|y| y.hly);
    let pv_productivity = pv(&|y| y.productivity);
    let pv_health_value = m.value_per_hly.map(|v| v * pv_hly);
    let ratio = |b: f64| (pv_cost > 0.0).then(|| b / pv_cost);
    let bcr_economic = ratio(pv_productivity);
    let bcr_with_health = pv_health_value.and_then(|h| ratio(pv_productivity + h));
    let summary = RoiSummary {
        pv_cost,
        pv_hly,
        pv_productivity,
        pv_health_value,
        bcr_economic,
        bcr_with_health,
        roi_economic: bcr_economic.map(|b| b - 1.0),
        roi_with_health: bcr_with_health.map(|b| b - 1.0),
        npv_economic: pv_productivity - pv_cost,
        npv_with_health: pv_health_value.map(|h| pv_productivity + h - pv_cost),
        cost_per_hly: (pv_hly > 0.0).then(|| pv_cost / pv_hly),
        undiscounted: Undiscounted {
            cost: years.iter().map(|y| y.cost).sum(),
            hly: years.iter().map(|y| y.hly).sum(),
            productivity: years.iter().map(|y| y.productivity).sum(),
            extra_treated: years.iter().map(|y| y.extra_treated).sum(),
        },
    };
    let mut unsourced: Vec<String> = SOURCED_PARAMS
        .iter()
        .filter(|p| !m.sources.contains_key(**p))
        .filter(|p| **p != "value_per_hly" || m.value_per_hly.is_some())
        .map(|p| p.to_string())
        .collect();
    unsourced.sort();
    Ok(RoiReport {
        title: m.title.clone(),
        currency: m.currency.clone(),
        price_year: m.price_year,
        discount_rate: m.discount_rate,
        cost_basis: m.cost_basis,
        years,
        summary,
        parameters: m.clone(),
        unsourced,
    })
}

/// Parameters whose source the report asks for (keys of `[sources]`).
const SOURCED_PARAMS: [&str; 14] = [
    "discount_rate",
    "population",
    "population_growth",
    "programme_costs",
    "value_per_hly",
    "unemployment",
    "labour_force_participation",
    "gdp_per_worker",
    "absenteeism_gain",
    "presenteeism_gain",
    "prevalence",
    "unit_cost",
    "coverage",
    "delta_yld_per_case",
];

// ---------------------------------------------------------------------------------------------
// Scenario file.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    title: Option<String>,
    currency: Option<String>,
    price_year: Option<i32>,
    start_year: Option<i32>,
    years: usize,
    discount_rate: f64,
    population: f64,
    #[serde(default)]
    population_growth: f64,
    #[serde(default)]
    cost_basis: CostBasis,
    programme_costs: Option<PerYear>,
    value_per_hly: Option<f64>,
    productivity: Productivity,
    #[serde(default)]
    condition: Vec<RawCondition>,
    #[serde(default)]
    sources: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    name: String,
    prevalence: f64,
    #[serde(default)]
    package: Vec<RawPackage>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPackage {
    name: String,
    share: f64,
    unit_cost: f64,
    coverage: Option<PerYear>,
    coverage_start: Option<f64>,
    coverage_end: Option<f64>,
    baseline_coverage: Option<f64>,
    delta_yld_per_case: Option<f64>,
    dw_untreated: Option<f64>,
    duration_untreated: Option<f64>,
    dw_treated: Option<f64>,
    duration_treated: Option<f64>,
}

impl RawPackage {
    fn into_package(self, n: usize, f: &str) -> Result<Package, ParamError> {
        let coverage = match (&self.coverage, self.coverage_start, self.coverage_end) {
            (Some(c), None, None) => c.expand(&format!("{f}.coverage"), n)?,
            (None, Some(a), Some(b)) => linear_path(a, b, n),
            _ => {
                return Err(ParamError::new(
                    format!("{f}.coverage"),
                    "give either `coverage` or both `coverage_start` and `coverage_end`",
                ));
            }
        };
        let dw = [
            self.dw_untreated,
            self.duration_untreated,
            self.dw_treated,
            self.duration_treated,
        ];
        let delta = match (self.delta_yld_per_case, dw) {
            (Some(d), [None, None, None, None]) => d,
            (None, [Some(du), Some(lu), Some(dt), Some(lt)]) => {
                for (name, v) in [("dw_untreated", du), ("dw_treated", dt)] {
                    check_range(&format!("{f}.{name}"), &[v], 0.0, 1.0)?;
                }
                for (name, v) in [("duration_untreated", lu), ("duration_treated", lt)] {
                    check_nonneg(&format!("{f}.{name}"), v)?;
                }
                du * lu - dt * lt
            }
            _ => {
                return Err(ParamError::new(
                    format!("{f}.delta_yld_per_case"),
                    "give either delta_yld_per_case or all of dw_untreated, duration_untreated, dw_treated, duration_treated",
                ));
            }
        };
        Ok(Package {
            name: self.name,
            share: self.share,
            unit_cost: self.unit_cost,
            baseline_coverage: self.baseline_coverage.unwrap_or(coverage[0]),
            coverage,
            delta_yld_per_case: delta,
        })
    }
}

/// Parses an investment-case scenario file.
pub fn parse_roi_file(text: &str) -> Result<RoiModel, FileError> {
    let raw: RawFile = parse_toml(text)?;
    let loc = |e: ParamError| locate_param(text, e, &[]);
    let n = raw.years;
    check_years(n, MAX_YEARS).map_err(loc)?;
    let conditions = raw
        .condition
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let packages = c
                .package
                .into_iter()
                .enumerate()
                .map(|(j, p)| p.into_package(n, &format!("condition[{i}].package[{j}]")))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Condition {
                name: c.name,
                prevalence: c.prevalence,
                packages,
            })
        })
        .collect::<Result<Vec<_>, ParamError>>()
        .map_err(loc)?;
    let model = RoiModel {
        title: raw.title.unwrap_or_else(|| "Investment case".into()),
        currency: raw.currency.unwrap_or_else(|| "USD".into()),
        price_year: raw.price_year,
        start_year: raw.start_year.unwrap_or(1),
        years: n,
        discount_rate: raw.discount_rate,
        population: raw.population,
        population_growth: raw.population_growth,
        cost_basis: raw.cost_basis,
        programme_costs: raw
            .programme_costs
            .unwrap_or(PerYear::Constant(0.0))
            .expand("programme_costs", n)
            .map_err(loc)?,
        value_per_hly: raw.value_per_hly,
        productivity: raw.productivity,
        conditions,
        sources: raw.sources,
    };
    model.validate().map_err(loc)?;
    Ok(model)
}

// ---------------------------------------------------------------------------------------------
// Reports.

fn opt(v: Option<f64>, d: usize) -> String {
    v.map(|x| fmt::number(x, d)).unwrap_or_else(|| "–".into())
}

/// Plain-text report.
/// The cost basis in words, for the reports' opening line.
fn cost_basis_text(b: CostBasis) -> &'static str {
    match b {
        CostBasis::Incremental => "costs of the cases treated beyond baseline coverage",
        CostBasis::Total => "costs of every case treated",
    }
}

/// Parameter keys as a comma-separated list of their human names.
fn key_labels(keys: &[String]) -> String {
    keys.iter()
        .map(|k| fmt::label(k))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn render_text(r: &RoiReport) -> String {
    use std::fmt::Write;
    let s = &r.summary;
    let mut out = format!(
        "{}\nCosts in {}{}; discount rate {}; {}.\n\n{:>6} {:>12} {:>12} {:>14} {:>12} {:>14}\n",
        r.title,
        r.currency,
        r.price_year
            .map(|y| format!(" ({y} prices)"))
            .unwrap_or_default(),
        fmt::percent_value(r.discount_rate),
        cost_basis_text(r.cost_basis),
        "Year",
        "Treated",
        "Extra",
        "Cost",
        "HLY",
        "Productivity"
    );
    for y in &r.years {
        let _ = writeln!(
            out,
            "{:>6} {:>12} {:>12} {:>14} {:>12} {:>14}",
            y.year,
            fmt::number(y.treated, 0),
            fmt::number(y.extra_treated, 0),
            fmt::number(y.cost, 0),
            fmt::number(y.hly, 1),
            fmt::number(y.productivity, 0)
        );
    }
    let _ = writeln!(
        out,
        "\nPresent value of costs:        {}",
        fmt::number(s.pv_cost, 0)
    );
    let _ = writeln!(
        out,
        "Healthy life-years (disc.):    {}",
        fmt::number(s.pv_hly, 1)
    );
    let _ = writeln!(
        out,
        "Productivity gains (PV):       {}",
        fmt::number(s.pv_productivity, 0)
    );
    let _ = writeln!(
        out,
        "Value of health gains (PV):    {}",
        opt(s.pv_health_value, 0)
    );
    let _ = writeln!(
        out,
        "Benefit-cost ratio, economic:  {}",
        opt(s.bcr_economic, 2)
    );
    let _ = writeln!(
        out,
        "Benefit-cost ratio, w/ health: {}",
        opt(s.bcr_with_health, 2)
    );
    let _ = writeln!(
        out,
        "Net present value, economic:   {}",
        fmt::number(s.npv_economic, 0)
    );
    let _ = writeln!(
        out,
        "Net present value, w/ health:  {}",
        opt(s.npv_with_health, 0)
    );
    let _ = writeln!(
        out,
        "Cost per HLY gained:           {}",
        opt(s.cost_per_hly, 2)
    );
    if !r.unsourced.is_empty() {
        let _ = writeln!(
            out,
            "\nParameters without a stated source: {}",
            key_labels(&r.unsourced)
        );
    }
    out
}

/// Self-contained HTML report.
pub fn render_html(r: &RoiReport) -> String {
    use crate::planner_svg::{Series, bar_chart, esc, line_chart, table};
    let s = &r.summary;
    let labels: Vec<String> = r.years.iter().map(|y| y.year.to_string()).collect();
    let mut body = format!(
        "<p>Structure of the WHO/UNDP investment case (Chisholm et al. 2016, Lancet Psychiatry 3:415–24). Money in {}{}; discount rate {}; {}.</p><div class=\"charts\">",
        esc(&r.currency),
        r.price_year
            .map(|y| format!(" ({y} prices)"))
            .unwrap_or_default(),
        fmt::percent_value(r.discount_rate),
        cost_basis_text(r.cost_basis)
    );
    let mut flows = vec![
        Series {
            name: "Cost".into(),
            values: r.years.iter().map(|y| y.cost).collect(),
        },
        Series {
            name: "Productivity gains".into(),
            values: r.years.iter().map(|y| y.productivity).collect(),
        },
    ];
    if r.parameters.value_per_hly.is_some() {
        flows.push(Series {
            name: "Value of health".into(),
            values: r.years.iter().map(|y| y.health_value).collect(),
        });
    }
    body.push_str(&bar_chart(
        "Costs and benefits by year (undiscounted)",
        &r.currency,
        &labels,
        &flows,
    ));
    body.push_str(&line_chart(
        "Cases treated",
        "cases",
        &labels,
        &[
            Series {
                name: "With scale-up".into(),
                values: r.years.iter().map(|y| y.treated).collect(),
            },
            Series {
                name: "Baseline".into(),
                values: r.years.iter().map(|y| y.treated_baseline).collect(),
            },
        ],
    ));
    body.push_str("</div><h2>Summary</h2>");
    body.push_str(&table(
        &["Measure", "Value"],
        &[
            vec!["Present value of costs".into(), fmt::number(s.pv_cost, 0)],
            vec![
                "Healthy life-years gained (discounted)".into(),
                fmt::number(s.pv_hly, 1),
            ],
            vec![
                "Present value of productivity gains".into(),
                fmt::number(s.pv_productivity, 0),
            ],
            vec![
                "Present value of health gains".into(),
                opt(s.pv_health_value, 0),
            ],
            vec![
                "Benefit–cost ratio, economic benefits".into(),
                opt(s.bcr_economic, 2),
            ],
            vec![
                "Benefit–cost ratio, with value of health".into(),
                opt(s.bcr_with_health, 2),
            ],
            vec![
                "Net present value, economic".into(),
                fmt::number(s.npv_economic, 0),
            ],
            vec![
                "Net present value, with value of health".into(),
                opt(s.npv_with_health, 0),
            ],
            vec!["Cost per healthy life-year".into(), opt(s.cost_per_hly, 2)],
        ],
    ));
    body.push_str("<h2>By year</h2>");
    let rows: Vec<Vec<String>> = r
        .years
        .iter()
        .map(|y| {
            vec![
                y.year.to_string(),
                fmt::number(y.population, 0),
                fmt::number(y.treated, 0),
                fmt::number(y.extra_treated, 0),
                fmt::number(y.cost, 0),
                fmt::number(y.hly, 1),
                fmt::number(y.productivity, 0),
                fmt::number(y.health_value, 0),
                format!("{:.4}", y.discount_factor),
            ]
        })
        .collect();
    body.push_str(&table(
        &[
            "Year",
            "Population",
            "Treated",
            "Extra treated",
            "Cost",
            "HLY",
            "Productivity",
            "Health value",
            "Discount factor",
        ],
        &rows,
    ));
    body.push_str("<h2>Parameters and sources</h2>");
    let rows: Vec<Vec<String>> = r
        .parameters
        .sources
        .iter()
        .map(|(k, v)| vec![fmt::label(k), v.clone()])
        .collect();
    body.push_str(&table(&["Parameter", "Source"], &rows));
    let pk: Vec<Vec<String>> = r
        .parameters
        .conditions
        .iter()
        .flat_map(|c| {
            c.packages.iter().map(move |p| {
                vec![
                    c.name.clone(),
                    fmt::percent_value(c.prevalence),
                    p.name.clone(),
                    fmt::percent_value(p.share),
                    fmt::money(p.unit_cost),
                    format!(
                        "{} → {}",
                        fmt::percent_value(p.baseline_coverage),
                        fmt::percent_value(p.coverage.last().copied().unwrap_or(0.0))
                    ),
                    fmt::value(p.delta_yld_per_case),
                ]
            })
        })
        .collect();
    body.push_str(&table(
        &[
            "Condition",
            "Prevalence",
            "Package",
            "Share",
            "Unit cost",
            "Coverage (baseline → end)",
            "ΔYLD per case",
        ],
        &pk,
    ));
    if !r.unsourced.is_empty() {
        body.push_str(&format!(
            "<p class=\"note\">Parameters without a stated source: {}.</p>",
            esc(&key_labels(&r.unsourced))
        ));
    }
    crate::planner_svg::page(&r.title, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
years = 2
start_year = 2025
discount_rate = 0.1
population = 1000
programme_costs = 11
value_per_hly = 100

[productivity]
unemployment = 0.0
labour_force_participation = 1.0
gdp_per_worker = 1000
absenteeism_gain = 0.05
presenteeism_gain = 0.05

[[condition]]
name = "Depression"
prevalence = 0.1

[[condition.package]]
name = "Counselling"
share = 1.0
unit_cost = 10
coverage_start = 0.2
coverage_end = 0.4
delta_yld_per_case = 0.5
"#;

    /// Hardening item 8: `years = 4000000000` expanded every per-year value to four billion
    /// entries before any check. It is refused while parsing, naming the field and its line;
    /// so is a start year whose later years would overflow.
    #[test]
    fn a_horizon_of_four_billion_years_is_refused_by_name() {
        let err = parse_roi_file(&FILE.replace("years = 2", "years = 4000000000"))
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with("field `years`: must be between 1 and 100"),
            "{err}"
        );
        assert!(err.starts_with("line "), "{err}");
        let err = parse_roi_file(&FILE.replace("start_year = 2025", "start_year = 2147483647"))
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with("field `start_year`: must be between 1 and 9999"),
            "{err}"
        );
    }

    #[test]
    fn hand_derived_two_year_case() {
        // Cases 1000 × 0.1 = 100; coverage 0.2 → 0.4 linearly, baseline 0.2.
        // Year 0: treated 20, extra 0: cost = programme 11; HLY 0; productivity 0.
        // Year 1: treated 40, extra 20: cost 20 × 10 + 11 = 211; HLY 20 × 0.5 = 10;
        //   productivity 20 × 1 × 1 × 1000 × 0.10 = 2000; health value 10 × 100 = 1000.
        // Discount 1/1.1 in year 1:
        //   PV cost = 11 + 211/1.1 = 202.818181…; PV prod = 2000/1.1 = 1818.181818…;
        //   PV HLY = 10/1.1 = 9.090909…; PV health = 909.090909…
        //   BCR economic = 1818.1818/202.8182 = 20000/2231 = 8.964590…;
        //   BCR with health = 2727.2727/202.8182 = 30000/2231 = 13.446885…
        let m = parse_roi_file(FILE).unwrap();
        let r = roi(&m).unwrap();
        let s = &r.summary;
        let close = |a: f64, b: f64| assert!((a - b).abs() < 1e-9 * b.abs().max(1.0), "{a} vs {b}");
        close(r.years[1].extra_treated, 20.0);
        close(r.years[1].cost, 211.0);
        close(s.pv_cost, 11.0 + 211.0 / 1.1);
        close(s.pv_productivity, 2000.0 / 1.1);
        close(s.pv_hly, 10.0 / 1.1);
        close(s.bcr_economic.unwrap(), 20000.0 / 2231.0);
        close(s.bcr_with_health.unwrap(), 30000.0 / 2231.0);
        close(s.roi_economic.unwrap(), 20000.0 / 2231.0 - 1.0);
        close(
            s.npv_with_health.unwrap(),
            3000.0 / 1.1 - 11.0 - 211.0 / 1.1,
        );
        close(s.undiscounted.cost, 222.0);

        // Total cost basis: year costs 20×10+11 = 211 and 40×10+11 = 411.
        let mut t = m.clone();
        t.cost_basis = CostBasis::Total;
        let r = roi(&t).unwrap();
        close(r.summary.pv_cost, 211.0 + 411.0 / 1.1);
        // Every listed parameter lacks a source here.
        assert!(r.unsourced.contains(&"gdp_per_worker".to_string()));
    }

    #[test]
    fn dw_form_and_errors() {
        // ΔYLD = 0.396 × 0.75 − 0.145 × 0.25 = 0.297 − 0.03625 = 0.26075.
        let text = FILE.replace(
            "delta_yld_per_case = 0.5",
            "dw_untreated = 0.396\nduration_untreated = 0.75\ndw_treated = 0.145\nduration_treated = 0.25",
        );
        let m = parse_roi_file(&text).unwrap();
        assert!((m.conditions[0].packages[0].delta_yld_per_case - 0.26075).abs() < 1e-12);

        let bad = FILE.replace("unemployment = 0.0", "unemployment = 2.0");
        let e = parse_roi_file(&bad).unwrap_err().to_string();
        assert!(
            e.contains("line 10") && e.contains("productivity.unemployment"),
            "{e}"
        );
        let bad = FILE.replace("share = 1.0", "share = 1.5");
        let e = parse_roi_file(&bad).unwrap_err().to_string();
        assert!(e.contains("condition[0].package"), "{e}");
        let bad = FILE.replace("coverage_end = 0.4", "");
        let e = parse_roi_file(&bad).unwrap_err().to_string();
        assert!(
            e.contains("condition[0].package[0].coverage") && e.contains("line 20,"),
            "{e}"
        );
    }
}

#[cfg(test)]
mod model_file_tests {
    #[test]
    fn friendship_bench_roi_model_parses_and_is_fully_sourced() {
        let m = super::parse_roi_file(include_str!("../models/friendship_bench_roi.toml")).unwrap();
        let r = super::roi(&m).unwrap();
        assert!(r.unsourced.is_empty(), "{:?}", r.unsourced);
        assert!(r.summary.bcr_economic.unwrap() > 0.0);
        assert!(super::render_html(&r).contains("<svg"));
    }
}
