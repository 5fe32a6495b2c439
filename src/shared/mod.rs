//! Plain values every room uses: phone numbers, origins, the paths Vonage
//! calls back, secrets, the one Bearer parser, dates, who a client is, and
//! what a log line looks like.

pub mod bearer;
pub mod client;
pub mod join;
pub mod json;
pub mod log_line;
pub mod origin;
pub mod paths;
pub mod phone;
pub mod secret;
pub mod time;
