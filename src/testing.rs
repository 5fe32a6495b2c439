//! Test doubles for the core's interfaces (native tests only).

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use crate::calllog::store::{EventQueue, ListPage, ListedKey, LogStore, StoreError};
use crate::error::AppError;
use crate::vonage::jwt::Signer;
use crate::vonage::private_key::tests::test_key;

/// Runs a future that never waits on anything real to completion.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let mut future = std::pin::pin!(future);
    match future.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(out) => out,
        std::task::Poll::Pending => panic!("a test double suspended"),
    }
}

/// KV in memory; `fail_puts` makes the next n puts of entries fail.
#[derive(Default)]
pub struct MemoryStore {
    pub values: RefCell<BTreeMap<String, (String, Option<String>)>>,
    pub fail_puts: Cell<usize>,
    pub fail_metadata_puts: Cell<usize>,
}

fn take(counter: &Cell<usize>) -> bool {
    let n = counter.get();
    if n > 0 {
        counter.set(n - 1);
    }
    n > 0
}

impl MemoryStore {
    /// A write, unless `failures` says this one fails.
    fn write(
        &self,
        failures: &Cell<usize>,
        key: &str,
        value: &str,
        metadata: Option<&str>,
    ) -> Result<(), StoreError> {
        if take(failures) {
            return Err(StoreError("KV is down (test double)".into()));
        }
        self.values
            .borrow_mut()
            .insert(key.into(), (value.into(), metadata.map(Into::into)));
        Ok(())
    }
}

impl LogStore for MemoryStore {
    async fn put(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.write(&self.fail_puts, key, value, None)
    }

    async fn put_metadata(&self, key: &str, metadata_json: &str) -> Result<(), StoreError> {
        self.write(&self.fail_metadata_puts, key, "", Some(metadata_json))
    }

    async fn put_with_metadata(
        &self,
        key: &str,
        value: &str,
        metadata_json: &str,
    ) -> Result<(), StoreError> {
        self.write(&self.fail_puts, key, value, Some(metadata_json))
    }

    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self.values.borrow().get(key).map(|(v, _)| v.clone()))
    }

    async fn metadata(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self.values.borrow().get(key).and_then(|(_, m)| m.clone()))
    }

    async fn list(
        &self,
        prefix: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<ListPage, StoreError> {
        let values = self.values.borrow();
        let after = cursor.unwrap_or("");
        let mut keys: Vec<ListedKey> = values
            .range::<str, _>((std::ops::Bound::Excluded(after), std::ops::Bound::Unbounded))
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(k, (_, m))| ListedKey {
                name: k.clone(),
                metadata: m.clone(),
            })
            .take(limit as usize + 1)
            .collect();
        let cursor = (keys.len() > limit as usize).then(|| {
            keys.pop();
            keys.last().map(|k| k.name.clone()).unwrap_or_default()
        });
        Ok(ListPage { keys, cursor })
    }
}

/// A queue that keeps what it is sent, or refuses everything.
#[derive(Default)]
pub struct MemoryQueue {
    pub sent: RefCell<Vec<String>>,
    pub down: bool,
}

impl EventQueue for MemoryQueue {
    async fn send(&self, message: &str) -> Result<(), StoreError> {
        if self.down {
            return Err(StoreError("the queue is down (test double)".into()));
        }
        self.sent.borrow_mut().push(message.into());
        Ok(())
    }
}

/// Signs natively with the `rsa` crate: an implementation independent of
/// the runtime's WebCrypto signer.
pub struct NativeSigner;

impl Signer for NativeSigner {
    async fn sign_rs256(&self, input: &[u8]) -> Result<Vec<u8>, AppError> {
        use rsa::pkcs1v15::SigningKey;
        use rsa::signature::{SignatureEncoding, Signer as _};
        let key = SigningKey::<sha2::Sha256>::new(test_key().clone());
        Ok(key.sign(input).to_vec())
    }
}
