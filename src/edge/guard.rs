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
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, future_to_promise};
use web_sys::{Request, Response};

use crate::call::answer::Hours;
use crate::call::guard::{
    Admission, AdmitRequest, GuardMemory, HOUR_MS, IssueRequest, Issued, Struck, Write, one_field,
    read_field,
};
use crate::call::line::{Move, Place, Waiting};
use crate::call::speech::Caller;
use crate::call::whisper::CallerContext;
use crate::call::{ring, voicemail};
use crate::shared::origin::WorkerOrigin;

use super::runtime::{Env, call_line, console_error};
use super::{js, speech, state, vonage_api};

const BINDING: &str = "CALL_GUARD";
/// One guard for every call: the caps are global.
const OBJECT_NAME: &str = "calls";

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
    /// The worker's environment: what a waiting caller is moved on with.
    env: Env,
    /// The guard's state, read from storage once per instance.
    memory: RefCell<Option<GuardMemory>>,
    /// Whether this instance has made sure the sweeping alarm is set.
    alarm_checked: Cell<bool>,
}

#[wasm_bindgen]
impl CallGuard {
    #[wasm_bindgen(constructor)]
    pub fn new(state: JsValue, env: JsValue) -> CallGuard {
        CallGuard {
            inner: Rc::new(Guard {
                storage: js::get(&state, "storage").unwrap_or(JsValue::UNDEFINED),
                env: Env::new(env),
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

impl Guard {
    /// Every stored key and value (all the guard's: the object holds
    /// nothing else), as JSON text.
    async fn stored(&self) -> Result<Vec<(String, String)>, JsValue> {
        let map = js::call_await(&self.storage, "list", &[]).await?;
        let entries = js_sys::try_iter(&js::call(&map, "entries", &[])?)?
            .ok_or_else(|| JsValue::from_str("storage.list() is not iterable"))?;
        let mut out = Vec::new();
        for entry in entries {
            let pair: Array = entry?.unchecked_into();
            if let (Some(key), Some(value)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
                out.push((key, value));
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
            let stored = self.stored().await?;
            *self.memory.borrow_mut() = Some(GuardMemory::from_stored(stored));
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
        if let Admission::Wait(_) = admission {
            self.wake_for_the_line().await?;
        }
        self.keep_sweeping().await?;
        Ok(admission)
    }

    async fn issue(&self, request: &IssueRequest) -> Result<Issued, JsValue> {
        let (issued, writes) = self.memory().await?.issue(request, now_ms());
        self.store(&writes).await?;
        self.keep_sweeping().await?;
        Ok(issued)
    }

    async fn strike(&self, user: &str) -> Result<Struck, JsValue> {
        let (struck, writes) = self.memory().await?.strike(user, now_ms());
        self.store(&writes).await?;
        Ok(struck)
    }

    async fn release(&self, leg: &str) -> Result<bool, JsValue> {
        let (writes, moves) = self.memory().await?.release(leg, now_ms());
        self.store(&writes).await?;
        self.carry_out(moves).await?;
        Ok(!writes.is_empty())
    }

    /// Sets the alarm for when the line must move by itself (a caller's
    /// longest wait, a lost final event), unless it is set sooner.
    async fn wake_for_the_line(&self) -> Result<(), JsValue> {
        let Some(wake) = self.memory().await?.next_wake_ms() else {
            return Ok(());
        };
        let set = js::call_await(&self.storage, "getAlarm", &[]).await?;
        if set.as_f64().is_none_or(|at| at as u64 > wake) {
            js::call_await(&self.storage, "setAlarm", &[(wake as f64).into()]).await?;
            self.alarm_checked.set(true);
        }
        Ok(())
    }

    /// Moves waiting callers on: to a free line, or to voicemail. A caller
    /// whose transfer to a line fails goes to voicemail and the line to
    /// the next; nothing here fails the request that freed the line.
    async fn carry_out(&self, moves: Vec<Move>) -> Result<(), JsValue> {
        let mut moves = moves;
        let mut at = 0;
        while let Some(next) = moves.get(at).cloned() {
            at += 1;
            let (waiting, connect) = match next {
                Move::Connect(w) => (w, true),
                Move::Voicemail(w) => (w, false),
            };
            if connect {
                match self.transfer(&waiting, true).await {
                    Ok(()) => {
                        call_line("line", Some(&waiting.leg), "moved on: connect");
                        continue;
                    }
                    Err(e) => {
                        console_error!(
                            "waiting line: a caller could not be put through ({e}); voicemail instead"
                        );
                        let (writes, more) = self.memory().await?.unseat(&waiting.leg, now_ms());
                        self.store(&writes).await?;
                        moves.extend(more);
                    }
                }
            }
            match self.transfer(&waiting, false).await {
                Ok(()) => call_line("line", Some(&waiting.leg), "moved on: voicemail"),
                // The hold NCCO ends in voicemail by itself.
                Err(e) => console_error!(
                    "waiting line: a caller could not be moved to voicemail ({e}); their hold music ends in voicemail"
                ),
            }
        }
        self.wake_for_the_line().await
    }

    /// Transfers a waiting caller's leg to the ring list, or to voicemail.
    async fn transfer(&self, waiting: &Waiting, connect: bool) -> Result<(), String> {
        let config = state::config(&self.env);
        let settings = config.answer.as_ref().map_err(|e| e.to_string())?;
        let api = config.recordings.as_ref().map_err(|e| e.to_string())?;
        let words = speech::load(&self.env, &waiting.origin, &waiting.lang).await;
        let origin = WorkerOrigin(&waiting.origin);
        let ncco = if connect {
            let context = CallerContext::from_query(&waiting.context);
            let caller = Caller {
                speech: &words,
                lang: &waiting.lang,
                context: &context,
            };
            ring::greet_and_ring(settings, origin, caller)
        } else {
            voicemail::for_hours(settings, origin, &Hours::Open, &words)
        };
        vonage_api::transfer(
            &api.api,
            &api.application_id,
            &api.private_key,
            &waiting.leg,
            &ncco,
        )
        .await
    }

    /// `https://guard/<message>?<its fields>`, answered in a word or two.
    async fn fetch(&self, request: Request) -> Result<Response, JsValue> {
        let url = request.url();
        let (path, query) = url.split_once('?').unwrap_or((&url, ""));
        let malformed = || JsValue::from_str("a malformed call guard message");
        let answer = match path.rsplit('/').next() {
            Some("admit") => {
                let asked = AdmitRequest::from_query(query).ok_or_else(malformed)?;
                self.admit(&asked).await?.as_text()
            }
            Some("view") => self.memory().await?.view_json(now_ms()),
            Some("place") => {
                let user = read_field(query, "user").ok_or_else(malformed)?;
                Place::json(self.memory().await?.line.place_of(&user))
            }
            Some("issue") => {
                let asked = IssueRequest::from_query(query).ok_or_else(malformed)?;
                self.issue(&asked).await?.as_text()
            }
            Some("strike") => {
                let user = read_field(query, "user").ok_or_else(malformed)?;
                self.strike(&user).await?.as_text()
            }
            Some("release") => {
                let leg = read_field(query, "leg").ok_or_else(malformed)?;
                self.release(&leg).await?.to_string()
            }
            _ => {
                return Response::new_with_opt_str_and_init(Some("no such guard route"), &{
                    let init = web_sys::ResponseInit::new();
                    init.set_status(404);
                    init
                });
            }
        };
        Response::new_with_opt_str(Some(&answer))
    }

    /// Forgets what can no longer matter (`GuardMemory::sweep`); comes back
    /// in an hour while any ticket remains.
    async fn alarm(&self) -> Result<(), JsValue> {
        let (writes, moves) = self.memory().await?.advance(now_ms());
        self.store(&writes).await?;
        self.carry_out(moves).await?;
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
        self.wake_for_the_line().await
    }
}

/// One message to the guard, its response as it is.
async fn send(env: &JsValue, path: &str, query: &str) -> Result<Response, String> {
    let namespace = js::object(env, BINDING).ok_or("the CALL_GUARD binding is missing")?;
    let id =
        js::call(&namespace, "idFromName", &[OBJECT_NAME.into()]).map_err(|e| js::message(&e))?;
    let stub = js::call(&namespace, "get", &[id]).map_err(|e| js::message(&e))?;
    let url = format!("https://guard/{path}?{query}");
    Ok(js::call_await(&stub, "fetch", &[url.into()])
        .await
        .map_err(|e| js::message(&e))?
        .unchecked_into())
}

/// The worker's side: one message to the guard, its answer as text.
async fn ask(env: &JsValue, path: &str, query: &str) -> Result<String, String> {
    let response = send(env, path, query).await?;
    if response.status() != 200 {
        return Err(format!("the call guard answered {}", response.status()));
    }
    let text = JsFuture::from(response.text().map_err(|e| js::message(&e))?)
        .await
        .map_err(|e| js::message(&e))?;
    Ok(text.as_string().unwrap_or_default())
}

fn unreadable(path: &str) -> String {
    format!("the call guard's answer to {path} is unreadable")
}

/// Whether the guard's binding exists (for `/healthz`).
pub fn bound(env: &JsValue) -> bool {
    js::object(env, BINDING).is_some()
}

pub async fn admit(env: &JsValue, request: &AdmitRequest) -> Result<Admission, String> {
    let text = ask(env, "admit", &request.to_query()).await?;
    Admission::parse(&text).ok_or_else(|| unreadable("admit"))
}

pub async fn issue(env: &JsValue, request: &IssueRequest) -> Result<Issued, String> {
    let text = ask(env, "issue", &request.to_query()).await?;
    Issued::parse(&text).ok_or_else(|| unreadable("issue"))
}

pub async fn strike(env: &JsValue, user: &str) -> Result<Struck, String> {
    let text = ask(env, "strike", &one_field("user", user)).await?;
    Struck::parse(&text).ok_or_else(|| unreadable("strike"))
}

pub async fn release(env: &JsValue, leg: &str) -> Result<bool, String> {
    Ok(ask(env, "release", &one_field("leg", leg)).await? == "true")
}

/// The place of the caller whose Vonage user is `user`, as JSON
/// (`call::line::Place::json`).
pub async fn place(env: &JsValue, user: &str) -> Result<String, String> {
    ask(env, "place", &user_query(user)).await
}

/// `user=<name>`: how the guard is asked about one caller.
pub fn user_query(user: &str) -> String {
    one_field("user", user)
}

/// The calls in progress and who waits, as JSON (`GuardMemory::view_json`).
pub async fn view(env: &JsValue) -> Result<String, String> {
    ask(env, "view", "").await
}

/// The waiting line as it moves, pushed as Server-Sent Events by the guard
/// (`src/edge/entry.js`): a caller's place (`user=…`), or ops' view (`ops=1`).
pub async fn follow(env: &JsValue, query: &str) -> Result<Response, String> {
    send(env, "watch", query).await
}
