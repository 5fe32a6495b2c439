//! The call guard's Durable Object, and the worker's client of it.
//!
//! One object (named `calls`) holds the guard's state in its storage as
//! small values (`call::guard`'s keys). It reads them all once per instance
//! into `GuardMemory`, which decides each call in memory and says what to
//! write. The runtime delivers the object's requests one at a time and holds
//! them while it reads or writes storage, and a decision awaits nothing
//! between reading the state and changing it, so each decision sees the state
//! the previous one left. Values are JSON text: serde_json is in the wasm
//! anyway. An hourly alarm sweeps what can no longer matter.
//!
//! The class is exported with wasm-bindgen directly and its storage reached
//! through the runtime's JS API (`js.rs`); `src/edge/entry.js` exports it.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Promise};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, future_to_promise};
use web_sys::{Request, RequestInit, Response};

use crate::call::guard::{
    Admission, AdmitRequest, CLIENT_PREFIX, GuardMemory, HOUR_MS, LIVE_KEY, TICKET_PREFIX, Write,
};

use super::js;

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

fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

/// The Durable Object. Its state lives behind an `Rc` so each request's
/// future owns what it uses.
#[wasm_bindgen]
pub struct CallGuard {
    inner: Rc<Guard>,
}

struct Guard {
    /// `state.storage`: the object's durable key-value storage.
    storage: JsValue,
    /// The guard's state, read from storage once per instance.
    memory: RefCell<Option<GuardMemory>>,
    /// Whether this instance has made sure the sweeping alarm is set.
    alarm_checked: Cell<bool>,
}

#[wasm_bindgen]
impl CallGuard {
    #[wasm_bindgen(constructor)]
    pub fn new(state: JsValue, _env: JsValue) -> CallGuard {
        CallGuard {
            inner: Rc::new(Guard {
                storage: js::get(&state, "storage").unwrap_or(JsValue::UNDEFINED),
                memory: RefCell::new(None),
                alarm_checked: Cell::new(false),
            }),
        }
    }

    pub fn fetch(&self, request: Request) -> Promise {
        let guard = Rc::clone(&self.inner);
        future_to_promise(async move { guard.fetch(request).await.map(JsValue::from) })
    }

    pub fn alarm(&self) -> Promise {
        let guard = Rc::clone(&self.inner);
        future_to_promise(async move { guard.alarm().await.map(|()| JsValue::UNDEFINED) })
    }
}

fn json_error(e: serde_json::Error) -> JsValue {
    js_sys::Error::new(&e.to_string()).into()
}

impl Guard {
    /// Every stored value under `prefix`, parsed; unreadable ones skipped.
    async fn list<T: DeserializeOwned>(&self, prefix: &str) -> Result<Vec<(String, T)>, JsValue> {
        let options = js::record(&[("prefix", prefix.into())]);
        let map = js::call_await(&self.storage, "list", &[options.into()]).await?;
        let entries = js_sys::try_iter(&js::call(&map, "entries", &[])?)?
            .ok_or_else(|| JsValue::from_str("storage.list() is not iterable"))?;
        let mut out = Vec::new();
        for entry in entries {
            let pair: Array = entry?.unchecked_into();
            if let (Some(key), Some(value)) = (pair.get(0).as_string(), pair.get(1).as_string())
                && let Ok(value) = serde_json::from_str(&value)
            {
                out.push((key[prefix.len()..].to_owned(), value));
            }
        }
        Ok(out)
    }

    async fn store(&self, writes: &[Write]) -> Result<(), JsValue> {
        for (key, json) in writes {
            js::call_await(&self.storage, "put", &[key.into(), json.into()]).await?;
        }
        Ok(())
    }

    /// The state, loaded on this instance's first request. The runtime holds
    /// other requests while storage is read, so none sees a half-loaded state.
    async fn memory(&self) -> Result<std::cell::RefMut<'_, GuardMemory>, JsValue> {
        if self.memory.borrow().is_none() {
            let tickets = self.list(TICKET_PREFIX).await?;
            let live = js::call_await(&self.storage, "get", &[LIVE_KEY.into()])
                .await?
                .as_string()
                .map(|json| serde_json::from_str(&json))
                .transpose()
                .map_err(json_error)?
                .unwrap_or_default();
            let clients = self.list(CLIENT_PREFIX).await?;
            *self.memory.borrow_mut() = Some(GuardMemory::new(tickets, live, clients));
        }
        Ok(std::cell::RefMut::map(self.memory.borrow_mut(), |m| {
            m.as_mut().expect("loaded above")
        }))
    }

    async fn set_alarm_in_an_hour(&self) -> Result<(), JsValue> {
        let at = (now_ms() + HOUR_MS) as f64;
        js::call_await(&self.storage, "setAlarm", &[at.into()]).await?;
        Ok(())
    }

    async fn keep_sweeping(&self) -> Result<(), JsValue> {
        if !self.alarm_checked.get() {
            let alarm = js::call_await(&self.storage, "getAlarm", &[]).await?;
            if alarm.is_null() || alarm.is_undefined() {
                self.set_alarm_in_an_hour().await?;
            }
            self.alarm_checked.set(true);
        }
        Ok(())
    }

    async fn admit(&self, request: &AdmitRequest) -> Result<Admission, JsValue> {
        // Decided in memory without awaiting, then written.
        let (admission, writes) = self.memory().await?.admit(request, now_ms());
        self.store(&writes).await?;
        self.keep_sweeping().await?;
        Ok(admission)
    }

    async fn release(&self, leg: &str) -> Result<bool, JsValue> {
        let write = self.memory().await?.release(leg);
        self.store(write.as_slice()).await?;
        Ok(write.is_some())
    }

    async fn fetch(&self, request: Request) -> Result<Response, JsValue> {
        let body = JsFuture::from(request.text()?)
            .await?
            .as_string()
            .unwrap_or_default();
        let answer = match request.url().rsplit('/').next() {
            Some("admit") => {
                let asked: AdmitRequest = serde_json::from_str(&body).map_err(json_error)?;
                serde_json::to_string(&self.admit(&asked).await?)
            }
            Some("release") => {
                let asked: ReleaseRequest = serde_json::from_str(&body).map_err(json_error)?;
                serde_json::to_string(&Released {
                    released: self.release(&asked.leg).await?,
                })
            }
            _ => {
                return Response::new_with_opt_str_and_init(Some("no such guard route"), &{
                    let init = web_sys::ResponseInit::new();
                    init.set_status(404);
                    init
                });
            }
        }
        .map_err(json_error)?;
        Response::new_with_opt_str(Some(&answer))
    }

    /// Forgets what can no longer matter (`GuardMemory::sweep`); comes back
    /// in an hour while any ticket remains.
    async fn alarm(&self) -> Result<(), JsValue> {
        let sweep = self.memory().await?.sweep(now_ms());
        if !sweep.forget.is_empty() {
            let keys: Array = sweep.forget.iter().map(JsValue::from).collect();
            js::call_await(&self.storage, "delete", &[keys.into()]).await?;
        }
        if sweep.again {
            self.set_alarm_in_an_hour().await?;
        } else {
            self.alarm_checked.set(false);
        }
        Ok(())
    }
}

/// The worker's side: one request to the guard, its answer as JSON.
async fn ask<T: Serialize, R: DeserializeOwned>(
    env: &JsValue,
    path: &str,
    body: &T,
) -> Result<R, String> {
    let namespace = js::object(env, BINDING).ok_or("the CALL_GUARD binding is missing")?;
    let id =
        js::call(&namespace, "idFromName", &[OBJECT_NAME.into()]).map_err(|e| js::message(&e))?;
    let stub = js::call(&namespace, "get", &[id]).map_err(|e| js::message(&e))?;
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(
        &serde_json::to_string(body).map_err(|e| e.to_string())?,
    ));
    let request = Request::new_with_str_and_init(&format!("https://guard/{path}"), &init)
        .map_err(|e| js::message(&e))?;
    let response: Response = js::call_await(&stub, "fetch", &[request.into()])
        .await
        .map_err(|e| js::message(&e))?
        .unchecked_into();
    if response.status() != 200 {
        return Err(format!("the call guard answered {}", response.status()));
    }
    let text = JsFuture::from(response.text().map_err(|e| js::message(&e))?)
        .await
        .map_err(|e| js::message(&e))?;
    serde_json::from_str(&text.as_string().unwrap_or_default()).map_err(|e| e.to_string())
}

/// Whether the guard's binding exists (for `/healthz`).
pub fn bound(env: &JsValue) -> bool {
    js::object(env, BINDING).is_some()
}

pub async fn admit(env: &JsValue, request: &AdmitRequest) -> Result<Admission, String> {
    ask(env, "admit", request).await
}

pub async fn release(env: &JsValue, leg: &str) -> Result<bool, String> {
    let released: Released = ask(env, "release", &ReleaseRequest { leg: leg.into() }).await?;
    Ok(released.released)
}
