//! The portal against Platform answers it did not shape: states, kinds, ids and runs that
//! Adobe's documents allow, loaded into the emulator as given (`/emulator/entities`).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestPortal, assert_no_secret};

const ACTIVATOR: &str = "activator-token";
const S3: &str = "4fce964d-3f37-408f-9778-e597338a21ee";

/// A destination dataflow as Flow Service writes one, mapping `segment` with `selector_extra`.
fn dataflow(
    id: &str,
    state: &str,
    connection_spec: &str,
    flow_spec: &str,
    segment: &str,
    selector_extra: Value,
) -> Value {
    let mut value = json!({"id": segment, "name": "Loaded audience", "createTime": "1600000000"});
    value
        .as_object_mut()
        .unwrap()
        .extend(selector_extra.as_object().unwrap().clone());
    json!({
        "id": id, "name": format!("Loaded {id}"), "state": state,
        "flowSpec": {"id": flow_spec, "version": "1.0"},
        "etag": "\"0503aab5\"", "createdAt": 1_600_000_000_000i64, "somethingNew": {"kept": true},
        "inheritedAttributes": {
            "properties": {"isDestinationFlow": true},
            "targetConnections": [{"id": "tc", "connectionSpec": {"id": connection_spec, "version": "1.0"}}]
        },
        "transformations": [{"name": "GeneralTransform", "params": {"segmentSelectors": {"selectors": [
            {"type": "PLATFORM_SEGMENT", "value": value}
        ]}}}]
    })
}

const LEGACY_FLOW_SPEC: &str = "71471eba-b620-49e4-90fd-23f1fa0174d8";

async fn activate(portal: &TestPortal, plan: Value) -> (StatusCode, Value) {
    let response = portal.activate(plan, ACTIVATOR, None).await;
    (response.status(), response.json().await.unwrap())
}

#[tokio::test]
async fn draft_and_updating_dataflows_are_refused_with_their_state_named() {
    let portal = TestPortal::start().await;
    let (_, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    let batch = json!({"exportMode": "DAILY_FULL_EXPORT"});
    portal
        .load(json!({"flows": [
            dataflow("draft-flow", "draft", S3, LEGACY_FLOW_SPEC, &vip, batch.clone()),
            dataflow("updating-flow", "UPDATING", S3, LEGACY_FLOW_SPEC, &vip, batch),
        ]}))
        .await;
    for (flow, state) in [("draft-flow", "draft"), ("updating-flow", "UPDATING")] {
        let (status, body) = activate(&portal, json!({flow: [&vip]})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["violations"][0]["code"], "DESTINATION_DISABLED");
        let message = body["violations"][0]["message"]["en"].as_str().unwrap();
        assert!(
            message.contains(&format!("\"{state}\", not enabled")),
            "{message}"
        );
    }
    assert_eq!(portal.activations_received().await, 0);
}

#[tokio::test]
async fn a_destination_no_signal_classifies_goes_to_the_platform_with_a_warning() {
    let portal = TestPortal::start().await;
    let (_, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    portal
        .load(json!({"flows": [dataflow("custom-flow", "enabled", "custom-connection-spec", "custom-flow-spec", &vip, json!({}))]}))
        .await;
    let (status, body) = activate(&portal, json!({"custom-flow": [&vip]})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let warning = body["warnings"][0].as_str().unwrap();
    assert!(
        warning
            .contains("could not tell whether \"Loaded custom-flow\" is a batch file destination"),
        "{warning}"
    );
    assert_eq!(portal.activations_received().await, 1);
}

#[tokio::test]
async fn an_export_mode_the_portal_has_not_seen_marks_a_file_destination() {
    let portal = TestPortal::start().await;
    let (_, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    portal
        .load(json!({"flows": [dataflow("new-mode-flow", "enabled", "custom-connection-spec", LEGACY_FLOW_SPEC, &vip,
            json!({"exportMode": "HOURLY_DELTA_SNAPSHOT", "schedule": {"frequency": "EVERY_HOUR", "startDate": "2020-01-01"}}))]}))
        .await;
    let (status, body) = activate(&portal, json!({"new-mode-flow": [&vip]})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.get("warnings").is_none(), "{body}");
}

#[tokio::test]
async fn a_run_the_portal_did_not_start_holds_its_dataflow_as_a_scheduled_export_would() {
    let portal = TestPortal::start().await;
    let (flow, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    let (_, other) = portal
        .pick("Flash sale drop (S3)", "Loyalty gold members")
        .await;
    // Adobe's shape of a running run: a UUID summary id, `segment:` only in entitySummaries,
    // no target summaries yet, a status in the schema's capitalisation.
    portal
        .load(json!({"runs": [{
            "id": "5c1c9e0a-0d3e-4a8b-9d6e-2f0c4b7a1e93", "flowId": flow, "etag": "\"1\"",
            "state": "inProgress", "createdAt": 1,
            "metrics": {
                "durationSummary": {"startedAtUTC": 1},
                "recordSummary": {"sourceSummaries": [{"id": "0f3a6c1e-4b7d-4e2a-9c5f-8d1b3e6a7c90",
                    "entitySummaries": [{"id": format!("segment:{other}")}]}]},
                "statusSummary": {"status": "Processing"}
            }
        }]}))
        .await;
    let (status, body) = activate(&portal, json!({&flow: [&vip]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["violations"][0]["code"], "DATAFLOW_RUN_PROCESSING");
    assert_eq!(
        body["violations"][0]["runId"],
        "5c1c9e0a-0d3e-4a8b-9d6e-2f0c4b7a1e93"
    );
    assert_eq!(portal.activations_received().await, 0);
}

#[tokio::test]
async fn cancelling_and_odd_id_export_jobs_block_nothing_and_queued_ones_do() {
    let portal = TestPortal::start().await;
    let (flow, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    let job = |id: &str, status: &str| {
        json!({"id": id, "status": status, "schema": {"name": "_xdm.context.profile"},
        "creationTime": 1, "somethingNew": [1, 2]})
    };
    portal
        .load(json!({"exportJobs": [job("4e9f4f3c-0b6e-4d2c-8a4e-7b1f2c3d4e5f", "CANCELLING"), job("job-7", "CANCELLED")]}))
        .await;
    let (status, body) = activate(&portal, json!({&flow: [&vip]})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, cart) = portal
        .pick("Flash sale drop (S3)", "Cart abandoners (7 days)")
        .await;
    portal
        .load(json!({"exportJobs": [job("job-8", "QUEUED")]}))
        .await;
    let (status, body) = activate(&portal, json!({&flow: [&cart]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["violations"][0]["code"], "SCHEDULED_EXPORT_RUNNING");
    assert_eq!(body["violations"][0]["exportJobId"], "job-8");
}

#[tokio::test]
async fn a_dataflow_that_does_not_read_is_left_out_and_the_rest_still_works() {
    let portal = TestPortal::start().await;
    let (flow, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    portal
        .load(json!({"flows": [{"id": 42, "inheritedAttributes": {"properties": {"isDestinationFlow": true}}}]}))
        .await;
    let (status, body) = activate(&portal, json!({&flow: [&vip]})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_wrong_client_secret_is_named_and_never_shown() {
    let portal = TestPortal::start_against(|platform| {
        platform.client_secret = "not-the-secret-4f9a".to_owned().into();
    })
    .await;
    let response = portal
        .get(
            "/api/platform/data/foundation/flowservice/flows",
            "viewer-token",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let text = response.text().await.unwrap();
    assert!(text.contains("AEP_CLIENT_SECRET"), "{text}");
    assert!(text.contains("invalid_client"), "{text}");
    assert!(!text.contains("not-the-secret-4f9a"), "{text}");
    assert_no_secret(&text, "the answer");
}

const FLOWS: &str = "/api/platform/data/foundation/flowservice/flows";

#[tokio::test]
async fn a_throttled_call_waits_as_long_as_the_platform_asks_and_then_goes_through() {
    let portal = TestPortal::start().await;
    let (flow, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    let (_, cart) = portal
        .pick("Flash sale drop (S3)", "Cart abandoners (7 days)")
        .await;
    // Every second call of each route is throttled with `Retry-After: 1`.
    portal
        .set_faults(json!({"errorRates": {
            "GET /data/foundation/flowservice/flows": 0.5,
            "POST /data/core/activation/disflowprovider/adhocrun": 0.5,
        }, "errorStatus": 429, "retryAfterSeconds": 1}))
        .await;
    let first = portal.get(FLOWS, "viewer-token").send().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let started = std::time::Instant::now();
    let throttled = portal.get(FLOWS, "viewer-token").send().await.unwrap();
    assert_eq!(throttled.status(), StatusCode::OK);
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "the portal waited {:?}",
        started.elapsed()
    );
    // A throttled activation was not carried out: sent again once after the wait, it starts
    // its runs exactly once.
    let (status, body) = activate(&portal, json!({&flow: [&vip]})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = activate(&portal, json!({&flow: [&cart]})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let log = portal.emulator_log().await;
    let statuses: Vec<u64> = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["route"].as_str().unwrap().ends_with("/adhocrun"))
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [200, 429, 200],
        "two accepted, one throttled in between"
    );
}

#[tokio::test]
async fn a_long_throttle_is_passed_on_with_its_wait_and_not_hammered() {
    let portal = TestPortal::start().await;
    portal
        .set_faults(
            json!({"errorRates": {"GET /data/foundation/flowservice/flows": 1.0},
            "errorStatus": 429, "retryAfterSeconds": 60}),
        )
        .await;
    let response = portal.get(FLOWS, "viewer-token").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "60");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "PLATFORM_THROTTLED");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Try again in 60 s"),
        "{body}"
    );
    let flows_calls = portal
        .platform_log()
        .await
        .into_iter()
        .filter(|r| r.contains("/flows"))
        .count();
    assert_eq!(flows_calls, 1);
}

#[tokio::test]
async fn a_missing_permission_is_named_for_each_call_that_needs_it() {
    let portal = TestPortal::start().await;
    let (flow, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    portal
        .set_faults(json!({"missingPermissions": ["Activate Destinations"]}))
        .await;
    let (status, body) = activate(&portal, json!({&flow: [&vip]})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "PLATFORM_PERMISSION_MISSING");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("\"Activate Destinations\""),
        "{body}"
    );
    let history: Value = portal.get_json("/api/history", ACTIVATOR).await;
    assert_eq!(history["items"][0]["outcome"], "rejected");
    for (permission, path) in [
        ("View Destinations", FLOWS),
        ("View Segments", "/api/platform/data/core/ups/audiences"),
        ("View Profiles", "/api/platform/data/core/ups/export/jobs"),
    ] {
        portal
            .set_faults(json!({"missingPermissions": [permission]}))
            .await;
        let response = portal.get(path, "viewer-token").send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "PLATFORM_PERMISSION_MISSING", "{body}");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains(&format!("\"{permission}\"")),
            "{body}"
        );
    }
}

#[tokio::test]
async fn a_throttled_activation_says_when_to_come_back_and_is_recorded() {
    let portal = TestPortal::start().await;
    let (flow, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    portal
        .set_faults(
            json!({"errorRates": {"POST /data/core/activation/disflowprovider/adhocrun": 1.0},
            "errorStatus": 429, "retryAfterSeconds": 120}),
        )
        .await;
    let response = portal
        .activate(json!({&flow: [&vip]}), ACTIVATOR, Some("throttled-once"))
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "120");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "PLATFORM_THROTTLED");
    assert_eq!(body["retryAfterSeconds"], 120);
    // Its replay says the same, header included.
    let replay = portal
        .activate(json!({&flow: [&vip]}), ACTIVATOR, Some("throttled-once"))
        .await;
    assert_eq!(replay.headers()["retry-after"], "120");
    let history: Value = portal.get_json("/api/history", ACTIVATOR).await;
    assert_eq!(history["items"][0]["outcome"], "rejected");
}
