//! The audit history behind one trait, so that the activation path, the reconciler and the HTTP
//! edge do not know which database keeps it. SQLite (`sqlite.rs`) is the embedded default for one
//! process; PostgreSQL (`postgres.rs`) is shared by several replicas, and what must happen once
//! (a segment sent, a background pass) is decided in it, not in any replica's memory.

mod key_locks;
pub mod postgres;
mod sql;
mod sqlite;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use shared::aep::adhoc::ActivationOrder;
use shared::portal::{
    ErrorBody, HistoryDay, HistoryPage, HistoryQuery, HistoryRecord, Outcome, PlanInfo, RunsSummary,
};
use shared::time::EpochMillis;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// Where the history is kept, from `--database-url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

impl Database {
    /// `sqlite://PATH`, `postgres://…` or `postgresql://…`.
    pub fn parse(url: &str) -> Result<Self, String> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err("a sqlite:// URL needs a file path: sqlite:///var/lib/adhoc-portal/portal.sqlite".into());
            }
            Ok(Self::Sqlite(path.into()))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(url.to_owned()))
        } else {
            Err("the database URL must start with sqlite:// or postgres:// (postgres://USER:PASSWORD@HOST:PORT/DATABASE)".into())
        }
    }

    /// Says where without the password.
    pub fn describe(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("SQLite {}", path.display()),
            Self::Postgres(url) => match reqwest::Url::parse(url) {
                Ok(url) => format!(
                    "PostgreSQL {}:{}{}",
                    url.host_str().unwrap_or("localhost"),
                    url.port().unwrap_or(5432),
                    url.path()
                ),
                Err(_) => "PostgreSQL".into(),
            },
        }
    }

    /// Opens it and brings its schema up to date.
    pub async fn open(&self) -> Result<Arc<dyn HistoryStore>, sqlx::Error> {
        Ok(match self {
            Self::Sqlite(path) => Arc::new(SqliteStore::open(path).await?),
            Self::Postgres(url) => Arc::new(PostgresStore::open(url).await?),
        })
    }
}

/// Keys or a job held against every other process sharing the database, until dropped.
pub struct KeyLock {
    _held: Box<dyn Send>,
}

impl KeyLock {
    fn new(held: impl Send + 'static) -> Self {
        Self {
            _held: Box::new(held),
        }
    }
}

/// What an activation holds while it reads what is in flight and writes its own record: its
/// segments, so that no other activation sends one of them meanwhile, and its idempotency key.
pub fn activation_keys<'a>(
    segments: impl Iterator<Item = &'a str>,
    idempotency_key: Option<&str>,
) -> Vec<String> {
    let mut keys: Vec<String> = segments
        .map(|segment| format!("segment {segment}"))
        .collect();
    keys.extend(idempotency_key.map(|key| format!("idempotency-key {key}")));
    keys.sort();
    keys.dedup();
    keys
}

/// A consistent copy of a SQLite history in the new file `to`, also while a portal serves it;
/// PostgreSQL has `pg_dump`.
pub async fn backup(database: &Database, to: &Path) -> Result<(), String> {
    match database {
        Database::Sqlite(path) => {
            if to.exists() {
                return Err(format!("{} exists already: name a new file", to.display()));
            }
            let store = SqliteStore::open(path)
                .await
                .map_err(|e| format!("{}: {e}", path.display()))?;
            store.backup(to).await.map_err(|e| e.to_string())
        }
        Database::Postgres(_) => Err(
            "backup copies a SQLite history; for PostgreSQL use pg_dump (see the README's Operate section)".into(),
        ),
    }
}

/// What can go wrong in the history store; turned into an HTTP answer only at the edge.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database failed: {0}")]
    Database(#[from] sqlx::Error),
    #[error("unreadable {what} in the history: {why}")]
    Corrupt { what: &'static str, why: String },
    #[error("cursor must be the nextCursor of a previous page")]
    InvalidCursor,
    /// Another request with the same idempotency key wrote its record first (on this replica
    /// or another).
    #[error("the idempotency key is already taken")]
    KeyTaken,
}

/// A failed insert: the unique idempotency key taken by a concurrent request, or another error.
fn insert_error(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(database) if database.is_unique_violation() => StoreError::KeyTaken,
        _ => StoreError::Database(error),
    }
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

    /// Holds `keys` (see [`activation_keys`]) against every other holder on this database,
    /// in this process or another, until the lock is dropped; holders of disjoint keys do not
    /// wait for each other.
    async fn lock(&self, keys: &[String]) -> Result<KeyLock, StoreError>;

    /// The background `job` for this process alone while the guard lives, or `None` when
    /// another process sharing the database is doing it.
    async fn try_job(&self, job: &str) -> Result<Option<KeyLock>, StoreError>;

    /// Says this process is alive until `until`: its pending activations are its own to answer
    /// until then.
    async fn heartbeat(&self, until: EpochMillis) -> Result<(), StoreError>;

    /// Pending activations cut off before their answer was recorded: their sender has not
    /// beaten since `now`, or they were sent before `sent_before`.
    async fn orphaned_pending(
        &self,
        now: EpochMillis,
        sent_before: EpochMillis,
    ) -> Result<Vec<HistoryRecord>, StoreError>;

    /// Writes the record and its entries in one transaction, durably.
    async fn insert(
        &self,
        record: &HistoryRecord,
        idempotency_key: Option<&str>,
        request_hash: &str,
        first_answer: Option<&FirstAnswer>,
    ) -> Result<(), StoreError>;

    /// What the reconciler concluded, written only if the record is still `expected`: its
    /// sender (alive after all) may have recorded the Platform's answer meanwhile. Whether it was
    /// written.
    async fn conclude(
        &self,
        id: &str,
        expected: Outcome,
        outcome: Outcome,
        orders: &[ActivationOrder],
        error: Option<&ErrorBody>,
        at: EpochMillis,
    ) -> Result<bool, StoreError>;

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
