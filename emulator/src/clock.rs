//! The emulator's time: real time scaled by a factor (the demo can make an hour pass in a
//! minute), or stopped and stepped by hand (tests). Tokens expire, runs finish and scheduled
//! exports start on this clock.

use std::sync::Mutex;
use std::time::Instant;

use shared::time::EpochMillis;

#[derive(Debug)]
pub struct Clock {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    anchor_real: Instant,
    anchor_virtual: EpochMillis,
    /// Virtual milliseconds per real millisecond; 0 stops the clock.
    factor: f64,
}

impl Clock {
    /// Runs at `factor` times real speed from `start`.
    pub fn scaled(start: EpochMillis, factor: f64) -> Self {
        Self {
            state: Mutex::new(State {
                anchor_real: Instant::now(),
                anchor_virtual: start,
                factor: factor.max(0.0),
            }),
        }
    }

    /// Stands still at `start` until advanced.
    pub fn manual(start: EpochMillis) -> Self {
        Self::scaled(start, 0.0)
    }

    pub fn now(&self) -> EpochMillis {
        let state = self.state.lock().expect("clock lock");
        state.at(Instant::now())
    }

    pub fn advance(&self, seconds: i64) -> EpochMillis {
        let mut state = self.state.lock().expect("clock lock");
        let real = Instant::now();
        let now = state.at(real).plus_seconds(seconds);
        state.anchor_real = real;
        state.anchor_virtual = now;
        now
    }
}

impl State {
    fn at(&self, real: Instant) -> EpochMillis {
        let elapsed = real.duration_since(self.anchor_real).as_millis() as f64;
        EpochMillis(self.anchor_virtual.0 + (elapsed * self.factor) as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let clock = Clock::manual(EpochMillis(1_000));
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(clock.now(), EpochMillis(1_000));
        assert_eq!(clock.advance(90), EpochMillis(91_000));
        assert_eq!(clock.now(), EpochMillis(91_000));
    }

    #[test]
    fn a_scaled_clock_runs_faster_than_real_time() {
        let clock = Clock::scaled(EpochMillis(0), 1_000.0);
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(clock.now().0 >= 20_000, "{:?}", clock.now());
    }
}
