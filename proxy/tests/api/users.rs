use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{FLOWS, TestPortal};

#[tokio::test]
async fn no_token_is_401_and_a_viewer_cannot_activate() {
    let portal = TestPortal::start().await;
    let anonymous = portal
        .client
        .get(format!("{}/api/session", portal.url))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        anonymous.json::<Value>().await.unwrap()["code"],
        "UNAUTHENTICATED"
    );
    let session: Value = portal.get_json("/api/session", "viewer-token").await;
    assert_eq!(session["user"], "analyst");
    assert_eq!(session["roles"], json!(["viewer"]));
    assert_eq!(session["limits"]["maxEntries"], 80);
    assert_eq!(
        portal
            .get(FLOWS, "viewer-token")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let (flow, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    let refused = portal
        .activate(json!({&flow: [&vip]}), "viewer-token", None)
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(portal.activations_received().await, 0);
}

#[tokio::test]
async fn an_activation_from_another_origin_is_refused() {
    let portal = TestPortal::start().await;
    let (flow, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    let response = portal
        .client
        .post(format!("{}{}", portal.url, crate::helpers::ADHOCRUN))
        .bearer_auth("activator-token")
        .header("origin", "https://evil.example")
        .json(&json!({"activationInfo": {&flow: [&vip]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        response.json::<Value>().await.unwrap()["code"],
        "CROSS_SITE_REQUEST"
    );
    assert_eq!(portal.activations_received().await, 0);
}

#[tokio::test]
async fn malformed_activations_name_the_field_that_is_wrong() {
    let portal = TestPortal::start().await;
    let response = portal
        .client
        .post(format!("{}{}", portal.url, crate::helpers::ADHOCRUN))
        .bearer_auth("activator-token")
        .json(&json!({"activationInfo": {"flow": "not-a-list"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "INVALID_ACTIVATION");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("expected a sequence"),
        "{body}"
    );
}

#[tokio::test]
async fn history_filters_and_pages_by_cursor() {
    let portal = TestPortal::start().await;
    let (flow, _) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    for segment in [
        "Summer VIP shoppers",
        "Cart abandoners (7 days)",
        "Rainy-day umbrella buyers",
    ] {
        let (_, id) = portal.pick("Flash sale drop (S3)", segment).await;
        let response = portal
            .activate(json!({&flow: [&id]}), "activator-token", None)
            .await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{text}");
    }
    let page: Value = portal
        .get_json("/api/history?limit=2", "viewer-token")
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let cursor = page["nextCursor"].as_str().unwrap();
    let rest: Value = portal
        .get_json(
            &format!("/api/history?limit=2&cursor={cursor}"),
            "viewer-token",
        )
        .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert!(rest.get("nextCursor").is_none());
    let (_, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    let by_segment: Value = portal
        .get_json(&format!("/api/history?segment={vip}"), "viewer-token")
        .await;
    assert_eq!(by_segment["items"].as_array().unwrap().len(), 1);
    let by_user: Value = portal
        .get_json("/api/history?user=analyst", "viewer-token")
        .await;
    assert_eq!(by_user["items"].as_array().unwrap().len(), 0);
    let bad = portal
        .get("/api/history?outcome=maybe", "viewer-token")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_history_keeps_names_and_says_how_the_runs_went() {
    let portal = TestPortal::start().await;
    let (flow, vip) = portal
        .pick(
            "Partner share (Data Landing Zone)",
            "Cart abandoners (7 days)",
        )
        .await;
    let (_, gamers) = portal
        .pick("Partner share (Data Landing Zone)", "Gamers")
        .await;
    let response = portal
        .activate(json!({&flow: [&vip, &gamers]}), "activator-token", None)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let page: Value = portal.get_json("/api/history", "viewer-token").await;
    let record = &page["items"][0];
    assert_eq!(
        record["names"]["destinations"][&flow],
        "Partner share (Data Landing Zone)"
    );
    assert_eq!(
        record["names"]["segments"][&vip],
        "장바구니 이탈 고객 (7일) / Cart abandoners (7 days)"
    );
    assert!(record.get("runs").is_none(), "not looked at yet: {record}");

    proxy::run_watch::refresh_unfinished(&portal.state)
        .await
        .unwrap();
    let running: Value = portal
        .get_json("/api/history?runs=running", "viewer-token")
        .await;
    assert_eq!(
        running["items"][0]["runs"],
        json!({"total": 2, "succeeded": 0, "failed": 0})
    );

    // The emulator's "Gamers" exports fail; the cart abandoners' succeed.
    portal.advance(31).await;
    proxy::run_watch::refresh_unfinished(&portal.state)
        .await
        .unwrap();
    let failed: Value = portal
        .get_json("/api/history?runs=failed", "viewer-token")
        .await;
    let exported = 48_210 - 48_210 / 40;
    assert_eq!(
        failed["items"][0]["runs"],
        json!({"total": 2, "succeeded": 1, "failed": 1, "records": exported})
    );
    // Per day in the reader's time zone: the activation, and the profiles its runs exported.
    let days: Value = portal
        .get_json("/api/history/daily?offsetMinutes=540", "viewer-token")
        .await;
    let days = days.as_array().unwrap();
    assert_eq!(days.len(), 1, "{days:?}");
    assert_eq!(days[0]["accepted"], 1);
    assert_eq!(days[0]["records"], exported);
    let bad: reqwest::Response = portal
        .get("/api/history/daily?offsetMinutes=9999", "viewer-token")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let running: Value = portal
        .get_json("/api/history?runs=running", "viewer-token")
        .await;
    assert_eq!(running["items"].as_array().unwrap().len(), 0);

    // A segment is found by a part of its recorded name, in either language, or by its id.
    for needle in ["cart abandoners", "장바구니", vip.as_str()] {
        let found: Value = portal
            .get_json(
                &format!("/api/history?segment={}", urlencode(needle)),
                "viewer-token",
            )
            .await;
        assert_eq!(found["items"].as_array().unwrap().len(), 1, "{needle}");
    }
    let none: Value = portal
        .get_json("/api/history?segment=partner", "viewer-token")
        .await;
    assert_eq!(
        none["items"].as_array().unwrap().len(),
        0,
        "destination names are not segment names"
    );
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn the_history_exports_as_csv_that_a_csv_parser_reads_back() {
    let portal = TestPortal::start().await;
    let (_, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    // Names with everything CSV must quote, and Hangul.
    let awkward = "여름 세일, \"VIP\"\n두 번째 줄";
    portal
        .load(json!({"flows": [{
            "id": "2f7d0c4e-3b1a-4c9e-8d2f-6a5b4c3d2e1f", "name": "Partner, \"quoted\" 파트너", "state": "enabled",
            "flowSpec": {"id": "1a0514a6-33d4-4c7f-aff8-594799c47549"},
            "inheritedAttributes": {"properties": {"isDestinationFlow": true},
                "targetConnections": [{"id": "t", "connectionSpec": {"id": "4fce964d-3f37-408f-9778-e597338a21ee"}}]},
            "transformations": [{"name": "GeneralTransform", "params": {"segmentSelectors": {"selectors": [
                {"type": "PLATFORM_SEGMENT", "value": {"id": vip, "name": awkward, "createTime": "1600000000",
                    "exportMode": "DAILY_FULL_EXPORT"}}]}}}]
        }]}))
        .await;
    let response = portal
        .activate(
            json!({"2f7d0c4e-3b1a-4c9e-8d2f-6a5b4c3d2e1f": [&vip]}),
            "activator-token",
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = portal
        .get("/api/history.csv?outcome=accepted", "viewer-token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let bytes = response.bytes().await.unwrap();
    let text = std::str::from_utf8(&bytes).unwrap();
    let text = text
        .strip_prefix('\u{feff}')
        .expect("a byte-order mark for spreadsheets");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header[..4], ["id", "created_at_utc", "user", "outcome"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(
        &rows[0][column("destinations")],
        "Partner, \"quoted\" 파트너"
    );
    assert_eq!(&rows[0][column("segments")], awkward);
    assert_eq!(&rows[0][column("segment_ids")], vip.as_str());
    assert_eq!(&rows[0][column("outcome")], "accepted");
    assert!(rows[0][column("created_at_utc")].ends_with('Z'));
    // The filters are the list's: nothing rejected here.
    let rejected = portal
        .get_text("/api/history.csv?outcome=rejected", "viewer-token")
        .await;
    assert_eq!(rejected.lines().count(), 1, "the header only");
}
