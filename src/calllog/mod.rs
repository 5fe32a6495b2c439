//! The event log: every call event Vonage sends, kept per call in KV, with a
//! per-day index ops can list.
//!
//! - [`keys`]: where entries live in KV;
//! - [`entry`]: what is stored for an event or an answered call;
//! - [`summary`]: what happened to a call (the one outcome rule);
//! - [`store`]: every storing decision, over an abstract KV and queue.

pub mod entry;
pub mod keys;
pub mod store;
pub mod summary;

pub use entry::{Answered, LogEntry, LogRecord};
pub use summary::{CallSummary, Outcome};

/// The event log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogSettings {
    pub ttl_days: u32,
}

impl LogSettings {
    /// KV's `expirationTtl` for this retention.
    pub fn ttl_seconds(&self) -> u64 {
        u64::from(self.ttl_days) * 24 * 60 * 60
    }
}
