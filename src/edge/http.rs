//! Reading requests and writing responses: the only code that turns core
//! values into `worker::Response`s.

use serde::Serialize;
use worker::{Headers, Request, Response};

use crate::error::{AppError, ErrorResponse};

fn response(status: u16, body: String, headers: &[(&str, &str)]) -> Response {
    let h = Headers::new();
    let _ = h.set("Content-Type", "application/json; charset=utf-8");
    let _ = h.set("X-Content-Type-Options", "nosniff");
    for (k, v) in headers {
        let _ = h.set(k, v);
    }
    Response::builder()
        .with_status(status)
        .with_headers(h)
        .fixed(body.into_bytes())
}

/// A JSON body that must never be cached (tokens, NCCOs, the log).
pub fn json<T: Serialize>(status: u16, value: &T) -> Response {
    match serde_json::to_string(value) {
        Ok(body) => response(status, body, &[("Cache-Control", "no-store")]),
        Err(_) => error(&AppError::Internal),
    }
}

pub fn error(err: &AppError) -> Response {
    let ErrorResponse {
        status,
        headers,
        body,
    } = err.to_response();
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    response(status, body, &headers)
}

/// Refuses a body whose `Content-Type` is not JSON (parameters such as
/// `charset` are fine).
pub fn require_json(req: &Request) -> Result<(), AppError> {
    let content_type = req
        .headers()
        .get("Content-Type")
        .ok()
        .flatten()
        .unwrap_or_default();
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
    let declared = req
        .headers()
        .get("Content-Length")
        .ok()
        .flatten()
        .and_then(|v| v.parse::<u64>().ok());
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
