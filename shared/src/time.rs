//! Instants and calendar dates as the Platform writes them, without a date library: the engine
//! only needs UTC days and epoch arithmetic, and `shared` must stay small for the browser.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

/// Milliseconds since the Unix epoch, UTC: how Flow Service and Segmentation stamp things.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct EpochMillis(pub i64);

impl EpochMillis {
    pub fn from_seconds(seconds: i64) -> Self {
        Self(seconds.saturating_mul(1000))
    }

    pub fn plus_seconds(self, seconds: i64) -> Self {
        Self(self.0.saturating_add(seconds.saturating_mul(1000)))
    }

    /// The UTC calendar day this instant falls on.
    pub fn utc_date(self) -> Date {
        Date::from_days_since_epoch(self.0.div_euclid(86_400_000))
    }

    /// Hours, minutes and seconds of the UTC day.
    pub fn utc_time_of_day(self) -> (u8, u8, u8) {
        let second = self.0.rem_euclid(86_400_000) / 1000;
        (
            (second / 3600) as u8,
            (second / 60 % 60) as u8,
            (second % 60) as u8,
        )
    }

    /// RFC 3339 (`2026-12-01T08:50:00+09:00`, `...Z`, fractions of a second allowed).
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        let text = text.trim();
        let (date, rest) = text.split_once(['T', 't', ' '])?;
        let date = Date::parse(date).ok()?;
        let (time, offset_minutes) = if let Some(time) = rest.strip_suffix(['Z', 'z']) {
            (time, 0)
        } else {
            let sign_at = rest.rfind(['+', '-'])?;
            let (time, offset) = rest.split_at(sign_at);
            let sign = if offset.starts_with('-') { -1 } else { 1 };
            let (hours, minutes) = offset[1..].split_once(':')?;
            (
                time,
                sign * (hours.parse::<i64>().ok()? * 60 + minutes.parse::<i64>().ok()?),
            )
        };
        let mut parts = time.splitn(3, ':');
        let hour: i64 = parts.next()?.parse().ok()?;
        let minute: i64 = parts.next()?.parse().ok()?;
        let second: f64 = parts.next().map_or(Some(0.0), |s| s.parse().ok())?;
        if !(0..24).contains(&hour) || !(0..60).contains(&minute) || !(0.0..61.0).contains(&second)
        {
            return None;
        }
        let millis = date.start_millis().0
            + (hour * 3600 + minute * 60 - offset_minutes * 60) * 1000
            + (second * 1000.0) as i64;
        Some(Self(millis))
    }

    /// `HH:MM` in UTC.
    pub fn utc_hh_mm(self) -> String {
        let (hour, minute, _) = self.utc_time_of_day();
        format!("{hour:02}:{minute:02}")
    }
}

/// Epoch seconds that selectors write as strings (`"createTime": "1668548786"`); numbers are
/// accepted too, and the string form is written back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EpochSecondsText(pub i64);

impl EpochSecondsText {
    pub fn to_millis(self) -> EpochMillis {
        EpochMillis::from_seconds(self.0)
    }
}

impl Serialize for EpochSecondsText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for EpochSecondsText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match StringOrInteger::deserialize(deserializer)? {
            StringOrInteger::Integer(n) => Ok(Self(n)),
            StringOrInteger::String(text) => {
                text.trim().parse().map(Self).map_err(|_| {
                    de::Error::custom(format!("expected epoch seconds, found {text:?}"))
                })
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum StringOrInteger {
    Integer(i64),
    String(String),
}

/// A calendar day, `YYYY-MM-DD` on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a date: write it as YYYY-MM-DD, for example 2026-11-30")]
pub struct InvalidDate(String);

impl Date {
    pub fn new(year: i32, month: u8, day: u8) -> Option<Self> {
        let valid = (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
        valid.then_some(Self { year, month, day })
    }

    pub fn parse(text: &str) -> Result<Self, InvalidDate> {
        let invalid = || InvalidDate(text.to_owned());
        let mut parts = text.trim().splitn(3, '-');
        let mut next = || parts.next().ok_or_else(invalid);
        let (year, month, day) = (next()?, next()?, next()?);
        if year.len() != 4 || month.len() != 2 || day.len() != 2 {
            return Err(invalid());
        }
        let year = year.parse().map_err(|_| invalid())?;
        let month = month.parse().map_err(|_| invalid())?;
        let day = day.parse().map_err(|_| invalid())?;
        Self::new(year, month, day).ok_or_else(invalid)
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u8 {
        self.month
    }

    pub fn day(self) -> u8 {
        self.day
    }

    /// Howard Hinnant's `civil_from_days`.
    fn from_days_since_epoch(days: i64) -> Self {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Self { year, month, day }
    }

    pub fn plus_days(self, days: i64) -> Self {
        self.start_millis().plus_seconds(days * 86_400).utc_date()
    }

    /// Midnight UTC at the start of this day.
    pub fn start_millis(self) -> EpochMillis {
        let (y, m, d) = (
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        );
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let mp = if m > 2 { m - 3 } else { m + 9 };
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        EpochMillis((era * 146_097 + doe - 719_468) * 86_400_000)
    }
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_3339_times_are_read_with_their_offset() {
        let nine_utc = Date::new(2026, 12, 1)
            .unwrap()
            .start_millis()
            .plus_seconds(9 * 3600);
        for text in [
            "2026-12-01T09:00:00Z",
            "2026-12-01T18:00:00+09:00",
            "2026-12-01T04:00:00.000-05:00",
            "2026-12-01 09:00Z",
        ] {
            assert_eq!(EpochMillis::parse_rfc3339(text), Some(nine_utc), "{text}");
        }
        for bad in [
            "2026-12-01",
            "tomorrow",
            "2026-12-01T25:00:00Z",
            "2026-12-01T09:00:00",
        ] {
            assert_eq!(EpochMillis::parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn days_and_instants_agree() {
        let date = Date::new(2026, 11, 30).unwrap();
        assert_eq!(date.start_millis(), EpochMillis(1_795_996_800_000));
        assert_eq!(date.start_millis().utc_date(), date);
        assert_eq!(
            date.start_millis().plus_seconds(-1).utc_date(),
            Date::new(2026, 11, 29).unwrap()
        );
        assert_eq!(EpochMillis(0).utc_date(), Date::new(1970, 1, 1).unwrap());
        assert_eq!(
            Date::new(2024, 2, 29)
                .unwrap()
                .start_millis()
                .utc_date()
                .to_string(),
            "2024-02-29"
        );
    }

    #[test]
    fn every_day_of_four_centuries_round_trips() {
        let first = Date::new(1900, 1, 1).unwrap().start_millis().0 / 86_400_000;
        for day in first..first + 146_097 {
            let date = Date::from_days_since_epoch(day);
            assert_eq!(date.start_millis().0 / 86_400_000, day, "{date}");
        }
    }

    #[test]
    fn dates_parse_strictly_and_say_how_to_fix() {
        assert_eq!(Date::parse("2022-11-15").unwrap().to_string(), "2022-11-15");
        for bad in [
            "2022-11-31",
            "2023-02-29",
            "22-11-15",
            "2022/11/15",
            "2022-1-5",
            "",
        ] {
            let error = Date::parse(bad).unwrap_err().to_string();
            assert!(error.contains("YYYY-MM-DD"), "{bad}: {error}");
        }
    }

    #[test]
    fn epoch_seconds_come_as_text_or_number() {
        let text: EpochSecondsText = serde_json::from_str("\"1668548786\"").unwrap();
        let number: EpochSecondsText = serde_json::from_str("1668548786").unwrap();
        assert_eq!(text, number);
        assert_eq!(serde_json::to_string(&text).unwrap(), "\"1668548786\"");
        assert!(serde_json::from_str::<EpochSecondsText>("\"soon\"").is_err());
    }

    #[test]
    fn clock_face_is_utc() {
        let instant = Date::new(2026, 11, 30)
            .unwrap()
            .start_millis()
            .plus_seconds(13 * 3600 + 5 * 60 + 59);
        assert_eq!(instant.utc_hh_mm(), "13:05");
    }
}
