//! What callers hear, in their language.
//!
//! The words live with the page's: `site/i18n/<lang>.json`, whose `speech`
//! part the worker reads (through the assets binding) when a call carries
//! `custom_data.lang`. Another language is one more file. English is built
//! in, so the common path reads no file and a missing file still speaks;
//! a native test holds the built-in English to `site/i18n/en.json`.

use crate::shared::json::Object;

use crate::vonage::ncco::{Action, Ncco, TALK_TEXT_MAX_CHARS};

use super::hours::Local;

pub const ENGLISH: &str = "en";

/// The `speech` part of a language file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Speech {
    /// The `talk` action's `language` (BCP-47, e.g. `de-DE`); `None` for
    /// Vonage's default voice (en-US).
    pub talk_language: Option<String>,
    /// `{company}` is filled in.
    pub greeting: String,
    pub closed: String,
    /// `{when}`: the next opening, as `when` says it.
    pub reopen: String,
    pub leave_message: String,
    pub no_answer: String,
    pub apology: String,
    pub lines_busy: String,
    /// On hold in the waiting line; `{place}` is the caller's place.
    pub waiting: String,
    /// `{day}` and `{time}`.
    pub when: String,
    /// Monday first.
    pub weekdays: Vec<String>,
}

/// A language code as pages send it (`de`, `es`): two or three lowercase
/// letters, so it can name a file. Anything else is English.
pub fn language_code(raw: Option<&str>) -> &str {
    match raw {
        Some(code)
            if (2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase()) =>
        {
            code
        }
        _ => ENGLISH,
    }
}

fn fill(template: &str, name: &str, value: &str) -> String {
    template.replace(&format!("{{{name}}}"), value)
}

impl Speech {
    pub fn english() -> Self {
        let s = |text: &str| text.to_owned();
        Self {
            talk_language: None,
            greeting: s("Thank you for calling {company} support. Transferring you now."),
            closed: s("Thank you for calling {company}. We are closed right now."),
            reopen: s("We open again on {when}."),
            leave_message: s("Please leave a message after the tone, and we will call you back."),
            no_answer: s("Sorry, no one can take your call right now."),
            apology: s("Sorry, we cannot connect your call right now. Please try again later."),
            lines_busy: s(
                "Sorry, all our lines are busy right now. Please try again in a few minutes.",
            ),
            waiting: s(
                "All our lines are busy. You are number {place} in line. Please hold, and we will put you through.",
            ),
            when: s("{day} at {time}"),
            weekdays: [
                "Monday",
                "Tuesday",
                "Wednesday",
                "Thursday",
                "Friday",
                "Saturday",
                "Sunday",
            ]
            .map(str::to_owned)
            .to_vec(),
        }
    }

    /// Reads a language file's `speech`; the error says what is wrong.
    pub fn from_file(json: &str) -> Result<Self, String> {
        // Read member by member (one parser the worker has anyway), not
        // with a derived deserializer of its own.
        let file = Object::parse(json).map_err(|_| "not a JSON object".to_owned())?;
        let part = file
            .get("speech")
            .and_then(|raw| Object::parse(raw.get()).ok())
            .ok_or("no `speech` object")?;
        let text = |name: &str| {
            part.string(name)
                .ok_or_else(|| format!("`speech.{name}` must be a string"))
        };
        let speech = Speech {
            talk_language: part.string("talk_language"),
            greeting: text("greeting")?,
            closed: text("closed")?,
            reopen: text("reopen")?,
            leave_message: text("leave_message")?,
            no_answer: text("no_answer")?,
            apology: text("apology")?,
            lines_busy: text("lines_busy")?,
            waiting: text("waiting")?,
            when: text("when")?,
            weekdays: part
                .get("weekdays")
                .and_then(|raw| serde_json::from_str::<Vec<String>>(raw.get()).ok())
                .unwrap_or_default(),
        };
        if speech.weekdays.len() != 7 {
            return Err("`speech.weekdays` must name the 7 days, Monday first".into());
        }
        let texts = [
            &speech.greeting,
            &speech.closed,
            &speech.reopen,
            &speech.leave_message,
            &speech.no_answer,
            &speech.apology,
            &speech.lines_busy,
            &speech.waiting,
        ];
        if texts
            .iter()
            .any(|t| t.trim().is_empty() || t.chars().count() > TALK_TEXT_MAX_CHARS / 3)
        {
            return Err("every `speech` sentence must be non-empty and short".into());
        }
        Ok(speech)
    }

    pub fn greeting(&self, company: &str) -> String {
        fill(&self.greeting, "company", company)
    }

    /// "Monday at 09:00".
    pub fn when(&self, at: Local) -> String {
        let day = &self.weekdays[usize::from(at.date.weekday().0)];
        let time = format!("{:02}:{:02}", at.minute / 60, at.minute % 60);
        fill(&fill(&self.when, "day", day), "time", &time)
    }

    /// Out of hours, before the beep.
    pub fn closed_words(&self, company: &str, next_open: Option<Local>) -> String {
        let mut words = fill(&self.closed, "company", company);
        if let Some(at) = next_open {
            words.push(' ');
            words.push_str(&fill(&self.reopen, "when", &self.when(at)));
        }
        words.push(' ');
        words.push_str(&self.leave_message);
        words
    }

    /// Put on hold: the caller's place in the waiting line.
    pub fn waiting_words(&self, place: u32) -> String {
        fill(&self.waiting, "place", &place.to_string())
    }

    /// After the whole ring list, before the beep.
    pub fn no_answer_words(&self) -> String {
        format!("{} {}", self.no_answer, self.leave_message)
    }
}

/// Who is being answered: the words of their language, and its code (a
/// ring-list leg's event URL carries it, so the next NCCO speaks it too).
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    pub speech: &'a Speech,
    pub lang: &'a str,
    /// What the agent is told on answering (`whisper`).
    pub context: &'a crate::call::whisper::CallerContext,
}

/// One `talk` in the caller's voice.
pub fn talk(text: String, speech: &Speech) -> Action {
    Action::Talk {
        text,
        language: speech.talk_language.clone(),
    }
}

/// One `talk` and nothing else: nothing is dialled.
pub fn say(text: &str, speech: &Speech) -> Ncco {
    vec![talk(text.to_owned(), speech)]
}

/// Spoken when the service cannot connect the caller, so Vonage never gets
/// an error page (which it would read as a failed call with no explanation).
pub fn apology(speech: &Speech) -> Ncco {
    say(&speech.apology, speech)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::time::Date;

    const FILES: [(&str, &str); 4] = [
        ("en", include_str!("../../site/i18n/en.json")),
        ("de", include_str!("../../site/i18n/de.json")),
        ("es", include_str!("../../site/i18n/es.json")),
        ("fr", include_str!("../../site/i18n/fr.json")),
    ];

    #[test]
    fn the_built_in_english_is_the_english_file() {
        assert_eq!(Speech::from_file(FILES[0].1).unwrap(), Speech::english());
    }

    #[test]
    fn every_language_file_speaks() {
        for (lang, file) in FILES {
            let speech = Speech::from_file(file).unwrap_or_else(|e| panic!("{lang}: {e}"));
            assert!(speech.greeting.contains("{company}"), "{lang}");
            assert!(speech.reopen.contains("{when}"), "{lang}");
            assert!(speech.waiting.contains("{place}"), "{lang}");
            assert_eq!(speech.talk_language.is_none(), lang == "en", "{lang}");
        }
    }

    #[test]
    fn the_closed_words_say_when_in_the_callers_language() {
        let monday = Local {
            date: Date::parse("2026-11-30").unwrap(),
            minute: 9 * 60 + 30,
        };
        assert_eq!(
            Speech::english().closed_words("Acme", Some(monday)),
            "Thank you for calling Acme. We are closed right now. We open again on Monday at 09:30. Please leave a message after the tone, and we will call you back."
        );
        let german = Speech::from_file(FILES[1].1).unwrap();
        assert_eq!(
            german.closed_words("Acme", Some(monday)),
            "Vielen Dank für Ihren Anruf bei Acme. Wir haben gerade geschlossen. Wir sind wieder erreichbar am Montag um 09:30 Uhr. Bitte hinterlassen Sie nach dem Signalton eine Nachricht, wir rufen Sie zurück."
        );
        assert_eq!(
            Speech::english().no_answer_words(),
            "Sorry, no one can take your call right now. Please leave a message after the tone, and we will call you back."
        );
    }

    #[test]
    fn language_codes_name_files_or_fall_back_to_english() {
        assert_eq!(language_code(Some("de")), "de");
        assert_eq!(language_code(Some("../x")), "en");
        assert_eq!(language_code(Some("DE")), "en");
        assert_eq!(language_code(None), "en");
    }

    #[test]
    fn an_apology_dials_no_one() {
        let en = Speech::english();
        assert_eq!(
            serde_json::to_string(&apology(&en)).unwrap(),
            format!(r#"[{{"action":"talk","text":"{}"}}]"#, en.apology)
        );
    }
}
