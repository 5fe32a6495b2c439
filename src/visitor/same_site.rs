//! Whether a request comes from our own page (or an allowed site).
//!
//! A token places calls that cost money, so another website must not be able
//! to make its visitors' browsers fetch one for it. Browsers say where a
//! request comes from in `Origin` (cross-origin and non-GET requests) and
//! `Sec-Fetch-Site` (every request of a current browser). Clients that are not
//! browsers send neither; they are held back by the rate limit instead, since
//! they can forge any header anyway.

use crate::error::AppError;
use crate::shared::origin::Origin;

pub struct RequestSite<'a> {
    /// `scheme://host[:port]` of the URL the request was made to.
    pub own_origin: &'a str,
    pub origin_header: Option<&'a str>,
    pub sec_fetch_site: Option<&'a str>,
}

pub fn check(site: &RequestSite<'_>, allowed: &[Origin]) -> Result<(), AppError> {
    if let Some(origin) = site.origin_header {
        let origin = origin.trim().to_ascii_lowercase();
        let ours = origin == site.own_origin.to_ascii_lowercase();
        return if ours || allowed.iter().any(|a| a.as_str() == origin) {
            Ok(())
        } else {
            Err(AppError::CrossSite)
        };
    }
    match site.sec_fetch_site.map(|s| s.trim().to_ascii_lowercase()) {
        // `none`: the user typed the URL or opened a bookmark.
        None => Ok(()),
        Some(s) if s == "same-origin" || s == "none" => Ok(()),
        Some(_) => Err(AppError::CrossSite),
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    const OWN: &str = "https://call.example.com";

    fn site<'a>(origin: Option<&'a str>, fetch_site: Option<&'a str>) -> RequestSite<'a> {
        RequestSite {
            own_origin: OWN,
            origin_header: origin,
            sec_fetch_site: fetch_site,
        }
    }

    #[test]
    fn same_origin_requests_pass() {
        assert_eq!(check(&site(None, Some("same-origin")), &[]), Ok(()));
        assert_eq!(
            check(
                &site(Some("https://call.example.com"), Some("same-origin")),
                &[]
            ),
            Ok(())
        );
        assert_eq!(check(&site(None, None), &[]), Ok(()), "not a browser");
        assert_eq!(
            check(&site(None, Some("none")), &[]),
            Ok(()),
            "typed in the address bar"
        );
    }

    #[test]
    fn other_sites_are_refused_unless_allowed() {
        assert_eq!(
            check(&site(Some("https://evil.example"), Some("cross-site")), &[]),
            Err(AppError::CrossSite)
        );
        assert_eq!(
            check(&site(None, Some("cross-site")), &[]),
            Err(AppError::CrossSite)
        );
        assert_eq!(
            check(&site(None, Some("same-site")), &[]),
            Err(AppError::CrossSite)
        );
        assert_eq!(
            check(&site(Some("null"), None), &[]),
            Err(AppError::CrossSite)
        );
        let allowed = [Origin::parse("https://www.example.com").unwrap()];
        assert_eq!(
            check(
                &site(Some("https://www.example.com"), Some("cross-site")),
                &allowed
            ),
            Ok(())
        );
    }
}
