//! One scenario, played the way Vonage would: the answer webhook, the
//! call's events, then the call read back from the ops API.

use std::path::Path;
use std::time::Duration;

use edge_click_to_call::config::var;
use edge_click_to_call::ops::{CallList, CallView};
use edge_click_to_call::time;
use edge_click_to_call::token::TokenResponse;
use edge_click_to_call::webhook::Payload;
use serde_json::{Map, Value, json};

use crate::Report;
use crate::checks;
use crate::client::{Client, Response};
use crate::fixtures::{self, Body, CallIds, Expect, Scenario, ScenarioEvent};
use crate::settings::Settings;
use crate::vonage::{self, WRONG_SECRET};

pub enum Played {
    Done,
    Skipped,
}

pub fn scenario(
    client: &Client,
    settings: &Settings,
    file: &Path,
    report: &mut Report,
) -> Result<Played, String> {
    let scenario = Scenario::load(file)?;
    println!("── scenario {}: {}", scenario.name, scenario.description);
    if let Some(missing) = unmet_requirement(&scenario, settings)? {
        println!("  - skipped: needs {missing}");
        return Ok(Played::Skipped);
    }
    // The context the page passes to `serverCall`: the call ticket `/auth`
    // handed out with its token.
    let ticket = match scenario.ticket.as_str() {
        "missing" => None,
        _ => Some(fresh_ticket(client)?),
    };
    let context = match &ticket {
        Some(ticket) => json!({ "ticket": ticket }).to_string(),
        None => "{}".to_owned(),
    };
    let ids = CallIds {
        conversation_uuid: format!("CON-{}", vonage::uuid()),
        app_uuid: vonage::uuid(),
        phone_uuid: vonage::uuid(),
        user: settings
            .var_or(var::CLIENT_USER, var::default::CLIENT_USER)
            .to_owned(),
        support: settings
            .var_or(var::SUPPORT_NUMBER, "447700900000")
            .to_owned(),
        destination: settings
            .var_or(var::DESTINATION_NUMBER, "447700900001")
            .to_owned(),
        custom_data: context,
    };
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
    answer(client, settings, &scenario, &ids, report)?;
    let accepted = send_events(client, settings, &scenario, &ids, report)?;
    read_back(client, settings, &ids, &accepted, &scenario.expect, report)?;
    Ok(Played::Done)
}

fn unmet_requirement(
    scenario: &Scenario,
    settings: &Settings,
) -> Result<Option<&'static str>, String> {
    for need in &scenario.requires {
        let var = match need.as_str() {
            "signature_secret" => var::SIGNATURE_SECRET,
            other => {
                return Err(format!(
                    "scenario {}: unknown requirement {other:?}",
                    scenario.name
                ));
            }
        };
        if settings.var(var).is_none() {
            return Ok(Some(var));
        }
    }
    Ok(None)
}

/// Vonage's signature header for a payload, when a secret is configured.
fn sign(
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
fn fresh_ticket(client: &Client) -> Result<String, String> {
    let visitor = format!("198.51.100.{}", uuid::Uuid::new_v4().as_bytes()[0]);
    let res = client.get("/auth", &[("CF-Connecting-IP", visitor)])?;
    let token: TokenResponse = serde_json::from_str(&res.body)
        .map_err(|e| format!("/auth answered {}: {e}: {}", res.status, res.body))?;
    Ok(token.ticket)
}

/// The answer webhook, as Vonage requests it for `serverCall(context)`:
/// a GET query by default (`custom_data` as a JSON string), a JSON body
/// with `answer_method=POST` (`custom_data` as the object).
fn request_answer(
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
        client.post("/webhooks/answer", &headers, &body)
    } else {
        let query = query_pairs(&fields);
        let headers: Vec<_> = sign(settings, &Payload::Query(&query), None)
            .into_iter()
            .collect();
        client.get(&format!("/webhooks/answer?{}", encode(&query)), &headers)
    }
}

/// Requests the answer and checks the NCCO is the one the scenario expects:
/// a connect (the default), or words that dial no one.
fn answer(
    client: &Client,
    settings: &Settings,
    scenario: &Scenario,
    ids: &CallIds,
    report: &mut Report,
) -> Result<(), String> {
    let res = request_answer(client, settings, scenario, ids)?;
    if res.status != 200 {
        report.deviation(&format!(
            "the answer webhook answered {}: {}",
            res.status, res.body
        ));
        return Ok(());
    }
    let checked = match scenario.expect.answer.as_str() {
        "connect" => checks::ncco(&res.body, settings),
        words => checks::no_connect(&res.body, words),
    };
    match checked {
        Ok(described) => report.ok(&described),
        Err(problems) => {
            for p in problems {
                report.deviation(&p);
            }
        }
    }
    Ok(())
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

/// Sends each event (POSTed JSON, or a GET query with `event_method=GET`);
/// the statuses of those accepted, in order.
fn send_events(
    client: &Client,
    settings: &Settings,
    scenario: &Scenario,
    ids: &CallIds,
    report: &mut Report,
) -> Result<Vec<String>, String> {
    let by_get = scenario.event_method.eq_ignore_ascii_case("GET");
    let mut at = vonage::now_ms();
    let mut accepted = Vec::new();
    for event in &scenario.events {
        at += event.after_ms;
        let res = match fixtures::event_body(event, ids, &time::rfc3339_ms(at)) {
            Body::Json(map) if by_get => {
                let query = query_pairs(&map);
                let headers: Vec<_> = sign(settings, &Payload::Query(&query), None)
                    .into_iter()
                    .collect();
                client.get(&format!("/webhooks/event?{}", encode(&query)), &headers)?
            }
            body => {
                let body = match body {
                    Body::Raw(raw) => raw.into_bytes(),
                    Body::Json(map) => serde_json::to_vec(&map).unwrap_or_default(),
                };
                let mut headers = vec![("Content-Type", "application/json".to_owned())];
                headers.extend(event_signature(settings, event, &body)?);
                client.post("/webhooks/event", &headers, &body)?
            }
        };
        let label = event.label();
        match &event.expect_refusal {
            Some(refusal) => check_refusal(&res, label, refusal.status, &refusal.code, report),
            None if res.status == 200 => accepted.push(label.to_owned()),
            None => report.deviation(&format!(
                "event {label} refused: {} {}",
                res.status, res.body
            )),
        }
    }
    if !accepted.is_empty() {
        let signed = if settings.signing() { " (signed)" } else { "" };
        let how = if by_get { " as GET queries" } else { "" };
        report.ok(&format!("{} events accepted{how}{signed}", accepted.len()));
    }
    Ok(accepted)
}

fn event_signature(
    settings: &Settings,
    event: &ScenarioEvent,
    body: &[u8],
) -> Result<Option<(&'static str, String)>, String> {
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

/// Waits (up to 15 s) for the call to hold the answer entry and every
/// accepted event, prints it, and checks it against what was sent.
fn read_back(
    client: &Client,
    settings: &Settings,
    ids: &CallIds,
    accepted: &[String],
    expect: &Expect,
    report: &mut Report,
) -> Result<(), String> {
    let conversation = ids.conversation_uuid.as_str();
    let Some(token) = settings.var(var::OPS_TOKEN) else {
        report.deviation("OPS_TOKEN is not set here, so the call cannot be read back");
        return Ok(());
    };
    let headers = [("Authorization", format!("Bearer {token}"))];
    let wanted = accepted.len() + 1; // + the answer webhook's entry
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
    let mut problems = timeline_problems(&view, accepted, wanted, expect);
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
    for e in &view.events {
        let detail = if e.is_answer_webhook() {
            let ncco = e.raw_field("ncco");
            format!(
                "answer webhook: {}",
                ncco.as_ref().and_then(Value::as_str).unwrap_or("?")
            )
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
            "ops: the log holds {} entries, expected {wanted} (answer + {} events)",
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
    if expect.duration_seconds.is_some() && view.duration_seconds != expect.duration_seconds {
        problems.push(format!(
            "ops: duration {:?}, expected {:?}",
            view.duration_seconds, expect.duration_seconds
        ));
    }
    problems
}
