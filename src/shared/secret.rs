//! A string that must never be printed.

use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// `Debug` shows its length only, so a secret inside a config dump or an
/// error stays hidden.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Its length in characters (never its content).
    pub fn chars(&self) -> usize {
        self.0.chars().count()
    }

    /// Compares with what a client presented, in constant time; hashing
    /// first makes the time independent of the length too.
    pub fn matches(&self, presented: &str) -> bool {
        Sha256::digest(presented.as_bytes())
            .ct_eq(&Sha256::digest(self.0.as_bytes()))
            .into()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({} chars)", self.0.chars().count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_without_showing_themselves() {
        let s = Secret::new("0123456789abcdef0123");
        assert!(s.matches("0123456789abcdef0123"));
        assert!(!s.matches("0123456789abcdef012"));
        assert_eq!(format!("{s:?}"), "Secret(20 chars)");
    }
}
