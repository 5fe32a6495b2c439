//! The call guard: who may place a call, and whether a call may be
//! connected, decided in one place.
//!
//! Its state lives in a single Durable Object (`edge/guard.rs`), which the
//! runtime runs one request at a time (and holds other requests while it
//! reads or writes its storage), so every decision is made against the
//! latest state, whichever isolate or location the request runs in: a ticket
//! is used at most once even when two answer requests race, and the caps
//! count every call. KV could not do this: it is eventually consistent.
//!
//! - `/auth` asks before it creates a Vonage user ([`GuardMemory::issue`]):
//!   a client (an IP, IPv6 by /64) already on `max_live_per_client` calls,
//!   out of its hourly allowance, or whose calls kept coming without a valid
//!   ticket, gets no token; the user it gets is remembered as its own.
//! - A ticket admits one call ([`GuardMemory::admit`]). The answer request
//!   that used it (same leg `uuid`) gets the same decision again: Vonage
//!   retries answer requests that time out.
//! - At most `max_concurrent` calls are connected at once, and
//!   `max_live_per_client` per client; a call's line is freed by its visitor
//!   leg's final event, or `max_call_minutes` after it began.
//! - A client places at most `max_per_client_hour` calls in any hour.
//! - A call without a valid ticket is a strike against the client whose
//!   Vonage user placed it ([`GuardMemory::strike`]), counted here rather
//!   than logged each time; [`STRIKES_PER_HOUR`] of them and `/auth` refuses
//!   the client for the rest of the hour.
//!
//! The state is split by what a decision concerns (one used ticket, the live
//! calls, one client, one issued user), so each decision writes a few small
//! values however many calls came before.

use serde::{Deserialize, Serialize};

use crate::calllog::LogEntry;
use crate::error::AppError;
use crate::shared::client::ClientKey;
use crate::vonage::legs::{Leg, is_final};

pub const HOUR_MS: u64 = 60 * 60 * 1000;
/// How long a used ticket is remembered: beyond its own life (2 minutes), so
/// that a replay is refused as used rather than judged anew.
pub const USED_TICKET_KEEP_MS: u64 = crate::call::ticket::TICKET_TTL_SECONDS * 1000 + HOUR_MS;
/// Calls without a valid ticket a client's users may place in an hour before
/// `/auth` refuses it: a page that works never places one, a person who
/// reloads a stale page might, a script that bypasses the page keeps doing so.
pub const STRIKES_PER_HOUR: usize = 3;
/// How long a client on its live-call cap is asked to wait before asking again.
pub const LIVE_RETRY_SECONDS: u32 = 30;

/// Caps on what calls cost (enforced by the call guard).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallLimits {
    /// Calls connected at once.
    pub max_concurrent: u32,
    /// Calls one client may have connected at once.
    pub max_live_per_client: u32,
    /// Calls a client (an IP, IPv6 by /64) may place in an hour.
    pub max_per_client_hour: u32,
    /// A call whose final event never arrives frees its slot after this
    /// long; also every `connect`'s `limit`, so the call really ends then.
    pub max_call_minutes: u32,
}

impl CallLimits {
    /// `connect.limit`: the longest a connected call may last (NCCO
    /// reference, connect: "limit: maximum length of the call in seconds").
    pub fn call_seconds(&self) -> u32 {
        self.max_call_minutes * 60
    }
}

/// Why a call, or a token, was refused, as ops read it in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The ticket admitted another call already.
    TicketUsed,
    /// Every line is taken.
    LinesBusy,
    /// This client placed its hourly allowance of calls.
    ClientLimit,
    /// This client is on as many calls as it may be at once.
    ClientOnCall,
    /// This client's calls kept coming without a valid ticket.
    ClientStruck,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::TicketUsed => "ticket_used",
            Refusal::LinesBusy => "lines_busy",
            Refusal::ClientLimit => "client_limit",
            Refusal::ClientOnCall => "client_on_call",
            Refusal::ClientStruck => "client_struck",
        }
    }

    /// Why `/auth` gives no token, in words for the visitor.
    pub fn to_visitor(self) -> &'static str {
        match self {
            Refusal::ClientOnCall => "you are already on a call from this connection",
            Refusal::ClientLimit => {
                "you have placed as many calls as one connection may in an hour"
            }
            Refusal::ClientStruck => {
                "calls from this connection came without a valid call ticket; try again later"
            }
            Refusal::TicketUsed | Refusal::LinesBusy => "no call can be placed right now",
        }
    }

    /// `/auth`'s refusal as an HTTP answer.
    pub fn refused_at_auth(self, retry_after_seconds: u32) -> AppError {
        AppError::CallsRefused {
            reason: self.as_str(),
            message: self.to_visitor(),
            retry_after_seconds,
        }
    }

    fn parse(word: &str) -> Option<Self> {
        Some(match word {
            "ticket_used" => Refusal::TicketUsed,
            "lines_busy" => Refusal::LinesBusy,
            "client_limit" => Refusal::ClientLimit,
            "client_on_call" => Refusal::ClientOnCall,
            "client_struck" => Refusal::ClientStruck,
            _ => return None,
        })
    }
}

/// The guard's answer to a call, as one word between the worker and the
/// guard (`connect`, or the refusal's name).
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
        match word {
            "connect" => Some(Admission::Connect),
            word => Refusal::parse(word).map(Admission::Refuse),
        }
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdmitRequest {
    pub ticket_id: String,
    pub client: ClientKey,
    /// The visitor's leg: its final event frees the line.
    pub leg: String,
    pub limits: CallLimits,
}

/// What `/auth` asks the guard before it creates a user for a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueRequest {
    pub client: ClientKey,
    /// The Vonage user the client's call will be placed as.
    pub user: String,
    /// Until when the user's tokens may place calls (ms since the epoch).
    pub until_ms: u64,
    pub limits: CallLimits,
}

/// The guard's answer to `/auth`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issued {
    Yes,
    /// Not now; ask again after this many seconds.
    Refused {
        why: Refusal,
        retry_after: u32,
    },
}

/// A call that came without a valid ticket, counted against its user's client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Struck {
    /// The user was one the guard issued (else the strike counts nowhere).
    pub known: bool,
    /// The client's first strike this hour: the one worth a log entry.
    pub first: bool,
}

// The guard's messages. Between the worker and its Durable Object they
// travel as URL query pairs (`form_urlencoded`) and its answers as a word or
// two: a few plain fields each, read by one small function instead of a
// serde deserializer per message (a fifth of the Durable Object's code).

type Pairs = Vec<(String, String)>;

fn pairs(query: &str) -> Pairs {
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

fn field<'a>(pairs: &'a Pairs, name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn number<T: std::str::FromStr>(pairs: &Pairs, name: &str) -> Option<T> {
    field(pairs, name)?.parse().ok()
}

fn query(fields: &[(&str, &str)], limits: &CallLimits) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (name, value) in fields {
        out.append_pair(name, value);
    }
    out.append_pair("max_concurrent", &limits.max_concurrent.to_string())
        .append_pair(
            "max_live_per_client",
            &limits.max_live_per_client.to_string(),
        )
        .append_pair(
            "max_per_client_hour",
            &limits.max_per_client_hour.to_string(),
        )
        .append_pair("max_call_minutes", &limits.max_call_minutes.to_string())
        .finish()
}

/// A message of one field (`user=…` for a strike, `leg=…` for a release).
pub fn one_field(name: &str, value: &str) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair(name, value)
        .finish()
}

/// The field `name` of such a message.
pub fn read_field(query: &str, name: &str) -> Option<String> {
    field(&pairs(query), name).map(str::to_owned)
}

impl CallLimits {
    fn from_pairs(pairs: &Pairs) -> Option<Self> {
        Some(Self {
            max_concurrent: number(pairs, "max_concurrent")?,
            max_live_per_client: number(pairs, "max_live_per_client")?,
            max_per_client_hour: number(pairs, "max_per_client_hour")?,
            max_call_minutes: number(pairs, "max_call_minutes")?,
        })
    }
}

impl AdmitRequest {
    pub fn to_query(&self) -> String {
        let fields = [
            ("ticket_id", self.ticket_id.as_str()),
            ("client", self.client.0.as_str()),
            ("leg", self.leg.as_str()),
        ];
        query(&fields, &self.limits)
    }

    pub fn from_query(text: &str) -> Option<Self> {
        let p = pairs(text);
        Some(Self {
            ticket_id: field(&p, "ticket_id")?.to_owned(),
            client: ClientKey(field(&p, "client")?.to_owned()),
            leg: field(&p, "leg")?.to_owned(),
            limits: CallLimits::from_pairs(&p)?,
        })
    }
}

impl IssueRequest {
    pub fn to_query(&self) -> String {
        let until = self.until_ms.to_string();
        let fields = [
            ("client", self.client.0.as_str()),
            ("user", self.user.as_str()),
            ("until_ms", until.as_str()),
        ];
        query(&fields, &self.limits)
    }

    pub fn from_query(text: &str) -> Option<Self> {
        let p = pairs(text);
        Some(Self {
            client: ClientKey(field(&p, "client")?.to_owned()),
            user: field(&p, "user")?.to_owned(),
            until_ms: number(&p, "until_ms")?,
            limits: CallLimits::from_pairs(&p)?,
        })
    }
}

impl Issued {
    /// `yes`, or the refusal and its wait: `client_on_call 30`.
    pub fn as_text(&self) -> String {
        match self {
            Issued::Yes => "yes".into(),
            Issued::Refused { why, retry_after } => format!("{} {retry_after}", why.as_str()),
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        if text == "yes" {
            return Some(Issued::Yes);
        }
        let (why, retry_after) = text.split_once(' ')?;
        Some(Issued::Refused {
            why: Refusal::parse(why)?,
            retry_after: retry_after.parse().ok()?,
        })
    }
}

impl Struck {
    /// `known first`, each `0` or `1`.
    pub fn as_text(&self) -> String {
        format!("{} {}", u8::from(self.known), u8::from(self.first))
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "0 0" => Some(Struck {
                known: false,
                first: false,
            }),
            "1 0" => Some(Struck {
                known: true,
                first: false,
            }),
            "1 1" => Some(Struck {
                known: true,
                first: true,
            }),
            "0 1" => Some(Struck {
                known: false,
                first: true,
            }),
            _ => None,
        }
    }
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

/// A connected call, and whose it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveCall {
    pub leg: String,
    #[serde(default)]
    pub client: String,
    pub started_ms: u64,
}

/// What the guard knows of one client: when its calls of the last hour
/// began, and when its calls without a valid ticket came.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRecord {
    #[serde(default)]
    pub calls: Vec<u64>,
    #[serde(default)]
    pub strikes: Vec<u64>,
}

impl ClientRecord {
    /// Forgets what is an hour old; whether anything went.
    fn forget_old(&mut self, now_ms: u64) -> bool {
        let before = self.calls.len() + self.strikes.len();
        self.calls.retain(|t| now_ms.saturating_sub(*t) < HOUR_MS);
        self.strikes.retain(|t| now_ms.saturating_sub(*t) < HOUR_MS);
        self.calls.len() + self.strikes.len() != before
    }

    fn is_empty(&self) -> bool {
        self.calls.is_empty() && self.strikes.is_empty()
    }

    /// Seconds until the oldest of `times` is an hour old.
    fn retry_after(times: &[u64], now_ms: u64) -> u32 {
        let oldest = times.iter().min().copied().unwrap_or(now_ms);
        let wait = (oldest + HOUR_MS).saturating_sub(now_ms);
        wait.div_ceil(1000).max(1) as u32
    }
}

/// A Vonage user the guard let `/auth` create, and for whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedUser {
    pub client: String,
    pub until_ms: u64,
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
/// storage keys): one used ticket, the live calls, one client, one user.
pub const LIVE_KEY: &str = "live";
pub const TICKET_PREFIX: &str = "ticket/";
pub const CLIENT_PREFIX: &str = "client/";
pub const USER_PREFIX: &str = "user/";

/// A value to store (key, JSON text) after a decision changed it.
pub type Write = (String, String);

/// The guard's whole state, in memory: read from storage once per instance
/// and kept in step with it, so a decision reads nothing and returns the few
/// small values it changed. Tickets and users sorted by id and name.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct GuardMemory {
    pub tickets: Vec<(String, UsedTicket)>,
    pub live: Vec<LiveCall>,
    pub clients: Vec<(String, ClientRecord)>,
    pub users: Vec<(String, IssuedUser)>,
}

/// What a sweep did: the keys to delete, and whether to come back.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sweep {
    pub forget: Vec<String>,
    /// Something is still remembered: sweep again in an hour.
    pub again: bool,
}

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| unreachable!("the guard's state is plain data"))
}

/// `items` sorted by their keys (storage lists keys in order, so this is an
/// append; inserting in place keeps the order whatever it does).
fn sorted<T>(items: Vec<(String, T)>) -> Vec<(String, T)> {
    let mut out: Vec<(String, T)> = Vec::with_capacity(items.len());
    for item in items {
        let at = out.partition_point(|(key, _)| *key < item.0);
        out.insert(at, item);
    }
    out
}

impl GuardMemory {
    /// The state as storage holds it: every key with its JSON text, in any
    /// order. A value that does not parse is skipped: forgetting one ticket
    /// or count is better than a guard that cannot start.
    pub fn from_stored(stored: impl IntoIterator<Item = (String, String)>) -> Self {
        fn add<T: serde::de::DeserializeOwned>(to: &mut Vec<(String, T)>, id: &str, json: &str) {
            if let Ok(value) = serde_json::from_str(json) {
                to.push((id.to_owned(), value));
            }
        }
        let mut memory = Self::default();
        for (key, json) in stored {
            if key == LIVE_KEY {
                memory.live = serde_json::from_str(&json).unwrap_or_default();
            } else if let Some(id) = key.strip_prefix(TICKET_PREFIX) {
                add(&mut memory.tickets, id, &json);
            } else if let Some(client) = key.strip_prefix(CLIENT_PREFIX) {
                add(&mut memory.clients, client, &json);
            } else if let Some(user) = key.strip_prefix(USER_PREFIX) {
                add(&mut memory.users, user, &json);
            }
        }
        memory.tickets = sorted(memory.tickets);
        memory.users = sorted(memory.users);
        memory
    }

    /// A client's record, made if new, with what is an hour old forgotten.
    fn client(&mut self, key: &str, now_ms: u64) -> &mut ClientRecord {
        let at = match self.clients.iter().position(|(k, _)| k == key) {
            Some(at) => at,
            None => {
                self.clients.push((key.to_owned(), ClientRecord::default()));
                self.clients.len() - 1
            }
        };
        let record = &mut self.clients[at].1;
        record.forget_old(now_ms);
        record
    }

    /// What the guard knows of a client now, without making a record for it.
    fn client_now(&self, key: &str, now_ms: u64) -> ClientRecord {
        let mut record = self
            .clients
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, r)| r.clone())
            .unwrap_or_default();
        record.forget_old(now_ms);
        record
    }

    fn client_write(&self, key: &str) -> Write {
        let record = self
            .clients
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, r)| r.clone())
            .unwrap_or_default();
        (format!("{CLIENT_PREFIX}{key}"), json(&record))
    }

    /// Calls past `max_call_minutes` are no longer live (their final event
    /// was lost); a write when any went.
    fn expire_live(&mut self, now_ms: u64, limits: &CallLimits) -> Option<Write> {
        let call_ms = u64::from(limits.max_call_minutes) * 60_000;
        let before = self.live.len();
        self.live
            .retain(|c| now_ms.saturating_sub(c.started_ms) < call_ms);
        (self.live.len() != before).then(|| (LIVE_KEY.to_owned(), json(&self.live)))
    }

    fn live_of(&self, client: &str) -> usize {
        self.live.iter().filter(|c| c.client == client).count()
    }

    /// Whether `/auth` may create a user for this client now; if so, the
    /// user is remembered as the client's.
    pub fn issue(&mut self, request: &IssueRequest, now_ms: u64) -> (Issued, Vec<Write>) {
        let limits = &request.limits;
        let client = request.client.0.as_str();
        let mut writes: Vec<Write> = self.expire_live(now_ms, limits).into_iter().collect();
        let live = self.live_of(client);
        let record = self.client_now(client, now_ms);
        let refused = if record.strikes.len() >= STRIKES_PER_HOUR {
            Some((
                Refusal::ClientStruck,
                ClientRecord::retry_after(&record.strikes, now_ms),
            ))
        } else if record.calls.len() >= limits.max_per_client_hour as usize {
            Some((
                Refusal::ClientLimit,
                ClientRecord::retry_after(&record.calls, now_ms),
            ))
        } else if live >= limits.max_live_per_client as usize {
            Some((Refusal::ClientOnCall, LIVE_RETRY_SECONDS))
        } else {
            None
        };
        if let Some((why, retry_after)) = refused {
            return (Issued::Refused { why, retry_after }, writes);
        }
        let user = IssuedUser {
            client: client.to_owned(),
            until_ms: request.until_ms,
        };
        writes.push((format!("{USER_PREFIX}{}", request.user), json(&user)));
        match self
            .users
            .binary_search_by(|(name, _)| name.as_str().cmp(&request.user))
        {
            Ok(at) => self.users[at].1 = user,
            Err(at) => self.users.insert(at, (request.user.clone(), user)),
        }
        (Issued::Yes, writes)
    }

    /// Decides one call, and says what to store.
    pub fn admit(&mut self, request: &AdmitRequest, now_ms: u64) -> (Admission, Vec<Write>) {
        let limits = &request.limits;
        let client = request.client.0.as_str();
        let mut writes: Vec<Write> = self.expire_live(now_ms, limits).into_iter().collect();
        let ticket_at = self
            .tickets
            .binary_search_by(|(id, _)| id.as_str().cmp(&request.ticket_id));
        if let Ok(at) = ticket_at {
            let used = &self.tickets[at].1;
            let admission = if used.leg == request.leg {
                used.admission
            } else {
                Admission::Refuse(Refusal::TicketUsed)
            };
            return (admission, writes);
        }
        let live = self.live_of(client);
        let calls = self.client_now(client, now_ms).calls.len();
        let admission = if self.live.len() >= limits.max_concurrent as usize {
            Admission::Refuse(Refusal::LinesBusy)
        } else if live >= limits.max_live_per_client as usize {
            Admission::Refuse(Refusal::ClientOnCall)
        } else if calls >= limits.max_per_client_hour as usize {
            Admission::Refuse(Refusal::ClientLimit)
        } else {
            self.live.push(LiveCall {
                leg: request.leg.clone(),
                client: client.to_owned(),
                started_ms: now_ms,
            });
            self.client(client, now_ms).calls.push(now_ms);
            writes.retain(|(key, _)| key != LIVE_KEY);
            writes.push((LIVE_KEY.into(), json(&self.live)));
            writes.push(self.client_write(client));
            Admission::Connect
        };
        let used = UsedTicket {
            leg: request.leg.clone(),
            admission,
            at_ms: now_ms,
        };
        writes.push((format!("{TICKET_PREFIX}{}", request.ticket_id), json(&used)));
        let at = ticket_at.unwrap_err();
        self.tickets.insert(at, (request.ticket_id.clone(), used));
        (admission, writes)
    }

    /// A call came from `user` without a valid ticket: a strike against the
    /// client the user was issued to.
    pub fn strike(&mut self, user: &str, now_ms: u64) -> (Struck, Vec<Write>) {
        let Ok(at) = self
            .users
            .binary_search_by(|(name, _)| name.as_str().cmp(user))
        else {
            return (
                Struck {
                    known: false,
                    first: false,
                },
                Vec::new(),
            );
        };
        let client = self.users[at].1.client.clone();
        let record = self.client(&client, now_ms);
        let first = record.strikes.is_empty();
        record.strikes.push(now_ms);
        (
            Struck { known: true, first },
            vec![self.client_write(&client)],
        )
    }

    /// A leg's line is free again; what to store, if anything changed.
    pub fn release(&mut self, leg: &str) -> Option<Write> {
        let before = self.live.len();
        self.live.retain(|c| c.leg != leg);
        (self.live.len() < before).then(|| (LIVE_KEY.to_owned(), json(&self.live)))
    }

    /// Forgets used tickets past their keeping time, clients an hour quiet,
    /// and users whose tokens have expired.
    pub fn sweep(&mut self, now_ms: u64) -> Sweep {
        let mut forget = Vec::new();
        self.tickets.retain(|(id, used)| {
            let old = used.forgettable(now_ms);
            if old {
                forget.push(format!("{TICKET_PREFIX}{id}"));
            }
            !old
        });
        self.clients.retain_mut(|(key, record)| {
            record.forget_old(now_ms);
            let quiet = record.is_empty();
            if quiet {
                forget.push(format!("{CLIENT_PREFIX}{key}"));
            }
            !quiet
        });
        self.users.retain(|(name, user)| {
            let over = user.until_ms <= now_ms;
            if over {
                forget.push(format!("{USER_PREFIX}{name}"));
            }
            !over
        });
        Sweep {
            forget,
            again: !self.tickets.is_empty() || !self.clients.is_empty() || !self.users.is_empty(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: CallLimits = CallLimits {
        max_concurrent: 2,
        max_live_per_client: 1,
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

        fn issue(&mut self, client: &str, user: &str, now: u64) -> Issued {
            let request = IssueRequest {
                client: ClientKey(client.into()),
                user: user.into(),
                until_ms: now + 15 * 60_000,
                limits: LIMITS,
            };
            let (issued, writes) = self.memory.issue(&request, now);
            self.stored.extend(writes);
            issued
        }

        fn strike(&mut self, user: &str, now: u64) -> Struck {
            let (struck, writes) = self.memory.strike(user, now);
            self.stored.extend(writes);
            struck
        }

        fn release(&mut self, leg: &str) -> bool {
            let write = self.memory.release(leg);
            let released = write.is_some();
            self.stored.extend(write);
            released
        }

        /// A new instance of the object: memory read back from storage.
        fn reloaded(&self) -> GuardMemory {
            GuardMemory::from_stored(self.stored.clone())
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
    fn a_client_is_on_one_call_at_a_time() {
        let mut g = Guard::default();
        assert_eq!(g.admit("t1", "a", "leg1", 0), Admission::Connect);
        assert_eq!(
            g.admit("t2", "a", "leg2", 10),
            Admission::Refuse(Refusal::ClientOnCall)
        );
        assert_eq!(
            g.issue("a", "v-2", 20),
            Issued::Refused {
                why: Refusal::ClientOnCall,
                retry_after: LIVE_RETRY_SECONDS
            },
            "no token for a second call while the first is on"
        );
        assert!(g.release("leg1"));
        assert_eq!(g.issue("a", "v-2", 30), Issued::Yes);
        assert_eq!(g.admit("t3", "a", "leg3", 40), Admission::Connect);
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
            g.issue("a", "v-9", 100),
            Issued::Refused {
                why: Refusal::ClientLimit,
                retry_after: 3600
            },
            "until the first call is an hour old"
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
        assert_eq!(a.calls.len(), 1, "older calls forgotten");
    }

    #[test]
    fn calls_without_a_valid_ticket_strike_their_users_client_until_auth_refuses_it() {
        let mut g = Guard::default();
        assert_eq!(g.issue("a", "v-1", 0), Issued::Yes);
        assert_eq!(
            g.strike("v-1", 1_000),
            Struck {
                known: true,
                first: true
            }
        );
        assert_eq!(
            g.strike("v-1", 2_000),
            Struck {
                known: true,
                first: false
            },
            "only the first of the hour is worth a log entry"
        );
        assert_eq!(
            g.strike("stranger", 2_000),
            Struck {
                known: false,
                first: false
            }
        );
        assert_eq!(
            g.issue("a", "v-2", 2_500),
            Issued::Yes,
            "two strikes: still served"
        );
        g.strike("v-2", 3_000);
        assert_eq!(
            g.issue("a", "v-3", 4_000),
            Issued::Refused {
                why: Refusal::ClientStruck,
                retry_after: 3597
            }
        );
        assert_eq!(g.issue("b", "v-4", 4_000), Issued::Yes, "another client");
        assert_eq!(
            g.issue("a", "v-5", HOUR_MS + 3_001),
            Issued::Yes,
            "an hour on"
        );
    }

    #[test]
    fn what_is_stored_is_what_is_remembered() {
        let mut g = Guard::default();
        g.issue("a", "v-2", 0);
        g.issue("b", "v-1", 0);
        g.admit("t2", "a", "leg2", 0);
        g.admit("t1", "b", "leg1", 0);
        g.strike("v-1", 5);
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
    fn a_sweep_forgets_old_tickets_quiet_clients_and_expired_users() {
        let mut g = Guard::default();
        g.issue("z", "v-z", 0);
        g.admit("t1", "a", "leg1", 0);
        g.admit("t2", "b", "leg2", HOUR_MS);
        let sweep = g.memory.sweep(HOUR_MS + 1);
        assert_eq!(
            sweep.forget,
            ["client/a", "user/v-z"],
            "a's call is an hour old; z never called and its token expired"
        );
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
            Admission::Refuse(Refusal::ClientOnCall),
            Admission::Refuse(Refusal::ClientStruck),
        ] {
            let json = serde_json::to_string(&admission).unwrap();
            assert_eq!(json, format!("\"{}\"", admission.as_str()));
            assert_eq!(serde_json::from_str::<Admission>(&json).unwrap(), admission);
        }
        assert!(serde_json::from_str::<Admission>("\"maybe\"").is_err());
    }

    #[test]
    fn a_connect_lasts_at_most_the_call_limit() {
        assert_eq!(LIMITS.call_seconds(), 3600);
    }

    #[test]
    fn the_guards_messages_read_back_as_written() {
        let limits = CallLimits {
            max_concurrent: 5,
            max_live_per_client: 1,
            max_per_client_hour: 6,
            max_call_minutes: 60,
        };
        let admit = AdmitRequest {
            ticket_id: "0a1b".into(),
            client: ClientKey::of_ip(Some("2001:db8::1")),
            leg: "a&b=c d".into(),
            limits,
        };
        assert_eq!(AdmitRequest::from_query(&admit.to_query()), Some(admit));
        let issue = IssueRequest {
            client: ClientKey::of_ip(Some("203.0.113.9")),
            user: "visitor-00ff".into(),
            until_ms: 1_767_225_600_000,
            limits,
        };
        assert_eq!(IssueRequest::from_query(&issue.to_query()), Some(issue));
        assert_eq!(
            IssueRequest::from_query("client=x&user=y"),
            None,
            "limits missing"
        );
        for issued in [
            Issued::Yes,
            Issued::Refused {
                why: Refusal::ClientOnCall,
                retry_after: 30,
            },
        ] {
            assert_eq!(Issued::parse(&issued.as_text()), Some(issued));
        }
        assert_eq!(Issued::parse("no"), None);
        let leg = one_field("leg", "a b&c=d/é");
        assert_eq!(read_field(&leg, "leg").as_deref(), Some("a b&c=d/é"));
        assert_eq!(read_field(&leg, "user"), None);
        for known in [false, true] {
            for first in [false, true] {
                let struck = Struck { known, first };
                assert_eq!(Struck::parse(&struck.as_text()), Some(struck));
            }
        }
    }
}
