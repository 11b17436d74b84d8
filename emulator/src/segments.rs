//! Segmentation Service: segment definitions (`start`/`limit`/`page`), audiences with their
//! sizes (`start`/`limit`, `property=`, `name`), and export jobs (`limit` with the `offset` of
//! `link.next`, `status`).

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::{Value, json};
use shared::aep::export_job::{self, ExportJobStatus};
use shared::aep::segment::{AUDIENCES_PATH, DEFINITIONS_PATH};

use crate::Emulator;
use crate::filter;
use crate::wire::{
    Query, SandboxExtension, json_value, number_param, param, params, segmentation_error,
};

pub fn routes() -> Router<Emulator> {
    Router::new()
        .route(DEFINITIONS_PATH, get(list_definitions))
        .route(&format!("{DEFINITIONS_PATH}/{{id}}"), get(get_definition))
        .route(AUDIENCES_PATH, get(list_audiences))
        .route(export_job::PATH, get(list_export_jobs))
        // Where `link.next` points, as Adobe's example writes it: `/export/jobs/?limit=...`.
        .route(&format!("{}/", export_job::PATH), get(list_export_jobs))
}

const MAX_LIMIT: u64 = 100;

fn bad_request(message: String) -> Response {
    segmentation_error(
        StatusCode::BAD_REQUEST,
        "UPAPI-400-400",
        "Bad request",
        message,
    )
}

/// `start` (an offset) or `page` (0-based, in pages of `limit`).
fn window(query: &[(String, String)]) -> Result<(usize, usize), String> {
    let limit = number_param(query, "limit", MAX_LIMIT, MAX_LIMIT)?.max(1) as usize;
    let start = match param(query, "page") {
        Some(_) => number_param(query, "page", 0, u64::from(u32::MAX))? as usize * limit,
        None => number_param(query, "start", 0, u64::from(u32::MAX))? as usize,
    };
    Ok((start, limit))
}

async fn list_definitions(
    State(emulator): State<Emulator>,
    sandbox: SandboxExtension,
    query: Query,
) -> Response {
    let (start, limit) = match window(&query) {
        Ok(window) => window,
        Err(message) => return bad_request(message),
    };
    let world = emulator.world();
    let sandbox = &world.sandboxes[&sandbox.0.0];
    let mut segments: Vec<_> = sandbox
        .segments
        .iter()
        .map(|s| s.definition(sandbox))
        .collect();
    segments.sort_by_key(|s| std::cmp::Reverse(s.creation_time));
    let total = segments.len();
    let page: Vec<_> = segments.into_iter().skip(start).take(limit).collect();
    let link = if start + limit < total {
        json!({"next": format!("/segment/definitions?start={}&limit={limit}", start + limit)})
    } else {
        json!({})
    };
    Json(json!({
        "segments": page.iter().map(|s| definition_json(sandbox, s)).collect::<Vec<_>>(),
        "page": {
            "totalCount": total, "totalPages": total.div_ceil(limit), "sortField": "creationTime",
            "sort": "desc", "pageSize": page.len(), "limit": limit
        },
        "link": link,
    }))
    .into_response()
}

/// A definition as the Platform writes it, with the PQL expression it was built from.
fn definition_json(
    sandbox: &crate::world::Sandbox,
    definition: &shared::aep::segment::SegmentDefinition,
) -> Value {
    let mut json = sandbox.provenance(json_value(definition));
    json["expression"] = json!({"type": "PQL", "format": "pql/text", "value": format!("inSegment(\"{}\")", definition.id)});
    json["ttlInDays"] = json!(30);
    json
}

async fn get_definition(
    State(emulator): State<Emulator>,
    sandbox: SandboxExtension,
    Path(id): Path<String>,
) -> Response {
    let world = emulator.world();
    let sandbox = &world.sandboxes[&sandbox.0.0];
    match sandbox.segment(&id) {
        Some(segment) => {
            Json(definition_json(sandbox, &segment.definition(sandbox))).into_response()
        }
        None => segmentation_error(
            StatusCode::NOT_FOUND,
            "UPAPI-1000-404",
            "Segment definition not found",
            format!("No segment definition with id {id} in this sandbox."),
        ),
    }
}

async fn list_audiences(
    State(emulator): State<Emulator>,
    sandbox: SandboxExtension,
    query: Query,
) -> Response {
    let (start, limit) = match window(&query) {
        Ok(window) => window,
        Err(message) => return bad_request(message),
    };
    let filters = match filter::parse_all(params(&query, "property")) {
        Ok(filters) => filters,
        Err(message) => return bad_request(message),
    };
    let name = param(&query, "name").map(str::to_lowercase);
    let world = emulator.world();
    let sandbox = &world.sandboxes[&sandbox.0.0];
    let mut audiences: Vec<Value> = sandbox
        .segments
        .iter()
        .filter(|s| {
            name.as_ref()
                .is_none_or(|n| s.name.to_lowercase().contains(n))
        })
        .map(|s| sandbox.provenance(json_value(&s.audience())))
        .filter(|a| filter::all_match(&filters, a))
        .collect();
    let (field, descending) = match param(&query, "sort")
        .unwrap_or("updateTime:desc")
        .split_once(':')
    {
        Some((field, direction)) => (field.to_owned(), direction.eq_ignore_ascii_case("desc")),
        None => ("updateTime".to_owned(), true),
    };
    audiences.sort_by(|a, b| {
        let order = match (a[&field].as_f64(), b[&field].as_f64()) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            _ => a[&field]
                .as_str()
                .unwrap_or_default()
                .cmp(b[&field].as_str().unwrap_or_default()),
        };
        if descending { order.reverse() } else { order }
    });
    let total = audiences.len();
    let page: Vec<Value> = audiences.into_iter().skip(start).take(limit).collect();
    let next = if start + limit < total {
        start + limit
    } else {
        0
    };
    let mut body = json!({
        "children": page,
        "_page": {
            "totalCount": total, "totalPages": total.div_ceil(limit), "sortField": field,
            "sort": if descending { "desc" } else { "asc" }, "pageSize": page.len(), "limit": limit,
            "start": start, "next": next
        },
        "_links": {}
    });
    if next > 0 {
        body["_links"] = json!({"next": {"href": format!("@/audiences?start={next}&limit={limit}&totalCount={total}")}});
    }
    Json(body).into_response()
}

async fn list_export_jobs(
    State(emulator): State<Emulator>,
    sandbox: SandboxExtension,
    query: Query,
) -> Response {
    let limit = match number_param(&query, "limit", MAX_LIMIT, MAX_LIMIT) {
        Ok(limit) => limit.max(1) as usize,
        Err(message) => return bad_request(message),
    };
    let status = match param(&query, "status") {
        None => None,
        Some(text) => match serde_json::from_value::<ExportJobStatus>(json!(text.to_uppercase())) {
            Ok(status) => Some(status),
            Err(_) => {
                return bad_request(format!(
                    "status must be NEW, PROCESSING, SUCCEEDED or FAILED, not {text:?}"
                ));
            }
        },
    };
    let after = match param(&query, "offset").map(parse_offset) {
        None => None,
        Some(Some(offset)) => Some(offset),
        Some(None) => return bad_request("offset must be the value given in link.next".to_owned()),
    };
    let now = emulator.now();
    let world = emulator.world();
    let jobs: Vec<_> = world.sandboxes[&sandbox.0.0]
        .export_jobs(now)
        .into_iter()
        .filter(|j| status.as_ref().is_none_or(|s| &j.status == s))
        .filter(|j| after.is_none_or(|after| key(j) < after))
        .collect();
    let more = jobs.len() > limit;
    let page: Vec<_> = jobs.into_iter().take(limit).collect();
    let link = match page.last() {
        Some(last) if more => {
            let (created, id) = key(last);
            json!({"next": format!("/export/jobs/?limit={limit}&offset={created}_{id}")})
        }
        _ => json!({}),
    };
    let mut page_info = json!({"sortField": "createdTime", "sort": "desc", "pageSize": page.len()});
    if let Some(last) = page.last() {
        page_info["pageOffset"] = json!(format!("{}_{}", key(last).0, key(last).1));
    }
    Json(json!({
        "records": page.iter().map(|j| with_org(json_value(j))).collect::<Vec<_>>(),
        "page": page_info,
        "link": link,
    }))
    .into_response()
}

/// Segmentation numbers its jobs; the emulator's own ids always parse.
fn key(job: &shared::aep::export_job::ExportJob) -> (i64, u64) {
    (
        job.creation_time.map_or(0, |t| t.0),
        job.id.0.parse().unwrap_or(0),
    )
}

/// `1538573416687_722`: creation time and id of the last job of the previous page.
fn parse_offset(text: &str) -> Option<(i64, u64)> {
    let (created, id) = text.split_once('_')?;
    Some((created.parse().ok()?, id.parse().ok()?))
}

fn with_org(mut job: Value) -> Value {
    job["imsOrgId"] = json!(crate::ORG_ID);
    job
}
