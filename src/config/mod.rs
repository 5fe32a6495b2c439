//! Configuration: every variable read and validated once per isolate, then
//! resolved into the settings each route needs. Each settings struct lives
//! beside the feature that uses it; this module only reads variables
//! (`read.rs`, one policy for all), knows their names, defaults and ranges
//! (`var.rs`), and assembles each section's settings.
//!
//! Each route's settings are either whole or the first problem in the way,
//! so every route that reads a malformed variable answers the same way (503
//! with the variable named, or the spoken apology for the answer webhook),
//! and `/healthz` lists every problem at once. Errors name the variable and
//! the expected form; they never echo a value, because several are secrets.

mod application;
mod calls;
mod company;
mod ops;
pub mod read;
pub mod var;
mod visitor;

use crate::call::answer::AnswerSettings;
use crate::calllog::LogSettings;
use crate::error::ConfigError;
use crate::ops::OpsSettings;
use crate::ops::recording::RecordingSettings;
use crate::visitor::auth::AuthSettings;
use crate::visitor::page::PageSettings;
use crate::vonage::signature::WebhookSettings;

use read::Reader;

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
        let mut r = Reader::new(&lookup);
        let app = application::read(&mut r);
        let lines = calls::read_lines(&mut r);
        let company = company::read(&mut r, names, &zone_known);
        let limits = calls::limits(&mut r);
        let auth = visitor::auth(&mut r, &app, &company, &limits);
        let webhooks = application::webhooks(&mut r, &app);
        let answer = calls::answer(&mut r, lines, &company, &app, &limits);
        let (ops, log) = ops::read(&mut r);
        let recordings = application::recordings(&app);
        Self {
            page: visitor::page(&company),
            auth,
            answer,
            webhooks,
            log,
            ops,
            recordings,
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
    use crate::vonage::ncco::TALK_TEXT_MAX_CHARS;
    use crate::vonage::user::UserName;
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
        let c = config(&[(var::SIGNATURE_SECRET, "abc")]);
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
        let c = config(&[(var::OPS_TOKEN, "hunter2"), (var::SIGNATURE_SECRET, "abc")]);
        assert_eq!(
            problem(&c, var::OPS_TOKEN).unwrap(),
            "OPS_TOKEN is invalid: expected at least 16 characters; a short secret can be guessed"
        );
        assert_eq!(
            problem(&c, var::SIGNATURE_SECRET).unwrap(),
            "VONAGE_SIGNATURE_SECRET is invalid: expected at least 4 characters; a short secret can be guessed"
        );
        assert!(!format!("{c:?}").contains("hunter2"));
        // Vonage's own minimum (32 bits) is accepted; the log warns about it.
        let c = config(&[(var::SIGNATURE_SECRET, "tooshort")]);
        assert!(c.webhooks.unwrap().signature.unwrap().secret_is_short());
        let c = config(&[(var::SIGNATURE_SECRET, &"s".repeat(32))]);
        assert!(!c.webhooks.unwrap().signature.unwrap().secret_is_short());
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
    fn a_shared_user_is_said_so_and_the_named_path_needs_its_list() {
        let key = crate::vonage::private_key::tests::test_key_pem();
        let c = config(&[
            (var::APPLICATION_ID, APP_ID),
            (var::PRIVATE_KEY, &key),
            (var::CLIENT_USER, "agent"),
        ]);
        let auth = c.auth.unwrap();
        assert_eq!(
            auth.users,
            crate::visitor::auth::Users::Shared(UserName::parse("agent").unwrap())
        );
        assert!(auth.named_users.is_empty());
        assert_eq!(auth.ttl_seconds, 900);
        let c = config(&[(var::VONAGE_API_URL, "api.nexmo.com")]);
        assert!(problem(&c, var::VONAGE_API_URL).unwrap().contains("origin"));
    }
}
