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
    file_type: FileType,
    compression: Compression,
    refused: Option<String>,
}

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
        Some(Self {
            sandbox: sandbox.name.clone(),
            run_id: run.id.clone(),
            due_at: run.finishes_at,
            dir: config.data_dir.join("exports").join(folder),
            base_name,
            segment_id: segment.id.clone(),
            rows: segment.profiles,
            file_type: dataflow.file_type,
            compression: dataflow.compression,
            refused: segment.export_fails.then(|| {
                "The destination refused the file: access denied to the target folder.".to_owned()
            }),
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
        Ok(Written {
            files: result.files,
            rows: result.rows,
            bytes: result.bytes,
        })
    }
}
