use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::Platform;

const FLOWS: &str = "/data/foundation/flowservice/flows";

type Headers<'a> = Vec<(&'a str, &'a str)>;

#[tokio::test]
async fn missing_or_wrong_headers_get_the_gateways_documented_answers() {
    let platform = Platform::start().await;
    let url = format!("{}{FLOWS}", platform.url);
    let token = format!("Bearer {}", platform.token);
    let org = emulator::ORG_ID;
    let cases: Vec<(Headers, StatusCode, Value)> = vec![
        (
            vec![("x-api-key", "demo-client-id"), ("x-gw-ims-org-id", org)],
            StatusCode::FORBIDDEN,
            json!({"error_code": "403010", "message": "Oauth token is missing."}),
        ),
        (
            vec![("authorization", &token), ("x-gw-ims-org-id", org)],
            StatusCode::FORBIDDEN,
            json!({"error_code": "403000", "message": "Api Key is required"}),
        ),
        (
            vec![
                ("authorization", &token),
                ("x-api-key", "other"),
                ("x-gw-ims-org-id", org),
            ],
            StatusCode::FORBIDDEN,
            json!({"error_code": "403003", "message": "Api Key is invalid"}),
        ),
        (
            vec![
                ("authorization", "Bearer forged"),
                ("x-api-key", "demo-client-id"),
                ("x-gw-ims-org-id", org),
            ],
            StatusCode::UNAUTHORIZED,
            json!({"error_code": "401013", "message": "Oauth token is not valid"}),
        ),
        (
            vec![("authorization", &token), ("x-api-key", "demo-client-id")],
            StatusCode::BAD_REQUEST,
            json!({"error_code": "400003", "message": "Missing header"}),
        ),
        (
            vec![
                ("authorization", &token),
                ("x-api-key", "demo-client-id"),
                ("x-gw-ims-org-id", "OTHER@AdobeOrg"),
            ],
            StatusCode::FORBIDDEN,
            json!({"error_code": "403025", "message": "Profile is not valid"}),
        ),
    ];
    for (headers, status, body) in cases {
        let mut request = platform.client.get(&url);
        for (name, value) in &headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), status, "{headers:?}");
        assert_eq!(response.json::<Value>().await.unwrap(), body, "{headers:?}");
    }
}

#[tokio::test]
async fn the_sandbox_header_selects_the_sandbox() {
    let platform = Platform::start().await;
    // Built by hand: the helper already sends `x-sandbox-name: prod`.
    let response = platform
        .client
        .get(format!("{}{FLOWS}", platform.url))
        .bearer_auth(&platform.token)
        .header("x-api-key", "demo-client-id")
        .header("x-gw-ims-org-id", emulator::ORG_ID)
        .header("x-sandbox-name", "dev-42")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: Value = response.json().await.unwrap();
    assert!(body["detail"].as_str().unwrap().contains("x-sandbox-name"));
}

#[tokio::test]
async fn injected_faults_fail_the_chosen_share_of_a_route_and_are_logged() {
    let platform = Platform::start().await;
    let faults = json!({"errorRates": {format!("GET {FLOWS}"): 0.5}, "errorStatus": 503});
    platform
        .client
        .put(format!("{}/emulator/faults", platform.url))
        .json(&faults)
        .send()
        .await
        .unwrap();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(
            platform
                .platform(Method::GET, FLOWS)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 503).count(),
        2,
        "{statuses:?}"
    );
    let other = platform
        .platform(Method::GET, "/data/core/ups/audiences")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::OK);
    let logged = platform.requests().await;
    assert_eq!(
        logged
            .iter()
            .filter(|r| r["route"] == format!("GET {FLOWS}"))
            .count(),
        4
    );
}

#[tokio::test]
async fn an_ims_outage_answers_503_and_expired_tokens_are_refused() {
    let platform = Platform::start().await;
    platform
        .client
        .put(format!("{}/emulator/faults", platform.url))
        .json(&json!({"imsOutage": true}))
        .send()
        .await
        .unwrap();
    let response = platform
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", "demo-client-id"),
            ("client_secret", "demo-client-secret"),
            ("scope", "openid"),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    platform
        .client
        .post(format!("{}/emulator/tokens/expire", platform.url))
        .send()
        .await
        .unwrap();
    let refused = platform.platform(Method::GET, FLOWS).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
}
