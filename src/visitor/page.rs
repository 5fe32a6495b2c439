//! The page: what `/config.json` tells it, and its headers. Which sites may
//! frame the call panel and read `/auth` across origins (`ALLOWED_ORIGINS`)
//! is said in response headers.
//!
//! The page (`/`, also the embed's panel) is served through the worker so
//! its `frame-ancestors` follows the configuration: `'none'` unless origins
//! are allowed, then exactly those, never `*`. Its other security headers
//! are those `site/_headers` gives every static file (a native test keeps
//! the two policies the same).

use serde::Serialize;

use crate::call::hours::{DayHours, OpeningHours, ZoneRules};
use crate::call::ticket::TICKET_TTL_SECONDS;
use crate::shared::origin::Origin;
use crate::shared::time;

use super::callback;

/// `/config.json`: what the page shows that follows configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageSettings {
    pub company_name: String,
    /// Sites that may embed the call button (frame the panel): `ALLOWED_ORIGINS`.
    pub embed_origins: Vec<Origin>,
    /// `None`: always open.
    pub hours: Option<OpeningHours>,
    /// `PRE_CALL_FORM`.
    pub pre_call_form: bool,
}

/// The page's Content-Security-Policy, without `frame-ancestors`: only our
/// origin and Vonage (REST on https://*.vonage.com, the session websocket on
/// wss://*.vonage.com); media flows over WebRTC, which CSP does not govern.
const PAGE_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
media-src 'self' blob:; connect-src 'self' https://*.vonage.com wss://*.vonage.com; worker-src 'self' blob:; \
object-src 'none'; base-uri 'none'; form-action 'self'";

/// `frame-ancestors`: the allowed origins, or `'none'`.
pub fn frame_ancestors(allowed: &[Origin]) -> String {
    if allowed.is_empty() {
        return "'none'".into();
    }
    allowed
        .iter()
        .map(Origin::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The security headers of the page, framable by `allowed` only; a `None`
/// value is a header the page must not have.
pub fn page_headers(allowed: &[Origin]) -> Vec<(&'static str, Option<String>)> {
    let set = |value: &str| Some(value.to_owned());
    vec![
        (
            "Content-Security-Policy",
            Some(format!(
                "{PAGE_POLICY}; frame-ancestors {}",
                frame_ancestors(allowed)
            )),
        ),
        ("X-Content-Type-Options", set("nosniff")),
        ("Referrer-Policy", set("strict-origin-when-cross-origin")),
        (
            "Permissions-Policy",
            set("microphone=(self), camera=(), geolocation=(), payment=()"),
        ),
        ("Cross-Origin-Opener-Policy", set("same-origin")),
        // The page's HTML is small and changes with each deployment.
        ("Cache-Control", set("no-cache")),
        // X-Frame-Options cannot name several origins; CSP frame-ancestors
        // governs where browsers support it, and for the rest DENY is only
        // safe when nothing may frame the page (the static files' DENY is
        // removed otherwise).
        (
            "X-Frame-Options",
            allowed.is_empty().then(|| "DENY".to_owned()),
        ),
    ]
}

/// The origin to echo in `Access-Control-Allow-Origin`: a cross-origin
/// request's `Origin` when it is one of the allowed sites, exactly as they
/// are written; else none.
pub fn cors_origin<'a>(
    origin_header: Option<&str>,
    own_origin: &str,
    allowed: &'a [Origin],
) -> Option<&'a str> {
    let origin = origin_header?.trim().to_ascii_lowercase();
    if origin == own_origin.to_ascii_lowercase() {
        return None;
    }
    allowed.iter().map(Origin::as_str).find(|a| *a == origin)
}

/// `/config.json`: what the page shows that follows configuration, and
/// the limits it checks before the worker does. Public, nothing secret.
#[derive(Debug, Serialize)]
pub struct PageConfig<'a> {
    pub company_name: &'a str,
    /// Sites the call button may be embedded in (the embed checks its host).
    pub embed_origins: Vec<&'a str>,
    /// Whether calls are taken now.
    pub open: bool,
    /// When closed: the next opening, an RFC 3339 instant (the page shows
    /// it in the visitor's own zone).
    pub next_open: Option<String>,
    /// The company's zone, in which `hours` are given.
    pub timezone: Option<&'a str>,
    /// The week's opening hours; empty when always open.
    pub hours: Vec<DayHours>,
    pub closed_dates: Vec<String>,
    /// How long a call ticket admits a call after `/auth` issued it.
    pub ticket_seconds: u64,
    /// The callback form's limits (`POST /callbacks` enforces them).
    pub callback: CallbackLimits,
    /// Whether the page asks for a name and a reason before the call
    /// (`PRE_CALL_FORM`), and how long each may be.
    pub pre_call_form: bool,
    pub pre_call_max_chars: usize,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct CallbackLimits {
    pub name_max_chars: usize,
    pub note_max_chars: usize,
}

pub fn page_config<'a>(
    settings: &'a PageSettings,
    rules: &impl ZoneRules,
    now_ms: i64,
) -> PageConfig<'a> {
    let (open, next_open, timezone, hours, closed_dates) = match &settings.hours {
        None => (true, None, None, Vec::new(), Vec::new()),
        Some(hours) => {
            let open = hours.is_open(rules, now_ms);
            let next_open = (!open)
                .then(|| hours.next_open(rules, now_ms))
                .flatten()
                .map(|(at, _)| time::rfc3339_ms(at as u64));
            let closed_dates = hours.closed_dates.iter().map(ToString::to_string).collect();
            (
                open,
                next_open,
                Some(hours.zone.as_str()),
                hours.week_view(),
                closed_dates,
            )
        }
    };
    PageConfig {
        company_name: &settings.company_name,
        embed_origins: settings.embed_origins.iter().map(Origin::as_str).collect(),
        open,
        next_open,
        timezone,
        hours,
        closed_dates,
        ticket_seconds: TICKET_TTL_SECONDS,
        callback: CallbackLimits {
            name_max_chars: callback::NAME_MAX_CHARS,
            note_max_chars: callback::NOTE_MAX_CHARS,
        },
        pre_call_form: settings.pre_call_form,
        pre_call_max_chars: crate::call::whisper::WORDS_MAX_CHARS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origins(list: &[&str]) -> Vec<Origin> {
        list.iter().map(|o| Origin::parse(o).unwrap()).collect()
    }

    #[test]
    fn the_page_is_framed_by_the_allowed_origins_only() {
        let csp = |headers: &[(&str, Option<String>)]| headers[0].1.clone().unwrap();
        let none = page_headers(&[]);
        assert!(csp(&none).ends_with("frame-ancestors 'none'"));
        assert!(none.contains(&("X-Frame-Options", Some("DENY".into()))));
        let some = page_headers(&origins(&["https://shop.example", "http://localhost:3000"]));
        assert!(csp(&some).ends_with("frame-ancestors https://shop.example http://localhost:3000"));
        assert!(
            some.contains(&("X-Frame-Options", None)),
            "the static files' DENY is removed"
        );
        assert!(
            !csp(&some).contains('*') || csp(&some).contains("*.vonage.com"),
            "never *"
        );
    }

    #[test]
    fn the_page_policy_is_the_static_files_policy() {
        let headers = include_str!("../../site/_headers");
        let csp = headers
            .lines()
            .find_map(|l| l.trim().strip_prefix("Content-Security-Policy: "))
            .unwrap();
        assert_eq!(csp, format!("{PAGE_POLICY}; frame-ancestors 'none'"));
    }

    #[test]
    fn cors_echoes_exactly_an_allowed_origin() {
        let allowed = origins(&["https://shop.example"]);
        let own = "https://call.example.com";
        assert_eq!(
            cors_origin(Some("https://shop.example"), own, &allowed),
            Some("https://shop.example")
        );
        assert_eq!(
            cors_origin(Some("HTTPS://SHOP.EXAMPLE"), own, &allowed),
            Some("https://shop.example")
        );
        assert_eq!(
            cors_origin(Some("https://evil.example"), own, &allowed),
            None
        );
        assert_eq!(
            cors_origin(Some(own), own, &allowed),
            None,
            "same origin needs no CORS"
        );
        assert_eq!(cors_origin(None, own, &allowed), None);
    }
}
