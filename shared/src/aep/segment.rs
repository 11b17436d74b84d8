//! Segmentation Service: `GET /data/core/ups/segment/definitions[/{id}]` and
//! `GET /data/core/ups/audiences` (which carries audience sizes).

use serde::{Deserialize, Serialize};

use super::paging::PageLinks;
use crate::time::EpochMillis;

pub const DEFINITIONS_PATH: &str = "/data/core/ups/segment/definitions";
pub const AUDIENCES_PATH: &str = "/data/core/ups/audiences";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SegmentDefinitionList {
    #[serde(default)]
    pub segments: Vec<SegmentDefinition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<SegmentPage>,
    /// `{}` on the last page, `{"next": "..."}` otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<NextLink>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SegmentDefinition {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<SchemaRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge_policy_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_time: Option<EpochMillis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_time: Option<EpochMillis>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaRef {
    pub name: String,
}

/// The `start`/`limit`/`page` paging of segment definitions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SegmentPage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_pages: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextLink {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// `GET /audiences`: the schema calls the page `_page`, the example `_pages`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AudienceList {
    #[serde(default, deserialize_with = "super::paging::lenient_items")]
    pub children: Vec<Audience>,
    #[serde(
        rename = "_page",
        alias = "_pages",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub page: Option<AudiencePage>,
    #[serde(rename = "_links", default, skip_serializing_if = "Option::is_none")]
    pub links: Option<PageLinks>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AudiencePage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_pages: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<u64>,
    /// The `start` of the next page; 0 (or absent) on the last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Audience {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience_id: Option<String>,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<AudienceMetrics>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_time: Option<EpochMillis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_time: Option<EpochMillis>,
}

impl Audience {
    /// Profiles in the latest evaluation, which is what an ad-hoc export writes.
    pub fn total_profiles(&self) -> Option<u64> {
        self.metrics.as_ref()?.data.as_ref()?.total_profiles
    }

    /// When the latest evaluation was counted.
    pub fn evaluated_at(&self) -> Option<EpochMillis> {
        Some(EpochMillis::from_seconds(
            self.metrics.as_ref()?.update_epoch?,
        ))
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AudienceMetrics {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<AudienceCounts>,
    /// Epoch seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_epoch: Option<i64>,
    /// Epoch seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_epoch: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AudienceCounts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_profiles: Option<u64>,
}
