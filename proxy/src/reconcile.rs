//! Resolves activations whose outcome is unknown (a timeout, a 5xx, a crash mid-call) by looking
//! for the runs they would have started; after a grace period without any, they failed.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use shared::aep::adhoc::ActivationOrder;
use shared::aep::run::{RUNS_PATH, RunList, dataflow_runs_path};
use shared::ids::is_platform_id;
use shared::portal::{ErrorBody, ErrorCode, HistoryRecord, Outcome};

use crate::AppState;
use crate::store::StoreError;
use crate::upstream::UpstreamError;

/// Why a reconciling pass stopped; logged, never an HTTP answer.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Platform(#[from] UpstreamError),
}

/// Runs appear within seconds; after this long without one, nothing was started.
const GRACE_MS: i64 = 10 * 60_000;
/// Longer than any activation takes to send: a pending record this old was cut off, even if its
/// sender still beats.
const STALE_PENDING_MS: i64 = 2 * 60_000;
/// A run created this long before the record still counts (clocks differ).
const CLOCK_SKEW_MS: i64 = 60_000;

pub fn spawn(state: Arc<AppState>, every: Duration) -> tokio::task::JoinHandle<()> {
    crate::background::spawn_job(state, "reconcile", every, |state| async move {
        if let Err(e) = reconcile_all(&state).await {
            tracing::warn!("reconciler: {e}");
        }
    })
}

/// When the record was sent: a plan that waited was sent when it was taken, not when it was
/// made.
fn sent_from(record: &HistoryRecord) -> shared::time::EpochMillis {
    record.plan.sent_at.unwrap_or(record.created_at)
}

pub async fn reconcile_all(state: &AppState) -> Result<(), ReconcileError> {
    // Pending records whose sender is gone (or that are older than any send takes) were cut
    // off by a crash: treat them alike.
    let mut records = state.store.with_outcome(Outcome::Unknown).await?;
    let now = state.clock.now();
    records.extend(
        state
            .store
            .orphaned_pending(now, shared::time::EpochMillis(now.0 - STALE_PENDING_MS))
            .await?,
    );
    for record in records {
        // Read again for each record: the previous one may have claimed runs.
        let claimed = state
            .store
            .claimed_run_ids(
                record
                    .created_at
                    .plus_seconds(-(CLOCK_SKEW_MS + GRACE_MS) / 1000),
            )
            .await?;
        // One record the Platform will not answer for must not keep the others unresolved.
        if let Err(error) = reconcile(state, &record, &claimed).await {
            tracing::warn!(activation = %record.id, "not reconciled, the next pass tries again: {error}");
        }
    }
    Ok(())
}

/// A run another record already answered for is not this record's: without that rule an
/// activation that never reached the Platform would take the run of an earlier one.
async fn reconcile(
    state: &AppState,
    record: &HistoryRecord,
    claimed: &HashSet<String>,
) -> Result<(), ReconcileError> {
    let mut orders = Vec::new();
    // The record keeps the plan verbatim; an id from before the id rule never goes into a path.
    for (dataflow_id, segments) in record
        .activation_info
        .iter()
        .filter(|(dataflow_id, _)| is_platform_id(dataflow_id))
    {
        let runs: RunList = state
            .platform
            .get_json(&dataflow_runs_path(dataflow_id), "reconciler")
            .await?;
        // Its run starts within seconds of the record; one that started later than the grace
        // period is another activation's (or a schedule's), however alike.
        let sent = sent_from(record).0;
        let window = sent - CLOCK_SKEW_MS..=sent + GRACE_MS;
        for run in runs.items.iter().filter(|r| {
            !claimed.contains(&r.id) && r.created_at.is_some_and(|at| window.contains(&at.0))
        }) {
            for segment in run
                .segment_ids()
                .into_iter()
                .filter(|id| segments.iter().any(|s| s == id))
            {
                orders.push(ActivationOrder {
                    segment: segment.to_owned(),
                    order: dataflow_id.clone(),
                    status_url: format!(
                        "{}{RUNS_PATH}/{}",
                        state.platform.config().platform_url,
                        run.id
                    ),
                });
            }
        }
    }
    if !orders.is_empty() {
        tracing::info!(activation = %record.id, runs = orders.len(), "reconciled: the Platform started it");
        state
            .store
            .conclude(
                &record.id,
                record.outcome,
                Outcome::Accepted,
                &orders,
                None,
                state.clock.now(),
            )
            .await?;
        return Ok(());
    }
    if state.clock.now().0 - sent_from(record).0 > GRACE_MS {
        tracing::info!(activation = %record.id, "reconciled: nothing was started");
        return conclude(
            state,
            record,
            Outcome::Failed,
            ErrorBody::new(
                ErrorCode::NotStarted,
                "The Platform started no run for this activation; it can be sent again.",
            ),
        )
        .await;
    }
    if record.outcome == Outcome::Pending {
        // Its sender is gone: nobody will record the Platform's answer, which is unknown until
        // its runs appear or the grace period ends.
        tracing::info!(activation = %record.id, "its sender stopped: outcome unknown");
        return conclude(
            state,
            record,
            Outcome::Unknown,
            ErrorBody::new(
                ErrorCode::OutcomeUnknown,
                "The portal process sending this activation stopped before the Platform answered; the portal is looking for its runs.",
            ),
        )
        .await;
    }
    Ok(())
}

/// Records what the reconciler concluded without runs, `outcome` because of `error`, unless the
/// record has changed since it was read (its sender answered after all).
async fn conclude(
    state: &AppState,
    record: &HistoryRecord,
    outcome: Outcome,
    error: ErrorBody,
) -> Result<(), ReconcileError> {
    state
        .store
        .conclude(
            &record.id,
            record.outcome,
            outcome,
            &[],
            Some(&error),
            state.clock.now(),
        )
        .await?;
    Ok(())
}
