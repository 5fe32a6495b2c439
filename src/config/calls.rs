//! Where calls go and what they may cost: the support number, the ring
//! list, voicemail, and the call guard's caps.

use crate::call::answer::AnswerSettings;
use crate::call::guard::CallLimits;
use crate::error::ConfigError;
use crate::shared::phone::PhoneNumber;

use super::application::Application;
use super::company::Company;
use super::read::{self, Read, Reader};
use super::var::{self, number};

pub struct Lines {
    support: Read<PhoneNumber>,
    destinations: Read<Vec<PhoneNumber>>,
}

pub fn read_lines(r: &mut Reader) -> Lines {
    let support = r.required(var::SUPPORT_NUMBER, PhoneNumber::parse);
    let destinations = match (
        r.raw(var::DESTINATION_NUMBERS),
        r.raw(var::DESTINATION_NUMBER),
    ) {
        (Some(_), Some(_)) => r.note(Err(ConfigError::invalid(
            var::DESTINATION_NUMBERS,
            format!(
                "set either {} or {}, not both",
                var::DESTINATION_NUMBERS,
                var::DESTINATION_NUMBER
            ),
        ))),
        (Some(_), None) => r.required(var::DESTINATION_NUMBERS, ring_list),
        (None, _) => r.required(var::DESTINATION_NUMBER, |raw| {
            PhoneNumber::parse(raw).map(|n| vec![n])
        }),
    };
    // Connecting the support number to itself would loop a call through
    // Vonage and bill both legs for nothing.
    let destinations = match (&support, destinations) {
        (Ok(support), Ok(list)) if list.contains(support) => {
            let variable = if r.raw(var::DESTINATION_NUMBERS).is_some() {
                var::DESTINATION_NUMBERS
            } else {
                var::DESTINATION_NUMBER
            };
            r.note(Err(ConfigError::invalid(
                variable,
                format!("expected a number other than {}", var::SUPPORT_NUMBER),
            )))
        }
        (_, destinations) => destinations,
    };
    Lines {
        support,
        destinations,
    }
}

/// Numbers tried in order, keeping `PhoneNumber`'s reason for a bad one.
fn ring_list(raw: &str) -> Result<Vec<PhoneNumber>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(PhoneNumber::parse)
        .collect::<Result<Vec<_>, _>>()
        .and_then(|v| {
            if v.is_empty() {
                Err(format!("expected {}", PhoneNumber::FORM))
            } else {
                Ok(v)
            }
        })
        .map_err(|why| format!("a comma-separated list of numbers, tried in order: {why}"))
}

/// The call guard's caps.
pub fn limits(r: &mut Reader) -> Read<CallLimits> {
    let max_concurrent = r.number(&number::MAX_CONCURRENT_CALLS);
    let max_live_per_client = r.number(&number::MAX_LIVE_CALLS_PER_CLIENT);
    let max_per_client_hour = r.number(&number::MAX_CALLS_PER_CLIENT_HOUR);
    let max_call_minutes = r.number(&number::MAX_CALL_MINUTES);
    let max_queue = r.number(&number::MAX_QUEUE);
    let max_wait_seconds = r.number(&number::MAX_WAIT_SECONDS);
    Ok(CallLimits {
        max_concurrent: max_concurrent?,
        max_live_per_client: max_live_per_client?,
        max_per_client_hour: max_per_client_hour?,
        max_call_minutes: max_call_minutes?,
        max_queue: max_queue?,
        max_wait_seconds: max_wait_seconds?,
    })
}

pub fn answer(
    r: &mut Reader,
    lines: Lines,
    company: &Company,
    app: &Application,
    limits: &Read<CallLimits>,
) -> Read<AnswerSettings> {
    let ring_seconds = r.number(&number::RING_SECONDS);
    let skip_machines = r
        .optional(var::RING_SKIP_MACHINES, read::flag)
        .map(|v| v.unwrap_or(var::default::RING_SKIP_MACHINES));
    let voicemail_seconds = r.number(&number::VOICEMAIL_MAX_SECONDS);
    let hold_music = r.optional(var::HOLD_MUSIC_URL, read::audio_url);
    Ok(AnswerSettings {
        greeting: company.greeting.clone()?,
        greetings: company.greetings.clone()?,
        company_name: company.name.clone()?,
        support_number: lines.support?,
        destinations: lines.destinations?,
        ring_seconds: ring_seconds?,
        skip_machines: skip_machines?,
        voicemail_seconds: voicemail_seconds?,
        hold_music: hold_music?,
        hours: company.hours.clone()?,
        limits: limits.clone()?,
        ticket_key: app.ticket_key.clone()?,
    })
}
