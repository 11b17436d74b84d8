//! The Platform's error bodies, which come in several shapes (aep-contracts §5.3).

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use crate::time::StringOrInteger;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PlatformError {
    /// The API gateway: `{"error_code": "401013", "message": "Oauth token is not valid"}`.
    Gateway {
        error_code: ErrorCode,
        message: String,
    },
    /// Flow Service: `{"errorMessage": "flows not found with id = [...]"}`.
    FlowService {
        #[serde(rename = "errorMessage")]
        error_message: String,
    },
    /// RFC 7807-like: `{"type", "title", "status", "detail", "report"}`.
    Problem(Problem),
    /// IMS: `{"error": "invalid_client", "error_description": "..."}`.
    OAuth {
        error: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error_description: Option<String>,
    },
    /// Segmentation: `{"requestId": "...", "errors": {"403": [{"code": ..., "message": ...}]}}`.
    /// One of Adobe's own examples nests other fields in `errors`, so its values stay loose.
    Segmentation {
        errors: BTreeMap<String, serde_json::Value>,
    },
    /// adhocrun: `{"message": "Run already going on for ..."}`.
    Message { message: String },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<serde_json::Value>,
}

/// A string in the troubleshooting guide, a number in the Flow Service examples.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ErrorCode(pub String);

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self(match StringOrInteger::deserialize(deserializer)? {
            StringOrInteger::Integer(n) => n.to_string(),
            StringOrInteger::String(s) => s,
        }))
    }
}

/// The gateway's answer to an expired or revoked token: refresh once and retry.
pub const INVALID_TOKEN_CODE: &str = "401013";

impl PlatformError {
    /// The human-readable part, whatever the shape.
    pub fn message(&self) -> &str {
        match self {
            Self::Gateway { message, .. } | Self::Message { message } => message,
            Self::FlowService { error_message } => error_message,
            Self::Problem(problem) => problem.detail.as_deref().unwrap_or(&problem.title),
            Self::OAuth {
                error,
                error_description,
            } => error_description.as_deref().unwrap_or(error),
            Self::Segmentation { errors } => errors
                .values()
                .filter_map(serde_json::Value::as_array)
                .flatten()
                .find_map(|item| item.get("message")?.as_str())
                .unwrap_or(""),
        }
    }

    /// The gateway refusing the credentials themselves (troubleshooting guide: 403000 API key
    /// required, 403003 API key invalid, 403010 token missing, 403025 profile not valid, 403027
    /// user region missing), as opposed to a permission the account lacks.
    pub fn is_credential_refusal(&self) -> bool {
        matches!(self, Self::Gateway { error_code, .. }
            if ["403000", "403003", "403010", "403025", "403027"].contains(&error_code.0.as_str()))
    }

    pub fn is_invalid_token(&self) -> bool {
        match self {
            Self::Gateway {
                error_code,
                message,
            } => {
                error_code.0 == INVALID_TOKEN_CODE
                    || message
                        .to_ascii_lowercase()
                        .contains("oauth token is not valid")
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> PlatformError {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn every_documented_shape_parses_to_its_message() {
        let cases = [
            (
                r#"{"error_code": "403010", "message": "Oauth token is missing."}"#,
                "Oauth token is missing.",
            ),
            (
                r#"{"error_code": 401013, "message": "Oauth token is not valid"}"#,
                "Oauth token is not valid",
            ),
            (
                r#"{"errorMessage": "flows not found with id = [x]"}"#,
                "flows not found with id = [x]",
            ),
            (
                r#"{"type": "/placeholder/type/uri", "status": 400, "title": "BadRequestError", "detail": "A valid content-type must be specified"}"#,
                "A valid content-type must be specified",
            ),
            (
                r#"{"requestId": "r", "type": "https://ns.adobe.com/aep/errors/UPAPI-113740-403", "title": "The IMS Org is not enabled", "status": 403}"#,
                "The IMS Org is not enabled",
            ),
            (
                r#"{"error": "invalid_client", "error_description": "invalid client_secret"}"#,
                "invalid client_secret",
            ),
            (
                r#"{"message": "Run already going on for audience s for order d with run id r"}"#,
                "Run already going on for audience s for order d with run id r",
            ),
        ];
        for (json, message) in cases {
            assert_eq!(parse(json).message(), message, "{json}");
        }
    }

    #[test]
    fn invalid_token_is_recognised_by_code_as_string_or_number() {
        assert!(parse(r#"{"error_code": 401013, "message": "x"}"#).is_invalid_token());
        assert!(
            parse(r#"{"error_code": "401013", "message": "Oauth token is not valid"}"#)
                .is_invalid_token()
        );
        assert!(
            !parse(r#"{"error_code": "403010", "message": "Oauth token is missing."}"#)
                .is_invalid_token()
        );
    }
}
