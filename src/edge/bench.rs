//! Benchmark-only (feature `bench-signers`): signs many tokens in one request
//! with a chosen strategy, so `bench/run.mjs` can time the signing cost per
//! token inside workerd. Never part of the production build.

use std::cell::OnceCell;

use jwt_compact::alg::{Rsa, RsaPrivateKey};
use jwt_compact::{Algorithm, AlgorithmSignature};
use rsa::pkcs8::DecodePrivateKey;
use web_sys::Response;
use worker::{Env, Url};

use crate::error::AppError;
use crate::key::PrivateKey;
use crate::token::{self, Signer};

use super::http;
use super::signer::WebCryptoSigner;
use super::state;

thread_local! {
    static RSA_KEY: OnceCell<RsaPrivateKey> = const { OnceCell::new() };
}

/// RS256 in pure Rust: jwt-compact's `Rsa` algorithm over the `rsa` crate.
struct RustSigner<'a> {
    key: &'a PrivateKey,
}

impl Signer for RustSigner<'_> {
    async fn sign_rs256(&self, signing_input: &[u8]) -> Result<Vec<u8>, AppError> {
        RSA_KEY.with(|cell| {
            let key = match cell.get() {
                Some(key) => key,
                None => {
                    let parsed = RsaPrivateKey::from_pkcs8_der(self.key.pkcs8_der())
                        .map_err(|_| AppError::Signing)?;
                    cell.get_or_init(|| parsed)
                }
            };
            Ok(Rsa::rs256()
                .sign(key, signing_input)
                .as_bytes()
                .into_owned())
        })
    }
}

/// `GET /bench/sign?strategy=rust|webcrypto&n=20`
pub async fn sign(url: &Url, env: &Env) -> Response {
    let config = state::config(env);
    let settings = match config.token_settings() {
        Ok(s) => s,
        Err(e) => return http::error(&AppError::NotConfigured(e)),
    };
    let mut strategy = String::from("webcrypto");
    let mut n = 1u32;
    for (k, v) in url.query_pairs() {
        match &*k {
            "strategy" => strategy = v.into_owned(),
            "n" => n = v.parse().unwrap_or(1).clamp(1, 1000),
            _ => {}
        }
    }
    let now = worker::Date::now().as_millis() / 1000;
    let mut last = None;
    for i in 0..n {
        let jti = [i as u8; 16];
        let minted = match strategy.as_str() {
            "rust" => {
                token::mint_client_token(
                    &settings,
                    settings.default_user,
                    now,
                    jti,
                    &RustSigner {
                        key: settings.private_key,
                    },
                )
                .await
            }
            _ => {
                token::mint_client_token(
                    &settings,
                    settings.default_user,
                    now,
                    jti,
                    &WebCryptoSigner {
                        key: settings.private_key,
                    },
                )
                .await
            }
        };
        match minted {
            Ok(t) => last = Some(t),
            Err(e) => return http::error(&e),
        }
    }
    http::json(
        200,
        &serde_json::json!({ "strategy": strategy, "n": n, "token": last.map(|t| t.token) }),
    )
}

/// `/bench/floor`: an empty answer, nothing parsed: the fixed cost of a
/// workers-rs request, which bench/run.mjs compares with the routes.
pub fn floor() -> Response {
    Response::new().expect("an empty Response")
}
