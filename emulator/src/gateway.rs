//! The API gateway in front of every Platform route: it logs the request (tests read the log to
//! prove what reached the Platform), applies injected faults, checks the credential headers with
//! the gateway's documented status and body, and picks the sandbox.

use axum::{
    Json, Router,
    body::{Body, to_bytes},
    extract::{MatchedPath, Request, State},
    http::{HeaderMap, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
};
use serde_json::json;

use crate::wire::{SandboxName, gateway_error, header as header_value};
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
        sandbox: header_value(&parts.headers, "x-sandbox-name").map(str::to_owned),
        request_id: header_value(&parts.headers, "x-request-id").map(str::to_owned),
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
    let (latency, fail, status, retry_after, missing) = {
        let mut faults = emulator.faults();
        (
            faults.latency_ms,
            faults.should_fail(route),
            faults.error_status(),
            faults.retry_after_seconds.unwrap_or(1),
            faults.missing_permissions.clone(),
        )
    };
    if latency > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(latency)).await;
    }
    if fail && status == 429 {
        let mut response =
            gateway_error(StatusCode::TOO_MANY_REQUESTS, "429050", "Too many requests");
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, retry_after.into());
        return response;
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
    if let Some(permission) = required_permission(route).filter(|p| missing.iter().any(|m| m == p))
    {
        return permission_denied(route, permission);
    }
    let sandbox = header_value(&parts.headers, "x-sandbox-name")
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

/// The permission a route needs (EFN-DOC's four for ad-hoc activation).
fn required_permission(route: &str) -> Option<&'static str> {
    let path = route.split_once(' ')?.1;
    if path.starts_with("/data/foundation/flowservice/") {
        Some("View Destinations")
    } else if path.starts_with("/data/core/activation/") {
        Some("Activate Destinations")
    } else if path.starts_with("/data/core/ups/export/") {
        Some("View Profiles")
    } else if path.starts_with("/data/core/ups/") {
        Some("View Segments")
    } else {
        None
    }
}

/// A missing permission as each service answers it: Flow Service's `2118-403` "Missing
/// permission" (FSERR-DOC), Segmentation's attribute-based access control example
/// (`UPAPI-113752-403`, SEG-SPEC), adhocrun's `{"message"}` 403 (ADHOC-SPEC).
fn permission_denied(route: &str, permission: &str) -> Response {
    let action = if route.starts_with("POST") {
        "write"
    } else {
        "read"
    };
    let body = match permission {
        "View Destinations" => json!({
            "type": "https://ns.adobe.com/aep/errors/FLOW-2118-403",
            "title": "Missing permission",
            "status": 403,
            "detail": format!("The permission {action} is missing. Please contact your administrator to resolve permissions and try again."),
        }),
        "Activate Destinations" => json!({
            "message": "Forbidden. The requester is not authorized to access the resource.",
        }),
        _ => json!({
            "requestId": "emulator",
            "errors": {"403": [{"code": "UPAPI-113752-403", "message": format!(
                "Permission denied on some resources. errorMessage=[{{\"resource\":{{\"uri\":\"/orgs/{}/sandboxes/prod/segments\",\"labels\":[]}},\"action\":\"{}\"}}]",
                crate::ORG_ID, action.to_uppercase()
            )}]},
            "type": "https://ns.adobe.com/aep/errors/UPAPI-113752-403",
            "title": "Attribute Based Access Control validation error",
            "status": 403,
        }),
    };
    (StatusCode::FORBIDDEN, Json(body)).into_response()
}

/// A gateway refusal: status, `error_code`, `message`.
type Rejection = (StatusCode, &'static str, &'static str);

/// The gateway's checks, in its order, with the bodies of Adobe's troubleshooting guide.
fn check_credentials(emulator: &Emulator, headers: &HeaderMap) -> Result<(), Rejection> {
    let credentials = &emulator.config().credentials;
    let Some(authorization) = header_value(headers, "authorization") else {
        return Err((StatusCode::FORBIDDEN, "403010", "Oauth token is missing."));
    };
    match header_value(headers, "x-api-key") {
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
    match header_value(headers, "x-gw-ims-org-id") {
        None => Err((StatusCode::BAD_REQUEST, "400003", "Missing header")),
        Some(org) if org != credentials.org_id => {
            Err((StatusCode::FORBIDDEN, "403025", "Profile is not valid"))
        }
        Some(_) => Ok(()),
    }
}
