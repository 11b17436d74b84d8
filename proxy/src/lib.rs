//! The portal's HTTP service: the only holder of Adobe credentials and the only way activations
//! reach the Platform.

pub mod static_files;

use axum::{Router, routing::get};

/// The whole HTTP surface of the portal.
pub fn app(static_files: static_files::StaticFiles) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .fallback_service(static_files.service())
}

async fn healthz() -> &'static str {
    "ok"
}
