//! The simulator's settings: the worker's own variables, from `.dev.vars`
//! then the environment.

use std::collections::HashMap;
use std::path::Path;

use edge_click_to_call::config::var;

/// The variables the simulator reads, by the worker's names.
const READS: [&str; 9] = [
    var::PRIVATE_KEY,
    var::APPLICATION_ID,
    var::OPS_TOKEN,
    var::SIGNATURE_SECRET,
    var::SUPPORT_NUMBER,
    var::DESTINATION_NUMBER,
    var::DESTINATION_NUMBERS,
    var::CLIENT_USER,
    var::VONAGE_API_URL,
];

pub const HELP: &str = "Settings come from .dev.vars, then the environment, by the worker's names: \
VONAGE_PRIVATE_KEY, VONAGE_APPLICATION_ID, OPS_TOKEN, VONAGE_SIGNATURE_SECRET, \
SUPPORT_PHONE_NUMBER, DESTINATION_PHONE_NUMBER(S), CLIENT_USER, VONAGE_API_URL \
(when it is an http origin on this machine, the simulator serves Vonage's Users and \
media APIs there: a user per call, and the voicemail recordings).";

pub struct Settings {
    pub url: String,
    vars: HashMap<String, String>,
}

impl Settings {
    pub fn load(url: &str, dev_vars: Option<&Path>) -> Result<Self, String> {
        let mut vars = HashMap::new();
        let default = Path::new(".dev.vars");
        let file = dev_vars.or_else(|| default.exists().then_some(default));
        if let Some(file) = file {
            let iter = dotenvy::from_path_iter(file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            for item in iter {
                let (k, v) = item.map_err(|e| format!("{}: {e}", file.display()))?;
                vars.insert(k, v);
            }
        }
        for name in READS {
            if let Ok(v) = std::env::var(name) {
                vars.insert(name.into(), v);
            }
        }
        Ok(Self {
            url: url.trim_end_matches('/').to_owned(),
            vars,
        })
    }

    /// A variable, unless unset or blank.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    /// A variable, or the worker's default for it.
    pub fn var_or<'a>(&'a self, name: &str, default: &'a str) -> &'a str {
        self.var(name).unwrap_or(default)
    }

    pub fn signing(&self) -> bool {
        self.var(var::SIGNATURE_SECRET).is_some()
    }
}
