//! `/auth`: the visitor's Client SDK token and the call ticket that comes
//! with it, for a Vonage user of the visitor's own.
//!
//! When the visitor presses Call, `/auth` asks the call guard whether this
//! client may place a call now, creates a Vonage user for that one call
//! (`vonage::users`: a random name, deleted by Vonage once empty), and mints
//! the token for it: a visitor's token can reach no one else's conversation,
//! because no one else's call is that user's. The ticket names the same
//! user, and the answer webhook connects only a call whose `from_user` is it.
//! `CLIENT_USER` (every visitor one shared user) and `/auth/:user`
//! (`CLIENT_USERS`) remain for development against an application whose
//! users were made by hand; `/healthz` reports a shared user as degraded.

use serde::{Deserialize, Serialize};

use crate::call::guard::CallLimits;
use crate::call::ticket::TicketKey;
use crate::error::AppError;
use crate::shared::origin::Origin;
use crate::vonage::jwt::{Acl, ClientClaims, Signer, sign};
use crate::vonage::private_key::PrivateKey;
use crate::vonage::user::UserName;

/// `/auth`: what minting a token needs.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub application_id: String,
    pub private_key: PrivateKey,
    /// Whose token `/auth` mints.
    pub users: Users,
    /// Who `/auth/:user` may name (`CLIENT_USERS`); none: the path refuses all.
    pub named_users: Vec<UserName>,
    pub ttl_seconds: u64,
    /// What the call guard holds a client to before it gets a token.
    pub limits: CallLimits,
    /// Origins besides our own whose pages may fetch a token.
    pub allowed_origins: Vec<Origin>,
    /// Signs the call ticket that comes with each token.
    pub ticket_key: TicketKey,
    /// `PRE_CALL_FORM`: a name and a reason are taken into the ticket.
    pub pre_call_form: bool,
}

/// Whose tokens `/auth` mints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Users {
    /// A user made for each call through the Users API at this origin
    /// (`VONAGE_API_URL`): production.
    PerCall { api: Origin },
    /// Every visitor is this one user (`CLIENT_USER`): development only.
    Shared(UserName),
}

/// The user a request's token will be for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who<'a> {
    /// One to create now, for this call.
    New,
    /// One that exists in the application already.
    Existing(&'a UserName),
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

/// What `/auth` answers: the token, and the ticket for one call; to a
/// renewal, the token alone.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TokenResponse {
    pub token: String,
    pub user: String,
    /// Seconds since the epoch, as in the token's `exp`.
    pub expires_at: u64,
    /// Passed as the `serverCall` context, `{"ticket": …}` (see ticket.rs).
    /// None in the answer to a renewal: a renewal places no call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    /// For a user made for this call: the renewal ticket that gets the page
    /// a new token for the same user while the call lasts (`/auth` with
    /// `Authorization: Bearer <renew>`). A development user has none: its
    /// tokens come from `/auth` again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renew: Option<String>,
}

impl MintedToken {
    pub fn with_ticket(self, ticket: Option<String>, renew: Option<String>) -> TokenResponse {
        TokenResponse {
            token: self.token,
            user: self.user,
            expires_at: self.expires_at,
            ticket,
            renew,
        }
    }
}

/// The user a token is for: a new one per call (or the shared development
/// user), or one named in the path, which must be on `CLIENT_USERS`.
pub fn select_user<'a>(
    settings: &'a AuthSettings,
    requested: Option<&str>,
) -> Result<Who<'a>, AppError> {
    match (requested, &settings.users) {
        (None, Users::PerCall { .. }) => Ok(Who::New),
        (None, Users::Shared(user)) => Ok(Who::Existing(user)),
        (Some(name), _) => settings
            .named_users
            .iter()
            .find(|u| u.as_str() == name)
            .map(Who::Existing)
            .ok_or(AppError::UserNotAllowed),
    }
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
    use crate::config::{self, Config};
    use crate::testing::{NativeSigner, block_on};
    use crate::vonage::private_key::tests::{test_key, test_key_pem};
    use base64ct::{Base64UrlUnpadded, Encoding};
    use jwt_compact::alg::{Rsa, RsaPublicKey};
    use jwt_compact::{AlgorithmExt, UntrustedToken};

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
    fn a_minted_token_verifies_and_carries_exactly_the_documented_claims() {
        let settings = settings(&[]);
        let user = UserName::parse("supportuser").unwrap();
        let response = block_on(mint_client_token(
            &settings,
            &user,
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
            serde_json::from_slice(&Base64UrlUnpadded::decode_vec(payload).unwrap()).unwrap();
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
        assert_eq!(claims["acl"]["paths"].as_object().unwrap().len(), 5);
        assert_eq!(response.jti, "07070707070707070707070707070707");
    }

    #[test]
    fn the_ttl_comes_from_configuration() {
        let settings = settings(&[(config::var::TOKEN_TTL, "60")]);
        let response = block_on(mint_client_token(
            &settings,
            &UserName::parse("anyone").unwrap(),
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
            select_user(&settings, Some("sales")),
            Ok(Who::Existing(&UserName::parse("sales").unwrap()))
        );
        assert_eq!(
            select_user(&settings, Some("mallory")),
            Err(AppError::UserNotAllowed)
        );
        let none_named = self::settings(&[]);
        assert_eq!(
            select_user(&none_named, Some("supportuser")),
            Err(AppError::UserNotAllowed),
            "without CLIENT_USERS the path names no one"
        );
    }

    #[test]
    fn each_call_gets_a_user_of_its_own_unless_one_is_shared_for_development() {
        let per_call = settings(&[]);
        assert_eq!(select_user(&per_call, None), Ok(Who::New));
        assert_eq!(
            per_call.users,
            Users::PerCall {
                api: crate::shared::origin::Origin::parse("https://api.nexmo.com").unwrap()
            }
        );
        let local = settings(&[(config::var::VONAGE_API_URL, "http://127.0.0.1:8788")]);
        assert!(
            matches!(&local.users, Users::PerCall { api } if api.as_str() == "http://127.0.0.1:8788")
        );
        let shared = settings(&[(config::var::CLIENT_USER, "supportuser")]);
        assert_eq!(
            select_user(&shared, None),
            Ok(Who::Existing(&UserName::parse("supportuser").unwrap()))
        );
    }

    #[test]
    fn token_settings_need_the_application_and_key() {
        let err = Config::from_lookup(|_| None).auth.unwrap_err();
        assert_eq!(err.variable, config::var::APPLICATION_ID);
    }
}
