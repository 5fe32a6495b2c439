//! Calling the runtime's JavaScript APIs by name: bindings (KV, the queue,
//! rate limiters, the Durable Object namespace), Durable Object storage,
//! queue batches. Each is a property or a method call away, so the adapter
//! reaches them directly instead of through workers-rs' wrappers, whose
//! conversions (serde-wasm-bindgen, the `http` crate's types) were a tenth of
//! the wasm and no faster.

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// `target[key]`, unless it is undefined or null.
pub fn get(target: &JsValue, key: &str) -> Option<JsValue> {
    Reflect::get(target, &key.into())
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

/// `target[key]` as an object (a binding), if it is one.
pub fn object(target: &JsValue, key: &str) -> Option<JsValue> {
    get(target, key).filter(JsValue::is_object)
}

/// `target.method(...args)`.
pub fn call(target: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let function: Function = Reflect::get(target, &method.into())?.dyn_into()?;
    function.apply(target, &args.iter().collect::<Array>())
}

/// `await target.method(...args)`.
pub async fn call_await(
    target: &JsValue,
    method: &str,
    args: &[JsValue],
) -> Result<JsValue, JsValue> {
    let promise: Promise = call(target, method, args)?.dyn_into()?;
    JsFuture::from(promise).await
}

/// `{key: value, ...}`.
pub fn record(pairs: &[(&str, JsValue)]) -> Object {
    let out = Object::new();
    for (key, value) in pairs {
        let _ = Reflect::set(&out, &(*key).into(), value);
    }
    out
}

/// A JS error's message, else its string form (errors of bindings name keys
/// and limits, never values).
pub fn message(e: &JsValue) -> String {
    get(e, "message")
        .and_then(|m| m.as_string())
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "unknown error".into())
}
