//! `GET /api/sandbox-facts`: what the guardrails and the pickers know of the sandbox, read by
//! the proxy from the Platform and handed to the browser in this compact form. Both sides build
//! their [`Snapshot`] from it with the same code, so both judge a plan alike; the runs differ
//! only in which were asked for (here the newest in progress anywhere; before sending a plan,
//! that plan's own run queries, which the browser also asks just before a confirmation). The
//! browser never reads, or carries the code to read, a full page of 4,000 selectors.

use serde::{Deserialize, Serialize};

use crate::aep::export_job::{ExportJob, ExportJobId, ExportJobStatus};
use crate::aep::flow::{Flow, FlowState, Schedule};
use crate::aep::segment::Audience;
use crate::guardrails::{DestinationKind, Limits, RunInProgress, Snapshot};
use crate::time::EpochMillis;

pub const PATH: &str = "/api/sandbox-facts";
/// `GET`: [`AudienceSize`] of every audience, read by the proxy across the Platform's pages.
pub const AUDIENCE_SIZES_PATH: &str = "/api/audience-sizes";
/// Audiences a page: the most the Platform gives.
pub const AUDIENCE_PAGE: u64 = 100;
/// Pages of audiences read: the Platform's limit is 4,000 a sandbox.
pub const MAX_AUDIENCE_PAGES: usize = 50;

/// An audience's latest evaluation: what an ad-hoc export writes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AudienceSize {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profiles: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluated_at: Option<EpochMillis>,
}

impl AudienceSize {
    pub fn of(audience: &Audience) -> Self {
        Self {
            id: audience.id.clone(),
            profiles: audience.total_profiles(),
            evaluated_at: audience.evaluated_at(),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SandboxFacts {
    /// Every destination dataflow, whatever the portal makes of it.
    pub destinations: Vec<Destination>,
    /// Unfinished runs, the portal's own in-flight activations among them.
    #[serde(default)]
    pub runs_in_progress: Vec<RunInProgress>,
    /// Profile export jobs still running: no ad-hoc activation until they finish.
    #[serde(default)]
    pub blocking_export_jobs: Vec<ExportJobId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_export_job: Option<LatestExportJob>,
    /// Runs the portal started: not a scheduled export in progress.
    #[serde(default)]
    pub portal_runs: Vec<String>,
    /// Advisory facts that could not be read; the plan is judged without them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// A destination dataflow as the guardrails and the pickers read it. On the wire its segments
/// name their export settings by position in `exportSettings`: a dataflow's thousands of
/// segments mostly share one schedule, export mode and file name template, which written out
/// for each were two thirds of the answer.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(from = "wire::Destination")]
pub struct Destination {
    pub id: String,
    pub name: String,
    pub state: FlowState,
    pub connection_spec_id: Option<String>,
    pub flow_spec_id: Option<String>,
    /// The state of its latest run, as the Platform wrote it.
    pub last_run: Option<String>,
    /// The mapped audiences, in the dataflow's order.
    pub segments: Vec<MappedSegment>,
}

/// A segment as mapped to one dataflow.
#[derive(Clone, Debug, PartialEq)]
pub struct MappedSegment {
    pub id: String,
    pub name: String,
    /// The selector's create time: when its first scheduled activation was set up.
    pub mapped_at: Option<EpochMillis>,
    pub settings: ExportSettings,
}

/// How a segment is exported to its destination.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Schedule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name_template: Option<String>,
}

/// The newest profile export job: its id, its status as written, and whether the portal knows
/// that status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LatestExportJob {
    pub id: ExportJobId,
    pub status: String,
    pub known_status: bool,
}

impl SandboxFacts {
    /// The facts in the Platform's answers.
    pub fn read(
        flows: &[Flow],
        runs_in_progress: Vec<RunInProgress>,
        export_jobs: &[ExportJob],
    ) -> Self {
        Self {
            destinations: flows.iter().map(Destination::of).collect(),
            runs_in_progress,
            blocking_export_jobs: export_jobs
                .iter()
                .filter(|j| j.blocks_adhoc_runs())
                .map(|j| j.id.clone())
                .collect(),
            latest_export_job: latest_profile_export(export_jobs).map(|j| LatestExportJob {
                id: j.id.clone(),
                status: j.status.as_str().to_owned(),
                known_status: !matches!(j.status, ExportJobStatus::Other(_)),
            }),
            portal_runs: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// The facts indexed for the guardrails.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot::new(
            &self.destinations,
            self.runs_in_progress.iter().cloned(),
            self.blocking_export_jobs.clone(),
        )
        .with_portal_runs(self.portal_runs.iter().cloned())
    }

    pub fn destination(&self, id: &str) -> Option<&Destination> {
        self.destinations.iter().find(|d| d.id == id)
    }
}

/// The newest profile export job, whose id v1 adhocrun wants in `exportIds`.
pub fn latest_profile_export(export_jobs: &[ExportJob]) -> Option<&ExportJob> {
    export_jobs
        .iter()
        .filter(|j| j.is_profile_export())
        .max_by(|a, b| (a.creation_time, &a.id).cmp(&(b.creation_time, &b.id)))
}

impl Destination {
    pub fn of(flow: &Flow) -> Self {
        Self {
            id: flow.id.clone(),
            name: flow.name.clone(),
            state: flow.state.clone(),
            connection_spec_id: flow.target_connection_spec_id().map(str::to_owned),
            flow_spec_id: flow.flow_spec.as_ref().map(|spec| spec.id.clone()),
            last_run: flow.last_run_details.as_ref().and_then(|d| d.state.clone()),
            segments: flow
                .selectors()
                .map(|s| MappedSegment {
                    id: s.id.clone(),
                    name: s.name.clone(),
                    mapped_at: s.create_time.map(|t| t.to_millis()),
                    settings: ExportSettings {
                        schedule: s.schedule.clone(),
                        export_mode: s.export_mode.clone(),
                        file_name_template: s.file_name_template.clone(),
                    },
                })
                .collect(),
        }
    }

    pub fn kind(&self) -> DestinationKind {
        DestinationKind::classify(
            self.connection_spec_id.as_deref().unwrap_or_default(),
            self.flow_spec_id.as_deref().unwrap_or_default(),
            || self.segments.iter().any(MappedSegment::has_batch_settings),
        )
    }

    pub fn segment(&self, id: &str) -> Option<&MappedSegment> {
        self.segments.iter().find(|s| s.id == id)
    }

    pub fn segment_name(&self, id: &str) -> Option<&str> {
        self.segment(id).map(|s| s.name.as_str())
    }
}

impl MappedSegment {
    /// When the first-activation wait ends; unknown create time means no wait can be shown.
    pub fn ready_at(&self, limits: &Limits) -> Option<EpochMillis> {
        Some(
            self.mapped_at?
                .plus_seconds(limits.first_activation_wait_seconds),
        )
    }

    /// The export mode, file name template or frequency that only batch (file) destinations'
    /// selectors carry (DEST-SPEC `BatchSegmentSelector`).
    pub fn has_batch_settings(&self) -> bool {
        let settings = &self.settings;
        settings.export_mode.is_some()
            || settings.file_name_template.is_some()
            || settings
                .schedule
                .as_ref()
                .is_some_and(|s| s.frequency.is_some())
    }
}

impl Serialize for Destination {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        wire::Destination::of(self).serialize(serializer)
    }
}

mod wire {
    use std::collections::HashMap;

    use super::*;

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Destination {
        id: String,
        name: String,
        state: FlowState,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        connection_spec_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        flow_spec_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        last_run: Option<String>,
        #[serde(default)]
        export_settings: Vec<ExportSettings>,
        #[serde(default)]
        segments: Vec<Segment>,
    }

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Segment {
        id: String,
        #[serde(default)]
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mapped_at: Option<EpochMillis>,
        /// A position in `exportSettings`; none, or one past its end, is no settings.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        settings: Option<usize>,
    }

    impl Destination {
        pub fn of(destination: &super::Destination) -> Self {
            let mut positions: HashMap<&ExportSettings, usize> = HashMap::new();
            let mut export_settings = Vec::new();
            let segments = destination
                .segments
                .iter()
                .map(|segment| {
                    let settings = (segment.settings != ExportSettings::default()).then(|| {
                        *positions.entry(&segment.settings).or_insert_with(|| {
                            export_settings.push(segment.settings.clone());
                            export_settings.len() - 1
                        })
                    });
                    Segment {
                        id: segment.id.clone(),
                        name: segment.name.clone(),
                        mapped_at: segment.mapped_at,
                        settings,
                    }
                })
                .collect();
            Self {
                id: destination.id.clone(),
                name: destination.name.clone(),
                state: destination.state.clone(),
                connection_spec_id: destination.connection_spec_id.clone(),
                flow_spec_id: destination.flow_spec_id.clone(),
                last_run: destination.last_run.clone(),
                export_settings,
                segments,
            }
        }
    }

    impl From<Destination> for super::Destination {
        fn from(wire: Destination) -> Self {
            let settings = wire.export_settings;
            Self {
                id: wire.id,
                name: wire.name,
                state: wire.state,
                connection_spec_id: wire.connection_spec_id,
                flow_spec_id: wire.flow_spec_id,
                last_run: wire.last_run,
                segments: wire
                    .segments
                    .into_iter()
                    .map(|segment| MappedSegment {
                        id: segment.id,
                        name: segment.name,
                        mapped_at: segment.mapped_at,
                        settings: segment
                            .settings
                            .and_then(|at| settings.get(at).cloned())
                            .unwrap_or_default(),
                    })
                    .collect(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aep::flow::FlowList;
    use serde_json::json;

    fn flows() -> Vec<Flow> {
        let page: FlowList = serde_json::from_value(json!({"items": [
            {"id": "s3", "name": "S3 daily", "state": "enabled",
             "flowSpec": {"id": "71471eba-b620-49e4-90fd-23f1fa0174d8", "version": "1.0"},
             "inheritedAttributes": {"targetConnections": [{"id": "t", "connectionSpec": {"id": "4fce964d-3f37-408f-9778-e597338a21ee"}}]},
             "lastRunDetails": {"id": "r", "state": "success"},
             "transformations": [{"name": "GeneralTransform", "params": {"segmentSelectors": {"selectors": [
                {"type": "PLATFORM_SEGMENT", "value": {"id": "seg-a", "name": "A", "createTime": "1700000000",
                 "exportMode": "DAILY_FULL_EXPORT", "filenameTemplate": "%SEGMENT_ID%",
                 "schedule": {"frequency": "DAILY", "startDate": "2026-01-01"}}},
                {"type": "PLATFORM_SEGMENT", "value": {"id": "seg-b", "name": "B"}}
             ]}}}]},
            {"id": "draft", "state": "draft"}
        ]}))
        .unwrap();
        page.items
    }

    #[test]
    fn a_destination_keeps_what_the_guardrails_and_pickers_read_in_the_dataflows_order() {
        let facts = SandboxFacts::read(&flows(), Vec::new(), &[]);
        let s3 = facts.destination("s3").unwrap();
        assert_eq!(s3.kind(), DestinationKind::BatchFile { name: "Amazon S3" });
        assert_eq!(s3.last_run.as_deref(), Some("success"));
        let ids: Vec<_> = s3.segments.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["seg-a", "seg-b"]);
        let a = s3.segment("seg-a").unwrap();
        assert_eq!(a.mapped_at, Some(EpochMillis(1_700_000_000_000)));
        assert_eq!(
            a.settings.file_name_template.as_deref(),
            Some("%SEGMENT_ID%")
        );
        let draft = facts.destination("draft").unwrap();
        assert_eq!(draft.state, FlowState::Other("draft".into()));
        assert_eq!(draft.kind(), DestinationKind::Unclassified);
    }

    #[test]
    fn the_facts_cross_the_wire_unchanged_and_judge_alike_on_both_sides() {
        let mut facts = SandboxFacts::read(
            &flows(),
            vec![RunInProgress {
                segment_id: "seg-b".into(),
                dataflow_id: "s3".into(),
                run_id: "run-1".into(),
            }],
            &[],
        );
        facts.portal_runs.push("run-0".into());
        let wire = serde_json::to_string(&facts).unwrap();
        let read: SandboxFacts = serde_json::from_str(&wire).unwrap();
        assert_eq!(read, facts);
        assert_eq!(read.snapshot().runs_in_progress("seg-b").len(), 1);
        assert_eq!(
            read.snapshot().dataflow("s3").map(|d| d.kind.clone()),
            facts.snapshot().dataflow("s3").map(|d| d.kind.clone())
        );
    }

    #[test]
    fn a_newer_portals_answer_with_fields_this_one_does_not_know_is_still_read() {
        let read: SandboxFacts = serde_json::from_value(json!({
            "destinations": [{"id": "d", "name": "D", "state": "paused", "owner": "x",
                              "segments": [{"id": "s", "priority": 1}]}],
            "newFact": true
        }))
        .unwrap();
        assert_eq!(read.destinations[0].segments[0].id, "s");
        assert!(read.runs_in_progress.is_empty());
    }

    #[test]
    fn shared_export_settings_are_written_once_and_read_back_onto_each_segment() {
        let daily = ExportSettings {
            export_mode: Some("DAILY_FULL_EXPORT".into()),
            ..ExportSettings::default()
        };
        let hourly = ExportSettings {
            export_mode: Some("FIRST_FULL_THEN_INCREMENTAL".into()),
            ..ExportSettings::default()
        };
        let segment = |id: &str, settings: &ExportSettings| MappedSegment {
            id: id.into(),
            name: id.into(),
            mapped_at: None,
            settings: settings.clone(),
        };
        let destination = Destination {
            segments: vec![
                segment("a", &daily),
                segment("b", &hourly),
                segment("c", &daily),
                segment("d", &ExportSettings::default()),
            ],
            ..Destination::of(&flows()[1])
        };
        let wire = serde_json::to_value(&destination).unwrap();
        assert_eq!(
            wire["exportSettings"].as_array().unwrap().len(),
            2,
            "{wire}"
        );
        assert_eq!(wire["segments"][2]["settings"], 0, "{wire}");
        assert!(wire["segments"][3].get("settings").is_none(), "{wire}");
        let read: Destination = serde_json::from_value(wire).unwrap();
        assert_eq!(read, destination);
    }

    #[test]
    fn a_settings_position_past_the_list_is_read_as_no_settings() {
        let read: Destination = serde_json::from_value(json!({
            "id": "d", "name": "D", "state": "enabled",
            "segments": [{"id": "s", "settings": 3}]
        }))
        .unwrap();
        assert_eq!(read.segments[0].settings, ExportSettings::default());
    }
}
