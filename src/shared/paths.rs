//! The paths Vonage calls back on this worker. `routes.rs` resolves them;
//! NCCOs and the deployment name them.

pub const ANSWER_PATH: &str = "/webhooks/answer";
pub const EVENT_PATH: &str = "/webhooks/event";
pub const RECORDING_PATH: &str = "/webhooks/recording";
