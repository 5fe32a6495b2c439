//! Configuration: every variable read and validated once per isolate, then
//! resolved into the settings each route needs.
//!
//! One policy for every variable: unset means its default (or, for a required
//! one, "not set"); set but malformed is never replaced by the default. Each
//! route's settings are then either whole or the first problem in the way, so
//! every route that reads a malformed variable answers the same way (503 with
//! the variable named, or the spoken apology for the answer webhook), and
//! `/healthz` lists every problem at once. Errors name the variable and the
//! expected form; they never echo a value, because several are secrets.

pub mod var;

use crate::call::answer::AnswerSettings;
use crate::call::guard::CallLimits;
use crate::call::hours::{self, OpeningHours, Week};
use crate::call::ticket::TicketKey;
use crate::calllog::LogSettings;
use crate::error::{ConfigError, Problem};
use crate::ops::OpsSettings;
use crate::ops::recording::RecordingSettings;
use crate::shared::origin::Origin;
use crate::shared::phone::PhoneNumber;
use crate::shared::secret::Secret;
use crate::visitor::auth::AuthSettings;
use crate::visitor::page::PageSettings;
use crate::vonage::ncco::TALK_TEXT_MAX_CHARS;
use crate::vonage::private_key::PrivateKey;
use crate::vonage::signature::{SignatureSettings, WebhookSettings};
use crate::vonage::user::UserName;

/// Every route's settings, each whole or the first problem in its way.
#[derive(Debug, Clone)]
pub struct Config {
    pub page: Result<PageSettings, ConfigError>,
    pub auth: Result<AuthSettings, ConfigError>,
    pub answer: Result<AnswerSettings, ConfigError>,
    pub webhooks: Result<WebhookSettings, ConfigError>,
    pub log: Result<LogSettings, ConfigError>,
    pub ops: Result<OpsSettings, ConfigError>,
    pub recordings: Result<RecordingSettings, ConfigError>,
    problems: Vec<ConfigError>,
}

/// Reads raw values; an empty or all-blank value counts as unset.
struct Reader<F> {
    lookup: F,
    problems: Vec<ConfigError>,
}

impl<F: Fn(&str) -> Option<String>> Reader<F> {
    fn raw(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// Records a problem so `/healthz` can list it, and passes the result on.
    fn note<T>(&mut self, result: Result<T, ConfigError>) -> Result<T, ConfigError> {
        if let Err(e) = &result {
            self.problems.push(e.clone());
        }
        result
    }

    fn required<T>(
        &mut self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        let result = match self.raw(name) {
            None => Err(ConfigError::missing(name)),
            Some(raw) => parse(&raw).map_err(|why| ConfigError::invalid(name, why)),
        };
        self.note(result)
    }

    fn optional<T>(
        &mut self,
        name: &'static str,
        default: impl FnOnce() -> T,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        let result = match self.raw(name) {
            None => Ok(default()),
            Some(raw) => parse(&raw).map_err(|why| ConfigError::invalid(name, why)),
        };
        self.note(result)
    }
}

fn number<T: std::str::FromStr + PartialOrd>(
    range: std::ops::RangeInclusive<T>,
    expected: &'static str,
) -> impl FnOnce(&str) -> Result<T, String> {
    move |raw| {
        raw.parse::<T>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| format!("expected {expected}"))
    }
}

fn text(max_chars: usize) -> impl FnOnce(&str) -> Result<String, String> {
    move |raw| {
        if raw.chars().count() > max_chars {
            Err(format!("expected at most {max_chars} characters"))
        } else {
            Ok(raw.to_owned())
        }
    }
}

fn secret(min_chars: usize) -> impl FnOnce(&str) -> Result<Secret, String> {
    move |raw| {
        if raw.chars().count() < min_chars {
            Err(format!(
                "expected at least {min_chars} characters; a short secret can be guessed"
            ))
        } else {
            Ok(Secret::new(raw))
        }
    }
}

/// A comma-separated list, every item well-formed, at least one.
fn list<T>(
    parse: impl Fn(&str) -> Option<T>,
    expected: String,
) -> impl FnOnce(&str) -> Result<Vec<T>, String> {
    move |raw| {
        let items: Option<Vec<T>> = raw
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(parse)
            .collect();
        items
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("expected a comma-separated list of {expected}"))
    }
}

fn application_id(raw: &str) -> Result<String, String> {
    looks_like_uuid(raw)
        .then(|| raw.to_owned())
        .ok_or_else(|| "expected the application's UUID (8-4-4-4-12 hexadecimal digits)".into())
}

fn user(raw: &str) -> Result<UserName, String> {
    UserName::parse(raw).ok_or_else(|| format!("expected {}", UserName::FORM))
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

impl Config {
    /// Reads every variable through `lookup` (the runtime's vars and secrets),
    /// taking any well-formed time zone name as known.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        Self::from_runtime(lookup, &[], |_| true)
    }

    /// As `from_lookup`; `names` are all the variables' names (for the
    /// per-language `GREETING_<LANG>`), and `zone_known` (the runtime's
    /// `Intl`) says whether `TIMEZONE` names a zone it has rules for.
    pub fn from_runtime(
        lookup: impl Fn(&str) -> Option<String>,
        names: &[String],
        zone_known: impl Fn(&str) -> bool,
    ) -> Self {
        use var::default;
        let mut r = Reader {
            lookup,
            problems: Vec::new(),
        };
        // Each variable once, in the order /healthz lists them.
        let application_id = r.required(var::APPLICATION_ID, application_id);
        let private_key = r.required(var::PRIVATE_KEY, |pem| {
            PrivateKey::from_pem(pem).map_err(|e| e.to_string())
        });
        let support_number = r.required(var::SUPPORT_NUMBER, PhoneNumber::parse);
        let numbers = |raw: &str| -> Result<Vec<PhoneNumber>, String> {
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(PhoneNumber::parse)
                .collect::<Result<Vec<_>, _>>()
                .and_then(|v| {
                    if v.is_empty() {
                        Err(format!("expected {}", PhoneNumber::FORM))
                    } else {
                        Ok(v)
                    }
                })
                .map_err(|why| format!("a comma-separated list of numbers, tried in order: {why}"))
        };
        let destinations = match (
            r.raw(var::DESTINATION_NUMBERS),
            r.raw(var::DESTINATION_NUMBER),
        ) {
            (Some(_), Some(_)) => r.note(Err(ConfigError::invalid(
                var::DESTINATION_NUMBERS,
                format!(
                    "set either {} or {}, not both",
                    var::DESTINATION_NUMBERS,
                    var::DESTINATION_NUMBER
                ),
            ))),
            (Some(_), None) => r.required(var::DESTINATION_NUMBERS, numbers),
            (None, _) => r.required(var::DESTINATION_NUMBER, |raw| {
                PhoneNumber::parse(raw).map(|n| vec![n])
            }),
        };
        let client_user = r.optional(
            var::CLIENT_USER,
            || UserName::parse(default::CLIENT_USER).expect("the default user name is valid"),
            user,
        );
        let client_users = r.optional(
            var::CLIENT_USERS,
            Vec::new,
            list(
                UserName::parse,
                format!("user names, each {}", UserName::FORM),
            ),
        );
        let greeting = r.optional(
            var::GREETING,
            || None,
            |raw| text(TALK_TEXT_MAX_CHARS)(raw).map(Some),
        );
        // GREETING_DE, GREETING_ES...: names are leaked once per isolate so
        // their errors can name them like every other variable.
        let mut greetings = Ok(Vec::new());
        for name in names {
            let Some(lang) = name.strip_prefix(var::GREETING_PREFIX).filter(|l| {
                (2..=3).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_uppercase())
            }) else {
                continue;
            };
            let name: &'static str = Box::leak(name.clone().into_boxed_str());
            let parsed = r.optional(
                name,
                || None,
                |raw| text(TALK_TEXT_MAX_CHARS)(raw).map(Some),
            );
            greetings = match (greetings, parsed) {
                (Ok(mut list), Ok(Some(text))) => {
                    list.push((lang.to_ascii_lowercase(), text));
                    Ok(list)
                }
                (Ok(list), Ok(None)) => Ok(list),
                (Err(e), _) | (_, Err(e)) => Err(e),
            };
        }
        let company_name = r.optional(
            var::COMPANY_NAME,
            || default::COMPANY_NAME.to_owned(),
            text(var::COMPANY_NAME_MAX_CHARS),
        );
        let token_ttl = r.optional(
            var::TOKEN_TTL,
            || default::TOKEN_TTL_SECONDS,
            number(
                var::TOKEN_TTL_SECONDS,
                "seconds between 30 and 86400 (Vonage accepts tokens valid for 30 s to 24 h)",
            ),
        );
        let signature_secret = r.optional(
            var::SIGNATURE_SECRET,
            || None,
            |raw| secret(var::SIGNATURE_SECRET_MIN_CHARS)(raw).map(Some),
        );
        let signature_skew = r.optional(
            var::SIGNATURE_SKEW,
            || default::SIGNATURE_SKEW_SECONDS,
            number(1..=3600, "seconds between 1 and 3600"),
        );
        let ops_token = r.optional(
            var::OPS_TOKEN,
            || None,
            |raw| secret(var::OPS_TOKEN_MIN_CHARS)(raw).map(Some),
        );
        let allowed_origins = r.optional(
            var::ALLOWED_ORIGINS,
            Vec::new,
            list(Origin::parse, format!("origins, each {}", Origin::FORM)),
        );
        let allow_unsigned = r.optional(
            var::ALLOW_UNSIGNED_WEBHOOKS,
            || false,
            |raw| match raw.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => Ok(true),
                "false" | "0" | "no" => Ok(false),
                _ => Err("expected true or false".into()),
            },
        );
        let max_concurrent = r.optional(
            var::MAX_CONCURRENT_CALLS,
            || default::MAX_CONCURRENT_CALLS,
            number(1..=10_000, "a whole number of calls between 1 and 10000"),
        );
        let max_per_client_hour = r.optional(
            var::MAX_CALLS_PER_CLIENT_HOUR,
            || default::MAX_CALLS_PER_CLIENT_HOUR,
            number(1..=10_000, "a whole number of calls between 1 and 10000"),
        );
        let max_call_minutes = r.optional(
            var::MAX_CALL_MINUTES,
            || default::MAX_CALL_MINUTES,
            number(1..=1440, "a whole number of minutes between 1 and 1440"),
        );
        // Connecting the support number to itself would loop a call through
        // Vonage and bill both legs for nothing.
        let destinations = match (&support_number, destinations) {
            (Ok(support), Ok(list)) if list.contains(support) => {
                let variable = if r.raw(var::DESTINATION_NUMBERS).is_some() {
                    var::DESTINATION_NUMBERS
                } else {
                    var::DESTINATION_NUMBER
                };
                r.note(Err(ConfigError::invalid(
                    variable,
                    format!("expected a number other than {}", var::SUPPORT_NUMBER),
                )))
            }
            (_, destinations) => destinations,
        };
        let ring_seconds = r.optional(
            var::RING_SECONDS,
            || default::RING_SECONDS,
            number(5..=120, "seconds between 5 and 120"),
        );
        let voicemail_seconds = r.optional(
            var::VOICEMAIL_MAX_SECONDS,
            || default::VOICEMAIL_MAX_SECONDS,
            number(10..=600, "seconds between 10 and 600"),
        );
        let week = r.optional(
            var::OPENING_HOURS,
            || None,
            |raw| Week::parse(raw).map(Some),
        );
        let zone = r.optional(var::TIMEZONE, || default::TIMEZONE.to_owned(), |raw| {
            if hours::zone_name_ok(raw) && zone_known(raw) {
                Ok(raw.to_owned())
            } else {
                Err("expected an IANA time zone name the runtime knows, like Europe/London or America/New_York".into())
            }
        });
        let closed_dates = r.optional(var::CLOSED_DATES, Vec::new, hours::parse_dates);
        let opening_hours = (|| {
            let (closed_dates, zone) = (closed_dates?, zone?);
            Ok(week?.map(|week| OpeningHours {
                week,
                closed_dates,
                zone,
            }))
        })();
        let simulator_origin = r.optional(
            var::SIMULATOR_ORIGIN,
            || None,
            |raw| {
                Origin::parse(raw)
                    .map(Some)
                    .ok_or_else(|| format!("expected {}", Origin::FORM))
            },
        );
        let event_ttl_days = r.optional(
            var::EVENT_TTL_DAYS,
            || default::EVENT_TTL_DAYS,
            number(1..=3650, "a whole number of days between 1 and 3650"),
        );

        let ticket_key = private_key
            .as_ref()
            .map(TicketKey::derive)
            .map_err(Clone::clone);
        let auth = (|| {
            let default_user = client_user.clone()?;
            let mut allowed_users = client_users?;
            if allowed_users.is_empty() {
                allowed_users.push(default_user.clone());
            }
            Ok(AuthSettings {
                application_id: application_id.clone()?,
                private_key: private_key.clone()?,
                default_user,
                allowed_users,
                ttl_seconds: token_ttl?,
                allowed_origins: allowed_origins.clone()?,
                ticket_key: ticket_key.clone()?,
            })
        })();
        let answer = (|| {
            Ok(AnswerSettings {
                greeting: greeting?,
                greetings: greetings?,
                company_name: company_name.clone()?,
                support_number: support_number?,
                destinations: destinations?,
                ring_seconds: ring_seconds?,
                voicemail_seconds: voicemail_seconds?,
                hours: opening_hours.clone()?,
                limits: CallLimits {
                    max_concurrent: max_concurrent?,
                    max_per_client_hour: max_per_client_hour?,
                    max_call_minutes: max_call_minutes?,
                },
                ticket_key: ticket_key?,
            })
        })();
        let webhooks = (|| {
            let signature = match signature_secret? {
                None => None,
                Some(secret) => Some(SignatureSettings {
                    secret,
                    max_skew_seconds: signature_skew?,
                    // Not required to check signatures, but never ignored when malformed.
                    application_id: match &application_id {
                        Ok(id) => Some(id.clone()),
                        Err(e) if e.problem == Problem::Missing => None,
                        Err(e) => return Err(e.clone()),
                    },
                }),
            };
            Ok(WebhookSettings {
                signature,
                unsigned_allowed: allow_unsigned?,
            })
        })();

        let recordings = (|| {
            Ok(RecordingSettings {
                application_id: application_id.clone()?,
                private_key: private_key.clone()?,
                simulator_origin: simulator_origin?,
            })
        })();
        Self {
            page: (|| {
                Ok(PageSettings {
                    company_name: company_name?,
                    embed_origins: allowed_origins.clone()?,
                    hours: opening_hours?,
                })
            })(),
            recordings,
            auth,
            answer,
            webhooks,
            log: event_ttl_days.map(|ttl_days| LogSettings { ttl_days }),
            ops: ops_token.map(|token| OpsSettings { token }),
            problems: r.problems,
        }
    }

    /// Every problem, in a stable order, for `/healthz` and the start-up log.
    pub fn problems(&self) -> &[ConfigError] {
        &self.problems
    }

    pub fn signature_checking(&self) -> bool {
        matches!(
            &self.webhooks,
            Ok(WebhookSettings {
                signature: Some(_),
                ..
            })
        )
    }

    /// Webhooks unsigned without anyone having said that is intended.
    pub fn unsigned_unintended(&self) -> bool {
        matches!(
            &self.webhooks,
            Ok(WebhookSettings {
                signature: None,
                unsigned_allowed: false
            })
        )
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::collections::HashMap;

    pub(crate) const APP_ID: &str = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";

    pub(crate) fn config(vars: &[(&str, &str)]) -> Config {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    fn problem(c: &Config, variable: &str) -> Option<String> {
        c.problems()
            .iter()
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
        assert_eq!(c.auth.unwrap_err().variable, var::APPLICATION_ID);
        assert_eq!(c.answer.unwrap_err().variable, var::SUPPORT_NUMBER);
    }

    #[test]
    fn defaults_follow_the_design() {
        let c = config(&[(var::APPLICATION_ID, APP_ID)]);
        assert_eq!(c.page.unwrap().company_name, "Acme");
        assert_eq!(c.log.unwrap().ttl_days, 30);
        assert!(c.ops.unwrap().token.is_none());
        assert!(c.webhooks.unwrap().signature.is_none());
    }

    #[test]
    fn a_malformed_optional_variable_is_never_replaced_by_its_default() {
        // The same policy everywhere: the route that reads it is not configured.
        let c = config(&[
            (var::SIGNATURE_SKEW, "lots"),
            (var::SIGNATURE_SECRET, &"s".repeat(40)),
        ]);
        assert_eq!(c.webhooks.unwrap_err().variable, var::SIGNATURE_SKEW);
        let c = config(&[(var::EVENT_TTL_DAYS, "0")]);
        assert_eq!(c.log.unwrap_err().variable, var::EVENT_TTL_DAYS);
        let c = config(&[(var::ALLOWED_ORIGINS, "example.com")]);
        assert_eq!(
            problem(&c, var::ALLOWED_ORIGINS).unwrap(),
            "ALLOWED_ORIGINS is invalid: expected a comma-separated list of origins, each an \
             origin like https://www.example.com (scheme and host, optional port, no path)"
        );
        // A signature secret that is too short does not turn checking off.
        let c = config(&[(var::SIGNATURE_SECRET, "tooshort")]);
        assert!(c.webhooks.is_err());
        assert!(!c.signature_checking());
        // A malformed application id fails the signature check's settings too.
        let c = config(&[
            (var::SIGNATURE_SECRET, &"s".repeat(40)),
            (var::APPLICATION_ID, "app"),
        ]);
        assert_eq!(c.webhooks.unwrap_err().variable, var::APPLICATION_ID);
        let c = config(&[(var::SIGNATURE_SECRET, &"s".repeat(40))]);
        assert!(
            c.webhooks
                .unwrap()
                .signature
                .unwrap()
                .application_id
                .is_none()
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
            assert_eq!(problem(&c, var::TOKEN_TTL).is_none(), ok, "{raw}");
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
            problem(
                &config(&[(var::APPLICATION_ID, APP_ID)]),
                var::APPLICATION_ID
            )
            .is_none()
        );
        let c = config(&[(var::APPLICATION_ID, "my-app")]);
        assert!(problem(&c, var::APPLICATION_ID).unwrap().contains("UUID"));
    }

    #[test]
    fn user_lists_are_validated_item_by_item() {
        let c = config(&[(var::CLIENT_USERS, "alice,../etc")]);
        assert!(
            problem(&c, var::CLIENT_USERS)
                .unwrap()
                .contains("comma-separated list of user names")
        );
        let c = config(&[(var::CLIENT_USER, "bad user")]);
        assert!(problem(&c, var::CLIENT_USER).is_some());
    }

    #[test]
    fn short_secrets_are_refused_without_echoing_them() {
        let c = config(&[
            (var::OPS_TOKEN, "hunter2"),
            (var::SIGNATURE_SECRET, "tooshort"),
        ]);
        assert_eq!(
            problem(&c, var::OPS_TOKEN).unwrap(),
            "OPS_TOKEN is invalid: expected at least 16 characters; a short secret can be guessed"
        );
        assert!(
            !problem(&c, var::SIGNATURE_SECRET)
                .unwrap()
                .contains("tooshort")
        );
        assert!(!format!("{c:?}").contains("hunter2"));
        let c = config(&[(var::OPS_TOKEN, "0123456789abcdef0123")]);
        let token = c.ops.unwrap().token.unwrap();
        assert_eq!(format!("{token:?}"), "Secret(20 chars)");
    }

    #[test]
    fn blank_values_count_as_unset() {
        let key = crate::vonage::private_key::tests::test_key_pem();
        let c = config(&[
            (var::GREETING, "   "),
            (var::OPS_TOKEN, ""),
            (var::SUPPORT_NUMBER, "447700900000"),
            (var::DESTINATION_NUMBER, "447700900001"),
            (var::PRIVATE_KEY, &key),
        ]);
        assert_eq!(
            c.answer.unwrap().greeting,
            None,
            "the language file's, with the company's name"
        );
        assert!(c.ops.unwrap().token.is_none());
    }

    #[test]
    fn greetings_per_language_come_from_greeting_lang_variables() {
        let key = crate::vonage::private_key::tests::test_key_pem();
        let vars = [
            (var::SUPPORT_NUMBER, "447700900000"),
            (var::DESTINATION_NUMBER, "447700900001"),
            (var::PRIVATE_KEY, key.as_str()),
            (var::COMPANY_NAME, "Globex"),
            ("GREETING_DE", "Hallo bei Globex!"),
            ("GREETING_FR", ""),
        ];
        let names: Vec<String> = vars
            .iter()
            .map(|(n, _)| (*n).to_owned())
            .chain(["GREETING_lower".into()])
            .collect();
        let lookup = |n: &str| {
            vars.iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| (*v).to_owned())
        };
        let c = Config::from_runtime(lookup, &names, |_| true);
        let answer = c.answer.unwrap();
        assert_eq!(
            answer.greetings,
            vec![("de".to_owned(), "Hallo bei Globex!".to_owned())]
        );
        let en = crate::call::speech::Speech::english();
        assert_eq!(answer.greeting_for("de", &en), "Hallo bei Globex!");
        assert_eq!(
            answer.greeting_for("en", &en),
            "Thank you for calling Globex support. Transferring you now."
        );
        let long = "x".repeat(1501);
        let c = Config::from_runtime(
            |n| (n == "GREETING_ES").then(|| long.clone()),
            &["GREETING_ES".into()],
            |_| true,
        );
        assert_eq!(
            problem(&c, "GREETING_ES").unwrap(),
            "GREETING_ES is invalid: expected at most 1500 characters"
        );
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
    fn answer_settings_report_the_first_missing_piece() {
        let c = config(&[(var::SUPPORT_NUMBER, "447700900000")]);
        assert_eq!(c.answer.unwrap_err().variable, var::DESTINATION_NUMBER);
        let key = crate::vonage::private_key::tests::test_key_pem();
        let c = config(&[
            (var::SUPPORT_NUMBER, "447700900000"),
            (var::DESTINATION_NUMBER, "447700900001"),
            (var::PRIVATE_KEY, &key),
        ]);
        assert_eq!(c.answer.unwrap().destinations[0].as_str(), "447700900001");
    }

    #[test]
    fn call_limits_default_and_are_bounded() {
        let key = crate::vonage::private_key::tests::test_key_pem();
        let c = config(&[
            (var::SUPPORT_NUMBER, "447700900000"),
            (var::DESTINATION_NUMBER, "447700900001"),
            (var::PRIVATE_KEY, &key),
        ]);
        let limits = c.answer.unwrap().limits;
        assert_eq!(
            (
                limits.max_concurrent,
                limits.max_per_client_hour,
                limits.max_call_minutes
            ),
            (5, 6, 60)
        );
        let c = config(&[(var::MAX_CONCURRENT_CALLS, "0")]);
        assert!(
            problem(&c, var::MAX_CONCURRENT_CALLS)
                .unwrap()
                .contains("between 1 and 10000")
        );
    }

    #[test]
    fn the_ring_list_is_one_variable_or_the_other() {
        let key = crate::vonage::private_key::tests::test_key_pem();
        let base = [
            (var::SUPPORT_NUMBER, "447700900000"),
            (var::PRIVATE_KEY, key.as_str()),
        ];
        let c = config(
            &[
                &base[..],
                &[(var::DESTINATION_NUMBERS, "447700900001, +447700900002")],
            ]
            .concat(),
        );
        let numbers: Vec<_> = c
            .answer
            .unwrap()
            .destinations
            .iter()
            .map(|n| n.as_str().to_owned())
            .collect();
        assert_eq!(numbers, ["447700900001", "447700900002"]);
        let c = config(
            &[
                &base[..],
                &[(var::DESTINATION_NUMBERS, "447700900001,0770")],
            ]
            .concat(),
        );
        assert!(
            problem(&c, var::DESTINATION_NUMBERS)
                .unwrap()
                .contains("comma-separated list of numbers")
        );
        let c = config(
            &[
                &base[..],
                &[
                    (var::DESTINATION_NUMBERS, "447700900001"),
                    (var::DESTINATION_NUMBER, "447700900002"),
                ],
            ]
            .concat(),
        );
        assert!(
            problem(&c, var::DESTINATION_NUMBERS)
                .unwrap()
                .contains("not both")
        );
        let c = config(&[&base[..], &[(var::RING_SECONDS, "2")]].concat());
        assert!(problem(&c, var::RING_SECONDS).is_some());
    }

    #[test]
    fn opening_hours_need_a_known_zone() {
        let c = Config::from_runtime(
            |n| match n {
                "OPENING_HOURS" => Some("Mon-Fri 09:00-17:00".into()),
                "TIMEZONE" => Some("Mars/Olympus_Mons".into()),
                _ => None,
            },
            &[],
            |zone| zone != "Mars/Olympus_Mons",
        );
        assert!(
            problem(&c, var::TIMEZONE)
                .unwrap()
                .contains("IANA time zone")
        );
        assert!(c.page.is_err());
        let c = config(&[(var::OPENING_HOURS, "Mon-Fri 9-5")]);
        assert!(
            problem(&c, var::OPENING_HOURS)
                .unwrap()
                .contains("days and times")
        );
        let c = config(&[
            (var::OPENING_HOURS, "Mon-Fri 09:00-17:00"),
            (var::CLOSED_DATES, "2026-12-25"),
        ]);
        let hours = c.page.unwrap().hours.unwrap();
        assert_eq!((hours.zone.as_str(), hours.closed_dates.len()), ("UTC", 1));
        assert!(
            config(&[]).page.unwrap().hours.is_none(),
            "unset: always open"
        );
    }

    #[test]
    fn support_and_destination_must_differ() {
        let c = config(&[
            (var::SUPPORT_NUMBER, "447700900000"),
            (var::DESTINATION_NUMBER, "+447700900000"),
        ]);
        assert_eq!(
            problem(&c, var::DESTINATION_NUMBER).unwrap(),
            "DESTINATION_PHONE_NUMBER is invalid: expected a number other than SUPPORT_PHONE_NUMBER"
        );
        assert!(c.answer.is_err());
    }

    #[test]
    fn unsigned_webhooks_are_intended_only_when_said_so() {
        assert!(config(&[]).unsigned_unintended());
        assert!(!config(&[(var::ALLOW_UNSIGNED_WEBHOOKS, "true")]).unsigned_unintended());
        assert!(!config(&[(var::SIGNATURE_SECRET, &"s".repeat(40))]).unsigned_unintended());
        assert!(
            problem(
                &config(&[(var::ALLOW_UNSIGNED_WEBHOOKS, "sure")]),
                var::ALLOW_UNSIGNED_WEBHOOKS
            )
            .is_some()
        );
    }

    #[test]
    fn the_allow_list_defaults_to_the_configured_user() {
        let key = crate::vonage::private_key::tests::test_key_pem();
        let c = config(&[
            (var::APPLICATION_ID, APP_ID),
            (var::PRIVATE_KEY, &key),
            (var::CLIENT_USER, "agent"),
        ]);
        let auth = c.auth.unwrap();
        assert_eq!(auth.allowed_users, vec![UserName::parse("agent").unwrap()]);
        assert_eq!(auth.ttl_seconds, 900);
    }
}
