use std::collections::BTreeSet;

use serde_json::Value;

use crate::helpers::Platform;

const DESTINATIONS: &str = "/data/foundation/flowservice/flows?property=inheritedAttributes.properties.isDestinationFlow==true";

#[tokio::test]
async fn flows_page_by_continuation_token_without_loss_or_repeat() {
    let platform = Platform::start().await;
    let all = platform.get_json(DESTINATIONS).await;
    let expected: BTreeSet<String> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(expected.len(), 8);
    let mut seen = Vec::new();
    let mut next = Some(format!("{DESTINATIONS}&limit=3"));
    while let Some(path) = next {
        let page = platform.get_json(&path).await;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 3);
        seen.extend(items.iter().map(|f| f["id"].as_str().unwrap().to_owned()));
        // As Adobe writes it: relative to Flow Service, the token first and alone; the token
        // carries the filter, so following the href literally keeps it.
        next = page["_links"]["next"]["href"].as_str().map(|href| {
            assert!(href.starts_with("/flows?continuationToken="), "{href}");
            assert!(!href.contains('&'), "{href}");
            format!("/data/foundation/flowservice{href}")
        });
    }
    assert_eq!(seen.len(), expected.len());
    assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), expected);
}

#[tokio::test]
async fn flow_filters_are_anded_and_count_answers_alone() {
    let platform = Platform::start().await;
    let enabled = platform
        .get_json(&format!("{DESTINATIONS}&property=state==enabled"))
        .await;
    assert_eq!(enabled["items"].as_array().unwrap().len(), 7);
    let new_s3 = platform
        .get_json(&format!("{DESTINATIONS}&property=inheritedAttributes.targetConnections[].connectionSpec.id==4fce964d-3f37-408f-9778-e597338a21ee"))
        .await;
    assert_eq!(new_s3["items"].as_array().unwrap().len(), 2);
    let count = platform
        .get_json(&format!("{DESTINATIONS}&count=true"))
        .await;
    assert_eq!(count, serde_json::json!({"count": 8}));
    let both = platform
        .platform(
            reqwest::Method::GET,
            &format!("{DESTINATIONS}&count=true&limit=2"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(both.status(), 400);
    assert!(
        both.json::<Value>().await.unwrap()["errorMessage"]
            .as_str()
            .unwrap()
            .contains("limit and count")
    );
}

#[tokio::test]
async fn a_flow_by_id_is_a_one_item_list_and_unknown_ids_are_404() {
    let platform = Platform::start().await;
    let flow = platform.flow("CRM sync (SFTP)").await;
    let id = flow["id"].as_str().unwrap();
    let one = platform
        .get_json(&format!("/data/foundation/flowservice/flows/{id}"))
        .await;
    assert_eq!(one["items"][0]["id"], id);
    let flows_with_segment = platform
        .get_json(&format!(
            "/data/foundation/flowservice/flows?property=transformations[].params.segmentSelectors.selectors[].value.id=={}",
            crate::helpers::selectors(&flow)[0].0
        ))
        .await;
    assert!(
        flows_with_segment["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == id)
    );
    let missing = platform
        .platform(
            reqwest::Method::GET,
            "/data/foundation/flowservice/flows/nope",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.json::<Value>().await.unwrap()["errorMessage"],
        "flows not found with id = [nope]"
    );
}

#[tokio::test]
async fn segment_definitions_page_by_start_and_limit() {
    let platform = Platform::start().await;
    let mut ids = BTreeSet::new();
    let mut start = 0;
    loop {
        let page = platform
            .get_json(&format!(
                "/data/core/ups/segment/definitions?start={start}&limit=10"
            ))
            .await;
        assert_eq!(page["page"]["totalCount"], 122);
        assert_eq!(page["page"]["totalPages"], 13);
        ids.extend(
            page["segments"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].as_str().unwrap().to_owned()),
        );
        let Some(next) = page["link"]["next"].as_str() else {
            break;
        };
        start = next
            .split("start=")
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap()
            .parse()
            .unwrap();
    }
    assert_eq!(ids.len(), 122);
}

#[tokio::test]
async fn audiences_carry_their_sizes_and_filter_by_name() {
    let platform = Platform::start().await;
    let page = platform
        .get_json("/data/core/ups/audiences?name=summer%20vip")
        .await;
    let children = page["children"].as_array().unwrap();
    assert_eq!(children.len(), 1);
    assert_eq!(children[0]["metrics"]["data"]["totalProfiles"], 12_480);
    let paged = platform.get_json("/data/core/ups/audiences?limit=5").await;
    assert_eq!(paged["_page"]["next"], 5);
    assert!(
        paged["_links"]["next"]["href"]
            .as_str()
            .unwrap()
            .contains("start=5")
    );
}

#[tokio::test]
async fn export_jobs_page_by_offset_and_show_the_schedule() {
    let platform = Platform::start().await;
    // The demo schedule starts ten minutes in and repeats every half hour.
    platform.advance(10 * 60 + 60).await;
    let running = platform.get_json("/data/core/ups/export/jobs").await;
    assert_eq!(running["records"][0]["status"], "PROCESSING");
    assert_eq!(
        running["records"][0]["schema"]["name"],
        "_xdm.context.profile"
    );
    platform.advance(3 * 3600).await;
    let first = platform
        .get_json("/data/core/ups/export/jobs?limit=3")
        .await;
    assert_eq!(first["records"].as_array().unwrap().len(), 3);
    let next = first["link"]["next"].as_str().unwrap();
    let offset = next.split("offset=").nth(1).unwrap();
    let second = platform
        .get_json(&format!(
            "/data/core/ups/export/jobs?limit=3&offset={offset}"
        ))
        .await;
    let ids = |page: &Value| {
        page["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["id"].as_u64().unwrap())
            .collect::<Vec<_>>()
    };
    let (a, b) = (ids(&first), ids(&second));
    assert!(a.iter().all(|id| !b.contains(id)), "{a:?} {b:?}");
    assert!(
        a.iter()
            .chain(&b)
            .collect::<Vec<_>>()
            .windows(2)
            .all(|w| w[0] > w[1]),
        "newest first"
    );
}
