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
    #[serde(default, deserialize_with = "super::paging::lenient_items")]
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
                ExportJobStatus::New | ExportJobStatus::Queued | ExportJobStatus::Processing
            )
    }
}

/// Segmentation documents NEW, QUEUED, PROCESSING, SUCCEEDED, FAILED, CANCELLING and
/// CANCELLED (SEGJOB-DOC); a status the portal does not know is kept as written and shown, and
/// blocks nothing by itself.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ExportJobStatus {
    New,
    Queued,
    Processing,
    Succeeded,
    Failed,
    Other(String),
}

impl ExportJobStatus {
    pub fn as_str(&self) -> &str {
        match self {
            Self::New => "NEW",
            Self::Queued => "QUEUED",
            Self::Processing => "PROCESSING",
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
            Self::Other(raw) => raw,
        }
    }
}

impl Serialize for ExportJobStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ExportJobStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Ok(match raw.to_ascii_uppercase().as_str() {
            "NEW" => Self::New,
            "QUEUED" => Self::Queued,
            "PROCESSING" => Self::Processing,
            "SUCCEEDED" => Self::Succeeded,
            "FAILED" => Self::Failed,
            _ => Self::Other(raw),
        })
    }
}

/// A number in the Segmentation spec (its example even writes `100.0`), a string in adhocrun's
/// `exportIds` (whose example looks like a UUID): kept as text, written back as it came.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExportJobId(pub String);

impl std::fmt::Display for ExportJobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for ExportJobId {
    /// A whole number goes out as a number, as Segmentation writes it; anything else as text.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.parse::<u64>() {
            Ok(number) if number.to_string() == self.0 => serializer.serialize_u64(number),
            _ => serializer.serialize_str(&self.0),
        }
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
        match Raw::deserialize(deserializer)? {
            Raw::Integer(n) => Ok(Self(n.to_string())),
            Raw::Float(f) if f >= 0.0 && f.fract() == 0.0 && f < 2f64.powi(53) => {
                Ok(Self((f as u64).to_string()))
            }
            Raw::Float(f) => Err(de::Error::custom(format!(
                "expected an export job id, found the number {f}"
            ))),
            Raw::Text(text) if !text.trim().is_empty() => Ok(Self(text.trim().to_owned())),
            Raw::Text(_) => Err(de::Error::custom("an export job id is empty")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_read_from_integer_float_or_any_text() {
        for json in ["100", "100.0", "\"100\""] {
            let id: ExportJobId = serde_json::from_str(json).unwrap();
            assert_eq!(id, ExportJobId("100".into()), "{json}");
            assert_eq!(serde_json::to_string(&id).unwrap(), "100");
        }
        let uuid: ExportJobId =
            serde_json::from_str("\"6c8f7e1a-0b1d-4c5e-9d2f-1a2b3c4d5e6f\"").unwrap();
        assert_eq!(
            serde_json::to_string(&uuid).unwrap(),
            "\"6c8f7e1a-0b1d-4c5e-9d2f-1a2b3c4d5e6f\"",
            "written back as it came"
        );
        for bad in ["-1", "1.5", "\"\""] {
            assert!(serde_json::from_str::<ExportJobId>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_status_the_portal_does_not_know_is_kept_and_blocks_nothing() {
        let status: ExportJobStatus = serde_json::from_str("\"CANCELLING\"").unwrap();
        assert_eq!(status, ExportJobStatus::Other("CANCELLING".into()));
        assert_eq!(serde_json::to_string(&status).unwrap(), "\"CANCELLING\"");
        let lower: ExportJobStatus = serde_json::from_str("\"processing\"").unwrap();
        assert_eq!(lower, ExportJobStatus::Processing);
        let job = ExportJob {
            id: ExportJobId("7".into()),
            job_type: None,
            status,
            schema: Some(SchemaRef {
                name: PROFILE_SCHEMA.into(),
            }),
            creation_time: None,
            update_time: None,
        };
        assert!(!job.blocks_adhoc_runs());
    }

    #[test]
    fn only_queued_or_running_profile_exports_block() {
        let job = |status, schema: &str| ExportJob {
            id: ExportJobId("1".into()),
            job_type: None,
            status,
            schema: Some(SchemaRef {
                name: schema.into(),
            }),
            creation_time: None,
            update_time: None,
        };
        assert!(job(ExportJobStatus::New, PROFILE_SCHEMA).blocks_adhoc_runs());
        let queued: ExportJobStatus = serde_json::from_str("\"QUEUED\"").unwrap();
        assert!(
            job(queued, PROFILE_SCHEMA).blocks_adhoc_runs(),
            "queued is not yet running"
        );
        assert!(job(ExportJobStatus::Processing, PROFILE_SCHEMA).blocks_adhoc_runs());
        assert!(!job(ExportJobStatus::Succeeded, PROFILE_SCHEMA).blocks_adhoc_runs());
        assert!(
            !job(ExportJobStatus::Processing, "_xdm.context.experienceevent").blocks_adhoc_runs()
        );
    }
}
