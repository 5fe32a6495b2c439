//! The answer webhook: what Vonage sends us when a call starts, and the NCCO
//! (Nexmo Call Control Object) we answer with.

use serde::{Deserialize, Serialize};

use crate::config::{CallRoute, ConfigError};

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
pub fn connect_to_support(route: &CallRoute) -> Ncco {
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

pub fn apology() -> Ncco {
    vec![Action::Talk {
        text: APOLOGY.into(),
    }]
}

/// The NCCO for this configuration: connect when we can, apologise when not
/// (with the reason, for the log).
pub fn answer(route: Result<CallRoute, ConfigError>) -> (Ncco, Option<ConfigError>) {
    match route {
        Ok(route) => (connect_to_support(&route), None),
        Err(err) => (apology(), Some(err)),
    }
}

/// What Vonage sends to the answer webhook (query string on GET, JSON on
/// POST). Unknown fields are ignored; every field is optional because a
/// missing one must never stop a caller from being connected.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct AnswerRequest {
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub uuid: Option<String>,
    #[serde(default)]
    pub conversation_uuid: Option<String>,
    /// The page's `serverCall(context)`: a JSON string on GET, an object on POST.
    #[serde(default)]
    pub custom_data: Option<serde_json::Value>,
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
                "uuid" => request.uuid = value,
                "conversation_uuid" => request.conversation_uuid = value,
                "custom_data" => {
                    request.custom_data = value
                        .map(|v| serde_json::from_str(&v).unwrap_or(serde_json::Value::String(v)))
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PhoneNumber;

    fn route() -> CallRoute {
        CallRoute {
            greeting: "Thank you for calling Acme support. Transferring you now.".into(),
            support_number: PhoneNumber::parse("447700900000").unwrap(),
            destination_number: PhoneNumber::parse("447700900001").unwrap(),
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
    fn answer_webhook_apologises_when_destination_missing() {
        let err = ConfigError {
            variable: "DESTINATION_PHONE_NUMBER",
            problem: crate::config::Problem::Missing,
        };
        let (ncco, why) = answer(Err(err.clone()));
        assert_eq!(
            serde_json::to_string(&ncco).unwrap(),
            format!(r#"[{{"action":"talk","text":"{APOLOGY}"}}]"#)
        );
        assert_eq!(why, Some(err));
    }

    #[test]
    fn get_queries_carry_custom_data_as_a_json_string() {
        let request = AnswerRequest::from_query([
            ("to", "447700900000"),
            ("from", "supportuser"),
            ("uuid", "63f61863-4a51-4f6b-86e1-46edebcf9356"),
            (
                "conversation_uuid",
                "CON-f972836a-550f-45fa-956c-12a2ab5b7d22",
            ),
            ("custom_data", r#"{"page":"/pricing"}"#),
            ("region_url", "https://api-us-3.vonage.com"),
        ]);
        assert_eq!(request.from.as_deref(), Some("supportuser"));
        assert_eq!(
            request.custom_data,
            Some(serde_json::json!({"page": "/pricing"}))
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
}
