//! Delivering a finished run: its files, named by the flow's template, in its format and
//! compression, under `<data-dir>/exports/<destination>/`.

use std::path::PathBuf;

use shared::time::EpochMillis;

use crate::Config;
use crate::export::{self, Compression, ExportRequest, FileType, ROWS_PER_FILE};
use crate::template::{self, NameParts};
use crate::world::{RunRecord, Sandbox, Written};

/// Everything needed to write one run's files without holding the world's lock.
#[derive(Debug)]
pub struct Delivery {
    pub sandbox: String,
    pub run_id: String,
    pub due_at: EpochMillis,
    dir: PathBuf,
    base_name: String,
    segment_id: String,
    rows: u64,
    skipped: u64,
    file_type: FileType,
    compression: Compression,
    refused: Option<String>,
    /// `(dataflow id, when the export ran)` where the dataflow writes Adobe's manifest file.
    manifest: Option<(String, EpochMillis)>,
}

/// One profile in forty has no identity the destination exports and is left out, reported as
/// skipped, as real exports exclude identities.
const EXCLUDED_ONE_IN: u64 = 40;

impl Delivery {
    pub fn new(
        sandbox: &Sandbox,
        run: &RunRecord,
        config: &Config,
        now: EpochMillis,
    ) -> Option<Self> {
        let dataflow = sandbox.dataflow(&run.flow_id)?;
        let segment = sandbox.segment(&run.segment_id)?;
        let selector = dataflow.flow.selectors().find(|s| s.id == segment.id);
        let template = selector
            .and_then(|s| s.file_name_template.as_deref())
            .unwrap_or(template::DEFAULT_TEMPLATE);
        let base_name = template::expand(
            template,
            &NameParts {
                destination: &dataflow.destination,
                dataflow_id: &dataflow.flow.id,
                dataflow_name: &dataflow.flow.name,
                segment_id: &segment.id,
                segment_name: &segment.name,
                organization: &config.organization_name,
                sandbox: &sandbox.name,
                at: run.finishes_at.min(now),
            },
        );
        let folder = template::sanitize(&dataflow.flow.name);
        let skipped = segment.profiles / EXCLUDED_ONE_IN;
        Some(Self {
            sandbox: sandbox.name.clone(),
            run_id: run.id.clone(),
            due_at: run.finishes_at,
            dir: config.data_dir.join("exports").join(folder),
            base_name,
            segment_id: segment.id.clone(),
            rows: segment.profiles - skipped,
            skipped,
            file_type: dataflow.file_type,
            compression: dataflow.compression,
            refused: segment.export_fails.then(|| {
                "The destination refused the file: access denied to the target folder.".to_owned()
            }),
            manifest: dataflow
                .manifest
                .then(|| (dataflow.flow.id.clone(), run.finishes_at.min(now))),
        })
    }

    /// Blocking: call from `spawn_blocking`.
    pub fn write(&self) -> Result<Written, String> {
        if let Some(reason) = &self.refused {
            return Err(reason.clone());
        }
        let result = export::write_export(&ExportRequest {
            dir: &self.dir,
            base_name: &self.base_name,
            segment_id: &self.segment_id,
            rows: self.rows,
            file_type: self.file_type,
            compression: self.compression,
            rows_per_file: ROWS_PER_FILE,
        })
        .map_err(|e| format!("Writing the export failed: {e}"))?;
        if let Some((dataflow_id, at)) = &self.manifest {
            self.write_manifest(dataflow_id, *at, &result.files)
                .map_err(|e| format!("Writing the manifest failed: {e}"))?;
        }
        Ok(Written {
            files: result.files,
            rows: result.rows,
            skipped: self.skipped,
            bytes: result.bytes,
        })
    }

    /// `manifest-<destinationId>-<dataflowRunId>.json`, with the fields of Adobe's sample
    /// (cloud-storage destination pages: `flowRunId`, `scheduledTime`, `exportResults`).
    fn write_manifest(
        &self,
        dataflow_id: &str,
        at: EpochMillis,
        files: &[PathBuf],
    ) -> std::io::Result<()> {
        let folder = self
            .dir
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut results = Vec::new();
        for file in files {
            results.push(serde_json::json!({
                "sinkPath": format!("/{folder}"),
                "name": file.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default(),
                "size": std::fs::metadata(file)?.len(),
            }));
        }
        let (hour, minute, second) = at.utc_time_of_day();
        let scheduled = format!("{}T{hour:02}:{minute:02}:{second:02}Z", at.utc_date());
        let manifest = serde_json::json!({
            "flowRunId": self.run_id,
            "scheduledTime": scheduled,
            "exportResults": results,
        });
        std::fs::write(
            self.dir
                .join(format!("manifest-{dataflow_id}-{}.json", self.run_id)),
            serde_json::to_vec_pretty(&manifest).expect("a manifest serialises"),
        )
    }
}
