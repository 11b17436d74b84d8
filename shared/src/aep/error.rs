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

    /// A refusal for a permission the caller lacks, as the services document it: Flow Service's
    /// `2118-403` "Missing permission", `2120-403` and `2121-403` (FSERR-DOC), Segmentation's
    /// attribute-based access control `UPAPI-113752-403` (SEG-SPEC), adhocrun's "not authorized"
    /// (ADHOC-SPEC).
    pub fn is_permission_refusal(&self) -> bool {
        const CODES: [&str; 4] = ["2118-403", "2120-403", "2121-403", "113752-403"];
        let names_code = |text: &str| CODES.iter().any(|code| text.contains(code));
        match self {
            Self::Problem(problem) => {
                problem.kind.as_deref().is_some_and(names_code)
                    || problem.title.eq_ignore_ascii_case("Missing permission")
            }
            Self::Segmentation { errors } => {
                names_code(&serde_json::to_string(errors).unwrap_or_default())
            }
            Self::Message { message } => message.to_ascii_lowercase().contains("not authorized"),
            Self::Gateway { error_code, .. } => names_code(&error_code.0),
            _ => false,
        }
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

    #[test]
    fn only_the_documented_permission_refusals_name_a_permission() {
        let read = |json: serde_json::Value| serde_json::from_value::<PlatformError>(json).unwrap();
        for refusal in [
            serde_json::json!({"type": "https://ns.adobe.com/aep/errors/FLOW-2118-403", "title": "Missing permission", "status": 403}),
            serde_json::json!({"errors": {"403": [{"code": "UPAPI-113752-403", "message": "Permission denied on some resources."}]}}),
            serde_json::json!({"message": "Forbidden. The requester is not authorized to access the resource."}),
        ] {
            assert!(read(refusal.clone()).is_permission_refusal(), "{refusal}");
        }
        for other in [
            serde_json::json!({"error_code": "403003", "message": "Api Key is invalid"}),
            serde_json::json!({"type": "https://ns.adobe.com/aep/errors/FLOW-2110-403", "title": "Sandbox not allowed", "status": 403}),
            serde_json::json!({"message": "Forbidden"}),
        ] {
            assert!(!read(other.clone()).is_permission_refusal(), "{other}");
        }
    }

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
