//! KV's JavaScript API called directly, for the webhook's hot path.
//!
//! workers-rs' KV builders serialise a fresh options object through
//! serde-wasm-bindgen on every call; in the benchmark that glue cost more
//! than the rest of the webhook. The options of an event write never change,
//! so they are built once per isolate here. Reads for ops keep using
//! `worker::KvStore`, where convenience matters more than microseconds.

use js_sys::{Function, JSON, Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use worker::Env;

pub struct RawKv {
    this: JsValue,
    put: Function,
    get_with_metadata: Function,
    /// `{ expirationTtl }`, shared by every write.
    ttl_options: JsValue,
    ttl_seconds: f64,
}

fn method(this: &JsValue, name: &str) -> Option<Function> {
    Reflect::get(this, &name.into()).ok()?.dyn_into().ok()
}

impl RawKv {
    pub fn bind(env: &Env, binding: &str, ttl_seconds: u64) -> Option<Self> {
        let this = Reflect::get(env.as_ref(), &binding.into())
            .ok()
            .filter(JsValue::is_object)?;
        let ttl_seconds = ttl_seconds as f64;
        let ttl_options = Object::new();
        Reflect::set(&ttl_options, &"expirationTtl".into(), &ttl_seconds.into()).ok()?;
        Some(Self {
            put: method(&this, "put")?,
            get_with_metadata: method(&this, "getWithMetadata")?,
            this,
            ttl_options: ttl_options.into(),
            ttl_seconds,
        })
    }

    async fn call(promise: Result<JsValue, JsValue>) -> Result<JsValue, String> {
        let promise: Promise = promise.map_err(describe)?.into();
        JsFuture::from(promise).await.map_err(describe)
    }

    /// `put(key, value, { expirationTtl })`.
    pub async fn put(&self, key: &str, value: &str) -> Result<(), String> {
        Self::call(
            self.put
                .call3(&self.this, &key.into(), &value.into(), &self.ttl_options),
        )
        .await
        .map(drop)
    }

    /// `put(key, "", { expirationTtl, metadata })`, the metadata given as JSON.
    pub async fn put_metadata(&self, key: &str, metadata_json: &str) -> Result<(), String> {
        let options = Object::new();
        let metadata = JSON::parse(metadata_json).map_err(describe)?;
        Reflect::set(&options, &"expirationTtl".into(), &self.ttl_seconds.into())
            .map_err(describe)?;
        Reflect::set(&options, &"metadata".into(), &metadata).map_err(describe)?;
        Self::call(
            self.put
                .call3(&self.this, &key.into(), &"".into(), &options),
        )
        .await
        .map(drop)
    }

    /// The metadata of `key` as JSON, or `None` when the key does not exist.
    pub async fn metadata_json(&self, key: &str) -> Result<Option<String>, String> {
        let result = Self::call(self.get_with_metadata.call2(
            &self.this,
            &key.into(),
            &"text".into(),
        ))
        .await?;
        let metadata = Reflect::get(&result, &"metadata".into()).map_err(describe)?;
        if metadata.is_null() || metadata.is_undefined() {
            return Ok(None);
        }
        let json = JSON::stringify(&metadata).map_err(describe)?;
        Ok(json.as_string())
    }
}

/// A JS error's message (KV errors carry no secrets: keys and limits only).
fn describe(e: JsValue) -> String {
    Reflect::get(&e, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "unknown KV error".into())
}
