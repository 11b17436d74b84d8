//! The HTTP edge: routes per resource, the extractors every handler shares, the request
//! observer. Handlers parse, call the domain (activation, history, facts) and map errors to
//! answers through `ApiError` only here.

mod extract;
mod headers;
mod history;
mod observe;
mod ops;
mod platform;
mod sandbox;
mod session;

use std::sync::Arc;
use std::time::Duration;

use axum::{
    Router, middleware,
    routing::{any, get, post},
};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::limit::RequestBodyLimitLayer;

pub use extract::RequestId;

use crate::AppState;
use crate::static_files::StaticFiles;

/// No activation or API request needs more; larger bodies are refused before they are read.
const BODY_LIMIT: usize = 256 * 1024;

/// The whole HTTP surface of the portal (see ARCHITECTURE.md, "HTTP surface").
/// `request_timeout` bounds each request, until its answer's headers.
pub fn app(state: Arc<AppState>, static_files: StaticFiles, request_timeout: Duration) -> Router {
    // The portal's own large answers, compressed for browsers that take it: the sandbox facts
    // of 4,000 segments are 532 KB as JSON and 107 KB in brotli at quality 3, which costs about
    // 3 ms (quality 11 would save 15 KB more for half a second). Forwarded Platform answers pass
    // as they arrive, and the other answers are a few hundred bytes.
    let compressed = Router::new()
        .route(shared::sandbox::PATH, get(sandbox::sandbox_facts))
        .route(
            shared::sandbox::AUDIENCE_SIZES_PATH,
            get(sandbox::audience_sizes),
        )
        .route("/api/history", get(history::list))
        .route("/api/history.csv", get(history::csv))
        .route("/api/history/daily", get(history::daily))
        .route("/api/history/{id}", get(history::detail))
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(3)));
    let api = Router::new()
        .merge(compressed)
        .route("/api/session", get(session::session))
        .route("/api/plans", post(crate::plans::create))
        .route("/api/history/{id}/approve", post(crate::plans::approve))
        .route("/api/history/{id}/reject", post(crate::plans::reject))
        .route("/api/history/{id}/cancel", post(crate::plans::cancel))
        .route("/api/history/{id}/retry", post(crate::plans::retry))
        .route("/api/platform/{*path}", any(platform::forward))
        .route("/api/{*rest}", any(platform::api_not_found))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics_text))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .with_state(state.clone());
    api.fallback_service(static_files.service())
        // Inside the observer: a panic is answered, logged and counted like any 500.
        .layer(CatchPanicLayer::custom(observe::panicked))
        .layer(middleware::from_fn_with_state(
            observe::Observer {
                state,
                deadline: request_timeout,
            },
            observe::observe,
        ))
        // Outermost: the observer's own answers (past the deadline) carry them too.
        .layer(middleware::from_fn(headers::security_headers))
}
