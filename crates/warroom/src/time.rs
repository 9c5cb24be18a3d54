//! Time as the log keeps it: UTC, to the microsecond.
//!
//! The store writes instants as fixed-width RFC 3339 text (`2026-11-23T03:04:05.123456Z`), which
//! sorts in time order as text and reads well in `sqlite3`. Instants are cut to the microsecond
//! when an event is made, so an event reads back exactly as it was written.

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};

/// A time given by a user that is not RFC 3339.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "cannot read time '{given}': expected RFC 3339, e.g. 2026-11-23T03:04:05Z or 2026-11-23T12:04:05+09:00"
)]
pub struct TimeError {
    /// The text as given.
    pub given: String,
}

impl TimeError {
    /// A stable code for the UI to branch on.
    pub fn code(&self) -> &'static str {
        "invalid_input"
    }
}

/// Parses an RFC 3339 time with any offset into UTC, to the microsecond.
///
/// # Errors
/// [`TimeError`] when the text is not RFC 3339.
pub fn parse(text: &str) -> Result<DateTime<Utc>, TimeError> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| truncate(t.with_timezone(&Utc)))
        .map_err(|_| TimeError { given: text.to_owned() })
}

/// The instant cut to the microsecond, the precision of the log.
pub fn truncate(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

/// The fixed-width text the store keeps.
pub fn to_db(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_utc_and_text_sorts_in_time_order() {
        let seoul = parse("2026-11-23T12:04:05+09:00").unwrap();
        assert_eq!(to_db(seoul), "2026-11-23T03:04:05.000000Z");
        let later = parse("2026-11-23T03:04:05.5Z").unwrap();
        assert!(to_db(seoul) < to_db(later));
    }

    #[test]
    fn nanoseconds_are_cut_to_microseconds() {
        let t = parse("2026-11-23T03:04:05.123456789Z").unwrap();
        assert_eq!(to_db(t), "2026-11-23T03:04:05.123456Z");
    }

    #[test]
    fn a_bad_time_says_what_was_expected() {
        let err = parse("yesterday 3am").unwrap_err();
        assert!(err.to_string().starts_with("cannot read time 'yesterday 3am': expected RFC 3339"));
    }
}
