use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::TestPortal;

/// A few hundred calls that are not on the allowlist, built from bad methods, bad paths and
/// tricks on good paths.
fn bad_calls() -> Vec<(Method, String)> {
    let good = [
        "/data/foundation/flowservice/flows",
        "/data/foundation/flowservice/runs",
        "/data/core/ups/segment/definitions",
        "/data/core/ups/audiences",
        "/data/core/ups/export/jobs",
        "/data/core/activation/disflowprovider/adhocrun",
    ];
    let tricks = [
        "/..",
        "/../../etc/passwd",
        "/%2e%2e",
        "/a%2Fb",
        "/%2F",
        "/",
        "//",
        "/a/b",
        "/.",
        "/%00",
        "/https:%2F%2Fevil.example",
        "X",
        "/ok/",
        "/%2e",
        "/..%2f",
        "/%252e%252e",
        "/a;b",
        "/a@evil",
        "/a\\b",
        "/%5c",
        "/id/",
        "/.%2e/",
        "/a b",
    ];
    let long_id = format!("/{}", "a".repeat(129));
    let mut calls = Vec::new();
    for path in good {
        for trick in tricks.iter().copied().chain([long_id.as_str()]) {
            calls.push((Method::GET, format!("{path}{trick}")));
        }
        for method in [
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::HEAD,
            Method::OPTIONS,
        ] {
            calls.push((method.clone(), path.to_owned()));
            calls.push((method, format!("{path}/some-id")));
        }
    }
    calls.push((
        Method::GET,
        "/data/core/activation/disflowprovider/adhocrun".into(),
    ));
    calls.push((Method::POST, "/data/foundation/flowservice/flows".into()));
    for other in [
        "/data/foundation/connectors/connections",
        "/data/foundation/flowservice/connections",
        "/data/core/ups/segment/jobs",
        "/data/foundation/sandbox-management/sandboxes",
        "/data/foundation/catalog/dataSets",
        "/ims/token/v3",
        "/",
    ] {
        calls.push((Method::GET, other.to_owned()));
        calls.push((Method::POST, other.to_owned()));
    }
    calls
}

#[tokio::test]
async fn calls_off_the_allowlist_are_404_and_never_leave_the_proxy() {
    let portal = TestPortal::start().await;
    let calls = bad_calls();
    assert!(calls.len() > 200, "{}", calls.len());
    for (method, path) in &calls {
        let response = portal
            .client
            .request(method.clone(), format!("{}/api/platform{path}", portal.url))
            .bearer_auth("activator-token")
            .send()
            .await
            .unwrap();
        let status = response.status();
        // reqwest normalises some paths (`/a/../b`); whatever arrives must still be refused.
        assert!(
            status == StatusCode::NOT_FOUND || status == StatusCode::BAD_REQUEST,
            "{method} {path}: {status}"
        );
        if status == StatusCode::NOT_FOUND && method != Method::HEAD {
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["code"], "NOT_FOUND", "{method} {path}");
        }
    }
    // reqwest normalises dot segments before sending; a raw client does not.
    for raw in [
        "/flows/a/../b",
        "/flows/..",
        "/flows/./x",
        "/runs/%2e%2e/flows",
    ] {
        let status = raw_get(
            &portal.url,
            &format!("/api/platform/data/foundation/flowservice{raw}"),
        )
        .await;
        assert_eq!(status, 404, "{raw}");
    }
    assert_eq!(portal.platform_log().await, Vec::<String>::new());
}

/// The status of a GET sent byte for byte as written.
async fn raw_get(base: &str, path: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(base.trim_start_matches("http://"))
        .await
        .unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer activator-token\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    String::from_utf8_lossy(&answer[9..12]).parse().unwrap()
}

#[tokio::test]
async fn allowed_gets_pass_their_query_through() {
    let portal = TestPortal::start().await;
    let body: Value = portal
        .get_json(
            "/api/platform/data/foundation/flowservice/flows?property=state==disabled&limit=5",
            "viewer-token",
        )
        .await;
    assert_eq!(body["items"].as_array().unwrap().len(), 1);
    assert_eq!(body["items"][0]["state"], "disabled");
}

#[tokio::test]
async fn upstream_errors_keep_their_status_in_the_portals_body() {
    let portal = TestPortal::start().await;
    let response = portal
        .get(
            "/api/platform/data/foundation/flowservice/flows/no-such-flow",
            "viewer-token",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "PLATFORM_ERROR");
    assert_eq!(body["message"], "flows not found with id = [no-such-flow]");
}
