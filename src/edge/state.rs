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
    if config
        .webhooks
        .as_ref()
        .is_ok_and(|w| w.signature.is_none())
    {
        console_log!(
            "config: webhook signature checking is OFF ({} is not set); anyone can post to /webhooks/*",
            var::SIGNATURE_SECRET
        );
    }
}
