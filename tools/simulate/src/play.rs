//! One scenario, played the way Vonage would: the answer webhook, the
//! call's events, then the call read back from the ops API.

use std::path::Path;
use std::time::Duration;

use edge_click_to_call::config::var;
use edge_click_to_call::ops::calls::{CallList, CallView};
use edge_click_to_call::shared::{paths, time};
use edge_click_to_call::visitor::auth::TokenResponse;
use edge_click_to_call::vonage::signature::Payload;
use serde_json::{Map, Value, json};

use crate::Report;
use crate::api::{self, VONAGE_FILE, VonageApi};
use crate::checks::{self, Next};
use crate::client::{Client, Response};
use crate::fixtures::{self, Body, CallIds, Expect, Scenario, ScenarioEvent};
use crate::settings::Settings;
use crate::vonage::{self, WRONG_SECRET};

pub enum Played {
    Done,
    Skipped,
}

/// What outlives one scenario: Vonage's REST APIs, served on
/// `VONAGE_API_URL` when it is this machine's.
#[derive(Default)]
pub struct Session {
    pub api: Option<VonageApi>,
}

impl Session {
    /// Serves Vonage's APIs when `VONAGE_API_URL` is a local origin (the
    /// development setup); against real Vonage there is nothing to serve.
    pub fn start(settings: &Settings) -> Result<Self, String> {
        let Some(origin) = settings.var(var::VONAGE_API_URL).filter(|o| api::local(o)) else {
            return Ok(Self::default());
        };
        let pem = settings
            .var(var::PRIVATE_KEY)
            .ok_or("VONAGE_PRIVATE_KEY is not set")?;
        let app = settings
            .var(var::APPLICATION_ID)
            .ok_or("VONAGE_APPLICATION_ID is not set")?;
        println!("serving Vonage's Users and media APIs on {origin} (VONAGE_API_URL)");
        Ok(Self {
            api: Some(VonageApi::start(origin, pem, app)?),
        })
    }

    fn api(&self) -> Result<&VonageApi, String> {
        self.api
            .as_ref()
            .ok_or_else(|| "VONAGE_API_URL is not a local http origin the simulator serves".into())
    }
}

pub fn scenario(
    client: &Client,
    settings: &Settings,
    session: &mut Session,
    file: &Path,
    report: &mut Report,
) -> Result<Played, String> {
    let scenario = Scenario::load(file)?;
    println!("── scenario {}: {}", scenario.name, scenario.description);
    if let Some(missing) = unmet_requirement(client, &scenario, settings, session)? {
        println!("  - skipped: needs {missing}");
        return Ok(Played::Skipped);
    }
    if scenario.line {
        return crate::line::play(client, settings, session.api()?, &scenario, report);
    }
    // The context the page passes to `serverCall`: the call ticket `/auth`
    // handed out with its token.
    let (ticket, user) = match scenario.ticket.as_str() {
        "missing" => (None, None),
        _ => {
            let (ticket, user) = fresh_ticket(client)?;
            (Some(ticket), Some(user))
        }
    };
    let context = match &ticket {
        Some(ticket) => json!({ "ticket": ticket }).to_string(),
        None => "{}".to_owned(),
    };
    // The user the call's token was minted for (the one /auth made for
    // it); a call with no ticket is placed as some visitor's.
    let user = user.unwrap_or_else(|| {
        settings
            .var_or(var::CLIENT_USER, "visitor-0123456789abcdef0123456789abcdef")
            .to_owned()
    });
    let ids = call_ids(settings, context, user);
    if scenario.ticket == "reused" {
        // Another call uses the ticket first; it must connect.
        let first = CallIds {
            conversation_uuid: format!("CON-{}", vonage::uuid()),
            app_uuid: vonage::uuid(),
            ..ids.clone()
        };
        let res = request_answer(client, settings, &scenario, &first)?;
        if checks::ncco(&res.body, settings).is_err() {
            report.deviation("the ticket's first call was not connected");
        }
        // That call ends at once: its line is free again.
        let completed = json!({
            "uuid": first.app_uuid, "conversation_uuid": first.conversation_uuid,
            "status": "completed", "direction": "inbound",
            "timestamp": time::rfc3339_ms(vonage::now_ms()),
        });
        let body = serde_json::to_vec(&completed).unwrap_or_default();
        let mut headers = vec![("Content-Type", "application/json".to_owned())];
        headers.extend(sign(settings, &Payload::Body(&body), None));
        client.post("/webhooks/event", &headers, &body)?;
    }
    let next = answer(client, settings, &scenario, &ids, report)?;
    let accepted = send_events(client, settings, &scenario, &ids, next, report)?;
    // The fallback answer touches no log: only the events tell the call.
    let answer_logged = scenario.answer_path != paths::FALLBACK_PATH;
    let wanted = accepted.len() + usize::from(answer_logged);
    read_back(
        client,
        settings,
        &ids,
        &accepted,
        wanted,
        &scenario.expect,
        report,
    )?;
    if scenario.expect.recording {
        play_recording(client, settings, &ids, session.api()?, report)?;
    }
    if let Some(request) = &scenario.callback {
        callback(client, settings, request, report)?;
    }
    Ok(Played::Done)
}

/// A new call's ids: its conversation and legs, placed as `user` with
/// `context` as serverCall's.
pub(crate) fn call_ids(settings: &Settings, context: String, user: String) -> CallIds {
    let destinations = checks::destinations(settings);
    CallIds {
        conversation_uuid: format!("CON-{}", vonage::uuid()),
        app_uuid: vonage::uuid(),
        phone_uuids: destinations.iter().map(|_| vonage::uuid()).collect(),
        user,
        support: settings
            .var_or(var::SUPPORT_NUMBER, "447700900000")
            .to_owned(),
        destinations,
        custom_data: context,
        recording_uuid: vonage::uuid(),
        media_origin: settings
            .var_or(var::VONAGE_API_URL, "https://api.nexmo.com")
            .trim_end_matches('/')
            .to_owned(),
    }
}

fn unmet_requirement(
    client: &Client,
    scenario: &Scenario,
    settings: &Settings,
    session: &Session,
) -> Result<Option<&'static str>, String> {
    // A call that should be put through needs the line open.
    let implied = (scenario.expect.answer == "connect").then(|| "open".to_owned());
    for need in scenario.requires.iter().chain(implied.as_ref()) {
        let unmet = match need.as_str() {
            "signature_secret" => settings
                .var(var::SIGNATURE_SECRET)
                .is_none()
                .then_some(var::SIGNATURE_SECRET),
            "vonage_api" => session
                .api
                .is_none()
                .then_some("VONAGE_API_URL on this machine (the simulator serves it)"),
            "one_line" => (settings.var(var::MAX_CONCURRENT_CALLS) != Some("1"))
                .then_some("MAX_CONCURRENT_CALLS=1 (a full line with three callers)"),
            "ring_list" => (checks::destinations(settings).len() < 2)
                .then_some("DESTINATION_PHONE_NUMBERS with two numbers or more"),
            "open" | "closed" => {
                let res = client.get("/config.json", &[])?;
                let open = serde_json::from_str::<Value>(&res.body)
                    .ok()
                    .and_then(|c| c["open"].as_bool());
                (open != Some(need == "open")).then_some(if need == "open" {
                    "the line to be open (OPENING_HOURS)"
                } else {
                    "the line to be closed now (OPENING_HOURS, CLOSED_DATES)"
                })
            }
            other => {
                return Err(format!(
                    "scenario {}: unknown requirement {other:?}",
                    scenario.name
                ));
            }
        };
        if unmet.is_some() {
            return Ok(unmet);
        }
    }
    Ok(None)
}

/// Vonage's signature header for a payload, when a secret is configured.
pub(crate) fn sign(
    settings: &Settings,
    payload: &Payload<'_>,
    secret: Option<&str>,
) -> Option<(&'static str, String)> {
    let secret = secret.or(settings.var(var::SIGNATURE_SECRET))?;
    Some((
        "Authorization",
        vonage::signature(secret, settings.var(var::APPLICATION_ID), payload),
    ))
}

/// A fresh token and call ticket from `/auth`, as a visitor of its own:
/// `CF-Connecting-IP` (which Cloudflare's edge sets, and `wrangler dev` takes
/// from the request) differs per call, so the caps on a client's calls apply
/// to each simulated visitor, not to the simulator as a whole.
/// A ticket from `/auth` as a new visitor gets one, and the user it is for.
pub(crate) fn fresh_ticket(client: &Client) -> Result<(String, String), String> {
    let [a, b, ..] = *uuid::Uuid::new_v4().as_bytes();
    let visitor = format!("198.18.{a}.{b}");
    let res = client.get("/auth", &[("CF-Connecting-IP", visitor)])?;
    let token: TokenResponse = serde_json::from_str(&res.body)
        .map_err(|e| format!("/auth answered {}: {e}: {}", res.status, res.body))?;
    let ticket = token.ticket.ok_or("/auth answered no call ticket")?;
    Ok((ticket, token.user))
}

/// The answer webhook, as Vonage requests it for `serverCall(context)`:
/// a GET query by default (`custom_data` as a JSON string), a JSON body
/// with `answer_method=POST` (`custom_data` as the object).
pub(crate) fn request_answer(
    client: &Client,
    settings: &Settings,
    scenario: &Scenario,
    ids: &CallIds,
) -> Result<Response, String> {
    let fields = fixtures::answer_fields(ids);
    if scenario.answer_method.eq_ignore_ascii_case("POST") {
        let mut body = fields;
        body.insert(
            "custom_data".into(),
            serde_json::from_str(&ids.custom_data).unwrap_or(Value::Null),
        );
        let body = serde_json::to_vec(&body).unwrap_or_default();
        let mut headers = vec![("Content-Type", "application/json".to_owned())];
        headers.extend(sign(settings, &Payload::Body(&body), None));
        client.post(&scenario.answer_path, &headers, &body)
    } else {
        let query = query_pairs(&fields);
        let headers: Vec<_> = sign(settings, &Payload::Query(&query), None)
            .into_iter()
            .collect();
        client.get(
            &format!("{}?{}", scenario.answer_path, encode(&query)),
            &headers,
        )
    }
}

/// Requests the answer and checks the NCCO is the one the scenario expects:
/// a connect to the first number (the default), voicemail (out of hours),
/// or words that dial no one. Returns where the call goes next.
fn answer(
    client: &Client,
    settings: &Settings,
    scenario: &Scenario,
    ids: &CallIds,
    report: &mut Report,
) -> Result<Next, String> {
    let res = request_answer(client, settings, scenario, ids)?;
    if res.status != 200 {
        report.deviation(&format!(
            "the answer webhook answered {}: {}",
            res.status, res.body
        ));
        return Ok(Next::Nothing);
    }
    let checked = match scenario.expect.answer.as_str() {
        "connect" | "voicemail" => checks::ncco(&res.body, settings).and_then(|checked| {
            match (&checked.next, scenario.expect.answer.as_str()) {
                (Next::Ring { index: 0, .. }, "connect")
                | (Next::Voicemail { .. }, "voicemail") => Ok(checked),
                _ => Err(vec![format!(
                    "NCCO: expected {}, got {}",
                    scenario.expect.answer, checked.described
                )]),
            }
        }),
        words => checks::no_connect(&res.body, words).map(|described| checks::Checked {
            described,
            next: Next::Nothing,
        }),
    };
    match checked {
        Ok(checked) => {
            report.ok(&checked.described);
            Ok(checked.next)
        }
        Err(problems) => {
            for p in problems {
                report.deviation(&p);
            }
            Ok(Next::Nothing)
        }
    }
}

/// A JSON object's fields as query pairs, as Vonage sends a GET webhook:
/// strings as they are, anything else as its JSON.
fn query_pairs(fields: &Map<String, Value>) -> Vec<(String, String)> {
    fields
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_str().map_or_else(|| v.to_string(), str::to_owned),
            )
        })
        .collect()
}

fn encode(pairs: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// Where an event goes: a ring-list leg's events to its connect's
/// `eventUrl`, a recording event to the record action's, the rest to the
/// application's event URL.
fn event_path(event: &ScenarioEvent, next: &Next, report: &mut Report) -> String {
    if event.to.as_deref() == Some("rtc") {
        return "/webhooks/rtc".into();
    }
    match (event.leg.as_deref(), next) {
        (Some("phone"), Next::Ring { index, event_path }) if *index == event.ring => {
            event_path.clone()
        }
        (Some("record"), Next::Voicemail { event_path }) => event_path.clone(),
        (Some(leg @ ("phone" | "record")), _) => {
            report.deviation(&format!(
                "a {leg} event (ring {}) but the NCCO in force is {next:?}",
                event.ring
            ));
            "/webhooks/event".into()
        }
        _ => "/webhooks/event".into(),
    }
}

/// What Vonage does after a ring-list leg rings out: it expects the next
/// NCCO in the answer (the next number, or voicemail after the last).
fn follow(
    res: &Response,
    event: &ScenarioEvent,
    settings: &Settings,
    next: &mut Next,
    report: &mut Report,
) {
    let rang_out = event.leg.as_deref() == Some("phone")
        && event
            .status
            .as_deref()
            .is_some_and(edge_click_to_call::vonage::legs::rang_out);
    if !rang_out {
        if res.body.starts_with('[') {
            report.deviation(&format!("an NCCO answered {}: {}", event.label(), res.body));
        }
        return;
    }
    let expected_next = event.ring + 1 < checks::destinations(settings).len();
    match checks::ncco(&res.body, settings) {
        Ok(checked) => {
            let fits = match &checked.next {
                Next::Ring { index, .. } => expected_next && *index == event.ring + 1,
                Next::Voicemail { .. } => !expected_next,
                Next::Nothing => false,
            };
            if fits {
                report.ok(&format!(
                    "ring {} {}: {}",
                    event.ring,
                    event.label(),
                    checked.described
                ));
                *next = checked.next;
            } else {
                report.deviation(&format!(
                    "ring {} {}: expected {}, got {}",
                    event.ring,
                    event.label(),
                    if expected_next {
                        "the next number"
                    } else {
                        "voicemail"
                    },
                    checked.described
                ));
            }
        }
        Err(problems) => {
            for p in problems {
                report.deviation(&format!("ring {} {}: {p}", event.ring, event.label()));
            }
        }
    }
}

/// Sends each event (POSTed JSON, or a GET query with `event_method=GET`)
/// where the NCCO in force sends it; the statuses of those accepted, in order.
fn send_events(
    client: &Client,
    settings: &Settings,
    scenario: &Scenario,
    ids: &CallIds,
    mut next: Next,
    report: &mut Report,
) -> Result<Vec<String>, String> {
    let by_get = scenario.event_method.eq_ignore_ascii_case("GET");
    let mut at = vonage::now_ms();
    let mut accepted = Vec::new();
    for event in &scenario.events {
        at += event.after_ms;
        let path = event_path(event, &next, report);
        let res = match fixtures::event_body(event, ids, at) {
            Body::Json(map) if by_get => {
                // Vonage adds the event's fields to the URL's own query.
                let (base, own) = path.split_once('?').unwrap_or((&path, ""));
                let mut query: Vec<(String, String)> = form_urlencoded::parse(own.as_bytes())
                    .into_owned()
                    .collect();
                query.extend(query_pairs(&map));
                let headers: Vec<_> = sign(settings, &Payload::Query(&query), None)
                    .into_iter()
                    .collect();
                client.get(&format!("{base}?{}", encode(&query)), &headers)?
            }
            body => {
                let body = match body {
                    Body::Raw(raw) => raw.into_bytes(),
                    Body::Json(map) => serde_json::to_vec(&map).unwrap_or_default(),
                };
                let mut headers = vec![("Content-Type", "application/json".to_owned())];
                headers.extend(event_signature(settings, event, &body)?);
                client.post(&path, &headers, &body)?
            }
        };
        let label = event.label();
        match &event.expect_refusal {
            Some(refusal) => check_refusal(&res, label, refusal.status, &refusal.code, report),
            None if res.status == 200 => {
                accepted.push(label.to_owned());
                follow(&res, event, settings, &mut next, report);
            }
            None => report.deviation(&format!(
                "event {label} refused: {} {}",
                res.status, res.body
            )),
        }
    }
    if !accepted.is_empty() {
        let rtc = scenario
            .events
            .iter()
            .filter(|e| e.to.as_deref() == Some("rtc"))
            .count();
        let signed = match (settings.signing(), rtc) {
            (false, _) => String::new(),
            (true, 0) => " (signed)".to_owned(),
            (true, n) => format!(" (signed; {n} RTC events unsigned, to /webhooks/rtc)"),
        };
        let how = if by_get { " as GET queries" } else { "" };
        report.ok(&format!("{} events accepted{how}{signed}", accepted.len()));
    }
    Ok(accepted)
}

/// Ops play the voicemail: the worker fetches it from "Vonage" (here) with
/// an application JWT and streams it on.
fn play_recording(
    client: &Client,
    settings: &Settings,
    ids: &CallIds,
    files: &VonageApi,
    report: &mut Report,
) -> Result<(), String> {
    let token = settings.var(var::OPS_TOKEN).ok_or("OPS_TOKEN is not set")?;
    let before = files.seen.lock().map(|s| s.len()).unwrap_or(0);
    let path = format!(
        "/ops/recordings/{}/{}",
        ids.conversation_uuid, ids.recording_uuid
    );
    let res = client.get_bytes(&path, &[("Authorization", format!("Bearer {token}"))])?;
    let seen: Vec<_> = files
        .seen
        .lock()
        .map(|s| s[before..].to_vec())
        .unwrap_or_default();
    let mut problems = Vec::new();
    match seen.as_slice() {
        [Ok(_)] => {}
        [Err(why)] => problems.push(format!(
            "the worker's request for the recording was refused: {why}"
        )),
        other => problems.push(format!(
            "the worker asked for the recording {} times",
            other.len()
        )),
    }
    if res.status != 200 || res.body != VONAGE_FILE {
        problems.push(format!(
            "{path}: {} with {} bytes, expected 200 with the {} bytes served",
            res.status,
            res.body.len(),
            VONAGE_FILE.len()
        ));
    }
    if res.content_type.as_deref() != Some("audio/mpeg") {
        problems.push(format!(
            "{path}: Content-Type {:?}, expected audio/mpeg",
            res.content_type
        ));
    }
    report.check(
        &format!(
            "voicemail playable for ops: {} bytes of audio/mpeg, fetched with an application JWT",
            res.body.len()
        ),
        &problems,
    );
    Ok(())
}

/// The visitor asks to be called back; ops see the request and mark it done.
pub(crate) fn callback(
    client: &Client,
    settings: &Settings,
    request: &Map<String, Value>,
    report: &mut Report,
) -> Result<(), String> {
    let body = serde_json::to_vec(request).unwrap_or_default();
    let headers = [
        ("Content-Type", "application/json".to_owned()),
        ("Origin", settings.url.clone()),
    ];
    let res = client.post("/callbacks", &headers, &body)?;
    let taken: Value = serde_json::from_str(&res.body).unwrap_or_default();
    let Some(id) = taken["id"].as_str().filter(|_| res.status == 201) else {
        report.deviation(&format!("/callbacks answered {}: {}", res.status, res.body));
        return Ok(());
    };
    let token = settings.var(var::OPS_TOKEN).ok_or("OPS_TOKEN is not set")?;
    let ops = [("Authorization", format!("Bearer {token}"))];
    let listed = |client: &Client| -> Result<Value, String> {
        let res = client.get("/ops/callbacks", &ops)?;
        serde_json::from_str(&res.body).map_err(|e| format!("/ops/callbacks: {e}: {}", res.body))
    };
    let has = |list: &Value, which: &str| {
        list[which]
            .as_array()
            .is_some_and(|items| items.iter().any(|c| c["id"] == id))
    };
    let mut problems = Vec::new();
    let open = listed(client)?;
    if !has(&open, "open") {
        problems.push("ops: the request is not among the open callbacks".into());
    }
    let done = client.post(&format!("/ops/callbacks/{id}/done"), &ops, b"")?;
    if done.status != 200 {
        problems.push(format!(
            "marking it done answered {}: {}",
            done.status, done.body
        ));
    }
    let after = listed(client)?;
    if has(&after, "open") || !has(&after, "done") {
        problems.push("ops: the request done is still open".into());
    }
    report.check(
        &format!("callback request {id} taken (201), listed for ops, marked done"),
        &problems,
    );
    Ok(())
}

fn event_signature(
    settings: &Settings,
    event: &ScenarioEvent,
    body: &[u8],
) -> Result<Option<(&'static str, String)>, String> {
    if event.to.as_deref() == Some("rtc") {
        return Ok(None); // Vonage does not sign RTC events.
    }
    Ok(match event.signature.as_deref() {
        None => sign(settings, &Payload::Body(body), None),
        Some("missing") => None,
        Some("wrong_secret") => sign(settings, &Payload::Body(body), Some(WRONG_SECRET)),
        Some("tampered") => sign(
            settings,
            &Payload::Body(br#"{"status":"something else"}"#),
            None,
        ),
        Some(other) => return Err(format!("unknown signature kind {other:?}")),
    })
}

fn check_refusal(res: &Response, label: &str, status: u16, code: &str, report: &mut Report) {
    if res.status == status && res.error_code().as_deref() == Some(code) {
        report.ok(&format!("{label}: refused as expected, {status} {code}"));
    } else {
        report.deviation(&format!(
            "{label}: expected {status} {code}, got {} {}",
            res.status, res.body
        ));
    }
}

/// Waits (up to 15 s) for the call to hold its `wanted` entries (the answer
/// entry, if any, and every accepted event), prints it, and checks it
/// against what was sent.
fn read_back(
    client: &Client,
    settings: &Settings,
    ids: &CallIds,
    accepted: &[String],
    wanted: usize,
    expect: &Expect,
    report: &mut Report,
) -> Result<(), String> {
    let conversation = ids.conversation_uuid.as_str();
    let Some(token) = settings.var(var::OPS_TOKEN) else {
        report.deviation("OPS_TOKEN is not set here, so the call cannot be read back");
        return Ok(());
    };
    let headers = [("Authorization", format!("Bearer {token}"))];
    let mut view: Option<CallView> = None;
    for _ in 0..150 {
        let res = client.get(&format!("/ops/calls/{conversation}"), &headers)?;
        match res.status {
            200 => {
                let v: CallView =
                    serde_json::from_str(&res.body).map_err(|e| format!("ops view: {e}"))?;
                let done = v.events.len() >= wanted;
                view = Some(v);
                if done {
                    break;
                }
            }
            404 => {}
            _ => {
                report.deviation(&format!(
                    "the ops API answered {}: {}",
                    res.status, res.body
                ));
                return Ok(());
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let Some(view) = view else {
        report.deviation("the call never appeared in the ops API");
        return Ok(());
    };
    print_timeline(&view);
    let mut problems = timeline_problems(&view, accepted, wanted, expect, &ids.destinations);
    if view.from.as_deref() != Some(ids.user.as_str()) {
        problems.push(format!(
            "ops: the call view's caller is {:?}, expected {:?} (from_user)",
            view.from, ids.user
        ));
    }
    problems.extend(list_problems(client, &headers, &view, &ids.user)?);
    report.check("ops timeline matches what was sent", &problems);
    Ok(())
}

/// The day's list must show the call with the same status and caller.
fn list_problems(
    client: &Client,
    headers: &[(&str, String)],
    view: &CallView,
    user: &str,
) -> Result<Vec<String>, String> {
    let answered = view.events.iter().find(|e| e.is_answer_webhook());
    let day = &answered.unwrap_or(&view.events[0]).at[..10];
    let res = client.get(&format!("/ops/calls?day={day}&limit=1000"), headers)?;
    let list: CallList =
        serde_json::from_str(&res.body).map_err(|e| format!("ops list: {e}: {}", res.body))?;
    let Some(item) = list.calls.iter().find(|c| c.call_id == view.call_id) else {
        return Ok(vec![format!("ops: the call is not in the list of {day}")]);
    };
    let mut problems = Vec::new();
    if item.from.as_deref() != Some(user) {
        problems.push(format!(
            "ops: the list's caller is {:?}, expected {user:?}",
            item.from
        ));
    }
    if item.status != view.status {
        problems.push(format!(
            "ops: the list says {:?}, the call view {:?}",
            item.status, view.status
        ));
    }
    Ok(problems)
}

fn print_timeline(view: &CallView) {
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
    println!("  path: {}", view.path);
    for e in &view.events {
        let detail = if e.is_answer_webhook() {
            let ncco = e.raw_text("ncco");
            format!("answer webhook: {}", ncco.as_deref().unwrap_or("?"))
        } else {
            format!(
                "{} {} → {}",
                e.direction.as_deref().unwrap_or("-"),
                e.from.as_deref().unwrap_or("?"),
                e.to.as_deref().unwrap_or("?")
            )
        };
        println!(
            "    {}  {:<11} {detail}",
            e.at.get(11..23).unwrap_or(&e.at),
            e.status
        );
    }
}

fn timeline_problems(
    view: &CallView,
    accepted: &[String],
    wanted: usize,
    expect: &Expect,
    destinations: &[String],
) -> Vec<String> {
    let mut logged: Vec<&str> = view
        .events
        .iter()
        .filter(|e| !e.is_answer_webhook())
        .map(|e| e.status.as_str())
        .collect();
    let mut sent: Vec<&str> = accepted.iter().map(String::as_str).collect();
    logged.sort_unstable();
    sent.sort_unstable();
    let mut problems = Vec::new();
    if view.events.len() != wanted || logged != sent {
        problems.push(format!(
            "ops: the log holds {} entries, expected {wanted} ({} events and the answer, if logged)",
            view.events.len(),
            accepted.len()
        ));
    }
    if let Some(status) = &expect.status
        && &view.status != status
    {
        problems.push(format!(
            "ops: status {:?}, expected {status:?}",
            view.status
        ));
    }
    let outcome = serde_json::to_value(view.outcome).unwrap_or_default();
    if let Some(expected) = &expect.outcome
        && outcome != expected.as_str()
    {
        problems.push(format!("ops: outcome {outcome}, expected {expected:?}"));
    }
    // `{ring0}`, `{ring1}`...: the ring list's numbers as ops see them.
    let path = expect.path.as_ref().map(|p| {
        destinations
            .iter()
            .enumerate()
            .fold(p.clone(), |p, (i, n)| {
                p.replace(
                    &format!("{{ring{i}}}"),
                    &edge_click_to_call::shared::phone::PhoneNumber::abbreviated(n),
                )
            })
    });
    if let Some(path) = &path
        && &view.path != path
    {
        problems.push(format!("ops: path {:?}, expected {path:?}", view.path));
    }
    if expect.duration_seconds.is_some() && view.duration_seconds != expect.duration_seconds {
        problems.push(format!(
            "ops: duration {:?}, expected {:?}",
            view.duration_seconds, expect.duration_seconds
        ));
    }
    problems
}
