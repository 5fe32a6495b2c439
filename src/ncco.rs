//! NCCOs (Nexmo Call Control Objects): the typed actions this service
//! answers with, after Vonage's NCCO reference, and the path a call takes
//! through them.
//!
//! An admitted call is greeted, then rings the destination numbers one after
//! another: each `connect` is synchronous (NCCO reference, connect:
//! `eventType: "synchronous"` "enables `eventUrl` to return an NCCO that
//! overrides the current NCCO when a call moves to specific states"), rings
//! for `RING_SECONDS` (`timeout`), and sends its leg's events to this
//! worker's event webhook with the number's place in the list. When that leg
//! ends unanswered, busy, timed out, rejected or failed, the event
//! webhook's answer is the NCCO for the next number; after the last, for
//! voicemail (`talk`, then `record` with a beep, stopping on silence or at a
//! maximum length, its `eventUrl` the recording webhook). Out of hours, the
//! call goes straight to voicemail.

use serde::{Deserialize, Serialize};

use crate::config::AnswerSettings;
use crate::phone::PhoneNumber;
use crate::speech::{ENGLISH, Speech};

/// NCCO `talk.text` is limited to 1,500 characters (NCCO reference, talk).
pub const TALK_TEXT_MAX_CHARS: usize = 1500;
/// NCCO `record.endOnSilence` takes 3 to 10 seconds (NCCO reference, record).
pub const RECORD_END_ON_SILENCE_SECONDS: u8 = 3;
/// NCCO `record.timeOut` takes 3 to 7200 seconds.
pub const RECORD_TIMEOUT_SECONDS: std::ops::RangeInclusive<u32> = 3..=7200;

pub const EVENT_PATH: &str = "/webhooks/event";
pub const RECORDING_PATH: &str = "/webhooks/recording";
/// The query parameters of a ring-list leg's event URL: the number's
/// place, and the caller's language when not English.
pub const RING_PARAM: &str = "ring";
pub const LANG_PARAM: &str = "lang";

/// The NCCO actions this service uses, typed after Vonage's NCCO reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum Action {
    Talk {
        text: String,
        /// BCP-47, e.g. `de-DE`; Vonage's default (`en-US`) when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        language: Option<String>,
    },
    Connect {
        from: String,
        endpoint: Vec<Endpoint>,
        #[serde(rename = "eventType", default, skip_serializing_if = "Option::is_none")]
        event_type: Option<String>,
        /// Seconds to ring before giving up.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout: Option<u32>,
        #[serde(rename = "eventUrl", default, skip_serializing_if = "Option::is_none")]
        event_url: Option<Vec<String>>,
    },
    Record {
        #[serde(rename = "beepStart")]
        beep_start: bool,
        #[serde(rename = "endOnSilence")]
        end_on_silence: u8,
        #[serde(rename = "timeOut")]
        time_out: u32,
        format: String,
        #[serde(rename = "eventUrl")]
        event_url: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Endpoint {
    Phone { number: String },
}

pub type Ncco = Vec<Action>;

/// Who is being answered: the words of their language, and its code (a
/// ring-list leg's event URL carries it, so the next NCCO speaks it too).
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    pub speech: &'a Speech,
    pub lang: &'a str,
}

/// One `talk` in the caller's voice.
fn talk(text: String, speech: &Speech) -> Action {
    Action::Talk {
        text,
        language: speech.talk_language.clone(),
    }
}

/// One `talk` and nothing else: nothing is dialled.
pub fn say(text: &str, speech: &Speech) -> Ncco {
    vec![talk(text.to_owned(), speech)]
}

/// Spoken when the service cannot connect the caller, so Vonage never gets
/// an error page (which it would read as a failed call with no explanation).
pub fn apology(speech: &Speech) -> Ncco {
    say(&speech.apology, speech)
}

/// Where this worker is reached (`scheme://host`), for the URLs Vonage calls back.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a>(pub &'a str);

fn ring_leg(
    settings: &AnswerSettings,
    origin: Origin<'_>,
    index: usize,
    lang: &str,
) -> Option<Action> {
    let number: &PhoneNumber = settings.destinations.get(index)?;
    let lang = if lang == ENGLISH {
        String::new()
    } else {
        format!("&{LANG_PARAM}={lang}")
    };
    Some(Action::Connect {
        from: settings.support_number.as_str().to_owned(),
        endpoint: vec![Endpoint::Phone {
            number: number.as_str().to_owned(),
        }],
        event_type: Some("synchronous".into()),
        timeout: Some(settings.ring_seconds),
        event_url: Some(vec![format!(
            "{}{EVENT_PATH}?{RING_PARAM}={index}{lang}",
            origin.0
        )]),
    })
}

/// An admitted call in opening hours: the greeting, then the first number.
pub fn greet_and_ring(settings: &AnswerSettings, origin: Origin<'_>, caller: Caller<'_>) -> Ncco {
    let mut ncco = vec![talk(
        settings.greeting_for(caller.lang, caller.speech),
        caller.speech,
    )];
    ncco.extend(ring_leg(settings, origin, 0, caller.lang));
    ncco
}

/// `talk` the words, then record the caller's message.
pub fn voicemail(
    settings: &AnswerSettings,
    origin: Origin<'_>,
    words: String,
    speech: &Speech,
) -> Ncco {
    vec![
        talk(words, speech),
        Action::Record {
            beep_start: true,
            end_on_silence: RECORD_END_ON_SILENCE_SECONDS,
            time_out: settings.voicemail_seconds,
            format: "mp3".into(),
            event_url: vec![format!("{}{RECORDING_PATH}", origin.0)],
        },
    ]
}

/// The statuses after which a ringing number is given up on (Voice API
/// webhook reference: unanswered, busy, timeout, rejected, failed).
pub fn rang_out(status: &str) -> bool {
    matches!(
        status,
        "unanswered" | "busy" | "timeout" | "rejected" | "failed"
    )
}

/// What follows a ring-list leg's event: the next number, or voicemail
/// after the last; `None` when the event changes nothing (ringing,
/// answered, completed...).
pub fn after_ring(
    settings: &AnswerSettings,
    origin: Origin<'_>,
    index: usize,
    status: &str,
    caller: Caller<'_>,
) -> Option<Ncco> {
    if !rang_out(status) {
        return None;
    }
    Some(match ring_leg(settings, origin, index + 1, caller.lang) {
        Some(next) => vec![next],
        None => voicemail(
            settings,
            origin,
            caller.speech.no_answer_words(),
            caller.speech,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::config;

    fn settings(numbers: &str) -> AnswerSettings {
        let key = crate::key::tests::test_key_pem();
        config(&[
            ("SUPPORT_PHONE_NUMBER", "447700900000"),
            ("DESTINATION_PHONE_NUMBERS", numbers),
            ("VONAGE_PRIVATE_KEY", &key),
        ])
        .answer
        .unwrap()
    }

    const ORIGIN: Origin<'static> = Origin("https://call.example.com");

    fn english() -> Speech {
        Speech::english()
    }

    #[test]
    fn an_admitted_call_is_greeted_then_rings_the_first_number_synchronously() {
        let en = english();
        let ncco = greet_and_ring(
            &settings("447700900001,447700900002"),
            ORIGIN,
            Caller {
                speech: &en,
                lang: "en",
            },
        );
        assert_eq!(
            serde_json::to_value(&ncco).unwrap(),
            serde_json::json!([
                {"action": "talk", "text": "Thank you for calling Acme support. Transferring you now."},
                {"action": "connect", "from": "447700900000", "endpoint": [{"type": "phone", "number": "447700900001"}],
                 "eventType": "synchronous", "timeout": 20, "eventUrl": ["https://call.example.com/webhooks/event?ring=0"]}
            ])
        );
    }

    #[test]
    fn a_number_that_rings_out_hands_over_to_the_next_then_to_voicemail() {
        let s = settings("447700900001,447700900002");
        let en = english();
        let caller = Caller {
            speech: &en,
            lang: "en",
        };
        for status in ["unanswered", "busy", "timeout", "rejected", "failed"] {
            let next = after_ring(&s, ORIGIN, 0, status, caller).unwrap();
            assert!(
                matches!(&next[..], [Action::Connect { endpoint, event_url: Some(url), .. }]
                if endpoint == &vec![Endpoint::Phone { number: "447700900002".into() }] && url[0].ends_with("?ring=1")),
                "{status}"
            );
        }
        for status in ["started", "ringing", "answered", "completed"] {
            assert!(
                after_ring(&s, ORIGIN, 0, status, caller).is_none(),
                "{status}"
            );
        }
        let last = after_ring(&s, ORIGIN, 1, "busy", caller).unwrap();
        assert!(matches!(&last[0], Action::Talk { text, .. } if *text == en.no_answer_words()));
        assert_eq!(
            serde_json::to_value(&last[1]).unwrap(),
            serde_json::json!({"action": "record", "beepStart": true, "endOnSilence": 3, "timeOut": 120, "format": "mp3",
                "eventUrl": ["https://call.example.com/webhooks/recording"]})
        );
    }

    #[test]
    fn another_language_speaks_in_its_voice_and_keeps_its_language_down_the_ring_list() {
        let s = settings("447700900001,447700900002");
        let german = Speech::from_file(include_str!("../site/i18n/de.json")).unwrap();
        let caller = Caller {
            speech: &german,
            lang: "de",
        };
        let ncco = greet_and_ring(&s, ORIGIN, caller);
        assert_eq!(
            serde_json::to_value(&ncco[0]).unwrap(),
            serde_json::json!({"action": "talk", "text": "Vielen Dank für Ihren Anruf beim Support von Acme. Wir verbinden Sie jetzt.", "language": "de-DE"})
        );
        assert!(
            matches!(&ncco[1], Action::Connect { event_url: Some(url), .. } if url[0].ends_with("?ring=0&lang=de"))
        );
        let last = after_ring(&s, ORIGIN, 1, "busy", caller).unwrap();
        assert!(matches!(&last[0], Action::Talk { language: Some(l), .. } if l == "de-DE"));
    }

    #[test]
    fn an_apology_dials_no_one() {
        let en = english();
        assert_eq!(
            serde_json::to_string(&apology(&en)).unwrap(),
            format!(r#"[{{"action":"talk","text":"{}"}}]"#, en.apology)
        );
    }
}
