//! The emulator-only admin API under `/emulator/`: the log of requests received (tests prove
//! with it what reached the Platform), fault injection, the clock, token expiry and scheduled
//! export jobs on demand, and Platform entities of any shape (`/emulator/entities`).

use std::collections::VecDeque;

use axum::{
    Json, Router,
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use shared::aep::export_job::{ExportJobId, ExportJobStatus};
use shared::time::EpochMillis;

use shared::aep::flow::Flow;
use shared::guardrails::DestinationKind;
use shared::sandbox::Destination;

use crate::dataset::STREAMING_DESTINATION;
use crate::export::{Compression, FileType};
use crate::world::{Dataflow, profile_export_job};
use crate::{Emulator, Faults};

/// Enough for a soak test; the oldest entries go first.
const LOG_CAPACITY: usize = 200_000;

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggedRequest {
    pub at: EpochMillis,
    pub method: String,
    pub path: String,
    pub query: String,
    /// `METHOD /matched/{pattern}`.
    pub route: String,
    pub sandbox: Option<String>,
    /// The caller's `x-request-id`, to tie a call to the client's request.
    pub request_id: Option<String>,
    pub body: Option<Value>,
    /// The status answered; absent where the route does not record it (IMS).
    pub status: Option<u16>,
}

#[derive(Debug, Default)]
pub struct RequestLog(VecDeque<LoggedRequest>);

impl RequestLog {
    pub fn push(&mut self, request: LoggedRequest) {
        if self.0.len() == LOG_CAPACITY {
            self.0.pop_front();
        }
        self.0.push_back(request);
    }
}

pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/requests", get(requests).delete(clear_requests))
        .route("/faults", get(faults).put(set_faults).delete(clear_faults))
        .route("/clock", get(clock))
        .route("/clock/advance", post(advance))
        .route("/tokens/expire", post(expire_tokens))
        .route(
            "/export-jobs",
            post(add_export_job).delete(clear_export_jobs),
        )
        .route("/entities", post(load_entities).delete(clear_entities))
}

/// Platform entities of any shape, for a test to serve what the emulator would not make itself.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entities {
    #[serde(default)]
    flows: Vec<Value>,
    #[serde(default)]
    runs: Vec<Value>,
    #[serde(default)]
    export_jobs: Vec<Value>,
}

/// Adds the entities to a sandbox's lists, served exactly as given. A loaded dataflow that reads
/// as one can also be activated (it writes CSV files), so that what the Platform accepts or
/// refuses for it is the emulator's rules, not the test's.
async fn load_entities(
    State(emulator): State<Emulator>,
    Query(SandboxParam { sandbox }): Query<SandboxParam>,
    Json(entities): Json<Entities>,
) -> Response {
    let mut world = emulator.world();
    let name = sandbox.unwrap_or_else(|| "prod".into());
    let Some(sandbox) = world.sandboxes.get_mut(&name) else {
        return no_sandbox(&name);
    };
    let (flows, runs, export_jobs) = (
        entities.flows.len(),
        entities.runs.len(),
        entities.export_jobs.len(),
    );
    for raw in entities.flows {
        match serde_json::from_value::<Flow>(raw.clone()) {
            Ok(flow) => {
                let destination = match Destination::of(&flow).kind() {
                    DestinationKind::Streaming { .. } => STREAMING_DESTINATION.to_owned(),
                    kind => kind.name().unwrap_or("Loaded destination").to_owned(),
                };
                sandbox.dataflows.push(Dataflow {
                    flow,
                    destination,
                    file_type: FileType::Csv,
                    compression: Compression::None,
                    manifest: false,
                    raw: Some(raw),
                });
            }
            Err(_) => sandbox.loaded.flows.push(raw),
        }
    }
    sandbox.loaded.runs.extend(entities.runs);
    sandbox.loaded.export_jobs.extend(entities.export_jobs);
    (
        StatusCode::CREATED,
        Json(json!({"flows": flows, "runs": runs, "exportJobs": export_jobs})),
    )
        .into_response()
}

async fn clear_entities(
    State(emulator): State<Emulator>,
    Query(SandboxParam { sandbox }): Query<SandboxParam>,
) -> StatusCode {
    let name = sandbox.unwrap_or_else(|| "prod".into());
    if let Some(sandbox) = emulator.world().sandboxes.get_mut(&name) {
        sandbox.loaded = Default::default();
        sandbox.dataflows.retain(|d| d.raw.is_none());
    }
    StatusCode::NO_CONTENT
}

async fn requests(State(emulator): State<Emulator>) -> Json<Value> {
    Json(json!({"requests": emulator.requests().0}))
}

async fn clear_requests(State(emulator): State<Emulator>) -> StatusCode {
    emulator.requests().0.clear();
    StatusCode::NO_CONTENT
}

async fn faults(State(emulator): State<Emulator>) -> Json<Faults> {
    Json(emulator.faults().clone())
}

async fn set_faults(State(emulator): State<Emulator>, Json(faults): Json<Faults>) -> Json<Faults> {
    *emulator.faults() = faults.clone();
    Json(faults)
}

async fn clear_faults(State(emulator): State<Emulator>) -> StatusCode {
    *emulator.faults() = Faults::default();
    StatusCode::NO_CONTENT
}

async fn clock(State(emulator): State<Emulator>) -> Json<Value> {
    Json(json!({"now": emulator.now()}))
}

#[derive(Deserialize)]
struct Advance {
    seconds: i64,
}

/// Moves the clock and settles every run that came due, so that the files exist on return.
async fn advance(
    State(emulator): State<Emulator>,
    Json(Advance { seconds }): Json<Advance>,
) -> Json<Value> {
    emulator.clock().advance(seconds);
    emulator.settle().await;
    Json(json!({"now": emulator.now()}))
}

async fn expire_tokens(State(emulator): State<Emulator>) -> StatusCode {
    let now = emulator.now();
    emulator
        .world()
        .tokens
        .values_mut()
        .for_each(|expires| *expires = now);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct SandboxParam {
    sandbox: Option<String>,
}

#[derive(Deserialize)]
struct NewExportJob {
    status: ExportJobStatus,
}

/// A scheduled profile export job that exists until cleared, e.g. one that is `PROCESSING`.
async fn add_export_job(
    State(emulator): State<Emulator>,
    Query(SandboxParam { sandbox }): Query<SandboxParam>,
    Json(NewExportJob { status }): Json<NewExportJob>,
) -> Response {
    let now = emulator.now();
    let mut world = emulator.world();
    let name = sandbox.unwrap_or_else(|| "prod".into());
    let Some(sandbox) = world.sandboxes.get_mut(&name) else {
        return no_sandbox(&name);
    };
    let id = ExportJobId(
        (1 + sandbox
            .export_jobs
            .iter()
            .filter_map(|j| j.id.0.parse::<u64>().ok())
            .max()
            .unwrap_or(0))
        .to_string(),
    );
    let job = profile_export_job(id, status, now, now);
    sandbox.export_jobs.push(job.clone());
    (StatusCode::CREATED, Json(job)).into_response()
}

async fn clear_export_jobs(
    State(emulator): State<Emulator>,
    Query(SandboxParam { sandbox }): Query<SandboxParam>,
) -> StatusCode {
    let name = sandbox.unwrap_or_else(|| "prod".into());
    if let Some(sandbox) = emulator.world().sandboxes.get_mut(&name) {
        sandbox.export_jobs.clear();
    }
    StatusCode::NO_CONTENT
}

fn no_sandbox(name: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"message": format!("no sandbox {name}")})),
    )
        .into_response()
}
