//! Callback requests: a visitor who could not get through (out of hours, or
//! no one answered) leaves a name and a number, and ops call back.
//!
//! Each request is one KV value under `callback/<received ms>-<hash>`, its
//! status also in the key's metadata so a listing tells open from done
//! without reading every value. Requests are kept as long as the event log
//! (`EVENT_TTL_DAYS`).

use crate::shared::join::join_all;
use crate::shared::json::{self, NotAnObject, Object};
use serde::{Deserialize, Serialize};

use crate::calllog::keys::short_hash;
use crate::calllog::store::{LogStore, StoreError};
use crate::error::AppError;
use crate::shared::phone::PhoneNumber;
use crate::shared::time;

pub const PREFIX: &str = "callback/";
pub const NAME_MAX_CHARS: usize = 100;
pub const NOTE_MAX_CHARS: usize = 500;
/// A request is a few hundred bytes; anything much larger is not one.
pub const MAX_BODY_BYTES: usize = 4 * 1024;
/// The most open requests one listing returns (oldest first), and the most
/// recently done ones shown beside them.
pub const OPEN_MAX: usize = 200;
pub const DONE_SHOWN: usize = 20;
/// Listing pages read at most (1,000 keys each).
const LIST_PAGES_MAX: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Open,
    Done,
}

/// A callback request as ops see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Callback {
    pub id: String,
    pub name: String,
    /// E.164 with its `+`.
    pub phone: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub requested_at: String,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_at: Option<String>,
    /// The place in the waiting line the caller gave up for this request
    /// ("Call me back instead"), as the call guard knew it: ops call such
    /// requests back first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_place: Option<u32>,
    /// The Vonage user of the call waiting in line, when the request came
    /// from it (never stored: the guard says where it waits).
    #[serde(skip)]
    pub waiting_user: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Metadata {
    status: Status,
}

/// A string field, trimmed; absent, null or blank is `None`.
fn field(body: &Object<'_>, name: &str) -> Result<Option<String>, AppError> {
    match body.get(name) {
        None => Ok(None),
        Some(raw) if json::is_null(raw) => Ok(None),
        Some(raw) => json::string(raw)
            .map(|s| Some(s.trim().to_owned()).filter(|s| !s.is_empty()))
            .ok_or_else(|| AppError::BadRequest(format!("`{name}` must be a string"))),
    }
}

fn text(value: &str, name: &str, max_chars: usize, multiline: bool) -> Result<String, AppError> {
    if value.chars().count() > max_chars {
        return Err(AppError::BadRequest(format!(
            "`{name}` must be at most {max_chars} characters"
        )));
    }
    let allowed = |c: char| !c.is_control() || (multiline && (c == '\n' || c == '\t'));
    if !value.chars().all(allowed) {
        return Err(AppError::BadRequest(format!(
            "`{name}` must not contain control characters"
        )));
    }
    Ok(value.to_owned())
}

/// A phone number as a visitor types it: E.164, with or without `+`, spaces
/// allowed between digits.
pub fn visitor_phone(raw: &str) -> Result<String, AppError> {
    let compact: String = raw.chars().filter(|c| *c != ' ').collect();
    PhoneNumber::parse(&compact)
        .map(|n| format!("+{n}"))
        .map_err(|_| {
            AppError::BadRequest(
                "`phone` must be an international number in E.164 form: + and the country code, then the number (e.g. +44 7700 900123)".into(),
            )
        })
}

impl Callback {
    /// Reads `{"name", "phone", "note"}` (other fields are ignored), received at `now_ms`.
    pub fn from_request(body: &[u8], now_ms: u64) -> Result<Self, AppError> {
        let text_body =
            std::str::from_utf8(body).map_err(|e| AppError::InvalidJson(e.to_string()))?;
        let body = Object::parse(text_body).map_err(|e| match e {
            NotAnObject::Invalid(why) => AppError::InvalidJson(why),
            NotAnObject::OtherKind => AppError::BadRequest(
                "expected a JSON object with `name`, `phone` and `note`".into(),
            ),
        })?;
        let name = field(&body, "name")?
            .ok_or_else(|| AppError::BadRequest("`name` is required".into()))?;
        let name = text(&name, "name", NAME_MAX_CHARS, false)?;
        let phone = field(&body, "phone")?
            .ok_or_else(|| AppError::BadRequest("`phone` is required".into()))?;
        let phone = visitor_phone(&phone)?;
        let note = field(&body, "note")?
            .map(|n| text(&n, "note", NOTE_MAX_CHARS, true))
            .transpose()?;
        let waiting_user = field(&body, "user")?;
        let hash =
            short_hash(format!("{name}\n{phone}\n{}", note.as_deref().unwrap_or("")).as_bytes());
        Ok(Self {
            id: format!("{now_ms:013}-{hash}"),
            name,
            phone,
            note,
            requested_at: time::rfc3339_ms(now_ms),
            status: Status::Open,
            done_at: None,
            line_place: None,
            waiting_user,
        })
    }
}

/// `<13 digits>-<16 hex>`: what an id in a URL must look like before it
/// becomes part of a key.
pub fn is_id(id: &str) -> bool {
    let Some((ms, hash)) = id.split_once('-') else {
        return false;
    };
    ms.len() == 13
        && ms.bytes().all(|b| b.is_ascii_digit())
        && hash.len() == 16
        && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

fn key(id: &str) -> String {
    format!("{PREFIX}{id}")
}

/// Keeps a request, new or updated; its status goes in the key's metadata
/// too. The same request sent twice in one millisecond is one request.
pub async fn save<S: LogStore>(store: &S, callback: &Callback) -> Result<(), StoreError> {
    let metadata = serde_json::to_string(&Metadata {
        status: callback.status,
    })?;
    store
        .put_with_metadata(
            &key(&callback.id),
            &serde_json::to_string(callback)?,
            &metadata,
        )
        .await
}

/// Marks a request done; `None` when there is no such request. Marking a
/// done request again changes nothing.
pub async fn mark_done<S: LogStore>(
    store: &S,
    id: &str,
    now_ms: u64,
) -> Result<Option<Callback>, StoreError> {
    let Some(raw) = store.get(&key(id)).await? else {
        return Ok(None);
    };
    let mut callback: Callback = serde_json::from_str(&raw)?;
    if callback.status == Status::Open {
        callback.status = Status::Done;
        callback.done_at = Some(time::rfc3339_ms(now_ms));
        save(store, &callback).await?;
    }
    Ok(Some(callback))
}

/// What ops see: the open requests (those from the waiting line first,
/// then oldest first), and the latest done.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Callbacks {
    pub open_count: usize,
    pub open: Vec<Callback>,
    pub done: Vec<Callback>,
}

pub async fn list<S: LogStore>(store: &S) -> Result<Callbacks, StoreError> {
    let (mut open, mut done) = (Vec::new(), Vec::new());
    let mut cursor: Option<String> = None;
    for _ in 0..LIST_PAGES_MAX {
        let page = store.list(PREFIX, cursor.as_deref(), 1000).await?;
        for listed in page.keys {
            let status = listed
                .metadata
                .as_deref()
                .and_then(|m| serde_json::from_str::<Metadata>(m).ok())
                .map_or(Status::Open, |m| m.status);
            match status {
                Status::Open => open.push(listed.name),
                Status::Done => done.push(listed.name),
            }
        }
        cursor = page.cursor;
        if cursor.is_none() {
            break;
        }
    }
    let open_count = open.len();
    open.truncate(OPEN_MAX);
    let done = done.split_off(done.len().saturating_sub(DONE_SHOWN));
    let read = |keys: Vec<String>| async move {
        let values = join_all(keys.iter().map(|k| store.get(k))).await;
        let mut callbacks = Vec::with_capacity(values.len());
        for value in values {
            if let Some(raw) = value? {
                callbacks.push(serde_json::from_str::<Callback>(&raw)?);
            }
        }
        Ok::<_, StoreError>(callbacks)
    };
    // Who gave up a place in the waiting line first, in the order they
    // asked (a partition: no sort in the wasm for it).
    let (mut open, rest): (Vec<_>, Vec<_>) = read(open)
        .await?
        .into_iter()
        .partition(|c: &Callback| c.line_place.is_some());
    open.extend(rest);
    let mut done = read(done).await?;
    done.reverse();
    Ok(Callbacks {
        open_count,
        open,
        done,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{MemoryStore, block_on};

    const NOW: u64 = 1_767_258_000_000;

    fn request(body: &str) -> Result<Callback, AppError> {
        Callback::from_request(body.as_bytes(), NOW)
    }

    #[test]
    fn a_request_needs_a_name_and_an_international_number() {
        let c = request(r#"{"name":" Ada Lovelace ","phone":"+44 7700 900123","note":"About my order\nthanks","extra":1}"#).unwrap();
        assert_eq!(
            (c.name.as_str(), c.phone.as_str()),
            ("Ada Lovelace", "+447700900123")
        );
        assert_eq!(c.note.as_deref(), Some("About my order\nthanks"));
        assert_eq!(c.status, Status::Open);
        assert!(is_id(&c.id), "{}", c.id);
        assert_eq!(
            request(r#"{"name":"Ada","phone":"447700900123"}"#)
                .unwrap()
                .phone,
            "+447700900123"
        );
        for (body, why) in [
            (r#"{"phone":"+447700900123"}"#, "`name` is required"),
            (r#"{"name":"Ada"}"#, "`phone` is required"),
            (r#"{"name":"Ada","phone":"07700 900123"}"#, "E.164"),
            (r#"{"name":"Ada","phone":"+44 7700 9001234567"}"#, "E.164"),
            (r#"{"name":"Ada","phone":"call me"}"#, "E.164"),
            (
                r#"{"name":42,"phone":"+447700900123"}"#,
                "`name` must be a string",
            ),
            (
                r#"{"name":"A\u0007da","phone":"+447700900123"}"#,
                "control characters",
            ),
            (r#"[1]"#, "JSON object"),
        ] {
            match request(body) {
                Err(AppError::BadRequest(m)) => assert!(m.contains(why), "{body}: {m}"),
                other => panic!("{body}: {other:?}"),
            }
        }
        let long_note = format!(
            r#"{{"name":"Ada","phone":"+447700900123","note":"{}"}}"#,
            "x".repeat(501)
        );
        assert!(
            matches!(request(&long_note), Err(AppError::BadRequest(m)) if m.contains("at most 500"))
        );
        assert!(matches!(request("{"), Err(AppError::InvalidJson(_))));
    }

    #[test]
    fn ops_list_open_requests_and_mark_them_done() {
        let store = MemoryStore::default();
        let first =
            Callback::from_request(br#"{"name":"Ada","phone":"+447700900123"}"#, NOW).unwrap();
        let second = Callback::from_request(
            br#"{"name":"Grace","phone":"+15555550123","note":"after 5pm"}"#,
            NOW + 1,
        )
        .unwrap();
        block_on(save(&store, &first)).unwrap();
        block_on(save(&store, &second)).unwrap();
        let listed = block_on(list(&store)).unwrap();
        assert_eq!(listed.open_count, 2);
        assert_eq!(
            listed.open,
            vec![first.clone(), second.clone()],
            "oldest first"
        );
        let done = block_on(mark_done(&store, &first.id, NOW + 60_000))
            .unwrap()
            .unwrap();
        assert_eq!(done.status, Status::Done);
        assert_eq!(done.done_at.as_deref(), Some("2026-01-01T09:01:00.000Z"));
        let again = block_on(mark_done(&store, &first.id, NOW + 120_000))
            .unwrap()
            .unwrap();
        assert_eq!(again.done_at, done.done_at, "marking twice changes nothing");
        let listed = block_on(list(&store)).unwrap();
        assert_eq!(
            (listed.open_count, listed.open.len(), listed.done.len()),
            (1, 1, 1)
        );
        assert_eq!(listed.done[0].id, first.id);
        assert!(
            block_on(mark_done(&store, "0000000000000-0000000000000000", NOW))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn who_gave_up_a_place_in_the_waiting_line_is_called_back_first() {
        let store = MemoryStore::default();
        let earlier =
            Callback::from_request(br#"{"name":"Ada","phone":"+447700900123"}"#, NOW).unwrap();
        let mut from_line = Callback::from_request(
            br#"{"name":"Grace","phone":"+15555550123","user":"visitor-00ff"}"#,
            NOW + 1,
        )
        .unwrap();
        assert_eq!(from_line.waiting_user.as_deref(), Some("visitor-00ff"));
        from_line.line_place = Some(2);
        block_on(save(&store, &earlier)).unwrap();
        block_on(save(&store, &from_line)).unwrap();
        let listed = block_on(list(&store)).unwrap();
        assert_eq!(
            listed
                .open
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>(),
            ["Grace", "Ada"]
        );
        assert_eq!(listed.open[0].line_place, Some(2));
        assert_eq!(listed.open[0].waiting_user, None, "the user is not stored");
        let stored = serde_json::to_string(&from_line).unwrap();
        assert!(stored.contains(r#""line_place":2"#) && !stored.contains("visitor-00ff"));
    }

    #[test]
    fn ids_are_checked_before_they_become_keys() {
        assert!(is_id("1767258000000-0123456789abcdef"));
        assert!(!is_id("../../secret") && !is_id("1767258000000-xyz") && !is_id(""));
    }
}
