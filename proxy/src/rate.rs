//! At most so many activations per user in any minute, on the portal's clock: one user (or a
//! leaked token) cannot turn the portal into a flood of Platform calls.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use shared::time::EpochMillis;

const MINUTE_MS: i64 = 60_000;

pub struct ActivationRate {
    per_minute: u32,
    recent: Mutex<HashMap<String, VecDeque<EpochMillis>>>,
}

impl ActivationRate {
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            recent: Mutex::new(HashMap::new()),
        }
    }

    pub fn per_minute(&self) -> u32 {
        self.per_minute
    }

    /// Counts one activation of `user` at `now`, or says in how many seconds one would be
    /// admitted.
    pub fn admit(&self, user: &str, now: EpochMillis) -> Result<(), u64> {
        let mut recent = self
            .recent
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let times = recent.entry(user.to_owned()).or_default();
        while times.front().is_some_and(|at| now.0 - at.0 >= MINUTE_MS) {
            times.pop_front();
        }
        if times.len() >= self.per_minute as usize {
            let oldest = times.front().map_or(now.0, |at| at.0);
            let wait_ms = (oldest + MINUTE_MS - now.0).max(1);
            return Err(((wait_ms + 999) / 1000) as u64);
        }
        times.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_gets_so_many_a_minute_and_others_are_not_affected() {
        let rate = ActivationRate::new(3);
        for second in 0..3 {
            assert_eq!(rate.admit("kim", EpochMillis(second * 1_000)), Ok(()));
        }
        assert_eq!(rate.admit("kim", EpochMillis(10_000)), Err(50));
        assert_eq!(rate.admit("lee", EpochMillis(10_000)), Ok(()));
        assert_eq!(
            rate.admit("kim", EpochMillis(60_000)),
            Ok(()),
            "the first has aged out"
        );
        assert_eq!(rate.admit("kim", EpochMillis(60_500)), Err(1));
    }
}
