//! The audit history behind one trait, so that the activation path, the reconciler and the HTTP
//! edge do not know which database keeps it. SQLite (`sqlite.rs`) is the embedded default.

mod sqlite;

use std::collections::HashSet;

use async_trait::async_trait;
use shared::aep::adhoc::ActivationOrder;
use shared::portal::{ErrorBody, HistoryPage, HistoryQuery, HistoryRecord, Outcome, RunsSummary};
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

    /// Newest first, filtered (a segment by id, or by a part of its recorded name), by keyset
    /// pages (`cursor` = `<created_at>:<id>` of the last item).
    async fn list(&self, filter: &HistoryQuery) -> Result<HistoryPage, StoreError>;
}

/// How an outcome is written in the database.
pub fn outcome_text(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pending => "pending",
        Outcome::Accepted => "accepted",
        Outcome::Rejected => "rejected",
        Outcome::Failed => "failed",
        Outcome::Unknown => "unknown",
    }
}
