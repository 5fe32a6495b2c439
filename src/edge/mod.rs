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
pub mod signer;
#[cfg(feature = "entry")]
mod speech;
#[cfg(feature = "entry")]
mod state;
#[cfg(feature = "entry")]
mod zone;

#[cfg(feature = "entry")]
pub use guard::CallGuard;
#[cfg(feature = "entry")]
use wasm_bindgen::prelude::*;
#[cfg(feature = "entry")]
use worker::{Context, Env, event};

#[cfg(feature = "entry")]
#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// The fetch handler, exported as `#[event(fetch)]` would export it, but
/// returning a `Response` directly when no I/O is needed and a `Promise`
/// only when it is (the runtime accepts either): see `handlers::handle_now`.
#[cfg(feature = "entry")]
#[wasm_bindgen]
pub fn fetch(req: web_sys::Request, env: Env, ctx: worker::worker_sys::Context) -> JsValue {
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
pub fn queue(batch: JsValue, env: Env, _ctx: JsValue) -> js_sys::Promise {
    wasm_bindgen_futures::future_to_promise(async move {
        consumer::consume(batch, &env)
            .await
            .map(|()| JsValue::UNDEFINED)
    })
}
