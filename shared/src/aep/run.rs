//! Flow Service runs: `GET /data/foundation/flowservice/runs[/{id}]`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::paging::FlowServiceList;
use crate::ids::is_platform_id;
use crate::time::EpochMillis;

pub const RUNS_PATH: &str = "/data/foundation/flowservice/runs";

/// The newest runs of one dataflow (MON-API).
pub fn dataflow_runs_path(dataflow_id: &str) -> String {
    format!("{RUNS_PATH}?property=flowId=={dataflow_id}&limit=100")
}

/// Every unfinished run of the sandbox, on any dataflow: SORT-DOC's run `state` filter. The
/// browser marks a segment running elsewhere before anyone presses Activate.
pub const RUNS_IN_PROGRESS_PATH: &str =
    "/data/foundation/flowservice/runs?property=state==inProgress&limit=100";

/// Where a run names the audiences it exports: its target summaries once it has written files,
/// its source summaries while it runs (Adobe's example of a failed run has no target summaries).
const ENTITY_SUMMARY_PATHS: [&str; 2] = [
    "metrics.recordSummary.targetSummaries[].entitySummaries[].id",
    "metrics.recordSummary.sourceSummaries[].entitySummaries[].id",
];

/// The newest runs exporting each of `segment_ids`, on any dataflow: SORT-DOC's entity-summary
/// filter in the form Adobe documents for it, one value a query (comma lists are documented
/// for other properties only), on target and source summaries. Ids that could not be written
/// into a query unescaped cannot exist upstream and are left out.
pub fn segment_runs_paths<'a>(segment_ids: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut ids: Vec<&str> = segment_ids
        .into_iter()
        .filter(|id| is_platform_id(id))
        .collect();
    crate::sort::sort(&mut ids);
    ids.dedup();
    ids.iter()
        .flat_map(|id| {
            ENTITY_SUMMARY_PATHS
                .map(|path| format!("{RUNS_PATH}?property={path}==segment:{id}&limit=100"))
        })
        .collect()
}

/// `GET /runs` and `GET /runs/{id}` (a one-item list).
pub type RunList = FlowServiceList<Run>;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    pub id: String,
    #[serde(default)]
    pub flow_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<EpochMillis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<EpochMillis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<RunMetrics>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub activities: Vec<Activity>,
}

impl Run {
    /// The audiences this run exports, from its `segment:<id>` entity summaries (source and
    /// target, as Adobe's examples write them), each once.
    pub fn segment_ids(&self) -> Vec<&str> {
        let summaries = self
            .metrics
            .as_ref()
            .and_then(|m| m.record_summary.as_ref());
        let mut ids: Vec<&str> = summaries
            .into_iter()
            .flat_map(|r| r.source_summaries.iter().chain(&r.target_summaries))
            .flat_map(|s| std::iter::once(s).chain(&s.entity_summaries))
            .filter_map(|e| e.id.strip_prefix("segment:"))
            .collect();
        crate::sort::sort(&mut ids);
        ids.dedup();
        ids
    }

    /// Whether the run has ended: a known final status, or a status the portal does not know on
    /// a run that has a completion time.
    pub fn is_finished(&self) -> bool {
        match self.status() {
            RunStatus::Other(_) => self
                .metrics
                .as_ref()
                .and_then(|m| m.duration_summary.as_ref())
                .is_some_and(|d| d.completed_at_utc.is_some()),
            status => status.is_finished(),
        }
    }

    /// Status from `metrics.statusSummary`; a run without one has not finished.
    pub fn status(&self) -> RunStatus {
        self.metrics
            .as_ref()
            .and_then(|m| m.status_summary.as_ref())
            .map_or(RunStatus::InProgress, |s| s.status.clone())
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunMetrics {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_summary: Option<DurationSummary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_summary: Option<SizeSummary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_summary: Option<RecordSummary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_summary: Option<FileSummary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_summary: Option<StatusSummary>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DurationSummary {
    #[serde(
        rename = "startedAtUTC",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub started_at_utc: Option<EpochMillis>,
    /// The schema says `stoppedAtUTC`, the examples `completedAtUTC`.
    #[serde(
        rename = "completedAtUTC",
        alias = "stoppedAtUTC",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub completed_at_utc: Option<EpochMillis>,
}

impl DurationSummary {
    pub fn duration_millis(&self) -> Option<i64> {
        Some(self.completed_at_utc?.0 - self.started_at_utc?.0)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SizeSummary {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_bytes: Option<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordSummary {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_record_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_record_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_record_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped_record_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_record_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_summaries: Vec<EntityCounts>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub target_summaries: Vec<EntityCounts>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed_info: Vec<Info>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped_info: Vec<Info>,
}

/// A source or target summary, and the per-audience (`segment:<id>`) entity summaries inside.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityCounts {
    #[serde(default)]
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_record_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_record_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped_record_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entity_summaries: Vec<EntityCounts>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileSummary {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_file_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_file_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped_file_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_file_count: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusSummary {
    pub status: RunStatus,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<Info>,
}

/// A code and message about records, files or the run itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Info {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_summary: Option<DurationSummary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_summary: Option<StatusSummary>,
}

/// Sources disagree on case (`Success` in the schema, `success` in examples) and on the
/// in-between values: compare case-insensitively; a value the portal does not know is kept as
/// written, shown, and counted as not finished (it may still be running).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RunStatus {
    InProgress,
    Success,
    Failed,
    Other(String),
}

impl RunStatus {
    pub fn is_finished(&self) -> bool {
        matches!(self, Self::Success | Self::Failed)
    }

    pub fn parse(text: &str) -> Self {
        match text.to_ascii_lowercase().as_str() {
            "success" => Self::Success,
            "failed" => Self::Failed,
            // DEST-SPEC's enum, SORT-DOC's run state.
            "processing" | "waiting" | "inprogress" => Self::InProgress,
            _ => Self::Other(text.to_owned()),
        }
    }

    /// How the Platform's examples write it (lower case; the schema's enum says `Processing`).
    pub fn as_str(&self) -> &str {
        match self {
            Self::InProgress => "processing",
            Self::Success => "success",
            Self::Failed => "failed",
            Self::Other(raw) => raw,
        }
    }
}

impl Serialize for RunStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RunStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self::parse(&String::deserialize(deserializer)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_is_read_in_any_case_and_unknown_is_kept_and_unfinished() {
        for (text, status) in [
            ("success", RunStatus::Success),
            ("Success", RunStatus::Success),
            ("FAILED", RunStatus::Failed),
            ("Processing", RunStatus::InProgress),
            ("Waiting", RunStatus::InProgress),
            ("inProgress", RunStatus::InProgress),
            ("Cancelling", RunStatus::Other("Cancelling".into())),
        ] {
            assert_eq!(RunStatus::parse(text), status, "{text}");
        }
        assert!(!RunStatus::parse("Cancelling").is_finished());
        assert_eq!(RunStatus::parse("Cancelling").as_str(), "Cancelling");
    }

    #[test]
    fn stopped_at_is_read_as_completed_at() {
        let summary: DurationSummary =
            serde_json::from_str(r#"{"startedAtUTC": 1000, "stoppedAtUTC": 4000}"#).unwrap();
        assert_eq!(summary.duration_millis(), Some(3000));
    }

    #[test]
    fn an_unknown_status_has_finished_only_with_a_completion_time() {
        let run = |completed: Option<i64>| -> Run {
            serde_json::from_value(serde_json::json!({
                "id": "r", "flowId": "f",
                "metrics": {"statusSummary": {"status": "Cancelled"},
                            "durationSummary": {"startedAtUTC": 1, "completedAtUTC": completed}}
            }))
            .unwrap()
        };
        assert!(!run(None).is_finished());
        assert!(run(Some(2)).is_finished());
    }

    #[test]
    fn a_run_without_status_is_in_progress() {
        let run: Run = serde_json::from_str(r#"{"id": "r", "flowId": "f"}"#).unwrap();
        assert_eq!(run.status(), RunStatus::InProgress);
    }

    #[test]
    fn segment_runs_are_asked_for_one_value_a_query_without_repeats_or_unsafe_ids() {
        let paths = segment_runs_paths(["seg-2", "seg-1", "seg-2", "a&b", "", "x,y"]);
        assert_eq!(
            paths,
            [
                "/data/foundation/flowservice/runs?property=metrics.recordSummary.targetSummaries[].entitySummaries[].id==segment:seg-1&limit=100",
                "/data/foundation/flowservice/runs?property=metrics.recordSummary.sourceSummaries[].entitySummaries[].id==segment:seg-1&limit=100",
                "/data/foundation/flowservice/runs?property=metrics.recordSummary.targetSummaries[].entitySummaries[].id==segment:seg-2&limit=100",
                "/data/foundation/flowservice/runs?property=metrics.recordSummary.sourceSummaries[].entitySummaries[].id==segment:seg-2&limit=100",
            ]
        );
        assert!(paths.iter().all(|p| !p.contains(',')), "never a comma list");
        assert!(segment_runs_paths(["a&b"]).is_empty());
    }

    #[test]
    fn a_runs_segments_come_from_its_entity_summaries_once_each() {
        let run: Run = serde_json::from_value(serde_json::json!({
            "id": "r", "flowId": "f",
            "metrics": {"recordSummary": {
                "sourceSummaries": [{"id": "dataset-1", "entitySummaries": [{"id": "segment:b"}, {"id": "segment:a"}]}],
                "targetSummaries": [{"id": "target-1", "entitySummaries": [{"id": "segment:a"}, {"id": "other:x"}]}]
            }}
        }))
        .unwrap();
        assert_eq!(run.segment_ids(), ["a", "b"]);
    }
}
