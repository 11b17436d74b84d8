//! Fresh platform facts for the guardrails, asked for as `shared::facts` says (the browser asks
//! the same way), over the proxy's own transport to the Platform.

use futures::future::try_join_all;
use shared::aep::adhoc::ActivationInfo;
use shared::aep::export_job::{ExportJob, ExportJobList};
use shared::aep::flow::Flow;
use shared::aep::run::RunList;
use shared::facts::{self, DestinationFlowPages};
use shared::guardrails::RunInProgress;

use crate::upstream::{Platform, UpstreamError};

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
    ) -> Result<Self, UpstreamError> {
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

async fn destination_flows(
    platform: &Platform,
    request_id: &str,
) -> Result<Vec<Flow>, UpstreamError> {
    let mut pages = DestinationFlowPages::new();
    let mut flows = Vec::new();
    while let Some(path) = pages.next_path() {
        flows.extend(pages.read(platform.get_json(&path, request_id).await?));
    }
    Ok(flows)
}

/// A segment running on a dataflow outside the plan blocks it too (one ad-hoc run per audience),
/// so the plan's segments are looked up on every dataflow as well as the plan's dataflows.
async fn runs_in_progress(
    platform: &Platform,
    plan: &ActivationInfo,
    request_id: &str,
) -> Result<Vec<RunInProgress>, UpstreamError> {
    let pages = try_join_all(
        facts::run_queries(plan)
            .iter()
            .map(|path| async move { platform.get_json::<RunList>(path, request_id).await }),
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
) -> Result<Vec<ExportJob>, UpstreamError> {
    let list: ExportJobList = platform
        .get_json(&facts::export_jobs_path(), request_id)
        .await?;
    Ok(list.records)
}
