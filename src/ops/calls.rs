//! The call log as ops read it: a day's calls with totals, and one call's
//! timeline with its path told in words.

use serde::{Deserialize, Serialize};

use crate::calllog::store::LIST_LIMIT_MAX;
use crate::calllog::{CallSummary, LogEntry, Outcome};
use crate::error::AppError;
use crate::shared::phone::PhoneNumber;
use crate::shared::time::{self, Date};
use crate::vonage::event::RECORD_STATUS;
use crate::vonage::event::is_vonage_id;
use crate::vonage::legs::{Leg, is_final};

pub const LIST_LIMIT_DEFAULT: u32 = 50;

/// The query of `GET /ops/calls`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub day: Date,
    pub cursor: Option<String>,
    pub limit: u32,
}

impl ListQuery {
    pub fn parse<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
        now_ms: u64,
    ) -> Result<Self, AppError> {
        let mut query = ListQuery {
            day: Date::of_ms(now_ms as i64),
            cursor: None,
            limit: LIST_LIMIT_DEFAULT,
        };
        for (key, value) in pairs {
            match key {
                "day" => {
                    query.day = Date::parse(value).ok_or_else(|| {
                        AppError::BadRequest("`day` must be a date like 2026-01-31".into())
                    })?;
                }
                "cursor" if !value.is_empty() => query.cursor = Some(value.to_owned()),
                "limit" => {
                    query.limit = value
                        .parse()
                        .ok()
                        .filter(|n| (1..=LIST_LIMIT_MAX).contains(n))
                        .ok_or_else(|| {
                            AppError::BadRequest(format!(
                                "`limit` must be between 1 and {LIST_LIMIT_MAX}"
                            ))
                        })?;
                }
                _ => {}
            }
        }
        Ok(query)
    }
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct CallListItem {
    pub call_id: String,
    pub status: String,
    pub outcome: Outcome,
    pub first_event_at: String,
    pub last_event_at: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The day at a glance, over the calls listed.
#[derive(Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct DayTotals {
    pub calls: u32,
    pub answered: u32,
    /// Rang out, declined or failed, without a voicemail.
    pub missed: u32,
    pub voicemails: u32,
    pub refused: u32,
}

impl DayTotals {
    fn count(&mut self, outcome: Outcome) {
        self.calls += 1;
        match outcome {
            Outcome::Answered => self.answered += 1,
            Outcome::Missed | Outcome::Failed => self.missed += 1,
            Outcome::Voicemail => self.voicemails += 1,
            Outcome::Refused => self.refused += 1,
            Outcome::InProgress | Outcome::Ended => {}
        }
    }
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct CallList {
    pub day: String,
    /// Counted over `calls` (the ops page asks for the whole day at once).
    pub totals: DayTotals,
    /// Newest activity first, within this page.
    pub calls: Vec<CallListItem>,
    /// Pass back as `cursor` for the rest of this day; absent on the last page.
    pub cursor: Option<String>,
    pub previous_day: String,
}

/// One page of a day's index, as (call id, summary) pairs from KV metadata.
pub fn call_list(
    day: Date,
    page: Vec<(String, Option<CallSummary>)>,
    cursor: Option<String>,
) -> CallList {
    let mut calls: Vec<(u64, CallListItem)> = page
        .into_iter()
        .map(|(call_id, summary)| {
            let s = summary.unwrap_or(CallSummary {
                status: "unknown".into(),
                first_event_ms: 0,
                last_event_ms: 0,
                from: None,
                to: None,
                outcome_known: false,
                to_is_destination: false,
                voicemail: false,
            });
            let item = CallListItem {
                call_id,
                outcome: s.outcome(),
                status: s.status,
                first_event_at: time::rfc3339_ms(s.first_event_ms),
                last_event_at: time::rfc3339_ms(s.last_event_ms),
                from: s.from,
                to: s.to,
            };
            (s.last_event_ms, item)
        })
        .collect();
    calls.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.call_id.cmp(&b.1.call_id)));
    let mut totals = DayTotals::default();
    for (_, call) in &calls {
        totals.count(call.outcome);
    }
    CallList {
        day: day.to_string(),
        totals,
        calls: calls.into_iter().map(|(_, item)| item).collect(),
        cursor,
        previous_day: day.add_days(-1).to_string(),
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct CallView {
    pub call_id: String,
    /// What happened to the call (the log's one outcome rule).
    pub status: String,
    pub outcome: Outcome,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    /// From the connected (outbound) leg's `completed` event, as Vonage reports it.
    pub duration_seconds: Option<u64>,
    pub price: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// What happened, in words: "rang 447…456 for 20 s, no answer →
    /// 447…789 answered, 3:12"; "closed → voicemail 0:41 ▶".
    pub path: String,
    /// The caller's messages, each playable at `play` (with the ops token).
    pub recordings: Vec<Recording>,
    /// In time order: one page of them (see `cursor`).
    pub events: Vec<LogEntry>,
    /// Pass back as `cursor` for the call's next events; absent on the last
    /// page. Status, duration and parties are read from the events of the
    /// page shown (a call has about ten events; a page holds 200).
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Recording {
    pub recording_uuid: String,
    pub duration_seconds: Option<u64>,
    /// This worker's path that streams it from Vonage.
    pub play: String,
}

/// `3:12`.
fn clock(seconds: u64) -> String {
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

fn seconds_between(from: Option<&str>, to: Option<&str>) -> Option<u64> {
    let (from, to) = (time::parse_rfc3339(from?)?, time::parse_rfc3339(to?)?);
    to.checked_sub(from).map(|ms| (ms + 500) / 1000)
}

/// A recording event's length, from its `start_time` and `end_time`.
fn recording_seconds(entry: &LogEntry) -> Option<u64> {
    let start = raw_str(entry, "start_time");
    let end = raw_str(entry, "end_time");
    seconds_between(start.as_deref(), end.as_deref())
}

/// One leg of the ring list, in words.
fn leg_in_words(leg: &[&LogEntry]) -> String {
    let number = leg
        .iter()
        .find_map(|e| e.to.as_deref())
        .map_or_else(|| "support".to_owned(), PhoneNumber::abbreviated);
    let last = leg.last().expect("a leg has an event");
    // A leg reported once (rejected at once) has no ringing time to tell.
    let rang_for = || {
        seconds_between(Some(&leg[0].at), Some(&last.at))
            .filter(|s| *s > 0)
            .map_or_else(String::new, |s| format!(" for {s} s"))
    };
    let answered = leg.iter().any(|e| e.status == "answered");
    match last.status.as_str() {
        "completed" if answered => match raw_str(last, "duration").and_then(|d| d.parse().ok()) {
            Some(seconds) => format!("{number} answered, {}", clock(seconds)),
            None => format!("{number} answered"),
        },
        "answered" => format!("{number} answered"),
        "unanswered" | "timeout" => format!("rang {number}{}, no answer", rang_for()),
        "busy" => format!("rang {number}{}, busy", rang_for()),
        "rejected" => format!("rang {number}{}, declined", rang_for()),
        "cancelled" => format!("rang {number}{}, caller hung up", rang_for()),
        "failed" => format!("{number} failed"),
        "completed" => format!("rang {number}{}, ended", rang_for()),
        _ => format!("ringing {number}"),
    }
}

/// The call's path in words, from its events in time order.
pub fn path_in_words(events: &[LogEntry]) -> String {
    let mut steps: Vec<String> = Vec::new();
    if let Some(answer) = events.iter().find(|e| e.is_answer_webhook()) {
        let ncco = raw_str(answer, "ncco").unwrap_or_default();
        match ncco.as_str() {
            "voicemail" => steps.push("closed".into()),
            "refused" | "apology" => {
                let reason = raw_str(answer, "reason").unwrap_or_else(|| ncco.clone());
                steps.push(format!("refused ({reason})"));
            }
            _ => {}
        }
    }
    // The connected legs, one per number rung, in the order they began.
    let mut legs: Vec<(&str, Vec<&LogEntry>)> = Vec::new();
    for e in events
        .iter()
        .filter(|e| Leg::of(e.direction.as_deref()) == Leg::Connected)
    {
        let uuid = e.uuid.as_deref().unwrap_or("");
        match legs.iter_mut().find(|(u, _)| *u == uuid) {
            Some((_, leg)) => leg.push(e),
            None => legs.push((uuid, vec![e])),
        }
    }
    steps.extend(legs.iter().map(|(_, leg)| leg_in_words(leg)));
    if events.iter().any(|e| e.status == "error") {
        steps.push("Vonage reported an error".into());
    }
    for record in events.iter().filter(|e| e.status == RECORD_STATUS) {
        steps.push(match recording_seconds(record) {
            Some(seconds) => format!("voicemail {} ▶", clock(seconds)),
            None => "voicemail ▶".into(),
        });
    }
    let ended = events
        .iter()
        .any(|e| !(Leg::of(e.direction.as_deref()) == Leg::Connected) && is_final(&e.status));
    let recorded = events.iter().any(|e| e.status == RECORD_STATUS);
    if ended && !recorded && steps.last().is_some_and(|s| s == "closed") {
        steps.push("no message".into());
    }
    if steps.is_empty() {
        return if ended {
            "ended".into()
        } else {
            "in progress".into()
        };
    }
    steps.join(" → ")
}

fn raw_str(entry: &LogEntry, field: &str) -> Option<String> {
    entry.raw_text(field)
}

/// A call's timeline from its entries (given in key order, which is time order).
pub fn call_view(call_id: &str, events: Vec<LogEntry>, cursor: Option<String>) -> Option<CallView> {
    let summaries: Vec<CallSummary> = events.iter().map(LogEntry::summary).collect();
    let summary = CallSummary::merge_all(&summaries)?;
    let ended = events.iter().rev().find(|e| is_final(&e.status));
    // The connected leg's duration is the time spent talking to support (the
    // visitor's own leg adds the greeting); price likewise.
    let completed = events
        .iter()
        .filter(|e| e.status == "completed")
        .max_by_key(|e| Leg::of(e.direction.as_deref()) == Leg::Connected);
    let recordings = events
        .iter()
        .filter(|e| e.status == RECORD_STATUS)
        .filter_map(|e| {
            let recording_uuid = raw_str(e, "recording_uuid").filter(|id| is_vonage_id(id))?;
            Some(Recording {
                duration_seconds: recording_seconds(e),
                play: format!("/ops/recordings/{call_id}/{recording_uuid}"),
                recording_uuid,
            })
        })
        .collect();
    Some(CallView {
        call_id: call_id.to_owned(),
        path: path_in_words(&events),
        recordings,
        outcome: summary.outcome(),
        status: summary.status,
        started_at: events.first().map(|e| e.at.clone()),
        ended_at: ended.map(|e| e.at.clone()),
        duration_seconds: completed
            .and_then(|e| raw_str(e, "duration"))
            .and_then(|d| d.parse().ok()),
        price: completed.and_then(|e| raw_str(e, "price")),
        from: summary.from,
        to: summary.to,
        events,
        cursor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calllog::LogRecord;

    #[test]
    fn list_queries_default_to_today_and_validate_their_parameters() {
        let now = 1_767_225_600_000; // 2026-01-01
        let q = ListQuery::parse([], now).unwrap();
        assert_eq!(q.day.to_string(), "2026-01-01");
        assert_eq!((q.cursor, q.limit), (None, 50));
        let q = ListQuery::parse(
            [("day", "2025-12-31"), ("cursor", "abc"), ("limit", "10")],
            now,
        )
        .unwrap();
        assert_eq!(q.day.to_string(), "2025-12-31");
        assert_eq!(q.cursor.as_deref(), Some("abc"));
        for bad in [
            ("day", "yesterday"),
            ("day", "2025-13-01"),
            ("limit", "0"),
            ("limit", "1001"),
            ("limit", "x"),
        ] {
            assert_eq!(
                ListQuery::parse([bad], now).unwrap_err().status(),
                400,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn calls_are_listed_newest_activity_first() {
        let summary = |status: &str, last: u64| {
            Some(CallSummary::of_event(
                status,
                Some("outbound"),
                None,
                None,
                last,
            ))
        };
        let list = call_list(
            Date::parse("2026-01-01").unwrap(),
            vec![
                ("aaaaaaaa".into(), summary("completed", 10)),
                ("bbbbbbbb".into(), summary("ringing", 20)),
            ],
            None,
        );
        let ids: Vec<_> = list.calls.iter().map(|c| c.call_id.as_str()).collect();
        assert_eq!(ids, ["bbbbbbbb", "aaaaaaaa"]);
        assert_eq!(list.calls[1].outcome, Outcome::Answered);
        assert_eq!(list.previous_day, "2025-12-31");
    }

    #[test]
    fn a_call_view_reads_duration_and_price_from_the_completed_event() {
        let leg = "63f61863-4a51-4f6b-86e1-46edebcf9356";
        let events: Vec<LogEntry> = [
            r#""status":"started","timestamp":"2026-01-01T10:00:00Z","direction":"inbound""#,
            r#""status":"ringing","timestamp":"2026-01-01T10:00:01Z","direction":"outbound""#,
            r#""status":"answered","timestamp":"2026-01-01T10:00:05Z","direction":"outbound""#,
            r#""status":"completed","timestamp":"2026-01-01T10:00:47Z","duration":"42","price":"0.0072","direction":"outbound""#,
            r#""status":"completed","timestamp":"2026-01-01T10:00:48Z","duration":"48","direction":"inbound""#,
        ]
        .iter()
        .map(|fields| {
            let body = format!(r#"{{"uuid":"{leg}","from":"447700900000","to":"447700900001",{fields}}}"#);
            LogRecord::of_event(body.as_bytes(), 0).unwrap().entry
        })
        .collect();
        let view = call_view(leg, events, None).unwrap();
        assert_eq!(view.status, "completed");
        assert_eq!(view.outcome, Outcome::Answered);
        assert_eq!(view.duration_seconds, Some(42));
        assert_eq!(view.price.as_deref(), Some("0.0072"));
        assert_eq!(view.started_at.as_deref(), Some("2026-01-01T10:00:00.000Z"));
        assert_eq!(view.ended_at.as_deref(), Some("2026-01-01T10:00:48.000Z"));
        assert_eq!(view.from.as_deref(), Some("447700900000"));
        assert!(call_view(leg, vec![], None).is_none());
        assert_eq!(view.path, "447…001 answered, 0:42");
    }

    fn entries(bodies: &[String]) -> Vec<LogEntry> {
        bodies
            .iter()
            .map(|b| LogRecord::of_event(b.as_bytes(), 0).unwrap().entry)
            .collect()
    }

    const CONV: &str = "CON-f972836a-550f-45fa-956c-12a2ab5b7d22";

    fn leg_event(uuid: &str, to: &str, status: &str, at: &str, extra: &str) -> String {
        format!(
            r#"{{"uuid":"{uuid}","conversation_uuid":"{CONV}","direction":"outbound","from":"447700900000","to":"{to}","status":"{status}","timestamp":"{at}"{extra}}}"#
        )
    }

    #[test]
    fn a_calls_path_is_told_in_words() {
        let a = "aaaaaaaa-0000-4000-8000-000000000001";
        let b = "bbbbbbbb-0000-4000-8000-000000000002";
        let events = entries(&[
            leg_event(a, "447700900456", "started", "2026-01-01T10:00:00Z", ""),
            leg_event(a, "447700900456", "ringing", "2026-01-01T10:00:01Z", ""),
            leg_event(a, "447700900456", "unanswered", "2026-01-01T10:00:20Z", ""),
            leg_event(b, "447700900789", "started", "2026-01-01T10:00:21Z", ""),
            leg_event(b, "447700900789", "answered", "2026-01-01T10:00:25Z", ""),
            leg_event(
                b,
                "447700900789",
                "completed",
                "2026-01-01T10:03:37Z",
                r#","duration":"192""#,
            ),
        ]);
        let view = call_view(CONV, events, None).unwrap();
        assert_eq!(
            view.path,
            "rang 447…456 for 20 s, no answer → 447…789 answered, 3:12"
        );
        assert_eq!(view.outcome, Outcome::Answered);

        let closed = format!(
            r#"{{"source":"answer_webhook","conversation_uuid":"{CONV}","uuid":"{a}","from_user":"supportuser","status":"answered","ncco":"voicemail","timestamp":"2026-01-01T22:00:00Z"}}"#
        );
        let record = format!(
            r#"{{"start_time":"2026-01-01T22:00:09Z","recording_url":"https://api.nexmo.com/v1/files/{b}","size":12222,"recording_uuid":"{b}","end_time":"2026-01-01T22:00:50Z","conversation_uuid":"{CONV}","timestamp":"2026-01-01T22:00:51Z"}}"#
        );
        let mut events = entries(&[record]);
        let mut answer = LogRecord::of_event(closed.as_bytes(), 0).unwrap().entry;
        answer.raw = serde_json::value::RawValue::from_string(closed).unwrap();
        events.insert(0, answer);
        let view = call_view(CONV, events, None).unwrap();
        assert_eq!(view.path, "closed → voicemail 0:41 ▶");
        assert_eq!(view.outcome, Outcome::Voicemail);
        assert_eq!(
            view.recordings,
            vec![Recording {
                recording_uuid: b.into(),
                duration_seconds: Some(41),
                play: format!("/ops/recordings/{CONV}/{b}"),
            }]
        );
    }

    #[test]
    fn the_day_is_totalled() {
        let summary = |status: &str, voicemail: bool| {
            let mut s = CallSummary::of_event(status, Some("outbound"), None, None, 1);
            s.voicemail = voicemail;
            Some(s)
        };
        let list = call_list(
            Date::parse("2026-01-01").unwrap(),
            vec![
                ("aaaaaaaa".into(), summary("completed", false)),
                ("bbbbbbbb".into(), summary("busy", false)),
                ("cccccccc".into(), summary("busy", true)),
                ("dddddddd".into(), summary("ringing", false)),
            ],
            None,
        );
        assert_eq!(
            list.totals,
            DayTotals {
                calls: 4,
                answered: 1,
                missed: 1,
                voicemails: 1,
                refused: 0
            }
        );
    }
}
