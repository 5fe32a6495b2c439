//! The Vonage application: its id and private key (and the call tickets'
//! key derived from it), how its webhooks are signed, and where its
//! recordings may be fetched from.

use crate::call::ticket::TicketKey;
use crate::error::Problem;
use crate::ops::recording::RecordingSettings;
use crate::shared::origin::Origin;
use crate::vonage::private_key::PrivateKey;
use crate::vonage::signature::{SignatureSettings, WebhookSettings};

use super::read::{self, Read, Reader};
use super::var::{self, number};

pub struct Application {
    pub id: Read<String>,
    /// `VONAGE_API_URL`: where its REST APIs are reached.
    pub api: Read<Origin>,
    pub key: Read<PrivateKey>,
    /// Signs and checks call tickets.
    pub ticket_key: Read<TicketKey>,
}

pub fn read(r: &mut Reader) -> Application {
    let id = r.required(var::APPLICATION_ID, application_id);
    let key = r.required(var::PRIVATE_KEY, |pem| {
        PrivateKey::from_pem(pem).map_err(|e| e.to_string())
    });
    let ticket_key = key.as_ref().map(TicketKey::derive).map_err(Clone::clone);
    let api = r.optional(var::VONAGE_API_URL, read::origin).map(|api| {
        api.unwrap_or_else(|| {
            Origin::parse(var::default::VONAGE_API_URL)
                .unwrap_or_else(|| unreachable!("the default is an origin"))
        })
    });
    Application {
        id,
        api,
        key,
        ticket_key,
    }
}

fn application_id(raw: &str) -> Result<String, String> {
    looks_like_uuid(raw)
        .then(|| raw.to_owned())
        .ok_or_else(|| "expected the application's UUID (8-4-4-4-12 hexadecimal digits)".into())
}

/// 8-4-4-4-12 hexadecimal digits, as Vonage prints application ids.
pub fn looks_like_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Whether and how Vonage's signatures are checked.
pub fn webhooks(r: &mut Reader, app: &Application) -> Read<WebhookSettings> {
    let secret = r.secret(var::SIGNATURE_SECRET, var::SIGNATURE_SECRET_MIN_CHARS);
    let skew = r.number(&number::SIGNATURE_SKEW);
    let unsigned_allowed = r.flag(var::ALLOW_UNSIGNED_WEBHOOKS);
    let signature = match secret? {
        None => None,
        Some(secret) => Some(SignatureSettings {
            secret,
            max_skew_seconds: u64::from(skew?),
            // Not required to check signatures, but never ignored when malformed.
            application_id: match &app.id {
                Ok(id) => Some(id.clone()),
                Err(e) if e.problem == Problem::Missing => None,
                Err(e) => return Err(e.clone()),
            },
        }),
    };
    Ok(WebhookSettings {
        signature,
        unsigned_allowed: unsigned_allowed?,
    })
}

pub fn recordings(app: &Application) -> Read<RecordingSettings> {
    Ok(RecordingSettings {
        application_id: app.id.clone()?,
        private_key: app.key.clone()?,
        api: app.api.clone()?,
    })
}
