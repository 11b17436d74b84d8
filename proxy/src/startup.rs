//! The one way to assemble and start the portal, used by `adhoc-portal serve|demo` and by the
//! tests alike: open the history, check the built frontend, bind, then serve until told to stop.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::serve::{InboundLimits, serve, with_body_deadline};
use crate::static_files::{MissingFrontend, StaticFiles};
use crate::store::Database;
use crate::{AppState, Settings, app};

/// Where the portal keeps its files and where it listens.
pub struct Placement {
    /// The history is `portal.sqlite` in here unless `database` says otherwise.
    pub data_dir: PathBuf,
    pub database: Option<Database>,
    /// The bundle `cargo xtask build` wrote.
    pub dist_dir: PathBuf,
    /// Port 0 picks a free one.
    pub addr: SocketAddr,
    pub inbound: InboundLimits,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    MissingFrontend(#[from] MissingFrontend),
    #[error("cannot create the data folder {0}: {1} (choose another with --data-dir)")]
    DataDir(PathBuf, std::io::Error),
    #[error("cannot open the history in {0}: {1} (check --database-url)")]
    Store(String, sqlx::Error),
    #[error("cannot listen on {0}: {1} (choose another with --port or --addr)")]
    Bind(SocketAddr, std::io::Error),
    #[error("the server failed: {0}")]
    Serve(std::io::Error),
}

pub struct Application {
    listener: TcpListener,
    state: Arc<AppState>,
    static_files: StaticFiles,
    inbound: InboundLimits,
}

impl Application {
    pub async fn build(settings: Settings, place: Placement) -> Result<Self, StartupError> {
        let static_files = StaticFiles::open(&place.dist_dir)?;
        std::fs::create_dir_all(&place.data_dir)
            .map_err(|e| StartupError::DataDir(place.data_dir.clone(), e))?;
        let database = place
            .database
            .unwrap_or_else(|| Database::Sqlite(place.data_dir.join("portal.sqlite")));
        let store = database
            .open()
            .await
            .map_err(|e| StartupError::Store(database.describe(), e))?;
        tracing::info!("the history is in {}", database.describe());
        let listener = TcpListener::bind(place.addr)
            .await
            .map_err(|e| StartupError::Bind(place.addr, e))?;
        Ok(Self {
            listener,
            state: AppState::new(settings, store),
            static_files,
            inbound: place.inbound,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn state(&self) -> Arc<AppState> {
        self.state.clone()
    }

    /// Says every `every` that this process is alive, so that no other replica takes its pending
    /// activations for cut off.
    pub fn spawn_heartbeat(&self, every: Duration) {
        crate::background::spawn_heartbeat(self.state.clone(), every);
    }

    /// Resolves activations of unknown outcome every `every`, for as long as the runtime runs.
    pub fn spawn_reconciler(&self, every: Duration) {
        crate::reconcile::spawn(self.state.clone(), every);
    }

    /// Keeps the history's runs summaries current every `every`.
    pub fn spawn_run_watch(&self, every: Duration) {
        crate::run_watch::spawn(self.state.clone(), every);
    }

    /// Sends scheduled plans whose time has come, every `every`.
    pub fn spawn_planner(&self, every: Duration) {
        crate::plans::spawn(self.state.clone(), every);
    }

    /// Puts events in the outbox and sends what is due every `every`.
    pub fn spawn_notifier(&self, every: Duration) {
        crate::notify::spawn(self.state.clone(), every);
    }

    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartupError> {
        let router = app(self.state, self.static_files, self.inbound.request_timeout);
        let service = with_body_deadline(router, &self.inbound);
        serve(self.listener, service, self.inbound, shutdown)
            .await
            .map_err(StartupError::Serve)
    }
}
