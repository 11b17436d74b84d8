//! Every endpoint's answer validates against the response schema in Adobe's own specs.

use reqwest::Method;
use serde_json::{Value, json};
use shared::openapi::Spec;

use crate::helpers::{Platform, segment_named};

/// Where Adobe's schemas contradict Adobe's own examples, the examples (what the Platform sends)
/// win: (schema pointer, keywords that replace the schema's).
fn errata() -> Vec<(&'static str, Value)> {
    let connections = json!({"type": ["object", "array"]});
    vec![
        (
            "/components/schemas/BaseFlowItem/properties/inheritedAttributes/properties/sourceConnections",
            connections.clone(),
        ),
        (
            "/components/schemas/BaseFlowItem/properties/inheritedAttributes/properties/targetConnections",
            connections,
        ),
        // The enum is capitalised; the run examples write "success" and "failed".
        (
            "/components/schemas/StatusSummary/properties/status",
            json!({"enum": ["Success", "Processing", "Waiting", "Failed", "success", "processing", "waiting", "failed"]}),
        ),
        // The pattern allows 3 to 6 letters; the examples' codes read ACTIVATION_BATCH-0000-SKIP.
        (
            "/components/schemas/Info/properties/code",
            json!({"pattern": "^[A-Z_]{3,20}-[0-9]{3,6}-([1-5][0-9]{2}|[A-Z]+)$"}),
        ),
    ]
}

fn schema_with_errata(spec: &Spec, path: &str, method: &str, status: u16) -> Value {
    let mut schema = spec.response_schema(path, method, status);
    for (pointer, keywords) in errata() {
        if let (Some(Value::Object(node)), Value::Object(keywords)) =
            (schema.pointer_mut(pointer), keywords)
        {
            node.extend(keywords);
        }
    }
    schema
}

fn assert_valid(spec: &Spec, path: &str, method: &str, status: u16, body: &Value) {
    let schema = schema_with_errata(spec, path, method, status);
    let validator = jsonschema::draft4::new(&schema)
        .unwrap_or_else(|e| panic!("{path}: schema does not compile: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(body)
        .flat_map(|e| describe(&e))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {path} {status}:\n{}",
        errors.join("\n")
    );
}

/// Each failure with where it is; for `anyOf`, why every alternative failed.
fn describe(error: &jsonschema::ValidationError) -> Vec<String> {
    let here = format!(
        "{} (schema {}) at {}",
        error.masked(),
        error.schema_path(),
        error.instance_path()
    );
    match error.kind() {
        jsonschema::error::ValidationErrorKind::AnyOf { context } => context
            .iter()
            .enumerate()
            .flat_map(|(i, alternative)| {
                alternative
                    .iter()
                    .flat_map(describe)
                    .map(move |e| format!("alternative {i}: {e}"))
            })
            .chain([here])
            .collect(),
        _ => vec![here],
    }
}

#[tokio::test]
async fn responses_match_adobes_schemas() {
    let platform = Platform::start().await;
    let destinations = Spec::load("destinations.yaml");
    let flow_service = Spec::load("flow-service.yaml");
    let segmentation = Spec::load("segmentation.yaml");
    let adhoc = Spec::load("ad-hoc-activation.yaml");

    let flows = platform.get_json("/data/foundation/flowservice/flows?property=inheritedAttributes.properties.isDestinationFlow==true").await;
    assert_valid(&destinations, "/flows", "get", 200, &flows);
    let flow = flows["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "Flash sale drop (S3)")
        .unwrap()
        .clone();
    let one = platform
        .get_json(&format!(
            "/data/foundation/flowservice/flows/{}",
            flow["id"].as_str().unwrap()
        ))
        .await;
    assert_valid(&destinations, "/flows/{id}", "get", 200, &one);

    let (status, order) = platform
        .activate(
            json!({flow["id"].as_str().unwrap(): [segment_named(&flow, "Summer VIP shoppers")]}),
        )
        .await;
    assert_eq!(status, 200);
    assert_valid(&adhoc, "/adhocrun", "post", 200, &order);
    let (status, refusal) = platform
        .activate(
            json!({flow["id"].as_str().unwrap(): [segment_named(&flow, "Summer VIP shoppers")]}),
        )
        .await;
    assert_eq!(status, 400);
    assert_valid(&adhoc, "/adhocrun", "post", 400, &refusal);

    let runs = platform.get_json("/data/foundation/flowservice/runs").await;
    assert_valid(&destinations, "/runs", "get", 200, &runs);
    assert_valid(&flow_service, "/runs", "get", 200, &runs);
    platform.advance(60).await;
    let run_id = order["order"][0]["statusURL"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap();
    let run = platform
        .get_json(&format!("/data/foundation/flowservice/runs/{run_id}"))
        .await;
    assert_valid(&flow_service, "/runs/{RUN_ID}", "get", 200, &run);

    let definitions = platform
        .get_json("/data/core/ups/segment/definitions?limit=5")
        .await;
    let id = definitions["segments"][0]["id"].as_str().unwrap();
    let definition = platform
        .get_json(&format!("/data/core/ups/segment/definitions/{id}"))
        .await;
    assert_valid(
        &segmentation,
        "/segment/definitions/{SEGMENT_ID}",
        "get",
        200,
        &definition,
    );
    let audiences = platform.get_json("/data/core/ups/audiences?limit=5").await;
    assert_valid(&segmentation, "/audiences", "get", 200, &audiences);
    let jobs = platform.get_json("/data/core/ups/export/jobs").await;
    assert_valid(&segmentation, "/export/jobs", "get", 200, &jobs);

    let unauthorised = platform
        .client
        .get(format!(
            "{}/data/foundation/flowservice/flows",
            platform.url
        ))
        .bearer_auth("forged")
        .header("x-api-key", "demo-client-id")
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorised.status(), 401);
    let body: Value = unauthorised.json().await.unwrap();
    assert_valid(&destinations, "/flows", "get", 401, &body);
    let _ = Method::GET;
}

#[test]
fn the_errata_are_what_adobes_own_examples_need() {
    let spec = Spec::load("destinations.yaml");
    for path in ["/flows", "/runs"] {
        let strict = jsonschema::draft4::new(&spec.response_schema(path, "get", 200)).unwrap();
        for (name, example) in spec.response_examples(path, "get", 200) {
            assert!(
                !strict.is_valid(&example),
                "{name} passes without the errata: drop them"
            );
            assert_valid(&spec, path, "get", 200, &example);
        }
    }
}

#[tokio::test]
async fn the_validator_catches_a_broken_answer() {
    let spec = Spec::load("ad-hoc-activation.yaml");
    let schema = spec.response_schema("/adhocrun", "post", 200);
    let validator = jsonschema::draft4::new(&schema).unwrap();
    assert!(
        validator.is_valid(&json!({"order": [{"segment": "s", "order": "d", "statusURL": "u"}]}))
    );
    assert!(!validator.is_valid(&json!({"order": [{"segment": 7}]})));
    assert!(!validator.is_valid(&json!({"order": "none"})));
}
