//! Model frames: from a [`Formula`] and a [`Data`] table to a response vector, a fixed-effects
//! design matrix and random-effects blocks, as R's `model.frame`/`model.matrix` and lme4's
//! `mkReTrms` would build them.
//!
//! Rules (R defaults): rows with a missing value in any variable the formula uses are dropped
//! (listwise deletion, counted per variable in [`MissingReport`]); unused factor levels are then
//! dropped; factors get treatment contrasts with the first sorted level as reference when the
//! term's margin is in the model (the intercept for a main effect, `x` for `x:f`), and full
//! indicator coding otherwise, as in R's `model.matrix`; interaction columns vary the first
//! variable fastest and are named like R (`(Intercept)`, `x`, `fB`, `x:fB`). Grouping variables
//! are always factors, even when numeric; an interaction grouping `a:b` keeps only the level
//! combinations that occur, ordered with `a` varying slowest, labelled `a1:b1`.
//!
//! A `cbind(successes, failures)` response follows lme4's `glmer` (R's `binomial()$initialize`):
//! `y` is the proportion `successes / trials` and [`ModelFrame::trials`] the prior weights
//! `trials = successes + failures`. Listwise deletion covers both columns. Counts must be
//! non-negative whole numbers. Rows with zero trials are kept with `y = 0`, as glmer keeps them:
//! they count in the number of observations (hence in BIC) but add nothing to the likelihood.

use crate::data::{Column, Data, MISSING};
use crate::formula::{Formula, Response, Term};

/// A dense column-major matrix.
#[derive(Clone, Debug, PartialEq)]
pub struct Matrix {
    nrows: usize,
    ncols: usize,
    data: Vec<f64>,
}

impl Matrix {
    /// A matrix of zeros.
    pub fn zeros(nrows: usize, ncols: usize) -> Self {
        Matrix {
            nrows,
            ncols,
            data: vec![0.0; nrows * ncols],
        }
    }

    /// A matrix from column-major data.
    ///
    /// # Panics
    /// If `data.len() != nrows * ncols` (a programming error).
    pub fn from_column_major(nrows: usize, ncols: usize, data: Vec<f64>) -> Self {
        assert_eq!(data.len(), nrows * ncols, "matrix data length");
        Matrix { nrows, ncols, data }
    }

    /// Number of rows.
    pub fn nrows(&self) -> usize {
        self.nrows
    }

    /// Number of columns.
    pub fn ncols(&self) -> usize {
        self.ncols
    }

    /// Column `j` as a slice.
    pub fn col(&self, j: usize) -> &[f64] {
        &self.data[j * self.nrows..(j + 1) * self.nrows]
    }

    /// Element `(i, j)`.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.data[j * self.nrows + i]
    }

    /// Sets element `(i, j)`.
    pub fn set(&mut self, i: usize, j: usize, v: f64) {
        self.data[j * self.nrows + i] = v;
    }

    /// The column-major data.
    pub fn as_slice(&self) -> &[f64] {
        &self.data
    }
}

/// One random-effects term after expansion: its grouping factor and per-row model matrix.
#[derive(Clone, Debug, PartialEq)]
pub struct RandomBlock {
    /// Grouping factor label, e.g. `site` or `a:b`.
    pub group: String,
    /// Names of the random effects, e.g. `["(Intercept)", "x"]`.
    pub term_names: Vec<String>,
    /// False when the term came from `||`.
    pub correlated: bool,
    /// Per-row random-effects model matrix (n × q).
    pub z: Matrix,
    /// Level index of the grouping factor per row.
    pub codes: Vec<u32>,
    /// Level labels of the grouping factor (only levels that occur).
    pub levels: Vec<String>,
}

/// How many rows listwise deletion removed, and why.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct MissingReport {
    /// Rows in the input table.
    pub n_input: usize,
    /// Rows dropped because some used variable was missing.
    pub n_dropped: usize,
    /// Per used variable, the number of rows where it is missing (variables with none omitted).
    pub by_variable: Vec<(String, usize)>,
}

/// The response, fixed-effects design and random-effects blocks of a model on complete rows.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelFrame {
    /// The response as R prints it: a column name, or `cbind(successes, failures)`.
    pub response: String,
    /// Response values on the complete rows (for binomial counts, the proportion of successes,
    /// 0 when a row has no trials).
    pub y: Vec<f64>,
    /// Binomial trials per complete row for a `cbind(successes, failures)` response (lme4's
    /// prior weights); `None` for a single-column response.
    pub trials: Option<Vec<f64>>,
    /// Fixed-effects design matrix (n × p).
    pub x: Matrix,
    /// Column names of `x`, R style.
    pub x_names: Vec<String>,
    /// Random-effects terms in formula order.
    pub random: Vec<RandomBlock>,
    /// Indices (into the input table) of the rows kept.
    pub rows: Vec<usize>,
    /// Listwise-deletion counts.
    pub missing: MissingReport,
}

/// Errors building a model frame.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FrameError {
    /// The formula names a variable the table lacks.
    #[error("variable `{0}` is not a column of the data")]
    UnknownVariable(String),
    /// The response is a factor (string) column.
    #[error("the response `{0}` must be numeric")]
    ResponseNotNumeric(String),
    /// A `cbind(successes, failures)` count is negative or not a whole number.
    #[error(
        "the counts in `{response}` must be non-negative whole numbers (row {row} of the data is not)"
    )]
    CountNotWhole {
        /// The response, `cbind(successes, failures)`.
        response: String,
        /// 1-based row of the input table (not counting a header).
        row: usize,
    },
    /// No row is complete.
    #[error("no complete rows: every row has a missing value in some variable of the model")]
    NoCompleteRows,
    /// A factor in the fixed or random-effects design has a single level on the complete rows
    /// (R: "contrasts can be applied only to factors with 2 or more levels").
    #[error("factor `{0}` has only one level on the complete rows; it cannot be estimated")]
    SingleLevelFactor(String),
    /// The design matrix would be too large (a factor with a level per row as a fixed effect,
    /// say): a grouping variable belongs in a random-effect term `(1 | g)`.
    #[error(
        "the model has {columns} fixed-effect (or random-slope) columns over {rows} rows: too many (at most {MAX_DESIGN_COLUMNS} columns and {MAX_DESIGN_CELLS} cells); a factor with many levels belongs in a random-effect term `(1 | g)`"
    )]
    TooManyColumns {
        /// Columns the design would have.
        columns: usize,
        /// Complete rows.
        rows: usize,
    },
}

/// Most columns of a dense design matrix (fixed effects, or random-effect terms' columns).
pub const MAX_DESIGN_COLUMNS: usize = 2_000;
/// Most cells (rows × columns) of a dense design matrix: 2 GB of f64.
pub const MAX_DESIGN_CELLS: usize = 250_000_000;

/// A variable restricted to the complete rows.
enum Var {
    Numeric(Vec<f64>),
    Factor {
        codes: Vec<u32>,
        levels: Vec<String>,
    },
}

impl ModelFrame {
    /// Builds the frame for `formula` on `data`.
    pub fn new(formula: &Formula, data: &Data) -> Result<Self, FrameError> {
        Self::with_extra(formula, data, &[])
    }

    /// As [`ModelFrame::new`], but rows missing any of the `extra` columns (e.g. a GEE cluster
    /// column) are also dropped, so `rows` aligns them with the frame.
    pub fn with_extra(formula: &Formula, data: &Data, extra: &[&str]) -> Result<Self, FrameError> {
        let mut used = formula.variables();
        for e in extra {
            if !used.iter().any(|u| u == e) {
                used.push(e.to_string());
            }
        }
        let mut cols: Vec<&Column> = Vec::with_capacity(used.len());
        for name in &used {
            cols.push(
                data.column(name)
                    .ok_or_else(|| FrameError::UnknownVariable(name.clone()))?,
            );
        }
        // By name: `cols` lists each variable once, so `cbind(k, k)` has one column there.
        for name in formula.response.columns() {
            if matches!(data.column(name), Some(Column::Factor { .. })) {
                return Err(FrameError::ResponseNotNumeric(name.to_string()));
            }
        }
        let n_input = data.nrows();
        let mut keep = vec![true; n_input];
        let mut by_variable = Vec::new();
        for (name, col) in used.iter().zip(&cols) {
            let mut count = 0;
            for (i, k) in keep.iter_mut().enumerate() {
                if col.is_missing(i) {
                    count += 1;
                    *k = false;
                }
            }
            if count > 0 {
                by_variable.push((name.clone(), count));
            }
        }
        let rows: Vec<usize> = (0..n_input).filter(|i| keep[*i]).collect();
        if rows.is_empty() {
            return Err(FrameError::NoCompleteRows);
        }
        let missing = MissingReport {
            n_input,
            n_dropped: n_input - rows.len(),
            by_variable,
        };
        let grouping = formula.grouping_variables();
        let mut vars: Vec<(String, Var)> = Vec::with_capacity(used.len());
        for (name, col) in used.iter().zip(&cols) {
            let col = if grouping.contains(name) && matches!(col, Column::Numeric(_)) {
                // Grouping variables are factors whatever their storage; a numeric grouping
                // column that is also used as a numeric covariate keeps that role below.
                if formula_uses_as_covariate(formula, name) {
                    vars.push((name.clone(), restrict(col, &rows)));
                    vars.push((
                        format!("\u{0}group:{name}"),
                        restrict(&col.to_factor(), &rows),
                    ));
                    continue;
                }
                col.to_factor()
            } else {
                (*col).clone()
            };
            vars.push((name.clone(), restrict(&col, &rows)));
        }
        let lookup = |name: &str, as_group: bool| -> &Var {
            if as_group {
                let key = format!("\u{0}group:{name}");
                if let Some((_, v)) = vars.iter().find(|(n, _)| *n == key) {
                    return v;
                }
            }
            &vars
                .iter()
                .find(|(n, _)| n == name)
                .expect("variable was collected")
                .1
        };
        let numeric = |name: &str| match lookup(name, false) {
            Var::Numeric(v) => Ok(v),
            Var::Factor { .. } => Err(FrameError::ResponseNotNumeric(name.to_string())),
        };
        let (y, trials) = match &formula.response {
            Response::Column(name) => (numeric(name)?.clone(), None),
            Response::Counts {
                successes,
                failures,
            } => {
                let (y, trials) = binomial_proportions(numeric(successes)?, numeric(failures)?)
                    .map_err(|k| FrameError::CountNotWhole {
                        response: formula.response.label(),
                        row: rows[k - 1] + 1,
                    })?;
                (y, Some(trials))
            }
        };
        let n = rows.len();
        let (x_names, x) = design(&formula.fixed, formula.intercept, n, &|v| lookup(v, false))?;
        let mut random = Vec::with_capacity(formula.random.len());
        for r in &formula.random {
            let (term_names, z) = design(&r.effects, r.intercept, n, &|v| lookup(v, false))?;
            let (codes, levels) = grouping_factor(&r.group, n, &|v| lookup(v, true));
            random.push(RandomBlock {
                group: r.group_label.clone(),
                term_names,
                correlated: r.correlated,
                z,
                codes,
                levels,
            });
        }
        Ok(ModelFrame {
            response: formula.response.label(),
            y,
            trials,
            x,
            x_names,
            random,
            rows,
            missing,
        })
    }

    /// Number of complete rows.
    pub fn n_obs(&self) -> usize {
        self.y.len()
    }
}

/// Proportions `k / (k + f)` and trials `k + f` from success and failure counts, as R's
/// `binomial()$initialize` (proportion 0 for zero trials); `Err(row)` (1-based) for the first
/// count that is negative or not a whole number.
fn binomial_proportions(
    successes: &[f64],
    failures: &[f64],
) -> Result<(Vec<f64>, Vec<f64>), usize> {
    let whole = |v: f64| v >= 0.0 && v.is_finite() && v.fract() == 0.0;
    let mut y = Vec::with_capacity(successes.len());
    let mut trials = Vec::with_capacity(successes.len());
    for (i, (&k, &f)) in successes.iter().zip(failures).enumerate() {
        if !whole(k) || !whole(f) {
            return Err(i + 1);
        }
        let n = k + f;
        y.push(if n > 0.0 { k / n } else { 0.0 });
        trials.push(n);
    }
    Ok((y, trials))
}

fn formula_uses_as_covariate(formula: &Formula, name: &str) -> bool {
    formula
        .fixed
        .iter()
        .any(|t| t.vars.iter().any(|v| v == name))
        || formula
            .random
            .iter()
            .any(|r| r.effects.iter().any(|t| t.vars.iter().any(|v| v == name)))
}

/// Restricts a column to `rows`, dropping factor levels that no longer occur.
fn restrict(col: &Column, rows: &[usize]) -> Var {
    match col {
        Column::Numeric(v) => Var::Numeric(rows.iter().map(|i| v[*i]).collect()),
        Column::Factor { codes, levels } => {
            let mut used = vec![false; levels.len()];
            for i in rows {
                used[codes[*i] as usize] = true;
            }
            let mut remap = vec![MISSING; levels.len()];
            let mut new_levels = Vec::new();
            for (k, u) in used.iter().enumerate() {
                if *u {
                    remap[k] = new_levels.len() as u32;
                    new_levels.push(levels[k].clone());
                }
            }
            Var::Factor {
                codes: rows.iter().map(|i| remap[codes[*i] as usize]).collect(),
                levels: new_levels,
            }
        }
    }
}

/// Columns contributed by one variable within one term.
enum Coding<'a> {
    Numeric(&'a [f64]),
    /// Factor codes and the levels that get a column (all, or all but the first).
    Factor {
        codes: &'a [u32],
        levels: &'a [String],
        first: usize,
    },
}

impl Coding<'_> {
    fn width(&self) -> usize {
        match self {
            Coding::Numeric(_) => 1,
            Coding::Factor { levels, first, .. } => levels.len() - first,
        }
    }
}

/// Builds a design matrix for `terms` (plus an intercept) with R's coding rules.
fn design<'a>(
    terms: &[Term],
    intercept: bool,
    n: usize,
    lookup: &dyn Fn(&str) -> &'a Var,
) -> Result<(Vec<String>, Matrix), FrameError> {
    let mut names = Vec::new();
    let mut data: Vec<f64> = Vec::new();
    if intercept {
        names.push("(Intercept)".to_string());
        data.extend(std::iter::repeat_n(1.0, n));
    }
    for (ti, term) in terms.iter().enumerate() {
        let codings: Vec<Coding> = term
            .vars
            .iter()
            .map(|v| match lookup(v) {
                Var::Numeric(x) => Coding::Numeric(x),
                Var::Factor { codes, levels } => {
                    // Contrasts when the margin (the term without this factor) is in the model.
                    let margin: Vec<&String> = term.vars.iter().filter(|w| *w != v).collect();
                    let contrasts = if margin.is_empty() {
                        intercept
                    } else {
                        terms[..ti].iter().any(|t| {
                            t.vars.len() == margin.len()
                                && margin.iter().all(|m| t.vars.contains(m))
                        })
                    };
                    Coding::Factor {
                        codes,
                        levels,
                        first: usize::from(contrasts),
                    }
                }
            })
            .collect();
        let widths: Vec<usize> = codings.iter().map(Coding::width).collect();
        if let Some(k) = widths.iter().position(|w| *w == 0) {
            return Err(FrameError::SingleLevelFactor(term.vars[k].clone()));
        }
        let total: usize = widths.iter().fold(1usize, |a, w| a.saturating_mul(*w));
        let columns = names.len().saturating_add(total);
        if columns > MAX_DESIGN_COLUMNS || columns.saturating_mul(n) > MAX_DESIGN_CELLS {
            return Err(FrameError::TooManyColumns { columns, rows: n });
        }
        for combo in 0..total {
            // Decompose `combo` with the first variable varying fastest.
            let mut rest = combo;
            let mut picks = Vec::with_capacity(codings.len());
            let mut label_parts = Vec::with_capacity(codings.len());
            for (c, w) in codings.iter().zip(&widths) {
                let k = rest % w;
                rest /= w;
                picks.push(k);
                label_parts.push(match c {
                    Coding::Numeric(_) => String::new(),
                    Coding::Factor { levels, first, .. } => levels[first + k].clone(),
                });
            }
            let label: Vec<String> = term
                .vars
                .iter()
                .zip(&label_parts)
                .map(|(v, l)| format!("{v}{l}"))
                .collect();
            names.push(label.join(":"));
            for i in 0..n {
                let mut value = 1.0;
                for (c, k) in codings.iter().zip(&picks) {
                    value *= match c {
                        Coding::Numeric(x) => x[i],
                        Coding::Factor { codes, first, .. } => {
                            if codes[i] as usize == first + k {
                                1.0
                            } else {
                                0.0
                            }
                        }
                    };
                }
                data.push(value);
            }
        }
    }
    let p = names.len();
    Ok((names, Matrix::from_column_major(n, p, data)))
}

/// Builds the grouping factor for `group` (an interaction of variables), keeping only the
/// combinations that occur.
fn grouping_factor<'a>(
    group: &Term,
    n: usize,
    lookup: &dyn Fn(&str) -> &'a Var,
) -> (Vec<u32>, Vec<String>) {
    let parts: Vec<(&[u32], &[String])> = group
        .vars
        .iter()
        .map(|v| match lookup(v) {
            Var::Factor { codes, levels } => (codes.as_slice(), levels.as_slice()),
            Var::Numeric(_) => unreachable!("grouping variables are converted to factors"),
        })
        .collect();
    if parts.len() == 1 {
        return (parts[0].0.to_vec(), parts[0].1.to_vec());
    }
    let mut keys: Vec<Vec<u32>> = (0..n)
        .map(|i| parts.iter().map(|(c, _)| c[i]).collect())
        .collect();
    let mut distinct = keys.clone();
    distinct.sort();
    distinct.dedup();
    let levels = distinct
        .iter()
        .map(|k| {
            k.iter()
                .zip(&parts)
                .map(|(c, (_, l))| l[*c as usize].clone())
                .collect::<Vec<_>>()
                .join(":")
        })
        .collect();
    let codes = keys
        .drain(..)
        .map(|k| distinct.binary_search(&k).expect("key present") as u32)
        .collect();
    (codes, levels)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> Data {
        let mut d = Data::new();
        d.add_numeric("y", vec![1.0, 2.0, 3.0, 4.0, 5.0, f64::NAN])
            .unwrap();
        d.add_numeric("x", vec![0.5, 1.0, 1.5, 2.0, 2.5, 3.0])
            .unwrap();
        d.add_factor(
            "f",
            &[
                Some("B"),
                Some("A"),
                Some("C"),
                Some("A"),
                Some("B"),
                Some("C"),
            ],
        )
        .unwrap();
        d.add_numeric("g", vec![2.0, 1.0, 2.0, 1.0, 10.0, 10.0])
            .unwrap();
        d
    }

    #[test]
    fn fixed_design_uses_treatment_contrasts_and_r_names() {
        let f = Formula::parse("y ~ x * f + (1 | g)").unwrap();
        let m = ModelFrame::new(&f, &data()).unwrap();
        assert_eq!(m.x_names, ["(Intercept)", "x", "fB", "fC", "x:fB", "x:fC"]);
        assert_eq!(m.n_obs(), 5);
        assert_eq!(m.missing.n_dropped, 1);
        assert_eq!(m.missing.by_variable, vec![("y".to_string(), 1)]);
        // Row 0 has f = B and x = 0.5.
        let row0: Vec<f64> = (0..6).map(|j| m.x.get(0, j)).collect();
        assert_eq!(row0, [1.0, 0.5, 1.0, 0.0, 0.5, 0.0]);
        assert_eq!(m.random[0].levels, ["1", "2", "10"]);
        assert_eq!(m.random[0].codes, [1, 0, 1, 0, 2]);
    }

    #[test]
    fn indicator_coding_without_margin() {
        let f = Formula::parse("y ~ 0 + f + x:f").unwrap();
        let m = ModelFrame::new(&f, &data()).unwrap();
        // `0 + f`: full indicators; `x:f` without `x`: one slope per level.
        assert_eq!(m.x_names, ["fA", "fB", "fC", "fA:x", "fB:x", "fC:x"]);
    }

    #[test]
    fn interaction_grouping_keeps_occurring_levels() {
        let f = Formula::parse("y ~ 1 + (1 | f/g)").unwrap();
        let m = ModelFrame::new(&f, &data()).unwrap();
        assert_eq!(m.random[0].group, "f");
        // lme4 names the nested factor inner-first, `g:f`, with `g` varying slowest.
        assert_eq!(m.random[1].group, "g:f");
        assert_eq!(m.random[1].levels, ["1:A", "2:B", "2:C", "10:B"]);
        assert_eq!(m.random[1].codes, [1, 0, 2, 0, 3]);
    }

    #[test]
    fn single_level_factor_is_an_error() {
        let mut d = data();
        d.add_factor("k", &[Some("a"); 6]).unwrap();
        let f = Formula::parse("y ~ x + k").unwrap();
        assert_eq!(
            ModelFrame::new(&f, &d),
            Err(FrameError::SingleLevelFactor("k".into()))
        );
    }

    #[test]
    fn unknown_variable_and_factor_response_are_errors() {
        let f = Formula::parse("y ~ z").unwrap();
        assert_eq!(
            ModelFrame::new(&f, &data()),
            Err(FrameError::UnknownVariable("z".into()))
        );
        let f = Formula::parse("f ~ x").unwrap();
        assert_eq!(
            ModelFrame::new(&f, &data()),
            Err(FrameError::ResponseNotNumeric("f".into()))
        );
        let f = Formula::parse("cbind(y, f) ~ x").unwrap();
        assert_eq!(
            ModelFrame::new(&f, &data()),
            Err(FrameError::ResponseNotNumeric("f".into()))
        );
    }

    fn counts() -> Data {
        let mut d = Data::new();
        d.add_numeric("k", vec![1.0, 0.0, 3.0, 2.0, f64::NAN, 0.0])
            .unwrap();
        d.add_numeric("f", vec![3.0, 0.0, 0.0, f64::NAN, 1.0, 2.0])
            .unwrap();
        d.add_numeric("x", vec![0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
            .unwrap();
        d
    }

    #[test]
    fn cbind_response_is_a_proportion_with_trials() {
        let f = Formula::parse("cbind(k, f) ~ x").unwrap();
        let m = ModelFrame::new(&f, &counts()).unwrap();
        assert_eq!(m.response, "cbind(k, f)");
        // Rows 3 and 4 miss one count each; the zero-trial row 1 stays, with proportion 0.
        assert_eq!(m.rows, [0, 1, 2, 5]);
        assert_eq!(m.y, [0.25, 0.0, 1.0, 0.0]);
        assert_eq!(m.trials, Some(vec![4.0, 0.0, 3.0, 2.0]));
        assert_eq!(
            m.missing.by_variable,
            vec![("k".to_string(), 1), ("f".to_string(), 1)]
        );
        // A column may appear twice (every row then has half successes).
        let mut d = counts();
        d.add_factor(
            "g",
            &[
                Some("a"),
                Some("b"),
                Some("a"),
                Some("b"),
                Some("a"),
                Some("b"),
            ],
        )
        .unwrap();
        let twice = ModelFrame::new(&Formula::parse("cbind(k, k) ~ (1 | g)").unwrap(), &d).unwrap();
        assert_eq!(twice.y, [0.5, 0.0, 0.5, 0.5, 0.0]);
        let plain = ModelFrame::new(&Formula::parse("k ~ x").unwrap(), &counts()).unwrap();
        assert_eq!(plain.trials, None);
    }

    #[test]
    fn cbind_counts_must_be_whole_and_non_negative() {
        let f = Formula::parse("cbind(k, f) ~ x").unwrap();
        assert!(ModelFrame::new(&f, &counts()).is_ok());
        // Rows 3 and 4 are incomplete; the error names the input row all the same.
        for (row, bad) in [(1, -1.0), (5, 0.5)] {
            let mut fails = vec![3.0, 0.0, 0.0, f64::NAN, 1.0, 2.0];
            fails[row] = bad;
            let mut d = counts();
            d.add_numeric("f2", fails).unwrap();
            let f2 = Formula::parse("cbind(k, f2) ~ x").unwrap();
            assert_eq!(
                ModelFrame::new(&f2, &d),
                Err(FrameError::CountNotWhole {
                    response: "cbind(k, f2)".into(),
                    row: row + 1
                })
            );
        }
    }
}
