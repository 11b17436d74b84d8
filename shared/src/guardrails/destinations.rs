//! Which connection specs are batch file destinations (aep-contracts §2.3): only those accept
//! ad-hoc activation.

/// (connection spec id, destination name).
pub const BATCH_FILE_DESTINATIONS: &[(&str, &str)] = &[
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

pub fn batch_file_destination_name(connection_spec_id: &str) -> Option<&'static str> {
    BATCH_FILE_DESTINATIONS
        .iter()
        .find(|(id, _)| id.eq_ignore_ascii_case(connection_spec_id))
        .map(|(_, name)| *name)
}
