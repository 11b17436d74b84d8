//! `/api/platform/<Platform path>`: the allowlist, then the activation path or a forwarded GET.

use std::sync::Arc;

use axum::{
    body::{Body, Bytes},
    extract::{FromRequest, OriginalUri, Request, State},
    http::{Method, header},
    response::{IntoResponse, Response},
};

use super::RequestId;
use crate::error::ApiError;
use crate::media::is_json;
use crate::upstream::UpstreamError;
use crate::{AppState, activation, allowlist, auth};

pub async fn api_not_found(uri: OriginalUri) -> ApiError {
    ApiError::NotFound(format!("There is nothing at {}.", uri.path()))
}

/// `/api/platform/<Platform path>`: the allowlist, then the activation path or a forwarded GET.
pub async fn forward(
    State(state): State<Arc<AppState>>,
    user: auth::User,
    request_id: RequestId,
    method: Method,
    uri: OriginalUri,
    request: Request,
) -> Result<Response, ApiError> {
    user.require_reader()?;
    let path = uri.path().strip_prefix("/api/platform").unwrap_or_default();
    let not_allowed = || {
        ApiError::NotFound(format!(
            "{method} {path} is not a Platform call this portal makes."
        ))
    };
    let route = allowlist::classify(&method, path).ok_or_else(not_allowed)?;
    if route == allowlist::Route::AdhocRun {
        // Only the activation reads the request's headers and body; a forwarded GET passes
        // neither, so it does not copy them.
        let headers = request.headers().clone();
        let body = match Bytes::from_request(request, &state).await {
            Ok(body) => body,
            Err(rejection) => return Ok(rejection.into_response()),
        };
        return activation::activate(state, user, request_id, headers, body).await;
    }
    let path_and_query = match uri.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    };
    let answer = match state
        .platform
        .get_streamed(&path_and_query, &request_id.0)
        .await?
    {
        Ok(streamed) => streamed,
        Err(refused) => {
            return Err(match refused.refusal(&method, &path_and_query) {
                refusal @ (UpstreamError::Throttled { .. }
                | UpstreamError::MissingPermission { .. }) => refusal.into(),
                _ => ApiError::Upstream {
                    status: refused.status,
                    message: refused.error_message(),
                    rejection: None,
                },
            });
        }
    };
    // Every allowlisted call answers JSON; anything else (an HTML error page of a proxy in
    // between, a script) is not passed to the browser under the portal's origin.
    let content_type = answer.content_type.as_ref().and_then(|v| v.to_str().ok());
    if !content_type.is_some_and(is_json) {
        return Err(ApiError::UpstreamUnreachable(format!(
            "The Platform answered {path} with {}, not JSON.",
            content_type.unwrap_or("no content type")
        )));
    }
    // Passed on as it arrives: the portal holds no whole answer, and the browser starts
    // reading while the Platform still sends. Only the content type crosses.
    let mut response = Response::new(Body::from_stream(answer.body));
    *response.status_mut() = answer.status;
    if let Some(content_type) = answer.content_type {
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, content_type);
    }
    Ok(response)
}
