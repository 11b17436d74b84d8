//! Which dataflows are batch file destinations, the only kind that accepts ad-hoc activation,
//! read from the signals Adobe documents (aep-contracts §2.3): the destination's connection
//! spec, the dataflow's flow spec, and the batch export settings its audiences carry.

/// (connection spec id, destination name): FILEACT-DOC, MIGR-DOC, BATCH-API-DOC.
pub const BATCH_FILE_CONNECTION_SPECS: &[(&str, &str)] = &[
    ("4fce964d-3f37-408f-9778-e597338a21ee", "Amazon S3"),
    ("6d6b59bf-fb58-4107-9064-4d246c0e5bb2", "Azure Blob Storage"),
    (
        "be2c3209-53bc-47e7-ab25-145db8b873e1",
        "Azure Data Lake Storage Gen2",
    ),
    ("10440537-2a7b-4583-ac39-ed38d4b848e8", "Data Landing Zone"),
    (
        "c5d93acb-ea8b-4b14-8f53-02138444ae99",
        "Google Cloud Storage",
    ),
    ("36965a81-b1c6-401b-99f8-22508f1e6a26", "SFTP"),
    ("4890fc95-5a1f-4983-94bb-e060c08e3f81", "Amazon S3 (legacy)"),
    (
        "e258278b-a4cf-43ac-b158-4fa0ca0d948b",
        "Azure Blob Storage (legacy)",
    ),
    ("64ef4b8b-a6e0-41b5-9677-3805d1ee5dd0", "SFTP (legacy)"),
    ("0b23e41a-cb4a-4321-a78f-3b654f5d7d97", "Adobe Campaign"),
    ("c1e44b6b-e7c8-404b-9031-58f0ef760604", "Oracle Eloqua"),
    ("a5e28ddf-e265-426e-83a1-9d03a3a6822b", "Oracle Responsys"),
    (
        "f599a5b3-60a7-4951-950a-cc4115c7ea27",
        "Salesforce Marketing Cloud",
    ),
];

/// (flow spec id, destination name): the file-only flow specs of DEST-SPEC's `FlowSpec_V2`
/// enum and its list of flow specs for batch destinations. The legacy cloud-storage flow spec
/// (`71471eba-…`) is not here: Adobe's streaming tutorial uses it too.
pub const BATCH_FILE_FLOW_SPECS: &[(&str, &str)] = &[
    ("1a0514a6-33d4-4c7f-aff8-594799c47549", "Amazon S3"),
    ("269ba276-16fc-47db-92b0-c1049a3c131f", "Amazon S3"),
    ("fd36aaa4-bf2b-43fb-9387-43785eeeb799", "SFTP"),
    ("354d6aad-4754-46e4-a576-1b384561c440", "SFTP"),
    ("752d422f-b16f-4f0d-b1c6-26e448e3b388", "Azure Blob Storage"),
    ("95bd8965-fc8a-4119-b9c3-944c2c2df6d2", "Azure Blob Storage"),
    (
        "976d663b-80b4-4193-be6b-2d0487516623",
        "Google Cloud Storage",
    ),
    (
        "585c15c4-6cbf-4126-8f87-e26bff78b657",
        "Google Cloud Storage",
    ),
    ("7e635b9f-e59b-4546-8ba8-fce6496693c8", "Data Landing Zone"),
    ("cd2fc47e-e838-4f38-a581-8fff2f99b63a", "Data Landing Zone"),
    (
        "db060570-a155-418a-a6d3-b4d97698e5dc",
        "Azure Data Lake Storage Gen2",
    ),
    (
        "17be2013-2549-41ce-96e7-a70363bec293",
        "Azure Data Lake Storage Gen2",
    ),
    ("51d675ce-e270-408d-91fc-22717bdf2148", "Oracle Responsys"),
    (
        "493b2bd6-26e4-4167-ab3b-5e910bba44f0",
        "Salesforce Marketing Cloud",
    ),
];

/// (connection spec id, destination name): streaming destinations of Adobe's streaming
/// destinations tutorial. Ad-hoc activation refuses them.
pub const STREAMING_CONNECTION_SPECS: &[(&str, &str)] = &[
    ("86043421-563b-46ec-8e6c-e23184711bf6", "Amazon Kinesis"),
    ("bf9f5905-92b7-48bf-bf20-455bc6b60a4e", "Azure Event Hubs"),
];

/// What the portal can tell about a dataflow's destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DestinationKind {
    /// A batch file destination, by a connection or flow spec Adobe documents as one.
    BatchFile { name: &'static str },
    /// Its audiences carry the export mode, frequency or file name template that only batch
    /// (file) destinations' selectors have (DEST-SPEC `BatchSegmentSelector`): a custom or
    /// newer file destination the lists above do not name.
    FileByMapping,
    /// A streaming destination Adobe documents: refused.
    Streaming { name: &'static str },
    /// None of the signals: shown with a warning and left to the Platform to accept or refuse.
    Unclassified,
}

impl DestinationKind {
    /// From the destination's connection spec, the dataflow's flow spec, and whether its
    /// audiences carry batch export settings (asked only when neither spec decides).
    pub fn classify(
        connection_spec: &str,
        flow_spec: &str,
        batch_settings: impl FnOnce() -> bool,
    ) -> Self {
        if let Some(name) = named(BATCH_FILE_CONNECTION_SPECS, connection_spec)
            .or_else(|| named(BATCH_FILE_FLOW_SPECS, flow_spec))
        {
            return Self::BatchFile { name };
        }
        if let Some(name) = named(STREAMING_CONNECTION_SPECS, connection_spec) {
            return Self::Streaming { name };
        }
        if batch_settings() {
            Self::FileByMapping
        } else {
            Self::Unclassified
        }
    }

    /// Whether the portal refuses an activation of it.
    pub fn is_refused(&self) -> bool {
        matches!(self, Self::Streaming { .. })
    }

    pub fn is_unclassified(&self) -> bool {
        *self == Self::Unclassified
    }

    /// The destination's product name where a spec names it.
    pub fn name(&self) -> Option<&'static str> {
        match self {
            Self::BatchFile { name } | Self::Streaming { name } => Some(name),
            Self::FileByMapping | Self::Unclassified => None,
        }
    }
}

fn named(table: &[(&str, &'static str)], id: &str) -> Option<&'static str> {
    table
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(id))
        .map(|(_, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aep::flow::Flow;
    use crate::sandbox::Destination;
    use serde_json::json;

    fn flow(flow_spec: &str, connection_spec: &str, selector: serde_json::Value) -> Flow {
        serde_json::from_value(json!({
            "id": "f", "state": "enabled",
            "flowSpec": {"id": flow_spec, "version": "1.0"},
            "inheritedAttributes": {"targetConnections": [{"id": "t", "connectionSpec": {"id": connection_spec}}]},
            "transformations": [{"name": "GeneralTransform", "params": {"segmentSelectors": {"selectors": [
                {"type": "PLATFORM_SEGMENT", "value": selector}
            ]}}}]
        }))
        .unwrap()
    }

    const LEGACY_FLOW_SPEC: &str = "71471eba-b620-49e4-90fd-23f1fa0174d8";

    #[test]
    fn each_documented_signal_classifies_and_the_rest_is_left_to_the_platform() {
        let bare = json!({"id": "s", "name": "S"});
        let cases = [
            (
                flow(
                    LEGACY_FLOW_SPEC,
                    "4fce964d-3f37-408f-9778-e597338a21ee",
                    bare.clone(),
                ),
                DestinationKind::BatchFile { name: "Amazon S3" },
            ),
            (
                flow(
                    "1A0514A6-33D4-4C7F-AFF8-594799C47549",
                    "custom",
                    bare.clone(),
                ),
                DestinationKind::BatchFile { name: "Amazon S3" },
            ),
            (
                flow(
                    LEGACY_FLOW_SPEC,
                    "86043421-563b-46ec-8e6c-e23184711bf6",
                    bare.clone(),
                ),
                DestinationKind::Streaming {
                    name: "Amazon Kinesis",
                },
            ),
            (
                flow(
                    LEGACY_FLOW_SPEC,
                    "custom",
                    json!({"id": "s", "exportMode": "NEW_MODE"}),
                ),
                DestinationKind::FileByMapping,
            ),
            (
                flow(
                    LEGACY_FLOW_SPEC,
                    "custom",
                    json!({"id": "s", "schedule": {"frequency": "DAILY"}}),
                ),
                DestinationKind::FileByMapping,
            ),
            (
                flow(LEGACY_FLOW_SPEC, "custom", bare),
                DestinationKind::Unclassified,
            ),
        ];
        for (flow, kind) in cases {
            assert_eq!(Destination::of(&flow).kind(), kind, "{flow:?}");
        }
    }
}
