use std::process::Stdio;
use std::time::Duration;

use proxy::ApiVersion;
use serde_json::json;

use crate::helpers::{TestPortal, tokens};

#[tokio::test]
async fn v1_by_configuration_sends_the_latest_profile_export_job() {
    let portal = TestPortal::start_with(tokens(), ApiVersion::V1).await;
    let (flow, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    portal.add_export_job("SUCCEEDED").await;
    let response = portal
        .activate(json!({&flow: [&vip]}), "activator-token", None)
        .await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let log = portal.emulator_log().await;
    let post = log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["method"] == "POST" && r["path"].as_str().unwrap().ends_with("/adhocrun"))
        .unwrap();
    assert_eq!(post["body"]["exportIds"], json!(["1"]));
}

#[tokio::test]
async fn many_viewers_of_an_activation_cost_one_run_call_per_interval() {
    let portal = TestPortal::start().await;
    let (flow, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    let response = portal
        .activate(json!({&flow: [&vip]}), "activator-token", None)
        .await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let viewers: Vec<_> = (0..50)
        .map(|_| {
            let request = portal.get(&location, "viewer-token");
            tokio::spawn(async move { request.send().await.unwrap().status() })
        })
        .collect();
    for viewer in viewers {
        assert_eq!(viewer.await.unwrap(), 200);
    }
    let run_calls = portal
        .platform_log()
        .await
        .iter()
        .filter(|r| r.as_str() == "GET /data/foundation/flowservice/runs/{id}")
        .count();
    assert_eq!(run_calls, 1);
}

async fn cli(portal: &TestPortal, destination: &str, segment: &str) -> (i32, String, String) {
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_adhoc-portal"))
        .args([
            "activate",
            "--portal-url",
            &portal.url,
            "--destination",
            destination,
            "--segment",
            segment,
            "--wait",
            "--wait-seconds",
            "60",
        ])
        .env("ADHOC_PORTAL_TOKEN", "activator-token")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The emulator's clock stands still: move it past the run's end while the CLI waits.
    tokio::time::sleep(Duration::from_millis(500)).await;
    portal.advance(120).await;
    let output = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn the_cli_waits_for_the_runs_and_exits_by_their_outcome() {
    let portal = TestPortal::start().await;
    let (flow, vip) = portal
        .pick("Flash sale drop (S3)", "Summer VIP shoppers")
        .await;
    let (code, stdout, stderr) = cli(&portal, &flow, &vip).await;
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("order: segment {vip}")),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("{vip}: success")), "{stdout}");

    let (dlz, gamers) = portal
        .pick("Partner share (Data Landing Zone)", "Gamers")
        .await;
    let (code, stdout, stderr) = cli(&portal, &dlz, &gamers).await;
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(stderr.contains("1 of 1 runs failed"), "{stderr}");
}

#[tokio::test]
async fn the_cli_prints_the_portals_message_when_refused() {
    let portal = TestPortal::start().await;
    let (flow, ended) = portal
        .pick("Flash sale drop (S3)", "Price-drop watchers")
        .await;
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_adhoc-portal"))
        .args([
            "activate",
            "--portal-url",
            &portal.url,
            "--destination",
            &flow,
            "--segment",
            &ended,
        ])
        .env("ADHOC_PORTAL_TOKEN", "activator-token")
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("GUARDRAIL_VIOLATION") && stderr.contains("out of its schedule range"),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_emulator_refuses_a_public_address_and_the_cli_takes_no_token_argument() {
    let emulator = tokio::process::Command::new(env!("CARGO_BIN_EXE_adhoc-portal"))
        .args(["emulator", "--addr", "0.0.0.0:0"])
        .output()
        .await
        .unwrap();
    assert!(!emulator.status.success());
    let stderr = String::from_utf8_lossy(&emulator.stderr);
    assert!(stderr.contains("--allow-remote"), "{stderr}");
    // A token on the command line would be visible to every user of the machine in `ps`.
    let cli = tokio::process::Command::new(env!("CARGO_BIN_EXE_adhoc-portal"))
        .args([
            "activate",
            "--token",
            "secret",
            "--destination",
            "d",
            "--segment",
            "s",
        ])
        .output()
        .await
        .unwrap();
    assert_eq!(cli.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&cli.stderr);
    assert!(stderr.contains("unexpected argument '--token'"), "{stderr}");
}
