//! The real binary, killed with SIGKILL in the middle of a stream of activations, then started
//! again on the same data folder: every activation it answered 200 is in the history.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

struct Portal {
    child: Child,
    url: String,
}

impl Portal {
    async fn start(data: &std::path::Path, dist: &std::path::Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_adhoc-portal"))
            .args(["demo", "--port", &port.to_string()])
            .arg("--data-dir")
            .arg(data)
            .arg("--dist-dir")
            .arg(dist)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while reqwest::get(format!("{url}/healthz")).await.is_err() {
            assert!(Instant::now() < deadline, "the portal did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self { child, url }
    }

    fn kill_9(&mut self) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

impl Drop for Portal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn every_answered_activation_survives_a_kill_9() {
    let data = tempfile::tempdir().unwrap();
    let dist = tempfile::tempdir().unwrap();
    std::fs::write(dist.path().join("index.html"), "<html></html>").unwrap();
    let mut portal = Portal::start(data.path(), dist.path()).await;
    let client = reqwest::Client::new();
    let flows: Value = client
        .get(format!(
            "{}/api/platform/data/foundation/flowservice/flows?property=state==enabled",
            portal.url
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut plans = Vec::new();
    for flow in flows["items"].as_array().unwrap() {
        for selector in flow["transformations"][0]["params"]["segmentSelectors"]["selectors"]
            .as_array()
            .unwrap()
        {
            plans.push(json!({flow["id"].as_str().unwrap(): [selector["value"]["id"]]}));
        }
    }
    let url = portal.url.clone();
    let sender = tokio::spawn(async move {
        let mut answered = Vec::new();
        // Round after round until the kill: later rounds are refused (runs in progress) and recorded too.
        for plan in plans.iter().cycle() {
            let response = client
                .post(format!(
                    "{url}/api/platform/data/core/activation/disflowprovider/adhocrun"
                ))
                .json(&json!({"activationInfo": plan}))
                .send()
                .await;
            match response {
                Ok(r) if r.status() == 200 => {
                    answered.push(r.headers()["location"].to_str().unwrap().to_owned())
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        answered
    });
    tokio::time::sleep(Duration::from_millis(400)).await;
    portal.kill_9();
    let answered = sender.await.unwrap();
    assert!(!answered.is_empty(), "nothing was answered before the kill");
    let portal = Portal::start(data.path(), dist.path()).await;
    for location in &answered {
        let record: Value = reqwest::get(format!("{}{location}", portal.url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            record["record"]["outcome"], "accepted",
            "{location}: {record}"
        );
    }
}
