//! The audit history behind one trait, so that the activation path, the reconciler and the HTTP
//! edge do not know which database keeps it. SQLite (`sqlite.rs`) is the embedded default.

mod sqlite;

use std::collections::HashSet;

use async_trait::async_trait;
use shared::aep::adhoc::ActivationOrder;
use shared::portal::{
    ErrorBody, HistoryDay, HistoryPage, HistoryQuery, HistoryRecord, Outcome, PlanInfo, RunsSummary,
};
use shared::time::EpochMillis;

pub use sqlite::SqliteStore;

/// What can go wrong in the history store; turned into an HTTP answer only at the edge.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database failed: {0}")]
    Database(#[from] sqlx::Error),
    #[error("unreadable {what} in the history: {why}")]
    Corrupt { what: &'static str, why: String },
    #[error("cursor must be the nextCursor of a previous page")]
    InvalidCursor,
}

/// The answer an activation request got the first time, kept to replay it for its
/// `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstAnswer {
    pub status: u16,
    /// The JSON body exactly as it was sent.
    pub body: String,
}

/// The record an `Idempotency-Key` was first used for.
#[derive(Debug)]
pub struct KeyedRecord {
    pub record: HistoryRecord,
    pub request_hash: String,
    /// `None` while the first request is being sent, or when the portal stopped before it
    /// answered.
    pub first_answer: Option<FirstAnswer>,
}

/// A (dataflow, segment) the portal has sent, or is sending, without a known outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InFlight {
    pub activation_id: String,
    pub dataflow_id: String,
    pub segment_id: String,
}

#[async_trait]
pub trait HistoryStore: Send + Sync {
    /// Whether the database answers (for `/readyz`).
    async fn is_open(&self) -> bool;

    /// Writes the record and its entries in one transaction, durably.
    async fn insert(
        &self,
        record: &HistoryRecord,
        idempotency_key: Option<&str>,
        request_hash: &str,
        first_answer: Option<&FirstAnswer>,
    ) -> Result<(), StoreError>;

    /// What became of an activation; `first_answer` is what its caller was told, kept only the
    /// first time (the reconciler learns outcomes later but told nobody).
    async fn record_answer(
        &self,
        id: &str,
        outcome: Outcome,
        orders: &[ActivationOrder],
        error: Option<&ErrorBody>,
        first_answer: Option<&FirstAnswer>,
        at: EpochMillis,
    ) -> Result<(), StoreError>;

    async fn by_idempotency_key(&self, key: &str) -> Result<Option<KeyedRecord>, StoreError>;

    async fn get(&self, id: &str) -> Result<Option<HistoryRecord>, StoreError>;

    /// Entries whose runs the Platform's answers read since `facts_read_from` may not show:
    /// pending (being sent), unknown (no answer), or accepted since then.
    async fn in_flight(&self, facts_read_from: EpochMillis) -> Result<Vec<InFlight>, StoreError>;

    /// The runs that activations accepted (or reconciled) since `since` answered for.
    async fn claimed_run_ids(&self, since: EpochMillis) -> Result<HashSet<String>, StoreError>;

    async fn with_outcome(&self, outcome: Outcome) -> Result<Vec<HistoryRecord>, StoreError>;

    /// How an activation's runs went, as last seen.
    async fn record_runs(&self, id: &str, runs: RunsSummary) -> Result<(), StoreError>;

    /// Accepted activations made since `since` whose runs are not known to have finished.
    async fn with_unfinished_runs(
        &self,
        since: EpochMillis,
    ) -> Result<Vec<HistoryRecord>, StoreError>;

    /// Adds to the outbox what is not there yet; with `notified`, also marks that record's own
    /// event as enqueued, in the same transaction.
    async fn enqueue(
        &self,
        notifications: &[Notification],
        notified: Option<(&str, EpochMillis)>,
    ) -> Result<(), StoreError>;

    /// Activations since `since` whose final event (accepted, rejected, failed) is not in the
    /// outbox yet, and waiting plans (scheduled, awaiting approval), whose events say so.
    async fn not_notified(&self, since: EpochMillis) -> Result<Vec<HistoryRecord>, StoreError>;

    /// Claims up to `limit` notifications due at `now` until `lease_until`: another worker
    /// (or replica) does not take them meanwhile.
    async fn claim_due(
        &self,
        now: EpochMillis,
        lease_until: EpochMillis,
        limit: u32,
    ) -> Result<Vec<Notification>, StoreError>;

    /// What became of one attempt: delivered, to be retried at `retry_at`, or given up.
    async fn record_attempt(
        &self,
        delivery_id: &str,
        outcome: AttemptOutcome,
    ) -> Result<(), StoreError>;

    async fn notifications_of(&self, record_id: &str) -> Result<Vec<Notification>, StoreError>;

    /// Moves a record from `from` to `to` (with its plan info) if it is still in `from`:
    /// whoever moves it first wins, on one replica or several.
    async fn transition(
        &self,
        id: &str,
        from: Outcome,
        to: Outcome,
        plan: &PlanInfo,
        at: EpochMillis,
    ) -> Result<bool, StoreError>;

    /// Parts of split plans waiting to be sent, each plan's in the order of its parts.
    async fn queued_parts(&self) -> Result<Vec<HistoryRecord>, StoreError>;

    /// Split plans still waiting for parts.
    async fn queued_plans(&self) -> Result<Vec<HistoryRecord>, StoreError>;

    /// A split plan's parts, in order.
    async fn parts_of(&self, plan_id: &str) -> Result<Vec<HistoryRecord>, StoreError>;

    /// Scheduled plans whose time has come.
    async fn due_plans(&self, now: EpochMillis) -> Result<Vec<HistoryRecord>, StoreError>;

    /// Activations per day by outcome and profiles exported per day, with the list's filters
    /// (its cursor and limit aside); days start at midnight `offset_minutes` ahead of UTC.
    async fn daily(
        &self,
        filter: &HistoryQuery,
        offset_minutes: i32,
    ) -> Result<Vec<HistoryDay>, StoreError>;

    /// Newest first, filtered (a segment by id, or by a part of its recorded name), by keyset
    /// pages (`cursor` = `<created_at>:<id>` of the last item).
    async fn list(&self, filter: &HistoryQuery) -> Result<HistoryPage, StoreError>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    Delivered {
        at: EpochMillis,
    },
    Retry {
        error: String,
        retry_at: EpochMillis,
    },
    GaveUp {
        error: String,
        at: EpochMillis,
    },
}

/// One event for one receiver, waiting in the outbox or sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The same on every retry: receivers drop repeats by it.
    pub delivery_id: String,
    /// Event, record, run and receiver: enqueuing the same event twice adds nothing.
    pub dedupe_key: String,
    pub record_id: String,
    pub event: String,
    /// `webhook <url>` or `slack <url>`.
    pub target: String,
    pub body: String,
    pub created_at: EpochMillis,
    pub attempts: u32,
    pub next_attempt_at: EpochMillis,
    pub delivered_at: Option<EpochMillis>,
    pub gave_up_at: Option<EpochMillis>,
    pub last_error: Option<String>,
}

/// How an outcome is written in the database.
pub fn outcome_text(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pending => "pending",
        Outcome::Accepted => "accepted",
        Outcome::Rejected => "rejected",
        Outcome::Failed => "failed",
        Outcome::Unknown => "unknown",
        Outcome::Scheduled => "scheduled",
        Outcome::AwaitingApproval => "awaiting_approval",
        Outcome::Queued => "queued",
        Outcome::Cancelled => "cancelled",
    }
}
