//! `GET /api/sandbox-facts`: the browser's guardrails judge with what the proxy judges with.

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::aep::adhoc::ActivationInfo;
use shared::guardrails::{self, Limits};
use shared::sandbox::{AUDIENCE_SIZES_PATH, AudienceSize, PATH, SandboxFacts};

use proxy::ApiVersion;
use proxy::AuthMode;
use proxy::auth::TokenUser;

use crate::helpers::TestPortal;

const ACTIVATOR: &str = "activator-token";

async fn facts(portal: &TestPortal) -> SandboxFacts {
    portal.get_json(PATH, "viewer-token").await
}

fn codes(violations: &[guardrails::Violation]) -> Vec<String> {
    violations
        .iter()
        .map(|v| {
            serde_json::to_value(v.code)
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn every_plan_is_judged_with_the_facts_alike_by_the_browser_and_the_portal() {
    let portal = TestPortal::start().await;
    let (flow, ended) = portal
        .pick("Flash sale drop (S3)", "Price-drop watchers")
        .await;
    let (_, fresh) = portal
        .pick("Flash sale drop (S3)", "Holiday gift seekers")
        .await;
    let (_, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    let (crm, busy) = portal.pick("CRM sync (SFTP)", "Loyalty gold members").await;
    let (legacy, legacy_segment) = portal
        .pick("Legacy export (S3, disabled)", "Cart abandoners (7 days)")
        .await;
    let (streaming, streaming_segment) = portal
        .pick("Personalisation API (streaming)", "Summer VIP shoppers")
        .await;
    let snapshot = facts(&portal).await.snapshot();
    let plans = [
        json!({&flow: [&ended]}),
        json!({&flow: [&fresh]}),
        json!({&crm: [&busy]}),
        json!({&flow: [&busy]}),
        json!({&legacy: [&legacy_segment]}),
        json!({&streaming: [&streaming_segment]}),
        json!({&flow: ["not-mapped"]}),
        json!({&flow: [&ended, &fresh, &busy]}),
        json!({&flow: [&vip]}),
    ];
    for plan in plans {
        let info: ActivationInfo = serde_json::from_value(plan.clone()).unwrap();
        let in_browser = guardrails::check(
            &info,
            &snapshot,
            portal.state.clock().now(),
            &Limits::default(),
        );
        let response = portal.activate(plan.clone(), ACTIVATOR, None).await;
        let body: Value = response.json().await.unwrap();
        let by_portal: Vec<String> = body["violations"]
            .as_array()
            .map(|v| {
                v.iter()
                    .map(|v| v["code"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(codes(&in_browser), by_portal, "{plan}: {body}");
    }
    // The last plan passed both, and was sent once.
    assert_eq!(portal.activations_received().await, 1);
}

#[tokio::test]
async fn the_portals_own_run_is_its_own_and_still_blocks_its_segment() {
    let portal = TestPortal::start().await;
    let (flow, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    let response = portal
        .activate(json!({&flow: [&vip]}), ACTIVATOR, None)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let run_id = body["order"][0]["statusURL"]
        .as_str()
        .and_then(|url| url.rsplit('/').next())
        .unwrap()
        .to_owned();
    let facts = facts(&portal).await;
    assert!(facts.portal_runs.contains(&run_id), "{facts:?}");
    let snapshot = facts.snapshot();
    assert!(
        snapshot
            .runs_in_progress(&vip)
            .iter()
            .any(|r| r.run_id == run_id),
        "{facts:?}"
    );
    // Its own run is not a scheduled export of the dataflow.
    assert!(snapshot.runs_processing_on(&flow).is_empty(), "{facts:?}");
}

#[tokio::test]
async fn a_running_export_job_blocks_and_is_named_as_the_latest() {
    let portal = TestPortal::start().await;
    portal.add_export_job("PROCESSING").await;
    let facts = facts(&portal).await;
    let latest = facts.latest_export_job.as_ref().unwrap();
    assert_eq!(latest.status, "PROCESSING");
    assert!(latest.known_status);
    assert_eq!(facts.blocking_export_jobs, std::slice::from_ref(&latest.id));
}

#[tokio::test]
async fn a_draft_dataflow_is_listed_with_its_state_as_written() {
    let portal = TestPortal::start().await;
    portal
        .load(json!({"flows": [{
            "id": "draft-flow", "name": "Draft", "state": "draft",
            "inheritedAttributes": {"properties": {"isDestinationFlow": true}}
        }]}))
        .await;
    let facts = facts(&portal).await;
    let draft = facts.destination("draft-flow").unwrap();
    assert_eq!(draft.state.as_str(), "draft");
    assert!(draft.segments.is_empty());
}

#[tokio::test]
async fn advisory_facts_that_cannot_be_read_are_warnings_and_the_dataflows_are_essential() {
    let portal = TestPortal::start().await;
    portal
        .set_faults(
            json!({"errorRates": {"GET /data/core/ups/export/jobs": 1.0}, "errorStatus": 500}),
        )
        .await;
    let facts = facts(&portal).await;
    assert!(!facts.destinations.is_empty());
    assert!(
        facts.warnings[0].contains("could not check for a scheduled export"),
        "{:?}",
        facts.warnings
    );
    portal
        .set_faults(json!({"errorRates": {"GET /data/foundation/flowservice/flows": 1.0}, "errorStatus": 400}))
        .await;
    let response = portal.get(PATH, "viewer-token").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

#[tokio::test]
async fn without_a_session_or_a_role_there_are_no_facts_and_no_sizes() {
    let nobody = TokenUser {
        name: "nobody".into(),
        sha256: proxy::auth::sha256_hex("nobody-token"),
        roles: Vec::new(),
    };
    let portal = TestPortal::start_with(AuthMode::Token(vec![nobody]), ApiVersion::V2).await;
    for path in [PATH, AUDIENCE_SIZES_PATH] {
        let anonymous = portal
            .client
            .get(format!("{}{path}", portal.url))
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED, "{path}");
        let without_role = portal.get(path, "nobody-token").send().await.unwrap();
        assert_eq!(without_role.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert!(
        portal.platform_log().await.is_empty(),
        "nothing was asked of the Platform"
    );
}

#[tokio::test]
async fn audience_sizes_cover_every_page_of_the_platforms_audiences() {
    let portal = TestPortal::start().await;
    let mut expected = Vec::new();
    let mut start = 0;
    loop {
        let page: Value = portal
            .get_json(
                &format!("/api/platform/data/core/ups/audiences?start={start}&limit=100"),
                "viewer-token",
            )
            .await;
        for audience in page["children"].as_array().unwrap() {
            expected.push((
                audience["id"].as_str().unwrap().to_owned(),
                audience["metrics"]["data"]["totalProfiles"].as_u64(),
            ));
        }
        // The schema calls it `_page`, Adobe's example `_pages`.
        let paging = page.get("_page").or_else(|| page.get("_pages"));
        match paging
            .and_then(|p| p["next"].as_u64())
            .filter(|&next| next > start)
        {
            Some(next) => start = next,
            None => break,
        }
    }
    let sizes: Vec<AudienceSize> = portal.get_json(AUDIENCE_SIZES_PATH, "viewer-token").await;
    let read: Vec<(String, Option<u64>)> = sizes
        .into_iter()
        .map(|size| (size.id, size.profiles))
        .collect();
    assert!(!read.is_empty());
    assert!(read.iter().any(|(_, profiles)| profiles.is_some()));
    assert_eq!(read, expected);
}

#[tokio::test]
async fn the_facts_travel_compressed_to_a_browser_that_takes_it_and_platform_answers_as_they_came()
{
    use std::io::Read;
    let portal = TestPortal::start().await;
    let plain: Value = portal.get_json(PATH, "viewer-token").await;
    let response = portal
        .get(PATH, "viewer-token")
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-encoding"], "gzip");
    let compressed = response.bytes().await.unwrap();
    let mut json = String::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_string(&mut json)
        .unwrap();
    assert!(
        compressed.len() < json.len(),
        "{} {}",
        compressed.len(),
        json.len()
    );
    assert_eq!(serde_json::from_str::<Value>(&json).unwrap(), plain);

    // A forwarded Platform answer is streamed through untouched.
    let forwarded = portal
        .get(
            "/api/platform/data/foundation/flowservice/flows?limit=1",
            "viewer-token",
        )
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(forwarded.status(), StatusCode::OK);
    assert!(forwarded.headers().get("content-encoding").is_none());
    let _: Value = forwarded.json().await.unwrap();
}
