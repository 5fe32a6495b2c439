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
//!
//! A **renewal** ticket, in the same format under a key of its own (so
//! neither kind passes for the other), lets the page renew the token of the
//! call's own Vonage user while the call lasts: `/auth` with it as a Bearer
//! token mints a token for that user, and creates no user and no ticket.

use hkdf::Hkdf;
use jwt_compact::alg::{Hs256, Hs256Key};
use jwt_compact::{AlgorithmExt, Claims, Header, UntrustedToken};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::call::whisper::CallerContext;
use crate::shared::client::ClientKey;
use crate::vonage::private_key::PrivateKey;

/// How long an unused ticket stays valid.
pub const TICKET_TTL_SECONDS: u64 = 120;

/// The signing keys, derived once per isolate from the private key (HKDF
/// with labels of their own, so no other use of the key can be confused with
/// a ticket, and a renewal cannot pass for a call ticket).
#[derive(Clone)]
pub struct TicketKey {
    call: Hs256Key,
    renewal: Hs256Key,
}

impl TicketKey {
    pub fn derive(key: &PrivateKey) -> Self {
        let hkdf = Hkdf::<Sha256>::new(Some(b"edge-click-to-call"), key.pkcs8_der());
        let labelled = |label: &[u8]| {
            let mut okm = [0u8; 32];
            hkdf.expand(label, &mut okm)
                .unwrap_or_else(|_| unreachable!("32 bytes is a valid HKDF-SHA256 output length"));
            Hs256Key::new(okm)
        };
        Self {
            call: labelled(b"call ticket v1"),
            renewal: labelled(b"token renewal v1"),
        }
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
    /// What the agent is told about the call (`whisper::CallerContext`, as
    /// query pairs), when the page said anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ctx: Option<String>,
}

/// A ticket whose signature, lifetime and caller were checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub id: String,
    pub client: ClientKey,
    /// A checked language code, when the page named one other than English.
    pub lang: Option<String>,
    pub context: CallerContext,
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

// Each argument is one of the ticket's claims, or what signs it.
#[allow(clippy::too_many_arguments)]
pub fn issue(
    key: &TicketKey,
    user: &str,
    token_jti: &str,
    client: &ClientKey,
    lang: &str,
    context: &CallerContext,
    now_seconds: u64,
    ticket_jti: [u8; 16],
) -> String {
    let lang = crate::call::speech::language_code(Some(lang));
    let fields = TicketFields {
        jti: hex::encode(ticket_jti),
        sub: user.to_owned(),
        tok: token_jti.to_owned(),
        cli: client.clone(),
        lng: (lang != crate::call::speech::ENGLISH).then(|| lang.to_owned()),
        ctx: (!context.is_empty()).then(|| context.to_query()),
    };
    sign(&key.call, fields, now_seconds, TICKET_TTL_SECONDS)
}

/// A renewal ticket for `user`'s tokens, valid `lasts_seconds` (the ticket's
/// lifetime and the longest call: a call outlives its first token).
pub fn issue_renewal(
    key: &TicketKey,
    user: &str,
    client: &ClientKey,
    now_seconds: u64,
    lasts_seconds: u64,
    jti: [u8; 16],
) -> String {
    let fields = TicketFields {
        jti: hex::encode(jti),
        sub: user.to_owned(),
        tok: String::new(),
        cli: client.clone(),
        lng: None,
        ctx: None,
    };
    sign(&key.renewal, fields, now_seconds, lasts_seconds)
}

fn sign(key: &Hs256Key, fields: TicketFields, now_seconds: u64, lasts_seconds: u64) -> String {
    let mut claims = Claims::new(fields);
    claims.issued_at = chrono::DateTime::from_timestamp(now_seconds as i64, 0);
    claims.expiration = chrono::DateTime::from_timestamp((now_seconds + lasts_seconds) as i64, 0);
    Hs256
        .token(&Header::empty().with_token_type("JWT"), &claims, key)
        .unwrap_or_else(|_| unreachable!("HS256 over plain claims cannot fail"))
}

/// A ticket's fields, if it is signed with `key` and unexpired.
fn read(key: &Hs256Key, ticket: &str, now_seconds: u64) -> Result<TicketFields, TicketProblem> {
    let untrusted = UntrustedToken::new(ticket).map_err(|_| TicketProblem::Malformed)?;
    if untrusted.algorithm() != "HS256" {
        return Err(TicketProblem::Forged);
    }
    let token = Hs256
        .validator::<TicketFields>(key)
        .validate(&untrusted)
        .map_err(|_| TicketProblem::Forged)?;
    let expired = token
        .claims()
        .expiration
        .is_none_or(|exp| exp.timestamp() < now_seconds as i64);
    if expired {
        return Err(TicketProblem::Expired);
    }
    Ok(token.into_parts().1.custom)
}

/// Checks a ticket from the answer request's `custom_data` against the
/// caller Vonage named.
pub fn verify(
    key: &TicketKey,
    ticket: Option<&str>,
    caller: Option<&str>,
    now_seconds: u64,
) -> Result<Ticket, TicketProblem> {
    let fields = read(
        &key.call,
        ticket.ok_or(TicketProblem::Missing)?,
        now_seconds,
    )?;
    if caller != Some(fields.sub.as_str()) {
        return Err(TicketProblem::OtherCaller);
    }
    Ok(Ticket {
        id: fields.jti,
        client: fields.cli,
        lang: fields
            .lng
            .as_deref()
            .map(|l| crate::call::speech::language_code(Some(l)).to_owned()),
        context: fields
            .ctx
            .as_deref()
            .map(CallerContext::from_query)
            .unwrap_or_default(),
    })
}

/// The user a renewal ticket renews tokens for, if it is genuine and
/// unexpired.
pub fn renewal_user(
    key: &TicketKey,
    renewal: &str,
    now_seconds: u64,
) -> Result<String, TicketProblem> {
    read(&key.renewal, renewal, now_seconds).map(|fields| fields.sub)
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
        let de = issue(
            &key(),
            "supportuser",
            "abcd",
            &client,
            "de",
            &CallerContext::default(),
            NOW,
            [1; 16],
        );
        assert_eq!(
            verify(&key(), Some(&de), Some("supportuser"), NOW)
                .unwrap()
                .lang
                .as_deref(),
            Some("de")
        );
        for lang in ["en", "", "../x"] {
            let t = issue(
                &key(),
                "supportuser",
                "abcd",
                &client,
                lang,
                &CallerContext::default(),
                NOW,
                [1; 16],
            );
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
        let t = issue(
            &key(),
            "supportuser",
            "abcd",
            &client,
            "en",
            &CallerContext::default(),
            NOW,
            [1; 16],
        );
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
        let t = issue(
            &key(),
            "supportuser",
            "abcd",
            &client,
            "en",
            &CallerContext::default(),
            NOW,
            [1; 16],
        );
        assert_eq!(
            verify(&key(), Some(&t), Some("supportuser"), NOW + 121),
            Err(TicketProblem::Expired)
        );
        let other = TicketKey {
            call: Hs256Key::new(b"another key entirely, 32 bytes.."),
            renewal: Hs256Key::new(b"another key entirely, 32 bytes.."),
        };
        let foreign = issue(
            &other,
            "supportuser",
            "abcd",
            &client,
            "en",
            &CallerContext::default(),
            NOW,
            [1; 16],
        );
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

    #[test]
    fn a_renewal_names_its_user_and_is_no_call_ticket() {
        let client = ClientKey::of_ip(Some("203.0.113.7"));
        let renewal = issue_renewal(&key(), "visitor-1", &client, NOW, 3720, [2; 16]);
        assert_eq!(
            renewal_user(&key(), &renewal, NOW + 3700).as_deref(),
            Ok("visitor-1")
        );
        assert_eq!(
            renewal_user(&key(), &renewal, NOW + 3721),
            Err(TicketProblem::Expired)
        );
        assert_eq!(
            verify(&key(), Some(&renewal), Some("visitor-1"), NOW),
            Err(TicketProblem::Forged),
            "a renewal does not admit a call"
        );
        let ticket = issue(
            &key(),
            "visitor-1",
            "abcd",
            &client,
            "en",
            &CallerContext::default(),
            NOW,
            [1; 16],
        );
        assert_eq!(
            renewal_user(&key(), &ticket, NOW),
            Err(TicketProblem::Forged),
            "a call ticket renews nothing"
        );
        assert_eq!(
            renewal_user(&key(), "not.a.jwt", NOW),
            Err(TicketProblem::Malformed)
        );
    }
}
