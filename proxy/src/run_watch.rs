//! Keeps each accepted activation's runs summary current ("2 of 2 succeeded", "1 failed",
//! "running") so that the history list shows and filters by it without asking the Platform per
//! row. Only records of the last two days whose runs have not all finished are looked at.

use std::sync::Arc;
use std::time::Duration;

use shared::portal::{HistoryRecord, RunsSummary};

use crate::AppState;
use crate::reconcile::ReconcileError;

/// Runs take minutes; one that has not finished after this long is no longer watched.
const WATCHED_FOR_SECONDS: i64 = 2 * 24 * 3600;

pub fn spawn(state: Arc<AppState>, every: Duration) -> tokio::task::JoinHandle<()> {
    crate::background::spawn_job(state, "run watch", every, |state| async move {
        if let Err(e) = refresh_unfinished(&state).await {
            tracing::warn!("run watch: {e}");
        }
    })
}

pub async fn refresh_unfinished(state: &AppState) -> Result<(), ReconcileError> {
    let since = state.clock.now().plus_seconds(-WATCHED_FOR_SECONDS);
    for record in state.store.with_unfinished_runs(since).await? {
        // One run the Platform will not show must not keep the others from being counted.
        if let Err(error) = refresh(state, &record).await {
            tracing::debug!(activation = %record.id, "runs not counted this time: {error}");
        }
    }
    Ok(())
}

/// Counts one record's runs (and puts their ends in the outbox first): the run watch's pass,
/// and a viewer's look at the record, which should not wait for the next pass.
pub async fn refresh(state: &AppState, record: &HistoryRecord) -> Result<(), ReconcileError> {
    let mut runs = Vec::with_capacity(record.orders.len());
    let mut ended = Vec::with_capacity(record.orders.len());
    for order in &record.orders {
        let run = match order.run_id() {
            Some(id) => {
                state
                    .runs
                    .get(&state.platform, &id, state.clock.now(), "run-watch")
                    .await?
            }
            None => None,
        };
        ended.push((order.clone(), run.as_deref().cloned()));
        runs.push(run);
    }
    // The ends go in the outbox before the summary says "finished": once it does, this record
    // is not looked at again.
    crate::notify::enqueue_run_ends(state, record, &ended).await?;
    let summary = RunsSummary::of(runs.iter().map(|run| run.as_deref()));
    if record.runs != Some(summary) {
        state.store.record_runs(&record.id, summary).await?;
    }
    Ok(())
}
