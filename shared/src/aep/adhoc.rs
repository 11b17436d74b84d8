//! `POST /data/core/activation/disflowprovider/adhocrun`: v2 (selected by the `Accept` header)
//! and the deprecated v1 (with `exportIds`).

use serde::{Deserialize, Serialize};

use crate::ids::RunId;

pub const PATH: &str = "/data/core/activation/disflowprovider/adhocrun";
/// Selects v2; without it the Platform applies v1 and wants `exportIds`.
pub const V2_ACCEPT: &str = "application/vnd.adobe.adhoc.activation+json; version=2";

/// Dataflow (destination instance) id → the audience ids to export to it: the portal's
/// [`Plan`](crate::plan::Plan) under the name Adobe's request gives it.
pub type ActivationInfo = crate::plan::Plan;

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
    /// The run id is the last path segment of `statusURL`, if it passes the id rule: it goes
    /// into a request path of ours, and the URL came from upstream.
    pub fn run_id(&self) -> Option<RunId> {
        let last = self.status_url.trim_end_matches('/').rsplit('/').next()?;
        RunId::parse(last).ok().filter(|id| !id.contains(':'))
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
        assert_eq!(order.run_id().unwrap(), "88d6da63");
        for status_url in [
            "https:",
            "https://evil.example/runs/..",
            "https://x/runs/a?b=c",
        ] {
            let odd = ActivationOrder {
                status_url: status_url.into(),
                ..order.clone()
            };
            assert_eq!(odd.run_id(), None, "{status_url}");
        }
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

/// The two adhocrun errors Adobe documents, recognised whatever the wording's era ("segment" or
/// "audience", "Segments" or "Audiences") and case.
///
/// Read from one flat record rather than as an internally tagged enum: serde buffers such an
/// enum's fields before choosing the variant, and that reader was 10 KB of the browser's wasm.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    try_from = "rejection_wire::Rejection"
)]
pub enum AdhocRunRejection {
    /// "Run already going on for audience {segment} for order {dataflow} with run id {run}".
    #[serde(rename_all = "camelCase")]
    RunAlreadyGoingOn {
        segment_id: String,
        dataflow_id: String,
        run_id: String,
    },
    /// "Segments {names} are not part of this dataflow or out of schedule range!"
    #[serde(rename_all = "camelCase")]
    NotInDataflowOrOutOfSchedule { segments: Vec<String> },
}

mod rejection_wire {
    use serde::Deserialize;

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Rejection {
        kind: String,
        #[serde(default)]
        segment_id: String,
        #[serde(default)]
        dataflow_id: String,
        #[serde(default)]
        run_id: String,
        #[serde(default)]
        segments: Vec<String>,
    }

    impl TryFrom<Rejection> for super::AdhocRunRejection {
        type Error = String;

        fn try_from(wire: Rejection) -> Result<Self, String> {
            match wire.kind.as_str() {
                "runAlreadyGoingOn" => Ok(Self::RunAlreadyGoingOn {
                    segment_id: wire.segment_id,
                    dataflow_id: wire.dataflow_id,
                    run_id: wire.run_id,
                }),
                "notInDataflowOrOutOfSchedule" => Ok(Self::NotInDataflowOrOutOfSchedule {
                    segments: wire.segments,
                }),
                other => Err(format!("unknown rejection kind `{other}`")),
            }
        }
    }
}

impl AdhocRunRejection {
    pub fn parse(message: &str) -> Option<Self> {
        let lower = message.to_ascii_lowercase();
        Self::parse_run_already_going_on(message, &lower)
            .or_else(|| Self::parse_not_in_dataflow(message, &lower))
    }

    fn parse_run_already_going_on(message: &str, lower: &str) -> Option<Self> {
        // ASCII lower-casing keeps byte offsets, so ids are cut from the original.
        let start = lower.find("run already going on for ")? + "run already going on for ".len();
        let after_noun = ["audience ", "segment "]
            .iter()
            .find_map(|noun| lower[start..].starts_with(noun).then(|| start + noun.len()))?;
        let order_at = after_noun + lower[after_noun..].find(" for order ")?;
        let dataflow_at = order_at + " for order ".len();
        let run_at = dataflow_at + lower[dataflow_at..].find(" with run id ")?;
        let run_id_at = run_at + " with run id ".len();
        Some(Self::RunAlreadyGoingOn {
            segment_id: clean_id(&message[after_noun..order_at])?,
            dataflow_id: clean_id(&message[dataflow_at..run_at])?,
            run_id: clean_id(&message[run_id_at..])?,
        })
    }

    fn parse_not_in_dataflow(message: &str, lower: &str) -> Option<Self> {
        let end = lower.find(" are not part of this dataflow or out of schedule range")?;
        let start = ["segments ", "audiences "]
            .iter()
            .find_map(|noun| lower.find(noun).map(|at| at + noun.len()))
            .filter(|&start| start <= end)?;
        let segments: Vec<String> = message[start..end]
            .split(',')
            .filter_map(clean_id)
            .collect();
        (!segments.is_empty()).then_some(Self::NotInDataflowOrOutOfSchedule { segments })
    }
}

/// Strips the quoting Adobe's pages put around placeholders (`` `id` ``, `[id]`, `"id"`).
fn clean_id(text: &str) -> Option<String> {
    let trimmed = text
        .trim()
        .trim_end_matches(['.', '!'])
        .trim_matches(|c: char| matches!(c, '`' | '"' | '\'' | '[' | ']' | '{' | '}'))
        .trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

#[cfg(test)]
mod rejection_tests {
    use super::*;

    #[test]
    fn run_already_going_on_in_every_documented_wording() {
        for message in [
            "Run already going on for audience db8961e9 for order ef2dcbd6 with run id 88d6da63",
            "Run already going on for segment db8961e9 for order ef2dcbd6 with run id 88d6da63",
            "RUN ALREADY GOING ON FOR AUDIENCE db8961e9 FOR ORDER ef2dcbd6 WITH RUN ID 88d6da63",
            "run already going on for audience `db8961e9` for order `ef2dcbd6` with run id `88d6da63`.",
        ] {
            assert_eq!(
                AdhocRunRejection::parse(message),
                Some(AdhocRunRejection::RunAlreadyGoingOn {
                    segment_id: "db8961e9".into(),
                    dataflow_id: "ef2dcbd6".into(),
                    run_id: "88d6da63".into(),
                }),
                "{message}"
            );
        }
    }

    #[test]
    fn a_rejection_reads_back_as_it_was_written() {
        for rejection in [
            AdhocRunRejection::RunAlreadyGoingOn {
                segment_id: "s".into(),
                dataflow_id: "d".into(),
                run_id: "r".into(),
            },
            AdhocRunRejection::NotInDataflowOrOutOfSchedule {
                segments: vec!["A".into(), "B".into()],
            },
        ] {
            let wire = serde_json::to_value(&rejection).unwrap();
            assert!(wire["kind"].is_string(), "{wire}");
            assert_eq!(
                serde_json::from_value::<AdhocRunRejection>(wire).unwrap(),
                rejection
            );
        }
        let unknown = serde_json::json!({"kind": "quotaExceeded"});
        assert!(serde_json::from_value::<AdhocRunRejection>(unknown).is_err());
    }

    #[test]
    fn not_in_dataflow_with_segments_or_audiences() {
        for (message, segments) in [
            (
                "Segments Summer VIP are not part of this dataflow or out of schedule range!",
                vec!["Summer VIP"],
            ),
            (
                "Audiences `a1`, `b2` are not part of this dataflow or out of schedule range!",
                vec!["a1", "b2"],
            ),
            (
                "segments X ARE NOT PART OF THIS DATAFLOW OR OUT OF SCHEDULE RANGE",
                vec!["X"],
            ),
        ] {
            assert_eq!(
                AdhocRunRejection::parse(message),
                Some(AdhocRunRejection::NotInDataflowOrOutOfSchedule {
                    segments: segments.into_iter().map(String::from).collect()
                }),
                "{message}"
            );
        }
    }

    #[test]
    fn other_messages_are_not_mistaken_for_them() {
        for message in [
            "Oauth token is not valid",
            "Run already going on",
            "are not part of this dataflow or out of schedule range!",
            "Run already going on for audience  for order d with run id r",
        ] {
            assert_eq!(AdhocRunRejection::parse(message), None, "{message}");
        }
    }
}
