//! What Vonage would check: the token `/auth` mints, the NCCO the answer
//! webhook returns.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use edge_click_to_call::config::var;
use edge_click_to_call::shared::paths;
use edge_click_to_call::shared::phone::PhoneNumber;
use edge_click_to_call::visitor::auth::TokenResponse;
use edge_click_to_call::vonage::jwt::ACL_PATHS;
use edge_click_to_call::vonage::ncco::{Action, Endpoint, TALK_TEXT_MAX_CHARS};
use edge_click_to_call::vonage::private_key::PrivateKey;
use jwt_compact::alg::Rsa;
use jwt_compact::{AlgorithmExt, UntrustedToken};
use rsa::RsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use serde_json::Value;

use crate::Report;
use crate::api::MadeUser;
use crate::client::Client;
use crate::play::Session;
use crate::settings::Settings;

/// Fetches `/auth` and checks the token as Vonage's Client SDK would need it.
pub fn token(
    client: &Client,
    settings: &Settings,
    session: &Session,
    report: &mut Report,
) -> Result<(), String> {
    println!("── /auth");
    let made_before = session
        .api
        .as_ref()
        .map_or(0, |api| api.users.lock().map(|u| u.len()).unwrap_or(0));
    let res = client.get("/auth", &[])?;
    if res.status != 200 {
        report.deviation(&format!("/auth answered {}: {}", res.status, res.body));
        return Ok(());
    }
    let token: TokenResponse =
        serde_json::from_str(&res.body).map_err(|e| format!("/auth body: {e}"))?;
    let Some(pem) = settings.var(var::PRIVATE_KEY) else {
        report.deviation(
            "VONAGE_PRIVATE_KEY is not set here, so the token's signature cannot be checked",
        );
        return Ok(());
    };
    if !signature_verifies(&token.token, pem)? {
        report.deviation(
            "the token's RS256 signature does not verify with the public key of VONAGE_PRIVATE_KEY",
        );
        return Ok(());
    }
    report.ok(&format!(
        "RS256 token for {:?} verifies with the public key of VONAGE_PRIVATE_KEY",
        token.user
    ));
    let claims = claims_as_sent(&token.token);
    let (iat, exp) = (
        claims["iat"].as_u64().unwrap_or(0),
        claims["exp"].as_u64().unwrap_or(0),
    );
    let paths = acl_paths(&claims);
    println!(
        "    claims: application_id={} sub={} iat={iat} exp={exp} (+{} s) jti={} acl={} paths",
        claims["application_id"],
        claims["sub"],
        exp.saturating_sub(iat),
        claims["jti"],
        paths.len()
    );
    let problems = claim_problems(&claims, &token, settings);
    report.check("claims are the ones Vonage's Client SDK expects", &problems);
    users_api(&token, settings, session, made_before, report);
    Ok(())
}

/// Without `CLIENT_USER`, `/auth` must have made a user of its own for the
/// call through the Users API (here, the simulator's), one that Vonage
/// deletes once empty (`properties.ttl`).
fn users_api(
    token: &TokenResponse,
    settings: &Settings,
    session: &Session,
    made_before: usize,
    report: &mut Report,
) {
    if settings.var(var::CLIENT_USER).is_some() {
        report.ok(&format!(
            "CLIENT_USER is set: every visitor shares {:?} (development only)",
            token.user
        ));
        return;
    }
    let Some(api) = &session.api else {
        println!(
            "    (the Users API is Vonage's own here: the user it made is not visible to the simulator)"
        );
        return;
    };
    let made: Vec<MadeUser> = api
        .users
        .lock()
        .map(|u| u[made_before..].to_vec())
        .unwrap_or_default();
    match made.as_slice() {
        [user] if user.name == token.user && user.ttl.is_some() => report.ok(&format!(
            "/auth created Vonage user {:?} for the call through the Users API (properties.ttl {} s)",
            user.name,
            user.ttl.unwrap_or_default()
        )),
        [user] => report.deviation(&format!(
            "the Users API made {:?} (ttl {:?}), but the token is for {:?}",
            user.name, user.ttl, token.user
        )),
        other => report.deviation(&format!(
            "/auth should create exactly one user through the Users API; it created {}",
            other.len()
        )),
    }
}

fn signature_verifies(token: &str, pem: &str) -> Result<bool, String> {
    let pkcs8 = PrivateKey::from_pem(pem).map_err(|e| format!("VONAGE_PRIVATE_KEY: {e}"))?;
    let private = RsaPrivateKey::from_pkcs8_der(pkcs8.pkcs8_der())
        .map_err(|e| format!("VONAGE_PRIVATE_KEY: {e}"))?;
    let untrusted =
        UntrustedToken::new(token).map_err(|e| format!("the token is not a JWT: {e}"))?;
    Ok(Rsa::rs256()
        .validator::<Value>(&private.to_public_key())
        .validate(&untrusted)
        .is_ok())
}

/// The claims as sent (jwt-compact lifts iat/exp out of its model).
fn claims_as_sent(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap_or_default();
    let bytes = URL_SAFE_NO_PAD.decode(payload).unwrap_or_default();
    serde_json::from_slice(&bytes).unwrap_or_default()
}

fn acl_paths(claims: &Value) -> Vec<&str> {
    let mut paths: Vec<&str> = claims["acl"]["paths"]
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    paths.sort_unstable();
    paths
}

fn claim_problems(claims: &Value, token: &TokenResponse, settings: &Settings) -> Vec<String> {
    let mut problems = Vec::new();
    let (iat, exp) = (
        claims["iat"].as_u64().unwrap_or(0),
        claims["exp"].as_u64().unwrap_or(0),
    );
    if let Some(app) = settings.var(var::APPLICATION_ID)
        && claims["application_id"] != app
    {
        problems.push("claims: application_id is not VONAGE_APPLICATION_ID".to_owned());
    }
    if claims["sub"] != token.user.as_str() {
        problems.push("claims: sub is not the user /auth named".into());
    }
    if !(30..=86_400).contains(&exp.saturating_sub(iat)) || exp != token.expires_at {
        problems.push("claims: exp must be 30 s to 24 h after iat and equal expires_at".into());
    }
    if claims["jti"].as_str().is_none_or(str::is_empty) {
        problems.push("claims: no jti".into());
    }
    let mut expected: Vec<&str> = ACL_PATHS.to_vec();
    expected.sort_unstable();
    if acl_paths(claims) != expected {
        problems.push("claims: the acl paths are not the Client SDK's".into());
    }
    problems
}

/// Where an NCCO sends the call next, as Vonage would follow it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Ringing number `index` of the ring list; its leg's events go to `event_path`.
    Ring { index: usize, event_path: String },
    /// Recording a voicemail; the recording event goes to `event_path`.
    Voicemail { event_path: String },
    /// Words only: nothing dialled, nothing recorded.
    Nothing,
}

/// A checked NCCO: what it does in one line, and where the call goes next.
pub struct Checked {
    pub described: String,
    pub next: Next,
}

fn parse(body: &str) -> Result<Vec<Action>, Vec<String>> {
    serde_json::from_str(body).map_err(|e| {
        vec![format!(
            "the answer is not an NCCO this service defines: {e}: {body}"
        )]
    })
}

/// The path and query of a URL on the worker (`eventUrl` values are absolute).
fn worker_path(url: &str, settings: &Settings) -> Option<String> {
    url.strip_prefix(settings.url.as_str())
        .filter(|rest| rest.starts_with('/'))
        .map(str::to_owned)
}

/// The ring list the worker should be using, from its settings.
pub fn destinations(settings: &Settings) -> Vec<String> {
    match settings.var(var::DESTINATION_NUMBERS) {
        Some(list) => list
            .split(',')
            .map(|n| n.trim().trim_start_matches('+').to_owned())
            .filter(|n| !n.is_empty())
            .collect(),
        None => vec![
            settings
                .var_or(var::DESTINATION_NUMBER, "447700900001")
                .trim_start_matches('+')
                .to_owned(),
        ],
    }
}

/// Vonage's rules for any NCCO this service answers with (NCCO reference:
/// talk text length; a synchronous connect to one phone endpoint from our
/// number, ringing for a bounded time, its events to this worker; a record
/// with a beep, stopping on silence or at a bounded length), and that it
/// follows the configuration: the ring list in order, the support number.
pub fn ncco(body: &str, settings: &Settings) -> Result<Checked, Vec<String>> {
    let ncco = parse(body)?;
    let mut problems = Vec::new();
    let mut words = None;
    for action in &ncco {
        if let Action::Talk { text, .. } = action {
            if text.is_empty() || text.chars().count() > TALK_TEXT_MAX_CHARS {
                problems.push(format!(
                    "NCCO: talk text must be 1 to {TALK_TEXT_MAX_CHARS} characters"
                ));
            }
            words.get_or_insert(text.as_str());
        }
    }
    let said = words.map_or_else(String::new, |w| format!("talk {w:?}, then "));
    let checked = match ncco
        .iter()
        .filter(|a| !matches!(a, Action::Talk { .. }))
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => Checked {
            described: format!("NCCO: talk {:?}, nothing dialled", words.unwrap_or("")),
            next: Next::Nothing,
        },
        [
            Action::Connect {
                from,
                endpoint,
                event_type,
                timeout,
                limit,
                machine_detection,
                event_url,
            },
        ] => {
            let [Endpoint::Phone { number, on_answer }] = endpoint.as_slice() else {
                return Err(vec![
                    "NCCO: connect must have exactly one phone endpoint".into(),
                ]);
            };
            // The agent hears who calls before being joined (onAnswer).
            let whisper = on_answer
                .as_ref()
                .and_then(|o| worker_path(&o.url, settings));
            if !whisper.is_some_and(|p| p.starts_with(paths::WHISPER_PATH)) {
                problems.push(format!(
                    "NCCO: the phone endpoint's onAnswer must be {}{}",
                    settings.url,
                    paths::WHISPER_PATH
                ));
            }
            for (what, n) in [("connect.from", from), ("endpoint number", number)] {
                if PhoneNumber::parse(n)
                    .map(|p| p.as_str() != n)
                    .unwrap_or(true)
                {
                    problems.push(format!("NCCO: {what} is not an E.164 number without '+'"));
                }
            }
            if settings
                .var(var::SUPPORT_NUMBER)
                .is_some_and(|s| s != from.as_str())
            {
                problems.push(format!("NCCO: connect.from is not {}", var::SUPPORT_NUMBER));
            }
            if event_type.as_deref() != Some("synchronous") {
                problems.push("NCCO: connect must be synchronous, so a number that rings out hands over to the next".into());
            }
            if !timeout.is_some_and(|t| (5..=120).contains(&t)) {
                problems.push("NCCO: connect.timeout must be set (RING_SECONDS)".into());
            }
            // Vonage ends a connected call at `limit` (default 7200 s); the
            // call guard frees its line at MAX_CALL_MINUTES: the two agree.
            if !limit.is_some_and(|l| l > 0 && l % 60 == 0 && l <= 1440 * 60) {
                problems.push("NCCO: connect.limit must be MAX_CALL_MINUTES × 60 seconds".into());
            }
            if machine_detection
                .as_deref()
                .is_some_and(|m| m != "continue" && m != "hangup")
            {
                problems.push("NCCO: connect.machineDetection is continue or hangup".into());
            }
            let event_path = event_url
                .as_deref()
                .and_then(|urls| urls.first())
                .and_then(|url| worker_path(url, settings));
            let index = event_path
                .as_deref()
                .and_then(|p| p.strip_prefix("/webhooks/event?ring="))
                .and_then(|i| i.parse::<usize>().ok());
            let (Some(event_path), Some(index)) = (event_path, index) else {
                problems.push(format!(
                    "NCCO: connect.eventUrl must be {}/webhooks/event?ring=<n>: {body}",
                    settings.url
                ));
                return Err(problems);
            };
            let list = destinations(settings);
            if list.get(index) != Some(number) {
                problems.push(format!(
                    "NCCO: ring {index} dials {number}, the ring list has {:?} there",
                    list.get(index)
                ));
            }
            Checked {
                described: format!("NCCO: {said}connect {from} → {number}"),
                next: Next::Ring { index, event_path },
            }
        }
        [
            Action::Record {
                beep_start,
                end_on_silence,
                time_out,
                format,
                event_url,
            },
        ] => {
            if !beep_start || !(3..=10).contains(end_on_silence) || !(3..=7200).contains(time_out) {
                problems.push(
                    "NCCO: record needs beepStart, endOnSilence 3–10 s and timeOut 3–7200 s".into(),
                );
            }
            if format != "mp3" {
                problems.push(format!("NCCO: record format {format:?}, expected mp3"));
            }
            let Some(event_path) = event_url
                .first()
                .and_then(|url| worker_path(url, settings))
                .filter(|p| p == "/webhooks/recording")
            else {
                problems.push(format!(
                    "NCCO: record.eventUrl must be {}/webhooks/recording",
                    settings.url
                ));
                return Err(problems);
            };
            Checked {
                described: format!(
                    "NCCO: {said}record (beep, ends on {end_on_silence} s of silence, at most {time_out} s) → {event_path}"
                ),
                next: Next::Voicemail { event_path },
            }
        }
        _ => {
            return Err(vec![format!(
                "NCCO: not a shape this service answers with: {body}"
            )]);
        }
    };
    if problems.is_empty() {
        Ok(checked)
    } else {
        Err(problems)
    }
}

/// An NCCO that speaks and dials no one: the apology, or the "lines are
/// busy" words (`expected` names which).
pub fn no_connect(body: &str, expected: &str) -> Result<String, Vec<String>> {
    let ncco = parse(body)?;
    let english = edge_click_to_call::call::speech::Speech::english();
    let words = match expected {
        "lines_busy" => &english.lines_busy,
        _ => &english.apology,
    };
    match ncco.as_slice() {
        [Action::Talk { text, .. }] if text == words => {
            Ok(format!("NCCO: talk {text:?}, nothing dialled"))
        }
        _ => Err(vec![format!(
            "NCCO: expected only the {expected} words, got {body}"
        )]),
    }
}
