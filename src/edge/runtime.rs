//! The runtime's pieces every handler touches: the environment (variables,
//! secrets, bindings), the execution context (`waitUntil`), the console, and
//! the clock. Each is a JS object used through its own API (`js.rs`).

use std::future::Future;

use wasm_bindgen::JsValue;

use super::js;

/// The worker's `env`: its variables, secrets and bindings by name.
#[derive(Clone)]
pub struct Env(JsValue);

impl Env {
    pub fn new(env: JsValue) -> Self {
        Self(env)
    }

    /// A variable or secret, as text.
    pub fn var(&self, name: &str) -> Option<String> {
        js::get(&self.0, name)?.as_string()
    }

    /// A binding (KV, a queue, a rate limiter, a Durable Object namespace).
    pub fn binding(&self, name: &str) -> Option<JsValue> {
        js::object(&self.0, name)
    }
}

impl AsRef<JsValue> for Env {
    fn as_ref(&self) -> &JsValue {
        &self.0
    }
}

/// The request's execution context.
pub struct Context(JsValue);

impl Context {
    pub fn new(ctx: JsValue) -> Self {
        Self(ctx)
    }

    /// Keeps the isolate alive until `work` is done, after the response.
    pub fn wait_until(&self, work: impl Future<Output = ()> + 'static) {
        let promise = wasm_bindgen_futures::future_to_promise(async move {
            work.await;
            Ok(JsValue::UNDEFINED)
        });
        let _ = js::call(&self.0, "waitUntil", &[promise.into()]);
    }
}

/// Waits `ms` milliseconds (the runtime's `setTimeout`; within a request or
/// its `waitUntil`, the only place a worker's timers run).
pub async fn sleep(ms: u32) {
    if ms == 0 {
        return;
    }
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = js::call(
            &js_sys::global(),
            "setTimeout",
            &[resolve.into(), ms.into()],
        );
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Milliseconds since the epoch.
pub fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

/// `console.log`, `console.warn`, `console.error`, formatted in Rust.
macro_rules! console_log {
    ($($t:tt)*) => { web_sys::console::log_1(&format!($($t)*).into()) };
}
macro_rules! console_warn {
    ($($t:tt)*) => { web_sys::console::warn_1(&format!($($t)*).into()) };
}
macro_rules! console_error {
    ($($t:tt)*) => { web_sys::console::error_1(&format!($($t)*).into()) };
}
pub(crate) use {console_error, console_log, console_warn};
