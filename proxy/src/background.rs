//! Background work shared by every process on one database: each pass of a job is done by the
//! one process that takes the job in the database (`HistoryStore::try_job`), so two replicas
//! never reconcile, plan or notify at once; a killed process lets go with its connection.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::AppState;

/// Every `every`, a pass of `job` if no other process is doing it.
pub fn spawn_job<Pass, Done>(
    state: Arc<AppState>,
    job: &'static str,
    every: Duration,
    pass: Pass,
) -> tokio::task::JoinHandle<()>
where
    Pass: Fn(Arc<AppState>) -> Done + Send + 'static,
    Done: Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            match state.store.try_job(job).await {
                Ok(Some(held)) => {
                    pass(state.clone()).await;
                    drop(held);
                }
                Ok(None) => tracing::trace!(job, "another replica is doing it"),
                Err(e) => tracing::warn!(job, "cannot take the job: {e}"),
            }
        }
    })
}

/// Beats missed before a process counts as gone.
const BEATS_MISSED: u32 = 3;

/// Says every `every` that this process is alive.
pub fn spawn_heartbeat(state: Arc<AppState>, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        let alive_for = (every * BEATS_MISSED).as_millis() as i64;
        loop {
            tick.tick().await;
            let until = shared::time::EpochMillis(state.clock.now().0 + alive_for);
            if let Err(e) = state.store.heartbeat(until).await {
                tracing::warn!("heartbeat: {e}");
            }
        }
    })
}
