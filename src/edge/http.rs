//! Reading requests and writing responses: the only code that turns core
//! values into runtime responses.
//!
//! Responses are built as `web_sys::Response` directly, from a `ResponseInit`
//! (status + headers) made once per isolate and status: every header set and
//! init field is a call into JS, and in the benchmark that glue cost more
//! than the handlers themselves (see bench/README.md).

use std::cell::RefCell;

use serde::Serialize;
use web_sys::{Headers, Response, ResponseInit};
use worker::Request;

use crate::error::{AppError, ErrorResponse};

/// Every JSON answer of this worker: tokens, NCCOs, log entries and errors
/// are never to be cached or sniffed.
const JSON_HEADERS: [(&str, &str); 3] = [
    ("Content-Type", "application/json; charset=utf-8"),
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
];

thread_local! {
    static INITS: RefCell<Vec<(u16, ResponseInit)>> = const { RefCell::new(Vec::new()) };
}

fn json_headers() -> Headers {
    let headers = Headers::new().expect("Headers can be constructed");
    for (name, value) in JSON_HEADERS {
        let _ = headers.set(name, value);
    }
    headers
}

fn new_init(status: u16, headers: &Headers) -> ResponseInit {
    let init = ResponseInit::new();
    init.set_status(status);
    init.set_headers(headers);
    init
}

/// The cached init for a status (the Response constructor copies it, so one
/// object serves every response).
fn cached_init(status: u16) -> ResponseInit {
    INITS.with(|inits| {
        let mut inits = inits.borrow_mut();
        if let Some((_, init)) = inits.iter().find(|(s, _)| *s == status) {
            return init.clone();
        }
        let init = new_init(status, &json_headers());
        inits.push((status, init.clone()));
        init
    })
}

fn respond(status: u16, body: &str, extra_headers: &[(&'static str, String)]) -> Response {
    let init = if extra_headers.is_empty() {
        cached_init(status)
    } else {
        let headers = json_headers();
        for (name, value) in extra_headers {
            let _ = headers.set(name, value);
        }
        new_init(status, &headers)
    };
    Response::new_with_opt_str_and_init(Some(body), &init)
        .expect("a string body and a plain init make a Response")
}

/// A JSON body.
pub fn json<T: Serialize>(status: u16, value: &T) -> Response {
    match serde_json::to_string(value) {
        Ok(body) => respond(status, &body, &[]),
        Err(_) => error(&AppError::Internal),
    }
}

pub fn error(err: &AppError) -> Response {
    let ErrorResponse {
        status,
        headers,
        body,
    } = err.to_response();
    respond(status, &body, &headers)
}

/// Refuses a body whose `Content-Type` is not JSON (parameters such as
/// `charset` are fine).
pub fn require_json(req: &Request) -> Result<(), AppError> {
    let content_type = header(req, "Content-Type").unwrap_or_default();
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json" {
        Ok(())
    } else {
        Err(AppError::UnsupportedMediaType {
            expected: "application/json",
        })
    }
}

/// The whole body, refused early by `Content-Length` and again by what arrived.
pub async fn read_body(req: &mut Request, limit: usize) -> Result<Vec<u8>, AppError> {
    let too_large = AppError::PayloadTooLarge { limit_bytes: limit };
    let declared = header(req, "Content-Length").and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large);
    }
    let body = req
        .bytes()
        .await
        .map_err(|_| AppError::BadRequest("the request body could not be read".into()))?;
    if body.len() > limit {
        Err(too_large)
    } else {
        Ok(body)
    }
}

pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}
