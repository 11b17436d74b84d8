//! Fresh platform facts for the guardrails, asked for as `shared::facts` says (the browser asks
//! the same way), over the proxy's own transport to the Platform.

use futures::stream::{self, StreamExt, TryStreamExt};
use shared::aep::adhoc::ActivationInfo;
use shared::aep::export_job::{ExportJob, ExportJobList};
use shared::aep::flow::Flow;
use shared::aep::run::RunList;
use shared::facts::{self, DestinationFlowPages};
use shared::guardrails::RunInProgress;
use shared::portal::Names;

use crate::upstream::{Platform, UpstreamError};

pub struct PlatformFacts {
    pub flows: Vec<Flow>,
    pub runs_in_progress: Vec<RunInProgress>,
    pub export_jobs: Vec<ExportJob>,
    /// The advisory facts that could not be read: the plan is judged without them.
    pub warnings: Vec<String>,
}

impl PlatformFacts {
    pub async fn gather(
        platform: &Platform,
        plan: &ActivationInfo,
        request_id: &str,
    ) -> Result<Self, UpstreamError> {
        let (flows, runs, export_jobs) = tokio::join!(
            destination_flows(platform, request_id),
            runs_in_progress(platform, plan, request_id),
            latest_export_jobs(platform, request_id),
        );
        // Essential: without the dataflows (state, kind, mapped segments, schedules) no plan
        // can be judged.
        let flows = flows?;
        // Advisory: the Platform refuses a running segment ("Run already going on") and an
        // export during a scheduled one itself, so their absence is a warning, not a refusal.
        let mut warnings = Vec::new();
        let runs_in_progress = runs.unwrap_or_else(|error| {
            warnings.push(format!(
                "The portal could not check for runs in progress ({error}); the Platform still refuses a segment that is running."
            ));
            Vec::new()
        });
        let export_jobs = export_jobs.unwrap_or_else(|error| {
            warnings.push(format!(
                "The portal could not check for a scheduled export in progress ({error}); the Platform still refuses an activation during one."
            ));
            Vec::new()
        });
        for warning in &warnings {
            tracing::warn!("{warning}");
        }
        Ok(Self {
            flows,
            runs_in_progress,
            export_jobs,
            warnings,
        })
    }

    /// The names of the plan's destinations and segments, as the Platform gives them now.
    pub fn names(&self, plan: &ActivationInfo) -> Names {
        let mut names = Names::default();
        for flow in self
            .flows
            .iter()
            .filter(|f| plan.dataflows().any(|d| d.as_str() == f.id))
        {
            names
                .destinations
                .insert(flow.id.clone(), flow.name.clone());
            for selector in flow.selectors().filter(|s| !s.name.is_empty()) {
                if plan.contains(&flow.id, &selector.id) {
                    names
                        .segments
                        .insert(selector.id.clone(), selector.name.clone());
                }
            }
        }
        names
    }

    /// The newest profile export job, whose id v1 adhocrun wants in `exportIds`.
    pub fn latest_profile_export(&self) -> Option<&ExportJob> {
        self.export_jobs
            .iter()
            .filter(|j| j.is_profile_export())
            .max_by(|a, b| (a.creation_time, &a.id).cmp(&(b.creation_time, &b.id)))
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
    if pages.skipped() > 0 {
        tracing::warn!(
            skipped = pages.skipped(),
            "dataflows of a shape the portal cannot read were left out"
        );
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
    let pages: Vec<RunList> = stream::iter(facts::run_queries(plan))
        .map(|path| async move { platform.get_json::<RunList>(&path, request_id).await })
        .buffer_unordered(facts::QUERIES_AT_ONCE)
        .try_collect()
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
