//! Vonage's RS256 JWTs: the Client SDK token's claims (and its ACL), the
//! application token the worker calls Vonage's APIs with, and the interface
//! of whatever signs them.
//!
//! Signing is behind [`Signer`] because the fast signer lives in the runtime
//! (WebCrypto), while tests sign natively; everything else about a token is
//! decided here.

use base64ct::{Base64UrlUnpadded, Encoding};
use serde::Serialize;

use crate::error::AppError;

/// The ACL paths a visitor's token grants: only what a web in-app voice
/// call needs. From Vonage's "How to generate JWTs" guide (Conversation
/// guides, "ACLs: Paths"), each path and what it allows:
///
/// - `/*/sessions/**`: log in as a user (`createSession`, `refreshSession`);
/// - `/*/knocking/**`: start phone calls (`serverCall`);
/// - `/*/conversations/**`: the call's conversation, its members and events,
///   and the WebRTC offer/answer of its media (the JS SDK's
///   `/conversations/{id}/rtc/{leg}/offer|answer`);
/// - `/*/legs/**`: create and manage legs in a conversation (`hangup`);
/// - `/*/rtc/**`: the session's RTC channel: the Client SDK's websocket
///   (`wss://ws-*.vonage.com/v2/rtc/`, observed with @vonage/client-sdk
///   2.x), which Vonage's minimal in-app voice tutorial ACL grants.
///
/// Each token is a user made for one call (`vonage::users`), so these paths
/// reach that call's conversation and no one else's.
///
/// Left out, with the guide's reason: `/*/users/**` (create and manage
/// users: a visitor manages none), `/*/image/**` (send and receive images),
/// `/*/media/**` (the previous SDK's audio path; the current tutorials' ACL
/// no longer lists it), `/*/applications/**` (upload push certificates),
/// `/*/push/**` and `/*/devices/**` (push notifications: "only required for
/// Android and iOS", Vonage's in-app voice tutorials). Vonage documents no
/// finer `methods` or `filters` for these paths, so none are set.
pub const ACL_PATHS: [&str; 5] = [
    "/*/sessions/**",
    "/*/knocking/**",
    "/*/conversations/**",
    "/*/legs/**",
    "/*/rtc/**",
];

/// `{"paths": {"/*/users/**": {}, ...}}`, in the order above.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acl;

impl Serialize for Acl {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        struct Paths;
        /// `{}`: a path's (absent) restrictions.
        struct Unrestricted;
        impl Serialize for Unrestricted {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_map(Some(0))?.end()
            }
        }
        impl Serialize for Paths {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(Some(ACL_PATHS.len()))?;
                for path in ACL_PATHS {
                    map.serialize_entry(path, &Unrestricted)?;
                }
                map.end()
            }
        }
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("paths", &Paths)?;
        map.end()
    }
}

/// Exactly the claims Vonage's Client SDK documentation lists.
#[derive(Debug, Clone, Serialize)]
pub struct ClientClaims<'a> {
    pub application_id: &'a str,
    pub sub: &'a str,
    pub iat: u64,
    pub exp: u64,
    pub jti: String,
    pub acl: Acl,
}

/// Produces an RS256 signature (RSASSA-PKCS1-v1_5 with SHA-256) over a JWT's
/// signing input.
#[allow(async_fn_in_trait)] // used with concrete types only; no Send bound needed on wasm
pub trait Signer {
    async fn sign_rs256(&self, signing_input: &[u8]) -> Result<Vec<u8>, AppError>;
}

/// The JOSE header is fixed: RS256, JWT.
const HEADER_B64: &str = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9";

/// `base64url(header) . base64url(claims)`: the bytes that get signed.
pub fn signing_input(claims: &impl Serialize) -> String {
    let claims_json = serde_json::to_vec(claims)
        .unwrap_or_else(|_| unreachable!("claims are plain data and always serialise"));
    let mut input = String::with_capacity(HEADER_B64.len() + 1 + claims_json.len() * 4 / 3 + 4);
    input.push_str(HEADER_B64);
    input.push('.');
    input.push_str(&Base64UrlUnpadded::encode_string(&claims_json));
    input
}

/// Signs `claims` into a compact JWT.
pub async fn sign(claims: &impl Serialize, signer: &impl Signer) -> Result<String, AppError> {
    let mut token = signing_input(claims);
    let signature = signer.sign_rs256(token.as_bytes()).await?;
    token.push('.');
    token.push_str(&Base64UrlUnpadded::encode_string(&signature));
    Ok(token)
}

/// Claims of an application token: the worker itself calling Vonage's API
/// (Vonage's authentication guide: `application_id`, `iat`, `jti`, `exp`).
#[derive(Debug, Serialize)]
struct ApplicationClaims<'a> {
    application_id: &'a str,
    iat: u64,
    exp: u64,
    jti: String,
}

/// How long an application token is valid: long enough to be reused for a
/// few minutes of calls to Vonage's APIs, short enough to be worth little.
pub const APPLICATION_TOKEN_SECONDS: u64 = 300;

/// An application token, for calls to Vonage's APIs (the Users API,
/// recordings).
pub async fn mint_application_token(
    application_id: &str,
    now_seconds: u64,
    jti_bytes: [u8; 16],
    signer: &impl Signer,
) -> Result<String, AppError> {
    let claims = ApplicationClaims {
        application_id,
        iat: now_seconds,
        exp: now_seconds + APPLICATION_TOKEN_SECONDS,
        jti: hex::encode(jti_bytes),
    };
    sign(&claims, signer).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_acl_grants_web_in_app_voice_and_nothing_more() {
        let json = serde_json::to_string(&Acl).unwrap();
        assert_eq!(
            json,
            r#"{"paths":{"/*/sessions/**":{},"/*/knocking/**":{},"/*/conversations/**":{},"/*/legs/**":{},"/*/rtc/**":{}}}"#
        );
        for never in ["applications", "push", "devices", "users"] {
            assert!(!json.contains(never), "{never}");
        }
    }

    #[test]
    fn the_header_says_rs256_jwt() {
        let header = Base64UrlUnpadded::decode_vec(HEADER_B64).unwrap();
        assert_eq!(header, br#"{"alg":"RS256","typ":"JWT"}"#);
    }
}
