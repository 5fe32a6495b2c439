//! What the visitor's browser asks for: the page and its headers (also the
//! embed's panel), a token and call ticket, callback requests; and whether
//! a request comes from a site that may ask.

pub mod auth;
pub mod callback;
pub mod page;
pub mod same_site;
