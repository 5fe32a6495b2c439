//! Reading a Vonage call event: which call it belongs to, what it says, when.
//!
//! Only the fields the log indexes are read (borrowed from the body); the
//! body itself is kept verbatim in the entry, so no field Vonage adds is lost.

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::error::AppError;
use crate::time;

use super::key::is_vonage_id;

/// The fields of a Vonage event this service reads. Unknown fields are
/// allowed; a known field of the wrong type makes the event invalid.
#[derive(Deserialize)]
struct Fields<'a> {
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
pub(crate) fn refusal(e: serde_json::Error) -> AppError {
    match e.classify() {
        serde_json::error::Category::Data => AppError::InvalidEvent(e.to_string()),
        _ => AppError::InvalidJson(e.to_string()),
    }
}

/// The status a person would name the event by: call events carry `status`;
/// record, input and transfer events are told apart by their fields.
fn status_of(fields: &Fields<'_>) -> Result<String, AppError> {
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

/// Parses and validates a posted event body. `body` must already be within
/// the webhook's size limit.
pub fn parse(body: &[u8], received_ms: u64) -> Result<Event, AppError> {
    if nests_deeper_than(body, MAX_NESTING) {
        return Err(AppError::InvalidJson(format!(
            "nested deeper than {MAX_NESTING} levels"
        )));
    }
    // serde_json validates the fields it skips too.
    let fields: Fields<'_> = serde_json::from_slice(body).map_err(refusal)?;
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
    // A timestamp that does not parse is kept in the body; the receive time orders the entry.
    let at_ms = fields
        .timestamp
        .as_deref()
        .and_then(time::parse_rfc3339)
        .unwrap_or(received_ms);
    Ok(Event {
        call_id,
        status,
        at_ms,
        uuid: fields.uuid.or(fields.call_uuid).map(Cow::into_owned),
        conversation_uuid: fields.conversation_uuid.map(Cow::into_owned),
        direction: fields.direction.map(Cow::into_owned),
        from: fields.from.map(Party::into_string),
        to: fields.to.map(Party::into_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEG: &str = "63f61863-4a51-4f6b-86e1-46edebcf9356";
    const NOW: u64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

    #[test]
    fn call_uuid_and_event_types_are_understood() {
        let record = parse(
            format!(r#"{{"call_uuid":"{LEG}","recording_url":"https://x"}}"#).as_bytes(),
            NOW,
        )
        .unwrap();
        assert_eq!(record.status, "record");
        assert_eq!(record.uuid.as_deref(), Some(LEG));
        let input = parse(
            format!(r#"{{"uuid":"{LEG}","dtmf":{{"digits":"1"}}}}"#).as_bytes(),
            NOW,
        )
        .unwrap();
        assert_eq!(input.status, "input");
        let transfer = parse(
            format!(r#"{{"uuid":"{LEG}","type":"transfer"}}"#).as_bytes(),
            NOW,
        )
        .unwrap();
        assert_eq!(transfer.status, "transfer");
    }

    #[test]
    fn events_without_a_timestamp_use_the_receive_time() {
        let e = parse(
            format!(r#"{{"uuid":"{LEG}","status":"ringing"}}"#).as_bytes(),
            NOW,
        )
        .unwrap();
        assert_eq!(e.at_ms, NOW);
        assert_eq!(e.call_id, LEG);
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
