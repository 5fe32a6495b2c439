//! `/auth`: the visitor's Client SDK token and the call ticket that comes
//! with it.

use serde::{Deserialize, Serialize};

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
    pub default_user: UserName,
    /// Who `/auth/:user` may name; the default user alone unless `CLIENT_USERS` says more.
    pub allowed_users: Vec<UserName>,
    pub ttl_seconds: u64,
    /// Origins besides our own whose pages may fetch a token.
    pub allowed_origins: Vec<Origin>,
    /// Signs the call ticket that comes with each token.
    pub ticket_key: TicketKey,
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
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
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
