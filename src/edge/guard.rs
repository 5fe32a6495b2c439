//! The call guard's Durable Object, and the worker's client of it.
//!
//! One object (named `calls`) holds the guard's state (`crate::guard`) in
//! its storage, a few small values per decision: `ticket/<id>` (a used
//! ticket), `live` (the connected calls), `client/<key>` (a client's calls of
//! the last hour). The runtime delivers the object's requests one at a time
//! and holds them while it reads or writes storage, so each decision sees
//! the state the previous one left. Values are JSON text: serde_json is in
//! the wasm anyway, and structured values would bring serde-wasm-bindgen's
//! map code for three small types. An hourly alarm forgets used tickets that
//! can no longer matter.

use std::cell::Cell;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use worker::{
    DurableObject, Env, ListOptions, Request, Response, Result, State, Storage, durable_object,
};

use crate::guard::{self, Admission, AdmitRequest, CallState, HOUR_MS, LiveCall, UsedTicket};

const BINDING: &str = "CALL_GUARD";
/// One guard for every call: the caps are global.
const OBJECT_NAME: &str = "calls";
const LIVE_KEY: &str = "live";
const TICKET_PREFIX: &str = "ticket/";

#[derive(Serialize, Deserialize)]
pub struct ReleaseRequest {
    pub leg: String,
}

#[derive(Serialize, Deserialize)]
pub struct Released {
    pub released: bool,
}

#[durable_object(alarm)]
pub struct CallGuard {
    state: State,
    /// Whether this instance has made sure the sweeping alarm is set.
    alarm_checked: Cell<bool>,
}

async fn read<T: DeserializeOwned>(storage: &Storage, key: &str) -> Result<Option<T>> {
    match storage.get::<String>(key).await? {
        Some(json) => Ok(Some(serde_json::from_str(&json)?)),
        None => Ok(None),
    }
}

async fn write<T: Serialize>(storage: &Storage, key: &str, value: &T) -> Result<()> {
    storage
        .put_raw(key, JsValue::from_str(&serde_json::to_string(value)?))
        .await
}

fn client_key(request: &AdmitRequest) -> String {
    format!("client/{}", request.client.0)
}

impl CallGuard {
    async fn admit(&self, request: &AdmitRequest) -> Result<Admission> {
        let storage = self.state.storage();
        let now = worker::Date::now().as_millis();
        let ticket_key = format!("{TICKET_PREFIX}{}", request.ticket_id);
        let mut state = CallState {
            ticket: read::<UsedTicket>(&storage, &ticket_key).await?,
            live: read::<Vec<LiveCall>>(&storage, LIVE_KEY)
                .await?
                .unwrap_or_default(),
            client_calls: read::<Vec<u64>>(&storage, &client_key(request))
                .await?
                .unwrap_or_default(),
        };
        let (admission, changed) = state.admit(request, now);
        if let (true, Some(ticket)) = (changed.ticket, &state.ticket) {
            write(&storage, &ticket_key, ticket).await?;
            self.keep_sweeping(&storage).await?;
        }
        if changed.live {
            write(&storage, LIVE_KEY, &state.live).await?;
        }
        if changed.client_calls {
            write(&storage, &client_key(request), &state.client_calls).await?;
        }
        Ok(admission)
    }

    async fn release(&self, leg: &str) -> Result<bool> {
        let storage = self.state.storage();
        let mut live: Vec<LiveCall> = read(&storage, LIVE_KEY).await?.unwrap_or_default();
        let released = guard::release(&mut live, leg);
        if released {
            write(&storage, LIVE_KEY, &live).await?;
        }
        Ok(released)
    }

    async fn keep_sweeping(&self, storage: &Storage) -> Result<()> {
        if !self.alarm_checked.get() {
            if storage.get_alarm().await?.is_none() {
                storage.set_alarm(HOUR_MS as i64).await?;
            }
            self.alarm_checked.set(true);
        }
        Ok(())
    }
}

impl DurableObject for CallGuard {
    fn new(state: State, _env: Env) -> Self {
        Self {
            state,
            alarm_checked: Cell::new(false),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        match req.path().as_str() {
            "/admit" => Response::from_json(&self.admit(&req.json().await?).await?),
            "/release" => {
                let request: ReleaseRequest = req.json().await?;
                Response::from_json(&Released {
                    released: self.release(&request.leg).await?,
                })
            }
            _ => Response::error("no such guard route", 404),
        }
    }

    /// Forgets used tickets past their keeping time; comes back in an hour
    /// while any remain.
    async fn alarm(&self) -> Result<Response> {
        let storage = self.state.storage();
        let now = worker::Date::now().as_millis();
        let tickets = storage
            .list_with_options(ListOptions::new().prefix(TICKET_PREFIX))
            .await?;
        let mut forgotten = Vec::new();
        let mut kept = 0usize;
        for entry in tickets.entries() {
            let pair: js_sys::Array = entry?.unchecked_into();
            let (key, value) = (pair.get(0).as_string(), pair.get(1).as_string());
            let used = value.and_then(|v| serde_json::from_str::<UsedTicket>(&v).ok());
            match (key, used) {
                (Some(key), Some(used)) if used.forgettable(now) => forgotten.push(key),
                (Some(key), None) => forgotten.push(key),
                _ => kept += 1,
            }
        }
        if !forgotten.is_empty() {
            storage.delete_multiple(forgotten).await?;
        }
        if kept > 0 {
            storage.set_alarm(HOUR_MS as i64).await?;
        }
        Response::ok("swept")
    }
}

/// The worker's side: one request to the guard.
async fn ask<T: Serialize>(env: &Env, path: &str, body: &T) -> Result<Response> {
    let stub = env
        .durable_object(BINDING)?
        .id_from_name(OBJECT_NAME)?
        .get_stub()?;
    // The runtime's own Request: workers-rs' constructor would parse the URL
    // and build its headers in Rust for this internal call.
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(&serde_json::to_string(body)?));
    let request = web_sys::Request::new_with_str_and_init(&format!("https://guard{path}"), &init)?;
    let response = stub.fetch_with_request(Request::from(request)).await?;
    if response.status_code() != 200 {
        return Err(worker::Error::RustError(format!(
            "the call guard answered {}",
            response.status_code()
        )));
    }
    Ok(response)
}

/// Whether the guard's binding exists (for `/healthz`).
pub fn bound(env: &Env) -> bool {
    env.durable_object(BINDING).is_ok()
}

pub async fn admit(env: &Env, request: &AdmitRequest) -> Result<Admission> {
    ask(env, "/admit", request).await?.json().await
}

pub async fn release(env: &Env, leg: &str) -> Result<bool> {
    let released: Released = ask(env, "/release", &ReleaseRequest { leg: leg.into() })
        .await?
        .json()
        .await?;
    Ok(released.released)
}
