//! The real binary, killed with SIGKILL in the middle of a stream of activations, then started
//! again on the same data folder: every activation it answered 200 is in the history.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The real binary on a free port; killed when dropped.
pub struct Portal {
    child: Child,
    pub url: String,
}

/// A data folder and a frontend folder with an `index.html`, as the binary wants them.
pub fn folders() -> (tempfile::TempDir, tempfile::TempDir) {
    let data = tempfile::tempdir().unwrap();
    let dist = tempfile::tempdir().unwrap();
    std::fs::write(dist.path().join("index.html"), "<html></html>").unwrap();
    (data, dist)
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Portal {
    pub async fn start(data: &std::path::Path, dist: &std::path::Path) -> Self {
        Self::start_with(data, dist, &[]).await
    }

    async fn start_with(data: &std::path::Path, dist: &std::path::Path, args: &[&str]) -> Self {
        let mut demo = Command::new(env!("CARGO_BIN_EXE_adhoc-portal"));
        demo.arg("demo")
            .arg("--data-dir")
            .arg(data)
            .arg("--dist-dir")
            .arg(dist)
            .args(args)
            .env("ADHOC_PORTAL_WEBHOOK_SECRET", "crash-test-secret");
        Self::spawn(demo).await
    }

    /// Starts `command` (`demo` or `serve` with its arguments) on a free port, once healthy.
    pub async fn spawn(mut command: Command) -> Self {
        let port = free_port();
        let child = command
            .args(["--port", &port.to_string()])
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

    /// The enabled destination dataflows, as the portal forwards them.
    async fn enabled_flows(&self, client: &reqwest::Client) -> Value {
        client
            .get(format!(
                "{}/api/platform/data/foundation/flowservice/flows?property=state==enabled",
                self.url
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// The enabled dataflow named `name`.
    pub async fn flow_named(&self, client: &reqwest::Client, name: &str) -> Value {
        let flows = self.enabled_flows(client).await;
        flows["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("no dataflow {name}"))
            .clone()
    }

    /// Activates the first `count` segments of the dataflow `name`, one activation each; the
    /// ids of those answered 200.
    pub async fn activate_each(
        &self,
        client: &reqwest::Client,
        name: &str,
        count: usize,
    ) -> Vec<String> {
        let flow = self.flow_named(client, name).await;
        let mut answered = Vec::new();
        for selector in flow["transformations"][0]["params"]["segmentSelectors"]["selectors"]
            .as_array()
            .unwrap()
            .iter()
            .take(count)
        {
            let response = client
                .post(format!(
                    "{}/api/platform/data/core/activation/disflowprovider/adhocrun",
                    self.url
                ))
                .json(&json!({"activationInfo": {flow["id"].as_str().unwrap(): [selector["value"]["id"]]}}))
                .send()
                .await
                .unwrap();
            if response.status() == 200 {
                answered.push(crate::helpers::record_id(&response));
            }
        }
        answered
    }

    pub fn kill_9(&mut self) {
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
    let (data, dist) = folders();
    let mut portal = Portal::start(data.path(), dist.path()).await;
    let client = reqwest::Client::new();
    let flows = portal.enabled_flows(&client).await;
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

/// Notifications in the outbox when the portal is killed go out after it restarts.
#[tokio::test]
async fn undelivered_notifications_survive_a_kill_9() {
    use std::sync::{Arc, Mutex};
    let (data, dist) = folders();
    // The receiver's port, closed until after the kill: every attempt before it fails.
    let receiver_port = free_port();
    let hook = format!("http://127.0.0.1:{receiver_port}/hook");
    let args = ["--webhook-url", hook.as_str()];
    let mut portal = Portal::start_with(data.path(), dist.path(), &args).await;
    let client = reqwest::Client::new();
    let answered = portal
        .activate_each(&client, "Data lake (Azure Blob)", 3)
        .await;
    assert!(!answered.is_empty());
    // Long enough for the events to be in the outbox and tried against the closed port.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    portal.kill_9();

    let received: Arc<Mutex<Vec<Value>>> = Arc::default();
    let sink = received.clone();
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::body::Bytes| {
            let sink = sink.clone();
            async move {
                sink.lock()
                    .unwrap()
                    .push(serde_json::from_slice(&body).unwrap());
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", receiver_port))
        .await
        .unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let _portal = Portal::start_with(data.path(), dist.path(), &args).await;
    // A claim cut off by the kill is taken again after its 60 s lease at worst.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let accepted: Vec<String> = received
            .lock()
            .unwrap()
            .iter()
            .filter(|event| event["event"] == "activation.accepted")
            .map(|event| event["id"].as_str().unwrap().to_owned())
            .collect();
        if answered.iter().all(|id| accepted.contains(id)) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not delivered after the restart: {accepted:?} of {answered:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A plan scheduled before a kill -9 is sent once, after the restart, at its time.
#[tokio::test]
async fn a_scheduled_plan_survives_a_kill_9_and_is_sent_once() {
    let (data, dist) = folders();
    let mut portal = Portal::start(data.path(), dist.path()).await;
    let client = reqwest::Client::new();
    let flow = &portal.flow_named(&client, "Weather campaigns (GCS)").await;
    let flow_id = flow["id"].as_str().unwrap().to_owned();
    let segment = flow["transformations"][0]["params"]["segmentSelectors"]["selectors"][0]["value"]
        ["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let run_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
        + 4_000;
    let at = shared::time::EpochMillis(run_at);
    let (h, m, s) = at.utc_time_of_day();
    let response = client
        .post(format!("{}/api/plans", portal.url))
        .json(&json!({"activationInfo": {&flow_id: [&segment]}, "runAt": format!("{}T{h:02}:{m:02}:{s:02}Z", at.utc_date())}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let id = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    portal.kill_9();

    let portal = Portal::start(data.path(), dist.path()).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let record = loop {
        let detail: Value = client
            .get(format!("{}/api/history/{id}", portal.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if detail["record"]["outcome"] == "accepted" {
            break detail["record"].clone();
        }
        assert!(
            Instant::now() < deadline,
            "not sent after the restart: {detail}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(record["orders"].as_array().unwrap().len(), 1);
    // Once: the segment has one run on this dataflow, and no second record took it.
    let runs: Value = client
        .get(format!(
            "{}/api/platform/data/foundation/flowservice/runs?property=flowId=={flow_id}",
            portal.url
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let adhoc: Vec<&Value> = runs["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["createdAt"].as_i64().unwrap() >= run_at - 1_000)
        .collect();
    assert_eq!(adhoc.len(), 1, "{runs}");
}
