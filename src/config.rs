//! Configuration: every variable the worker reads, validated once per isolate.
//!
//! Each setting is kept as its own `Result`, so a route takes only what it needs
//! (the answer webhook can run without a private key) and `/healthz` can list
//! every problem at once. Errors name the variable and the expected form; they
//! never echo a value, because several of these are secrets and `/healthz` is
//! public.

use std::fmt;

use crate::key::{self, PrivateKey};

/// Vonage's documented bounds for a Client SDK token's lifetime: at least 30 s,
/// at most 24 h ahead.
pub const TOKEN_TTL_MIN_SECONDS: u64 = 30;
pub const TOKEN_TTL_MAX_SECONDS: u64 = 24 * 60 * 60;
/// Vonage's Client SDK sessions last 15 minutes; a token need not outlive one.
pub const TOKEN_TTL_DEFAULT_SECONDS: u64 = 15 * 60;
pub const DEFAULT_CLIENT_USER: &str = "supportuser";
pub const DEFAULT_GREETING: &str = "Thank you for calling Acme support. Transferring you now.";
pub const DEFAULT_COMPANY_NAME: &str = "Acme";
pub const EVENT_TTL_DEFAULT_DAYS: u32 = 30;
pub const SIGNATURE_SKEW_DEFAULT_SECONDS: u64 = 300;
/// NCCO `talk.text` is limited to 1,500 characters (Vonage NCCO reference).
pub const TALK_TEXT_MAX_CHARS: usize = 1500;
/// A shorter ops token could be guessed; 16 characters of a random string is plenty.
pub const OPS_TOKEN_MIN_CHARS: usize = 16;

/// The names of every variable, once, so docs, errors and `/healthz` agree.
pub mod var {
    pub const APPLICATION_ID: &str = "VONAGE_APPLICATION_ID";
    pub const PRIVATE_KEY: &str = "VONAGE_PRIVATE_KEY";
    pub const SUPPORT_NUMBER: &str = "SUPPORT_PHONE_NUMBER";
    pub const DESTINATION_NUMBER: &str = "DESTINATION_PHONE_NUMBER";
    pub const CLIENT_USER: &str = "CLIENT_USER";
    pub const CLIENT_USERS: &str = "CLIENT_USERS";
    pub const GREETING: &str = "GREETING";
    pub const COMPANY_NAME: &str = "COMPANY_NAME";
    pub const TOKEN_TTL: &str = "TOKEN_TTL_SECONDS";
    pub const SIGNATURE_SECRET: &str = "VONAGE_SIGNATURE_SECRET";
    pub const SIGNATURE_SKEW: &str = "SIGNATURE_MAX_SKEW_SECONDS";
    pub const OPS_TOKEN: &str = "OPS_TOKEN";
    pub const ALLOWED_ORIGINS: &str = "ALLOWED_ORIGINS";
    pub const EVENT_TTL_DAYS: &str = "EVENT_TTL_DAYS";
}

/// What is wrong with one variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: Problem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Missing,
    /// The expected form, in words; never the value itself.
    Invalid(String),
}

impl ConfigError {
    fn missing(variable: &'static str) -> Self {
        Self {
            variable,
            problem: Problem::Missing,
        }
    }
    fn invalid(variable: &'static str, expected: impl Into<String>) -> Self {
        Self {
            variable,
            problem: Problem::Invalid(expected.into()),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.problem {
            Problem::Missing => write!(f, "{} is not set", self.variable),
            Problem::Invalid(expected) => write!(f, "{} is invalid: {}", self.variable, expected),
        }
    }
}

impl std::error::Error for ConfigError {}

/// A string that must not be printed. `Debug` shows its length only.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({} chars)", self.0.chars().count())
    }
}

/// A phone number in the form Vonage wants: E.164 digits, no `+`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// E.164 allows at most 15 digits; the shortest real numbers have 7.
    /// A leading `+` is accepted and dropped; `00` or `0` prefixes are national
    /// dialling habits that Vonage would misroute, so they are refused.
    pub fn parse(raw: &str) -> Result<Self, String> {
        const FORM: &str = "expected an E.164 number as digits only, country code first, \
                            no leading 00 or 0 (e.g. 447700900000)";
        let digits = raw.trim().strip_prefix('+').unwrap_or(raw.trim());
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FORM.into());
        }
        if digits.starts_with('0') {
            return Err(format!("{FORM}; it starts with 0"));
        }
        if !(7..=15).contains(&digits.len()) {
            return Err(format!(
                "{FORM}; it has {} digits, not 7 to 15",
                digits.len()
            ));
        }
        Ok(Self(digits.to_owned()))
    }
}

/// A Client SDK user name, as created in the Vonage application.
///
/// Vonage allows more, but a narrow alphabet keeps the name safe in a URL path,
/// a log line and a JWT without escaping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserName(String);

impl UserName {
    pub const FORM: &'static str = "1 to 64 characters of A-Z, a-z, 0-9, '.', '_', '-'";

    pub fn parse(raw: &str) -> Option<Self> {
        let ok = (1..=64).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        ok.then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `scheme://host[:port]`, as browsers send in the `Origin` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin(String);

impl Origin {
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim().trim_end_matches('/');
        let (scheme, rest) = raw.split_once("://")?;
        let scheme_ok = scheme == "https" || scheme == "http";
        let host_ok = !rest.is_empty()
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b));
        (scheme_ok && host_ok).then(|| Self(raw.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where the answer webhook connects a caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRoute {
    pub greeting: String,
    pub support_number: PhoneNumber,
    pub destination_number: PhoneNumber,
}

/// What `/auth` needs to mint a token.
#[derive(Debug, Clone)]
pub struct TokenSettings<'a> {
    pub application_id: &'a str,
    pub private_key: &'a PrivateKey,
    pub default_user: &'a UserName,
    pub allowed_users: &'a [UserName],
    pub ttl_seconds: u64,
}

/// Every variable, each validated on its own.
#[derive(Debug, Clone)]
pub struct Config {
    pub application_id: Result<String, ConfigError>,
    pub private_key: Result<PrivateKey, ConfigError>,
    pub support_number: Result<PhoneNumber, ConfigError>,
    pub destination_number: Result<PhoneNumber, ConfigError>,
    pub client_user: Result<UserName, ConfigError>,
    pub client_users: Result<Vec<UserName>, ConfigError>,
    pub greeting: Result<String, ConfigError>,
    pub company_name: Result<String, ConfigError>,
    pub token_ttl_seconds: Result<u64, ConfigError>,
    pub signature_secret: Result<Option<Secret>, ConfigError>,
    pub signature_skew_seconds: Result<u64, ConfigError>,
    pub ops_token: Result<Option<Secret>, ConfigError>,
    pub allowed_origins: Result<Vec<Origin>, ConfigError>,
    pub event_ttl_days: Result<u32, ConfigError>,
}

impl Config {
    /// Reads every variable through `lookup` (the runtime's vars and secrets).
    /// An empty or all-blank value counts as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());

        let client_user = match get(var::CLIENT_USER) {
            None => Ok(UserName(DEFAULT_CLIENT_USER.into())),
            Some(raw) => UserName::parse(raw.trim())
                .ok_or_else(|| ConfigError::invalid(var::CLIENT_USER, UserName::FORM)),
        };
        let client_users = match get(var::CLIENT_USERS) {
            // Without a list, the one configured user is the whole allow-list.
            None => client_user.clone().map(|u| vec![u]),
            Some(raw) => parse_list(&raw, UserName::parse).ok_or_else(|| {
                ConfigError::invalid(
                    var::CLIENT_USERS,
                    format!(
                        "expected a comma-separated list of user names, each {}",
                        UserName::FORM
                    ),
                )
            }),
        };

        Self {
            application_id: required(&get, var::APPLICATION_ID).and_then(|v| {
                let v = v.trim();
                looks_like_uuid(v).then(|| v.to_owned()).ok_or_else(|| {
                    ConfigError::invalid(
                        var::APPLICATION_ID,
                        "expected the application's UUID (8-4-4-4-12 hexadecimal digits)",
                    )
                })
            }),
            private_key: required(&get, var::PRIVATE_KEY).and_then(|pem| {
                key::PrivateKey::from_pem(&pem)
                    .map_err(|why| ConfigError::invalid(var::PRIVATE_KEY, why.to_string()))
            }),
            support_number: phone(&get, var::SUPPORT_NUMBER),
            destination_number: phone(&get, var::DESTINATION_NUMBER),
            client_user,
            client_users,
            greeting: text(&get, var::GREETING, DEFAULT_GREETING, TALK_TEXT_MAX_CHARS),
            company_name: text(&get, var::COMPANY_NAME, DEFAULT_COMPANY_NAME, 100),
            token_ttl_seconds: number(
                &get,
                var::TOKEN_TTL,
                TOKEN_TTL_DEFAULT_SECONDS,
                TOKEN_TTL_MIN_SECONDS..=TOKEN_TTL_MAX_SECONDS,
                "seconds between 30 and 86400 (Vonage accepts tokens valid for 30 s to 24 h)",
            ),
            signature_secret: optional_secret(&get, var::SIGNATURE_SECRET, 32),
            signature_skew_seconds: number(
                &get,
                var::SIGNATURE_SKEW,
                SIGNATURE_SKEW_DEFAULT_SECONDS,
                1..=3600,
                "seconds between 1 and 3600",
            ),
            ops_token: optional_secret(&get, var::OPS_TOKEN, OPS_TOKEN_MIN_CHARS),
            allowed_origins: match get(var::ALLOWED_ORIGINS) {
                None => Ok(Vec::new()),
                Some(raw) => parse_list(&raw, Origin::parse).ok_or_else(|| {
                    ConfigError::invalid(
                        var::ALLOWED_ORIGINS,
                        "expected a comma-separated list of origins like https://www.example.com \
                         (scheme and host, optional port, no path)",
                    )
                }),
            },
            event_ttl_days: number(
                &get,
                var::EVENT_TTL_DAYS,
                EVENT_TTL_DEFAULT_DAYS,
                1..=3650,
                "a whole number of days between 1 and 3650",
            ),
        }
    }

    /// The answer webhook's needs, or the first problem in the way.
    pub fn call_route(&self) -> Result<CallRoute, ConfigError> {
        Ok(CallRoute {
            greeting: self.greeting.clone()?,
            support_number: self.support_number.clone()?,
            destination_number: self.destination_number.clone()?,
        })
    }

    /// `/auth`'s needs, or the first problem in the way.
    pub fn token_settings(&self) -> Result<TokenSettings<'_>, ConfigError> {
        Ok(TokenSettings {
            application_id: self.application_id.as_deref().map_err(Clone::clone)?,
            private_key: self.private_key.as_ref().map_err(Clone::clone)?,
            default_user: self.client_user.as_ref().map_err(Clone::clone)?,
            allowed_users: self.client_users.as_deref().map_err(Clone::clone)?,
            ttl_seconds: *self.token_ttl_seconds.as_ref().map_err(Clone::clone)?,
        })
    }

    /// Every problem, in a stable order, for `/healthz` and the start-up log.
    pub fn problems(&self) -> Vec<&ConfigError> {
        [
            self.application_id.as_ref().err(),
            self.private_key.as_ref().err(),
            self.support_number.as_ref().err(),
            self.destination_number.as_ref().err(),
            self.client_user.as_ref().err(),
            self.client_users.as_ref().err(),
            self.greeting.as_ref().err(),
            self.company_name.as_ref().err(),
            self.token_ttl_seconds.as_ref().err(),
            self.signature_secret.as_ref().err(),
            self.signature_skew_seconds.as_ref().err(),
            self.ops_token.as_ref().err(),
            self.allowed_origins.as_ref().err(),
            self.event_ttl_days.as_ref().err(),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    pub fn signature_checking(&self) -> bool {
        matches!(self.signature_secret, Ok(Some(_)))
    }
}

fn required(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<String, ConfigError> {
    get(name).ok_or_else(|| ConfigError::missing(name))
}

fn phone(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<PhoneNumber, ConfigError> {
    required(get, name)
        .and_then(|raw| PhoneNumber::parse(&raw).map_err(|why| ConfigError::invalid(name, why)))
}

fn text(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: &str,
    max_chars: usize,
) -> Result<String, ConfigError> {
    let value = get(name)
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|| default.to_owned());
    if value.chars().count() > max_chars {
        return Err(ConfigError::invalid(
            name,
            format!("expected at most {max_chars} characters"),
        ));
    }
    Ok(value)
}

fn number<T>(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
    range: std::ops::RangeInclusive<T>,
    expected: &str,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd,
{
    match get(name) {
        None => Ok(default),
        Some(raw) => raw
            .trim()
            .parse::<T>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| ConfigError::invalid(name, format!("expected {expected}"))),
    }
}

fn optional_secret(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    min_chars: usize,
) -> Result<Option<Secret>, ConfigError> {
    match get(name) {
        None => Ok(None),
        Some(raw) if raw.trim().chars().count() < min_chars => Err(ConfigError::invalid(
            name,
            format!("expected at least {min_chars} characters; a short secret can be guessed"),
        )),
        Some(raw) => Ok(Some(Secret(raw.trim().to_owned()))),
    }
}

/// Parses a comma-separated list; `None` if any item is malformed or the list is empty.
fn parse_list<T>(raw: &str, parse: impl Fn(&str) -> Option<T>) -> Option<Vec<T>> {
    let items: Option<Vec<T>> = raw
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(parse)
        .collect();
    items.filter(|v| !v.is_empty())
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    pub(crate) const APP_ID: &str = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";

    fn config(vars: &[(&str, &str)]) -> Config {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    fn problem(c: &Config, variable: &str) -> Option<String> {
        c.problems()
            .into_iter()
            .find(|e| e.variable == variable)
            .map(ToString::to_string)
    }

    #[test]
    fn an_empty_environment_names_each_required_variable() {
        let c = config(&[]);
        let names: Vec<_> = c.problems().iter().map(|e| e.variable).collect();
        assert_eq!(
            names,
            [
                var::APPLICATION_ID,
                var::PRIVATE_KEY,
                var::SUPPORT_NUMBER,
                var::DESTINATION_NUMBER
            ]
        );
        assert_eq!(
            problem(&c, var::SUPPORT_NUMBER).unwrap(),
            "SUPPORT_PHONE_NUMBER is not set"
        );
    }

    #[test]
    fn defaults_follow_the_design() {
        let c = config(&[]);
        assert_eq!(c.client_user.unwrap().as_str(), "supportuser");
        assert_eq!(
            c.client_users.unwrap(),
            vec![UserName("supportuser".into())]
        );
        assert_eq!(c.greeting.unwrap(), DEFAULT_GREETING);
        assert_eq!(c.token_ttl_seconds.unwrap(), 900);
        assert_eq!(c.event_ttl_days.unwrap(), 30);
        assert_eq!(c.signature_skew_seconds.unwrap(), 300);
        assert_eq!(c.signature_secret.unwrap(), None);
        assert_eq!(c.ops_token.unwrap(), None);
        assert!(c.allowed_origins.unwrap().is_empty());
    }

    #[test]
    fn phone_numbers_must_be_e164_digits() {
        assert_eq!(
            PhoneNumber::parse("447700900000").unwrap().as_str(),
            "447700900000"
        );
        assert_eq!(
            PhoneNumber::parse("+447700900000").unwrap().as_str(),
            "447700900000"
        );
        for bad in [
            "07700900000",
            "00447700900000",
            "4477 0090 0000",
            "12345",
            "1234567890123456",
            "abc",
            "+",
        ] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad} should be refused");
        }
        let c = config(&[(var::SUPPORT_NUMBER, "07700900000")]);
        let msg = problem(&c, var::SUPPORT_NUMBER).unwrap();
        assert!(
            msg.starts_with("SUPPORT_PHONE_NUMBER is invalid: expected an E.164 number"),
            "{msg}"
        );
        assert!(msg.contains("starts with 0"), "{msg}");
        assert!(
            !msg.contains("07700900000"),
            "the value is not echoed: {msg}"
        );
    }

    #[test]
    fn token_ttl_is_bounded_by_vonage_limits() {
        for (raw, ok) in [
            ("30", true),
            ("86400", true),
            ("29", false),
            ("86401", false),
            ("15m", false),
        ] {
            let c = config(&[(var::TOKEN_TTL, raw)]);
            assert_eq!(c.token_ttl_seconds.is_ok(), ok, "{raw}");
        }
        let c = config(&[(var::TOKEN_TTL, "90000")]);
        assert_eq!(
            problem(&c, var::TOKEN_TTL).unwrap(),
            "TOKEN_TTL_SECONDS is invalid: expected seconds between 30 and 86400 \
             (Vonage accepts tokens valid for 30 s to 24 h)"
        );
    }

    #[test]
    fn application_id_must_be_a_uuid() {
        assert!(
            config(&[(var::APPLICATION_ID, APP_ID)])
                .application_id
                .is_ok()
        );
        let c = config(&[(var::APPLICATION_ID, "my-app")]);
        assert!(problem(&c, var::APPLICATION_ID).unwrap().contains("UUID"));
    }

    #[test]
    fn user_lists_are_validated_item_by_item() {
        let c = config(&[(var::CLIENT_USERS, "alice, bob,carol")]);
        let names: Vec<_> = c
            .client_users
            .unwrap()
            .iter()
            .map(|u| u.as_str().to_owned())
            .collect();
        assert_eq!(names, ["alice", "bob", "carol"]);
        let c = config(&[(var::CLIENT_USERS, "alice,../etc")]);
        assert!(
            problem(&c, var::CLIENT_USERS)
                .unwrap()
                .contains("comma-separated list of user names")
        );
        let c = config(&[(var::CLIENT_USER, "bad user")]);
        assert!(c.client_user.is_err());
        assert!(
            c.client_users.is_err(),
            "the default allow-list follows CLIENT_USER"
        );
    }

    #[test]
    fn origins_need_scheme_and_host_only() {
        let c = config(&[(
            var::ALLOWED_ORIGINS,
            "https://www.example.com, http://localhost:3000/",
        )]);
        let origins: Vec<_> = c
            .allowed_origins
            .unwrap()
            .iter()
            .map(|o| o.as_str().to_owned())
            .collect();
        assert_eq!(
            origins,
            ["https://www.example.com", "http://localhost:3000"]
        );
        for bad in [
            "www.example.com",
            "https://example.com/path",
            "ftp://example.com",
            "https://",
        ] {
            assert!(
                config(&[(var::ALLOWED_ORIGINS, bad)])
                    .allowed_origins
                    .is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn short_secrets_are_refused_without_echoing_them() {
        let c = config(&[
            (var::OPS_TOKEN, "hunter2"),
            (var::SIGNATURE_SECRET, "tooshort"),
        ]);
        let ops = problem(&c, var::OPS_TOKEN).unwrap();
        assert_eq!(
            ops,
            "OPS_TOKEN is invalid: expected at least 16 characters; a short secret can be guessed"
        );
        let sig = problem(&c, var::SIGNATURE_SECRET).unwrap();
        assert!(!sig.contains("tooshort"));
        assert!(!format!("{c:?}").contains("hunter2"));
        let c = config(&[(var::OPS_TOKEN, "0123456789abcdef0123")]);
        let token = c.ops_token.unwrap().unwrap();
        assert_eq!(format!("{token:?}"), "Secret(20 chars)");
    }

    #[test]
    fn blank_values_count_as_unset() {
        let c = config(&[(var::GREETING, "   "), (var::OPS_TOKEN, "")]);
        assert_eq!(c.greeting.unwrap(), DEFAULT_GREETING);
        assert_eq!(c.ops_token.unwrap(), None);
    }

    #[test]
    fn greeting_is_limited_to_the_ncco_talk_length() {
        let long = "a".repeat(TALK_TEXT_MAX_CHARS + 1);
        let c = config(&[(var::GREETING, &long)]);
        assert_eq!(
            problem(&c, var::GREETING).unwrap(),
            "GREETING is invalid: expected at most 1500 characters"
        );
    }

    #[test]
    fn call_route_reports_the_first_missing_piece() {
        let c = config(&[(var::SUPPORT_NUMBER, "447700900000")]);
        assert_eq!(
            c.call_route().unwrap_err().variable,
            var::DESTINATION_NUMBER
        );
        let c = config(&[
            (var::SUPPORT_NUMBER, "447700900000"),
            (var::DESTINATION_NUMBER, "447700900001"),
        ]);
        let route = c.call_route().unwrap();
        assert_eq!(route.destination_number.as_str(), "447700900001");
    }
}
