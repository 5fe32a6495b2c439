//! Vonage's Voice API, for a call in progress: moving a waiting caller's
//! leg to another NCCO.
//!
//! Voice API reference, "Modify an in progress call": `PUT /v1/calls/{uuid}`
//! with an application JWT and `{"action": "transfer", "destination":
//! {"type": "ncco", "ncco": [...]}}` replaces the leg's NCCO; Vonage
//! answers `204 No Content`.

use crate::vonage::ncco::Ncco;

/// The call (leg) at `uuid`, under `VONAGE_API_URL`; `None` when the uuid
/// is not one (it came from an event: it must not reach into the path).
pub fn call_path(uuid: &str) -> Option<String> {
    let plain = !uuid.is_empty()
        && uuid.len() <= 64
        && uuid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    plain.then(|| format!("/v1/calls/{uuid}"))
}

/// The body that transfers a leg to `ncco`: the NCCO serialised as every
/// answer's is, inside the transfer's fixed frame.
pub fn transfer_body(ncco: &Ncco) -> String {
    let ncco =
        serde_json::to_string(ncco).unwrap_or_else(|_| unreachable!("an NCCO is plain data"));
    format!(r#"{{"action":"transfer","destination":{{"type":"ncco","ncco":{ncco}}}}}"#)
}

/// Vonage's answer to a transfer: 204 (any 2xx) is done; otherwise what
/// went wrong, for the worker's log.
pub fn transferred(status: u16) -> Result<(), String> {
    match status {
        200..=299 => Ok(()),
        404 => Err("Vonage knows no such call (the caller hung up?)".into()),
        401 | 403 => Err(format!("Vonage refused the application's token ({status})")),
        _ => Err(format!("the Voice API answered {status}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vonage::ncco::Action;

    #[test]
    fn a_transfer_names_the_leg_and_carries_the_ncco() {
        assert_eq!(
            call_path("63f61863-4a51-4f6b-86e1-46edebcf9356").as_deref(),
            Some("/v1/calls/63f61863-4a51-4f6b-86e1-46edebcf9356")
        );
        assert_eq!(call_path("../v1/users"), None);
        assert_eq!(call_path(""), None);
        let ncco = vec![Action::Talk {
            text: "hi".into(),
            language: None,
        }];
        assert_eq!(
            transfer_body(&ncco),
            r#"{"action":"transfer","destination":{"type":"ncco","ncco":[{"action":"talk","text":"hi"}]}}"#
        );
        assert!(transferred(204).is_ok());
        assert!(transferred(404).unwrap_err().contains("no such call"));
        assert!(transferred(500).is_err());
    }
}
