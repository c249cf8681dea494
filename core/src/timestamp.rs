//! Moments, one type for all of Kodiak. A [`Timestamp`] is stored in SQLite as RFC 3339 text
//! in UTC with its fractions of a second (so that stored times sort as text and two in the
//! same second stay apart), and shown to people to the second: `2026-12-04T14:36:32Z` in
//! reports and JSON, the local time to the minute in the terminal UI.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// A moment in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

/// Text that is not an RFC 3339 time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not an RFC 3339 time (such as 2026-12-04T14:36:32Z): {reason}")]
pub struct BadTimestamp {
    pub text: String,
    pub reason: String,
}

impl Timestamp {
    pub fn now() -> Timestamp {
        Timestamp(OffsetDateTime::now_utc())
    }

    /// `at`, in UTC.
    pub fn from_datetime(at: OffsetDateTime) -> Timestamp {
        Timestamp(at.to_offset(UtcOffset::UTC))
    }

    /// Seconds since the Unix epoch (1970-01-01T00:00:00Z), if the time is representable.
    pub fn from_unix(seconds: i64) -> Option<Timestamp> {
        OffsetDateTime::from_unix_timestamp(seconds)
            .ok()
            .map(Timestamp)
    }

    /// Reads RFC 3339 in any offset (`2026-12-04T15:36:32+01:00`), or a date alone
    /// (`2026-12-04`, its midnight in UTC).
    pub fn parse(text: &str) -> Result<Timestamp, BadTimestamp> {
        let bad = |reason: String| BadTimestamp {
            text: text.to_owned(),
            reason,
        };
        let trimmed = text.trim();
        if let Ok(at) = OffsetDateTime::parse(trimmed, &Rfc3339) {
            return Ok(Timestamp::from_datetime(at));
        }
        let date = time::Date::parse(
            trimmed,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .map_err(|e| bad(e.to_string()))?;
        Ok(Timestamp(date.midnight().assume_utc()))
    }

    /// The same moment without its fraction of a second: what a record people read keeps
    /// (a crash report written to a file and read back is the same).
    pub fn whole_second(self) -> Timestamp {
        Timestamp(self.0.replace_nanosecond(0).unwrap_or(self.0))
    }

    pub fn datetime(self) -> OffsetDateTime {
        self.0
    }

    pub fn unix_seconds(self) -> i64 {
        self.0.unix_timestamp()
    }

    /// As stored: RFC 3339 in UTC with the fraction of a second it has
    /// (`2026-12-04T14:36:32.329684187Z`).
    pub fn to_stored(self) -> String {
        self.0
            .format(&Rfc3339)
            .unwrap_or_else(|_| self.0.unix_timestamp().to_string())
    }

    /// As people read it in reports and JSON: RFC 3339 in UTC to the second
    /// (`2026-12-04T14:36:32Z`).
    pub fn to_second(self) -> String {
        let at = self.0.replace_nanosecond(0).unwrap_or(self.0);
        at.format(&Rfc3339)
            .unwrap_or_else(|_| at.unix_timestamp().to_string())
    }

    /// In the given offset to the minute (`2026-12-04 15:36`), for a screen: the terminal
    /// UI passes the local offset, which only a front end may ask the system for.
    pub fn to_minute_in(self, offset: UtcOffset) -> String {
        let at = self.0.to_offset(offset);
        at.format(time::macros::format_description!(
            "[year]-[month]-[day] [hour]:[minute]"
        ))
        .unwrap_or_else(|_| self.to_second())
    }
}

/// To the second, as people read it.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_second())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_second())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl rusqlite::types::ToSql for Timestamp {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(rusqlite::types::ToSqlOutput::from(self.to_stored()))
    }
}

impl rusqlite::types::FromSql for Timestamp {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        let text = value.as_str()?;
        Timestamp::parse(text).map_err(|e| rusqlite::types::FromSqlError::Other(Box::new(e)))
    }
}

/// For a time that may be unknown, written as `""` by Kodiak before it was typed:
/// `#[serde(default, with = "crate::timestamp::empty_is_none")]`.
pub mod empty_is_none {
    use super::Timestamp;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(at: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
        match at {
            Some(at) => at.serialize(s),
            None => s.serialize_str(""),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
        let text = String::deserialize(d)?;
        if text.trim().is_empty() {
            return Ok(None);
        }
        Timestamp::parse(&text)
            .map(Some)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_time_keeps_its_fraction_and_people_read_it_to_the_second() {
        let at = Timestamp::parse("2026-12-04T14:36:32.329684187Z").unwrap();
        assert_eq!(at.to_stored(), "2026-12-04T14:36:32.329684187Z");
        assert_eq!(at.to_second(), "2026-12-04T14:36:32Z");
        assert_eq!(at.to_string(), "2026-12-04T14:36:32Z");
        assert_eq!(
            serde_json::to_string(&at).unwrap(),
            "\"2026-12-04T14:36:32Z\""
        );
        let back: Timestamp = serde_json::from_str("\"2026-12-04T14:36:32Z\"").unwrap();
        assert_eq!(back.to_stored(), "2026-12-04T14:36:32Z");
    }

    #[test]
    fn other_offsets_and_plain_dates_are_read_into_utc() {
        let at = Timestamp::parse("2026-12-04T15:36:32+01:00").unwrap();
        assert_eq!(at.to_second(), "2026-12-04T14:36:32Z");
        assert_eq!(
            Timestamp::parse("2026-11-27").unwrap().to_second(),
            "2026-11-27T00:00:00Z"
        );
        let offset = UtcOffset::from_hms(1, 0, 0).unwrap();
        assert_eq!(at.to_minute_in(offset), "2026-12-04 15:36");
        let error = Timestamp::parse("yesterday").unwrap_err().to_string();
        assert!(
            error.starts_with("\"yesterday\" is not an RFC 3339 time"),
            "{error}"
        );
    }
}
