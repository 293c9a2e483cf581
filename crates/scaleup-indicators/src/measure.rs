//! Measures: the counts and sums indicators are made of, written once as data over the fact
//! tables ([`crate::facts`]).
//!
//! A [`Measure`] names a fact table, an **anchor** (the date column that places a row in a
//! period or a month: a row without it is never counted), a condition and an aggregate. The
//! same value is evaluated two ways: storage compiles it to SQL (one `SUM(CASE WHEN ...)` per
//! measure, grouped by the requested cuts), and [`Measure::eval`] folds it over facts in memory
//! (the reference the tests compare the SQL with). Conditions use three-valued logic as SQL
//! does: a comparison with an absent value is not true.

use crate::facts::{Col, FactRow, Val};
use scaleup_domain::date::Date;

/// Which fact table a measure reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    /// `indicator_clients`: one row per client.
    Clients,
    /// `indicator_episodes`: one row per episode.
    Episodes,
}

impl Table {
    /// The SQL table name.
    pub fn name(self) -> &'static str {
        match self {
            Table::Clients => "indicator_clients",
            Table::Episodes => "indicator_episodes",
        }
    }

    /// Its columns, key first.
    pub fn columns(self) -> &'static [Col] {
        match self {
            Table::Clients => crate::facts::CLIENT_COLUMNS,
            Table::Episodes => crate::facts::EPISODE_COLUMNS,
        }
    }
}

/// A value set per programme and request when the query runs (see [`crate::Parameters`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Param {
    /// Remission when the primary outcome's endpoint total is below this.
    RemissionBelow,
    /// The smallest change of the primary outcome that is reliable (Jacobson–Truax), in points.
    MinReliableChange,
    /// Episode fidelity at or above this is quality care (cascade).
    FidelityThreshold,
    /// Closed at least six months before the as-of date (maintenance), as a date.
    MaintenanceClosedBy,
}

/// A numeric (or date) expression over one fact row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Expr {
    Col(Col),
    Num(f64),
    Param(Param),
    Sub(&'static Expr, &'static Expr),
    /// Product of two expressions (squares for standard deviations).
    Prod(&'static Expr, &'static Expr),
    /// An expression times a constant.
    Scale(&'static Expr, f64),
}

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Lt,
    Le,
    Ge,
    Gt,
}

impl Op {
    pub fn sql(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Ge => ">=",
            Op::Gt => ">",
        }
    }
}

/// A condition on one fact row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cond {
    True,
    /// The column holds a value.
    Present(Col),
    /// The text column equals this code.
    Eq(Col, &'static str),
    /// The text column is one of these codes.
    In(Col, &'static [&'static str]),
    /// The 0/1 column is 1.
    Flag(Col),
    /// A comparison; not true when either side is absent.
    Cmp(Expr, Op, Expr),
    And(&'static [Cond]),
    Or(&'static [Cond]),
    Not(&'static Cond),
}

/// How the rows that meet a measure's condition are aggregated.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Agg {
    /// Rows.
    Count,
    /// Distinct clients among the rows (episodes table): people, where a client may have
    /// several episodes.
    DistinctClients,
    /// Sum of an expression over the rows (rows where it is absent add nothing).
    Sum(Expr),
}

/// One measure: a count or sum of fact rows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Measure {
    /// Stable id (indicators refer to measures by it).
    pub id: &'static str,
    pub table: Table,
    /// The date that places a row in a period or month.
    pub anchor: Col,
    pub when: Cond,
    pub agg: Agg,
}

/// Parameter values for one programme.
pub trait ParamValues: Send + Sync {
    fn param(&self, p: Param) -> Option<ParamValue>;
}

/// A resolved parameter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ParamValue {
    Num(f64),
    Date(Date),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Scalar {
    Num(f64),
    Date(Date),
}

fn scalar(v: Val) -> Option<Scalar> {
    match v {
        Val::Int(i) => Some(Scalar::Num(i as f64)),
        Val::Num(x) => Some(Scalar::Num(x)),
        Val::Date(d) => Some(Scalar::Date(d)),
        _ => None,
    }
}

impl Expr {
    fn eval(&self, row: &dyn FactRow, params: &dyn ParamValues) -> Option<Scalar> {
        match self {
            Expr::Col(c) => scalar(row.get(*c)),
            Expr::Num(x) => Some(Scalar::Num(*x)),
            Expr::Param(p) => match params.param(*p)? {
                ParamValue::Num(x) => Some(Scalar::Num(x)),
                ParamValue::Date(d) => Some(Scalar::Date(d)),
            },
            Expr::Sub(a, b) => match (a.eval(row, params)?, b.eval(row, params)?) {
                (Scalar::Num(x), Scalar::Num(y)) => Some(Scalar::Num(x - y)),
                _ => None,
            },
            Expr::Prod(a, b) => match (a.eval(row, params)?, b.eval(row, params)?) {
                (Scalar::Num(x), Scalar::Num(y)) => Some(Scalar::Num(x * y)),
                _ => None,
            },
            Expr::Scale(a, k) => match a.eval(row, params)? {
                Scalar::Num(x) => Some(Scalar::Num(x * k)),
                _ => None,
            },
        }
    }

    /// The numeric value of the expression on `row`, if it has one.
    pub fn value(&self, row: &dyn FactRow, params: &dyn ParamValues) -> Option<f64> {
        match self.eval(row, params)? {
            Scalar::Num(x) => Some(x),
            Scalar::Date(_) => None,
        }
    }

    /// Parameters the expression reads.
    pub fn params(&self, out: &mut Vec<Param>) {
        match self {
            Expr::Param(p) => out.push(*p),
            Expr::Col(_) | Expr::Num(_) => {}
            Expr::Sub(a, b) | Expr::Prod(a, b) => {
                a.params(out);
                b.params(out);
            }
            Expr::Scale(a, _) => a.params(out),
        }
    }

    /// Columns the expression reads.
    pub fn columns(&self, out: &mut Vec<Col>) {
        match self {
            Expr::Col(c) => out.push(*c),
            Expr::Num(_) | Expr::Param(_) => {}
            Expr::Sub(a, b) | Expr::Prod(a, b) => {
                a.columns(out);
                b.columns(out);
            }
            Expr::Scale(a, _) => a.columns(out),
        }
    }
}

impl Cond {
    /// Whether `row` meets the condition (absent values never compare true).
    pub fn holds(&self, row: &dyn FactRow, params: &dyn ParamValues) -> bool {
        match self {
            Cond::True => true,
            Cond::Present(c) => !row.get(*c).is_null(),
            Cond::Eq(c, code) => row.get(*c).text().as_deref() == Some(*code),
            Cond::In(c, codes) => row
                .get(*c)
                .text()
                .is_some_and(|t| codes.contains(&t.as_str())),
            Cond::Flag(c) => row.get(*c) == Val::Int(1),
            Cond::Cmp(a, op, b) => {
                let (Some(x), Some(y)) = (a.eval(row, params), b.eval(row, params)) else {
                    return false;
                };
                let ord = match (x, y) {
                    (Scalar::Num(x), Scalar::Num(y)) => x.partial_cmp(&y),
                    (Scalar::Date(x), Scalar::Date(y)) => Some(x.cmp(&y)),
                    _ => None,
                };
                let Some(ord) = ord else { return false };
                match op {
                    Op::Lt => ord.is_lt(),
                    Op::Le => ord.is_le(),
                    Op::Ge => ord.is_ge(),
                    Op::Gt => ord.is_gt(),
                }
            }
            Cond::And(cs) => cs.iter().all(|c| c.holds(row, params)),
            Cond::Or(cs) => cs.iter().any(|c| c.holds(row, params)),
            Cond::Not(c) => !c.holds(row, params),
        }
    }

    /// Parameters the condition reads.
    pub fn params(&self, out: &mut Vec<Param>) {
        match self {
            Cond::Cmp(a, _, b) => {
                a.params(out);
                b.params(out);
            }
            Cond::And(cs) | Cond::Or(cs) => cs.iter().for_each(|c| c.params(out)),
            Cond::Not(c) => c.params(out),
            _ => {}
        }
    }

    /// Columns the condition reads.
    pub fn columns(&self, out: &mut Vec<Col>) {
        match self {
            Cond::True => {}
            Cond::Present(c) | Cond::Eq(c, _) | Cond::In(c, _) | Cond::Flag(c) => out.push(*c),
            Cond::Cmp(a, _, b) => {
                a.columns(out);
                b.columns(out);
            }
            Cond::And(cs) | Cond::Or(cs) => cs.iter().for_each(|c| c.columns(out)),
            Cond::Not(c) => c.columns(out),
        }
    }
}

/// What a measure adds up to over some rows: the rows counted (or the distinct clients) and,
/// for a sum, the sum.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Tally {
    /// Rows (or distinct clients) meeting the condition.
    pub n: i64,
    /// The sum, for [`Agg::Sum`]; zero otherwise.
    pub sum: f64,
}

impl Tally {
    pub fn add(&mut self, other: Tally) {
        self.n += other.n;
        self.sum += other.sum;
    }
}

impl Measure {
    /// Whether `row` is counted in `[from, to]` (either end open): its anchor is present and
    /// within the period, and it meets the condition.
    pub fn counts(
        &self,
        row: &dyn FactRow,
        params: &dyn ParamValues,
        from: Option<Date>,
        to: Option<Date>,
    ) -> bool {
        let Val::Date(anchor) = row.get(self.anchor) else {
            return false;
        };
        from.is_none_or(|f| anchor >= f)
            && to.is_none_or(|t| anchor <= t)
            && self.when.holds(row, params)
    }

    /// The measure over `rows` in memory: the reference for the SQL that storage runs. For
    /// [`Agg::DistinctClients`], distinct `client_id`s.
    pub fn eval<'r>(
        &self,
        rows: impl IntoIterator<Item = &'r dyn FactRow>,
        params: &dyn ParamValues,
        from: Option<Date>,
        to: Option<Date>,
    ) -> Tally {
        let mut tally = Tally::default();
        let mut clients = std::collections::BTreeSet::new();
        for row in rows {
            if !self.counts(row, params, from, to) {
                continue;
            }
            match self.agg {
                Agg::Count => tally.n += 1,
                Agg::DistinctClients => {
                    if clients.insert(row.get(Col::ClientId).text()) {
                        tally.n += 1;
                    }
                }
                Agg::Sum(e) => {
                    if let Some(x) = e.value(row, params) {
                        tally.n += 1;
                        tally.sum += x;
                    }
                }
            }
        }
        tally
    }

    /// Columns the measure reads (anchor, condition, aggregate).
    pub fn columns(&self) -> Vec<Col> {
        let mut out = vec![self.anchor];
        self.when.columns(&mut out);
        if let Agg::Sum(e) = &self.agg {
            e.columns(&mut out);
        }
        if self.agg == Agg::DistinctClients {
            out.push(Col::ClientId);
        }
        out
    }
}
