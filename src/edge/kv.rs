//! The event log's KV namespace and queue, behind the core's `LogStore` and
//! `EventQueue`: bytes in, bytes out, errors as types.
//!
//! KV is called through its JavaScript API directly. workers-rs' KV builders
//! serialise a fresh options object per call through serde-wasm-bindgen and
//! bring a float formatter along: no faster in `make bench` (within the
//! noise of calling the API directly), and about 30 KiB of the wasm. This is
//! the one way the worker reaches KV.

use super::runtime::Env;
use js_sys::{Array, Function, JSON, Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::calllog::store::{EventQueue, ListPage, ListedKey, LogStore, StoreError};

const KV_BINDING: &str = "CALL_EVENTS";
const QUEUE_BINDING: &str = "CALL_EVENTS_QUEUE";

/// A JS error's message (KV errors name keys and limits, never values).
impl From<JsValue> for StoreError {
    fn from(e: JsValue) -> Self {
        StoreError(super::js::message(&e))
    }
}

pub struct Kv {
    this: JsValue,
    ttl_seconds: f64,
}

fn set(object: &Object, key: &str, value: &JsValue) -> Result<(), StoreError> {
    Reflect::set(object, &key.into(), value)?;
    Ok(())
}

impl Kv {
    /// `None` when the binding is missing (a deployment without KV).
    pub fn bind(env: &Env, ttl_seconds: u64) -> Option<Self> {
        let this = env.binding(KV_BINDING)?;
        Some(Self {
            this,
            ttl_seconds: ttl_seconds as f64,
        })
    }

    /// `this.<name>(...args)`, awaited.
    async fn call(&self, name: &str, args: &[JsValue]) -> Result<JsValue, StoreError> {
        let method: Function = Reflect::get(&self.this, &name.into())?.dyn_into()?;
        let promise: Promise = method
            .apply(&self.this, &args.iter().collect::<Array>())?
            .into();
        Ok(JsFuture::from(promise).await?)
    }

    fn ttl_options(&self) -> Result<Object, StoreError> {
        let options = Object::new();
        set(&options, "expirationTtl", &self.ttl_seconds.into())?;
        Ok(options)
    }
}

impl LogStore for Kv {
    async fn put(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let options = self.ttl_options()?;
        self.call("put", &[key.into(), value.into(), options.into()])
            .await
            .map(drop)
    }

    async fn put_metadata(&self, key: &str, metadata_json: &str) -> Result<(), StoreError> {
        self.put_with_metadata(key, "", metadata_json).await
    }

    async fn put_with_metadata(
        &self,
        key: &str,
        value: &str,
        metadata_json: &str,
    ) -> Result<(), StoreError> {
        let options = self.ttl_options()?;
        set(&options, "metadata", &JSON::parse(metadata_json)?)?;
        self.call("put", &[key.into(), value.into(), options.into()])
            .await
            .map(drop)
    }

    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .call("get", &[key.into(), "text".into()])
            .await?
            .as_string())
    }

    async fn metadata(&self, key: &str) -> Result<Option<String>, StoreError> {
        let found = self
            .call("getWithMetadata", &[key.into(), "text".into()])
            .await?;
        let metadata = Reflect::get(&found, &"metadata".into())?;
        if metadata.is_null() || metadata.is_undefined() {
            return Ok(None);
        }
        Ok(JSON::stringify(&metadata)?.as_string())
    }

    async fn list(
        &self,
        prefix: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<ListPage, StoreError> {
        let options = Object::new();
        set(&options, "prefix", &prefix.into())?;
        set(&options, "limit", &limit.into())?;
        if let Some(cursor) = cursor {
            set(&options, "cursor", &cursor.into())?;
        }
        let page = self.call("list", &[options.into()]).await?;
        let keys: Array = Reflect::get(&page, &"keys".into())?.dyn_into()?;
        let mut listed = Vec::with_capacity(keys.length() as usize);
        for key in keys.iter() {
            let metadata = Reflect::get(&key, &"metadata".into())?;
            listed.push(ListedKey {
                name: Reflect::get(&key, &"name".into())?
                    .as_string()
                    .unwrap_or_default(),
                metadata: if metadata.is_null() || metadata.is_undefined() {
                    None
                } else {
                    JSON::stringify(&metadata)?.as_string()
                },
            });
        }
        let complete = Reflect::get(&page, &"list_complete".into())?.is_truthy();
        let cursor = Reflect::get(&page, &"cursor".into())?.as_string();
        Ok(ListPage {
            keys: listed,
            cursor: if complete { None } else { cursor },
        })
    }
}

pub struct CallEventsQueue(JsValue);

impl CallEventsQueue {
    /// `None` without a producer binding (`wrangler deploy --env free`).
    pub fn bind(env: &Env) -> Option<Self> {
        env.binding(QUEUE_BINDING).map(Self)
    }
}

impl EventQueue for CallEventsQueue {
    async fn send(&self, message: &str) -> Result<(), StoreError> {
        super::js::call_await(&self.0, "send", &[message.into()]).await?;
        Ok(())
    }
}
