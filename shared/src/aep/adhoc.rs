//! `POST /data/core/activation/disflowprovider/adhocrun`: v2 (selected by the `Accept` header)
//! and the deprecated v1 (with `exportIds`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub const PATH: &str = "/data/core/activation/disflowprovider/adhocrun";
/// Selects v2; without it the Platform applies v1 and wants `exportIds`.
pub const V2_ACCEPT: &str = "application/vnd.adobe.adhoc.activation+json; version=2";

/// Dataflow (destination instance) id → the audience ids to export to it. A list, not a set: a
/// duplicate is a mistake the guardrails must be able to see.
pub type ActivationInfo = BTreeMap<String, Vec<String>>;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdhocRunRequestV2 {
    pub activation_info: ActivationInfo,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdhocRunRequestV1 {
    pub activation_info: ActivationInfo,
    /// The latest profile export job's id, as a string (export jobs number their ids).
    pub export_ids: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdhocRunResponse {
    pub order: Vec<ActivationOrder>,
}

/// One per dataflow×audience submitted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivationOrder {
    /// The audience id.
    pub segment: String,
    /// The dataflow id.
    pub order: String,
    /// The Flow Service run to poll: `https://platform.adobe.io/data/foundation/flowservice/runs/{id}`.
    #[serde(rename = "statusURL")]
    pub status_url: String,
}

impl ActivationOrder {
    /// The run id is the last path segment of `statusURL`.
    pub fn run_id(&self) -> Option<&str> {
        self.status_url
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .filter(|id| !id.is_empty() && !id.contains(':'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_id_is_the_last_segment_of_the_status_url() {
        let order = ActivationOrder {
            segment: "s".into(),
            order: "d".into(),
            status_url: "https://platform.adobe.io/data/foundation/flowservice/runs/88d6da63"
                .into(),
        };
        assert_eq!(order.run_id(), Some("88d6da63"));
        let broken = ActivationOrder {
            status_url: "https:".into(),
            ..order
        };
        assert_eq!(broken.run_id(), None);
    }

    #[test]
    fn v1_requests_need_export_ids() {
        let v1 = r#"{"activationInfo": {"d": ["s"]}, "exportIds": ["1"]}"#;
        assert!(serde_json::from_str::<AdhocRunRequestV1>(v1).is_ok());
        let missing = r#"{"activationInfo": {"d": ["s"]}}"#;
        let error = serde_json::from_str::<AdhocRunRequestV1>(missing).unwrap_err();
        assert!(error.to_string().contains("exportIds"), "{error}");
    }
}
