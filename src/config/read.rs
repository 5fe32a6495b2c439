//! Reading variables: one policy for all of them, and the forms they take.
//!
//! Unset (or blank) means the default, or "not set" for a required one; set
//! but malformed is never replaced by the default. Every problem is noted
//! (for `/healthz` and the start-up log) and passed on, so the settings that
//! need the variable are not made. Parsers take `fn` pointers, not closures:
//! each form is compiled once, whatever reads it.

use crate::error::ConfigError;
use crate::shared::origin::Origin;
use crate::shared::secret::Secret;

use super::var::Number;

pub struct Reader<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    pub problems: Vec<ConfigError>,
}

/// A variable's value or what is wrong with it.
pub type Read<T> = Result<T, ConfigError>;

impl<'a> Reader<'a> {
    pub fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Self {
            lookup,
            problems: Vec::new(),
        }
    }

    /// The trimmed value; empty or all blank counts as unset.
    pub fn raw(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// Records a problem so `/healthz` can list it, and passes it on.
    pub fn note<T>(&mut self, result: Read<T>) -> Read<T> {
        if let Err(e) = &result {
            self.problems.push(e.clone());
        }
        result
    }

    /// `None` when unset; else the parsed value or what is wrong.
    fn parsed<T>(
        &self,
        name: &'static str,
        parse: fn(&str) -> Result<T, String>,
    ) -> Option<Read<T>> {
        let raw = self.raw(name)?;
        Some(parse(&raw).map_err(|why| ConfigError::invalid(name, why)))
    }

    pub fn required<T>(
        &mut self,
        name: &'static str,
        parse: fn(&str) -> Result<T, String>,
    ) -> Read<T> {
        let result = self
            .parsed(name, parse)
            .unwrap_or(Err(ConfigError::missing(name)));
        self.note(result)
    }

    /// `None` when unset.
    pub fn optional<T>(
        &mut self,
        name: &'static str,
        parse: fn(&str) -> Result<T, String>,
    ) -> Read<Option<T>> {
        let result = self.parsed(name, parse).transpose();
        self.note(result)
    }

    pub fn number(&mut self, spec: &Number) -> Read<u32> {
        let result = match self.raw(spec.name) {
            None => Ok(spec.default),
            Some(raw) => raw
                .parse::<u32>()
                .ok()
                .filter(|n| (spec.min..=spec.max).contains(n))
                .ok_or_else(|| {
                    ConfigError::invalid(
                        spec.name,
                        format!(
                            "expected {} between {} and {}{}",
                            spec.unit, spec.min, spec.max, spec.why
                        ),
                    )
                }),
        };
        self.note(result)
    }

    /// Free text of at most `max_chars`; `None` when unset.
    pub fn text(&mut self, name: &'static str, max_chars: usize) -> Read<Option<String>> {
        let result = match self.raw(name) {
            Some(raw) if raw.chars().count() > max_chars => Err(ConfigError::invalid(
                name,
                format!("expected at most {max_chars} characters"),
            )),
            raw => Ok(raw),
        };
        self.note(result)
    }

    /// A secret of at least `min_chars`; `None` when unset. Never echoed.
    pub fn secret(&mut self, name: &'static str, min_chars: usize) -> Read<Option<Secret>> {
        let result = match self.raw(name) {
            Some(raw) if raw.chars().count() < min_chars => Err(ConfigError::invalid(
                name,
                format!("expected at least {min_chars} characters; a short secret can be guessed"),
            )),
            raw => Ok(raw.map(|raw| Secret::new(&raw))),
        };
        self.note(result)
    }

    /// A flag; `false` when unset.
    pub fn flag(&mut self, name: &'static str) -> Read<bool> {
        self.optional(name, flag).map(|v| v.unwrap_or(false))
    }
}

/// A comma-separated list, every item well-formed, at least one; `what`
/// names the items ("origins, each ...").
pub fn list<T>(raw: &str, parse: fn(&str) -> Option<T>, what: &str) -> Result<Vec<T>, String> {
    let items: Option<Vec<T>> = raw
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(parse)
        .collect();
    items
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("expected a comma-separated list of {what}"))
}

pub fn origins(raw: &str) -> Result<Vec<Origin>, String> {
    list(
        raw,
        Origin::parse,
        &format!("origins, each {}", Origin::FORM),
    )
}

pub fn flag(raw: &str) -> Result<bool, String> {
    match raw.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err("expected true or false".into()),
    }
}

/// An audio file Vonage can stream: an http(s) URL of an mp3 or wav file.
pub fn audio_url(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    let (origin, path) = raw
        .split_once("://")
        .and_then(|(scheme, rest)| {
            let slash = rest.find('/')?;
            Some((format!("{scheme}://{}", &rest[..slash]), &rest[slash..]))
        })
        .ok_or("expected the https URL of an mp3 or wav file")?;
    let audio = path.ends_with(".mp3") || path.ends_with(".wav");
    let plain = path.bytes().all(|b| b.is_ascii_graphic() && b != b'"');
    if Origin::parse(&origin).is_some() && audio && plain {
        Ok(raw.to_owned())
    } else {
        Err("expected the https URL of an mp3 or wav file (Vonage streams those)".into())
    }
}

pub fn origin(raw: &str) -> Result<Origin, String> {
    Origin::parse(raw).ok_or_else(|| format!("expected {}", Origin::FORM))
}
