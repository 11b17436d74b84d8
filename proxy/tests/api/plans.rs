//! `POST /api/plans`: now, at a set time (checked again then, waiting out what passes within the
//! grace period, sent once however many workers look), with another activator's approval,
//! cancelled, retried.

use proxy::InboundLimits;
use proxy::auth::{AuthMode, TokenUser};
use proxy::config::ApiVersion;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use shared::portal::Role;

use crate::helpers::{TestPortal, tokens};

const ACTIVATOR: &str = "activator-token";
const COLLEAGUE: &str = "colleague-token";

fn with_colleague() -> AuthMode {
    let AuthMode::Token(mut users) = tokens() else {
        unreachable!("tokens() is token mode")
    };
    users.push(TokenUser {
        name: "colleague".into(),
        sha256: proxy::auth::sha256_hex(COLLEAGUE),
        roles: vec![Role::Viewer, Role::Activator],
    });
    AuthMode::Token(users)
}

async fn post(portal: &TestPortal, path: &str, token: &str, body: Value) -> Response {
    portal
        .client
        .post(format!("{}{path}", portal.url))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn post_json(portal: &TestPortal, path: &str, token: &str, body: Value) -> Value {
    post(portal, path, token, body).await.json().await.unwrap()
}

/// RFC 3339 for `seconds` from the test's start, in Korean time.
/// `seconds` after the portal's (manual) clock, as a time in Seoul: the wall clock has moved on
/// since the portal started, and a plan for "in an hour" must be due after `advance(3600)`.
fn in_seconds(portal: &TestPortal, seconds: i64) -> String {
    let at = portal.state.clock().now().plus_seconds(seconds + 9 * 3600);
    let (h, m, s) = at.utc_time_of_day();
    format!("{}T{h:02}:{m:02}:{s:02}+09:00", at.utc_date())
}

async fn record(portal: &TestPortal, id: &str) -> Value {
    portal
        .get_json::<Value>(&format!("/api/history/{id}"), ACTIVATOR)
        .await["record"]
        .clone()
}

#[tokio::test]
async fn a_plan_now_is_answered_with_its_record() {
    let portal = TestPortal::start().await;
    let (flow, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    let response = post(
        &portal,
        "/api/plans",
        ACTIVATOR,
        json!({"activationInfo": {&flow: [&vip]}, "note": "flash sale"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(
        response.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/api/history/")
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["outcome"], "accepted");
    assert_eq!(body["orders"].as_array().unwrap().len(), 1);
    assert_eq!(body["plan"]["note"], "flash sale");
    assert_eq!(portal.activations_received().await, 1);
    let past = post(
        &portal,
        "/api/plans",
        ACTIVATOR,
        json!({"activationInfo": {&flow: [&vip]}, "runAt": in_seconds(&portal, -3600)}),
    )
    .await;
    assert_eq!(past.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_scheduled_plan_is_sent_at_its_time_once_however_many_look() {
    let portal = TestPortal::start().await;
    let (flow, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    let response = post(
        &portal,
        "/api/plans",
        ACTIVATOR,
        json!({"activationInfo": {&flow: [&vip]}, "runAt": in_seconds(&portal, 3600)}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["outcome"], "scheduled");
    let id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        body["names"]["segments"][&vip],
        "여름 VIP 고객 / Summer VIP shoppers"
    );
    proxy::plans::run_due(&portal.state).await.unwrap();
    assert_eq!(
        portal.activations_received().await,
        0,
        "not before its time"
    );

    portal.advance(3600).await;
    // Two workers (two replicas, or a restarted one) at once: one sends it.
    let (a, b) = tokio::join!(
        proxy::plans::run_due(&portal.state),
        proxy::plans::run_due(&portal.state)
    );
    a.unwrap();
    b.unwrap();
    proxy::plans::run_due(&portal.state).await.unwrap();
    assert_eq!(portal.activations_received().await, 1);
    assert_eq!(record(&portal, &id).await["outcome"], "accepted");
}

#[tokio::test]
async fn a_scheduled_plan_waits_out_what_passes_and_is_refused_after_its_grace() {
    let portal = TestPortal::start().await;
    // "Loyalty gold members" runs for the first half hour; "Holiday gift seekers" was mapped
    // minutes ago and waits an hour.
    let (flow, gold) = portal
        .pick("Flash sale drop (S3)", "Loyalty gold members")
        .await;
    let (_, holiday) = portal
        .pick("Flash sale drop (S3)", "Holiday gift seekers")
        .await;
    let busy = post(
        &portal,
        "/api/plans",
        ACTIVATOR,
        json!({"activationInfo": {&flow: [&gold]}, "runAt": in_seconds(&portal, 60)}),
    )
    .await;
    let busy_id = busy.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let waiting = post(
        &portal,
        "/api/plans",
        ACTIVATOR,
        json!({"activationInfo": {&flow: [&holiday]}, "runAt": in_seconds(&portal, 60)}),
    )
    .await;
    let waiting_id = waiting.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    portal.advance(120).await;
    proxy::plans::run_due(&portal.state).await.unwrap();
    assert_eq!(portal.activations_received().await, 0);
    assert_eq!(
        record(&portal, &busy_id).await["outcome"],
        "scheduled",
        "it waits"
    );

    // The run has ended (30 min): the first is sent; the second's wait (55 min) outlasts its
    // grace (30 min past its time), so it is refused, with the reason.
    portal.advance(30 * 60).await;
    proxy::plans::run_due(&portal.state).await.unwrap();
    assert_eq!(record(&portal, &busy_id).await["outcome"], "accepted");
    let refused = record(&portal, &waiting_id).await;
    assert_eq!(refused["outcome"], "rejected");
    assert_eq!(
        refused["error"]["violations"][0]["code"],
        "FIRST_ACTIVATION_WAIT"
    );
    assert_eq!(portal.activations_received().await, 1);
}

#[tokio::test]
async fn a_scheduled_plan_can_be_cancelled_until_it_is_sent() {
    let portal = TestPortal::start().await;
    let (flow, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    let body: Value = post_json(
        &portal,
        "/api/plans",
        ACTIVATOR,
        json!({"activationInfo": {&flow: [&vip]}, "runAt": in_seconds(&portal, 600)}),
    )
    .await;
    let id = body["id"].as_str().unwrap().to_owned();
    let cancelled = post(
        &portal,
        &format!("/api/history/{id}/cancel"),
        ACTIVATOR,
        json!({}),
    )
    .await;
    assert_eq!(
        cancelled.status(),
        StatusCode::CREATED
            .min(StatusCode::OK)
            .max(cancelled.status())
    );
    let cancelled: Value = cancelled.json().await.unwrap();
    assert_eq!(cancelled["outcome"], "cancelled");
    assert_eq!(cancelled["plan"]["cancelledBy"], "marketer");
    portal.advance(600).await;
    proxy::plans::run_due(&portal.state).await.unwrap();
    assert_eq!(portal.activations_received().await, 0);
    let again = post(
        &portal,
        &format!("/api/history/{id}/cancel"),
        ACTIVATOR,
        json!({}),
    )
    .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_large_plan_waits_for_another_activators_approval() {
    let portal = TestPortal::start_custom(
        with_colleague(),
        ApiVersion::V2,
        InboundLimits::default(),
        |settings| {
            settings.approvals.over_entries = Some(1);
        },
    )
    .await;
    let (flow, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    let (_, cart) = portal
        .pick("Flash sale drop (S3)", "Cart abandoners (7 days)")
        .await;
    let (_, rainy) = portal
        .pick("Flash sale drop (S3)", "Rainy-day umbrella buyers")
        .await;
    let body: Value = post_json(
        &portal,
        "/api/plans",
        ACTIVATOR,
        json!({"activationInfo": {&flow: [&vip, &cart]}}),
    )
    .await;
    assert_eq!(body["outcome"], "awaiting_approval");
    let id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(portal.activations_received().await, 0);

    let own = post(
        &portal,
        &format!("/api/history/{id}/approve"),
        ACTIVATOR,
        json!({}),
    )
    .await;
    assert_eq!(own.status(), StatusCode::FORBIDDEN);
    assert_eq!(own.json::<Value>().await.unwrap()["code"], "SELF_APPROVAL");
    let approved = post(
        &portal,
        &format!("/api/history/{id}/approve"),
        COLLEAGUE,
        json!({}),
    )
    .await;
    let approved: Value = approved.json().await.unwrap();
    assert_eq!(approved["outcome"], "accepted");
    assert_eq!(approved["plan"]["decision"]["by"], "colleague");
    assert_eq!(approved["plan"]["decision"]["approved"], true);
    assert_eq!(portal.activations_received().await, 1);
    let twice = post(
        &portal,
        &format!("/api/history/{id}/approve"),
        COLLEAGUE,
        json!({}),
    )
    .await;
    assert!(twice.status().is_success(), "approving twice is harmless");
    assert_eq!(portal.activations_received().await, 1);

    // Another one, rejected with a reason: never sent.
    let body: Value = post_json(
        &portal,
        "/api/plans",
        ACTIVATOR,
        json!({"activationInfo": {&flow: [&rainy, &cart]}}),
    )
    .await;
    let second = body["id"].as_str().unwrap().to_owned();
    let no_reason = post(
        &portal,
        &format!("/api/history/{second}/reject"),
        COLLEAGUE,
        json!({}),
    )
    .await;
    assert_eq!(no_reason.status(), StatusCode::BAD_REQUEST);
    let rejected: Value = post_json(
        &portal,
        &format!("/api/history/{second}/reject"),
        COLLEAGUE,
        json!({"reason": "not during the freeze"}),
    )
    .await;
    assert_eq!(rejected["error"]["code"], "APPROVAL_REJECTED", "{rejected}");
    let stored = record(&portal, &second).await;
    assert_eq!(stored["outcome"], "rejected");
    assert_eq!(
        stored["plan"]["decision"]["reason"],
        "not during the freeze"
    );
    assert!(
        stored["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not during the freeze")
    );
    assert_eq!(portal.activations_received().await, 1);
}

#[tokio::test]
async fn a_retry_sends_the_failed_orders_again_linked_to_the_first() {
    let portal = TestPortal::start().await;
    let (flow, cart) = portal
        .pick(
            "Partner share (Data Landing Zone)",
            "Cart abandoners (7 days)",
        )
        .await;
    let (_, gamers) = portal
        .pick("Partner share (Data Landing Zone)", "Gamers")
        .await;
    let first: Value = post_json(
        &portal,
        "/api/plans",
        ACTIVATOR,
        json!({"activationInfo": {&flow: [&cart, &gamers]}}),
    )
    .await;
    let id = first["id"].as_str().unwrap().to_owned();
    let early = post(
        &portal,
        &format!("/api/history/{id}/retry"),
        ACTIVATOR,
        json!({}),
    )
    .await;
    assert_eq!(
        early.status(),
        StatusCode::CONFLICT,
        "nothing has failed yet"
    );
    portal.advance(31).await;
    let retried = post(
        &portal,
        &format!("/api/history/{id}/retry"),
        ACTIVATOR,
        json!({}),
    )
    .await;
    assert_eq!(retried.status(), StatusCode::CREATED);
    let retried: Value = retried.json().await.unwrap();
    assert_eq!(retried["plan"]["retryOf"], id.as_str());
    assert_eq!(
        retried["activationInfo"],
        json!({&flow: [&gamers]}),
        "only the failed order"
    );
    assert_eq!(retried["outcome"], "accepted");
}

#[tokio::test]
async fn a_scheduled_plan_whose_answer_was_lost_is_found_where_it_was_sent() {
    let portal = TestPortal::start().await;
    let (flow, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    let body: Value = post_json(
        &portal,
        "/api/plans",
        ACTIVATOR,
        json!({"activationInfo": {&flow: [&vip]}, "runAt": in_seconds(&portal, 2 * 3600)}),
    )
    .await;
    let id = body["id"].as_str().unwrap().to_owned();
    portal.advance(2 * 3600).await;
    proxy::plans::run_due(&portal.state).await.unwrap();
    // As if the portal had stopped between the Platform's answer and writing it down.
    portal.forget_answer(&id).await;
    proxy::reconcile::reconcile_all(&portal.state)
        .await
        .unwrap();
    let found = record(&portal, &id).await;
    assert_eq!(
        found["outcome"], "accepted",
        "its run, started two hours after the plan was made: {found}"
    );
    assert_eq!(found["orders"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_plan_over_the_limit_is_split_into_jobs_sent_one_after_another() {
    let portal = TestPortal::start().await;
    let flows: Value = portal
        .get_json(
            "/api/platform/data/foundation/flowservice/flows?property=inheritedAttributes.properties.isDestinationFlow==true",
            ACTIVATOR,
        )
        .await;
    let bulk = flows["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "Bulk QA export (S3)")
        .unwrap()
        .clone();
    let segments: Vec<Value> =
        bulk["transformations"][0]["params"]["segmentSelectors"]["selectors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["value"]["id"].clone())
            .collect();
    assert_eq!(segments.len(), 90);
    let plan = json!({"activationInfo": {bulk["id"].as_str().unwrap(): segments}, "split": true});
    let response = post(&portal, "/api/plans", ACTIVATOR, plan).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["outcome"], "queued");
    let id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        body["plan"]["parts"].as_array().unwrap().len(),
        2,
        "80 and 10"
    );

    proxy::plans::run_due(&portal.state).await.unwrap();
    assert_eq!(portal.activations_received().await, 1, "one part a pass");
    proxy::plans::run_due(&portal.state).await.unwrap();
    proxy::plans::run_due(&portal.state).await.unwrap();
    assert_eq!(portal.activations_received().await, 2);
    let detail: Value = portal
        .get_json(&format!("/api/history/{id}"), ACTIVATOR)
        .await;
    assert_eq!(detail["record"]["outcome"], "accepted");
    // The parts carry the orders; the plan only its outcome.
    assert_eq!(detail["record"]["orders"].as_array().map_or(0, Vec::len), 0);
    let parts = detail["parts"].as_array().unwrap();
    let sizes: Vec<usize> = parts
        .iter()
        .map(|p| {
            p["activationInfo"]
                .as_object()
                .unwrap()
                .values()
                .map(|s| s.as_array().unwrap().len())
                .sum()
        })
        .collect();
    assert_eq!(sizes, [80, 10]);
    assert!(
        parts
            .iter()
            .all(|p| p["outcome"] == "accepted" && p["plan"]["partOf"] == id.as_str())
    );
}

#[tokio::test]
async fn a_split_plan_sends_free_segments_now_and_a_running_one_when_it_is_free() {
    let portal = TestPortal::start().await;
    let (flow, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    let (_, gold) = portal
        .pick("Flash sale drop (S3)", "Loyalty gold members")
        .await;
    let (_, ended) = portal
        .pick("Flash sale drop (S3)", "Price-drop watchers")
        .await;
    // Something a split does not mend refuses the plan at once.
    let refused = post(
        &portal,
        "/api/plans",
        ACTIVATOR,
        json!({"activationInfo": {&flow: [&vip, &ended]}, "split": true}),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let body: Value = post_json(
        &portal,
        "/api/plans",
        ACTIVATOR,
        json!({"activationInfo": {&flow: [&gold, &vip]}, "split": true}),
    )
    .await;
    assert_eq!(body["outcome"], "queued");
    let id = body["id"].as_str().unwrap().to_owned();
    proxy::plans::run_due(&portal.state).await.unwrap();
    proxy::plans::run_due(&portal.state).await.unwrap();
    assert_eq!(
        portal.activations_received().await,
        1,
        "the free segment's part"
    );
    assert_eq!(
        record(&portal, &id).await["outcome"],
        "queued",
        "the running one waits"
    );
    portal.advance(30 * 60).await;
    proxy::plans::run_due(&portal.state).await.unwrap();
    assert_eq!(portal.activations_received().await, 2);
    assert_eq!(record(&portal, &id).await["outcome"], "accepted");
}

#[tokio::test]
async fn a_plan_for_later_that_could_never_pass_is_refused_now() {
    let portal = TestPortal::start().await;
    let (flow, ended) = portal
        .pick("Flash sale drop (S3)", "Price-drop watchers")
        .await;
    let response = post(
        &portal,
        "/api/plans",
        ACTIVATOR,
        json!({"activationInfo": {&flow: [&ended]}, "runAt": in_seconds(&portal, 3600)}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["violations"][0]["code"], "OUT_OF_SCHEDULE");
    let history: Value = portal
        .get_json("/api/history?outcome=rejected", ACTIVATOR)
        .await;
    assert_eq!(
        history["items"].as_array().unwrap().len(),
        1,
        "the refusal is in the audit"
    );
}

#[tokio::test]
async fn a_plan_an_approver_rejected_is_not_retried_and_a_retry_needs_approval_too() {
    let portal = TestPortal::start_custom(
        with_colleague(),
        ApiVersion::V2,
        InboundLimits::default(),
        |settings| {
            settings.approvals.over_entries = Some(0);
        },
    )
    .await;
    let (flow, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    let body: Value = post_json(
        &portal,
        "/api/plans",
        ACTIVATOR,
        json!({"activationInfo": {&flow: [&vip]}}),
    )
    .await;
    let id = body["id"].as_str().unwrap().to_owned();
    post(
        &portal,
        &format!("/api/history/{id}/reject"),
        COLLEAGUE,
        json!({"reason": "no"}),
    )
    .await;
    let retry = post(
        &portal,
        &format!("/api/history/{id}/retry"),
        ACTIVATOR,
        json!({}),
    )
    .await;
    assert_eq!(retry.status(), StatusCode::CONFLICT);
    // A cancelled plan's retry waits for approval like the plan did.
    let body: Value = post_json(
        &portal,
        "/api/plans",
        ACTIVATOR,
        json!({"activationInfo": {&flow: [&vip]}}),
    )
    .await;
    let second = body["id"].as_str().unwrap().to_owned();
    post(
        &portal,
        &format!("/api/history/{second}/cancel"),
        ACTIVATOR,
        json!({}),
    )
    .await;
    let retried: Value = post_json(
        &portal,
        &format!("/api/history/{second}/retry"),
        ACTIVATOR,
        json!({}),
    )
    .await;
    assert_eq!(retried["outcome"], "awaiting_approval");
    assert_eq!(portal.activations_received().await, 0);
}
