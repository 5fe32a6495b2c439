//! The words a caller hears, from the language files the page uses
//! (`site/i18n/<lang>.json`, read through the assets binding once per
//! isolate and language). English is built in; a language without a file,
//! or whose file is unreadable, is spoken in English.

use std::cell::RefCell;
use std::rc::Rc;

use super::runtime::{Env, console_warn};

use crate::call::speech::{ENGLISH, Speech};

use super::assets;

thread_local! {
    /// Four languages at most: a list, not a hash map (and its hasher).
    static SPEECH: RefCell<Vec<(String, Rc<Speech>)>> = const { RefCell::new(Vec::new()) };
}

/// The words of `lang` (a checked language code).
pub async fn load(env: &Env, origin: &str, lang: &str) -> Rc<Speech> {
    let cached = SPEECH.with(|cache| {
        let cache = cache.borrow();
        cache
            .iter()
            .find(|(l, _)| l == lang)
            .map(|(_, s)| Rc::clone(s))
    });
    if let Some(known) = cached {
        return known;
    }
    let speech = if lang == ENGLISH {
        Speech::english()
    } else {
        let file = assets::text(env, &format!("{origin}/i18n/{lang}.json")).await;
        match file.and_then(|file| Speech::from_file(&file)) {
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
            .push((lang.to_owned(), Rc::clone(&speech)))
    });
    speech
}
