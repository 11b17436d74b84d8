//! The portal's wall clock, passed in rather than read from the system wherever time decides
//! something (the first-activation wait, in-flight windows, the reconciler's give-up), so that
//! tests step it instead of waiting for real minutes.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use shared::time::EpochMillis;

#[derive(Clone, Debug)]
pub enum Clock {
    System,
    /// Moves only when told to.
    Manual(Arc<AtomicI64>),
}

impl Clock {
    pub fn manual(start: EpochMillis) -> Self {
        Self::Manual(Arc::new(AtomicI64::new(start.0)))
    }

    pub fn now(&self) -> EpochMillis {
        match self {
            Self::System => EpochMillis(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis() as i64),
            ),
            Self::Manual(millis) => EpochMillis(millis.load(Ordering::SeqCst)),
        }
    }

    /// Moves a manual clock forward; the system clock cannot be moved.
    pub fn advance(&self, by: std::time::Duration) {
        match self {
            Self::System => panic!("the system clock cannot be advanced; use Clock::manual"),
            Self::Manual(millis) => {
                millis.fetch_add(by.as_millis() as i64, Ordering::SeqCst);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_advanced() {
        let clock = Clock::manual(EpochMillis(1_000));
        assert_eq!(clock.now(), EpochMillis(1_000));
        clock.clone().advance(std::time::Duration::from_secs(2));
        assert_eq!(clock.now(), EpochMillis(3_000), "clones share the time");
    }

    #[test]
    fn the_system_clock_is_after_this_code_was_written() {
        assert!(Clock::System.now().0 > 1_795_000_000_000);
    }
}
