//! Every request: a request id on its log lines and its answer, a count by route and status,
//! and a deadline. A request past its deadline is answered here, so that it is logged, counted
//! and carries its id like any other.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::{
    extract::{MatchedPath, Request, State},
    http::HeaderValue,
    middleware::Next,
    response::{IntoResponse, Response},
};
use tracing::Instrument;

use super::RequestId;
use crate::AppState;

#[derive(Clone)]
pub struct Observer {
    pub state: Arc<AppState>,
    /// Until the answer's headers; a forwarded Platform body streams on after them.
    pub deadline: Duration,
}

pub async fn observe(
    State(Observer { state, deadline }): State<Observer>,
    mut request: Request,
    next: Next,
) -> Response {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    request
        .extensions_mut()
        .insert(RequestId(request_id.clone()));
    let route = request.extensions().get::<MatchedPath>().map_or_else(
        || route_label(request.uri().path()),
        |p| p.as_str().to_owned(),
    );
    let span = tracing::info_span!("request", request_id = %request_id, method = %request.method(), route = %route);
    let started = Instant::now();
    let mut response = tokio::time::timeout(deadline, next.run(request).instrument(span.clone()))
        .await
        .unwrap_or_else(|_| past_deadline(deadline));
    let status = response.status().as_u16();
    let took_ms = started.elapsed().as_millis() as u64;
    span.in_scope(|| {
        // Probes and scrapes come every few seconds: they would drown the requests of people.
        if is_probe(&route) {
            tracing::debug!(status, took_ms, "answered");
        } else {
            tracing::info!(status, took_ms, "answered");
        }
    });
    state.metrics.count(
        "portal_requests_total",
        format!(
            "route=\"{route}\",status=\"{}\"",
            response.status().as_u16()
        ),
    );
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

fn is_probe(route: &str) -> bool {
    matches!(route, "/healthz" | "/readyz" | "/metrics")
}

/// A handler that panicked: a 500 in the portal's error shape instead of a dropped connection.
/// What panicked goes to the log (with the request's id), not to the caller.
pub fn panicked(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a panic without a message");
    tracing::error!("a handler panicked: {what}");
    let body = shared::portal::ErrorBody::new(
        shared::portal::ErrorCode::InternalError,
        "The portal failed while answering; the request may be tried again. The portal's log has the details under this request's id.",
    );
    (
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        axum::Json(body),
    )
        .into_response()
}

/// What was left undone is dropped with the handler; an activation is recorded before it is
/// sent, so the history has it whatever happened. 504, not 408: browsers send a request again
/// by themselves when a kept-alive connection answers 408, a POST included.
fn past_deadline(deadline: Duration) -> Response {
    tracing::warn!(
        deadline_ms = deadline.as_millis() as u64,
        "stopped a request past its deadline"
    );
    let body = shared::portal::ErrorBody::new(
        shared::portal::ErrorCode::DeadlineExceeded,
        format!(
            "The portal did not answer within {} and stopped this request. If it was an \
             activation, look in the history before activating again: it may have been sent.",
            seconds_or_millis(deadline)
        ),
    );
    (axum::http::StatusCode::GATEWAY_TIMEOUT, axum::Json(body)).into_response()
}

/// "60 s"; "1500 ms" where whole seconds would not say it.
fn seconds_or_millis(duration: Duration) -> String {
    if duration.subsec_millis() == 0 && duration.as_secs() > 0 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{} ms", duration.as_millis())
    }
}

/// Bounded labels for requests no route matched.
fn route_label(path: &str) -> String {
    if path.starts_with("/api/") {
        "/api/unknown".into()
    } else {
        "static".into()
    }
}

#[cfg(test)]
mod tests {
    use axum::{Router, routing::get};
    use tower::ServiceExt;
    use tower_http::catch_panic::CatchPanicLayer;

    async fn boom() -> &'static str {
        panic!("secret detail of a bug")
    }

    #[tokio::test]
    async fn a_panicking_handler_is_answered_500_in_the_portals_shape() {
        let app = Router::new()
            .route("/boom", get(boom))
            .layer(CatchPanicLayer::custom(super::panicked));
        let response = app
            .oneshot(
                axum::http::Request::get("/boom")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), 500);
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["code"], "INTERNAL_ERROR");
        assert!(!body.to_string().contains("secret detail"), "{body}");
    }
}
