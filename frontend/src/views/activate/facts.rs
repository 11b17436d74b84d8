//! What the browser knows of the sandbox, indexed once for the shared guardrail engine and the
//! pickers.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use shared::aep::adhoc::ActivationInfo;
use shared::aep::export_job::{ExportJob, ExportJobStatus};
use shared::aep::flow::{Flow, FlowState, SelectorValue};
use shared::aep::run::Run;
use shared::aep::segment::Audience;
use shared::guardrails::{self, DestinationKind, Limits, RunInProgress, Snapshot, Violation};
use shared::time::EpochMillis;

/// Cheap to clone; equal only to itself, so memos recompute when the inputs change.
#[derive(Clone)]
pub struct Facts(Arc<Inner>);

pub struct Inner {
    pub destinations: Vec<Destination>,
    /// The newest profile export job: its id, its status as written, and whether the portal
    /// knows that status.
    pub latest_export_job: Option<(String, String, bool)>,
    snapshot: Snapshot,
}

/// Audiences by id; equal only to itself, like `Facts`.
#[derive(Clone)]
pub struct Audiences(Arc<HashMap<String, Audience>>);

impl Audiences {
    pub fn new(audiences: Vec<Audience>) -> Self {
        Self(Arc::new(
            audiences.into_iter().map(|a| (a.id.clone(), a)).collect(),
        ))
    }

    pub fn get(&self, id: &str) -> Option<&Audience> {
        self.0.get(id)
    }
}

impl PartialEq for Audiences {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Destination {
    pub id: String,
    pub name: String,
    pub kind: DestinationKind,
    pub state: FlowState,
    /// The mapped audiences, with their schedules.
    pub selectors: Vec<SelectorValue>,
    pub last_run: Option<String>,
}

impl Destination {
    pub fn segment_name(&self, id: &str) -> Option<&str> {
        self.selectors
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.name.as_str())
    }
}

impl PartialEq for Facts {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl std::ops::Deref for Facts {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl Facts {
    pub fn build(
        flows: Vec<Flow>,
        export_jobs: Vec<ExportJob>,
        runs: &BTreeMap<String, Vec<Run>>,
        portal_runs: HashSet<String>,
    ) -> Option<Self> {
        // Lists fetched at different times may hold the same run; once any copy has finished,
        // the run has.
        let finished: HashSet<&str> = runs
            .values()
            .flatten()
            .filter(|run| run.is_finished())
            .map(|run| run.id.as_str())
            .collect();
        let in_progress: Vec<RunInProgress> = runs
            .values()
            .flatten()
            .filter(|run| !finished.contains(run.id.as_str()))
            .flat_map(RunInProgress::of)
            .collect();
        // Every dataflow is shown, whatever the portal makes of it: one it cannot classify
        // carries a warning, a streaming one the reason it cannot be activated.
        let destinations = flows
            .iter()
            .map(|flow| Destination {
                id: flow.id.clone(),
                name: flow.name.clone(),
                kind: DestinationKind::of(flow),
                state: flow.state.clone(),
                selectors: flow.selectors().cloned().collect(),
                last_run: flow.last_run_details.as_ref().and_then(|d| d.state.clone()),
            })
            .collect();
        let latest_export_job = export_jobs
            .iter()
            .filter(|j| j.is_profile_export())
            .max_by_key(|j| j.creation_time)
            .map(|j| {
                let known = !matches!(j.status, ExportJobStatus::Other(_));
                (j.id.to_string(), j.status.as_str().to_owned(), known)
            });
        Some(Self(Arc::new(Inner {
            destinations,
            latest_export_job,
            snapshot: Snapshot::new(&flows, in_progress, &export_jobs)
                .with_portal_runs(portal_runs),
        })))
    }

    pub fn destination(&self, id: &str) -> Option<&Destination> {
        self.destinations.iter().find(|d| d.id == id)
    }

    pub fn check(
        &self,
        plan: &ActivationInfo,
        now: EpochMillis,
        limits: &Limits,
    ) -> Vec<Violation> {
        guardrails::check(plan, &self.snapshot, now, limits)
    }
}
