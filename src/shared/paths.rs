//! The paths Vonage calls back on this worker. `routes.rs` resolves them;
//! NCCOs and the deployment name them.

pub const ANSWER_PATH: &str = "/webhooks/answer";
pub const EVENT_PATH: &str = "/webhooks/event";
pub const RECORDING_PATH: &str = "/webhooks/recording";
/// Vonage's `fallback_answer_url`: asked when the answer webhook fails.
pub const FALLBACK_PATH: &str = "/webhooks/fallback";
/// RTC (Conversation API) events: not signed by Vonage, only logged.
pub const RTC_PATH: &str = "/webhooks/rtc";
/// What the agent hears on answering a web call (a connect's `onAnswer`).
pub const WHISPER_PATH: &str = "/webhooks/whisper";
/// The hold music callers in the waiting line hear, unless
/// `HOLD_MUSIC_URL` names another (served from `site/`).
pub const HOLD_MUSIC_PATH: &str = "/audio/hold.wav";
