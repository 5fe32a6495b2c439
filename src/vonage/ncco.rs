//! NCCOs (Nexmo Call Control Objects): the actions this service answers
//! with, typed after Vonage's NCCO reference, and the reference's limits.

use serde::{Deserialize, Serialize};

/// NCCO `talk.text` is limited to 1,500 characters (NCCO reference, talk).
pub const TALK_TEXT_MAX_CHARS: usize = 1500;
/// NCCO `record.endOnSilence` takes 3 to 10 seconds (NCCO reference, record).
pub const RECORD_END_ON_SILENCE_SECONDS: u8 = 3;
/// NCCO `record.timeOut` takes 3 to 7200 seconds.
pub const RECORD_TIMEOUT_SECONDS: std::ops::RangeInclusive<u32> = 3..=7200;

/// The NCCO actions this service uses, typed after Vonage's NCCO reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum Action {
    Talk {
        text: String,
        /// BCP-47, e.g. `de-DE`; Vonage's default (`en-US`) when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        language: Option<String>,
    },
    Connect {
        from: String,
        endpoint: Vec<Endpoint>,
        #[serde(rename = "eventType", default, skip_serializing_if = "Option::is_none")]
        event_type: Option<String>,
        /// Seconds to ring before giving up.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout: Option<u32>,
        /// The longest the connected call may last, in seconds (Vonage's
        /// default: 7200).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<u32>,
        /// `continue`: when a machine answers, Vonage sends the leg's
        /// `machine` event to `eventUrl` and the call goes on; `hangup`: the
        /// leg is ended (NCCO reference, connect).
        #[serde(
            rename = "machineDetection",
            default,
            skip_serializing_if = "Option::is_none"
        )]
        machine_detection: Option<String>,
        #[serde(rename = "eventUrl", default, skip_serializing_if = "Option::is_none")]
        event_url: Option<Vec<String>>,
    },
    /// Plays audio files (NCCO reference, stream: `streamUrl` "an array
    /// containing a single URL to an mp3 or wav (16-bit) audio file";
    /// `loop` "the number of times audio is repeated before the Call is
    /// closed", 0 for ever).
    Stream {
        #[serde(rename = "streamUrl")]
        stream_url: Vec<String>,
        #[serde(rename = "loop")]
        repeat: u32,
    },
    Record {
        #[serde(rename = "beepStart")]
        beep_start: bool,
        #[serde(rename = "endOnSilence")]
        end_on_silence: u8,
        #[serde(rename = "timeOut")]
        time_out: u32,
        format: String,
        #[serde(rename = "eventUrl")]
        event_url: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Endpoint {
    Phone {
        number: String,
        /// An NCCO played to the answering number before it is joined to
        /// the call (NCCO reference, connect, phone endpoint `onAnswer`).
        #[serde(rename = "onAnswer", default, skip_serializing_if = "Option::is_none")]
        on_answer: Option<OnAnswer>,
    },
}

/// `onAnswer`: where the answering number's NCCO is fetched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnAnswer {
    pub url: String,
}

pub type Ncco = Vec<Action>;
