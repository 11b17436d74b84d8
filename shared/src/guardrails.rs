//! The guardrail engine: a pure function from (plan, platform facts, now, limits) to every
//! violation, so that the browser and the proxy refuse exactly the same plans.

mod destinations;
mod snapshot;
mod violation;

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::aep::adhoc::ActivationInfo;
use crate::aep::flow::FlowState;
use crate::ids::SegmentId;
use crate::time::EpochMillis;
pub use destinations::DestinationKind;
pub use snapshot::{Dataflow, RunInProgress, Snapshot};
pub use violation::{Messages, Violation, ViolationCode};

/// The rules' numbers, configurable because Adobe's own have changed over time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Limits {
    /// destination×segment entries in one job (Adobe: 80 audiences a job).
    pub max_entries: usize,
    /// Wait after a segment's first scheduled activation: one hour, as Adobe's current "Export
    /// file now" page and the ad-hoc activation API say (the source document's older text said
    /// 20 minutes; still configurable).
    pub first_activation_wait_seconds: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_entries: 80,
            first_activation_wait_seconds: 60 * 60,
        }
    }
}

/// The rules that need no facts: an empty plan, more entries than one job allows. The proxy
/// applies them before it asks the Platform anything.
pub fn check_size(plan: &ActivationInfo, limits: &Limits) -> Vec<Violation> {
    if plan.is_empty() {
        return vec![Violation::new(ViolationCode::EmptyPlan)];
    }
    let entries = plan.count();
    if entries > limits.max_entries {
        return vec![Violation {
            count: Some(entries),
            limit: Some(limits.max_entries),
            ..Violation::new(ViolationCode::TooManyEntries)
        }];
    }
    Vec::new()
}

/// Whether a plan held up only by these violations passes later by itself (a run ends, the
/// first-activation wait passes, an export finishes): such a plan can be scheduled, and a
/// scheduled one waits instead of being refused.
pub fn passes_with_time(violations: &[Violation]) -> bool {
    violations.iter().all(|v| {
        matches!(
            v.code,
            ViolationCode::RunInProgress
                | ViolationCode::FirstActivationWait
                | ViolationCode::DataflowRunProcessing
                | ViolationCode::ScheduledExportRunning
        )
    })
}

/// Every rule the plan breaks, sorted so that the answer does not depend on input order.
pub fn check(
    plan: &ActivationInfo,
    facts: &Snapshot,
    now: EpochMillis,
    limits: &Limits,
) -> Vec<Violation> {
    let mut found = check_size(plan, limits);
    if plan.is_empty() {
        return found;
    }
    for job in facts.blocking_export_jobs() {
        found.push(Violation {
            export_job_id: Some(job.clone()),
            ..Violation::new(ViolationCode::ScheduledExportRunning)
        });
    }
    for (dataflow_id, segments) in plan {
        check_destination(dataflow_id, segments, facts, now, limits, &mut found);
    }
    crate::sort::sort_by(&mut found, |a, b| a.sort_key().cmp(&b.sort_key()));
    found.dedup();
    found.iter_mut().for_each(|v| v.describe(facts));
    found
}

fn check_destination(
    dataflow_id: &str,
    segments: &[SegmentId],
    facts: &Snapshot,
    now: EpochMillis,
    limits: &Limits,
    found: &mut Vec<Violation>,
) {
    let about = |code| Violation::about(code, dataflow_id, None);
    if segments.is_empty() {
        found.push(about(ViolationCode::EmptyDestination));
    }
    let Some(dataflow) = facts.dataflow(dataflow_id) else {
        found.push(about(ViolationCode::UnknownDestination));
        return;
    };
    if dataflow.state != FlowState::Enabled {
        found.push(about(ViolationCode::DestinationDisabled));
    }
    if dataflow.kind.is_refused() {
        found.push(about(ViolationCode::NotBatchFileDestination));
    }
    // Ad-hoc runs wait for the dataflow's scheduled export (ADHOC-DOC); a run that exports one
    // of the plan's segments is reported as that segment's run instead.
    for run in facts.runs_processing_on(dataflow_id) {
        if !segments.iter().any(|s| {
            facts
                .runs_in_progress(s)
                .iter()
                .any(|r| r.run_id == run.run_id)
        }) {
            found.push(Violation {
                run_id: Some(run.run_id.clone()),
                ..about(ViolationCode::DataflowRunProcessing)
            });
        }
    }
    let today = now.utc_date();
    let mut seen = HashSet::with_capacity(segments.len());
    for segment_id in segments {
        let about = |code| Violation::about(code, dataflow_id, Some(segment_id.as_str()));
        if !seen.insert(segment_id.as_str()) {
            found.push(about(ViolationCode::DuplicateSegment));
            continue;
        }
        let Some(mapped) = dataflow.segment(segment_id) else {
            found.push(about(ViolationCode::SegmentNotMapped));
            continue;
        };
        if !mapped
            .settings
            .schedule
            .as_ref()
            .is_none_or(|s| s.covers(today))
        {
            found.push(about(ViolationCode::OutOfSchedule));
        }
        if let Some(ready_at) = mapped.ready_at(limits).filter(|&ready_at| now < ready_at) {
            found.push(Violation {
                ready_at: Some(ready_at),
                limit: usize::try_from(limits.first_activation_wait_seconds / 60).ok(),
                ..about(ViolationCode::FirstActivationWait)
            });
        }
        for run in facts.runs_in_progress(segment_id) {
            found.push(Violation {
                run_id: Some(run.run_id.clone()),
                ..about(ViolationCode::RunInProgress)
            });
        }
    }
}

#[cfg(test)]
mod tests;
