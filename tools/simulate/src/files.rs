//! Vonage's media API, played locally: `GET /v1/files/<recording id>`
//! answers with the voicemail fixture, only to a request carrying an
//! application JWT (RS256) that verifies with the public key of
//! `VONAGE_PRIVATE_KEY` and names `VONAGE_APPLICATION_ID` (Vonage's
//! authentication guide, "JSON Web Tokens"). The worker's recording route
//! fetches from here when its `SIMULATOR_ORIGIN` points at this server.

use std::sync::{Arc, Mutex};

use edge_click_to_call::vonage::private_key::PrivateKey;
use jwt_compact::alg::{Rsa, RsaPublicKey};
use jwt_compact::{AlgorithmExt, UntrustedToken};
use rsa::RsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use serde_json::Value;

/// Two seconds of silence as MPEG-1 Layer III (what `record` makes by default).
pub const VOICEMAIL: &[u8] = include_bytes!("../../../tests/fixtures/voicemail.mp3");

/// What the server saw: one line per request, `Ok` when it was served.
pub type Seen = Arc<Mutex<Vec<Result<String, String>>>>;

pub struct FileServer {
    pub seen: Seen,
}

fn authorized(
    header: Option<&str>,
    key: &RsaPublicKey,
    application_id: &str,
) -> Result<(), String> {
    let token = header
        .and_then(|h| h.strip_prefix("Bearer "))
        .ok_or("no Authorization: Bearer <JWT>")?;
    let untrusted = UntrustedToken::new(token).map_err(|e| format!("not a JWT: {e}"))?;
    let token = Rsa::rs256()
        .validator::<Value>(key)
        .validate(&untrusted)
        .map_err(|e| format!("the JWT does not verify (RS256, VONAGE_PRIVATE_KEY): {e}"))?;
    let claims = &token.claims().custom;
    if claims["application_id"] != application_id {
        return Err("the JWT's application_id is not VONAGE_APPLICATION_ID".into());
    }
    let now = crate::vonage::now_ms() / 1000;
    match token.claims().expiration.map(|e| e.timestamp() as u64) {
        Some(exp) if exp > now && exp <= now + 24 * 3600 => Ok(()),
        _ => Err("the JWT has no exp, or an exp in the past".into()),
    }
}

impl FileServer {
    /// Serves on `origin`'s host and port (`http://127.0.0.1:8788`) until
    /// the simulator exits.
    pub fn start(
        origin: &str,
        private_key_pem: &str,
        application_id: &str,
    ) -> Result<Self, String> {
        let address = origin
            .strip_prefix("http://")
            .ok_or("SIMULATOR_ORIGIN must be an http:// origin on this machine")?
            .trim_end_matches('/');
        let pkcs8 = PrivateKey::from_pem(private_key_pem)
            .map_err(|e| format!("VONAGE_PRIVATE_KEY: {e}"))?;
        let key = RsaPrivateKey::from_pkcs8_der(pkcs8.pkcs8_der())
            .map_err(|e| format!("VONAGE_PRIVATE_KEY: {e}"))?
            .to_public_key();
        let server = tiny_http::Server::http(address)
            .map_err(|e| format!("cannot serve recordings on {address} (SIMULATOR_ORIGIN): {e}"))?;
        let seen: Seen = Arc::default();
        let log = Arc::clone(&seen);
        let application_id = application_id.to_owned();
        std::thread::spawn(move || {
            for request in server.incoming_requests() {
                let path = request.url().to_owned();
                let auth = request
                    .headers()
                    .iter()
                    .find(|h| h.field.equiv("Authorization"))
                    .map(|h| h.value.as_str().to_owned());
                let outcome = if !path.starts_with("/v1/files/") {
                    Err(format!("{path}: not a media path"))
                } else {
                    authorized(auth.as_deref(), &key, &application_id).map(|()| path.clone())
                };
                let response = match &outcome {
                    Ok(_) => tiny_http::Response::from_data(VOICEMAIL).with_header(
                        "Content-Type: audio/mpeg"
                            .parse::<tiny_http::Header>()
                            .expect("a valid header"),
                    ),
                    Err(_) => tiny_http::Response::from_data(&br#"{"title":"Unauthorized"}"#[..])
                        .with_status_code(401),
                };
                if let Ok(mut seen) = log.lock() {
                    seen.push(outcome);
                }
                let _ = request.respond(response);
            }
        });
        Ok(Self { seen })
    }
}
