//! Calendar dates as the care records use them: `YYYY-MM-DD`, no time zone.

use crate::error::FieldError;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A calendar date. Serialised as `YYYY-MM-DD`; ordering is chronological.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(time::Date);

const FORMAT: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

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

    pub fn add_days(self, days: i64) -> Self {
        Date(self.0 + time::Duration::days(days))
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
