//! `Authorization: Bearer <token>` (RFC 6750), read in one place for the ops
//! API and Vonage's signed webhooks alike.

/// What an `Authorization` header holds, as far as a bearer scheme cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bearer<'a> {
    /// No header at all.
    Absent,
    /// A header with another scheme (`Basic …`) or no token.
    NotBearer,
    Token(&'a str),
}

/// The scheme name is case-insensitive (RFC 9110 §11.1); the token is trimmed.
pub fn parse(header: Option<&str>) -> Bearer<'_> {
    let Some(header) = header else {
        return Bearer::Absent;
    };
    let header = header.trim();
    match header.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Bearer::Token(token.trim())
        }
        _ => Bearer::NotBearer,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_read_whatever_the_scheme_case() {
        assert_eq!(parse(None), Bearer::Absent);
        assert_eq!(parse(Some("Bearer abc")), Bearer::Token("abc"));
        assert_eq!(parse(Some("bearer  abc ")), Bearer::Token("abc"));
        assert_eq!(parse(Some("BEARER abc")), Bearer::Token("abc"));
        assert_eq!(parse(Some("Basic abc")), Bearer::NotBearer);
        assert_eq!(parse(Some("Bearer")), Bearer::NotBearer);
        assert_eq!(parse(Some("Bearer   ")), Bearer::NotBearer);
    }
}
