//! The platform facts the rules read, indexed once so that checking a plan costs a few hash
//! lookups per entry however large the sandbox.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::DestinationKind;
use crate::aep::export_job::{ExportJob, ExportJobId};
use crate::aep::flow::{Flow, FlowState};
use crate::aep::run::Run;
use crate::sandbox::{Destination, MappedSegment, SandboxFacts};

#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    dataflows: HashMap<String, Dataflow>,
    runs_in_progress: HashMap<String, Vec<RunInProgress>>,
    blocking_export_jobs: Vec<ExportJobId>,
    /// Runs the portal itself started: an unfinished run of a dataflow that is not one of them
    /// is its scheduled export (or one started outside the portal) still processing.
    portal_runs: HashSet<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Dataflow {
    pub id: String,
    pub name: String,
    pub state: FlowState,
    pub kind: DestinationKind,
    segments: HashMap<String, MappedSegment>,
}

impl Dataflow {
    pub fn of(destination: &Destination) -> Self {
        Self {
            id: destination.id.clone(),
            name: destination.name.clone(),
            state: destination.state.clone(),
            kind: destination.kind(),
            segments: destination
                .segments
                .iter()
                .map(|s| (s.id.clone(), s.clone()))
                .collect(),
        }
    }

    pub fn segment(&self, segment_id: &str) -> Option<&MappedSegment> {
        self.segments.get(segment_id)
    }
}

/// A run of a segment that has not finished: on the Platform, or one the portal just started.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunInProgress {
    pub segment_id: String,
    pub dataflow_id: String,
    pub run_id: String,
}

impl RunInProgress {
    /// One per audience an unfinished run exports; nothing for a finished run. A run that
    /// names no audience yet still holds its dataflow: it gets one entry with no segment.
    pub fn of(run: &Run) -> Vec<Self> {
        if run.is_finished() {
            return Vec::new();
        }
        let entry = |segment_id: &str| Self {
            segment_id: segment_id.to_owned(),
            dataflow_id: run.flow_id.clone(),
            run_id: run.id.clone(),
        };
        let segments = run.segment_ids();
        if segments.is_empty() {
            return vec![entry("")];
        }
        segments.into_iter().map(entry).collect()
    }
}

impl Snapshot {
    /// The Platform's answers as they are, indexed, for tests and benchmarks; the proxy and
    /// the browser go through [`SandboxFacts`], which adds the portal's own runs.
    pub fn of_platform(
        flows: &[Flow],
        runs_in_progress: impl IntoIterator<Item = RunInProgress>,
        export_jobs: &[ExportJob],
    ) -> Self {
        SandboxFacts::read(flows, runs_in_progress.into_iter().collect(), export_jobs).snapshot()
    }

    pub fn new(
        destinations: &[Destination],
        runs_in_progress: impl IntoIterator<Item = RunInProgress>,
        blocking_export_jobs: Vec<ExportJobId>,
    ) -> Self {
        let mut runs: HashMap<String, Vec<RunInProgress>> = HashMap::new();
        for run in runs_in_progress {
            // Several queries may find the same run; it blocks once.
            let known = runs.entry(run.segment_id.clone()).or_default();
            if !known.iter().any(|k| k.run_id == run.run_id) {
                known.push(run);
            }
        }
        Self {
            dataflows: destinations
                .iter()
                .map(|d| (d.id.clone(), Dataflow::of(d)))
                .collect(),
            runs_in_progress: runs,
            blocking_export_jobs,
            portal_runs: HashSet::new(),
        }
    }

    /// The ids of the runs the portal's own activations started.
    pub fn with_portal_runs(mut self, run_ids: impl IntoIterator<Item = String>) -> Self {
        self.portal_runs.extend(run_ids);
        self
    }

    /// Unfinished runs of `dataflow_id` that the portal did not start, one entry per run.
    pub fn runs_processing_on(&self, dataflow_id: &str) -> Vec<&RunInProgress> {
        let mut found: Vec<&RunInProgress> = self
            .runs_in_progress
            .values()
            .flatten()
            .filter(|r| r.dataflow_id == dataflow_id && !self.portal_runs.contains(&r.run_id))
            .collect();
        crate::sort::sort_by(&mut found, |a, b| {
            (&a.run_id, &a.segment_id).cmp(&(&b.run_id, &b.segment_id))
        });
        found.dedup_by(|a, b| a.run_id == b.run_id);
        found
    }

    pub fn dataflow(&self, id: &str) -> Option<&Dataflow> {
        self.dataflows.get(id)
    }

    pub fn runs_in_progress(&self, segment_id: &str) -> &[RunInProgress] {
        self.runs_in_progress
            .get(segment_id)
            .map_or(&[], Vec::as_slice)
    }

    pub fn blocking_export_jobs(&self) -> &[ExportJobId] {
        &self.blocking_export_jobs
    }

    /// A segment's display name, from whichever dataflow maps it.
    pub fn segment_name(&self, dataflow_id: &str, segment_id: &str) -> Option<&str> {
        let name = &self.dataflow(dataflow_id)?.segment(segment_id)?.name;
        (!name.is_empty()).then_some(name.as_str())
    }
}
