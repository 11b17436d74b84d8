//! What a user asks to export: for each dataflow, the segments to send to it. The browser edits
//! it, the CLI builds it, the proxy parses it, the guardrails read it; it is the `activationInfo`
//! of Adobe's ad-hoc request on the wire.

use std::collections::BTreeMap;
use std::collections::btree_map;

use serde::{Deserialize, Serialize};

use crate::ids::{DataflowId, InvalidId, SegmentId};

/// A list per dataflow, not a set: a duplicate is a mistake the guardrails must be able to see
/// in a plan that came from outside. [`Plan::add`] never makes one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Plan(BTreeMap<DataflowId, Vec<SegmentId>>);

impl Plan {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one entry; `false` if the plan already holds it.
    pub fn add(&mut self, dataflow: DataflowId, segment: SegmentId) -> bool {
        let segments = self.0.entry(dataflow).or_default();
        if segments.contains(&segment) {
            return false;
        }
        segments.push(segment);
        true
    }

    /// A plan of one entry, if both ids are Platform ids.
    pub fn of_one(dataflow: &str, segment: &str) -> Result<Self, InvalidId> {
        let mut plan = Self::new();
        plan.add(DataflowId::parse(dataflow)?, SegmentId::parse(segment)?);
        Ok(plan)
    }

    /// Removes every entry of a dataflow.
    pub fn remove_dataflow(&mut self, dataflow: &str) {
        self.0.remove(dataflow);
    }

    /// Removes one entry, and the dataflow with its last one.
    pub fn remove(&mut self, dataflow: &str, segment: &str) {
        if let Some(segments) = self.0.get_mut(dataflow) {
            segments.retain(|s| s != segment);
            if segments.is_empty() {
                self.0.remove(dataflow);
            }
        }
    }

    pub fn contains(&self, dataflow: &str, segment: &str) -> bool {
        self.segments_of(dataflow).iter().any(|s| s == segment)
    }

    /// Entries as the 80-entry limit counts them: every dataflow×segment pair.
    pub fn count(&self) -> usize {
        self.0.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn dataflows(&self) -> impl Iterator<Item = &DataflowId> {
        self.0.keys()
    }

    pub fn segments_of(&self, dataflow: &str) -> &[SegmentId] {
        self.0.get(dataflow).map_or(&[], Vec::as_slice)
    }

    /// Every dataflow×segment entry, dataflow by dataflow.
    pub fn entries(&self) -> impl Iterator<Item = (&DataflowId, &SegmentId)> {
        self.0
            .iter()
            .flat_map(|(dataflow, segments)| segments.iter().map(move |s| (dataflow, s)))
    }

    /// A plan of (dataflow, segment) entries written as text, leaving out any id the id rule
    /// refuses (records from before the rule keep such ids; they never go into a request).
    pub fn from_entries(entries: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut plan = Self::new();
        for (dataflow, segment) in entries {
            if let (Ok(dataflow), Ok(segment)) =
                (DataflowId::parse(dataflow), SegmentId::parse(segment))
            {
                plan.add(dataflow, segment);
            }
        }
        plan
    }

    /// A plan as the audit history kept it, back as a plan.
    pub fn from_requested(requested: &crate::portal::RequestedPlan) -> Self {
        Self::from_entries(requested.iter().flat_map(|(dataflow, segments)| {
            segments.iter().map(move |s| (dataflow.clone(), s.clone()))
        }))
    }

    /// The plan as the audit history keeps it.
    pub fn to_requested(&self) -> crate::portal::RequestedPlan {
        self.to_requested_at_most(usize::MAX)
    }

    /// The first `entries` entries of the plan, as the history keeps a refused one.
    pub fn to_requested_at_most(&self, entries: usize) -> crate::portal::RequestedPlan {
        let mut requested = crate::portal::RequestedPlan::new();
        for (dataflow, segment) in self.entries().take(entries) {
            requested
                .entry(dataflow.to_string())
                .or_default()
                .push(segment.to_string());
        }
        requested
    }

    /// Each dataflow with its segments.
    pub fn iter(&self) -> btree_map::Iter<'_, DataflowId, Vec<SegmentId>> {
        self.0.iter()
    }
}

impl<'a> IntoIterator for &'a Plan {
    type Item = (&'a DataflowId, &'a Vec<SegmentId>);
    type IntoIter = btree_map::Iter<'a, DataflowId, Vec<SegmentId>>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl FromIterator<(DataflowId, Vec<SegmentId>)> for Plan {
    fn from_iter<I: IntoIterator<Item = (DataflowId, Vec<SegmentId>)>>(pairs: I) -> Self {
        Self(pairs.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(dataflow: &str, segment: &str) -> (DataflowId, SegmentId) {
        (
            DataflowId::parse(dataflow).unwrap(),
            SegmentId::parse(segment).unwrap(),
        )
    }

    #[test]
    fn entries_are_added_once_and_removed_with_their_dataflow() {
        let mut plan = Plan::new();
        let (flow, a) = ids("flow-1", "a");
        let (_, b) = ids("flow-1", "b");
        assert!(plan.add(flow.clone(), a.clone()));
        assert!(!plan.add(flow.clone(), a.clone()), "no duplicate");
        assert!(plan.add(flow.clone(), b));
        assert_eq!(plan.count(), 2);
        assert!(plan.contains("flow-1", "a"));
        plan.remove("flow-1", "a");
        plan.remove("flow-1", "b");
        assert!(plan.is_empty(), "the dataflow goes with its last segment");
        let mut plan = Plan::of_one("flow-1", "a").unwrap();
        assert_eq!(plan.count(), 1);
        plan.remove_dataflow("flow-1");
        assert!(plan.is_empty());
        assert!(Plan::of_one("flow 1", "a").is_err());
        let mut wide = Plan::new();
        for i in 0..5 {
            wide.add(
                DataflowId::parse(format!("flow-{}", i % 2)).unwrap(),
                SegmentId::parse(format!("s{i}")).unwrap(),
            );
        }
        let kept = wide.to_requested_at_most(3);
        assert_eq!(kept.values().map(Vec::len).sum::<usize>(), 3);
        assert_eq!(
            kept["flow-0"],
            ["s0", "s2", "s4"],
            "the first entries, dataflow by dataflow"
        );
        assert!(!kept.contains_key("flow-1"));
        assert_eq!(plan.segments_of("flow-1"), &[] as &[SegmentId]);
    }

    #[test]
    fn on_the_wire_it_is_adobes_activation_info() {
        let plan: Plan =
            serde_json::from_str(r#"{"flow-2": ["b", "b"], "flow-1": ["a"]}"#).unwrap();
        assert_eq!(
            plan.count(),
            3,
            "a duplicate from outside is kept for the guardrails"
        );
        let entries: Vec<(&str, &str)> = plan
            .entries()
            .map(|(d, s)| (d.as_str(), s.as_str()))
            .collect();
        assert_eq!(entries, [("flow-1", "a"), ("flow-2", "b"), ("flow-2", "b")]);
        assert_eq!(
            serde_json::to_string(&plan).unwrap(),
            r#"{"flow-1":["a"],"flow-2":["b","b"]}"#
        );
        let error = serde_json::from_str::<Plan>(r#"{"flow-1": ["a/../b"]}"#).unwrap_err();
        assert!(
            error.to_string().contains("segment id \"a/../b\""),
            "{error}"
        );
    }
}
