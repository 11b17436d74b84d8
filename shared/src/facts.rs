//! What the guardrails need to know from the Platform, and how to ask for it: the requests and
//! the paging. The proxy reads the sandbox this way (and hands the browser the result, see
//! `crate::sandbox`); the browser asks for a plan's runs as the proxy will, with
//! [`run_queries`], just before a confirmation. Each side brings only its HTTP transport.
//!
//! Essential facts: the destination dataflows (their state, connection spec and mapped segments
//! with schedules). Without them no plan can be judged, and an activation is refused. The runs
//! in progress and the export jobs are asked for alongside.

use crate::aep::export_job;
use crate::aep::flow::{Flow, FlowList, destination_flows_page};
use crate::aep::run::{dataflow_runs_path, segment_runs_paths};
use crate::ids::is_query_token;
use crate::plan::Plan;

/// Pages of destination dataflows followed: 1,000 dataflows, ten times Adobe's per-sandbox
/// limit. A sandbox with more is cut off here rather than costing unbounded calls.
pub const MAX_FLOW_PAGES: usize = 10;
/// Run queries in flight at once, on either side: an 80-entry plan asks up to 240 (its
/// dataflows, and each segment on target and source summaries), and one activation must not
/// become a burst of them.
pub const QUERIES_AT_ONCE: usize = 8;
/// The newest export jobs: a running one is always among them.
pub const EXPORT_JOBS_CHECKED: u32 = 20;

/// Walks the pages of destination dataflows: ask for [`next_path`](Self::next_path), hand the
/// answer to [`read`](Self::read), until there is no next path.
pub struct DestinationFlowPages {
    next: Option<String>,
    pages_left: usize,
    skipped: usize,
}

impl Default for DestinationFlowPages {
    fn default() -> Self {
        Self {
            next: Some(destination_flows_page(None)),
            pages_left: MAX_FLOW_PAGES,
            skipped: 0,
        }
    }
}

impl DestinationFlowPages {
    pub fn new() -> Self {
        Self::default()
    }

    /// The path and query to ask for, or `None` when every page (or the page limit) is read.
    pub fn next_path(&mut self) -> Option<String> {
        if self.pages_left == 0 {
            return None;
        }
        self.pages_left -= 1;
        self.next.take()
    }

    /// The flows of an answered page; remembers where the next page is. A token that could
    /// change the query it is written into ends the paging instead.
    pub fn read(&mut self, page: FlowList) -> Vec<Flow> {
        self.next = page
            .continuation_token()
            .filter(|token| is_query_token(token))
            .map(|token| destination_flows_page(Some(token)));
        self.skipped += page.skipped;
        page.items
    }

    /// Dataflows of a shape the portal could not read, left out of every page so far.
    pub fn skipped(&self) -> usize {
        self.skipped
    }
}

/// The run queries whose answers hold every unfinished run that could block `plan`: the newest
/// runs of each of its dataflows, and of its segments on any dataflow (one ad-hoc run per
/// audience, whatever the destination). Up to 80 + 2 × 80 for the largest plan: the caller
/// bounds how many are in flight at once.
pub fn run_queries(plan: &Plan) -> Vec<String> {
    plan.dataflows()
        .map(|dataflow| dataflow_runs_path(dataflow))
        .chain(segment_runs_paths(
            plan.entries().map(|(_, segment)| segment.as_str()),
        ))
        .collect()
}

/// The newest export jobs, for "a scheduled export is running" and v1's `exportIds`.
pub fn export_jobs_path() -> String {
    format!("{}?limit={EXPORT_JOBS_CHECKED}", export_job::PATH)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{DataflowId, SegmentId};
    use serde_json::json;

    fn page(ids: &[&str], next: Option<&str>) -> FlowList {
        let items: Vec<_> = ids
            .iter()
            .map(|id| json!({"id": id, "name": id, "state": "enabled"}))
            .collect();
        let links = next
            .map(|token| json!({"next": {"href": format!("/flows?continuationToken={token}")}}));
        serde_json::from_value(json!({"items": items, "_links": links})).unwrap()
    }

    #[test]
    fn flow_pages_follow_the_continuation_token_until_there_is_none() {
        let mut pages = DestinationFlowPages::new();
        let first = pages.next_path().unwrap();
        assert!(first.contains("isDestinationFlow==true"), "{first}");
        assert_eq!(pages.read(page(&["a", "b"], Some("t1"))).len(), 2);
        let second = pages.next_path().unwrap();
        assert!(second.ends_with("&continuationToken=t1"), "{second}");
        assert_eq!(pages.read(page(&["c"], None)).len(), 1);
        assert_eq!(pages.next_path(), None);
    }

    #[test]
    fn flow_pages_stop_at_the_limit_however_many_the_platform_offers() {
        let mut pages = DestinationFlowPages::new();
        let mut asked = 0;
        while pages.next_path().is_some() {
            asked += 1;
            pages.read(page(&["a"], Some("more")));
        }
        assert_eq!(asked, MAX_FLOW_PAGES);
    }

    #[test]
    fn a_token_that_would_change_the_query_ends_the_paging() {
        let mut pages = DestinationFlowPages::new();
        pages.next_path();
        pages.read(page(&["a"], Some("x%26limit%3D1")));
        assert!(pages.next_path().is_some(), "escaped, it is only a value");
        pages.read(page(&["b"], Some("x#/../connections")));
        assert_eq!(pages.next_path(), None);
    }

    #[test]
    fn a_plan_asks_for_the_runs_of_its_dataflows_and_of_its_segments_anywhere() {
        let mut plan = Plan::of_one("flow-1", "seg-a").unwrap();
        plan.add(
            DataflowId::parse("flow-2").unwrap(),
            SegmentId::parse("seg-b").unwrap(),
        );
        let queries = run_queries(&plan);
        assert_eq!(queries.len(), 6, "{queries:?}");
        assert!(queries[0].contains("flowId==flow-1"));
        assert!(queries[1].contains("flowId==flow-2"));
        assert!(
            queries[2..4].iter().all(|q| q.contains("==segment:seg-a&")),
            "{queries:?}"
        );
        assert!(
            queries[4..6].iter().all(|q| q.contains("==segment:seg-b&")),
            "{queries:?}"
        );
    }
}
