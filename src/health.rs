//! `/healthz`: whether the service is fit to take calls.
//!
//! Anyone may ask and is told only `{"status"}`: which defences are off is
//! no business of an attacker's. With the ops token, the detailed report
//! names every problem (by variable and form, never by value) and what runs.

use serde::Serialize;

use crate::config::{Config, var};
use crate::error::Problem;
use crate::visitor::auth::{AuthSettings, Users};

#[derive(Debug, Serialize)]
pub struct Health {
    /// `ok`, or `degraded` when a variable is missing or malformed, or when
    /// webhooks are unsigned without `ALLOW_UNSIGNED_WEBHOOKS=true`.
    pub status: &'static str,
    pub problems: Vec<HealthProblem>,
    pub signature_checking: bool,
    pub ops_api: bool,
    /// `queue` or `kv`: where the event webhook sends events.
    pub event_log: &'static str,
    pub rate_limiting: bool,
    /// Whether the call guard (its Durable Object) is bound.
    pub call_guard: bool,
}

/// What anyone is told.
#[derive(Debug, Serialize)]
pub struct PublicHealth {
    pub status: &'static str,
}

#[derive(Debug, Serialize)]
pub struct HealthProblem {
    pub variable: &'static str,
    pub problem: String,
}

impl Health {
    pub fn http_status(&self) -> u16 {
        if self.status == "ok" { 200 } else { 503 }
    }

    pub fn public(&self) -> PublicHealth {
        PublicHealth {
            status: self.status,
        }
    }
}

/// What the runtime has bound, as the adapter sees it.
pub struct Bindings {
    pub event_log: &'static str,
    pub rate_limiting: bool,
    pub call_guard: bool,
}

pub fn report(config: &Config, bindings: Bindings) -> Health {
    let mut problems: Vec<HealthProblem> = config
        .problems()
        .iter()
        .map(|e| HealthProblem {
            variable: e.variable,
            problem: match &e.problem {
                Problem::Missing => "not set".into(),
                Problem::Invalid(expected) => format!("invalid: {expected}"),
            },
        })
        .collect();
    if config.unsigned_unintended() {
        problems.push(HealthProblem {
            variable: var::SIGNATURE_SECRET,
            problem: format!(
                "not set: Vonage's webhooks are refused (events and recordings 401, the answer \
                 webhook apologises); set it, or set {}=true if unsigned webhooks are intended",
                var::ALLOW_UNSIGNED_WEBHOOKS
            ),
        });
    }
    if let Ok(AuthSettings {
        users: Users::Shared(_),
        ..
    }) = &config.auth
    {
        problems.push(HealthProblem {
            variable: var::CLIENT_USER,
            problem: "set: every visitor logs in as this one Vonage user, so a token reaches \
                      every visitor's conversation; development only: unset it to give each call \
                      a user of its own"
                .into(),
        });
    }
    if !bindings.call_guard {
        problems.push(HealthProblem {
            variable: "CALL_GUARD",
            problem: "the Durable Object binding is missing: no call can be connected".into(),
        });
    }
    Health {
        status: if problems.is_empty() {
            "ok"
        } else {
            "degraded"
        },
        problems,
        signature_checking: config.signature_checking(),
        ops_api: matches!(&config.ops, Ok(o) if o.token.is_some()),
        event_log: bindings.event_log,
        rate_limiting: bindings.rate_limiting,
        call_guard: bindings.call_guard,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::config;

    fn bound() -> Bindings {
        Bindings {
            event_log: "kv",
            rate_limiting: true,
            call_guard: true,
        }
    }

    #[test]
    fn an_unconfigured_worker_is_degraded_and_names_what_is_missing() {
        let health = report(&config(&[]), bound());
        assert_eq!(health.http_status(), 503);
        let json = serde_json::to_value(&health).unwrap();
        assert_eq!(json["status"], "degraded");
        assert_eq!(json["problems"][0]["variable"], "VONAGE_APPLICATION_ID");
        assert_eq!(json["problems"][0]["problem"], "not set");
        assert_eq!(json["signature_checking"], false);
        assert_eq!(json["ops_api"], false);
        assert_eq!(
            serde_json::to_value(health.public()).unwrap(),
            serde_json::json!({"status": "degraded"})
        );
    }

    #[test]
    fn unsigned_webhooks_are_degraded_unless_intended() {
        let key = crate::vonage::private_key::tests::test_key_pem();
        let base = [
            (var::APPLICATION_ID, "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"),
            (var::PRIVATE_KEY, key.as_str()),
            (var::SUPPORT_NUMBER, "447700900000"),
            (var::DESTINATION_NUMBER, "447700900001"),
        ];
        let unsigned = report(&config(&base), bound());
        assert_eq!(unsigned.status, "degraded");
        assert!(
            unsigned.problems[0]
                .problem
                .contains("ALLOW_UNSIGNED_WEBHOOKS=true")
        );
        let intended = [&base[..], &[(var::ALLOW_UNSIGNED_WEBHOOKS, "true")]].concat();
        assert_eq!(report(&config(&intended), bound()).status, "ok");
        let secret = "s".repeat(40);
        let signed = [&base[..], &[(var::SIGNATURE_SECRET, secret.as_str())]].concat();
        assert_eq!(report(&config(&signed), bound()).status, "ok");
    }

    #[test]
    fn a_shared_user_is_degraded_and_says_it_is_for_development() {
        let key = crate::vonage::private_key::tests::test_key_pem();
        let vars = [
            (var::APPLICATION_ID, "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"),
            (var::PRIVATE_KEY, key.as_str()),
            (var::SUPPORT_NUMBER, "447700900000"),
            (var::DESTINATION_NUMBER, "447700900001"),
            (var::ALLOW_UNSIGNED_WEBHOOKS, "true"),
            (var::CLIENT_USER, "supportuser"),
        ];
        let shared = report(&config(&vars), bound());
        assert_eq!(shared.status, "degraded");
        assert_eq!(shared.problems[0].variable, var::CLIENT_USER);
        assert!(shared.problems[0].problem.contains("development only"));
        assert_eq!(report(&config(&vars[..5]), bound()).status, "ok");
    }
}
