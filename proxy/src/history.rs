//! `GET /api/history/{id}`: the audit record with each order's latest
//! run from the Platform, cached briefly so that many viewers cost one upstream call per run per
//! interval.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use shared::aep::paging::FlowServiceList;
use shared::aep::run::{RUNS_PATH, Run};
use shared::aep::verbatim::Verbatim;
use shared::portal::{HistoryDetail, OrderRun};

use crate::error::ApiError;
use crate::store::HistoryStore;
use crate::upstream::{Platform, UpstreamError};

pub async fn detail(
    store: &dyn HistoryStore,
    runs: &RunCache,
    platform: &Platform,
    id: &str,
    request_id: &str,
) -> Result<HistoryDetail, ApiError> {
    let record = store.get(id).await?.ok_or_else(|| {
        ApiError::NotFound(format!("There is no activation {id} in the history."))
    })?;
    let mut order_runs = Vec::with_capacity(record.orders.len());
    for order in &record.orders {
        // One unreadable run must not hide the record: say why next to the order instead.
        let (run, error) = match order.run_id() {
            Some(run_id) => match runs.get(platform, &run_id, request_id).await {
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
    Ok(HistoryDetail {
        record,
        runs: order_runs,
    })
}

/// One run's latest answer and when it was fetched; its lock makes viewers wait for one fetch.
type Slot = Arc<tokio::sync::Mutex<Option<(Instant, Option<Verbatim<Run>>)>>>;

/// Latest known run per id, refreshed at most once per `ttl` however many ask.
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
        request_id: &str,
    ) -> Result<Option<Verbatim<Run>>, UpstreamError> {
        let slot = self
            .entries
            .lock()
            .await
            .entry(run_id.to_owned())
            .or_default()
            .clone();
        // Viewers of the same run queue here; the first refreshes, the rest read its result.
        let mut entry = slot.lock().await;
        if let Some((fetched, run)) = entry
            .as_ref()
            .filter(|(fetched, _)| fetched.elapsed() < self.ttl)
        {
            let _ = fetched;
            return Ok(run.clone());
        }
        let list: FlowServiceList<Verbatim<Run>> = platform
            .get_json(&format!("{RUNS_PATH}/{run_id}"), request_id)
            .await?;
        let run = list.items.into_iter().next();
        *entry = Some((Instant::now(), run.clone()));
        Ok(run)
    }
}
