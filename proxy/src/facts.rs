//! Fresh platform facts for the guardrails, asked for as `shared::facts` says, over the proxy's
//! own transport to the Platform: for a plan before it is sent, and for the whole sandbox for
//! the browser (`GET /api/sandbox-facts`).

use futures::stream::{self, StreamExt, TryStreamExt};
use shared::aep::adhoc::ActivationInfo;
use shared::aep::export_job::{ExportJob, ExportJobList};
use shared::aep::flow::Flow;
use shared::aep::run::{RUNS_IN_PROGRESS_PATH, RunList};
use shared::aep::segment::{AUDIENCES_PATH, AudienceList, AudiencePage};
use shared::facts::{self, DestinationFlowPages};
use shared::guardrails::RunInProgress;
use shared::portal::Names;
use shared::sandbox::{AUDIENCE_PAGE, AudienceSize, MAX_AUDIENCE_PAGES};

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

/// Every audience's size, across the Platform's pages of 100. When the first page says how many
/// there are, the rest are read a few at a time rather than one after another: forty pages in
/// a row could outlast the request's own deadline.
pub async fn audience_sizes(
    platform: &Platform,
    request_id: &str,
) -> Result<Vec<AudienceSize>, UpstreamError> {
    let page = |start: u64| async move {
        platform
            .get_json::<AudienceList>(
                &format!("{AUDIENCES_PATH}?start={start}&limit={AUDIENCE_PAGE}"),
                request_id,
            )
            .await
    };
    let first = page(0).await?;
    let mut sizes: Vec<AudienceSize> = first.children.iter().map(AudienceSize::of).collect();
    let mut start = match remaining_pages(&first.page.unwrap_or_default()) {
        RemainingPages::None => return Ok(sizes),
        RemainingPages::At(starts) => {
            let pages: Vec<AudienceList> = stream::iter(starts)
                .map(page)
                .buffered(facts::QUERIES_AT_ONCE)
                .try_collect()
                .await?;
            sizes.extend(pages.iter().flat_map(|p| &p.children).map(AudienceSize::of));
            return Ok(sizes);
        }
        RemainingPages::FollowFrom(start) => start,
    };
    for _ in 1..MAX_AUDIENCE_PAGES {
        let next = page(start).await?;
        sizes.extend(next.children.iter().map(AudienceSize::of));
        match next.page.and_then(|p| p.next).filter(|&next| next > start) {
            Some(next) => start = next,
            None => break,
        }
    }
    Ok(sizes)
}

#[derive(Debug, PartialEq)]
enum RemainingPages {
    None,
    /// The starts of every other page, from the total the first page gives.
    At(Vec<u64>),
    /// No total: each page names the next.
    FollowFrom(u64),
}

fn remaining_pages(first: &AudiencePage) -> RemainingPages {
    let Some(step) = first.next.filter(|&next| next > 0) else {
        return RemainingPages::None;
    };
    match first.total_count {
        Some(total) => RemainingPages::At(
            (1..MAX_AUDIENCE_PAGES as u64)
                .map(|n| n * step)
                .take_while(|&start| start < total)
                .collect(),
        ),
        None => RemainingPages::FollowFrom(step),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(next: Option<u64>, total: Option<u64>) -> AudiencePage {
        AudiencePage {
            next,
            total_count: total,
            ..AudiencePage::default()
        }
    }

    #[test]
    fn with_a_total_the_other_pages_are_known_at_once() {
        assert_eq!(
            remaining_pages(&first(Some(100), Some(350))),
            RemainingPages::At(vec![100, 200, 300])
        );
        assert_eq!(
            remaining_pages(&first(Some(100), Some(1_000_000))),
            RemainingPages::At((1..MAX_AUDIENCE_PAGES as u64).map(|n| n * 100).collect()),
            "bounded however many the Platform says it has"
        );
    }

    #[test]
    fn without_a_total_each_page_is_followed_and_without_a_next_there_is_no_more() {
        assert_eq!(
            remaining_pages(&first(Some(100), None)),
            RemainingPages::FollowFrom(100)
        );
        assert_eq!(
            remaining_pages(&first(Some(0), Some(50))),
            RemainingPages::None
        );
        assert_eq!(remaining_pages(&first(None, None)), RemainingPages::None);
    }
}
