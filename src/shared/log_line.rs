//! The worker's log lines: one JSON object each, so Workers Logs can filter
//! by field (`level`, `route`, `call`, `outcome`), with every phone number in
//! the text cut to its ends as ops see them (`447…001`). Secrets never reach
//! a log line: nothing that formats one is passed here.

use std::borrow::Cow;

use serde::Serialize;

use super::phone::PhoneNumber;

#[derive(Debug, Serialize)]
pub struct LogLine<'a> {
    pub level: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<&'a str>,
    /// The call's id (`conversation_uuid`, else the leg's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<&'a str>,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub message: &'a str,
}

impl LogLine<'_> {
    /// The line as JSON, numbers masked.
    pub fn to_json(&self) -> String {
        let message = mask_numbers(self.message);
        let call = self.call.map(mask_numbers);
        let line = LogLine {
            message: &message,
            call: call.as_deref(),
            ..*self
        };
        serde_json::to_string(&line).unwrap_or_default()
    }
}

/// A line of `level` with just a message.
pub fn message(level: &str, text: &str) -> String {
    LogLine {
        level,
        route: None,
        call: None,
        outcome: None,
        message: text,
    }
    .to_json()
}

/// Every run of 7 or more digits standing on its own (a phone number, not
/// part of an id) cut to its first and last three.
pub fn mask_numbers(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let part_of_word = |i: usize| bytes[i].is_ascii_alphanumeric() || bytes[i] == b'-';
    let mut out = String::new();
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let alone =
            (start == 0 || !part_of_word(start - 1)) && (i == bytes.len() || !part_of_word(i));
        if alone && i - start >= 7 {
            out.push_str(&text[copied..start]);
            out.push_str(&PhoneNumber::abbreviated(&text[start..i]));
            copied = i;
        }
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_are_cut_to_their_ends_and_ids_left_alone() {
        assert_eq!(
            mask_numbers("ring 447700900001 then +447700900002."),
            "ring 447…001 then +447…002."
        );
        let id = "CON-550e8400-e29b-41d4-a716-446655440000 leg 63f61863";
        assert_eq!(mask_numbers(id), id);
        assert_eq!(mask_numbers("port 8787, 2 calls"), "port 8787, 2 calls");
    }

    #[test]
    fn a_line_is_one_json_object() {
        let line = LogLine {
            level: "info",
            route: Some("answer"),
            call: Some("CON-1"),
            outcome: Some("connect"),
            message: "to 447700900001",
        }
        .to_json();
        assert_eq!(
            line,
            r#"{"level":"info","route":"answer","call":"CON-1","outcome":"connect","message":"to 447…001"}"#
        );
        assert_eq!(
            message("error", "a \"quoted\"\nline"),
            r#"{"level":"error","message":"a \"quoted\"\nline"}"#
        );
    }
}
