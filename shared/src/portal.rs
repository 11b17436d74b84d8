//! The portal's own API (`/api/session`, `/api/history`, the error body of every portal-made
//! error): what the browser and the CLI read from the proxy.

use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;

use crate::aep::adhoc::{ActivationOrder, AdhocRunRejection};
use crate::aep::run::{Run, RunStatus};
use crate::aep::verbatim::Verbatim;
use crate::guardrails::{Limits, Violation};
use crate::plan::Plan;
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

/// Declares `ErrorCode` with each code's name on the wire written once: serialising, reading
/// and displaying all use it.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $code:ident => $name:literal,)*) => {
        /// The stable identifier of every error the portal makes, SCREAMING_SNAKE on the wire.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[$doc])* $code,)*
            /// A code this build does not know (a newer portal): the message still says what
            /// happened.
            Other,
        }

        impl ErrorCode {
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$code => $name,)*
                    Self::Other => "OTHER",
                }
            }

            fn from_name(name: &str) -> Self {
                match name {
                    $($name => Self::$code,)*
                    _ => Self::Other,
                }
            }
        }
    };
}

error_codes! {
    /// The requester tried to approve their own plan.
    SelfApproval => "SELF_APPROVAL",
    /// The record's state does not allow what was asked (approve a sent plan, cancel twice...).
    InvalidState => "INVALID_STATE",
    InvalidPlan => "INVALID_PLAN",
    /// Another activator rejected the plan; the message has their reason.
    ApprovalRejected => "APPROVAL_REJECTED",
    Unauthenticated => "UNAUTHENTICATED",
    Forbidden => "FORBIDDEN",
    CrossSiteRequest => "CROSS_SITE_REQUEST",
    NotFound => "NOT_FOUND",
    InvalidActivation => "INVALID_ACTIVATION",
    InvalidIdempotencyKey => "INVALID_IDEMPOTENCY_KEY",
    InvalidFilter => "INVALID_FILTER",
    InvalidCursor => "INVALID_CURSOR",
    /// The v1 activation API needs a profile export job and the Platform lists none.
    NoExportJob => "NO_EXPORT_JOB",
    GuardrailViolation => "GUARDRAIL_VIOLATION",
    IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
    /// The first request with this `Idempotency-Key` is still being sent.
    ActivationInProgress => "ACTIVATION_IN_PROGRESS",
    /// The portal stopped before it answered the first request with this key.
    NoFirstAnswer => "NO_FIRST_ANSWER",
    ImsUnavailable => "IMS_UNAVAILABLE",
    PlatformError => "PLATFORM_ERROR",
    /// The Platform answered 429: wait as long as `Retry-After` says.
    PlatformThrottled => "PLATFORM_THROTTLED",
    /// The technical account lacks an Experience Platform permission; the message names it.
    PlatformPermissionMissing => "PLATFORM_PERMISSION_MISSING",
    PlatformUnreachable => "PLATFORM_UNREACHABLE",
    OutcomeUnknown => "OUTCOME_UNKNOWN",
    /// The reconciler found no run for an activation of unknown outcome.
    NotStarted => "NOT_STARTED",
    StoreFailed => "STORE_FAILED",
    /// The portal did not answer within its deadline and stopped the request (504).
    DeadlineExceeded => "DEADLINE_EXCEEDED",
    /// The portal failed while answering (a bug, logged with the request id): nothing about the
    /// request is known to have happened.
    InternalError => "INTERNAL_ERROR",
    /// A state-changing request whose body is not JSON.
    UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
    /// An identity header sent twice (a proxy that appends instead of replacing).
    DuplicateIdentityHeader => "DUPLICATE_IDENTITY_HEADER",
    /// Too many activations from one user in a short time.
    RateLimited => "RATE_LIMITED",
    /// The browser could not reach the portal.
    Network => "NETWORK",
    /// The portal answered without an error body (a proxy in between, say).
    HttpError => "HTTP_ERROR",
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self::from_name(&String::deserialize(deserializer)?))
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The body of every error the portal makes itself (ARCHITECTURE.md, *HTTP surface*).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default)]
    pub violations: Vec<Violation>,
    /// Set when the Platform refused an activation with one of its documented errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection: Option<AdhocRunRejection>,
    /// How long to wait before trying again (also the `Retry-After` header), when throttled.
    #[serde(
        rename = "retryAfterSeconds",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub retry_after_seconds: Option<u64>,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            violations: Vec::new(),
            rejection: None,
            retry_after_seconds: None,
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
    /// A plan to send at its `runAt`.
    Scheduled,
    /// A plan waiting for another activator's approval.
    #[serde(rename = "awaiting_approval")]
    AwaitingApproval,
    /// Parts of a split plan waiting for their segments to free up.
    Queued,
    /// A scheduled or waiting plan called off before it was sent.
    Cancelled,
}

impl Outcome {
    /// Not sent yet, and still to be: what cancel applies to.
    pub fn is_waiting(self) -> bool {
        matches!(
            self,
            Self::Scheduled | Self::AwaitingApproval | Self::Queued
        )
    }
}

/// `POST /api/plans` (DESIGN §10): the portal's own way to activate, now or at `runAt`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlanRequest {
    pub activation_info: Plan,
    /// RFC 3339, e.g. `2026-12-01T08:50:00+09:00`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_at: Option<String>,
    #[serde(default)]
    pub split: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A plan's life beyond one activation: when it is to run, who approved or called it off.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_at: Option<EpochMillis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The record whose failed or refused orders this one tries again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_of: Option<String>,
    /// Who approved, or rejected, the plan, when and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<EpochMillis>,
    /// When the plan was taken to be sent (at its time, or on approval): where to look for its
    /// runs if no answer was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<EpochMillis>,
    /// A split plan's parts, in the order they are sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<String>,
    /// For a part: the split plan it belongs to, and its place among the parts (from 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part_of: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<u32>,
}

impl PlanInfo {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    pub approved: bool,
    pub by: String,
    pub at: EpochMillis,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A plan as it was asked for, verbatim: the audit keeps even ids that the portal's id rule
/// refuses today (records written before the rule existed must stay readable).
pub type RequestedPlan = BTreeMap<String, Vec<String>>;

/// `POST .../adhocrun` as the browser and the CLI send it: Adobe's v2 body, nothing else.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActivationRequest {
    pub activation_info: Plan,
}

/// One activation in the audit history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryRecord {
    pub id: String,
    pub created_at: EpochMillis,
    pub user: String,
    pub activation_info: RequestedPlan,
    pub outcome: Outcome,
    #[serde(default)]
    pub orders: Vec<ActivationOrder>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
    /// What the portal could not check before it sent the plan (the Platform still checks).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The destinations' and segments' names when the activation was made: the audit stays
    /// readable after a rename or a deletion.
    #[serde(default, skip_serializing_if = "Names::is_empty")]
    pub names: Names,
    /// How the activation's runs went, as last seen; absent until the portal has looked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs: Option<RunsSummary>,
    /// For plans: when to run, the note, approval, retry and cancellation.
    #[serde(default, skip_serializing_if = "PlanInfo::is_empty")]
    pub plan: PlanInfo,
}

/// Ids to names, as the Platform named things at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Names {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub destinations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub segments: BTreeMap<String, String>,
}

impl Names {
    pub fn is_empty(&self) -> bool {
        self.destinations.is_empty() && self.segments.is_empty()
    }

    pub fn destination<'a>(&'a self, id: &'a str) -> &'a str {
        self.destinations.get(id).map_or(id, String::as_str)
    }

    pub fn segment<'a>(&'a self, id: &'a str) -> &'a str {
        self.segments.get(id).map_or(id, String::as_str)
    }
}

/// An activation's runs counted by how they ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RunsSummary {
    pub total: u32,
    pub succeeded: u32,
    pub failed: u32,
    /// Profiles the succeeded runs exported.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub records: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One day of the history, in the reader's time zone: activations by outcome, profiles exported.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryDay {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub accepted: u32,
    pub rejected: u32,
    /// Failed, unknown or still being sent.
    pub other: u32,
    pub records: u64,
}

impl RunsSummary {
    /// Counts runs by how they ended; an order whose run is not known yet counts as running,
    /// and a run that ended in a status the portal does not know as not succeeded.
    pub fn of<'a>(runs: impl IntoIterator<Item = Option<&'a Run>>) -> Self {
        runs.into_iter().fold(Self::default(), |mut summary, run| {
            summary.total += 1;
            match run.map(|r| (r.status(), r.is_finished())) {
                Some((RunStatus::Success, _)) => {
                    summary.succeeded += 1;
                    summary.records += run
                        .and_then(|r| {
                            r.metrics
                                .as_ref()?
                                .record_summary
                                .as_ref()?
                                .output_record_count
                        })
                        .unwrap_or(0);
                }
                Some((_, true)) => summary.failed += 1,
                _ => {}
            }
            summary
        })
    }

    pub fn running(&self) -> u32 {
        self.total - self.succeeded - self.failed
    }

    pub fn state(&self) -> RunsState {
        if self.running() > 0 {
            RunsState::Running
        } else if self.failed > 0 {
            RunsState::Failed
        } else {
            RunsState::Succeeded
        }
    }
}

/// What a history filter on the runs' outcome asks for: any still running, any failed (all
/// finished), all succeeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunsState {
    Running,
    Failed,
    Succeeded,
}

impl RunsState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Failed => "failed",
            Self::Succeeded => "succeeded",
        }
    }
}

/// The filters of `GET /api/history`: what the browser writes into the address and the proxy
/// reads from it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryQuery {
    /// Records with an entry for this dataflow.
    pub destination: Option<String>,
    /// Records with an entry for this segment.
    pub segment: Option<String>,
    pub user: Option<String>,
    pub outcome: Option<Outcome>,
    /// Records whose runs are in this state.
    pub runs: Option<RunsState>,
    /// Epoch milliseconds, inclusive.
    pub from: Option<i64>,
    /// Epoch milliseconds, exclusive.
    pub to: Option<i64>,
    /// The `nextCursor` of the previous page.
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

impl HistoryQuery {
    /// `destination=...&outcome=accepted&...`, the fields that are set, percent-encoded.
    pub fn to_query_string(&self) -> String {
        let outcome = self.outcome.map(|o| {
            serde_json::to_value(o)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        });
        let numbers = [
            ("from", self.from.map(|n| n.to_string())),
            ("to", self.to.map(|n| n.to_string())),
            ("limit", self.limit.map(|n| n.to_string())),
        ];
        [
            ("destination", self.destination.clone()),
            ("segment", self.segment.clone()),
            ("user", self.user.clone()),
            ("outcome", outcome),
            ("runs", self.runs.map(|r| r.as_str().to_owned())),
        ]
        .into_iter()
        .chain(numbers)
        .chain([("cursor", self.cursor.clone())])
        .filter_map(|(key, value)| Some(format!("{key}={}", percent_encode(&value?))))
        .collect::<Vec<_>>()
        .join("&")
    }
}

/// RFC 3986: unreserved characters as they are, every other byte as `%XX`.
fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
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
    /// The record's notifications and how their delivery went.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notifications: Vec<NotificationState>,
    /// A split plan's parts, each a job of its own, in the order they are sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<HistoryRecord>,
}

/// One event sent (or being sent) to one receiver.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationState {
    pub event: String,
    /// `webhook hooks.example.com`, `slack hooks.slack.com`: the host only, never the URL.
    pub receiver: String,
    pub state: DeliveryState,
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<EpochMillis>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Pending,
    Delivered,
    GivenUp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderRun {
    pub order: ActivationOrder,
    /// As the Platform wrote it, fields the portal does not model included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<Verbatim<Run>>,
    /// Why the run could not be read this time (the record itself is still shown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_history_query_writes_only_what_is_set_and_encodes_it() {
        let query = HistoryQuery {
            user: Some("김 민지&co".into()),
            outcome: Some(Outcome::Accepted),
            to: Some(1_700_000_000_000),
            cursor: Some("1700:abc".into()),
            ..HistoryQuery::default()
        };
        assert_eq!(
            query.to_query_string(),
            "user=%EA%B9%80%20%EB%AF%BC%EC%A7%80%26co&outcome=accepted&to=1700000000000&cursor=1700%3Aabc"
        );
        assert_eq!(HistoryQuery::default().to_query_string(), "");
    }

    #[test]
    fn an_activation_request_is_adobes_v2_body_and_nothing_else() {
        let request: ActivationRequest =
            serde_json::from_value(json!({"activationInfo": {"flow-1": ["a"]}})).unwrap();
        assert_eq!(request.activation_info.count(), 1);
        let unknown = serde_json::from_value::<ActivationRequest>(
            json!({"activationInfo": {}, "exportIds": ["1"]}),
        );
        assert!(unknown.unwrap_err().to_string().contains("exportIds"));
    }

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
                   "limits": {"maxEntries": 80, "firstActivationWaitSeconds": 3600}})
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
        let body = ErrorBody::new(ErrorCode::NotFound, "There is nothing at /api/nope.");
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"code": "NOT_FOUND", "message": "There is nothing at /api/nope.", "violations": []})
        );
        let parsed: ErrorBody = serde_json::from_str(r#"{"code": "X", "message": "m"}"#).unwrap();
        assert!(parsed.violations.is_empty());
        assert_eq!(
            parsed.code,
            ErrorCode::Other,
            "a newer portal's code is still read"
        );
    }

    #[test]
    fn error_codes_are_written_as_their_names() {
        for code in [
            ErrorCode::NoFirstAnswer,
            ErrorCode::IdempotencyKeyReused,
            ErrorCode::Network,
        ] {
            assert_eq!(serde_json::to_value(code).unwrap(), json!(code.as_str()));
        }
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
