//! The event log's storage: a Queue in front of KV when the producer is bound,
//! KV directly otherwise. Handlers see only `EventLog::append`.

use std::cell::OnceCell;
use std::rc::Rc;

use futures_util::future::{join, join_all};
use worker::{
    Env, KvStore, MessageBatch, MessageExt, Queue, QueueRetryOptionsBuilder, console_error,
    console_log,
};

use crate::error::AppError;
use crate::events::{self, CallSummary, LogEntry, LogRecord};
use crate::ops::ListQuery;

use super::raw_kv::RawKv;
use super::state;

const KV_BINDING: &str = "CALL_EVENTS";
/// A call's events fit in one KV list page; ten pages is a runaway guard.
const MAX_EVENT_PAGES: usize = 10;
const QUEUE_BINDING: &str = "CALL_EVENTS_QUEUE";
/// Backoff bounds for a consumer retry, in seconds (Queues allow up to 12 h;
/// a few minutes is plenty for KV to come back).
const RETRY_DELAY_MIN: u32 = 2;
const RETRY_DELAY_MAX: u32 = 300;

pub struct EventLog {
    /// For ops reads.
    kv: KvStore,
    /// For the webhook's writes (see raw_kv.rs).
    writer: RawKv,
    queue: Option<Queue>,
}

fn read_failed(e: worker::kv::KvError) -> AppError {
    console_error!("event log: KV read failed: {e}");
    AppError::LogUnavailable
}

thread_local! {
    /// The bindings never change within an isolate; looking them up costs a
    /// handful of calls into JS, so it is done once.
    static LOG: OnceCell<Rc<EventLog>> = const { OnceCell::new() };
}

impl EventLog {
    /// The isolate's event log (its bindings looked up on first use).
    pub fn from_env(env: &Env) -> Result<Rc<Self>, AppError> {
        LOG.with(|cell| {
            if let Some(log) = cell.get() {
                return Ok(log.clone());
            }
            let log = Rc::new(Self::bind(env)?);
            Ok(cell.get_or_init(|| log).clone())
        })
    }

    fn bind(env: &Env) -> Result<Self, AppError> {
        let missing = || {
            console_error!("event log: the KV binding {KV_BINDING} is missing");
            AppError::LogUnavailable
        };
        let days = state::config(env)
            .event_ttl_days
            .clone()
            .unwrap_or(crate::config::EVENT_TTL_DEFAULT_DAYS);
        Ok(Self {
            kv: env.kv(KV_BINDING).map_err(|_| missing())?,
            writer: RawKv::bind(env, KV_BINDING, events::ttl_seconds(days)).ok_or_else(missing)?,
            queue: env.queue(QUEUE_BINDING).ok(),
        })
    }

    /// One page of a day's call index, from KV metadata alone, and the
    /// cursor for the next page.
    pub async fn calls_of_day(
        &self,
        query: &ListQuery,
    ) -> Result<(Vec<(String, Option<CallSummary>)>, Option<String>), AppError> {
        let prefix = events::index_prefix(&query.day);
        let mut list = self.kv.list().prefix(prefix.clone()).limit(query.limit);
        if let Some(cursor) = &query.cursor {
            list = list.cursor(cursor.clone());
        }
        let page = list.execute().await.map_err(read_failed)?;
        let calls = page
            .keys
            .into_iter()
            .map(|key| {
                let call_id = key
                    .name
                    .strip_prefix(&prefix)
                    .unwrap_or(&key.name)
                    .to_owned();
                let summary = key
                    .metadata
                    .and_then(|m| serde_json::from_value::<CallSummary>(m).ok());
                (call_id, summary)
            })
            .collect();
        Ok((
            calls,
            if page.list_complete {
                None
            } else {
                page.cursor
            },
        ))
    }

    /// Every entry of one call, in key order (which is time order).
    pub async fn entries_of_call(&self, call_id: &str) -> Result<Vec<LogEntry>, AppError> {
        let mut keys = Vec::new();
        let mut cursor = None;
        for _ in 0..MAX_EVENT_PAGES {
            let mut list = self.kv.list().prefix(events::event_prefix(call_id));
            if let Some(c) = cursor.take() {
                list = list.cursor(c);
            }
            let page = list.execute().await.map_err(read_failed)?;
            keys.extend(page.keys.into_iter().map(|k| k.name));
            if page.list_complete {
                break;
            }
            cursor = page.cursor;
        }
        // Text, then serde_json: an entry's `raw` is a verbatim JSON value,
        // which only serde_json's own deserializer can hand over.
        let values = join_all(keys.iter().map(|k| self.kv.get(k).text())).await;
        let mut entries = Vec::with_capacity(values.len());
        for value in values {
            // A key listed but gone since (expired) is skipped, not an error.
            if let Some(text) = value.map_err(read_failed)? {
                match serde_json::from_str::<LogEntry>(&text) {
                    Ok(entry) => entries.push(entry),
                    Err(e) => console_error!("event log: skipping an unreadable entry: {e}"),
                }
            }
        }
        Ok(entries)
    }

    /// Where events go first: `queue` or `kv`.
    pub fn via(&self) -> &'static str {
        if self.queue.is_some() { "queue" } else { "kv" }
    }

    /// Takes an event for good: the queue accepted it, or, failing that, KV
    /// stored it. Only then may the webhook answer 2xx.
    pub async fn append(&self, record: &LogRecord) -> Result<&'static str, AppError> {
        if let Some(queue) = &self.queue {
            match serde_json::to_string(record) {
                Ok(message) => match queue.send(message).await {
                    Ok(()) => return Ok("queue"),
                    Err(e) => {
                        console_error!("event log: queue send failed ({e}); writing to KV directly")
                    }
                },
                Err(e) => console_error!("event log: could not serialise a record ({e})"),
            }
        }
        let stored = self.store(&[record]).await;
        if stored.first().is_some_and(|ok| *ok) {
            Ok("kv")
        } else {
            Err(AppError::LogUnavailable)
        }
    }

    /// Writes records and their calls' index entries; one flag per record,
    /// true when both its event and its call's index are stored.
    ///
    /// The index entries are read while the events are written (they do not
    /// depend on each other), then updated with what was stored.
    pub async fn store(&self, records: &[&LogRecord]) -> Vec<bool> {
        let mut index_keys: Vec<&str> = records.iter().map(|r| r.index_key.as_str()).collect();
        index_keys.sort_unstable();
        index_keys.dedup();
        let puts = join_all(records.iter().map(|r| self.put_event(r)));
        let reads = join_all(index_keys.iter().map(|key| self.read_index(key)));
        let (stored, existing): (Vec<bool>, Vec<Result<Option<CallSummary>, ()>>) =
            join(puts, reads).await;

        let written: Vec<&LogRecord> = records
            .iter()
            .zip(&stored)
            .filter(|(_, ok)| **ok)
            .map(|(r, _)| *r)
            .collect();
        let updates = events::summaries(&written);
        let indexed = join_all(updates.iter().map(|(key, summary)| {
            let old = index_keys
                .iter()
                .position(|k| k == key)
                .map(|i| existing[i].clone())
                .unwrap_or(Err(()));
            self.update_index(key, summary, old)
        }))
        .await;
        let failed_index: Vec<&str> = updates
            .iter()
            .zip(indexed)
            .filter(|(_, ok)| !ok)
            .map(|((key, _), _)| key.as_str())
            .collect();

        records
            .iter()
            .zip(stored)
            .map(|(r, ok)| ok && !failed_index.contains(&r.index_key.as_str()))
            .collect()
    }

    async fn read_index(&self, key: &str) -> Result<Option<CallSummary>, ()> {
        let parsed = match self.writer.metadata_json(key).await {
            Ok(None) => return Ok(None),
            Ok(Some(json)) => serde_json::from_str(&json).map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        parsed
            .map(Some)
            .map_err(|e| console_error!("event log: KV read of a call index failed: {e}"))
    }

    async fn put_event(&self, record: &LogRecord) -> bool {
        let result = match serde_json::to_string(&record.entry) {
            Ok(value) => self.writer.put(&record.key, &value).await,
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = &result {
            console_error!("event log: KV put of an event failed: {e}");
        }
        result.is_ok()
    }

    /// The index keeps the merge of what it had and what came, so an event
    /// delivered late never turns a completed call back into a ringing one.
    async fn update_index(
        &self,
        key: &str,
        summary: &CallSummary,
        existing: Result<Option<CallSummary>, ()>,
    ) -> bool {
        let Ok(existing) = existing else {
            return false;
        };
        let merged = match &existing {
            Some(old) => old.merge(summary),
            None => summary.clone(),
        };
        if existing.as_ref() == Some(&merged) {
            return true;
        }
        let result = match serde_json::to_string(&merged) {
            Ok(json) => self.writer.put_metadata(key, &json).await,
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = &result {
            console_error!("event log: KV index update failed: {e}");
        }
        result.is_ok()
    }
}

/// The queue consumer: store each message's record, ack what is stored,
/// retry the rest with a delay that grows with the message's age (so retries
/// back off roughly exponentially without counting attempts).
pub async fn consume(batch: MessageBatch<String>, env: &Env) -> worker::Result<()> {
    let log = match EventLog::from_env(env) {
        Ok(log) => log,
        Err(_) => {
            batch.retry_all_with_options(
                &QueueRetryOptionsBuilder::new()
                    .with_delay_seconds(RETRY_DELAY_MAX)
                    .build(),
            );
            return Ok(());
        }
    };
    let messages = batch.messages()?;
    let mut records = Vec::with_capacity(messages.len());
    let mut carriers = Vec::with_capacity(messages.len());
    for message in &messages {
        match serde_json::from_str::<LogRecord>(message.body()) {
            Ok(record) => {
                records.push(record);
                carriers.push(message);
            }
            Err(e) => {
                // Not ours to fix by retrying: keep the body in the log output.
                console_error!(
                    "event log: dropping an unreadable queue message ({e}): {}",
                    message.body()
                );
                message.ack();
            }
        }
    }
    let refs: Vec<&LogRecord> = records.iter().collect();
    let outcome = log.store(&refs).await;
    let now = worker::Date::now().as_millis();
    let mut retried = 0;
    for (message, stored) in carriers.iter().zip(outcome) {
        if stored {
            message.ack();
        } else {
            let age_seconds = now.saturating_sub(message.timestamp().as_millis()) / 1000;
            let delay = (age_seconds as u32).clamp(RETRY_DELAY_MIN, RETRY_DELAY_MAX);
            message.retry_with_options(
                &QueueRetryOptionsBuilder::new()
                    .with_delay_seconds(delay)
                    .build(),
            );
            retried += 1;
        }
    }
    if retried > 0 {
        console_log!(
            "event log: {retried} of {} messages will be retried",
            carriers.len()
        );
    }
    Ok(())
}
