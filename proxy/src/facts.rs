//! Fresh platform facts for the guardrails, asked for as `shared::facts` says (the browser asks
//! the same way), over the proxy's own transport to the Platform.

use futures::stream::{self, StreamExt, TryStreamExt};
use shared::aep::adhoc::ActivationInfo;
use shared::aep::export_job::{ExportJob, ExportJobList};
use shared::aep::flow::Flow;
use shared::aep::run::{RUNS_IN_PROGRESS_PATH, RunList};
use shared::aep::segment::{AUDIENCES_PATH, AudienceList};
use shared::facts::{self, DestinationFlowPages};
use shared::guardrails::RunInProgress;
use shared::portal::Names;
use shared::sandbox::{AudienceSize, MAX_AUDIENCE_PAGES};

use crate::upstream::{Platform, UpstreamError};

pub struct PlatformFacts {
    pub flows: Vec<Flow>,
    pub runs_in_progress: Vec<RunInProgress>,
    pub export_jobs: Vec<ExportJob>,
    /// The advisory facts that could not be read: the plan is judged without them.
    pub warnings: Vec<String>,
}

impl PlatformFacts {
    /// The facts to judge `plan` by: its dataflows' runs, and its segments' on any dataflow.
    pub async fn gather(
        platform: &Platform,
        plan: &ActivationInfo,
        request_id: &str,
    ) -> Result<Self, UpstreamError> {
        Self::gather_with_runs(platform, facts::run_queries(plan), request_id).await
    }

    /// The facts of the whole sandbox, for the browser: the newest runs in progress anywhere.
    pub async fn gather_for_sandbox(
        platform: &Platform,
        request_id: &str,
    ) -> Result<Self, UpstreamError> {
        Self::gather_with_runs(platform, vec![RUNS_IN_PROGRESS_PATH.to_owned()], request_id).await
    }

    async fn gather_with_runs(
        platform: &Platform,
        run_queries: Vec<String>,
        request_id: &str,
    ) -> Result<Self, UpstreamError> {
        let (flows, runs, export_jobs) = tokio::join!(
            destination_flows(platform, request_id),
            runs_in_progress(platform, run_queries, request_id),
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
        shared::sandbox::latest_profile_export(&self.export_jobs)
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

async fn runs_in_progress(
    platform: &Platform,
    queries: Vec<String>,
    request_id: &str,
) -> Result<Vec<RunInProgress>, UpstreamError> {
    let pages: Vec<RunList> = stream::iter(queries)
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

/// Every audience's size, across the Platform's pages of 100.
pub async fn audience_sizes(
    platform: &Platform,
    request_id: &str,
) -> Result<Vec<AudienceSize>, UpstreamError> {
    let mut sizes = Vec::new();
    let mut start = 0;
    for _ in 0..MAX_AUDIENCE_PAGES {
        let page: AudienceList = platform
            .get_json(
                &format!("{AUDIENCES_PATH}?start={start}&limit=100"),
                request_id,
            )
            .await?;
        sizes.extend(page.children.iter().map(AudienceSize::of));
        match page.page.and_then(|p| p.next).filter(|next| *next > start) {
            Some(next) => start = next,
            None => break,
        }
    }
    Ok(sizes)
}
