//! The call guard's Durable Object, and the worker's client of it.
//!
//! One object (named `calls`) holds the whole ledger (`crate::guard`): the
//! runtime delivers its requests one at a time and keeps the ledger in
//! memory between them, so a decision never reads state another decision is
//! about to change. The ledger is written to the object's storage after
//! each change (the response waits for the write), so it survives the
//! object being moved or evicted.

use std::cell::RefCell;

use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;
use worker::{DurableObject, Env, Request, Response, Result, State, durable_object};

use crate::guard::{Admission, AdmitRequest, Ledger};

const BINDING: &str = "CALL_GUARD";
/// One ledger for every call: the caps are global.
const OBJECT_NAME: &str = "calls";
const LEDGER_KEY: &str = "ledger";

#[derive(Serialize, Deserialize)]
pub struct ReleaseRequest {
    pub leg: String,
}

#[derive(Serialize, Deserialize)]
pub struct Released {
    pub released: bool,
}

#[durable_object]
pub struct CallGuard {
    state: State,
    ledger: RefCell<Option<Ledger>>,
}

impl CallGuard {
    // Stored as JSON text: serde_json is in the wasm anyway; a structured
    // value would bring serde-wasm-bindgen's map code for one struct.
    async fn ledger(&self) -> Result<Ledger> {
        if let Some(ledger) = self.ledger.borrow().clone() {
            return Ok(ledger);
        }
        match self.state.storage().get::<String>(LEDGER_KEY).await? {
            Some(json) => Ok(serde_json::from_str(&json)?),
            None => Ok(Ledger::default()),
        }
    }

    async fn keep(&self, ledger: Ledger) -> Result<()> {
        let json = serde_json::to_string(&ledger)?;
        self.state
            .storage()
            .put_raw(LEDGER_KEY, JsValue::from_str(&json))
            .await?;
        *self.ledger.borrow_mut() = Some(ledger);
        Ok(())
    }
}

impl DurableObject for CallGuard {
    fn new(state: State, _env: Env) -> Self {
        Self {
            state,
            ledger: RefCell::new(None),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let now = worker::Date::now().as_millis();
        match req.path().as_str() {
            "/admit" => {
                let request: AdmitRequest = req.json().await?;
                let mut ledger = self.ledger().await?;
                let admission = ledger.admit(&request, now);
                self.keep(ledger).await?;
                Response::from_json(&admission)
            }
            "/release" => {
                let request: ReleaseRequest = req.json().await?;
                let mut ledger = self.ledger().await?;
                let released = ledger.release(&request.leg);
                if released {
                    self.keep(ledger).await?;
                }
                Response::from_json(&Released { released })
            }
            _ => Response::error("no such guard route", 404),
        }
    }
}

/// Whether the guard's binding exists (for `/healthz`).
pub fn bound(env: &Env) -> bool {
    env.durable_object(BINDING).is_ok()
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
