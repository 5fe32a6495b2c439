//! Vonage's callbacks: the answer webhook (the NCCO), call events (a
//! ring-list leg's answered with the next NCCO) and recording events.

use super::super::runtime::{Context, Env, console_error, console_warn};
use serde::Serialize;
use web_sys::{Request, Response};

use crate::call::answer::{self, AnswerSettings, Decision, Hours};
use crate::call::guard::line_freed_by;
use crate::call::ring;
use crate::call::speech::Caller;
use crate::calllog::store;
use crate::calllog::{LogEntry, LogRecord};
use crate::config::Config;
use crate::error::AppError;
use crate::routes::Method;
use crate::shared::origin::WorkerOrigin;
use crate::vonage::answer_request::AnswerRequest;
use crate::vonage::ncco::Ncco;
use crate::vonage::signature::{self, MAX_BODY_BYTES, Payload, WebhookSettings};

use super::super::guard;
use super::super::http::{self, RequestUrl, header};
use super::super::kv::CallEventsQueue;
use super::super::speech;
use super::super::zone::IntlZones;
use super::{log_store, now_ms, settings};

/// Checks Vonage's signature when a secret is configured.
pub(super) fn verify_signature(
    req: &Request,
    webhooks: &WebhookSettings,
    payload: &Payload<'_>,
) -> Result<(), AppError> {
    match &webhooks.signature {
        None => Ok(()),
        Some(signature) => signature::verify(
            signature,
            header(req, "Authorization").as_deref(),
            payload,
            now_ms() / 1000,
        ),
    }
}

/// Always an NCCO, unless the request is not from Vonage: a caller is
/// waiting on the line, so configuration problems get a spoken apology.
pub(super) async fn answer(
    req: &Request,
    method: Method,
    url: &RequestUrl,
    config: &Config,
    env: Env,
    ctx: &Context,
) -> Result<Response, AppError> {
    let webhooks = config.webhooks.as_ref();
    let request = if method == Method::Get {
        let pairs = url.query_pairs();
        if let Ok(webhooks) = webhooks {
            verify_signature(req, webhooks, &Payload::Query(&pairs))?;
        }
        AnswerRequest::from_query(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    } else {
        // An unreadable or oversized body still gets an NCCO; only a signed
        // deployment needs the exact bytes, and then the check fails on them.
        let body = http::read_body(req, MAX_BODY_BYTES)
            .await
            .unwrap_or_default();
        if let Ok(webhooks) = webhooks {
            verify_signature(req, webhooks, &Payload::Body(&body))?;
        }
        AnswerRequest::from_json(&body)
    };

    // Without usable webhook settings the request cannot be verified: it
    // gets the apology, which dials no one and reveals nothing.
    let settings = webhooks.and(config.answer.as_ref());
    let (decision, ticket_lang) = match settings {
        Err(e) => (Decision::NotConfigured(e.clone()), None),
        Ok(settings) => admit(&request, settings, &env).await,
    };
    // A refusal is a call's story, told in its log entry; only a service at
    // fault goes to the worker's log too.
    if let Decision::NotConfigured(_) | Decision::GuardUnavailable = &decision {
        console_error!(
            "answer webhook: apologising to the caller: {}",
            decision.reason().unwrap_or_default()
        );
    }
    // Opening hours matter only to a call that would be put through.
    let hours = match (&decision, settings) {
        (Decision::Connect, Ok(settings)) => Hours::at(settings, &IntlZones, now_ms() as i64),
        _ => Hours::Open,
    };
    // The ticket's language (the page's, via /auth?lang=), else one the
    // call's context names itself, else English.
    let lang = ticket_lang.unwrap_or_else(|| answer::language(&request));
    let words = speech::load(&env, url.origin(), &lang).await;
    let caller = Caller {
        speech: &words,
        lang: &lang,
    };
    let ncco = decision.ncco(settings.ok(), WorkerOrigin(url.origin()), &hours, caller);
    if let Some(record) = LogRecord::of_answer(&request, &decision.answered(&hours), now_ms()) {
        // Recording the answer must neither delay nor fail it.
        let store = log_store(config, &env);
        ctx.wait_until(async move {
            let queue = CallEventsQueue::bind(&env);
            let logged = match store {
                Ok(store) => store::append(&store, queue.as_ref(), &record, |w| {
                    console_warn!("event log: {w}")
                })
                .await
                .is_ok(),
                Err(_) => false,
            };
            if !logged {
                console_error!("answer webhook: the answered entry could not be logged");
            }
        });
    }
    Ok(http::json(200, &ncco))
}

/// Asks the call guard about a call whose ticket checks out (see
/// `answer::guard_question`). Also the language the ticket carries.
pub(super) async fn admit(
    request: &AnswerRequest,
    settings: &AnswerSettings,
    env: &Env,
) -> (Decision, Option<String>) {
    let (question, lang) = match answer::guard_question(request, settings, now_ms() / 1000) {
        Ok(asked) => asked,
        Err(decision) => return (decision, None),
    };
    let decision = match guard::admit(env.as_ref(), &question).await {
        Ok(admission) => Decision::from_admission(admission),
        Err(e) => {
            console_error!("answer webhook: the call guard is unavailable ({e})");
            Decision::GuardUnavailable
        }
    };
    (decision, lang)
}

#[derive(Serialize)]
struct Accepted<'a> {
    accepted: bool,
    key: &'a str,
    via: &'a str,
}

/// A Vonage event, POSTed as JSON or, with `event_method=GET`, as query
/// parameters (stored as the JSON object of the query, in order).
pub(super) async fn event(
    req: &Request,
    method: Method,
    url: &RequestUrl,
    config: &Config,
    env: &Env,
    ctx: &Context,
) -> Result<Response, AppError> {
    let webhooks = settings(&config.webhooks)?;
    let body = if method == Method::Get {
        let pairs = url.query_pairs();
        verify_signature(req, webhooks, &Payload::Query(&pairs))?;
        signature::query_json(&pairs).into_bytes()
    } else {
        let body = http::read_body(req, MAX_BODY_BYTES).await?;
        http::require_json(req)?;
        verify_signature(req, webhooks, &Payload::Body(&body))?;
        body
    };
    let record = LogRecord::of_event(&body, now_ms())?;
    let store = log_store(config, env)?;
    let queue = CallEventsQueue::bind(env);
    let via = store::append(&store, queue.as_ref(), &record, |w| {
        console_error!("event log: {w}")
    })
    .await?;
    // A final event may free its call's line in the guard; should that
    // fail, the line frees itself after MAX_CALL_MINUTES.
    if let Some(leg) = line_freed_by(&record.entry).map(str::to_owned) {
        let env = env.clone();
        ctx.wait_until(async move {
            if let Err(e) = guard::release(env.as_ref(), &leg).await {
                console_error!("event log: could not free the call's slot in the guard ({e})");
            }
        });
    }
    // A ring-list leg's event (its connect is synchronous): when the number
    // rang out, the answer is the NCCO that tries the next, or voicemail.
    if let Some(next) = next_in_ring_list(url, config, env, &record.entry).await {
        return Ok(http::json(200, &next));
    }
    Ok(http::json(
        200,
        &Accepted {
            accepted: true,
            key: &record.key,
            via: via.as_str(),
        },
    ))
}

pub(super) async fn next_in_ring_list(
    url: &RequestUrl,
    config: &Config,
    env: &Env,
    entry: &LogEntry,
) -> Option<Ncco> {
    let pairs = url.query_pairs();
    let rang_out = ring::rang_out(&entry.status, entry.direction.as_deref(), &pairs)?;
    let settings = config.answer.as_ref().ok()?;
    let words = speech::load(env, url.origin(), rang_out.lang).await;
    let caller = Caller {
        speech: &words,
        lang: rang_out.lang,
    };
    Some(ring::after(
        settings,
        WorkerOrigin(url.origin()),
        rang_out.index,
        caller,
    ))
}
