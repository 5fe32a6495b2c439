//! Plain values every room uses: phone numbers, origins, the paths Vonage
//! calls back, secrets, the one Bearer parser, dates, and who a client is.

pub mod bearer;
pub mod client;
pub mod join;
pub mod json;
pub mod origin;
pub mod paths;
pub mod phone;
pub mod secret;
pub mod time;
