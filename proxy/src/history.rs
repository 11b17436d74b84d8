//! `GET /api/history/{id}`: the audit record with each order's latest
//! run from the Platform, cached briefly so that many viewers cost one upstream call per run per
//! interval.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use shared::aep::paging::FlowServiceList;
use shared::aep::run::{RUNS_PATH, Run};
use shared::aep::verbatim::Verbatim;
use shared::portal::{DeliveryState, HistoryDetail, NotificationState, OrderRun};
use shared::time::EpochMillis;

use crate::error::ApiError;
use crate::store::HistoryStore;
use crate::upstream::{Platform, UpstreamError};

pub async fn detail(
    store: &dyn HistoryStore,
    runs: &RunCache,
    platform: &Platform,
    id: &str,
    now: EpochMillis,
    request_id: &str,
) -> Result<HistoryDetail, ApiError> {
    let record = store.get(id).await?.ok_or_else(|| {
        ApiError::NotFound(format!("There is no activation {id} in the history."))
    })?;
    let mut order_runs = Vec::with_capacity(record.orders.len());
    for order in &record.orders {
        // One unreadable run must not hide the record: say why next to the order instead.
        let (run, error) = match order.run_id() {
            Some(run_id) => match runs.get(platform, &run_id, now, request_id).await {
                Ok(run) => (run, None),
                Err(e) => (None, Some(e.to_string())),
            },
            None => (None, Some(format!("{} names no run", order.status_url))),
        };
        order_runs.push(OrderRun {
            order: order.clone(),
            run,
            error,
        });
    }
    let notifications = store
        .notifications_of(&record.id)
        .await?
        .into_iter()
        .map(|n| NotificationState {
            event: n.event,
            receiver: crate::notify::receiver_name(&n.target),
            state: if n.delivered_at.is_some() {
                DeliveryState::Delivered
            } else if n.gave_up_at.is_some() {
                DeliveryState::GivenUp
            } else {
                DeliveryState::Pending
            },
            attempts: n.attempts,
            last_error: n.last_error,
            delivered_at: n.delivered_at,
        })
        .collect();
    let parts = if record.plan.parts.is_empty() {
        Vec::new()
    } else {
        store.parts_of(&record.id).await?
    };
    Ok(HistoryDetail {
        record,
        runs: order_runs,
        notifications,
        parts,
    })
}

/// One run's latest answer and when it was fetched; its lock makes viewers wait for one fetch.
type Slot = Arc<tokio::sync::Mutex<Option<(EpochMillis, Option<Verbatim<Run>>)>>>;

/// Runs remembered at most; past it, those not fetched within the TTL are forgotten.
const MAX_CACHED_RUNS: usize = 10_000;

/// Latest known run per id, refreshed at most once per `ttl` (on the portal's clock) however
/// many ask.
pub struct RunCache {
    ttl: Duration,
    entries: tokio::sync::Mutex<HashMap<String, Slot>>,
}

impl RunCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: tokio::sync::Mutex::new(HashMap::new()),
        }
    }

    pub async fn get(
        &self,
        platform: &Platform,
        run_id: &str,
        now: EpochMillis,
        request_id: &str,
    ) -> Result<Option<Verbatim<Run>>, UpstreamError> {
        let ttl_millis = i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX);
        let fresh_since = now.0.saturating_sub(ttl_millis);
        let slot = {
            let mut entries = self.entries.lock().await;
            if entries.len() >= MAX_CACHED_RUNS {
                entries.retain(|_, slot| {
                    slot.try_lock().map_or(true, |entry| {
                        entry.as_ref().is_some_and(|(at, _)| at.0 > fresh_since)
                    })
                });
            }
            entries.entry(run_id.to_owned()).or_default().clone()
        };
        // Viewers of the same run queue here; the first refreshes, the rest read its result.
        let mut entry = slot.lock().await;
        if let Some((_, run)) = entry
            .as_ref()
            .filter(|(fetched, _)| fetched.0 > fresh_since)
        {
            return Ok(run.clone());
        }
        let list: FlowServiceList<Verbatim<Run>> = platform
            .get_json(&format!("{RUNS_PATH}/{run_id}"), request_id)
            .await?;
        let run = list.items.into_iter().next();
        *entry = Some((now, run.clone()));
        Ok(run)
    }
}
