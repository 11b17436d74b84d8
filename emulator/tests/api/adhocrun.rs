use std::io::Read;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Platform, segment_named, selectors};

const ADHOCRUN: &str = "/data/core/activation/disflowprovider/adhocrun";

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
    files.sort();
    files
}

async fn run_of(platform: &Platform, order: &Value) -> Value {
    let run_id = order["statusURL"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap();
    platform
        .get_json(&format!("/data/foundation/flowservice/runs/{run_id}"))
        .await["items"][0]
        .clone()
}

#[tokio::test]
async fn a_v2_activation_runs_and_writes_the_segments_profiles() {
    let platform = Platform::start().await;
    let flow = platform.flow("Flash sale drop (S3)").await;
    let (flow_id, vip) = (
        flow["id"].as_str().unwrap(),
        segment_named(&flow, "Summer VIP shoppers"),
    );
    let integration = segment_named(&flow, "Integration test audience");
    let (status, body) = platform
        .activate(json!({flow_id: [vip, integration]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let orders = body["order"].as_array().unwrap();
    assert_eq!(orders.len(), 2);
    assert_eq!(orders[0]["order"], flow_id);
    assert!(
        orders[0]["statusURL"]
            .as_str()
            .unwrap()
            .starts_with(&format!(
                "{}/data/foundation/flowservice/runs/",
                platform.url
            ))
    );

    let running = run_of(&platform, &orders[0]).await;
    assert_eq!(running["metrics"]["statusSummary"]["status"], "processing");
    assert!(files_under(&platform.exports().join("Flash_sale_drop__S3_")).is_empty());

    platform.advance(30).await;
    let done = run_of(&platform, &orders[0]).await;
    assert_eq!(done["metrics"]["statusSummary"]["status"], "success");
    // One profile in forty has no identity to export: excluded, and reported as skipped.
    let (profiles, excluded) = (12_480, 12_480 / 40);
    let records = &done["metrics"]["recordSummary"];
    assert_eq!(records["inputRecordCount"], profiles);
    assert_eq!(records["outputRecordCount"], profiles - excluded);
    assert_eq!(records["skippedRecordCount"], excluded);
    assert_eq!(records["skippedInfo"][0]["count"], excluded);
    assert_eq!(
        records["skippedInfo"][0]["code"],
        "ACTIVATION_BATCH-0000-SKIP"
    );
    assert_eq!(done["metrics"]["fileSummary"]["outputFileCount"], 1);
    assert!(
        done["metrics"]["durationSummary"]["completedAtUTC"]
            .as_i64()
            .unwrap()
            > done["metrics"]["durationSummary"]["startedAtUTC"]
                .as_i64()
                .unwrap()
    );

    let (manifests, files): (Vec<_>, Vec<_>) =
        files_under(&platform.exports().join("Flash_sale_drop__S3_"))
            .into_iter()
            .partition(|f| {
                f.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("manifest-")
            });
    assert_eq!(files.len(), 2, "{files:?}");
    let vip_file = files
        .iter()
        .find(|f| f.to_string_lossy().contains(&vip))
        .unwrap();
    // This destination writes Adobe's manifest: one per run, naming its files and sizes.
    assert_eq!(manifests.len(), 2, "{manifests:?}");
    let run_id = done["id"].as_str().unwrap();
    let manifest_path = manifests
        .iter()
        .find(|m| {
            m.file_name().unwrap().to_string_lossy() == format!("manifest-{flow_id}-{run_id}.json")
        })
        .expect("the manifest is named manifest-<destinationId>-<dataflowRunId>.json");
    let manifest: Value = serde_json::from_slice(&std::fs::read(manifest_path).unwrap()).unwrap();
    assert_eq!(manifest["flowRunId"], run_id);
    assert!(manifest["scheduledTime"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        manifest["exportResults"][0]["name"],
        vip_file.file_name().unwrap().to_str().unwrap()
    );
    assert_eq!(
        manifest["exportResults"][0]["size"],
        std::fs::metadata(vip_file).unwrap().len()
    );
    let name = vip_file.file_name().unwrap().to_str().unwrap();
    assert!(
        name.starts_with(&format!(
            "Amazon_S3_{vip}_여름_VIP_고객___Summer_VIP_shoppers_20261130_1200"
        )),
        "{name}"
    );
    assert!(name.ends_with(".csv"));
    let text = std::fs::read_to_string(vip_file).unwrap();
    assert_eq!(text.lines().count(), profiles - excluded + 1);
    assert_eq!(
        done["metrics"]["sizeSummary"]["outputBytes"],
        text.len() as u64
    );
}

#[tokio::test]
async fn gzip_and_json_destinations_write_their_formats() {
    let platform = Platform::start().await;
    // The SFTP dataflow's scheduled export runs for the first half hour.
    let gcs = platform.flow("Weather campaigns (GCS)").await;
    let azure = platform.flow("Data lake (Azure Blob)").await;
    let rainy = segment_named(&gcs, "Rainy-day umbrella buyers");
    let weather = segment_named(&azure, "Weather alert opt-ins");
    let (status, body) = platform
        .activate(
            json!({gcs["id"].as_str().unwrap(): [rainy], azure["id"].as_str().unwrap(): [weather]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    platform.advance(60).await;
    let written = files_under(&platform.exports().join("Weather_campaigns__GCS_"));
    let gz = written
        .iter()
        .find(|f| !f.to_string_lossy().contains("manifest-"))
        .unwrap();
    assert!(gz.to_string_lossy().ends_with(".csv.gz"), "{gz:?}");
    let mut csv = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(gz).unwrap())
        .read_to_string(&mut csv)
        .unwrap();
    assert_eq!(csv.lines().count(), 3_115 - 3_115 / 40 + 1);
    let json_file = &files_under(&platform.exports().join("Data_lake__Azure_Blob_"))[0];
    let lines = std::fs::read_to_string(json_file).unwrap();
    assert_eq!(lines.lines().count(), 9_805 - 9_805 / 40);
    assert!(
        lines
            .lines()
            .all(|l| serde_json::from_str::<Value>(l).is_ok())
    );
}

#[tokio::test]
async fn a_second_run_of_a_busy_segment_gets_the_documented_message() {
    let platform = Platform::start().await;
    let flow = platform.flow("Flash sale drop (S3)").await;
    let flow_id = flow["id"].as_str().unwrap();
    let segment = segment_named(&flow, "Flash sale responders");
    let (_, first) = platform.activate(json!({flow_id: [segment]})).await;
    let run_id = first["order"][0]["statusURL"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let (status, body) = platform.activate(json!({flow_id: [segment]})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        format!(
            "Run already going on for audience {segment} for order {flow_id} with run id {run_id}"
        )
    );
    let parsed = shared::aep::adhoc::AdhocRunRejection::parse(body["message"].as_str().unwrap());
    assert!(matches!(
        parsed,
        Some(shared::aep::adhoc::AdhocRunRejection::RunAlreadyGoingOn { .. })
    ));
}

#[tokio::test]
async fn unmapped_or_out_of_schedule_segments_get_the_documented_message() {
    let platform = Platform::start().await;
    let flow = platform.flow("Flash sale drop (S3)").await;
    let flow_id = flow["id"].as_str().unwrap();
    let ended = segment_named(&flow, "Price-drop watchers");
    let (status, body) = platform
        .activate(json!({flow_id: [ended, "not-mapped-here"]}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["message"],
        "Segments 가격 인하 알림 고객 / Price-drop watchers, not-mapped-here are not part of this dataflow or out of schedule range!"
    );
}

#[tokio::test]
async fn the_rules_without_documented_wording_refuse_with_a_clear_message() {
    let platform = Platform::start().await;
    let flow = platform.flow("Flash sale drop (S3)").await;
    let flow_id = flow["id"].as_str().unwrap();
    let fresh = segment_named(&flow, "Holiday gift seekers");
    let (status, body) = platform.activate(json!({flow_id: [fresh]})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("less than 60 minutes ago")
            && body["message"].as_str().unwrap().contains("from 12:55 UTC"),
        "{body}"
    );

    let many: Vec<String> = (0..81).map(|i| format!("segment-{i}")).collect();
    let (status, body) = platform.activate(json!({flow_id: many})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"].as_str().unwrap().contains("81 audiences"),
        "{body}"
    );

    let disabled = platform.flow("Legacy export (S3, disabled)").await;
    let (status, _) = platform
        .activate(json!({disabled["id"].as_str().unwrap(): [selectors(&disabled)[0].0]}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = platform.activate(json!({"no-such-dataflow": ["x"]})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

#[tokio::test]
async fn nothing_runs_while_a_scheduled_export_job_is_processing() {
    let platform = Platform::start().await;
    let flow = platform.flow("Flash sale drop (S3)").await;
    let segment = segment_named(&flow, "Summer VIP shoppers");
    let injected = platform
        .client
        .post(format!("{}/emulator/export-jobs", platform.url))
        .json(&json!({"status": "PROCESSING"}))
        .send()
        .await
        .unwrap();
    assert_eq!(injected.status(), StatusCode::CREATED);
    let (status, body) = platform
        .activate(json!({flow["id"].as_str().unwrap(): [segment]}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("scheduled audience export job"),
        "{body}"
    );
    platform
        .client
        .delete(format!("{}/emulator/export-jobs", platform.url))
        .send()
        .await
        .unwrap();
    let (status, _) = platform
        .activate(json!({flow["id"].as_str().unwrap(): [segment]}))
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn v1_needs_export_ids_and_takes_the_latest_profile_export_job() {
    let platform = Platform::start().await;
    let flow = platform.flow("Flash sale drop (S3)").await;
    let info = json!({flow["id"].as_str().unwrap(): [segment_named(&flow, "Summer VIP shoppers")]});
    let v1 = |body: Value| platform.platform(Method::POST, ADHOCRUN).json(&body).send();
    let missing = v1(json!({"activationInfo": info})).await.unwrap();
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    assert!(
        missing.json::<Value>().await.unwrap()["message"]
            .as_str()
            .unwrap()
            .contains("exportIds")
    );
    platform.advance(45 * 60).await;
    let jobs = platform.get_json("/data/core/ups/export/jobs").await;
    let latest = jobs["records"][0]["id"].to_string();
    let accepted = v1(json!({"activationInfo": info, "exportIds": [latest]}))
        .await
        .unwrap();
    assert_eq!(accepted.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_body_that_is_not_json_gets_the_content_type_error() {
    let platform = Platform::start().await;
    let response = platform
        .platform(Method::POST, ADHOCRUN)
        .body("activationInfo=x")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        response.json::<Value>().await.unwrap()["detail"],
        "A valid content-type must be specified"
    );
}
