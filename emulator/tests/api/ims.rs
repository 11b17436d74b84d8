use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::Platform;

type Form<'a> = &'a [(&'a str, &'a str)];

#[tokio::test]
async fn issues_a_bearer_token_valid_for_the_configured_seconds() {
    let platform = Platform::start().await;
    let response = platform
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", "demo-client-id"),
            ("client_secret", "demo-client-secret"),
            ("scope", "openid,AdobeID"),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 86_399);
    assert!(body["access_token"].as_str().unwrap().len() >= 32);
}

#[tokio::test]
async fn bad_credentials_get_oauth_errors() {
    let platform = Platform::start().await;
    let cases: &[(Form, StatusCode, &str)] = &[
        (
            &[
                ("grant_type", "password"),
                ("client_id", "demo-client-id"),
                ("client_secret", "demo-client-secret"),
                ("scope", "openid"),
            ],
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
        ),
        (
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "nope"),
                ("client_secret", "demo-client-secret"),
                ("scope", "openid"),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_client",
        ),
        (
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "demo-client-id"),
                ("client_secret", "wrong"),
                ("scope", "openid"),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_client",
        ),
        (
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "demo-client-id"),
                ("client_secret", "demo-client-secret"),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_scope",
        ),
        (
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "demo-client-id"),
                ("client_secret", "demo-client-secret"),
                ("scope", "openid,admin"),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_scope",
        ),
    ];
    for (form, status, error) in cases {
        let response = platform.token_request(form).await;
        assert_eq!(response.status(), *status, "{form:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], *error, "{form:?}");
        assert!(
            body["error_description"]
                .as_str()
                .is_some_and(|d| !d.is_empty())
        );
    }
}

#[tokio::test]
async fn parameters_may_come_in_the_query_string() {
    let platform = Platform::start().await;
    let response = platform
        .client
        .post(format!("{}/ims/token/v3", platform.url))
        .query(&[
            ("grant_type", "client_credentials"),
            ("client_id", "demo-client-id"),
            ("client_secret", "demo-client-secret"),
            ("scope", "openid"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "bearer");
}

#[tokio::test]
async fn tokens_expire_on_the_emulators_clock() {
    let platform = Platform::start().await;
    let flows = "/data/foundation/flowservice/flows";
    platform.get_json(flows).await;
    platform.advance(86_398).await;
    platform.get_json(flows).await;
    platform.advance(2).await;
    let response = platform
        .platform(reqwest::Method::GET, flows)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error_code"], "401013");
    assert_eq!(body["message"], "Oauth token is not valid");
}
