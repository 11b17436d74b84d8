//! Webhooks and Slack messages against real HTTP receivers on loopback: each event kind signed
//! and named, a receiver that is down gets everything once it is back (once each, by delivery
//! id), one that refuses for good is given up and says so in /metrics and the record.

use std::sync::{Arc, Mutex};

use axum::{Router, body::Bytes, extract::State, http::HeaderMap, http::StatusCode, routing::post};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::helpers::{TestPortal, serve};

const SECRET: &str = "webhook-secret-7f3a";

#[derive(Clone, Debug)]
struct Received {
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    fn header(&self, name: &str) -> &str {
        self.headers[name].to_str().unwrap()
    }
}

/// A receiver that records every request and answers `status`.
#[derive(Clone, Default)]
struct Receiver {
    received: Arc<Mutex<Vec<Received>>>,
    status: Arc<Mutex<Option<u16>>>,
}

impl Receiver {
    async fn start() -> (Self, String) {
        let receiver = Self::default();
        let record = |path: &'static str| {
            move |State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes| async move {
                receiver.received.lock().unwrap().push(Received {
                    path: path.to_owned(),
                    headers,
                    body,
                });
                StatusCode::from_u16(receiver.status.lock().unwrap().unwrap_or(200)).unwrap()
            }
        };
        let router = Router::new()
            .route("/hook", post(record("/hook")))
            .route("/slack", post(record("/slack")))
            .with_state(receiver.clone());
        let url = serve(router).await;
        (receiver, url)
    }

    fn answer(&self, status: u16) {
        *self.status.lock().unwrap() = Some(status);
    }

    fn at(&self, path: &str) -> Vec<Received> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }
}

async fn portal_notifying(url: &str) -> TestPortal {
    TestPortal::start_notifying(proxy::notify::Receivers {
        webhooks: vec![format!("{url}/hook")],
        secret: Some(SecretString::from(SECRET)),
        slack: Some(format!("{url}/slack")),
    })
    .await
}

/// One pass of what the portal's background workers do.
async fn work(portal: &TestPortal) {
    proxy::run_watch::refresh_unfinished(&portal.state)
        .await
        .unwrap();
    proxy::notify::enqueue_outcomes(&portal.state)
        .await
        .unwrap();
    proxy::notify::deliver_due(&portal.state).await.unwrap();
}

#[tokio::test]
async fn every_event_kind_is_signed_named_and_sent_once_to_each_receiver() {
    let (receiver, url) = Receiver::start().await;
    let portal = portal_notifying(&url).await;
    let (dlz, cart) = portal
        .pick(
            "Partner share (Data Landing Zone)",
            "Cart abandoners (7 days)",
        )
        .await;
    let (_, gamers) = portal
        .pick("Partner share (Data Landing Zone)", "Gamers")
        .await;
    let (s3, ended) = portal
        .pick("Flash sale drop (S3)", "Price-drop watchers")
        .await;
    let accepted = portal
        .activate(json!({&dlz: [&cart, &gamers]}), "activator-token", None)
        .await;
    assert_eq!(accepted.status(), StatusCode::OK);
    let accepted_id = crate::helpers::record_id(&accepted);
    let rejected = portal
        .activate(json!({&s3: [&ended]}), "activator-token", None)
        .await;
    assert_eq!(rejected.status(), StatusCode::UNPROCESSABLE_ENTITY);
    work(&portal).await;
    // The runs end: the cart abandoners' succeed, the gamers' fail (as the emulator has it).
    portal.advance(31).await;
    work(&portal).await;
    work(&portal).await;

    let hooks = receiver.at("/hook");
    let mut events: Vec<&str> = hooks.iter().map(|r| r.header("x-portal-event")).collect();
    events.sort_unstable();
    assert_eq!(
        events,
        [
            "activation.accepted",
            "activation.rejected",
            "run.failed",
            "run.succeeded"
        ]
    );
    for hook in &hooks {
        let body = hook.json();
        assert_eq!(
            hook.header("x-portal-signature"),
            format!(
                "sha256={}",
                proxy::notify::sign(&SecretString::from(SECRET), &hook.body)
            )
        );
        assert_eq!(hook.header("content-type"), "application/json");
        assert_eq!(body["deliveryId"], hook.header("x-portal-delivery"));
        assert_eq!(body["event"], hook.header("x-portal-event"));
        assert!(uuid::Uuid::parse_str(hook.header("x-portal-delivery")).is_ok());
        assert!(
            body["id"].is_string() && body["outcome"].is_string(),
            "{body}"
        );
        assert!(
            body["link"]
                .as_str()
                .unwrap()
                .starts_with("https://portal.example/history/")
        );
    }
    let run = |event: &str| {
        hooks
            .iter()
            .find(|r| r.header("x-portal-event") == event)
            .unwrap()
            .json()
    };
    let succeeded = run("run.succeeded");
    assert_eq!(succeeded["id"], accepted_id.as_str());
    assert_eq!(succeeded["outcome"], "accepted");
    assert_eq!(succeeded["dataflowId"], dlz.as_str());
    assert_eq!(succeeded["segmentId"], cart.as_str());
    assert_eq!(succeeded["status"], "success");
    assert!(succeeded["runId"].is_string());
    assert_eq!(succeeded["records"], 48_210 - 48_210 / 40);
    assert!(succeeded["files"].as_u64().unwrap() >= 1);
    assert_eq!(run("run.failed")["segmentId"], gamers.as_str());
    assert_eq!(run("activation.rejected")["outcome"], "rejected");

    // Slack hears the same four, as sentences with names and a link.
    let slack = receiver.at("/slack");
    assert_eq!(slack.len(), 4);
    let texts: Vec<String> = slack
        .iter()
        .map(|r| r.json()["text"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t
                .contains("marketer activated 2 segment(s) on Partner share (Data Landing Zone)")),
        "{texts:?}"
    );
    assert!(
        texts.iter().any(
            |t| t.contains("장바구니 이탈 고객 (7일) / Cart abandoners (7 days)")
                && t.contains("success")
        ),
        "{texts:?}"
    );
    assert!(
        texts
            .iter()
            .all(|t| t.contains("<https://portal.example/history/")),
        "{texts:?}"
    );
    assert!(
        slack
            .iter()
            .all(|r| r.headers.get("x-portal-signature").is_none())
    );

    // The record's detail lists its notifications as delivered.
    let detail: Value = portal
        .get_json(&format!("/api/history/{accepted_id}"), "viewer-token")
        .await;
    let notifications = detail["notifications"].as_array().unwrap();
    assert_eq!(
        notifications.len(),
        6,
        "accepted + 2 run ends, to each of two receivers"
    );
    assert!(
        notifications.iter().all(|n| n["state"] == "delivered"),
        "{notifications:?}"
    );
    assert!(
        notifications
            .iter()
            .any(|n| n["receiver"] == "slack 127.0.0.1")
    );
}

/// A portal with one accepted activation, its receivers answering `status`.
async fn activation_told_to_a_receiver_answering(status: u16) -> (Receiver, TestPortal, String) {
    let (receiver, url) = Receiver::start().await;
    receiver.answer(status);
    let portal = portal_notifying(&url).await;
    let (flow, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    let response = portal
        .activate(json!({&flow: [&vip]}), "activator-token", None)
        .await;
    let id = crate::helpers::record_id(&response);
    (receiver, portal, id)
}

#[tokio::test]
async fn a_receiver_that_was_down_gets_everything_once_it_is_back() {
    let (receiver, portal, id) = activation_told_to_a_receiver_answering(503).await;
    for _ in 0..3 {
        work(&portal).await;
        portal.advance(10).await;
    }
    let while_down = receiver.at("/hook");
    assert!(while_down.len() >= 2, "tried again while it was down");
    let first_id = while_down[0].header("x-portal-delivery").to_owned();
    assert!(
        while_down
            .iter()
            .all(|r| r.header("x-portal-delivery") == first_id),
        "one id on every retry"
    );
    let detail: Value = portal
        .get_json(&format!("/api/history/{id}"), "viewer-token")
        .await;
    let pending = &detail["notifications"][0];
    assert_eq!(pending["state"], "pending");
    assert!(
        pending["lastError"].as_str().unwrap().contains("503"),
        "{pending}"
    );

    receiver.answer(200);
    portal.advance(31).await;
    for _ in 0..4 {
        work(&portal).await;
        portal.advance(300).await;
    }
    let delivered: Vec<Received> = receiver
        .at("/hook")
        .into_iter()
        .skip(while_down.len())
        .collect();
    let mut ids: Vec<&str> = delivered
        .iter()
        .map(|r| r.header("x-portal-delivery"))
        .collect();
    ids.sort_unstable();
    let count = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), count, "each delivered once");
    let events: Vec<&str> = delivered
        .iter()
        .map(|r| r.header("x-portal-event"))
        .collect();
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events.contains(&"activation.accepted") && events.contains(&"run.succeeded"));
    assert!(
        delivered
            .iter()
            .any(|r| r.header("x-portal-delivery") == first_id)
    );
}

#[tokio::test]
async fn a_receiver_that_refuses_for_good_is_given_up_and_that_is_visible() {
    let (receiver, portal, id) = activation_told_to_a_receiver_answering(410).await;
    for _ in 0..8 {
        proxy::notify::enqueue_outcomes(&portal.state)
            .await
            .unwrap();
        proxy::notify::deliver_due(&portal.state).await.unwrap();
        portal.advance(60).await;
    }
    assert_eq!(
        receiver.at("/hook").len(),
        5,
        "given up after five refusals"
    );
    let detail: Value = portal
        .get_json(&format!("/api/history/{id}"), "viewer-token")
        .await;
    let given_up: Vec<&Value> = detail["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["receiver"] == "webhook 127.0.0.1")
        .collect();
    assert_eq!(given_up[0]["state"], "given_up");
    assert_eq!(given_up[0]["attempts"], 5);
    let metrics = portal.get_text("/metrics", "viewer-token").await;
    assert!(
        metrics.contains(
            "portal_notifications_total{event=\"activation.accepted\",outcome=\"given_up\"}"
        ),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_plan_that_waits_for_approval_says_so_and_then_its_outcome() {
    let (receiver, url) = Receiver::start().await;
    let portal = TestPortal::start_custom(
        crate::helpers::tokens(),
        proxy::config::ApiVersion::V2,
        proxy::InboundLimits::default(),
        |settings| {
            settings.receivers = proxy::notify::Receivers {
                webhooks: vec![format!("{url}/hook")],
                secret: Some(SecretString::from(SECRET)),
                slack: None,
            };
            settings.approvals.over_entries = Some(0);
        },
    )
    .await;
    let (flow, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    let response = portal
        .client
        .post(format!("{}/api/plans", portal.url))
        .bearer_auth("activator-token")
        .json(&json!({"activationInfo": {&flow: [&vip]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    work(&portal).await;
    work(&portal).await;
    let events: Vec<String> = receiver
        .at("/hook")
        .iter()
        .map(|r| r.header("x-portal-event").to_owned())
        .collect();
    assert_eq!(events, ["approval.requested"], "once, however many passes");
}
