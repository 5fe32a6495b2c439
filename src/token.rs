//! Vonage Client SDK tokens: the claims, the JWT around them, and the
//! interface of whatever signs them.
//!
//! Signing is behind [`Signer`] because the fast signer lives in the runtime
//! (WebCrypto), while tests sign natively; everything else about the token is
//! decided here.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::config::AuthSettings;
use crate::error::AppError;
use crate::user::UserName;

/// The ACL paths a visitor's token grants: only what a web in-app voice
/// call needs. From Vonage's "How to generate JWTs" guide (Conversation
/// guides, "ACLs: Paths"), each path and what it allows:
///
/// - `/*/sessions/**`: log in as a user (`createSession`, `refreshSession`);
/// - `/*/knocking/**`: start phone calls (`serverCall`);
/// - `/*/conversations/**`: the call's conversation, its members and events,
///   and the WebRTC offer/answer of its media (the JS SDK's
///   `/conversations/{id}/rtc/{leg}/offer|answer`);
/// - `/*/legs/**`: create and manage legs in a conversation (`hangup`).
///
/// Left out, with the guide's reason: `/*/users/**` (create and manage
/// users: a visitor manages none), `/*/image/**` (send and receive images),
/// `/*/media/**` (the previous SDK's audio path; the current tutorials' ACL
/// no longer lists it), `/*/applications/**` (upload push certificates),
/// `/*/push/**` and `/*/devices/**` (push notifications: "only required for
/// Android and iOS", Vonage's in-app voice tutorials). Vonage documents no
/// finer `methods` or `filters` for these paths, so none are set.
pub const ACL_PATHS: [&str; 4] = [
    "/*/sessions/**",
    "/*/knocking/**",
    "/*/conversations/**",
    "/*/legs/**",
];

/// `{"paths": {"/*/users/**": {}, ...}}`, in the order above.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acl;

impl Serialize for Acl {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        struct Paths;
        impl Serialize for Paths {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(Some(ACL_PATHS.len()))?;
                for path in ACL_PATHS {
                    map.serialize_entry(path, &serde_json::Map::new())?;
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

/// A signed token and what the page needs to know of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MintedToken {
    pub token: String,
    pub user: String,
    /// Seconds since the epoch, as in the token's `exp`.
    pub expires_at: u64,
    /// The token's `jti`, which its call ticket names.
    pub jti: String,
}

/// What `/auth` answers: the token, and the ticket for one call.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TokenResponse {
    pub token: String,
    pub user: String,
    /// Seconds since the epoch, as in the token's `exp`.
    pub expires_at: u64,
    /// Passed as the `serverCall` context, `{"ticket": …}` (see ticket.rs).
    pub ticket: String,
}

impl MintedToken {
    pub fn with_ticket(self, ticket: String) -> TokenResponse {
        TokenResponse {
            token: self.token,
            user: self.user,
            expires_at: self.expires_at,
            ticket,
        }
    }
}

/// Produces an RS256 signature (RSASSA-PKCS1-v1_5 with SHA-256) over a JWT's
/// signing input.
#[allow(async_fn_in_trait)] // used with concrete types only; no Send bound needed on wasm
pub trait Signer {
    async fn sign_rs256(&self, signing_input: &[u8]) -> Result<Vec<u8>, AppError>;
}

/// The user a token is for: the configured one, or one named in the path that
/// must be on the allow-list.
pub fn select_user<'a>(
    settings: &'a AuthSettings,
    requested: Option<&str>,
) -> Result<&'a UserName, AppError> {
    match requested {
        None => Ok(&settings.default_user),
        Some(name) => settings
            .allowed_users
            .iter()
            .find(|u| u.as_str() == name)
            .ok_or(AppError::UserNotAllowed),
    }
}

/// The JOSE header is fixed: RS256, JWT.
const HEADER_B64: &str = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9";

/// `base64url(header) . base64url(claims)`: the bytes that get signed.
pub fn signing_input(claims: &impl Serialize) -> String {
    let claims_json =
        serde_json::to_vec(claims).expect("claims are plain data and always serialise");
    let mut input = String::with_capacity(HEADER_B64.len() + 1 + claims_json.len() * 4 / 3 + 4);
    input.push_str(HEADER_B64);
    input.push('.');
    URL_SAFE_NO_PAD.encode_string(&claims_json, &mut input);
    input
}

async fn sign(claims: &impl Serialize, signer: &impl Signer) -> Result<String, AppError> {
    let mut token = signing_input(claims);
    let signature = signer.sign_rs256(token.as_bytes()).await?;
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut token);
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

/// An application token valid for five minutes, for one call to Vonage's
/// API (fetching a recording).
pub async fn mint_application_token(
    application_id: &str,
    now_seconds: u64,
    jti_bytes: [u8; 16],
    signer: &impl Signer,
) -> Result<String, AppError> {
    let claims = ApplicationClaims {
        application_id,
        iat: now_seconds,
        exp: now_seconds + 300,
        jti: hex::encode(jti_bytes),
    };
    sign(&claims, signer).await
}

/// Mints a token for `user`, valid from `now` for the configured lifetime.
/// `jti_bytes` is fresh randomness from the caller (the runtime's CSPRNG).
pub async fn mint_client_token(
    settings: &AuthSettings,
    user: &UserName,
    now_seconds: u64,
    jti_bytes: [u8; 16],
    signer: &impl Signer,
) -> Result<MintedToken, AppError> {
    let claims = ClientClaims {
        application_id: &settings.application_id,
        sub: user.as_str(),
        iat: now_seconds,
        exp: now_seconds + settings.ttl_seconds,
        jti: hex::encode(jti_bytes),
        acl: Acl,
    };
    let token = sign(&claims, signer).await?;
    Ok(MintedToken {
        token,
        user: user.as_str().to_owned(),
        expires_at: claims.exp,
        jti: claims.jti,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{self, AuthSettings, Config};
    use crate::key::tests::{test_key, test_key_pem};
    use crate::testing::block_on;
    use jwt_compact::alg::{Rsa, RsaPublicKey};
    use jwt_compact::{AlgorithmExt, UntrustedToken};
    use rsa::pkcs1v15::SigningKey;
    use rsa::signature::{SignatureEncoding, Signer as _};

    /// Signs natively with the `rsa` crate: an implementation independent of
    /// the runtime's WebCrypto signer.
    struct NativeSigner;

    impl Signer for NativeSigner {
        async fn sign_rs256(&self, input: &[u8]) -> Result<Vec<u8>, AppError> {
            let key = SigningKey::<sha2::Sha256>::new(test_key().clone());
            Ok(key.sign(input).to_vec())
        }
    }

    fn settings(extra: &[(&str, &str)]) -> AuthSettings {
        let pem = test_key_pem();
        let mut vars = vec![
            (
                config::var::APPLICATION_ID.to_owned(),
                "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee".to_owned(),
            ),
            (config::var::PRIVATE_KEY.to_owned(), pem),
        ];
        vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        Config::from_lookup(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
            .auth
            .unwrap()
    }

    #[test]
    fn the_acl_grants_web_in_app_voice_and_nothing_more() {
        let json = serde_json::to_string(&Acl).unwrap();
        assert_eq!(
            json,
            r#"{"paths":{"/*/sessions/**":{},"/*/knocking/**":{},"/*/conversations/**":{},"/*/legs/**":{}}}"#
        );
        for never in ["applications", "push", "devices", "users"] {
            assert!(!json.contains(never), "{never}");
        }
    }

    #[test]
    fn a_minted_token_verifies_and_carries_exactly_the_documented_claims() {
        let settings = settings(&[]);
        let user = select_user(&settings, None).unwrap();
        let response = block_on(mint_client_token(
            &settings,
            user,
            1_700_000_000,
            [7; 16],
            &NativeSigner,
        ))
        .unwrap();
        assert_eq!(response.user, "supportuser");
        assert_eq!(response.expires_at, 1_700_000_900);

        let public = RsaPublicKey::from(test_key());
        let untrusted = UntrustedToken::new(&response.token).unwrap();
        assert_eq!(untrusted.algorithm(), "RS256");
        Rsa::rs256()
            .validator::<serde_json::Value>(&public)
            .validate(&untrusted)
            .expect("signature verifies with the public key");
        // The payload as sent, not as jwt-compact models it (it lifts iat/exp out).
        let payload = response.token.split('.').nth(1).unwrap();
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        let keys: Vec<_> = claims.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys.len(), 6, "{keys:?}");
        assert_eq!(
            claims["application_id"],
            "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
        );
        assert_eq!(claims["sub"], "supportuser");
        assert_eq!(claims["iat"], 1_700_000_000u64);
        assert_eq!(claims["exp"], 1_700_000_900u64);
        assert_eq!(claims["jti"], "07070707070707070707070707070707");
        assert_eq!(claims["acl"]["paths"].as_object().unwrap().len(), 4);
        assert_eq!(response.jti, "07070707070707070707070707070707");
    }

    #[test]
    fn the_header_says_rs256_jwt() {
        let header = URL_SAFE_NO_PAD.decode(HEADER_B64).unwrap();
        assert_eq!(header, br#"{"alg":"RS256","typ":"JWT"}"#);
    }

    #[test]
    fn the_ttl_comes_from_configuration() {
        let settings = settings(&[(config::var::TOKEN_TTL, "60")]);
        let response = block_on(mint_client_token(
            &settings,
            &settings.default_user,
            10,
            [0; 16],
            &NativeSigner,
        ))
        .unwrap();
        assert_eq!(response.expires_at, 70);
    }

    #[test]
    fn only_allow_listed_users_get_tokens_by_name() {
        let settings = settings(&[(config::var::CLIENT_USERS, "supportuser,sales")]);
        assert_eq!(
            select_user(&settings, Some("sales")).unwrap().as_str(),
            "sales"
        );
        assert!(matches!(
            select_user(&settings, Some("mallory")),
            Err(AppError::UserNotAllowed)
        ));
    }

    #[test]
    fn token_settings_need_the_application_and_key() {
        let err = Config::from_lookup(|_| None).auth.unwrap_err();
        assert_eq!(err.variable, config::var::APPLICATION_ID);
    }
}
