//! Vonage's REST APIs, played locally on `VONAGE_API_URL` (an http origin
//! on this machine), each only for a request carrying an application JWT
//! (RS256) that verifies with the public key of `VONAGE_PRIVATE_KEY` and
//! names `VONAGE_APPLICATION_ID` (Vonage's authentication guide, "JSON Web
//! Tokens"):
//!
//! - the Users API, `POST /v1/users` (Application API v2 reference, "Create
//!   User"): `201` with the user (`id` `USR-…`, the `name` asked for, its
//!   `properties.ttl`), as `/auth` needs one user per call;
//! - the media API, `GET /v1/files/<recording id>`: the voicemail fixture;
//! - the Voice API's transfer, `PUT /v1/calls/<uuid>` with `{"action":
//!   "transfer", "destination": {"type": "ncco", "ncco": [...]}}` (Voice
//!   API reference, "Modify an in progress call"): `204 No Content`, the
//!   leg and its new NCCO kept for the waiting line's scenario.

use std::sync::{Arc, Mutex};

use edge_click_to_call::vonage::private_key::PrivateKey;
use jwt_compact::alg::{Rsa, RsaPublicKey};
use jwt_compact::{AlgorithmExt, UntrustedToken};
use rsa::RsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use serde_json::Value;

/// Two seconds of silence as MPEG-1 Layer III (what `record` makes by default).
pub const VONAGE_FILE: &[u8] = include_bytes!("../../../tests/fixtures/voicemail.mp3");

/// What the server saw: one line per request, `Ok` when it was served.
pub type Seen = Arc<Mutex<Vec<Result<String, String>>>>;

/// A user the Users API created: its name and `properties.ttl`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MadeUser {
    pub name: String,
    pub ttl: Option<u64>,
}

/// A leg the Voice API was asked to transfer, and the NCCO it got.
#[derive(Debug, Clone)]
pub struct Transferred {
    pub leg: String,
    pub ncco: Value,
}

pub struct VonageApi {
    pub seen: Seen,
    pub users: Arc<Mutex<Vec<MadeUser>>>,
    pub transfers: Arc<Mutex<Vec<Transferred>>>,
}

/// A transfer from a Voice API request body, or why not.
fn transfer_of(leg: &str, body: &str) -> Result<Transferred, String> {
    let body: Value = serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
    if body["action"] != "transfer" || body["destination"]["type"] != "ncco" {
        return Err(
            "expected {\"action\":\"transfer\",\"destination\":{\"type\":\"ncco\",...}}".into(),
        );
    }
    let ncco = body["destination"]["ncco"].clone();
    if !ncco.is_array() {
        return Err("destination.ncco must be an NCCO (an array)".into());
    }
    Ok(Transferred {
        leg: leg.to_owned(),
        ncco,
    })
}

/// Whether an origin is one the simulator can serve: http on this machine.
pub fn local(origin: &str) -> bool {
    origin
        .strip_prefix("http://")
        .is_some_and(|rest| rest.starts_with("127.0.0.1:") || rest.starts_with("localhost:"))
}

/// A user from a Users API request body, or why not.
fn user_of(body: &str) -> Result<MadeUser, String> {
    let body: Value = serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
    let name = body["name"]
        .as_str()
        .filter(|n| !n.is_empty())
        .ok_or("no `name`")?
        .to_owned();
    Ok(MadeUser {
        name,
        ttl: body["properties"]["ttl"].as_u64(),
    })
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

fn header(value: &str) -> tiny_http::Header {
    value.parse().expect("a valid header")
}

impl VonageApi {
    /// Serves on `origin`'s host and port (`http://127.0.0.1:8788`) until
    /// the simulator exits.
    pub fn start(
        origin: &str,
        private_key_pem: &str,
        application_id: &str,
    ) -> Result<Self, String> {
        let address = origin
            .strip_prefix("http://")
            .ok_or("VONAGE_API_URL must be an http:// origin on this machine for the simulator to serve it")?
            .trim_end_matches('/');
        let pkcs8 = PrivateKey::from_pem(private_key_pem)
            .map_err(|e| format!("VONAGE_PRIVATE_KEY: {e}"))?;
        let key = RsaPrivateKey::from_pkcs8_der(pkcs8.pkcs8_der())
            .map_err(|e| format!("VONAGE_PRIVATE_KEY: {e}"))?
            .to_public_key();
        let server = tiny_http::Server::http(address).map_err(|e| {
            format!("cannot serve Vonage's APIs on {address} (VONAGE_API_URL): {e}")
        })?;
        let seen: Seen = Arc::default();
        let users: Arc<Mutex<Vec<MadeUser>>> = Arc::default();
        let transfers: Arc<Mutex<Vec<Transferred>>> = Arc::default();
        let (log, made, moved) = (
            Arc::clone(&seen),
            Arc::clone(&users),
            Arc::clone(&transfers),
        );
        let application_id = application_id.to_owned();
        let origin = origin.trim_end_matches('/').to_owned();
        std::thread::spawn(move || {
            for mut request in server.incoming_requests() {
                let path = request.url().to_owned();
                let method = request.method().as_str().to_owned();
                let auth = request
                    .headers()
                    .iter()
                    .find(|h| h.field.equiv("Authorization"))
                    .map(|h| h.value.as_str().to_owned());
                let mut body = String::new();
                let _ = std::io::Read::read_to_string(request.as_reader(), &mut body);
                let authorized = authorized(auth.as_deref(), &key, &application_id);
                let (outcome, response) = match (method.as_str(), path.as_str()) {
                    ("POST", "/v1/users") => match authorized.and_then(|()| user_of(&body)) {
                        Ok(user) => {
                            let answer = serde_json::json!({
                                "id": format!("USR-{}", crate::vonage::uuid()),
                                "name": user.name,
                                "display_name": "Web caller",
                                "properties": {"custom_data": {}, "ttl": user.ttl},
                                "_links": {"self": {"href": format!("{origin}/v1/users/{}", user.name)}},
                            });
                            if let Ok(mut made) = made.lock() {
                                made.push(user);
                            }
                            (
                                Ok(format!("POST {path}")),
                                tiny_http::Response::from_data(answer.to_string().into_bytes())
                                    .with_status_code(201)
                                    .with_header(header("Content-Type: application/json")),
                            )
                        }
                        Err(why) => (
                            Err(format!("POST {path}: {why}")),
                            tiny_http::Response::from_data(br#"{"title":"Unauthorized"}"#.to_vec())
                                .with_status_code(401),
                        ),
                    },
                    ("PUT", p) if p.starts_with("/v1/calls/") => {
                        let leg = &p["/v1/calls/".len()..];
                        match authorized.and_then(|()| transfer_of(leg, &body)) {
                            Ok(transfer) => {
                                if let Ok(mut moved) = moved.lock() {
                                    moved.push(transfer);
                                }
                                (
                                    Ok(format!("PUT {path}")),
                                    tiny_http::Response::from_data(Vec::new())
                                        .with_status_code(204),
                                )
                            }
                            Err(why) => (
                                Err(format!("PUT {path}: {why}")),
                                tiny_http::Response::from_data(
                                    br#"{"title":"Bad request"}"#.to_vec(),
                                )
                                .with_status_code(400),
                            ),
                        }
                    }
                    ("GET", p) if p.starts_with("/v1/files/") => match authorized {
                        Ok(()) => (
                            Ok(path.clone()),
                            tiny_http::Response::from_data(VONAGE_FILE.to_vec())
                                .with_header(header("Content-Type: audio/mpeg")),
                        ),
                        Err(why) => (
                            Err(why),
                            tiny_http::Response::from_data(br#"{"title":"Unauthorized"}"#.to_vec())
                                .with_status_code(401),
                        ),
                    },
                    _ => (
                        Err(format!("{method} {path}: not an API this simulator plays")),
                        tiny_http::Response::from_data(br#"{"title":"Not found"}"#.to_vec())
                            .with_status_code(404),
                    ),
                };
                if let Ok(mut seen) = log.lock() {
                    seen.push(outcome);
                }
                let _ = request.respond(response);
            }
        });
        Ok(Self {
            seen,
            users,
            transfers,
        })
    }
}
