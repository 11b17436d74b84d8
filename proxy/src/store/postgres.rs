//! The history in PostgreSQL, shared by several replicas. An activation's keys are held with
//! transaction-scoped advisory locks (`pg_advisory_xact_lock`): the database releases them when
//! the holder commits, rolls back or loses its connection, so a replica killed while holding
//! them never blocks the others. Notifications are claimed with `FOR UPDATE SKIP LOCKED`.

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use shared::aep::adhoc::ActivationOrder;
use shared::portal::{
    ErrorBody, HistoryDay, HistoryPage, HistoryQuery, HistoryRecord, Outcome, PlanInfo, RunsSummary,
};
use shared::time::EpochMillis;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Postgres, QueryBuilder};
use tokio::sync::Semaphore;

use super::key_locks::KeyLocks;
use super::sql::{self, PAGE_DEFAULT, PAGE_MAX};
use super::{
    AttemptOutcome, FirstAnswer, HistoryStore, InFlight, KeyLock, KeyedRecord, Notification,
    StoreError,
};

/// Connections of one replica.
const CONNECTIONS: u32 = 16;
/// Activations of one replica holding advisory locks at once: each holds a connection for its
/// locks and uses another for its reads and writes, so at most half the pool is held.
const LOCK_HOLDERS: usize = CONNECTIONS as usize / 2;

#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// Keys held in this replica: its own activations that share a key wait here, holding no
    /// connection.
    keys: Arc<KeyLocks>,
    lock_holders: Arc<Semaphore>,
    /// This replica, as it signs the activations it sends.
    replica: String,
}

impl PostgresStore {
    pub async fn open(url: &str) -> Result<Self, sqlx::Error> {
        let pool = PgPoolOptions::new()
            .max_connections(CONNECTIONS)
            .connect(url)
            .await?;
        // Replicas starting together take turns: sqlx holds an advisory lock while it migrates.
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(Self {
            pool,
            keys: Arc::default(),
            lock_holders: Arc::new(Semaphore::new(LOCK_HOLDERS)),
            replica: uuid::Uuid::new_v4().to_string(),
        })
    }
}

/// A new, empty database on the server of `server_url` (whose user may create databases), for
/// tests and benchmarks that each want their own; its URL.
pub async fn fresh_database(server_url: &str) -> Result<String, sqlx::Error> {
    let mut url = reqwest::Url::parse(server_url)
        .map_err(|e| sqlx::Error::Configuration(e.to_string().into()))?;
    let name = format!("portal_{}", uuid::Uuid::new_v4().simple());
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(server_url)
        .await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&pool)
        .await?;
    pool.close().await;
    url.set_path(&name);
    Ok(url.to_string())
}

/// The advisory lock of a key: 64 bits of its SHA-256. Two keys sharing one only wait for each
/// other needlessly.
fn lock_id(key: &str) -> i64 {
    let digest = Sha256::digest(key.as_bytes());
    i64::from_be_bytes(digest[..8].try_into().expect("a SHA-256 has 8 bytes"))
}

impl PostgresStore {
    fn both(&self) -> sql::Both<'_, Postgres> {
        sql::Both {
            pool: &self.pool,
            replica: &self.replica,
        }
    }
}

#[async_trait]
impl HistoryStore for PostgresStore {
    async fn is_open(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    async fn lock(&self, keys: &[String]) -> Result<KeyLock, StoreError> {
        let held_here = self.keys.hold(keys).await;
        let holder = self
            .lock_holders
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let mut transaction = self.pool.begin().await?;
        // In one order everywhere: two replicas locking overlapping keys cannot deadlock.
        let mut ids: Vec<i64> = keys.iter().map(|key| lock_id(key)).collect();
        ids.sort_unstable();
        ids.dedup();
        for id in ids {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(id)
                .execute(&mut *transaction)
                .await?;
        }
        // Dropped in this order: the transaction ends (the locks with it), then the slot, then
        // this replica's keys.
        Ok(KeyLock::new((transaction, holder, held_here)))
    }

    async fn try_job(&self, job: &str) -> Result<Option<KeyLock>, StoreError> {
        let mut transaction = self.pool.begin().await?;
        let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
            .bind(lock_id(&format!("job {job}")))
            .fetch_one(&mut *transaction)
            .await?;
        // Held until the pass drops it, or until this replica's connection dies with it.
        Ok(taken.then(|| KeyLock::new(transaction)))
    }

    async fn heartbeat(&self, until: EpochMillis) -> Result<(), StoreError> {
        self.both().heartbeat(until).await
    }

    async fn orphaned_pending(
        &self,
        now: EpochMillis,
        sent_before: EpochMillis,
    ) -> Result<Vec<HistoryRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.* FROM activations a WHERE a.outcome = 'pending'
                AND (COALESCE((a.plan_info::jsonb ->> 'sentAt')::bigint, a.created_at) < $1
                     OR NOT EXISTS (SELECT 1 FROM replicas r WHERE r.id = a.sent_by AND r.alive_until >= $2))
             ORDER BY a.created_at",
        )
        .bind(sent_before.0)
        .bind(now.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(sql::record).collect()
    }

    async fn insert(
        &self,
        record: &HistoryRecord,
        idempotency_key: Option<&str>,
        request_hash: &str,
        first_answer: Option<&FirstAnswer>,
    ) -> Result<(), StoreError> {
        self.both()
            .insert(record, idempotency_key, request_hash, first_answer)
            .await
    }

    async fn conclude(
        &self,
        id: &str,
        expected: Outcome,
        outcome: Outcome,
        orders: &[ActivationOrder],
        error: Option<&ErrorBody>,
        at: EpochMillis,
    ) -> Result<bool, StoreError> {
        self.both()
            .conclude(id, expected, outcome, orders, error, at)
            .await
    }

    async fn record_answer(
        &self,
        id: &str,
        outcome: Outcome,
        orders: &[ActivationOrder],
        error: Option<&ErrorBody>,
        first_answer: Option<&FirstAnswer>,
        at: EpochMillis,
    ) -> Result<(), StoreError> {
        self.both()
            .record_answer(id, outcome, orders, error, first_answer, at)
            .await
    }

    async fn by_idempotency_key(&self, key: &str) -> Result<Option<KeyedRecord>, StoreError> {
        self.both().by_idempotency_key(key).await
    }

    async fn get(&self, id: &str) -> Result<Option<HistoryRecord>, StoreError> {
        self.both().get(id).await
    }

    async fn in_flight(&self, facts_read_from: EpochMillis) -> Result<Vec<InFlight>, StoreError> {
        self.both().in_flight(facts_read_from).await
    }

    async fn claimed_run_ids(&self, since: EpochMillis) -> Result<HashSet<String>, StoreError> {
        self.both().claimed_run_ids(since).await
    }

    async fn with_outcome(&self, outcome: Outcome) -> Result<Vec<HistoryRecord>, StoreError> {
        self.both().with_outcome(outcome).await
    }

    async fn record_runs(&self, id: &str, runs: RunsSummary) -> Result<(), StoreError> {
        self.both().record_runs(id, runs).await
    }

    async fn with_unfinished_runs(
        &self,
        since: EpochMillis,
    ) -> Result<Vec<HistoryRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM activations WHERE outcome = 'accepted'
                AND COALESCE((plan_info::jsonb ->> 'sentAt')::bigint, created_at) >= $1
                AND (runs_state IS NULL OR runs_state = 'running')
                AND plan_info::jsonb -> 'parts' IS NULL
             ORDER BY created_at DESC",
        )
        .bind(since.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(sql::record).collect()
    }

    async fn enqueue(
        &self,
        notifications: &[Notification],
        notified: Option<(&str, EpochMillis)>,
    ) -> Result<(), StoreError> {
        self.both().enqueue(notifications, notified).await
    }

    async fn not_notified(&self, since: EpochMillis) -> Result<Vec<HistoryRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM activations WHERE notified_at IS NULL
                AND COALESCE((plan_info::jsonb ->> 'sentAt')::bigint, updated_at, created_at) >= $1
                AND outcome IN ('accepted', 'rejected', 'failed', 'scheduled', 'awaiting_approval')
                ORDER BY created_at",
        )
        .bind(since.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(sql::record).collect()
    }

    async fn claim_due(
        &self,
        now: EpochMillis,
        lease_until: EpochMillis,
        limit: u32,
    ) -> Result<Vec<Notification>, StoreError> {
        // Rows another replica is claiming are skipped, not waited for, nor taken twice.
        let rows = sqlx::query(
            "WITH due AS (
                 SELECT delivery_id FROM notifications
                 WHERE delivered_at IS NULL AND gave_up_at IS NULL AND next_attempt_at <= $1
                 ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED)
             UPDATE notifications n SET next_attempt_at = $3 FROM due
             WHERE n.delivery_id = due.delivery_id RETURNING n.*",
        )
        .bind(now.0)
        .bind(i64::from(limit))
        .bind(lease_until.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(sql::notification).collect()
    }

    async fn record_attempt(
        &self,
        delivery_id: &str,
        outcome: AttemptOutcome,
    ) -> Result<(), StoreError> {
        self.both().record_attempt(delivery_id, outcome).await
    }

    async fn notifications_of(&self, record_id: &str) -> Result<Vec<Notification>, StoreError> {
        self.both().notifications_of(record_id).await
    }

    async fn transition(
        &self,
        id: &str,
        from: Outcome,
        to: Outcome,
        plan: &PlanInfo,
        at: EpochMillis,
    ) -> Result<bool, StoreError> {
        self.both().transition(id, from, to, plan, at).await
    }

    async fn queued_parts(&self) -> Result<Vec<HistoryRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM activations WHERE outcome = 'queued'
                AND plan_info::jsonb ->> 'partOf' IS NOT NULL
             ORDER BY plan_info::jsonb ->> 'partOf', (plan_info::jsonb ->> 'part')::bigint",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(sql::record).collect()
    }

    async fn queued_plans(&self) -> Result<Vec<HistoryRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM activations WHERE outcome = 'queued'
                AND jsonb_array_length(COALESCE(plan_info::jsonb -> 'parts', '[]'::jsonb)) > 0",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(sql::record).collect()
    }

    async fn parts_of(&self, plan_id: &str) -> Result<Vec<HistoryRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM activations WHERE plan_info::jsonb ->> 'partOf' = $1
             ORDER BY (plan_info::jsonb ->> 'part')::bigint",
        )
        .bind(plan_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(sql::record).collect()
    }

    async fn due_plans(&self, now: EpochMillis) -> Result<Vec<HistoryRecord>, StoreError> {
        self.both().due_plans(now).await
    }

    async fn daily(
        &self,
        filter: &HistoryQuery,
        offset_minutes: i32,
    ) -> Result<Vec<HistoryDay>, StoreError> {
        let mut query: QueryBuilder<Postgres> =
            QueryBuilder::new("SELECT to_char(to_timestamp((a.created_at + ");
        query.push_bind(i64::from(offset_minutes) * 60_000).push(
            ") / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day,
                 COUNT(*) FILTER (WHERE a.outcome = 'accepted') AS accepted,
                 COUNT(*) FILTER (WHERE a.outcome = 'rejected') AS rejected,
                 COUNT(*) FILTER (WHERE a.outcome NOT IN ('accepted', 'rejected')) AS other,
                 COALESCE(SUM((a.runs_summary::jsonb ->> 'records')::bigint), 0)::bigint AS records
                 FROM activations a WHERE 1 = 1",
        );
        sql::push_filters(&mut query, filter, "strpos");
        query.push(" GROUP BY day ORDER BY day");
        let rows = query.build().fetch_all(&self.pool).await?;
        rows.iter().map(sql::history_day).collect()
    }

    async fn list(&self, filter: &HistoryQuery) -> Result<HistoryPage, StoreError> {
        let limit = filter.limit.unwrap_or(PAGE_DEFAULT).clamp(1, PAGE_MAX);
        let mut query: QueryBuilder<Postgres> =
            QueryBuilder::new("SELECT * FROM activations a WHERE 1 = 1");
        sql::push_filters(&mut query, filter, "strpos");
        if let Some(cursor) = &filter.cursor {
            let (created_at, id) = sql::parse_cursor(cursor)?;
            query
                .push(" AND (a.created_at, a.id) < (")
                .push_bind(created_at)
                .push(", ")
                .push_bind(id)
                .push(")");
        }
        query
            .push(" ORDER BY a.created_at DESC, a.id DESC LIMIT ")
            .push_bind(i64::from(limit) + 1);
        let rows = query.build().fetch_all(&self.pool).await?;
        let items: Vec<HistoryRecord> = rows.iter().map(sql::record).collect::<Result<_, _>>()?;
        Ok(sql::page(items, limit))
    }
}
