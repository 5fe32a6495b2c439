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
//! - When every line is busy, an admitted call waits in the line
//!   (`call::line`), at most `max_queue` of them, and a freed line goes to
//!   the longest-waiting caller ([`GuardMemory::advance`]).
//! - A client places at most `max_per_client_hour` calls in any hour.
//! - A call without a valid ticket is a strike against the client whose
//!   Vonage user placed it ([`GuardMemory::strike`]), counted here rather
//!   than logged each time; [`STRIKES_PER_HOUR`] of them and `/auth` refuses
//!   the client for the rest of the hour.
//!
//! The state is split by what a decision concerns (one used ticket, the live
//! calls, one client, one issued user), so each decision writes a few small
//! values however many calls came before.

use crate::calllog::LogEntry;
use crate::error::AppError;
use crate::shared::client::ClientKey;

use super::line::{LINE_KEY, Line, Move, Waiting};
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
    /// Callers who may wait for a line (`MAX_QUEUE`); 0: none wait.
    pub max_queue: u32,
    /// The longest a caller waits before voicemail (`MAX_WAIT_SECONDS`).
    pub max_wait_seconds: u32,
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

/// The guard's answer to a call, as a word or two between the worker and
/// the guard (`connect`, `wait 2`, or the refusal's name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Connect,
    /// Every line is busy: on hold, at this place in the line (1 is next).
    Wait(u32),
    Refuse(Refusal),
}

impl Admission {
    pub fn as_text(self) -> String {
        match self {
            Admission::Connect => "connect".into(),
            Admission::Wait(place) => format!("wait {place}"),
            Admission::Refuse(why) => why.as_str().into(),
        }
    }

    pub fn parse(word: &str) -> Option<Self> {
        match word.split_once(' ') {
            Some(("wait", place)) => place.parse().ok().map(Admission::Wait),
            _ if word == "connect" => Some(Admission::Connect),
            _ => Refusal::parse(word).map(Admission::Refuse),
        }
    }
}

/// What the answer webhook asks the guard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdmitRequest {
    pub ticket_id: String,
    pub client: ClientKey,
    /// The visitor's leg: its final event frees the line.
    pub leg: String,
    /// The Vonage user the call came from, the caller's language and the
    /// worker's origin: what a caller put on hold is moved on with.
    pub user: String,
    pub lang: String,
    pub origin: String,
    /// What the agent is told (`whisper::CallerContext::to_query`).
    pub context: String,
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
        .append_pair("max_queue", &limits.max_queue.to_string())
        .append_pair("max_wait_seconds", &limits.max_wait_seconds.to_string())
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
            max_queue: number(pairs, "max_queue")?,
            max_wait_seconds: number(pairs, "max_wait_seconds")?,
        })
    }
}

impl AdmitRequest {
    pub fn to_query(&self) -> String {
        let fields = [
            ("ticket_id", self.ticket_id.as_str()),
            ("client", self.client.0.as_str()),
            ("leg", self.leg.as_str()),
            ("user", self.user.as_str()),
            ("lang", self.lang.as_str()),
            ("origin", self.origin.as_str()),
            ("context", self.context.as_str()),
        ];
        query(&fields, &self.limits)
    }

    pub fn from_query(text: &str) -> Option<Self> {
        let p = pairs(text);
        Some(Self {
            ticket_id: field(&p, "ticket_id")?.to_owned(),
            client: ClientKey(field(&p, "client")?.to_owned()),
            leg: field(&p, "leg")?.to_owned(),
            user: field(&p, "user")?.to_owned(),
            lang: field(&p, "lang")?.to_owned(),
            origin: field(&p, "origin")?.to_owned(),
            context: field(&p, "context").unwrap_or_default().to_owned(),
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
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveCall {
    pub leg: String,
    pub client: String,
    pub started_ms: u64,
}

/// What the guard knows of one client: when its calls of the last hour
/// began, and when its calls without a valid ticket came.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientRecord {
    pub calls: Vec<u64>,
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedUser {
    pub client: String,
    pub until_ms: u64,
}

/// The guard's stored values are URL query pairs, the form its messages
/// take: the one small reader the wasm has anyway, rather than a serde
/// deserializer per value (they were most of the object's code).
pub trait Stored: Sized {
    fn to_text(&self) -> String;
    /// `None` when the text is not this value's.
    fn from_text(text: &str) -> Option<Self>;
}

fn text_of(fields: &[(&str, &str)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (name, value) in fields {
        out.append_pair(name, value);
    }
    out.finish()
}

impl Stored for UsedTicket {
    fn to_text(&self) -> String {
        let at = self.at_ms.to_string();
        let admission = self.admission.as_text();
        text_of(&[
            ("leg", &self.leg),
            ("admission", &admission),
            ("at_ms", &at),
        ])
    }

    fn from_text(text: &str) -> Option<Self> {
        let p = pairs(text);
        Some(Self {
            leg: field(&p, "leg")?.to_owned(),
            admission: Admission::parse(field(&p, "admission")?)?,
            at_ms: number(&p, "at_ms")?,
        })
    }
}

impl Stored for IssuedUser {
    fn to_text(&self) -> String {
        let until = self.until_ms.to_string();
        text_of(&[("client", &self.client), ("until_ms", &until)])
    }

    fn from_text(text: &str) -> Option<Self> {
        let p = pairs(text);
        Some(Self {
            client: field(&p, "client")?.to_owned(),
            until_ms: number(&p, "until_ms")?,
        })
    }
}

/// `call=<ms>` and `strike=<ms>`, each repeated.
impl Stored for ClientRecord {
    fn to_text(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for t in &self.calls {
            out.append_pair("call", &t.to_string());
        }
        for t in &self.strikes {
            out.append_pair("strike", &t.to_string());
        }
        out.finish()
    }

    fn from_text(text: &str) -> Option<Self> {
        let mut record = Self::default();
        for (name, value) in pairs(text) {
            let times = match name.as_str() {
                "call" => &mut record.calls,
                "strike" => &mut record.strikes,
                _ => return None,
            };
            times.push(value.parse().ok()?);
        }
        Some(record)
    }
}

/// Each call's `leg`, `client` and `started_ms`, in order.
impl Stored for Vec<LiveCall> {
    fn to_text(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for call in self {
            out.append_pair("leg", &call.leg)
                .append_pair("client", &call.client)
                .append_pair("started_ms", &call.started_ms.to_string());
        }
        out.finish()
    }

    fn from_text(text: &str) -> Option<Self> {
        let p = pairs(text);
        p.chunks(3)
            .map(|call| match call {
                [(l, leg), (c, client), (s, started)]
                    if l == "leg" && c == "client" && s == "started_ms" =>
                {
                    Some(LiveCall {
                        leg: leg.clone(),
                        client: client.clone(),
                        started_ms: started.parse().ok()?,
                    })
                }
                _ => None,
            })
            .collect()
    }
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

/// A value to store (key, text: JSON, or the line's query pairs) after a decision changed it.
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
    pub line: Line,
}

/// What a sweep did: the keys to delete, and whether to come back.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sweep {
    pub forget: Vec<String>,
    /// Something is still remembered: sweep again in an hour.
    pub again: bool,
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
    /// The state as storage holds it: every key with its text, in any
    /// order. A value that does not parse is skipped: forgetting one ticket
    /// or count is better than a guard that cannot start.
    pub fn from_stored(stored: impl IntoIterator<Item = (String, String)>) -> Self {
        fn add<T: Stored>(to: &mut Vec<(String, T)>, id: &str, text: &str) {
            if let Some(value) = T::from_text(text) {
                to.push((id.to_owned(), value));
            }
        }
        let mut memory = Self::default();
        for (key, json) in stored {
            if key == LIVE_KEY {
                memory.live = Stored::from_text(&json).unwrap_or_default();
            } else if key == LINE_KEY {
                memory.line = Line::from_text(&json);
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
        (format!("{CLIENT_PREFIX}{key}"), record.to_text())
    }

    /// Calls past `max_call_minutes` are no longer live (their final event
    /// was lost); a write when any went.
    fn expire_live(&mut self, now_ms: u64, limits: &CallLimits) -> Option<Write> {
        let call_ms = u64::from(limits.max_call_minutes) * 60_000;
        let before = self.live.len();
        self.live
            .retain(|c| now_ms.saturating_sub(c.started_ms) < call_ms);
        (self.live.len() != before).then(|| (LIVE_KEY.to_owned(), self.live.to_text()))
    }

    /// A client's calls connected or waiting.
    fn live_of(&self, client: &str) -> usize {
        let waiting = self.line.waiting.iter().filter(|w| w.client == client);
        self.live.iter().filter(|c| c.client == client).count() + waiting.count()
    }

    fn live_write(&self) -> Write {
        (LIVE_KEY.to_owned(), self.live.to_text())
    }

    fn line_write(&self) -> Write {
        (LINE_KEY.to_owned(), self.line.to_text())
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
        writes.push((format!("{USER_PREFIX}{}", request.user), user.to_text()));
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
        // Busy while anyone waits, too: a freed line is theirs first.
        let busy =
            self.live.len() >= limits.max_concurrent as usize || !self.line.waiting.is_empty();
        let admission = if busy && self.line.waiting.len() >= limits.max_queue as usize {
            Admission::Refuse(Refusal::LinesBusy)
        } else if live >= limits.max_live_per_client as usize {
            Admission::Refuse(Refusal::ClientOnCall)
        } else if calls >= limits.max_per_client_hour as usize {
            Admission::Refuse(Refusal::ClientLimit)
        } else if busy {
            self.line.waiting.push(Waiting {
                leg: request.leg.clone(),
                client: client.to_owned(),
                user: request.user.clone(),
                since_ms: now_ms,
                lang: request.lang.clone(),
                origin: request.origin.clone(),
                context: request.context.clone(),
            });
            self.line.max_concurrent = limits.max_concurrent;
            self.line.max_wait_seconds = limits.max_wait_seconds;
            self.line.max_call_minutes = limits.max_call_minutes;
            self.client(client, now_ms).calls.push(now_ms);
            writes.push(self.line_write());
            writes.push(self.client_write(client));
            Admission::Wait(self.line.waiting.len() as u32)
        } else {
            self.live.push(LiveCall {
                leg: request.leg.clone(),
                client: client.to_owned(),
                started_ms: now_ms,
            });
            self.client(client, now_ms).calls.push(now_ms);
            writes.retain(|(key, _)| key != LIVE_KEY);
            writes.push(self.live_write());
            writes.push(self.client_write(client));
            Admission::Connect
        };
        let used = UsedTicket {
            leg: request.leg.clone(),
            admission,
            at_ms: now_ms,
        };
        writes.push((
            format!("{TICKET_PREFIX}{}", request.ticket_id),
            used.to_text(),
        ));
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

    /// A leg ended (its final event): its line is free again, or, if it
    /// was waiting, it leaves the line. What to store, and who moves on.
    pub fn release(&mut self, leg: &str, now_ms: u64) -> (Vec<Write>, Vec<Move>) {
        self.free(leg, now_ms, true)
    }

    /// A waiting caller's transfer to a line failed: the line goes to the
    /// next one (the caller is sent to voicemail by the worker).
    pub fn unseat(&mut self, leg: &str, now_ms: u64) -> (Vec<Write>, Vec<Move>) {
        self.free(leg, now_ms, false)
    }

    fn free(&mut self, leg: &str, now_ms: u64, ended: bool) -> (Vec<Write>, Vec<Move>) {
        let left = self.line.leave(leg).is_some();
        let freed = match self.live.iter().position(|c| c.leg == leg) {
            Some(at) => {
                let call = self.live.remove(at);
                if ended {
                    let seconds = now_ms.saturating_sub(call.started_ms) / 1000;
                    self.line.call_ended(seconds as u32);
                }
                true
            }
            None => false,
        };
        let moves = self.advance_line(now_ms);
        let mut writes = Vec::new();
        if freed || !moves.is_empty() {
            writes.push(self.live_write());
        }
        if left || freed || !moves.is_empty() {
            writes.push(self.line_write());
        }
        (writes, moves)
    }

    /// Frees lines held past `MAX_CALL_MINUTES` (a lost final event), sends
    /// who waited their longest to voicemail, and gives each free line to
    /// the longest-waiting caller (the runtime's alarm, and after a call).
    pub fn advance(&mut self, now_ms: u64) -> (Vec<Write>, Vec<Move>) {
        let before = self.live.len();
        let moves = self.advance_line(now_ms);
        let mut writes = Vec::new();
        if before != self.live.len() || !moves.is_empty() {
            writes.push(self.live_write());
        }
        if !moves.is_empty() {
            writes.push(self.line_write());
        }
        (writes, moves)
    }

    fn advance_line(&mut self, now_ms: u64) -> Vec<Move> {
        if self.line.waiting.is_empty() {
            return Vec::new();
        }
        let call_ms = u64::from(self.line.max_call_minutes) * 60_000;
        self.live
            .retain(|c| now_ms.saturating_sub(c.started_ms) < call_ms);
        let mut moves = self.line.overdue(now_ms);
        while self.live.len() < self.line.max_concurrent as usize && !self.line.waiting.is_empty() {
            let next = self.line.waiting.remove(0);
            self.live.push(LiveCall {
                leg: next.leg.clone(),
                client: next.client.clone(),
                started_ms: now_ms,
            });
            moves.push(Move::Connect(next));
        }
        moves
    }

    /// The calls in progress and who waits, for ops, as JSON:
    /// `{"lines":1,"live":[{"leg":"…","seconds":75}],"waiting":[{"leg":"…",
    /// "place":1,"waited_seconds":40,"lang":"de"}],"usual_call_seconds":180}`
    /// (no client addresses, no user names).
    pub fn view_json(&self, now_ms: u64) -> String {
        let leg = |leg: &str| serde_json::to_string(leg).unwrap_or_default();
        let seconds = |since: u64| now_ms.saturating_sub(since) / 1000;
        let live: Vec<String> = self
            .live
            .iter()
            .map(|c| {
                let (leg, held) = (leg(&c.leg), seconds(c.started_ms));
                format!(r#"{{"leg":{leg},"seconds":{held}}}"#)
            })
            .collect();
        // `lang` is a language code (`speech::language_code`): no escaping.
        let waiting: Vec<String> = self
            .line
            .waiting
            .iter()
            .enumerate()
            .map(|(at, w)| {
                let (leg, place, waited) = (leg(&w.leg), at + 1, seconds(w.since_ms));
                let lang = &w.lang;
                format!(
                    r#"{{"leg":{leg},"place":{place},"waited_seconds":{waited},"lang":"{lang}"}}"#
                )
            })
            .collect();
        format!(
            r#"{{"lines":{},"live":[{}],"waiting":[{}],"usual_call_seconds":{}}}"#,
            self.line.max_concurrent,
            live.join(","),
            waiting.join(","),
            self.line.usual_call_seconds()
        )
    }

    /// When the guard must look at the line again by itself: the first
    /// caller's longest wait, or the first live call's longest life, while
    /// anyone waits.
    pub fn next_wake_ms(&self) -> Option<u64> {
        let call_ms = u64::from(self.line.max_call_minutes) * 60_000;
        let expiry = self.live.iter().map(|c| c.started_ms + call_ms).min();
        let deadline = self.line.next_deadline_ms()?;
        Some(expiry.map_or(deadline, |e| e.min(deadline)))
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
            again: !self.tickets.is_empty()
                || !self.clients.is_empty()
                || !self.users.is_empty()
                || !self.line.waiting.is_empty(),
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
        max_queue: 0,
        max_wait_seconds: 300,
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
            self.admit_with(ticket, client, leg, now, LIMITS)
        }

        fn admit_with(
            &mut self,
            ticket: &str,
            client: &str,
            leg: &str,
            now: u64,
            limits: CallLimits,
        ) -> Admission {
            let request = AdmitRequest {
                ticket_id: ticket.into(),
                client: ClientKey(client.into()),
                leg: leg.into(),
                user: format!("user-{leg}"),
                lang: "en".into(),
                origin: "https://w".into(),
                context: String::new(),
                limits,
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
            !self.release_at(leg, 0).0.is_empty()
        }

        /// What was written, and the legs moved on (`v:` to voicemail).
        fn release_at(&mut self, leg: &str, now: u64) -> (Vec<String>, Vec<String>) {
            let (writes, moves) = self.memory.release(leg, now);
            self.moved(writes, moves)
        }

        fn advance(&mut self, now: u64) -> (Vec<String>, Vec<String>) {
            let (writes, moves) = self.memory.advance(now);
            self.moved(writes, moves)
        }

        fn moved(&mut self, writes: Vec<Write>, moves: Vec<Move>) -> (Vec<String>, Vec<String>) {
            let keys = writes.iter().map(|(k, _)| k.clone()).collect();
            self.stored.extend(writes);
            let legs = moves
                .into_iter()
                .map(|m| match m {
                    Move::Connect(w) => w.leg,
                    Move::Voicemail(w) => format!("v:{}", w.leg),
                })
                .collect();
            (keys, legs)
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
            g.stored.get("ticket/t1").map(String::as_str),
            Some("leg=leg1&admission=connect&at_ms=0")
        );
        // A value that does not read (the JSON an older version stored) is
        // forgotten, not fatal.
        let old = GuardMemory::from_stored([
            (
                "ticket/t9".to_owned(),
                r#"{"leg":"x","admission":"connect","at_ms":0}"#.to_owned(),
            ),
            (
                "live".to_owned(),
                r#"[{"leg":"x","started_ms":0}]"#.to_owned(),
            ),
            ("client/c".to_owned(), "call=1&strike=x".to_owned()),
        ]);
        assert_eq!(old, GuardMemory::default());
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
            Admission::Wait(3),
        ] {
            assert_eq!(Admission::parse(&admission.as_text()), Some(admission));
        }
        assert_eq!(Admission::parse("maybe"), None);
        assert_eq!(Admission::parse("wait x"), None);
    }

    const ONE_LINE: CallLimits = CallLimits {
        max_concurrent: 1,
        max_live_per_client: 1,
        max_per_client_hour: 3,
        max_call_minutes: 60,
        max_queue: 2,
        max_wait_seconds: 300,
    };

    #[test]
    fn callers_wait_in_order_for_a_freed_line() {
        let mut g = Guard::default();
        let admit = |g: &mut Guard, n: &str, now| {
            g.admit_with(
                &format!("t{n}"),
                &format!("c{n}"),
                &format!("leg{n}"),
                now,
                ONE_LINE,
            )
        };
        assert_eq!(admit(&mut g, "1", 0), Admission::Connect);
        assert_eq!(admit(&mut g, "2", 1_000), Admission::Wait(1));
        assert_eq!(admit(&mut g, "3", 2_000), Admission::Wait(2));
        assert_eq!(
            admit(&mut g, "4", 3_000),
            Admission::Refuse(Refusal::LinesBusy),
            "MAX_QUEUE callers wait, no more"
        );
        assert_eq!(
            g.admit_with("t2", "c2", "leg2", 4_000, ONE_LINE),
            Admission::Wait(1),
            "Vonage's retry of the answer request"
        );
        assert_eq!(g.memory.line.place_of("user-leg3").unwrap().place, 2);
        // The first call ends after a minute: the longest-waiting caller
        // gets its line, and the estimate learns the call's length.
        let (writes, moved) = g.release_at("leg1", 60_000);
        assert_eq!(moved, ["leg2"]);
        assert_eq!(writes, ["live", "line"]);
        assert_eq!(g.memory.live.len(), 1);
        assert_eq!(g.memory.live[0].leg, "leg2");
        assert_eq!(
            g.memory.line.place_of("user-leg3"),
            Some(crate::call::line::Place {
                place: 1,
                wait_seconds: 60,
                lines: 1
            })
        );
        assert_eq!(g.reloaded(), g.memory, "the line survives a new instance");
    }

    #[test]
    fn ops_see_the_calls_in_progress_and_who_waits() {
        let mut g = Guard::default();
        g.admit_with("t1", "a", "leg1", 0, ONE_LINE);
        g.admit_with("t2", "b", "leg\"2", 10_000, ONE_LINE);
        let view = g.memory.view_json(70_000);
        assert_eq!(
            view,
            r#"{"lines":1,"live":[{"leg":"leg1","seconds":70}],"waiting":[{"leg":"leg\"2","place":1,"waited_seconds":60,"lang":"en"}],"usual_call_seconds":180}"#
        );
        assert!(!view.contains("user-"), "no user names");
    }

    #[test]
    fn a_caller_who_hangs_up_leaves_the_line_at_once() {
        let mut g = Guard::default();
        g.admit_with("t1", "a", "leg1", 0, ONE_LINE);
        assert_eq!(
            g.admit_with("t2", "b", "leg2", 0, ONE_LINE),
            Admission::Wait(1)
        );
        assert_eq!(
            g.admit_with("t3", "c", "leg3", 0, ONE_LINE),
            Admission::Wait(2)
        );
        let (writes, moved) = g.release_at("leg2", 10_000);
        assert_eq!((writes, moved), (vec!["line".to_owned()], vec![]));
        assert_eq!(g.memory.line.place_of("user-leg3").unwrap().place, 1);
        assert_eq!(g.release_at("leg1", 20_000).1, ["leg3"]);
    }

    #[test]
    fn a_lost_final_event_frees_the_line_after_the_longest_call_and_the_longest_wait_ends_in_voicemail()
     {
        let mut g = Guard::default();
        let limits = CallLimits {
            max_call_minutes: 2,
            max_queue: 2,
            max_wait_seconds: 300,
            ..ONE_LINE
        };
        g.admit_with("t1", "a", "leg1", 0, limits);
        g.admit_with("t2", "b", "leg2", 0, limits);
        g.admit_with("t3", "c", "leg3", 60_000, limits);
        // Nobody moves before the first call's longest life...
        assert_eq!(g.memory.next_wake_ms(), Some(120_000));
        assert_eq!(g.advance(119_999).1, Vec::<String>::new());
        // ...then the line is the first waiting caller's.
        assert_eq!(g.advance(120_000).1, ["leg2"]);
        // leg2's call is lost too: at 240 s the line is leg3's.
        assert_eq!(g.memory.next_wake_ms(), Some(240_000));
        assert_eq!(g.advance(240_000).1, ["leg3"]);
        assert_eq!(g.memory.next_wake_ms(), None, "no one waits");
        // One line, two waiting: the second waits its longest.
        let mut g = Guard::default();
        g.admit_with("t1", "a", "leg1", 0, ONE_LINE);
        g.admit_with("t2", "b", "leg2", 0, ONE_LINE);
        g.admit_with("t3", "c", "leg3", 100_000, ONE_LINE);
        assert_eq!(g.memory.next_wake_ms(), Some(300_000));
        assert_eq!(g.advance(300_000).1, ["v:leg2"]);
        assert_eq!(g.advance(400_000).1, ["v:leg3"]);
        assert!(g.memory.line.waiting.is_empty());
        assert_eq!(
            g.admit_with("t4", "d", "leg4", 400_000, ONE_LINE),
            Admission::Wait(1),
            "leg1 still holds the line"
        );
    }

    #[test]
    fn a_failed_transfer_gives_the_line_to_the_next_caller() {
        let mut g = Guard::default();
        g.admit_with("t1", "a", "leg1", 0, ONE_LINE);
        g.admit_with("t2", "b", "leg2", 0, ONE_LINE);
        g.admit_with("t3", "c", "leg3", 0, ONE_LINE);
        assert_eq!(g.release_at("leg1", 30_000).1, ["leg2"]);
        let (writes, moves) = g.memory.unseat("leg2", 31_000);
        assert_eq!(g.moved(writes, moves).1, ["leg3"]);
        assert_eq!(g.memory.line.recent_seconds, [30], "only ended calls count");
    }

    #[test]
    fn a_client_waits_on_one_call_at_a_time() {
        let mut g = Guard::default();
        g.admit_with("t1", "a", "leg1", 0, ONE_LINE);
        assert_eq!(
            g.admit_with("t2", "b", "leg2", 0, ONE_LINE),
            Admission::Wait(1)
        );
        assert_eq!(
            g.admit_with("t3", "b", "leg3", 0, ONE_LINE),
            Admission::Refuse(Refusal::ClientOnCall)
        );
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
            max_queue: 10,
            max_wait_seconds: 300,
        };
        let admit = AdmitRequest {
            ticket_id: "0a1b".into(),
            client: ClientKey::of_ip(Some("2001:db8::1")),
            leg: "a&b=c d".into(),
            user: "visitor-00ff".into(),
            lang: "de".into(),
            origin: "https://calls.example.com".into(),
            context: "name=Anna&page=%2Fpricing".into(),
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
