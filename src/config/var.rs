//! The name of every variable the worker reads, and each default, once.
//!
//! `wrangler.toml` sets none of these: an unset variable takes the default
//! written here, so the default in the docs, in `/healthz` and in the code
//! cannot drift apart. The simulator reads the same names.

pub const APPLICATION_ID: &str = "VONAGE_APPLICATION_ID";
pub const PRIVATE_KEY: &str = "VONAGE_PRIVATE_KEY";
pub const SUPPORT_NUMBER: &str = "SUPPORT_PHONE_NUMBER";
pub const DESTINATION_NUMBER: &str = "DESTINATION_PHONE_NUMBER";
pub const DESTINATION_NUMBERS: &str = "DESTINATION_PHONE_NUMBERS";
pub const RING_SECONDS: &str = "RING_SECONDS";
pub const VOICEMAIL_MAX_SECONDS: &str = "VOICEMAIL_MAX_SECONDS";
pub const OPENING_HOURS: &str = "OPENING_HOURS";
pub const TIMEZONE: &str = "TIMEZONE";
pub const CLOSED_DATES: &str = "CLOSED_DATES";
pub const SIMULATOR_ORIGIN: &str = "SIMULATOR_ORIGIN";
pub const CLIENT_USER: &str = "CLIENT_USER";
pub const CLIENT_USERS: &str = "CLIENT_USERS";
pub const GREETING: &str = "GREETING";
/// `GREETING_DE`, `GREETING_ES`...: the greeting in one language.
pub const GREETING_PREFIX: &str = "GREETING_";
pub const COMPANY_NAME: &str = "COMPANY_NAME";
pub const TOKEN_TTL: &str = "TOKEN_TTL_SECONDS";
pub const SIGNATURE_SECRET: &str = "VONAGE_SIGNATURE_SECRET";
pub const SIGNATURE_SKEW: &str = "SIGNATURE_MAX_SKEW_SECONDS";
pub const OPS_TOKEN: &str = "OPS_TOKEN";
pub const ALLOWED_ORIGINS: &str = "ALLOWED_ORIGINS";
pub const EVENT_TTL_DAYS: &str = "EVENT_TTL_DAYS";
pub const ALLOW_UNSIGNED_WEBHOOKS: &str = "ALLOW_UNSIGNED_WEBHOOKS";
pub const MAX_CONCURRENT_CALLS: &str = "MAX_CONCURRENT_CALLS";
pub const MAX_CALLS_PER_CLIENT_HOUR: &str = "MAX_CALLS_PER_CLIENT_HOUR";
pub const MAX_CALL_MINUTES: &str = "MAX_CALL_MINUTES";

/// The defaults of the optional variables.
pub mod default {
    pub const CLIENT_USER: &str = "supportuser";
    pub const COMPANY_NAME: &str = "Acme";
    /// Vonage's Client SDK sessions last 15 minutes; a token need not outlive one.
    pub const TOKEN_TTL_SECONDS: u64 = 15 * 60;
    pub const SIGNATURE_SKEW_SECONDS: u64 = 300;
    pub const EVENT_TTL_DAYS: u32 = 30;
    pub const MAX_CONCURRENT_CALLS: u32 = 5;
    pub const MAX_CALLS_PER_CLIENT_HOUR: u32 = 6;
    pub const MAX_CALL_MINUTES: u32 = 60;
    pub const RING_SECONDS: u32 = 20;
    pub const VOICEMAIL_MAX_SECONDS: u32 = 120;
    pub const TIMEZONE: &str = "UTC";
}

/// Vonage's documented bounds for a Client SDK token's lifetime: at least
/// 30 s, at most 24 h ahead (Client SDK authentication guide).
pub const TOKEN_TTL_SECONDS: std::ops::RangeInclusive<u64> = 30..=86_400;
/// A shorter secret could be guessed.
pub const OPS_TOKEN_MIN_CHARS: usize = 16;
pub const SIGNATURE_SECRET_MIN_CHARS: usize = 32;
pub const COMPANY_NAME_MAX_CHARS: usize = 100;
