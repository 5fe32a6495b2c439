//! One function per route: read the request, call the core, write the
//! answer. Dispatch and what the routes share are here; the routes live by
//! audience: `visitor` (the page, its settings, tokens, callback requests),
//! `webhooks` (Vonage's answer, event and recording callbacks), `ops`.

mod ops;
mod visitor;
mod webhooks;

use std::future::Future;
use std::pin::Pin;

use super::runtime::{self, Context, Env, console_error};
use web_sys::{Request, Response};

use crate::calllog::store;
use crate::config::Config;
use crate::error::{AppError, ConfigError};
use crate::routes::{self, Method, Route};
use crate::shared::client::ClientKey;

use super::http::{self, RequestUrl, header};
use super::js;
use super::kv::Kv;
use super::state;

use ops::{
    health_report, ops_call, ops_callback_done, ops_callbacks, ops_calls, ops_dead_letters,
    ops_line, ops_recording,
};
use visitor::{auth, auth_preflight, callbacks, line_place, page, page_config};
use webhooks::{answer, event, fallback, rtc, whisper_answer};
/// The rate-limiting bindings (`[[ratelimits]]` in wrangler.toml): tokens
/// from `/auth`, and callback requests.
pub(super) const AUTH_RATE_LIMITER: &str = "AUTH_RATE_LIMITER";
pub(super) const CALLBACK_RATE_LIMITER: &str = "CALLBACK_RATE_LIMITER";
/// The period of those limits, which is how long a refused client should wait.
const RATE_LIMIT_PERIOD_SECONDS: u32 = 60;

pub(super) fn now_ms() -> u64 {
    runtime::now_ms()
}

/// What a request needs: an answer now, or work that waits on I/O.
pub enum Handling {
    Now(Response),
    Later(Route, RequestUrl, Method),
}

/// Everything that needs no I/O is answered here, synchronously: unknown
/// routes, wrong methods, `/healthz`, `/config.json`. An async answer costs
/// a trip through wasm-bindgen's executor (a microtask and a promise) that
/// the JSON 404 would otherwise pay on every request.
pub fn handle_now(req: &Request, env: &Env) -> Handling {
    let url = match RequestUrl::of(req) {
        Ok(url) => url,
        Err(e) => return Handling::Now(http::error(&e)),
    };
    let method = Method::parse(&req.method());
    let route = match routes::resolve(method, url.path()) {
        Ok(route) => route,
        Err(e) => return Handling::Now(http::error(&e)),
    };
    match route {
        Route::Health => Handling::Now(health_report(req, &state::config(env), env)),
        Route::PageConfig => {
            Handling::Now(page_config(&state::config(env)).unwrap_or_else(|e| http::error(&e)))
        }
        Route::AuthPreflight => Handling::Now(auth_preflight(req, &url, &state::config(env))),
        Route::Whisper => Handling::Now(whisper_answer(&url)),
        route => Handling::Later(route, url, method),
    }
}

pub async fn handle_later(
    req: Request,
    route: Route,
    url: RequestUrl,
    method: Method,
    env: Env,
    ctx: Context,
) -> Response {
    let config = state::config(&env);
    let result = match route {
        // Each route's future is its own function in the wasm, compiled only
        // when that route is first taken: one state machine for all routes
        // made every cold isolate compile all of them on its first request.
        Route::Page => boxed(page(&req, &config, &env)).await,
        Route::Auth { user } => boxed(auth(&req, &url, &config, &env, user.as_deref())).await,
        Route::Answer => boxed(answer(&req, method, &url, &config, env, &ctx)).await,
        // A recording event is an event of its call like any other.
        Route::Event | Route::Recording => {
            boxed(event(&req, method, &url, &config, &env, &ctx)).await
        }
        Route::Fallback => boxed(fallback(&req, method, &url, &config, env)).await,
        Route::Rtc => boxed(rtc(&req, &url, &config, &env)).await,
        Route::Callbacks => boxed(callbacks(&req, &url, &config, &env)).await,
        Route::Line { user } => boxed(line_place(&req, &env, &user)).await,
        Route::OpsCallbacks => boxed(ops_callbacks(&req, &config, &env)).await,
        Route::OpsLine => boxed(ops_line(&req, &config, &env)).await,
        Route::OpsCallbackDone { id } => boxed(ops_callback_done(&req, &config, &env, &id)).await,
        Route::OpsRecording {
            call_id,
            recording_id,
        } => boxed(ops_recording(&req, &config, &env, &call_id, &recording_id)).await,
        Route::OpsCalls => boxed(ops_calls(&req, &url, &config, &env)).await,
        Route::OpsCall { call_id } => boxed(ops_call(&req, &url, &config, &env, &call_id)).await,
        Route::OpsDeadLetters => boxed(ops_dead_letters(&req, &config, &env)).await,
        Route::Health | Route::PageConfig | Route::AuthPreflight | Route::Whisper => {
            unreachable!("answered by handle_now")
        }
    };
    result.unwrap_or_else(|e| http::error(&e))
}

type Handled<'a> = Pin<Box<dyn Future<Output = Result<Response, AppError>> + 'a>>;

fn boxed<'a>(handler: impl Future<Output = Result<Response, AppError>> + 'a) -> Handled<'a> {
    Box::pin(handler)
}

/// The configuration a route needs, or 503 naming what is wrong.
pub(super) fn settings<T>(setting: &Result<T, ConfigError>) -> Result<&T, AppError> {
    setting
        .as_ref()
        .map_err(|e| AppError::NotConfigured(e.clone()))
}

/// The log's KV store, or 503 when it is not configured or not bound.
pub(super) fn log_store(config: &Config, env: &Env) -> Result<Kv, AppError> {
    let log = settings(&config.log)?;
    Kv::bind(env, log.ttl_seconds()).ok_or_else(|| {
        console_error!("event log: the KV binding CALL_EVENTS is missing");
        AppError::LogUnavailable
    })
}

/// Per client IP, when the binding is configured. A limiter that errors lets
/// the request through (and says so): availability beats a perfect count.
pub(super) async fn rate_limit(req: &Request, env: &Env, binding: &str) -> Result<(), AppError> {
    let Some(limiter) = env.binding(binding) else {
        return Ok(());
    };
    // Keyed like the call guard counts clients: an IPv4 address, or an IPv6
    // address's /64 (one subscriber's), so rotating addresses within a
    // prefix buys no more requests.
    let client = ClientKey::of_ip(header(req, "CF-Connecting-IP").as_deref());
    let key = js::record(&[("key", client.0.into())]);
    match js::call_await(&limiter, "limit", &[key.into()]).await {
        Ok(outcome) if js::get(&outcome, "success").is_some_and(|s| s.is_falsy()) => {
            Err(AppError::RateLimited {
                retry_after_seconds: RATE_LIMIT_PERIOD_SECONDS,
            })
        }
        Ok(_) => Ok(()),
        Err(e) => {
            console_error!(
                "{binding}: the rate limiter failed ({}); letting the request through",
                js::message(&e)
            );
            Ok(())
        }
    }
}

pub(super) fn read_failed(e: store::StoreError) -> AppError {
    console_error!("event log: KV read failed: {e}");
    AppError::LogUnavailable
}
