//! An offline Adobe Experience Platform: IMS and the Platform endpoints of the portal's
//! allowlist, at their own paths with their own headers, bodies, paging and errors, as an axum
//! `Router` with its state. Not a mock: it keeps state, enforces the Platform's rules, runs Flow
//! Service runs on a clock and writes the exported files.

mod adhoc;
mod admin;
pub mod clock;
mod columnar;
pub mod dataset;
mod delivery;
pub mod export;
mod faults;
mod filter;
mod flows;
mod gateway;
mod ids;
mod ims;
mod segments;
mod template;
mod wire;
mod world;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use shared::time::EpochMillis;

pub use clock::Clock;
pub use faults::Faults;
pub use world::ORG_ID;
use world::{Completion, World, Written};
pub use world::{RunSchedule, Sandbox};

/// The credentials the emulated IMS accepts.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
    pub org_id: String,
    pub scopes: Vec<String>,
}

impl Credentials {
    /// What `adhoc-portal demo` uses; they open nothing but the emulator.
    pub fn demo() -> Self {
        Self {
            client_id: "demo-client-id".into(),
            client_secret: "demo-client-secret".into(),
            org_id: ORG_ID.into(),
            scopes: [
                "openid",
                "AdobeID",
                "read_organizations",
                "additional_info.projectedProductContext",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    pub credentials: Credentials,
    /// Export files go under `<data_dir>/exports/<destination>/`.
    pub data_dir: PathBuf,
    /// How long (on the emulator's clock) an ad-hoc run takes before its files are written.
    pub run_seconds: i64,
    /// IMS `expires_in`.
    pub token_lifetime_seconds: i64,
    /// The Platform's own first-activation wait, as this emulator enforces it.
    pub first_activation_wait_seconds: i64,
    pub max_entries: usize,
    pub organization_name: String,
}

impl Config {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            credentials: Credentials::demo(),
            data_dir: data_dir.to_path_buf(),
            run_seconds: 30,
            token_lifetime_seconds: 86_399,
            first_activation_wait_seconds: 60 * 60,
            max_entries: 80,
            organization_name: "Acme Retail".into(),
        }
    }
}

/// The emulator's state; cheap to clone, shared by every handler.
#[derive(Clone)]
pub struct Emulator(Arc<Inner>);

struct Inner {
    config: Config,
    clock: Clock,
    world: Mutex<World>,
    faults: Mutex<Faults>,
    requests: Mutex<admin::RequestLog>,
}

impl Emulator {
    pub fn new(config: Config, clock: Clock, sandboxes: Vec<Sandbox>) -> Self {
        let world = World {
            sandboxes: sandboxes.into_iter().map(|s| (s.name.clone(), s)).collect(),
            tokens: Default::default(),
            ids: ids::IdGenerator::new(0x5eed ^ clock.now().0 as u64),
        };
        Self(Arc::new(Inner {
            config,
            clock,
            world: Mutex::new(world),
            faults: Mutex::new(Faults::default()),
            requests: Mutex::new(admin::RequestLog::default()),
        }))
    }

    /// The emulator with the demo dataset (`bulk_segments` on the bulk QA destination), its
    /// clock running at `speed` times real time.
    pub fn demo(data_dir: &Path, speed: f64, bulk_segments: usize) -> Self {
        let clock = Clock::scaled(EpochMillis(unix_now_millis()), speed);
        let now = clock.now();
        let mut sandbox = dataset::demo_sandbox_with_bulk(now, bulk_segments);
        sandbox.run_schedule = Some(world::RunSchedule {
            made_until: now,
            running_seconds: 10 * 60,
        });
        Self::new(Config::new(data_dir), clock, vec![sandbox])
    }

    /// IMS at `/ims/...`, the Platform at its own paths, the admin API at `/emulator/...`.
    pub fn router(&self) -> Router {
        Router::new()
            .merge(ims::routes())
            .merge(gateway::guard(
                self,
                flows::routes()
                    .merge(segments::routes())
                    .merge(adhoc::routes()),
            ))
            .nest("/emulator", admin::routes())
            .with_state(self.clone())
    }

    pub fn config(&self) -> &Config {
        &self.0.config
    }

    pub fn now(&self) -> EpochMillis {
        self.0.clock.now()
    }

    pub fn clock(&self) -> &Clock {
        &self.0.clock
    }

    fn world(&self) -> MutexGuard<'_, World> {
        self.0.world.lock().expect("world lock")
    }

    fn faults(&self) -> MutexGuard<'_, Faults> {
        self.0.faults.lock().expect("faults lock")
    }

    fn requests(&self) -> MutexGuard<'_, admin::RequestLog> {
        self.0.requests.lock().expect("request log lock")
    }

    /// Writes the files of every run that is due and records how it ended. A run reports
    /// success only once its files exist.
    pub async fn settle(&self) {
        let now = self.now();
        let due = self.take_due_runs(now);
        let writes = due.into_iter().map(|job| {
            let emulator = self.clone();
            tokio::task::spawn_blocking(move || {
                let outcome = job.write();
                emulator.complete(&job, outcome);
            })
        });
        for write in writes.collect::<Vec<_>>() {
            if let Err(e) = write.await {
                tracing::error!("export writer panicked: {e}");
            }
        }
    }

    /// Settles runs in the background every `period` (real time), for the demo.
    pub fn spawn_ticker(&self, period: Duration) -> tokio::task::JoinHandle<()> {
        let emulator = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            loop {
                tick.tick().await;
                emulator.settle().await;
            }
        })
    }

    fn take_due_runs(&self, now: EpochMillis) -> Vec<delivery::Delivery> {
        let mut world = self.world();
        let World { sandboxes, ids, .. } = &mut *world;
        let mut due = Vec::new();
        for sandbox in sandboxes.values_mut() {
            sandbox.start_scheduled_runs(now, ids);
            let jobs: Vec<_> = sandbox
                .runs
                .iter()
                .filter(|r| r.is_in_progress() && !r.writing && r.finishes_at <= now)
                .filter_map(|r| delivery::Delivery::new(sandbox, r, &self.0.config, now))
                .collect();
            for job in &jobs {
                if let Some(run) = sandbox.run_mut(&job.run_id) {
                    run.writing = true;
                }
            }
            due.extend(jobs);
        }
        due
    }

    fn complete(&self, job: &delivery::Delivery, outcome: Result<Written, String>) {
        let mut world = self.world();
        let finished_at = self.now().max(job.due_at);
        if let Some(run) = world
            .sandboxes
            .get_mut(&job.sandbox)
            .and_then(|s| s.run_mut(&job.run_id))
        {
            run.writing = false;
            run.completion = Some(Completion {
                finished_at,
                outcome,
            });
        }
    }
}

fn unix_now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
