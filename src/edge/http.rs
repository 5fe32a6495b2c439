//! Reading requests and writing responses: the only code that touches the
//! runtime's `Request` and `Response`.
//!
//! Both are the runtime's own objects (`web_sys`), not workers-rs wrappers:
//! each wrapper field is another call into JS, and in the benchmark that
//! glue cost more than the handlers themselves (see bench/README.md).
//! Responses are built from a `ResponseInit` made once per isolate and status.

use std::cell::RefCell;

use js_sys::{Reflect, Uint8Array};
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, ReadableStreamDefaultReader, Request, Response, ResponseInit};

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

/// `headers`, each set over what `into` already has.
fn set_all<'a>(into: &Headers, headers: impl IntoIterator<Item = (&'a str, &'a str)>) {
    for (name, value) in headers {
        let _ = into.set(name, value);
    }
}

fn new_headers<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> Headers {
    let out = Headers::new().expect("Headers can be constructed");
    set_all(&out, headers);
    out
}

fn json_headers() -> Headers {
    new_headers(JSON_HEADERS)
}

fn pairs<'a>(headers: &'a [(&'static str, String)]) -> impl Iterator<Item = (&'a str, &'a str)> {
    headers.iter().map(|(name, value)| (*name, value.as_str()))
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
        set_all(&headers, pairs(extra_headers));
        new_init(status, &headers)
    };
    Response::new_with_opt_str_and_init(Some(body), &init)
        .expect("a string body and a plain init make a Response")
}

/// A JSON body.
pub fn json<T: Serialize>(status: u16, value: &T) -> Response {
    json_with(status, value, &[])
}

/// Whether the client asks for Server-Sent Events.
pub fn accepts_events(req: &Request) -> bool {
    header(req, "Accept").is_some_and(|a| a.contains("text/event-stream"))
}

/// A body that is JSON text already.
pub fn json_text(status: u16, json: &str) -> Response {
    respond(status, json, &[])
}

/// A JSON body with more headers (CORS).
pub fn json_with<T: Serialize>(
    status: u16,
    value: &T,
    headers: &[(&'static str, String)],
) -> Response {
    match serde_json::to_string(value) {
        Ok(body) => respond(status, &body, headers),
        Err(_) => error(&AppError::Internal),
    }
}

/// A response with no body and these headers (a CORS preflight).
pub fn empty(status: u16, headers: &[(&'static str, String)]) -> Response {
    Response::new_with_opt_str_and_init(None, &new_init(status, &new_headers(pairs(headers))))
        .expect("an empty body and a plain init make a Response")
}

/// `response` as it is, with `headers` set over its own (a `None` value:
/// that header removed).
pub fn with_headers(
    response: &Response,
    headers: &[(&'static str, Option<String>)],
) -> Result<Response, AppError> {
    let out = Headers::new_with_headers(&response.headers()).map_err(|_| AppError::Internal)?;
    for (name, value) in headers {
        let _ = match value {
            Some(value) => out.set(name, value),
            None => out.delete(name),
        };
    }
    let init = new_init(response.status(), &out);
    init.set_status_text(&response.status_text());
    Response::new_with_opt_readable_stream_and_init(response.body().as_ref(), &init)
        .map_err(|_| AppError::Internal)
}

pub fn error(err: &AppError) -> Response {
    let ErrorResponse {
        status,
        headers,
        body,
    } = err.to_response();
    respond(status, &body, &headers)
}

/// The parts of a request URL the routes read, cut from the runtime's own
/// serialization of it (`Request.url` is an absolute, WHATWG-normalised URL:
/// lowercase scheme and host, no default port, a path that starts with `/`,
/// `?` and `#` percent-encoded inside the path), as workers-rs does itself:
/// no second URL parser in the wasm.
pub struct RequestUrl {
    href: String,
    path_start: usize,
    query_start: Option<usize>,
}

impl RequestUrl {
    pub fn of(req: &Request) -> Result<Self, AppError> {
        let href = req.url();
        let unparsable = || AppError::BadRequest("the request URL could not be parsed".into());
        let host_start = href.find("://").ok_or_else(unparsable)? + 3;
        let path_start = href[host_start..]
            .find('/')
            .map(|i| host_start + i)
            .ok_or_else(unparsable)?;
        let end = href.find('#').unwrap_or(href.len());
        let query_start = href[path_start..end].find('?').map(|i| path_start + i);
        let href = href[..end].to_owned();
        Ok(Self {
            href,
            path_start,
            query_start,
        })
    }

    /// `scheme://host[:port]`.
    pub fn origin(&self) -> &str {
        &self.href[..self.path_start]
    }

    pub fn path(&self) -> &str {
        &self.href[self.path_start..self.query_start.unwrap_or(self.href.len())]
    }

    /// The query as sent (after `?`), or empty.
    pub fn query(&self) -> &str {
        self.query_start.map_or("", |i| &self.href[i + 1..])
    }

    /// The query's pairs, decoded, in order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(self.query().as_bytes())
            .into_owned()
            .collect()
    }
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

fn unreadable(_: JsValue) -> AppError {
    AppError::BadRequest("the request body could not be read".into())
}

/// The body, at most `limit` bytes. A declared `Content-Length` over the
/// limit is refused before anything is read (the runtime holds a body to its
/// declared length, so within it one read is safe). A body without one
/// (chunked) is read chunk by chunk and cut off at the limit: it is never
/// buffered whole, however long the client keeps sending.
/// Oversized bodies up to this length are read before the 413 (see below).
const DRAIN_MAX_BYTES: u64 = 64 * 1024;

pub async fn read_body(req: &Request, limit: usize) -> Result<Vec<u8>, AppError> {
    let too_large = AppError::PayloadTooLarge { limit_bytes: limit };
    match header(req, "Content-Length").map(|v| v.trim().parse::<u64>()) {
        Some(Ok(declared)) if declared > limit as u64 => {
            // A small body is read anyway (and dropped): a connection closed
            // with the upload unread reaches the client as a reset, not as
            // this 413. A large one is never read.
            if declared <= DRAIN_MAX_BYTES
                && let Ok(promise) = req.array_buffer()
            {
                let _ = JsFuture::from(promise).await;
            }
            Err(too_large)
        }
        Some(Ok(_)) => {
            let buffer = JsFuture::from(req.array_buffer().map_err(unreadable)?)
                .await
                .map_err(unreadable)?;
            let body = Uint8Array::new(&buffer).to_vec();
            if body.len() > limit {
                Err(too_large)
            } else {
                Ok(body)
            }
        }
        _ => read_stream(req, limit).await,
    }
}

async fn read_stream(req: &Request, limit: usize) -> Result<Vec<u8>, AppError> {
    let Some(stream) = req.body() else {
        return Ok(Vec::new());
    };
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut body = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(unreadable)?;
        if Reflect::get(&chunk, &"done".into())
            .map_err(unreadable)?
            .is_truthy()
        {
            return Ok(body);
        }
        let bytes = Uint8Array::new(&Reflect::get(&chunk, &"value".into()).map_err(unreadable)?);
        if body.len() + bytes.length() as usize > limit {
            // Stop the upload; the rest of the body is never read.
            let _ = reader.cancel();
            return Err(AppError::PayloadTooLarge { limit_bytes: limit });
        }
        body.extend(bytes.to_vec());
    }
}

pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// Fetches `url` with an `Authorization` header and streams its body on:
/// the response never waits for the whole file, nor holds it in the wasm.
/// Vonage's 404 is ours; any other failure is a 502 naming Vonage's status.
pub async fn stream_from(url: &str, authorization: &str) -> Result<Response, AppError> {
    let unavailable = |why: String| AppError::RecordingUnavailable(why);
    let init = web_sys::RequestInit::new();
    init.set_headers(&new_headers([("Authorization", authorization)]));
    let fetch: js_sys::Function = Reflect::get(&js_sys::global(), &"fetch".into())
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or(AppError::Internal)?;
    let promise: js_sys::Promise = fetch
        .call2(&JsValue::NULL, &url.into(), &init)
        .map_err(|_| unavailable("Vonage could not be reached".into()))?
        .unchecked_into();
    let upstream: Response = JsFuture::from(promise)
        .await
        .map_err(|_| unavailable("Vonage could not be reached".into()))?
        .unchecked_into();
    match upstream.status() {
        200..=299 => {}
        404 => return Err(AppError::NotFound),
        status => return Err(unavailable(format!("Vonage answered {status}"))),
    }
    let content_type = upstream
        .headers()
        .get("Content-Type")
        .ok()
        .flatten()
        .unwrap_or_else(|| "audio/mpeg".into());
    let out = new_headers([
        ("Content-Type", content_type.as_str()),
        ("Cache-Control", "private, no-store"),
        ("X-Content-Type-Options", "nosniff"),
        ("Content-Disposition", "inline"),
    ]);
    if let Ok(Some(length)) = upstream.headers().get("Content-Length") {
        let _ = out.set("Content-Length", &length);
    }
    Response::new_with_opt_readable_stream_and_init(upstream.body().as_ref(), &new_init(200, &out))
        .map_err(|_| AppError::Internal)
}
