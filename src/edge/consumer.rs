//! The `call-events` queue's consumer: hands each batch to the core and does
//! what it decides with each message.

use worker::{Env, MessageBatch, MessageExt, QueueRetryOptionsBuilder, console_error, console_log};

use crate::calllog::store::{self, Delivery, Message, RETRY_DELAY_MAX_SECONDS};

use super::kv::Kv;
use super::state;

/// wrangler.toml's `dead_letter_queue` of `call-events`.
const DEAD_LETTER_QUEUE: &str = "call-events-dlq";

fn retry_after(seconds: u32) -> worker::QueueRetryOptions {
    QueueRetryOptionsBuilder::new()
        .with_delay_seconds(seconds)
        .build()
}

pub async fn consume(batch: MessageBatch<String>, env: &Env) -> worker::Result<()> {
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
        batch.retry_all_with_options(&retry_after(RETRY_DELAY_MAX_SECONDS));
        return Ok(());
    };
    let messages = batch.messages()?;
    let now = worker::Date::now().as_millis();
    let views: Vec<Message<'_>> = messages
        .iter()
        .map(|m| Message {
            body: m.body(),
            age_ms: now.saturating_sub(m.timestamp().as_millis()),
        })
        .collect();
    // Both queues land here: the log's, and its dead-letter queue, whose
    // messages are kept under dead/ rather than lost.
    let outcomes = if batch.queue() == DEAD_LETTER_QUEUE {
        console_error!(
            "event log: {} messages reached the dead-letter queue; keeping them under dead/",
            views.len()
        );
        store::keep_dead_letters(&store, &views, now).await
    } else {
        store::consume(&store, &views).await
    };
    let mut retried = 0;
    for (message, outcome) in messages.iter().zip(outcomes) {
        match outcome {
            Delivery::Ack => message.ack(),
            Delivery::Retry { delay_seconds } => {
                message.retry_with_options(&retry_after(delay_seconds));
                retried += 1;
            }
            Delivery::Drop { reason } => {
                // Keep the body in the log output: it is ours to inspect, not to retry.
                console_error!(
                    "event log: dropping an unreadable queue message ({reason}): {}",
                    message.body()
                );
                message.ack();
            }
        }
    }
    if retried > 0 {
        console_log!(
            "event log: {retried} of {} messages will be retried",
            messages.len()
        );
    }
    Ok(())
}
