//! edge click-to-call: a Cloudflare Worker that lets a website's visitors call
//! a support line from the browser through Vonage.
//!
//! The pure core (every module but `edge`) holds the logic and builds natively,
//! so `cargo test` covers it without a runtime. `edge` is the thin adapter to
//! the Workers runtime and exists only in the wasm32 build.

pub mod config;
pub mod error;
pub mod events;
pub mod health;
pub mod key;
pub mod ncco;
pub mod ops;
pub mod origin;
pub mod routes;
pub mod token;
pub mod webhook;

#[cfg(target_arch = "wasm32")]
mod edge;
