//! Calls to Vonage's REST APIs with the application's JWT: the Users API
//! (one user per call) and the Voice API (moving a waiting caller on);
//! recordings are streamed by `http::stream_from`.
//!
//! The application JWT (RS256, five minutes) is signed once and reused by
//! every call of the isolate while more than a minute of it is left: one
//! signature instead of one per `/auth`.

use std::cell::RefCell;

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, RequestInit, Response};

use crate::error::AppError;
use crate::shared::origin::Origin;
use crate::vonage::calls;
use crate::vonage::jwt::{self, APPLICATION_TOKEN_SECONDS};
use crate::vonage::ncco::Ncco;
use crate::vonage::private_key::PrivateKey;
use crate::vonage::users::{self, CreateUser, CreatedUser, USERS_PATH, UsersApiError};

use super::js;
use super::runtime::now_ms;
use super::signer::WebCryptoSigner;

/// A cached token is used only with this much of its life left.
const REUSE_MARGIN_SECONDS: u64 = 60;

thread_local! {
    static APPLICATION_TOKEN: RefCell<Option<(String, u64)>> = const { RefCell::new(None) };
}

/// The application's JWT for a call to Vonage's APIs.
pub async fn application_token(application_id: &str, key: &PrivateKey) -> Result<String, AppError> {
    let now = now_ms() / 1000;
    let cached = APPLICATION_TOKEN.with(|t| t.borrow().clone());
    if let Some((token, expires)) = cached
        && expires.saturating_sub(now) > REUSE_MARGIN_SECONDS
    {
        return Ok(token);
    }
    let mut jti = [0u8; 16];
    getrandom::getrandom(&mut jti).map_err(|_| AppError::Signing)?;
    let token =
        jwt::mint_application_token(application_id, now, jti, &WebCryptoSigner { key }).await?;
    let expires = now + APPLICATION_TOKEN_SECONDS;
    APPLICATION_TOKEN.with(|t| *t.borrow_mut() = Some((token.clone(), expires)));
    Ok(token)
}

/// One request to Vonage's API with the application's token: its status
/// and body, or `None` when Vonage could not be reached.
async fn send(
    method: &str,
    url: &str,
    token: &str,
    body: &str,
) -> Result<Option<(u16, String)>, AppError> {
    let headers = Headers::new().map_err(|_| AppError::Internal)?;
    let _ = headers.set("Authorization", &format!("Bearer {token}"));
    let _ = headers.set("Content-Type", "application/json");
    let _ = headers.set("Accept", "application/json");
    let init = RequestInit::new();
    init.set_method(method);
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(body));
    let Ok(response) = js::call_await(&js_sys::global(), "fetch", &[url.into(), init.into()]).await
    else {
        return Ok(None);
    };
    let response: Response = response.unchecked_into();
    let text = match response.text() {
        Ok(promise) => JsFuture::from(promise)
            .await
            .ok()
            .and_then(|t| t.as_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    Ok(Some((response.status(), text)))
}

/// `POST {api}/v1/users`: the user for one call.
pub async fn create_user(
    api: &Origin,
    application_id: &str,
    key: &PrivateKey,
    user: &CreateUser,
) -> Result<CreatedUser, AppError> {
    let token = application_token(application_id, key).await?;
    let failed = |e: UsersApiError| AppError::UsersApi(e.to_string());
    let body = serde_json::to_string(user).map_err(|_| AppError::Internal)?;
    let url = format!("{}{USERS_PATH}", api.as_str());
    let (status, text) = send("POST", &url, &token, &body)
        .await?
        .ok_or_else(|| failed(UsersApiError::Unreachable))?;
    users::created(status, &text, &user.name).map_err(failed)
}

/// `PUT {api}/v1/calls/{leg}`: the leg runs `ncco` from now on.
pub async fn transfer(
    api: &Origin,
    application_id: &str,
    key: &PrivateKey,
    leg: &str,
    ncco: &Ncco,
) -> Result<(), String> {
    let path = calls::call_path(leg).ok_or("not a call's uuid")?;
    let token = application_token(application_id, key)
        .await
        .map_err(|_| "the application's token could not be signed")?;
    let url = format!("{}{path}", api.as_str());
    match send("PUT", &url, &token, &calls::transfer_body(ncco)).await {
        Ok(Some((status, _))) => calls::transferred(status),
        Ok(None) => Err("Vonage's Voice API could not be reached".into()),
        Err(_) => Err("the request could not be made".into()),
    }
}
