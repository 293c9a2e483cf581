//! One-way sensitivity analysis: re-evaluate the model with one scalar parameter at its low
//! and then its high value, all others at base case, and report the swing of an outcome
//! (the data behind a tornado diagram).

use crate::cea::net_monetary_benefit;
use crate::markov::{Model, ModelError, Outcome};
use crate::svg;

/// One parameter range to test.
#[derive(Clone, Debug, PartialEq)]
pub struct OwsaSpec {
    /// Parameter name (scalar parameters only).
    pub parameter: String,
    /// Low value.
    pub low: f64,
    /// High value.
    pub high: f64,
}

/// The outcome a tornado diagram shows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Measure {
    /// Net monetary benefit `wtp·E − C` of one strategy.
    Nmb {
        /// Strategy index.
        strategy: usize,
        /// Willingness to pay.
        wtp: f64,
    },
    /// Incremental NMB of `strategy` over `comparator`.
    Inmb {
        /// Strategy index.
        strategy: usize,
        /// Comparator index.
        comparator: usize,
        /// Willingness to pay.
        wtp: f64,
    },
}

impl Measure {
    /// Value of the measure for one set of strategy outcomes.
    pub fn of(&self, o: &[Outcome]) -> f64 {
        match *self {
            Measure::Nmb { strategy, wtp } => {
                net_monetary_benefit(o[strategy].cost, o[strategy].effect, wtp)
            }
            Measure::Inmb {
                strategy,
                comparator,
                wtp,
            } => {
                net_monetary_benefit(o[strategy].cost, o[strategy].effect, wtp)
                    - net_monetary_benefit(o[comparator].cost, o[comparator].effect, wtp)
            }
        }
    }
}

/// Results for one parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct OwsaRow {
    /// Parameter name.
    pub parameter: String,
    /// Base-case value.
    pub base_value: f64,
    /// Low value tested.
    pub low: f64,
    /// High value tested.
    pub high: f64,
    /// Strategy outcomes at the low value.
    pub at_low: Vec<Outcome>,
    /// Strategy outcomes at the high value.
    pub at_high: Vec<Outcome>,
}

/// Base case plus one row per parameter, in the order given.
#[derive(Clone, Debug, PartialEq)]
pub struct OwsaResult {
    /// Base-case outcomes.
    pub base: Vec<Outcome>,
    /// One row per parameter.
    pub rows: Vec<OwsaRow>,
}

/// OWSA failures.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OwsaError {
    /// No parameter ranges to test.
    #[error(
        "no parameters to vary: give a parameter with low and high values, or set 'low' and 'high' on [[parameter]] entries"
    )]
    Nothing,
    /// The parameter is not declared.
    #[error("unknown parameter '{0}'")]
    Unknown(String),
    /// The parameter is a vector (Dirichlet).
    #[error("parameter '{0}' is a vector; one-way analysis needs a scalar parameter")]
    NotScalar(String),
    /// Low or high is not finite or low > high.
    #[error("parameter '{0}': low and high must be finite with low <= high")]
    Range(String),
    /// The model is invalid at its base case.
    #[error("base case: {0}")]
    Base(ModelError),
    /// The model is invalid at a tested value.
    #[error("parameter '{parameter}' at its {which} value: {source}")]
    Model {
        /// Parameter name.
        parameter: String,
        /// "low" or "high".
        which: &'static str,
        /// What went wrong.
        source: ModelError,
    },
}

/// The ranges declared in the model file (`low` and `high` on `[[parameter]]`).
pub fn specs_from_model(model: &Model) -> Vec<OwsaSpec> {
    model
        .parameters()
        .iter()
        .filter_map(|p| match (p.low, p.high) {
            (Some(low), Some(high)) => Some(OwsaSpec {
                parameter: p.name.clone(),
                low,
                high,
            }),
            _ => None,
        })
        .collect()
}

/// Runs the one-way analysis.
pub fn run_owsa(model: &Model, specs: &[OwsaSpec]) -> Result<OwsaResult, OwsaError> {
    if specs.is_empty() {
        return Err(OwsaError::Nothing);
    }
    let base_values = model.base_values();
    let base = model.evaluate(&base_values).map_err(OwsaError::Base)?;
    let mut rows = Vec::with_capacity(specs.len());
    for s in specs {
        let p = model
            .parameters()
            .iter()
            .find(|p| p.name == s.parameter)
            .ok_or_else(|| OwsaError::Unknown(s.parameter.clone()))?;
        if p.distribution.dim() != 1 {
            return Err(OwsaError::NotScalar(s.parameter.clone()));
        }
        if !(s.low.is_finite() && s.high.is_finite() && s.low <= s.high) {
            return Err(OwsaError::Range(s.parameter.clone()));
        }
        let mut values = base_values.clone();
        let mut run = |v: f64, which: &'static str| {
            values[p.offset] = v;
            model.evaluate(&values).map_err(|source| OwsaError::Model {
                parameter: s.parameter.clone(),
                which,
                source,
            })
        };
        let at_low = run(s.low, "low")?;
        let at_high = run(s.high, "high")?;
        rows.push(OwsaRow {
            parameter: s.parameter.clone(),
            base_value: base_values[p.offset],
            low: s.low,
            high: s.high,
            at_low,
            at_high,
        });
    }
    Ok(OwsaResult { base, rows })
}

/// Tornado bars for a measure, in the result's order (the chart sorts them by swing).
pub fn tornado_bars(result: &OwsaResult, measure: Measure) -> Vec<svg::Bar> {
    result
        .rows
        .iter()
        .map(|r| svg::Bar {
            label: r.parameter.clone(),
            at_low: measure.of(&r.at_low),
            at_high: measure.of(&r.at_high),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One state, one cycle, start accrual: cost = c, effect = u, so NMB = wtp·u − c and
    /// each bar can be checked by hand.
    const SRC: &str = r#"
states = ["s"]
initial = [1]
cycles = 1
accrual = "start"
[[parameter]]
name = "c"
distribution = "gamma"
mean = 100
se = 10
low = 80
high = 130
[[parameter]]
name = "u"
distribution = "beta"
mean = 0.5
se = 0.1
low = 0.4
high = 0.6
[[parameter]]
name = "d"
distribution = "dirichlet"
alpha = [1, 1]
[[strategy]]
name = "ref"
[[strategy.phase]]
transitions = [[1]]
state_costs = [0]
state_effects = [0]
[[strategy]]
name = "new"
[[strategy.phase]]
transitions = [[1]]
state_costs = ["c"]
state_effects = ["u"]
"#;

    #[test]
    fn hand_checked_tornado() {
        let m = Model::from_toml_str(SRC).unwrap();
        let specs = specs_from_model(&m);
        assert_eq!(specs.len(), 2);
        let r = run_owsa(&m, &specs).unwrap();
        let measure = Measure::Inmb {
            strategy: 1,
            comparator: 0,
            wtp: 1000.0,
        };
        assert_eq!(measure.of(&r.base), 1000.0 * 0.5 - 100.0);
        let bars = tornado_bars(&r, measure);
        assert_eq!(bars[0].at_low, 500.0 - 80.0);
        assert_eq!(bars[0].at_high, 500.0 - 130.0);
        assert!((bars[1].at_low - (400.0 - 100.0)).abs() < 1e-9);
        assert!((bars[1].at_high - (600.0 - 100.0)).abs() < 1e-9);
        assert_eq!(r.rows[0].base_value, 100.0);
        let svg = svg::tornado("t", "INMB", measure.of(&r.base), &bars);
        assert!(svg.contains(">u<") && svg.contains(">c<"));
    }

    #[test]
    fn errors() {
        let m = Model::from_toml_str(SRC).unwrap();
        let spec = |p: &str, low: f64, high: f64| OwsaSpec {
            parameter: p.into(),
            low,
            high,
        };
        assert_eq!(run_owsa(&m, &[]), Err(OwsaError::Nothing));
        assert_eq!(
            run_owsa(&m, &[spec("x", 0.0, 1.0)]),
            Err(OwsaError::Unknown("x".into()))
        );
        assert_eq!(
            run_owsa(&m, &[spec("d", 0.0, 1.0)]),
            Err(OwsaError::NotScalar("d".into()))
        );
        assert_eq!(
            run_owsa(&m, &[spec("u", 1.0, 0.0)]),
            Err(OwsaError::Range("u".into()))
        );
    }
}
