//! What the simulator signs and generates the way Vonage does.

use edge_click_to_call::vonage::signature::{Payload, payload_hash};
use jwt_compact::alg::{Hs256, Hs256Key};
use jwt_compact::{AlgorithmExt, Claims, Header};
use serde_json::json;

pub fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

/// Vonage's signed-webhook header: an HS256 JWT over the payload's hash
/// (Vonage's "Signed webhooks" guide).
pub fn signature(secret: &str, application_id: Option<&str>, payload: &Payload<'_>) -> String {
    let custom = json!({
        "jti": uuid(),
        "iss": "Vonage",
        "api_key": "simulator",
        "application_id": application_id,
        "payload_hash": payload_hash(payload),
    });
    let mut claims = Claims::new(custom);
    claims.issued_at = chrono::DateTime::from_timestamp((now_ms() / 1000) as i64, 0);
    let header = Header::empty().with_token_type("JWT");
    let token = Hs256
        .token(&header, &claims, &Hs256Key::new(secret.as_bytes()))
        .expect("HS256 signing of plain claims cannot fail");
    format!("Bearer {token}")
}

/// A secret the worker cannot know, for scenarios that must be refused.
pub const WRONG_SECRET: &str = "not-the-signature-secret-0123456789";
