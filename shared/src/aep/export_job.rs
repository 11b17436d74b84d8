//! Segmentation export jobs: `GET /data/core/ups/export/jobs`. A scheduled profile export
//! (`schema.name` `_xdm.context.profile`) that is `NEW` or `PROCESSING` blocks ad-hoc runs, and
//! the latest one's id is what v1 adhocrun wants in `exportIds`.

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

use super::segment::{NextLink, SchemaRef};
use crate::time::EpochMillis;

pub const PATH: &str = "/data/core/ups/export/jobs";
pub const PROFILE_SCHEMA: &str = "_xdm.context.profile";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExportJobList {
    #[serde(default)]
    pub records: Vec<ExportJob>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<ExportJobPage>,
    /// `link.next` carries the `offset` of the next page; absent or empty on the last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<NextLink>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportJobPage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_offset: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportJob {
    pub id: ExportJobId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_type: Option<String>,
    pub status: ExportJobStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<SchemaRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_time: Option<EpochMillis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_time: Option<EpochMillis>,
}

impl ExportJob {
    pub fn is_profile_export(&self) -> bool {
        self.schema
            .as_ref()
            .is_some_and(|s| s.name == PROFILE_SCHEMA)
    }

    /// A scheduled profile export that is queued or running: no ad-hoc run may start.
    pub fn blocks_adhoc_runs(&self) -> bool {
        self.is_profile_export()
            && matches!(
                self.status,
                ExportJobStatus::New | ExportJobStatus::Processing
            )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExportJobStatus {
    New,
    Processing,
    Succeeded,
    Failed,
}

/// Numeric in the Segmentation spec (its example even writes `100.0`), a string in adhocrun's
/// `exportIds`: read either, write a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExportJobId(pub u64);

impl std::fmt::Display for ExportJobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for ExportJobId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(self.0)
    }
}

impl<'de> Deserialize<'de> for ExportJobId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Integer(u64),
            Float(f64),
            Text(String),
        }
        let invalid = |raw: &dyn std::fmt::Display| {
            de::Error::custom(format!(
                "expected a whole non-negative export job id, found {raw}"
            ))
        };
        match Raw::deserialize(deserializer)? {
            Raw::Integer(n) => Ok(Self(n)),
            Raw::Float(f) if f >= 0.0 && f.fract() == 0.0 && f < 2f64.powi(53) => {
                Ok(Self(f as u64))
            }
            Raw::Float(f) => Err(invalid(&f)),
            Raw::Text(text) => text.trim().parse().map(Self).map_err(|_| invalid(&text)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_read_from_integer_float_or_text() {
        for json in ["100", "100.0", "\"100\""] {
            let id: ExportJobId = serde_json::from_str(json).unwrap();
            assert_eq!(id, ExportJobId(100), "{json}");
        }
        for bad in ["-1", "1.5", "\"x\""] {
            assert!(serde_json::from_str::<ExportJobId>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_queued_or_running_profile_exports_block() {
        let job = |status, schema: &str| ExportJob {
            id: ExportJobId(1),
            job_type: None,
            status,
            schema: Some(SchemaRef {
                name: schema.into(),
            }),
            creation_time: None,
            update_time: None,
        };
        assert!(job(ExportJobStatus::New, PROFILE_SCHEMA).blocks_adhoc_runs());
        assert!(job(ExportJobStatus::Processing, PROFILE_SCHEMA).blocks_adhoc_runs());
        assert!(!job(ExportJobStatus::Succeeded, PROFILE_SCHEMA).blocks_adhoc_runs());
        assert!(
            !job(ExportJobStatus::Processing, "_xdm.context.experienceevent").blocks_adhoc_runs()
        );
    }
}
