//! Every variable the worker reads: its name, whether it is a secret, its
//! default and, for numbers, its range. Written once, here.
//!
//! `wrangler.toml` sets none of these: an unset variable takes the default
//! written here, so the default in the docs, in `/healthz` and in the code
//! cannot drift apart (a test holds `.dev.vars.example` and the README to
//! [`ALL`]). The simulator and the deploy read the same names.

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
pub const MAX_LIVE_CALLS_PER_CLIENT: &str = "MAX_LIVE_CALLS_PER_CLIENT";
pub const RING_SKIP_MACHINES: &str = "RING_SKIP_MACHINES";
pub const VONAGE_API_URL: &str = "VONAGE_API_URL";
pub const MAX_QUEUE: &str = "MAX_QUEUE";
pub const MAX_WAIT_SECONDS: &str = "MAX_WAIT_SECONDS";
pub const HOLD_MUSIC_URL: &str = "HOLD_MUSIC_URL";
pub const PRE_CALL_FORM: &str = "PRE_CALL_FORM";

/// Every variable, in the order `/healthz` and the docs list them.
pub const ALL: &[Var] = &[
    Var::plain(APPLICATION_ID),
    Var::secret(PRIVATE_KEY),
    Var::plain(SUPPORT_NUMBER),
    Var::plain(DESTINATION_NUMBERS),
    Var::plain(DESTINATION_NUMBER),
    Var::plain(COMPANY_NAME),
    Var::plain(GREETING),
    Var::plain(RING_SECONDS),
    Var::plain(VOICEMAIL_MAX_SECONDS),
    Var::plain(OPENING_HOURS),
    Var::plain(TIMEZONE),
    Var::plain(CLOSED_DATES),
    Var::plain(ALLOWED_ORIGINS),
    Var::plain(PRE_CALL_FORM),
    Var::plain(CLIENT_USER),
    Var::plain(CLIENT_USERS),
    Var::plain(TOKEN_TTL),
    Var::secret(SIGNATURE_SECRET),
    Var::plain(SIGNATURE_SKEW),
    Var::plain(ALLOW_UNSIGNED_WEBHOOKS),
    Var::plain(MAX_CONCURRENT_CALLS),
    Var::plain(MAX_CALLS_PER_CLIENT_HOUR),
    Var::plain(MAX_CALL_MINUTES),
    Var::plain(MAX_LIVE_CALLS_PER_CLIENT),
    Var::plain(RING_SKIP_MACHINES),
    Var::plain(MAX_QUEUE),
    Var::plain(MAX_WAIT_SECONDS),
    Var::plain(HOLD_MUSIC_URL),
    Var::plain(VONAGE_API_URL),
    Var::secret(OPS_TOKEN),
    Var::plain(EVENT_TTL_DAYS),
];

/// One variable: its name, and whether it is a secret (`wrangler secret put`,
/// never echoed) or a plain variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Var {
    pub name: &'static str,
    pub secret: bool,
}

impl Var {
    const fn plain(name: &'static str) -> Self {
        Self {
            name,
            secret: false,
        }
    }

    const fn secret(name: &'static str) -> Self {
        Self { name, secret: true }
    }
}

/// A whole-number variable: its default, its range, and how to say what it
/// counts ("expected seconds between 5 and 120").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Number {
    pub name: &'static str,
    pub default: u32,
    pub min: u32,
    pub max: u32,
    pub unit: &'static str,
    /// Why the range is what it is, when that is not obvious.
    pub why: &'static str,
}

/// The numbers, with their defaults and ranges.
pub mod number {
    use super::Number;

    /// Vonage's Client SDK sessions last 15 minutes, so a token need not
    /// outlive one; Vonage accepts tokens valid for 30 s to 24 h (Client SDK
    /// authentication guide).
    pub const TOKEN_TTL: Number = Number {
        name: super::TOKEN_TTL,
        default: 15 * 60,
        min: 30,
        max: 86_400,
        unit: "seconds",
        why: " (Vonage accepts tokens valid for 30 s to 24 h)",
    };
    pub const SIGNATURE_SKEW: Number = Number {
        name: super::SIGNATURE_SKEW,
        default: 300,
        min: 1,
        max: 3600,
        unit: "seconds",
        why: "",
    };
    pub const EVENT_TTL_DAYS: Number = Number {
        name: super::EVENT_TTL_DAYS,
        default: 30,
        min: 1,
        max: 3650,
        unit: "a whole number of days",
        why: "",
    };
    pub const MAX_CONCURRENT_CALLS: Number = Number {
        name: super::MAX_CONCURRENT_CALLS,
        default: 5,
        min: 1,
        max: 10_000,
        unit: "a whole number of calls",
        why: "",
    };
    pub const MAX_CALLS_PER_CLIENT_HOUR: Number = Number {
        name: super::MAX_CALLS_PER_CLIENT_HOUR,
        default: 6,
        min: 1,
        max: 10_000,
        unit: "a whole number of calls",
        why: "",
    };
    pub const MAX_CALL_MINUTES: Number = Number {
        name: super::MAX_CALL_MINUTES,
        default: 60,
        min: 1,
        max: 1440,
        unit: "a whole number of minutes",
        why: "",
    };
    /// One call at a time per visitor: a second tab or a script cannot tie
    /// up more lines than a person can talk on.
    pub const MAX_LIVE_CALLS_PER_CLIENT: Number = Number {
        name: super::MAX_LIVE_CALLS_PER_CLIENT,
        default: 1,
        min: 1,
        max: 100,
        unit: "a whole number of calls",
        why: "",
    };
    /// Callers waiting for a line; 0 turns the waiting line off (a busy
    /// line goes straight to voicemail).
    pub const MAX_QUEUE: Number = Number {
        name: super::MAX_QUEUE,
        default: 10,
        min: 0,
        max: 1000,
        unit: "a whole number of callers",
        why: "",
    };
    pub const MAX_WAIT_SECONDS: Number = Number {
        name: super::MAX_WAIT_SECONDS,
        default: 300,
        min: 30,
        max: 3600,
        unit: "seconds",
        why: "",
    };
    pub const RING_SECONDS: Number = Number {
        name: super::RING_SECONDS,
        default: 20,
        min: 5,
        max: 120,
        unit: "seconds",
        why: "",
    };
    /// NCCO `record.timeOut` takes 3 to 7200 seconds; a voicemail longer
    /// than ten minutes is rarely a message.
    pub const VOICEMAIL_MAX_SECONDS: Number = Number {
        name: super::VOICEMAIL_MAX_SECONDS,
        default: 120,
        min: 10,
        max: 600,
        unit: "seconds",
        why: "",
    };
}

/// The defaults of the other optional variables.
pub mod default {
    pub const COMPANY_NAME: &str = "Acme";
    pub const TIMEZONE: &str = "UTC";
    /// Where Vonage's REST APIs are (the Users API, the media API).
    pub const VONAGE_API_URL: &str = "https://api.nexmo.com";
    /// A machine answering a support phone counts as rang out.
    pub const RING_SKIP_MACHINES: bool = true;
}

/// A shorter secret could be guessed.
pub const OPS_TOKEN_MIN_CHARS: usize = 16;
/// Vonage's own minimum (`vonage::signature`); shorter than advised, the log warns.
pub const SIGNATURE_SECRET_MIN_CHARS: usize = crate::vonage::signature::SECRET_MIN_CHARS;
pub const COMPANY_NAME_MAX_CHARS: usize = 100;

#[cfg(test)]
mod tests {
    use super::*;

    /// The names a document mentions, as `NAME` in backticks or `NAME=`.
    fn named_in(text: &str, name: &str) -> bool {
        text.contains(&format!("`{name}`")) || text.contains(&format!("{name}="))
    }

    #[test]
    fn the_example_vars_file_and_the_readme_name_every_variable() {
        let example = include_str!("../../.dev.vars.example");
        let readme = include_str!("../../README.md");
        for var in ALL {
            assert!(
                named_in(example, var.name),
                ".dev.vars.example: {}",
                var.name
            );
            assert!(named_in(readme, var.name), "README.md: {}", var.name);
        }
        assert!(readme.contains("GREETING_<LANG>"));
    }

    #[test]
    fn every_number_has_its_default_in_range() {
        use number::*;
        for n in [
            TOKEN_TTL,
            SIGNATURE_SKEW,
            EVENT_TTL_DAYS,
            MAX_CONCURRENT_CALLS,
            MAX_CALLS_PER_CLIENT_HOUR,
            MAX_CALL_MINUTES,
            MAX_LIVE_CALLS_PER_CLIENT,
            RING_SECONDS,
            VOICEMAIL_MAX_SECONDS,
            MAX_QUEUE,
            MAX_WAIT_SECONDS,
        ] {
            assert!((n.min..=n.max).contains(&n.default), "{}", n.name);
            assert!(ALL.iter().any(|v| v.name == n.name), "{}", n.name);
        }
    }
}
