//! NCCOs (Nexmo Call Control Objects): the typed actions this service
//! answers with, after Vonage's NCCO reference.

use serde::{Deserialize, Serialize};

use crate::config::AnswerSettings;

/// NCCO `talk.text` is limited to 1,500 characters (NCCO reference, talk).
pub const TALK_TEXT_MAX_CHARS: usize = 1500;

/// The NCCO actions this service uses, typed after Vonage's NCCO reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum Action {
    Talk {
        text: String,
    },
    Connect {
        from: String,
        endpoint: Vec<Endpoint>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Endpoint {
    Phone { number: String },
}

pub type Ncco = Vec<Action>;

/// Spoken when the service cannot connect the caller, so Vonage never gets an
/// error page (which it would read as a failed call with no explanation).
pub const APOLOGY: &str = "Sorry, we cannot connect your call right now. Please try again later.";

/// The seed's NCCO: a greeting, then connect the caller to the destination,
/// presenting the support number as caller id.
pub fn connect_to_support(route: &AnswerSettings) -> Ncco {
    vec![
        Action::Talk {
            text: route.greeting.clone(),
        },
        Action::Connect {
            from: route.support_number.as_str().to_owned(),
            endpoint: vec![Endpoint::Phone {
                number: route.destination_number.as_str().to_owned(),
            }],
        },
    ]
}

/// Spoken when the caps on concurrent calls or on a client's calls refuse one.
pub const LINES_BUSY: &str =
    "Sorry, all our lines are busy right now. Please try again in a few minutes.";

pub fn apology() -> Ncco {
    say(APOLOGY)
}

/// One `talk` and nothing else: nothing is dialled.
pub fn say(text: &str) -> Ncco {
    vec![Action::Talk { text: text.into() }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phone::PhoneNumber;

    fn route() -> AnswerSettings {
        AnswerSettings {
            greeting: "Thank you for calling Acme support. Transferring you now.".into(),
            support_number: PhoneNumber::parse("447700900000").unwrap(),
            destination_number: PhoneNumber::parse("447700900001").unwrap(),
            limits: crate::config::CallLimits {
                max_concurrent: 5,
                max_per_client_hour: 6,
                max_call_minutes: 60,
            },
            ticket_key: crate::ticket::TicketKey::derive(
                &crate::key::PrivateKey::from_pem(&crate::key::tests::test_key_pem()).unwrap(),
            ),
        }
    }

    #[test]
    fn the_ncco_matches_the_seed_byte_for_byte() {
        // The seed's express handler, with NEXMO_NUMBER and DESTINATION_PHONE_NUMBER
        // filled in, serialised by res.json (JSON.stringify, no spaces).
        let seed = r#"[{"action":"talk","text":"Thank you for calling Acme support. Transferring you now."},{"action":"connect","from":"447700900000","endpoint":[{"type":"phone","number":"447700900001"}]}]"#;
        assert_eq!(
            serde_json::to_string(&connect_to_support(&route())).unwrap(),
            seed
        );
    }

    #[test]
    fn an_apology_dials_no_one() {
        assert_eq!(
            serde_json::to_string(&apology()).unwrap(),
            format!(r#"[{{"action":"talk","text":"{APOLOGY}"}}]"#)
        );
    }
}
