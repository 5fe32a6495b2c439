//! The Vonage call event model and the event log's key scheme.
//!
//! Keys are derived from the event itself (its call, its own timestamp, a hash
//! of its body), so writing is a blind `put`: no read-modify-write, and a
//! redelivered body lands on the key it already has.

use std::borrow::Cow;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::ncco::AnswerRequest;

/// Vonage's webhook bodies are a few hundred bytes; 64 KiB is generous and
/// keeps one KV value far below its limit.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// KV metadata must serialise to at most 1024 bytes; cap what we copy into it.
const META_FIELD_MAX_CHARS: usize = 64;
pub const EVENT_PREFIX: &str = "event/";
pub const INDEX_PREFIX: &str = "call/";

/// Whether `id` can name a call in a key: Vonage's ids are hexadecimal with
/// dashes (`63f61863-4a51-…`), conversations prefixed `CON-`. Anything else
/// (slashes, dots, other letters) could step outside the key scheme.
pub fn is_vonage_id(id: &str) -> bool {
    let body = id.strip_prefix("CON-").unwrap_or(id);
    (8..=64).contains(&body.len())
        && body.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
        && body.bytes().any(|b| b.is_ascii_hexdigit())
}

/// One entry of the log, as stored in KV.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogEntry {
    /// When this service took the event (RFC 3339, UTC).
    pub received_at: String,
    /// The event's own time if it had one, else `received_at`; orders the log.
    pub at: String,
    pub status: String,
    pub call_id: String,
    pub uuid: Option<String>,
    pub conversation_uuid: Option<String>,
    pub direction: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// The body Vonage sent, verbatim (whitespace aside): every field is kept
    /// and nothing is re-encoded on the webhook's path.
    pub raw: Box<RawValue>,
}

impl LogEntry {
    /// One field of the raw body, for readers of the log.
    pub fn raw_field(&self, name: &str) -> Option<Value> {
        let mut map: Map<String, Value> = serde_json::from_str(self.raw.get()).ok()?;
        map.remove(name)
    }

    /// Whether this is the answer webhook's own entry rather than a Vonage event.
    pub fn is_answer_webhook(&self) -> bool {
        self.raw_field("source")
            .is_some_and(|s| s == "answer_webhook")
    }
}

/// What the per-day call index keeps in KV metadata, so listing calls needs
/// no value reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallSummary {
    /// What happened to the call: the final status of the leg the NCCO
    /// connected (busy, unanswered, completed, ...) once known, otherwise the
    /// status of the newest event. The visitor's own leg always ends
    /// `completed`, which says nothing about whether anyone answered.
    pub status: String,
    /// Milliseconds since the epoch of the oldest and newest events seen.
    pub first_event_ms: u64,
    pub last_event_ms: u64,
    /// The caller (the visitor's leg) and the destination (the connected leg).
    pub from: Option<String>,
    pub to: Option<String>,
    /// Whether `status` is the connected leg's final status, which later
    /// events of the visitor's leg must not replace.
    #[serde(default)]
    pub outcome_known: bool,
    /// Whether `to` came from the connected leg.
    #[serde(default)]
    pub to_is_destination: bool,
}

/// Statuses after which a leg is over (Vonage voice event reference).
pub const FINAL_STATUSES: [&str; 8] = [
    "completed",
    "busy",
    "cancelled",
    "unanswered",
    "rejected",
    "failed",
    "timeout",
    "disconnected",
];

/// The leg the NCCO's connect action created, as Vonage labels it.
pub fn is_connected_leg(direction: Option<&str>) -> bool {
    direction == Some("outbound")
}

/// An event ready to be written: its keys and values, computed once.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogRecord {
    pub key: String,
    pub index_key: String,
    pub entry: LogEntry,
    pub summary: CallSummary,
}

/// The fields of a Vonage event this service reads, borrowed from the body;
/// the rest is kept in `raw` untouched. Unknown fields are allowed; a known
/// field of the wrong type makes the event invalid.
#[derive(Deserialize)]
struct EventFields<'a> {
    #[serde(default, borrow)]
    uuid: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    call_uuid: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    conversation_uuid: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    status: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "type")]
    kind: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    direction: Option<Cow<'a, str>>,
    #[serde(default)]
    from: Option<Party>,
    #[serde(default)]
    to: Option<Party>,
    #[serde(default)]
    recording_url: Option<IgnoredAny>,
    #[serde(default)]
    dtmf: Option<IgnoredAny>,
    #[serde(default)]
    speech: Option<IgnoredAny>,
}

/// Vonage sends phone numbers as strings, but some tools post them as numbers.
#[derive(Deserialize)]
#[serde(untagged)]
enum Party {
    Text(String),
    Number(serde_json::Number),
}

impl Party {
    fn into_string(self) -> String {
        match self {
            Party::Text(s) => s,
            Party::Number(n) => n.to_string(),
        }
    }
}

/// The status a person would name the event by: call events carry `status`;
/// record, input and transfer events are told apart by their fields.
fn status_of(fields: &EventFields<'_>) -> Result<String, AppError> {
    let status = match (&fields.status, &fields.kind) {
        (Some(s), _) => s.as_ref(),
        (None, _) if fields.recording_url.is_some() => "record",
        (None, _) if fields.dtmf.is_some() || fields.speech.is_some() => "input",
        (None, Some(kind)) => kind.as_ref(),
        (None, None) => "event",
    };
    let valid = (1..=40).contains(&status.len())
        && status
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b':');
    if valid {
        Ok(status.to_owned())
    } else {
        Err(AppError::InvalidEvent(
            "`status` is not a status name".into(),
        ))
    }
}

fn utc(ms: u64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(ms as i64).unwrap_or_default()
}

pub fn millis_to_rfc3339(ms: u64) -> String {
    utc(ms).to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn day_of(ms: u64) -> String {
    utc(ms).format("%Y-%m-%d").to_string()
}

/// Vonage's timestamps are RFC 3339 (`2020-01-01T14:00:00.000Z`). One that
/// does not parse is kept in `raw` and the receive time orders the entry.
fn parse_timestamp(raw: Option<&str>) -> Option<u64> {
    let ms = DateTime::parse_from_rfc3339(raw?).ok()?.timestamp_millis();
    u64::try_from(ms).ok()
}

fn short_hash(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..8])
}

pub fn event_key(call_id: &str, at_ms: u64, body: &[u8]) -> String {
    format!("{}{at_ms:013}-{}", event_prefix(call_id), short_hash(body))
}

pub fn event_prefix(call_id: &str) -> String {
    format!("{EVENT_PREFIX}{call_id}/")
}

pub fn index_key(day: &str, call_id: &str) -> String {
    format!("{INDEX_PREFIX}{day}/{call_id}")
}

pub fn index_prefix(day: &str) -> String {
    format!("{INDEX_PREFIX}{day}/")
}

fn clip(s: Option<String>) -> Option<String> {
    s.map(|s| s.chars().take(META_FIELD_MAX_CHARS).collect())
}

/// What one log entry is made of, before keys and summaries are derived.
struct Parsed {
    call_id: String,
    status: String,
    at_ms: u64,
    uuid: Option<String>,
    conversation_uuid: Option<String>,
    direction: Option<String>,
    from: Option<String>,
    to: Option<String>,
    raw: Box<RawValue>,
}

fn record(p: Parsed, received_ms: u64, body: &[u8]) -> LogRecord {
    let connected = is_connected_leg(p.direction.as_deref());
    let summary = CallSummary {
        outcome_known: connected && FINAL_STATUSES.contains(&p.status.as_str()),
        status: p.status.clone(),
        first_event_ms: p.at_ms,
        last_event_ms: p.at_ms,
        // The connected leg's `from` is our own support number, not the caller.
        from: if connected {
            None
        } else {
            clip(p.from.clone())
        },
        to: clip(p.to.clone()),
        to_is_destination: connected,
    };
    LogRecord {
        key: event_key(&p.call_id, p.at_ms, body),
        index_key: index_key(&day_of(p.at_ms), &p.call_id),
        summary,
        entry: LogEntry {
            received_at: millis_to_rfc3339(received_ms),
            at: millis_to_rfc3339(p.at_ms),
            status: p.status,
            call_id: p.call_id,
            uuid: p.uuid,
            conversation_uuid: p.conversation_uuid,
            direction: p.direction,
            from: p.from,
            to: p.to,
            raw: p.raw,
        },
    }
}

/// Vonage's events nest three levels at most. Fields this service does not
/// read are skipped without serde_json's recursion limit, so the nesting is
/// bounded here instead: a body nested deeper is refused, not stored.
const MAX_NESTING: usize = 32;

/// Whether JSON text nests arrays/objects deeper than `max` (brackets inside
/// strings do not count). The text is still parsed by serde_json afterwards.
fn nests_deeper_than(body: &[u8], max: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in body {
        match (in_string, b) {
            (true, _) if escaped => escaped = false,
            (true, b'\\') => escaped = true,
            (true, b'"') => in_string = false,
            (true, _) => {}
            (false, b'"') => in_string = true,
            (false, b'[' | b'{') => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            (false, b']' | b'}') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// A body that does not parse is `invalid_json`; one that parses into the
/// wrong shape (not an object, a field of the wrong type) is `invalid_event`.
fn refusal(e: serde_json::Error) -> AppError {
    match e.classify() {
        serde_json::error::Category::Data => AppError::InvalidEvent(e.to_string()),
        _ => AppError::InvalidJson(e.to_string()),
    }
}

/// Parses and validates a posted event body into what the log stores.
pub fn parse_event(body: &[u8], received_ms: u64) -> Result<LogRecord, AppError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(AppError::PayloadTooLarge {
            limit_bytes: MAX_BODY_BYTES,
        });
    }
    if nests_deeper_than(body, MAX_NESTING) {
        return Err(AppError::InvalidJson(format!(
            "nested deeper than {MAX_NESTING} levels"
        )));
    }
    // serde_json validates the fields it skips too.
    let fields: EventFields<'_> = serde_json::from_slice(body).map_err(refusal)?;
    // The conversation groups every leg of one click-to-call (the visitor's and
    // the phone's); events without one are keyed by their leg.
    let ids = [
        ("conversation_uuid", &fields.conversation_uuid),
        ("uuid", &fields.uuid),
        ("call_uuid", &fields.call_uuid),
    ];
    let mut call_id = None;
    for (name, id) in ids {
        if let Some(id) = id {
            if !is_vonage_id(id) {
                return Err(AppError::InvalidId { what: name });
            }
            call_id.get_or_insert(id.as_ref());
        }
    }
    let call_id = call_id
        .ok_or_else(|| {
            AppError::InvalidEvent("it has no conversation_uuid, uuid or call_uuid".into())
        })?
        .to_owned();
    let status = status_of(&fields)?;
    let at_ms = parse_timestamp(fields.timestamp.as_deref()).unwrap_or(received_ms);
    // Valid JSON (just parsed), so valid UTF-8 and a valid raw value.
    let text = std::str::from_utf8(body).map_err(|e| AppError::InvalidJson(e.to_string()))?;
    let raw = RawValue::from_string(text.to_owned()).map_err(refusal)?;
    let parsed = Parsed {
        call_id,
        status,
        at_ms,
        uuid: fields.uuid.or(fields.call_uuid).map(Cow::into_owned),
        conversation_uuid: fields.conversation_uuid.map(Cow::into_owned),
        direction: fields.direction.map(Cow::into_owned),
        from: fields.from.map(Party::into_string),
        to: fields.to.map(Party::into_string),
        raw,
    };
    Ok(record(parsed, received_ms, body))
}

/// The answer webhook's own entry, so a call shows up before any event does.
/// `None` when the request names no usable call id (it is still answered).
pub fn answer_record(
    request: &AnswerRequest,
    outcome: &str,
    received_ms: u64,
) -> Option<LogRecord> {
    let call_id = request
        .conversation_uuid
        .as_deref()
        .or(request.uuid.as_deref())
        .filter(|id| is_vonage_id(id))?
        .to_owned();
    let mut map = match serde_json::to_value(request) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    map.retain(|_, v| !v.is_null());
    map.insert("source".into(), Value::String("answer_webhook".into()));
    map.insert("ncco".into(), Value::String(outcome.into()));
    let raw = serde_json::value::to_raw_value(&map).ok()?;
    // Keyed on the request, not the time, so a retried answer request is stored once.
    let body = serde_json::to_vec(request).unwrap_or_default();
    let parsed = Parsed {
        call_id,
        status: "answered".into(),
        at_ms: received_ms,
        uuid: request.uuid.clone(),
        conversation_uuid: request.conversation_uuid.clone(),
        direction: None,
        from: request.from.clone(),
        to: request.to.clone(),
        raw,
    };
    Some(record(parsed, received_ms, &body))
}

impl CallSummary {
    /// Combines what is known of one call, whatever order events arrive in:
    /// the connected leg's outcome wins once known, otherwise the newest
    /// event; the first caller seen and the destination stay.
    pub fn merge(&self, other: &CallSummary) -> CallSummary {
        let (older, newer) = if other.last_event_ms >= self.last_event_ms {
            (self, other)
        } else {
            (other, self)
        };
        let status_from = match (older.outcome_known, newer.outcome_known) {
            (true, false) => older,
            _ => newer,
        };
        let to_from = match (self.to_is_destination, other.to_is_destination) {
            (false, true) => other,
            (true, false) => self,
            _ if self.to.is_some() => self,
            _ => other,
        };
        CallSummary {
            status: status_from.status.clone(),
            outcome_known: status_from.outcome_known,
            first_event_ms: self.first_event_ms.min(other.first_event_ms),
            last_event_ms: self.last_event_ms.max(other.last_event_ms),
            from: self.from.clone().or_else(|| other.from.clone()),
            to: to_from.to.clone(),
            to_is_destination: to_from.to_is_destination,
        }
    }
}

/// One summary per call index key for a batch of records, merged.
pub fn summaries(records: &[&LogRecord]) -> Vec<(String, CallSummary)> {
    let mut out: Vec<(String, CallSummary)> = Vec::new();
    for r in records {
        match out.iter_mut().find(|(k, _)| *k == r.index_key) {
            Some((_, summary)) => *summary = summary.merge(&r.summary),
            None => out.push((r.index_key.clone(), r.summary.clone())),
        }
    }
    out
}

/// KV's `expirationTtl` for the configured retention.
pub fn ttl_seconds(days: u32) -> u64 {
    u64::from(days) * 24 * 60 * 60
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let r = parse_event(&body, NOW).unwrap();
        assert!(
            r.key.starts_with(&format!("event/{CONV}/1767268805250-")),
            "{}",
            r.key
        );
        assert_eq!(
            r.key.len(),
            format!("event/{CONV}/1767268805250-").len() + 16
        );
        assert_eq!(r.index_key, format!("call/2026-01-01/{CONV}"));
        assert_eq!(r.entry.status, "completed");
        assert_eq!(r.entry.at, "2026-01-01T12:00:05.250Z");
        assert_eq!(r.entry.received_at, "2026-01-01T00:00:00.000Z");
        assert_eq!(
            r.entry.raw_field("price").unwrap(),
            "0.00720000",
            "every field is kept"
        );
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
            }
        );
    }

    #[test]
    fn the_same_body_always_gets_the_same_key() {
        let body = completed();
        assert_eq!(
            parse_event(&body, NOW).unwrap().key,
            parse_event(&body, NOW + 60_000).unwrap().key
        );
        let mut other: Value = serde_json::from_slice(&body).unwrap();
        other["duration"] = "43".into();
        let other = serde_json::to_vec(&other).unwrap();
        assert_ne!(
            parse_event(&body, NOW).unwrap().key,
            parse_event(&other, NOW).unwrap().key
        );
    }

    #[test]
    fn keys_sort_in_time_order() {
        let early = parse_event(
            format!(
                r#"{{"uuid":"{LEG}","status":"started","timestamp":"2026-01-01T09:00:00.000Z"}}"#
            )
            .as_bytes(),
            NOW,
        )
        .unwrap();
        let late = parse_event(
            format!(
                r#"{{"uuid":"{LEG}","status":"ringing","timestamp":"2026-01-01T10:00:00.000Z"}}"#
            )
            .as_bytes(),
            NOW,
        )
        .unwrap();
        assert!(early.key < late.key);
    }

    #[test]
    fn events_without_a_timestamp_use_the_receive_time() {
        let r = parse_event(
            format!(r#"{{"uuid":"{LEG}","status":"ringing"}}"#).as_bytes(),
            NOW,
        )
        .unwrap();
        assert!(r.key.starts_with(&format!("event/{LEG}/{NOW:013}-")));
        assert_eq!(r.entry.call_id, LEG);
    }

    #[test]
    fn call_uuid_and_event_types_are_understood() {
        let record = parse_event(
            format!(r#"{{"call_uuid":"{LEG}","recording_url":"https://x"}}"#).as_bytes(),
            NOW,
        )
        .unwrap();
        assert_eq!(record.entry.status, "record");
        assert_eq!(record.entry.uuid.as_deref(), Some(LEG));
        let input = parse_event(
            format!(r#"{{"uuid":"{LEG}","dtmf":{{"digits":"1"}}}}"#).as_bytes(),
            NOW,
        )
        .unwrap();
        assert_eq!(input.entry.status, "input");
        let transfer = parse_event(
            format!(r#"{{"uuid":"{LEG}","type":"transfer"}}"#).as_bytes(),
            NOW,
        )
        .unwrap();
        assert_eq!(transfer.entry.status, "transfer");
    }

    #[test]
    fn malformed_bodies_are_refused_with_a_reason() {
        let cases: &[(&[u8], &str)] = &[
            (b"{not json", "invalid_json"),
            (b"[1,2]", "invalid_event"),
            (b"{}", "invalid_event"),
            (br#"{"uuid": 5}"#, "invalid_event"),
            (br#"{"uuid": "../../etc"}"#, "invalid_id"),
            (br#"{"uuid": "63f61863/x"}"#, "invalid_id"),
            (
                br#"{"conversation_uuid": "CON-zz", "uuid": "63f61863-4a51"}"#,
                "invalid_id",
            ),
            (
                br#"{"uuid": "63f61863-4a51", "status": "a b"}"#,
                "invalid_event",
            ),
            (
                br#"{"uuid": "63f61863-4a51", "status": {"x":1}}"#,
                "invalid_event",
            ),
        ];
        for (body, code) in cases {
            let err = parse_event(body, NOW).unwrap_err();
            assert_eq!(err.code(), *code, "{}", String::from_utf8_lossy(body));
        }
        let deep = format!(
            r#"{{"uuid":"{LEG}","x":{}{}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        let quoted = format!(
            r#"{{"uuid":"{LEG}","x":"{}\"{}"}}"#,
            "[".repeat(200),
            "{".repeat(200)
        );
        assert!(
            parse_event(quoted.as_bytes(), NOW).is_ok(),
            "brackets in strings are text"
        );
        let nested_ok = format!(
            r#"{{"uuid":"{LEG}","x":{}{}}}"#,
            "[".repeat(31),
            "]".repeat(31)
        );
        assert!(parse_event(nested_ok.as_bytes(), NOW).is_ok());
        assert_eq!(
            parse_event(deep.as_bytes(), NOW).unwrap_err().code(),
            "invalid_json"
        );
        let huge = vec![b' '; MAX_BODY_BYTES + 1];
        assert_eq!(
            parse_event(&huge, NOW).unwrap_err().code(),
            "payload_too_large"
        );
    }

    #[test]
    fn vonage_ids_are_hex_with_dashes() {
        for ok in [LEG, CONV, "aaaaaaaa", "0123456789abcdef0123456789abcdef"] {
            assert!(is_vonage_id(ok), "{ok}");
        }
        for bad in [
            "",
            "CON-",
            "--------",
            "abc",
            "CON-../x",
            "63f61863 4a51",
            "g3f61863-4a51",
            &"a".repeat(65),
        ] {
            assert!(!is_vonage_id(bad), "{bad}");
        }
    }

    #[test]
    fn the_answer_webhook_records_an_answered_entry() {
        let request = AnswerRequest {
            to: Some("447700900000".into()),
            from: Some("supportuser".into()),
            uuid: Some(LEG.into()),
            conversation_uuid: Some(CONV.into()),
            custom_data: Some(serde_json::json!({"page": "/pricing"})),
        };
        let r = answer_record(&request, "connect", NOW).unwrap();
        assert_eq!(r.entry.status, "answered");
        assert_eq!(r.entry.call_id, CONV);
        assert_eq!(r.entry.raw_field("source").unwrap(), "answer_webhook");
        assert_eq!(
            r.entry.raw_field("custom_data").unwrap()["page"],
            "/pricing"
        );
        assert_eq!(
            answer_record(&request, "connect", NOW + 5)
                .unwrap()
                .key
                .split('-')
                .next_back(),
            r.key.split('-').next_back(),
            "same request, same hash"
        );
        assert!(answer_record(&AnswerRequest::default(), "connect", NOW).is_none());
    }

    #[test]
    fn the_connected_legs_outcome_names_the_call() {
        let event = |direction: &str, status: &str, time: &str, from: &str, to: &str| {
            let body = format!(
                r#"{{"conversation_uuid":"{CONV}","uuid":"{LEG}","direction":"{direction}","status":"{status}","timestamp":"{time}","from":"{from}","to":"{to}"}}"#
            );
            parse_event(body.as_bytes(), NOW).unwrap()
        };
        let app_started = event(
            "inbound",
            "started",
            "2026-01-01T09:00:00Z",
            "supportuser",
            "447700900000",
        );
        let phone_ringing = event(
            "outbound",
            "ringing",
            "2026-01-01T09:00:02Z",
            "447700900000",
            "447700900001",
        );
        let phone_busy = event(
            "outbound",
            "busy",
            "2026-01-01T09:00:05Z",
            "447700900000",
            "447700900001",
        );
        let app_completed = event(
            "inbound",
            "completed",
            "2026-01-01T09:00:06Z",
            "supportuser",
            "447700900000",
        );
        for order in [
            [&app_started, &phone_ringing, &phone_busy, &app_completed],
            [&app_completed, &phone_busy, &phone_ringing, &app_started],
            [&phone_busy, &app_completed, &app_started, &phone_ringing],
        ] {
            let summary = &summaries(&order)[0].1;
            assert_eq!(
                summary.status, "busy",
                "the visitor's leg completing does not hide the outcome"
            );
            assert_eq!(summary.from.as_deref(), Some("supportuser"), "the caller");
            assert_eq!(
                summary.to.as_deref(),
                Some("447700900001"),
                "the destination"
            );
            assert_eq!(summary.last_event_ms, app_completed.summary.last_event_ms);
        }
        // Before the connected leg ends, the newest event speaks.
        let summary = &summaries(&[&app_started, &phone_ringing])[0].1;
        assert_eq!(summary.status, "ringing");
    }

    #[test]
    fn summaries_merge_whatever_order_events_arrive_in() {
        let at = |status: &str, time: &str| {
            let body = format!(
                r#"{{"uuid":"{LEG}","status":"{status}","timestamp":"{time}","from":"447700900000"}}"#
            );
            parse_event(body.as_bytes(), NOW).unwrap()
        };
        let started = at("started", "2026-01-01T09:00:00Z");
        let completed = at("completed", "2026-01-01T10:00:00Z");
        let ringing = at("ringing", "2026-01-01T09:00:01Z");
        for order in [
            [&started, &completed, &ringing],
            [&ringing, &completed, &started],
            [&completed, &ringing, &started],
        ] {
            let merged = summaries(&order);
            assert_eq!(merged.len(), 1);
            let summary = &merged[0].1;
            assert_eq!(summary.status, "completed");
            assert_eq!(summary.first_event_ms, started.summary.first_event_ms);
            assert_eq!(summary.last_event_ms, completed.summary.last_event_ms);
            assert_eq!(summary.from.as_deref(), Some("447700900000"));
        }
    }
}
