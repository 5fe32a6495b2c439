//! The event log: every call event Vonage sends, kept per call in KV, with a
//! per-day index ops can list.
//!
//! - [`event`]: reading a Vonage event body;
//! - [`key`]: where entries live in KV;
//! - [`entry`]: what is stored for an event or an answered call;
//! - [`summary`]: what happened to a call (the one outcome rule);
//! - [`store`]: every storing decision, over an abstract KV and queue.

pub mod entry;
pub mod event;
pub mod key;
pub mod store;
pub mod summary;

pub use entry::{LogEntry, LogRecord};
pub use summary::{CallSummary, Outcome};
