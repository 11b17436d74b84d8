//! What the emulated Platform knows, per sandbox: dataflows with their mapped audiences,
//! audiences with their sizes, export jobs, Flow Service runs.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use serde_json::{Value, json};
use shared::aep::export_job::{ExportJob, ExportJobId, ExportJobStatus, PROFILE_SCHEMA};
use shared::aep::flow::{Flow, FlowState};
use shared::aep::run::{
    DurationSummary, EntityCounts, FileSummary, Info, RecordSummary, Run, RunMetrics, RunStatus,
    SizeSummary, StatusSummary,
};
use shared::aep::segment::{
    Audience, AudienceCounts, AudienceMetrics, SchemaRef, SegmentDefinition,
};
use shared::time::EpochMillis;

use crate::export::{Compression, FileType};
use crate::ids::IdGenerator;

pub const ORG_ID: &str = "5555467B5D8013E50A494220@AdobeOrg";

#[derive(Debug)]
pub struct World {
    pub sandboxes: BTreeMap<String, Sandbox>,
    /// Access token → when it expires.
    pub tokens: HashMap<String, EpochMillis>,
    pub ids: IdGenerator,
}

#[derive(Debug)]
pub struct Sandbox {
    pub id: String,
    pub name: String,
    pub dataflows: Vec<Dataflow>,
    pub segments: Vec<Segment>,
    /// Jobs that exist whatever the clock says (the dataset's, or injected by a test).
    pub export_jobs: Vec<ExportJob>,
    pub export_schedule: Option<ExportSchedule>,
    pub runs: Vec<RunRecord>,
}

/// A destination dataflow and how it writes files.
#[derive(Clone, Debug)]
pub struct Dataflow {
    pub flow: Flow,
    /// The destination's display name, for `%DESTINATION%`.
    pub destination: String,
    pub file_type: FileType,
    pub compression: Compression,
}

#[derive(Clone, Debug)]
pub struct Segment {
    pub id: String,
    pub name: String,
    pub description: String,
    pub profiles: u64,
    pub created_at: EpochMillis,
    pub evaluated_at: EpochMillis,
    /// Its exports fail (a destination that rejects the file), to show failed runs.
    pub export_fails: bool,
}

/// The daily (or faster, in the demo) scheduled profile export: job `n` is created at
/// `first_at + n * every`, is `NEW` for a moment, `PROCESSING` for `running`, then `SUCCEEDED`.
#[derive(Clone, Copy, Debug)]
pub struct ExportSchedule {
    pub first_at: EpochMillis,
    pub every_seconds: i64,
    pub running_seconds: i64,
}

const QUEUED_SECONDS: i64 = 30;
const SCHEDULED_JOBS_LISTED: i64 = 20;

impl ExportSchedule {
    pub fn jobs(&self, now: EpochMillis) -> Vec<ExportJob> {
        if now < self.first_at || self.every_seconds <= 0 {
            return Vec::new();
        }
        let latest = (now.0 - self.first_at.0) / (self.every_seconds * 1000);
        (latest.saturating_sub(SCHEDULED_JOBS_LISTED - 1).max(0)..=latest)
            .map(|n| {
                let created = self.first_at.plus_seconds(n * self.every_seconds);
                let age = (now.0 - created.0) / 1000;
                let status = if age < QUEUED_SECONDS {
                    ExportJobStatus::New
                } else if age < QUEUED_SECONDS + self.running_seconds {
                    ExportJobStatus::Processing
                } else {
                    ExportJobStatus::Succeeded
                };
                let updated = if status == ExportJobStatus::Succeeded {
                    created.plus_seconds(QUEUED_SECONDS + self.running_seconds)
                } else {
                    now
                };
                profile_export_job(
                    ExportJobId((10_000 + n as u64).to_string()),
                    status,
                    created,
                    updated,
                )
            })
            .collect()
    }
}

pub fn profile_export_job(
    id: ExportJobId,
    status: ExportJobStatus,
    created: EpochMillis,
    updated: EpochMillis,
) -> ExportJob {
    ExportJob {
        id,
        job_type: Some("BATCH".into()),
        status,
        schema: Some(SchemaRef {
            name: PROFILE_SCHEMA.into(),
        }),
        creation_time: Some(created),
        update_time: Some(updated),
    }
}

/// A Flow Service run of one audience on one dataflow.
#[derive(Clone, Debug)]
pub struct RunRecord {
    pub id: String,
    pub flow_id: String,
    pub segment_id: String,
    pub created_at: EpochMillis,
    /// When the export is due to be written.
    pub finishes_at: EpochMillis,
    pub writing: bool,
    pub completion: Option<Completion>,
}

#[derive(Clone, Debug)]
pub struct Completion {
    pub finished_at: EpochMillis,
    pub outcome: Result<Written, String>,
}

#[derive(Clone, Debug)]
pub struct Written {
    pub files: Vec<PathBuf>,
    pub rows: u64,
    pub bytes: u64,
}

impl RunRecord {
    pub fn is_in_progress(&self) -> bool {
        self.completion.is_none()
    }

    pub fn status(&self) -> RunStatus {
        match &self.completion {
            None => RunStatus::InProgress,
            Some(Completion { outcome: Ok(_), .. }) => RunStatus::Success,
            Some(Completion {
                outcome: Err(_), ..
            }) => RunStatus::Failed,
        }
    }

    pub fn to_run(&self) -> Run {
        let entity = format!("segment:{}", self.segment_id);
        let (written, errors) = match self.completion.as_ref().map(|c| &c.outcome) {
            Some(Ok(written)) => (Some(written), Vec::new()),
            Some(Err(message)) => (
                None,
                vec![Info {
                    code: "ACTIVATION_BATCH-0000-FAILED".into(),
                    message: message.clone(),
                    count: None,
                }],
            ),
            None => (None, Vec::new()),
        };
        let rows = written.map_or(0, |w| w.rows);
        let finished = self.completion.as_ref().map(|c| c.finished_at);
        Run {
            id: self.id.clone(),
            flow_id: self.flow_id.clone(),
            created_at: Some(self.created_at),
            updated_at: Some(finished.unwrap_or(self.created_at)),
            metrics: Some(RunMetrics {
                duration_summary: Some(DurationSummary {
                    started_at_utc: Some(self.created_at),
                    completed_at_utc: finished,
                }),
                size_summary: Some(SizeSummary {
                    input_bytes: Some(written.map_or(0, |w| w.bytes)),
                    output_bytes: Some(written.map_or(0, |w| w.bytes)),
                    ..SizeSummary::default()
                }),
                record_summary: Some(RecordSummary {
                    input_record_count: Some(rows),
                    created_record_count: Some(rows),
                    output_record_count: Some(rows),
                    skipped_record_count: Some(0),
                    failed_record_count: Some(0),
                    // As Adobe's examples write them: the summary is the connection's (a UUID),
                    // `segment:<id>` only inside `entitySummaries`, and no target summary
                    // until the run has written its files.
                    source_summaries: vec![counts(&self.id, &entity, rows)],
                    target_summaries: if finished.is_some() {
                        vec![counts(&self.flow_id, &entity, rows)]
                    } else {
                        Vec::new()
                    },
                    failed_info: errors.clone(),
                    skipped_info: Vec::new(),
                }),
                file_summary: Some(FileSummary {
                    input_file_count: Some(written.map_or(0, |w| w.files.len() as u64)),
                    output_file_count: Some(written.map_or(0, |w| w.files.len() as u64)),
                    ..FileSummary::default()
                }),
                status_summary: Some(StatusSummary {
                    status: self.status(),
                    errors,
                }),
            }),
            activities: Vec::new(),
        }
    }
}

fn counts(connection: &str, entity: &str, rows: u64) -> EntityCounts {
    EntityCounts {
        id: connection.to_owned(),
        input_record_count: Some(rows),
        output_record_count: Some(rows),
        skipped_record_count: Some(0),
        entity_summaries: vec![EntityCounts {
            id: entity.to_owned(),
            input_record_count: Some(rows),
            output_record_count: Some(rows),
            skipped_record_count: Some(0),
            entity_summaries: Vec::new(),
        }],
    }
}

impl Segment {
    pub fn definition(&self, sandbox: &Sandbox) -> SegmentDefinition {
        SegmentDefinition {
            id: self.id.clone(),
            name: self.name.clone(),
            description: Some(self.description.clone()),
            schema: Some(SchemaRef {
                name: PROFILE_SCHEMA.into(),
            }),
            merge_policy_id: Some(format!("{}-merge-policy", sandbox.name)),
            creation_time: Some(self.created_at),
            update_time: Some(self.evaluated_at),
        }
    }

    pub fn audience(&self) -> Audience {
        Audience {
            id: self.id.clone(),
            audience_id: Some(self.id.clone()),
            name: self.name.clone(),
            description: Some(self.description.clone()),
            namespace: Some("AEPSegments".into()),
            kind: Some("SegmentDefinition".into()),
            lifecycle: Some("active".into()),
            metrics: Some(AudienceMetrics {
                kind: Some("export".into()),
                job_id: None,
                data: Some(AudienceCounts {
                    total_profiles: Some(self.profiles),
                }),
                create_epoch: Some(self.evaluated_at.0 / 1000),
                update_epoch: Some(self.evaluated_at.0 / 1000),
            }),
            creation_time: Some(self.created_at),
            update_time: Some(self.evaluated_at),
        }
    }
}

impl Sandbox {
    pub fn dataflow(&self, id: &str) -> Option<&Dataflow> {
        self.dataflows.iter().find(|d| d.flow.id == id)
    }

    pub fn segment(&self, id: &str) -> Option<&Segment> {
        self.segments.iter().find(|s| s.id == id)
    }

    pub fn run_mut(&mut self, id: &str) -> Option<&mut RunRecord> {
        self.runs.iter_mut().find(|r| r.id == id)
    }

    /// Every export job at `now`, newest first.
    pub fn export_jobs(&self, now: EpochMillis) -> Vec<ExportJob> {
        let mut jobs = self.export_jobs.clone();
        if let Some(schedule) = &self.export_schedule {
            jobs.extend(schedule.jobs(now));
        }
        jobs.sort_by_key(|j| {
            std::cmp::Reverse((j.creation_time, j.id.0.parse::<u64>().unwrap_or(0)))
        });
        jobs
    }

    /// The fields every Platform entity carries, added to what the shared types model.
    pub fn provenance(&self, mut entity: Value) -> Value {
        if let Value::Object(fields) = &mut entity {
            for (key, value) in [
                ("createdBy", json!("acp_foundation_connectors@AdobeID")),
                ("updatedBy", json!("acp_foundation_connectors@AdobeID")),
                ("createdClient", json!("exc_app")),
                ("updatedClient", json!("exc_app")),
                ("imsOrgId", json!(ORG_ID)),
                ("sandboxId", json!(self.id)),
                ("sandboxName", json!(self.name)),
            ] {
                fields.entry(key).or_insert(value);
            }
        }
        entity
    }
}

impl Dataflow {
    pub fn is_enabled(&self) -> bool {
        self.flow.state == FlowState::Enabled
    }
}
