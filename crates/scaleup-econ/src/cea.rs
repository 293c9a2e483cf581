//! Cost-effectiveness frontier: strong and extended dominance, ICERs and net monetary benefit.
//!
//! The algorithm follows dampack's `calculate_icers` (DARTH-git/dampack, `R/calculate_icers.R`):
//!
//! 1. Sort strategies by cost ascending, then by effect descending, then by input order.
//! 2. Strong dominance (`D`): a strategy is dominated when an earlier strategy in that order
//!    (no more costly) is at least as effective. This covers "more costly and no more effective"
//!    and "equally costly and less effective".
//! 3. Extended dominance (`ED`): among the survivors, compute ICERs between neighbours; every
//!    strategy whose ICER exceeds the next strategy's ICER is removed, and the pass repeats until
//!    ICERs are non-decreasing. The result is the lower-right convex hull of the survivors, so the
//!    order of removals does not change it.
//!
//! Ties, decided explicitly:
//! - Identical cost and effect: the strategy listed first in the input stays, later copies are `D`
//!   (they add nothing a decision maker could not get from the first).
//! - Equal ICERs on consecutive frontier segments (collinear strategies): all stay `ND`, as in
//!   dampack, which removes only when an ICER is strictly greater than the next one.
//!
//! Output order is dampack's: frontier strategies by cost, then `ED`, then `D`, each group by cost.

use std::cmp::Ordering;

/// One strategy's expected cost and effect.
#[derive(Clone, Debug, PartialEq)]
pub struct Strategy {
    /// Label shown in output; must be unique.
    pub name: String,
    /// Expected cost per person.
    pub cost: f64,
    /// Expected effect per person (QALYs, DALYs averted, life-years, ...).
    pub effect: f64,
}

/// Position of a strategy relative to the efficiency frontier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// On the frontier (`ND`).
    NonDominated,
    /// Strongly dominated (`D`).
    Dominated,
    /// Extendedly dominated (`ED`).
    ExtendedlyDominated,
}

impl Status {
    /// The short code used in dampack and in the JSON contract.
    pub fn code(self) -> &'static str {
        match self {
            Status::NonDominated => "ND",
            Status::Dominated => "D",
            Status::ExtendedlyDominated => "ED",
        }
    }
}

/// A strategy with its frontier status and, for frontier strategies, its ICER.
#[derive(Clone, Debug, PartialEq)]
pub struct IcerRow {
    /// Strategy name.
    pub name: String,
    /// Expected cost.
    pub cost: f64,
    /// Expected effect.
    pub effect: f64,
    /// Frontier status.
    pub status: Status,
    /// Incremental cost against the previous frontier strategy (`None` for the first and for
    /// dominated strategies).
    pub inc_cost: Option<f64>,
    /// Incremental effect against the previous frontier strategy.
    pub inc_effect: Option<f64>,
    /// Incremental cost-effectiveness ratio against the previous frontier strategy.
    pub icer: Option<f64>,
}

/// Invalid input to [`calculate_icers`].
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CeaError {
    /// No strategies were given.
    #[error("no strategies given")]
    Empty,
    /// A cost or effect is NaN or infinite.
    #[error("strategy '{strategy}': {field} is not a finite number")]
    NotFinite {
        /// Strategy name.
        strategy: String,
        /// `cost` or `effect`.
        field: &'static str,
    },
    /// Two strategies share a name.
    #[error("strategy name '{0}' appears more than once")]
    DuplicateName(String),
}

/// Classifies strategies as `ND`, `D` or `ED` and computes ICERs along the frontier.
pub fn calculate_icers(strategies: &[Strategy]) -> Result<Vec<IcerRow>, CeaError> {
    if strategies.is_empty() {
        return Err(CeaError::Empty);
    }
    for (i, s) in strategies.iter().enumerate() {
        for (field, v) in [("cost", s.cost), ("effect", s.effect)] {
            if !v.is_finite() {
                return Err(CeaError::NotFinite {
                    strategy: s.name.clone(),
                    field,
                });
            }
        }
        if strategies[..i].iter().any(|o| o.name == s.name) {
            return Err(CeaError::DuplicateName(s.name.clone()));
        }
    }

    let mut order: Vec<usize> = (0..strategies.len()).collect();
    order.sort_by(|&a, &b| {
        let (sa, sb) = (&strategies[a], &strategies[b]);
        sa.cost
            .partial_cmp(&sb.cost)
            .unwrap_or(Ordering::Equal)
            .then(sb.effect.partial_cmp(&sa.effect).unwrap_or(Ordering::Equal))
            .then(a.cmp(&b))
    });

    let mut status = vec![Status::NonDominated; strategies.len()];
    // Walking in cost order, a strategy survives only if it is strictly more effective than
    // everything cheaper (or equally cheap and listed before it).
    let mut best_effect = f64::NEG_INFINITY;
    for &i in &order {
        if strategies[i].effect > best_effect {
            best_effect = strategies[i].effect;
        } else {
            status[i] = Status::Dominated;
        }
    }

    let mut frontier: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&i| status[i] == Status::NonDominated)
        .collect();
    // Survivors have strictly increasing cost and effect, so every ICER below is finite and
    // positive. Each pass removes all strategies whose ICER exceeds the next one.
    loop {
        let icers = frontier_icers(strategies, &frontier);
        let mut removed = Vec::new();
        for k in 1..frontier.len().saturating_sub(1) {
            if icers[k] > icers[k + 1] {
                removed.push(frontier[k]);
            }
        }
        if removed.is_empty() {
            break;
        }
        for i in &removed {
            status[*i] = Status::ExtendedlyDominated;
        }
        frontier.retain(|i| !removed.contains(i));
    }

    let mut rows = Vec::with_capacity(strategies.len());
    for (k, &i) in frontier.iter().enumerate() {
        let s = &strategies[i];
        let (inc_cost, inc_effect, icer) = if k == 0 {
            (None, None, None)
        } else {
            let p = &strategies[frontier[k - 1]];
            let dc = s.cost - p.cost;
            let de = s.effect - p.effect;
            (Some(dc), Some(de), Some(dc / de))
        };
        rows.push(IcerRow {
            name: s.name.clone(),
            cost: s.cost,
            effect: s.effect,
            status: Status::NonDominated,
            inc_cost,
            inc_effect,
            icer,
        });
    }
    for wanted in [Status::ExtendedlyDominated, Status::Dominated] {
        for &i in &order {
            if status[i] == wanted {
                let s = &strategies[i];
                rows.push(IcerRow {
                    name: s.name.clone(),
                    cost: s.cost,
                    effect: s.effect,
                    status: wanted,
                    inc_cost: None,
                    inc_effect: None,
                    icer: None,
                });
            }
        }
    }
    Ok(rows)
}

/// ICER of each frontier strategy against its predecessor; index 0 holds NaN (no predecessor).
fn frontier_icers(strategies: &[Strategy], frontier: &[usize]) -> Vec<f64> {
    let mut out = vec![f64::NAN; frontier.len()];
    for k in 1..frontier.len() {
        let (a, b) = (&strategies[frontier[k - 1]], &strategies[frontier[k]]);
        out[k] = (b.cost - a.cost) / (b.effect - a.effect);
    }
    out
}

/// Net monetary benefit `λ·E − C` at willingness to pay `wtp` per unit of effect.
pub fn net_monetary_benefit(cost: f64, effect: f64, wtp: f64) -> f64 {
    wtp * effect - cost
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(name: &str, cost: f64, effect: f64) -> Strategy {
        Strategy {
            name: name.into(),
            cost,
            effect,
        }
    }

    fn codes(rows: &[IcerRow]) -> Vec<(String, &'static str, Option<f64>)> {
        rows.iter()
            .map(|r| (r.name.clone(), r.status.code(), r.icer))
            .collect()
    }

    /// HERC example as used in dampack `tests/testthat/test_calculate_icers.R`
    /// (source: herc.research.va.gov cost-effectiveness analysis page). Expected: UC, B (5000),
    /// D (12500), E (20000) on the frontier; C extendedly dominated; A strongly dominated.
    #[test]
    fn herc_example_matches_dampack() {
        let input = [
            s("E", 55000.0, 5.0),
            s("D", 35000.0, 4.0),
            s("C", 25000.0, 3.0),
            s("B", 10000.0, 2.0),
            s("A", 12000.0, 1.5),
            s("UC", 5000.0, 1.0),
        ];
        let rows = calculate_icers(&input).unwrap();
        assert_eq!(
            codes(&rows),
            vec![
                ("UC".into(), "ND", None),
                ("B".into(), "ND", Some(5000.0)),
                ("D".into(), "ND", Some(12500.0)),
                ("E".into(), "ND", Some(20000.0)),
                ("C".into(), "ED", None),
                ("A".into(), "D", None),
            ]
        );
        assert_eq!(rows[2].inc_cost, Some(25000.0));
        assert_eq!(rows[2].inc_effect, Some(2.0));
    }

    /// dampack test "default reference strategy": equal effects, the cheaper one wins and
    /// the more costly, less effective "No Treat" is strongly dominated.
    #[test]
    fn equal_effect_cheaper_wins() {
        let rows = calculate_icers(&[
            s("No Treat", 163771.0, 6.48273),
            s("Treat all", 164848.7, 6.52861),
            s("Test & treat", 163765.1, 6.52861),
        ])
        .unwrap();
        assert_eq!(
            codes(&rows),
            vec![
                ("Test & treat".into(), "ND", None),
                ("No Treat".into(), "D", None),
                ("Treat all".into(), "D", None),
            ]
        );
    }

    #[test]
    fn ties_are_documented_behaviour() {
        // Same cost: the more effective one stays. Identical pairs: the first listed stays.
        let rows = calculate_icers(&[
            s("a", 100.0, 1.0),
            s("b", 100.0, 2.0),
            s("c", 300.0, 4.0),
            s("c2", 300.0, 4.0),
        ])
        .unwrap();
        assert_eq!(
            codes(&rows),
            vec![
                ("b".into(), "ND", None),
                ("c".into(), "ND", Some(100.0)),
                ("a".into(), "D", None),
                ("c2".into(), "D", None),
            ]
        );
        // Collinear strategies keep ND with equal ICERs.
        let rows =
            calculate_icers(&[s("x", 0.0, 0.0), s("y", 10.0, 1.0), s("z", 20.0, 2.0)]).unwrap();
        assert_eq!(
            codes(&rows),
            vec![
                ("x".into(), "ND", None),
                ("y".into(), "ND", Some(10.0)),
                ("z".into(), "ND", Some(10.0)),
            ]
        );
    }

    #[test]
    fn extended_dominance_needs_several_passes() {
        // After removing q (ICER 30 > 10), p's ICER against the new neighbour rises, and the
        // second pass must remove p as well. The hull is o -> r.
        let rows = calculate_icers(&[
            s("o", 0.0, 0.0),
            s("p", 9.0, 1.0),
            s("q", 39.0, 2.0),
            s("r", 40.0, 10.0),
        ])
        .unwrap();
        let c = codes(&rows);
        assert_eq!(c[0], ("o".into(), "ND", None));
        assert_eq!(c[1], ("r".into(), "ND", Some(4.0)));
        assert_eq!(c[2].1, "ED");
        assert_eq!(c[3].1, "ED");
    }

    /// dampack's own output for its C. difficile example (vignettes/cdiff_icers.csv in
    /// DARTH-git/dampack, written by `calculate_icers`), committed as
    /// tests/reference/dampack_cdiff_icers.csv. We feed the strategies in reverse file order and
    /// expect dampack's statuses, order and ICERs. Tolerance 1e-9 relative: the CSV prints 15
    /// significant digits, and differences of nearly equal costs and effects magnify that
    /// rounding to about 1e-12.
    #[test]
    fn dampack_cdiff_output_reproduced() {
        let text = include_str!("../tests/reference/dampack_cdiff_icers.csv");
        let rows: Vec<Vec<&str>> = text
            .lines()
            .skip(1)
            .map(|l| l.split(',').collect())
            .collect();
        let input: Vec<Strategy> = rows
            .iter()
            .rev()
            .map(|r| s(r[0], r[1].parse().unwrap(), r[2].parse().unwrap()))
            .collect();
        let got = calculate_icers(&input).unwrap();
        assert_eq!(got.len(), rows.len());
        for (g, want) in got.iter().zip(&rows) {
            assert_eq!(g.name, want[0]);
            assert_eq!(g.status.code(), want[6]);
            match want[5] {
                "NA" => assert_eq!(g.icer, None),
                v => {
                    let v: f64 = v.parse().unwrap();
                    assert!((g.icer.unwrap() / v - 1.0).abs() < 1e-9, "{}", g.name);
                    let ic: f64 = want[3].parse().unwrap();
                    assert!((g.inc_cost.unwrap() / ic - 1.0).abs() < 1e-9);
                }
            }
        }
    }

    #[test]
    fn single_strategy_and_errors() {
        let rows = calculate_icers(&[s("only", 1.0, 2.0)]).unwrap();
        assert_eq!(codes(&rows), vec![("only".into(), "ND", None)]);
        assert_eq!(calculate_icers(&[]), Err(CeaError::Empty));
        assert!(matches!(
            calculate_icers(&[s("a", f64::NAN, 1.0)]),
            Err(CeaError::NotFinite { field: "cost", .. })
        ));
        assert_eq!(
            calculate_icers(&[s("a", 1.0, 1.0), s("a", 2.0, 2.0)]),
            Err(CeaError::DuplicateName("a".into()))
        );
    }

    #[test]
    fn nmb_example() {
        // Reference section 4.2 (computed): dE 0.05, dC 300, lambda 1000 -> INMB -250.
        let inmb = net_monetary_benefit(300.0, 0.05, 1000.0);
        assert!((inmb + 250.0).abs() < 1e-9);
    }
}
