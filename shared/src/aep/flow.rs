//! Flow Service destination dataflows: `GET /data/foundation/flowservice/flows[/{id}]`.

use serde::{Deserialize, Serialize};

use super::paging::FlowServiceList;
use super::run::DurationSummary;
use crate::time::{Date, EpochMillis, EpochSecondsText};

pub const FLOWS_PATH: &str = "/data/foundation/flowservice/flows";
/// The filter that keeps destination dataflows only.
pub const DESTINATION_FLOWS_FILTER: &str = "inheritedAttributes.properties.isDestinationFlow==true";

/// A page of destination dataflows (100, the most Flow Service gives), after `continuation`.
pub fn destination_flows_page(continuation: Option<&str>) -> String {
    let mut path = format!("{FLOWS_PATH}?property={DESTINATION_FLOWS_FILTER}&limit=100");
    if let Some(token) = continuation {
        path.push_str("&continuationToken=");
        path.push_str(token);
    }
    path
}

/// `GET /flows` and `GET /flows/{id}` (which also answers with a one-item list).
pub type FlowList = FlowServiceList<Flow>;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Flow {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_spec: Option<SpecRef>,
    pub state: FlowState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<EpochMillis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<EpochMillis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_connection_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub target_connection_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inherited_attributes: Option<InheritedAttributes>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transformations: Vec<Transformation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_run_details: Option<LastRunDetails>,
}

impl Flow {
    /// The destination's connection spec: what kind of destination this is (S3, SFTP, ...).
    pub fn target_connection_spec_id(&self) -> Option<&str> {
        let targets = &self.inherited_attributes.as_ref()?.target_connections;
        Some(targets.first()?.connection_spec.as_ref()?.id.as_str())
    }

    /// Every audience selector mapped to this dataflow.
    pub fn selectors(&self) -> impl Iterator<Item = &SelectorValue> {
        self.transformations
            .iter()
            .filter_map(|t| t.params.as_ref()?.segment_selectors.as_ref())
            .flat_map(|s| s.selectors.iter())
            .filter_map(|s| s.value.as_ref())
    }

    pub fn is_destination_flow(&self) -> bool {
        self.inherited_attributes
            .as_ref()
            .and_then(|a| a.properties.as_ref())
            .is_some_and(|p| p.is_destination_flow)
    }
}

/// Flow Service documents `enabled` and `disabled`; it also keeps drafts, and a state the
/// portal does not know is kept as written: such a dataflow is shown, and refused for an
/// activation with a sentence that names its state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FlowState {
    Enabled,
    Disabled,
    Other(String),
}

impl FlowState {
    pub fn as_str(&self) -> &str {
        match self {
            Self::Enabled => "enabled",
            Self::Disabled => "disabled",
            Self::Other(raw) => raw,
        }
    }
}

impl Serialize for FlowState {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for FlowState {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Ok(match raw.to_ascii_lowercase().as_str() {
            "enabled" => Self::Enabled,
            "disabled" => Self::Disabled,
            _ => Self::Other(raw),
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SpecRef {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

impl<'de> Deserialize<'de> for SpecRef {
    /// Flow Service's own schema example writes a bare id where the type says object.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Id(String),
            Object {
                id: String,
                #[serde(default)]
                version: Option<String>,
            },
        }
        Ok(match Raw::deserialize(deserializer)? {
            Raw::Id(id) => Self { id, version: None },
            Raw::Object { id, version } => Self { id, version },
        })
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InheritedAttributes {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<FlowProperties>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_connections: Vec<ConnectionRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub target_connections: Vec<ConnectionRef>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowProperties {
    #[serde(default)]
    pub is_destination_flow: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionRef {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_spec: Option<SpecRef>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transformation {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<TransformationParams>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransformationParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment_selectors: Option<SegmentSelectors>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SegmentSelectors {
    #[serde(default)]
    pub selectors: Vec<Selector>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Selector {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<SelectorValue>,
}

/// An audience mapped to a dataflow, with its schedule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SelectorValue {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The schema says `fileNameTemplate`, every example says `filenameTemplate`.
    #[serde(
        rename = "filenameTemplate",
        alias = "fileNameTemplate",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub file_name_template: Option<String>,
    /// `DAILY_FULL_EXPORT`, `FIRST_FULL_THEN_INCREMENTAL`, or a mode the portal has not seen:
    /// kept as written, for display only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Schedule>,
    /// When the audience was mapped: epoch seconds, written as a string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<EpochSecondsText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_time: Option<EpochSecondsText>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Schedule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<Date>,
    /// `HH:MM` UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
}

impl Schedule {
    /// The Platform's range rule: `startDate <= today < endDate`; no end date means open-ended.
    /// The last day of an interval is not exported, so the end date itself is out of range.
    pub fn covers(&self, today: Date) -> bool {
        self.start_date.is_none_or(|start| start <= today)
            && self.end_date.is_none_or(|end| today < end)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LastRunDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// `startedAtUTC` and `completedAtUTC` (or `stoppedAtUTC`), read as a run's are.
    #[serde(flatten)]
    pub duration: DurationSummary,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(start: Option<&str>, end: Option<&str>) -> Schedule {
        Schedule {
            frequency: Some("DAILY".into()),
            trigger_type: None,
            start_date: start.map(|d| Date::parse(d).unwrap()),
            end_date: end.map(|d| Date::parse(d).unwrap()),
            start_time: None,
        }
    }

    #[test]
    fn schedule_range_includes_the_start_and_excludes_the_end() {
        let today = Date::parse("2026-11-30").unwrap();
        assert!(schedule(Some("2026-11-30"), None).covers(today));
        assert!(schedule(Some("2026-11-01"), Some("2026-12-01")).covers(today));
        assert!(!schedule(Some("2026-11-01"), Some("2026-11-30")).covers(today));
        assert!(!schedule(Some("2026-12-01"), None).covers(today));
        assert!(schedule(None, None).covers(today));
    }

    #[test]
    fn both_spellings_of_the_file_name_template_are_read() {
        for key in ["filenameTemplate", "fileNameTemplate"] {
            let json = format!(r#"{{"id": "s", "{key}": "%SEGMENT_ID%"}}"#);
            let value: SelectorValue = serde_json::from_str(&json).unwrap();
            assert_eq!(value.file_name_template.as_deref(), Some("%SEGMENT_ID%"));
        }
    }
}
