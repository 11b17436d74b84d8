//! Flow Service: destination dataflows and their runs, with `property=` filters, `orderby`,
//! `count=true` and `limit`/`continuationToken` paging.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::{Value, json};
use shared::aep::{flow::FLOWS_PATH, run::RUNS_PATH};

use crate::Emulator;
use crate::dataset::LEGACY_FLOW_SPEC;
use crate::filter;
use crate::wire::{
    Query, SandboxExtension, SandboxName, flow_service_error, json_value, number_param, param,
    params,
};
use crate::world::Sandbox;

pub fn routes() -> Router<Emulator> {
    Router::new()
        .route(FLOWS_PATH, get(list_flows))
        .route(&format!("{FLOWS_PATH}/{{id}}"), get(get_flow))
        .route(RUNS_PATH, get(list_runs))
        .route(&format!("{RUNS_PATH}/{{id}}"), get(get_run))
}

/// Flow Service returns at most 100 entities a call.
const MAX_LIMIT: u64 = 100;

async fn list_flows(
    State(emulator): State<Emulator>,
    sandbox: SandboxExtension,
    query: Query,
) -> Response {
    let items = flows_json(&emulator, &sandbox);
    list(items, &query, "/flows")
}

async fn get_flow(
    State(emulator): State<Emulator>,
    sandbox: SandboxExtension,
    Path(id): Path<String>,
) -> Response {
    match flows_json(&emulator, &sandbox)
        .into_iter()
        .find(|f| f["id"] == id.as_str())
    {
        Some(found) => Json(json!({"items": [found]})).into_response(),
        None => flow_service_error(
            StatusCode::NOT_FOUND,
            format!("flows not found with id = [{id}]"),
        ),
    }
}

async fn list_runs(
    State(emulator): State<Emulator>,
    sandbox: SandboxExtension,
    query: Query,
) -> Response {
    emulator.settle().await;
    list(runs_json(&emulator, &sandbox), &query, "/runs")
}

async fn get_run(
    State(emulator): State<Emulator>,
    sandbox: SandboxExtension,
    Path(id): Path<String>,
) -> Response {
    emulator.settle().await;
    match runs_json(&emulator, &sandbox)
        .into_iter()
        .find(|r| r["id"] == id.as_str())
    {
        Some(found) => Json(json!({"items": [found]})).into_response(),
        None => flow_service_error(
            StatusCode::NOT_FOUND,
            format!("runs not found with id = [{id}]"),
        ),
    }
}

fn flows_json(emulator: &Emulator, SandboxName(name): &SandboxName) -> Vec<Value> {
    let world = emulator.world();
    let sandbox = &world.sandboxes[name];
    sandbox
        .dataflows
        .iter()
        .map(|d| {
            if let Some(raw) = &d.raw {
                return raw.clone();
            }
            let mut flow = sandbox.provenance(json_value(&d.flow));
            flow["runs"] = json!(format!("/runs?property=flowId=={}", d.flow.id));
            flow["etag"] = json!(etag(&d.flow.id));
            flow["version"] = flow["etag"].clone();
            if let Some(last) = last_run_details(sandbox, &d.flow.id) {
                flow["lastRunDetails"] = last;
            }
            flow
        })
        .chain(sandbox.loaded.flows.iter().cloned())
        .collect()
}

/// The newest run of a dataflow, as `lastRunDetails` sums it up: `success` or `failed` once it
/// has finished (FLOW-SPEC), `inProgress` while it runs.
fn last_run_details(sandbox: &Sandbox, flow_id: &str) -> Option<Value> {
    let run = sandbox
        .runs
        .iter()
        .filter(|r| r.flow_id == flow_id)
        .max_by_key(|r| r.created_at)?;
    let status = run.status();
    let mut details = json!({
        "id": run.id,
        "state": if status.is_finished() { status.as_str() } else { "inProgress" },
        "startedAtUTC": run.created_at,
    });
    if let Some(completion) = &run.completion {
        details["completedAtUTC"] = json!(completion.finished_at);
    }
    Some(details)
}

fn runs_json(emulator: &Emulator, SandboxName(name): &SandboxName) -> Vec<Value> {
    let world = emulator.world();
    let sandbox = &world.sandboxes[name];
    sandbox
        .runs
        .iter()
        .map(|r| {
            let flow_spec = sandbox
                .dataflow(&r.flow_id)
                .and_then(|d| d.flow.flow_spec.as_ref());
            // The legacy cards' runs write the schema's `Success`, the others the examples'
            // `success`: a client must read both.
            let capitalised = flow_spec.is_some_and(|spec| spec.id == LEGACY_FLOW_SPEC);
            sandbox.provenance(r.to_json(flow_spec, capitalised))
        })
        .chain(sandbox.loaded.runs.iter().cloned())
        .collect()
}

/// `service_path` is relative to Flow Service, as Adobe writes `_links.next.href`.
fn list(mut items: Vec<Value>, query: &[(String, String)], service_path: &str) -> Response {
    // A continuation token carries the whole query it continues, as Flow Service's do: the
    // next page is asked for with the token alone (`/flows?continuationToken=...`).
    let (query, start) = match param(query, "continuationToken").map(decode_token) {
        None => (query.to_vec(), 0),
        Some(Some(continued)) => continued,
        Some(None) => {
            return flow_service_error(
                StatusCode::BAD_REQUEST,
                "continuationToken is not one this service issued.",
            );
        }
    };
    let query = query.as_slice();
    let filters = match filter::parse_all(params(query, "property")) {
        Ok(filters) => filters,
        Err(message) => return flow_service_error(StatusCode::BAD_REQUEST, message),
    };
    items.retain(|item| filter::all_match(&filters, item));
    sort(&mut items, param(query, "orderby").unwrap_or("-createdAt"));
    if param(query, "count") == Some("true") {
        if param(query, "limit").is_some() {
            return flow_service_error(
                StatusCode::BAD_REQUEST,
                "limit and count cannot be used together.",
            );
        }
        return Json(json!({"count": items.len()})).into_response();
    }
    let limit = match number_param(query, "limit", MAX_LIMIT, MAX_LIMIT) {
        Ok(0) => MAX_LIMIT as usize,
        Ok(limit) => limit as usize,
        Err(message) => return flow_service_error(StatusCode::BAD_REQUEST, message),
    };
    let total = items.len();
    let page: Vec<Value> = items.into_iter().skip(start).take(limit).collect();
    let mut body = json!({"items": page, "_links": {}});
    if start + limit < total {
        let href = format!(
            "{service_path}?continuationToken={}",
            encode_token(start + limit, query)
        );
        body["_links"] = json!({"next": {"href": href}});
    }
    Json(body).into_response()
}

/// `orderby=name`, `-name` (descending), `+createdAt`; any top-level field.
fn sort(items: &mut [Value], orderby: &str) {
    let (field, descending) = match orderby.strip_prefix('-') {
        Some(field) => (field, true),
        None => (orderby.trim_start_matches('+'), false),
    };
    items.sort_by(|a, b| {
        let order = compare(&a[field], &b[field]);
        if descending { order.reverse() } else { order }
    });
}

fn compare(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        _ => a
            .as_str()
            .unwrap_or_default()
            .cmp(b.as_str().unwrap_or_default()),
    }
}

/// Flow Service etags are quoted opaque strings.
fn etag(id: &str) -> String {
    format!("\"{:016x}\"", crate::ids::hash_str(id))
}

/// The offset and the query it continues, as hex: opaque to clients, safe in any URL.
fn encode_token(offset: usize, query: &[(String, String)]) -> String {
    let mut text = offset.to_string();
    for (key, value) in query.iter().filter(|(key, _)| key != "continuationToken") {
        text.push('\n');
        text.push_str(key);
        text.push('=');
        text.push_str(value);
    }
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

fn decode_token(token: &str) -> Option<(Vec<(String, String)>, usize)> {
    let bytes = (0..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(token.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    let text = String::from_utf8(bytes).ok()?;
    let mut lines = text.split('\n');
    let offset = lines.next()?.parse().ok()?;
    let query = lines
        .map(|line| {
            line.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
        })
        .collect::<Option<Vec<_>>>()?;
    Some((query, offset))
}
