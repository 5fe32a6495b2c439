//! The event log's KV namespace and queue, behind the core's `LogStore` and
//! `EventQueue`: bytes in, bytes out, errors as types.

use serde_json::Value;
use worker::{Env, KvStore, Queue};

use crate::log::store::{EventQueue, ListPage, ListedKey, LogStore, StoreError};

const KV_BINDING: &str = "CALL_EVENTS";
const QUEUE_BINDING: &str = "CALL_EVENTS_QUEUE";

impl From<worker::kv::KvError> for StoreError {
    fn from(e: worker::kv::KvError) -> Self {
        // KV errors name keys and limits, never values.
        StoreError(e.to_string())
    }
}

impl From<worker::Error> for StoreError {
    fn from(e: worker::Error) -> Self {
        StoreError(e.to_string())
    }
}

pub struct Kv {
    kv: KvStore,
    ttl_seconds: u64,
}

impl Kv {
    /// `None` when the binding is missing (a deployment without KV).
    pub fn bind(env: &Env, ttl_seconds: u64) -> Option<Self> {
        Some(Self {
            kv: env.kv(KV_BINDING).ok()?,
            ttl_seconds,
        })
    }
}

pub struct CallEventsQueue(Queue);

impl CallEventsQueue {
    /// `None` without a producer binding (`wrangler deploy --env free`).
    pub fn bind(env: &Env) -> Option<Self> {
        env.queue(QUEUE_BINDING).ok().map(Self)
    }
}

impl EventQueue for CallEventsQueue {
    async fn send(&self, message: &str) -> Result<(), StoreError> {
        Ok(self.0.send(message).await?)
    }
}

impl LogStore for Kv {
    async fn put(&self, key: &str, value: &str) -> Result<(), StoreError> {
        Ok(self
            .kv
            .put(key, value)?
            .expiration_ttl(self.ttl_seconds)
            .execute()
            .await?)
    }

    async fn put_metadata(&self, key: &str, metadata_json: &str) -> Result<(), StoreError> {
        let metadata: Value = serde_json::from_str(metadata_json)?;
        Ok(self
            .kv
            .put(key, "")?
            .expiration_ttl(self.ttl_seconds)
            .metadata(metadata)?
            .execute()
            .await?)
    }

    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self.kv.get(key).text().await?)
    }

    async fn metadata(&self, key: &str) -> Result<Option<String>, StoreError> {
        let (_, metadata) = self.kv.get(key).text_with_metadata::<Value>().await?;
        Ok(metadata.map(|m| m.to_string()))
    }

    async fn list(
        &self,
        prefix: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<ListPage, StoreError> {
        let mut list = self
            .kv
            .list()
            .prefix(prefix.to_owned())
            .limit(u64::from(limit));
        if let Some(cursor) = cursor {
            list = list.cursor(cursor.to_owned());
        }
        let page = list.execute().await?;
        Ok(ListPage {
            keys: page
                .keys
                .into_iter()
                .map(|k| ListedKey {
                    name: k.name,
                    metadata: k.metadata.map(|m| m.to_string()),
                })
                .collect(),
            cursor: if page.list_complete {
                None
            } else {
                page.cursor
            },
        })
    }
}
