//! Property tests: whatever Adobe has not ruled out (enum values the portal has not seen, fields
//! it does not know, optional fields left out, ids of odd shapes) never fails a list, never hides
//! the other items, and an unknown enum value is kept as written.

use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use shared::aep::export_job::{ExportJobList, ExportJobStatus};
use shared::aep::flow::{Flow, FlowList, FlowState};
use shared::aep::run::{RunList, RunStatus};
use shared::aep::segment::AudienceList;
use shared::guardrails::Snapshot;
use shared::sandbox::Destination;

/// Adobe's examples (aep-contracts §2.2, §2.4, §3.2, §3.4), trimmed.
fn flow() -> Value {
    json!({
        "id": "d8ce03ea-d55c-4add-a56e-6e1c313e4250", "name": "Documentation S3 Destination",
        "flowSpec": {"id": "1a0514a6-33d4-4c7f-aff8-594799c47549", "version": "1.0"},
        "state": "enabled", "etag": "\"0503aab5\"", "createdAt": 1658340453699i64,
        "sourceConnectionIds": ["aacb95f5"], "targetConnectionIds": ["e609bd68"],
        "inheritedAttributes": {
            "properties": {"isDestinationFlow": true},
            "targetConnections": [{"id": "e609bd68", "connectionSpec": {"id": "4fce964d-3f37-408f-9778-e597338a21ee", "version": "1.0"}}]
        },
        "transformations": [{"name": "GeneralTransform", "params": {"segmentSelectors": {"selectors": [{
            "type": "PLATFORM_SEGMENT",
            "value": {"id": "25768be6-ebd5-45cc-8913-12fb3f348613", "name": "Interested in Mountain Biking",
                      "filenameTemplate": "%DESTINATION%_%SEGMENT_ID%", "exportMode": "FIRST_FULL_THEN_INCREMENTAL",
                      "schedule": {"frequency": "EVERY_3_HOURS", "triggerType": "SCHEDULED",
                                   "startDate": "2022-11-15", "endDate": "2022-11-23", "startTime": "22:00"},
                      "createTime": "1668548786", "updateTime": "1668614587"}
        }]}}}],
        "lastRunDetails": {"id": "a18222fe", "state": "success", "startedAtUTC": 1668639937828i64, "completedAtUTC": 1668639937836i64}
    })
}

fn run() -> Value {
    json!({
        "id": "e80e24c1-82de-48de-8352-b2d0fca1c392", "flowId": "df8d079d-11eb-466a-9731-6b5948a009e4",
        "createdAt": 1659018528378i64, "etag": "\"b500a099\"",
        "flowSpec": {"id": "71471eba-b620-49e4-90fd-23f1fa0174d8", "version": "1.0"},
        "metrics": {
            "durationSummary": {"startedAtUTC": 1659018529865i64, "completedAtUTC": 1659018929923i64},
            "recordSummary": {
                "inputRecordCount": 7823447, "outputRecordCount": 7808223, "skippedRecordCount": 15224,
                "sourceSummaries": [{"id": "1d6b7dc0", "entitySummaries": [{"id": "segment:b1cbaff7-e7c6-417e-ab54-71d302595785"}]}],
                "skippedInfo": [{"code": "ACTIVATION_BATCH-0000-SKIP", "message": "Records didn't match attribute filter.", "count": 15224}]
            },
            "statusSummary": {"status": "success", "activityRefs": ["c4f238e3"]}
        },
        "activities": [{"id": "c4f238e3", "name": "Activation Batch XdmProcessor Activity", "statusSummary": {"status": "success"}}]
    })
}

fn export_job() -> Value {
    json!({
        "id": 100, "jobType": "BATCH", "status": "SUCCEEDED", "schema": {"name": "_xdm.context.profile"},
        "creationTime": 1538615973895i64, "updateTime": 1538616233239i64,
        "metrics": {"totalExportedProfileCounter": 20}
    })
}

fn audience() -> Value {
    json!({
        "id": "3da8bad9-29fb-40e0-b39e-f80322e964de", "name": "segment", "namespace": "AEPSegments",
        "type": "SegmentDefinition", "lifecycle": "published",
        "metrics": {"type": "export", "data": {"totalProfiles": 11}}, "creationTime": 1573253640000i64
    })
}

/// One change to an item, as a sandbox may answer within what Adobe documents or leaves open.
#[derive(Clone, Debug)]
enum Change {
    /// A string where the portal expects one of a few values, or an odd id.
    Text(String),
    /// A number where an id was a string (SEG-SPEC numbers export job ids).
    Number(i64),
    /// An optional field left out.
    Remove,
    /// A field nobody knows, with any value.
    Add(String, Value),
}

fn change() -> impl Strategy<Value = Change> {
    let text = "[A-Za-z_:. -]{0,12}";
    prop_oneof![
        text.prop_map(Change::Text),
        any::<i64>().prop_map(Change::Number),
        Just(Change::Remove),
        (
            "[a-zA-Z]{1,8}",
            prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                text.prop_map(Value::from),
                Just(json!({"nested": [1, "two", {}]})),
            ]
        )
            .prop_map(|(k, v)| Change::Add(k, v)),
    ]
}

/// Every object path in `value` (field names from the root), the root included.
fn paths(value: &Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(at.clone());
    match value {
        Value::Object(fields) => {
            for (key, child) in fields {
                at.push(key.clone());
                paths(child, at, out);
                at.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                at.push(i.to_string());
                paths(child, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

fn apply(value: &mut Value, path: &[String], change: &Change) {
    let Some((last, parent_path)) = path.split_last() else {
        if let (Value::Object(fields), Change::Add(key, new)) = (value, change) {
            fields.insert(key.clone(), new.clone());
        }
        return;
    };
    let mut parent = &mut *value;
    for step in parent_path {
        parent = match parent {
            Value::Object(fields) => fields.get_mut(step).unwrap(),
            Value::Array(items) => &mut items[step.parse::<usize>().unwrap()],
            _ => return,
        };
    }
    match (parent, change) {
        (Value::Object(fields), Change::Remove) => {
            fields.remove(last);
        }
        (Value::Object(fields), Change::Text(text)) => {
            fields.insert(last.clone(), json!(text));
        }
        (Value::Object(fields), Change::Number(n)) => {
            fields.insert(last.clone(), json!(n));
        }
        (Value::Object(fields), Change::Add(key, new)) => {
            if let Some(Value::Object(child)) = fields.get_mut(last) {
                child.insert(key.clone(), new.clone());
            }
        }
        _ => {}
    }
}

/// `base` with `changes` applied at paths picked by `picks`.
fn changed(base: Value, changes: &[(usize, Change)]) -> Value {
    let mut value = base;
    for (pick, change) in changes {
        let mut all = Vec::new();
        paths(&value, &mut Vec::new(), &mut all);
        let path = all[pick % all.len()].clone();
        apply(&mut value, &path, change);
    }
    value
}

/// A list of the changed item between two intact ones always reads, with both intact ones.
fn intact_items_survive<L: DeserializeOwned>(
    envelope: &str,
    base: Value,
    changes: &[(usize, Change)],
    ids: impl Fn(&L) -> Vec<String>,
) -> Result<(), TestCaseError> {
    let mut first = base.clone();
    first["id"] = json!("intact-1");
    let mut last = base.clone();
    last["id"] = json!("intact-2");
    let odd = changed(base, changes);
    let list: L = serde_json::from_value(json!({envelope: [first, odd, last]}))
        .map_err(|e| TestCaseError::fail(format!("the list failed: {e}")))?;
    let found = ids(&list);
    prop_assert!(found.contains(&"intact-1".to_owned()), "{found:?}");
    prop_assert!(found.contains(&"intact-2".to_owned()), "{found:?}");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn a_changed_dataflow_never_hides_the_others(changes in prop::collection::vec((any::<usize>(), change()), 1..6)) {
        intact_items_survive::<FlowList>("items", flow(), &changes, |l| l.items.iter().map(|f| f.id.clone()).collect())?;
    }

    #[test]
    fn a_changed_run_never_hides_the_others(changes in prop::collection::vec((any::<usize>(), change()), 1..6)) {
        intact_items_survive::<RunList>("items", run(), &changes, |l| l.items.iter().map(|r| r.id.clone()).collect())?;
    }

    #[test]
    fn a_changed_export_job_never_hides_the_others(changes in prop::collection::vec((any::<usize>(), change()), 1..6)) {
        intact_items_survive::<ExportJobList>("records", export_job(), &changes, |l| l.records.iter().map(|j| j.id.to_string()).collect())?;
    }

    #[test]
    fn a_changed_audience_never_hides_the_others(changes in prop::collection::vec((any::<usize>(), change()), 1..6)) {
        intact_items_survive::<AudienceList>("children", audience(), &changes, |l| l.children.iter().map(|a| a.id.clone()).collect())?;
    }

    #[test]
    fn unknown_states_and_statuses_are_kept_as_written(raw in "[A-Za-z]{1,12}") {
        let known = |s: &str| ["enabled", "disabled"].contains(&s.to_ascii_lowercase().as_str());
        let mut value = flow();
        value["state"] = json!(raw);
        let flow: Flow = serde_json::from_value(value).unwrap();
        prop_assert_eq!(flow.state.as_str().eq_ignore_ascii_case(&raw), true);
        prop_assert_eq!(matches!(flow.state, FlowState::Other(_)), !known(&raw));
        // Whatever the state, the dataflow is judged (refused by name unless enabled).
        prop_assert!(Snapshot::of_platform(std::slice::from_ref(&flow), [], &[]).dataflow(&flow.id).is_some());

        let mut value = run();
        value["metrics"]["statusSummary"]["status"] = json!(raw);
        let list: RunList = serde_json::from_value(json!({"items": [value]})).unwrap();
        let status = list.items[0].status();
        prop_assert_eq!(&status, &RunStatus::parse(&raw));
        if let RunStatus::Other(kept) = &status {
            prop_assert_eq!(kept, &raw);
            prop_assert!(!status.is_finished(), "an unknown status may still be running");
        }

        let mut value = export_job();
        value["status"] = json!(raw);
        let list: ExportJobList = serde_json::from_value(json!({"records": [value]})).unwrap();
        if let ExportJobStatus::Other(kept) = &list.records[0].status {
            prop_assert_eq!(kept, &raw);
            prop_assert!(!list.records[0].blocks_adhoc_runs(), "an unknown status blocks nothing by itself");
        }
    }

    #[test]
    fn odd_ids_are_read_as_text(id in prop_oneof!["[ -~]{1,40}".prop_map(Value::from), any::<u32>().prop_map(Value::from)]) {
        let mut value = export_job();
        value["id"] = id.clone();
        let list: ExportJobList = serde_json::from_value(json!({"records": [value]})).unwrap();
        let text = id.as_str().map_or_else(|| id.to_string(), |t| t.trim().to_owned());
        if text.is_empty() {
            // No id at all: the job cannot be named, so it is left out (and the list still reads).
            prop_assert!(list.records.is_empty());
        } else {
            prop_assert_eq!(list.records[0].id.to_string(), text);
        }
    }

    #[test]
    fn any_connection_or_flow_spec_is_classified_without_failing(spec in "[a-f0-9-]{0,36}", mode in proptest::option::of("[A-Z_]{1,20}")) {
        let mut value = flow();
        value["flowSpec"]["id"] = json!(spec);
        value["inheritedAttributes"]["targetConnections"][0]["connectionSpec"]["id"] = json!(spec);
        let selector = &mut value["transformations"][0]["params"]["segmentSelectors"]["selectors"][0]["value"];
        let selector = selector.as_object_mut().unwrap();
        selector.remove("filenameTemplate");
        selector.remove("schedule");
        match &mode {
            Some(mode) => { selector.insert("exportMode".into(), json!(mode)); }
            None => { selector.remove("exportMode"); }
        }
        let flow: Flow = serde_json::from_value(value).unwrap();
        let kind = Destination::of(&flow).kind();
        // An export mode, even one never seen, marks a file destination; without any signal
        // the Platform decides.
        prop_assert_eq!(kind.is_unclassified(), mode.is_none());
        prop_assert!(!kind.is_refused());
    }
}
