//! edge click-to-call: a Cloudflare Worker that lets a website's visitors call
//! a support line from the browser through Vonage.
//!
//! The pure core (every module but `edge`) holds the logic and builds natively,
//! so `cargo test` covers it without a runtime. `edge` is the thin adapter to
//! the Workers runtime and exists only in the wasm32 build.
//!
//! Dependencies point one way, down this list; nothing imports a module above
//! it:
//!
//! ```text
//! edge                          the adapter (wasm32 only)
//! routes, health                what a URL is; whether the service is fit
//! config                        every variable, read once, into each room's settings
//! visitor, ops                  the browser's requests; what ops read
//! call                          a call's journey: ticket, guard, hours, speech, ring list, voicemail
//! calllog                       the event log
//! vonage                        what Vonage defines
//! shared, error                 plain values; every failure and its HTTP answer
//! ```

pub mod call;
pub mod calllog;
pub mod config;
pub mod error;
pub mod health;
pub mod ops;
pub mod routes;
pub mod shared;
pub mod visitor;
pub mod vonage;

#[cfg(test)]
mod testing;

#[cfg(target_arch = "wasm32")]
pub mod edge;
