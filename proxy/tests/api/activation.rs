use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::portal::{ErrorCode, HistoryPage, Outcome};

use crate::helpers::{TestPortal, assert_no_secret, captured_logs};

const ACTIVATOR: &str = "activator-token";

#[tokio::test]
async fn an_activation_is_recorded_and_answered_with_the_platforms_orders() {
    let portal = TestPortal::start().await;
    let (flow, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    let response = portal
        .activate(json!({&flow: [&vip]}), ACTIVATOR, None)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["order"][0]["segment"], vip.as_str());
    assert_eq!(portal.activations_received().await, 1);
    let detail: Value = portal.get_json(&location, ACTIVATOR).await;
    assert_eq!(detail["record"]["outcome"], "accepted");
    assert_eq!(detail["record"]["user"], "marketer");
    assert_eq!(
        detail["runs"][0]["run"]["metrics"]["statusSummary"]["status"],
        "processing"
    );
    // The run as the Platform wrote it, fields the portal does not model included.
    let run = &detail["runs"][0]["run"];
    assert!(run["providerRefId"].is_string(), "{run}");
    assert!(run["etag"].is_string(), "{run}");
    assert_eq!(run["activities"].as_array().map(Vec::len), Some(2), "{run}");
}

#[tokio::test]
async fn every_guardrail_rejection_happens_without_a_call_to_the_platform() {
    let portal = TestPortal::start().await;
    let (flow, ended) = portal
        .pick("Flash sale drop (S3)", "Price-drop watchers")
        .await;
    let (_, fresh) = portal
        .pick("Flash sale drop (S3)", "Holiday gift seekers")
        .await;
    let (crm, busy) = portal.pick("CRM sync (SFTP)", "Loyalty gold members").await;
    let (legacy, legacy_segment) = portal
        .pick("Legacy export (S3, disabled)", "Cart abandoners (7 days)")
        .await;
    let (streaming, streaming_segment) = portal
        .pick("Personalisation API (streaming)", "Summer VIP shoppers")
        .await;
    let many: Vec<String> = (0..81).map(|i| format!("segment-{i}")).collect();
    let plans = [
        (json!({&flow: [&ended]}), "OUT_OF_SCHEDULE"),
        (json!({&flow: [&fresh]}), "FIRST_ACTIVATION_WAIT"),
        (json!({&crm: [&busy]}), "RUN_IN_PROGRESS"),
        (json!({&legacy: [&legacy_segment]}), "DESTINATION_DISABLED"),
        (
            json!({&streaming: [&streaming_segment]}),
            "NOT_BATCH_FILE_DESTINATION",
        ),
        (json!({&flow: ["not-mapped"]}), "SEGMENT_NOT_MAPPED"),
        (json!({&flow: [&ended, &ended]}), "DUPLICATE_SEGMENT"),
        (json!({&flow: many}), "TOO_MANY_ENTRIES"),
        (json!({"no-such-dataflow": [&ended]}), "UNKNOWN_DESTINATION"),
        (json!({}), "EMPTY_PLAN"),
    ];
    for (plan, code) in plans {
        let response = portal.activate(plan.clone(), ACTIVATOR, None).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{plan}"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "GUARDRAIL_VIOLATION");
        let codes: Vec<&str> = body["violations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["code"].as_str().unwrap())
            .collect();
        assert!(codes.contains(&code), "{plan}: {codes:?}");
    }
    assert_eq!(portal.activations_received().await, 0);
    let history: HistoryPage = portal
        .get_json("/api/history?outcome=rejected", ACTIVATOR)
        .await;
    assert_eq!(history.items.len(), 10);
}

#[tokio::test]
async fn a_segment_running_on_another_dataflow_is_refused_by_the_portal() {
    let portal = TestPortal::start().await;
    // The demo keeps "Loyalty gold members" busy on CRM sync; Flash sale drop maps it too.
    let (crm, busy) = portal.pick("CRM sync (SFTP)", "Loyalty gold members").await;
    let (flash, same_segment) = portal
        .pick("Flash sale drop (S3)", "Loyalty gold members")
        .await;
    assert_eq!(busy, same_segment);
    let response = portal
        .activate(json!({&flash: [&busy]}), ACTIVATOR, None)
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.unwrap();
    let violation = &body["violations"][0];
    assert_eq!(violation["code"], "RUN_IN_PROGRESS", "{body}");
    assert_eq!(violation["dataflowId"], flash.as_str(), "{body}");
    assert_eq!(portal.activations_received().await, 0);
    assert_ne!(crm, flash);
}

#[tokio::test]
async fn a_scheduled_export_in_progress_blocks_without_reaching_the_platform() {
    let portal = TestPortal::start().await;
    let (flow, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    portal.add_export_job("PROCESSING").await;
    let response = portal
        .activate(json!({&flow: [&vip]}), ACTIVATOR, None)
        .await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["violations"][0]["code"], "SCHEDULED_EXPORT_RUNNING");
    assert_eq!(portal.activations_received().await, 0);
}

#[tokio::test]
async fn a_repeated_idempotency_key_returns_the_first_answer() {
    let portal = TestPortal::start().await;
    let (flow, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    let first: Value = portal
        .activate(json!({&flow: [&vip]}), ACTIVATOR, Some("key-1"))
        .await
        .json()
        .await
        .unwrap();
    let again = portal
        .activate(json!({&flow: [&vip]}), ACTIVATOR, Some("key-1"))
        .await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    let other_plan = portal
        .activate(json!({&flow: ["something-else"]}), ACTIVATOR, Some("key-1"))
        .await;
    assert_eq!(other_plan.status(), StatusCode::CONFLICT);
    assert_eq!(
        other_plan.json::<Value>().await.unwrap()["code"],
        "IDEMPOTENCY_KEY_REUSED"
    );
    assert_eq!(portal.activations_received().await, 1);
}

#[tokio::test]
async fn an_id_that_could_reshape_a_platform_path_is_refused_before_any_call() {
    let portal = TestPortal::start().await;
    let (flow, _) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    let before = portal.platform_log().await.len();
    let response = portal
        .activate(json!({&flow: ["../../flows?x=1"]}), ACTIVATOR, None)
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "INVALID_ACTIVATION");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("segment id \"../../flows?x=1\""),
        "{message}"
    );
    assert_eq!(
        portal.platform_log().await.len(),
        before,
        "nothing reached the Platform"
    );
}

#[tokio::test]
async fn a_repeated_key_gets_the_first_refusal_with_its_own_status() {
    let portal = TestPortal::start().await;
    let (flow, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    portal.set_faults(json!({"errorRates": {"POST /data/core/activation/disflowprovider/adhocrun": 1.0}, "errorStatus": 404})).await;
    let first = portal
        .activate(json!({&flow: [&vip]}), ACTIVATOR, Some("key-404"))
        .await;
    assert_eq!(first.status(), StatusCode::NOT_FOUND);
    let first_body = first.text().await.unwrap();
    portal.set_faults(json!({})).await;
    let again = portal
        .activate(json!({&flow: [&vip]}), ACTIVATOR, Some("key-404"))
        .await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    assert_eq!(again.text().await.unwrap(), first_body);
    assert_eq!(portal.activations_received().await, 1);
}

#[tokio::test]
async fn a_run_query_the_platform_refuses_is_a_warning_not_a_refusal() {
    let portal = TestPortal::start().await;
    let (flow, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    // As a sandbox answers a filter it does not take: 400 for every runs query.
    portal
        .set_faults(json!({"errorRates": {"GET /data/foundation/flowservice/runs": 1.0}, "errorStatus": 400}))
        .await;
    let response = portal
        .activate(json!({&flow: [&vip]}), ACTIVATOR, None)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["order"].as_array().unwrap().len(), 1, "{body}");
    let warning = body["warnings"][0].as_str().unwrap();
    assert!(
        warning.contains("could not check for runs in progress"),
        "{warning}"
    );
    portal.set_faults(json!({})).await;
    let history: HistoryPage = portal.get_json("/api/history", ACTIVATOR).await;
    assert_eq!(history.items[0].warnings.len(), 1);
    assert_eq!(portal.activations_received().await, 1);
}

#[tokio::test]
async fn without_the_dataflows_nothing_is_sent() {
    let portal = TestPortal::start().await;
    let (flow, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    portal
        .set_faults(json!({"errorRates": {"GET /data/foundation/flowservice/flows": 1.0}, "errorStatus": 400}))
        .await;
    let response = portal
        .activate(json!({&flow: [&vip]}), ACTIVATOR, None)
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(portal.activations_received().await, 0);
}

#[tokio::test]
async fn of_two_simultaneous_activations_of_a_segment_exactly_one_reaches_the_platform() {
    let portal = TestPortal::start().await;
    let (flow, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    let (a, b) = tokio::join!(
        portal.activate(json!({&flow: [&vip]}), ACTIVATOR, None),
        portal.activate(json!({&flow: [&vip]}), ACTIVATOR, None),
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 422]);
    assert_eq!(portal.activations_received().await, 1);
}

#[tokio::test]
async fn a_platform_error_on_the_activation_is_not_retried_and_blocks_a_duplicate() {
    let portal = TestPortal::start().await;
    let (flow, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    portal.set_faults(json!({"errorRates": {"POST /data/core/activation/disflowprovider/adhocrun": 1.0}, "errorStatus": 502})).await;
    let response = portal
        .activate(json!({&flow: [&vip]}), ACTIVATOR, None)
        .await;
    assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "OUTCOME_UNKNOWN");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Do not send it again")
    );
    assert_eq!(portal.activations_received().await, 1);
    portal.set_faults(json!({})).await;
    let again = portal
        .activate(json!({&flow: [&vip]}), ACTIVATOR, None)
        .await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(portal.activations_received().await, 1);
    let history: HistoryPage = portal.get_json("/api/history", ACTIVATOR).await;
    assert!(history.items.iter().any(|r| r.outcome == Outcome::Unknown));
}

#[tokio::test]
async fn the_reconciler_finds_the_runs_of_an_unknown_activation() {
    let portal = TestPortal::start().await;
    let (flow, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    let response = portal
        .activate(json!({&flow: [&vip]}), ACTIVATOR, None)
        .await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let id = location.rsplit('/').next().unwrap();
    let record = portal.state_store_record(id).await;
    assert_eq!(record.outcome, Outcome::Accepted);
    // As if the answer had been lost after the Platform started the run (a timeout, a crash).
    portal.forget_answer(id).await;
    proxy::reconcile::reconcile_all(&portal.state)
        .await
        .unwrap();
    let record = portal.state_store_record(id).await;
    assert_eq!(record.outcome, Outcome::Accepted);
    assert_eq!(record.orders.len(), 1);
    assert_eq!(record.orders[0].segment, vip);
}

#[tokio::test]
async fn an_unknown_activation_without_runs_is_given_up_after_the_grace_period() {
    let portal = TestPortal::start().await;
    let (flow, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    portal.set_faults(json!({"errorRates": {"POST /data/core/activation/disflowprovider/adhocrun": 1.0}, "errorStatus": 503})).await;
    let response = portal
        .activate(json!({&flow: [&vip]}), ACTIVATOR, Some("lost"))
        .await;
    assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
    portal.set_faults(json!({})).await;
    let history: HistoryPage = portal.get_json("/api/history", ACTIVATOR).await;
    let id = history.items[0].id.clone();

    proxy::reconcile::reconcile_all(&portal.state)
        .await
        .unwrap();
    assert_eq!(
        portal.state_store_record(&id).await.outcome,
        Outcome::Unknown
    );
    // Ten minutes on the injected clock, not in real time.
    portal.advance(11 * 60).await;
    proxy::reconcile::reconcile_all(&portal.state)
        .await
        .unwrap();
    let record = portal.state_store_record(&id).await;
    assert_eq!(record.outcome, Outcome::Failed);
    assert_eq!(record.error.unwrap().code, ErrorCode::NotStarted);
}

#[tokio::test]
async fn a_legacy_record_with_an_odd_id_never_puts_it_into_a_platform_path() {
    let portal = TestPortal::start().await;
    portal
        .insert_unknown(
            "legacy",
            portal.state.clock().now(),
            [("../flows?x=".to_owned(), vec!["a".to_owned()])].into(),
        )
        .await;
    proxy::reconcile::reconcile_all(&portal.state)
        .await
        .unwrap();
    let log = portal.emulator_log().await.to_string();
    assert!(!log.contains("../flows"), "{log}");
    let history: HistoryPage = portal.get_json("/api/history", ACTIVATOR).await;
    assert_eq!(history.items[0].id, "legacy", "the record stays readable");
}

#[tokio::test]
async fn neither_the_secret_nor_an_access_token_reaches_an_answer_or_a_log() {
    let portal = TestPortal::start().await;
    let (flow, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    let mut bodies = Vec::new();
    bodies.push(portal.get_text("/api/session", ACTIVATOR).await);
    bodies.push(
        portal
            .activate(json!({&flow: [&vip]}), ACTIVATOR, None)
            .await
            .text()
            .await
            .unwrap(),
    );
    bodies.push(portal.get_text("/api/history", ACTIVATOR).await);
    portal
        .client
        .post(format!("{}/emulator/tokens/expire", portal.emulator_url))
        .send()
        .await
        .unwrap();
    portal.set_faults(json!({"imsOutage": true})).await;
    bodies.push(portal.get_text(crate::helpers::FLOWS, ACTIVATOR).await);
    bodies.push(portal.get_text("/metrics", ACTIVATOR).await);
    for (i, body) in bodies.iter().enumerate() {
        assert_no_secret(body, &format!("answer {i}"));
    }
    let logs = String::from_utf8_lossy(&captured_logs().lock().unwrap()).into_owned();
    assert!(!logs.is_empty());
    assert_no_secret(&logs, "the log");
}

#[tokio::test]
async fn the_reconciler_does_not_take_the_run_of_another_activation() {
    let portal = TestPortal::start().await;
    let (flow, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    assert_eq!(
        portal
            .activate(json!({&flow: [&vip]}), ACTIVATOR, None)
            .await
            .status(),
        StatusCode::OK
    );
    // The first run ends; the segment is free again.
    portal.advance(60).await;
    portal.set_faults(json!({"errorRates": {"POST /data/core/activation/disflowprovider/adhocrun": 1.0}, "errorStatus": 503})).await;
    let lost = portal
        .activate(json!({&flow: [&vip]}), ACTIVATOR, None)
        .await;
    assert_eq!(lost.status(), StatusCode::GATEWAY_TIMEOUT);
    let id = lost
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().rsplit('/').next().unwrap().to_owned());
    portal.set_faults(json!({})).await;
    let history: HistoryPage = portal
        .get_json("/api/history?outcome=unknown", ACTIVATOR)
        .await;
    assert_eq!(history.items.len(), 1, "{id:?}");
    proxy::reconcile::reconcile_all(&portal.state)
        .await
        .unwrap();
    let record = portal.state_store_record(&history.items[0].id).await;
    assert_eq!(
        record.outcome,
        Outcome::Unknown,
        "it took {:?}",
        record.orders
    );
}
