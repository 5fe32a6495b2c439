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

/// One log line, a JSON object (`shared::log_line`), to the runtime's
/// console at its level: Workers Logs keeps and indexes it.
pub fn emit(level: &str, line: &str) {
    let line = JsValue::from_str(line);
    match level {
        "error" => web_sys::console::error_1(&line),
        "warn" => web_sys::console::warn_1(&line),
        _ => web_sys::console::log_1(&line),
    }
}

/// What became of a call at a webhook, as one line.
pub fn call_line(route: &str, call: Option<&str>, outcome: &str) {
    let line = crate::shared::log_line::LogLine {
        level: "info",
        route: Some(route),
        call,
        outcome: Some(outcome),
        message: "",
    };
    emit("info", &line.to_json());
}

/// `console.log`, `console.warn`, `console.error` of a message formatted in
/// Rust, as a JSON line.
macro_rules! console_log {
    ($($t:tt)*) => { $crate::edge::runtime::emit("info", &$crate::shared::log_line::message("info", &format!($($t)*))) };
}
macro_rules! console_warn {
    ($($t:tt)*) => { $crate::edge::runtime::emit("warn", &$crate::shared::log_line::message("warn", &format!($($t)*))) };
}
macro_rules! console_error {
    ($($t:tt)*) => { $crate::edge::runtime::emit("error", &$crate::shared::log_line::message("error", &format!($($t)*))) };
}
pub(crate) use {console_error, console_log, console_warn};
