//! Three real `serve` processes on one PostgreSQL database in front of one emulator are one
//! portal: no segment reaches the Platform twice while its run is in progress, every answered
//! activation is in the history once and the same from each replica, and a replica killed
//! mid-stream leaves nothing pending. Needs `ADHOC_PORTAL_TEST_POSTGRES_URL` (`cargo xtask
//! test` starts a server).

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::time::{Duration, Instant};

use emulator::dataset;
use serde_json::{Value, json};

use crate::crash::{Portal, folders};
use crate::helpers::{ADHOCRUN, FLOWS, postgres_server, record_id, start_emulator};

const TOKEN: &str = "replica-token";

struct Replicas {
    portals: Vec<Portal>,
    emulator_url: String,
    client: reqwest::Client,
    _folders: Vec<tempfile::TempDir>,
}

impl Replicas {
    /// `count` replicas on a new database, or `None` without a PostgreSQL server.
    async fn start(count: usize) -> Option<Self> {
        let Some(server) = postgres_server() else {
            eprintln!("not run: ADHOC_PORTAL_TEST_POSTGRES_URL is not set");
            return None;
        };
        let database = proxy::store::postgres::fresh_database(&server)
            .await
            .unwrap();
        let (data, dist) = folders();
        // The emulator's clock stands still: no run ends during the test, so a segment sent
        // twice would be sent while its run is in progress.
        let (emulator, emulator_url) = start_emulator(data.path()).await;
        let tokens = data.path().join("tokens.txt");
        std::fs::write(
            &tokens,
            format!(
                "marketer:{}:viewer,activator\n",
                proxy::auth::sha256_hex(TOKEN)
            ),
        )
        .unwrap();
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&tokens, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let credentials = emulator.config().credentials.clone();
        let mut portals = Vec::new();
        let mut folders = vec![data, dist];
        for _ in 0..count {
            let own = tempfile::tempdir().unwrap();
            let mut command = Command::new(env!("CARGO_BIN_EXE_adhoc-portal"));
            command
                .args([
                    "serve",
                    "--auth",
                    "token",
                    "--activations-per-minute",
                    "10000",
                ])
                .arg("--tokens-file")
                .arg(&tokens)
                .arg("--dist-dir")
                .arg(folders[1].path())
                .arg("--data-dir")
                .arg(own.path())
                .args(["--database-url", &database])
                .env("AEP_CLIENT_ID", &credentials.client_id)
                .env("AEP_CLIENT_SECRET", &credentials.client_secret)
                .env("AEP_ORG_ID", &credentials.org_id)
                .env("AEP_SCOPES", credentials.scopes.join(","))
                .env("AEP_SANDBOX_NAME", "prod")
                .env("AEP_PLATFORM_URL", &emulator_url)
                .env("AEP_IMS_URL", &emulator_url);
            portals.push(Portal::spawn(command).await);
            folders.push(own);
        }
        Some(Self {
            portals,
            emulator_url,
            client: reqwest::Client::new(),
            _folders: folders,
        })
    }

    /// The first `count` segments of the demo's bulk destination, and its dataflow.
    async fn bulk_segments(&self, count: usize) -> (String, Vec<String>) {
        let flows = self
            .get_json(format!(
                "{}{FLOWS}?property=state==enabled",
                self.portals[0].url
            ))
            .await;
        let flow = flows["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == dataset::BULK_DESTINATION)
            .unwrap();
        let segments = flow["transformations"][0]["params"]["segmentSelectors"]["selectors"]
            .as_array()
            .unwrap()
            .iter()
            .take(count)
            .map(|s| s["value"]["id"].as_str().unwrap().to_owned())
            .collect();
        (flow["id"].as_str().unwrap().to_owned(), segments)
    }

    async fn activate(&self, replica: usize, plan: &Value, key: &str) -> (u16, Option<String>) {
        let response = self
            .client
            .post(format!("{}{ADHOCRUN}", self.portals[replica].url))
            .bearer_auth(TOKEN)
            .header("idempotency-key", key)
            .json(&json!({"activationInfo": plan}))
            .send()
            .await
            .unwrap();
        let location = response
            .headers()
            .contains_key("location")
            .then(|| record_id(&response));
        (response.status().as_u16(), location)
    }

    async fn get_json(&self, url: String) -> Value {
        let response = self.client.get(url).bearer_auth(TOKEN).send().await;
        response.unwrap().json().await.unwrap()
    }

    /// The whole history as one replica shows it: record id → outcome.
    async fn history(&self, replica: usize) -> BTreeMap<String, String> {
        let mut records = BTreeMap::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut url = format!("{}/api/history?limit=200", self.portals[replica].url);
            if let Some(cursor) = &cursor {
                url.push_str(&format!("&cursor={cursor}"));
            }
            let page = self.get_json(url).await;
            for item in page["items"].as_array().unwrap() {
                let id = item["id"].as_str().unwrap().to_owned();
                assert!(
                    records
                        .insert(id, item["outcome"].as_str().unwrap().to_owned())
                        .is_none(),
                    "a record listed twice"
                );
            }
            match page["nextCursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return records,
            }
        }
    }

    /// Every Platform answer takes `millis` longer.
    async fn slow_platform(&self, millis: u64) {
        self.client
            .put(format!("{}/emulator/faults", self.emulator_url))
            .json(&json!({"latencyMs": millis}))
            .send()
            .await
            .unwrap();
    }

    /// How many times each segment reached the Platform's adhocrun.
    async fn segments_sent(&self) -> BTreeMap<String, usize> {
        let log: Value = reqwest::get(format!("{}/emulator/requests", self.emulator_url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut sent = BTreeMap::new();
        for request in log["requests"].as_array().unwrap() {
            if request["method"] == "POST"
                && request["path"].as_str().unwrap().ends_with("/adhocrun")
            {
                for segments in request["body"]["activationInfo"]
                    .as_object()
                    .unwrap()
                    .values()
                {
                    for segment in segments.as_array().unwrap() {
                        *sent
                            .entry(segment.as_str().unwrap().to_owned())
                            .or_default() += 1;
                    }
                }
            }
        }
        sent
    }
}

#[tokio::test]
async fn sixty_overlapping_activations_over_three_replicas_send_each_segment_once() {
    let Some(replicas) = Replicas::start(3).await else {
        return;
    };
    let (flow, segments) = replicas.bulk_segments(20).await;
    // Twenty plans, each sent at once to all three replicas (under three keys), and sharing
    // segments with the next plans; ten keys are sent again to another replica.
    let plan = |i: usize| json!({&flow: [&segments[i % 20], &segments[(i + 1) % 20], &segments[(i + 7) % 20]]});
    let plans: Vec<(usize, Value, String)> = (0..60)
        .map(|i| (i % 3, plan(i / 3), format!("plan-{i}")))
        .chain((0..10).map(|i| ((i + 1) % 3, plan(i / 3), format!("plan-{i}"))))
        .collect();
    let replicas = std::sync::Arc::new(replicas);
    let sending: Vec<_> = plans
        .into_iter()
        .map(|(replica, plan, key)| {
            let replicas = replicas.clone();
            tokio::spawn(async move {
                let answer = replicas.activate(replica, &plan, &key).await;
                (key, answer)
            })
        })
        .collect();
    let mut answers: BTreeMap<String, Vec<(u16, Option<String>)>> = BTreeMap::new();
    for task in sending {
        let (key, answer) = task.await.unwrap();
        answers.entry(key).or_default().push(answer);
    }

    let sent = replicas.segments_sent().await;
    let twice: Vec<_> = sent.iter().filter(|(_, times)| **times > 1).collect();
    assert!(
        twice.is_empty(),
        "sent twice while their runs were in progress: {twice:?}"
    );

    let history = replicas.history(0).await;
    for replica in 1..3 {
        assert_eq!(
            replicas.history(replica).await,
            history,
            "replica {replica} shows another history"
        );
    }
    assert_eq!(history.len(), 60, "one record per key: {history:?}");
    let accepted = history.values().filter(|o| *o == "accepted").count();
    assert!(
        (1..60).contains(&accepted),
        "{accepted} accepted: the plans overlap, some must win and some wait"
    );
    let posts = sent.values().sum::<usize>();
    assert_eq!(
        posts,
        accepted * 3,
        "each accepted plan's three segments reached the Platform, nothing else did"
    );
    let mut refused = 0;
    for (key, answers) in &answers {
        let records: BTreeSet<&String> = answers
            .iter()
            .filter_map(|(_, location)| location.as_ref())
            .collect();
        assert!(records.len() <= 1, "{key} made two records: {answers:?}");
        let statuses: BTreeSet<u16> = answers
            .iter()
            .map(|(status, _)| *status)
            .filter(|status| *status != 409)
            .collect();
        assert_eq!(
            statuses.len(),
            1,
            "{key}: a repeated key got another answer: {answers:?}"
        );
        for (status, location) in answers {
            match (status, location) {
                (200, Some(id)) => assert_eq!(history[id], "accepted", "{key}"),
                (422, None) => {}
                // The same key while its first request was still being sent elsewhere.
                (409, _) => {}
                other => panic!("{key}: unexpected answer {other:?}"),
            }
        }
        refused += usize::from(statuses.contains(&422));
    }
    assert_eq!(
        history.values().filter(|o| *o == "rejected").count(),
        refused,
        "one record per refused key"
    );
}

#[tokio::test]
async fn a_replica_killed_mid_stream_leaves_its_records_to_the_others() {
    let Some(mut replicas) = Replicas::start(3).await else {
        return;
    };
    let (flow, segments) = replicas.bulk_segments(60).await;
    // Each call takes a while: the kill finds activations being sent.
    replicas.slow_platform(300).await;
    let url = replicas.portals[0].url.clone();
    let streams: Vec<_> = segments
        .chunks(15)
        .map(|chunk| {
            let (url, flow, chunk) = (url.clone(), flow.clone(), chunk.to_vec());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut answered = Vec::new();
                for segment in chunk {
                    let response = client
                        .post(format!("{url}{ADHOCRUN}"))
                        .bearer_auth(TOKEN)
                        .json(&json!({"activationInfo": {&flow: [&segment]}}))
                        .send()
                        .await;
                    match response {
                        Ok(r) if r.status() == 200 => answered.push(record_id(&r)),
                        Ok(_) => {}
                        Err(_) => break,
                    }
                }
                answered
            })
        })
        .collect();
    // Killed, after a few answers, while one of its activations is being sent, as another
    // replica sees it.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let seen = replicas.history(1).await;
        let count = |wanted: &str| seen.values().filter(|outcome| *outcome == wanted).count();
        if count("pending") > 0 && count("accepted") >= 3 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "never seen answering and sending: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    replicas.portals[0].kill_9();
    let mut answered = Vec::new();
    for stream in streams {
        answered.extend(stream.await.unwrap());
    }
    assert!(!answered.is_empty(), "nothing was answered before the kill");

    // Its heartbeat stops; the others take its pending records within a few beats.
    let deadline = Instant::now() + Duration::from_secs(90);
    let history = loop {
        let history = replicas.history(1).await;
        if !history.values().any(|outcome| outcome == "pending") {
            break history;
        }
        assert!(
            Instant::now() < deadline,
            "still pending after the kill: {history:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(replicas.history(2).await, history);
    for id in &answered {
        assert_eq!(
            history[id], "accepted",
            "{id}, answered 200 before the kill"
        );
    }
    let sent = replicas.segments_sent().await;
    assert!(
        sent.values().all(|times| *times == 1),
        "a segment sent twice: {sent:?}"
    );
}
