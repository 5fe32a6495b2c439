//! Reading a JSON object's members one by one, each kept as its raw JSON,
//! without building a `serde_json::Value` tree: the log keeps bodies verbatim
//! and reads a field or two of them, and a tree (a `BTreeMap` per object)
//! would bring its own code for that.

use std::fmt;

use serde::Deserializer;
use serde::de::{MapAccess, Visitor};
use serde_json::value::RawValue;

/// A JSON object's members, in order, each as raw JSON.
#[derive(Debug, Clone, Copy)]
pub struct Object<'a> {
    text: &'a str,
}

/// Why a text is not an object: not JSON at all, or JSON of another kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotAnObject {
    Invalid(String),
    OtherKind,
}

/// JSON from bytes, read as text. The whole worker reads JSON from `&str`
/// (serde_json's `StrRead`), so the wasm holds one copy of the parser, not
/// one per reader.
pub fn from_bytes<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8]) -> serde_json::Result<T> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| <serde_json::Error as serde::de::Error>::custom("the text is not UTF-8"))?;
    serde_json::from_str(text)
}

struct Members<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Visitor<'de> for MembersVisitor {
    type Value = Members<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            members.push((key, map.next_value::<&'de RawValue>()?));
        }
        Ok(Members(members))
    }
}

struct MembersVisitor;

fn parse(text: &str) -> Result<Members<'_>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let members = (&mut de).deserialize_map(MembersVisitor)?;
    de.end()?;
    Ok(members)
}

impl<'a> Object<'a> {
    /// `text` if it is a JSON object.
    pub fn parse(text: &'a str) -> Result<Self, NotAnObject> {
        match parse(text) {
            Ok(_) => Ok(Self { text }),
            Err(e) if e.is_data() => Err(NotAnObject::OtherKind),
            Err(e) => Err(NotAnObject::Invalid(e.to_string())),
        }
    }

    /// One member's raw JSON (the last, if repeated).
    pub fn get(&self, name: &str) -> Option<&'a RawValue> {
        let members = parse(self.text).ok()?;
        members
            .0
            .into_iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// A member that is a string, unescaped.
    pub fn string(&self, name: &str) -> Option<String> {
        string(self.get(name)?)
    }

    /// A member that is a string or a number, as text (`"42"` or `42` → `42`).
    pub fn text(&self, name: &str) -> Option<String> {
        let raw = self.get(name)?;
        string(raw).or_else(|| {
            let text = raw.get();
            text.starts_with(|c: char| c == '-' || c.is_ascii_digit())
                .then(|| text.to_owned())
        })
    }
}

/// Raw JSON that is a string, unescaped.
pub fn string(raw: &RawValue) -> Option<String> {
    raw.get()
        .starts_with('"')
        .then(|| serde_json::from_str(raw.get()).ok())
        .flatten()
}

/// Raw JSON that is `null`.
pub fn is_null(raw: &RawValue) -> bool {
    raw.get() == "null"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_read_as_written() {
        let o =
            Object::parse(r#"{"a":"x\"y","n":42,"o":{"b":[1,2]},"z":null,"a2":-1.5e3}"#).unwrap();
        assert_eq!(o.string("a").as_deref(), Some("x\"y"));
        assert_eq!(o.text("n").as_deref(), Some("42"));
        assert_eq!(o.text("a2").as_deref(), Some("-1.5e3"));
        assert_eq!(o.get("o").unwrap().get(), r#"{"b":[1,2]}"#);
        assert_eq!(o.string("n"), None, "a number is not a string");
        assert_eq!(o.text("o"), None);
        assert!(is_null(o.get("z").unwrap()));
        assert!(o.get("missing").is_none());
        let repeated = Object::parse(r#"{"a":"1","a":"2"}"#).unwrap();
        assert_eq!(
            repeated.string("a").as_deref(),
            Some("2"),
            "the last wins, as JSON.parse"
        );
    }

    #[test]
    fn other_kinds_and_bad_json_are_told_apart() {
        assert_eq!(Object::parse("[1]").unwrap_err(), NotAnObject::OtherKind);
        assert_eq!(Object::parse("\"x\"").unwrap_err(), NotAnObject::OtherKind);
        assert!(matches!(
            Object::parse("{\"a\":").unwrap_err(),
            NotAnObject::Invalid(_)
        ));
        assert!(matches!(
            Object::parse("{} x").unwrap_err(),
            NotAnObject::Invalid(_)
        ));
    }
}
