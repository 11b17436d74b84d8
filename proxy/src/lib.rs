//! The portal's HTTP service: the only holder of Adobe credentials and the only way activations
//! reach the Platform.

mod activation;
mod allowlist;
pub mod auth;
pub mod cli;
pub mod config;
mod error;
mod facts;
mod history;
mod ims;
pub mod metrics;
pub mod reconcile;
pub mod static_files;
pub mod store;
mod upstream;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::{
    Json, Router,
    body::{Body, Bytes},
    extract::{
        ConnectInfo, FromRequestParts, MatchedPath, OriginalUri, Path, Query, Request, State,
    },
    http::{HeaderMap, HeaderValue, Method, StatusCode, header, request::Parts},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{any, get},
};
use shared::guardrails::Limits;
use shared::portal::{Mode, Session};
use shared::time::EpochMillis;
use tower_http::limit::RequestBodyLimitLayer;
use tracing::Instrument;

pub use auth::AuthMode;
pub use config::{ApiVersion, PlatformConfig};
pub use error::ApiError;
use history::RunCache;
use metrics::Metrics;
use static_files::StaticFiles;
use store::{HistoryFilter, Store};
use upstream::Platform;

/// No activation or API request needs more; larger bodies are refused before they are read.
const BODY_LIMIT: usize = 256 * 1024;
/// How long an order's run status is reused across viewers.
const RUN_CACHE_TTL: Duration = Duration::from_secs(2);

pub struct AppState {
    platform: Platform,
    store: Store,
    auth: AuthMode,
    limits: Limits,
    mode: Mode,
    metrics: Arc<Metrics>,
    activation_lock: tokio::sync::Mutex<()>,
    runs: RunCache,
}

pub struct Settings {
    pub platform: PlatformConfig,
    pub auth: AuthMode,
    pub limits: Limits,
    pub mode: Mode,
}

impl AppState {
    pub fn new(settings: Settings, store: Store) -> Arc<Self> {
        let metrics = Arc::new(Metrics::default());
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .pool_max_idle_per_host(64)
            .build()
            .expect("an HTTP client with default TLS roots");
        Arc::new(Self {
            platform: Platform::new(http, settings.platform, metrics.clone()),
            store,
            auth: settings.auth,
            limits: settings.limits,
            mode: settings.mode,
            metrics,
            activation_lock: tokio::sync::Mutex::new(()),
            runs: RunCache::new(RUN_CACHE_TTL),
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
}

/// The whole HTTP surface of the portal (DESIGN §4).
pub fn app(state: Arc<AppState>, static_files: StaticFiles) -> Router {
    let api = Router::new()
        .route("/api/session", get(session))
        .route("/api/history", get(history_list))
        .route("/api/history/{id}", get(history_detail))
        .route("/api/platform/{*path}", any(platform))
        .route("/api/{*rest}", any(api_not_found))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .with_state(state.clone());
    api.fallback_service(static_files.service())
        .layer(middleware::from_fn_with_state(state, observe))
}

pub fn now() -> EpochMillis {
    EpochMillis(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64),
    )
}

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

async fn observe(State(state): State<Arc<AppState>>, mut request: Request, next: Next) -> Response {
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

/// The signed-in user, for every `/api` handler; state-changing requests must be same-origin.
impl FromRequestParts<Arc<AppState>> for auth::User {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        auth::check_same_origin(&parts.method, &parts.headers)?;
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().cloned();
        state.auth.authenticate(&parts.headers, peer)
    }
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let store = state.store.is_open().await;
    let token = state.platform.token_obtainable().await;
    let status = if store && token {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(serde_json::json!({"store": store, "token": token})),
    )
        .into_response()
}

async fn metrics_text(State(state): State<Arc<AppState>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

async fn session(State(state): State<Arc<AppState>>, user: auth::User) -> Json<Session> {
    Json(Session {
        user: user.name,
        roles: user.roles,
        mode: state.mode,
        sandbox: state.platform.config().sandbox_name.clone(),
        limits: state.limits,
    })
}

async fn history_list(
    State(state): State<Arc<AppState>>,
    _user: auth::User,
    filter: Result<Query<HistoryFilter>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(filter) = filter.map_err(|e| ApiError::bad_request("INVALID_FILTER", format!("{e}. Filters: destination, segment, user, outcome, from, to (epoch ms), cursor, limit.")))?;
    Ok(Json(state.store.list(&filter).await?).into_response())
}

async fn history_detail(
    State(state): State<Arc<AppState>>,
    _user: auth::User,
    request_id: RequestId,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(Json(
        history::detail(
            &state.store,
            &state.runs,
            &state.platform,
            &id,
            &request_id.0,
        )
        .await?,
    )
    .into_response())
}

async fn api_not_found(uri: OriginalUri) -> ApiError {
    ApiError::NotFound(format!("There is nothing at {}.", uri.path()))
}

/// `/api/platform/<Platform path>`: the allowlist, then the activation path or a forwarded GET.
async fn platform(
    State(state): State<Arc<AppState>>,
    user: auth::User,
    request_id: RequestId,
    method: Method,
    uri: OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let path = uri.path().strip_prefix("/api/platform").unwrap_or_default();
    let not_allowed = || {
        ApiError::NotFound(format!(
            "{method} {path} is not a Platform call this portal makes."
        ))
    };
    let route = allowlist::classify(&method, path).ok_or_else(not_allowed)?;
    if route == allowlist::Route::AdhocRun {
        return activation::activate(state, user, request_id, headers, body).await;
    }
    let path_and_query = match uri.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    };
    let answer = state.platform.get(&path_and_query, &request_id.0).await?;
    if !answer.status.is_success() {
        let message = answer.error_message();
        return Err(ApiError::Upstream {
            status: answer.status,
            message,
            rejection: None,
        });
    }
    let mut response = Response::new(Body::from(answer.body));
    *response.status_mut() = answer.status;
    if let Some(content_type) = answer.content_type {
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, content_type);
    }
    Ok(response)
}
