//! Fresh platform facts for the guardrails, asked for as `shared::facts` says (the browser asks
//! the same way), over the proxy's own transport to the Platform.

use futures::future::try_join_all;
use serde::de::DeserializeOwned;
use shared::aep::adhoc::ActivationInfo;
use shared::aep::export_job::{ExportJob, ExportJobList};
use shared::aep::flow::Flow;
use shared::aep::run::RunList;
use shared::facts::{self, DestinationFlowPages};
use shared::guardrails::RunInProgress;

use crate::error::ApiError;
use crate::upstream::Platform;

pub struct PlatformFacts {
    pub flows: Vec<Flow>,
    pub runs_in_progress: Vec<RunInProgress>,
    pub export_jobs: Vec<ExportJob>,
}

impl PlatformFacts {
    pub async fn gather(
        platform: &Platform,
        plan: &ActivationInfo,
        request_id: &str,
    ) -> Result<Self, ApiError> {
        let (flows, runs, export_jobs) = tokio::try_join!(
            destination_flows(platform, request_id),
            runs_in_progress(platform, plan, request_id),
            latest_export_jobs(platform, request_id),
        )?;
        Ok(Self {
            flows,
            runs_in_progress: runs,
            export_jobs,
        })
    }

    /// The newest profile export job, whose id v1 adhocrun wants in `exportIds`.
    pub fn latest_profile_export(&self) -> Option<&ExportJob> {
        self.export_jobs
            .iter()
            .filter(|j| j.is_profile_export())
            .max_by_key(|j| (j.creation_time, j.id))
    }
}

pub async fn get_json<T: DeserializeOwned>(
    platform: &Platform,
    path_and_query: &str,
    request_id: &str,
) -> Result<T, ApiError> {
    let answer = platform.get(path_and_query, request_id).await?;
    if !answer.status.is_success() {
        let message = answer.error_message();
        return Err(ApiError::Upstream {
            status: answer.status,
            message: format!("The Platform refused to list what the guardrails need ({message})."),
            rejection: None,
        });
    }
    serde_json::from_slice(&answer.body).map_err(|e| {
        ApiError::UpstreamUnreachable(format!(
            "The Platform answered {path_and_query} with something unexpected: {e}"
        ))
    })
}

async fn destination_flows(platform: &Platform, request_id: &str) -> Result<Vec<Flow>, ApiError> {
    let mut pages = DestinationFlowPages::new();
    let mut flows = Vec::new();
    while let Some(path) = pages.next_path() {
        flows.extend(pages.read(get_json(platform, &path, request_id).await?));
    }
    Ok(flows)
}

/// A segment running on a dataflow outside the plan blocks it too (one ad-hoc run per audience),
/// so the plan's segments are looked up on every dataflow as well as the plan's dataflows.
async fn runs_in_progress(
    platform: &Platform,
    plan: &ActivationInfo,
    request_id: &str,
) -> Result<Vec<RunInProgress>, ApiError> {
    let pages = try_join_all(
        facts::run_queries(plan)
            .iter()
            .map(|path| async move { get_json::<RunList>(platform, path, request_id).await }),
    )
    .await?;
    Ok(pages
        .iter()
        .flat_map(|page| &page.items)
        .flat_map(RunInProgress::of)
        .collect())
}

async fn latest_export_jobs(
    platform: &Platform,
    request_id: &str,
) -> Result<Vec<ExportJob>, ApiError> {
    let list: ExportJobList = get_json(platform, &facts::export_jobs_path(), request_id).await?;
    Ok(list.records)
}
