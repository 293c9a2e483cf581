//! Disclosure control: the single step between computed indicators and anyone who reads them.
//!
//! [`disclose`] is the only way to turn [`Computed`] rows into an [`IndicatorTable`], and it
//! takes the policy as an argument, so no edge can hand out figures without choosing one.
//!
//! The policy here is plain small-cell suppression: a row whose count of units (its numerator,
//! its denominator, or the `n` of a mean or quantile) lies between 1 and k − 1 has its figures
//! withheld. That protects a single table; it does **not** stop a hidden cell from being
//! recovered from totals, from other cuts, or by differencing overlapping periods.
//! Complementary suppression and period snapping replace the body of
//! [`Disclosure::SuppressBelow`]'s arm in [`disclose`] (see docs/indicators.md#disclosure).

use crate::catalogue::Formula;
use crate::compute::{Computed, IndicatorRow, ResolvedParams};
use crate::request::{Dimension, Period};
use scaleup_domain::date::Date;

/// The smallest count shown to callers whose figures are suppressed (viewers, exports leaving
/// the hub), unless configured otherwise.
pub const DEFAULT_K: u64 = 5;

/// Who may see which figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disclosure {
    /// Exact figures: admins, a hub's own managers and researchers (who may see its client rows
    /// anyway), and the operator at the command line.
    Exact,
    /// Figures of any row counting between 1 and `k − 1` units are withheld: viewers, and every
    /// export that leaves the hub.
    SuppressBelow { k: u64 },
}

impl Disclosure {
    /// The policy for callers who must not see small cells (viewers).
    pub fn for_viewers() -> Disclosure {
        Disclosure::SuppressBelow { k: DEFAULT_K }
    }

    /// A stable name (`exact`, `suppress_below`).
    pub fn as_str(self) -> &'static str {
        match self {
            Disclosure::Exact => "exact",
            Disclosure::SuppressBelow { .. } => "suppress_below",
        }
    }
}

/// Indicator rows after disclosure control, with what they were computed from.
#[derive(Clone, Debug, PartialEq)]
pub struct IndicatorTable {
    pub(crate) programme: Option<String>,
    pub(crate) period: Period,
    pub(crate) as_of: Date,
    pub(crate) by: Vec<Dimension>,
    pub(crate) rows: Vec<IndicatorRow>,
    pub(crate) diagnostics: Vec<String>,
    pub(crate) parameters: Vec<(String, ResolvedParams)>,
    pub(crate) disclosure: Disclosure,
}

impl IndicatorTable {
    /// The programme code asked for (`None`: every programme the caller may see).
    pub fn programme(&self) -> Option<&str> {
        self.programme.as_deref()
    }
    pub fn period(&self) -> Period {
        self.period
    }
    /// The date "now" meant (the period's end, at most today).
    pub fn as_of(&self) -> Date {
        self.as_of
    }
    pub fn by(&self) -> &[Dimension] {
        &self.by
    }
    /// The rows, in catalogue order and then by cut values.
    pub fn rows(&self) -> &[IndicatorRow] {
        &self.rows
    }
    /// Problems with the data or the configuration that leave figures out or undefined.
    pub fn diagnostics(&self) -> &[String] {
        &self.diagnostics
    }
    /// The parameters each programme's figures were computed with.
    pub fn parameters(&self) -> &[(String, ResolvedParams)] {
        &self.parameters
    }
    pub fn disclosure(&self) -> Disclosure {
        self.disclosure
    }
    /// The row of `code` with these cut keys (`[]` without cuts).
    pub fn row(&self, code: &str, keys: &[&str]) -> Option<&IndicatorRow> {
        self.rows.iter().find(|r| {
            r.def.code == code
                && r.by.len() == keys.len()
                && r.by.iter().zip(keys).all(|(v, k)| v.key == *k)
        })
    }
}

/// The counts of units a row shows (what small-cell rules look at).
fn counts(row: &IndicatorRow) -> Vec<f64> {
    match row.def.formula {
        Formula::Need => vec![],
        Formula::Mean(_) => row.n.map(|n| n as f64).into_iter().collect(),
        Formula::OfNeed(_) => row.numerator.into_iter().collect(),
        // The gap's numerator is need minus those in contact: the contact count is the cell.
        Formula::GapOfNeed(_) => match (row.denominator, row.numerator) {
            (Some(d), Some(n)) => vec![d - n],
            _ => vec![],
        },
        Formula::Side(_) if row.numerator.is_none() => {
            row.n.map(|n| n as f64).into_iter().collect()
        }
        _ => row.numerator.into_iter().chain(row.denominator).collect(),
    }
}

/// Applies `policy` to `computed`: the one place figures are withheld.
pub fn disclose(computed: Computed, policy: Disclosure) -> IndicatorTable {
    let Computed {
        request,
        mut rows,
        diagnostics,
        parameters,
        hubs: _,
    } = computed;
    match policy {
        Disclosure::Exact => {}
        Disclosure::SuppressBelow { k } => {
            for row in &mut rows {
                let small = counts(row)
                    .into_iter()
                    .any(|c| c >= 0.5 && c < k as f64 - 0.5);
                if small {
                    row.numerator = None;
                    row.denominator = None;
                    row.value = None;
                    row.n = None;
                    row.suppressed = true;
                }
            }
        }
    }
    IndicatorTable {
        programme: request.programme.clone(),
        period: request.period,
        as_of: request.as_of(),
        by: request.by.clone(),
        rows,
        diagnostics,
        parameters,
        disclosure: policy,
    }
}
