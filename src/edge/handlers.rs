//! One function per route: read the request, call the core, write the answer.

use serde::Serialize;
use web_sys::Response;
use worker::{Context, Date, Env, Request, Url, console_error};

use crate::config::{Config, UserName};
use crate::error::AppError;
use crate::events;
use crate::ncco::{self, AnswerRequest};
use crate::origin::{self, RequestSite};
use crate::routes::{self, Method, Route};
use crate::webhook::{Payload, Verifier};
use crate::{health, ops, token};

use super::event_log::EventLog;
use super::http::{self, header};
use super::signer::WebCryptoSigner;
use super::state;

/// The rate-limiting binding for `/auth` (`[[ratelimits]]` in wrangler.toml).
const RATE_LIMIT_BINDING: &str = "AUTH_RATE_LIMITER";
/// The period of that limit, which is how long a refused client should wait.
const RATE_LIMIT_PERIOD_SECONDS: u32 = 60;

fn now_ms() -> u64 {
    Date::now().as_millis()
}

pub async fn handle(mut req: Request, env: Env, ctx: Context) -> Response {
    // The floor of a workers-rs request (nothing parsed, an empty answer), for bench/run.mjs.
    #[cfg(feature = "bench-signers")]
    if req.inner().url().ends_with("/bench/floor") {
        return super::bench::floor();
    }
    let Ok(url) = req.url() else {
        return http::error(&AppError::BadRequest(
            "the request URL could not be parsed".into(),
        ));
    };
    #[cfg(feature = "bench-signers")]
    if url.path() == "/bench/sign" {
        return super::bench::sign(&url, &env).await;
    }
    let route = match routes::resolve(Method::parse(req.method().as_ref()), url.path()) {
        Ok(route) => route,
        Err(e) => return http::error(&e),
    };
    let config = state::config(&env);
    let result = match route {
        Route::Health => Ok(health_report(&config, &env)),
        Route::PageConfig => Ok(page_config(&config)),
        Route::Auth { user } => auth(&req, &url, &config, &env, user.as_deref()).await,
        Route::Answer => answer(&mut req, &url, &config, env, &ctx).await,
        Route::Event => event(&mut req, &config, &env).await,
        Route::OpsCalls => ops_calls(&req, &url, &config, &env).await,
        Route::OpsCall { call_id } => ops_call(&req, &config, &env, &call_id).await,
    };
    result.unwrap_or_else(|e| http::error(&e))
}

fn health_report(config: &Config, env: &Env) -> Response {
    let rate_limiting = env.rate_limiter(RATE_LIMIT_BINDING).is_ok();
    let event_log = EventLog::from_env(env)
        .map(|log| log.via())
        .unwrap_or("unavailable");
    let report = health::report(config, event_log, rate_limiting);
    http::json(report.http_status(), &report)
}

#[derive(Serialize)]
struct PageConfig<'a> {
    company_name: &'a str,
}

/// What the page shows that follows configuration. Nothing secret.
fn page_config(config: &Config) -> Response {
    let company_name = config
        .company_name
        .as_deref()
        .unwrap_or(crate::config::DEFAULT_COMPANY_NAME);
    http::json(200, &PageConfig { company_name })
}

async fn auth(
    req: &Request,
    url: &Url,
    config: &Config,
    env: &Env,
    requested: Option<&str>,
) -> Result<Response, AppError> {
    let allowed = config
        .allowed_origins
        .as_deref()
        .map_err(|e| AppError::NotConfigured(e.clone()))?;
    let origin_header = header(req, "Origin");
    let sec_fetch_site = header(req, "Sec-Fetch-Site");
    let own_origin = url.origin().ascii_serialization();
    origin::check(
        &RequestSite {
            own_origin: &own_origin,
            origin_header: origin_header.as_deref(),
            sec_fetch_site: sec_fetch_site.as_deref(),
        },
        allowed,
    )?;
    if requested.is_some_and(|name| UserName::parse(name).is_none()) {
        return Err(AppError::BadRequest(format!(
            "a user name is {}",
            UserName::FORM
        )));
    }
    let settings = config.token_settings()?;
    let user = token::select_user(&settings, requested)?;
    rate_limit(req, env).await?;

    let mut jti = [0u8; 16];
    getrandom::getrandom(&mut jti).map_err(|_| AppError::Signing)?;
    let signer = WebCryptoSigner {
        key: settings.private_key,
    };
    let minted = token::mint_client_token(&settings, user, now_ms() / 1000, jti, &signer).await?;
    Ok(http::json(200, &minted))
}

/// Per client IP, when the binding is configured. A limiter that errors lets
/// the request through (and says so): availability beats a perfect count.
async fn rate_limit(req: &Request, env: &Env) -> Result<(), AppError> {
    let Ok(limiter) = env.rate_limiter(RATE_LIMIT_BINDING) else {
        return Ok(());
    };
    let client = header(req, "CF-Connecting-IP").unwrap_or_else(|| "unknown".into());
    match limiter.limit(client).await {
        Ok(outcome) if !outcome.success => Err(AppError::RateLimited {
            retry_after_seconds: RATE_LIMIT_PERIOD_SECONDS,
        }),
        Ok(_) => Ok(()),
        Err(e) => {
            console_error!("auth: the rate limiter failed ({e}); letting the request through");
            Ok(())
        }
    }
}

/// Checks Vonage's signature when a secret is configured.
fn verify_signature(req: &Request, config: &Config, payload: &Payload<'_>) -> Result<(), AppError> {
    let secret = config
        .signature_secret
        .as_ref()
        .map_err(|e| AppError::NotConfigured(e.clone()))?;
    let Some(secret) = secret else {
        return Ok(());
    };
    let verifier = Verifier {
        secret,
        application_id: config.application_id.as_deref().ok(),
        max_skew_seconds: config
            .signature_skew_seconds
            .clone()
            .unwrap_or(crate::config::SIGNATURE_SKEW_DEFAULT_SECONDS),
    };
    verifier.verify(
        header(req, "Authorization").as_deref(),
        payload,
        now_ms() / 1000,
    )
}

/// Always an NCCO, unless the request is not from Vonage: a caller is
/// waiting on the line, so configuration problems get a spoken apology.
async fn answer(
    req: &mut Request,
    url: &Url,
    config: &Config,
    env: Env,
    ctx: &Context,
) -> Result<Response, AppError> {
    let request = if req.method() == worker::Method::Get {
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        verify_signature(req, config, &Payload::Query(&pairs))?;
        AnswerRequest::from_query(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    } else {
        // An unreadable or oversized body still gets an NCCO; only a signed
        // deployment needs the exact bytes, and then the check fails on them.
        let body = http::read_body(req, events::MAX_BODY_BYTES)
            .await
            .unwrap_or_default();
        verify_signature(req, config, &Payload::Body(&body))?;
        AnswerRequest::from_json(&body)
    };

    let (ncco, problem) = ncco::answer(config.call_route());
    let outcome = match &problem {
        None => "connect",
        Some(why) => {
            console_error!("answer webhook: apologising to the caller because {why}");
            "apology"
        }
    };
    if let Some(record) = events::answer_record(&request, outcome, now_ms()) {
        // Recording the answer must neither delay nor fail it.
        ctx.wait_until(async move {
            let logged = match EventLog::from_env(&env) {
                Ok(log) => log.append(&record).await.is_ok(),
                Err(_) => false,
            };
            if !logged {
                console_error!("answer webhook: the answered entry could not be logged");
            }
        });
    }
    Ok(http::json(200, &ncco))
}

#[derive(Serialize)]
struct Accepted<'a> {
    accepted: bool,
    key: &'a str,
    via: &'a str,
}

async fn event(req: &mut Request, config: &Config, env: &Env) -> Result<Response, AppError> {
    let body = http::read_body(req, events::MAX_BODY_BYTES).await?;
    http::require_json(req)?;
    verify_signature(req, config, &Payload::Body(&body))?;
    let record = events::parse_event(&body, now_ms())?;
    let via = EventLog::from_env(env)?.append(&record).await?;
    Ok(http::json(
        200,
        &Accepted {
            accepted: true,
            key: &record.key,
            via,
        },
    ))
}

async fn ops_calls(
    req: &Request,
    url: &Url,
    config: &Config,
    env: &Env,
) -> Result<Response, AppError> {
    ops::authorize(&config.ops_token, header(req, "Authorization").as_deref())?;
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let query = ops::ListQuery::parse(
        pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        now_ms(),
    )?;
    let (calls, cursor) = EventLog::from_env(env)?.calls_of_day(&query).await?;
    Ok(http::json(200, &ops::call_list(&query.day, calls, cursor)))
}

async fn ops_call(
    req: &Request,
    config: &Config,
    env: &Env,
    call_id: &str,
) -> Result<Response, AppError> {
    ops::authorize(&config.ops_token, header(req, "Authorization").as_deref())?;
    let entries = EventLog::from_env(env)?.entries_of_call(call_id).await?;
    let view = ops::call_view(call_id, entries).ok_or(AppError::NotFound)?;
    Ok(http::json(200, &view))
}
