//! `GET /api/history` and `GET /api/history/{id}`: the portal's own activation records.

use std::sync::Arc;

use axum::{
    Json,
    extract::{Path, Query, State},
    response::{IntoResponse, Response},
};

use super::RequestId;
use crate::error::ApiError;
use crate::{AppState, auth};
use shared::portal::{ErrorCode, HistoryQuery};

pub async fn list(
    State(state): State<Arc<AppState>>,
    user: auth::User,
    filter: Result<Query<HistoryQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    user.require_reader()?;
    let Query(filter) = filter.map_err(|e| ApiError::bad_request(ErrorCode::InvalidFilter, format!("{e}. Filters: destination, segment, user, outcome, from, to (epoch ms), cursor, limit.")))?;
    Ok(Json(state.store.list(&filter).await?).into_response())
}

pub async fn detail(
    State(state): State<Arc<AppState>>,
    user: auth::User,
    request_id: RequestId,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    user.require_reader()?;
    Ok(Json(
        crate::history::detail(
            state.store(),
            &state.runs,
            &state.platform,
            &id,
            state.clock.now(),
            &request_id.0,
        )
        .await?,
    )
    .into_response())
}
