//! The static assets (`site/`), fetched from inside the worker through the
//! `ASSETS` binding: the page (to set its headers) and the language files
//! (for what callers hear).

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::Response;

use super::js;
use super::runtime::Env;

const BINDING: &str = "ASSETS";

/// `ASSETS.fetch(input)`: a request, or a URL on any host (the path counts).
pub async fn fetch(env: &Env, input: &JsValue) -> Result<Response, String> {
    let assets = env.binding(BINDING).ok_or("no assets binding")?;
    let response = js::call_await(&assets, "fetch", std::slice::from_ref(input))
        .await
        .map_err(|_| "the assets fetch failed")?;
    Ok(response.unchecked_into())
}

/// A text file, or why not.
pub async fn text(env: &Env, url: &str) -> Result<String, String> {
    let response = fetch(env, &url.into()).await?;
    if !response.ok() {
        return Err(format!("no such file ({})", response.status()));
    }
    let text = JsFuture::from(response.text().map_err(|_| "unreadable")?)
        .await
        .map_err(|_| "unreadable")?;
    text.as_string().ok_or_else(|| "unreadable".into())
}
