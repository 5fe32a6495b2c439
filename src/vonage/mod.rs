//! What Vonage defines, as this service meets it: the answer webhook's
//! request, call events and legs, NCCO actions, signed webhooks, the JWTs
//! and keys of an application, user names, and where media may come from.
//! Each fact lives once here, with the Vonage reference it comes from.

pub mod answer_request;
pub mod calls;
pub mod event;
pub mod jwt;
pub mod legs;
pub mod media;
pub mod ncco;
pub mod private_key;
pub mod signature;
pub mod user;
pub mod users;
