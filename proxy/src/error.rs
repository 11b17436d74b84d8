//! Every error the portal makes, mapped once to HTTP with the body of DESIGN §4:
//! `{"code", "message", "violations"}`. Messages never carry a secret or a token.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use shared::aep::adhoc::AdhocRunRejection;
use shared::guardrails::Violation;
use shared::portal::ErrorBody;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("Sign in first: this request carried no valid credentials.")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    #[error(
        "State-changing requests must come from the portal's own pages; this one came from {0}."
    )]
    CrossSite(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("The plan breaks {} guardrail(s); nothing was sent to the Platform.", .0.len())]
    Guardrails(Vec<Violation>),
    #[error(
        "This Idempotency-Key was already used for a different activation; use a new key for a new activation."
    )]
    IdempotencyKeyReused,
    #[error("{0}")]
    ImsUnavailable(String),
    #[error("{message}")]
    Upstream {
        status: StatusCode,
        message: String,
        rejection: Option<AdhocRunRejection>,
    },
    #[error("{0}")]
    UpstreamUnreachable(String),
    #[error("{0}")]
    OutcomeUnknown(String),
    #[error("The portal's history store failed: {0}")]
    Store(String),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::CrossSite(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Guardrails(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::IdempotencyKeyReused => StatusCode::CONFLICT,
            Self::ImsUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Upstream { status, .. } => *status,
            Self::UpstreamUnreachable(_) => StatusCode::BAD_GATEWAY,
            Self::OutcomeUnknown(_) => StatusCode::GATEWAY_TIMEOUT,
            Self::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::CrossSite(_) => "CROSS_SITE_REQUEST",
            Self::NotFound(_) => "NOT_FOUND",
            Self::BadRequest { code, .. } => code,
            Self::Guardrails(_) => "GUARDRAIL_VIOLATION",
            Self::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            Self::ImsUnavailable(_) => "IMS_UNAVAILABLE",
            Self::Upstream { .. } => "PLATFORM_ERROR",
            Self::UpstreamUnreachable(_) => "PLATFORM_UNREACHABLE",
            Self::OutcomeUnknown(_) => "OUTCOME_UNKNOWN",
            Self::Store(_) => "STORE_FAILED",
        }
    }

    pub fn body(&self) -> ErrorBody {
        let mut body = ErrorBody::new(self.code(), self.to_string());
        match self {
            Self::Guardrails(violations) => body.violations = violations.clone(),
            Self::Upstream { rejection, .. } => body.rejection = rejection.clone(),
            _ => {}
        }
        body
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status().is_server_error() {
            tracing::warn!(code = self.code(), "{self}");
        }
        (self.status(), Json(self.body())).into_response()
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        Self::Store(error.to_string())
    }
}
