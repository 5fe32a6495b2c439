//! A benchmark-only worker (never deployed), built by `bench/run.mjs`:
//!
//! - `GET /bench/sign?strategy=rust|webcrypto&n=N` mints N Client SDK
//!   tokens in one request, with jwt-compact's pure-Rust RS256 or with the
//!   worker's own WebCrypto signer, so the cost per token can be timed
//!   inside workerd (the slope between n=1 and n=N);
//! - `GET /bench/floor` answers an empty response with nothing parsed: the
//!   fixed cost of a workers-rs request, for comparison with the routes.
#![cfg(target_arch = "wasm32")]

use std::cell::OnceCell;

use edge_click_to_call::config::Config;
use edge_click_to_call::edge::signer::WebCryptoSigner;
use edge_click_to_call::error::AppError;
use edge_click_to_call::visitor::auth::{self, AuthSettings};
use edge_click_to_call::vonage::jwt::Signer;
use edge_click_to_call::vonage::private_key::PrivateKey;
use edge_click_to_call::vonage::user::UserName;
use jwt_compact::alg::{Rsa, RsaPrivateKey};
use jwt_compact::{Algorithm, AlgorithmSignature};
use rsa::pkcs8::DecodePrivateKey;
use web_sys::Response;
use worker::{Context, Env, Request, event};

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

fn text(status: u16, body: &str) -> Response {
    let init = web_sys::ResponseInit::new();
    init.set_status(status);
    Response::new_with_opt_str_and_init(Some(body), &init).expect("a plain Response")
}

async fn mint(settings: &AuthSettings, strategy: &str, n: u32) -> Result<String, AppError> {
    let now = worker::Date::now().as_millis() / 1000;
    let mut last = String::new();
    let user = &UserName::parse("benchuser").expect("a valid user name");
    for i in 0..n {
        let jti = [i as u8; 16];
        let minted = match strategy {
            "rust" => {
                let signer = RustSigner {
                    key: &settings.private_key,
                };
                auth::mint_client_token(settings, user, now, jti, &signer).await?
            }
            _ => {
                let signer = WebCryptoSigner {
                    key: &settings.private_key,
                };
                auth::mint_client_token(settings, user, now, jti, &signer).await?
            }
        };
        last = minted.token;
    }
    Ok(last)
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let url = req.url()?;
    if url.path() == "/bench/floor" {
        return Ok(Response::new().expect("an empty Response"));
    }
    let mut strategy = String::from("webcrypto");
    let mut n = 1u32;
    for (k, v) in url.query_pairs() {
        match &*k {
            "strategy" => strategy = v.into_owned(),
            "n" => n = v.parse().unwrap_or(1).clamp(1, 1000),
            _ => {}
        }
    }
    let config = Config::from_lookup(|name| env.var(name).ok().map(|v| v.to_string()));
    let Ok(settings) = &config.auth else {
        return Ok(text(
            503,
            "the benchmark worker needs VONAGE_APPLICATION_ID and VONAGE_PRIVATE_KEY",
        ));
    };
    Ok(match mint(settings, &strategy, n).await {
        Ok(token) => text(
            200,
            &serde_json::json!({ "strategy": strategy, "n": n, "token": token }).to_string(),
        ),
        Err(e) => text(500, &e.message()),
    })
}
