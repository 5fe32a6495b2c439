//! What the log stores for each event, and under which keys.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::AppError;
use crate::shared::json::Object;
use crate::shared::time;
use crate::vonage::answer_request::AnswerRequest;

use crate::vonage::event::{self, Event, is_vonage_id};

use super::keys;
use super::summary::CallSummary;

/// One entry of the log, as stored in KV.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogEntry {
    /// When this service took the event (RFC 3339, UTC).
    pub received_at: String,
    /// The event's own time if it had one, else `received_at`.
    pub at: String,
    pub status: String,
    pub call_id: String,
    pub uuid: Option<String>,
    pub conversation_uuid: Option<String>,
    pub direction: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// For a Vonage event, the body exactly as Vonage sent it (every field,
    /// nothing re-encoded); for the answer webhook's own entry, the request's
    /// fields with `source: "answer_webhook"` and the NCCO it was given.
    pub raw: Box<RawValue>,
}

impl LogEntry {
    /// A field of `raw` that is a string or a number, as text, for readers
    /// of the log.
    pub fn raw_text(&self, name: &str) -> Option<String> {
        Object::parse(self.raw.get()).ok()?.text(name)
    }

    /// Whether this is the answer webhook's own entry rather than a Vonage event.
    pub fn is_answer_webhook(&self) -> bool {
        self.raw_text("source").as_deref() == Some(ANSWER_WEBHOOK)
    }

    pub fn at_ms(&self) -> u64 {
        time::parse_rfc3339(&self.at).unwrap_or_default()
    }

    /// What this entry says about its call.
    pub fn summary(&self) -> CallSummary {
        CallSummary::of_event(
            &self.status,
            self.direction.as_deref(),
            self.from.as_deref(),
            self.to.as_deref(),
            self.at_ms(),
        )
    }
}

/// The `source` of the answer webhook's own entries.
const ANSWER_WEBHOOK: &str = "answer_webhook";

/// How the answer webhook answered, as its entry in the log tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answered {
    /// `answered`, or `refused` when the call was turned away.
    pub status: &'static str,
    /// `connect`, `voicemail`, `apology` or `refused`.
    pub ncco: &'static str,
    /// Why, in words ops can filter on; `None` when connected.
    pub reason: Option<String>,
    /// What the agent is told about the caller (`whisper`), if anything.
    pub caller: Option<String>,
}

/// An entry ready to be written: its keys and values, computed once.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogRecord {
    pub key: String,
    pub index_key: String,
    pub entry: LogEntry,
    pub summary: CallSummary,
    /// An RTC event (`vonage::event::Event::rtc`); the queue need not carry it.
    #[serde(skip)]
    pub rtc: bool,
}

impl LogRecord {
    fn new(event: Event, key: String, received_ms: u64, raw: Box<RawValue>) -> Self {
        let summary = CallSummary::of_event(
            &event.status,
            event.direction.as_deref(),
            event.from.as_deref(),
            event.to.as_deref(),
            event.at_ms,
        );
        LogRecord {
            rtc: event.rtc,
            key,
            index_key: keys::index_key(&time::day_of(event.at_ms), &event.call_id),
            summary,
            entry: LogEntry {
                received_at: time::rfc3339_ms(received_ms),
                at: time::rfc3339_ms(event.at_ms),
                status: event.status,
                call_id: event.call_id,
                uuid: event.uuid,
                conversation_uuid: event.conversation_uuid,
                direction: event.direction,
                from: event.from,
                to: event.to,
                raw,
            },
        }
    }

    /// A Vonage event body, keyed by its call, its own time and its content.
    pub fn of_event(body: &[u8], received_ms: u64) -> Result<Self, AppError> {
        let event = event::parse(body, received_ms)?;
        // Valid JSON (just parsed), so valid UTF-8 and a valid raw value.
        let text = std::str::from_utf8(body).map_err(|e| AppError::InvalidJson(e.to_string()))?;
        let raw = RawValue::from_string(text.to_owned()).map_err(event::refusal)?;
        let key = keys::event_key(&event.call_id, event.at_ms, &keys::short_hash(body));
        Ok(Self::new(event, key, received_ms, raw))
    }

    /// The answer webhook's own entry, so a call shows up before any event
    /// does. `None` when the request names no usable call id (it is still
    /// answered).
    ///
    /// Its key holds time 0 and a hash of the request, not the receive time:
    /// it sorts first in its call, and when Vonage retries an answer request
    /// that timed out, the retry lands on the same key.
    pub fn of_answer(
        request: &AnswerRequest,
        answered: &Answered,
        received_ms: u64,
    ) -> Option<Self> {
        let call_id = request
            .conversation_uuid
            .as_deref()
            .or(request.uuid.as_deref())
            .filter(|id| is_vonage_id(id))?
            .to_owned();
        // The request's fields as sent (unset ones left out), then ours:
        // one JSON object, written without a tree in between.
        let request_json = serde_json::to_string(request).ok()?;
        let request_hash = keys::short_hash(request_json.as_bytes());
        let mut raw = request_json;
        raw.truncate(raw.len() - 1); // the closing brace
        if raw.len() > 1 {
            raw.push(',');
        }
        raw.push_str(&format!(
            r#""source":"{ANSWER_WEBHOOK}","ncco":"{}""#,
            answered.ncco
        ));
        for (name, value) in [("reason", &answered.reason), ("caller", &answered.caller)] {
            if let Some(value) = value {
                raw.push_str(&format!(r#","{name}":"#));
                raw.push_str(&serde_json::to_string(value).ok()?);
            }
        }
        raw.push('}');
        let raw = RawValue::from_string(raw).ok()?;
        let event = Event {
            rtc: false,
            call_id,
            status: answered.status.into(),
            at_ms: received_ms,
            uuid: request.uuid.clone(),
            conversation_uuid: request.conversation_uuid.clone(),
            direction: None,
            from: request.caller().map(str::to_owned),
            to: request.to.clone(),
        };
        let key = keys::event_key(&event.call_id, 0, &request_hash);
        Some(Self::new(event, key, received_ms, raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn raw(entry: &LogEntry) -> Value {
        serde_json::from_str(entry.raw.get()).unwrap()
    }

    const CONV: &str = "CON-f972836a-550f-45fa-956c-12a2ab5b7d22";
    const LEG: &str = "63f61863-4a51-4f6b-86e1-46edebcf9356";
    const NOW: u64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

    fn completed() -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "from": "447700900000", "to": "447700900001", "uuid": LEG,
            "conversation_uuid": CONV, "status": "completed", "direction": "outbound",
            "timestamp": "2026-01-01T12:00:05.250Z", "duration": "42", "price": "0.00720000",
            "rate": "0.01030000", "network": "23410", "start_time": "2026-01-01T11:59:23.000Z"
        }))
        .unwrap()
    }

    #[test]
    fn an_event_is_keyed_by_conversation_time_and_body() {
        let body = completed();
        let r = LogRecord::of_event(&body, NOW).unwrap();
        let prefix = format!("event/{CONV}/1767268805250-");
        assert!(r.key.starts_with(&prefix), "{}", r.key);
        assert_eq!(r.key.len(), prefix.len() + 16);
        assert_eq!(r.index_key, format!("call/2026-01-01/{CONV}"));
        assert_eq!(r.entry.status, "completed");
        assert_eq!(r.entry.at, "2026-01-01T12:00:05.250Z");
        assert_eq!(r.entry.received_at, "2026-01-01T00:00:00.000Z");
        assert_eq!(raw(&r.entry)["price"], "0.00720000", "every field is kept");
        assert_eq!(
            r.entry.raw.get(),
            std::str::from_utf8(&body).unwrap(),
            "verbatim"
        );
        assert_eq!(
            r.summary,
            CallSummary {
                status: "completed".into(),
                first_event_ms: 1_767_268_805_250,
                last_event_ms: 1_767_268_805_250,
                from: None,
                to: Some("447700900001".into()),
                outcome_known: true,
                to_is_destination: true,
                voicemail: false,
            }
        );
        assert_eq!(
            r.entry.summary(),
            r.summary,
            "an entry read back says the same"
        );
    }

    #[test]
    fn the_same_body_always_gets_the_same_key() {
        let body = completed();
        assert_eq!(
            LogRecord::of_event(&body, NOW).unwrap().key,
            LogRecord::of_event(&body, NOW + 60_000).unwrap().key
        );
        let mut other: Value = serde_json::from_slice(&body).unwrap();
        other["duration"] = "43".into();
        let other = serde_json::to_vec(&other).unwrap();
        assert_ne!(
            LogRecord::of_event(&body, NOW).unwrap().key,
            LogRecord::of_event(&other, NOW).unwrap().key
        );
    }

    #[test]
    fn keys_sort_in_time_order() {
        let at = |time: &str| {
            let body = format!(r#"{{"uuid":"{LEG}","status":"started","timestamp":"{time}"}}"#);
            LogRecord::of_event(body.as_bytes(), NOW).unwrap().key
        };
        assert!(at("2026-01-01T09:00:00.000Z") < at("2026-01-01T10:00:00.000Z"));
    }

    #[test]
    fn the_answer_webhook_records_an_answered_entry_once_per_request() {
        let request = AnswerRequest {
            to: Some("447700900000".into()),
            from_user: Some("supportuser".into()),
            uuid: Some(LEG.into()),
            conversation_uuid: Some(CONV.into()),
            custom_data: serde_json::value::to_raw_value(&serde_json::json!({"page": "/pricing"}))
                .ok(),
            ..AnswerRequest::default()
        };
        let connected = Answered {
            status: "answered",
            ncco: "connect",
            reason: None,
            caller: Some("Web call from Anna.".into()),
        };
        let r = LogRecord::of_answer(&request, &connected, NOW).unwrap();
        assert_eq!(r.entry.status, "answered");
        assert_eq!(r.entry.call_id, CONV);
        assert_eq!(r.entry.from.as_deref(), Some("supportuser"));
        assert_eq!(raw(&r.entry)["source"], "answer_webhook");
        assert_eq!(raw(&r.entry)["custom_data"]["page"], "/pricing");
        assert_eq!(
            raw(&r.entry)["caller"],
            "Web call from Anna.",
            "what the agent is told"
        );
        assert!(
            r.key.starts_with(&format!("event/{CONV}/0000000000000-")),
            "sorts first"
        );
        let retried = LogRecord::of_answer(&request, &connected, NOW + 4_000).unwrap();
        assert_eq!(
            retried.key, r.key,
            "a retried answer request lands on the same key"
        );
        assert!(LogRecord::of_answer(&AnswerRequest::default(), &connected, NOW).is_none());
        let refused = Answered {
            status: "refused",
            ncco: "refused",
            reason: Some("lines_busy".into()),
            caller: None,
        };
        let r = LogRecord::of_answer(&request, &refused, NOW).unwrap();
        assert_eq!(r.entry.status, "refused");
        assert_eq!(raw(&r.entry)["reason"], "lines_busy");
        assert_eq!(r.summary.outcome(), crate::calllog::Outcome::Refused);
    }
}
