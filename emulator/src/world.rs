//! What the emulated Platform knows, per sandbox: dataflows with their mapped audiences,
//! audiences with their sizes, export jobs, Flow Service runs.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use serde_json::{Value, json};
use shared::aep::export_job::{ExportJob, ExportJobId, ExportJobStatus, PROFILE_SCHEMA};
use shared::aep::flow::{Flow, FlowState, Schedule, SpecRef};
use shared::aep::run::{
    DurationSummary, EntityCounts, FileSummary, Info, RecordSummary, Run, RunMetrics, RunStatus,
    SizeSummary, StatusSummary,
};
use shared::aep::segment::{
    Audience, AudienceCounts, AudienceMetrics, SchemaRef, SegmentDefinition,
};
use shared::time::{Date, EpochMillis};

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
    pub run_schedule: Option<RunSchedule>,
    /// Entities a test loaded through the admin API, served exactly as given.
    pub loaded: Loaded,
}

/// Flow Service runs and Segmentation export jobs of any shape, for tests that need what the
/// emulator would not make itself. Loaded dataflows that read as dataflows join `dataflows`.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    pub flows: Vec<Value>,
    pub runs: Vec<Value>,
    pub export_jobs: Vec<Value>,
}

/// A destination dataflow and how it writes files.
#[derive(Clone, Debug)]
pub struct Dataflow {
    pub flow: Flow,
    /// The destination's display name, for `%DESTINATION%`.
    pub destination: String,
    pub file_type: FileType,
    pub compression: Compression,
    /// Writes `manifest-<dataflowId>-<runId>.json` beside the files, as Adobe's cloud-storage
    /// destinations do when asked to.
    pub manifest: bool,
    /// The dataflow exactly as a test loaded it, served instead of `flow`.
    pub raw: Option<Value>,
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

/// The dataflows' own scheduled exports: each day, at the start time of a dataflow's audiences,
/// one run per audience whose schedule covers the day, `running_seconds` long. Runs are made as
/// the clock passes their time, from `made_until` on.
#[derive(Clone, Copy, Debug)]
pub struct RunSchedule {
    pub made_until: EpochMillis,
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

/// When a selector's schedule exports on `day`: from its start time (`HH:MM` UTC), once for
/// `DAILY` (and `ONCE`, on its start date only), every N hours for `EVERY_N_HOURS`.
fn export_times(schedule: &Schedule, day: Date) -> Vec<EpochMillis> {
    let Some((hour, minute)) = schedule.start_time.as_deref().and_then(|t| {
        let (hour, minute) = t.split_once(':')?;
        Some((
            hour.trim().parse::<i64>().ok()?,
            minute.trim().parse::<i64>().ok()?,
        ))
    }) else {
        return Vec::new();
    };
    let first = day.start_millis().plus_seconds(hour * 3600 + minute * 60);
    let frequency = schedule.frequency.as_deref().unwrap_or("DAILY");
    if frequency.eq_ignore_ascii_case("ONCE") {
        return if schedule.start_date == Some(day) {
            vec![first]
        } else {
            Vec::new()
        };
    }
    let every_hours = frequency
        .strip_prefix("EVERY_")
        .and_then(|rest| rest.strip_suffix("_HOURS"))
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| (1..24).contains(n))
        .unwrap_or(24);
    (0..24 / every_hours)
        .map(|k| first.plus_seconds(k * every_hours * 3600))
        .filter(|at| at.utc_date() == day)
        .collect()
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
    /// Started by the dataflow's schedule, not by adhocrun.
    pub scheduled: bool,
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
    /// Profiles left out of the files (no usable identity), reported as skipped records.
    pub skipped: u64,
    pub bytes: u64,
}

/// Adobe's example of skipped records (DEST-SPEC `Batch_Flow_Run_Success`).
const SKIPPED_CODE: &str = "ACTIVATION_BATCH-0000-SKIP";
const SKIPPED_MESSAGE: &str = "Records didn't match attribute filter.";

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

    /// The run as Flow Service writes it: `flow_spec` is its dataflow's, `capitalised` writes
    /// the status as the schema's enum does (`Success`) rather than as the examples (`success`);
    /// the Platform has been seen doing both.
    pub fn to_json(&self, flow_spec: Option<&SpecRef>, capitalised: bool) -> Value {
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
        let skipped = written.map_or(0, |w| w.skipped);
        let finished = self.completion.as_ref().map(|c| c.finished_at);
        let skipped_info = (skipped > 0)
            .then(|| Info {
                code: SKIPPED_CODE.into(),
                message: SKIPPED_MESSAGE.into(),
                count: Some(skipped),
            })
            .into_iter()
            .collect();
        let status = self.status();
        let run = Run {
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
                    input_record_count: Some(rows + skipped),
                    created_record_count: Some(rows),
                    output_record_count: Some(rows),
                    skipped_record_count: Some(skipped),
                    failed_record_count: Some(0),
                    // As Adobe's examples write them: the summary is the connection's (a UUID),
                    // `segment:<id>` only inside `entitySummaries`, and no target summary
                    // until the run has written its files.
                    source_summaries: vec![counts(&self.id, &entity, rows + skipped, skipped)],
                    target_summaries: if finished.is_some() {
                        vec![counts(&self.flow_id, &entity, rows, 0)]
                    } else {
                        Vec::new()
                    },
                    failed_info: errors.clone(),
                    skipped_info,
                }),
                file_summary: Some(FileSummary {
                    input_file_count: Some(written.map_or(0, |w| w.files.len() as u64)),
                    output_file_count: Some(written.map_or(0, |w| w.files.len() as u64)),
                    ..FileSummary::default()
                }),
                status_summary: Some(StatusSummary {
                    status: status.clone(),
                    errors,
                }),
            }),
            activities: Vec::new(),
        };
        let mut value = serde_json::to_value(&run).expect("a run serialises");
        let status_text = if capitalised {
            capitalise(status.as_str())
        } else {
            status.as_str().to_owned()
        };
        value["metrics"]["statusSummary"]["status"] = json!(status_text);
        value["metrics"]["statusSummary"]["activityRefs"] =
            json!([activity_id(&self.id, 1), activity_id(&self.id, 2)]);
        value["state"] = json!(if status.is_finished() {
            status.as_str()
        } else {
            "inProgress"
        });
        value["etag"] = json!(format!("\"{}\"", activity_id(&self.id, 0)));
        value["providerRefId"] = json!(format!("{:032x}", crate::ids::hash_str(&self.id)));
        if let Some(spec) = flow_spec {
            value["flowSpec"] = json!(spec);
        }
        let activity_status = json!({"status": status_text, "extensions": {}});
        value["activities"] = json!([
            {"id": activity_id(&self.id, 1), "name": "Activation Batch XdmProcessor Activity",
             "updatedAtUTC": finished.unwrap_or(self.created_at),
             "durationSummary": {"startedAtUTC": self.created_at, "completedAtUTC": finished},
             "statusSummary": activity_status},
            {"id": activity_id(&self.id, 2), "name": "Activation Batch Publisher Activity",
             "updatedAtUTC": finished.unwrap_or(self.created_at),
             "durationSummary": {"startedAtUTC": self.created_at, "completedAtUTC": finished},
             "statusSummary": activity_status},
        ]);
        value
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// A stable UUID-shaped id derived from the run's.
fn activity_id(run_id: &str, n: u64) -> String {
    let h = crate::ids::hash_str(&format!("{run_id}/{n}"));
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        h >> 32,
        (h >> 16) & 0xffff,
        h & 0xfff,
        (h >> 20) & 0xfff,
        h & 0xffff_ffff_ffff
    )
}

fn counts(connection: &str, entity: &str, records: u64, skipped: u64) -> EntityCounts {
    EntityCounts {
        id: connection.to_owned(),
        input_record_count: Some(records),
        output_record_count: Some(records - skipped),
        skipped_record_count: Some(skipped),
        entity_summaries: vec![EntityCounts {
            id: entity.to_owned(),
            input_record_count: Some(records),
            output_record_count: Some(records - skipped),
            skipped_record_count: Some(skipped),
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
    /// Starts the scheduled runs whose time has come since the last call.
    pub fn start_scheduled_runs(&mut self, now: EpochMillis, ids: &mut IdGenerator) {
        let Some(schedule) = self.run_schedule.as_mut() else {
            return;
        };
        let from = schedule.made_until;
        if now <= from {
            return;
        }
        schedule.made_until = now;
        let running_seconds = schedule.running_seconds;
        let mut started = Vec::new();
        let mut day = from.utc_date();
        while day <= now.utc_date() {
            for dataflow in self
                .dataflows
                .iter()
                .filter(|d| d.is_enabled() && d.writes_files())
            {
                for selector in dataflow.flow.selectors() {
                    let Some(schedule) = &selector.schedule else {
                        continue;
                    };
                    let mapped_at = selector.create_time.map(|t| t.to_millis());
                    for at in export_times(schedule, day) {
                        let mapped_before = mapped_at.is_none_or(|mapped| mapped < at);
                        if from < at && at <= now && schedule.covers(day) && mapped_before {
                            started.push(RunRecord {
                                id: ids.uuid(),
                                flow_id: dataflow.flow.id.clone(),
                                segment_id: selector.id.clone(),
                                created_at: at,
                                finishes_at: at.plus_seconds(running_seconds),
                                scheduled: true,
                                writing: false,
                                completion: None,
                            });
                        }
                    }
                }
            }
            day = day.plus_days(1);
        }
        self.runs.extend(started);
    }

    pub fn dataflow(&self, id: &str) -> Option<&Dataflow> {
        self.dataflows.iter().find(|d| d.flow.id == id)
    }

    pub fn segment(&self, id: &str) -> Option<&Segment> {
        self.segments.iter().find(|s| s.id == id)
    }

    pub fn run_mut(&mut self, id: &str) -> Option<&mut RunRecord> {
        self.runs.iter_mut().find(|r| r.id == id)
    }

    /// Unfinished runs a test loaded, as (run id, audiences it exports).
    pub fn loaded_runs_in_progress(&self) -> Vec<(String, String, Vec<String>)> {
        self.loaded
            .runs
            .iter()
            .filter_map(|raw| serde_json::from_value::<Run>(raw.clone()).ok())
            .filter(|run| !run.status().is_finished())
            .map(|run| {
                let segments = run.segment_ids().into_iter().map(str::to_owned).collect();
                (run.id, run.flow_id, segments)
            })
            .collect()
    }

    /// Every export job at `now`, newest first: loaded ones (that read as jobs) with the rest.
    pub fn export_jobs(&self, now: EpochMillis) -> Vec<ExportJob> {
        let mut jobs = self.export_jobs.clone();
        jobs.extend(
            self.loaded
                .export_jobs
                .iter()
                .filter_map(|raw| serde_json::from_value(raw.clone()).ok()),
        );
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

    /// Ad-hoc activation exports files: a streaming destination has none.
    pub fn writes_files(&self) -> bool {
        self.destination != crate::dataset::STREAMING_DESTINATION
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(frequency: &str, start_time: &str) -> Schedule {
        Schedule {
            frequency: Some(frequency.into()),
            start_time: Some(start_time.into()),
            start_date: Date::new(2026, 11, 1),
            ..Schedule::default()
        }
    }

    #[test]
    fn exports_follow_the_start_time_and_the_frequency() {
        let day = Date::new(2026, 11, 30).unwrap();
        let at = |h: i64, m: i64| day.start_millis().plus_seconds(h * 3600 + m * 60);
        assert_eq!(export_times(&schedule("DAILY", "22:30"), day), [at(22, 30)]);
        assert_eq!(export_times(&schedule("DAILY", "9:00"), day), [at(9, 0)]);
        assert_eq!(
            export_times(&schedule("EVERY_6_HOURS", "02:00"), day),
            [at(2, 0), at(8, 0), at(14, 0), at(20, 0)]
        );
        assert!(export_times(&schedule("ONCE", "02:00"), day).is_empty());
        assert_eq!(
            export_times(&schedule("ONCE", "02:00"), Date::new(2026, 11, 1).unwrap()).len(),
            1
        );
    }
}
