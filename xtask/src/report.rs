//! What `cargo xtask test` prints at the end: each phase with its time, then `N passed, N failed`.

use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub passed: u32,
    pub failed: u32,
}

impl Counts {
    /// A phase that is one check: fmt, clippy, a build.
    pub fn check(ok: bool) -> Self {
        if ok {
            Self {
                passed: 1,
                failed: 0,
            }
        } else {
            Self {
                passed: 0,
                failed: 1,
            }
        }
    }

    fn add(&mut self, other: Counts) {
        self.passed += other.passed;
        self.failed += other.failed;
    }
}

#[derive(Default)]
pub struct Report {
    phases: Vec<(String, Duration, Counts)>,
}

impl Report {
    /// Runs one phase, prints its time and returns whether all of it passed.
    pub fn phase(&mut self, name: &str, body: impl FnOnce() -> Counts) -> bool {
        println!("\n==> {name}");
        let start = Instant::now();
        let counts = body();
        let took = start.elapsed();
        println!(
            "<== {name}: {} passed, {} failed in {:.1}s",
            counts.passed,
            counts.failed,
            took.as_secs_f64()
        );
        self.phases.push((name.to_owned(), took, counts));
        counts.failed == 0
    }

    pub fn finish(self) -> ExitCode {
        println!("\nphase                      time  passed  failed");
        let mut total = Counts::default();
        for (name, took, counts) in &self.phases {
            println!(
                "{name:<22} {:>8.1}s {:>7} {:>7}",
                took.as_secs_f64(),
                counts.passed,
                counts.failed
            );
            total.add(*counts);
        }
        println!("{} passed, {} failed", total.passed, total.failed);
        if total.failed == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    }
}
