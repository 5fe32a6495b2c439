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
    /// Where Vonage asks for the NCCO: the answer webhook, or
    /// `/webhooks/fallback` when the application's answer URL failed.
    #[serde(default = "default_answer_path")]
    pub answer_path: String,
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
    /// After the call, the visitor asks to be called back (`name`, `phone`, `note`).
    #[serde(default)]
    pub callback: Option<Map<String, Value>>,
    /// A full line: three callers on one line (`line.rs`), not one call.
    #[serde(default)]
    pub line: bool,
    #[serde(default)]
    pub expect: Expect,
}

fn default_method() -> String {
    "GET".into()
}

fn default_answer_path() -> String {
    "/webhooks/answer".into()
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
    /// `app` (the visitor's browser leg), `phone` (the leg the NCCO
    /// connected) or `record` (the voicemail's recording event).
    #[serde(default)]
    pub leg: Option<String>,
    /// For a `phone` leg: which number of the ring list it rings (0: the first).
    #[serde(default)]
    pub ring: usize,
    /// How long what the event reports took (a recording's length), in ms.
    #[serde(default)]
    pub lasts_ms: u64,
    /// A whole body instead of a leg's fields (shapes that belong to no leg).
    #[serde(default)]
    pub body: Option<Map<String, Value>>,
    #[serde(default)]
    pub status: Option<String>,
    /// The status the log files the event under, when the body has none
    /// (`error`, `record`, `transfer`, an RTC event's type); else `status`.
    #[serde(default)]
    pub logged_as: Option<String>,
    /// `rtc`: an RTC event, posted unsigned to `/webhooks/rtc` (the
    /// application's RTC event URL), as Vonage does not sign them.
    #[serde(default)]
    pub to: Option<String>,
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
    /// The NCCO: `connect`, `voicemail` (out of hours), or the words of
    /// one that dials no one (`apology`, `lines_busy`).
    #[serde(default = "default_answer")]
    pub answer: String,
    /// The call's path in words, as the ops view tells it.
    #[serde(default)]
    pub path: Option<String>,
    /// Whether the voicemail must be playable through the ops API.
    #[serde(default)]
    pub recording: bool,
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
            path: None,
            recording: false,
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
    /// One leg per number of the ring list.
    pub phone_uuids: Vec<String>,
    pub user: String,
    pub support: String,
    /// The ring list, in order.
    pub destinations: Vec<String>,
    pub custom_data: String,
    pub recording_uuid: String,
    /// Where recordings are fetched from: Vonage's API, or the simulator's.
    pub media_origin: String,
}

/// What one event's placeholders are filled with.
struct Vars<'a> {
    ids: &'a CallIds,
    ring: usize,
    timestamp: &'a str,
    began: &'a str,
}

impl Vars<'_> {
    fn lookup(&self, name: &str) -> Option<String> {
        let ids = self.ids;
        Some(match name {
            "conversation_uuid" => ids.conversation_uuid.clone(),
            "app_uuid" => ids.app_uuid.clone(),
            "phone_uuid" => ids.phone_uuids.get(self.ring)?.clone(),
            "user" => ids.user.clone(),
            "support" => ids.support.clone(),
            "destination" => ids.destinations.get(self.ring)?.clone(),
            "custom_data" => ids.custom_data.clone(),
            "recording_uuid" => ids.recording_uuid.clone(),
            "recording_url" => format!("{}/v1/files/{}", ids.media_origin, ids.recording_uuid),
            "timestamp" => self.timestamp.to_owned(),
            "began" => self.began.to_owned(),
            _ => return None,
        })
    }
}

/// Replaces every `{name}` in the strings of a JSON value.
fn fill(value: &Value, vars: &Vars<'_>) -> Value {
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
                    vars.lookup(&after[..name_len]),
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
        Value::Array(items) => Value::Array(items.iter().map(|v| fill(v, vars)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), fill(v, vars)))
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
    let vars = Vars {
        ids,
        ring: 0,
        timestamp: "",
        began: "",
    };
    match fill(&shapes()["answer"]["fields"], &vars) {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// One event's body, at `timestamp`: a raw string, or JSON.
pub enum Body {
    Raw(String),
    Json(Map<String, Value>),
}

/// An event's body, `at_ms` its time.
pub fn event_body(event: &ScenarioEvent, ids: &CallIds, at_ms: u64) -> Body {
    if let Some(raw) = &event.raw_body {
        return Body::Raw(raw.clone());
    }
    let timestamp = edge_click_to_call::shared::time::rfc3339_ms(at_ms);
    let began = edge_click_to_call::shared::time::rfc3339_ms(at_ms.saturating_sub(event.lasts_ms));
    let vars = Vars {
        ids,
        ring: event.ring,
        timestamp: &timestamp,
        began: &began,
    };
    let template = match &event.body {
        Some(body) => Value::Object(body.clone()),
        None => shapes()["legs"][event.leg.as_deref().unwrap_or("app")]["fields"].clone(),
    };
    let mut body = match fill(&template, &vars) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    if let Some(status) = &event.status {
        body.insert("status".into(), Value::String(status.clone()));
    }
    if let Value::Object(fields) = fill(&Value::Object(event.fields.clone()), &vars) {
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
            phone_uuids: vec!["phone".into(), "phone2".into()],
            user: "supportuser".into(),
            support: "447700900000".into(),
            destinations: vec!["447700900001".into(), "447700900002".into()],
            custom_data: r#"{"page":"/"}"#.into(),
            recording_uuid: "rec".into(),
            media_origin: "http://127.0.0.1:8788".into(),
        }
    }

    #[test]
    fn placeholders_are_filled_and_unknown_braces_kept() {
        let ids = ids();
        let vars = Vars {
            ids: &ids,
            ring: 0,
            timestamp: "T",
            began: "B",
        };
        let v = fill(
            &Value::String("{support} at {timestamp} {nope} {".into()),
            &vars,
        );
        assert_eq!(v, "447700900000 at T {nope} {");
    }

    #[test]
    fn a_leg_event_keeps_the_fixture_order_then_status_then_fields() {
        let event: ScenarioEvent = serde_json::from_str(
            r#"{"leg":"phone","status":"completed","fields":{"duration":"42"}}"#,
        )
        .unwrap();
        let Body::Json(body) = event_body(&event, &ids(), 0) else {
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
        let second: ScenarioEvent =
            serde_json::from_str(r#"{"leg":"phone","ring":1,"status":"ringing"}"#).unwrap();
        let Body::Json(body) = event_body(&second, &ids(), 0) else {
            panic!()
        };
        assert_eq!(
            (&body["to"], &body["uuid"]),
            (&"447700900002".into(), &"phone2".into())
        );
    }

    #[test]
    fn a_recording_event_names_the_file_and_its_length() {
        let record: ScenarioEvent =
            serde_json::from_str(r#"{"leg":"record","lasts_ms":41000}"#).unwrap();
        let Body::Json(body) = event_body(&record, &ids(), 41_000) else {
            panic!()
        };
        assert_eq!(body["recording_url"], "http://127.0.0.1:8788/v1/files/rec");
        assert_eq!(body["start_time"], "1970-01-01T00:00:00.000Z");
        assert_eq!(body["end_time"], "1970-01-01T00:00:41.000Z");
        assert!(!body.contains_key("status"));
    }

    #[test]
    fn the_answer_is_an_in_app_call() {
        let fields = answer_fields(&ids());
        assert_eq!(fields["from_user"], "supportuser");
        assert_eq!(fields["endpoint_type"], "app");
        assert!(!fields.contains_key("from"));
    }
}
