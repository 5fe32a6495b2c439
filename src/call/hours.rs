//! Opening hours: when the support line takes calls, in the company's own
//! time zone.
//!
//! `OPENING_HOURS` is a list of day ranges and times (`Mon-Fri 09:00-17:30,
//! Sat 10:00-14:00`), `CLOSED_DATES` a list of days off (`2026-12-25`),
//! `TIMEZONE` an IANA zone (`Europe/London`). The zone's rules are the
//! runtime's (`Intl`, through [`ZoneRules`]), not a database in the wasm; the
//! arithmetic here works on UTC offsets, so a change of offset (summer time)
//! moves the UTC instants of opening and closing as it should.

use serde::Serialize;

use crate::shared::time::{Date, Weekday};

const DAY_MINUTES: u16 = 24 * 60;
const MS_PER_MINUTE: i64 = 60_000;

/// What the runtime knows of time zones.
pub trait ZoneRules {
    /// The zone's offset from UTC, in minutes, at a UTC instant.
    fn offset_minutes(&self, zone: &str, utc_ms: i64) -> Option<i32>;
}

/// One opening span, minutes after local midnight (`end` after `start`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: u16,
    pub end: u16,
}

/// The week: the spans of each day, Monday first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Week(pub [Vec<Span>; 7]);

pub const HOURS_FORM: &str = "a comma-separated list of days and times like \
    \"Mon-Fri 09:00-17:30, Sat 10:00-14:00\" (days Mon..Sun, a range or one day, \
    24-hour times, closing after opening)";

fn minutes(hhmm: &str) -> Option<u16> {
    let (h, m) = hhmm.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    // 24:00 closes at midnight.
    ((h < 24 && m < 60) || (h == 24 && m == 0)).then_some(h * 60 + m)
}

impl Week {
    /// Parses `OPENING_HOURS`; the error says what is wrong, in words.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut week = Week::default();
        // Errors name the item by its place, never by its text: a config
        // error reaches the public /config.json.
        for (n, item) in raw
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .enumerate()
        {
            let bad = || format!("expected {HOURS_FORM}; item {} is not", n + 1);
            let (days, times) = item.split_once(' ').ok_or_else(bad)?;
            let (first, last) = match days.split_once('-') {
                Some((a, b)) => (
                    Weekday::parse(a).ok_or_else(bad)?,
                    Weekday::parse(b).ok_or_else(bad)?,
                ),
                None => {
                    let d = Weekday::parse(days).ok_or_else(bad)?;
                    (d, d)
                }
            };
            let (open, close) = times.trim().split_once('-').ok_or_else(bad)?;
            let span = Span {
                start: minutes(open.trim()).ok_or_else(bad)?,
                end: minutes(close.trim()).ok_or_else(bad)?,
            };
            if span.end <= span.start || first.0 > last.0 {
                return Err(bad());
            }
            // Each day's spans in order of opening (a day has a few).
            for day in first.0..=last.0 {
                let spans = &mut week.0[usize::from(day)];
                let at = spans.partition_point(|s| s.start <= span.start);
                spans.insert(at, span);
            }
        }
        if week.0.iter().all(Vec::is_empty) {
            return Err(format!("expected {HOURS_FORM}"));
        }
        Ok(week)
    }
}

/// `2026-12-25, 2026-12-26`.
pub fn parse_dates(raw: &str) -> Result<Vec<Date>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .enumerate()
        .map(|(n, d)| {
            Date::parse(d).ok_or_else(|| {
                format!(
                    "expected ISO dates like 2026-12-25, comma-separated; item {} is not",
                    n + 1
                )
            })
        })
        .collect()
}

/// An IANA zone name's form (`Area/Location`, `UTC`); whether the zone
/// exists is the runtime's to say.
pub fn zone_name_ok(zone: &str) -> bool {
    !zone.is_empty()
        && zone.len() <= 64
        && zone
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/_+-".contains(&b))
}

/// A day's opening in the week view of `/config.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayHours {
    pub day: &'static str,
    pub open: String,
    pub close: String,
}

fn hhmm(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// When the line is open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpeningHours {
    pub week: Week,
    pub closed_dates: Vec<Date>,
    pub zone: String,
}

/// A local date and time in the company's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Local {
    pub date: Date,
    pub minute: u16,
}

impl OpeningHours {
    fn offset_ms(&self, rules: &impl ZoneRules, utc_ms: i64) -> i64 {
        i64::from(rules.offset_minutes(&self.zone, utc_ms).unwrap_or(0)) * MS_PER_MINUTE
    }

    pub fn local(&self, rules: &impl ZoneRules, utc_ms: i64) -> Local {
        let local_ms = utc_ms + self.offset_ms(rules, utc_ms);
        Local {
            date: Date::of_ms(local_ms),
            minute: (local_ms.rem_euclid(86_400_000) / MS_PER_MINUTE) as u16,
        }
    }

    /// The UTC instant of a local date and time. Across a change of offset
    /// the offset of the instant itself is the one that counts; a local time
    /// the change skips lands just after it.
    fn utc_of(&self, rules: &impl ZoneRules, date: Date, minute: u16) -> i64 {
        let local_ms = date.start_ms() + i64::from(minute) * MS_PER_MINUTE;
        let guess = local_ms - self.offset_ms(rules, local_ms);
        local_ms - self.offset_ms(rules, guess)
    }

    fn spans_of(&self, date: Date) -> &[Span] {
        if self.closed_dates.contains(&date) {
            return &[];
        }
        &self.week.0[usize::from(date.weekday().0)]
    }

    pub fn is_open(&self, rules: &impl ZoneRules, utc_ms: i64) -> bool {
        let now = self.local(rules, utc_ms);
        self.spans_of(now.date)
            .iter()
            .any(|s| s.start <= now.minute && now.minute < s.end)
    }

    /// The next opening after `utc_ms` (within a year; `None` if the hours
    /// and closed dates leave none).
    pub fn next_open(&self, rules: &impl ZoneRules, utc_ms: i64) -> Option<(i64, Local)> {
        let today = self.local(rules, utc_ms).date;
        for day in 0..=366 {
            let date = today.add_days(day);
            for span in self.spans_of(date) {
                let at = self.utc_of(rules, date, span.start);
                if at > utc_ms {
                    return Some((
                        at,
                        Local {
                            date,
                            minute: span.start,
                        },
                    ));
                }
            }
        }
        None
    }

    /// The week as `/config.json` shows it.
    pub fn week_view(&self) -> Vec<DayHours> {
        (0..7u8)
            .flat_map(|d| {
                self.week.0[usize::from(d)].iter().map(move |s| DayHours {
                    day: Weekday(d).name(),
                    open: hhmm(s.start),
                    close: hhmm(s.end.min(DAY_MINUTES)),
                })
            })
            .collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Europe/London's rules: GMT, and BST (+1) from 01:00 UTC on the last
    /// Sunday of March to 01:00 UTC on the last Sunday of October.
    pub(crate) struct London;

    fn last_sunday(year: i32, month: u8) -> Date {
        let mut d = Date::new(year, month, 31).unwrap();
        while d.weekday().0 != 6 {
            d = d.add_days(-1);
        }
        d
    }

    impl ZoneRules for London {
        fn offset_minutes(&self, zone: &str, utc_ms: i64) -> Option<i32> {
            match zone {
                "UTC" => Some(0),
                "Europe/London" => {
                    let year = Date::of_ms(utc_ms).year;
                    let start = last_sunday(year, 3).start_ms() + 3_600_000;
                    let end = last_sunday(year, 10).start_ms() + 3_600_000;
                    Some(if (start..end).contains(&utc_ms) {
                        60
                    } else {
                        0
                    })
                }
                _ => None,
            }
        }
    }

    fn hours(raw: &str, closed: &str) -> OpeningHours {
        OpeningHours {
            week: Week::parse(raw).unwrap(),
            closed_dates: parse_dates(closed).unwrap(),
            zone: "Europe/London".into(),
        }
    }

    fn utc(s: &str) -> i64 {
        crate::shared::time::parse_rfc3339(s).unwrap() as i64
    }

    #[test]
    fn hours_parse_day_ranges_and_times() {
        let w = Week::parse("Mon-Fri 09:00-17:30, Sat 10:00-14:00").unwrap();
        assert_eq!(
            w.0[0],
            vec![Span {
                start: 540,
                end: 1050
            }]
        );
        assert_eq!(w.0[4], w.0[0]);
        assert_eq!(
            w.0[5],
            vec![Span {
                start: 600,
                end: 840
            }]
        );
        assert!(w.0[6].is_empty());
        let split = Week::parse("Mon 09:00-12:00, Mon 13:00-17:00").unwrap();
        assert_eq!(split.0[0].len(), 2);
        let reversed = Week::parse("Mon 13:00-17:00, Mon 09:00-12:00").unwrap();
        assert_eq!(reversed, split, "a day's spans in order of opening");
        assert!(Week::parse("Sun 00:00-24:00").is_ok());
        for bad in [
            "",
            "Mon",
            "Funday 09:00-17:00",
            "Mon 9:00-17:00",
            "Mon 17:00-09:00",
            "Fri-Mon 09:00-17:00",
            "Mon 09:00-25:00",
        ] {
            let err = Week::parse(bad).unwrap_err();
            assert!(
                err.starts_with("expected a comma-separated list of days and times"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn open_and_closed_follow_local_time_across_summer_time() {
        let h = hours("Mon-Fri 09:00-17:30", "2026-12-25");
        // Winter: London is UTC.
        assert!(h.is_open(&London, utc("2026-01-05T09:00:00Z")));
        assert!(!h.is_open(&London, utc("2026-01-05T08:59:00Z")));
        assert!(!h.is_open(&London, utc("2026-01-05T17:30:00Z")));
        // Summer: 09:00 in London is 08:00 UTC.
        assert!(h.is_open(&London, utc("2026-07-06T08:00:00Z")));
        assert!(!h.is_open(&London, utc("2026-07-06T16:30:00Z")));
        assert!(!h.is_open(&London, utc("2026-07-04T10:00:00Z")), "Saturday");
        assert!(
            !h.is_open(&London, utc("2026-12-25T10:00:00Z")),
            "a closed date"
        );
    }

    #[test]
    fn the_next_opening_is_found_across_weekends_holidays_and_clock_changes() {
        let h = hours("Mon-Fri 09:00-17:30, Sat 10:00-14:00", "2026-12-28");
        // Friday evening → Saturday 10:00.
        let (at, local) = h.next_open(&London, utc("2026-01-09T18:00:00Z")).unwrap();
        assert_eq!(at, utc("2026-01-10T10:00:00Z"));
        assert_eq!(
            crate::call::speech::Speech::english().when(local),
            "Saturday at 10:00"
        );
        // Saturday afternoon → Monday; here Monday the 28th is closed → Tuesday.
        let (at, _) = h.next_open(&London, utc("2026-12-26T15:00:00Z")).unwrap();
        assert_eq!(at, utc("2026-12-29T09:00:00Z"));
        // The weekend the clocks go forward (29 March 2026): Monday 09:00 BST is 08:00 UTC.
        let (at, _) = h.next_open(&London, utc("2026-03-28T15:00:00Z")).unwrap();
        assert_eq!(at, utc("2026-03-30T08:00:00Z"));
        // And back (25 October 2026): Monday 09:00 GMT is 09:00 UTC.
        let (at, _) = h.next_open(&London, utc("2026-10-24T15:00:00Z")).unwrap();
        assert_eq!(at, utc("2026-10-26T09:00:00Z"));
        // Before opening on a working day → today.
        let (at, _) = h.next_open(&London, utc("2026-01-05T07:00:00Z")).unwrap();
        assert_eq!(at, utc("2026-01-05T09:00:00Z"));
    }

    #[test]
    fn the_week_view_lists_each_days_hours() {
        let h = hours("Mon-Fri 09:00-17:30, Sat 10:00-14:00", "");
        let view = h.week_view();
        assert_eq!(view.len(), 6);
        assert_eq!(
            view[0],
            DayHours {
                day: "Mon",
                open: "09:00".into(),
                close: "17:30".into()
            }
        );
        assert_eq!(view[5].day, "Sat");
    }

    #[test]
    fn dates_and_zone_names_are_checked() {
        assert_eq!(parse_dates("2026-12-25, 2026-12-26").unwrap().len(), 2);
        assert!(parse_dates("25/12/2026").unwrap_err().contains("ISO dates"));
        assert!(
            zone_name_ok("Europe/London")
                && zone_name_ok("America/Argentina/Buenos_Aires")
                && zone_name_ok("UTC")
        );
        assert!(!zone_name_ok("Europe London") && !zone_name_ok(""));
    }
}
