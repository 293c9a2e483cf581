//! Timestamps as fixed-width RFC 3339 UTC text, so text order is time order on both backends.

use time::OffsetDateTime;

/// Formats as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (always 27 characters).
pub fn format_timestamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// The current time in storage form.
pub fn now_timestamp() -> String {
    format_timestamp(OffsetDateTime::now_utc())
}

/// The server's calendar date (UTC), for rules that take `today`.
pub fn today_utc() -> scaleup_domain::date::Date {
    scaleup_domain::date::Date::from_julian_day(OffsetDateTime::now_utc().date().to_julian_day())
        .expect("the clock's date is a calendar date")
}

/// `now + hours` in storage form.
pub fn timestamp_in(hours: i64) -> String {
    format_timestamp(OffsetDateTime::now_utc() + time::Duration::hours(hours))
}

pub fn timestamp_ago_seconds(seconds: i64) -> String {
    format_timestamp(OffsetDateTime::now_utc() - time::Duration::seconds(seconds))
}

/// Whole minutes from one stored timestamp to another (negative when `to` is earlier).
pub fn minutes_between(from: &str, to: &str) -> Option<i64> {
    let fmt = &time::format_description::well_known::Rfc3339;
    let a = OffsetDateTime::parse(from, fmt).ok()?;
    let b = OffsetDateTime::parse(to, fmt).ok()?;
    Some((b - a).whole_minutes())
}

/// A stored timestamp `minutes` later; `None` if `stored` is malformed.
pub fn add_minutes(stored: &str, minutes: i64) -> Option<String> {
    OffsetDateTime::parse(stored, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| format_timestamp(t + time::Duration::minutes(minutes)))
}

/// Parses an RFC 3339 timestamp from a device and normalises it; `None` if malformed.
pub fn normalise_timestamp(text: &str) -> Option<String> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(format_timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_width_and_normalised_to_utc() {
        assert_eq!(now_timestamp().len(), 27);
        assert_eq!(
            normalise_timestamp("2025-01-02T03:04:05+02:00").unwrap(),
            "2025-01-02T01:04:05.000000Z"
        );
        assert!(normalise_timestamp("yesterday").is_none());
        assert_eq!(
            add_minutes("2025-12-31T23:30:00.000000Z", 45).unwrap(),
            "2026-01-01T00:15:00.000000Z"
        );
    }
}
