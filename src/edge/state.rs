//! Per-isolate state: the configuration, read and validated once.
//!
//! An isolate's environment never changes (a new deployment or a new
//! `.dev.vars` means a new isolate), so caching it is safe.

use std::cell::OnceCell;
use std::rc::Rc;

use super::runtime::{Env, console_log};
use wasm_bindgen::JsCast;

use crate::config::{Config, var};

thread_local! {
    static CONFIG: OnceCell<Rc<Config>> = const { OnceCell::new() };
}

pub fn config(env: &Env) -> Rc<Config> {
    CONFIG.with(|cell| {
        cell.get_or_init(|| {
            // Every binding's and variable's name, for GREETING_<LANG>.
            let env_object: &js_sys::Object =
                AsRef::<wasm_bindgen::JsValue>::as_ref(env).unchecked_ref();
            let names: Vec<String> = js_sys::Object::keys(env_object)
                .iter()
                .filter_map(|name| name.as_string())
                .collect();
            let config = Config::from_runtime(|name| env.var(name), &names, super::zone::known);
            announce(&config);
            Rc::new(config)
        })
        .clone()
    })
}

/// Said once per isolate: what is misconfigured, and whether webhooks are
/// unsigned. Names and forms only, never values.
fn announce(config: &Config) {
    for problem in config.problems() {
        console_log!("config: {problem}");
    }
    match config.webhooks.as_ref() {
        Ok(w) if w.signature.is_none() && w.unsigned_allowed => console_log!(
            "config: webhook signature checking is OFF ({} is not set, {}=true): anyone can post to /webhooks/*",
            var::SIGNATURE_SECRET,
            var::ALLOW_UNSIGNED_WEBHOOKS
        ),
        Ok(w) if w.signature.is_none() => console_log!(
            "config: {} is not set: webhooks are refused (401; the answer webhook apologises) until it is, or until {}=true",
            var::SIGNATURE_SECRET,
            var::ALLOW_UNSIGNED_WEBHOOKS
        ),
        Ok(w) if w.signature.as_ref().is_some_and(|s| s.secret_is_short()) => console_log!(
            "config: {} is shorter than {} characters: a short secret can be found by trying",
            var::SIGNATURE_SECRET,
            crate::vonage::signature::SECRET_ADVISED_CHARS
        ),
        _ => {}
    }
    if let Ok(crate::visitor::auth::AuthSettings {
        users: crate::visitor::auth::Users::Shared(_),
        ..
    }) = &config.auth
    {
        console_log!(
            "config: {} is set: every visitor logs in as one Vonage user (development only)",
            var::CLIENT_USER
        );
    }
}
