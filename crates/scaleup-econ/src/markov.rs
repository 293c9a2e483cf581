//! Markov cohort models: the TOML specification, its validation and deterministic evaluation.
//!
//! A model file has `states`, `initial` (sums to 1), `cycles`, `accrual`
//! (`"end"`, `"start"` or `"half-cycle"`), an optional `[discount]` table (`costs`, `effects`:
//! annual rates; `first_cycle_discounted`; `cycle_years`), optional `[[parameter]]` tables and one
//! `[[strategy]]` per strategy with `name` and one or more `[[strategy.phase]]` tables holding
//! `until_cycle`, `transitions`, `state_costs` and `state_effects`.
//!
//! Cycle semantics (cycles t = 1..=cycles; occupancy m₀ = `initial`, mₜ = mₜ₋₁·Pₜ):
//! - `end`: value of cycle t is mₜ·v (transition first, then accrue on the new occupancy);
//! - `start`: value of cycle t is mₜ₋₁·v;
//! - `half-cycle`: the average of both.
//!
//! Cycle t is weighted 1/(1+r)^(y·t) when `first_cycle_discounted = true` (the default) and
//! 1/(1+r)^(y·(t−1)) otherwise, where y is `cycle_years` (default 1).
//!
//! Matrix and vector cells are numbers or expression strings over parameter names and the
//! cycle number `cycle` (see `expr`); a phase whose cells use `cycle` is evaluated per cycle. In a transitions row, the string `"C"` is the complement (1 minus the other cells;
//! at most one per row), and a row given as a single string names a Dirichlet parameter that
//! supplies the whole row.
//!
//! `[[parameter]]` tables declare named parameters with an uncertainty distribution (see
//! `psa::dist`), a base-case value and an optional one-way range (`low`, `high`). The full
//! format, with examples, is in docs/econ-markov-models.md.
//!
//! Evaluation (the PSA hot path) interns every distinct expression, evaluates it once per batch
//! of [`LANES`] draws, and propagates the cohorts of those draws side by side over a sparse
//! column layout of each phase's matrix.

mod expr;

use crate::psa::dist::{DistError, Distribution};
use expr::{Expr, Resolver};
use serde::Deserialize;
use std::ops::Range;
use toml::Spanned;

/// Most cycles a model may run: a century of weekly cycles is 5,200. The bound keeps a typo
/// (or a hostile upload to the API) from holding a core and memory for hours.
pub const MAX_CYCLES: usize = 100_000;

/// Most state-transition steps (states² × cycles) one evaluation of a model may take: about a
/// second of arithmetic. Real models are far below it (20 states over 1,200 monthly cycles is
/// 480,000).
pub const MAX_STEPS: usize = 1_000_000_000;

/// Tolerance on row sums and on `initial` summing to 1.
const ROW_SUM_TOLERANCE: f64 = 1e-9;

/// When in a cycle state values are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum Accrual {
    /// On the occupancy after the cycle's transition.
    #[serde(rename = "end")]
    End,
    /// On the occupancy at the start of the cycle.
    #[serde(rename = "start")]
    Start,
    /// Average of start and end (half-cycle correction).
    #[serde(rename = "half-cycle")]
    HalfCycle,
}

/// Discounting settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Discount {
    /// Annual discount rate for costs.
    pub costs: f64,
    /// Annual discount rate for effects.
    pub effects: f64,
    /// Whether the first cycle is discounted (t) or not (t − 1).
    pub first_cycle_discounted: bool,
    /// Length of one cycle in years.
    pub cycle_years: f64,
}

/// Errors from loading or evaluating a model. Messages name the field, strategy, phase, row
/// and line (where the TOML parser gives a position), never the offending value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// The file is not valid TOML or does not match the schema.
    #[error("{0}")]
    Toml(String),
    /// A field breaks a rule.
    #[error("{location}{message}")]
    Invalid {
        /// "line N: strategy 'x', phase 2, transitions row 'A': " and so on.
        location: String,
        /// What is wrong.
        message: String,
    },
}

/// One cost and effect total.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome {
    /// Discounted total cost per person.
    pub cost: f64,
    /// Discounted total effect per person.
    pub effect: f64,
}

/// A declared parameter: its uncertainty distribution, base-case value and OWSA range.
#[derive(Clone, Debug, PartialEq)]
pub struct Parameter {
    /// Name used in expressions.
    pub name: String,
    /// Uncertainty distribution.
    pub distribution: Distribution,
    /// Base-case value(s), used by deterministic runs.
    pub base: Vec<f64>,
    /// Low value for one-way sensitivity analysis.
    pub low: Option<f64>,
    /// High value for one-way sensitivity analysis.
    pub high: Option<f64>,
    /// First slot in the flat parameter vector.
    pub offset: usize,
}

/// A validated Markov cohort model.
#[derive(Clone, Debug)]
pub struct Model {
    states: Vec<String>,
    initial: Vec<f64>,
    cycles: usize,
    accrual: Accrual,
    discount: Discount,
    parameters: Vec<Parameter>,
    n_slots: usize,
    strategies: Vec<StrategyDef>,
    cost_weights: Vec<f64>,
    effect_weights: Vec<f64>,
    /// Costs and effects are discounted alike, so one weighted occupancy serves both.
    same_weights: bool,
    /// Every distinct cell expression of the model, evaluated once per draw.
    exprs: Vec<Expr>,
    /// Indices in `exprs` of the expressions that use `cycle`.
    cycle_exprs: Vec<usize>,
}

#[derive(Clone, Debug)]
struct StrategyDef {
    name: String,
    phases: Vec<PhaseDef>,
}

#[derive(Clone, Debug)]
struct PhaseDef {
    /// Last cycle (inclusive) the phase covers.
    until: usize,
    rows: Vec<RowDef>,
    costs: Vec<Expr>,
    effects: Vec<Expr>,
    /// Indices in `Model::exprs` of `costs` and `effects`.
    cost_idx: Vec<usize>,
    effect_idx: Vec<usize>,
    /// Non-structural-zero cells as (from, to) in row order (the order rows are evaluated).
    nonzero: Vec<(usize, usize)>,
    /// The same cells in column-major order, as a compressed sparse column matrix: cells of
    /// column j are `col_start[j]..col_start[j + 1]`, their source rows in `col_from`. The
    /// cohort step gathers each new occupancy from its column, which skips structural zeros and
    /// avoids serial read-modify-write chains on one destination.
    col_start: Vec<usize>,
    col_from: Vec<usize>,
    /// Position in column-major order of the k-th row-order cell.
    perm: Vec<usize>,
    line: Option<usize>,
    /// An earlier phase (strategy, phase) with identical cells and values; its evaluated
    /// buffers are copied instead of evaluating the same expressions again.
    same_as: Option<(usize, usize)>,
    /// First cycle the phase covers.
    first: usize,
    /// Some cell uses `cycle`: the phase is evaluated once per cycle it covers.
    time_dependent: bool,
}

#[derive(Clone, Debug, PartialEq)]
struct RowDef {
    kind: RowKind,
    line: Option<usize>,
    /// For `Cells` rows: index in `Model::exprs` of each non-zero expression, in order.
    expr_idx: Vec<usize>,
}

#[derive(Clone, Debug, PartialEq)]
enum RowKind {
    /// Cells given one by one: the non-zero expressions with their column, and the column of
    /// the complement `"C"` if any. Structural zeros are not stored, so they cost nothing per
    /// draw.
    Cells {
        exprs: Vec<(usize, Expr)>,
        complement: Option<usize>,
    },
    Dirichlet {
        offset: usize,
    },
}

#[derive(Clone, Debug)]
enum Cell {
    Expr(Expr),
    Complement,
}

// ---- Raw TOML schema -------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    states: Vec<String>,
    initial: Vec<f64>,
    cycles: usize,
    accrual: Accrual,
    #[serde(default)]
    cycle_years: Option<f64>,
    #[serde(default)]
    discount: Option<RawDiscount>,
    #[serde(default, rename = "parameter")]
    parameters: Vec<Spanned<RawParameter>>,
    #[serde(rename = "strategy")]
    strategies: Vec<Spanned<RawStrategy>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDiscount {
    #[serde(default)]
    costs: f64,
    #[serde(default)]
    effects: f64,
    #[serde(default = "yes")]
    first_cycle_discounted: bool,
    #[serde(default)]
    cycle_years: Option<f64>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParameter {
    name: String,
    distribution: String,
    value: Option<f64>,
    mean: Option<MeanField>,
    se: Option<SeField>,
    sd: Option<f64>,
    alpha: Option<AlphaField>,
    beta: Option<f64>,
    shape: Option<f64>,
    scale: Option<f64>,
    rate: Option<f64>,
    meanlog: Option<f64>,
    sdlog: Option<f64>,
    min: Option<f64>,
    mode: Option<f64>,
    max: Option<f64>,
    low: Option<f64>,
    high: Option<f64>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum MeanField {
    Scalar(f64),
    Vector(Vec<f64>),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum SeField {
    Scalar(f64),
    Vector(Vec<f64>),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum AlphaField {
    Scalar(f64),
    Vector(Vec<f64>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStrategy {
    name: String,
    #[serde(rename = "phase")]
    phases: Vec<Spanned<RawPhase>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPhase {
    until_cycle: Option<usize>,
    transitions: Vec<Spanned<RawRow>>,
    state_costs: Vec<RawCell>,
    state_effects: Vec<RawCell>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawRow {
    Cells(Vec<RawCell>),
    Named(String),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawCell {
    Num(f64),
    Text(String),
}

// ---- Loading ---------------------------------------------------------------------------

struct Loc<'a> {
    src: &'a str,
}

impl Loc<'_> {
    fn line(&self, span: Range<usize>) -> Option<usize> {
        if span.start > self.src.len() {
            return None;
        }
        Some(self.src[..span.start].matches('\n').count() + 1)
    }
}

fn invalid(line: Option<usize>, ctx: &str, message: impl Into<String>) -> ModelError {
    let mut location = String::new();
    if let Some(l) = line {
        location.push_str(&format!("line {l}: "));
    }
    if !ctx.is_empty() {
        location.push_str(ctx);
        location.push_str(": ");
    }
    ModelError::Invalid {
        location,
        message: message.into(),
    }
}

struct ParamResolver<'a> {
    params: &'a [Parameter],
}

impl Resolver for ParamResolver<'_> {
    fn scalar(&self, name: &str) -> Result<usize, String> {
        match self.params.iter().find(|p| p.name == name) {
            Some(p) if p.distribution.dim() == 1 => Ok(p.offset),
            Some(_) => Err(format!(
                "parameter '{name}' is a vector; use '{name}[i]' for one component"
            )),
            None => Err(format!("unknown parameter '{name}'")),
        }
    }
    fn component(&self, name: &str, index: usize) -> Result<usize, String> {
        match self.params.iter().find(|p| p.name == name) {
            Some(p) if index <= p.distribution.dim() && p.distribution.dim() > 1 => {
                Ok(p.offset + index - 1)
            }
            Some(_) => Err(format!("parameter '{name}' has no component {index}")),
            None => Err(format!("unknown parameter '{name}'")),
        }
    }
}

fn build_parameter(raw: &RawParameter, offset: usize) -> Result<Parameter, String> {
    let scalar_mean = match &raw.mean {
        Some(MeanField::Scalar(m)) => Some(*m),
        Some(MeanField::Vector(_)) if raw.distribution != "dirichlet" => {
            return Err("field 'mean' must be a number".into());
        }
        _ => None,
    };
    let scalar_se = match &raw.se {
        Some(SeField::Scalar(s)) => Some(*s),
        Some(SeField::Vector(v)) if raw.distribution == "dirichlet" => v.first().copied(),
        Some(SeField::Vector(_)) => return Err("field 'se' must be a number".into()),
        None => None,
    };
    let se_or_sd = scalar_se.or(raw.sd);
    let missing = |what: &str| format!("distribution '{}' needs {what}", raw.distribution.as_str());
    let e = |err: DistError| err.0;
    let dist = match raw.distribution.as_str() {
        "fixed" => Distribution::Fixed(
            raw.value
                .or(scalar_mean)
                .ok_or_else(|| missing("'value'"))?,
        ),
        "beta" => match (scalar_mean, se_or_sd, &raw.alpha, raw.beta) {
            (Some(m), Some(s), None, None) => Distribution::beta_from_moments(m, s).map_err(e)?,
            (None, None, Some(AlphaField::Scalar(a)), Some(b)) => {
                Distribution::Beta { alpha: *a, beta: b }
            }
            _ => return Err(missing("either 'mean' and 'se', or 'alpha' and 'beta'")),
        },
        "gamma" => match (scalar_mean, se_or_sd, raw.shape, raw.scale, raw.rate) {
            (Some(m), Some(s), None, None, None) => {
                Distribution::gamma_from_moments(m, s).map_err(e)?
            }
            (None, None, Some(k), Some(th), None) => Distribution::Gamma {
                shape: k,
                scale: th,
            },
            (None, None, Some(k), None, Some(r)) if r > 0.0 => Distribution::Gamma {
                shape: k,
                scale: 1.0 / r,
            },
            _ => {
                return Err(missing(
                    "either 'mean' and 'se', or 'shape' with 'scale' or 'rate'",
                ));
            }
        },
        "lognormal" => match (scalar_mean, se_or_sd, raw.meanlog, raw.sdlog) {
            (Some(m), Some(s), None, None) => {
                Distribution::lognormal_from_moments(m, s).map_err(e)?
            }
            (None, None, Some(ml), Some(sl)) => Distribution::LogNormal {
                meanlog: ml,
                sdlog: sl,
            },
            _ => return Err(missing("either 'mean' and 'se', or 'meanlog' and 'sdlog'")),
        },
        "normal" => match (scalar_mean, se_or_sd) {
            (Some(m), Some(s)) => Distribution::Normal { mean: m, sd: s },
            _ => return Err(missing("'mean' and 'se' (or 'sd')")),
        },
        "triangular" => match (raw.min, raw.mode, raw.max) {
            (Some(a), Some(c), Some(b)) => Distribution::Triangular {
                min: a,
                mode: c,
                max: b,
            },
            _ => return Err(missing("'min', 'mode' and 'max'")),
        },
        "dirichlet" => match (&raw.alpha, &raw.mean, scalar_se) {
            (Some(AlphaField::Vector(a)), None, None) => {
                Distribution::Dirichlet { alpha: a.clone() }
            }
            (None, Some(MeanField::Vector(m)), Some(s)) => {
                Distribution::dirichlet_from_moments(m, s).map_err(e)?
            }
            _ => {
                return Err(missing(
                    "either an 'alpha' list, or a 'mean' list and 'se' (of the first component)",
                ));
            }
        },
        other => {
            return Err(format!(
                "unknown distribution '{other}' (expected beta, gamma, lognormal, normal, \
                 triangular, dirichlet or fixed)"
            ));
        }
    };
    dist.validate().map_err(e)?;
    let base = match (raw.value, scalar_mean, &raw.mean) {
        (Some(v), _, _) => {
            if dist.dim() != 1 {
                return Err("field 'value' is only for scalar parameters".into());
            }
            vec![v]
        }
        (None, Some(m), _) => vec![m],
        (None, None, Some(MeanField::Vector(m))) => m.clone(),
        _ => dist.mean(),
    };
    if dist.dim() > 1 && (raw.low.is_some() || raw.high.is_some()) {
        return Err("'low' and 'high' are only for scalar parameters".into());
    }
    Ok(Parameter {
        name: raw.name.clone(),
        distribution: dist,
        base,
        low: raw.low,
        high: raw.high,
        offset,
    })
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
        && !matches!(
            name,
            "C" | "cycle" | "exp" | "ln" | "log" | "sqrt" | "min" | "max"
        )
}

impl Model {
    /// Parses and validates a model from TOML text.
    pub fn from_toml_str(src: &str) -> Result<Model, ModelError> {
        let raw: RawModel = toml::from_str(src).map_err(|e| ModelError::Toml(e.to_string()))?;
        let loc = Loc { src };
        let n = raw.states.len();
        if n == 0 {
            return Err(invalid(None, "", "field 'states' is empty"));
        }
        for (i, s) in raw.states.iter().enumerate() {
            if raw.states[..i].contains(s) {
                return Err(invalid(
                    None,
                    "",
                    format!("field 'states': state '{s}' appears twice"),
                ));
            }
        }
        if raw.initial.len() != n {
            return Err(invalid(
                None,
                "",
                format!(
                    "field 'initial' has {} values, expected {n} (one per state)",
                    raw.initial.len()
                ),
            ));
        }
        if raw.initial.iter().any(|v| !(0.0..=1.0).contains(v))
            || (raw.initial.iter().sum::<f64>() - 1.0).abs() > ROW_SUM_TOLERANCE
        {
            return Err(invalid(
                None,
                "",
                "field 'initial' must hold proportions in [0, 1] summing to 1",
            ));
        }
        if raw.cycles == 0 || raw.cycles > MAX_CYCLES {
            return Err(invalid(
                None,
                "",
                format!("field 'cycles' must be between 1 and {MAX_CYCLES}"),
            ));
        }
        let steps = raw
            .states
            .len()
            .saturating_pow(2)
            .saturating_mul(raw.cycles);
        if steps > MAX_STEPS {
            return Err(invalid(
                None,
                "",
                format!(
                    "the model is too large: states² × cycles = {steps} exceeds {MAX_STEPS}; use fewer states or longer cycles"
                ),
            ));
        }
        let d = raw.discount.as_ref();
        let cycle_years = match (raw.cycle_years, d.and_then(|d| d.cycle_years)) {
            (Some(a), Some(b)) if a != b => {
                return Err(invalid(
                    None,
                    "",
                    "field 'cycle_years' is set twice with different values",
                ));
            }
            (a, b) => a.or(b).unwrap_or(1.0),
        };
        if !(cycle_years > 0.0 && cycle_years.is_finite()) {
            return Err(invalid(None, "", "field 'cycle_years' must be positive"));
        }
        let discount = Discount {
            costs: d.map_or(0.0, |d| d.costs),
            effects: d.map_or(0.0, |d| d.effects),
            first_cycle_discounted: d.is_none_or(|d| d.first_cycle_discounted),
            cycle_years,
        };
        for (f, r) in [
            ("discount.costs", discount.costs),
            ("discount.effects", discount.effects),
        ] {
            if !(r > -1.0 && r.is_finite()) {
                return Err(invalid(None, "", format!("field '{f}' must be above -1")));
            }
        }

        let mut parameters: Vec<Parameter> = Vec::new();
        let mut offset = 0;
        for sp in &raw.parameters {
            let line = loc.line(sp.span());
            let p = sp.get_ref();
            let ctx = format!("parameter '{}'", p.name);
            if !valid_name(&p.name) {
                return Err(invalid(
                    line,
                    &ctx,
                    "field 'name' must be letters, digits and '_', not starting with a digit, \
                     and not C, cycle, exp, ln, log, sqrt, min or max",
                ));
            }
            if parameters.iter().any(|q| q.name == p.name) {
                return Err(invalid(line, &ctx, "declared twice"));
            }
            let param = build_parameter(p, offset).map_err(|m| invalid(line, &ctx, m))?;
            offset += param.distribution.dim();
            parameters.push(param);
        }
        let resolver = ParamResolver {
            params: &parameters,
        };

        if raw.strategies.is_empty() {
            return Err(invalid(None, "", "at least one [[strategy]] is required"));
        }
        let mut strategies = Vec::new();
        for ss in &raw.strategies {
            let s = ss.get_ref();
            let sline = loc.line(ss.span());
            if s.name.is_empty() {
                return Err(invalid(sline, "strategy", "field 'name' is empty"));
            }
            if strategies.iter().any(|t: &StrategyDef| t.name == s.name) {
                return Err(invalid(
                    sline,
                    &format!("strategy '{}'", s.name),
                    "name appears twice",
                ));
            }
            if s.phases.is_empty() {
                return Err(invalid(
                    sline,
                    &format!("strategy '{}'", s.name),
                    "at least one [[strategy.phase]] is required",
                ));
            }
            let mut phases = Vec::new();
            let mut prev_until = 0;
            for (pi, sp) in s.phases.iter().enumerate() {
                let pline = loc.line(sp.span());
                let p = sp.get_ref();
                let ctx = format!("strategy '{}', phase {}", s.name, pi + 1);
                let last = pi + 1 == s.phases.len();
                let until = match (p.until_cycle, last) {
                    (_, true) => raw.cycles,
                    (Some(u), false) => u,
                    (None, false) => {
                        return Err(invalid(
                            pline,
                            &ctx,
                            "field 'until_cycle' is required on every phase but the last",
                        ));
                    }
                };
                if let Some(u) = p.until_cycle {
                    if u <= prev_until {
                        return Err(invalid(
                            pline,
                            &ctx,
                            "field 'until_cycle' must be greater than the previous phase's",
                        ));
                    }
                    if !last && u >= raw.cycles {
                        return Err(invalid(
                            pline,
                            &ctx,
                            "field 'until_cycle' leaves later phases unused (it reaches 'cycles')",
                        ));
                    }
                }
                prev_until = until;
                phases.push(build_phase(
                    p,
                    &raw.states,
                    until,
                    pline,
                    &ctx,
                    &loc,
                    &resolver,
                    &parameters,
                )?);
            }
            strategies.push(StrategyDef {
                name: s.name.clone(),
                phases,
            });
        }

        for st in strategies.iter_mut() {
            let mut first = 1;
            for ph in st.phases.iter_mut() {
                ph.first = first;
                first = ph.until + 1;
                ph.time_dependent = ph.costs.iter().chain(&ph.effects).any(Expr::uses_cycle)
                    || ph.rows.iter().any(|r| match &r.kind {
                        RowKind::Cells { exprs, .. } => exprs.iter().any(|(_, e)| e.uses_cycle()),
                        RowKind::Dirichlet { .. } => false,
                    });
            }
        }
        // Find phases identical to an earlier one (commonly the "after treatment" phase of an
        // intervention equals usual care). Time-dependent phases are left out: the same cells
        // over different cycles give different values.
        for si in 0..strategies.len() {
            for pi in 0..strategies[si].phases.len() {
                let found = (0..=si).find_map(|sj| {
                    let limit = if sj == si {
                        pi
                    } else {
                        strategies[sj].phases.len()
                    };
                    (0..limit).find_map(|pj| {
                        let (a, b) = (&strategies[si].phases[pi], &strategies[sj].phases[pj]);
                        (!a.time_dependent
                            && !b.time_dependent
                            && a.rows
                                .iter()
                                .map(|r| &r.kind)
                                .eq(b.rows.iter().map(|r| &r.kind))
                            && a.costs == b.costs
                            && a.effects == b.effects)
                            .then_some((sj, pj))
                    })
                });
                strategies[si].phases[pi].same_as = found;
            }
        }
        // Intern every expression so that one shared by several cells or phases is evaluated
        // once per draw.
        // The Debug rendering is a faithful key: it prints every constant exactly.
        let mut exprs: Vec<Expr> = Vec::new();
        let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        let mut intern = |e: &Expr| -> usize {
            *seen.entry(format!("{e:?}")).or_insert_with(|| {
                exprs.push(e.clone());
                exprs.len() - 1
            })
        };
        for st in strategies.iter_mut() {
            for ph in st.phases.iter_mut() {
                ph.cost_idx = ph.costs.iter().map(&mut intern).collect();
                ph.effect_idx = ph.effects.iter().map(&mut intern).collect();
                for row in ph.rows.iter_mut() {
                    if let RowKind::Cells { exprs: cells, .. } = &row.kind {
                        row.expr_idx = cells.iter().map(|(_, e)| intern(e)).collect();
                    }
                }
            }
        }
        let weights = |r: f64| -> Vec<f64> {
            (1..=raw.cycles)
                .map(|t| {
                    let k = if discount.first_cycle_discounted {
                        t as f64
                    } else {
                        (t - 1) as f64
                    };
                    (1.0 + r).powf(-cycle_years * k)
                })
                .collect()
        };
        let model = Model {
            cost_weights: weights(discount.costs),
            effect_weights: weights(discount.effects),
            same_weights: discount.costs == discount.effects,
            cycle_exprs: (0..exprs.len())
                .filter(|&i| exprs[i].uses_cycle())
                .collect(),
            exprs,
            states: raw.states,
            initial: raw.initial,
            cycles: raw.cycles,
            accrual: raw.accrual,
            discount,
            n_slots: offset,
            parameters,
            strategies,
        };
        // The base case must be a valid model; this reports bad probabilities with their row.
        model.evaluate(&model.base_values())?;
        Ok(model)
    }

    /// State names.
    pub fn states(&self) -> &[String] {
        &self.states
    }
    /// Number of cycles.
    pub fn cycles(&self) -> usize {
        self.cycles
    }
    /// Accrual convention.
    pub fn accrual(&self) -> Accrual {
        self.accrual
    }
    /// Discounting settings.
    pub fn discount(&self) -> &Discount {
        &self.discount
    }
    /// Strategy names in file order.
    pub fn strategy_names(&self) -> Vec<&str> {
        self.strategies.iter().map(|s| s.name.as_str()).collect()
    }
    /// Declared parameters in file order.
    pub fn parameters(&self) -> &[Parameter] {
        &self.parameters
    }
    /// Length of the flat parameter vector.
    pub fn n_slots(&self) -> usize {
        self.n_slots
    }

    /// The flat parameter vector at base-case values.
    pub fn base_values(&self) -> Vec<f64> {
        let mut v = vec![0.0; self.n_slots];
        for p in &self.parameters {
            v[p.offset..p.offset + p.base.len()].copy_from_slice(&p.base);
        }
        v
    }

    /// Evaluates every strategy with parameter values `values` (see [`Model::base_values`]).
    pub fn evaluate(&self, values: &[f64]) -> Result<Vec<Outcome>, ModelError> {
        let mut ws = Workspace::new(self);
        let mut out = vec![
            Outcome {
                cost: 0.0,
                effect: 0.0
            };
            self.strategies.len()
        ];
        self.evaluate_into(values, &mut ws, &mut out)?;
        Ok(out)
    }

    /// Evaluates every strategy into `out` (one outcome per strategy), reusing `ws`.
    pub fn evaluate_into(
        &self,
        values: &[f64],
        ws: &mut Workspace,
        out: &mut [Outcome],
    ) -> Result<(), ModelError> {
        self.evaluate_batch(values, ws, out).map_err(|(_, e)| e)
    }

    /// Evaluates up to [`LANES`] draws at once (the PSA hot path). `values` holds
    /// `draws × n_slots` parameter values, `out` receives `draws × strategies` outcomes
    /// (draw-major). On failure returns the index of the first invalid draw in the batch.
    ///
    /// The cohort step runs the draws side by side in SIMD-friendly lanes: the sparse-matrix
    /// bookkeeping is shared, and the arithmetic on `[f64; LANES]` vectorises.
    pub fn evaluate_batch(
        &self,
        values: &[f64],
        ws: &mut Workspace,
        out: &mut [Outcome],
    ) -> Result<(), (usize, ModelError)> {
        let slots = self.n_slots;
        let draws = values
            .len()
            .checked_div(slots)
            .unwrap_or(out.len() / self.strategies.len());
        assert!((1..=LANES).contains(&draws), "batch of 1..=LANES draws");
        let k = self.strategies.len();
        // Parameter values lane by lane; unused lanes repeat the last draw so that every lane
        // holds valid numbers.
        for (slot, lv) in ws.lane_vals.iter_mut().enumerate() {
            for (lane, x) in lv.iter_mut().enumerate() {
                *x = values[lane.min(draws - 1) * slots + slot];
            }
        }
        // Cycle-dependent expressions get their values per cycle below.
        for (x, e) in ws.expr_vals.iter_mut().zip(&self.exprs) {
            *x = e.eval_lanes(&ws.lane_vals, f64::NAN);
        }
        for (si, s) in self.strategies.iter().enumerate() {
            for (pi, ph) in s.phases.iter().enumerate() {
                if let Some((sj, pj)) = ph.same_as {
                    copy_phase(&mut ws.phases, (sj, pj), (si, pi));
                    continue;
                }
                let n_bufs = ws.phases[si][pi].len();
                for b in 0..n_bufs {
                    let cycle = ph.first + b;
                    if ph.time_dependent {
                        for &i in &self.cycle_exprs {
                            ws.expr_vals[i] = self.exprs[i].eval_lanes(&ws.lane_vals, cycle as f64);
                        }
                    }
                    let buf = &mut ws.phases[si][pi][b];
                    fill_phase(ph, &ws.expr_vals, &ws.lane_vals, &mut ws.row, buf, draws).map_err(
                        |f| {
                            let ctx = if ph.time_dependent {
                                format!("strategy '{}', phase {} (cycle {cycle})", s.name, pi + 1)
                            } else {
                                format!("strategy '{}', phase {}", s.name, pi + 1)
                            };
                            let err = match f.what {
                                FillProblem::Row(row, msg) => invalid(
                                    ph.rows[row].line.or(ph.line),
                                    &format!(
                                        "{ctx}, transitions row {} ('{}')",
                                        row + 1,
                                        self.states[row]
                                    ),
                                    msg,
                                ),
                                FillProblem::Value(field, state) => invalid(
                                    ph.line,
                                    &format!("{ctx}, field '{field}' ('{}')", self.states[state]),
                                    "evaluates to a number that is not finite",
                                ),
                            };
                            (f.lane, err)
                        },
                    )?;
                }
            }
            let res = self.run_cohort(si, ws);
            for lane in 0..draws {
                out[lane * k + si] = res[lane];
            }
        }
        Ok(())
    }

    /// Propagates the cohorts of strategy `si` (one per lane) through all cycles using the
    /// phase buffers in `ws` (already filled) and returns their discounted totals.
    ///
    /// State values are constant within a phase, so instead of a dot product per cycle the step
    /// accumulates discount-weighted occupancy vectors (`Σₜ wₜ·mₜ`, element-wise) and takes one
    /// dot product with the phase's costs and effects when the phase ends. This is the same
    /// sum in a different order.
    fn run_cohort(&self, si: usize, ws: &mut Workspace) -> [Outcome; LANES] {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { self.run_cohort_avx2(si, ws) };
        }
        self.run_cohort_body(si, ws)
    }

    /// The cohort step compiled with AVX2 enabled, so the lane arithmetic uses 4-wide vectors.
    /// FMA is deliberately not enabled: without fused multiply-add the results are bit for bit
    /// the same as the portable build.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn run_cohort_avx2(&self, si: usize, ws: &mut Workspace) -> [Outcome; LANES] {
        self.run_cohort_body(si, ws)
    }

    #[inline(always)]
    fn run_cohort_body(&self, si: usize, ws: &mut Workspace) -> [Outcome; LANES] {
        let s = &self.strategies[si];
        let Workspace {
            phases,
            m,
            next,
            occ_c,
            occ_e,
            ..
        } = ws;
        for (x, &v) in m.iter_mut().zip(&self.initial) {
            *x = [v; LANES];
        }
        let mut cost = [0.0; LANES];
        let mut effect = [0.0; LANES];
        let mut t = 1;
        for (pi, ph) in s.phases.iter().enumerate() {
            let phase_end = ph.until.min(self.cycles);
            // A time-dependent phase runs as one-cycle segments, each with its own buffer.
            while t <= phase_end {
                let (segment_end, buf) = if ph.time_dependent {
                    (t, &phases[si][pi][t - ph.first])
                } else {
                    (phase_end, &phases[si][pi][0])
                };
                occ_c.iter_mut().for_each(|x| *x = [0.0; LANES]);
                occ_e.iter_mut().for_each(|x| *x = [0.0; LANES]);
                let phase_start = t;
                while t <= segment_end {
                    for (j, x) in next.iter_mut().enumerate() {
                        let (a, b) = (ph.col_start[j], ph.col_start[j + 1]);
                        let mut acc = [0.0; LANES];
                        for (&i, p) in ph.col_from[a..b].iter().zip(&buf.probs[a..b]) {
                            let mi = &m[i];
                            for l in 0..LANES {
                                acc[l] += mi[l] * p[l];
                            }
                        }
                        *x = acc;
                    }
                    // Weight of the occupancy counted in this step. Half-cycle: cycle t values
                    // 0.5·(m_{t-1} + m_t); m_{t-1} was already counted with the previous cycle's
                    // half, except at the start of a phase, and m_t also carries the next
                    // cycle's half while the phase continues. So each occupancy is added once.
                    let last = t == segment_end;
                    let (wc, we) = match self.accrual {
                        Accrual::End => (self.cost_weights[t - 1], self.effect_weights[t - 1]),
                        Accrual::Start => {
                            accumulate(
                                occ_c,
                                occ_e,
                                m,
                                self.cost_weights[t - 1],
                                self.effect_weights[t - 1],
                                self.same_weights,
                            );
                            (0.0, 0.0)
                        }
                        Accrual::HalfCycle => {
                            if t == phase_start {
                                accumulate(
                                    occ_c,
                                    occ_e,
                                    m,
                                    0.5 * self.cost_weights[t - 1],
                                    0.5 * self.effect_weights[t - 1],
                                    self.same_weights,
                                );
                            }
                            if last {
                                (
                                    0.5 * self.cost_weights[t - 1],
                                    0.5 * self.effect_weights[t - 1],
                                )
                            } else {
                                (
                                    0.5 * (self.cost_weights[t - 1] + self.cost_weights[t]),
                                    0.5 * (self.effect_weights[t - 1] + self.effect_weights[t]),
                                )
                            }
                        }
                    };
                    if self.accrual != Accrual::Start {
                        accumulate(occ_c, occ_e, next, wc, we, self.same_weights);
                    }
                    std::mem::swap(m, next);
                    t += 1;
                }
                let occ_e: &[[f64; LANES]] = if self.same_weights { occ_c } else { occ_e };
                for j in 0..m.len() {
                    for l in 0..LANES {
                        cost[l] += occ_c[j][l] * buf.costs[j][l];
                        effect[l] += occ_e[j][l] * buf.effects[j][l];
                    }
                }
            }
        }
        std::array::from_fn(|l| Outcome {
            cost: cost[l],
            effect: effect[l],
        })
    }
}

/// `occ_c += wc·m` and `occ_e += we·m`, element-wise in every lane. When costs and effects
/// share their discount weights only `occ_c` is kept (and read for both).
#[inline(always)]
fn accumulate(
    occ_c: &mut [[f64; LANES]],
    occ_e: &mut [[f64; LANES]],
    m: &[[f64; LANES]],
    wc: f64,
    we: f64,
    same: bool,
) {
    // Whole-array loads and stores let the compiler keep each lane group in vector registers.
    if same {
        for (c, x) in occ_c.iter_mut().zip(m) {
            let (mut cc, xx) = (*c, *x);
            for l in 0..LANES {
                cc[l] += wc * xx[l];
            }
            *c = cc;
        }
    } else {
        for ((c, e), x) in occ_c.iter_mut().zip(occ_e.iter_mut()).zip(m) {
            let (mut cc, mut ee, xx) = (*c, *e, *x);
            for l in 0..LANES {
                cc[l] += wc * xx[l];
                ee[l] += we * xx[l];
            }
            *c = cc;
            *e = ee;
        }
    }
}

/// Copies the evaluated buffers of phase `from` into phase `to` (`from` comes earlier).
fn copy_phase(phases: &mut [Vec<Vec<PhaseBuf>>], from: (usize, usize), to: (usize, usize)) {
    // Aliased phases are never time-dependent, so each has exactly one buffer.
    let (src, dst) = if from.0 == to.0 {
        let (a, b) = phases[to.0].split_at_mut(to.1);
        (&a[from.1][0], &mut b[0][0])
    } else {
        let (a, b) = phases.split_at_mut(to.0);
        (&a[from.0][from.1][0], &mut b[0][to.1][0])
    };
    dst.probs.copy_from_slice(&src.probs);
    dst.costs.copy_from_slice(&src.costs);
    dst.effects.copy_from_slice(&src.effects);
}

/// Number of draws evaluated side by side by [`Model::evaluate_batch`].
pub const LANES: usize = 8;

/// Scratch buffers for evaluating a model without allocating.
#[derive(Clone, Debug)]
pub struct Workspace {
    /// Per strategy, per phase: one buffer, or one per cycle for time-dependent phases.
    phases: Vec<Vec<Vec<PhaseBuf>>>,
    m: Vec<[f64; LANES]>,
    next: Vec<[f64; LANES]>,
    row: Vec<[f64; LANES]>,
    occ_c: Vec<[f64; LANES]>,
    occ_e: Vec<[f64; LANES]>,
    lane_vals: Vec<[f64; LANES]>,
    expr_vals: Vec<[f64; LANES]>,
}

/// Evaluated values of one phase, lane-interleaved: `probs[k][lane]` is the k-th non-zero
/// cell (column-major order) for the draw in `lane`.
#[derive(Clone, Debug)]
struct PhaseBuf {
    probs: Vec<[f64; LANES]>,
    costs: Vec<[f64; LANES]>,
    effects: Vec<[f64; LANES]>,
}

impl Workspace {
    /// Allocates buffers sized for `model`.
    pub fn new(model: &Model) -> Workspace {
        let n = model.states.len();
        Workspace {
            phases: model
                .strategies
                .iter()
                .map(|s| {
                    s.phases
                        .iter()
                        .map(|p| {
                            let copies = if p.time_dependent {
                                p.until.min(model.cycles) + 1 - p.first
                            } else {
                                1
                            };
                            vec![
                                PhaseBuf {
                                    probs: vec![[0.0; LANES]; p.nonzero.len()],
                                    costs: vec![[0.0; LANES]; n],
                                    effects: vec![[0.0; LANES]; n],
                                };
                                copies
                            ]
                        })
                        .collect()
                })
                .collect(),
            m: vec![[0.0; LANES]; n],
            next: vec![[0.0; LANES]; n],
            row: vec![[0.0; LANES]; n],
            occ_c: vec![[0.0; LANES]; n],
            occ_e: vec![[0.0; LANES]; n],
            lane_vals: vec![[0.0; LANES]; model.n_slots],
            expr_vals: vec![[0.0; LANES]; model.exprs.len()],
        }
    }
}

/// Why a phase could not be filled for one draw.
struct FillError {
    lane: usize,
    what: FillProblem,
}

enum FillProblem {
    /// Transition row index and the rule broken.
    Row(usize, String),
    /// Field name and state index of a non-finite state value.
    Value(&'static str, usize),
}

/// Assembles one phase for all lanes from the evaluated expressions, checking that every row
/// of the first `draws` lanes is a probability vector and every state value is finite.
fn fill_phase(
    ph: &PhaseDef,
    expr_vals: &[[f64; LANES]],
    lane_vals: &[[f64; LANES]],
    row: &mut [[f64; LANES]],
    buf: &mut PhaseBuf,
    draws: usize,
) -> Result<(), FillError> {
    let n = row.len();
    for (k, &i) in ph.cost_idx.iter().enumerate() {
        buf.costs[k] = expr_vals[i];
    }
    for (k, &i) in ph.effect_idx.iter().enumerate() {
        buf.effects[k] = expr_vals[i];
    }
    let mut nz = 0;
    for (r, rd) in ph.rows.iter().enumerate() {
        match &rd.kind {
            RowKind::Dirichlet { offset } => row.copy_from_slice(&lane_vals[*offset..*offset + n]),
            RowKind::Cells { exprs, complement } => {
                row.iter_mut().for_each(|x| *x = [0.0; LANES]);
                let mut sum = [0.0; LANES];
                for ((j, _), &i) in exprs.iter().zip(&rd.expr_idx) {
                    let v = expr_vals[i];
                    row[*j] = v;
                    for l in 0..LANES {
                        sum[l] += v[l];
                    }
                }
                if let Some(j) = *complement {
                    for l in 0..LANES {
                        let c = 1.0 - sum[l];
                        // Rounding can leave a tiny negative complement; clamp within tolerance.
                        row[j][l] = if c < 0.0 && c > -ROW_SUM_TOLERANCE {
                            0.0
                        } else {
                            c
                        };
                    }
                }
            }
        }
        let mut sum = [0.0; LANES];
        let mut bad = [false; LANES];
        for p in row.iter() {
            for l in 0..LANES {
                bad[l] |= !(0.0..=1.0).contains(&p[l]);
                sum[l] += p[l];
            }
        }
        for l in 0..draws {
            if bad[l] {
                return Err(FillError {
                    lane: l,
                    what: FillProblem::Row(
                        r,
                        "a probability is outside [0, 1] (or not a number)".into(),
                    ),
                });
            }
            if (sum[l] - 1.0).abs() > ROW_SUM_TOLERANCE {
                return Err(FillError {
                    lane: l,
                    what: FillProblem::Row(
                        r,
                        format!("row sums to {:.12}, not 1 (tolerance 1e-9)", sum[l]),
                    ),
                });
            }
        }
        while nz < ph.nonzero.len() && ph.nonzero[nz].0 == r {
            buf.probs[ph.perm[nz]] = row[ph.nonzero[nz].1];
            nz += 1;
        }
    }
    for (field, vals) in [("state_costs", &buf.costs), ("state_effects", &buf.effects)] {
        for (state, v) in vals.iter().enumerate() {
            if let Some(l) = (0..draws).find(|&l| !v[l].is_finite()) {
                return Err(FillError {
                    lane: l,
                    what: FillProblem::Value(field, state),
                });
            }
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn build_phase(
    p: &RawPhase,
    states: &[String],
    until: usize,
    pline: Option<usize>,
    ctx: &str,
    loc: &Loc<'_>,
    resolver: &ParamResolver<'_>,
    params: &[Parameter],
) -> Result<PhaseDef, ModelError> {
    let n = states.len();
    if p.transitions.len() != n {
        return Err(invalid(
            pline,
            ctx,
            format!(
                "field 'transitions' has {} rows, expected {n} (one per state)",
                p.transitions.len()
            ),
        ));
    }
    let mut rows = Vec::with_capacity(n);
    let mut nonzero = Vec::new();
    for (r, sr) in p.transitions.iter().enumerate() {
        let line = loc.line(sr.span()).or(pline);
        let rctx = format!("{ctx}, transitions row {} ('{}')", r + 1, states[r]);
        let kind = match sr.get_ref() {
            RawRow::Named(name) => {
                let par = params
                    .iter()
                    .find(|q| &q.name == name)
                    .ok_or_else(|| invalid(line, &rctx, format!("unknown parameter '{name}'")))?;
                if par.distribution.dim() != n {
                    return Err(invalid(
                        line,
                        &rctx,
                        format!(
                            "a row given by name needs a Dirichlet parameter with {n} components; \
                             '{name}' has {}",
                            par.distribution.dim()
                        ),
                    ));
                }
                nonzero.extend((0..n).map(|j| (r, j)));
                RowKind::Dirichlet { offset: par.offset }
            }
            RawRow::Cells(cells) => {
                if cells.len() != n {
                    return Err(invalid(
                        line,
                        &rctx,
                        format!("has {} cells, expected {n}", cells.len()),
                    ));
                }
                let mut out = Vec::with_capacity(n);
                let mut n_comp = 0;
                for (j, c) in cells.iter().enumerate() {
                    let cell =
                        match c {
                            RawCell::Text(t) if t.trim() == "C" => {
                                n_comp += 1;
                                Cell::Complement
                            }
                            other => Cell::Expr(compile_cell(other, resolver).map_err(|m| {
                                invalid(line, &format!("{rctx}, column {}", j + 1), m)
                            })?),
                        };
                    if !matches!(&cell, Cell::Expr(e) if e.is_zero()) {
                        nonzero.push((r, j));
                    }
                    out.push(cell);
                }
                if n_comp > 1 {
                    return Err(invalid(
                        line,
                        &rctx,
                        "at most one \"C\" (complement) per row",
                    ));
                }
                RowKind::Cells {
                    exprs: out
                        .into_iter()
                        .enumerate()
                        .filter_map(|(j, c)| match c {
                            Cell::Expr(e) if !e.is_zero() => Some((j, e)),
                            _ => None,
                        })
                        .collect(),
                    complement: cells
                        .iter()
                        .position(|c| matches!(c, RawCell::Text(t) if t.trim() == "C")),
                }
            }
        };
        rows.push(RowDef {
            kind,
            line,
            expr_idx: Vec::new(),
        });
    }
    let vector = |cells: &[RawCell], field: &str| -> Result<Vec<Expr>, ModelError> {
        if cells.len() != n {
            return Err(invalid(
                pline,
                ctx,
                format!("field '{field}' has {} values, expected {n}", cells.len()),
            ));
        }
        cells
            .iter()
            .enumerate()
            .map(|(k, c)| {
                compile_cell(c, resolver).map_err(|m| {
                    invalid(
                        pline,
                        &format!("{ctx}, field '{field}' ('{}')", states[k]),
                        m,
                    )
                })
            })
            .collect()
    };
    // Column-major layout of the non-zero cells (see PhaseDef).
    let mut order: Vec<usize> = (0..nonzero.len()).collect();
    order.sort_by_key(|&k| (nonzero[k].1, nonzero[k].0));
    let mut perm = vec![0; nonzero.len()];
    for (pos, &k) in order.iter().enumerate() {
        perm[k] = pos;
    }
    let col_from = order.iter().map(|&k| nonzero[k].0).collect();
    let mut col_start = vec![0; n + 1];
    for &(_, j) in &nonzero {
        col_start[j + 1] += 1;
    }
    for j in 0..n {
        col_start[j + 1] += col_start[j];
    }
    Ok(PhaseDef {
        until,
        costs: vector(&p.state_costs, "state_costs")?,
        effects: vector(&p.state_effects, "state_effects")?,
        rows,
        nonzero,
        col_start,
        col_from,
        perm,
        line: pline,
        same_as: None,
        first: 1,
        time_dependent: false,
        cost_idx: Vec::new(),
        effect_idx: Vec::new(),
    })
}

fn compile_cell(c: &RawCell, resolver: &ParamResolver<'_>) -> Result<Expr, String> {
    match c {
        RawCell::Num(v) if v.is_finite() => Ok(Expr::Const(*v)),
        RawCell::Num(_) => Err("not a finite number".into()),
        RawCell::Text(t) => expr::parse(t, resolver),
    }
}

#[cfg(test)]
mod tests;
