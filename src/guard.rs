//! The call guard: whether a call may be connected, decided in one place.
//!
//! Its state lives in a single Durable Object (`edge/guard.rs`), so every
//! decision is made one at a time against the latest state, whichever isolate
//! or location the answer webhook runs in: a ticket is used at most once even
//! when two answer requests race, and the caps count every call. KV could
//! not do this: it is eventually consistent.
//!
//! - A ticket admits one call. The answer request that used it (same leg
//!   `uuid`) gets the same decision again: Vonage retries answer requests
//!   that time out.
//! - At most `max_concurrent` calls are connected at once; a call's slot is
//!   freed by its leg's final event, or `max_call_minutes` after it began.
//! - A client places at most `max_per_client_hour` calls in any hour.

use serde::{Deserialize, Serialize};

use crate::config::CallLimits;
use crate::ticket::ClientKey;

const HOUR_MS: u64 = 60 * 60 * 1000;

/// Why a call was not connected, as ops read it in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// The ticket admitted another call already.
    TicketUsed,
    /// Every line is taken.
    LinesBusy,
    /// This client placed its hourly allowance of calls.
    ClientLimit,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::TicketUsed => "ticket_used",
            Refusal::LinesBusy => "lines_busy",
            Refusal::ClientLimit => "client_limit",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "decision", content = "reason")]
pub enum Admission {
    Connect,
    Refuse(Refusal),
}

/// What the answer webhook asks the guard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdmitRequest {
    pub ticket_id: String,
    pub client: ClientKey,
    /// The visitor's leg: its final event frees the slot.
    pub leg: String,
    pub limits: CallLimits,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct UsedTicket {
    id: String,
    leg: String,
    admission: Admission,
    at_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct LiveCall {
    leg: String,
    started_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ClientCall {
    client: ClientKey,
    at_ms: u64,
}

/// Everything the guard remembers. Small by construction (used tickets are
/// forgotten once they could no longer be presented, calls once over, a
/// client's calls after an hour), so plain lists serve: a few hundred
/// entries at most, and far less code in the wasm than maps would be.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    tickets: Vec<UsedTicket>,
    /// Connected calls.
    live: Vec<LiveCall>,
    /// Calls admitted in the last hour.
    recent: Vec<ClientCall>,
}

impl Ledger {
    /// Forgets what can no longer matter at `now_ms`.
    fn purge(&mut self, now_ms: u64, limits: &CallLimits) {
        let call_ms = u64::from(limits.max_call_minutes) * 60_000;
        // A used ticket can still be retried (or replayed) until it expires;
        // keep it a while beyond, so a replay is refused as used, not as new.
        let ticket_keep_ms = crate::ticket::TICKET_TTL_SECONDS * 1000 + HOUR_MS;
        self.tickets
            .retain(|t| now_ms.saturating_sub(t.at_ms) < ticket_keep_ms);
        self.live
            .retain(|c| now_ms.saturating_sub(c.started_ms) < call_ms);
        self.recent
            .retain(|c| now_ms.saturating_sub(c.at_ms) < HOUR_MS);
    }

    pub fn admit(&mut self, request: &AdmitRequest, now_ms: u64) -> Admission {
        let limits = &request.limits;
        self.purge(now_ms, limits);
        if let Some(used) = self.tickets.iter().find(|t| t.id == request.ticket_id) {
            return if used.leg == request.leg {
                used.admission
            } else {
                Admission::Refuse(Refusal::TicketUsed)
            };
        }
        let client_calls = self
            .recent
            .iter()
            .filter(|c| c.client == request.client)
            .count();
        let admission = if self.live.len() >= limits.max_concurrent as usize {
            Admission::Refuse(Refusal::LinesBusy)
        } else if client_calls >= limits.max_per_client_hour as usize {
            Admission::Refuse(Refusal::ClientLimit)
        } else {
            self.live.push(LiveCall {
                leg: request.leg.clone(),
                started_ms: now_ms,
            });
            self.recent.push(ClientCall {
                client: request.client.clone(),
                at_ms: now_ms,
            });
            Admission::Connect
        };
        self.tickets.push(UsedTicket {
            id: request.ticket_id.clone(),
            leg: request.leg.clone(),
            admission,
            at_ms: now_ms,
        });
        admission
    }

    /// A leg's final event: its call's slot is free again. `false` when the
    /// leg holds no slot (the other leg of a call, or a call already freed).
    pub fn release(&mut self, leg: &str) -> bool {
        let before = self.live.len();
        self.live.retain(|c| c.leg != leg);
        self.live.len() < before
    }

    /// Calls connected now.
    pub fn live_calls(&self, now_ms: u64, limits: &CallLimits) -> usize {
        let call_ms = u64::from(limits.max_call_minutes) * 60_000;
        self.live
            .iter()
            .filter(|c| now_ms.saturating_sub(c.started_ms) < call_ms)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: CallLimits = CallLimits {
        max_concurrent: 2,
        max_per_client_hour: 3,
        max_call_minutes: 60,
    };

    fn request(ticket: &str, client: &str, leg: &str) -> AdmitRequest {
        AdmitRequest {
            ticket_id: ticket.into(),
            client: ClientKey(client.into()),
            leg: leg.into(),
            limits: LIMITS,
        }
    }

    #[test]
    fn a_ticket_admits_one_call_and_its_retries_get_the_same_answer() {
        let mut l = Ledger::default();
        assert_eq!(l.admit(&request("t1", "a", "leg1"), 0), Admission::Connect);
        assert_eq!(
            l.admit(&request("t1", "a", "leg1"), 4_000),
            Admission::Connect,
            "Vonage's retry"
        );
        assert_eq!(
            l.admit(&request("t1", "a", "leg2"), 5_000),
            Admission::Refuse(Refusal::TicketUsed)
        );
        assert_eq!(
            l.admit(&request("t1", "b", "leg3"), 60 * 60_000),
            Admission::Refuse(Refusal::TicketUsed)
        );
    }

    #[test]
    fn lines_are_capped_and_freed_by_a_final_event_or_by_time() {
        let mut l = Ledger::default();
        assert_eq!(l.admit(&request("t1", "a", "leg1"), 0), Admission::Connect);
        assert_eq!(l.admit(&request("t2", "b", "leg2"), 0), Admission::Connect);
        assert_eq!(
            l.admit(&request("t3", "c", "leg3"), 0),
            Admission::Refuse(Refusal::LinesBusy)
        );
        assert_eq!(
            l.admit(&request("t3", "c", "leg3"), 1),
            Admission::Refuse(Refusal::LinesBusy),
            "a retry of a refusal is refused alike"
        );
        assert!(l.release("leg1"));
        assert!(!l.release("leg1"), "freed once");
        assert_eq!(l.admit(&request("t4", "c", "leg4"), 2), Admission::Connect);
        assert_eq!(l.live_calls(2, &LIMITS), 2);
        // Neither final event arrives: after MAX_CALL_MINUTES the slots are free.
        assert_eq!(
            l.admit(&request("t5", "d", "leg5"), 60 * 60_000 + 3),
            Admission::Connect
        );
    }

    #[test]
    fn a_client_places_at_most_its_hourly_allowance() {
        let mut l = Ledger::default();
        for i in 0..3 {
            assert_eq!(
                l.admit(&request(&format!("t{i}"), "a", &format!("leg{i}")), i * 10),
                Admission::Connect
            );
            l.release(&format!("leg{i}"));
        }
        assert_eq!(
            l.admit(&request("t9", "a", "leg9"), 100),
            Admission::Refuse(Refusal::ClientLimit)
        );
        assert_eq!(
            l.admit(&request("t10", "b", "leg10"), 100),
            Admission::Connect,
            "another client"
        );
        assert_eq!(
            l.admit(&request("t11", "a", "leg11"), HOUR_MS + 1),
            Admission::Connect,
            "an hour later"
        );
    }

    #[test]
    fn the_ledger_forgets_what_no_longer_matters() {
        let mut l = Ledger::default();
        for i in 0..50 {
            l.admit(
                &request(&format!("t{i}"), &format!("c{i}"), &format!("leg{i}")),
                0,
            );
            l.release(&format!("leg{i}"));
        }
        l.admit(&request("late", "z", "legz"), 3 * HOUR_MS);
        assert_eq!(l.tickets.len(), 1);
        assert_eq!(l.recent.len(), 1);
        let json = serde_json::to_string(&l).unwrap();
        assert_eq!(serde_json::from_str::<Ledger>(&json).unwrap(), l);
    }
}
