//! What happened to a call: the one rule, used both when the call index is
//! merged event by event and when ops read a call's timeline.
//!
//! A click-to-call has two legs in one conversation: the visitor's (the app
//! leg, `inbound`) and the one the NCCO's `connect` created (`outbound`).
//! The visitor's leg always ends `completed`, which says nothing about
//! whether anyone answered, so the connected leg's final status names the
//! call once it is known; before that, the newest event does.

use serde::{Deserialize, Serialize};

use crate::vonage::event::RECORD_STATUS;
use crate::vonage::legs::{Leg, is_final};

/// How a call went, in the words ops sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Nothing final yet.
    InProgress,
    /// Support answered and the call ended normally.
    Answered,
    /// Support's line was busy, did not answer, declined, or the visitor
    /// gave up while it rang.
    Missed,
    /// The call could not be connected.
    Failed,
    /// The visitor's leg ended without a connected leg (e.g. an apology).
    Ended,
    /// The call guard turned the call away (no valid ticket, lines busy, the
    /// client's hourly allowance used).
    Refused,
    /// No one took the call (out of hours, or the whole ring list rang out)
    /// and the caller left a message.
    Voicemail,
}

/// What the per-day call index keeps in KV metadata (at most 1024 bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallSummary {
    /// What happened to the call (see the module's rule).
    pub status: String,
    /// Milliseconds since the epoch of the oldest and newest events seen.
    pub first_event_ms: u64,
    pub last_event_ms: u64,
    /// The caller (the visitor's leg) and the destination (the connected leg).
    pub from: Option<String>,
    pub to: Option<String>,
    /// Whether `status` is the connected leg's final status (or an error),
    /// which later events of the visitor's leg must not replace.
    #[serde(default)]
    pub outcome_known: bool,
    /// Whether `to` came from the connected leg.
    #[serde(default)]
    pub to_is_destination: bool,
    /// Whether the caller left a voicemail (a recording event arrived).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub voicemail: bool,
}

/// KV metadata must serialise to at most 1024 bytes; numbers and names are
/// clipped to this many characters.
const FIELD_MAX_CHARS: usize = 64;

fn clip(s: Option<&str>) -> Option<String> {
    s.map(|s| s.chars().take(FIELD_MAX_CHARS).collect())
}

impl CallSummary {
    /// What one event says about its call.
    pub fn of_event(
        status: &str,
        direction: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
        at_ms: u64,
    ) -> Self {
        let connected = Leg::of(direction) == Leg::Connected;
        Self {
            status: status.to_owned(),
            first_event_ms: at_ms,
            last_event_ms: at_ms,
            // The connected leg's `from` is our own support number, not the caller.
            from: if connected { None } else { clip(from) },
            to: clip(to),
            // An error event (Vonage could not run the call), or the call
            // guard turning the call away, names the call like the connected
            // leg's outcome does.
            outcome_known: (connected && is_final(status)) || matches!(status, "error" | "refused"),
            to_is_destination: connected,
            voicemail: status == RECORD_STATUS,
        }
    }

    /// Combines what is known of one call, whatever order events arrive in:
    /// the connected leg's outcome wins once known, otherwise the newest
    /// event; the earliest caller seen and the destination stay.
    pub fn merge(&self, other: &CallSummary) -> CallSummary {
        let (older, newer) = if other.last_event_ms >= self.last_event_ms {
            (self, other)
        } else {
            (other, self)
        };
        let status_from = match (older.outcome_known, newer.outcome_known) {
            (true, false) => older,
            _ => newer,
        };
        let (earlier, later) = if other.first_event_ms < self.first_event_ms {
            (other, self)
        } else {
            (self, other)
        };
        let to_from = match (earlier.to_is_destination, later.to_is_destination) {
            (false, true) => later,
            (true, false) => earlier,
            _ if earlier.to.is_some() => earlier,
            _ => later,
        };
        CallSummary {
            status: status_from.status.clone(),
            outcome_known: status_from.outcome_known,
            first_event_ms: earlier.first_event_ms,
            last_event_ms: newer.last_event_ms,
            from: earlier.from.clone().or_else(|| later.from.clone()),
            to: to_from.to.clone(),
            to_is_destination: to_from.to_is_destination,
            voicemail: self.voicemail || other.voicemail,
        }
    }

    /// The merge of many, `None` for none.
    pub fn merge_all<'a>(summaries: impl IntoIterator<Item = &'a CallSummary>) -> Option<Self> {
        summaries
            .into_iter()
            .fold(None, |acc: Option<CallSummary>, s| {
                Some(acc.map_or_else(|| s.clone(), |a| a.merge(s)))
            })
    }

    pub fn outcome(&self) -> Outcome {
        match (self.outcome_known, self.status.as_str()) {
            (true, "completed") => Outcome::Answered,
            _ if self.voicemail => Outcome::Voicemail,
            (true, "failed" | "rejected") | (_, "error") => Outcome::Failed,
            (_, "refused") => Outcome::Refused,
            (true, _) => Outcome::Missed,
            (false, status) if is_final(status) => Outcome::Ended,
            _ => Outcome::InProgress,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(direction: &str, status: &str, at: u64, from: &str, to: &str) -> CallSummary {
        CallSummary::of_event(status, Some(direction), Some(from), Some(to), at)
    }

    #[test]
    fn the_connected_legs_outcome_names_the_call_whatever_the_order() {
        let app_started = event("inbound", "started", 0, "supportuser", "447700900000");
        let phone_ringing = event("outbound", "ringing", 2, "447700900000", "447700900001");
        let phone_busy = event("outbound", "busy", 5, "447700900000", "447700900001");
        let app_completed = event("inbound", "completed", 6, "supportuser", "447700900000");
        for order in [
            [&app_started, &phone_ringing, &phone_busy, &app_completed],
            [&app_completed, &phone_busy, &phone_ringing, &app_started],
            [&phone_busy, &app_completed, &app_started, &phone_ringing],
        ] {
            let s = CallSummary::merge_all(order).unwrap();
            assert_eq!(
                s.status, "busy",
                "the visitor's leg completing does not hide the outcome"
            );
            assert_eq!(s.outcome(), Outcome::Missed);
            assert_eq!(s.from.as_deref(), Some("supportuser"), "the caller");
            assert_eq!(s.to.as_deref(), Some("447700900001"), "the destination");
            assert_eq!((s.first_event_ms, s.last_event_ms), (0, 6));
        }
        let s = CallSummary::merge_all([&app_started, &phone_ringing]).unwrap();
        assert_eq!(
            s.status, "ringing",
            "before the connected leg ends, the newest event speaks"
        );
        assert_eq!(s.outcome(), Outcome::InProgress);
    }

    #[test]
    fn outcomes_in_words() {
        let phone = |status| event("outbound", status, 1, "a", "b").outcome();
        assert_eq!(phone("completed"), Outcome::Answered);
        assert_eq!(phone("unanswered"), Outcome::Missed);
        assert_eq!(phone("cancelled"), Outcome::Missed);
        assert_eq!(phone("failed"), Outcome::Failed);
        assert_eq!(phone("answered"), Outcome::InProgress);
        assert_eq!(
            event("inbound", "completed", 1, "a", "b").outcome(),
            Outcome::Ended
        );
        assert_eq!(
            serde_json::to_string(&Outcome::InProgress).unwrap(),
            r#""in_progress""#
        );
    }

    #[test]
    fn a_recording_makes_a_missed_or_closed_call_a_voicemail() {
        let busy = event("outbound", "busy", 5, "447700900000", "447700900001");
        let record = CallSummary::of_event(RECORD_STATUS, None, None, None, 30);
        let completed = event("inbound", "completed", 40, "supportuser", "447700900000");
        for order in [[&busy, &record, &completed], [&completed, &record, &busy]] {
            let s = CallSummary::merge_all(order).unwrap();
            assert_eq!(
                (s.status.as_str(), s.outcome()),
                ("busy", Outcome::Voicemail)
            );
        }
        // Out of hours: no connected leg at all.
        let s = CallSummary::merge_all([&record, &completed]).unwrap();
        assert_eq!(s.outcome(), Outcome::Voicemail);
        assert!(
            !serde_json::to_string(&busy).unwrap().contains("voicemail"),
            "kept out of metadata unless true"
        );
    }

    #[test]
    fn metadata_fields_are_clipped() {
        let long = "9".repeat(500);
        let s = CallSummary::of_event("started", None, Some(&long), None, 0);
        assert_eq!(s.from.unwrap().len(), 64);
    }
}
