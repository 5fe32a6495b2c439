//! Voicemail recordings: where the worker may fetch one from.
//!
//! A record event's `recording_url` names the recording on Vonage's API
//! (`https://api.nexmo.com/v1/files/<id>`, or a regional host). The worker
//! fetches it with an application token and streams it to ops, so it must
//! never fetch anything else: only HTTPS, only Vonage's API hosts, only their
//! media paths, no port, no credentials in the URL. Otherwise it would be an
//! open proxy carrying our application's token. The origin the worker reaches
//! Vonage's APIs at (`VONAGE_API_URL`) is allowed too: Vonage's own by
//! default, a local simulator in development.

use crate::shared::origin::Origin;

/// A URL's parts, as the runtime's URL parser gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlParts {
    /// With its colon: `https:`.
    pub protocol: String,
    pub hostname: String,
    /// Empty for the scheme's default port.
    pub port: String,
    pub pathname: String,
    pub username: String,
    pub password: String,
}

/// `api.nexmo.com`, `api.vonage.com`, and their regional forms
/// (`api-us.vonage.com`, `api-eu-1.vonage.com`...).
fn vonage_api_host(host: &str) -> bool {
    let Some(name) = host
        .strip_suffix(".nexmo.com")
        .or_else(|| host.strip_suffix(".vonage.com"))
    else {
        return false;
    };
    name == "api"
        || name.strip_prefix("api-").is_some_and(|region| {
            !region.is_empty()
                && region
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// Vonage's media paths: `/v1/files/<id>`, `/v3/media/<id>`, `/media/download`.
fn media_path(path: &str) -> bool {
    path.starts_with("/v1/files/") || path.starts_with("/v3/media/") || path == "/media/download"
}

/// Whether the worker may fetch this recording URL.
pub fn fetchable(url: &UrlParts, api: Option<&Origin>) -> bool {
    if !url.username.is_empty() || !url.password.is_empty() || !media_path(&url.pathname) {
        return false;
    }
    if url.protocol == "https:" && url.port.is_empty() && vonage_api_host(&url.hostname) {
        return true;
    }
    api.is_some_and(|origin| {
        let port = if url.port.is_empty() {
            String::new()
        } else {
            format!(":{}", url.port)
        };
        origin.as_str() == format!("{}//{}{port}", url.protocol, url.hostname)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(
        protocol: &'static str,
        hostname: &'static str,
        port: &'static str,
        pathname: &'static str,
    ) -> UrlParts {
        UrlParts {
            protocol: protocol.into(),
            hostname: hostname.into(),
            port: port.into(),
            pathname: pathname.into(),
            username: String::new(),
            password: String::new(),
        }
    }

    #[test]
    fn only_vonage_api_hosts_media_paths_over_https() {
        for (host, path) in [
            (
                "api.nexmo.com",
                "/v1/files/aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab",
            ),
            ("api-us.nexmo.com", "/v1/files/x"),
            ("api.vonage.com", "/v3/media/x"),
            ("api-eu-1.vonage.com", "/media/download"),
        ] {
            assert!(
                fetchable(&parts("https:", host, "", path), None),
                "{host}{path}"
            );
        }
        for (protocol, host, port, path) in [
            ("http:", "api.nexmo.com", "", "/v1/files/x"),
            ("https:", "api.nexmo.com", "8443", "/v1/files/x"),
            ("https:", "evil.com", "", "/v1/files/x"),
            ("https:", "api.nexmo.com.evil.com", "", "/v1/files/x"),
            ("https:", "api-.vonage.com", "", "/v1/files/x"),
            ("https:", "apix.vonage.com", "", "/v1/files/x"),
            ("https:", "rest.nexmo.com", "", "/v1/files/x"),
            ("https:", "api.nexmo.com", "", "/v1/applications"),
            ("https:", "127.0.0.1", "", "/v1/files/x"),
        ] {
            assert!(
                !fetchable(&parts(protocol, host, port, path), None),
                "{protocol}//{host}:{port}{path}"
            );
        }
        let mut with_user = parts("https:", "api.nexmo.com", "", "/v1/files/x");
        with_user.username = "me".into();
        assert!(!fetchable(&with_user, None));
    }

    #[test]
    fn a_configured_simulator_origin_is_allowed_and_nothing_else() {
        let sim = Origin::parse("http://127.0.0.1:8788").unwrap();
        assert!(fetchable(
            &parts("http:", "127.0.0.1", "8788", "/v1/files/x"),
            Some(&sim)
        ));
        assert!(!fetchable(
            &parts("http:", "127.0.0.1", "8789", "/v1/files/x"),
            Some(&sim)
        ));
        assert!(!fetchable(
            &parts("http:", "127.0.0.1", "8788", "/admin"),
            Some(&sim)
        ));
    }
}
