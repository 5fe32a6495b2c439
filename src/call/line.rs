//! The waiting line: when every line is busy, an admitted caller waits on
//! hold instead of being turned away, first in, first out.
//!
//! The call guard keeps the line with the live calls (one Durable Object,
//! one request at a time), so a freed line goes to exactly one caller. The
//! caller hears their place, then music; when a line frees (the visitor
//! leg's final event, or `MAX_CALL_MINUTES`), the longest-waiting caller is
//! moved on by transferring their leg to the connect NCCO (Voice API,
//! `PUT /v1/calls/{uuid}`). Past `MAX_WAIT_SECONDS` a caller is moved to
//! voicemail instead; a caller who hangs up leaves the line at once (their
//! leg's final event).
//!
//! The hold NCCO ends in voicemail by itself: should every transfer fail
//! (Vonage's API unreachable), the music stops after the longest wait and
//! the caller can still leave a message.

use crate::shared::origin::WorkerOrigin;
use crate::shared::paths::HOLD_MUSIC_PATH;
use crate::vonage::ncco::{Action, Ncco};

use super::answer::{AnswerSettings, Hours};
use super::speech::{Caller, talk};
use super::voicemail;

/// Where the guard keeps the line (its Durable Object's storage key).
pub const LINE_KEY: &str = "line";
/// The wait estimate before any call has ended: a support call's usual
/// length.
pub const USUAL_CALL_SECONDS: u32 = 180;
/// How many recent calls' lengths the estimate averages.
const RECENT_CALLS: usize = 10;
/// The shortest hold music the safety net counts on (the default file is
/// longer): the music plays at least `MAX_WAIT_SECONDS` plus this margin
/// before the hold NCCO moves on to voicemail by itself.
pub const HOLD_MUSIC_MIN_SECONDS: u32 = 10;
const HOLD_MARGIN_SECONDS: u32 = 120;

/// A caller on hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    /// The caller's leg: what is transferred, and whose final event means
    /// they hung up.
    pub leg: String,
    pub client: String,
    /// The Vonage user the call came from: the page asks its place by it.
    pub user: String,
    pub since_ms: u64,
    /// The caller's language, and the worker's origin: what the NCCO they
    /// are moved to is built with.
    pub lang: String,
    pub origin: String,
    /// What the agent is told (`whisper::CallerContext::to_query`).
    pub context: String,
}

/// The line, as stored: who waits, in order, the lengths of the last
/// calls (the estimate), and the caps the last admission came with (the
/// guard's alarm has no message to carry them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Line {
    pub waiting: Vec<Waiting>,
    pub recent_seconds: Vec<u32>,
    pub max_concurrent: u32,
    pub max_wait_seconds: u32,
    pub max_call_minutes: u32,
}

/// What the guard asks the worker to do with a waiting caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Move {
    /// A line is free and theirs: transfer them to the connect NCCO.
    Connect(Waiting),
    /// They waited `MAX_WAIT_SECONDS`, or a transfer failed: voicemail.
    Voicemail(Waiting),
}

/// A caller's place and the estimated wait, as the page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    /// 1 is next.
    pub place: u32,
    pub wait_seconds: u32,
    pub lines: u32,
}

impl Place {
    /// `{"place":2,"wait_seconds":360,"lines":1}`, or `{"place":null}`
    /// for a caller who is not waiting: three numbers need no serializer.
    pub fn json(place: Option<Place>) -> String {
        match place {
            Some(p) => format!(
                r#"{{"place":{},"wait_seconds":{},"lines":{}}}"#,
                p.place, p.wait_seconds, p.lines
            ),
            None => r#"{"place":null}"#.into(),
        }
    }
}

impl Line {
    /// The line as stored: URL query pairs, like the guard's messages (no
    /// serde deserializer of its own in the wasm): the caps, the recent
    /// lengths, then each waiting caller's fields in order, `leg` first.
    pub fn to_text(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        out.append_pair("max_concurrent", &self.max_concurrent.to_string())
            .append_pair("max_wait_seconds", &self.max_wait_seconds.to_string())
            .append_pair("max_call_minutes", &self.max_call_minutes.to_string());
        for seconds in &self.recent_seconds {
            out.append_pair("recent", &seconds.to_string());
        }
        for w in &self.waiting {
            out.append_pair("leg", &w.leg)
                .append_pair("client", &w.client)
                .append_pair("user", &w.user)
                .append_pair("since_ms", &w.since_ms.to_string())
                .append_pair("lang", &w.lang)
                .append_pair("origin", &w.origin)
                .append_pair("context", &w.context);
        }
        out.finish()
    }

    /// Reads `to_text`'s form; what does not parse is left out.
    pub fn from_text(text: &str) -> Self {
        let mut line = Line::default();
        for (name, value) in form_urlencoded::parse(text.as_bytes()) {
            let number = || value.parse().unwrap_or_default();
            let last = line.waiting.last_mut();
            match (name.as_ref(), last) {
                ("max_concurrent", _) => line.max_concurrent = number(),
                ("max_wait_seconds", _) => line.max_wait_seconds = number(),
                ("max_call_minutes", _) => line.max_call_minutes = number(),
                ("recent", _) => line.recent_seconds.push(number()),
                ("leg", _) => line.waiting.push(Waiting {
                    leg: value.into_owned(),
                    client: String::new(),
                    user: String::new(),
                    since_ms: 0,
                    lang: String::new(),
                    origin: String::new(),
                    context: String::new(),
                }),
                ("client", Some(w)) => w.client = value.into_owned(),
                ("user", Some(w)) => w.user = value.into_owned(),
                ("since_ms", Some(w)) => w.since_ms = value.parse().unwrap_or_default(),
                ("lang", Some(w)) => w.lang = value.into_owned(),
                ("origin", Some(w)) => w.origin = value.into_owned(),
                ("context", Some(w)) => w.context = value.into_owned(),
                _ => {}
            }
        }
        line
    }

    pub fn position(&self, leg: &str) -> Option<usize> {
        self.waiting.iter().position(|w| w.leg == leg)
    }

    /// Takes a caller out of the line (they hung up, or were moved on).
    pub fn leave(&mut self, leg: &str) -> Option<Waiting> {
        self.position(leg).map(|at| self.waiting.remove(at))
    }

    /// A call of this many seconds ended: the estimate follows it.
    pub fn call_ended(&mut self, seconds: u32) {
        self.recent_seconds.push(seconds.max(1));
        if self.recent_seconds.len() > RECENT_CALLS {
            self.recent_seconds.remove(0);
        }
    }

    /// The average length of the recent calls.
    pub fn usual_call_seconds(&self) -> u32 {
        if self.recent_seconds.is_empty() {
            return USUAL_CALL_SECONDS;
        }
        let sum: u64 = self.recent_seconds.iter().map(|&s| u64::from(s)).sum();
        (sum / self.recent_seconds.len() as u64) as u32
    }

    /// The place of the caller whose Vonage user is `user`, and about how
    /// long they will wait: a line frees every usual call length divided by
    /// the lines, and `place` of them must free.
    pub fn place_of(&self, user: &str) -> Option<Place> {
        let at = self.waiting.iter().position(|w| w.user == user)?;
        let place = at as u32 + 1;
        let lines = self.max_concurrent.max(1);
        Some(Place {
            place,
            wait_seconds: (place * self.usual_call_seconds()).div_ceil(lines),
            lines,
        })
    }

    /// Callers who waited their longest: out of the line, to voicemail.
    pub fn overdue(&mut self, now_ms: u64) -> Vec<Move> {
        let wait_ms = u64::from(self.max_wait_seconds) * 1000;
        let (over, kept) = std::mem::take(&mut self.waiting)
            .into_iter()
            .partition(|w| now_ms.saturating_sub(w.since_ms) >= wait_ms);
        self.waiting = kept;
        over.into_iter().map(Move::Voicemail).collect()
    }

    /// When the first waiting caller will have waited their longest.
    pub fn next_deadline_ms(&self) -> Option<u64> {
        let wait_ms = u64::from(self.max_wait_seconds) * 1000;
        self.waiting.iter().map(|w| w.since_ms + wait_ms).min()
    }
}

/// What a caller on hold hears: their place, then music, looped for at
/// least the longest wait (a transfer ends it sooner); should no transfer
/// come, voicemail.
pub fn hold_ncco(
    settings: &AnswerSettings,
    origin: WorkerOrigin<'_>,
    place: u32,
    caller: Caller<'_>,
) -> Ncco {
    let speech = caller.speech;
    let music = settings
        .hold_music
        .clone()
        .unwrap_or_else(|| format!("{}{HOLD_MUSIC_PATH}", origin.0));
    let hold_seconds = settings.limits.max_wait_seconds + HOLD_MARGIN_SECONDS;
    let mut ncco = vec![
        talk(speech.waiting_words(place), speech),
        Action::Stream {
            stream_url: vec![music],
            repeat: hold_seconds.div_ceil(HOLD_MUSIC_MIN_SECONDS),
        },
    ];
    ncco.extend(voicemail::for_hours(settings, origin, &Hours::Open, speech));
    ncco
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waiting(leg: &str, user: &str, since_ms: u64) -> Waiting {
        Waiting {
            leg: leg.into(),
            client: "c".into(),
            user: user.into(),
            since_ms,
            lang: "en".into(),
            origin: "https://w".into(),
            context: String::new(),
        }
    }

    fn line() -> Line {
        Line {
            waiting: vec![waiting("l1", "u1", 0), waiting("l2", "u2", 60_000)],
            recent_seconds: Vec::new(),
            max_concurrent: 1,
            max_wait_seconds: 300,
            max_call_minutes: 60,
        }
    }

    #[test]
    fn the_line_reads_back_as_stored() {
        let mut l = line();
        l.call_ended(42);
        l.waiting[1].origin = "https://a.example&x=y".into();
        assert_eq!(Line::from_text(&l.to_text()), l);
        assert_eq!(Line::from_text(""), Line::default());
        assert_eq!(Line::from_text("user=orphan&recent=x").recent_seconds, [0]);
    }

    #[test]
    fn the_place_and_wait_follow_the_order_and_the_recent_calls() {
        let mut l = line();
        assert_eq!(
            l.place_of("u2"),
            Some(Place {
                place: 2,
                wait_seconds: 2 * USUAL_CALL_SECONDS,
                lines: 1
            })
        );
        l.call_ended(60);
        l.call_ended(120);
        assert_eq!(l.place_of("u1").unwrap().wait_seconds, 90);
        l.max_concurrent = 2;
        assert_eq!(l.place_of("u2").unwrap().wait_seconds, 90);
        assert_eq!(l.place_of("nobody"), None);
        let json = Place::json(l.place_of("u2"));
        assert_eq!(json, r#"{"place":2,"wait_seconds":90,"lines":2}"#);
        assert_eq!(Place::json(None), r#"{"place":null}"#);
        assert_eq!(l.leave("l1").map(|w| w.user), Some("u1".into()));
        assert_eq!(l.place_of("u2").unwrap().place, 1);
    }

    #[test]
    fn the_estimate_forgets_all_but_the_last_calls() {
        let mut l = line();
        for _ in 0..RECENT_CALLS {
            l.call_ended(1000);
        }
        l.call_ended(10);
        assert_eq!(l.recent_seconds.len(), RECENT_CALLS);
        assert_eq!(l.usual_call_seconds(), (9 * 1000 + 10) / 10);
    }

    #[test]
    fn a_caller_who_waited_the_longest_goes_to_voicemail() {
        let mut l = line();
        assert_eq!(l.next_deadline_ms(), Some(300_000));
        assert!(l.overdue(299_999).is_empty());
        assert_eq!(
            l.overdue(300_000),
            vec![Move::Voicemail(waiting("l1", "u1", 0))]
        );
        assert_eq!(l.waiting.len(), 1);
        assert_eq!(l.next_deadline_ms(), Some(360_000));
    }
}
