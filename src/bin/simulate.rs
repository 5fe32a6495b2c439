//! Plays Vonage's side of a click-to-call against a running worker, so the
//! whole flow can be developed and tested without a tunnel:
//!
//! 1. fetches a token from `/auth` and verifies it with the public key of the
//!    configured private key;
//! 2. requests the answer webhook as Vonage does for an in-app call and checks
//!    the NCCO against Vonage's rules;
//! 3. posts each scenario's call events (signed like Vonage when a signature
//!    secret is configured);
//! 4. reads the call back from the ops API and prints its timeline.
//!
//! Any deviation makes the exit code non-zero, so it doubles as a smoke test.
//! It shares the worker's own types (NCCO, token response, ops view) and its
//! payload-hash code.
//!
//! ```text
//! cargo run --bin simulate -- [--url http://localhost:8787] [--dev-vars .dev.vars]
//!                             [--scenario tests/scenarios/completed.json ...]
//! ```
//! Settings come from `.dev.vars`, then the environment (same variable names).

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    native::main()
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::collections::HashMap;
    use std::path::{Path, PathBuf};
    use std::process::ExitCode;
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use edge_click_to_call::config::PhoneNumber;
    use edge_click_to_call::key::PrivateKey;
    use edge_click_to_call::ncco::{Action, Endpoint};
    use edge_click_to_call::ops::CallView;
    use edge_click_to_call::token::{ACL_PATHS, TokenResponse};
    use edge_click_to_call::webhook::{Payload, payload_hash};
    use jwt_compact::alg::{Hs256, Hs256Key, Rsa};
    use jwt_compact::{AlgorithmExt, Claims, Header, UntrustedToken};
    use rsa::RsaPrivateKey;
    use rsa::pkcs8::DecodePrivateKey;
    use serde::Deserialize;
    use serde_json::{Map, Value, json};

    const HELP: &str = "usage: simulate [--url URL] [--dev-vars FILE] [--scenario FILE]... [--list]
  --url URL        the worker (default http://localhost:8787)
  --dev-vars FILE  settings file (default .dev.vars when present); the environment overrides it
  --scenario FILE  a scenario to play (repeatable; default: every tests/scenarios/*.json)
Settings: VONAGE_PRIVATE_KEY, VONAGE_APPLICATION_ID, OPS_TOKEN, VONAGE_SIGNATURE_SECRET,
          SUPPORT_PHONE_NUMBER, DESTINATION_PHONE_NUMBER, CLIENT_USER";

    /// NCCO `talk.text` limit (Vonage NCCO reference).
    const TALK_TEXT_MAX: usize = 1500;

    /// One call shape, from `tests/scenarios/*.json`.
    #[derive(Debug, Deserialize)]
    struct Scenario {
        name: String,
        description: String,
        /// `GET` (Vonage's default for answer URLs) or `POST`.
        #[serde(default = "default_method")]
        answer_method: String,
        /// Settings the scenario needs, e.g. `signature_secret`.
        #[serde(default)]
        requires: Vec<String>,
        events: Vec<ScenarioEvent>,
        #[serde(default)]
        expect: Expect,
    }

    fn default_method() -> String {
        "GET".into()
    }

    #[derive(Debug, Deserialize)]
    struct ScenarioEvent {
        /// `app` (the visitor's browser leg) or `phone` (the leg the NCCO connected).
        #[serde(default)]
        leg: Option<String>,
        #[serde(default)]
        status: Option<String>,
        /// Milliseconds after the previous event.
        #[serde(default)]
        after_ms: u64,
        /// Extra fields of the body (duration, price, reason, ...).
        #[serde(default)]
        fields: Map<String, Value>,
        /// Send this body as is instead of building one.
        #[serde(default)]
        raw_body: Option<String>,
        /// `wrong_secret`, `tampered` or `missing`: a signature the worker must refuse.
        #[serde(default)]
        signature: Option<String>,
        /// The refusal the worker must answer with.
        #[serde(default)]
        expect_refusal: Option<Refusal>,
    }

    #[derive(Debug, Deserialize)]
    struct Refusal {
        status: u16,
        code: String,
    }

    #[derive(Debug, Default, Deserialize)]
    struct Expect {
        #[serde(default)]
        status: Option<String>,
        #[serde(default)]
        duration_seconds: Option<u64>,
    }

    struct Settings {
        url: String,
        vars: HashMap<String, String>,
        scenarios: Vec<PathBuf>,
    }

    impl Settings {
        fn var(&self, name: &str) -> Option<&str> {
            self.vars
                .get(name)
                .map(String::as_str)
                .filter(|v| !v.trim().is_empty())
        }
    }

    struct Sim {
        settings: Settings,
        agent: ureq::Agent,
        failures: usize,
    }

    enum Outcome {
        Passed,
        Failed,
        Skipped,
    }

    struct Response {
        status: u16,
        body: String,
    }

    fn parse_args() -> Result<Settings, String> {
        let mut url = "http://localhost:8787".to_owned();
        let mut dev_vars: Option<PathBuf> = None;
        let mut scenarios = Vec::new();
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
            match arg.as_str() {
                "--url" => url = value("--url")?.trim_end_matches('/').to_owned(),
                "--dev-vars" => dev_vars = Some(value("--dev-vars")?.into()),
                "--scenario" => scenarios.push(value("--scenario")?.into()),
                "-h" | "--help" => return Err(HELP.into()),
                other => return Err(format!("unknown argument {other:?}\n{HELP}")),
            }
        }
        let mut vars = HashMap::new();
        let file = dev_vars
            .clone()
            .or_else(|| Path::new(".dev.vars").exists().then(|| ".dev.vars".into()));
        if let Some(file) = file {
            let iter = dotenvy::from_path_iter(&file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            for item in iter {
                let (k, v) = item.map_err(|e| format!("{}: {e}", file.display()))?;
                vars.insert(k, v);
            }
        }
        for name in [
            "VONAGE_PRIVATE_KEY",
            "VONAGE_APPLICATION_ID",
            "OPS_TOKEN",
            "VONAGE_SIGNATURE_SECRET",
            "SUPPORT_PHONE_NUMBER",
            "DESTINATION_PHONE_NUMBER",
            "CLIENT_USER",
        ] {
            if let Ok(v) = std::env::var(name) {
                vars.insert(name.into(), v);
            }
        }
        if scenarios.is_empty() {
            let dir = Path::new("tests/scenarios");
            let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
                .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            found.sort();
            scenarios = found;
        }
        Ok(Settings {
            url,
            vars,
            scenarios,
        })
    }

    fn now_ms() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or_default()
    }

    fn iso(ms: u64) -> String {
        edge_click_to_call::events::millis_to_rfc3339(ms)
    }

    fn random_hex(bytes: usize) -> String {
        let mut buf = vec![0u8; bytes];
        getrandom::getrandom(&mut buf).expect("the OS has randomness");
        hex::encode(buf)
    }

    fn uuid() -> String {
        let h = random_hex(16);
        format!(
            "{}-{}-4{}-a{}-{}",
            &h[0..8],
            &h[8..12],
            &h[13..16],
            &h[17..20],
            &h[20..32]
        )
    }

    impl Sim {
        fn ok(&self, what: &str) {
            println!("  ✓ {what}");
        }

        fn deviation(&mut self, what: &str) {
            println!("  ✗ {what}");
            self.failures += 1;
        }

        fn send(
            &self,
            method: &str,
            path: &str,
            headers: &[(&str, String)],
            body: Option<&[u8]>,
        ) -> Result<Response, String> {
            let url = format!("{}{}", self.settings.url, path);
            let result = match (method, body) {
                ("GET", _) => {
                    let mut req = self.agent.get(&url);
                    for (k, v) in headers {
                        req = req.header(*k, v);
                    }
                    req.call()
                }
                (_, body) => {
                    let mut req = self.agent.post(&url);
                    for (k, v) in headers {
                        req = req.header(*k, v);
                    }
                    req.send(body.unwrap_or_default())
                }
            };
            let mut res = result.map_err(|e| format!("{method} {path}: {e}"))?;
            let status = res.status().as_u16();
            let body = res
                .body_mut()
                .read_to_string()
                .map_err(|e| format!("{method} {path}: {e}"))?;
            Ok(Response { status, body })
        }

        /// Vonage's signed-webhook header, when a signature secret is configured.
        fn signature(&self, payload: &Payload<'_>, secret: Option<&str>) -> Option<String> {
            let secret = secret.or(self.settings.var("VONAGE_SIGNATURE_SECRET"))?;
            let custom = json!({
                "jti": uuid(),
                "iss": "Vonage",
                "api_key": "simulator",
                "application_id": self.settings.var("VONAGE_APPLICATION_ID"),
                "payload_hash": payload_hash(payload),
            });
            let mut claims = Claims::new(custom);
            claims.issued_at = chrono::DateTime::from_timestamp((now_ms() / 1000) as i64, 0);
            let header = Header::empty().with_token_type("JWT");
            let token = Hs256
                .token(&header, &claims, &Hs256Key::new(secret.as_bytes()))
                .ok()?;
            Some(format!("Bearer {token}"))
        }

        fn check_token(&mut self) -> Result<(), String> {
            println!("── /auth");
            let res = self.send("GET", "/auth", &[], None)?;
            if res.status != 200 {
                self.deviation(&format!("/auth answered {}: {}", res.status, res.body));
                return Ok(());
            }
            let token: TokenResponse =
                serde_json::from_str(&res.body).map_err(|e| format!("/auth body: {e}"))?;
            let Some(pem) = self.settings.var("VONAGE_PRIVATE_KEY") else {
                self.deviation("VONAGE_PRIVATE_KEY is not set here, so the token's signature cannot be checked");
                return Ok(());
            };
            let pkcs8 =
                PrivateKey::from_pem(pem).map_err(|e| format!("VONAGE_PRIVATE_KEY: {e}"))?;
            let private = RsaPrivateKey::from_pkcs8_der(pkcs8.pkcs8_der())
                .map_err(|e| format!("VONAGE_PRIVATE_KEY: {e}"))?;
            let public = private.to_public_key();
            let untrusted = UntrustedToken::new(&token.token)
                .map_err(|e| format!("the token is not a JWT: {e}"))?;
            if Rsa::rs256()
                .validator::<Value>(&public)
                .validate(&untrusted)
                .is_err()
            {
                self.deviation("the token's RS256 signature does not verify with the public key of VONAGE_PRIVATE_KEY");
                return Ok(());
            }
            self.ok(&format!(
                "RS256 token for {:?} verifies with the public key of VONAGE_PRIVATE_KEY",
                token.user
            ));
            // Decode the claims as sent (jwt-compact lifts iat/exp out of its model).
            use base64::Engine;
            let payload = token.token.split('.').nth(1).unwrap_or_default();
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap_or_default();
            let claims: Value = serde_json::from_slice(&bytes).unwrap_or_default();
            let (iat, exp) = (
                claims["iat"].as_u64().unwrap_or(0),
                claims["exp"].as_u64().unwrap_or(0),
            );
            let paths: Vec<&str> = claims["acl"]["paths"]
                .as_object()
                .map(|m| m.keys().map(String::as_str).collect())
                .unwrap_or_default();
            println!(
                "    claims: application_id={} sub={} iat={} exp={} (+{} s) jti={} acl={} paths",
                claims["application_id"],
                claims["sub"],
                iat,
                exp,
                exp.saturating_sub(iat),
                claims["jti"],
                paths.len()
            );
            let mut problems = Vec::new();
            if let Some(app) = self.settings.var("VONAGE_APPLICATION_ID")
                && claims["application_id"] != app
            {
                problems.push("application_id is not VONAGE_APPLICATION_ID".to_owned());
            }
            if claims["sub"] != token.user.as_str() {
                problems.push("sub is not the user /auth named".into());
            }
            if !(30..=86_400).contains(&exp.saturating_sub(iat)) || exp != token.expires_at {
                problems.push("exp must be 30 s to 24 h after iat and equal expires_at".into());
            }
            if claims["jti"].as_str().is_none_or(str::is_empty) {
                problems.push("no jti".into());
            }
            let mut sorted_paths = paths.clone();
            sorted_paths.sort();
            let mut expected: Vec<&str> = ACL_PATHS.to_vec();
            expected.sort();
            if sorted_paths != expected {
                problems.push("the acl paths are not the Client SDK's".into());
            }
            match problems.is_empty() {
                true => self.ok("claims are the ones Vonage's Client SDK expects"),
                false => self.deviation(&format!("claims: {}", problems.join("; "))),
            }
            Ok(())
        }

        /// Vonage's rules for the NCCO we answer with.
        fn check_ncco(&mut self, body: &str) {
            let ncco: Vec<Action> = match serde_json::from_str(body) {
                Ok(n) => n,
                Err(e) => {
                    return self.deviation(&format!(
                        "the answer is not an NCCO this service defines: {e}: {body}"
                    ));
                }
            };
            let mut problems = Vec::new();
            let mut connect = None;
            for action in &ncco {
                match action {
                    Action::Talk { text }
                        if text.is_empty() || text.chars().count() > TALK_TEXT_MAX =>
                    {
                        problems.push(format!("talk text must be 1 to {TALK_TEXT_MAX} characters"))
                    }
                    Action::Talk { .. } => {}
                    Action::Connect { from, endpoint } => {
                        if connect.replace((from.clone(), endpoint.clone())).is_some() {
                            problems.push("more than one connect".into());
                        }
                    }
                }
            }
            let Some((from, endpoints)) = connect else {
                return self.deviation(&format!(
                    "the NCCO connects no one (an apology? check /healthz): {body}"
                ));
            };
            let [Endpoint::Phone { number }] = endpoints.as_slice() else {
                return self.deviation("connect must have exactly one phone endpoint");
            };
            for (what, n) in [("connect.from", &from), ("endpoint number", number)] {
                if PhoneNumber::parse(n)
                    .map(|p| p.as_str() != n)
                    .unwrap_or(true)
                {
                    problems.push(format!("{what} is not an E.164 number without '+'"));
                }
            }
            if let Some(support) = self.settings.var("SUPPORT_PHONE_NUMBER")
                && support != from
            {
                problems.push("connect.from is not SUPPORT_PHONE_NUMBER".into());
            }
            if let Some(dest) = self.settings.var("DESTINATION_PHONE_NUMBER")
                && dest != number
            {
                problems.push("the endpoint is not DESTINATION_PHONE_NUMBER".into());
            }
            let greeting = ncco.iter().find_map(|a| match a {
                Action::Talk { text } => Some(text.as_str()),
                _ => None,
            });
            match problems.is_empty() {
                true => self.ok(&format!(
                    "NCCO: talk {:?}, then connect {from} → {number}",
                    greeting.unwrap_or("(no greeting)")
                )),
                false => self.deviation(&format!("NCCO: {}", problems.join("; "))),
            }
        }

        fn play(&mut self, path: &Path) -> Result<Outcome, String> {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let scenario: Scenario =
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            println!("── scenario {}: {}", scenario.name, scenario.description);
            for need in &scenario.requires {
                let var = match need.as_str() {
                    "signature_secret" => "VONAGE_SIGNATURE_SECRET",
                    other => {
                        return Err(format!("{}: unknown requirement {other:?}", path.display()));
                    }
                };
                if self.settings.var(var).is_none() {
                    println!("  - skipped: needs {var}");
                    return Ok(Outcome::Skipped);
                }
            }
            let before = self.failures;
            let user = self
                .settings
                .var("CLIENT_USER")
                .unwrap_or("supportuser")
                .to_owned();
            let support = self
                .settings
                .var("SUPPORT_PHONE_NUMBER")
                .unwrap_or("447700900000")
                .to_owned();
            let destination = self
                .settings
                .var("DESTINATION_PHONE_NUMBER")
                .unwrap_or("447700900001")
                .to_owned();
            let conversation = format!("CON-{}", uuid());
            let (app_leg, phone_leg) = (uuid(), uuid());

            // 1. The answer webhook, as Vonage requests it for serverCall({page: "/"}).
            let query = vec![
                ("to".to_owned(), support.clone()),
                ("from".to_owned(), user.clone()),
                ("uuid".to_owned(), app_leg.clone()),
                ("conversation_uuid".to_owned(), conversation.clone()),
                ("custom_data".to_owned(), r#"{"page":"/"}"#.to_owned()),
            ];
            let answer = if scenario.answer_method.eq_ignore_ascii_case("POST") {
                let mut body = Map::new();
                for (k, v) in &query {
                    body.insert(k.clone(), Value::String(v.clone()));
                }
                body.insert("custom_data".into(), json!({"page": "/"}));
                let body = serde_json::to_vec(&body).unwrap_or_default();
                let mut headers = vec![("Content-Type", "application/json".to_owned())];
                headers.extend(
                    self.signature(&Payload::Body(&body), None)
                        .map(|s| ("Authorization", s)),
                );
                self.send("POST", "/webhooks/answer", &headers, Some(&body))?
            } else {
                let encoded: String = query
                    .iter()
                    .map(|(k, v)| format!("{k}={}", form_encode(v)))
                    .collect::<Vec<_>>()
                    .join("&");
                let headers: Vec<(&str, String)> = self
                    .signature(&Payload::Query(&query), None)
                    .map(|s| ("Authorization", s))
                    .into_iter()
                    .collect();
                self.send(
                    "GET",
                    &format!("/webhooks/answer?{encoded}"),
                    &headers,
                    None,
                )?
            };
            if answer.status == 200 {
                self.check_ncco(&answer.body);
            } else {
                self.deviation(&format!(
                    "the answer webhook answered {}: {}",
                    answer.status, answer.body
                ));
            }

            // 2. The events.
            let mut at = now_ms();
            let mut accepted = Vec::new();
            for event in &scenario.events {
                at += event.after_ms;
                let body = match &event.raw_body {
                    Some(raw) => raw.clone().into_bytes(),
                    None => {
                        let (uuid, from, to, direction) = match event.leg.as_deref() {
                            Some("phone") => (&phone_leg, &support, &destination, "outbound"),
                            _ => (&app_leg, &user, &support, "inbound"),
                        };
                        let mut body = Map::new();
                        body.insert("from".into(), json!(from));
                        body.insert("to".into(), json!(to));
                        body.insert("uuid".into(), json!(uuid));
                        body.insert("conversation_uuid".into(), json!(conversation));
                        body.insert(
                            "status".into(),
                            json!(event.status.as_deref().unwrap_or("started")),
                        );
                        body.insert("direction".into(), json!(direction));
                        body.insert("timestamp".into(), json!(iso(at)));
                        body.extend(event.fields.clone());
                        serde_json::to_vec(&body).unwrap_or_default()
                    }
                };
                let mut headers = vec![("Content-Type", "application/json".to_owned())];
                let signature = match event.signature.as_deref() {
                    None => self.signature(&Payload::Body(&body), None),
                    Some("missing") => None,
                    Some("wrong_secret") => self.signature(
                        &Payload::Body(&body),
                        Some("not-the-signature-secret-0123456789"),
                    ),
                    Some("tampered") => {
                        self.signature(&Payload::Body(b"{\"status\":\"something else\"}"), None)
                    }
                    Some(other) => {
                        return Err(format!(
                            "{}: unknown signature kind {other:?}",
                            path.display()
                        ));
                    }
                };
                headers.extend(signature.map(|s| ("Authorization", s)));
                let res = self.send("POST", "/webhooks/event", &headers, Some(&body))?;
                let label = event.status.as_deref().unwrap_or("raw body");
                match &event.expect_refusal {
                    Some(refusal) => {
                        let code = serde_json::from_str::<Value>(&res.body)
                            .ok()
                            .and_then(|v| v["error"]["code"].as_str().map(str::to_owned));
                        if res.status == refusal.status
                            && code.as_deref() == Some(refusal.code.as_str())
                        {
                            self.ok(&format!(
                                "{label}: refused as expected, {} {}",
                                res.status, refusal.code
                            ));
                        } else {
                            self.deviation(&format!(
                                "{label}: expected {} {}, got {} {}",
                                refusal.status, refusal.code, res.status, res.body
                            ));
                        }
                    }
                    None if res.status == 200 => accepted.push(label.to_owned()),
                    None => self.deviation(&format!(
                        "event {label} refused: {} {}",
                        res.status, res.body
                    )),
                }
            }
            if !accepted.is_empty() {
                self.ok(&format!(
                    "{} events accepted{}",
                    accepted.len(),
                    if self.settings.var("VONAGE_SIGNATURE_SECRET").is_some() {
                        " (signed)"
                    } else {
                        ""
                    }
                ));
            }

            // 3. The call as ops see it.
            self.read_back(&conversation, &accepted, &scenario.expect)?;
            Ok(if self.failures == before {
                Outcome::Passed
            } else {
                Outcome::Failed
            })
        }

        fn read_back(
            &mut self,
            conversation: &str,
            accepted: &[String],
            expect: &Expect,
        ) -> Result<(), String> {
            let Some(token) = self.settings.var("OPS_TOKEN").map(str::to_owned) else {
                self.deviation("OPS_TOKEN is not set here, so the call cannot be read back");
                return Ok(());
            };
            let headers = [("Authorization", format!("Bearer {token}"))];
            let wanted = accepted.len() + 1; // + the answer webhook's entry
            let mut view: Option<CallView> = None;
            for _ in 0..150 {
                let res =
                    self.send("GET", &format!("/ops/calls/{conversation}"), &headers, None)?;
                if res.status == 200 {
                    let v: CallView =
                        serde_json::from_str(&res.body).map_err(|e| format!("ops view: {e}"))?;
                    let done = v.events.len() >= wanted;
                    view = Some(v);
                    if done {
                        break;
                    }
                } else if res.status != 404 {
                    self.deviation(&format!(
                        "the ops API answered {}: {}",
                        res.status, res.body
                    ));
                    return Ok(());
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let Some(view) = view else {
                self.deviation("the call never appeared in the ops API");
                return Ok(());
            };
            let duration = view
                .duration_seconds
                .map(|s| format!(", {}:{:02}", s / 60, s % 60))
                .unwrap_or_default();
            let price = view
                .price
                .as_ref()
                .map(|p| format!(", price {p}"))
                .unwrap_or_default();
            println!("  call {} — {}{duration}{price}", view.call_id, view.status);
            for e in &view.events {
                let detail = match e.is_answer_webhook() {
                    true => format!(
                        "answer webhook: {}",
                        e.raw_field("ncco")
                            .as_ref()
                            .and_then(Value::as_str)
                            .unwrap_or("?")
                    ),
                    false => format!(
                        "{} {} → {}",
                        e.direction.as_deref().unwrap_or("-"),
                        e.from.as_deref().unwrap_or("?"),
                        e.to.as_deref().unwrap_or("?")
                    ),
                };
                println!(
                    "    {}  {:<11} {detail}",
                    e.at.get(11..23).unwrap_or(&e.at),
                    e.status
                );
            }
            let mut logged: Vec<String> = view
                .events
                .iter()
                .filter(|e| !e.is_answer_webhook())
                .map(|e| e.status.clone())
                .collect();
            let mut sent = accepted.to_vec();
            logged.sort();
            sent.sort();
            let mut problems = Vec::new();
            if view.events.len() != wanted || logged != sent {
                problems.push(format!(
                    "the log holds {} entries, expected {wanted} (answer + {} events)",
                    view.events.len(),
                    accepted.len()
                ));
            }
            if let Some(status) = &expect.status
                && &view.status != status
            {
                problems.push(format!("status {:?}, expected {status:?}", view.status));
            }
            if expect.duration_seconds.is_some() && view.duration_seconds != expect.duration_seconds
            {
                problems.push(format!(
                    "duration {:?}, expected {:?}",
                    view.duration_seconds, expect.duration_seconds
                ));
            }
            match problems.is_empty() {
                true => self.ok("ops timeline matches what was sent"),
                false => self.deviation(&format!("ops: {}", problems.join("; "))),
            }
            Ok(())
        }
    }

    /// application/x-www-form-urlencoded, via the `url` crate's serializer.
    fn form_encode(value: &str) -> String {
        let encoded: String = form_urlencoded::byte_serialize(value.as_bytes()).collect();
        encoded
    }

    pub fn main() -> ExitCode {
        let settings = match parse_args() {
            Ok(s) => s,
            Err(message) => {
                eprintln!("{message}");
                return ExitCode::from(2);
            }
        };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(15)))
            .build()
            .into();
        println!("edge click-to-call simulator → {}", settings.url);
        let scenarios = settings.scenarios.clone();
        let mut sim = Sim {
            settings,
            agent,
            failures: 0,
        };
        let (mut passed, mut failed, mut skipped) = (0, 0, 0);
        if let Err(e) = sim.check_token() {
            sim.deviation(&e);
        }
        for path in &scenarios {
            match sim.play(path) {
                Ok(Outcome::Passed) => passed += 1,
                Ok(Outcome::Skipped) => skipped += 1,
                Ok(Outcome::Failed) => failed += 1,
                Err(e) => {
                    sim.deviation(&e);
                    failed += 1;
                }
            }
        }
        println!(
            "RESULT: {passed} scenarios passed, {failed} failed, {skipped} skipped; {} deviations",
            sim.failures
        );
        if sim.failures == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    }
}
