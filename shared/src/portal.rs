//! The portal's own API (`/api/session`, `/api/history`, the error body of every portal-made
//! error): what the browser and the CLI read from the proxy.

use serde::{Deserialize, Serialize};

use crate::aep::adhoc::{ActivationInfo, ActivationOrder, AdhocRunRejection};
use crate::aep::run::Run;
use crate::guardrails::{Limits, Violation};
use crate::time::EpochMillis;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// May look at destinations, segments and history.
    Viewer,
    /// May also activate.
    Activator,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Against the built-in emulator.
    Demo,
    /// Against the real IMS and Platform.
    Live,
}

/// `GET /api/session`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub user: String,
    pub roles: Vec<Role>,
    pub mode: Mode,
    pub sandbox: String,
    pub limits: Limits,
}

impl Session {
    pub fn can_activate(&self) -> bool {
        self.roles.contains(&Role::Activator)
    }
}

/// The body of every error the portal makes itself (ARCHITECTURE.md, *HTTP surface*).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A stable SCREAMING_SNAKE identifier.
    pub code: String,
    pub message: String,
    #[serde(default)]
    pub violations: Vec<Violation>,
    /// Set when the Platform refused an activation with one of its documented errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection: Option<AdhocRunRejection>,
}

impl ErrorBody {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            violations: Vec::new(),
            rejection: None,
        }
    }
}

/// What became of an activation the portal accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// Recorded, not yet answered by the Platform.
    Pending,
    /// The Platform answered with orders.
    Accepted,
    /// The guardrails or the Platform refused it.
    Rejected,
    /// The call failed in a way that certainly started nothing.
    Failed,
    /// No answer (a timeout, a crash): the reconciler looks for its runs.
    Unknown,
}

/// One activation in the audit history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryRecord {
    pub id: String,
    pub created_at: EpochMillis,
    pub user: String,
    pub activation_info: ActivationInfo,
    pub outcome: Outcome,
    #[serde(default)]
    pub orders: Vec<ActivationOrder>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

/// `GET /api/history`: newest first; pass `nextCursor` as `cursor` for the next page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryPage {
    pub items: Vec<HistoryRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// `GET /api/history/{id}`: the record and each order's latest known run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryDetail {
    pub record: HistoryRecord,
    pub runs: Vec<OrderRun>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderRun {
    pub order: ActivationOrder,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<Run>,
    /// Why the run could not be read this time (the record itself is still shown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn session_has_the_documented_shape() {
        let session = Session {
            user: "demo".into(),
            roles: vec![Role::Viewer, Role::Activator],
            mode: Mode::Demo,
            sandbox: "prod".into(),
            limits: Limits::default(),
        };
        assert_eq!(
            serde_json::to_value(&session).unwrap(),
            json!({"user": "demo", "roles": ["viewer", "activator"], "mode": "demo", "sandbox": "prod",
                   "limits": {"maxEntries": 80, "firstActivationWaitSeconds": 1200}})
        );
        assert!(session.can_activate());
        let viewer = Session {
            roles: vec![Role::Viewer],
            ..session
        };
        assert!(!viewer.can_activate());
    }

    #[test]
    fn error_body_always_carries_a_violations_list() {
        let body = ErrorBody::new("NOT_FOUND", "There is nothing at /api/nope.");
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"code": "NOT_FOUND", "message": "There is nothing at /api/nope.", "violations": []})
        );
        let parsed: ErrorBody = serde_json::from_str(r#"{"code": "X", "message": "m"}"#).unwrap();
        assert!(parsed.violations.is_empty());
    }

    #[test]
    fn outcomes_are_camel_case_words() {
        assert_eq!(
            serde_json::to_value(Outcome::Unknown).unwrap(),
            json!("unknown")
        );
        assert_eq!(
            serde_json::from_value::<Outcome>(json!("accepted")).unwrap(),
            Outcome::Accepted
        );
    }
}
