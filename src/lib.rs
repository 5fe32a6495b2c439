//! edge click-to-call: a Cloudflare Worker that lets a website's visitors call
//! a support line from the browser through Vonage.
//!
//! The pure core (every module but `edge`) holds the logic and builds natively,
//! so `cargo test` covers it without a runtime. `edge` is the thin adapter to
//! the Workers runtime and exists only in the wasm32 build.

pub mod answer;
pub mod bearer;
pub mod callback;
pub mod config;
pub mod embed;
pub mod error;
pub mod guard;
pub mod health;
pub mod hours;
pub mod key;
pub mod log;
pub mod ncco;
pub mod ops;
pub mod origin;
pub mod phone;
pub mod recording;
pub mod routes;
pub mod secret;
pub mod speech;
pub mod ticket;
pub mod time;
pub mod token;
pub mod user;
pub mod webhook;

#[cfg(test)]
mod testing;

#[cfg(target_arch = "wasm32")]
pub mod edge;
