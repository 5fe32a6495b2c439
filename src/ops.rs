//! The ops API: who may read the log, and the shapes it answers with.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::{ConfigError, Secret};
use crate::error::AppError;
use crate::events::{
    CallSummary, FINAL_STATUSES, LogEntry, day_of, is_connected_leg, millis_to_rfc3339,
};

pub const LIST_LIMIT_DEFAULT: u64 = 50;
/// KV lists at most 1000 keys a call.
pub const LIST_LIMIT_MAX: u64 = 1000;

/// `Authorization: Bearer <OPS_TOKEN>`. Without a configured token the API
/// does not exist (404); a wrong or missing token is 401.
pub fn authorize(
    configured: &Result<Option<Secret>, ConfigError>,
    authorization: Option<&str>,
) -> Result<(), AppError> {
    let Ok(Some(expected)) = configured else {
        return Err(AppError::NotFound);
    };
    let presented = authorization
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim)
        .ok_or(AppError::Unauthorized)?;
    // Hashing first makes the comparison constant-time in the length too.
    let equal =
        Sha256::digest(presented.as_bytes()).ct_eq(&Sha256::digest(expected.expose().as_bytes()));
    if bool::from(equal) {
        Ok(())
    } else {
        Err(AppError::Unauthorized)
    }
}

/// The query of `GET /ops/calls`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub day: String,
    pub cursor: Option<String>,
    pub limit: u64,
}

impl ListQuery {
    pub fn parse<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
        now_ms: u64,
    ) -> Result<Self, AppError> {
        let mut query = ListQuery {
            day: day_of(now_ms),
            cursor: None,
            limit: LIST_LIMIT_DEFAULT,
        };
        for (key, value) in pairs {
            match key {
                "day" => {
                    NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
                        AppError::BadRequest("`day` must be a date like 2026-01-31".into())
                    })?;
                    query.day = value.to_owned();
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

fn previous_day(day: &str) -> Option<String> {
    let date = NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
    Some(date.pred_opt()?.format("%Y-%m-%d").to_string())
}

#[derive(Debug, Serialize, PartialEq)]
pub struct CallListItem {
    pub call_id: String,
    pub status: String,
    pub first_event_at: String,
    pub last_event_at: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct CallList {
    pub day: String,
    /// Newest activity first, within this page.
    pub calls: Vec<CallListItem>,
    /// Pass back as `cursor` for the rest of this day; absent on the last page.
    pub cursor: Option<String>,
    pub previous_day: Option<String>,
}

/// One page of a day's index, as (call id, summary) pairs from KV metadata.
pub fn call_list(
    day: &str,
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
            });
            let item = CallListItem {
                call_id,
                status: s.status,
                first_event_at: millis_to_rfc3339(s.first_event_ms),
                last_event_at: millis_to_rfc3339(s.last_event_ms),
                from: s.from,
                to: s.to,
            };
            (s.last_event_ms, item)
        })
        .collect();
    calls.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.call_id.cmp(&b.1.call_id)));
    CallList {
        day: day.to_owned(),
        calls: calls.into_iter().map(|(_, item)| item).collect(),
        cursor,
        previous_day: previous_day(day),
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct CallView {
    pub call_id: String,
    /// The newest event's status.
    pub status: String,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    /// From the connected (outbound) leg's `completed` event, as Vonage reports it.
    pub duration_seconds: Option<u64>,
    pub price: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// In time order.
    pub events: Vec<LogEntry>,
}

fn raw_str(entry: &LogEntry, field: &str) -> Option<String> {
    match entry.raw_field(field)? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A call's timeline from its entries (given in key order, which is time order).
pub fn call_view(call_id: &str, events: Vec<LogEntry>) -> Option<CallView> {
    let is_final = |e: &&LogEntry| FINAL_STATUSES.contains(&e.status.as_str());
    let connected = |e: &&LogEntry| is_connected_leg(e.direction.as_deref());
    // What happened: the connected leg's outcome once it is over (the
    // visitor's leg always ends "completed"), else the newest event.
    let outcome = events.iter().rev().find(|e| connected(e) && is_final(e));
    let status = outcome.or(events.last())?.status.clone();
    let ended = events.iter().rev().find(is_final);
    // The connected leg's duration is the time spent talking to support (the
    // visitor's own leg adds the greeting); price likewise.
    let completed = events
        .iter()
        .filter(|e| e.status == "completed")
        .max_by_key(|e| connected(e));
    let caller = events
        .iter()
        .find(|e| !connected(e) && !e.is_answer_webhook() && e.from.is_some())
        .or_else(|| events.iter().find(|e| e.from.is_some()));
    let destination = events.iter().find(|e| connected(e) && e.to.is_some());
    Some(CallView {
        call_id: call_id.to_owned(),
        status,
        started_at: events.first().map(|e| e.at.clone()),
        ended_at: ended.map(|e| e.at.clone()),
        duration_seconds: completed
            .and_then(|e| raw_str(e, "duration"))
            .and_then(|d| d.parse().ok()),
        price: completed.and_then(|e| raw_str(e, "price")),
        from: caller.and_then(|e| e.from.clone()),
        to: destination.or(caller).and_then(|e| e.to.clone()),
        events,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::parse_event;

    fn secret(s: &str) -> Result<Option<Secret>, ConfigError> {
        let config =
            crate::config::Config::from_lookup(|n| (n == "OPS_TOKEN").then(|| s.to_owned()));
        config.ops_token
    }

    #[test]
    fn ops_is_absent_without_a_token_and_closed_without_the_right_one() {
        assert_eq!(
            authorize(&Ok(None), Some("Bearer anything")),
            Err(AppError::NotFound)
        );
        let configured = secret("0123456789abcdef0123");
        assert_eq!(authorize(&configured, None), Err(AppError::Unauthorized));
        assert_eq!(
            authorize(&configured, Some("Bearer 0123456789abcdef012")),
            Err(AppError::Unauthorized)
        );
        assert_eq!(
            authorize(&configured, Some("Basic 0123456789abcdef0123")),
            Err(AppError::Unauthorized)
        );
        assert_eq!(
            authorize(&configured, Some("Bearer 0123456789abcdef0123")),
            Ok(())
        );
    }

    #[test]
    fn list_queries_default_to_today_and_validate_their_parameters() {
        let now = 1_767_225_600_000; // 2026-01-01
        let q = ListQuery::parse([], now).unwrap();
        assert_eq!(
            q,
            ListQuery {
                day: "2026-01-01".into(),
                cursor: None,
                limit: 50
            }
        );
        let q = ListQuery::parse(
            [("day", "2025-12-31"), ("cursor", "abc"), ("limit", "10")],
            now,
        )
        .unwrap();
        assert_eq!(q.day, "2025-12-31");
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
            Some(CallSummary {
                status: status.into(),
                first_event_ms: 1,
                last_event_ms: last,
                from: None,
                to: None,
                outcome_known: false,
                to_is_destination: false,
            })
        };
        let list = call_list(
            "2026-01-01",
            vec![
                ("aaaaaaaa".into(), summary("completed", 10)),
                ("bbbbbbbb".into(), summary("ringing", 20)),
            ],
            None,
        );
        let ids: Vec<_> = list.calls.iter().map(|c| c.call_id.as_str()).collect();
        assert_eq!(ids, ["bbbbbbbb", "aaaaaaaa"]);
        assert_eq!(list.previous_day.as_deref(), Some("2025-12-31"));
    }

    #[test]
    fn a_call_view_reads_duration_and_price_from_the_completed_event() {
        let leg = "63f61863-4a51-4f6b-86e1-46edebcf9356";
        let events: Vec<LogEntry> = [
            r#""status":"started","timestamp":"2026-01-01T10:00:00Z""#,
            r#""status":"ringing","timestamp":"2026-01-01T10:00:01Z""#,
            r#""status":"answered","timestamp":"2026-01-01T10:00:05Z""#,
            r#""status":"completed","timestamp":"2026-01-01T10:00:47Z","duration":"42","price":"0.0072","direction":"outbound""#,
            r#""status":"completed","timestamp":"2026-01-01T10:00:48Z","duration":"48","direction":"inbound""#,
        ]
        .iter()
        .map(|fields| {
            let body = format!(r#"{{"uuid":"{leg}","from":"447700900000","to":"447700900001",{fields}}}"#);
            parse_event(body.as_bytes(), 0).unwrap().entry
        })
        .collect();
        let view = call_view(leg, events).unwrap();
        assert_eq!(view.status, "completed");
        assert_eq!(view.duration_seconds, Some(42));
        assert_eq!(view.price.as_deref(), Some("0.0072"));
        assert_eq!(view.started_at.as_deref(), Some("2026-01-01T10:00:00.000Z"));
        assert_eq!(view.ended_at.as_deref(), Some("2026-01-01T10:00:48.000Z"));
        assert_eq!(view.from.as_deref(), Some("447700900000"));
        assert!(call_view(leg, vec![]).is_none());
    }
}
