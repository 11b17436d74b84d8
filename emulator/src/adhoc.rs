//! `POST /data/core/activation/disflowprovider/adhocrun`, v2 (by `Accept`) and v1 (with
//! `exportIds`). The job is all or nothing: every rule is checked before any run starts.
//!
//! Where Adobe documents the answer it is reproduced word for word ("Run already going on ...",
//! "Segments ... are not part of this dataflow or out of schedule range!"). Where it does not,
//! this emulator answers 400 with `{"message"}`, the endpoint's documented error body, and a
//! sentence that says what to do: more than 80 audiences, a scheduled export in progress, the
//! first-activation wait, a disabled dataflow. An unknown dataflow is 404, as documented.

use axum::{
    Json, Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::json;
use shared::aep::adhoc::{
    self, ActivationInfo, ActivationOrder, AdhocRunRequestV1, AdhocRunRequestV2, AdhocRunResponse,
    V2_ACCEPT,
};
use shared::aep::run::RUNS_PATH;

use std::collections::HashSet;

use shared::time::EpochMillis;

use crate::wire::{SandboxExtension, header as header_value};
use crate::world::{RunRecord, Sandbox, World};
use crate::{Config, Emulator};

/// adhocrun's documented error body: `{"message": "..."}`.
struct Refusal {
    status: StatusCode,
    message: String,
}

fn refuse(status: StatusCode, message: impl Into<String>) -> Refusal {
    Refusal {
        status,
        message: message.into(),
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.status, Json(json!({"message": self.message}))).into_response()
    }
}

pub fn routes() -> Router<Emulator> {
    Router::new().route(adhoc::PATH, post(run))
}

async fn run(
    State(emulator): State<Emulator>,
    sandbox: SandboxExtension,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let json_body = header_value(&headers, header::CONTENT_TYPE.as_str())
        .is_some_and(|t| t.starts_with("application/json"));
    if !json_body {
        return (
            StatusCode::BAD_REQUEST,
            Json(
                json!({"type": "/placeholder/type/uri", "status": 400, "title": "BadRequestError",
                        "detail": "A valid content-type must be specified"}),
            ),
        )
            .into_response();
    }
    let v2 = header_value(&headers, header::ACCEPT.as_str())
        .is_some_and(|accept| accept.replace(' ', "") == V2_ACCEPT.replace(' ', ""));
    let (activation_info, export_ids) = match parse(&body, v2) {
        Ok(parsed) => parsed,
        Err(message) => return refuse(StatusCode::BAD_REQUEST, message).into_response(),
    };
    let base = header_value(&headers, header::HOST.as_str())
        .map_or_else(String::new, |host| format!("http://{host}"));
    let now = emulator.now();
    let config = emulator.config().clone();
    let mut world = emulator.world();
    let World { sandboxes, ids, .. } = &mut *world;
    let Some(sandbox) = sandboxes.get_mut(&sandbox.0.0) else {
        return refuse(StatusCode::NOT_FOUND, "sandbox not found").into_response();
    };
    if let Err(refusal) = check(sandbox, &activation_info, &export_ids, now, &config) {
        return refusal.into_response();
    }
    let mut order = Vec::new();
    for (dataflow_id, segments) in &activation_info {
        // A segment listed twice for one dataflow starts one run.
        let mut seen = HashSet::new();
        for segment_id in segments.iter().filter(|s| seen.insert(s.as_str())) {
            let run_id = ids.uuid();
            order.push(ActivationOrder {
                segment: segment_id.to_string(),
                order: dataflow_id.to_string(),
                status_url: format!("{base}{RUNS_PATH}/{run_id}"),
            });
            sandbox.runs.push(RunRecord {
                id: run_id,
                flow_id: dataflow_id.to_string(),
                segment_id: segment_id.to_string(),
                created_at: now,
                finishes_at: now.plus_seconds(config.run_seconds),
                scheduled: false,
                writing: false,
                completion: None,
            });
        }
    }
    Json(AdhocRunResponse { order }).into_response()
}

/// The request as the version asks: v2 needs `activationInfo`, v1 also `exportIds`.
fn parse(body: &[u8], v2: bool) -> Result<(ActivationInfo, Vec<String>), String> {
    let invalid = |e: serde_json::Error| format!("Malformed request body: {e}");
    let (activation_info, export_ids) = if v2 {
        let request: AdhocRunRequestV2 = serde_json::from_slice(body).map_err(invalid)?;
        (request.activation_info, Vec::new())
    } else {
        let request: AdhocRunRequestV1 = serde_json::from_slice(body).map_err(|e| {
            format!(
                "{} (without the v2 Accept header the request is v1 and needs exportIds)",
                invalid(e)
            )
        })?;
        if request.export_ids.is_empty() {
            return Err("exportIds must name the latest audience export job".into());
        }
        (request.activation_info, request.export_ids)
    };
    if activation_info.count() == 0 {
        return Err(
            "activationInfo must map at least one destination to at least one audience".into(),
        );
    }
    Ok((activation_info, export_ids))
}

fn check(
    sandbox: &Sandbox,
    activation_info: &ActivationInfo,
    export_ids: &[String],
    now: EpochMillis,
    config: &Config,
) -> Result<(), Refusal> {
    let jobs = sandbox.export_jobs(now);
    for id in export_ids {
        let known = jobs
            .iter()
            .any(|j| j.is_profile_export() && j.id.to_string() == *id);
        if !known {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                format!("Export job {id} is not an audience export job of this sandbox"),
            ));
        }
    }
    let entries = activation_info.count();
    if entries > config.max_entries {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            format!(
                "The ad hoc activation job has {entries} audiences; at most {} are allowed in one job",
                config.max_entries
            ),
        ));
    }
    if let Some(job) = jobs.iter().find(|j| j.blocks_adhoc_runs()) {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            format!(
                "A scheduled audience export job ({}) is in progress; ad hoc activation can run after it has finished",
                job.id
            ),
        ));
    }
    for (dataflow_id, segments) in activation_info {
        let Some(dataflow) = sandbox.dataflow(dataflow_id) else {
            return Err(refuse(
                StatusCode::NOT_FOUND,
                format!("Destination instance {dataflow_id} not found"),
            ));
        };
        if !dataflow.writes_files() {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                format!(
                    "Destination instance {dataflow_id} is not a batch file destination; ad hoc activation exports files only"
                ),
            ));
        }
        // ADHOC-DOC: ad-hoc jobs cannot run in parallel with a scheduled export; Adobe does not
        // document the refusal's words.
        if let Some(run) = sandbox
            .runs
            .iter()
            .find(|r| r.flow_id == *dataflow_id && r.scheduled && r.is_in_progress())
        {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                format!(
                    "A scheduled export of destination instance {dataflow_id} is in progress (run {}); ad hoc activation can run after it has finished",
                    run.id
                ),
            ));
        }
        if !dataflow.is_enabled() {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                format!("Destination instance {dataflow_id} is disabled"),
            ));
        }
        let today = now.utc_date();
        let out_of_range: Vec<String> = segments
            .iter()
            .filter(|id| {
                let selector = dataflow.flow.selectors().find(|s| &s.id == *id);
                !selector.is_some_and(|s| s.schedule.as_ref().is_none_or(|sc| sc.covers(today)))
            })
            .map(|id| {
                sandbox
                    .segment(id)
                    .map_or_else(|| id.to_string(), |s| s.name.clone())
            })
            .collect();
        if !out_of_range.is_empty() {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                format!(
                    "Segments {} are not part of this dataflow or out of schedule range!",
                    out_of_range.join(", ")
                ),
            ));
        }
        let loaded_runs = sandbox.loaded_runs_in_progress();
        for segment_id in segments {
            let running = sandbox
                .runs
                .iter()
                .filter(|r| &r.segment_id == segment_id && r.is_in_progress())
                .map(|r| (r.flow_id.as_str(), r.id.as_str()))
                .chain(
                    loaded_runs
                        .iter()
                        .filter(|(_, _, exported)| {
                            exported.iter().any(|s| s == segment_id.as_str())
                        })
                        .map(|(id, flow_id, _)| (flow_id.as_str(), id.as_str())),
                )
                .next();
            if let Some((flow_id, run_id)) = running {
                return Err(refuse(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "Run already going on for audience {segment_id} for order {flow_id} with run id {run_id}"
                    ),
                ));
            }
            let mapped_at = dataflow
                .flow
                .selectors()
                .find(|s| &s.id == segment_id)
                .and_then(|s| s.create_time);
            let ready = mapped_at.map(|t| {
                t.to_millis()
                    .plus_seconds(config.first_activation_wait_seconds)
            });
            if let Some(ready) = ready.filter(|&ready| now < ready) {
                return Err(refuse(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "Audience {segment_id} was first activated on this dataflow less than {} minutes ago; ad hoc activation is possible from {} UTC",
                        config.first_activation_wait_seconds / 60,
                        ready.utc_hh_mm()
                    ),
                ));
            }
        }
    }
    Ok(())
}
