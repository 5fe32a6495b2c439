//! The answer webhook's request: what Vonage tells us about a call that
//! needs an NCCO.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::{AnswerSettings, ConfigError};
use crate::guard::{Admission, Refusal};
use crate::hours::{Local, ZoneRules};
use crate::ncco::{self, Caller, Ncco, Origin};
use crate::ticket::TicketProblem;

/// What Vonage sends to the answer webhook (query string on GET, JSON on
/// POST; Voice API webhook reference, "Answer webhook"). For an in-app call
/// placed with the Client SDK's `serverCall`, the caller is `from_user`
/// (there is no `from`), `endpoint_type` is `app`, and `custom_data` carries
/// the page's context. Unknown fields are ignored; every field is optional
/// because a missing one must never stop a caller from being answered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct AnswerRequest {
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub from_user: Option<String>,
    #[serde(default)]
    pub endpoint_type: Option<String>,
    #[serde(default)]
    pub uuid: Option<String>,
    #[serde(default)]
    pub conversation_uuid: Option<String>,
    #[serde(default)]
    pub region_url: Option<String>,
    /// The page's `serverCall(context)`: a JSON string on GET, an object on POST.
    #[serde(default)]
    pub custom_data: Option<Value>,
}

impl AnswerRequest {
    /// From the query pairs of a GET, in order. Repeated keys: the last wins.
    pub fn from_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut request = Self::default();
        for (key, value) in pairs {
            let value = Some(value.to_owned());
            match key {
                "to" => request.to = value,
                "from" => request.from = value,
                "from_user" => request.from_user = value,
                "endpoint_type" => request.endpoint_type = value,
                "uuid" => request.uuid = value,
                "conversation_uuid" => request.conversation_uuid = value,
                "region_url" => request.region_url = value,
                "custom_data" => {
                    request.custom_data =
                        value.map(|v| serde_json::from_str(&v).unwrap_or(Value::String(v)))
                }
                _ => {}
            }
        }
        request
    }

    /// From a POST body. A body that does not parse still gets an NCCO: the
    /// caller is waiting on the line.
    pub fn from_json(body: &[u8]) -> Self {
        serde_json::from_slice(body).unwrap_or_default()
    }

    /// Who is calling: the Client SDK user for an in-app call, else the number.
    pub fn caller(&self) -> Option<&str> {
        self.from_user.as_deref().or(self.from.as_deref())
    }

    /// The visitor's language, as the page put it in the call's context
    /// (`custom_data.lang`); English when absent or not a language code.
    pub fn language(&self) -> &str {
        let lang = match &self.custom_data {
            Some(Value::Object(context)) => context.get("lang").and_then(Value::as_str),
            _ => None,
        };
        crate::speech::language_code(lang)
    }
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
    /// The service cannot route calls (a variable is missing or malformed).
    NotConfigured(ConfigError),
    /// No valid ticket came with the call.
    Ticket(TicketProblem),
    /// The guard refused the call.
    Refused(Refusal),
    /// The guard could not be asked; no call is connected unguarded.
    GuardUnavailable,
}

impl Decision {
    pub fn from_admission(admission: Admission) -> Self {
        match admission {
            Admission::Connect => Decision::Connect,
            Admission::Refuse(why) => Decision::Refused(why),
        }
    }

    /// What Vonage runs. Only an admitted call rings anyone (or, out of
    /// hours, records a voicemail).
    pub fn ncco(
        &self,
        settings: Option<&AnswerSettings>,
        origin: Origin<'_>,
        hours: &Hours,
        caller: Caller<'_>,
    ) -> Ncco {
        let speech = caller.speech;
        match (self, settings) {
            (Decision::Connect, Some(settings)) => match hours {
                Hours::Open => ncco::greet_and_ring(settings, origin, caller),
                Hours::Closed { next_open } => ncco::voicemail(
                    settings,
                    origin,
                    speech.closed_words(&settings.company_name, *next_open),
                    speech,
                ),
            },
            (Decision::Refused(Refusal::LinesBusy | Refusal::ClientLimit), _) => {
                ncco::say(&speech.lines_busy, speech)
            }
            _ => ncco::apology(speech),
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
            Decision::Connect if matches!(hours, Hours::Closed { .. }) => "voicemail",
            Decision::Connect => "connect",
            Decision::Ticket(_) | Decision::Refused(_) => "refused",
            Decision::NotConfigured(_) | Decision::GuardUnavailable => "apology",
        }
    }

    /// Why, in words ops can filter on; `None` when connected.
    pub fn reason(&self) -> Option<String> {
        match self {
            Decision::Connect => None,
            Decision::NotConfigured(e) => Some(format!("not_configured: {}", e.variable)),
            Decision::Ticket(p) => Some(format!("ticket_{}", p.as_str())),
            Decision::Refused(r) => Some(r.as_str().to_owned()),
            Decision::GuardUnavailable => Some("guard_unavailable".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_queries_carry_custom_data_as_a_json_string() {
        let request = AnswerRequest::from_query([
            ("to", "447700900000"),
            ("from_user", "supportuser"),
            ("endpoint_type", "app"),
            ("uuid", "63f61863-4a51-4f6b-86e1-46edebcf9356"),
            (
                "conversation_uuid",
                "CON-f972836a-550f-45fa-956c-12a2ab5b7d22",
            ),
            ("custom_data", r#"{"page":"/pricing"}"#),
            ("region_url", "https://api-us-3.vonage.com"),
        ]);
        assert_eq!(request.caller(), Some("supportuser"));
        assert_eq!(
            request.custom_data,
            Some(serde_json::json!({"page": "/pricing"}))
        );
        assert_eq!(
            request.region_url.as_deref(),
            Some("https://api-us-3.vonage.com")
        );
    }

    #[test]
    fn post_bodies_tolerate_unknown_fields_and_garbage() {
        let request =
            AnswerRequest::from_json(br#"{"uuid":"abc","custom_data":{"page":"/"},"extra":[1,2]}"#);
        assert_eq!(request.uuid.as_deref(), Some("abc"));
        assert_eq!(
            AnswerRequest::from_json(b"not json"),
            AnswerRequest::default()
        );
    }

    #[test]
    fn only_an_admitted_call_is_connected() {
        use crate::config::tests::config;
        use crate::ncco::Action;
        let key = crate::key::tests::test_key_pem();
        let c = config(&[
            ("SUPPORT_PHONE_NUMBER", "447700900000"),
            ("DESTINATION_PHONE_NUMBER", "447700900001"),
            ("VONAGE_PRIVATE_KEY", &key),
        ]);
        let settings = c.answer.as_ref().ok();
        let origin = Origin("https://call.example.com");
        let en = crate::speech::Speech::english();
        let caller = Caller {
            speech: &en,
            lang: "en",
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
        assert!(
            matches!(&ncco[0], Action::Talk { text, .. } if text.contains("all our lines are busy"))
        );
        assert_eq!(
            (
                busy.status(),
                busy.ncco_label(&Hours::Open),
                busy.reason().as_deref()
            ),
            ("refused", "refused", Some("lines_busy"))
        );
        let ticket = Decision::Ticket(TicketProblem::Expired);
        assert_eq!(ticket.reason().as_deref(), Some("ticket_expired"));
        assert_eq!(Decision::Connect.reason(), None);
        // Out of hours an admitted call goes to voicemail, dialling no one.
        let closed = Hours::Closed {
            next_open: Some(Local {
                date: crate::time::Date::parse("2026-11-30").unwrap(),
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
    }

    #[test]
    fn the_language_comes_from_the_calls_context() {
        let request = AnswerRequest::from_query([("custom_data", r#"{"ticket":"t","lang":"de"}"#)]);
        assert_eq!(request.language(), "de");
        let request = AnswerRequest::from_query([("custom_data", r#"{"lang":"../../x"}"#)]);
        assert_eq!(request.language(), "en");
        assert_eq!(AnswerRequest::default().language(), "en");
    }

    #[test]
    fn a_phone_caller_is_its_number() {
        let request = AnswerRequest::from_query([("from", "447700900002")]);
        assert_eq!(request.caller(), Some("447700900002"));
    }
}
