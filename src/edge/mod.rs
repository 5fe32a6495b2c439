//! The adapter to the Workers runtime: parse the request, call the core,
//! write the response. Nothing here decides anything the core could.

#[cfg(feature = "bench-signers")]
mod bench;
mod event_log;
mod handlers;
mod http;
mod raw_kv;
mod signer;
mod state;

use worker::{Context, Env, MessageBatch, Request, event};

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<web_sys::Response> {
    Ok(handlers::handle(req, env, ctx).await)
}

#[event(queue)]
async fn queue(batch: MessageBatch<String>, env: Env, _ctx: Context) -> worker::Result<()> {
    event_log::consume(batch, &env).await
}
