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
use sqlx::{QueryBuilder, Row, Sqlite};

use super::key_locks::KeyLocks;
use super::sql::{self, PAGE_DEFAULT, PAGE_MAX, json};
use super::{
    AttemptOutcome, FirstAnswer, HistoryStore, InFlight, KeyLock, KeyedRecord, Notification,
    StoreError, outcome_text,
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
        sqlx::query(
            "INSERT INTO replicas (id, alive_until) VALUES (?, ?)
             ON CONFLICT (id) DO UPDATE SET alive_until = excluded.alive_until",
        )
        .bind(&self.replica)
        .bind(until.0)
        .execute(&self.pool)
        .await?;
        Ok(())
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
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO activations (id, created_at, updated_at, user_name, idempotency_key, request_hash, activation_info, outcome, orders, error, first_answer_status, first_answer_body, warnings, names, run_at, plan_info, sent_by)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&record.id)
        .bind(record.created_at.0)
        .bind(record.created_at.0)
        .bind(&record.user)
        .bind(idempotency_key)
        .bind(request_hash)
        .bind(json(&record.activation_info))
        .bind(outcome_text(record.outcome))
        .bind(json(&record.orders))
        .bind(record.error.as_ref().map(json))
        .bind(first_answer.map(|answer| answer.status))
        .bind(first_answer.map(|answer| answer.body.as_str()))
        .bind(json(&record.warnings))
        .bind(json(&record.names))
        .bind(record.plan.run_at.map(|at| at.0))
        .bind(json(&record.plan))
        .bind(&self.replica)
        .execute(&mut *tx)
        .await
        .map_err(super::insert_error)?;
        for (dataflow_id, segments) in &record.activation_info {
            for segment_id in segments {
                sqlx::query("INSERT OR IGNORE INTO activation_entries (activation_id, dataflow_id, segment_id, segment_name) VALUES (?, ?, ?, ?)")
                    .bind(&record.id)
                    .bind(dataflow_id)
                    .bind(segment_id)
                    .bind(record.names.segments.get(segment_id))
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
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
        let written = sqlx::query(
            "UPDATE activations SET outcome = ?, orders = ?, error = ?, updated_at = ?
             WHERE id = ? AND outcome = ?",
        )
        .bind(outcome_text(outcome))
        .bind(json(&orders))
        .bind(error.map(json))
        .bind(at.0)
        .bind(id)
        .bind(outcome_text(expected))
        .execute(&self.pool)
        .await?;
        Ok(written.rows_affected() == 1)
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
        sqlx::query(
            "UPDATE activations SET outcome = ?, orders = ?, error = ?, updated_at = ?,
                 first_answer_status = COALESCE(first_answer_status, ?),
                 first_answer_body = COALESCE(first_answer_body, ?)
             WHERE id = ?",
        )
        .bind(outcome_text(outcome))
        .bind(json(&orders))
        .bind(error.map(json))
        .bind(at.0)
        .bind(first_answer.map(|answer| answer.status))
        .bind(first_answer.map(|answer| answer.body.as_str()))
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn by_idempotency_key(&self, key: &str) -> Result<Option<KeyedRecord>, StoreError> {
        let row = sqlx::query("SELECT * FROM activations WHERE idempotency_key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        Ok(Some(KeyedRecord {
            record: sql::record(&row)?,
            request_hash: row.try_get("request_hash")?,
            first_answer: sql::first_answer(&row)?,
        }))
    }

    async fn get(&self, id: &str) -> Result<Option<HistoryRecord>, StoreError> {
        let row = sqlx::query("SELECT * FROM activations WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(sql::record).transpose()
    }

    async fn in_flight(&self, facts_read_from: EpochMillis) -> Result<Vec<InFlight>, StoreError> {
        let rows = sqlx::query(
            "SELECT e.activation_id, e.dataflow_id, e.segment_id FROM activation_entries e
             JOIN activations a ON a.id = e.activation_id
             WHERE a.outcome IN ('pending', 'unknown')
                OR (a.outcome = 'accepted' AND a.updated_at >= ?)",
        )
        .bind(facts_read_from.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(InFlight {
                    activation_id: row.try_get("activation_id")?,
                    dataflow_id: row.try_get("dataflow_id")?,
                    segment_id: row.try_get("segment_id")?,
                })
            })
            .collect()
    }

    async fn claimed_run_ids(&self, since: EpochMillis) -> Result<HashSet<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT orders FROM activations WHERE outcome = 'accepted' AND updated_at >= ?",
        )
        .bind(since.0)
        .fetch_all(&self.pool)
        .await?;
        let mut claimed = HashSet::new();
        for row in rows {
            claimed.extend(sql::run_ids(&row.try_get::<String, _>("orders")?)?);
        }
        Ok(claimed)
    }

    async fn with_outcome(&self, outcome: Outcome) -> Result<Vec<HistoryRecord>, StoreError> {
        let rows = sqlx::query("SELECT * FROM activations WHERE outcome = ? ORDER BY created_at")
            .bind(outcome_text(outcome))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(sql::record).collect()
    }

    async fn record_runs(&self, id: &str, runs: RunsSummary) -> Result<(), StoreError> {
        sqlx::query("UPDATE activations SET runs_summary = ?, runs_state = ? WHERE id = ?")
            .bind(json(&runs))
            .bind(runs.state().as_str())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
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
        let mut tx = self.pool.begin().await?;
        for n in notifications {
            sqlx::query(
                "INSERT OR IGNORE INTO notifications (delivery_id, dedupe_key, record_id, event, target, body, created_at, next_attempt_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&n.delivery_id)
            .bind(&n.dedupe_key)
            .bind(&n.record_id)
            .bind(&n.event)
            .bind(&n.target)
            .bind(&n.body)
            .bind(n.created_at.0)
            .bind(n.next_attempt_at.0)
            .execute(&mut *tx)
            .await?;
        }
        if let Some((record_id, at)) = notified {
            sqlx::query(
                "UPDATE activations SET notified_at = ? WHERE id = ? AND notified_at IS NULL",
            )
            .bind(at.0)
            .bind(record_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
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
        let query = match &outcome {
            AttemptOutcome::Delivered { at } => sqlx::query(
                "UPDATE notifications SET attempts = attempts + 1, delivered_at = ?, last_error = NULL WHERE delivery_id = ?",
            )
            .bind(at.0),
            AttemptOutcome::Retry { error, retry_at } => sqlx::query(
                "UPDATE notifications SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE delivery_id = ?",
            )
            .bind(error.clone())
            .bind(retry_at.0),
            AttemptOutcome::GaveUp { error, at } => sqlx::query(
                "UPDATE notifications SET attempts = attempts + 1, last_error = ?, gave_up_at = ? WHERE delivery_id = ?",
            )
            .bind(error.clone())
            .bind(at.0),
        };
        query.bind(delivery_id).execute(&self.pool).await?;
        Ok(())
    }

    async fn notifications_of(&self, record_id: &str) -> Result<Vec<Notification>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM notifications WHERE record_id = ? ORDER BY created_at, event, target",
        )
        .bind(record_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(sql::notification).collect()
    }

    async fn transition(
        &self,
        id: &str,
        from: Outcome,
        to: Outcome,
        plan: &PlanInfo,
        at: EpochMillis,
    ) -> Result<bool, StoreError> {
        let moved = sqlx::query(
            "UPDATE activations SET outcome = ?, plan_info = ?, run_at = ?, updated_at = ?, sent_by = ?
             WHERE id = ? AND outcome = ?",
        )
        .bind(outcome_text(to))
        .bind(json(plan))
        .bind(plan.run_at.map(|at| at.0))
        .bind(at.0)
        .bind(&self.replica)
        .bind(id)
        .bind(outcome_text(from))
        .execute(&self.pool)
        .await?;
        Ok(moved.rows_affected() == 1)
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
        let rows = sqlx::query(
            "SELECT * FROM activations WHERE outcome = 'scheduled' AND run_at <= ? ORDER BY run_at",
        )
        .bind(now.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(sql::record).collect()
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
