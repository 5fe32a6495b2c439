//! The adapter to the Workers runtime: parse the request, call the core,
//! write the response. Nothing here decides anything the core could.
//!
//! Without the `entry` feature only the signer is built: the signer
//! benchmark (bench/signers) links this crate as a library and brings its
//! own entry point.

#[cfg(feature = "entry")]
mod consumer;
#[cfg(feature = "entry")]
mod handlers;
#[cfg(feature = "entry")]
mod http;
#[cfg(feature = "entry")]
mod kv;
pub mod signer;
#[cfg(feature = "entry")]
mod state;

#[cfg(feature = "entry")]
use worker::{Context, Env, MessageBatch, event};

#[cfg(feature = "entry")]
#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

#[cfg(feature = "entry")]
#[event(fetch)]
async fn fetch(req: web_sys::Request, env: Env, ctx: Context) -> worker::Result<web_sys::Response> {
    Ok(handlers::handle(req, env, ctx).await)
}

#[cfg(feature = "entry")]
#[event(queue)]
async fn queue(batch: MessageBatch<String>, env: Env, _ctx: Context) -> worker::Result<()> {
    consumer::consume(batch, &env).await
}
