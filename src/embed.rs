//! The call button on other sites: which sites may frame the call panel and
//! read `/auth` across origins (`ALLOWED_ORIGINS`), as response headers.
//!
//! The page (`/`, also the embed's panel) is served through the worker so
//! its `frame-ancestors` follows the configuration: `'none'` unless origins
//! are allowed, then exactly those, never `*`. Its other security headers
//! are those `site/_headers` gives every static file (a native test keeps
//! the two policies the same).

use crate::origin::Origin;

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
        let headers = include_str!("../site/_headers");
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
