//! The answer webhook's request: what Vonage tells us about a call that
//! needs an NCCO.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::shared::json::{self, Object};

/// What Vonage sends to the answer webhook (query string on GET, JSON on
/// POST; Voice API webhook reference, "Answer webhook"). For an in-app call
/// placed with the Client SDK's `serverCall`, the caller is `from_user`
/// (there is no `from`), `endpoint_type` is `app`, and `custom_data` carries
/// the page's context. Unknown fields are ignored; every field is optional
/// because a missing one must never stop a caller from being answered.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct AnswerRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_uuid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region_url: Option<String>,
    /// The page's `serverCall(context)`, as sent: an object, or a string
    /// holding one (on GET always; on POST, as some clients send it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<Box<RawValue>>,
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
                // The JSON it holds, or else the text as a JSON string.
                "custom_data" => {
                    request.custom_data = value.and_then(|v| {
                        let json = match serde_json::from_str::<&RawValue>(&v) {
                            Ok(_) => v,
                            Err(_) => serde_json::to_string(&v).ok()?,
                        };
                        RawValue::from_string(json).ok()
                    })
                }
                _ => {}
            }
        }
        request
    }

    /// From a POST body. A body that does not parse still gets an NCCO: the
    /// caller is waiting on the line.
    pub fn from_json(body: &[u8]) -> Self {
        crate::shared::json::from_bytes(body).unwrap_or_default()
    }

    /// A string member of the call's context (`custom_data.<name>`), whether
    /// the context came as an object or as a string holding one.
    pub fn context(&self, name: &str) -> Option<String> {
        let raw = self.custom_data.as_deref()?;
        match json::string(raw) {
            Some(inner) => Object::parse(&inner).ok()?.string(name),
            None => Object::parse(raw.get()).ok()?.string(name),
        }
    }

    /// Who is calling: the Client SDK user for an in-app call, else the number.
    pub fn caller(&self) -> Option<&str> {
        self.from_user.as_deref().or(self.from.as_deref())
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
        assert_eq!(request.context("page").as_deref(), Some("/pricing"));
        assert_eq!(
            request.custom_data.unwrap().get(),
            r#"{"page":"/pricing"}"#,
            "kept as sent"
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
        assert_eq!(request.context("page").as_deref(), Some("/"));
        let garbage = AnswerRequest::from_json(b"not json");
        assert!(garbage.uuid.is_none() && garbage.custom_data.is_none());
    }

    #[test]
    fn the_context_is_read_as_an_object_or_as_a_string_holding_one_on_get_and_post() {
        let context = r#"{"ticket":"t.k.n","lang":"de"}"#;
        let get = AnswerRequest::from_query([("custom_data", context)]);
        let quoted = serde_json::to_string(context).unwrap();
        let post_object =
            AnswerRequest::from_json(format!(r#"{{"custom_data":{context}}}"#).as_bytes());
        let post_string =
            AnswerRequest::from_json(format!(r#"{{"custom_data":{quoted}}}"#).as_bytes());
        for request in [get, post_object, post_string] {
            assert_eq!(request.context("ticket").as_deref(), Some("t.k.n"));
            assert_eq!(request.context("lang").as_deref(), Some("de"));
        }
        let not_json = AnswerRequest::from_query([("custom_data", "hello")]);
        assert_eq!(not_json.custom_data.as_deref().unwrap().get(), "\"hello\"");
        assert_eq!(not_json.context("ticket"), None);
    }

    #[test]
    fn a_phone_caller_is_its_number() {
        let request = AnswerRequest::from_query([("from", "447700900002")]);
        assert_eq!(request.caller(), Some("447700900002"));
    }
}
