//! A broken rule: a stable code, the ids it concerns, and what a marketer reads, in English and
//! Korean.

use serde::{Deserialize, Serialize};

use super::Snapshot;
use crate::aep::export_job::ExportJobId;
use crate::time::EpochMillis;

/// Stable identifiers; the order is the order in which they are listed to the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ViolationCode {
    EmptyPlan,
    TooManyEntries,
    ScheduledExportRunning,
    DataflowRunProcessing,
    UnknownDestination,
    DestinationDisabled,
    NotBatchFileDestination,
    EmptyDestination,
    DuplicateSegment,
    SegmentNotMapped,
    OutOfSchedule,
    FirstActivationWait,
    RunInProgress,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Messages {
    pub en: String,
    pub ko: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Violation {
    pub code: ViolationCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataflow_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_job_id: Option<ExportJobId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<usize>,
    /// The entry limit, or the first-activation wait in minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// When the first-activation wait ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_at: Option<EpochMillis>,
    pub message: Messages,
}

impl Violation {
    pub(super) fn new(code: ViolationCode) -> Self {
        Self {
            code,
            dataflow_id: None,
            segment_id: None,
            run_id: None,
            export_job_id: None,
            count: None,
            limit: None,
            ready_at: None,
            message: Messages::default(),
        }
    }

    pub(super) fn about(code: ViolationCode, dataflow_id: &str, segment_id: Option<&str>) -> Self {
        Self {
            dataflow_id: Some(dataflow_id.to_owned()),
            segment_id: segment_id.map(str::to_owned),
            ..Self::new(code)
        }
    }

    pub(super) fn sort_key(
        &self,
    ) -> (
        ViolationCode,
        Option<&str>,
        Option<&str>,
        Option<&str>,
        Option<&ExportJobId>,
    ) {
        (
            self.code,
            self.dataflow_id.as_deref(),
            self.segment_id.as_deref(),
            self.run_id.as_deref(),
            self.export_job_id.as_ref(),
        )
    }

    /// Writes the messages, with names where the facts know them.
    pub(super) fn describe(&mut self, facts: &Snapshot) {
        let dataflow_id = self.dataflow_id.as_deref().unwrap_or_default();
        let destination = facts
            .dataflow(dataflow_id)
            .map(|d| d.name.as_str())
            .filter(|n| !n.is_empty())
            .unwrap_or(dataflow_id);
        let destination = format!("\"{destination}\"");
        let segment_id = self.segment_id.as_deref().unwrap_or_default();
        let segment = facts
            .segment_name(dataflow_id, segment_id)
            .unwrap_or(segment_id);
        let segment = format!("\"{segment}\"");
        let count = self.count.unwrap_or_default();
        let limit = self.limit.unwrap_or_default();
        let run = self.run_id.as_deref().unwrap_or_default();
        let job = self
            .export_job_id
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        let kind = facts
            .dataflow(dataflow_id)
            .and_then(|d| d.kind.name())
            .map(|name| format!(" ({name})"))
            .unwrap_or_default();
        let ready = self.ready_at.map(|t| t.utc_hh_mm()).unwrap_or_default();
        let (en, ko) = match self.code {
            ViolationCode::EmptyPlan => (
                "Choose at least one destination and one segment to activate.".to_owned(),
                "활성화할 대상과 세그먼트를 하나 이상 선택하세요.".to_owned(),
            ),
            ViolationCode::TooManyEntries => (
                format!(
                    "This plan has {count} destination×segment entries; one job allows at most {limit}. Remove {} or split the plan into several activations.",
                    count.saturating_sub(limit)
                ),
                format!(
                    "이 계획에는 대상×세그먼트 항목이 {count}개 있습니다. 한 작업에는 최대 {limit}개까지 가능합니다. {}개를 빼거나 여러 번으로 나누어 활성화하세요.",
                    count.saturating_sub(limit)
                ),
            ),
            ViolationCode::ScheduledExportRunning => (
                format!(
                    "A scheduled segment export job ({job}) is running; ad-hoc activation is possible once it has finished."
                ),
                format!(
                    "예약된 세그먼트 내보내기 작업({job})이 실행 중입니다. 작업이 끝난 뒤에 활성화할 수 있습니다."
                ),
            ),
            ViolationCode::DataflowRunProcessing => (
                format!(
                    "Destination {destination} is processing a run the portal did not start ({run}): its scheduled export, or one started outside the portal. Adobe runs no ad-hoc activation alongside a scheduled export; try again when it has finished."
                ),
                format!(
                    "대상 {destination}에서 포털이 시작하지 않은 실행({run})이 처리 중입니다. 예약된 내보내기이거나 포털 밖에서 시작된 내보내기입니다. Adobe는 예약된 내보내기와 애드혹 활성화를 동시에 실행하지 않으니, 끝난 뒤에 다시 시도하세요."
                ),
            ),
            ViolationCode::UnknownDestination => (
                format!(
                    "Destination {destination} does not exist in this sandbox. Pick it again from the list."
                ),
                format!(
                    "대상 {destination}이(가) 이 샌드박스에 없습니다. 목록에서 다시 선택하세요."
                ),
            ),
            ViolationCode::DestinationDisabled => {
                let state = facts
                    .dataflow(dataflow_id)
                    .map_or("disabled", |d| d.state.as_str());
                (
                    format!(
                        "Destination {destination} is {state:?}, not enabled. Enable its dataflow in Experience Platform first."
                    ),
                    format!(
                        "대상 {destination}의 상태가 {state:?}이며 활성화되어 있지 않습니다. 먼저 Experience Platform에서 데이터 흐름을 활성화하세요."
                    ),
                )
            }
            ViolationCode::NotBatchFileDestination => (
                format!(
                    "Destination {destination} is a streaming destination{kind}; ad-hoc activation only exports files (S3, SFTP, Azure, GCS, Data Landing Zone...)."
                ),
                format!(
                    "대상 {destination}은(는) 스트리밍 대상{kind}이며 배치 파일 대상이 아닙니다. 애드혹 활성화는 파일 대상(S3, SFTP, Azure, GCS, Data Landing Zone 등)만 지원합니다."
                ),
            ),
            ViolationCode::EmptyDestination => (
                format!(
                    "No segment is chosen for destination {destination}. Choose segments or remove the destination."
                ),
                format!(
                    "대상 {destination}에 선택된 세그먼트가 없습니다. 세그먼트를 선택하거나 대상을 빼세요."
                ),
            ),
            ViolationCode::DuplicateSegment => (
                format!(
                    "Segment {segment} is listed twice for destination {destination}. Keep it once."
                ),
                format!(
                    "세그먼트 {segment}이(가) 대상 {destination}에 두 번 들어 있습니다. 하나만 남기세요."
                ),
            ),
            ViolationCode::SegmentNotMapped => (
                format!(
                    "Segment {segment} is not mapped to destination {destination}. Map it in the dataflow first, or pick another segment."
                ),
                format!(
                    "세그먼트 {segment}은(는) 대상 {destination}에 매핑되어 있지 않습니다. 먼저 데이터 흐름에 매핑하거나 다른 세그먼트를 선택하세요."
                ),
            ),
            ViolationCode::OutOfSchedule => (
                format!(
                    "Segment {segment} is out of its schedule range on destination {destination} today. Extend its schedule to cover today."
                ),
                format!(
                    "세그먼트 {segment}은(는) 오늘 대상 {destination}의 일정 범위를 벗어났습니다. 일정이 오늘을 포함하도록 조정하세요."
                ),
            ),
            ViolationCode::FirstActivationWait => (
                format!(
                    "Segment {segment} was mapped to destination {destination} only recently. Adobe asks to wait {limit} minutes after a segment's first activation before exporting it ad hoc (Experience Platform's ad-hoc activation guardrails); it can be activated from {ready} UTC."
                ),
                format!(
                    "세그먼트 {segment}은(는) 대상 {destination}에 최근에 매핑되었습니다. Adobe는 세그먼트의 첫 활성화 후 {limit}분이 지나야 애드혹으로 내보낼 수 있다고 안내합니다(Experience Platform 애드혹 활성화 가드레일). {ready} (UTC)부터 활성화할 수 있습니다."
                ),
            ),
            ViolationCode::RunInProgress => (
                format!(
                    "Segment {segment} already has a run in progress ({run}). Wait until it has finished."
                ),
                format!(
                    "세그먼트 {segment}은(는) 이미 실행 중인 작업({run})이 있습니다. 끝날 때까지 기다리세요."
                ),
            ),
        };
        self.message = Messages { en, ko };
    }
}
