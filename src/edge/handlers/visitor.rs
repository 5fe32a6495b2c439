//! What the visitor's browser asks for: the page (also the embed's panel),
//! its settings, tokens and call tickets, callback requests.

use super::super::runtime::{Env, console_error};
use serde::Serialize;
use web_sys::{Request, Response};

use crate::call::guard::{IssueRequest, Issued};
use crate::call::ticket;
use crate::call::whisper::CallerContext;
use crate::config::Config;
use crate::error::AppError;
use crate::shared::bearer::{self, Bearer};
use crate::shared::client::ClientKey;
use crate::shared::join::join;
use crate::shared::json::Object;
use crate::shared::origin::Origin;
use crate::visitor::auth::{self, AuthSettings, Users, Who};
use crate::visitor::callback::{self, Callback};
use crate::visitor::page;
use crate::visitor::same_site::{self, RequestSite};
use crate::vonage::user::UserName;
use crate::vonage::users;

use super::super::assets;
use super::super::guard;
use super::super::http::{self, RequestUrl, header};
use super::super::signer::WebCryptoSigner;
use super::super::vonage_api;
use super::super::zone::IntlZones;
use super::{AUTH_RATE_LIMITER, CALLBACK_RATE_LIMITER, log_store, now_ms, rate_limit, settings};

/// What the page shows that follows configuration. Nothing secret.
pub(super) fn page_config(config: &Config) -> Result<Response, AppError> {
    let view = page::page_config(settings(&config.page)?, &IntlZones, now_ms() as i64);
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
pub(super) async fn page(req: &Request, config: &Config, env: &Env) -> Result<Response, AppError> {
    let allowed = config
        .page
        .as_ref()
        .map(|p| p.embed_origins.as_slice())
        .unwrap_or_default();
    let response = assets::fetch(env, req).await.map_err(|why| {
        console_error!("page: {why}");
        AppError::Internal
    })?;
    http::with_headers(&response, &page::page_headers(allowed))
}

/// Allowed sites may call `/auth` from their own pages' scripts.
pub(super) fn auth_preflight(req: &Request, url: &RequestUrl, config: &Config) -> Response {
    let allowed = config
        .auth
        .as_ref()
        .map(|a| a.allowed_origins.as_slice())
        .unwrap_or_default();
    let origin = header(req, "Origin");
    match page::cors_origin(origin.as_deref(), url.origin(), allowed) {
        Some(origin) => http::empty(
            204,
            &[
                ("Access-Control-Allow-Origin", origin.to_owned()),
                ("Access-Control-Allow-Methods", "GET".into()),
                (
                    "Access-Control-Allow-Headers",
                    "Accept, Authorization".into(),
                ),
                ("Access-Control-Max-Age", "600".into()),
                ("Vary", "Origin".into()),
            ],
        ),
        None => http::error(&AppError::CrossSite),
    }
}

/// From our own page, or one of `allowed` (403 otherwise; see `origin::check`).
fn same_site(req: &Request, url: &RequestUrl, allowed: &[Origin]) -> Result<(), AppError> {
    let origin_header = header(req, "Origin");
    let sec_fetch_site = header(req, "Sec-Fetch-Site");
    same_site::check(
        &RequestSite {
            own_origin: url.origin(),
            origin_header: origin_header.as_deref(),
            sec_fetch_site: sec_fetch_site.as_deref(),
        },
        allowed,
    )
}

pub(super) async fn auth(
    req: &Request,
    url: &RequestUrl,
    config: &Config,
    env: &Env,
    requested: Option<&str>,
) -> Result<Response, AppError> {
    let settings = settings(&config.auth)?;
    same_site(req, url, &settings.allowed_origins)?;
    if let Bearer::Token(renewal) = bearer::parse(header(req, "Authorization").as_deref()) {
        return renew(req, url, settings, env, renewal).await;
    }
    if requested.is_some_and(|name| UserName::parse(name).is_none()) {
        return Err(AppError::BadRequest(format!(
            "a user name is {}",
            UserName::FORM
        )));
    }
    let who = auth::select_user(settings, requested)?;
    rate_limit(req, env, AUTH_RATE_LIMITER).await?;
    let client = ClientKey::of_ip(header(req, "CF-Connecting-IP").as_deref());
    let now = now_ms() / 1000;
    let (user, to_create) = match who {
        Who::Existing(user) => (user.clone(), None),
        Who::New => {
            let (user, body) = users::new_user(random()?, settings.ttl_seconds);
            (user, Some(body))
        }
    };
    // The guard, then the user: a client the guard turns away costs no
    // Users API call. The guard remembers the user as long as it may hold a
    // token (renewals included), to count its calls without a ticket.
    let renewable = ticket::TICKET_TTL_SECONDS + u64::from(settings.limits.call_seconds());
    let asked = IssueRequest {
        client: client.clone(),
        user: user.as_str().to_owned(),
        until_ms: (now + settings.ttl_seconds.max(renewable)) * 1000,
        limits: settings.limits,
    };
    let admitted = async {
        match guard::issue(env.as_ref(), &asked).await {
            Ok(Issued::Yes) => {}
            Ok(Issued::Refused { why, retry_after }) => {
                return Err(why.refused_at_auth(retry_after));
            }
            Err(e) => {
                console_error!("/auth: the call guard is unavailable ({e})");
                return Err(AppError::GuardUnavailable);
            }
        }
        if let (Some(body), Users::PerCall { api }) = (&to_create, &settings.users) {
            vonage_api::create_user(api, &settings.application_id, &settings.private_key, body)
                .await
                .inspect_err(|e| console_error!("/auth: {}", e.message()))?;
        }
        Ok(())
    };
    // The token is signed meanwhile: the click waits for the longer of the
    // two, not for both (a refused client's token is thrown away).
    let (admitted, minted) = join(admitted, mint(settings, &user)).await;
    admitted?;
    let minted = minted?;
    // `?lang=`: the page's language, carried by the ticket to the answer webhook.
    let pairs = url.query_pairs();
    let lang = pairs
        .iter()
        .find(|(k, _)| k == "lang")
        .map_or("", |(_, v)| v.as_str());
    // `?page=`, and with the pre-call form `?name=&reason=`: what the
    // agent hears when they answer (`call::whisper`).
    let context = CallerContext::from_pairs(&pairs, settings.pre_call_form);
    let ticket = ticket::issue(
        &settings.ticket_key,
        &minted.user,
        &minted.jti,
        &client,
        lang,
        &context,
        now,
        random()?,
    );
    // A call's own user gets its tokens renewed while the call lasts.
    let renew = to_create.is_some().then(|| {
        random().map(|jti| {
            ticket::issue_renewal(
                &settings.ticket_key,
                &minted.user,
                &client,
                now,
                renewable,
                jti,
            )
        })
    });
    let headers = cors_headers(req, url, settings);
    Ok(http::json_with(
        200,
        &minted.with_ticket(Some(ticket), renew.transpose()?),
        &headers,
    ))
}

/// `/auth` with a renewal ticket as its Bearer token: a new token for the
/// call's own user, without a new user or a ticket.
async fn renew(
    req: &Request,
    url: &RequestUrl,
    settings: &AuthSettings,
    env: &Env,
    renewal: &str,
) -> Result<Response, AppError> {
    let user = ticket::renewal_user(&settings.ticket_key, renewal, now_ms() / 1000)
        .ok()
        .and_then(|user| UserName::parse(&user))
        .ok_or(AppError::Unauthorized)?;
    rate_limit(req, env, AUTH_RATE_LIMITER).await?;
    let minted = mint(settings, &user).await?;
    let headers = cors_headers(req, url, settings);
    Ok(http::json_with(
        200,
        &minted.with_ticket(None, None),
        &headers,
    ))
}

fn random() -> Result<[u8; 16], AppError> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).map_err(|_| AppError::Signing)?;
    Ok(bytes)
}

async fn mint(settings: &AuthSettings, user: &UserName) -> Result<auth::MintedToken, AppError> {
    let signer = WebCryptoSigner {
        key: &settings.private_key,
    };
    auth::mint_client_token(settings, user, now_ms() / 1000, random()?, &signer).await
}

/// Across origins (an allowed site's own script), CORS echoes exactly that
/// site; the answer varies with Origin either way.
fn cors_headers(
    req: &Request,
    url: &RequestUrl,
    settings: &AuthSettings,
) -> Vec<(&'static str, String)> {
    let mut headers = vec![("Vary", "Origin".to_owned())];
    if let Some(origin) = page::cors_origin(
        header(req, "Origin").as_deref(),
        url.origin(),
        &settings.allowed_origins,
    ) {
        headers.push(("Access-Control-Allow-Origin", origin.to_owned()));
    }
    headers
}

#[derive(Serialize)]
struct CallbackTaken<'a> {
    id: &'a str,
    status: callback::Status,
    requested_at: &'a str,
}

/// A visitor's callback request: from our own page only, rate limited per
/// client, JSON within a few KiB.
/// A waiting caller's place in line and the estimated wait
/// (`{"place":2,"wait_seconds":360,"lines":1}`), or `{"place":null}` when
/// the user's call is not waiting (connected, ended, or never placed).
/// With `Accept: text/event-stream`, the same as Server-Sent Events, pushed
/// by the guard as the line moves.
pub(super) async fn line_place(req: &Request, env: &Env, user: &str) -> Result<Response, AppError> {
    if http::accepts_events(req) {
        return guard::follow(env.as_ref(), &guard::user_query(user))
            .await
            .map_err(|e| {
                console_error!("line: the call guard is unavailable ({e})");
                AppError::GuardUnavailable
            });
    }
    let json = guard::place(env.as_ref(), user).await.map_err(|e| {
        console_error!("line: the call guard is unavailable ({e})");
        AppError::GuardUnavailable
    })?;
    Ok(http::json_text(200, &json))
}

pub(super) async fn callbacks(
    req: &Request,
    url: &RequestUrl,
    config: &Config,
    env: &Env,
) -> Result<Response, AppError> {
    same_site(req, url, &[])?;
    let body = http::read_body(req, callback::MAX_BODY_BYTES).await?;
    http::require_json(req)?;
    let mut request = Callback::from_request(&body, now_ms())?;
    let store = log_store(config, env)?;
    rate_limit(req, env, CALLBACK_RATE_LIMITER).await?;
    // "Call me back instead": the place its call holds in the waiting line,
    // as the guard knows it (not as the page says).
    if let Some(user) = request.waiting_user.as_deref()
        && let Ok(place) = guard::place(env.as_ref(), user).await
    {
        request.line_place = Object::parse(&place)
            .ok()
            .and_then(|p| p.text("place"))
            .and_then(|n| n.parse().ok());
    }
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
