//! Every way a request can fail, and the one place that turns a failure into
//! an HTTP status and a JSON body: `{"error": {"code", "message"}}`.
//!
//! Messages are written for the person reading them and never contain a
//! secret: at most a variable's name and the form it should have.

use serde::Serialize;

use std::fmt;

/// What is wrong with one variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: Problem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Missing,
    /// The expected form, in words; never the value itself.
    Invalid(String),
}

impl ConfigError {
    pub(crate) fn missing(variable: &'static str) -> Self {
        Self {
            variable,
            problem: Problem::Missing,
        }
    }

    pub(crate) fn invalid(variable: &'static str, expected: impl Into<String>) -> Self {
        Self {
            variable,
            problem: Problem::Invalid(expected.into()),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.problem {
            Problem::Missing => write!(f, "{} is not set", self.variable),
            Problem::Invalid(expected) => write!(f, "{} is invalid: {}", self.variable, expected),
        }
    }
}

impl std::error::Error for ConfigError {}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppError {
    NotFound,
    MethodNotAllowed {
        allow: &'static str,
    },
    UnsupportedMediaType {
        expected: &'static str,
    },
    PayloadTooLarge {
        limit_bytes: usize,
    },
    InvalidJson(String),
    InvalidEvent(String),
    InvalidId {
        what: &'static str,
    },
    BadRequest(String),
    UserNotAllowed,
    CrossSite,
    RateLimited {
        retry_after_seconds: u32,
    },
    BadSignature(String),
    /// A signature is required and none came: Vonage retries such a
    /// callback signed, so it must hear a status it retries.
    SignatureMissing,
    /// No signature secret is configured and no one said unsigned webhooks
    /// are intended: nothing unsigned is taken.
    SignatureRequired,
    /// The call guard turned this client away at `/auth` (`reason` is the
    /// refusal's name, `message` says it to the visitor).
    CallsRefused {
        reason: &'static str,
        message: &'static str,
        retry_after_seconds: u32,
    },
    /// Vonage's Users API could not make the call's user.
    UsersApi(String),
    /// The call guard could not be asked; nothing is handed out unguarded.
    GuardUnavailable,
    Unauthorized,
    NotConfigured(ConfigError),
    /// Neither the queue nor KV took a valid event: Vonage must retry.
    LogUnavailable,
    Signing,
    /// A voicemail recording could not be fetched from Vonage.
    RecordingUnavailable(String),
    Internal,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Detail<'a>,
}

#[derive(Serialize)]
struct Detail<'a> {
    code: &'a str,
    message: &'a str,
}

/// A response the adapter writes as is; `headers` are the ones specific to
/// the error (every JSON response also gets Content-Type, `Cache-Control:
/// no-store` and nosniff from the adapter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorResponse {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl AppError {
    pub fn status(&self) -> u16 {
        match self {
            Self::NotFound => 404,
            Self::MethodNotAllowed { .. } => 405,
            Self::UnsupportedMediaType { .. } => 415,
            Self::PayloadTooLarge { .. } => 413,
            Self::InvalidJson(_)
            | Self::InvalidEvent(_)
            | Self::InvalidId { .. }
            | Self::BadRequest(_) => 400,
            Self::UserNotAllowed | Self::CrossSite => 403,
            Self::RateLimited { .. } => 429,
            Self::BadSignature(_) | Self::Unauthorized | Self::SignatureRequired => 401,
            Self::CallsRefused { .. } => 429,
            Self::NotConfigured(_)
            | Self::LogUnavailable
            | Self::SignatureMissing
            | Self::UsersApi(_)
            | Self::GuardUnavailable => 503,
            Self::Signing | Self::Internal => 500,
            Self::RecordingUnavailable(_) => 502,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::UnsupportedMediaType { .. } => "unsupported_media_type",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::InvalidJson(_) => "invalid_json",
            Self::InvalidEvent(_) => "invalid_event",
            Self::InvalidId { .. } => "invalid_id",
            Self::BadRequest(_) => "bad_request",
            Self::UserNotAllowed => "user_not_allowed",
            Self::CrossSite => "cross_site_request",
            Self::RateLimited { .. } => "rate_limited",
            Self::BadSignature(_) => "invalid_signature",
            Self::SignatureMissing => "signature_missing",
            Self::SignatureRequired => "signature_required",
            Self::CallsRefused { .. } => "calls_refused",
            Self::UsersApi(_) => "users_api_unavailable",
            Self::GuardUnavailable => "guard_unavailable",
            Self::Unauthorized => "unauthorized",
            Self::NotConfigured(_) => "not_configured",
            Self::LogUnavailable => "log_unavailable",
            Self::Signing => "signing_failed",
            Self::RecordingUnavailable(_) => "recording_unavailable",
            Self::Internal => "internal_error",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Self::NotFound => "no such route".into(),
            Self::MethodNotAllowed { allow } => format!("method not allowed here; use {allow}"),
            Self::UnsupportedMediaType { expected } => format!("expected Content-Type: {expected}"),
            Self::PayloadTooLarge { limit_bytes } => {
                format!("request body is larger than {limit_bytes} bytes")
            }
            Self::InvalidJson(why) => format!("request body is not valid JSON: {why}"),
            Self::InvalidEvent(why) => format!("not a Vonage call event: {why}"),
            Self::InvalidId { what } => format!(
                "{what} must look like a Vonage id (hexadecimal digits and dashes, optionally prefixed CON-)"
            ),
            Self::BadRequest(why) => why.clone(),
            Self::UserNotAllowed => "tokens are only issued for the configured client users".into(),
            Self::CrossSite => "tokens are only issued to this site's own pages".into(),
            Self::RateLimited {
                retry_after_seconds,
            } => {
                format!("too many requests from this client; try again in {retry_after_seconds} s")
            }
            Self::BadSignature(why) => format!("webhook signature rejected: {why}"),
            Self::SignatureMissing => {
                "this webhook must be signed by Vonage (Authorization: Bearer <JWT>); retry signed"
                    .into()
            }
            Self::SignatureRequired => "unsigned webhooks are not taken: set VONAGE_SIGNATURE_SECRET \
                 (the account's signature secret), or ALLOW_UNSIGNED_WEBHOOKS=true if they are intended"
                .into(),
            Self::CallsRefused { message, .. } => (*message).into(),
            Self::GuardUnavailable => "calls cannot be placed right now; retry shortly".into(),
            Self::UsersApi(why) => {
                format!("a Vonage user for the call could not be created ({why}); retry shortly")
            }
            Self::Unauthorized => "a valid Authorization: Bearer token is required".into(),
            Self::NotConfigured(err) => format!("the service is not configured: {err}"),
            Self::LogUnavailable => "the event log is unavailable; retry later".into(),
            Self::Signing => "the token could not be signed".into(),
            Self::RecordingUnavailable(why) => format!("the recording could not be fetched: {why}"),
            Self::Internal => "internal error".into(),
        }
    }

    /// The single mapping from failure to response.
    pub fn to_response(&self) -> ErrorResponse {
        let message = self.message();
        let body = serde_json::to_string(&Body {
            error: Detail {
                code: self.code(),
                message: &message,
            },
        })
        .unwrap_or_else(|_| unreachable!("an error body is plain strings"));
        let mut headers = Vec::new();
        match self {
            Self::MethodNotAllowed { allow } => headers.push(("Allow", (*allow).to_owned())),
            Self::RateLimited {
                retry_after_seconds,
            }
            | Self::CallsRefused {
                retry_after_seconds,
                ..
            } => headers.push(("Retry-After", retry_after_seconds.to_string())),
            Self::LogUnavailable
            | Self::SignatureMissing
            | Self::UsersApi(_)
            | Self::GuardUnavailable => headers.push(("Retry-After", "5".into())),
            Self::Unauthorized => headers.push(("WWW-Authenticate", "Bearer".into())),
            _ => {}
        }
        ErrorResponse {
            status: self.status(),
            headers,
            body,
        }
    }
}

impl From<ConfigError> for AppError {
    fn from(err: ConfigError) -> Self {
        Self::NotConfigured(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_json_with_code_and_message() {
        let response =
            AppError::InvalidJson("expected value at line 1 column 1".into()).to_response();
        assert_eq!(response.status, 400);
        let body: serde_json::Value = serde_json::from_str(&response.body).unwrap();
        assert_eq!(body["error"]["code"], "invalid_json");
        assert_eq!(
            body["error"]["message"],
            "request body is not valid JSON: expected value at line 1 column 1"
        );
    }

    #[test]
    fn method_not_allowed_names_the_allowed_methods() {
        let response = AppError::MethodNotAllowed { allow: "GET, HEAD" }.to_response();
        assert_eq!(response.status, 405);
        assert!(response.headers.contains(&("Allow", "GET, HEAD".into())));
    }

    #[test]
    fn retryable_failures_say_when_to_retry() {
        let limited = AppError::RateLimited {
            retry_after_seconds: 60,
        }
        .to_response();
        assert_eq!(limited.status, 429);
        assert!(limited.headers.contains(&("Retry-After", "60".into())));
        let log = AppError::LogUnavailable.to_response();
        assert_eq!(log.status, 503);
        assert!(log.headers.iter().any(|(k, _)| *k == "Retry-After"));
    }

    #[test]
    fn config_errors_name_the_variable() {
        let err = AppError::from(ConfigError {
            variable: "VONAGE_APPLICATION_ID",
            problem: Problem::Missing,
        });
        assert_eq!(err.status(), 503);
        assert_eq!(
            err.message(),
            "the service is not configured: VONAGE_APPLICATION_ID is not set"
        );
    }
}
