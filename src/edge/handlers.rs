//! One function per route: read the request, call the core, write the answer.

use std::future::Future;
use std::pin::Pin;

use serde::Serialize;
use web_sys::{Request, Response};
use worker::{Context, Date, Env, console_error, console_warn};

use crate::answer::{AnswerRequest, Decision, Hours};
use crate::callback::{self, Callback};
use crate::config::{AnswerSettings, Config, ConfigError, WebhookSettings};
use crate::error::AppError;
use crate::guard::AdmitRequest;
use crate::hours::DayHours;
use crate::log::LogRecord;
use crate::log::store::{self, Via};
use crate::log::summary::{RECORD_STATUS, is_connected_leg, is_final};
use crate::ncco::{self, LANG_PARAM, RING_PARAM};
use crate::origin::{self, RequestSite};
use crate::recording::{self, UrlParts};
use crate::routes::{self, Method, Route};
use crate::ticket::{self, ClientKey, TicketProblem};
use crate::user::UserName;
use crate::webhook::{self, MAX_BODY_BYTES, Payload};
use crate::{embed, health, ops, time, token};

use super::guard;
use super::http::{self, RequestUrl, header};
use super::kv::{CallEventsQueue, Kv};
use super::signer::WebCryptoSigner;
use super::speech;
use super::state;
use super::zone::IntlZones;

/// The rate-limiting bindings (`[[ratelimits]]` in wrangler.toml): tokens
/// from `/auth`, and callback requests.
const AUTH_RATE_LIMITER: &str = "AUTH_RATE_LIMITER";
const CALLBACK_RATE_LIMITER: &str = "CALLBACK_RATE_LIMITER";
/// The period of those limits, which is how long a refused client should wait.
const RATE_LIMIT_PERIOD_SECONDS: u32 = 60;

fn now_ms() -> u64 {
    Date::now().as_millis()
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
        Route::Callbacks => boxed(callbacks(&req, &url, &config, &env)).await,
        Route::OpsCallbacks => boxed(ops_callbacks(&req, &config, &env)).await,
        Route::OpsCallbackDone { id } => boxed(ops_callback_done(&req, &config, &env, &id)).await,
        Route::OpsRecording {
            call_id,
            recording_id,
        } => boxed(ops_recording(&req, &config, &env, &call_id, &recording_id)).await,
        Route::OpsCalls => boxed(ops_calls(&req, &url, &config, &env)).await,
        Route::OpsCall { call_id } => boxed(ops_call(&req, &url, &config, &env, &call_id)).await,
        Route::OpsDeadLetters => boxed(ops_dead_letters(&req, &config, &env)).await,
        Route::Health | Route::PageConfig | Route::AuthPreflight => {
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
fn settings<T>(setting: &Result<T, ConfigError>) -> Result<&T, AppError> {
    setting
        .as_ref()
        .map_err(|e| AppError::NotConfigured(e.clone()))
}

/// The log's KV store, or 503 when it is not configured or not bound.
fn log_store(config: &Config, env: &Env) -> Result<Kv, AppError> {
    let log = settings(&config.log)?;
    Kv::bind(env, log.ttl_seconds()).ok_or_else(|| {
        console_error!("event log: the KV binding CALL_EVENTS is missing");
        AppError::LogUnavailable
    })
}

/// The detailed report for ops (their token in `Authorization`), the bare
/// status for anyone else.
fn health_report(req: &Request, config: &Config, env: &Env) -> Response {
    let bindings = health::Bindings {
        event_log: match (log_store(config, env), CallEventsQueue::bind(env)) {
            (Err(_), _) => "unavailable",
            (Ok(_), Some(_)) => Via::Queue.as_str(),
            (Ok(_), None) => Via::Kv.as_str(),
        },
        rate_limiting: env.rate_limiter(AUTH_RATE_LIMITER).is_ok(),
        call_guard: guard::bound(env),
    };
    let report = health::report(config, bindings);
    let is_ops = config
        .ops
        .as_ref()
        .is_ok_and(|ops| ops::authorize(ops, header(req, "Authorization").as_deref()).is_ok());
    if is_ops {
        http::json(report.http_status(), &report)
    } else {
        http::json(report.http_status(), &report.public())
    }
}

#[derive(Serialize)]
struct PageConfig<'a> {
    company_name: &'a str,
    /// Sites the call button may be embedded in (the embed checks its host).
    embed_origins: Vec<&'a str>,
    /// Whether calls are taken now.
    open: bool,
    /// When closed: the next opening, an RFC 3339 instant (the page shows
    /// it in the visitor's own zone).
    next_open: Option<String>,
    /// The company's zone, in which `hours` are given.
    timezone: Option<&'a str>,
    /// The week's opening hours; empty when always open.
    hours: Vec<DayHours>,
    closed_dates: Vec<String>,
}

/// What the page shows that follows configuration. Nothing secret.
fn page_config(config: &Config) -> Result<Response, AppError> {
    let page = settings(&config.page)?;
    let now = now_ms() as i64;
    let embed_origins = page.embed_origins.iter().map(|o| o.as_str()).collect();
    let view = match &page.hours {
        None => PageConfig {
            company_name: &page.company_name,
            embed_origins,
            open: true,
            next_open: None,
            timezone: None,
            hours: Vec::new(),
            closed_dates: Vec::new(),
        },
        Some(hours) => {
            let open = hours.is_open(&IntlZones, now);
            PageConfig {
                company_name: &page.company_name,
                embed_origins,
                open,
                next_open: (!open)
                    .then(|| hours.next_open(&IntlZones, now))
                    .flatten()
                    .map(|(at, _)| time::rfc3339_ms(at as u64)),
                timezone: Some(&hours.zone),
                hours: hours.week_view(),
                closed_dates: hours.closed_dates.iter().map(ToString::to_string).collect(),
            }
        }
    };
    // Public and the same for every site: the embed reads it from its host page.
    Ok(http::json_with(
        200,
        &view,
        &[("Access-Control-Allow-Origin", "*".into())],
    ))
}

/// The page from the assets, with headers that follow the configuration:
/// only the sites in `ALLOWED_ORIGINS` may frame it (the embed's panel).
/// A configuration problem leaves it unframable.
async fn page(req: &Request, config: &Config, env: &Env) -> Result<Response, AppError> {
    let allowed = config
        .page
        .as_ref()
        .map(|p| p.embed_origins.as_slice())
        .unwrap_or_default();
    let assets = js_sys::Reflect::get(env.as_ref(), &"ASSETS".into())
        .ok()
        .filter(wasm_bindgen::JsValue::is_object)
        .ok_or(AppError::NotFound)?;
    let fetch: js_sys::Function = js_sys::Reflect::get(&assets, &"fetch".into())
        .ok()
        .and_then(|f| wasm_bindgen::JsCast::dyn_into(f).ok())
        .ok_or(AppError::Internal)?;
    let promise: js_sys::Promise = fetch
        .call1(&assets, req)
        .map_err(|_| AppError::Internal)?
        .into();
    let response: Response = wasm_bindgen::JsCast::unchecked_into(
        wasm_bindgen_futures::JsFuture::from(promise)
            .await
            .map_err(|_| AppError::Internal)?,
    );
    http::with_headers(&response, &embed::page_headers(allowed))
}

/// Allowed sites may call `/auth` from their own pages' scripts.
fn auth_preflight(req: &Request, url: &RequestUrl, config: &Config) -> Response {
    let allowed = config
        .auth
        .as_ref()
        .map(|a| a.allowed_origins.as_slice())
        .unwrap_or_default();
    let origin = header(req, "Origin");
    match embed::cors_origin(origin.as_deref(), url.origin(), allowed) {
        Some(origin) => http::empty(
            204,
            &[
                ("Access-Control-Allow-Origin", origin.to_owned()),
                ("Access-Control-Allow-Methods", "GET".into()),
                ("Access-Control-Allow-Headers", "Accept".into()),
                ("Access-Control-Max-Age", "600".into()),
                ("Vary", "Origin".into()),
            ],
        ),
        None => http::error(&AppError::CrossSite),
    }
}

async fn auth(
    req: &Request,
    url: &RequestUrl,
    config: &Config,
    env: &Env,
    requested: Option<&str>,
) -> Result<Response, AppError> {
    let settings = settings(&config.auth)?;
    let origin_header = header(req, "Origin");
    let sec_fetch_site = header(req, "Sec-Fetch-Site");
    origin::check(
        &RequestSite {
            own_origin: url.origin(),
            origin_header: origin_header.as_deref(),
            sec_fetch_site: sec_fetch_site.as_deref(),
        },
        &settings.allowed_origins,
    )?;
    if requested.is_some_and(|name| UserName::parse(name).is_none()) {
        return Err(AppError::BadRequest(format!(
            "a user name is {}",
            UserName::FORM
        )));
    }
    let user = token::select_user(settings, requested)?;
    rate_limit(req, env, AUTH_RATE_LIMITER).await?;

    let mut jti = [0u8; 16];
    getrandom::getrandom(&mut jti).map_err(|_| AppError::Signing)?;
    let signer = WebCryptoSigner {
        key: &settings.private_key,
    };
    let now = now_ms() / 1000;
    let minted = token::mint_client_token(settings, user, now, jti, &signer).await?;
    let mut ticket_jti = [0u8; 16];
    getrandom::getrandom(&mut ticket_jti).map_err(|_| AppError::Signing)?;
    let client = ClientKey::of_ip(header(req, "CF-Connecting-IP").as_deref());
    let ticket = ticket::issue(
        &settings.ticket_key,
        &minted.user,
        &minted.jti,
        &client,
        now,
        ticket_jti,
    );
    // Across origins (an allowed site's own script), CORS echoes exactly
    // that site; the answer varies with Origin either way.
    let mut headers = vec![("Vary", "Origin".to_owned())];
    if let Some(origin) = embed::cors_origin(
        origin_header.as_deref(),
        url.origin(),
        &settings.allowed_origins,
    ) {
        headers.push(("Access-Control-Allow-Origin", origin.to_owned()));
    }
    Ok(http::json_with(200, &minted.with_ticket(ticket), &headers))
}

/// Per client IP, when the binding is configured. A limiter that errors lets
/// the request through (and says so): availability beats a perfect count.
async fn rate_limit(req: &Request, env: &Env, binding: &str) -> Result<(), AppError> {
    let Ok(limiter) = env.rate_limiter(binding) else {
        return Ok(());
    };
    let client = header(req, "CF-Connecting-IP").unwrap_or_else(|| "unknown".into());
    match limiter.limit(client).await {
        Ok(outcome) if !outcome.success => Err(AppError::RateLimited {
            retry_after_seconds: RATE_LIMIT_PERIOD_SECONDS,
        }),
        Ok(_) => Ok(()),
        Err(e) => {
            console_error!("{binding}: the rate limiter failed ({e}); letting the request through");
            Ok(())
        }
    }
}

/// Checks Vonage's signature when a secret is configured.
fn verify_signature(
    req: &Request,
    webhooks: &WebhookSettings,
    payload: &Payload<'_>,
) -> Result<(), AppError> {
    match &webhooks.signature {
        None => Ok(()),
        Some(signature) => webhook::verify(
            signature,
            header(req, "Authorization").as_deref(),
            payload,
            now_ms() / 1000,
        ),
    }
}

/// Always an NCCO, unless the request is not from Vonage: a caller is
/// waiting on the line, so configuration problems get a spoken apology.
async fn answer(
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
    let decision = match settings {
        Err(e) => Decision::NotConfigured(e.clone()),
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
    let lang = request.language();
    let words = speech::load(&env, url.origin(), lang).await;
    let caller = ncco::Caller {
        speech: &words,
        lang,
    };
    let ncco = decision.ncco(settings.ok(), ncco::Origin(url.origin()), &hours, caller);
    if let Some(record) = LogRecord::of_answer(&request, &decision, &hours, now_ms()) {
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

/// The ticket must be genuine, fresh and the caller's; then the guard says
/// whether the ticket is unused and the caps allow one more call.
async fn admit(request: &AnswerRequest, settings: &AnswerSettings, env: &Env) -> Decision {
    let presented = ticket::from_custom_data(request.custom_data.as_ref());
    let ticket = match ticket::verify(
        &settings.ticket_key,
        presented,
        request.caller(),
        now_ms() / 1000,
    ) {
        Ok(ticket) => ticket,
        Err(problem) => return Decision::Ticket(problem),
    };
    let Some(leg) = request.uuid.clone() else {
        return Decision::Ticket(TicketProblem::Malformed);
    };
    let admit = AdmitRequest {
        ticket_id: ticket.id,
        client: ticket.client,
        leg,
        limits: settings.limits,
    };
    match guard::admit(env, &admit).await {
        Ok(admission) => Decision::from_admission(admission),
        Err(e) => {
            console_error!("answer webhook: the call guard is unavailable ({e})");
            Decision::GuardUnavailable
        }
    }
}

#[derive(Serialize)]
struct Accepted<'a> {
    accepted: bool,
    key: &'a str,
    via: &'a str,
}

/// A Vonage event, POSTed as JSON or, with `event_method=GET`, as query
/// parameters (stored as the JSON object of the query, in order).
async fn event(
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
        webhook::query_json(&pairs).into_bytes()
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
    // The visitor's leg's final event frees its call's line in the guard
    // (the connected leg holds none). Should that fail, the line frees
    // itself after MAX_CALL_MINUTES.
    let visitor_leg = !is_connected_leg(record.entry.direction.as_deref());
    if let (true, true, Some(leg)) = (
        visitor_leg,
        is_final(&record.entry.status),
        record.entry.uuid.clone(),
    ) {
        let env = env.clone();
        ctx.wait_until(async move {
            if let Err(e) = guard::release(&env, &leg).await {
                console_error!("event log: could not free the call's slot in the guard ({e})");
            }
        });
    }
    // A ring-list leg's event (its connect is synchronous): when the number
    // rang out, the answer is the NCCO that tries the next, or voicemail.
    if let Some(next) = next_in_ring_list(url, config, env, &record.entry.status).await {
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

async fn next_in_ring_list(
    url: &RequestUrl,
    config: &Config,
    env: &Env,
    status: &str,
) -> Option<ncco::Ncco> {
    if !ncco::rang_out(status) {
        return None;
    }
    let pairs = url.query_pairs();
    let param = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let index = param(RING_PARAM)?.parse::<usize>().ok()?;
    let lang = crate::speech::language_code(param(LANG_PARAM));
    let settings = config.answer.as_ref().ok()?;
    let words = speech::load(env, url.origin(), lang).await;
    let caller = ncco::Caller {
        speech: &words,
        lang,
    };
    ncco::after_ring(settings, ncco::Origin(url.origin()), index, status, caller)
}

#[derive(Serialize)]
struct CallbackTaken<'a> {
    id: &'a str,
    status: callback::Status,
    requested_at: &'a str,
}

/// A visitor's callback request: from our own page only, rate limited per
/// client, JSON within a few KiB.
async fn callbacks(
    req: &Request,
    url: &RequestUrl,
    config: &Config,
    env: &Env,
) -> Result<Response, AppError> {
    let origin_header = header(req, "Origin");
    let sec_fetch_site = header(req, "Sec-Fetch-Site");
    origin::check(
        &RequestSite {
            own_origin: url.origin(),
            origin_header: origin_header.as_deref(),
            sec_fetch_site: sec_fetch_site.as_deref(),
        },
        &[],
    )?;
    let body = http::read_body(req, callback::MAX_BODY_BYTES).await?;
    http::require_json(req)?;
    let request = Callback::from_request(&body, now_ms())?;
    let store = log_store(config, env)?;
    rate_limit(req, env, CALLBACK_RATE_LIMITER).await?;
    callback::save(&store, &request).await.map_err(|e| {
        console_error!("callbacks: KV write failed: {e}");
        AppError::LogUnavailable
    })?;
    Ok(http::json(
        201,
        &CallbackTaken {
            id: &request.id,
            status: request.status,
            requested_at: &request.requested_at,
        },
    ))
}

fn authorize_ops(req: &Request, config: &Config) -> Result<(), AppError> {
    ops::authorize(
        settings(&config.ops)?,
        header(req, "Authorization").as_deref(),
    )
}

async fn ops_callbacks(req: &Request, config: &Config, env: &Env) -> Result<Response, AppError> {
    authorize_ops(req, config)?;
    let store = log_store(config, env)?;
    let listed = callback::list(&store).await.map_err(read_failed)?;
    Ok(http::json(200, &listed))
}

async fn ops_callback_done(
    req: &Request,
    config: &Config,
    env: &Env,
    id: &str,
) -> Result<Response, AppError> {
    authorize_ops(req, config)?;
    let store = log_store(config, env)?;
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
async fn ops_recording(
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
    let recording_url = entries
        .iter()
        .filter(|e| e.status == RECORD_STATUS)
        .filter(|e| {
            e.raw_field("recording_uuid")
                .is_some_and(|id| id == recording_id)
        })
        .find_map(|e| e.raw_field("recording_url")?.as_str().map(str::to_owned))
        .ok_or(AppError::NotFound)?;
    let url = web_sys::Url::new(&recording_url)
        .map_err(|_| AppError::RecordingUnavailable("its URL could not be parsed".into()))?;
    let (protocol, hostname, port, pathname, username, password) = (
        url.protocol(),
        url.hostname(),
        url.port(),
        url.pathname(),
        url.username(),
        url.password(),
    );
    let parts = UrlParts {
        protocol: &protocol,
        hostname: &hostname,
        port: &port,
        pathname: &pathname,
        username: &username,
        password: &password,
    };
    if !recording::fetchable(&parts, settings.simulator_origin.as_ref()) {
        console_error!("recordings: refused to fetch a recording URL outside Vonage's API hosts");
        return Err(AppError::RecordingUnavailable(
            "its URL is not on Vonage's API hosts".into(),
        ));
    }
    let mut jti = [0u8; 16];
    getrandom::getrandom(&mut jti).map_err(|_| AppError::Signing)?;
    let signer = WebCryptoSigner {
        key: &settings.private_key,
    };
    let jwt =
        token::mint_application_token(&settings.application_id, now_ms() / 1000, jti, &signer)
            .await?;
    http::stream_from(&url.href(), &format!("Bearer {jwt}")).await
}

async fn ops_calls(
    req: &Request,
    url: &RequestUrl,
    config: &Config,
    env: &Env,
) -> Result<Response, AppError> {
    authorize_ops(req, config)?;
    let pairs = url.query_pairs();
    let query = ops::ListQuery::parse(
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
    Ok(http::json(200, &ops::call_list(query.day, calls, cursor)))
}

async fn ops_call(
    req: &Request,
    url: &RequestUrl,
    config: &Config,
    env: &Env,
    call_id: &str,
) -> Result<Response, AppError> {
    authorize_ops(req, config)?;
    let store = log_store(config, env)?;
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
    let view = ops::call_view(call_id, entries, next).ok_or(AppError::NotFound)?;
    Ok(http::json(200, &view))
}

async fn ops_dead_letters(req: &Request, config: &Config, env: &Env) -> Result<Response, AppError> {
    authorize_ops(req, config)?;
    let store = log_store(config, env)?;
    let letters = store::dead_letters(&store).await.map_err(read_failed)?;
    Ok(http::json(200, &letters))
}

fn read_failed(e: store::StoreError) -> AppError {
    console_error!("event log: KV read failed: {e}");
    AppError::LogUnavailable
}
