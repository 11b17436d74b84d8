//! The API gateway in front of every Platform route: it logs the request (tests read the log to
//! prove what reached the Platform), applies injected faults, checks the credential headers with
//! the gateway's documented status and body, and picks the sandbox.

use axum::{
    Extension, Json, Router,
    body::{Body, to_bytes},
    extract::{MatchedPath, Request, State},
    http::{HeaderMap, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::{Value, json};
use shared::aep::{adhoc, export_job, flow, run, segment};

use crate::{Emulator, adhoc as adhocrun, admin::LoggedRequest, flows, segments};

/// The sandbox a request addressed (`x-sandbox-name`, `prod` when absent).
#[derive(Clone, Debug)]
pub struct SandboxName(pub String);

const LOGGED_BODY_LIMIT: usize = 1 << 20;

pub fn platform_routes(emulator: &Emulator) -> Router<Emulator> {
    Router::new()
        .route(flow::FLOWS_PATH, get(flows::list_flows))
        .route(
            &format!("{}/{{id}}", flow::FLOWS_PATH),
            get(flows::get_flow),
        )
        .route(run::RUNS_PATH, get(flows::list_runs))
        .route(&format!("{}/{{id}}", run::RUNS_PATH), get(flows::get_run))
        .route(segment::DEFINITIONS_PATH, get(segments::list_definitions))
        .route(
            &format!("{}/{{id}}", segment::DEFINITIONS_PATH),
            get(segments::get_definition),
        )
        .route(segment::AUDIENCES_PATH, get(segments::list_audiences))
        .route(export_job::PATH, get(segments::list_export_jobs))
        .route(adhoc::PATH, post(adhocrun::run))
        .route_layer(middleware::from_fn_with_state(emulator.clone(), gateway))
}

async fn gateway(State(emulator): State<Emulator>, request: Request, next: Next) -> Response {
    let route = format!(
        "{} {}",
        request.method(),
        request
            .extensions()
            .get::<MatchedPath>()
            .map_or("", MatchedPath::as_str)
    );
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, LOGGED_BODY_LIMIT).await else {
        return gateway_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "413000",
            "Request body is too large",
        );
    };
    let mut entry = LoggedRequest {
        at: emulator.now(),
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or_default().to_owned(),
        route: route.clone(),
        sandbox: header(&parts.headers, "x-sandbox-name").map(str::to_owned),
        request_id: header(&parts.headers, "x-request-id").map(str::to_owned),
        body: serde_json::from_slice(&bytes).ok(),
        status: None,
    };
    let response = admit(&emulator, parts, bytes, &route, next).await;
    entry.status = Some(response.status().as_u16());
    emulator.requests().push(entry);
    response
}

/// Faults, then the credential and sandbox checks, then the route.
async fn admit(
    emulator: &Emulator,
    parts: axum::http::request::Parts,
    bytes: axum::body::Bytes,
    route: &str,
    next: Next,
) -> Response {
    let (latency, fail, status) = {
        let mut faults = emulator.faults();
        (
            faults.latency_ms,
            faults.should_fail(route),
            faults.error_status(),
        )
    };
    if latency > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(latency)).await;
    }
    if fail {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return gateway_error(
            status,
            &format!("{}000", status.as_u16()),
            "Internal server error (injected by the emulator)",
        );
    }
    if let Err((status, code, message)) = check_credentials(emulator, &parts.headers) {
        return gateway_error(status, code, message);
    }
    let sandbox = header(&parts.headers, "x-sandbox-name")
        .unwrap_or("prod")
        .to_owned();
    if !emulator.world().sandboxes.contains_key(&sandbox) {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({
                "type": "https://ns.adobe.com/aep/errors/FLOW-2100-404",
                "title": "Sandbox not found",
                "status": 404,
                "detail": format!("Sandbox {sandbox} was not found. Check the x-sandbox-name header."),
            })),
        )
            .into_response();
    }
    let mut request = Request::from_parts(parts, Body::from(bytes));
    request.extensions_mut().insert(SandboxName(sandbox));
    next.run(request).await
}

/// A gateway refusal: status, `error_code`, `message`.
type Rejection = (StatusCode, &'static str, &'static str);

/// The gateway's checks, in its order, with the bodies of Adobe's troubleshooting guide.
fn check_credentials(emulator: &Emulator, headers: &HeaderMap) -> Result<(), Rejection> {
    let credentials = &emulator.config().credentials;
    let Some(authorization) = header(headers, "authorization") else {
        return Err((StatusCode::FORBIDDEN, "403010", "Oauth token is missing."));
    };
    match header(headers, "x-api-key") {
        None => {
            return Err((StatusCode::FORBIDDEN, "403000", "Api Key is required"));
        }
        Some(key) if key != credentials.client_id => {
            return Err((StatusCode::FORBIDDEN, "403003", "Api Key is invalid"));
        }
        Some(_) => {}
    }
    let token = authorization
        .strip_prefix("Bearer ")
        .or_else(|| authorization.strip_prefix("bearer "))
        .unwrap_or_default();
    let now = emulator.now();
    let valid = emulator
        .world()
        .tokens
        .get(token)
        .is_some_and(|expires| now < *expires);
    if !valid {
        return Err((
            StatusCode::UNAUTHORIZED,
            "401013",
            "Oauth token is not valid",
        ));
    }
    match header(headers, "x-gw-ims-org-id") {
        None => Err((StatusCode::BAD_REQUEST, "400003", "Missing header")),
        Some(org) if org != credentials.org_id => {
            Err((StatusCode::FORBIDDEN, "403025", "Profile is not valid"))
        }
        Some(_) => Ok(()),
    }
}

pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
}

pub fn gateway_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"error_code": code, "message": message})),
    )
        .into_response()
}

/// Flow Service's error body.
pub fn flow_service_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"errorMessage": message.into()}))).into_response()
}

/// Segmentation's RFC 7807-like error body.
pub fn segmentation_error(
    status: StatusCode,
    code: &str,
    title: &str,
    detail: impl Into<String>,
) -> Response {
    (
        status,
        Json(json!({
            "type": format!("https://ns.adobe.com/aep/errors/{code}"),
            "title": title,
            "status": status.as_u16(),
            "detail": detail.into(),
        })),
    )
        .into_response()
}

pub type Query = axum::extract::Query<Vec<(String, String)>>;

pub fn param<'a>(query: &'a [(String, String)], key: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

pub fn params<'a>(query: &'a [(String, String)], key: &'a str) -> impl Iterator<Item = &'a str> {
    query
        .iter()
        .filter(move |(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// A numeric query parameter within bounds, or the error saying what is allowed.
pub fn number_param(
    query: &[(String, String)],
    key: &str,
    default: u64,
    max: u64,
) -> Result<u64, String> {
    match param(query, key) {
        None => Ok(default),
        Some(text) => match text.parse::<u64>() {
            Ok(n) if n <= max => Ok(n),
            _ => Err(format!(
                "{key} must be a whole number from 0 to {max}, not {text:?}"
            )),
        },
    }
}

pub type SandboxExtension = Extension<SandboxName>;

pub fn json_value<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("wire types serialise")
}
