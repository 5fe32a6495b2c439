//! Client SDK user names, as created in the Vonage application.

/// Vonage allows more, but a narrow alphabet keeps the name safe in a URL
/// path, a log line and a JWT without escaping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserName(String);

impl UserName {
    pub const FORM: &'static str = "1 to 64 characters of A-Z, a-z, 0-9, '.', '_', '-'";

    pub fn parse(raw: &str) -> Option<Self> {
        let ok = (1..=64).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        ok.then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_a_narrow_alphabet() {
        assert!(UserName::parse("supportuser").is_some());
        assert!(UserName::parse("a.b_c-9").is_some());
        for bad in ["", "bad user", "../etc", "é", &"a".repeat(65)] {
            assert!(UserName::parse(bad).is_none(), "{bad}");
        }
    }
}
