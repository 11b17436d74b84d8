//! `GET /api/session`: who is signed in, what they may do, the limits in force.

use std::sync::Arc;

use axum::{Json, extract::State};
use shared::portal::Session;

use crate::{AppState, auth};

pub async fn session(State(state): State<Arc<AppState>>, user: auth::User) -> Json<Session> {
    Json(Session {
        user: user.name,
        roles: user.roles,
        mode: state.mode,
        sandbox: state.platform.config().sandbox_name.clone(),
        limits: state.limits,
    })
}
