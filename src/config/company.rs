//! The company: its name, what callers hear first, its opening hours, and
//! the sites that may embed its call button.

use crate::call::hours::{self, OpeningHours, Week};
use crate::shared::origin::Origin;
use crate::vonage::ncco::TALK_TEXT_MAX_CHARS;

use super::read::{self, Read, Reader};
use super::var;

pub struct Company {
    pub name: Read<String>,
    /// `GREETING`.
    pub greeting: Read<Option<String>>,
    /// `GREETING_<LANG>`, by language code.
    pub greetings: Read<Vec<(String, String)>>,
    /// `None`: always open.
    pub hours: Read<Option<OpeningHours>>,
    /// `ALLOWED_ORIGINS`.
    pub origins: Read<Vec<Origin>>,
    /// `PRE_CALL_FORM`: the page asks for a name and a reason (both
    /// optional) before the call, for the agent's whisper.
    pub pre_call_form: Read<bool>,
}

pub fn read(r: &mut Reader, names: &[String], zone_known: &dyn Fn(&str) -> bool) -> Company {
    let greeting = r.text(var::GREETING, TALK_TEXT_MAX_CHARS);
    let greetings = greetings(r, names);
    let name = r
        .text(var::COMPANY_NAME, var::COMPANY_NAME_MAX_CHARS)
        .map(|name| name.unwrap_or_else(|| var::default::COMPANY_NAME.to_owned()));
    let origins = r
        .optional(var::ALLOWED_ORIGINS, read::origins)
        .map(Option::unwrap_or_default);
    let week = r.optional(var::OPENING_HOURS, Week::parse);
    let zone = match r.raw(var::TIMEZONE) {
        None => Ok(var::default::TIMEZONE.to_owned()),
        Some(raw) if hours::zone_name_ok(&raw) && zone_known(&raw) => Ok(raw),
        Some(_) => Err(crate::error::ConfigError::invalid(
            var::TIMEZONE,
            "expected an IANA time zone name the runtime knows, like Europe/London or America/New_York",
        )),
    };
    let zone = r.note(zone);
    let closed_dates = r
        .optional(var::CLOSED_DATES, hours::parse_dates)
        .map(Option::unwrap_or_default);
    let hours = (|| {
        let (closed_dates, zone) = (closed_dates?, zone?);
        Ok(week?.map(|week| OpeningHours {
            week,
            closed_dates,
            zone,
        }))
    })();
    let pre_call_form = r.flag(var::PRE_CALL_FORM);
    Company {
        name,
        greeting,
        greetings,
        hours,
        origins,
        pre_call_form,
    }
}

/// `GREETING_DE`, `GREETING_ES`...: names are leaked once per isolate so
/// their errors can name them like every other variable.
fn greetings(r: &mut Reader, names: &[String]) -> Read<Vec<(String, String)>> {
    let mut greetings = Ok(Vec::new());
    for name in names {
        let Some(lang) = name
            .strip_prefix(var::GREETING_PREFIX)
            .filter(|l| (2..=3).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_uppercase()))
        else {
            continue;
        };
        let name: &'static str = Box::leak(name.clone().into_boxed_str());
        let parsed = r.text(name, TALK_TEXT_MAX_CHARS);
        greetings = match (greetings, parsed) {
            (Ok(mut list), Ok(Some(text))) => {
                list.push((lang.to_ascii_lowercase(), text));
                Ok(list)
            }
            (Ok(list), Ok(None)) => Ok(list),
            (Err(e), _) | (_, Err(e)) => Err(e),
        };
    }
    greetings
}
