//! The answer webhook's decision: connect, refuse or apologise, and the NCCO
//! that follows from it.

use crate::calllog::entry::Answered;
use crate::error::ConfigError;
use crate::shared::origin::WorkerOrigin;
use crate::shared::phone::PhoneNumber;
use crate::vonage::answer_request::AnswerRequest;
use crate::vonage::ncco::Ncco;

use super::guard::{Admission, AdmitRequest, CallLimits, Refusal, Struck};
use super::hours::{Local, OpeningHours, ZoneRules};
use super::speech::{self, Caller, Speech};
use super::ticket::{self, TicketKey, TicketProblem};
use super::{line, ring, voicemail};

/// The answer webhook: where a call goes, and what calls may cost.
#[derive(Debug, Clone)]
pub struct AnswerSettings {
    /// `GREETING`; `None`: the language file's greeting with the company's name.
    pub greeting: Option<String>,
    /// `GREETING_<LANG>` (e.g. `GREETING_DE`), by language code (`de`).
    pub greetings: Vec<(String, String)>,
    pub company_name: String,
    pub support_number: PhoneNumber,
    /// Tried in order (the ring list); at least one.
    pub destinations: Vec<PhoneNumber>,
    /// How long each number rings.
    pub ring_seconds: u32,
    /// A machine answering a ring-list number counts as rang out
    /// (`RING_SKIP_MACHINES`).
    pub skip_machines: bool,
    /// The longest voicemail message.
    pub voicemail_seconds: u32,
    /// `HOLD_MUSIC_URL`; `None`: the file the worker serves.
    pub hold_music: Option<String>,
    /// `None`: always open.
    pub hours: Option<OpeningHours>,
    pub limits: CallLimits,
    /// Checks the call ticket that must come with every call.
    pub ticket_key: TicketKey,
}

impl AnswerSettings {
    /// What a caller hears first: `GREETING_<LANG>`, else (in English)
    /// `GREETING`, else the language file's greeting with the company's name.
    pub fn greeting_for(&self, lang: &str, speech: &Speech) -> String {
        if let Some((_, text)) = self.greetings.iter().find(|(l, _)| l == lang) {
            return text.clone();
        }
        match &self.greeting {
            Some(text) if lang == speech::ENGLISH => text.clone(),
            _ => speech.greeting(&self.company_name),
        }
    }
}

/// The visitor's language, as the page put it in the call's context
/// (`custom_data.lang`); English when absent or not a language code.
pub fn language(request: &AnswerRequest) -> String {
    speech::language_code(request.context("lang").as_deref()).to_owned()
}

/// What the call guard is asked about a call: its ticket must be genuine,
/// fresh and the caller's own, and its leg named; otherwise the decision is
/// made here, without asking. Also the language the ticket carries.
pub fn guard_question(
    request: &AnswerRequest,
    settings: &AnswerSettings,
    origin: WorkerOrigin<'_>,
    now_seconds: u64,
) -> Result<(AdmitRequest, Option<String>), Decision> {
    let presented = request.context("ticket");
    let ticket = ticket::verify(
        &settings.ticket_key,
        presented.as_deref(),
        request.caller(),
        now_seconds,
    )
    .map_err(Decision::Ticket)?;
    let leg = request
        .uuid
        .clone()
        .ok_or(Decision::Ticket(TicketProblem::Malformed))?;
    let lang = ticket.lang.clone().unwrap_or_else(|| language(request));
    Ok((
        AdmitRequest {
            ticket_id: ticket.id,
            client: ticket.client,
            leg,
            user: request.caller().unwrap_or_default().to_owned(),
            lang,
            origin: origin.0.to_owned(),
            context: ticket.context.to_query(),
            limits: settings.limits,
        },
        ticket.lang,
    ))
}

/// Whether the line is open as a call comes in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hours {
    Open,
    /// `next_open`: when it opens again, in the company's zone.
    Closed {
        next_open: Option<Local>,
    },
}

impl Hours {
    /// From the configured opening hours (none: always open).
    pub fn at(settings: &AnswerSettings, rules: &impl ZoneRules, now_ms: i64) -> Self {
        match &settings.hours {
            Some(hours) if !hours.is_open(rules, now_ms) => Hours::Closed {
                next_open: hours.next_open(rules, now_ms).map(|(_, local)| local),
            },
            _ => Hours::Open,
        }
    }
}

/// How the answer webhook answered, and why: the NCCO follows from it, and
/// so does the answered entry ops read in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Greeting, then connect: the ticket admitted the call.
    Connect,
    /// Admitted while every line is busy: on hold, at this place in line.
    Wait(u32),
    /// The service cannot route calls (a variable is missing or malformed).
    NotConfigured(ConfigError),
    /// No valid ticket came with the call.
    Ticket(TicketProblem),
    /// The guard refused the call.
    Refused(Refusal),
    /// The guard could not be asked; no call is connected unguarded.
    GuardUnavailable,
    /// The request came unsigned, and no one said unsigned webhooks are
    /// intended: it may not be Vonage's, so nothing is dialled or recorded.
    Unsigned,
}

impl Decision {
    pub fn from_admission(admission: Admission) -> Self {
        match admission {
            Admission::Connect => Decision::Connect,
            Admission::Wait(place) => Decision::Wait(place),
            Admission::Refuse(why) => Decision::Refused(why),
        }
    }

    /// What Vonage runs. Only an admitted call rings anyone (or, out of
    /// hours, records a voicemail).
    pub fn ncco(
        &self,
        settings: Option<&AnswerSettings>,
        origin: WorkerOrigin<'_>,
        hours: &Hours,
        caller: Caller<'_>,
    ) -> Ncco {
        let speech = caller.speech;
        match (self, settings) {
            // Out of hours nobody is put through, and nobody waits for a line.
            (Decision::Connect | Decision::Wait(_), Some(settings)) => match (self, hours) {
                (_, Hours::Closed { .. }) => voicemail::for_hours(settings, origin, hours, speech),
                (Decision::Wait(place), Hours::Open) => {
                    line::hold_ncco(settings, origin, *place, caller)
                }
                _ => ring::greet_and_ring(settings, origin, caller),
            },
            // The line is full too: a message instead.
            (Decision::Refused(Refusal::LinesBusy), Some(settings)) => {
                voicemail::for_hours(settings, origin, &Hours::Open, speech)
            }
            (
                Decision::Refused(
                    Refusal::LinesBusy | Refusal::ClientLimit | Refusal::ClientOnCall,
                ),
                _,
            ) => speech::say(&speech.lines_busy, speech),
            _ => speech::apology(speech),
        }
    }

    /// The answered entry's status: `answered` when connected (or when the
    /// service itself is at fault), `refused` when the call was turned away.
    pub fn status(&self) -> &'static str {
        match self {
            Decision::Ticket(_) | Decision::Refused(_) => "refused",
            _ => "answered",
        }
    }

    /// `connect`, `voicemail`, `apology` or `refused`, for the log.
    pub fn ncco_label(&self, hours: &Hours) -> &'static str {
        match self {
            Decision::Connect | Decision::Wait(_) if matches!(hours, Hours::Closed { .. }) => {
                "voicemail"
            }
            Decision::Connect => "connect",
            Decision::Wait(_) => "hold",
            Decision::Refused(Refusal::LinesBusy) => "voicemail",
            Decision::Ticket(_) | Decision::Refused(_) => "refused",
            Decision::NotConfigured(_) | Decision::GuardUnavailable | Decision::Unsigned => {
                "apology"
            }
        }
    }

    /// Whether the call gets an entry in the log. A call without a valid
    /// ticket is counted in the guard against its user's client (`struck`),
    /// and only the client's first such call of the hour is written: one
    /// caller's script must not write the log once per call. A user the guard
    /// never issued (the development user, or a guard that lost its memory)
    /// and a guard that could not be asked leave nothing to count, so such
    /// calls are written: only our key mints tokens, so they cannot be made
    /// in bulk by a stranger. An unsigned request (perhaps not Vonage's)
    /// writes nothing.
    pub fn logged(&self, struck: Option<Struck>) -> bool {
        match self {
            Decision::Unsigned => false,
            Decision::Ticket(_) => struck.is_none_or(|s| s.first || !s.known),
            _ => true,
        }
    }

    /// How the call was answered, for its entry in the log.
    pub fn answered(&self, hours: &Hours) -> Answered {
        Answered {
            status: self.status(),
            ncco: self.ncco_label(hours),
            reason: self.reason(),
            caller: None,
        }
    }

    /// Why, in words ops can filter on; `None` when connected.
    pub fn reason(&self) -> Option<String> {
        match self {
            Decision::Connect => None,
            Decision::Wait(_) => Some("waiting".into()),
            Decision::NotConfigured(e) => Some(format!("not_configured: {}", e.variable)),
            Decision::Ticket(p) => Some(format!("ticket_{}", p.as_str())),
            Decision::Refused(r) => Some(r.as_str().to_owned()),
            Decision::GuardUnavailable => Some("guard_unavailable".into()),
            Decision::Unsigned => Some("unsigned".into()),
        }
    }
}

/// The NCCO for Vonage's `fallback_answer_url`, asked when the answer
/// webhook failed: voicemail (or, out of hours, the closed message and
/// voicemail), decided from configuration alone, so it works when the log,
/// the queue and the call guard do not. Without usable settings: the apology.
pub fn fallback_ncco(
    settings: Option<&AnswerSettings>,
    origin: WorkerOrigin<'_>,
    hours: &Hours,
    caller: Caller<'_>,
) -> Ncco {
    let speech = caller.speech;
    let Some(settings) = settings else {
        return speech::apology(speech);
    };
    voicemail::for_hours(settings, origin, hours, speech)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::whisper::CallerContext;

    #[test]
    fn only_an_admitted_call_is_connected() {
        use crate::config::tests::config;
        use crate::vonage::ncco::Action;
        let key = crate::vonage::private_key::tests::test_key_pem();
        let c = config(&[
            ("SUPPORT_PHONE_NUMBER", "447700900000"),
            ("DESTINATION_PHONE_NUMBER", "447700900001"),
            ("VONAGE_PRIVATE_KEY", &key),
        ]);
        let settings = c.answer.as_ref().ok();
        let origin = WorkerOrigin("https://call.example.com");
        let en = crate::call::speech::Speech::english();
        let caller = Caller {
            speech: &en,
            lang: "en",
            context: &CallerContext::default(),
        };
        let connects = |d: &Decision| {
            d.ncco(settings, origin, &Hours::Open, caller)
                .iter()
                .any(|a| matches!(a, Action::Connect { .. }))
        };
        assert!(connects(&Decision::Connect));
        for d in [
            Decision::Ticket(TicketProblem::Missing),
            Decision::Ticket(TicketProblem::Expired),
            Decision::Refused(Refusal::TicketUsed),
            Decision::Refused(Refusal::LinesBusy),
            Decision::GuardUnavailable,
        ] {
            assert!(!connects(&d), "{d:?}");
        }
        let busy = Decision::Refused(Refusal::LinesBusy);
        let ncco = busy.ncco(settings, origin, &Hours::Open, caller);
        // Every line busy and the waiting line full: a message instead.
        assert!(
            matches!(&ncco[0], Action::Talk { text, .. } if text.contains("no one can take your call"))
        );
        assert!(matches!(&ncco[1], Action::Record { .. }));
        assert_eq!(
            (
                busy.status(),
                busy.ncco_label(&Hours::Open),
                busy.reason().as_deref()
            ),
            ("refused", "voicemail", Some("lines_busy"))
        );
        // Every line busy: on hold, the place said, music, then (should no
        // transfer come) voicemail.
        let wait = Decision::Wait(2);
        let ncco = wait.ncco(settings, origin, &Hours::Open, caller);
        assert!(
            matches!(&ncco[0], Action::Talk { text, .. } if text.contains("You are number 2 in line"))
        );
        assert!(matches!(&ncco[1], Action::Stream { stream_url, repeat }
            if stream_url == &["https://call.example.com/audio/hold.wav"] && *repeat == (300 + 120) / 10));
        assert!(matches!(&ncco[3], Action::Record { .. }));
        assert!(!connects(&wait));
        assert_eq!(
            (wait.status(), wait.ncco_label(&Hours::Open)),
            ("answered", "hold")
        );
        let ticket = Decision::Ticket(TicketProblem::Expired);
        assert_eq!(ticket.reason().as_deref(), Some("ticket_expired"));
        assert_eq!(Decision::Connect.reason(), None);
        // Out of hours an admitted call goes to voicemail, dialling no one.
        let closed = Hours::Closed {
            next_open: Some(Local {
                date: crate::shared::time::Date::parse("2026-11-30").unwrap(),
                minute: 540,
            }),
        };
        let ncco = Decision::Connect.ncco(settings, origin, &closed, caller);
        assert!(!ncco.iter().any(|a| matches!(a, Action::Connect { .. })));
        assert!(
            matches!(&ncco[0], Action::Talk { text, .. } if text.contains("We open again on Monday at 09:00"))
        );
        assert!(matches!(&ncco[1], Action::Record { .. }));
        assert_eq!(Decision::Connect.ncco_label(&closed), "voicemail");
        // Nor does anyone wait for a line out of hours.
        let waited = Decision::Wait(1).ncco(settings, origin, &closed, caller);
        assert_eq!(waited, ncco);
        assert_eq!(Decision::Wait(1).ncco_label(&closed), "voicemail");
    }

    #[test]
    fn the_language_comes_from_the_calls_context() {
        let request = AnswerRequest::from_query([("custom_data", r#"{"ticket":"t","lang":"de"}"#)]);
        assert_eq!(language(&request), "de");
        let request = AnswerRequest::from_query([("custom_data", r#"{"lang":"../../x"}"#)]);
        assert_eq!(language(&request), "en");
        assert_eq!(language(&AnswerRequest::default()), "en");
    }

    #[test]
    fn the_guard_is_asked_only_about_a_call_with_its_callers_own_fresh_ticket() {
        use crate::config::tests::config;
        use crate::shared::client::ClientKey;
        let key = crate::vonage::private_key::tests::test_key_pem();
        let c = config(&[
            ("SUPPORT_PHONE_NUMBER", "447700900000"),
            ("DESTINATION_PHONE_NUMBER", "447700900001"),
            ("VONAGE_PRIVATE_KEY", &key),
        ]);
        let settings = c.answer.unwrap();
        let client = ClientKey::of_ip(Some("203.0.113.7"));
        let now = 1_767_225_600;
        let t = ticket::issue(
            &settings.ticket_key,
            "visitor",
            "jti",
            &client,
            "fr",
            &crate::call::whisper::CallerContext::default(),
            now,
            [3; 16],
        );
        let request =
            |user: &str, uuid: Option<&str>, custom_data: serde_json::Value| AnswerRequest {
                from_user: Some(user.into()),
                uuid: uuid.map(str::to_owned),
                custom_data: serde_json::value::to_raw_value(&custom_data).ok(),
                ..AnswerRequest::default()
            };
        let ok = request("visitor", Some("leg-1"), serde_json::json!({ "ticket": t }));
        let (question, lang) =
            guard_question(&ok, &settings, WorkerOrigin("https://w"), now + 1).unwrap();
        assert_eq!(
            (question.leg.as_str(), &question.client, lang.as_deref()),
            ("leg-1", &client, Some("fr"))
        );
        assert_eq!(question.limits, settings.limits);
        for (request, problem) in [
            (
                request("visitor", Some("leg-1"), serde_json::json!({})),
                TicketProblem::Missing,
            ),
            (
                request("mallory", Some("leg-1"), serde_json::json!({ "ticket": t })),
                TicketProblem::OtherCaller,
            ),
            (
                request("visitor", None, serde_json::json!({ "ticket": t })),
                TicketProblem::Malformed,
            ),
        ] {
            assert_eq!(
                guard_question(&request, &settings, WorkerOrigin("https://w"), now + 1)
                    .unwrap_err(),
                Decision::Ticket(problem)
            );
        }
        assert_eq!(
            guard_question(&ok, &settings, WorkerOrigin("https://w"), now + 121).unwrap_err(),
            Decision::Ticket(TicketProblem::Expired)
        );
    }

    fn settings() -> AnswerSettings {
        let key = crate::vonage::private_key::tests::test_key_pem();
        crate::config::tests::config(&[
            ("SUPPORT_PHONE_NUMBER", "447700900000"),
            ("DESTINATION_PHONE_NUMBER", "447700900001"),
            ("VONAGE_PRIVATE_KEY", &key),
        ])
        .answer
        .unwrap()
    }

    #[test]
    fn an_unsigned_request_dials_no_one_and_writes_nothing() {
        use crate::vonage::ncco::Action;
        let s = settings();
        let en = Speech::english();
        let caller = Caller {
            speech: &en,
            lang: "en",
            context: &CallerContext::default(),
        };
        let ncco = Decision::Unsigned.ncco(
            Some(&s),
            WorkerOrigin("https://call.example.com"),
            &Hours::Open,
            caller,
        );
        assert_eq!(ncco.len(), 1);
        assert!(matches!(&ncco[0], Action::Talk { text, .. } if *text == en.apology));
        assert!(!Decision::Unsigned.logged(None));
        assert_eq!(Decision::Unsigned.reason().as_deref(), Some("unsigned"));
    }

    #[test]
    fn a_call_without_a_valid_ticket_is_logged_once_an_hour_per_client() {
        let missing = Decision::Ticket(TicketProblem::Missing);
        let first = Struck {
            known: true,
            first: true,
        };
        let again = Struck {
            known: true,
            first: false,
        };
        let stranger = Struck {
            known: false,
            first: false,
        };
        assert!(missing.logged(Some(first)));
        assert!(!missing.logged(Some(again)));
        assert!(missing.logged(Some(stranger)));
        assert!(missing.logged(None), "the guard could not be asked");
        assert!(Decision::Connect.logged(None));
        assert!(Decision::Refused(Refusal::LinesBusy).logged(None));
    }

    #[test]
    fn the_fallback_records_a_message_in_the_callers_language_or_apologises() {
        use crate::vonage::ncco::Action;
        let s = settings();
        let de = Speech::from_file(include_str!("../../site/i18n/de.json")).unwrap();
        let caller = Caller {
            speech: &de,
            lang: "de",
            context: &CallerContext::default(),
        };
        let origin = WorkerOrigin("https://call.example.com");
        let open = fallback_ncco(Some(&s), origin, &Hours::Open, caller);
        assert!(
            matches!(&open[..], [Action::Talk { text, language: Some(l) }, Action::Record { event_url, .. }]
                if *text == de.no_answer_words() && l == "de-DE" && event_url[0] == "https://call.example.com/webhooks/recording")
        );
        let closed = Hours::Closed { next_open: None };
        let shut = fallback_ncco(Some(&s), origin, &closed, caller);
        assert!(
            matches!(&shut[0], Action::Talk { text, .. } if *text == de.closed_words("Acme", None))
        );
        assert!(!shut.iter().any(|a| matches!(a, Action::Connect { .. })));
        let unconfigured = fallback_ncco(None, origin, &Hours::Open, caller);
        assert!(matches!(&unconfigured[..], [Action::Talk { text, .. }] if *text == de.apology));
    }
}
