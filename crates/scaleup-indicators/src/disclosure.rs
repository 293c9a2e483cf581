//! Disclosure control: the single step between computed indicators and anyone who reads them.
//!
//! [`disclose`] is the only way to turn [`Computed`] rows into an [`IndicatorTable`], and it
//! takes the policy as an argument, so no edge can hand out figures without choosing one.
//!
//! Two steps for callers under disclosure control (docs/indicators.md#disclosure):
//!
//! - [`disclose`] with [`Disclosure::SuppressBelow`] alone is plain small-cell suppression: a row
//!   whose count of units (its numerator, its denominator, or the `n` of a mean or quantile)
//!   lies between 1 and k − 1 has its figures withheld. That protects one table, not a hidden
//!   cell recovered from totals, from other cuts, or by differencing overlapping periods.
//! - [`disclose_controlled`] adds what closes those routes: the request's period snapped to
//!   whole months ([`snap_period`]), complementary suppression over canonical all-time tables
//!   (the request's cuts by month, and every margin: [`canonical_cuts`]), and periods and
//!   quarters answered only when their figure follows from what the monthly table publishes.
//!   Storage computes the canonical tables (`Store::indicator_table`); this module decides.

use crate::catalogue::{Formula, IndicatorDef};
use crate::compute::{Computed, IndicatorRow, ResolvedParams};
use crate::request::{Dimension, Period};
use scaleup_domain::date::Date;
use std::collections::{BTreeMap, HashMap};

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
        org_ancestors: _,
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

/// Most cuts besides month or quarter a caller under disclosure control may combine: the
/// canonical tables are every subset of them, with and without month (2^(n+1) computations).
pub const MAX_CONTROLLED_CUTS: usize = 2;

/// A period for callers under disclosure control: the start to the first day of its month, the
/// end to the last day of its month (open ends stay open).
pub fn snap_period(p: Period) -> Period {
    Period {
        from: p.from.map(Date::first_of_month),
        to: p.to.map(Date::last_of_month),
    }
}

/// The org-unit levels coarser than `d`'s, nearest first (none for other dimensions).
fn coarser(d: Dimension) -> Vec<Dimension> {
    let order = [
        Dimension::Facility,
        Dimension::District,
        Dimension::Region,
        Dimension::Country,
    ];
    match order.iter().position(|x| *x == d) {
        Some(i) => order[i + 1..].to_vec(),
        None => vec![],
    }
}

/// How fine a canonical table is: tables are protected coarsest first.
fn fineness(cuts: &[Dimension]) -> (usize, usize) {
    let depth = cuts.iter().map(|d| coarser(*d).len()).sum();
    (cuts.len(), depth)
}

/// The cuts of the canonical tables for a request cut `by`: every margin of its non-time cuts
/// (each cut left out, or an org-unit cut replaced by a coarser level, which nests it), each
/// without and with `month` last. Coarsest first.
pub fn canonical_cuts(by: &[Dimension]) -> Vec<Vec<Dimension>> {
    let plain: Vec<Dimension> = by.iter().copied().filter(|d| !d.is_time()).collect();
    let mut out: Vec<Vec<Dimension>> = vec![vec![]];
    for d in &plain {
        let options: Vec<Option<Dimension>> = std::iter::once(None)
            .chain(std::iter::once(Some(*d)))
            .chain(coarser(*d).into_iter().map(Some))
            .collect();
        out = out
            .iter()
            .flat_map(|prefix| {
                options.iter().map(move |o| {
                    let mut c = prefix.clone();
                    c.extend(o);
                    c
                })
            })
            .collect();
    }
    let mut all: Vec<Vec<Dimension>> = Vec::new();
    for cuts in out {
        let mut timed = cuts.clone();
        timed.push(Dimension::Month);
        for c in [cuts, timed] {
            if !all.contains(&c) {
                all.push(c);
            }
        }
    }
    all.sort_by_key(|c| fineness(c));
    all
}

/// Where a count sits in a row.
#[derive(Clone, Copy)]
enum Slot {
    Numerator,
    Denominator,
    N,
    /// Need minus the numerator (the treatment gap's contact count).
    DenominatorMinusNumerator,
}

/// The counts a row of `def` shows, each with the measure it is a cell of: a count shown by
/// two indicators has one suppression pattern.
fn slots(def: &IndicatorDef, row: &IndicatorRow) -> Vec<(String, Slot)> {
    match def.formula {
        Formula::Need => vec![],
        Formula::Count(m) | Formula::OfNeed(m) => vec![(m.to_string(), Slot::Numerator)],
        Formula::Ratio(a, b) => vec![
            (a.to_string(), Slot::Numerator),
            (b.to_string(), Slot::Denominator),
        ],
        Formula::Mean(m) => vec![(m.to_string(), Slot::N)],
        Formula::GapOfNeed(m) => vec![(m.to_string(), Slot::DenominatorMinusNumerator)],
        Formula::Side(_) if row.numerator.is_none() && row.denominator.is_none() => {
            vec![(format!("{}:n", def.code), Slot::N)]
        }
        Formula::Side(_) => vec![
            (format!("{}:num", def.code), Slot::Numerator),
            (format!("{}:den", def.code), Slot::Denominator),
        ],
    }
}

fn slot_value(row: &IndicatorRow, slot: Slot) -> Option<f64> {
    match slot {
        Slot::Numerator => row.numerator,
        Slot::Denominator => row.denominator,
        Slot::N => row.n.map(|n| n as f64),
        Slot::DenominatorMinusNumerator => match (row.denominator, row.numerator) {
            (Some(d), Some(n)) => Some(d - n),
            (None, Some(n)) => Some(n),
            _ => None,
        },
    }
}

fn small(c: f64, k: u64) -> bool {
    c >= 0.5 && c < k as f64 - 0.5
}

/// Measures that add up to one another (a total and its parts), so a cell withheld in one is
/// withheld in all: otherwise the total minus the other parts would give it back.
const FAMILIES: &[&[&str]] = &[
    &[
        "eligible",
        "eligible_participants",
        "eligible_non_participants",
    ],
    &[
        "declined",
        "declined_no_time",
        "declined_distance",
        "declined_cost",
        "declined_family_objection",
        "declined_stigma",
        "declined_not_needed",
        "declined_prefers_other_care",
        "declined_other",
    ],
];

/// One canonical table's cells of one measure: key strings → (count, withheld).
type Pattern = BTreeMap<Vec<String>, (f64, bool)>;

/// The suppression patterns of every canonical table, per (cuts, measure), computed from the
/// total up so that a table's pattern depends only on the data and its own cuts.
fn patterns(canonical: &[Computed], k: u64) -> HashMap<(Vec<Dimension>, String), Pattern> {
    let mut tables: Vec<&Computed> = canonical.iter().collect();
    tables.sort_by_key(|c| fineness(&c.request.by));
    let ancestors: HashMap<String, Vec<(Dimension, String)>> = canonical
        .iter()
        .flat_map(|c| c.org_ancestors.iter().map(|(k, v)| (k.clone(), v.clone())))
        .collect();
    let mut out: HashMap<(Vec<Dimension>, String), Pattern> = HashMap::new();
    for table in tables {
        let dims = table.request.by.clone();
        let mut cells: BTreeMap<String, Pattern> = BTreeMap::new();
        for row in &table.rows {
            for (measure, slot) in slots(row.def, row) {
                let Some(c) = slot_value(row, slot) else {
                    continue;
                };
                let key: Vec<String> = row.by.iter().map(|v| v.key.clone()).collect();
                cells
                    .entry(measure)
                    .or_default()
                    .entry(key)
                    .or_insert((c, small(c, k)));
            }
        }
        // Complements per measure, then the same cells across each family of measures that
        // add up to one another, until neither withholds anything more.
        loop {
            let mut changed = false;
            for (measure, pattern) in cells.iter_mut() {
                changed |= complement(pattern, &dims, measure, &out, &ancestors, k);
            }
            for family in FAMILIES {
                let keys: Vec<Vec<String>> = family
                    .iter()
                    .filter_map(|m| cells.get(*m))
                    .flat_map(|p| {
                        p.iter()
                            .filter(|(_, (_, w))| *w)
                            .map(|(key, _)| key.clone())
                    })
                    .collect();
                for m in *family {
                    let Some(p) = cells.get_mut(*m) else { continue };
                    for key in &keys {
                        if let Some(cell) = p.get_mut(key)
                            && !cell.1
                        {
                            cell.1 = true;
                            changed = true;
                        }
                    }
                }
            }
            if !changed {
                break;
            }
        }
        for (measure, pattern) in cells {
            out.insert((dims.clone(), measure), pattern);
        }
    }
    out
}

/// Complementary suppression of one table: along every dimension, each line of cells whose
/// margin is published must not hold a single withheld cell, nor withheld cells summing to
/// between 1 and k − 1; the smallest other cell (a positive one first) is withheld until none
/// does.
fn complement(
    pattern: &mut Pattern,
    dims: &[Dimension],
    measure: &str,
    done: &HashMap<(Vec<Dimension>, String), Pattern>,
    ancestors: &HashMap<String, Vec<(Dimension, String)>>,
    k: u64,
) -> bool {
    // Every way a line of cells sums to a margin: leave dimension i out, or (an org-unit cut)
    // replace it by a coarser level, whose cell is the sum of the units it contains.
    // The smallest lines first (within the nearest coarser unit), so complements are chosen
    // close to the cell they protect.
    let mut margins: Vec<(usize, Option<Dimension>)> = Vec::new();
    for (i, d) in dims.iter().enumerate() {
        for c in coarser(*d) {
            margins.push((i, Some(c)));
        }
        margins.push((i, None));
    }
    let ancestor = |code: &str, level: Dimension| -> String {
        ancestors
            .get(code)
            .and_then(|up| up.iter().find(|(d, _)| *d == level))
            .map_or_else(|| "unknown".to_string(), |(_, c)| c.clone())
    };
    let mut any = false;
    loop {
        let mut changed = false;
        for &(i, up) in &margins {
            let mut parent_dims = dims.to_vec();
            match up {
                None => {
                    parent_dims.remove(i);
                }
                Some(level) => parent_dims[i] = level,
            }
            let Some(parent) = done.get(&(parent_dims, measure.to_string())) else {
                // The margin is not computed for these cuts, so not published.
                continue;
            };
            let mut lines: BTreeMap<Vec<String>, Vec<Vec<String>>> = BTreeMap::new();
            for key in pattern.keys() {
                let mut margin = key.clone();
                match up {
                    None => {
                        margin.remove(i);
                    }
                    Some(level) => margin[i] = ancestor(&key[i], level),
                }
                lines.entry(margin).or_default().push(key.clone());
            }
            for (margin, members) in lines {
                // A margin cell not computed is an empty one, shown; a computed one is shown
                // unless withheld.
                if parent.get(&margin).is_some_and(|(_, w)| *w) {
                    continue;
                }
                let withheld: Vec<f64> = members
                    .iter()
                    .filter(|m| pattern[*m].1)
                    .map(|m| pattern[m].0)
                    .collect();
                let sum: f64 = withheld.iter().sum();
                if withheld.is_empty() || (withheld.len() > 1 && !small(sum, k)) {
                    continue;
                }
                let next = members
                    .iter()
                    .filter(|m| !pattern[*m].1)
                    .min_by(|a, b| {
                        let (x, y) = (pattern[*a].0, pattern[*b].0);
                        (x <= 0.0, x)
                            .partial_cmp(&(y <= 0.0, y))
                            .unwrap_or(std::cmp::Ordering::Equal)
                    })
                    .cloned();
                if let Some(m) = next {
                    pattern.get_mut(&m).expect("a member").1 = true;
                    changed = true;
                }
            }
        }
        if !changed {
            return any;
        }
        any = true;
    }
}

/// The months `[from, to]` covers, as `YYYY-MM` (open ends: unbounded).
fn in_period(month: &str, from: Option<Date>, to: Option<Date>) -> bool {
    from.is_none_or(|f| month >= f.month_key().as_str())
        && to.is_none_or(|t| month <= t.month_key().as_str())
}

/// Disclosure control for callers who must not see small cells (docs/indicators.md#disclosure):
/// `requested` computed for the snapped period ([`snap_period`]), `canonical` the same request
/// over all time cut by each of [`canonical_cuts`]. A row is withheld when any of its counts
/// is small, is withheld in its canonical table, or (for a period or a quarter) does not follow
/// from what the canonical monthly table publishes.
pub fn disclose_controlled(requested: Computed, canonical: &[Computed], k: u64) -> IndicatorTable {
    let patterns = patterns(canonical, k);
    let by = requested.request.by.clone();
    let time = by.iter().copied().find(|d| d.is_time());
    let plain: Vec<Dimension> = by.iter().copied().filter(|d| !d.is_time()).collect();
    let mut timed = plain.clone();
    timed.push(Dimension::Month);
    let period = requested.request.period;
    let all_time = period.from.is_none() && period.to.is_none();
    let withheld = |row: &IndicatorRow| -> bool {
        let plain_key: Vec<String> = row
            .by
            .iter()
            .zip(&by)
            .filter(|(_, d)| !d.is_time())
            .map(|(v, _)| v.key.clone())
            .collect();
        let time_key = row
            .by
            .iter()
            .zip(&by)
            .find(|(_, d)| d.is_time())
            .map(|(v, _)| v.key.clone());
        for (measure, slot) in slots(row.def, row) {
            let Some(c) = slot_value(row, slot) else {
                continue;
            };
            if small(c, k) {
                return true;
            }
            let monthly = patterns.get(&(timed.clone(), measure.clone()));
            let total = patterns.get(&(plain.clone(), measure.clone()));
            let margin_withheld = total.and_then(|t| t.get(&plain_key)).map(|(_, w)| *w);
            match (time, monthly) {
                (Some(Dimension::Month), Some(m)) => {
                    let mut key = plain_key.clone();
                    key.push(time_key.clone().unwrap_or_default());
                    if m.get(&key).is_some_and(|(_, w)| *w) {
                        return true;
                    }
                }
                (None, _) if all_time => {
                    if margin_withheld == Some(true) {
                        return true;
                    }
                }
                (_, Some(m)) => {
                    // The months this row covers: its quarter's, within the period.
                    let covers = |month: &str| {
                        in_period(month, period.from, period.to)
                            && time_key.as_deref().is_none_or(|q| {
                                let n: u32 =
                                    month.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(1);
                                let year = month.get(..4).unwrap_or(month);
                                format!("{year}-Q{}", (n.max(1) - 1) / 3 + 1) == q
                            })
                    };
                    let line: Vec<(&String, bool)> = m
                        .iter()
                        .filter(|(key, _)| key[..key.len() - 1] == plain_key[..])
                        .map(|(key, (_, w))| (&key[key.len() - 1], *w))
                        .collect();
                    let hidden_in = line.iter().filter(|(mo, w)| *w && covers(mo)).count();
                    let hidden_out = line.iter().filter(|(mo, w)| *w && !covers(mo)).count();
                    let follows =
                        hidden_in == 0 || (hidden_out == 0 && margin_withheld == Some(false));
                    if !follows {
                        return true;
                    }
                }
                (_, None) => {
                    // Not computed by month (a figure without a time series): its all-time
                    // pattern when there is one, else small cells only.
                    if margin_withheld == Some(true) {
                        return true;
                    }
                }
            }
        }
        false
    };
    let Computed {
        request,
        mut rows,
        diagnostics,
        parameters,
        hubs: _,
        org_ancestors: _,
    } = requested;
    for row in &mut rows {
        if withheld(row) {
            row.numerator = None;
            row.denominator = None;
            row.value = None;
            row.n = None;
            row.suppressed = true;
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
        disclosure: Disclosure::SuppressBelow { k },
    }
}
