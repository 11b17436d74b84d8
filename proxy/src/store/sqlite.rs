//! The history in SQLite: WAL, `synchronous = FULL` so that an answered activation is on disk
//! before the answer leaves, migrations embedded in the binary. One process per file: the keys
//! an activation holds are held in that process's memory.

use std::collections::HashSet;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use async_trait::async_trait;
use shared::aep::adhoc::ActivationOrder;
use shared::portal::{
    ErrorBody, HistoryDay, HistoryPage, HistoryQuery, HistoryRecord, Outcome, PlanInfo, RunsSummary,
};
use shared::time::EpochMillis;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Sqlite};

use super::key_locks::KeyLocks;
use super::sql::{self, PAGE_DEFAULT, PAGE_MAX};
use super::{
    AttemptOutcome, FirstAnswer, HistoryStore, InFlight, KeyLock, KeyedRecord, Notification,
    StoreError,
};

#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    keys: Arc<KeyLocks>,
    /// This process, as it signs the activations it sends.
    replica: String,
}

impl SqliteStore {
    pub async fn open(file: &Path) -> Result<Self, sqlx::Error> {
        create_private(file)?;
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", file.display()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Self {
            pool,
            keys: Arc::default(),
            replica: uuid::Uuid::new_v4().to_string(),
        })
    }

    /// A consistent copy of the whole history while the portal serves: `VACUUM INTO` reads one
    /// snapshot, the WAL's committed writes included. `to` must not exist yet.
    pub async fn backup(&self, to: &Path) -> Result<(), StoreError> {
        let to = to.to_str().ok_or(StoreError::Corrupt {
            what: "backup path",
            why: "it is not UTF-8".into(),
        })?;
        sqlx::query("VACUUM INTO ?")
            .bind(to)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// The history names users and what they exported: only the portal's own user reads the file.
/// SQLite gives its `-wal` and `-shm` files the same mode.
fn create_private(file: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(file)?;
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

impl SqliteStore {
    fn both(&self) -> sql::Both<'_, Sqlite> {
        sql::Both {
            pool: &self.pool,
            replica: &self.replica,
        }
    }
}

#[async_trait]
impl HistoryStore for SqliteStore {
    async fn is_open(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    async fn lock(&self, keys: &[String]) -> Result<KeyLock, StoreError> {
        Ok(KeyLock::new(self.keys.hold(keys).await))
    }

    async fn try_job(&self, job: &str) -> Result<Option<KeyLock>, StoreError> {
        Ok(self
            .keys
            .try_hold(&[format!("job {job}")])
            .map(KeyLock::new))
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
                AND (COALESCE(json_extract(a.plan_info, '$.sentAt'), a.created_at) < ?
                     OR NOT EXISTS (SELECT 1 FROM replicas r WHERE r.id = a.sent_by AND r.alive_until >= ?))
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
                AND COALESCE(json_extract(plan_info, '$.sentAt'), created_at) >= ?
                AND (runs_state IS NULL OR runs_state = 'running')
                AND COALESCE(json_array_length(plan_info, '$.parts'), 0) = 0
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
                AND COALESCE(json_extract(plan_info, '$.sentAt'), updated_at, created_at) >= ?
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
        let mut tx = self.pool.begin().await?;
        let rows = sqlx::query(
            "SELECT * FROM notifications WHERE delivered_at IS NULL AND gave_up_at IS NULL
                AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?",
        )
        .bind(now.0)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        let claimed: Vec<Notification> = rows
            .iter()
            .map(sql::notification)
            .collect::<Result<_, _>>()?;
        for n in &claimed {
            sqlx::query("UPDATE notifications SET next_attempt_at = ? WHERE delivery_id = ?")
                .bind(lease_until.0)
                .bind(&n.delivery_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(claimed)
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
                AND json_extract(plan_info, '$.partOf') IS NOT NULL
             ORDER BY json_extract(plan_info, '$.partOf'), json_extract(plan_info, '$.part')",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(sql::record).collect()
    }

    async fn queued_plans(&self) -> Result<Vec<HistoryRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM activations WHERE outcome = 'queued'
                AND json_array_length(plan_info, '$.parts') > 0",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(sql::record).collect()
    }

    async fn parts_of(&self, plan_id: &str) -> Result<Vec<HistoryRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM activations WHERE json_extract(plan_info, '$.partOf') = ?
             ORDER BY json_extract(plan_info, '$.part')",
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
        let mut query: QueryBuilder<Sqlite> =
            QueryBuilder::new("SELECT strftime('%Y-%m-%d', (a.created_at + ");
        query.push_bind(i64::from(offset_minutes) * 60_000).push(
            ") / 1000, 'unixepoch') AS day,
                 SUM(a.outcome = 'accepted') AS accepted, SUM(a.outcome = 'rejected') AS rejected,
                 SUM(a.outcome NOT IN ('accepted', 'rejected')) AS other,
                 SUM(COALESCE(json_extract(a.runs_summary, '$.records'), 0)) AS records
                 FROM activations a WHERE 1 = 1",
        );
        sql::push_filters(&mut query, filter, "instr");
        query.push(" GROUP BY day ORDER BY day");
        let rows = query.build().fetch_all(&self.pool).await?;
        rows.iter().map(sql::history_day).collect()
    }

    async fn list(&self, filter: &HistoryQuery) -> Result<HistoryPage, StoreError> {
        let limit = filter.limit.unwrap_or(PAGE_DEFAULT).clamp(1, PAGE_MAX);
        let mut query: QueryBuilder<Sqlite> =
            QueryBuilder::new("SELECT * FROM activations a WHERE 1 = 1");
        sql::push_filters(&mut query, filter, "instr");
        if let Some(cursor) = &filter.cursor {
            let (created_at, id) = sql::parse_cursor(cursor)?;
            query
                .push(" AND (a.created_at < ")
                .push_bind(created_at)
                .push(" OR (a.created_at = ")
                .push_bind(created_at)
                .push(" AND a.id < ")
                .push_bind(id)
                .push("))");
        }
        query
            .push(" ORDER BY a.created_at DESC, a.id DESC LIMIT ")
            .push_bind(i64::from(limit) + 1);
        let rows = query.build().fetch_all(&self.pool).await?;
        let items: Vec<HistoryRecord> = rows.iter().map(sql::record).collect::<Result<_, _>>()?;
        Ok(sql::page(items, limit))
    }
}
