//! The event log's key scheme in KV.
//!
//! - `event/<call id>/<event ms, 13 digits>-<hash of the body, 16 hex>`: one
//!   entry per event. Keys sort in time order within a call, a write never
//!   reads first, and a body delivered twice lands on the key it already has.
//! - `call/<yyyy-mm-dd>/<call id>`: the per-day call index; its KV metadata is
//!   the call's summary, so listing a day's calls reads no values.

use sha2::{Digest, Sha256};

pub const EVENT_PREFIX: &str = "event/";
pub const INDEX_PREFIX: &str = "call/";
/// Queue messages that could not be stored in 20 tries (the dead-letter
/// queue's consumer keeps them here, for ops to read).
pub const DEAD_PREFIX: &str = "dead/";

/// The first 8 bytes of SHA-256, in hex: unique enough within one call's
/// millisecond, short enough for a key.
pub fn short_hash(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..8])
}

pub fn event_prefix(call_id: &str) -> String {
    format!("{EVENT_PREFIX}{call_id}/")
}

pub fn event_key(call_id: &str, at_ms: u64, content_hash: &str) -> String {
    format!("{}{at_ms:013}-{content_hash}", event_prefix(call_id))
}

pub fn index_prefix(day: &str) -> String {
    format!("{INDEX_PREFIX}{day}/")
}

pub fn index_key(day: &str, call_id: &str) -> String {
    format!("{}{call_id}", index_prefix(day))
}

/// `dead/<ms kept, 13 digits>-<hash of the message>`: in the order kept, and
/// a message delivered twice is kept once.
pub fn dead_letter_key(kept_ms: u64, message: &[u8]) -> String {
    format!("{DEAD_PREFIX}{kept_ms:013}-{}", short_hash(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_in_time_order_within_a_call() {
        let a = event_key("aaaaaaaa", 999, "00");
        let b = event_key("aaaaaaaa", 1_000, "00");
        assert!(a < b, "{a} {b}");
        assert_eq!(a, "event/aaaaaaaa/0000000000999-00");
        assert_eq!(
            index_key("2026-01-01", "aaaaaaaa"),
            "call/2026-01-01/aaaaaaaa"
        );
    }
}
