//! Every example payload that Adobe's specs give for the endpoints the portal touches parses into
//! our types, survives extra unknown fields, and re-serialises without losing what we model.

use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};
use shared::aep::{
    adhoc::{AdhocRunRequestV1, AdhocRunRequestV2, AdhocRunResponse},
    error::PlatformError,
    export_job::ExportJobList,
    flow::FlowList,
    run::RunList,
    segment::{AudienceList, SegmentDefinition},
};
use shared::openapi::Spec;

/// Keys that the sources spell two ways; we read either and write the first.
const ALIASES: &[(&str, &str)] = &[
    ("completedAtUTC", "stoppedAtUTC"),
    ("filenameTemplate", "fileNameTemplate"),
    ("_page", "_pages"),
];

/// Everything we wrote must be in the original, with the same value up to the normalisations
/// the types make on purpose (status case, numbers as text, `100.0` as `100`).
fn assert_subset(ours: &Value, original: &Value, at: &str) {
    match (ours, original) {
        (Value::Object(ours), Value::Object(original)) => {
            for (key, value) in ours {
                let found = original.get(key).or_else(|| {
                    ALIASES
                        .iter()
                        .find(|(written, _)| written == key)
                        .and_then(|(_, alias)| original.get(*alias))
                });
                let found = found.unwrap_or_else(|| panic!("{at}.{key}: not in the original"));
                assert_subset(value, found, &format!("{at}.{key}"));
            }
        }
        (Value::Array(ours), Value::Array(original)) => {
            assert_eq!(ours.len(), original.len(), "{at}: lost list items");
            for (i, (a, b)) in ours.iter().zip(original).enumerate() {
                assert_subset(a, b, &format!("{at}[{i}]"));
            }
        }
        (Value::Number(a), Value::Number(b)) => assert_eq!(a.as_f64(), b.as_f64(), "{at}"),
        // A bare id where an `{"id": ...}` reference belongs.
        (Value::Object(ours), Value::String(id)) if ours.len() == 1 => {
            assert_eq!(
                ours.get("id").and_then(Value::as_str),
                Some(id.as_str()),
                "{at}"
            );
        }
        (a, b) => {
            let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
            assert!(
                text(a).eq_ignore_ascii_case(&text(b)),
                "{at}: wrote {a}, original {b}"
            );
        }
    }
}

/// Adds a field nobody knows to every object, except maps whose keys are ids.
fn with_unknown_fields(value: &Value) -> Value {
    match value {
        Value::Object(fields) => {
            let mut fields: Map<String, Value> = fields
                .iter()
                .map(|(k, v)| match k.as_str() {
                    "activationInfo" => (k.clone(), v.clone()),
                    _ => (k.clone(), with_unknown_fields(v)),
                })
                .collect();
            fields.insert(
                "xUnknownField".into(),
                serde_json::json!({"nested": [1, "two"]}),
            );
            Value::Object(fields)
        }
        Value::Array(items) => Value::Array(items.iter().map(with_unknown_fields).collect()),
        other => other.clone(),
    }
}

fn check<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(
    examples: Vec<(String, Value)>,
) -> Vec<T> {
    assert!(!examples.is_empty(), "no examples found");
    examples
        .into_iter()
        .map(|(name, json)| {
            let parsed: T = serde_json::from_value(json.clone())
                .unwrap_or_else(|e| panic!("{name}: {e}\n{json:#}"));
            let written = serde_json::to_value(&parsed).unwrap();
            assert_subset(&written, &json, &name);
            let reparsed: T = serde_json::from_value(written).unwrap();
            assert_eq!(parsed, reparsed, "{name}: changed in a round trip");
            let tolerant: T = serde_json::from_value(with_unknown_fields(&json))
                .unwrap_or_else(|e| panic!("{name} with unknown fields: {e}"));
            let tolerant = serde_json::to_value(&tolerant).unwrap();
            assert_subset(
                &serde_json::to_value(&parsed).unwrap(),
                &tolerant,
                &format!("{name} with unknown fields"),
            );
            parsed
        })
        .collect()
}

#[test]
fn adhocrun_requests_responses_and_errors() {
    let spec = Spec::load("ad-hoc-activation.yaml");
    let requests = spec.request_examples("/adhocrun", "post");
    let (v1, v2): (Vec<_>, Vec<_>) = requests
        .into_iter()
        .partition(|(_, json)| json.get("exportIds").is_some());
    let v2 = check::<AdhocRunRequestV2>(v2);
    assert_eq!(v2[0].activation_info.count(), 4);
    let v1 = check::<AdhocRunRequestV1>(v1);
    assert_eq!(v1[0].export_ids.len(), 1);
    let responses = check::<AdhocRunResponse>(spec.response_examples("/adhocrun", "post", 200));
    assert_eq!(
        responses[0].order[0].run_id().unwrap(),
        "88d6da63-dc97-460e-b781-fc795a7386d9"
    );
    let errors = check::<PlatformError>(spec.response_examples("/adhocrun", "post", 400));
    assert_eq!(errors.len(), 2);
    assert!(
        errors
            .iter()
            .all(|e| matches!(e, PlatformError::Message { .. }))
    );
}

#[test]
fn destination_flows_and_runs() {
    let spec = Spec::load("destinations.yaml");
    let lists = check::<FlowList>(spec.response_examples("/flows", "get", 200));
    let flows: Vec<_> = lists.iter().flat_map(|l| &l.items).collect();
    assert!(flows.len() > 1);
    assert!(
        flows
            .iter()
            .all(|f| f.is_destination_flow() && f.target_connection_spec_id().is_some())
    );
    let selectors: Vec<_> = flows.iter().flat_map(|f| f.selectors()).collect();
    assert!(!selectors.is_empty());
    assert!(
        selectors
            .iter()
            .all(|s| s.create_time.is_some() && s.schedule.is_some())
    );
    assert!(selectors.iter().all(|s| s.file_name_template.is_some()));
    let single = check::<FlowList>(spec.response_examples("/flows/{id}", "get", 200));
    assert!(single.iter().all(|l| l.items.len() == 1));
    let runs = check::<RunList>(spec.response_examples("/runs", "get", 200));
    let statuses: Vec<_> = runs
        .iter()
        .flat_map(|l| &l.items)
        .map(|r| r.status())
        .collect();
    assert!(
        statuses.contains(&shared::aep::run::RunStatus::Success),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&shared::aep::run::RunStatus::Failed),
        "{statuses:?}"
    );
    // 403 and 500 have an empty schema and no example.
    let errors = check::<PlatformError>(spec.response_examples("/flows", "get", 401));
    assert!(errors.iter().all(PlatformError::is_invalid_token));
}

#[test]
fn flow_service_flows_and_runs() {
    let spec = Spec::load("flow-service.yaml");
    check::<FlowList>(spec.response_examples("/flows", "get", 200));
    check::<FlowList>(spec.response_examples("/flows/{FLOW_ID}", "get", 200));
    let runs = check::<RunList>(spec.response_examples("/runs", "get", 200));
    assert!(
        runs.iter()
            .flat_map(|l| &l.items)
            .all(|r| r.metrics.is_some())
    );
    check::<RunList>(spec.response_examples("/runs/{RUN_ID}", "get", 200));
}

#[test]
fn segment_definitions_audiences_and_export_jobs() {
    let spec = Spec::load("segmentation.yaml");
    // The spec documents the list's response with the single definition's schema.
    check::<SegmentDefinition>(spec.response_examples("/segment/definitions", "get", 200));
    check::<SegmentDefinition>(spec.response_examples(
        "/segment/definitions/{SEGMENT_ID}",
        "get",
        200,
    ));
    check::<AudienceList>(spec.response_examples("/audiences", "get", 200));
    let audiences = check::<AudienceList>(vec![
        spec.component_example("AudiencesList"),
        spec.component_example("AudiencesListWithMetrics"),
    ]);
    let sizes: Vec<_> = audiences
        .iter()
        .flat_map(|l| &l.children)
        .filter_map(|a| a.total_profiles())
        .collect();
    assert!(sizes.contains(&11_200_769), "{sizes:?}");
    assert!(
        audiences
            .iter()
            .any(|l| l.page.as_ref().and_then(|p| p.next) == Some(1))
    );
    let jobs = check::<ExportJobList>(spec.response_examples("/export/jobs", "get", 200));
    let job = &jobs[0].records[0];
    assert_eq!(job.id.0, "100");
    assert!(job.is_profile_export());
    check::<PlatformError>(spec.response_examples("/audiences", "get", 403));
}
