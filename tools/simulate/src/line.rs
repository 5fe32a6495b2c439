//! A full line, played as Vonage and three visitors would: one line
//! (`MAX_CONCURRENT_CALLS=1`), three callers. The first is put through; the
//! second and third are put on hold and hear their place; the page's
//! `/line/:user` says the same. The first hangs up: the worker moves the
//! second on with the Voice API (a transfer of its leg to the connect NCCO,
//! which the simulator's API receives and checks). The third asks to be
//! called back instead and hangs up: it leaves the line at once.

use edge_click_to_call::config::var;
use edge_click_to_call::shared::time;
use edge_click_to_call::vonage::ncco::Action;
use edge_click_to_call::vonage::signature::Payload;
use serde_json::{Value, json};

use crate::Report;
use crate::api::VonageApi;
use crate::checks::{self, Next};
use crate::client::Client;
use crate::fixtures::{CallIds, Scenario};
use crate::play::{self, Played};
use crate::settings::Settings;
use crate::vonage;

/// One caller: their call's ids, their Vonage user, and the NCCO they got.
struct Caller {
    ids: CallIds,
    user: String,
    ncco: String,
}

fn call(client: &Client, settings: &Settings, scenario: &Scenario) -> Result<Caller, String> {
    let (ticket, user) = play::fresh_ticket(client)?;
    let ids = play::call_ids(
        settings,
        json!({ "ticket": ticket }).to_string(),
        user.clone(),
    );
    let res = play::request_answer(client, settings, scenario, &ids)?;
    if res.status != 200 {
        return Err(format!(
            "the answer webhook answered {}: {}",
            res.status, res.body
        ));
    }
    Ok(Caller {
        ids,
        user,
        ncco: res.body,
    })
}

/// Whether an NCCO puts the caller on hold at `place`: their place said,
/// the hold music looped, then voicemail should no transfer come (NCCO
/// reference: talk, stream with `loop`, record).
fn on_hold(ncco: &str, place: u32) -> Result<String, String> {
    let actions: Vec<Action> =
        serde_json::from_str(ncco).map_err(|e| format!("NCCO: not NCCO JSON: {e}: {ncco}"))?;
    match actions.as_slice() {
        [
            Action::Talk { text, .. },
            Action::Stream { stream_url, repeat },
            Action::Talk { .. },
            Action::Record { .. },
        ] if text.contains(&format!("number {place} in line")) && *repeat > 0 => Ok(format!(
            "NCCO: on hold, talk {text:?}, then {} looped {repeat}×, then voicemail",
            stream_url.first().map_or("", String::as_str)
        )),
        _ => Err(format!(
            "NCCO: expected hold at place {place} (talk, stream, talk, record), got {ncco}"
        )),
    }
}

/// The page's question: the caller's place in line, and the wait.
fn place(client: &Client, user: &str) -> Result<Value, String> {
    let res = client.get(&format!("/line/{user}"), &[])?;
    serde_json::from_str(&res.body).map_err(|e| format!("/line answered {}: {e}", res.status))
}

/// The visitor's leg ends (they hung up): its final event, signed.
fn hang_up(client: &Client, settings: &Settings, caller: &Caller) -> Result<(), String> {
    let completed = json!({
        "uuid": caller.ids.app_uuid, "conversation_uuid": caller.ids.conversation_uuid,
        "status": "completed", "direction": "inbound", "duration": "30",
        "timestamp": time::rfc3339_ms(vonage::now_ms()),
    });
    let body = serde_json::to_vec(&completed).unwrap_or_default();
    let mut headers = vec![("Content-Type", "application/json".to_owned())];
    headers.extend(play::sign(settings, &Payload::Body(&body), None));
    let res = client.post("/webhooks/event", &headers, &body)?;
    if res.status != 200 {
        return Err(format!("the event webhook answered {}", res.status));
    }
    Ok(())
}

pub fn play(
    client: &Client,
    settings: &Settings,
    api: &VonageApi,
    scenario: &Scenario,
    report: &mut Report,
) -> Result<Played, String> {
    let first = call(client, settings, scenario)?;
    match checks::ncco(&first.ncco, settings) {
        Ok(checked) if matches!(checked.next, Next::Ring { index: 0, .. }) => {
            report.ok(&format!("first caller: {}", checked.described));
        }
        _ => report.deviation(&format!("first caller: not put through: {}", first.ncco)),
    }
    let second = call(client, settings, scenario)?;
    let third = call(client, settings, scenario)?;
    for (who, caller, at) in [("second", &second, 1), ("third", &third, 2)] {
        match on_hold(&caller.ncco, at) {
            Ok(described) => report.ok(&format!("{who} caller: {described}")),
            Err(problem) => report.deviation(&format!("{who} caller: {problem}")),
        }
        let asked = place(client, &caller.user)?;
        if asked["place"] == at {
            report.ok(&format!(
                "{who} caller's page: number {at} in line, about {} s",
                asked["wait_seconds"]
            ));
        } else {
            report.deviation(&format!("{who} caller's page: /line says {asked}"));
        }
    }

    // The first hangs up: the line is the second's, moved on by a transfer.
    hang_up(client, settings, &first)?;
    let moved = (0..50).find_map(|_| {
        let found = api
            .transfers
            .lock()
            .ok()?
            .iter()
            .find(|t| t.leg == second.ids.app_uuid)
            .cloned();
        if found.is_none() {
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        found
    });
    match moved {
        Some(transfer) => match checks::ncco(&transfer.ncco.to_string(), settings) {
            Ok(checked) if matches!(checked.next, Next::Ring { index: 0, .. }) => {
                report.ok(&format!(
                    "first hung up: the second moved on (Voice API transfer, PUT /v1/calls/{}): {}",
                    second.ids.app_uuid, checked.described
                ))
            }
            _ => report.deviation(&format!(
                "the second's transfer NCCO does not ring the first number: {}",
                transfer.ncco
            )),
        },
        None => report.deviation("first hung up: no transfer of the second caller within 10 s"),
    }
    if place(client, &third.user)?["place"] == 1 {
        report.ok("third caller's page: number 1 in line now");
    } else {
        report.deviation("third caller's page: not number 1 after the line moved");
    }

    // The third takes a callback instead, and hangs up: out of the line.
    if let Some(request) = &scenario.callback {
        play::callback(client, settings, request, report)?;
    }
    hang_up(client, settings, &third)?;
    if place(client, &third.user)?["place"].is_null() {
        report.ok("third caller hung up: out of the line at once");
    } else {
        report.deviation("third caller hung up but is still in line");
    }
    // The second's call ends too: the line is free for whoever plays next.
    hang_up(client, settings, &second)?;
    let lines = settings.var_or(var::MAX_CONCURRENT_CALLS, "5");
    report.ok(&format!(
        "the line is free again ({} = {lines})",
        var::MAX_CONCURRENT_CALLS
    ));
    Ok(Played::Done)
}
