//! Call tickets: the permission to place one call.
//!
//! `/auth` hands the page a ticket with its token; the page passes it as
//! the `serverCall` context, so it reaches the answer webhook inside
//! `custom_data`. A ticket is an HS256 JWT signed with a key derived from the
//! application's private key: short-lived (unused for at most two minutes),
//! bound to the token it came with (its `sub` must be the caller Vonage names
//! in the answer request, and it names the token's `jti`), and carrying the
//! client it was issued to. Single use is the call guard's business
//! (`guard.rs`): a ticket's signature says it is genuine, not that it is
//! fresh.

use hkdf::Hkdf;
use jwt_compact::alg::{Hs256, Hs256Key};
use jwt_compact::{AlgorithmExt, Claims, Header, UntrustedToken};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::shared::client::ClientKey;
use crate::vonage::private_key::PrivateKey;

/// How long an unused ticket stays valid.
pub const TICKET_TTL_SECONDS: u64 = 120;

/// The signing key, derived once per isolate from the private key (HKDF
/// with a label of its own, so no other use of the key can be confused with
/// a ticket).
#[derive(Clone)]
pub struct TicketKey(Hs256Key);

impl TicketKey {
    pub fn derive(key: &PrivateKey) -> Self {
        let mut okm = [0u8; 32];
        Hkdf::<Sha256>::new(Some(b"edge-click-to-call"), key.pkcs8_der())
            .expand(b"call ticket v1", &mut okm)
            .unwrap_or_else(|_| unreachable!("32 bytes is a valid HKDF-SHA256 output length"));
        Self(Hs256Key::new(okm))
    }
}

impl std::fmt::Debug for TicketKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TicketKey(..)")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct TicketFields {
    jti: String,
    sub: String,
    /// The `jti` of the token the ticket came with.
    tok: String,
    /// The client it was issued to.
    cli: ClientKey,
    /// The visitor's language, when not English (the page asks `/auth?lang=`),
    /// so the call's context stays `{"ticket": …}` and the language is
    /// as trustworthy as the ticket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lng: Option<String>,
}

/// A ticket whose signature, lifetime and caller were checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub id: String,
    pub client: ClientKey,
    /// A checked language code, when the page named one other than English.
    pub lang: Option<String>,
}

/// Why a ticket does not admit a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketProblem {
    Missing,
    Malformed,
    Forged,
    Expired,
    /// Issued with another user's token.
    OtherCaller,
}

impl TicketProblem {
    pub fn as_str(self) -> &'static str {
        match self {
            TicketProblem::Missing => "missing",
            TicketProblem::Malformed => "malformed",
            TicketProblem::Forged => "forged",
            TicketProblem::Expired => "expired",
            TicketProblem::OtherCaller => "other_caller",
        }
    }
}

pub fn issue(
    key: &TicketKey,
    user: &str,
    token_jti: &str,
    client: &ClientKey,
    lang: &str,
    now_seconds: u64,
    ticket_jti: [u8; 16],
) -> String {
    let lang = crate::call::speech::language_code(Some(lang));
    let mut claims = Claims::new(TicketFields {
        jti: hex::encode(ticket_jti),
        sub: user.to_owned(),
        tok: token_jti.to_owned(),
        cli: client.clone(),
        lng: (lang != crate::call::speech::ENGLISH).then(|| lang.to_owned()),
    });
    claims.issued_at = chrono::DateTime::from_timestamp(now_seconds as i64, 0);
    claims.expiration =
        chrono::DateTime::from_timestamp((now_seconds + TICKET_TTL_SECONDS) as i64, 0);
    Hs256
        .token(&Header::empty().with_token_type("JWT"), &claims, &key.0)
        .unwrap_or_else(|_| unreachable!("HS256 over plain claims cannot fail"))
}

/// Checks a ticket from the answer request's `custom_data` against the
/// caller Vonage named.
pub fn verify(
    key: &TicketKey,
    ticket: Option<&str>,
    caller: Option<&str>,
    now_seconds: u64,
) -> Result<Ticket, TicketProblem> {
    let ticket = ticket.ok_or(TicketProblem::Missing)?;
    let untrusted = UntrustedToken::new(ticket).map_err(|_| TicketProblem::Malformed)?;
    if untrusted.algorithm() != "HS256" {
        return Err(TicketProblem::Forged);
    }
    let token = Hs256
        .validator::<TicketFields>(&key.0)
        .validate(&untrusted)
        .map_err(|_| TicketProblem::Forged)?;
    let claims = token.claims();
    let expired = claims
        .expiration
        .is_none_or(|exp| exp.timestamp() < now_seconds as i64);
    if expired {
        return Err(TicketProblem::Expired);
    }
    if caller != Some(claims.custom.sub.as_str()) {
        return Err(TicketProblem::OtherCaller);
    }
    Ok(Ticket {
        id: claims.custom.jti.clone(),
        client: claims.custom.cli.clone(),
        lang: claims
            .custom
            .lng
            .as_deref()
            .map(|l| crate::call::speech::language_code(Some(l)).to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vonage::private_key::tests::test_key_pem;

    fn key() -> TicketKey {
        TicketKey::derive(&PrivateKey::from_pem(&test_key_pem()).unwrap())
    }

    const NOW: u64 = 1_767_225_600;

    #[test]
    fn a_ticket_carries_the_pages_language() {
        let client = ClientKey::of_ip(None);
        let de = issue(&key(), "supportuser", "abcd", &client, "de", NOW, [1; 16]);
        assert_eq!(
            verify(&key(), Some(&de), Some("supportuser"), NOW)
                .unwrap()
                .lang
                .as_deref(),
            Some("de")
        );
        for lang in ["en", "", "../x"] {
            let t = issue(&key(), "supportuser", "abcd", &client, lang, NOW, [1; 16]);
            assert_eq!(
                verify(&key(), Some(&t), Some("supportuser"), NOW)
                    .unwrap()
                    .lang,
                None,
                "{lang:?}"
            );
        }
    }

    #[test]
    fn a_fresh_ticket_admits_its_own_caller_only() {
        let client = ClientKey::of_ip(Some("203.0.113.7"));
        let t = issue(&key(), "supportuser", "abcd", &client, "en", NOW, [1; 16]);
        let ticket = verify(&key(), Some(&t), Some("supportuser"), NOW + 119).unwrap();
        assert_eq!(ticket.id, "01010101010101010101010101010101");
        assert_eq!(ticket.client, client);
        assert_eq!(
            verify(&key(), Some(&t), Some("mallory"), NOW),
            Err(TicketProblem::OtherCaller)
        );
        assert_eq!(
            verify(&key(), Some(&t), None, NOW),
            Err(TicketProblem::OtherCaller)
        );
    }

    #[test]
    fn expired_forged_and_foreign_tickets_are_refused() {
        let client = ClientKey::of_ip(None);
        let t = issue(&key(), "supportuser", "abcd", &client, "en", NOW, [1; 16]);
        assert_eq!(
            verify(&key(), Some(&t), Some("supportuser"), NOW + 121),
            Err(TicketProblem::Expired)
        );
        let other = TicketKey(Hs256Key::new(b"another key entirely, 32 bytes.."));
        let foreign = issue(&other, "supportuser", "abcd", &client, "en", NOW, [1; 16]);
        assert_eq!(
            verify(&key(), Some(&foreign), Some("supportuser"), NOW),
            Err(TicketProblem::Forged)
        );
        let mut tampered = t.clone();
        tampered.insert(t.len() - 3, 'A');
        assert!(verify(&key(), Some(&tampered), Some("supportuser"), NOW).is_err());
        assert_eq!(
            verify(&key(), None, Some("supportuser"), NOW),
            Err(TicketProblem::Missing)
        );
        assert_eq!(
            verify(&key(), Some("nope"), Some("supportuser"), NOW),
            Err(TicketProblem::Malformed)
        );
    }
}
