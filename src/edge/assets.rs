//! The static assets (`site/`), fetched from inside the worker through the
//! `ASSETS` binding: the page (to set its headers) and the language files
//! (for what callers hear).

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::Response;
use worker::Env;

const BINDING: &str = "ASSETS";

/// `ASSETS.fetch(input)`: a request, or a URL on any host (the path counts).
pub async fn fetch(env: &Env, input: &JsValue) -> Result<Response, String> {
    let assets = Reflect::get(env.as_ref(), &BINDING.into())
        .ok()
        .filter(JsValue::is_object)
        .ok_or("no assets binding")?;
    let fetch: Function = Reflect::get(&assets, &"fetch".into())
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or("the assets binding cannot fetch")?;
    let promise: Promise = fetch
        .call1(&assets, input)
        .map_err(|_| "the assets fetch failed")?
        .unchecked_into();
    Ok(JsFuture::from(promise)
        .await
        .map_err(|_| "the assets fetch failed")?
        .unchecked_into())
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
