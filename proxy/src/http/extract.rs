//! What every handler takes from a request: its id and the signed-in user.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::AppState;
use crate::auth;
use crate::error::ApiError;

/// The request id of the browser (`x-request-id`) if it is sane, else a new one; on every log
/// line of the request, on the answer, and on the calls to the Platform.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<RequestId>()
            .cloned()
            .unwrap_or_else(|| RequestId(uuid::Uuid::new_v4().to_string())))
    }
}

/// The signed-in user, for every `/api` handler; state-changing requests must be same-origin.
impl FromRequestParts<Arc<AppState>> for auth::User {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        auth::check_same_origin(
            &parts.method,
            &parts.headers,
            state.public_origin.as_deref(),
        )?;
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().cloned();
        state.auth.authenticate(&parts.headers, peer)
    }
}
