//! Vonage signed webhooks: `Authorization: Bearer <JWT>`, HS256 with the
//! account's signature secret, whose `payload_hash` binds the token to the
//! request it came with.
//!
//! Facts from Vonage's "Signed webhooks" guide: claims `iat`, `jti`,
//! `iss: "Vonage"`, `api_key`, `application_id`, `payload_hash`: the hex
//! SHA-256 of the payload. Vonage's support article on `payload_hash`
//! describes it as the hash of the compact JSON serialisation of the payload,
//! which for a POST is the raw body as Vonage sends it (it sends compact
//! JSON) and for a GET is the query parameters as a JSON object in their
//! original order. Both readings are accepted: the raw body or its compact
//! re-serialisation; for a GET, `custom_data` as the string received or as
//! the JSON it holds. Vonage also documents that a callback may rarely
//! arrive unsigned, its retry signed: a missing header is answered 503 so
//! Vonage retries, a wrong one 401.

use jwt_compact::alg::{Hs256, Hs256Key};
use jwt_compact::{AlgorithmExt, UntrustedToken, ValidationError};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::AppError;
use crate::shared::bearer::{self, Bearer};
use crate::shared::secret::Secret;

/// Vonage's webhook bodies are a few hundred bytes; 64 KiB is generous and
/// keeps one log entry far below KV's value limit.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Both webhooks: whether and how Vonage's signatures are checked.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// `None` when no signature secret is configured: requests are unsigned.
    pub signature: Option<SignatureSettings>,
    /// Whoever runs unsigned said so (`ALLOW_UNSIGNED_WEBHOOKS=true`); else
    /// an unsigned deployment reports itself degraded.
    pub unsigned_allowed: bool,
}

#[derive(Debug, Clone)]
pub struct SignatureSettings {
    pub secret: Secret,
    pub max_skew_seconds: u64,
    /// The token's `application_id` must be this one when it is known.
    pub application_id: Option<String>,
}

/// Vonage's own minimum for a signature secret: "no less than 32 bits"
/// (Signed webhooks guide), four characters at the least.
pub const SECRET_MIN_CHARS: usize = 4;
/// Shorter than this, the worker warns once per isolate: a secret of a few
/// characters can be found by trying, signature after signature.
pub const SECRET_ADVISED_CHARS: usize = 32;

impl SignatureSettings {
    /// Shorter than advised: Vonage accepts it, the log warns.
    pub fn secret_is_short(&self) -> bool {
        self.secret.chars() < SECRET_ADVISED_CHARS
    }
}

/// The claims we check beyond `iat` (which jwt-compact lifts out).
#[derive(Debug, Deserialize)]
struct VonageClaims {
    #[serde(default)]
    payload_hash: Option<String>,
    #[serde(default)]
    application_id: Option<String>,
}

/// What the signature must cover.
pub enum Payload<'a> {
    /// The raw body of a POST.
    Body(&'a [u8]),
    /// The query parameters of a GET, in the order they came.
    Query(&'a [(String, String)]),
}

fn reject(why: impl Into<String>) -> AppError {
    AppError::BadSignature(why.into())
}

/// The query pairs as one compact JSON object, in order, each value written
/// by `value` (serde_json escapes strings as JSON.stringify does).
fn query_object(
    pairs: &[(String, String)],
    mut value: impl FnMut(&str, &str, &mut String),
) -> String {
    let mut out = String::from("{");
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(k).unwrap_or_default());
        out.push(':');
        value(k, v, &mut out);
    }
    out.push('}');
    out
}

fn json_string(v: &str, out: &mut String) {
    out.push_str(&serde_json::to_string(v).unwrap_or_default());
}

/// The compact JSON object of the query pairs, as Vonage hashes it.
pub fn query_json(pairs: &[(String, String)]) -> String {
    query_object(pairs, |_, v, out| json_string(v, out))
}

/// JSON text re-serialised compactly, keys in their order (as
/// `JSON.stringify(JSON.parse(text))` would write it); `None` if not JSON.
fn compact_json(text: &[u8]) -> Option<Vec<u8>> {
    let mut de = serde_json::Deserializer::from_str(std::str::from_utf8(text).ok()?);
    let out = serde_json::to_vec(&serde_transcode::Transcoder::new(&mut de)).ok()?;
    de.end().ok()?;
    Some(out)
}

/// The query as a JSON object with `custom_data` as the JSON it holds;
/// `None` when that changes nothing.
fn query_json_with_parsed_custom_data(pairs: &[(String, String)]) -> Option<String> {
    let mut changed = false;
    let out = query_object(pairs, |k, v, out| {
        match compact_json(v.as_bytes()).filter(|_| k == "custom_data") {
            Some(parsed) => {
                out.push_str(&String::from_utf8_lossy(&parsed));
                changed = true;
            }
            None => json_string(v, out),
        }
    });
    changed.then_some(out)
}

/// The hash Vonage's own signer computes: over the raw body, or over the
/// query's compact JSON.
pub fn payload_hash(payload: &Payload<'_>) -> String {
    let digest = match payload {
        Payload::Body(body) => Sha256::digest(body),
        Payload::Query(pairs) => Sha256::digest(query_json(pairs).as_bytes()),
    };
    hex::encode(digest)
}

/// Every serialisation of the payload a genuine `payload_hash` may cover.
fn accepted_hashes(payload: &Payload<'_>) -> Vec<String> {
    let mut hashes = vec![payload_hash(payload)];
    let other = match payload {
        Payload::Body(body) => compact_json(body).filter(|c| c.as_slice() != *body),
        Payload::Query(pairs) => query_json_with_parsed_custom_data(pairs).map(String::into_bytes),
    };
    hashes.extend(other.map(|bytes| hex::encode(Sha256::digest(bytes))));
    hashes
}

/// What a webhook request's authenticity comes to, before its body is read
/// for anything else.
pub fn check(
    webhooks: &WebhookSettings,
    authorization: Option<&str>,
    payload: &Payload<'_>,
    now_seconds: u64,
) -> Result<(), AppError> {
    match &webhooks.signature {
        Some(signature) => verify(signature, authorization, payload, now_seconds),
        None if webhooks.unsigned_allowed => Ok(()),
        None => Err(AppError::SignatureRequired),
    }
}

/// Accepts the request only if its bearer token is a valid Vonage
/// signature over this very payload, issued within the skew window.
pub fn verify(
    settings: &SignatureSettings,
    authorization: Option<&str>,
    payload: &Payload<'_>,
    now_seconds: u64,
) -> Result<(), AppError> {
    let token = match bearer::parse(authorization) {
        Bearer::Absent => return Err(AppError::SignatureMissing),
        Bearer::NotBearer => return Err(reject("Authorization must be a Bearer token")),
        Bearer::Token(token) => token,
    };
    let untrusted =
        UntrustedToken::new(token).map_err(|_| reject("the bearer token is not a JWT"))?;
    // jwt-compact refuses any other `alg` (none, RS256, ...) before
    // touching the signature; say so plainly.
    if untrusted.algorithm() != "HS256" {
        return Err(reject(format!(
            "algorithm must be HS256, not \"{}\"",
            untrusted.algorithm()
        )));
    }
    let key = Hs256Key::new(settings.secret.expose().as_bytes());
    let verified = Hs256
        .validator::<VonageClaims>(&key)
        .validate(&untrusted)
        .map_err(|e| match e {
            ValidationError::InvalidSignature | ValidationError::InvalidSignatureLen { .. } => {
                reject("the signature does not match the signature secret")
            }
            ValidationError::MalformedClaims(_) => reject("the token's claims are malformed"),
            _ => reject("the token is invalid"),
        })?;
    let claims = verified.claims();

    let iat = claims
        .issued_at
        .ok_or_else(|| reject("the token has no iat"))?
        .timestamp();
    let skew = settings.max_skew_seconds as i64;
    let age = now_seconds as i64 - iat;
    if age > skew {
        return Err(reject(format!(
            "the token was issued more than {skew} s ago"
        )));
    }
    if age < -skew {
        return Err(reject(format!(
            "the token was issued more than {skew} s in the future"
        )));
    }
    if claims
        .expiration
        .is_some_and(|exp| exp.timestamp() + skew < now_seconds as i64)
    {
        return Err(reject("the token has expired"));
    }
    // With our application id configured, the token must name it: a token
    // without one could have been issued for any application of the account.
    if let Some(ours) = settings.application_id.as_deref() {
        match claims.custom.application_id.as_deref() {
            None => return Err(reject("the token has no application_id")),
            Some(theirs) if theirs != ours => {
                return Err(reject("the token is for another application"));
            }
            Some(_) => {}
        }
    }

    let claimed = claims
        .custom
        .payload_hash
        .as_deref()
        .ok_or_else(|| reject("the token has no payload_hash"))?;
    let claimed = claimed.to_ascii_lowercase();
    let matches = accepted_hashes(payload)
        .iter()
        .any(|actual| bool::from(claimed.as_bytes().ct_eq(actual.as_bytes())));
    if !matches {
        return Err(reject("payload_hash does not match the request"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::secret::Secret;

    #[test]
    fn query_json_keeps_the_order_and_escapes_like_json_stringify() {
        let pairs = vec![
            ("to".to_owned(), "447700900000".to_owned()),
            ("from".to_owned(), "support\"user".to_owned()),
            ("custom_data".to_owned(), r#"{"page":"/"}"#.to_owned()),
        ];
        assert_eq!(
            query_json(&pairs),
            r#"{"to":"447700900000","from":"support\"user","custom_data":"{\"page\":\"/\"}"}"#
        );
        assert_eq!(query_json(&[]), "{}");
    }

    /// Tokens made by jose (tests/fixtures/make-signed-webhooks.mjs), an
    /// implementation independent of jwt-compact.
    #[test]
    fn signed_webhook_fixtures_from_an_independent_implementation() {
        let fixtures: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/fixtures/signed-webhooks.json"))
                .unwrap();
        let settings = SignatureSettings {
            secret: Secret::new(fixtures["secret"].as_str().unwrap()),
            application_id: fixtures["application_id"].as_str().map(str::to_owned),
            max_skew_seconds: 300,
        };
        let now = fixtures["now"].as_u64().unwrap();
        let cases = fixtures["cases"].as_array().unwrap();
        assert!(cases.len() >= 15);
        for case in cases {
            let name = case["name"].as_str().unwrap();
            let header = format!("Bearer {}", case["token"].as_str().unwrap());
            let pairs: Vec<(String, String)> = case["payload"]["query"]
                .as_array()
                .map(|q| {
                    q.iter()
                        .map(|p| {
                            (
                                p[0].as_str().unwrap().to_owned(),
                                p[1].as_str().unwrap().to_owned(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let body = case["payload"]["body"].as_str().map(str::as_bytes);
            let payload = match body {
                Some(body) => Payload::Body(body),
                None => Payload::Query(&pairs),
            };
            let result = verify(&settings, Some(&header), &payload, now);
            match case["expect"].as_str() {
                None => assert_eq!(result, Ok(()), "{name}"),
                Some(reason) => {
                    let err = result.expect_err(name);
                    assert_eq!(err.status(), 401, "{name}");
                    assert!(err.message().contains(reason), "{name}: {}", err.message());
                }
            }
        }
    }

    #[test]
    fn a_missing_or_non_bearer_header_is_refused() {
        let settings = SignatureSettings {
            secret: Secret::new("x".repeat(40)),
            application_id: None,
            max_skew_seconds: 300,
        };
        let err = verify(&settings, None, &Payload::Body(b"{}"), 0).unwrap_err();
        assert_eq!(err, AppError::SignatureMissing);
        assert_eq!(
            err.status(),
            503,
            "Vonage retries a 503, and its retry is signed"
        );
        let err = verify(&settings, Some("Basic abc"), &Payload::Body(b"{}"), 0).unwrap_err();
        assert!(err.message().contains("Bearer"));
    }

    #[test]
    fn body_hash_is_hex_sha256() {
        assert_eq!(
            payload_hash(&Payload::Body(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
