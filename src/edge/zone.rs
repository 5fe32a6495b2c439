//! Time-zone rules from the runtime (`Intl.DateTimeFormat`), so the wasm
//! carries no time-zone database: workerd's ICU data is the same one the
//! visitor's browser and every other Worker use.

use std::cell::RefCell;

use js_sys::{Array, Date, Function, Intl, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use crate::call::hours::ZoneRules;

thread_local! {
    /// One formatter per zone and isolate: building one is the costly part.
    /// A deployment names a zone or two, so a list does (a hash map would
    /// bring its hasher and random seed into the wasm).
    static FORMATS: RefCell<Vec<(String, Option<Intl::DateTimeFormat>)>> =
        const { RefCell::new(Vec::new()) };
}

/// A formatter that names the zone's offset (`GMT+01:00`), or `None` when
/// the runtime knows no such zone (the constructor throws a RangeError).
fn format_for(zone: &str) -> Option<Intl::DateTimeFormat> {
    FORMATS.with(|formats| {
        if let Some((_, known)) = formats.borrow().iter().find(|(z, _)| z == zone) {
            return known.clone();
        }
        let made = (|| {
            let options = Object::new();
            Reflect::set(&options, &"timeZone".into(), &zone.into()).ok()?;
            Reflect::set(&options, &"timeZoneName".into(), &"longOffset".into()).ok()?;
            let intl = Reflect::get(&js_sys::global(), &"Intl".into()).ok()?;
            let constructor: Function = Reflect::get(&intl, &"DateTimeFormat".into())
                .ok()?
                .dyn_into()
                .ok()?;
            let args = Array::of2(&JsValue::from("en-US"), &options);
            Reflect::construct(&constructor, &args)
                .ok()
                .map(JsCast::unchecked_into)
        })();
        formats.borrow_mut().push((zone.to_owned(), made.clone()));
        made
    })
}

/// `GMT`, `GMT+01:00`, `GMT-03:30` → minutes east of UTC.
fn parse_offset(name: &str) -> Option<i32> {
    let rest = name.strip_prefix("GMT")?;
    if rest.is_empty() {
        return Some(0);
    }
    let (sign, hhmm) = match rest.as_bytes().first()? {
        b'+' => (1, &rest[1..]),
        b'-' => (-1, &rest[1..]),
        _ => return None,
    };
    let (h, m) = hhmm.split_once(':').unwrap_or((hhmm, "0"));
    Some(sign * (h.parse::<i32>().ok()? * 60 + m.parse::<i32>().ok()?))
}

/// Whether the runtime has rules for `zone`.
pub fn known(zone: &str) -> bool {
    format_for(zone).is_some()
}

pub struct IntlZones;

impl ZoneRules for IntlZones {
    fn offset_minutes(&self, zone: &str, utc_ms: i64) -> Option<i32> {
        let format = format_for(zone)?;
        let parts = format.format_to_parts(&Date::new(&JsValue::from_f64(utc_ms as f64)));
        parts.iter().find_map(|part| {
            let kind = Reflect::get(&part, &"type".into()).ok()?.as_string()?;
            if kind != "timeZoneName" {
                return None;
            }
            parse_offset(&Reflect::get(&part, &"value".into()).ok()?.as_string()?)
        })
    }
}
