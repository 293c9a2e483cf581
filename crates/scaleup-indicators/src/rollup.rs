//! Roll-ups: the additive measures summed by month and cut, kept current in the writing
//! transaction, so that a dashboard reads a few thousand cells instead of scanning a
//! programme's fact rows (DHIS2's analytics tables, kept incrementally rather than rebuilt
//! at night).
//!
//! A measure is kept here when it is **additive** ([`is_rolled_up`]): a count or sum of rows
//! whose condition reads no parameter. Such a measure over any set of whole months and any
//! cut a [`Grain`] holds is the sum of that grain's cells, so the cells answer it exactly. A
//! count of distinct clients is not additive over months (a client counts once in a year
//! however many months hold one of its episodes), and a measure reading a parameter (the
//! remission cut-off, the reliable-change threshold, the maintenance date) has no fixed value
//! to keep: both are still computed from the fact rows.
//!
//! Storage applies [`contributions`] of a client's old rows (subtracted) and new rows (added)
//! whenever it recomputes the client's facts, in the same transaction. A full recomputation
//! from empty cells gives the same cells, which the conformance suite checks.

use crate::facts::{Col, FactRow, Val};
use crate::measure::{Agg, Measure, ParamValue, ParamValues, Table, Tally};
use crate::request::Grouping;
use scaleup_domain::date::Date;
use std::collections::BTreeMap;

/// Bumped whenever the grains or the measures kept change: storage then empties the cells and
/// recomputes the facts (and with them the cells) from the records.
pub const ROLLUPS_VERSION: i64 = 2;

/// The cuts a roll-up keeps besides the month of each measure's anchor. Four grains rather
/// than one cube of every cut: the cube's cells (facility × counsellor × sex × age band × arm ×
/// month) are almost as many as the programme's clients, which would gain nothing over the
/// facts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Grain {
    /// The month alone: totals, months, the time series.
    Month,
    /// Month and facility: every org-unit level (facilities roll up to districts, regions and
    /// the country through the org tree).
    Facility,
    /// Month and counsellor (the caseload's counsellor now).
    Counsellor,
    /// Month, sex, age band and trial arm.
    Person,
}

impl Grain {
    pub const ALL: [Grain; 4] = [
        Grain::Month,
        Grain::Facility,
        Grain::Counsellor,
        Grain::Person,
    ];

    /// The code stored in `indicator_rollups.grain`.
    pub fn code(self) -> &'static str {
        match self {
            Grain::Month => "month",
            Grain::Facility => "facility",
            Grain::Counsellor => "counsellor",
            Grain::Person => "person",
        }
    }

    /// The fact columns the grain keeps besides the month.
    pub fn columns(self) -> &'static [Col] {
        match self {
            Grain::Month => &[],
            Grain::Facility => &[Col::FacilityId],
            Grain::Counsellor => &[Col::CounsellorId],
            Grain::Person => &[Col::Sex, Col::AgeBand, Col::Arm],
        }
    }

    /// The grain whose cells add up to the cells `grouping` asks for, if one does. None holds
    /// two of facility, counsellor and a person's sex, age band or arm together: such requests
    /// read the facts.
    pub fn answering(grouping: Grouping) -> Option<Grain> {
        let person = grouping.sex || grouping.age_band || grouping.arm;
        match (grouping.facility, grouping.counsellor, person) {
            (false, false, false) => Some(Grain::Month),
            (true, false, false) => Some(Grain::Facility),
            (false, true, false) => Some(Grain::Counsellor),
            (false, false, true) => Some(Grain::Person),
            _ => None,
        }
    }
}

/// Whether `measure` is kept in the roll-ups: a count or a sum whose condition and expression
/// read no parameter.
pub fn is_rolled_up(measure: &Measure) -> bool {
    let mut params = Vec::new();
    measure.when.params(&mut params);
    match &measure.agg {
        Agg::Count => {}
        Agg::Sum(e) => e.params(&mut params),
        Agg::DistinctClients => return false,
    }
    params.is_empty()
}

/// The months `[from, to]` covers when both ends fall on month boundaries (`from` the first
/// of a month, `to` the last; either may be open), as `YYYY-MM` bounds; `None` when the period
/// cuts a month, which the cells cannot answer.
pub fn whole_months(from: Option<Date>, to: Option<Date>) -> Option<MonthBounds> {
    let from_ok = from.is_none_or(|f| f == f.first_of_month());
    let to_ok = to.is_none_or(|t| t == t.last_of_month());
    (from_ok && to_ok).then(|| MonthBounds {
        from: from.map(month_of),
        to: to.map(month_of),
    })
}

/// Inclusive month bounds (`YYYY-MM`), either open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonthBounds {
    pub from: Option<String>,
    pub to: Option<String>,
}

fn month_of(d: Date) -> String {
    d.to_string()[..7].to_string()
}

/// One roll-up cell's key. Cut columns the grain does not keep, and absent values, are empty.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RollupKey {
    pub hub_id: String,
    pub programme_id: String,
    pub grain: Grain,
    pub measure: &'static str,
    /// `YYYY-MM` of the measure's anchor.
    pub month: String,
    pub facility: String,
    pub counsellor: String,
    pub sex: String,
    pub age_band: String,
    pub arm: String,
}

/// Cells and what they hold (or, as a change, what they gain).
pub type Rollups = BTreeMap<RollupKey, Tally>;

/// Measures kept for rows of `table`.
pub fn rolled_up_measures(table: Table) -> impl Iterator<Item = &'static Measure> {
    crate::catalogue::MEASURES
        .iter()
        .filter(move |m| m.table == table && is_rolled_up(m))
}

/// Rolled-up measures read no parameter.
struct NoParams;

impl ParamValues for NoParams {
    fn param(&self, _: crate::measure::Param) -> Option<ParamValue> {
        None
    }
}

fn text(row: &dyn FactRow, col: Col) -> String {
    row.get(col).text().unwrap_or_default()
}

/// What one row adds to `measure`, if it counts: a row for a count; for a sum, the row and its
/// value when the value is present (as SQL's `SUM` skips absent values).
fn tally_of(measure: &Measure, row: &dyn FactRow) -> Option<Tally> {
    if !measure.counts(row, &NoParams, None, None) {
        return None;
    }
    match measure.agg {
        Agg::Count => Some(Tally { n: 1, sum: 0.0 }),
        Agg::Sum(e) => e.value(row, &NoParams).map(|x| Tally { n: 1, sum: x }),
        Agg::DistinctClients => None,
    }
}

/// Adds to `into` what `rows` (all of `table`) contribute to every grain's cells, times `sign`
/// (`1` for rows written, `-1` for rows replaced). Cells whose change cancels out are removed,
/// so a client recomputed to the same facts changes nothing.
pub fn contributions(table: Table, rows: &[&dyn FactRow], sign: i64, into: &mut Rollups) {
    let measures: Vec<&'static Measure> = rolled_up_measures(table).collect();
    for row in rows {
        let (hub_id, programme_id) = (text(*row, Col::HubId), text(*row, Col::ProgrammeId));
        for m in &measures {
            let Some(t) = tally_of(m, *row) else { continue };
            let Val::Date(anchor) = row.get(m.anchor) else {
                continue;
            };
            for grain in Grain::ALL {
                let kept = |c: Col| {
                    if grain.columns().contains(&c) {
                        text(*row, c)
                    } else {
                        String::new()
                    }
                };
                let key = RollupKey {
                    hub_id: hub_id.clone(),
                    programme_id: programme_id.clone(),
                    grain,
                    measure: m.id,
                    month: month_of(anchor),
                    facility: kept(Col::FacilityId),
                    counsellor: kept(Col::CounsellorId),
                    sex: kept(Col::Sex),
                    age_band: kept(Col::AgeBand),
                    arm: kept(Col::Arm),
                };
                let cell = into.entry(key).or_default();
                cell.n += sign * t.n;
                cell.sum += sign as f64 * t.sum;
            }
        }
    }
    into.retain(|_, t| t.n != 0 || t.sum != 0.0);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::measure;
    use crate::facts::ClientFacts;

    fn date(s: &str) -> Date {
        Date::parse(s, "test").unwrap()
    }

    fn client(id: &str, registered: &str, sex: &str) -> ClientFacts {
        ClientFacts {
            client_id: id.into(),
            hub_id: "h".into(),
            programme_id: Some("p".into()),
            facility_id: Some("f1".into()),
            sex: sex.into(),
            registered_on: Some(date(registered)),
            ..Default::default()
        }
    }

    #[test]
    fn additive_measures_are_kept_and_the_rest_are_not() {
        assert!(is_rolled_up(measure("registered").unwrap()));
        assert!(is_rolled_up(measure("phq9_change").unwrap()));
        // Reads the remission cut-off.
        assert!(!is_rolled_up(measure("outcome_remitters").unwrap()));
        // Distinct clients are not additive over months.
        assert!(!is_rolled_up(measure("cascade_adequate").unwrap()));
        // Every contract measure is kept.
        for id in [
            "screened",
            "eligible",
            "enrolled",
            "closed",
            "closed_completed",
            "phq9_pairs",
            "phq9_responders",
            "phq9_remitters",
            "phq9_change",
        ] {
            assert!(is_rolled_up(measure(id).unwrap()), "{id}");
        }
    }

    #[test]
    fn grains_answer_the_groupings_they_hold() {
        let g = |f: &dyn Fn(&mut Grouping)| {
            let mut x = Grouping::default();
            f(&mut x);
            Grain::answering(x)
        };
        assert_eq!(g(&|_| {}), Some(Grain::Month));
        assert_eq!(g(&|x| x.month = true), Some(Grain::Month));
        assert_eq!(g(&|x| x.facility = true), Some(Grain::Facility));
        assert_eq!(
            g(&|x| {
                x.sex = true;
                x.arm = true;
                x.month = true
            }),
            Some(Grain::Person)
        );
        assert_eq!(
            g(&|x| {
                x.sex = true;
                x.facility = true
            }),
            None
        );
        assert_eq!(g(&|x| x.counsellor = true), Some(Grain::Counsellor));
        assert_eq!(
            g(&|x| {
                x.counsellor = true;
                x.facility = true
            }),
            None
        );
    }

    #[test]
    fn periods_cutting_a_month_are_not_answered_from_cells() {
        let b = whole_months(Some(date("2026-01-01")), Some(date("2026-03-31"))).unwrap();
        assert_eq!(b.from.as_deref(), Some("2026-01"));
        assert_eq!(b.to.as_deref(), Some("2026-03"));
        assert!(whole_months(None, None).is_some());
        assert!(whole_months(Some(date("2026-01-02")), None).is_none());
        assert!(whole_months(None, Some(date("2026-02-27"))).is_none());
        assert!(whole_months(None, Some(date("2024-02-29"))).is_some());
    }

    #[test]
    fn a_replaced_row_moves_its_counts_and_an_unchanged_one_changes_nothing() {
        let old = client("c", "2026-01-15", "female");
        let mut cells = Rollups::new();
        contributions(Table::Clients, &[&old], 1, &mut cells);
        let month = |cells: &Rollups, grain: Grain, month: &str| -> i64 {
            cells
                .iter()
                .filter(|(k, _)| k.grain == grain && k.measure == "registered" && k.month == month)
                .map(|(_, t)| t.n)
                .sum()
        };
        assert_eq!(month(&cells, Grain::Month, "2026-01"), 1);
        assert_eq!(month(&cells, Grain::Facility, "2026-01"), 1);
        let person = cells
            .keys()
            .find(|k| k.grain == Grain::Person && k.measure == "registered")
            .unwrap();
        assert_eq!(
            (person.sex.as_str(), person.facility.as_str()),
            ("female", "")
        );

        // The same facts again: nothing changes.
        let mut change = Rollups::new();
        contributions(Table::Clients, &[&old], -1, &mut change);
        contributions(Table::Clients, &[&old], 1, &mut change);
        assert!(change.is_empty());

        // Registration moved to February: January loses the client, February gains it.
        let new = client("c", "2026-02-03", "female");
        let mut change = Rollups::new();
        contributions(Table::Clients, &[&old], -1, &mut change);
        contributions(Table::Clients, &[&new], 1, &mut change);
        assert_eq!(month(&change, Grain::Month, "2026-01"), -1);
        assert_eq!(month(&change, Grain::Month, "2026-02"), 1);
    }
}
