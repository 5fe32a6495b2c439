//! Voicemail: what the caller hears, then `record` with a beep, stopping on
//! silence or at a maximum length, its `eventUrl` the recording webhook.
//! Out of hours a call goes straight here; so does one whose ring list
//! rang out.

use crate::shared::origin::WorkerOrigin;
use crate::shared::paths::RECORDING_PATH;
use crate::vonage::ncco::{Action, Ncco, RECORD_END_ON_SILENCE_SECONDS};

use super::answer::AnswerSettings;
use super::speech::{Speech, talk};

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
