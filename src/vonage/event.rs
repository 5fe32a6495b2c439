//! Reading a Vonage event: which call it belongs to, what it says, when.
//!
//! Every shape the event webhook can receive is accepted (Voice API webhook
//! reference, "Event webhook"; the Vonage .NET SDK's `EventBase.ParseEvent`
//! tells them apart the same way): call status events, error events
//! (`reason`, no `status`), `human`/`machine` (`call_uuid`), `record`,
//! `input`, `transfer` (`conversation_uuid_from`/`_to`), and RTC /
//! Conversation events (`type`, `conversation_id`) for applications whose RTC
//! event URL points here too.
//!
//! Once a request is authentic, its fields are read leniently: a known field
//! of an unexpected type (a numeric timestamp, an object `from`) is not used
//! for the index but never refuses the event; the body itself is kept
//! verbatim in the entry. Only a body that is not JSON, is not an object, or
//! names no call is refused.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::error::AppError;
use crate::shared::{json, time};

/// The status the log gives a recording event (it has none of its own).
pub const RECORD_STATUS: &str = "record";

/// Whether `id` can name a call in a key: Vonage's ids are hexadecimal with
/// dashes (`63f61863-4a51-…`), conversations prefixed `CON-`. Anything else
/// (slashes, dots, other letters) could step outside the key scheme.
pub fn is_vonage_id(id: &str) -> bool {
    let body = id.strip_prefix("CON-").unwrap_or(id);
    (8..=64).contains(&body.len())
        && body.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
        && body.bytes().any(|b| b.is_ascii_hexdigit())
}

/// Any JSON value, of which only strings and numbers are read.
#[derive(Debug)]
enum Loose<'a> {
    Text(Cow<'a, str>),
    Number(serde_json::Number),
    Other,
}

impl<'a> Loose<'a> {
    fn text(&self) -> Option<&str> {
        match self {
            Loose::Text(s) => Some(s),
            _ => None,
        }
    }

    /// A string, or a number written as one.
    fn text_or_number(&self) -> Option<String> {
        match self {
            Loose::Text(s) => Some(s.to_string()),
            Loose::Number(n) => Some(n.to_string()),
            Loose::Other => None,
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Loose<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LooseVisitor;
        impl<'de> Visitor<'de> for LooseVisitor {
            type Value = Loose<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Loose::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Loose::Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Loose::Text(Cow::Owned(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Loose::Number(v.into()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Loose::Number(v.into()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
                Ok(serde_json::Number::from_f64(v).map_or(Loose::Other, Loose::Number))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Loose::Other)
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Loose::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Loose::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Loose::Other)
            }
        }
        deserializer.deserialize_any(LooseVisitor)
    }
}

/// The fields of a Vonage event this service reads. Unknown fields are
/// skipped (and still validated as JSON).
#[derive(Deserialize)]
struct Fields<'a> {
    #[serde(default, borrow)]
    uuid: Option<Loose<'a>>,
    #[serde(default, borrow)]
    call_uuid: Option<Loose<'a>>,
    #[serde(default, borrow)]
    conversation_uuid: Option<Loose<'a>>,
    /// Transfer events: the conversation the leg left, and the one it joined.
    #[serde(default, borrow)]
    conversation_uuid_from: Option<Loose<'a>>,
    #[serde(default, borrow)]
    conversation_uuid_to: Option<Loose<'a>>,
    /// RTC / Conversation API events.
    #[serde(default, borrow)]
    conversation_id: Option<Loose<'a>>,
    #[serde(default, borrow)]
    status: Option<Loose<'a>>,
    #[serde(default, borrow, rename = "type")]
    kind: Option<Loose<'a>>,
    #[serde(default, borrow)]
    timestamp: Option<Loose<'a>>,
    #[serde(default, borrow)]
    direction: Option<Loose<'a>>,
    #[serde(default, borrow)]
    from: Option<Loose<'a>>,
    #[serde(default, borrow)]
    to: Option<Loose<'a>>,
    #[serde(default)]
    reason: Option<IgnoredAny>,
    #[serde(default)]
    recording_url: Option<IgnoredAny>,
    #[serde(default)]
    dtmf: Option<IgnoredAny>,
    #[serde(default)]
    speech: Option<IgnoredAny>,
}

/// What the log needs to know of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The conversation (both legs of a click-to-call share it), else the leg.
    pub call_id: String,
    pub status: String,
    /// The event's own time, else the time it was received.
    pub at_ms: u64,
    pub uuid: Option<String>,
    pub conversation_uuid: Option<String>,
    pub direction: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// An RTC (Conversation API) event: a `type` and a `conversation_id`,
    /// no call `status`. Vonage does not document them as signed.
    pub rtc: bool,
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
/// wrong shape (not an object) is `invalid_event`.
pub(crate) fn refusal(e: serde_json::Error) -> AppError {
    match e.classify() {
        serde_json::error::Category::Data => AppError::InvalidEvent(e.to_string()),
        _ => AppError::InvalidJson(e.to_string()),
    }
}

/// Status names go into the index and the ops page: short, plain words.
fn status_name(s: &str) -> Option<&str> {
    let ok = (1..=40).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-:.".contains(&b));
    ok.then_some(s)
}

/// The status a person would name the event by: call events carry `status`;
/// the other shapes are told apart by their fields, as Vonage's SDKs do.
fn status_of(f: &Fields<'_>) -> String {
    let named = f
        .status
        .as_ref()
        .and_then(Loose::text)
        .and_then(status_name);
    let status = match named {
        Some(s) => s,
        None if f.conversation_uuid_to.is_some() || f.conversation_uuid_from.is_some() => {
            "transfer"
        }
        None if f.speech.is_some() || f.dtmf.is_some() => "input",
        None if f.recording_url.is_some() => RECORD_STATUS,
        None if f.reason.is_some() && f.status.is_none() => "error",
        None => f
            .kind
            .as_ref()
            .and_then(Loose::text)
            .and_then(status_name)
            .unwrap_or("event"),
    };
    status.to_owned()
}

/// Vonage's timestamps are ISO 8601 strings; a number is read as epoch
/// seconds or milliseconds, whichever is plausible.
fn time_of(timestamp: Option<&Loose<'_>>) -> Option<u64> {
    match timestamp? {
        Loose::Text(s) => time::parse_rfc3339(s),
        Loose::Number(n) => {
            let v = n.as_f64().filter(|v| v.is_finite() && *v > 0.0)?;
            Some(if v < 1e11 { v * 1000.0 } else { v } as u64)
        }
        Loose::Other => None,
    }
}

/// Parses and validates an event body (a POSTed body, or the JSON object of
/// a GET's query). `body` must already be within the webhook's size limit.
pub fn parse(body: &[u8], received_ms: u64) -> Result<Event, AppError> {
    if std::str::from_utf8(body).is_err() {
        return Err(AppError::InvalidJson("the body is not UTF-8".into()));
    }
    if nests_deeper_than(body, MAX_NESTING) {
        return Err(AppError::InvalidJson(format!(
            "nested deeper than {MAX_NESTING} levels"
        )));
    }
    // serde would read a struct from an array too; an event is an object.
    if body.trim_ascii_start().first() != Some(&b'{') {
        return Err(match json::from_bytes::<IgnoredAny>(body) {
            Ok(_) => AppError::InvalidEvent("expected a JSON object".into()),
            Err(e) => refusal(e),
        });
    }
    // serde_json validates the fields it skips too.
    let f: Fields<'_> = json::from_bytes(body).map_err(refusal)?;
    // Where the event is filed: the conversation a transferred leg joins,
    // else the conversation, else the leg. Every id given as a string must be
    // safe in a key; ids of another type are not ids.
    let ids = [
        ("conversation_uuid_to", &f.conversation_uuid_to),
        ("conversation_uuid", &f.conversation_uuid),
        ("conversation_id", &f.conversation_id),
        ("conversation_uuid_from", &f.conversation_uuid_from),
        ("uuid", &f.uuid),
        ("call_uuid", &f.call_uuid),
    ];
    let mut call_id = None;
    for (name, id) in ids {
        if let Some(id) = id.as_ref().and_then(Loose::text) {
            if !is_vonage_id(id) {
                return Err(AppError::InvalidId { what: name });
            }
            call_id.get_or_insert(id);
        }
    }
    let call_id = call_id
        .ok_or_else(|| {
            AppError::InvalidEvent(
                "it names no call (conversation_uuid, conversation_id, uuid or call_uuid)".into(),
            )
        })?
        .to_owned();
    let text = |l: &Option<Loose<'_>>| l.as_ref().and_then(Loose::text).map(str::to_owned);
    let rtc = f.kind.is_some() && f.conversation_id.is_some() && f.status.is_none();
    Ok(Event {
        rtc,
        status: status_of(&f),
        at_ms: time_of(f.timestamp.as_ref()).unwrap_or(received_ms),
        uuid: text(&f.uuid).or_else(|| text(&f.call_uuid)),
        conversation_uuid: text(&f.conversation_uuid)
            .or_else(|| text(&f.conversation_uuid_to))
            .or_else(|| text(&f.conversation_id)),
        direction: text(&f.direction),
        from: f.from.as_ref().and_then(Loose::text_or_number),
        to: f.to.as_ref().and_then(Loose::text_or_number),
        call_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vonage_ids_are_hex_with_dashes() {
        for ok in [
            "63f61863-4a51-4f6b-86e1-46edebcf9356",
            "CON-f972836a-550f-45fa-956c-12a2ab5b7d22",
            "aaaaaaaa",
            "0123456789abcdef0123456789abcdef",
        ] {
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

    const LEG: &str = "63f61863-4a51-4f6b-86e1-46edebcf9356";
    const CONV: &str = "CON-f972836a-550f-45fa-956c-12a2ab5b7d22";
    const NOW: u64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

    fn event(json: &str) -> Event {
        parse(json.as_bytes(), NOW).unwrap()
    }

    #[test]
    fn every_documented_shape_is_read() {
        let record = event(&format!(
            r#"{{"start_time":"2020-01-01T12:00:00Z","recording_url":"https://api.nexmo.com/v1/files/x","size":12222,"recording_uuid":"{LEG}","end_time":"2020-01-01T12:01:00Z","conversation_uuid":"{CONV}","timestamp":"2020-01-01T14:00:00.000Z"}}"#
        ));
        assert_eq!(
            (record.status.as_str(), record.call_id.as_str()),
            ("record", CONV)
        );
        let input = event(&format!(
            r#"{{"uuid":"{LEG}","dtmf":{{"digits":"1","timed_out":false}}}}"#
        ));
        assert_eq!(input.status, "input");
        let speech = event(&format!(
            r#"{{"uuid":"{LEG}","speech":{{"results":[]}},"dtmf":null}}"#
        ));
        assert_eq!(speech.status, "input");
        let transfer = event(&format!(
            r#"{{"conversation_uuid_from":"CON-aaaaaaaa-bbbb","conversation_uuid_to":"{CONV}","uuid":"{LEG}","timestamp":"2020-01-01T12:00:00.000Z"}}"#
        ));
        assert_eq!(transfer.status, "transfer");
        assert_eq!(
            transfer.call_id, CONV,
            "filed under the conversation the leg joins"
        );
        let machine = event(&format!(
            r#"{{"call_uuid":"{LEG}","status":"machine","conversation_uuid":"{CONV}"}}"#
        ));
        assert_eq!(
            (machine.status.as_str(), machine.uuid.as_deref()),
            ("machine", Some(LEG))
        );
        let error = event(&format!(
            r#"{{"reason":"Syntax error in NCCO","conversation_uuid":"{CONV}","timestamp":"2020-01-01T12:00:00.000Z"}}"#
        ));
        assert_eq!(error.status, "error");
        let rtc = event(&format!(
            r#"{{"type":"member:joined","conversation_id":"{CONV}","from":"MEM-aaaaaaaa","body":{{"user":{{"name":"supportuser"}}}},"timestamp":"2020-01-01T12:00:00.000Z","id":3}}"#
        ));
        assert_eq!(
            (rtc.status.as_str(), rtc.call_id.as_str()),
            ("member:joined", CONV)
        );
        for status in [
            "disconnected",
            "transcribed",
            "timeout",
            "rejected",
            "cancelled",
        ] {
            assert_eq!(
                event(&format!(r#"{{"uuid":"{LEG}","status":"{status}"}}"#)).status,
                status
            );
        }
    }

    #[test]
    fn fields_of_unexpected_types_are_stored_not_refused() {
        let e = event(&format!(
            r#"{{"uuid":"{LEG}","status":{{"$ne":1}},"timestamp":1767268800,"from":{{"number":"1"}},"to":447700900001,"direction":7}}"#
        ));
        assert_eq!(e.status, "event");
        assert_eq!(e.at_ms, 1_767_268_800_000, "a numeric timestamp in seconds");
        assert_eq!(e.from, None);
        assert_eq!(e.to.as_deref(), Some("447700900001"));
        assert_eq!(e.direction, None);
        assert_eq!(
            event(&format!(r#"{{"uuid":"{LEG}","timestamp":1767268800123}}"#)).at_ms,
            1_767_268_800_123
        );
        assert_eq!(
            event(&format!(r#"{{"uuid":"{LEG}","status":"ringing now"}}"#)).status,
            "event"
        );
        assert_eq!(
            event(&format!(
                r#"{{"uuid":"{LEG}","status":"{}"}}"#,
                "a".repeat(1000)
            ))
            .status,
            "event"
        );
    }

    #[test]
    fn events_without_a_timestamp_use_the_receive_time() {
        let e = event(&format!(r#"{{"uuid":"{LEG}","status":"ringing"}}"#));
        assert_eq!(e.at_ms, NOW);
        assert_eq!(e.call_id, LEG);
    }

    #[test]
    fn only_bodies_that_name_no_call_or_are_not_json_objects_are_refused() {
        let cases: &[(&[u8], &str)] = &[
            (b"{not json", "invalid_json"),
            (b"[1,2]", "invalid_event"),
            (
                br#"["63f61863-4a51-4f6b-86e1-46edebcf9356"]"#,
                "invalid_event",
            ),
            (b"", "invalid_json"),
            (b"\"completed\"", "invalid_event"),
            (b"{}", "invalid_event"),
            (br#"{"uuid": 5}"#, "invalid_event"),
            (br#"{"status": "ringing"}"#, "invalid_event"),
            (br#"{"uuid": "../../etc"}"#, "invalid_id"),
            (br#"{"uuid": "63f61863/x"}"#, "invalid_id"),
            (
                br#"{"conversation_uuid": "CON-zz", "uuid": "63f61863-4a51"}"#,
                "invalid_id",
            ),
        ];
        for (body, code) in cases {
            let err = parse(body, NOW).unwrap_err();
            assert_eq!(err.code(), *code, "{}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn nesting_is_bounded_but_brackets_in_strings_are_text() {
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
        let nested_ok = format!(
            r#"{{"uuid":"{LEG}","x":{}{}}}"#,
            "[".repeat(31),
            "]".repeat(31)
        );
        assert!(parse(quoted.as_bytes(), NOW).is_ok());
        assert!(parse(nested_ok.as_bytes(), NOW).is_ok());
        assert_eq!(
            parse(deep.as_bytes(), NOW).unwrap_err().code(),
            "invalid_json"
        );
    }
}
