//! The ring list: an admitted call is greeted, then rings the destination
//! numbers one after another.
//!
//! Each `connect` is synchronous (NCCO reference, connect: `eventType:
//! "synchronous"` "enables `eventUrl` to return an NCCO that overrides the
//! current NCCO when a call moves to specific states"), rings for
//! `RING_SECONDS` (`timeout`), and sends its leg's events to this worker's
//! event webhook with the number's place in the list. When that leg ends
//! unanswered, busy, timed out, rejected or failed, the event webhook's
//! answer is the NCCO for the next number; after the last, voicemail.

use crate::shared::origin::WorkerOrigin;
use crate::shared::paths::EVENT_PATH;
use crate::shared::phone::PhoneNumber;
use crate::vonage::legs::{self, Leg};
use crate::vonage::ncco::{Action, Endpoint, Ncco, OnAnswer};

use super::answer::{AnswerSettings, Hours};
use super::speech::{Caller, ENGLISH, language_code, talk};
use super::voicemail;
use super::whisper::{CONTEXT_PARAM, CallerContext};

/// The query parameters of a ring-list leg's event URL: the number's
/// place, and the caller's language when not English.
pub const RING_PARAM: &str = "ring";
pub const LANG_PARAM: &str = "lang";

fn ring_leg(
    settings: &AnswerSettings,
    origin: WorkerOrigin<'_>,
    index: usize,
    caller: Caller<'_>,
) -> Option<Action> {
    let number: &PhoneNumber = settings.destinations.get(index)?;
    let mut query = form_urlencoded::Serializer::new(format!("{RING_PARAM}={index}"));
    if caller.lang != ENGLISH {
        query.append_pair(LANG_PARAM, caller.lang);
    }
    if !caller.context.is_empty() {
        query.append_pair(CONTEXT_PARAM, &caller.context.to_query());
    }
    let query = query.finish();
    Some(Action::Connect {
        from: settings.support_number.as_str().to_owned(),
        endpoint: vec![Endpoint::Phone {
            number: number.as_str().to_owned(),
            on_answer: Some(OnAnswer {
                url: caller.context.whisper_url(origin),
            }),
        }],
        event_type: Some("synchronous".into()),
        timeout: Some(settings.ring_seconds),
        limit: Some(settings.limits.call_seconds()),
        // `continue`, not `hangup`: a hung-up leg leaves the call with no NCCO
        // to run, while the `machine` event is answered with the next number
        // (see `rang_out`); should Vonage not act on that answer, the caller
        // is left with the support line's own voicemail, not with silence.
        machine_detection: settings.skip_machines.then(|| "continue".into()),
        event_url: Some(vec![format!("{}{EVENT_PATH}?{query}", origin.0)]),
    })
}

/// An admitted call in opening hours: the greeting, then the first number.
pub fn greet_and_ring(
    settings: &AnswerSettings,
    origin: WorkerOrigin<'_>,
    caller: Caller<'_>,
) -> Ncco {
    let mut ncco = vec![talk(
        settings.greeting_for(caller.lang, caller.speech),
        caller.speech,
    )];
    ncco.extend(ring_leg(settings, origin, 0, caller));
    ncco
}

/// A ring-list number that rang out: its place in the list, the caller's
/// language and context, as its leg's event URL carries them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangOut<'a> {
    pub index: usize,
    pub lang: &'a str,
    pub context: CallerContext,
}

/// Whether an event hands the call over to the next number: a leg that rang
/// out (`legs::rang_out`), or that a machine answered when machines are
/// skipped (`RING_SKIP_MACHINES`), reported to a ring-list event URL
/// (`?ring=<n>`), and not the visitor's own leg, whatever URL its event came
/// to.
pub fn rang_out<'a>(
    status: &str,
    direction: Option<&str>,
    query: &'a [(String, String)],
    skip_machines: bool,
) -> Option<RangOut<'a>> {
    let over = legs::rang_out(status) || (skip_machines && status == legs::MACHINE);
    if !over || Leg::of(direction) == Leg::Visitor {
        return None;
    }
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    Some(RangOut {
        index: param(RING_PARAM)?.parse().ok()?,
        lang: language_code(param(LANG_PARAM)),
        context: param(CONTEXT_PARAM)
            .map(CallerContext::from_query)
            .unwrap_or_default(),
    })
}

/// What follows a number that rang out: the next number, or voicemail after
/// the last.
pub fn after(
    settings: &AnswerSettings,
    origin: WorkerOrigin<'_>,
    index: usize,
    caller: Caller<'_>,
) -> Ncco {
    match ring_leg(settings, origin, index + 1, caller) {
        Some(next) => vec![next],
        None => voicemail::for_hours(settings, origin, &Hours::Open, caller.speech),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::speech::Speech;
    use crate::call::whisper::CallerContext;
    use crate::config::tests::config;

    fn settings(numbers: &str) -> AnswerSettings {
        let key = crate::vonage::private_key::tests::test_key_pem();
        config(&[
            ("SUPPORT_PHONE_NUMBER", "447700900000"),
            ("DESTINATION_PHONE_NUMBERS", numbers),
            ("VONAGE_PRIVATE_KEY", &key),
        ])
        .answer
        .unwrap()
    }

    const ORIGIN: WorkerOrigin<'static> = WorkerOrigin("https://call.example.com");

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
                context: &CallerContext::default(),
            },
        );
        assert_eq!(
            serde_json::to_value(&ncco).unwrap(),
            serde_json::json!([
                {"action": "talk", "text": "Thank you for calling Acme support. Transferring you now."},
                {"action": "connect", "from": "447700900000", "endpoint": [{"type": "phone", "number": "447700900001",
                    "onAnswer": {"url": "https://call.example.com/webhooks/whisper"}}],
                 "eventType": "synchronous", "timeout": 20, "limit": 3600, "machineDetection": "continue",
                 "eventUrl": ["https://call.example.com/webhooks/event?ring=0"]}
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
            context: &CallerContext::default(),
        };
        let next = after(&s, ORIGIN, 0, caller);
        assert!(
            matches!(&next[..], [Action::Connect { endpoint, event_url: Some(url), .. }]
            if endpoint == &vec![Endpoint::Phone { number: "447700900002".into(), on_answer: Some(OnAnswer { url: "https://call.example.com/webhooks/whisper".into() }) }] && url[0].ends_with("?ring=1"))
        );
        let last = after(&s, ORIGIN, 1, caller);
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
        let german = Speech::from_file(include_str!("../../site/i18n/de.json")).unwrap();
        let caller = Caller {
            speech: &german,
            lang: "de",
            context: &CallerContext::default(),
        };
        let ncco = greet_and_ring(&s, ORIGIN, caller);
        assert_eq!(
            serde_json::to_value(&ncco[0]).unwrap(),
            serde_json::json!({"action": "talk", "text": "Vielen Dank für Ihren Anruf beim Support von Acme. Wir verbinden Sie jetzt.", "language": "de-DE"})
        );
        assert!(
            matches!(&ncco[1], Action::Connect { event_url: Some(url), .. } if url[0].ends_with("?ring=0&lang=de"))
        );
        let last = after(&s, ORIGIN, 1, caller);
        assert!(matches!(&last[0], Action::Talk { language: Some(l), .. } if l == "de-DE"));
    }

    #[test]
    fn the_agent_hears_who_is_calling_on_every_number_of_the_ring_list() {
        let s = settings("447700900001,447700900002");
        let en = english();
        let context = CallerContext {
            name: Some("Anna".into()),
            reason: None,
            page: Some("/pricing".into()),
        };
        let caller = Caller {
            speech: &en,
            lang: "en",
            context: &context,
        };
        let ncco = greet_and_ring(&s, ORIGIN, caller);
        let Action::Connect {
            endpoint,
            event_url: Some(url),
            ..
        } = &ncco[1]
        else {
            panic!("{ncco:?}")
        };
        assert_eq!(
            endpoint,
            &vec![Endpoint::Phone {
                number: "447700900001".into(),
                on_answer: Some(OnAnswer {
                    url: "https://call.example.com/webhooks/whisper?name=Anna&page=%2Fpricing"
                        .into()
                })
            }]
        );
        assert_eq!(
            url[0],
            "https://call.example.com/webhooks/event?ring=0&who=name%3DAnna%26page%3D%252Fpricing"
        );
        // The next number's event brings the context back: it hears it too.
        let query: Vec<(String, String)> =
            form_urlencoded::parse(url[0].split_once('?').unwrap().1.as_bytes())
                .into_owned()
                .collect();
        let rang = rang_out("unanswered", Some("outbound"), &query, true).unwrap();
        assert_eq!(rang.context, context);
    }

    #[test]
    fn a_leg_hands_over_only_when_it_rang_out_on_a_ring_list_url() {
        let query = |q: &[(&str, &str)]| -> Vec<(String, String)> {
            q.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let ring1 = query(&[("ring", "1"), ("lang", "de")]);
        for status in ["unanswered", "busy", "timeout", "rejected", "failed"] {
            assert_eq!(
                rang_out(status, Some("outbound"), &ring1, true),
                Some(RangOut {
                    index: 1,
                    lang: "de",
                    context: CallerContext::default(),
                }),
                "{status}"
            );
        }
        for status in ["started", "ringing", "answered", "completed"] {
            assert_eq!(
                rang_out(status, Some("outbound"), &ring1, true),
                None,
                "{status}"
            );
        }
        assert_eq!(
            rang_out("busy", Some("inbound"), &ring1, true),
            None,
            "the visitor's own leg never hands over"
        );
        assert_eq!(
            rang_out("busy", None, &query(&[("ring", "0")]), true),
            Some(RangOut {
                index: 0,
                lang: "en",
                context: CallerContext::default(),
            })
        );
        assert_eq!(
            rang_out("busy", Some("outbound"), &[], true),
            None,
            "not a ring-list URL"
        );
        assert_eq!(
            rang_out("busy", Some("outbound"), &query(&[("ring", "x")]), true),
            None
        );
        // A machine answering: rang out when machines are skipped.
        assert_eq!(
            rang_out("machine", None, &ring1, true),
            Some(RangOut {
                index: 1,
                lang: "de",
                context: CallerContext::default(),
            })
        );
        assert_eq!(rang_out("machine", None, &ring1, false), None);
    }
}
