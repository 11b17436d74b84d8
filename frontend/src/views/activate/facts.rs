//! What the browser knows of the sandbox, indexed once for the shared guardrail engine and the
//! pickers: the portal's sandbox facts, with the runs the browser has looked up since.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use shared::aep::adhoc::ActivationInfo;
use shared::aep::run::Run;
use shared::guardrails::{self, Limits, RunInProgress, Snapshot, Violation};
use shared::sandbox::{AudienceSize, Destination, SandboxFacts};
use shared::time::EpochMillis;

/// Cheap to clone; equal only to itself, so memos recompute when the inputs change.
#[derive(Clone)]
pub struct Facts(Arc<Inner>);

pub struct Inner {
    pub sandbox: Arc<SandboxFacts>,
    snapshot: Snapshot,
}

/// Audiences by id; equal only to itself, like `Facts`.
#[derive(Clone)]
pub struct Audiences(Arc<HashMap<String, AudienceSize>>);

impl Audiences {
    pub fn new(audiences: Vec<AudienceSize>) -> Self {
        Self(Arc::new(
            audiences.into_iter().map(|a| (a.id.clone(), a)).collect(),
        ))
    }

    pub fn get(&self, id: &str) -> Option<&AudienceSize> {
        self.0.get(id)
    }
}

impl PartialEq for Audiences {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
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
    /// `runs`: what the browser asked the Platform for since the sandbox facts came; `own`: the
    /// runs it has just started itself.
    pub fn build(
        sandbox: Arc<SandboxFacts>,
        runs: &BTreeMap<String, Vec<Run>>,
        own: impl IntoIterator<Item = String>,
    ) -> Self {
        // Lists fetched at different times may hold the same run; once any copy has finished,
        // the run has.
        let finished: HashSet<&str> = runs
            .values()
            .flatten()
            .filter(|run| run.is_finished())
            .map(|run| run.id.as_str())
            .collect();
        let in_progress = sandbox
            .runs_in_progress
            .iter()
            .cloned()
            .chain(runs.values().flatten().flat_map(RunInProgress::of))
            .filter(|run| !finished.contains(run.run_id.as_str()));
        let snapshot = Snapshot::new(
            &sandbox.destinations,
            in_progress,
            sandbox.blocking_export_jobs.clone(),
        )
        .with_portal_runs(sandbox.portal_runs.iter().cloned().chain(own));
        Self(Arc::new(Inner { sandbox, snapshot }))
    }

    pub fn destinations(&self) -> &[Destination] {
        &self.sandbox.destinations
    }

    pub fn destination(&self, id: &str) -> Option<&Destination> {
        self.sandbox.destination(id)
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
