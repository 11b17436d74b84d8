//! The emulator with the demo dataset on a stopped clock, served on a loopback port, and a
//! client that signs in through its IMS like the portal does.

use std::path::PathBuf;

use emulator::{Clock, Config, Emulator, dataset};
use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use shared::time::{Date, EpochMillis};

pub const V2_ACCEPT: &str = shared::aep::adhoc::V2_ACCEPT;

pub struct Platform {
    pub url: String,
    pub client: Client,
    pub token: String,
    pub data_dir: tempfile::TempDir,
}

/// Noon UTC on a fixed day, so that schedules and waits are the same on every run.
pub fn start_time() -> EpochMillis {
    Date::new(2026, 11, 30)
        .unwrap()
        .start_millis()
        .plus_seconds(12 * 3600)
}

impl Platform {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// With the demo sandbox changed by `adjust` first.
    pub async fn start_with(adjust: impl FnOnce(&mut emulator::Sandbox)) -> Self {
        let data_dir = tempfile::tempdir().unwrap();
        let now = start_time();
        let mut sandbox = dataset::demo_sandbox(now);
        adjust(&mut sandbox);
        let emulator = Emulator::new(
            Config::new(data_dir.path()),
            Clock::manual(now),
            vec![sandbox],
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let router = emulator.router();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        let client = Client::new();
        let mut platform = Self {
            url,
            client,
            token: String::new(),
            data_dir,
        };
        platform.token = platform.new_token().await;
        platform
    }

    pub async fn new_token(&self) -> String {
        let response = self
            .token_request(&[
                ("grant_type", "client_credentials"),
                ("client_id", "demo-client-id"),
                ("client_secret", "demo-client-secret"),
                ("scope", "openid,AdobeID,read_organizations"),
            ])
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn token_request(&self, form: &[(&str, &str)]) -> Response {
        self.client
            .post(format!("{}/ims/token/v3", self.url))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// A request with every credential header the gateway wants.
    pub fn platform(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .header("x-api-key", "demo-client-id")
            .header("x-gw-ims-org-id", emulator::ORG_ID)
            .header("x-sandbox-name", "prod")
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let response = self
            .platform(reqwest::Method::GET, path)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.json().await.unwrap()
    }

    pub async fn activate(&self, activation_info: Value) -> (StatusCode, Value) {
        let response = self
            .platform(
                reqwest::Method::POST,
                "/data/core/activation/disflowprovider/adhocrun",
            )
            .header("accept", V2_ACCEPT)
            .json(&json!({"activationInfo": activation_info}))
            .send()
            .await
            .unwrap();
        (response.status(), response.json().await.unwrap())
    }

    /// Loads entities of any shape through the admin API.
    pub async fn load(&self, entities: Value) {
        let response = self
            .client
            .post(format!("{}/emulator/entities", self.url))
            .json(&entities)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
    }

    pub async fn advance(&self, seconds: i64) {
        let response = self
            .client
            .post(format!("{}/emulator/clock/advance", self.url))
            .json(&json!({"seconds": seconds}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }

    pub async fn requests(&self) -> Vec<Value> {
        let log: Value = self
            .client
            .get(format!("{}/emulator/requests", self.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        log["requests"].as_array().unwrap().clone()
    }

    /// Every destination flow, by name.
    pub async fn flow(&self, name: &str) -> Value {
        let flows = self.get_json("/data/foundation/flowservice/flows?property=inheritedAttributes.properties.isDestinationFlow==true").await;
        flows["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("no flow {name}"))
            .clone()
    }

    pub fn exports(&self) -> PathBuf {
        self.data_dir.path().join("exports")
    }
}

/// The selectors of a flow: (segment id, segment name).
pub fn selectors(flow: &Value) -> Vec<(String, String)> {
    flow["transformations"][0]["params"]["segmentSelectors"]["selectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["value"]["id"].as_str().unwrap().to_owned(),
                s["value"]["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

pub fn segment_named(flow: &Value, english: &str) -> String {
    selectors(flow)
        .into_iter()
        .find(|(_, name)| name.ends_with(english))
        .unwrap_or_else(|| panic!("no segment {english}"))
        .0
}
