//! The emulator answers as Adobe's documents and examples show, not as the portal expects:
//! every list paged by following its next link literally, scheduled runs beside ad-hoc ones,
//! and entities of any shape served as loaded.

use std::collections::BTreeSet;

use emulator::RunSchedule;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Platform, start_time};

/// Follows `next(page)` from `first` until there is none, collecting `ids(page)`; the next link
/// is used exactly as written, under `base` (the service's path).
async fn walk(
    platform: &Platform,
    first: &str,
    base: &str,
    items: &str,
    next: impl Fn(&Value) -> Option<String>,
) -> Vec<String> {
    let mut ids = Vec::new();
    let mut path = Some(first.to_owned());
    let mut pages = 0;
    while let Some(current) = path {
        pages += 1;
        assert!(pages < 200, "paging does not end");
        let page = platform.get_json(&current).await;
        ids.extend(
            page[items]
                .as_array()
                .unwrap()
                .iter()
                .map(|item| item["id"].to_string()),
        );
        path = next(&page).map(|link| format!("{base}{link}"));
    }
    assert!(pages > 1, "{first} fits one page: the test proves nothing");
    ids
}

fn no_repeats(ids: &[String]) -> BTreeSet<String> {
    let unique: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(unique.len(), ids.len(), "an item came twice");
    unique
}

#[tokio::test]
async fn every_list_pages_by_following_its_next_link_literally() {
    let platform = Platform::start().await;
    let flow = platform.flow("Flash sale drop (S3)").await;
    let segments: Vec<&str> = flow["transformations"][0]["params"]["segmentSelectors"]["selectors"]
        .as_array()
        .unwrap()
        .iter()
        // "Loyalty gold members" runs on another dataflow at the start.
        .filter(|s| !s["value"]["name"].as_str().unwrap().contains("Loyalty"))
        .map(|s| s["value"]["id"].as_str().unwrap())
        .take(5)
        .collect();
    let (status, body) = platform
        .activate(json!({flow["id"].as_str().unwrap(): segments}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    platform.advance(3 * 3600).await;

    let flow_service = "/data/foundation/flowservice";
    let href = |page: &Value| page["_links"]["next"]["href"].as_str().map(str::to_owned);
    // Flow Service: `/flows?continuationToken=...`, the token first and alone.
    let flows = walk(&platform, &format!("{flow_service}/flows?property=inheritedAttributes.properties.isDestinationFlow==true&limit=2"), flow_service, "items", href).await;
    let all_flows = platform
        .get_json(&format!(
            "{flow_service}/flows?property=inheritedAttributes.properties.isDestinationFlow==true"
        ))
        .await;
    assert_eq!(
        no_repeats(&flows).len(),
        all_flows["items"].as_array().unwrap().len()
    );
    let runs = walk(
        &platform,
        &format!("{flow_service}/runs?limit=2"),
        flow_service,
        "items",
        href,
    )
    .await;
    assert_eq!(
        no_repeats(&runs).len(),
        platform.get_json(&format!("{flow_service}/runs")).await["items"]
            .as_array()
            .unwrap()
            .len()
    );
    // Segmentation: `@/audiences?start=...` (SEG-SPEC), `@` standing for the service.
    let audiences = walk(
        &platform,
        "/data/core/ups/audiences?limit=7",
        "/data/core/ups",
        "children",
        |page| {
            page["_links"]["next"]["href"]
                .as_str()
                .filter(|h| !h.is_empty())
                .map(|h| h.trim_start_matches('@').to_owned())
        },
    )
    .await;
    let total = platform.get_json("/data/core/ups/audiences?limit=1").await["_page"]["totalCount"]
        .as_u64()
        .unwrap();
    assert_eq!(no_repeats(&audiences).len() as u64, total);
    // Export jobs: `link.next` (`/export/jobs/?limit=...&offset=...`), empty on the last page.
    let jobs = walk(
        &platform,
        "/data/core/ups/export/jobs?limit=2",
        "/data/core/ups",
        "records",
        |page| {
            page["link"]["next"]
                .as_str()
                .filter(|h| !h.is_empty())
                .map(str::to_owned)
        },
    )
    .await;
    no_repeats(&jobs);
}

async fn runs_of(platform: &Platform, flow_id: &str) -> Vec<Value> {
    let page = platform
        .get_json(&format!(
            "/data/foundation/flowservice/runs?property=flowId=={flow_id}"
        ))
        .await;
    page["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn each_dataflow_runs_its_scheduled_export_daily_and_holds_off_ad_hoc_runs_meanwhile() {
    let mut platform = Platform::start_with(|sandbox| {
        // Only the dataflows' own schedule: no profile export jobs in the way.
        sandbox.export_schedule = None;
        sandbox.run_schedule = Some(RunSchedule {
            made_until: start_time(),
            running_seconds: 600,
        });
    })
    .await;
    let flow = platform.flow("Flash sale drop (S3)").await;
    let flow_id = flow["id"].as_str().unwrap().to_owned();
    let start_time_of_day = flow["transformations"][0]["params"]["segmentSelectors"]["selectors"]
        [0]["value"]["schedule"]["startTime"]
        .as_str()
        .unwrap();
    assert_eq!(
        start_time_of_day, "14:00",
        "the first dataflow's export is two hours after the start"
    );
    assert!(runs_of(&platform, &flow_id).await.is_empty());

    platform.advance(2 * 3600 + 60).await;
    let running = runs_of(&platform, &flow_id).await;
    assert!(!running.is_empty(), "the 14:00 export has started");
    assert!(running.iter().all(|r| r["state"] == "inProgress"));
    let flow = platform.flow("Flash sale drop (S3)").await;
    assert_eq!(flow["lastRunDetails"]["state"], "inProgress");
    // Adobe: no ad-hoc activation while the dataflow's scheduled export runs.
    let segment = flow["transformations"][0]["params"]["segmentSelectors"]["selectors"][0]["value"]
        ["id"]
        .clone();
    let (status, body) = platform
        .activate(json!({&flow_id: [segment.clone()]}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    platform.advance(600).await;
    let done = runs_of(&platform, &flow_id).await;
    assert!(
        done.iter()
            .all(|r| r["metrics"]["statusSummary"]["status"] == "success"),
        "{done:?}"
    );
    let flow = platform.flow("Flash sale drop (S3)").await;
    assert_eq!(flow["lastRunDetails"]["state"], "success");
    let (status, body) = platform.activate(json!({&flow_id: [segment]})).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A day later, the next one.
    platform.advance(86_400).await;
    platform.token = platform.new_token().await;
    let scheduled_at = |runs: &[Value]| {
        runs.iter()
            .map(|r| r["createdAt"].as_i64().unwrap())
            .collect::<BTreeSet<_>>()
    };
    let days = scheduled_at(&runs_of(&platform, &flow_id).await);
    let fourteen = start_time().plus_seconds(2 * 3600).0;
    assert!(
        days.contains(&fourteen) && days.contains(&(fourteen + 86_400_000)),
        "{days:?}"
    );
}

#[tokio::test]
async fn runs_read_as_adobe_writes_them_in_both_cases_and_with_skipped_records() {
    let platform = Platform::start().await;
    let legacy = platform.flow("Legacy export (S3, disabled)").await;
    assert_eq!(
        legacy["flowSpec"]["id"],
        "71471eba-b620-49e4-90fd-23f1fa0174d8"
    );
    // The busy demo run is on the SFTP dataflow, a new card: lower case.
    let runs = platform.get_json("/data/foundation/flowservice/runs").await;
    let run = &runs["items"][0];
    assert_eq!(run["metrics"]["statusSummary"]["status"], "processing");
    assert!(run["etag"].as_str().unwrap().starts_with('"'));
    assert_eq!(
        run["flowSpec"]["id"],
        "fd36aaa4-bf2b-43fb-9387-43785eeeb799"
    );
    assert_eq!(run["activities"].as_array().unwrap().len(), 2);
    assert!(
        run["metrics"]["recordSummary"]
            .get("targetSummaries")
            .is_none(),
        "no target summaries while it runs"
    );
    let source = &run["metrics"]["recordSummary"]["sourceSummaries"][0];
    assert!(!source["id"].as_str().unwrap().starts_with("segment:"));
    assert!(
        source["entitySummaries"][0]["id"]
            .as_str()
            .unwrap()
            .starts_with("segment:")
    );
}

#[tokio::test]
async fn loaded_entities_are_served_exactly_as_given() {
    let platform = Platform::start().await;
    let odd_flow = json!({"id": "draft-1", "name": "Draft", "state": "draft", "brandNewField": {"x": [1]},
        "inheritedAttributes": {"properties": {"isDestinationFlow": true}}});
    let unreadable_flow =
        json!({"id": 7, "inheritedAttributes": {"properties": {"isDestinationFlow": true}}});
    let odd_run = json!({"id": "run-odd", "flowId": "draft-1", "metrics": {"statusSummary": {"status": "Cancelling"}}});
    platform
        .load(json!({"flows": [odd_flow, unreadable_flow], "runs": [odd_run],
            "exportJobs": [{"id": "6c8f7e1a-0b1d", "status": "CANCELLING", "schema": {"name": "_xdm.context.profile"}, "creationTime": 1}]}))
        .await;
    let flows = platform.get_json("/data/foundation/flowservice/flows?property=inheritedAttributes.properties.isDestinationFlow==true").await;
    let items = flows["items"].as_array().unwrap();
    assert!(
        items.contains(&odd_flow),
        "served as loaded, unknown fields and all"
    );
    assert!(items.contains(&unreadable_flow));
    let run = platform
        .get_json("/data/foundation/flowservice/runs/run-odd")
        .await;
    assert_eq!(run["items"][0], odd_run);
    let jobs = platform.get_json("/data/core/ups/export/jobs").await;
    assert!(
        jobs["records"]
            .as_array()
            .unwrap()
            .iter()
            .any(|j| j["id"] == "6c8f7e1a-0b1d" && j["status"] == "CANCELLING")
    );
}
