//! Who is calling, for the agent: what the visitor typed before the call
//! (their name and what it is about, with `PRE_CALL_FORM`) and the page
//! they were on, carried in the call ticket, and spoken to the agent when
//! they answer, before the two are joined.
//!
//! NCCO reference, connect, phone endpoint: `onAnswer` is "an object
//! containing a required `url` key. The URL serves an NCCO to execute in
//! the number being connected to, before that call is joined to your
//! existing conversation". Every ring-list number gets it; the caller's
//! context travels in its query (and in the ring list's event URLs, so the
//! next number hears it too).
//!
//! The words are the visitor's own: cut to a few plain words, never markup,
//! and only ever spoken back; the whisper URL dials nothing and stores
//! nothing, so it needs no signature.

use crate::shared::origin::WorkerOrigin;
use crate::shared::paths::WHISPER_PATH;
use crate::vonage::ncco::{Action, Ncco};

/// The context's parameter on a ring-list leg's event URL.
pub const CONTEXT_PARAM: &str = "who";
/// The longest name or reason kept, in characters.
pub const WORDS_MAX_CHARS: usize = 40;
const PAGE_MAX_CHARS: usize = 80;

/// What the agent is told about a web call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallerContext {
    pub name: Option<String>,
    pub reason: Option<String>,
    /// The path of the page the visitor called from (`/pricing`).
    pub page: Option<String>,
}

/// A few plain words: no control characters or markup, runs of spaces as
/// one, at most `max` characters; `None` when nothing is left.
fn plain(raw: &str, max: usize) -> Option<String> {
    let mut out = String::new();
    for c in raw.chars() {
        if out.chars().count() == max {
            break;
        }
        if c.is_whitespace() || c.is_control() {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
        } else if !"<>{}\\".contains(c) {
            out.push(c);
        }
    }
    let text = out.trim_end();
    (!text.is_empty()).then(|| text.to_owned())
}

/// A page path as the page reports it: `/` and what follows, without its
/// query or fragment (they may hold anything).
fn page_path(raw: &str) -> Option<String> {
    let path = raw.split(['?', '#']).next()?.trim();
    let ok = path.starts_with('/') && path.chars().all(|c| c.is_ascii_graphic());
    ok.then(|| path.chars().take(PAGE_MAX_CHARS).collect())
}

impl CallerContext {
    /// From `/auth`'s query: `page` always, `name` and `reason` only when
    /// the pre-call form is on.
    pub fn from_pairs(pairs: &[(String, String)], form: bool) -> Self {
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let words = |name: &str| {
            get(name)
                .filter(|_| form)
                .and_then(|v| plain(v, WORDS_MAX_CHARS))
        };
        Self {
            name: words("name"),
            reason: words("reason"),
            page: get("page").and_then(page_path),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.reason.is_none() && self.page.is_none()
    }

    /// As query pairs (`name=Anna&reason=billing&page=%2Fpricing`): how it
    /// travels in the ticket and in URLs.
    pub fn to_query(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("name", &self.name),
            ("reason", &self.reason),
            ("page", &self.page),
        ] {
            if let Some(value) = value {
                out.append_pair(name, value);
            }
        }
        out.finish()
    }

    /// Read back from `to_query`'s form (checked again: it came from a URL).
    pub fn from_query(query: &str) -> Self {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        Self::from_pairs(&pairs, true)
    }

    /// "Web call from Anna, about billing, from the pricing page."
    pub fn words(&self) -> String {
        let mut words = String::from("Web call");
        let page = self.page.as_deref().map(page_words);
        let parts = [
            (" from ", self.name.as_deref(), ""),
            (", about ", self.reason.as_deref(), ""),
            (", from the ", page.as_deref(), " page"),
        ];
        for (before, part, after) in parts {
            if let Some(part) = part {
                words.push_str(before);
                words.push_str(part);
                words.push_str(after);
            }
        }
        words.push('.');
        words
    }

    /// The `onAnswer` URL of a ring-list number.
    pub fn whisper_url(&self, origin: WorkerOrigin<'_>) -> String {
        let query = self.to_query();
        let sep = if query.is_empty() { "" } else { "?" };
        format!("{}{WHISPER_PATH}{sep}{query}", origin.0)
    }
}

/// A path in words: its last part, dashes and underscores as spaces, no
/// file extension (`/pricing/team-plans.html` → "team plans"); `/` is home.
fn page_words(path: &str) -> String {
    let last = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default();
    let last = last.split('.').next().unwrap_or_default();
    let words: String = last
        .chars()
        .map(|c| if c == '-' || c == '_' { ' ' } else { c })
        .collect();
    plain(&words, WORDS_MAX_CHARS).unwrap_or_else(|| "home".into())
}

/// What the agent hears on answering (in Vonage's default voice: the
/// support line's language is not the caller's).
pub fn whisper_ncco(context: &CallerContext) -> Ncco {
    vec![Action::Talk {
        text: context.words(),
        language: None,
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn the_agent_hears_who_why_and_from_where() {
        let asked = pairs(&[
            ("name", "Anna"),
            ("reason", "billing"),
            ("page", "/pricing?utm=x"),
        ]);
        let context = CallerContext::from_pairs(&asked, true);
        assert_eq!(
            context.words(),
            "Web call from Anna, about billing, from the pricing page."
        );
        assert_eq!(CallerContext::from_query(&context.to_query()), context);
        assert_eq!(
            context.whisper_url(WorkerOrigin("https://w.example")),
            "https://w.example/webhooks/whisper?name=Anna&reason=billing&page=%2Fpricing"
        );
        assert_eq!(CallerContext::default().words(), "Web call.");
        assert_eq!(
            CallerContext::default().whisper_url(WorkerOrigin("https://w")),
            "https://w/webhooks/whisper"
        );
    }

    #[test]
    fn without_the_form_only_the_page_is_taken() {
        let asked = pairs(&[("name", "Anna"), ("reason", "billing"), ("page", "/")]);
        let context = CallerContext::from_pairs(&asked, false);
        assert_eq!(context.words(), "Web call, from the home page.");
    }

    #[test]
    fn the_visitors_words_are_cut_to_a_few_plain_ones() {
        let long = "x".repeat(100);
        let asked = pairs(&[
            ("name", "  Anna\n\t<b>Smith</b> "),
            ("reason", &long),
            ("page", "javascript:alert(1)"),
        ]);
        let context = CallerContext::from_pairs(&asked, true);
        assert_eq!(context.name.as_deref(), Some("Anna bSmith/b"), "no markup");
        assert_eq!(context.reason.map(|r| r.len()), Some(WORDS_MAX_CHARS));
        assert_eq!(context.page, None, "only a path");
        let blank = pairs(&[("name", " \u{7} "), ("page", "/team/support_desk.html#top")]);
        let context = CallerContext::from_pairs(&blank, true);
        assert_eq!(context.name, None);
        assert_eq!(context.words(), "Web call, from the support desk page.");
    }
}
