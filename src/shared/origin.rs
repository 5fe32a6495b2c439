//! An origin: `scheme://host[:port]`, as browsers send it in `Origin` and
//! as `ALLOWED_ORIGINS` lists the sites that may embed the call button.

/// `scheme://host[:port]`, as browsers send in the `Origin` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin(String);

impl Origin {
    pub const FORM: &'static str =
        "an origin like https://www.example.com (scheme and host, optional port, no path)";

    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim().trim_end_matches('/').to_ascii_lowercase();
        let (scheme, rest) = raw.split_once("://")?;
        let scheme_ok = scheme == "https" || scheme == "http";
        let host_ok = !rest.is_empty()
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b));
        (scheme_ok && host_ok).then_some(Self(raw))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where this worker is reached (`scheme://host`, from the request's URL),
/// for the URLs Vonage calls back.
#[derive(Debug, Clone, Copy)]
pub struct WorkerOrigin<'a>(pub &'a str);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_need_scheme_and_host_only() {
        assert_eq!(
            Origin::parse("http://localhost:3000/").unwrap().as_str(),
            "http://localhost:3000"
        );
        assert_eq!(
            Origin::parse("HTTPS://WWW.Example.com").unwrap().as_str(),
            "https://www.example.com"
        );
        for bad in [
            "www.example.com",
            "https://example.com/path",
            "ftp://example.com",
            "https://",
        ] {
            assert!(Origin::parse(bad).is_none(), "{bad}");
        }
    }
}
