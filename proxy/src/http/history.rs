//! `GET /api/history` and `GET /api/history/{id}`: the portal's own activation records.

use std::sync::Arc;

use axum::{
    Json,
    extract::{Path, Query, State},
    http::header,
    response::{IntoResponse, Response},
};

use super::RequestId;
use crate::error::ApiError;
use crate::{AppState, auth};
use shared::portal::{ErrorCode, HistoryQuery};

type FilterQuery = Result<Query<HistoryQuery>, axum::extract::rejection::QueryRejection>;

fn read_filter(filter: FilterQuery) -> Result<HistoryQuery, ApiError> {
    let Query(filter) = filter.map_err(|e| ApiError::bad_request(ErrorCode::InvalidFilter, format!("{e}. Filters: destination, segment, user, outcome, runs (running, failed, succeeded), from, to (epoch ms), cursor, limit.")))?;
    Ok(filter)
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    user: auth::User,
    filter: FilterQuery,
) -> Result<Response, ApiError> {
    user.require_reader()?;
    let filter = read_filter(filter)?;
    Ok(Json(state.store.list(&filter).await?).into_response())
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Zone {
    /// Minutes ahead of UTC of the reader's time zone (Seoul: 540).
    #[serde(default)]
    offset_minutes: i32,
}

/// `GET /api/history/daily`: per day, activations by outcome and profiles exported.
pub async fn daily(
    State(state): State<Arc<AppState>>,
    user: auth::User,
    Query(zone): Query<Zone>,
    filter: FilterQuery,
) -> Result<Response, ApiError> {
    user.require_reader()?;
    let filter = read_filter(filter)?;
    if !(-14 * 60..=14 * 60).contains(&zone.offset_minutes) {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidFilter,
            "offsetMinutes must be a time zone's offset from UTC, between -840 and 840.",
        ));
    }
    Ok(Json(state.store.daily(&filter, zone.offset_minutes).await?).into_response())
}

/// The history as a spreadsheet, with the same filters.
pub async fn csv(
    State(state): State<Arc<AppState>>,
    user: auth::User,
    filter: FilterQuery,
) -> Result<Response, ApiError> {
    user.require_reader()?;
    let filter = read_filter(filter)?;
    let body = crate::csv_export::history_csv(state.store(), &filter).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"adhoc-activation-history.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}

pub async fn detail(
    State(state): State<Arc<AppState>>,
    user: auth::User,
    request_id: RequestId,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    user.require_reader()?;
    let mut detail = crate::history::detail(
        state.store(),
        &state.runs,
        &state.platform,
        &id,
        state.clock.now(),
        &request_id.0,
    )
    .await?;
    // What the viewer sees is what the list says from now on (the runs were just read, from
    // the cache the run watch shares).
    let unfinished = detail
        .record
        .runs
        .is_none_or(|r| r.state() == shared::portal::RunsState::Running);
    if detail.record.outcome == shared::portal::Outcome::Accepted && unfinished {
        match crate::run_watch::refresh(&state, &detail.record).await {
            Ok(()) => {
                if let Some(fresh) = state.store.get(&id).await? {
                    detail.record = fresh;
                }
            }
            Err(error) => tracing::debug!(activation = %id, "runs not counted: {error}"),
        }
    }
    Ok(Json(detail).into_response())
}
