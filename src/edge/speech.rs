//! The words a caller hears, from the language files the page uses
//! (`site/i18n/<lang>.json`, read through the assets binding once per
//! isolate and language). English is built in; a language without a file,
//! or whose file is unreadable, is spoken in English.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use worker::{Env, console_warn};

use crate::speech::{ENGLISH, Speech};

const ASSETS_BINDING: &str = "ASSETS";

thread_local! {
    static SPEECH: RefCell<HashMap<String, Rc<Speech>>> = RefCell::new(HashMap::new());
}

async fn read_file(env: &Env, origin: &str, lang: &str) -> Result<String, String> {
    let assets = Reflect::get(env.as_ref(), &ASSETS_BINDING.into())
        .ok()
        .filter(JsValue::is_object)
        .ok_or("no assets binding")?;
    let fetch: Function = Reflect::get(&assets, &"fetch".into())
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or("the assets binding cannot fetch")?;
    let url = format!("{origin}/i18n/{lang}.json");
    let promise: Promise = fetch
        .call1(&assets, &url.into())
        .map_err(|_| "the assets fetch failed")?
        .unchecked_into();
    let response: web_sys::Response = JsFuture::from(promise)
        .await
        .map_err(|_| "the assets fetch failed")?
        .unchecked_into();
    if !response.ok() {
        return Err(format!("no such file ({})", response.status()));
    }
    let text = JsFuture::from(response.text().map_err(|_| "unreadable")?)
        .await
        .map_err(|_| "unreadable")?;
    text.as_string().ok_or_else(|| "unreadable".into())
}

/// The words of `lang` (a checked language code).
pub async fn load(env: &Env, origin: &str, lang: &str) -> Rc<Speech> {
    if let Some(known) = SPEECH.with(|cache| cache.borrow().get(lang).cloned()) {
        return known;
    }
    let speech = if lang == ENGLISH {
        Speech::english()
    } else {
        match read_file(env, origin, lang)
            .await
            .and_then(|file| Speech::from_file(&file))
        {
            Ok(speech) => speech,
            Err(why) => {
                console_warn!("speech: i18n/{lang}.json: {why}; speaking English");
                Speech::english()
            }
        }
    };
    let speech = Rc::new(speech);
    SPEECH.with(|cache| {
        cache
            .borrow_mut()
            .insert(lang.to_owned(), Rc::clone(&speech))
    });
    speech
}
