//! What a penetration test of the running portal probes: reads without a role, plans that would
//! cost thousands of Platform calls, floods, framing, cross-site bodies, slow clients.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use proxy::auth::HeaderAuth;
use proxy::{ApiVersion, AuthMode, InboundLimits};
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::portal::{HistoryPage, Role};

use crate::helpers::{ADHOCRUN, FLOWS, TestPortal, record_id, serve, tokens};

const ACTIVATOR: &str = "activator-token";

fn sso() -> AuthMode {
    AuthMode::Header(HeaderAuth {
        trusted_proxies: vec!["127.0.0.1".parse().unwrap()],
        user_header: "x-forwarded-user".into(),
        groups_header: "x-forwarded-groups".into(),
        group_roles: BTreeMap::from([("marketing".into(), vec![Role::Viewer, Role::Activator])]),
        shared_secret: None,
    })
}

#[tokio::test]
async fn an_sso_user_whose_groups_map_to_no_role_reads_nothing() {
    let portal = TestPortal::start_with(sso(), ApiVersion::V2).await;
    let as_guest = |path: &str| {
        portal
            .client
            .get(format!("{}{path}", portal.url))
            .header("x-forwarded-user", "guest")
            .header("x-forwarded-groups", "contractors")
            .send()
    };
    let before = portal.platform_log().await.len();
    for path in ["/api/history", "/api/history/anything", FLOWS] {
        let response = as_guest(path).await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
        let body: Value = response.json().await.unwrap();
        assert!(
            body["message"].as_str().unwrap().contains("no role"),
            "{body}"
        );
    }
    assert_eq!(
        portal.platform_log().await.len(),
        before,
        "nothing reached the Platform"
    );
    let session = as_guest("/api/session").await.unwrap();
    assert_eq!(
        session.status(),
        StatusCode::OK,
        "the session says who and that no role"
    );
    let member = portal
        .client
        .get(format!("{}/api/history", portal.url))
        .header("x-forwarded-user", "kim")
        .header("x-forwarded-groups", "marketing")
        .send()
        .await
        .unwrap();
    assert_eq!(member.status(), StatusCode::OK);
}

/// 1,000 dataflows of one segment each: an entry count far past the limit.
fn oversized_plan() -> Value {
    let plan: serde_json::Map<String, Value> = (0..1_000)
        .map(|i| (format!("flow-{i:04}"), json!([format!("segment-{i}")])))
        .collect();
    Value::Object(plan)
}

#[tokio::test]
async fn an_oversized_plan_is_refused_before_any_platform_call_and_kept_truncated() {
    let portal = TestPortal::start().await;
    let before = portal.platform_log().await.len();
    let response = portal.activate(oversized_plan(), ACTIVATOR, None).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["violations"][0]["code"], "TOO_MANY_ENTRIES", "{body}");
    assert_eq!(body["violations"][0]["count"], 1_000);
    assert_eq!(
        portal.platform_log().await.len(),
        before,
        "no Platform call at all"
    );
    let history: HistoryPage = portal.get_json("/api/history", ACTIVATOR).await;
    let kept: usize = history.items[0]
        .activation_info
        .values()
        .map(Vec::len)
        .sum();
    assert_eq!(kept, 100, "the history keeps the first 100 entries");
}

#[tokio::test]
async fn activations_are_limited_per_user_per_minute() {
    let portal = TestPortal::start().await;
    for _ in 0..30 {
        let refused = portal.activate(oversized_plan(), ACTIVATOR, None).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let limited = portal.activate(oversized_plan(), ACTIVATOR, None).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(
        limited.json::<Value>().await.unwrap()["code"],
        "RATE_LIMITED"
    );
    // A minute later on the portal's clock the user may activate again.
    portal.advance(61).await;
    let again = portal.activate(oversized_plan(), ACTIVATOR, None).await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn pages_and_answers_carry_headers_against_framing_sniffing_and_caching() {
    let portal = TestPortal::start().await;
    for path in ["/", "/history", "/api/session", "/api/nothing-here"] {
        let response = portal.get(path, ACTIVATOR).send().await.unwrap();
        let headers = response.headers();
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{path}: {policy}"
        );
        assert!(
            policy.contains("script-src 'self' 'wasm-unsafe-eval'"),
            "{policy}"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        if path.starts_with("/api/") {
            assert_eq!(headers["cache-control"], "no-store", "{path}");
        }
    }
}

#[tokio::test]
async fn cross_site_bodies_and_origins_are_refused() {
    let portal = TestPortal::start().await;
    let (flow, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    let body = json!({"activationInfo": {&flow: [&vip]}}).to_string();
    for content_type in ["text/plain", "application/x-www-form-urlencoded"] {
        let response = portal
            .client
            .post(format!("{}{ADHOCRUN}", portal.url))
            .bearer_auth(ACTIVATOR)
            .header("content-type", content_type)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type}"
        );
    }
    let null_origin = portal
        .client
        .post(format!("{}{ADHOCRUN}", portal.url))
        .bearer_auth(ACTIVATOR)
        .header("origin", "null")
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(null_origin.status(), StatusCode::FORBIDDEN);
    assert_eq!(portal.activations_received().await, 0);
}

fn quick_limits() -> InboundLimits {
    InboundLimits {
        header_read_timeout: Duration::from_millis(500),
        body_timeout: Duration::from_millis(500),
        request_timeout: Duration::from_secs(5),
        max_connections: 2,
    }
}

fn connect(portal: &TestPortal) -> TcpStream {
    let stream = TcpStream::connect(portal.url.trim_start_matches("http://")).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
}

/// Everything the server sends until it closes the connection or 5 s pass.
fn read_all(stream: &mut TcpStream) -> String {
    let mut text = Vec::new();
    let _ = stream.read_to_end(&mut text);
    String::from_utf8_lossy(&text).into_owned()
}

/// Connects, writes `request` (whole or cut short) and reads the answer: what came back and how
/// long it took, connecting included.
async fn send_raw(portal: &TestPortal, request: Vec<u8>) -> (String, Duration) {
    let started = Instant::now();
    let mut stream = connect(portal);
    let answer = tokio::task::spawn_blocking(move || {
        stream.write_all(&request).unwrap();
        read_all(&mut stream)
    })
    .await
    .unwrap();
    (answer, started.elapsed())
}

#[tokio::test]
async fn a_client_sending_its_headers_slowly_is_cut_off() {
    let portal = TestPortal::start_with_limits(tokens(), ApiVersion::V2, quick_limits()).await;
    let (answer, took) = send_raw(&portal, b"GET /healthz HTTP/1.1\r\nHost: x\r\n".to_vec()).await;
    assert!(took < Duration::from_secs(3), "held for {took:?}");
    assert!(!answer.contains("200 OK"), "{answer}");
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_cut_off() {
    let portal = TestPortal::start_with_limits(tokens(), ApiVersion::V2, quick_limits()).await;
    let stalled = format!(
        "POST {ADHOCRUN} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ACTIVATOR}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"activ"
    );
    let (answer, took) = send_raw(&portal, stalled.into_bytes()).await;
    assert!(took < Duration::from_secs(3), "held for {took:?}");
    assert!(answer.starts_with("HTTP/1.1 4"), "{answer}");
    assert_eq!(portal.activations_received().await, 0);
}

#[tokio::test]
async fn connections_past_the_cap_wait_for_a_free_one() {
    let portal = TestPortal::start_with_limits(
        tokens(),
        ApiVersion::V2,
        InboundLimits {
            header_read_timeout: Duration::from_secs(2),
            ..quick_limits()
        },
    )
    .await;
    // Two idle connections take both places.
    let idle = [connect(&portal), connect(&portal)];
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (answer, waited) = send_raw(
        &portal,
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec(),
    )
    .await;
    drop(idle);
    assert!(answer.contains("200 OK"), "{answer}");
    // Served only when the idle ones were cut off by the header timeout.
    assert!(
        waited >= Duration::from_millis(1_500),
        "served after {waited:?}"
    );
}

#[tokio::test]
async fn an_idempotency_key_belongs_to_the_user_who_sent_it() {
    let second_activator = proxy::auth::TokenUser {
        name: "colleague".into(),
        sha256: proxy::auth::sha256_hex("colleague-token"),
        roles: vec![Role::Viewer, Role::Activator],
    };
    let AuthMode::Token(mut users) = tokens() else {
        unreachable!("tokens() is token mode")
    };
    users.push(second_activator);
    let portal = TestPortal::start_with(AuthMode::Token(users), ApiVersion::V2).await;
    let (flow, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    let (_, gold) = portal
        .pick("Flash sale drop (S3)", "Cart abandoners (7 days)")
        .await;
    let mine = portal
        .activate(json!({&flow: [&vip]}), ACTIVATOR, Some("shared-key"))
        .await;
    assert_eq!(mine.status(), StatusCode::OK);
    let mine: Value = mine.json().await.unwrap();
    // The same key from another user with another plan is theirs to use, not a conflict...
    let theirs = portal
        .activate(
            json!({&flow: [&gold]}),
            "colleague-token",
            Some("shared-key"),
        )
        .await;
    assert_eq!(theirs.status(), StatusCode::OK);
    // ...and with my plan it starts nothing and is not answered with my activation.
    let copy = portal
        .activate(
            json!({&flow: [&vip]}),
            "colleague-token",
            Some("shared-key"),
        )
        .await;
    assert_ne!(copy.json::<Value>().await.unwrap(), mine);
    assert_eq!(portal.activations_received().await, 2);
}

#[tokio::test]
async fn the_reconciler_adopts_only_runs_started_soon_after_the_record() {
    let portal = TestPortal::start().await;
    let (flow, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    // An activation now whose run exists but whose answer was lost...
    let response = portal
        .activate(json!({&flow: [&vip]}), ACTIVATOR, None)
        .await;
    let fresh = record_id(&response);
    portal.forget_answer(&fresh).await;
    // ...and one of the same segment half an hour ago, its answer lost too.
    portal
        .insert_unknown(
            "half-an-hour-ago",
            shared::time::EpochMillis(portal.state.clock().now().0 - 30 * 60_000),
            [(flow.clone(), vec![vip.clone()])].into(),
        )
        .await;
    proxy::reconcile::reconcile_all(&portal.state)
        .await
        .unwrap();
    let stale = portal.state_store_record("half-an-hour-ago").await;
    assert_eq!(
        stale.outcome,
        shared::portal::Outcome::Failed,
        "today's run is not its run"
    );
    let fresh = portal.state_store_record(&fresh).await;
    assert_eq!(fresh.outcome, shared::portal::Outcome::Accepted);
    assert_eq!(fresh.orders.len(), 1);
}

#[tokio::test]
async fn the_portal_follows_no_redirect_with_the_client_secret() {
    use axum::routing::{any, post};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let stolen = Arc::new(AtomicUsize::new(0));
    let thief = serve(axum::Router::new().route(
        "/{*path}",
        any({
            let stolen = stolen.clone();
            move || async move {
                stolen.fetch_add(1, Ordering::SeqCst);
                "thanks"
            }
        }),
    ))
    .await;
    let ims = serve(axum::Router::new().route(
        "/ims/token/v3",
        post(move || async move {
            (
                StatusCode::TEMPORARY_REDIRECT,
                [("location", format!("{thief}/collect"))],
            )
        }),
    ))
    .await;
    let portal = TestPortal::start_against(|platform| {
        platform.ims_url = ims;
    })
    .await;
    let response = portal.get(FLOWS, "viewer-token").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        stolen.load(Ordering::SeqCst),
        0,
        "the secret went nowhere else"
    );
}

#[tokio::test]
async fn an_endless_platform_answer_is_cut_off_not_buffered() {
    use axum::routing::get;
    let huge = serve(axum::Router::new().route(
        "/data/foundation/flowservice/flows",
        get(|| async {
            (
                [("content-type", "application/json")],
                vec![b' '; 40 * 1024 * 1024],
            )
        }),
    ))
    .await;
    let portal = TestPortal::start_against(|platform| {
        // IMS stays the emulator's; only the Platform answers without end.
        platform.platform_url = huge;
    })
    .await;
    let response = portal.get(FLOWS, "viewer-token").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("larger than"),
        "{body}"
    );
}

/// An answer that does not say its length is passed on as it arrives, and cut off at the cap:
/// the browser sees a broken body, and the portal never held more than a chunk of it.
#[tokio::test]
async fn a_streamed_answer_without_a_length_is_cut_off_at_the_cap() {
    use axum::routing::get;
    let endless = serve(axum::Router::new().route(
        "/data/foundation/flowservice/flows",
        get(|| async {
            let chunk = axum::body::Bytes::from(vec![b' '; 1024 * 1024]);
            let chunks = futures::stream::repeat_with(move || {
                Ok::<_, std::convert::Infallible>(chunk.clone())
            });
            (
                [("content-type", "application/json")],
                axum::body::Body::from_stream(chunks),
            )
        }),
    ))
    .await;
    let portal = TestPortal::start_against(|platform| platform.platform_url = endless).await;
    let mut response = portal.get(FLOWS, "viewer-token").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "the head was passed on");
    let mut received = 0;
    let ended = loop {
        match response.chunk().await {
            Ok(Some(chunk)) => received += chunk.len(),
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    assert!(ended.is_err(), "the body must end broken, not complete");
    assert!(
        received <= 33 * 1024 * 1024,
        "{received} bytes passed the 32 MiB cap"
    );
    assert!(
        received >= 16 * 1024 * 1024,
        "only {received} bytes: the stream was cut early"
    );
}

#[tokio::test]
async fn a_platform_answer_that_is_not_json_is_not_passed_to_the_browser() {
    use axum::routing::get;
    let html = serve(axum::Router::new().route(
        "/data/foundation/flowservice/flows",
        get(|| async {
            (
                [("content-type", "text/html")],
                "<script>alert(document.cookie)</script>",
            )
        }),
    ))
    .await;
    let portal = TestPortal::start_against(|platform| platform.platform_url = html).await;
    let response = portal.get(FLOWS, "viewer-token").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body = response.text().await.unwrap();
    assert!(!body.contains("<script>"), "{body}");
    assert!(body.contains("not JSON"), "{body}");
}

#[tokio::test]
async fn a_request_past_its_deadline_is_answered_504_with_its_id_and_counted() {
    let portal = TestPortal::start_with_limits(
        tokens(),
        ApiVersion::V2,
        InboundLimits {
            request_timeout: Duration::from_millis(500),
            ..quick_limits()
        },
    )
    .await;
    portal.set_faults(json!({"latencyMs": 3000})).await;
    let started = Instant::now();
    let response = portal
        .get(FLOWS, ACTIVATOR)
        .header("x-request-id", "slow-flows-1")
        .send()
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // Not 408, which browsers send again by themselves on a kept-alive connection.
    assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
    let headers = response.headers();
    assert_eq!(headers["x-request-id"], "slow-flows-1");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "DEADLINE_EXCEEDED", "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("within 500 ms") && message.contains("history"),
        "{body}"
    );

    portal.set_faults(json!({})).await;
    let metrics = portal.get_text("/metrics", ACTIVATOR).await;
    assert!(
        metrics.contains(r#"route="/api/platform/{*path}",status="504""#),
        "{metrics}"
    );
}
