//! Calendar dates as the care records use them: `YYYY-MM-DD`, no time zone.

use crate::error::FieldError;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A calendar date. Serialised as `YYYY-MM-DD`; ordering is chronological.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(time::Date);

const FORMAT: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

impl schemars::JsonSchema for Date {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Date".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"})
    }
}

impl Date {
    /// Parses `YYYY-MM-DD`; `field` names the input for the error.
    pub fn parse(text: &str, field: &str) -> Result<Self, FieldError> {
        time::Date::parse(text, FORMAT)
            .map(Date)
            .map_err(|_| FieldError::new(field, "must be a valid date in YYYY-MM-DD form"))
    }

    pub fn from_ymd(year: i32, month: u8, day: u8) -> Option<Self> {
        let month = time::Month::try_from(month).ok()?;
        time::Date::from_calendar_date(year, month, day)
            .ok()
            .map(Date)
    }

    pub fn year(self) -> i32 {
        self.0.year()
    }

    /// Days from `self` to `other` (negative when `other` is earlier).
    pub fn days_until(self, other: Date) -> i64 {
        (other.0 - self.0).whole_days()
    }

    /// Panics outside the calendar's range (years ±9999): for dates known to be near today.
    pub fn add_days(self, days: i64) -> Self {
        Date(self.0 + time::Duration::days(days))
    }

    /// `self` plus `days`, or `None` past the calendar's range (years ±9999): for dates that
    /// come from input, where a year 9999 must not crash a computation.
    pub fn checked_add_days(self, days: i64) -> Option<Self> {
        self.0
            .checked_add(time::Duration::days(days.clamp(-10_000_000, 10_000_000)))
            .map(Date)
    }

    pub fn month(self) -> u8 {
        self.0.month() as u8
    }

    pub fn day(self) -> u8 {
        self.0.day()
    }

    pub fn first_of_month(self) -> Self {
        Date(self.0.replace_day(1).expect("day 1 exists in every month"))
    }

    /// The month's last day. Computed from the month's length, not by stepping into the next
    /// month, so December 9999 (the calendar's last month) has one too.
    pub fn last_of_month(self) -> Self {
        let days = self.0.month().length(self.0.year());
        Date(
            self.0
                .replace_day(days)
                .expect("a month has as many days as it has"),
        )
    }

    /// `YYYY-MM`.
    pub fn month_key(self) -> String {
        format!("{:04}-{:02}", self.year(), self.month())
    }

    /// Julian day number: a stable integer for date arithmetic in storage and generators.
    pub fn julian_day(self) -> i32 {
        self.0.to_julian_day()
    }

    pub fn from_julian_day(day: i32) -> Option<Self> {
        time::Date::from_julian_day(day).ok().map(Date)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = (self.0.year(), self.0.month() as u8, self.0.day());
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Date::parse(&text, "date")
            .map_err(|_| serde::de::Error::custom("must be a valid date in YYYY-MM-DD form"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_impossible_dates() {
        let d = Date::parse("2024-02-29", "d").unwrap();
        assert_eq!(d.to_string(), "2024-02-29");
        assert_eq!(d.add_days(1).to_string(), "2024-03-01");
        let err = Date::parse("2023-02-29", "data.on").unwrap_err();
        assert_eq!(err.field, "data.on");
        assert!(Date::parse("29/02/2024", "d").is_err());
    }
}

/// A day-precision period `[from, to]` (either end open) cut into the whole months it covers and
/// the day ranges left over at its ends, so aggregates kept per month and per day can answer
/// it exactly: whole months from the monthly counts, the ends from the daily ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonthSplit {
    /// Whole months `[first, last]` as `YYYY-MM` (an open end is `None`); `None` when the
    /// period covers no whole month.
    pub months: Option<(Option<String>, Option<String>)>,
    /// Day ranges `[from, to]`, inclusive, not inside `months`.
    pub days: Vec<(Date, Date)>,
}

impl MonthSplit {
    pub fn new(from: Option<Date>, to: Option<Date>) -> MonthSplit {
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                return MonthSplit {
                    months: None,
                    days: Vec::new(),
                };
            }
            if f.first_of_month() == t.first_of_month() {
                return if f.day() == 1 && t == t.last_of_month() {
                    MonthSplit {
                        months: Some((Some(f.month_key()), Some(f.month_key()))),
                        days: Vec::new(),
                    }
                } else {
                    MonthSplit {
                        months: None,
                        days: vec![(f, t)],
                    }
                };
            }
        }
        let mut days = Vec::new();
        // Months are compared as `YYYY-MM` text, so bounds are first or last whole months.
        let low = match from {
            None => None,
            Some(f) if f.day() == 1 => Some(f.month_key()),
            Some(f) => {
                days.push((f, f.last_of_month()));
                // Past the calendar's last month there is no whole month left to count.
                match f.last_of_month().checked_add_days(1) {
                    Some(next) => Some(next.month_key()),
                    None => {
                        return MonthSplit { months: None, days };
                    }
                }
            }
        };
        let high = match to {
            None => None,
            Some(t) if t == t.last_of_month() => Some(t.month_key()),
            Some(t) => {
                days.push((t.first_of_month(), t));
                Some(t.first_of_month().add_days(-1).month_key())
            }
        };
        let months = match (&low, &high) {
            (Some(l), Some(h)) if l > h => None,
            _ => Some((low, high)),
        };
        MonthSplit { months, days }
    }
}

#[cfg(test)]
mod month_split_tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s, "t").unwrap()
    }

    fn m(l: Option<&str>, h: Option<&str>) -> Option<(Option<String>, Option<String>)> {
        Some((l.map(String::from), h.map(String::from)))
    }

    #[test]
    fn whole_months_and_ragged_ends() {
        let s = MonthSplit::new(Some(d("2025-01-01")), Some(d("2025-03-31")));
        assert_eq!(
            s,
            MonthSplit {
                months: m(Some("2025-01"), Some("2025-03")),
                days: vec![]
            }
        );
        let s = MonthSplit::new(Some(d("2025-01-15")), Some(d("2025-03-10")));
        assert_eq!(s.months, m(Some("2025-02"), Some("2025-02")));
        assert_eq!(
            s.days,
            vec![
                (d("2025-01-15"), d("2025-01-31")),
                (d("2025-03-01"), d("2025-03-10"))
            ]
        );
        // Adjacent months, both ragged: no whole month between them.
        let s = MonthSplit::new(Some(d("2024-02-10")), Some(d("2024-03-05")));
        assert_eq!(s.months, None);
        assert_eq!(
            s.days,
            vec![
                (d("2024-02-10"), d("2024-02-29")),
                (d("2024-03-01"), d("2024-03-05"))
            ]
        );
        // Inside one month; a whole single month; reversed.
        let s = MonthSplit::new(Some(d("2025-06-02")), Some(d("2025-06-20")));
        assert_eq!(
            s,
            MonthSplit {
                months: None,
                days: vec![(d("2025-06-02"), d("2025-06-20"))]
            }
        );
        let s = MonthSplit::new(Some(d("2025-06-01")), Some(d("2025-06-30")));
        assert_eq!(s.months, m(Some("2025-06"), Some("2025-06")));
        assert!(
            MonthSplit::new(Some(d("2025-06-02")), Some(d("2025-06-01")))
                .days
                .is_empty()
        );
        // Open ends; December to January.
        assert_eq!(MonthSplit::new(None, None).months, m(None, None));
        let s = MonthSplit::new(Some(d("2024-12-31")), None);
        assert_eq!(s.months, m(Some("2025-01"), None));
        assert_eq!(s.days, vec![(d("2024-12-31"), d("2024-12-31"))]);
        let s = MonthSplit::new(None, Some(d("2025-01-01")));
        assert_eq!(s.months, m(None, Some("2024-12")));
        assert_eq!(s.days, vec![(d("2025-01-01"), d("2025-01-01"))]);
    }

    #[test]
    fn last_of_month_knows_leap_years() {
        assert_eq!(d("2024-02-11").last_of_month(), d("2024-02-29"));
        assert_eq!(d("2023-02-11").last_of_month(), d("2023-02-28"));
        assert_eq!(d("2025-12-05").last_of_month(), d("2025-12-31"));
    }
}

#[cfg(test)]
mod calendar_edge_tests {
    use super::*;

    /// Hardening issue, item 9: the summary's period split panicked on 9999-12-31.
    #[test]
    fn the_calendars_last_month_splits_without_overflow() {
        let last = Date::parse("9999-12-31", "to").unwrap();
        assert_eq!(last.last_of_month(), last);
        let split = MonthSplit::new(Some(Date::parse("9999-12-15", "from").unwrap()), None);
        assert_eq!(split.months, None);
        assert_eq!(split.days.len(), 1);
        let all = MonthSplit::new(Some(Date::parse("0001-01-01", "from").unwrap()), Some(last));
        assert_eq!(
            all.months,
            Some((Some("0001-01".to_string()), Some("9999-12".to_string())))
        );
        assert_eq!(
            Date::parse("2024-02-10", "d")
                .unwrap()
                .last_of_month()
                .to_string(),
            "2024-02-29"
        );
    }
}
