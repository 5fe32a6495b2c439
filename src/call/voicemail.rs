//! Voicemail: what the caller hears, then `record` with a beep, stopping on
//! silence or at a maximum length, its `eventUrl` the recording webhook.
//! Out of hours a call goes straight here; so does one whose ring list
//! rang out.

use crate::shared::origin::WorkerOrigin;
use crate::shared::paths::RECORDING_PATH;
use crate::vonage::ncco::{Action, Ncco, RECORD_END_ON_SILENCE_SECONDS};

use super::answer::{AnswerSettings, Hours};
use super::speech::{Speech, talk};

/// Voicemail with the words its hours call for: out of hours the closed
/// message (and when the line opens), else "no one can take your call"
/// (every line busy, the ring list rang out, a caller on hold too long).
pub fn for_hours(
    settings: &AnswerSettings,
    origin: WorkerOrigin<'_>,
    hours: &Hours,
    speech: &Speech,
) -> Ncco {
    let words = match hours {
        Hours::Open => speech.no_answer_words(),
        Hours::Closed { next_open } => speech.closed_words(&settings.company_name, *next_open),
    };
    ncco(settings, origin, words, speech)
}

/// `talk` the words, then record the caller's message.
pub fn ncco(
    settings: &AnswerSettings,
    origin: WorkerOrigin<'_>,
    words: String,
    speech: &Speech,
) -> Ncco {
    vec![
        talk(words, speech),
        Action::Record {
            beep_start: true,
            end_on_silence: RECORD_END_ON_SILENCE_SECONDS,
            time_out: settings.voicemail_seconds,
            format: "mp3".into(),
            event_url: vec![format!("{}{RECORDING_PATH}", origin.0)],
        },
    ]
}
