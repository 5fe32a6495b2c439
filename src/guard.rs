//! The call guard: whether a call may be connected, decided in one place.
//!
//! Its state lives in a single Durable Object (`edge/guard.rs`), which the
//! runtime runs one request at a time (and holds other requests while it
//! reads or writes its storage), so every decision is made against the
//! latest state, whichever isolate or location the answer webhook runs in:
//! a ticket is used at most once even when two answer requests race, and the
//! caps count every call. KV could not do this: it is eventually consistent.
//!
//! - A ticket admits one call. The answer request that used it (same leg
//!   `uuid`) gets the same decision again: Vonage retries answer requests
//!   that time out.
//! - At most `max_concurrent` calls are connected at once; a call's line is
//!   freed by its leg's final event, or `max_call_minutes` after it began.
//! - A client places at most `max_per_client_hour` calls in any hour.
//!
//! The state a decision reads is small and split by what it concerns (one
//! used ticket, the live calls, one client's recent calls), so each decision
//! reads and writes a few small values however many calls came before.

use serde::{Deserialize, Serialize};

use crate::config::CallLimits;
use crate::ticket::ClientKey;

pub const HOUR_MS: u64 = 60 * 60 * 1000;
/// How long a used ticket is remembered: beyond its own life (2 minutes), so
/// that a replay is refused as used rather than judged anew.
pub const USED_TICKET_KEEP_MS: u64 = crate::ticket::TICKET_TTL_SECONDS * 1000 + HOUR_MS;

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
    /// The visitor's leg: its final event frees the line.
    pub leg: String,
    pub limits: CallLimits,
}

/// A ticket once used, and the decision it got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsedTicket {
    pub leg: String,
    pub admission: Admission,
    pub at_ms: u64,
}

impl UsedTicket {
    pub fn forgettable(&self, now_ms: u64) -> bool {
        now_ms.saturating_sub(self.at_ms) >= USED_TICKET_KEEP_MS
    }
}

/// A connected call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveCall {
    pub leg: String,
    pub started_ms: u64,
}

/// What one decision reads: the ticket's use (if any), the live calls, and
/// when the client's calls of the last hour began.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallState {
    pub ticket: Option<UsedTicket>,
    pub live: Vec<LiveCall>,
    pub client_calls: Vec<u64>,
}

/// Which parts of the state a decision changed, to be written back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Changed {
    pub ticket: bool,
    pub live: bool,
    pub client_calls: bool,
}

/// Calls past `max_call_minutes` are no longer live (their final event was
/// lost); `true` if any went.
pub fn expire_live(live: &mut Vec<LiveCall>, now_ms: u64, limits: &CallLimits) -> bool {
    let call_ms = u64::from(limits.max_call_minutes) * 60_000;
    let before = live.len();
    live.retain(|c| now_ms.saturating_sub(c.started_ms) < call_ms);
    live.len() != before
}

impl CallState {
    pub fn admit(&mut self, request: &AdmitRequest, now_ms: u64) -> (Admission, Changed) {
        let limits = &request.limits;
        let mut changed = Changed {
            ticket: false,
            live: expire_live(&mut self.live, now_ms, limits),
            client_calls: false,
        };
        let before = self.client_calls.len();
        self.client_calls
            .retain(|t| now_ms.saturating_sub(*t) < HOUR_MS);
        changed.client_calls = self.client_calls.len() != before;

        if let Some(used) = &self.ticket {
            let admission = if used.leg == request.leg {
                used.admission
            } else {
                Admission::Refuse(Refusal::TicketUsed)
            };
            return (admission, changed);
        }
        let admission = if self.live.len() >= limits.max_concurrent as usize {
            Admission::Refuse(Refusal::LinesBusy)
        } else if self.client_calls.len() >= limits.max_per_client_hour as usize {
            Admission::Refuse(Refusal::ClientLimit)
        } else {
            self.live.push(LiveCall {
                leg: request.leg.clone(),
                started_ms: now_ms,
            });
            self.client_calls.push(now_ms);
            changed.live = true;
            changed.client_calls = true;
            Admission::Connect
        };
        self.ticket = Some(UsedTicket {
            leg: request.leg.clone(),
            admission,
            at_ms: now_ms,
        });
        changed.ticket = true;
        (admission, changed)
    }
}

/// A leg's final event: its call's line is free again. `false` when the leg
/// holds no line (the other leg of a call, or a call already freed).
pub fn release(live: &mut Vec<LiveCall>, leg: &str) -> bool {
    let before = live.len();
    live.retain(|c| c.leg != leg);
    live.len() < before
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: CallLimits = CallLimits {
        max_concurrent: 2,
        max_per_client_hour: 3,
        max_call_minutes: 60,
    };

    /// The guard's storage, in memory: tickets by id, clients by key.
    #[derive(Default)]
    struct Guard {
        tickets: std::collections::HashMap<String, UsedTicket>,
        live: Vec<LiveCall>,
        clients: std::collections::HashMap<String, Vec<u64>>,
    }

    impl Guard {
        fn admit(&mut self, ticket: &str, client: &str, leg: &str, now: u64) -> Admission {
            let request = AdmitRequest {
                ticket_id: ticket.into(),
                client: ClientKey(client.into()),
                leg: leg.into(),
                limits: LIMITS,
            };
            let mut state = CallState {
                ticket: self.tickets.get(ticket).cloned(),
                live: self.live.clone(),
                client_calls: self.clients.get(client).cloned().unwrap_or_default(),
            };
            let (admission, changed) = state.admit(&request, now);
            if changed.ticket {
                self.tickets.insert(ticket.into(), state.ticket.unwrap());
            }
            if changed.live {
                self.live = state.live;
            }
            if changed.client_calls {
                self.clients.insert(client.into(), state.client_calls);
            }
            admission
        }
    }

    #[test]
    fn a_ticket_admits_one_call_and_its_retries_get_the_same_answer() {
        let mut g = Guard::default();
        assert_eq!(g.admit("t1", "a", "leg1", 0), Admission::Connect);
        assert_eq!(
            g.admit("t1", "a", "leg1", 4_000),
            Admission::Connect,
            "Vonage's retry"
        );
        assert_eq!(
            g.admit("t1", "a", "leg2", 5_000),
            Admission::Refuse(Refusal::TicketUsed)
        );
        assert_eq!(
            g.admit("t1", "b", "leg3", HOUR_MS),
            Admission::Refuse(Refusal::TicketUsed)
        );
    }

    #[test]
    fn lines_are_capped_and_freed_by_a_final_event_or_by_time() {
        let mut g = Guard::default();
        assert_eq!(g.admit("t1", "a", "leg1", 0), Admission::Connect);
        assert_eq!(g.admit("t2", "b", "leg2", 0), Admission::Connect);
        assert_eq!(
            g.admit("t3", "c", "leg3", 0),
            Admission::Refuse(Refusal::LinesBusy)
        );
        assert_eq!(
            g.admit("t3", "c", "leg3", 1),
            Admission::Refuse(Refusal::LinesBusy),
            "a retry of a refusal is refused alike"
        );
        assert!(release(&mut g.live, "leg1"));
        assert!(!release(&mut g.live, "leg1"), "freed once");
        assert_eq!(g.admit("t4", "c", "leg4", 2), Admission::Connect);
        // Neither final event arrives: after MAX_CALL_MINUTES the lines are free.
        assert_eq!(g.admit("t5", "d", "leg5", HOUR_MS + 3), Admission::Connect);
        assert_eq!(g.live.len(), 1);
    }

    #[test]
    fn a_client_places_at_most_its_hourly_allowance() {
        let mut g = Guard::default();
        for i in 0..3 {
            assert_eq!(
                g.admit(&format!("t{i}"), "a", &format!("leg{i}"), i * 10),
                Admission::Connect
            );
            release(&mut g.live, &format!("leg{i}"));
        }
        assert_eq!(
            g.admit("t9", "a", "leg9", 100),
            Admission::Refuse(Refusal::ClientLimit)
        );
        assert_eq!(
            g.admit("t10", "b", "leg10", 100),
            Admission::Connect,
            "another client"
        );
        release(&mut g.live, "leg10");
        assert_eq!(
            g.admit("t11", "a", "leg11", HOUR_MS + 21),
            Admission::Connect,
            "an hour later"
        );
        assert_eq!(g.clients["a"].len(), 1, "older calls forgotten");
    }

    #[test]
    fn used_tickets_are_forgettable_after_their_life_and_an_hour() {
        let used = UsedTicket {
            leg: "leg".into(),
            admission: Admission::Connect,
            at_ms: 0,
        };
        assert!(!used.forgettable(USED_TICKET_KEEP_MS - 1));
        assert!(used.forgettable(USED_TICKET_KEEP_MS));
    }
}
