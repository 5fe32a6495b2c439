//! The call guard's Durable Object, and the worker's client of it.
//!
//! One object (named `calls`) holds the guard's state in its storage as
//! small values (`call::guard`'s keys). It reads them all once per instance
//! into `GuardMemory`, which decides each call in memory and says what to
//! write. The runtime delivers the object's requests one at a time and holds
//! them while it reads or writes storage, and a decision awaits nothing
//! between reading the state and changing it, so each decision sees the state
//! the previous one left. Values are JSON text: serde_json is in the wasm
//! anyway, and structured values would bring serde-wasm-bindgen's map code.
//! An hourly alarm sweeps what can no longer matter.

use std::cell::{Cell, RefCell};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use worker::{
    DurableObject, Env, ListOptions, Request, Response, Result, State, Storage, durable_object,
};

use crate::call::guard::{
    Admission, AdmitRequest, CLIENT_PREFIX, GuardMemory, HOUR_MS, LIVE_KEY, TICKET_PREFIX, Write,
};

const BINDING: &str = "CALL_GUARD";
/// One guard for every call: the caps are global.
const OBJECT_NAME: &str = "calls";

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
    /// The guard's state, read from storage once per instance.
    memory: RefCell<Option<GuardMemory>>,
    /// Whether this instance has made sure the sweeping alarm is set.
    alarm_checked: Cell<bool>,
}

/// Every stored value under `prefix`, parsed; unreadable ones skipped.
async fn list<T: DeserializeOwned>(storage: &Storage, prefix: &str) -> Result<Vec<(String, T)>> {
    let map = storage
        .list_with_options(ListOptions::new().prefix(prefix))
        .await?;
    let mut out = Vec::new();
    for entry in map.entries() {
        let pair: js_sys::Array = entry?.unchecked_into();
        if let (Some(key), Some(value)) = (pair.get(0).as_string(), pair.get(1).as_string())
            && let Ok(value) = serde_json::from_str(&value)
        {
            out.push((key[prefix.len()..].to_owned(), value));
        }
    }
    Ok(out)
}

async fn store(storage: &Storage, writes: &[Write]) -> Result<()> {
    for (key, json) in writes {
        storage.put_raw(key, JsValue::from_str(json)).await?;
    }
    Ok(())
}

impl CallGuard {
    /// The state, loaded on this instance's first request. The runtime holds
    /// other requests while storage is read, so none sees a half-loaded state.
    async fn memory(&self) -> Result<std::cell::RefMut<'_, GuardMemory>> {
        if self.memory.borrow().is_none() {
            let storage = self.state.storage();
            let tickets = list(&storage, TICKET_PREFIX).await?;
            let live = match storage.get::<String>(LIVE_KEY).await? {
                Some(json) => serde_json::from_str(&json)?,
                None => Vec::new(),
            };
            let clients = list(&storage, CLIENT_PREFIX).await?;
            *self.memory.borrow_mut() = Some(GuardMemory::new(tickets, live, clients));
        }
        Ok(std::cell::RefMut::map(self.memory.borrow_mut(), |m| {
            m.as_mut().expect("loaded above")
        }))
    }

    async fn admit(&self, request: &AdmitRequest) -> Result<Admission> {
        let now = worker::Date::now().as_millis();
        // Decided in memory without awaiting, then written.
        let (admission, writes) = self.memory().await?.admit(request, now);
        let storage = self.state.storage();
        store(&storage, &writes).await?;
        self.keep_sweeping(&storage).await?;
        Ok(admission)
    }

    async fn release(&self, leg: &str) -> Result<bool> {
        let write = self.memory().await?.release(leg);
        store(&self.state.storage(), write.as_slice()).await?;
        Ok(write.is_some())
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
            memory: RefCell::new(None),
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

    /// Forgets what can no longer matter (`GuardMemory::sweep`); comes back
    /// in an hour while any ticket remains.
    async fn alarm(&self) -> Result<Response> {
        let now = worker::Date::now().as_millis();
        let sweep = self.memory().await?.sweep(now);
        let storage = self.state.storage();
        if !sweep.forget.is_empty() {
            storage.delete_multiple(sweep.forget).await?;
        }
        if sweep.again {
            storage.set_alarm(HOUR_MS as i64).await?;
        } else {
            self.alarm_checked.set(false);
        }
        Response::ok("swept")
    }
}

/// The worker's side: one request to the guard, its answer as JSON.
async fn ask<T: Serialize, R: DeserializeOwned>(env: &Env, path: &str, body: &T) -> Result<R> {
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
    let response: web_sys::Response = stub
        .fetch_with_request(Request::from(request))
        .await?
        .into();
    if response.status() != 200 {
        return Err(worker::Error::RustError(format!(
            "the call guard answered {}",
            response.status()
        )));
    }
    // One read of the whole body (workers-rs would stream it chunk by chunk).
    let text = wasm_bindgen_futures::JsFuture::from(response.text()?).await?;
    Ok(serde_json::from_str(&text.as_string().unwrap_or_default())?)
}

/// Whether the guard's binding exists (for `/healthz`).
pub fn bound(env: &Env) -> bool {
    env.durable_object(BINDING).is_ok()
}

pub async fn admit(env: &Env, request: &AdmitRequest) -> Result<Admission> {
    ask(env, "/admit", request).await
}

pub async fn release(env: &Env, leg: &str) -> Result<bool> {
    let released: Released = ask(env, "/release", &ReleaseRequest { leg: leg.into() }).await?;
    Ok(released.released)
}
