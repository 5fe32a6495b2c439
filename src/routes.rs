//! Method + path → route: the only place that knows the URLs.

use crate::error::AppError;
use crate::visitor::callback;
use crate::vonage::event::is_vonage_id;
use crate::vonage::user::UserName;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// The page (`/`), also the embed's call panel: its headers follow the
    /// configuration (which sites may frame it).
    Page,
    Health,
    /// The page's branding and settings (no secrets).
    PageConfig,
    /// `/auth` (the configured user) or `/auth/:user` (seed-compatible).
    Auth {
        user: Option<String>,
    },
    /// A CORS preflight for `/auth` from an allowed site.
    AuthPreflight,
    Answer,
    Event,
    /// A voicemail's `record` action reports its recording here.
    Recording,
    /// Vonage's `fallback_answer_url`: voicemail, touching no storage.
    Fallback,
    /// RTC events: taken unsigned, only logged.
    Rtc,
    /// A connect's `onAnswer`: what the agent hears about a web call.
    Whisper,
    /// A visitor asks to be called back.
    Callbacks,
    /// A waiting caller's place in line, asked by their Vonage user (a
    /// name as unguessable as a token: `visitor-` and 128 random bits).
    Line {
        user: String,
    },
    OpsCalls,
    OpsCall {
        call_id: String,
    },
    /// Queue messages that could not be stored, kept under `dead/`.
    OpsDeadLetters,
    /// A call's voicemail, streamed from Vonage.
    OpsRecording {
        call_id: String,
        recording_id: String,
    },
    OpsCallbacks,
    /// The calls in progress and the waiting line, now.
    OpsLine,
    OpsCallbackDone {
        id: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    /// GET without a body: taken where reading has no side effect.
    Head,
    Post,
    Options,
    Other,
}

impl Method {
    pub fn parse(method: &str) -> Self {
        match method {
            "GET" => Self::Get,
            "HEAD" => Self::Head,
            "POST" => Self::Post,
            "OPTIONS" => Self::Options,
            _ => Self::Other,
        }
    }
}

const GET: &str = "GET";
const GET_POST: &str = "GET, POST";
const POST: &str = "POST";

/// Resolves a request; unknown paths are 404, known paths with the wrong
/// method are 405 with the methods that would work.
pub fn resolve(method: Method, path: &str) -> Result<Route, AppError> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    if method == Method::Options && segments == ["auth"] {
        return Ok(Route::AuthPreflight);
    }
    let (route, allow) = match segments.as_slice() {
        [""] | ["index.html"] => (Route::Page, GET),
        ["healthz"] => (Route::Health, GET),
        ["config.json"] => (Route::PageConfig, GET),
        ["auth"] => (Route::Auth { user: None }, GET),
        ["auth", user] if !user.is_empty() => (
            Route::Auth {
                user: Some((*user).to_owned()),
            },
            GET,
        ),
        ["webhooks", "answer"] => (Route::Answer, GET_POST),
        ["webhooks", "event"] => (Route::Event, GET_POST),
        ["webhooks", "recording"] => (Route::Recording, GET_POST),
        ["webhooks", "fallback"] => (Route::Fallback, GET_POST),
        ["webhooks", "rtc"] => (Route::Rtc, POST),
        ["webhooks", "whisper"] => (Route::Whisper, GET_POST),
        ["callbacks"] => (Route::Callbacks, POST),
        ["line", user] if !user.is_empty() => {
            if UserName::parse(user).is_none() {
                return Err(AppError::InvalidId { what: "user" });
            }
            (
                Route::Line {
                    user: (*user).to_owned(),
                },
                GET,
            )
        }
        ["ops", "calls"] => (Route::OpsCalls, GET),
        ["ops", "dead-letters"] => (Route::OpsDeadLetters, GET),
        ["ops", "callbacks"] => (Route::OpsCallbacks, GET),
        ["ops", "line"] => (Route::OpsLine, GET),
        ["ops", "callbacks", id, "done"] if !id.is_empty() => {
            if method == Method::Post && !callback::is_id(id) {
                return Err(AppError::InvalidId {
                    what: "callback id",
                });
            }
            (
                Route::OpsCallbackDone {
                    id: (*id).to_owned(),
                },
                POST,
            )
        }
        ["ops", "recordings", call, recording] if !call.is_empty() && !recording.is_empty() => {
            if method == Method::Get && !(is_vonage_id(call) && is_vonage_id(recording)) {
                return Err(AppError::InvalidId {
                    what: "call or recording id",
                });
            }
            (
                Route::OpsRecording {
                    call_id: (*call).to_owned(),
                    recording_id: (*recording).to_owned(),
                },
                GET,
            )
        }
        ["ops", "calls", id] if !id.is_empty() => {
            if method == Method::Get && !is_vonage_id(id) {
                return Err(AppError::InvalidId { what: "call id" });
            }
            (
                Route::OpsCall {
                    call_id: (*id).to_owned(),
                },
                GET,
            )
        }
        _ => return Err(AppError::NotFound),
    };
    let allowed = match method {
        Method::Get => allow.contains(GET),
        Method::Head => matches!(route, Route::Page | Route::PageConfig | Route::Health),
        Method::Post => allow.contains(POST),
        Method::Options | Method::Other => false,
    };
    if allowed {
        Ok(route)
    } else {
        Err(AppError::MethodNotAllowed { allow })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Method::*;

    #[test]
    fn known_routes_resolve() {
        assert_eq!(resolve(Get, "/healthz"), Ok(Route::Health));
        assert_eq!(resolve(Get, "/"), Ok(Route::Page));
        assert_eq!(resolve(Get, "/index.html"), Ok(Route::Page));
        assert_eq!(
            resolve(Head, "/"),
            Ok(Route::Page),
            "the page answers HEAD as static files do"
        );
        assert_eq!(
            resolve(Head, "/auth"),
            Err(AppError::MethodNotAllowed { allow: "GET" }),
            "no token minted for a HEAD"
        );
        assert_eq!(resolve(Options, "/auth"), Ok(Route::AuthPreflight));
        assert_eq!(
            resolve(Options, "/webhooks/event"),
            Err(AppError::MethodNotAllowed { allow: "GET, POST" })
        );
        assert_eq!(resolve(Get, "/auth"), Ok(Route::Auth { user: None }));
        assert_eq!(
            resolve(Get, "/auth/supportuser"),
            Ok(Route::Auth {
                user: Some("supportuser".into())
            })
        );
        assert_eq!(resolve(Get, "/webhooks/answer"), Ok(Route::Answer));
        assert_eq!(resolve(Post, "/webhooks/answer"), Ok(Route::Answer));
        assert_eq!(resolve(Post, "/webhooks/event"), Ok(Route::Event));
        assert_eq!(
            resolve(Get, "/webhooks/event"),
            Ok(Route::Event),
            "event_method=GET"
        );
        assert_eq!(resolve(Get, "/ops/calls"), Ok(Route::OpsCalls));
        assert_eq!(resolve(Post, "/webhooks/recording"), Ok(Route::Recording));
        assert_eq!(resolve(Get, "/webhooks/fallback"), Ok(Route::Fallback));
        assert_eq!(resolve(Post, "/webhooks/fallback"), Ok(Route::Fallback));
        assert_eq!(resolve(Post, "/webhooks/rtc"), Ok(Route::Rtc));
        assert_eq!(resolve(Get, "/webhooks/whisper"), Ok(Route::Whisper));
        assert_eq!(
            resolve(Get, "/webhooks/rtc"),
            Err(AppError::MethodNotAllowed { allow: "POST" })
        );
        assert_eq!(resolve(Post, "/callbacks"), Ok(Route::Callbacks));
        assert_eq!(
            resolve(Get, "/callbacks"),
            Err(AppError::MethodNotAllowed { allow: "POST" })
        );
        assert_eq!(resolve(Get, "/ops/callbacks"), Ok(Route::OpsCallbacks));
        assert_eq!(resolve(Get, "/ops/line"), Ok(Route::OpsLine));
        assert_eq!(
            resolve(Get, "/line/visitor-00ff"),
            Ok(Route::Line {
                user: "visitor-00ff".into()
            })
        );
        assert_eq!(
            resolve(Get, "/line/a%20b"),
            Err(AppError::InvalidId { what: "user" })
        );
        assert_eq!(
            resolve(Post, "/ops/callbacks/1767258000000-0123456789abcdef/done"),
            Ok(Route::OpsCallbackDone {
                id: "1767258000000-0123456789abcdef".into()
            })
        );
        assert_eq!(
            resolve(Post, "/ops/callbacks/..%2Fx/done"),
            Err(AppError::InvalidId {
                what: "callback id"
            })
        );
        assert_eq!(
            resolve(
                Get,
                "/ops/recordings/CON-f972836a-550f-45fa-956c-12a2ab5b7d22/aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab"
            ),
            Ok(Route::OpsRecording {
                call_id: "CON-f972836a-550f-45fa-956c-12a2ab5b7d22".into(),
                recording_id: "aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab".into()
            })
        );
        assert_eq!(
            resolve(Get, "/ops/calls/CON-f972836a-550f-45fa-956c-12a2ab5b7d22"),
            Ok(Route::OpsCall {
                call_id: "CON-f972836a-550f-45fa-956c-12a2ab5b7d22".into()
            })
        );
    }

    #[test]
    fn unknown_paths_are_not_found() {
        for path in [
            "/nope",
            "/auth/a/b",
            "/auth/",
            "/webhooks",
            "/webhooks/answer/x",
            "/ops",
        ] {
            assert_eq!(resolve(Get, path), Err(AppError::NotFound), "{path}");
        }
    }

    #[test]
    fn wrong_methods_name_the_allowed_ones() {
        assert_eq!(
            resolve(Other, "/webhooks/event"),
            Err(AppError::MethodNotAllowed { allow: "GET, POST" })
        );
        assert_eq!(
            resolve(Post, "/auth"),
            Err(AppError::MethodNotAllowed { allow: "GET" })
        );
        assert_eq!(
            resolve(Other, "/webhooks/answer"),
            Err(AppError::MethodNotAllowed { allow: "GET, POST" })
        );
    }

    #[test]
    fn call_ids_in_paths_are_validated() {
        assert_eq!(
            resolve(Get, "/ops/calls/..%2F..%2Fsecrets"),
            Err(AppError::InvalidId { what: "call id" })
        );
    }
}
