//! Keys (segments, idempotency keys) held by this process: two activations that share a key wait
//! for each other, activations with disjoint keys do not.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

#[derive(Default)]
pub struct KeyLocks {
    held: Mutex<HashSet<String>>,
    released: Notify,
}

/// The keys of one holder, released when dropped.
pub struct HeldKeys {
    locks: Arc<KeyLocks>,
    keys: Vec<String>,
}

impl KeyLocks {
    /// Holds `keys` if none of them is held.
    pub fn try_hold(self: &Arc<Self>, keys: &[String]) -> Option<HeldKeys> {
        let mut held = self.held.lock().expect("key locks are never poisoned");
        if keys.iter().any(|key| held.contains(key)) {
            return None;
        }
        held.extend(keys.iter().cloned());
        Some(HeldKeys {
            locks: self.clone(),
            keys: keys.to_vec(),
        })
    }

    /// Waits until none of `keys` is held, then holds them all at once: a holder never waits
    /// while holding, so two holders cannot wait for each other.
    pub async fn hold(self: &Arc<Self>, keys: &[String]) -> HeldKeys {
        loop {
            let released = self.released.notified();
            tokio::pin!(released);
            // Registered before looking: a release between the look and the wait still wakes us.
            released.as_mut().enable();
            if let Some(held) = self.try_hold(keys) {
                return held;
            }
            released.await;
        }
    }
}

impl Drop for HeldKeys {
    fn drop(&mut self) {
        let mut held = self
            .locks
            .held
            .lock()
            .expect("key locks are never poisoned");
        for key in &self.keys {
            held.remove(key);
        }
        drop(held);
        self.locks.released.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn keys(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    #[tokio::test]
    async fn a_shared_key_waits_and_disjoint_keys_do_not() {
        let locks = Arc::new(KeyLocks::default());
        let first = locks.hold(&keys(&["a", "b"])).await;
        tokio::time::timeout(Duration::from_secs(1), locks.hold(&keys(&["c"])))
            .await
            .expect("a disjoint key is not held up");
        let waiting = tokio::spawn({
            let locks = locks.clone();
            async move { locks.hold(&keys(&["b", "d"])).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "a shared key must wait");
        drop(first);
        let second = tokio::time::timeout(Duration::from_secs(1), waiting)
            .await
            .expect("released keys wake the waiter")
            .unwrap();
        assert_eq!(second.keys, keys(&["b", "d"]));
    }
}
