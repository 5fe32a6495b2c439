//! Dates and instants as this service needs them: milliseconds since the
//! epoch, RFC 3339 in and out, calendar days.
//!
//! A few civil-calendar formulas instead of a date crate: the worker only
//! formats UTC instants, parses Vonage's ISO 8601 timestamps and steps
//! through days, and a date library would be a tenth of the wasm for that.
//! Time zones are the runtime's business (`Intl`), not this module's.

use std::fmt;

const MS_PER_DAY: i64 = 86_400_000;

/// A calendar day (proleptic Gregorian).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

/// Monday is 0, as in ISO 8601 (Monday is the first day of the week).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Weekday(pub u8);

impl Weekday {
    pub const NAMES: [&'static str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

    pub fn name(self) -> &'static str {
        Self::NAMES[usize::from(self.0 % 7)]
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::NAMES
            .iter()
            .position(|n| n.eq_ignore_ascii_case(name))
            .map(|i| Self(i as u8))
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl Date {
    pub fn new(year: i32, month: u8, day: u8) -> Option<Self> {
        ((1..=12).contains(&month) && (1..=days_in_month(year, month)).contains(&day))
            .then_some(Self { year, month, day })
    }

    /// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
    pub fn days_since_epoch(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The inverse of [`Date::days_since_epoch`] (`civil_from_days`).
    pub fn from_days_since_epoch(days: i64) -> Self {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Self { year, month, day }
    }

    /// The UTC day an instant falls on.
    pub fn of_ms(ms: i64) -> Self {
        Self::from_days_since_epoch(ms.div_euclid(MS_PER_DAY))
    }

    pub fn add_days(self, n: i64) -> Self {
        Self::from_days_since_epoch(self.days_since_epoch() + n)
    }

    pub fn weekday(self) -> Weekday {
        // 1970-01-01 was a Thursday (3 when Monday is 0).
        Weekday((self.days_since_epoch() + 3).rem_euclid(7) as u8)
    }

    /// Strictly `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        Self::new(
            digits(&b[0..4])? as i32,
            digits(&b[5..7])? as u8,
            digits(&b[8..10])? as u8,
        )
    }

    /// Midnight UTC at the start of this day.
    pub fn start_ms(self) -> i64 {
        self.days_since_epoch() * MS_PER_DAY
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

/// `2026-01-01T12:00:05.250Z`: UTC, milliseconds, as JavaScript's `toISOString`.
pub fn rfc3339_ms(ms: u64) -> String {
    let ms = ms as i64;
    let date = Date::of_ms(ms);
    let in_day = ms.rem_euclid(MS_PER_DAY);
    format!(
        "{date}T{:02}:{:02}:{:02}.{:03}Z",
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000
    )
}

/// `YYYY-MM-DD` of the UTC day of an instant.
pub fn day_of(ms: u64) -> String {
    Date::of_ms(ms as i64).to_string()
}

/// Parses an RFC 3339 / ISO 8601 instant (`2020-01-01T12:00:00.000Z`,
/// `2020-01-01 12:00:00+01:00`, any number of fraction digits; a time
/// without an offset is read as UTC, as Vonage means it) into milliseconds
/// since the epoch. `None` for anything else, or an instant before 1970.
pub fn parse_rfc3339(s: &str) -> Option<u64> {
    let b = s.trim().as_bytes();
    if b.len() < 19 || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let date = Date::parse(std::str::from_utf8(&b[..10]).ok()?)?;
    let (hour, minute, second) = (
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    );
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &b[19..];
    let mut millis = 0u32;
    if let Some(fraction) = rest.strip_prefix(b".") {
        let len = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if len == 0 {
            return None;
        }
        let first3: Vec<u8> = fraction[..len]
            .iter()
            .copied()
            .chain([b'0'; 3])
            .take(3)
            .collect();
        millis = digits(&first3)?;
        rest = &fraction[len..];
    }
    let offset_minutes: i64 = match rest {
        [] | [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let minutes = i64::from(digits(&[*h1, *h2])? * 60 + digits(&[*m1, *m2])?);
            if *sign == b'+' { minutes } else { -minutes }
        }
        _ => return None,
    };
    let ms = date.start_ms()
        + i64::from(hour * 3600 + minute * 60 + second.min(59)) * 1000
        + i64::from(millis)
        - offset_minutes * 60_000;
    u64::try_from(ms).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_across_centuries_and_leap_years() {
        for days in (-800_000..800_000).step_by(997) {
            assert_eq!(Date::from_days_since_epoch(days).days_since_epoch(), days);
        }
        assert_eq!(Date::new(1970, 1, 1).unwrap().days_since_epoch(), 0);
        assert_eq!(Date::new(2000, 2, 29).unwrap().days_since_epoch(), 11_016);
        assert_eq!(Date::new(2026, 1, 1).unwrap().days_since_epoch(), 20_454);
        assert!(Date::new(2026, 2, 29).is_none());
        assert!(Date::new(2024, 2, 29).is_some());
        assert!(Date::new(1900, 2, 29).is_none());
    }

    #[test]
    fn instants_format_like_javascript_to_iso_string() {
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_ms(1_767_268_805_250), "2026-01-01T12:00:05.250Z");
        assert_eq!(rfc3339_ms(951_782_399_999), "2000-02-28T23:59:59.999Z");
        assert_eq!(day_of(1_767_225_599_999), "2025-12-31");
    }

    #[test]
    fn vonage_timestamps_parse_with_and_without_fractions_and_offsets() {
        let noon = 1_767_268_800_000;
        for (text, ms) in [
            ("2026-01-01T12:00:00.000Z", noon),
            ("2026-01-01T12:00:00Z", noon),
            ("2026-01-01T12:00:00", noon),
            ("2026-01-01 12:00:00", noon),
            ("2026-01-01T12:00:05.25Z", noon + 5250),
            ("2026-01-01T12:00:05.250999Z", noon + 5250),
            ("2026-01-01T13:30:00+01:30", noon),
            ("2026-01-01T10:00:00-02:00", noon),
        ] {
            assert_eq!(parse_rfc3339(text), Some(ms), "{text}");
        }
        for bad in [
            "",
            "yesterday",
            "2026-13-01T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T12:00:00.Z",
            "2026-01-01T12:00:00+0100",
            "1969-12-31T23:59:59Z",
            "2026-01-01T12:00:00Zjunk",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn weekdays_and_days() {
        let d = Date::parse("2026-11-26").unwrap();
        assert_eq!(d.weekday().name(), "Thu");
        assert_eq!(d.add_days(-26).to_string(), "2026-10-31");
        assert_eq!(
            Date::parse("2026-03-01").unwrap().add_days(-1).to_string(),
            "2026-02-28"
        );
        assert_eq!(Weekday::parse("sat"), Some(Weekday(5)));
        for bad in ["2026-1-01", "2026/01/01", "2026-02-30", "abcd-ef-gh"] {
            assert!(Date::parse(bad).is_none(), "{bad}");
        }
    }
}
