//! `GET /api/sandbox-facts`: the sandbox as the guardrails read it, for the browser's pickers
//! and live checks. The proxy reads the Platform and adds its own in-flight activations and
//! started runs with the code it judges a plan with before sending it; only the runs asked for
//! differ (the newest in progress, not a plan's own queries).

use std::sync::Arc;

use axum::{Json, extract::State};
use shared::sandbox::{AudienceSize, SandboxFacts};

use crate::error::ApiError;
use crate::facts::PlatformFacts;
use crate::{AppState, RequestId, activation, auth};

pub async fn sandbox_facts(
    State(state): State<Arc<AppState>>,
    user: auth::User,
    request_id: RequestId,
) -> Result<Json<SandboxFacts>, ApiError> {
    user.require_reader()?;
    let read_from = state.clock.now();
    let facts = PlatformFacts::gather_for_sandbox(&state.platform, &request_id.0).await?;
    Ok(Json(
        activation::sandbox_facts(&state, &facts, read_from, None).await?,
    ))
}

/// Sizes arrive after the pickers can already be used: a separate, slower answer (up to
/// `MAX_AUDIENCE_PAGES` of the Platform's pages).
pub async fn audience_sizes(
    State(state): State<Arc<AppState>>,
    user: auth::User,
    request_id: RequestId,
) -> Result<Json<Vec<AudienceSize>>, ApiError> {
    user.require_reader()?;
    Ok(Json(
        crate::facts::audience_sizes(&state.platform, &request_id.0).await?,
    ))
}
