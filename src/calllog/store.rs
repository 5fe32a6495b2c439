//! Every storing decision of the event log, over an abstract KV store and
//! queue: what is written where, how a call's index is merged, what a queue
//! message's fate is, and how the log is read back.
//!
//! The adapter implements [`LogStore`] and [`EventQueue`] over the Workers
//! bindings and only moves bytes; tests implement them in memory.

use std::fmt;

use crate::shared::join::{join, join_all};
use serde::Serialize;

use crate::error::AppError;

use super::entry::{LogEntry, LogRecord};
use super::keys;
use super::summary::CallSummary;

/// A failure of KV or the queue, described without secrets (keys and
/// limits at most).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        Self(format!("unreadable JSON: {e}"))
    }
}

/// One key of a listing, with its metadata as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedKey {
    pub name: String,
    pub metadata: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPage {
    pub keys: Vec<ListedKey>,
    /// Where the next page starts; `None` on the last page.
    pub cursor: Option<String>,
}

/// KV, as the log uses it. Every write carries the log's retention (the
/// implementation knows it).
#[allow(async_fn_in_trait)] // used with concrete types only; no Send bound needed on wasm
pub trait LogStore {
    async fn put(&self, key: &str, value: &str) -> Result<(), StoreError>;
    /// An empty value whose metadata is `metadata_json`.
    async fn put_metadata(&self, key: &str, metadata_json: &str) -> Result<(), StoreError>;
    /// A value with metadata (read back in listings without a get per key).
    async fn put_with_metadata(
        &self,
        key: &str,
        value: &str,
        metadata_json: &str,
    ) -> Result<(), StoreError>;
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// The metadata of `key` as JSON; `None` when the key or its metadata is absent.
    async fn metadata(&self, key: &str) -> Result<Option<String>, StoreError>;
    async fn list(
        &self,
        prefix: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<ListPage, StoreError>;
}

/// The queue in front of KV.
#[allow(async_fn_in_trait)]
pub trait EventQueue {
    async fn send(&self, message: &str) -> Result<(), StoreError>;
}

/// Where an event was taken for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Queue,
    Kv,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Queue => "queue",
            Via::Kv => "kv",
        }
    }
}

/// Takes an event for good: the queue accepted it, or, failing that, KV
/// stored it (event and index). Only then may a webhook answer 2xx; `Err`
/// means Vonage must retry.
pub async fn append<S: LogStore, Q: EventQueue>(
    store: &S,
    queue: Option<&Q>,
    record: &LogRecord,
    mut warn: impl FnMut(&str),
) -> Result<Via, AppError> {
    if let Some(queue) = queue {
        match serde_json::to_string(record) {
            Ok(message) => match queue.send(&message).await {
                Ok(()) => return Ok(Via::Queue),
                Err(e) => warn(&format!("queue send failed ({e}); writing to KV directly")),
            },
            Err(e) => warn(&format!(
                "could not serialise a record ({e}); writing to KV directly"
            )),
        }
    }
    match store_all(store, &[record]).await.pop() {
        Some(Ok(())) => Ok(Via::Kv),
        Some(Err(e)) => {
            warn(&format!("KV write failed ({e})"));
            Err(AppError::LogUnavailable)
        }
        None => Err(AppError::LogUnavailable),
    }
}

/// Writes records and their calls' index entries; for each record, `Ok`
/// once both its entry and its call's index are stored.
///
/// The index entries are read while the entries are written (they do not
/// depend on each other), then merged with what was stored, so an event
/// delivered late never turns a completed call back into a ringing one.
pub async fn store_all<S: LogStore>(
    store: &S,
    records: &[&LogRecord],
) -> Vec<Result<(), StoreError>> {
    // A batch names a handful of calls: a linear check beats a sort here.
    let mut index_keys: Vec<&str> = Vec::with_capacity(records.len());
    for record in records {
        if !index_keys.contains(&record.index_key.as_str()) {
            index_keys.push(&record.index_key);
        }
    }
    let puts = join_all(records.iter().map(|r| async {
        let value = serde_json::to_string(&r.entry)?;
        store.put(&r.key, &value).await
    }));
    let reads = join_all(index_keys.iter().map(|key| read_summary(store, key)));
    let (stored, existing) = join(puts, reads).await;

    // One merged update per call index touched by what was stored.
    let mut updates: Vec<(&str, CallSummary)> = Vec::new();
    for (record, result) in records.iter().zip(&stored) {
        if result.is_err() {
            continue;
        }
        match updates.iter_mut().find(|(k, _)| *k == record.index_key) {
            Some((_, summary)) => *summary = summary.merge(&record.summary),
            None => updates.push((&record.index_key, record.summary.clone())),
        }
    }
    let indexed = join_all(updates.iter().map(|(key, summary)| {
        let old = index_keys
            .iter()
            .position(|k| k == key)
            .map(|i| existing[i].clone())
            .expect("every update's key was read");
        update_index(store, key, summary, old)
    }))
    .await;

    records
        .iter()
        .zip(stored)
        .map(|(record, result)| {
            result?;
            let i = updates.iter().position(|(k, _)| *k == record.index_key);
            match i.map(|i| &indexed[i]) {
                Some(Err(e)) => Err(e.clone()),
                _ => Ok(()),
            }
        })
        .collect()
}

async fn read_summary<S: LogStore>(
    store: &S,
    key: &str,
) -> Result<Option<CallSummary>, StoreError> {
    match store.metadata(key).await? {
        None => Ok(None),
        Some(json) => Ok(Some(serde_json::from_str(&json)?)),
    }
}

async fn update_index<S: LogStore>(
    store: &S,
    key: &str,
    summary: &CallSummary,
    existing: Result<Option<CallSummary>, StoreError>,
) -> Result<(), StoreError> {
    let existing = existing?;
    let merged = match &existing {
        Some(old) => old.merge(summary),
        None => summary.clone(),
    };
    if existing.as_ref() == Some(&merged) {
        return Ok(());
    }
    store
        .put_metadata(key, &serde_json::to_string(&merged)?)
        .await
}

/// Backoff bounds for a consumer retry, in seconds (Queues allow up to 12 h;
/// a few minutes is plenty for KV to come back).
pub const RETRY_DELAY_MIN_SECONDS: u32 = 2;
pub const RETRY_DELAY_MAX_SECONDS: u32 = 300;

/// What becomes of one queue message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Ack,
    /// Retried with a delay that grows with the message's age, so retries
    /// back off roughly exponentially without counting attempts.
    Retry {
        delay_seconds: u32,
    },
    /// Not ours to fix by retrying (a body this code did not write).
    Drop {
        reason: String,
    },
}

/// A queue message as the consumer sees it.
pub struct Message<'a> {
    pub body: &'a str,
    pub age_ms: u64,
}

pub fn retry_delay(age_ms: u64) -> u32 {
    u32::try_from(age_ms / 1000)
        .unwrap_or(u32::MAX)
        .clamp(RETRY_DELAY_MIN_SECONDS, RETRY_DELAY_MAX_SECONDS)
}

/// The queue consumer: stores each message's record and says what to do
/// with each message.
pub async fn consume<S: LogStore>(store: &S, messages: &[Message<'_>]) -> Vec<Delivery> {
    let parsed: Vec<Result<LogRecord, String>> = messages
        .iter()
        .map(|m| serde_json::from_str(m.body).map_err(|e| e.to_string()))
        .collect();
    let records: Vec<&LogRecord> = parsed.iter().filter_map(|r| r.as_ref().ok()).collect();
    let mut outcomes = store_all(store, &records).await.into_iter();
    messages
        .iter()
        .zip(&parsed)
        .map(|(message, record)| match record {
            Err(why) => Delivery::Drop {
                reason: why.clone(),
            },
            Ok(_) => match outcomes.next() {
                Some(Ok(())) => Delivery::Ack,
                _ => Delivery::Retry {
                    delay_seconds: retry_delay(message.age_ms),
                },
            },
        })
        .collect()
}

/// The dead-letter queue's consumer: each message (a record the log could
/// not store in 20 tries) is kept as it is under `dead/`, for ops to read.
/// Retried when even that fails; nothing is acknowledged unkept.
pub async fn keep_dead_letters<S: LogStore>(
    store: &S,
    messages: &[Message<'_>],
    now_ms: u64,
) -> Vec<Delivery> {
    let kept = join_all(messages.iter().map(|m| {
        let key = keys::dead_letter_key(now_ms.saturating_sub(m.age_ms), m.body.as_bytes());
        async move { store.put(&key, m.body).await }
    }))
    .await;
    messages
        .iter()
        .zip(kept)
        .map(|(m, result)| match result {
            Ok(()) => Delivery::Ack,
            Err(_) => Delivery::Retry {
                delay_seconds: retry_delay(m.age_ms),
            },
        })
        .collect()
}

/// A kept dead letter: the record the log could not store.
#[derive(Debug, Serialize)]
pub struct DeadLetter {
    pub key: String,
    pub message: Box<serde_json::value::RawValue>,
}

#[derive(Debug, Serialize)]
pub struct DeadLetters {
    /// How many are kept (of the first 1,000 listed; `more` says there are others).
    pub count: usize,
    pub more: bool,
    /// The oldest of them, in full.
    pub letters: Vec<DeadLetter>,
}

/// Dead letters shown in full per request.
pub const DEAD_LETTERS_SHOWN: usize = 20;

pub async fn dead_letters<S: LogStore>(store: &S) -> Result<DeadLetters, StoreError> {
    let page = store.list(keys::DEAD_PREFIX, None, LIST_LIMIT_MAX).await?;
    let shown: Vec<&ListedKey> = page.keys.iter().take(DEAD_LETTERS_SHOWN).collect();
    let values = join_all(shown.iter().map(|k| store.get(&k.name))).await;
    let mut letters = Vec::with_capacity(values.len());
    for (k, value) in shown.iter().zip(values) {
        if let Some(text) = value? {
            let message = serde_json::value::RawValue::from_string(text)
                .or_else(|_| serde_json::value::to_raw_value("(not JSON)"))?;
            letters.push(DeadLetter {
                key: k.name.clone(),
                message,
            });
        }
    }
    Ok(DeadLetters {
        count: page.keys.len(),
        more: page.cursor.is_some(),
        letters,
    })
}

/// A KV list call returns at most 1,000 keys.
pub const LIST_LIMIT_MAX: u32 = 1000;

/// One page of a day's call index, from KV metadata alone.
pub async fn calls_of_day<S: LogStore>(
    store: &S,
    day: &str,
    cursor: Option<&str>,
    limit: u32,
) -> Result<(Vec<(String, Option<CallSummary>)>, Option<String>), StoreError> {
    let prefix = keys::index_prefix(day);
    let page = store.list(&prefix, cursor, limit).await?;
    let calls = page
        .keys
        .into_iter()
        .map(|k| {
            let call_id = k.name.strip_prefix(&prefix).unwrap_or(&k.name).to_owned();
            let summary = k.metadata.and_then(|m| serde_json::from_str(&m).ok());
            (call_id, summary)
        })
        .collect();
    Ok((calls, page.cursor))
}

/// Events of one call read per page. A call has about ten; a page of 200
/// is one KV list and 200 reads, far within a Worker's 1,000 KV operations
/// per invocation, however long a call's log grows.
pub const EVENT_PAGE: u32 = 200;

/// One page of a call's entries, in key order (which is time order), and
/// the cursor of the next page. An entry that cannot be read is skipped and
/// reported through `warn`.
pub async fn entries_of_call<S: LogStore>(
    store: &S,
    call_id: &str,
    cursor: Option<&str>,
    mut warn: impl FnMut(&str),
) -> Result<(Vec<LogEntry>, Option<String>), StoreError> {
    let page = store
        .list(&keys::event_prefix(call_id), cursor, EVENT_PAGE)
        .await?;
    let values = join_all(page.keys.iter().map(|k| store.get(&k.name))).await;
    let mut entries = Vec::with_capacity(values.len());
    for value in values {
        // A key listed but gone since (expired) is skipped, not an error.
        if let Some(text) = value? {
            match serde_json::from_str::<LogEntry>(&text) {
                Ok(entry) => entries.push(entry),
                Err(e) => warn(&format!("skipping an unreadable entry: {e}")),
            }
        }
    }
    Ok((entries, page.cursor))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{MemoryQueue, MemoryStore, block_on};

    const CONV: &str = "CON-f972836a-550f-45fa-956c-12a2ab5b7d22";

    fn record(status: &str, direction: &str, time: &str) -> LogRecord {
        let body = format!(
            r#"{{"conversation_uuid":"{CONV}","uuid":"63f61863-4a51-4f6b-86e1-46edebcf9356","status":"{status}","direction":"{direction}","timestamp":"{time}","from":"a","to":"b"}}"#
        );
        LogRecord::of_event(body.as_bytes(), 0).unwrap()
    }

    fn index(store: &MemoryStore) -> CallSummary {
        let json = block_on(store.metadata(&format!("call/2026-01-01/{CONV}")))
            .unwrap()
            .unwrap();
        serde_json::from_str(&json).unwrap()
    }

    #[test]
    fn a_batch_stores_each_entry_and_one_merged_index_per_call() {
        let store = MemoryStore::default();
        let busy = record("busy", "outbound", "2026-01-01T09:00:05Z");
        let started = record("started", "inbound", "2026-01-01T09:00:00Z");
        let results = block_on(store_all(&store, &[&busy, &started]));
        assert_eq!(results, vec![Ok(()), Ok(())]);
        assert_eq!(store.values.borrow().len(), 3);
        assert_eq!(index(&store).status, "busy");
        // A late event of the visitor's leg does not hide the outcome.
        let completed = record("completed", "inbound", "2026-01-01T09:00:06Z");
        block_on(store_all(&store, &[&completed]));
        let summary = index(&store);
        assert_eq!(
            (summary.status.as_str(), summary.last_event_ms),
            ("busy", completed.summary.last_event_ms)
        );
    }

    #[test]
    fn a_failed_write_is_reported_for_its_record_only_and_not_indexed() {
        let store = MemoryStore::default();
        store.fail_puts.set(1);
        let a = record("ringing", "outbound", "2026-01-01T09:00:02Z");
        let b = record("started", "inbound", "2026-01-01T09:00:00Z");
        let results = block_on(store_all(&store, &[&a, &b]));
        assert!(results[0].is_err());
        assert_eq!(results[1], Ok(()));
        assert_eq!(
            index(&store).status,
            "started",
            "only what was stored is indexed"
        );
        store.fail_metadata_puts.set(1);
        let c = record("answered", "outbound", "2026-01-01T09:00:03Z");
        assert!(
            block_on(store_all(&store, &[&c]))[0].is_err(),
            "an index failure fails its record"
        );
    }

    #[test]
    fn append_prefers_the_queue_and_falls_back_to_kv() {
        let store = MemoryStore::default();
        let r = record("started", "inbound", "2026-01-01T09:00:00Z");
        let queue = MemoryQueue::default();
        assert_eq!(
            block_on(append(&store, Some(&queue), &r, |_| {})),
            Ok(Via::Queue)
        );
        assert_eq!(queue.sent.borrow().len(), 1);
        assert!(store.values.borrow().is_empty());

        let down = MemoryQueue {
            down: true,
            ..MemoryQueue::default()
        };
        let mut warnings = Vec::new();
        assert_eq!(
            block_on(append(&store, Some(&down), &r, |w| warnings.push(w.to_owned()))),
            Ok(Via::Kv)
        );
        assert!(warnings[0].contains("queue send failed"));
        assert!(block_on(store.get(&r.key)).unwrap().is_some());

        store.fail_puts.set(1);
        assert_eq!(
            block_on(append(&store, None::<&MemoryQueue>, &r, |_| {})),
            Err(AppError::LogUnavailable)
        );
    }

    #[test]
    fn the_consumer_acks_what_is_stored_retries_the_rest_and_drops_garbage() {
        let store = MemoryStore::default();
        store.fail_puts.set(1);
        let a =
            serde_json::to_string(&record("ringing", "outbound", "2026-01-01T09:00:02Z")).unwrap();
        let b =
            serde_json::to_string(&record("started", "inbound", "2026-01-01T09:00:00Z")).unwrap();
        let messages = [
            Message {
                body: &a,
                age_ms: 40_000,
            },
            Message {
                body: "not a record",
                age_ms: 0,
            },
            Message {
                body: &b,
                age_ms: 0,
            },
        ];
        let outcomes = block_on(consume(&store, &messages));
        assert_eq!(outcomes[0], Delivery::Retry { delay_seconds: 40 });
        assert!(matches!(outcomes[1], Delivery::Drop { .. }));
        assert_eq!(outcomes[2], Delivery::Ack);
    }

    #[test]
    fn dead_letters_are_kept_under_their_own_prefix_and_read_back() {
        let store = MemoryStore::default();
        let body =
            serde_json::to_string(&record("ringing", "outbound", "2026-01-01T09:00:02Z")).unwrap();
        let messages = [Message {
            body: &body,
            age_ms: 1_000,
        }];
        assert_eq!(
            block_on(keep_dead_letters(&store, &messages, 10_000)),
            vec![Delivery::Ack]
        );
        assert_eq!(
            block_on(keep_dead_letters(&store, &messages, 10_000)),
            vec![Delivery::Ack]
        );
        let letters = block_on(dead_letters(&store)).unwrap();
        assert_eq!((letters.count, letters.more), (1, false), "kept once");
        assert!(letters.letters[0].key.starts_with("dead/0000000009000-"));
        assert_eq!(letters.letters[0].message.get(), body);
        store.fail_puts.set(1);
        assert!(matches!(
            block_on(keep_dead_letters(&store, &messages, 10_000))[0],
            Delivery::Retry { .. }
        ));
    }

    #[test]
    fn retry_delays_grow_with_age_within_bounds() {
        assert_eq!(retry_delay(0), RETRY_DELAY_MIN_SECONDS);
        assert_eq!(retry_delay(30_000), 30);
        assert_eq!(retry_delay(u64::MAX), RETRY_DELAY_MAX_SECONDS);
    }

    #[test]
    fn reads_list_a_day_and_a_call_in_order() {
        let store = MemoryStore::default();
        let records = [
            record("completed", "outbound", "2026-01-01T09:00:09Z"),
            record("started", "inbound", "2026-01-01T09:00:00Z"),
        ];
        block_on(store_all(&store, &records.iter().collect::<Vec<_>>()));
        let (calls, cursor) = block_on(calls_of_day(&store, "2026-01-01", None, 10)).unwrap();
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].0, CONV);
        assert_eq!(calls[0].1.as_ref().unwrap().status, "completed");
        assert!(cursor.is_none());
        let (entries, cursor) = block_on(entries_of_call(&store, CONV, None, |_| {})).unwrap();
        let statuses: Vec<_> = entries.iter().map(|e| e.status.as_str()).collect();
        assert_eq!(statuses, ["started", "completed"]);
        assert!(cursor.is_none());
    }

    #[test]
    fn a_long_call_is_read_a_page_at_a_time() {
        let store = MemoryStore::default();
        let records: Vec<LogRecord> = (0..(EVENT_PAGE + 5))
            .map(|i| {
                record(
                    "ringing",
                    "outbound",
                    &crate::shared::time::rfc3339_ms(1_767_225_600_000 + u64::from(i)),
                )
            })
            .collect();
        block_on(store_all(&store, &records.iter().collect::<Vec<_>>()));
        let (first, cursor) = block_on(entries_of_call(&store, CONV, None, |_| {})).unwrap();
        assert_eq!(first.len(), EVENT_PAGE as usize);
        let (rest, end) =
            block_on(entries_of_call(&store, CONV, cursor.as_deref(), |_| {})).unwrap();
        assert_eq!(rest.len(), 5);
        assert!(end.is_none());
        assert!(
            first.last().unwrap().at < rest[0].at,
            "pages follow time order"
        );
    }
}
