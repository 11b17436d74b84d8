use std::sync::{Arc, Mutex, OnceLock};

use emulator::{Clock, Config, Emulator, dataset};
use proxy::auth::TokenUser;
use proxy::{
    ApiVersion, AppState, Application, AuthMode, InboundLimits, Placement, PlatformConfig, Settings,
};
use reqwest::{Client, Method, Response};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use shared::guardrails::Limits;
use shared::portal::{Mode, Role};

pub const ADHOCRUN: &str = "/api/platform/data/core/activation/disflowprovider/adhocrun";
pub const FLOWS: &str = "/api/platform/data/foundation/flowservice/flows";
pub const SECRET: &str = "demo-client-secret";

pub struct TestPortal {
    pub url: String,
    pub emulator_url: String,
    pub client: Client,
    pub state: Arc<AppState>,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

/// The history record an answer's `Location` names.
pub fn record_id(response: &Response) -> String {
    let location = response.headers()["location"].to_str().unwrap();
    location.rsplit('/').next().unwrap().to_owned()
}

pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Log lines of every test in this binary, to prove no secret reaches them.
pub fn captured_logs() -> &'static Mutex<Vec<u8>> {
    static LOGS: OnceLock<&'static Mutex<Vec<u8>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer: &'static Mutex<Vec<u8>> = Box::leak(Box::new(Mutex::new(Vec::new())));
        let _ = tracing_subscriber::fmt()
            .with_env_filter("debug,hyper=info,reqwest=info,sqlx=info,h2=info")
            .with_writer(move || LogWriter(buffer))
            .with_ansi(false)
            .try_init();
        buffer
    })
}

struct LogWriter(&'static Mutex<Vec<u8>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn tokens() -> AuthMode {
    AuthMode::Token(vec![
        TokenUser {
            name: "marketer".into(),
            sha256: proxy::auth::sha256_hex("activator-token"),
            roles: vec![Role::Viewer, Role::Activator],
        },
        TokenUser {
            name: "analyst".into(),
            sha256: proxy::auth::sha256_hex("viewer-token"),
            roles: vec![Role::Viewer],
        },
    ])
}

/// The emulator with the demo sandbox on a manual clock (it stands still unless advanced),
/// writing into `data`, on a loopback port; its URL.
pub async fn start_emulator(data: &std::path::Path) -> (Emulator, String) {
    let now = shared::time::EpochMillis(now_millis());
    let emulator = Emulator::new(
        Config::new(data),
        Clock::manual(now),
        vec![dataset::demo_sandbox(now)],
    );
    let url = serve(emulator.router()).await;
    (emulator, url)
}

/// Where a test portal keeps its history: SQLite in its data folder, or a new database on the
/// PostgreSQL server of `ADHOC_PORTAL_TEST_POSTGRES_URL` when `ADHOC_PORTAL_TEST_DATABASE` is
/// `postgres` (`cargo xtask test` runs the activation suites both ways).
pub async fn test_database() -> Option<proxy::store::Database> {
    if std::env::var("ADHOC_PORTAL_TEST_DATABASE").as_deref() != Ok("postgres") {
        return None;
    }
    Some(proxy::store::Database::Postgres(
        proxy::store::postgres::fresh_database(
            &postgres_server()
                .expect("ADHOC_PORTAL_TEST_DATABASE=postgres needs ADHOC_PORTAL_TEST_POSTGRES_URL"),
        )
        .await
        .unwrap(),
    ))
}

/// A PostgreSQL server whose user may create databases, if the test run was given one.
pub fn postgres_server() -> Option<String> {
    std::env::var("ADHOC_PORTAL_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

impl TestPortal {
    pub async fn start() -> Self {
        Self::start_with(tokens(), ApiVersion::V2).await
    }

    pub async fn start_with(auth: AuthMode, api_version: ApiVersion) -> Self {
        Self::start_with_limits(auth, api_version, InboundLimits::default()).await
    }

    pub async fn start_with_limits(
        auth: AuthMode,
        api_version: ApiVersion,
        inbound: InboundLimits,
    ) -> Self {
        Self::start_custom(auth, api_version, inbound, |_| {}).await
    }

    /// Token users, and the Platform settings changed by `adjust`: IMS or the Platform replaced
    /// by an upstream of the test's own.
    pub async fn start_against(adjust: impl FnOnce(&mut PlatformConfig)) -> Self {
        Self::start_custom(
            tokens(),
            ApiVersion::V2,
            InboundLimits::default(),
            |settings| adjust(&mut settings.platform),
        )
        .await
    }

    /// Token users, notifications going to `receivers`.
    pub async fn start_notifying(receivers: proxy::notify::Receivers) -> Self {
        Self::start_custom(
            tokens(),
            ApiVersion::V2,
            InboundLimits::default(),
            |settings| {
                settings.receivers = receivers;
                settings.public_origin = Some("https://portal.example".into());
            },
        )
        .await
    }

    /// With the settings changed by `adjust` (the Platform pointed at an upstream of the
    /// test's own, notifications...).
    pub async fn start_custom(
        auth: AuthMode,
        api_version: ApiVersion,
        inbound: InboundLimits,
        adjust: impl FnOnce(&mut Settings),
    ) -> Self {
        captured_logs();
        let data = tempfile::tempdir().unwrap();
        let dist = tempfile::tempdir().unwrap();
        std::fs::write(dist.path().join("index.html"), "<html></html>").unwrap();
        let (emulator, emulator_url) = start_emulator(data.path()).await;
        let now = emulator.clock().now();
        let mut settings = Settings {
            platform: PlatformConfig::for_emulator(&emulator, &emulator_url, api_version),
            auth,
            limits: Limits::default(),
            mode: Mode::Live,
            clock: proxy::Clock::manual(now),
            public_origin: None,
            activations_per_user_per_minute: 30,
            receivers: Default::default(),
            approvals: Default::default(),
            plan_grace: std::time::Duration::from_secs(30 * 60),
        };
        adjust(&mut settings);
        let application = Application::build(
            settings,
            Placement {
                data_dir: data.path().to_path_buf(),
                database: test_database().await,
                dist_dir: dist.path().to_path_buf(),
                addr: "127.0.0.1:0".parse().unwrap(),
                inbound,
            },
        )
        .await
        .unwrap();
        let url = format!("http://{}", application.local_addr());
        let state = application.state();
        tokio::spawn(application.run_until(std::future::pending()));
        Self {
            url,
            emulator_url,
            client: Client::new(),
            state,
            _dirs: (data, dist),
        }
    }

    pub fn get(&self, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.client
            .get(format!("{}{path}", self.url))
            .bearer_auth(token)
    }

    /// The body of `GET path`, whatever its status.
    pub async fn get_text(&self, path: &str, token: &str) -> String {
        self.get(path, token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub async fn get_json<T: DeserializeOwned>(&self, path: &str, token: &str) -> T {
        self.get(path, token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn activate(&self, plan: Value, token: &str, key: Option<&str>) -> Response {
        let mut request = self
            .client
            .post(format!("{}{ADHOCRUN}", self.url))
            .bearer_auth(token)
            .json(&json!({"activationInfo": plan}));
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        request.send().await.unwrap()
    }

    pub async fn state_store_record(&self, id: &str) -> shared::portal::HistoryRecord {
        self.state
            .store()
            .get(id)
            .await
            .unwrap()
            .expect("the record exists")
    }

    /// A record whose outcome is unknown, written straight into the history, as one from an
    /// earlier portal version or a crash would be.
    pub async fn insert_unknown(
        &self,
        id: &str,
        created_at: shared::time::EpochMillis,
        plan: shared::portal::RequestedPlan,
    ) {
        let record = shared::portal::HistoryRecord {
            id: id.into(),
            created_at,
            user: "marketer".into(),
            activation_info: plan,
            outcome: shared::portal::Outcome::Unknown,
            orders: Vec::new(),
            error: None,
            warnings: Vec::new(),
            names: Default::default(),
            runs: None,
            plan: Default::default(),
        };
        self.state
            .store()
            .insert(&record, None, id, None)
            .await
            .unwrap();
    }

    pub async fn forget_answer(&self, id: &str) {
        let now = self.state.clock().now();
        self.state
            .store()
            .record_answer(id, shared::portal::Outcome::Unknown, &[], None, None, now)
            .await
            .unwrap();
    }

    /// The emulator's log of every request it received, with routes, headers and bodies.
    pub async fn emulator_log(&self) -> Value {
        self.client
            .get(format!("{}/emulator/requests", self.emulator_url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Every request the emulated Platform received, as `METHOD /route`.
    pub async fn platform_log(&self) -> Vec<String> {
        self.emulator_log().await["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["route"].as_str().unwrap().to_owned())
            .collect()
    }

    pub async fn activations_received(&self) -> usize {
        self.platform_log()
            .await
            .iter()
            .filter(|r| r.ends_with("/adhocrun"))
            .count()
    }

    pub async fn ims_calls(&self) -> usize {
        self.platform_log()
            .await
            .iter()
            .filter(|r| r.ends_with("/ims/token/v3"))
            .count()
    }

    /// Moves the emulator's stopped clock; runs that come due write their files first.
    /// Moves the world's time: the emulator's and the portal's clocks together.
    pub async fn advance(&self, seconds: i64) {
        self.admin(Method::POST, "clock/advance", json!({ "seconds": seconds }))
            .await;
        self.state
            .clock()
            .advance(std::time::Duration::from_secs(seconds.unsigned_abs()));
    }

    /// A segment export job in the emulator, as the daily schedule would start one.
    pub async fn add_export_job(&self, status: &str) {
        self.admin(Method::POST, "export-jobs", json!({ "status": status }))
            .await;
    }

    /// Flows, runs and export jobs of any shape, served by the emulator as given
    /// (`{"flows": [...], "runs": [...], "exportJobs": [...]}`).
    pub async fn load(&self, entities: Value) {
        self.admin(Method::POST, "entities", entities).await;
    }

    pub async fn set_faults(&self, faults: Value) {
        self.admin(Method::PUT, "faults", faults).await;
    }

    /// A call to the emulator's admin API under `/emulator/`, which must succeed.
    async fn admin(&self, method: Method, path: &str, body: Value) {
        let response = self
            .client
            .request(method, format!("{}/emulator/{path}", self.emulator_url))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
    }

    /// The dataflow named `name` and the id of its segment whose English name is `segment`.
    pub async fn pick(&self, name: &str, segment: &str) -> (String, String) {
        let flows: Value = self
            .get_json(
                &format!("{FLOWS}?property=inheritedAttributes.properties.isDestinationFlow==true"),
                "viewer-token",
            )
            .await;
        let flow = flows["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("no flow {name}"));
        let selector = flow["transformations"][0]["params"]["segmentSelectors"]["selectors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["value"]["name"].as_str().unwrap().ends_with(segment))
            .unwrap_or_else(|| panic!("no segment {segment}"));
        (
            flow["id"].as_str().unwrap().to_owned(),
            selector["value"]["id"].as_str().unwrap().to_owned(),
        )
    }
}

/// Serves on a free loopback port, with the peer address the portal's header mode checks.
pub async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap()
    });
    url
}

/// No 64-hex-digit run (the emulator's access tokens) and not the client secret.
pub fn assert_no_secret(text: &str, what: &str) {
    assert!(!text.contains(SECRET), "{what} contains the client secret");
    let mut run = 0;
    for c in text.chars() {
        run = if c.is_ascii_hexdigit() { run + 1 } else { 0 };
        assert!(
            run < 64,
            "{what} contains something shaped like an access token"
        );
    }
}
