//! Adobe IMS OAuth server-to-server: `POST /ims/token/v3` with a form body, or with the
//! parameters in the query string, which Adobe's IMS reference also allows.

use axum::{
    Form, Json, Router,
    extract::{Query, State, rejection::FormRejection},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::json;
use shared::aep::ims::{TOKEN_PATH, TokenResponse};

use crate::Emulator;
use crate::admin::LoggedRequest;

pub fn routes() -> Router<Emulator> {
    Router::new().route(TOKEN_PATH, post(token))
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

async fn token(
    State(emulator): State<Emulator>,
    Query(query): Query<Vec<(String, String)>>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    emulator.requests().push(LoggedRequest {
        at: emulator.now(),
        method: "POST".into(),
        path: TOKEN_PATH.into(),
        query: String::new(),
        route: format!("POST {TOKEN_PATH}"),
        sandbox: None,
        request_id: None,
        body: None,
        status: None,
    });
    let (latency, outage, lifetime) = {
        let faults = emulator.faults();
        (
            faults.latency_ms,
            faults.ims_outage,
            faults.token_lifetime_seconds,
        )
    };
    if latency > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(latency)).await;
    }
    if outage {
        return oauth_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "IMS is unavailable (outage injected by the emulator).",
        );
    }
    // The body's parameters first, then the query's.
    let form = match form {
        Ok(Form(form)) => form.into_iter().chain(query).collect::<Vec<_>>(),
        Err(_) if !query.is_empty() => query,
        Err(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "The parameters must be in an application/x-www-form-urlencoded body or in the query string.",
            );
        }
    };
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let credentials = &emulator.config().credentials;
    if field("grant_type") != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be client_credentials",
        );
    }
    if field("client_id") != Some(credentials.client_id.as_str()) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "invalid client_id parameter",
        );
    }
    if field("client_secret") != Some(credentials.client_secret.as_str()) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "invalid client_secret parameter",
        );
    }
    let Some(scope) = field("scope").filter(|s| !s.trim().is_empty()) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "scope is required",
        );
    };
    if let Some(unknown) = scope
        .split(',')
        .map(str::trim)
        .find(|s| !credentials.scopes.iter().any(|k| k == s))
    {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            &format!("invalid scope: {unknown}"),
        );
    }
    let lifetime = lifetime
        .unwrap_or(emulator.config().token_lifetime_seconds)
        .max(0);
    let expires = emulator.now().plus_seconds(lifetime);
    let access_token = {
        let mut world = emulator.world();
        let token = world.ids.token();
        world.tokens.insert(token.clone(), expires);
        token
    };
    Json(TokenResponse {
        access_token,
        token_type: "bearer".into(),
        expires_in: lifetime as u64,
    })
    .into_response()
}
