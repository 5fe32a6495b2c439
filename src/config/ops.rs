//! What ops are given: the ops API's token, and how long the log keeps calls.

use crate::calllog::LogSettings;
use crate::ops::OpsSettings;

use super::read::{Read, Reader};
use super::var::{self, number};

pub fn read(r: &mut Reader) -> (Read<OpsSettings>, Read<LogSettings>) {
    let token = r.secret(var::OPS_TOKEN, var::OPS_TOKEN_MIN_CHARS);
    let ttl_days = r.number(&number::EVENT_TTL_DAYS);
    (
        token.map(|token| OpsSettings { token }),
        ttl_days.map(|ttl_days| LogSettings { ttl_days }),
    )
}
