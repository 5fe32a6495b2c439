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

use crate::calllog::LogEntry;
use crate::shared::client::ClientKey;
use crate::vonage::legs::{Leg, is_final};

pub const HOUR_MS: u64 = 60 * 60 * 1000;
/// How long a used ticket is remembered: beyond its own life (2 minutes), so
/// that a replay is refused as used rather than judged anew.
pub const USED_TICKET_KEEP_MS: u64 = crate::call::ticket::TICKET_TTL_SECONDS * 1000 + HOUR_MS;

/// Caps on what calls cost (enforced by the call guard).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallLimits {
    /// Calls connected at once.
    pub max_concurrent: u32,
    /// Calls a client (an IP, IPv6 by /64) may place in an hour.
    pub max_per_client_hour: u32,
    /// A call whose final event never arrives frees its slot after this long.
    pub max_call_minutes: u32,
}

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

/// The guard's answer, as one word between the worker and the guard
/// (`connect`, or the refusal's name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Connect,
    Refuse(Refusal),
}

impl Admission {
    pub fn as_str(self) -> &'static str {
        match self {
            Admission::Connect => "connect",
            Admission::Refuse(why) => why.as_str(),
        }
    }

    pub fn parse(word: &str) -> Option<Self> {
        Some(match word {
            "connect" => Admission::Connect,
            "ticket_used" => Admission::Refuse(Refusal::TicketUsed),
            "lines_busy" => Admission::Refuse(Refusal::LinesBusy),
            "client_limit" => Admission::Refuse(Refusal::ClientLimit),
            _ => return None,
        })
    }
}

impl Serialize for Admission {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Admission {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let word = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Admission::parse(&word).ok_or_else(|| serde::de::Error::custom("an unknown admission"))
    }
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

/// The leg whose line an event frees: the final event of any leg but the
/// connected one (the visitor's leg holds the line; an event without a
/// direction may be the visitor's, and the guard frees only a leg it holds).
pub fn line_freed_by(entry: &LogEntry) -> Option<&str> {
    if Leg::of(entry.direction.as_deref()) == Leg::Connected || !is_final(&entry.status) {
        return None;
    }
    entry.uuid.as_deref()
}

/// Where the guard keeps each part of its state (its Durable Object's
/// storage keys): one used ticket, the live calls, one client's calls.
pub const LIVE_KEY: &str = "live";
pub const TICKET_PREFIX: &str = "ticket/";
pub const CLIENT_PREFIX: &str = "client/";

/// A value to store (key, JSON text) after a decision changed it.
pub type Write = (String, String);

/// The guard's whole state, in memory: read from storage once per instance
/// and kept in step with it, so a decision reads nothing and returns the few
/// small values it changed. Tickets sorted by id.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct GuardMemory {
    pub tickets: Vec<(String, UsedTicket)>,
    pub live: Vec<LiveCall>,
    pub clients: Vec<(String, Vec<u64>)>,
}

/// What a sweep did: the keys to delete, and whether to come back.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sweep {
    pub forget: Vec<String>,
    /// Some ticket is still remembered: sweep again in an hour.
    pub again: bool,
}

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| unreachable!("the guard's state is plain data"))
}

impl GuardMemory {
    /// From storage's values (unordered).
    pub fn new(
        stored: Vec<(String, UsedTicket)>,
        live: Vec<LiveCall>,
        clients: Vec<(String, Vec<u64>)>,
    ) -> Self {
        // Storage lists keys in order, so this is an append; inserting in
        // place keeps the order whatever it does.
        let mut tickets: Vec<(String, UsedTicket)> = Vec::with_capacity(stored.len());
        for ticket in stored {
            let at = tickets.partition_point(|(id, _)| *id < ticket.0);
            tickets.insert(at, ticket);
        }
        Self {
            tickets,
            live,
            clients,
        }
    }

    /// Decides one call, and says what to store.
    pub fn admit(&mut self, request: &AdmitRequest, now_ms: u64) -> (Admission, Vec<Write>) {
        let ticket_at = self
            .tickets
            .binary_search_by(|(id, _)| id.as_str().cmp(&request.ticket_id));
        let client_at = self
            .clients
            .iter()
            .position(|(k, _)| *k == request.client.0);
        let mut state = CallState {
            ticket: ticket_at.ok().map(|i| self.tickets[i].1.clone()),
            live: self.live.clone(),
            client_calls: client_at
                .map(|i| self.clients[i].1.clone())
                .unwrap_or_default(),
        };
        let (admission, changed) = state.admit(request, now_ms);
        let mut writes = Vec::new();
        if let (true, Some(ticket), Err(at)) = (changed.ticket, state.ticket, ticket_at) {
            writes.push((
                format!("{TICKET_PREFIX}{}", request.ticket_id),
                json(&ticket),
            ));
            self.tickets.insert(at, (request.ticket_id.clone(), ticket));
        }
        if changed.live {
            writes.push((LIVE_KEY.into(), json(&state.live)));
            self.live = state.live;
        }
        if changed.client_calls {
            writes.push((
                format!("{CLIENT_PREFIX}{}", request.client.0),
                json(&state.client_calls),
            ));
            match client_at {
                Some(i) => self.clients[i].1 = state.client_calls,
                None => self
                    .clients
                    .push((request.client.0.clone(), state.client_calls)),
            }
        }
        (admission, writes)
    }

    /// A leg's line is free again; what to store, if anything changed.
    pub fn release(&mut self, leg: &str) -> Option<Write> {
        release(&mut self.live, leg).then(|| (LIVE_KEY.to_owned(), json(&self.live)))
    }

    /// Forgets used tickets past their keeping time, and clients whose calls
    /// are all older than an hour.
    pub fn sweep(&mut self, now_ms: u64) -> Sweep {
        let mut forget = Vec::new();
        self.tickets.retain(|(id, used)| {
            let old = used.forgettable(now_ms);
            if old {
                forget.push(format!("{TICKET_PREFIX}{id}"));
            }
            !old
        });
        self.clients.retain(|(key, calls)| {
            let old = calls.iter().all(|t| now_ms.saturating_sub(*t) >= HOUR_MS);
            if old {
                forget.push(format!("{CLIENT_PREFIX}{key}"));
            }
            !old
        });
        Sweep {
            forget,
            again: !self.tickets.is_empty(),
        }
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

    /// The guard as its Durable Object runs it: memory, and storage that
    /// receives every write.
    #[derive(Default)]
    struct Guard {
        memory: GuardMemory,
        stored: std::collections::BTreeMap<String, String>,
    }

    impl Guard {
        fn admit(&mut self, ticket: &str, client: &str, leg: &str, now: u64) -> Admission {
            let request = AdmitRequest {
                ticket_id: ticket.into(),
                client: ClientKey(client.into()),
                leg: leg.into(),
                limits: LIMITS,
            };
            let (admission, writes) = self.memory.admit(&request, now);
            self.stored.extend(writes);
            admission
        }

        fn release(&mut self, leg: &str) -> bool {
            let write = self.memory.release(leg);
            let released = write.is_some();
            self.stored.extend(write);
            released
        }

        /// A new instance of the object: memory read back from storage.
        fn reloaded(&self) -> GuardMemory {
            let of = |prefix: &str| {
                self.stored
                    .iter()
                    .filter_map(|(k, v)| Some((k.strip_prefix(prefix)?.to_owned(), v)))
                    .collect::<Vec<_>>()
            };
            GuardMemory::new(
                of(TICKET_PREFIX)
                    .into_iter()
                    .map(|(k, v)| (k, serde_json::from_str(v).unwrap()))
                    .collect(),
                self.stored
                    .get(LIVE_KEY)
                    .map(|v| serde_json::from_str(v).unwrap())
                    .unwrap_or_default(),
                of(CLIENT_PREFIX)
                    .into_iter()
                    .map(|(k, v)| (k, serde_json::from_str(v).unwrap()))
                    .collect(),
            )
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
        assert!(g.release("leg1"));
        assert!(!g.release("leg1"), "freed once");
        assert_eq!(g.admit("t4", "c", "leg4", 2), Admission::Connect);
        // Neither final event arrives: after MAX_CALL_MINUTES the lines are free.
        assert_eq!(g.admit("t5", "d", "leg5", HOUR_MS + 3), Admission::Connect);
        assert_eq!(g.memory.live.len(), 1);
    }

    #[test]
    fn a_client_places_at_most_its_hourly_allowance() {
        let mut g = Guard::default();
        for i in 0..3 {
            assert_eq!(
                g.admit(&format!("t{i}"), "a", &format!("leg{i}"), i * 10),
                Admission::Connect
            );
            g.release(&format!("leg{i}"));
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
        g.release("leg10");
        assert_eq!(
            g.admit("t11", "a", "leg11", HOUR_MS + 21),
            Admission::Connect,
            "an hour later"
        );
        let a = &g.memory.clients.iter().find(|(k, _)| k == "a").unwrap().1;
        assert_eq!(a.len(), 1, "older calls forgotten");
    }

    #[test]
    fn what_is_stored_is_what_is_remembered() {
        let mut g = Guard::default();
        g.admit("t2", "a", "leg2", 0);
        g.admit("t1", "b", "leg1", 0);
        g.release("leg2");
        assert_eq!(g.reloaded(), g.memory, "a new instance decides alike");
        assert_eq!(
            g.memory
                .tickets
                .iter()
                .map(|(id, _)| id.as_str())
                .collect::<Vec<_>>(),
            ["t1", "t2"],
            "sorted"
        );
    }

    #[test]
    fn a_sweep_forgets_old_tickets_and_clients_and_stops_when_nothing_is_left() {
        let mut g = Guard::default();
        g.admit("t1", "a", "leg1", 0);
        g.admit("t2", "b", "leg2", HOUR_MS);
        let sweep = g.memory.sweep(HOUR_MS + 1);
        assert_eq!(sweep.forget, ["client/a"], "a's call is an hour old");
        assert!(sweep.again, "both tickets are kept an hour past their life");
        let sweep = g.memory.sweep(USED_TICKET_KEEP_MS + 1);
        assert_eq!(sweep.forget, ["ticket/t1"]);
        assert!(sweep.again);
        let sweep = g.memory.sweep(HOUR_MS + USED_TICKET_KEEP_MS);
        assert_eq!(sweep.forget, ["ticket/t2", "client/b"]);
        assert!(!sweep.again);
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

    #[test]
    fn only_a_final_event_of_a_leg_that_may_hold_the_line_frees_it() {
        let entry = |status: &str, direction: Option<&str>| crate::calllog::LogEntry {
            received_at: String::new(),
            at: String::new(),
            status: status.into(),
            call_id: "CON-aaaaaaaa".into(),
            uuid: Some("aaaaaaaa-0000".into()),
            conversation_uuid: None,
            direction: direction.map(str::to_owned),
            from: None,
            to: None,
            raw: serde_json::value::RawValue::from_string("{}".into()).unwrap(),
        };
        assert_eq!(
            line_freed_by(&entry("completed", Some("inbound"))),
            Some("aaaaaaaa-0000")
        );
        assert_eq!(
            line_freed_by(&entry("completed", None)),
            Some("aaaaaaaa-0000")
        );
        assert_eq!(line_freed_by(&entry("completed", Some("outbound"))), None);
        assert_eq!(line_freed_by(&entry("answered", Some("inbound"))), None);
    }

    #[test]
    fn an_admission_travels_as_one_word() {
        for admission in [
            Admission::Connect,
            Admission::Refuse(Refusal::TicketUsed),
            Admission::Refuse(Refusal::LinesBusy),
            Admission::Refuse(Refusal::ClientLimit),
        ] {
            let json = serde_json::to_string(&admission).unwrap();
            assert_eq!(json, format!("\"{}\"", admission.as_str()));
            assert_eq!(serde_json::from_str::<Admission>(&json).unwrap(), admission);
        }
        assert!(serde_json::from_str::<Admission>("\"maybe\"").is_err());
    }
}
