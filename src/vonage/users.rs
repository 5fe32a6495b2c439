//! Vonage's Users API, as `/auth` uses it: one user per call.
//!
//! `POST {VONAGE_API_URL}/v1/users` with an application JWT creates a user
//! of the application (Application API v2 reference, "Create User"; the
//! Vonage CLI's `users create` documents the same fields). Its
//! `properties.ttl` is "time to live in seconds" ("after how many seconds an
//! empty user is deleted", Vonage CLI guide, "Managing Users"), so Vonage
//! itself removes the user once its call is over: nothing to sweep. The
//! answer is `201` with the user (`id` `USR-…`, `name`, …).

use serde::{Deserialize, Serialize};

use super::user::UserName;

/// The path of the Users API on `VONAGE_API_URL`.
pub const USERS_PATH: &str = "/v1/users";
/// What every per-call user's name starts with (then 32 random hex digits):
/// recognisable in Vonage's dashboard, never guessable.
pub const NAME_PREFIX: &str = "visitor-";

/// The request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateUser {
    pub name: String,
    pub display_name: String,
    pub properties: UserProperties,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserProperties {
    /// Seconds after which Vonage deletes the user once it has no call.
    pub ttl: u64,
}

/// What the Users API answers for a created user (only what is read).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct CreatedUser {
    pub id: String,
    pub name: String,
}

/// A fresh user for one call: a random name, shown to support as "Web caller".
pub fn new_user(random: [u8; 16], ttl_seconds: u64) -> (UserName, CreateUser) {
    let name = format!("{NAME_PREFIX}{}", hex::encode(random));
    let user = UserName::parse(&name).unwrap_or_else(|| unreachable!("hex is a valid user name"));
    let body = CreateUser {
        name,
        display_name: "Web caller".into(),
        properties: UserProperties { ttl: ttl_seconds },
    };
    (user, body)
}

/// Why a user could not be created, in words for the log (never a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsersApiError {
    /// Vonage could not be reached at all.
    Unreachable,
    /// Vonage answered with this status (429: its rate limit).
    Status(u16),
    /// Vonage answered 2xx with something else than the user asked for.
    Unexpected,
}

impl std::fmt::Display for UsersApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unreachable => f.write_str("the Users API could not be reached"),
            Self::Status(status) => write!(f, "the Users API answered {status}"),
            Self::Unexpected => {
                f.write_str("the Users API answered with something else than a user")
            }
        }
    }
}

/// Reads the Users API's answer to [`CreateUser`] named `asked`.
pub fn created(status: u16, body: &str, asked: &str) -> Result<CreatedUser, UsersApiError> {
    if !(200..300).contains(&status) {
        return Err(UsersApiError::Status(status));
    }
    let user: CreatedUser = serde_json::from_str(body).map_err(|_| UsersApiError::Unexpected)?;
    if user.name != asked || user.id.is_empty() {
        return Err(UsersApiError::Unexpected);
    }
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_users_request_names_a_fresh_user_who_expires_by_itself() {
        let (user, body) = new_user([0xab; 16], 900);
        assert_eq!(user.as_str(), format!("visitor-{}", "ab".repeat(16)));
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            serde_json::json!({"name": user.as_str(), "display_name": "Web caller", "properties": {"ttl": 900}})
        );
    }

    #[test]
    fn only_the_user_asked_for_is_taken() {
        // Vonage's example answer (Application API v2 reference, Create User).
        let answer = r#"{"id":"USR-82e028d9-5201-4f1e-8188-604b2d3471ec","name":"visitor-1","display_name":"Web caller","properties":{"custom_data":{},"ttl":900},"_links":{"self":{"href":"https://api-us-3.vonage.com/v1/users/USR-82e028d9-5201-4f1e-8188-604b2d3471ec"}}}"#;
        let user = created(201, answer, "visitor-1").unwrap();
        assert_eq!(user.id, "USR-82e028d9-5201-4f1e-8188-604b2d3471ec");
        assert_eq!(
            created(201, answer, "visitor-2"),
            Err(UsersApiError::Unexpected)
        );
        assert_eq!(
            created(429, "{}", "visitor-1"),
            Err(UsersApiError::Status(429))
        );
        assert_eq!(
            created(200, "<html>", "visitor-1"),
            Err(UsersApiError::Unexpected)
        );
        assert_eq!(
            UsersApiError::Status(401).to_string(),
            "the Users API answered 401"
        );
    }
}
