//! Every request: a request id on its log lines and its answer, a count by route and status.

use std::sync::Arc;
use std::time::Instant;

use axum::{
    extract::{MatchedPath, Request, State},
    http::HeaderValue,
    middleware::Next,
    response::Response,
};
use tracing::Instrument;

use super::RequestId;
use crate::AppState;

pub async fn observe(
    State(state): State<Arc<AppState>>,
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
    let mut response = next.run(request).instrument(span.clone()).await;
    span.in_scope(|| {
        tracing::debug!(
            status = response.status().as_u16(),
            took_ms = started.elapsed().as_millis() as u64,
            "answered"
        )
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

/// Bounded labels for requests no route matched.
fn route_label(path: &str) -> String {
    if path.starts_with("/api/") {
        "/api/unknown".into()
    } else {
        "static".into()
    }
}
