//! Vonage's callbacks: the answer webhook (the NCCO) and its fallback, call
//! events (a ring-list leg's answered with the next NCCO), recording events,
//! and RTC events.

use serde::Serialize;
use web_sys::{Request, Response};

use crate::call::answer::{self, AnswerSettings, Decision, Hours};
use crate::call::guard::{Struck, line_freed_by};
use crate::call::ring;
use crate::call::speech::Caller;
use crate::call::ticket;
use crate::call::whisper::{self, CallerContext};
use crate::calllog::LogRecord;
use crate::calllog::store;
use crate::config::Config;
use crate::error::AppError;
use crate::routes::Method;
use crate::shared::origin::WorkerOrigin;
use crate::vonage::answer_request::AnswerRequest;
use crate::vonage::signature::{self, MAX_BODY_BYTES, Payload, WebhookSettings};

use super::super::guard;
use super::super::http::{self, RequestUrl, header};
use super::super::kv::CallEventsQueue;
use super::super::runtime::{self, Context, Env, call_line, console_error, console_warn};
use super::super::speech;
use super::super::zone::IntlZones;
use super::{log_store, now_ms, settings};

/// Whether the request is Vonage's, as far as configuration can tell
/// (`signature::check`).
fn authentic(
    req: &Request,
    webhooks: &WebhookSettings,
    payload: &Payload<'_>,
) -> Result<(), AppError> {
    signature::check(
        webhooks,
        header(req, "Authorization").as_deref(),
        payload,
        now_ms() / 1000,
    )
}

/// The answer request, checked: a bad signature is an error, an unsigned
/// request that may not be taken is `Ok(None)`. An unreadable or oversized
/// POST body still makes a request (a caller is waiting); only a signed
/// deployment needs the exact bytes, and then the check fails on them.
async fn answer_request(
    req: &Request,
    method: Method,
    url: &RequestUrl,
    webhooks: Result<&WebhookSettings, &crate::error::ConfigError>,
) -> Result<(AnswerRequest, bool), AppError> {
    let (request, payload_check) = if method == Method::Get {
        let pairs = url.query_pairs();
        let check = webhooks.map(|w| authentic(req, w, &Payload::Query(&pairs)));
        let request =
            AnswerRequest::from_query(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        (request, check)
    } else {
        let body = http::read_body(req, MAX_BODY_BYTES)
            .await
            .unwrap_or_default();
        let check = webhooks.map(|w| authentic(req, w, &Payload::Body(&body)));
        (AnswerRequest::from_json(&body), check)
    };
    match payload_check {
        Ok(Err(AppError::SignatureRequired)) => Ok((request, false)),
        Ok(Err(e)) => Err(e),
        _ => Ok((request, true)),
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
    let (request, signed_or_allowed) = answer_request(req, method, url, webhooks).await?;
    // Without usable webhook settings the request cannot be verified: it
    // gets the apology, which dials no one and reveals nothing.
    let settings = webhooks.and(config.answer.as_ref());
    let (decision, ticket_lang, struck, context) = match settings {
        _ if !signed_or_allowed => (Decision::Unsigned, None, None, CallerContext::default()),
        Err(e) => (
            Decision::NotConfigured(e.clone()),
            None,
            None,
            CallerContext::default(),
        ),
        Ok(settings) => admit(&request, settings, WorkerOrigin(url.origin()), &env).await,
    };
    // A refusal is a call's story, told in its log entry; only a service at
    // fault goes to the worker's log too.
    if let Decision::NotConfigured(_) | Decision::GuardUnavailable | Decision::Unsigned = &decision
    {
        console_error!(
            "answer webhook: apologising to the caller: {}",
            decision.reason().unwrap_or_default()
        );
    }
    // Opening hours matter only to a call that would be put through.
    let hours = match (&decision, settings) {
        (Decision::Connect | Decision::Wait(_), Ok(settings)) => {
            Hours::at(settings, &IntlZones, now_ms() as i64)
        }
        _ => Hours::Open,
    };
    // Out of hours a caller who would wait goes to voicemail instead, so
    // leaves the line at once (else a freed line would move them on).
    if let (Decision::Wait(_), Hours::Closed { .. }, Some(leg)) = (&decision, &hours, &request.uuid)
    {
        let (env, leg) = (env.clone(), leg.clone());
        ctx.wait_until(async move {
            if let Err(e) = guard::release(env.as_ref(), &leg).await {
                console_error!(
                    "answer webhook: could not take a closed-hours caller out of the line ({e})"
                );
            }
        });
    }
    // The ticket's language (the page's, via /auth?lang=), else one the
    // call's context names itself, else English.
    let lang = ticket_lang.unwrap_or_else(|| answer::language(&request));
    let words = speech::load(&env, url.origin(), &lang).await;
    let caller = Caller {
        speech: &words,
        lang: &lang,
        context: &context,
    };
    let ncco = decision.ncco(settings.ok(), WorkerOrigin(url.origin()), &hours, caller);
    let mut answered = decision.answered(&hours);
    // Ops see what the agent is told.
    answered.caller = (!context.is_empty()).then(|| context.words());
    let call = request
        .conversation_uuid
        .as_deref()
        .or(request.uuid.as_deref());
    call_line(
        "answer",
        call,
        answered.reason.as_deref().unwrap_or(answered.ncco),
    );
    if decision.logged(struck)
        && let Some(record) = LogRecord::of_answer(&request, &answered, now_ms())
    {
        // Recording the answer must neither delay nor fail it.
        let store = log_store(config, &env).ok();
        ctx.wait_until(log_in_background(store, env, record, "the answered entry"));
    }
    Ok(http::json(200, &ncco))
}

/// Asks the call guard about a call whose ticket checks out (see
/// `answer::guard_question`), or counts a call without one against its
/// user's client. Also the language and the caller's context the ticket
/// carries.
async fn admit(
    request: &AnswerRequest,
    settings: &AnswerSettings,
    origin: WorkerOrigin<'_>,
    env: &Env,
) -> (Decision, Option<String>, Option<Struck>, CallerContext) {
    let (question, lang) = match answer::guard_question(request, settings, origin, now_ms() / 1000)
    {
        Ok(asked) => asked,
        Err(decision) => {
            let struck = match request.from_user.as_deref() {
                Some(user) => guard::strike(env.as_ref(), user)
                    .await
                    .map_err(|e| {
                        console_error!("answer webhook: the call guard is unavailable ({e})")
                    })
                    .ok(),
                None => None,
            };
            if struck.is_some_and(|s| s.known && !s.first) {
                console_warn!(
                    "answer webhook: a call without a valid ticket ({}), not logged again",
                    decision.reason().unwrap_or_default()
                );
            }
            return (decision, None, struck, CallerContext::default());
        }
    };
    let decision = match guard::admit(env.as_ref(), &question).await {
        Ok(admission) => Decision::from_admission(admission),
        Err(e) => {
            console_error!("answer webhook: the call guard is unavailable ({e})");
            Decision::GuardUnavailable
        }
    };
    let context = CallerContext::from_query(&question.context);
    (decision, lang, None, context)
}

/// Vonage's `fallback_answer_url`: asked when the answer webhook failed or
/// timed out. Voicemail (or the closed message), decided from configuration
/// alone: no log, no queue, no call guard, so it answers when they cannot.
pub(super) async fn fallback(
    req: &Request,
    method: Method,
    url: &RequestUrl,
    config: &Config,
    env: Env,
) -> Result<Response, AppError> {
    let webhooks = config.webhooks.as_ref();
    let (request, signed_or_allowed) = answer_request(req, method, url, webhooks).await?;
    let settings = webhooks
        .and(config.answer.as_ref())
        .ok()
        .filter(|_| signed_or_allowed);
    if settings.is_none() {
        console_error!("fallback webhook: apologising to the caller (unsigned or not configured)");
    }
    let hours = match settings {
        Some(settings) => Hours::at(settings, &IntlZones, now_ms() as i64),
        None => Hours::Open,
    };
    // The ticket's language when it checks out (its signature and life; the
    // guard is not asked), else the context's.
    let ticket_lang = settings.and_then(|s| {
        let presented = request.context("ticket");
        ticket::verify(
            &s.ticket_key,
            presented.as_deref(),
            request.caller(),
            now_ms() / 1000,
        )
        .ok()?
        .lang
    });
    let lang = ticket_lang.unwrap_or_else(|| answer::language(&request));
    let words = speech::load(&env, url.origin(), &lang).await;
    let caller = Caller {
        speech: &words,
        lang: &lang,
        context: &CallerContext::default(),
    };
    let ncco = answer::fallback_ncco(settings, WorkerOrigin(url.origin()), &hours, caller);
    let call = request
        .conversation_uuid
        .as_deref()
        .or(request.uuid.as_deref());
    call_line(
        "fallback",
        call,
        if settings.is_some() {
            "voicemail"
        } else {
            "apology"
        },
    );
    Ok(http::json(200, &ncco))
}

#[derive(Serialize)]
struct Accepted<'a> {
    accepted: bool,
    key: &'a str,
    via: &'a str,
}

/// The event's body as the log keeps it: a POSTed JSON body, or with
/// `event_method=GET` the JSON object of the query, in order. `signed`:
/// whether Vonage's signature (or its explicit absence) is checked.
async fn event_body(
    req: &Request,
    method: Method,
    url: &RequestUrl,
    webhooks: Option<&WebhookSettings>,
) -> Result<Vec<u8>, AppError> {
    if method == Method::Get {
        let pairs = url.query_pairs();
        if let Some(webhooks) = webhooks {
            authentic(req, webhooks, &Payload::Query(&pairs))?;
        }
        return Ok(signature::query_json(&pairs).into_bytes());
    }
    let body = http::read_body(req, MAX_BODY_BYTES).await?;
    http::require_json(req)?;
    if let Some(webhooks) = webhooks {
        authentic(req, webhooks, &Payload::Body(&body))?;
    }
    Ok(body)
}

/// A Vonage event (or recording event). Taken for good before it is
/// answered (queue, else KV; neither: 503, so Vonage retries), except a
/// ring-list leg that rang out: its answer is the next NCCO, given at once,
/// and the event is logged after, with retries, so a slow or failing log
/// never leaves the caller hanging.
pub(super) async fn event(
    req: &Request,
    method: Method,
    url: &RequestUrl,
    config: &Config,
    env: &Env,
    ctx: &Context,
) -> Result<Response, AppError> {
    let webhooks = settings(&config.webhooks)?;
    let body = event_body(req, method, url, Some(webhooks)).await?;
    let record = LogRecord::of_event(&body, now_ms())?;
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
    // A ring-list leg's event (its connect is synchronous).
    let pairs = url.query_pairs();
    if let Ok(settings) = config.answer.as_ref()
        && let Some(rang_out) = ring::rang_out(
            &record.entry.status,
            record.entry.direction.as_deref(),
            &pairs,
            settings.skip_machines,
        )
    {
        let words = speech::load(env, url.origin(), rang_out.lang).await;
        let caller = Caller {
            speech: &words,
            lang: rang_out.lang,
            context: &rang_out.context,
        };
        let next = ring::after(settings, WorkerOrigin(url.origin()), rang_out.index, caller);
        let outcome = format!("ring {} {}: next", rang_out.index, record.entry.status);
        call_line("event", Some(&record.entry.call_id), &outcome);
        let store = log_store(config, env).ok();
        ctx.wait_until(log_in_background(
            store,
            env.clone(),
            record,
            "a ring-list event",
        ));
        return Ok(http::json(200, &next));
    }
    take(config, env, &record).await
}

/// An event taken for good (queue, else KV) before it is answered; neither:
/// 503, so Vonage retries.
async fn take(config: &Config, env: &Env, record: &LogRecord) -> Result<Response, AppError> {
    let store = log_store(config, env)?;
    let queue = CallEventsQueue::bind(env);
    let via = store::append(&store, queue.as_ref(), record, |w| {
        console_error!("event log: {w}")
    })
    .await?;
    Ok(http::json(
        200,
        &Accepted {
            accepted: true,
            key: &record.key,
            via: via.as_str(),
        },
    ))
}

/// An RTC (Conversation API) event. Vonage does not document these as
/// signed, so they are taken unsigned, here and nowhere else, and only
/// logged: they never free a line or move a ring list on.
pub(super) async fn rtc(
    req: &Request,
    url: &RequestUrl,
    config: &Config,
    env: &Env,
) -> Result<Response, AppError> {
    let body = event_body(req, Method::Post, url, None).await?;
    let record = LogRecord::of_event(&body, now_ms())?;
    if !record.rtc {
        return Err(AppError::InvalidEvent(
            "not an RTC event (expected `type` and `conversation_id`, no `status`); call events go to /webhooks/event".into(),
        ));
    }
    take(config, env, &record).await
}

/// Delays between tries of a write made after the answer.
const BACKGROUND_RETRIES_MS: [u32; 3] = [0, 500, 2_000];

/// Writes a record after the answer went out (in `waitUntil`), trying again
/// a little later when the queue and KV both fail; what still fails is said
/// in the worker's log, naming what was lost.
async fn log_in_background(
    store: Option<super::super::kv::Kv>,
    env: Env,
    record: LogRecord,
    what: &'static str,
) {
    let Some(store) = store else {
        console_error!("event log: not configured; {what} was not logged");
        return;
    };
    let queue = CallEventsQueue::bind(&env);
    for delay in BACKGROUND_RETRIES_MS {
        runtime::sleep(delay).await;
        let logged = store::append(&store, queue.as_ref(), &record, |w| {
            console_warn!("event log: {w}")
        })
        .await;
        if logged.is_ok() {
            return;
        }
    }
    console_error!(
        "event log: {what} could not be logged after {} tries (key {})",
        BACKGROUND_RETRIES_MS.len(),
        record.key
    );
}

/// A connect's `onAnswer` (`call::whisper`): what the agent hears before
/// being joined to a web call, from its own query. It dials nothing and
/// stores nothing, so it answers whoever asks: only a talk of the query's
/// few plain words.
pub(super) fn whisper_answer(url: &RequestUrl) -> Response {
    let context = CallerContext::from_query(url.query());
    http::json(200, &whisper::whisper_ncco(&context))
}
