//! The API gateway in front of every Platform route: it logs the request (tests read the log to
//! prove what reached the Platform), applies injected faults, checks the credential headers with
//! the gateway's documented status and body, and picks the sandbox.

use axum::{
    Json, Router,
    body::{Body, to_bytes},
    extract::{MatchedPath, Request, State},
    http::{HeaderMap, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
};
use serde_json::json;

use crate::wire::{SandboxName, gateway_error, header};
use crate::{Emulator, admin::LoggedRequest};

const LOGGED_BODY_LIMIT: usize = 1 << 20;

/// The Platform's `routes` behind the gateway.
pub fn guard(emulator: &Emulator, routes: Router<Emulator>) -> Router<Emulator> {
    routes.route_layer(middleware::from_fn_with_state(emulator.clone(), gateway))
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
