//! Calls to play, rendered from the fixtures the JS tests use too:
//! `tests/scenarios/*.json` (which events, in which order) and
//! `tests/fixtures/call-legs.json` (what each looks like, after Vonage's
//! webhook reference). tests/helpers/scenarios.mjs renders them the same way.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Map, Value};

const SHAPES: &str = include_str!("../../../tests/fixtures/call-legs.json");
const SCENARIO_DIR: &str = "tests/scenarios";

/// One call shape, from `tests/scenarios/*.json`.
#[derive(Debug, Deserialize)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    /// Where the shapes come from (Vonage's references); `--list` prints them.
    #[serde(default)]
    pub sources: Vec<String>,
    /// `GET` (Vonage's default for answer URLs) or `POST`.
    #[serde(default = "default_method")]
    pub answer_method: String,
    /// `POST` (Vonage's default for event URLs) or `GET`.
    #[serde(default = "default_event_method")]
    pub event_method: String,
    /// The call ticket the call carries: `fresh` (from `/auth`, the
    /// default), `missing`, or `reused` (another call used it first).
    #[serde(default = "default_ticket")]
    pub ticket: String,
    /// Settings the scenario needs, e.g. `signature_secret`.
    #[serde(default)]
    pub requires: Vec<String>,
    pub events: Vec<ScenarioEvent>,
    #[serde(default)]
    pub expect: Expect,
}

fn default_method() -> String {
    "GET".into()
}

fn default_event_method() -> String {
    "POST".into()
}

fn default_ticket() -> String {
    "fresh".into()
}

fn default_answer() -> String {
    "connect".into()
}

#[derive(Debug, Deserialize)]
pub struct ScenarioEvent {
    /// `app` (the visitor's browser leg) or `phone` (the leg the NCCO connected).
    #[serde(default)]
    pub leg: Option<String>,
    /// A whole body instead of a leg's fields (shapes that belong to no leg).
    #[serde(default)]
    pub body: Option<Map<String, Value>>,
    #[serde(default)]
    pub status: Option<String>,
    /// The status the log files the event under, when the body has none
    /// (`error`, `record`, `transfer`, an RTC event's type); else `status`.
    #[serde(default)]
    pub logged_as: Option<String>,
    /// Milliseconds after the previous event.
    #[serde(default)]
    pub after_ms: u64,
    /// Extra fields of the body (duration, price, reason, ...).
    #[serde(default)]
    pub fields: Map<String, Value>,
    /// Send this body as is.
    #[serde(default)]
    pub raw_body: Option<String>,
    /// `wrong_secret`, `tampered` or `missing`: a signature the worker must refuse.
    #[serde(default)]
    pub signature: Option<String>,
    /// The refusal the worker must answer with.
    #[serde(default)]
    pub expect_refusal: Option<Refusal>,
}

#[derive(Debug, Deserialize)]
pub struct Refusal {
    pub status: u16,
    pub code: String,
}

#[derive(Debug, Deserialize)]
pub struct Expect {
    /// The NCCO: `connect`, or the words of one that dials no one
    /// (`apology`, `lines_busy`).
    #[serde(default = "default_answer")]
    pub answer: String,
    #[serde(default)]
    pub status: Option<String>,
    /// `answered`, `missed`, `failed`, `ended`, `in_progress`.
    #[serde(default)]
    pub outcome: Option<String>,
    #[serde(default)]
    pub duration_seconds: Option<u64>,
}

impl Default for Expect {
    fn default() -> Self {
        Self {
            answer: default_answer(),
            status: None,
            outcome: None,
            duration_seconds: None,
        }
    }
}

impl ScenarioEvent {
    /// What the ops timeline should show for this event.
    pub fn label(&self) -> &str {
        self.logged_as
            .as_deref()
            .or(self.status.as_deref())
            .unwrap_or("raw body")
    }
}

impl Scenario {
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// The given files, or every scenario in `tests/scenarios`.
pub fn scenario_files(given: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    if !given.is_empty() {
        return Ok(given.to_vec());
    }
    let dir = Path::new(SCENARIO_DIR);
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| {
            format!(
                "cannot list {} (run from the repository root, or pass --scenario): {e}",
                dir.display()
            )
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    found.sort();
    Ok(found)
}

/// The names filled into the fixtures for one call.
#[derive(Clone)]
pub struct CallIds {
    pub conversation_uuid: String,
    pub app_uuid: String,
    pub phone_uuid: String,
    pub user: String,
    pub support: String,
    pub destination: String,
    pub custom_data: String,
}

impl CallIds {
    fn lookup(&self, name: &str, timestamp: &str) -> Option<String> {
        Some(match name {
            "conversation_uuid" => self.conversation_uuid.clone(),
            "app_uuid" => self.app_uuid.clone(),
            "phone_uuid" => self.phone_uuid.clone(),
            "user" => self.user.clone(),
            "support" => self.support.clone(),
            "destination" => self.destination.clone(),
            "custom_data" => self.custom_data.clone(),
            "timestamp" => timestamp.to_owned(),
            _ => return None,
        })
    }
}

/// Replaces every `{name}` in the strings of a JSON value.
fn fill(value: &Value, ids: &CallIds, timestamp: &str) -> Value {
    match value {
        Value::String(s) => {
            let mut out = String::with_capacity(s.len());
            let mut rest = s.as_str();
            while let Some(open) = rest.find('{') {
                out.push_str(&rest[..open]);
                let after = &rest[open + 1..];
                let name_len = after
                    .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
                    .unwrap_or(after.len());
                match (
                    after.as_bytes().get(name_len),
                    ids.lookup(&after[..name_len], timestamp),
                ) {
                    (Some(b'}'), Some(v)) => {
                        out.push_str(&v);
                        rest = &after[name_len + 1..];
                    }
                    _ => {
                        out.push('{');
                        rest = after;
                    }
                }
            }
            out.push_str(rest);
            Value::String(out)
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| fill(v, ids, timestamp)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), fill(v, ids, timestamp)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn shapes() -> Value {
    serde_json::from_str(SHAPES).expect("tests/fixtures/call-legs.json is valid JSON")
}

/// The answer request's fields (GET query values are strings; `custom_data`
/// is the context as a JSON string).
pub fn answer_fields(ids: &CallIds) -> Map<String, Value> {
    match fill(&shapes()["answer"]["fields"], ids, "") {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// One event's body, at `timestamp`: a raw string, or JSON.
pub enum Body {
    Raw(String),
    Json(Map<String, Value>),
}

pub fn event_body(event: &ScenarioEvent, ids: &CallIds, timestamp: &str) -> Body {
    if let Some(raw) = &event.raw_body {
        return Body::Raw(raw.clone());
    }
    let template = match &event.body {
        Some(body) => Value::Object(body.clone()),
        None => shapes()["legs"][event.leg.as_deref().unwrap_or("app")]["fields"].clone(),
    };
    let mut body = match fill(&template, ids, timestamp) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    if let Some(status) = &event.status {
        body.insert("status".into(), Value::String(status.clone()));
    }
    if let Value::Object(fields) = fill(&Value::Object(event.fields.clone()), ids, timestamp) {
        body.extend(fields);
    }
    Body::Json(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> CallIds {
        CallIds {
            conversation_uuid: "CON-1".into(),
            app_uuid: "app".into(),
            phone_uuid: "phone".into(),
            user: "supportuser".into(),
            support: "447700900000".into(),
            destination: "447700900001".into(),
            custom_data: r#"{"page":"/"}"#.into(),
        }
    }

    #[test]
    fn placeholders_are_filled_and_unknown_braces_kept() {
        let v = fill(
            &Value::String("{support} at {timestamp} {nope} {".into()),
            &ids(),
            "T",
        );
        assert_eq!(v, "447700900000 at T {nope} {");
    }

    #[test]
    fn a_leg_event_keeps_the_fixture_order_then_status_then_fields() {
        let event: ScenarioEvent = serde_json::from_str(
            r#"{"leg":"phone","status":"completed","fields":{"duration":"42"}}"#,
        )
        .unwrap();
        let Body::Json(body) = event_body(&event, &ids(), "T") else {
            panic!()
        };
        let keys: Vec<_> = body.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "from",
                "to",
                "uuid",
                "conversation_uuid",
                "direction",
                "timestamp",
                "status",
                "duration"
            ]
        );
        assert_eq!(body["to"], "447700900001");
    }

    #[test]
    fn the_answer_is_an_in_app_call() {
        let fields = answer_fields(&ids());
        assert_eq!(fields["from_user"], "supportuser");
        assert_eq!(fields["endpoint_type"], "app");
        assert!(!fields.contains_key("from"));
    }
}
