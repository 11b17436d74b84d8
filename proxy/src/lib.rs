//! The portal's HTTP service: the only holder of Adobe credentials and the only way activations
//! reach the Platform.

mod activation;
mod allowlist;
pub mod auth;
mod background;
pub mod cli;
pub mod clock;
pub mod config;
mod csv_export;
mod error;
mod facts;
mod history;
mod http;
mod ims;
mod media;
pub mod metrics;
pub mod notify;
pub mod plans;
mod rate;
pub mod reconcile;
pub mod run_watch;
mod serve;
pub mod startup;
pub mod static_files;
pub mod store;
mod upstream;

use std::sync::Arc;
use std::time::Duration;

use shared::guardrails::Limits;
use shared::portal::Mode;

pub use auth::AuthMode;
pub use clock::Clock;
pub use config::{ApiVersion, PlatformConfig};
pub use error::ApiError;
use history::RunCache;
pub use http::{RequestId, app};
use metrics::Metrics;
use rate::ActivationRate;
pub use serve::InboundLimits;
pub use startup::{Application, Placement, StartupError};
use store::HistoryStore;
use upstream::Platform;
/// How long an order's run status is reused across viewers.
const RUN_CACHE_TTL: Duration = Duration::from_secs(2);

pub struct AppState {
    platform: Platform,
    store: Arc<dyn HistoryStore>,
    auth: AuthMode,
    limits: Limits,
    mode: Mode,
    metrics: Arc<Metrics>,
    runs: RunCache,
    clock: Clock,
    public_origin: Option<String>,
    activation_rate: ActivationRate,
    receivers: notify::Receivers,
    approvals: plans::Approvals,
    /// How long a scheduled plan held up by something that passes may wait past its time.
    plan_grace: Duration,
    /// Sends notifications: no redirects (a receiver's redirect could point anywhere).
    notifier: reqwest::Client,
}

pub struct Settings {
    pub platform: PlatformConfig,
    pub auth: AuthMode,
    pub limits: Limits,
    pub mode: Mode,
    pub clock: Clock,
    /// Where browsers reach the portal (`https://portal.example`) when that is not `http://`
    /// and the request's `Host`: behind a TLS proxy.
    pub public_origin: Option<String>,
    pub activations_per_user_per_minute: u32,
    /// Where notifications go; none by default.
    pub receivers: notify::Receivers,
    /// Which plans need another activator's approval; none by default.
    pub approvals: plans::Approvals,
    pub plan_grace: Duration,
}

impl AppState {
    pub fn new(settings: Settings, store: Arc<dyn HistoryStore>) -> Arc<Self> {
        let metrics = Arc::new(Metrics::default());
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            // A redirect from IMS would re-send the client secret to wherever it points.
            .redirect(reqwest::redirect::Policy::none())
            // As many idle connections as requests may be in flight: a busy forwarding path
            // reuses its upstream connections instead of opening new ones.
            .pool_max_idle_per_host(1024)
            .build()
            .expect("an HTTP client with default TLS roots");
        Arc::new(Self {
            platform: Platform::new(http, settings.platform, metrics.clone()),
            store,
            auth: settings.auth,
            limits: settings.limits,
            mode: settings.mode,
            metrics,
            runs: RunCache::new(RUN_CACHE_TTL),
            clock: settings.clock,
            public_origin: settings.public_origin,
            activation_rate: ActivationRate::new(settings.activations_per_user_per_minute),
            receivers: settings.receivers,
            approvals: settings.approvals,
            plan_grace: settings.plan_grace,
            notifier: reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(5))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("an HTTP client with default TLS roots"),
        })
    }

    pub fn store(&self) -> &dyn HistoryStore {
        self.store.as_ref()
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }
}
