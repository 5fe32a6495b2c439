//! The `call-events` queue's consumer: hands each batch to the core and does
//! what it decides with each message, through the runtime's `MessageBatch`
//! (`batch.queue`, `batch.messages[i].body`, `.timestamp`, `.ack()`,
//! `.retry({delaySeconds})`).

use super::runtime::{Env, console_error, console_log};
use js_sys::Array;
use wasm_bindgen::{JsCast, JsValue};

use crate::calllog::store::{self, Delivery, Message, RETRY_DELAY_MAX_SECONDS};

use super::js;
use super::kv::Kv;
use super::state;

/// wrangler.toml's `dead_letter_queue` of `call-events`.
const DEAD_LETTER_QUEUE: &str = "call-events-dlq";

fn retry_options(seconds: u32) -> JsValue {
    js::record(&[("delaySeconds", seconds.into())]).into()
}

pub async fn consume(batch: JsValue, env: &Env) -> Result<(), JsValue> {
    let config = state::config(env);
    let store = config
        .log
        .as_ref()
        .ok()
        .and_then(|log| Kv::bind(env, log.ttl_seconds()));
    let Some(store) = store else {
        console_error!(
            "event log: KV or its configuration is unavailable; retrying the batch later"
        );
        js::call(
            &batch,
            "retryAll",
            &[retry_options(RETRY_DELAY_MAX_SECONDS)],
        )?;
        return Ok(());
    };
    let messages: Array = js::get(&batch, "messages")
        .ok_or_else(|| JsValue::from_str("a queue batch without messages"))?
        .dyn_into()?;
    let now = js_sys::Date::now() as u64;
    let bodies: Vec<(String, u64)> = messages
        .iter()
        .map(|m| {
            let body = js::get(&m, "body")
                .and_then(|b| b.as_string())
                .unwrap_or_default();
            let sent = js::get(&m, "timestamp")
                .map(|t| js_sys::Date::from(t).get_time() as u64)
                .unwrap_or(now);
            (body, now.saturating_sub(sent))
        })
        .collect();
    let views: Vec<Message<'_>> = bodies
        .iter()
        .map(|(body, age_ms)| Message {
            body,
            age_ms: *age_ms,
        })
        .collect();
    // Both queues land here: the log's, and its dead-letter queue, whose
    // messages are kept under dead/ rather than lost.
    let queue = js::get(&batch, "queue").and_then(|q| q.as_string());
    let outcomes = if queue.as_deref() == Some(DEAD_LETTER_QUEUE) {
        console_error!(
            "event log: {} messages reached the dead-letter queue; keeping them under dead/",
            views.len()
        );
        store::keep_dead_letters(&store, &views, now).await
    } else {
        store::consume(&store, &views).await
    };
    let mut retried = 0;
    for ((message, outcome), (body, _)) in messages.iter().zip(outcomes).zip(&bodies) {
        match outcome {
            Delivery::Ack => {
                js::call(&message, "ack", &[])?;
            }
            Delivery::Retry { delay_seconds } => {
                js::call(&message, "retry", &[retry_options(delay_seconds)])?;
                retried += 1;
            }
            Delivery::Drop { reason } => {
                // Keep the body in the log output: it is ours to inspect, not to retry.
                console_error!(
                    "event log: dropping an unreadable queue message ({reason}): {body}"
                );
                js::call(&message, "ack", &[])?;
            }
        }
    }
    if retried > 0 {
        console_log!(
            "event log: {retried} of {} messages will be retried",
            messages.length()
        );
    }
    Ok(())
}
