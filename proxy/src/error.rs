//! Every error the portal makes, mapped once to HTTP with the body of ARCHITECTURE.md, *HTTP surface*:
//! `{"code", "message", "violations"}`. Messages never carry a secret or a token.

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use shared::aep::adhoc::AdhocRunRejection;
use shared::guardrails::Violation;
use shared::portal::{ErrorBody, ErrorCode};

use crate::store::StoreError;
use crate::upstream::UpstreamError;

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
    #[error(
        "Send this request as JSON (Content-Type: application/json); forms and plain text are refused."
    )]
    UnsupportedMediaType,
    #[error(
        "Too many activations from {user} in the last minute (at most {limit}). Try again in {retry_after_seconds} s."
    )]
    RateLimited {
        user: String,
        limit: u32,
        retry_after_seconds: u64,
    },
    #[error("{message}")]
    BadRequest { code: ErrorCode, message: String },
    /// The record's state does not allow what was asked.
    #[error("{0}")]
    InvalidState(String),
    #[error("{0}")]
    SelfApproval(String),
    #[error("The plan breaks {} guardrail(s); nothing was sent to the Platform.", .0.len())]
    Guardrails(Vec<Violation>),
    #[error(
        "This Idempotency-Key was already used for a different activation; use a new key for a new activation."
    )]
    IdempotencyKeyReused,
    #[error(
        "Another request with this Idempotency-Key is being handled at this moment; ask again in a moment for its answer."
    )]
    KeyInUse,
    #[error("{0}")]
    ImsUnavailable(String),
    #[error("{message}")]
    Upstream {
        status: StatusCode,
        message: String,
        rejection: Option<AdhocRunRejection>,
    },
    #[error("{message}")]
    PlatformThrottled {
        message: String,
        retry_after_seconds: u64,
    },
    #[error("{0}")]
    PlatformPermissionMissing(String),
    #[error("{0}")]
    UpstreamUnreachable(String),
    #[error("{0}")]
    OutcomeUnknown(String),
    #[error("The portal's history store failed: {0}")]
    Store(StoreError),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::CrossSite(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::RateLimited { .. } | Self::PlatformThrottled { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            Self::PlatformPermissionMissing(_) => StatusCode::FORBIDDEN,
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Guardrails(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::IdempotencyKeyReused | Self::KeyInUse | Self::InvalidState(_) => {
                StatusCode::CONFLICT
            }
            Self::SelfApproval(_) => StatusCode::FORBIDDEN,
            Self::ImsUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Upstream { status, .. } => *status,
            Self::UpstreamUnreachable(_) => StatusCode::BAD_GATEWAY,
            Self::OutcomeUnknown(_) => StatusCode::GATEWAY_TIMEOUT,
            Self::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Unauthenticated => ErrorCode::Unauthenticated,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::CrossSite(_) => ErrorCode::CrossSiteRequest,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::UnsupportedMediaType => ErrorCode::UnsupportedMediaType,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::PlatformThrottled { .. } => ErrorCode::PlatformThrottled,
            Self::PlatformPermissionMissing(_) => ErrorCode::PlatformPermissionMissing,
            Self::BadRequest { code, .. } => *code,
            Self::Guardrails(_) => ErrorCode::GuardrailViolation,
            Self::IdempotencyKeyReused => ErrorCode::IdempotencyKeyReused,
            Self::KeyInUse => ErrorCode::ActivationInProgress,
            Self::InvalidState(_) => ErrorCode::InvalidState,
            Self::SelfApproval(_) => ErrorCode::SelfApproval,
            Self::ImsUnavailable(_) => ErrorCode::ImsUnavailable,
            Self::Upstream { .. } => ErrorCode::PlatformError,
            Self::UpstreamUnreachable(_) => ErrorCode::PlatformUnreachable,
            Self::OutcomeUnknown(_) => ErrorCode::OutcomeUnknown,
            Self::Store(_) => ErrorCode::StoreFailed,
        }
    }

    pub fn body(&self) -> ErrorBody {
        let mut body = ErrorBody::new(self.code(), self.public_message());
        match self {
            Self::Guardrails(violations) => body.violations = violations.clone(),
            Self::Upstream { rejection, .. } => body.rejection = rejection.clone(),
            Self::RateLimited {
                retry_after_seconds,
                ..
            }
            | Self::PlatformThrottled {
                retry_after_seconds,
                ..
            } => body.retry_after_seconds = Some(*retry_after_seconds),
            _ => {}
        }
        body
    }

    /// What the caller reads. A store failure's cause (SQL, file paths, schema) stays in the log.
    fn public_message(&self) -> String {
        match self {
            Self::Store(_) => "The portal's history store failed, so this request may be \
                               incomplete: look at the history before you send it again. The \
                               portal's log has the cause."
                .into(),
            other => other.to_string(),
        }
    }

    pub fn bad_request(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status().is_server_error() {
            tracing::warn!(code = self.code().as_str(), "{self}");
        }
        let mut response = (self.status(), Json(self.body())).into_response();
        if let Self::RateLimited {
            retry_after_seconds,
            ..
        }
        | Self::PlatformThrottled {
            retry_after_seconds,
            ..
        } = &self
            && let Ok(value) = HeaderValue::from_str(&retry_after_seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

impl From<UpstreamError> for ApiError {
    fn from(error: UpstreamError) -> Self {
        match &error {
            UpstreamError::Ims(ims) => Self::ImsUnavailable(ims.to_string()),
            UpstreamError::Refused { status, .. } => Self::Upstream {
                status: *status,
                message: error.to_string(),
                rejection: None,
            },
            UpstreamError::Throttled {
                retry_after_seconds,
            } => Self::PlatformThrottled {
                message: error.to_string(),
                retry_after_seconds: *retry_after_seconds,
            },
            UpstreamError::MissingPermission { .. } => {
                Self::PlatformPermissionMissing(error.to_string())
            }
            UpstreamError::TooLarge => Self::Upstream {
                status: StatusCode::BAD_GATEWAY,
                message: error.to_string(),
                rejection: None,
            },
            _ => Self::UpstreamUnreachable(error.to_string()),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::InvalidCursor => {
                Self::bad_request(ErrorCode::InvalidCursor, error.to_string())
            }
            StoreError::KeyTaken => Self::KeyInUse,
            other => Self::Store(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_failure_keeps_its_cause_out_of_the_answer() {
        let error = ApiError::from(StoreError::Database(sqlx::Error::Protocol(
            "no such table: activations in /srv/portal/portal.sqlite".into(),
        )));
        let body = error.body();
        assert_eq!(body.code, ErrorCode::StoreFailed);
        assert!(!body.message.contains("activations"), "{}", body.message);
        assert!(!body.message.contains("/srv"), "{}", body.message);
        assert!(
            error.to_string().contains("no such table"),
            "the log keeps the cause"
        );
    }
}
