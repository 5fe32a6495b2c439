//! The adapter to the Workers runtime: parse the request, call the core,
//! write the response. Nothing here decides anything the core could.
//!
//! Without the `entry` feature only the signer is built: the signer
//! benchmark (bench/signers) links this crate as a library and brings its
//! own entry point.

#[cfg(feature = "entry")]
mod assets;
#[cfg(feature = "entry")]
mod consumer;
#[cfg(feature = "entry")]
mod guard;
#[cfg(feature = "entry")]
mod handlers;
#[cfg(feature = "entry")]
mod http;
#[cfg(feature = "entry")]
mod js;
#[cfg(feature = "entry")]
mod kv;
#[cfg(feature = "entry")]
mod runtime;
pub mod signer;
#[cfg(feature = "entry")]
mod speech;
#[cfg(feature = "entry")]
mod state;
#[cfg(feature = "entry")]
mod vonage_api;
#[cfg(feature = "entry")]
mod zone;

#[cfg(feature = "entry")]
pub use guard::CallGuard;
#[cfg(feature = "entry")]
use runtime::{Context, Env};
#[cfg(feature = "entry")]
use wasm_bindgen::prelude::*;

/// Run once per wasm instance: panics are reported with their message, and
/// after one (a trap: the wasm's state is lost) the next call starts a fresh
/// instance, counted in `globalThis.__edge_instance` so the entry module can
/// rebuild the Durable Object around it.
#[cfg(feature = "entry")]
#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
    wasm_bindgen::handler::set_on_abort(wasm_bindgen::handler::schedule_reinit);
    let global = js_sys::global();
    let count = js::get(&global, INSTANCE_COUNTER)
        .and_then(|n| n.as_f64())
        .unwrap_or(0.0);
    let _ = js_sys::Reflect::set(&global, &INSTANCE_COUNTER.into(), &(count + 1.0).into());
}

#[cfg(feature = "entry")]
const INSTANCE_COUNTER: &str = "__edge_instance";

/// The fetch handler, returning a `Response` directly when no I/O is needed
/// and a `Promise` only when it is (the runtime accepts either): see
/// `handlers::handle_now`.
#[cfg(feature = "entry")]
#[wasm_bindgen]
pub fn fetch(req: web_sys::Request, env: JsValue, ctx: JsValue) -> JsValue {
    let env = Env::new(env);
    match handlers::handle_now(&req, &env) {
        handlers::Handling::Now(response) => response.into(),
        handlers::Handling::Later(route, url, method) => {
            let ctx = Context::new(ctx);
            wasm_bindgen_futures::future_to_promise(async move {
                Ok(handlers::handle_later(req, route, url, method, env, ctx)
                    .await
                    .into())
            })
            .into()
        }
    }
}

/// The queue handler: a `MessageBatch` of the runtime's, handed over as is.
#[cfg(feature = "entry")]
#[wasm_bindgen]
pub fn queue(batch: JsValue, env: JsValue, _ctx: JsValue) -> js_sys::Promise {
    let env = Env::new(env);
    wasm_bindgen_futures::future_to_promise(async move {
        consumer::consume(batch, &env)
            .await
            .map(|()| JsValue::UNDEFINED)
    })
}

#[cfg(feature = "entry")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
