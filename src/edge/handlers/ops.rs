//! What ops read: health, the call log, voicemail, callback requests,
//! dead letters, the calls in progress and the waiting line. Everything but the bare health status needs `OPS_TOKEN`.

use super::super::runtime::{Env, console_error};
use web_sys::{Request, Response};

use crate::calllog::store::{self, Via};
use crate::config::Config;
use crate::error::AppError;
use crate::health;
use crate::ops::{self, calls, recording};
use crate::visitor::callback;
use crate::vonage::media::UrlParts;

use super::super::guard;
use super::super::http::{self, RequestUrl, header};
use super::super::kv::{CallEventsQueue, Kv};
use super::super::vonage_api;
use super::{AUTH_RATE_LIMITER, log_store, now_ms, read_failed, settings};

/// `Authorization: Bearer <OPS_TOKEN>`, or 404 / 401 (see `ops::authorize`).
fn authorize_ops(req: &Request, config: &Config) -> Result<(), AppError> {
    ops::authorize(
        settings(&config.ops)?,
        header(req, "Authorization").as_deref(),
    )
}

/// The event log, for ops only.
fn ops_log(req: &Request, config: &Config, env: &Env) -> Result<Kv, AppError> {
    authorize_ops(req, config)?;
    log_store(config, env)
}

/// The detailed report for ops (their token in `Authorization`), the bare
/// status for anyone else.
pub(super) fn health_report(req: &Request, config: &Config, env: &Env) -> Response {
    let bindings = health::Bindings {
        event_log: match (log_store(config, env), CallEventsQueue::bind(env)) {
            (Err(_), _) => "unavailable",
            (Ok(_), Some(_)) => Via::Queue.as_str(),
            (Ok(_), None) => Via::Kv.as_str(),
        },
        rate_limiting: env.binding(AUTH_RATE_LIMITER).is_some(),
        call_guard: guard::bound(env.as_ref()),
    };
    let report = health::report(config, bindings);
    if authorize_ops(req, config).is_ok() {
        http::json(report.http_status(), &report)
    } else {
        http::json(report.http_status(), &report.public())
    }
}

/// The calls in progress and who waits in line, from the call guard.
pub(super) async fn ops_line(
    req: &Request,
    config: &Config,
    env: &Env,
) -> Result<Response, AppError> {
    authorize_ops(req, config)?;
    if http::accepts_events(req) {
        return guard::follow(env.as_ref(), "ops=1").await.map_err(|e| {
            console_error!("ops: the call guard is unavailable ({e})");
            AppError::GuardUnavailable
        });
    }
    let view = guard::view(env.as_ref()).await.map_err(|e| {
        console_error!("ops: the call guard is unavailable ({e})");
        AppError::GuardUnavailable
    })?;
    Ok(http::json_text(200, &view))
}

pub(super) async fn ops_callbacks(
    req: &Request,
    config: &Config,
    env: &Env,
) -> Result<Response, AppError> {
    let store = ops_log(req, config, env)?;
    let listed = callback::list(&store).await.map_err(read_failed)?;
    Ok(http::json(200, &listed))
}

pub(super) async fn ops_callback_done(
    req: &Request,
    config: &Config,
    env: &Env,
    id: &str,
) -> Result<Response, AppError> {
    let store = ops_log(req, config, env)?;
    let done = callback::mark_done(&store, id, now_ms())
        .await
        .map_err(read_failed)?
        .ok_or(AppError::NotFound)?;
    Ok(http::json(200, &done))
}

/// Streams a voicemail from Vonage to ops. The URL comes from the call's
/// own log (a verified recording event), never from the request, and only
/// Vonage's API hosts are fetched (`recording::fetchable`): the worker's
/// application token goes nowhere else.
pub(super) async fn ops_recording(
    req: &Request,
    config: &Config,
    env: &Env,
    call_id: &str,
    recording_id: &str,
) -> Result<Response, AppError> {
    authorize_ops(req, config)?;
    let settings = settings(&config.recordings)?;
    let store = log_store(config, env)?;
    let (entries, _) =
        store::entries_of_call(&store, call_id, None, |w| console_error!("event log: {w}"))
            .await
            .map_err(read_failed)?;
    let recording_url = recording::url_of(&entries, recording_id)?;
    let url = web_sys::Url::new(&recording_url).ok();
    let parts = url.as_ref().map(|url| UrlParts {
        protocol: url.protocol(),
        hostname: url.hostname(),
        port: url.port(),
        pathname: url.pathname(),
        username: url.username(),
        password: url.password(),
    });
    if let Err(e) = recording::may_fetch(parts.as_ref(), settings) {
        console_error!("recordings: refused to fetch a recording URL outside Vonage's API hosts");
        return Err(e);
    }
    let href = url.map(|u| u.href()).unwrap_or_default();
    let jwt =
        vonage_api::application_token(&settings.application_id, &settings.private_key).await?;
    http::stream_from(&href, &format!("Bearer {jwt}")).await
}

pub(super) async fn ops_calls(
    req: &Request,
    url: &RequestUrl,
    config: &Config,
    env: &Env,
) -> Result<Response, AppError> {
    authorize_ops(req, config)?;
    let pairs = url.query_pairs();
    let query = calls::ListQuery::parse(
        pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        now_ms(),
    )?;
    let store = log_store(config, env)?;
    let (calls, cursor) = store::calls_of_day(
        &store,
        &query.day.to_string(),
        query.cursor.as_deref(),
        query.limit,
    )
    .await
    .map_err(read_failed)?;
    Ok(http::json(200, &calls::call_list(query.day, calls, cursor)))
}

pub(super) async fn ops_call(
    req: &Request,
    url: &RequestUrl,
    config: &Config,
    env: &Env,
    call_id: &str,
) -> Result<Response, AppError> {
    let store = ops_log(req, config, env)?;
    let pairs = url.query_pairs();
    let cursor = pairs
        .iter()
        .find(|(k, v)| k == "cursor" && !v.is_empty())
        .map(|(_, v)| v.as_str());
    let (entries, next) = store::entries_of_call(&store, call_id, cursor, |w| {
        console_error!("event log: {w}")
    })
    .await
    .map_err(read_failed)?;
    let view = calls::call_view(call_id, entries, next).ok_or(AppError::NotFound)?;
    Ok(http::json(200, &view))
}

pub(super) async fn ops_dead_letters(
    req: &Request,
    config: &Config,
    env: &Env,
) -> Result<Response, AppError> {
    let store = ops_log(req, config, env)?;
    let letters = store::dead_letters(&store).await.map_err(read_failed)?;
    Ok(http::json(200, &letters))
}
