//! `/healthz`: what is configured and what is not, by name only.

use serde::Serialize;

use crate::config::{Config, Problem};

#[derive(Debug, Serialize)]
pub struct Health {
    /// `ok` when every variable is usable, `degraded` otherwise.
    pub status: &'static str,
    pub problems: Vec<HealthProblem>,
    pub signature_checking: bool,
    pub ops_api: bool,
    /// `queue` or `kv`: where the event webhook sends events.
    pub event_log: &'static str,
    pub rate_limiting: bool,
}

#[derive(Debug, Serialize)]
pub struct HealthProblem {
    pub variable: &'static str,
    pub problem: String,
}

impl Health {
    pub fn http_status(&self) -> u16 {
        if self.problems.is_empty() { 200 } else { 503 }
    }
}

pub fn report(config: &Config, event_log: &'static str, rate_limiting: bool) -> Health {
    let problems: Vec<HealthProblem> = config
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
    Health {
        status: if problems.is_empty() {
            "ok"
        } else {
            "degraded"
        },
        problems,
        signature_checking: config.signature_checking(),
        ops_api: matches!(&config.ops, Ok(o) if o.token.is_some()),
        event_log,
        rate_limiting,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unconfigured_worker_is_degraded_and_names_what_is_missing() {
        let health = report(&Config::from_lookup(|_| None), "kv", false);
        assert_eq!(health.http_status(), 503);
        let json = serde_json::to_value(&health).unwrap();
        assert_eq!(json["status"], "degraded");
        assert_eq!(json["problems"][0]["variable"], "VONAGE_APPLICATION_ID");
        assert_eq!(json["problems"][0]["problem"], "not set");
        assert_eq!(json["signature_checking"], false);
        assert_eq!(json["ops_api"], false);
    }
}
