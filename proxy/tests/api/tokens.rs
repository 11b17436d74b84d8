use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{FLOWS, TestPortal};

#[tokio::test]
async fn two_hundred_requests_at_start_cause_exactly_one_ims_call() {
    let portal = TestPortal::start().await;
    let requests = (0..200).map(|_| portal.get(FLOWS, "viewer-token").send());
    let responses = futures_join_all(requests).await;
    assert!(
        responses
            .iter()
            .all(|r| r.as_ref().unwrap().status() == StatusCode::OK)
    );
    assert_eq!(portal.ims_calls().await, 1);
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_and_the_call_succeeds() {
    let portal = TestPortal::start().await;
    assert_eq!(
        portal
            .get(FLOWS, "viewer-token")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    portal
        .client
        .post(format!("{}/emulator/tokens/expire", portal.emulator_url))
        .send()
        .await
        .unwrap();
    assert_eq!(
        portal
            .get(FLOWS, "viewer-token")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(portal.ims_calls().await, 2);
    let metrics = portal.get_text("/metrics", "viewer-token").await;
    assert!(
        metrics.contains("portal_token_refreshes_total 2"),
        "{metrics}"
    );
}

#[tokio::test]
async fn an_ims_outage_is_a_clear_503_not_a_hang() {
    let portal = TestPortal::start().await;
    portal.set_faults(json!({"imsOutage": true})).await;
    let response = portal.get(FLOWS, "viewer-token").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "IMS_UNAVAILABLE");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Adobe IMS is unavailable")
    );
    let ready = portal.get("/readyz", "viewer-token").send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn failing_gets_are_retried_until_they_succeed() {
    let portal = TestPortal::start().await;
    portal.set_faults(json!({"errorRates": {"GET /data/foundation/flowservice/flows": 0.5}, "errorStatus": 503})).await;
    for _ in 0..3 {
        assert_eq!(
            portal
                .get(FLOWS, "viewer-token")
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::OK
        );
    }
    let flow_calls = portal
        .platform_log()
        .await
        .iter()
        .filter(|r| r.as_str() == "GET /data/foundation/flowservice/flows")
        .count();
    assert!(flow_calls > 3, "{flow_calls}");
}

/// `futures::join_all` without the dependency.
async fn futures_join_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut outputs = Vec::new();
    for handle in handles {
        outputs.push(handle.await.unwrap());
    }
    outputs
}

#[tokio::test]
async fn an_ims_outage_costs_one_call_however_often_readyz_is_asked() {
    let portal = TestPortal::start().await;
    portal.set_faults(json!({"imsOutage": true})).await;
    let before = portal.ims_calls().await;
    for _ in 0..6 {
        let ready = portal.get("/readyz", "viewer-token").send().await.unwrap();
        assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
    assert_eq!(portal.ims_calls().await - before, 1);
}

#[tokio::test]
async fn an_absurd_token_lifetime_is_not_believed_and_breaks_nothing() {
    let portal = TestPortal::start().await;
    portal
        .set_faults(json!({"tokenLifetimeSeconds": i64::MAX}))
        .await;
    let response = portal.get(FLOWS, "viewer-token").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}
