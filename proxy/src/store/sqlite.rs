//! The history in SQLite: WAL, `synchronous = FULL` so that an answered activation is on disk
//! before the answer leaves, migrations embedded in the binary.

use std::path::Path;
use std::str::FromStr;

use async_trait::async_trait;
use shared::aep::adhoc::ActivationOrder;
use shared::portal::{
    ErrorBody, HistoryDay, HistoryPage, HistoryQuery, HistoryRecord, Names, Outcome, PlanInfo,
    RequestedPlan, RunsSummary,
};
use shared::time::EpochMillis;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite};

use super::{
    AttemptOutcome, FirstAnswer, HistoryStore, InFlight, KeyedRecord, Notification, StoreError,
    outcome_text,
};

const PAGE_DEFAULT: u32 = 50;
const PAGE_MAX: u32 = 200;

#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
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
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self { pool })
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

    async fn insert(
        &self,
        record: &HistoryRecord,
        idempotency_key: Option<&str>,
        request_hash: &str,
        first_answer: Option<&FirstAnswer>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO activations (id, created_at, updated_at, user_name, idempotency_key, request_hash, activation_info, outcome, orders, error, first_answer_status, first_answer_body, warnings, names, run_at, plan_info)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        .execute(&mut *tx)
        .await?;
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
        let status: Option<u16> = row.try_get("first_answer_status")?;
        let body: Option<String> = row.try_get("first_answer_body")?;
        Ok(Some(KeyedRecord {
            record: record(&row)?,
            request_hash: row.try_get("request_hash")?,
            first_answer: status
                .zip(body)
                .map(|(status, body)| FirstAnswer { status, body }),
        }))
    }

    async fn get(&self, id: &str) -> Result<Option<HistoryRecord>, StoreError> {
        let row = sqlx::query("SELECT * FROM activations WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(record).transpose()
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

    async fn claimed_run_ids(
        &self,
        since: EpochMillis,
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT orders FROM activations WHERE outcome = 'accepted' AND updated_at >= ?",
        )
        .bind(since.0)
        .fetch_all(&self.pool)
        .await?;
        let mut claimed = std::collections::HashSet::new();
        for row in rows {
            let orders: Vec<ActivationOrder> =
                serde_json::from_str(&row.try_get::<String, _>("orders")?).map_err(|e| {
                    StoreError::Corrupt {
                        what: "orders",
                        why: e.to_string(),
                    }
                })?;
            claimed.extend(orders.iter().filter_map(|o| o.run_id().map(String::from)));
        }
        Ok(claimed)
    }

    async fn with_outcome(&self, outcome: Outcome) -> Result<Vec<HistoryRecord>, StoreError> {
        let rows = sqlx::query("SELECT * FROM activations WHERE outcome = ? ORDER BY created_at")
            .bind(outcome_text(outcome))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(record).collect()
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
        rows.iter().map(record).collect()
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
        rows.iter().map(record).collect()
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
        let claimed: Vec<Notification> = rows.iter().map(notification).collect::<Result<_, _>>()?;
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
        rows.iter().map(notification).collect()
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
            "UPDATE activations SET outcome = ?, plan_info = ?, run_at = ?, updated_at = ?
             WHERE id = ? AND outcome = ?",
        )
        .bind(outcome_text(to))
        .bind(json(plan))
        .bind(plan.run_at.map(|at| at.0))
        .bind(at.0)
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
        rows.iter().map(record).collect()
    }

    async fn queued_plans(&self) -> Result<Vec<HistoryRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM activations WHERE outcome = 'queued'
                AND json_array_length(plan_info, '$.parts') > 0",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(record).collect()
    }

    async fn parts_of(&self, plan_id: &str) -> Result<Vec<HistoryRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM activations WHERE json_extract(plan_info, '$.partOf') = ?
             ORDER BY json_extract(plan_info, '$.part')",
        )
        .bind(plan_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(record).collect()
    }

    async fn due_plans(&self, now: EpochMillis) -> Result<Vec<HistoryRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM activations WHERE outcome = 'scheduled' AND run_at <= ? ORDER BY run_at",
        )
        .bind(now.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(record).collect()
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
        push_filters(&mut query, filter);
        query.push(" GROUP BY day ORDER BY day");
        let rows = query.build().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                let count = |column: &str| -> Result<u32, StoreError> {
                    Ok(u32::try_from(row.try_get::<i64, _>(column)?).unwrap_or(u32::MAX))
                };
                Ok(HistoryDay {
                    day: row.try_get("day")?,
                    accepted: count("accepted")?,
                    rejected: count("rejected")?,
                    other: count("other")?,
                    records: u64::try_from(row.try_get::<i64, _>("records")?).unwrap_or(0),
                })
            })
            .collect()
    }

    async fn list(&self, filter: &HistoryQuery) -> Result<HistoryPage, StoreError> {
        let limit = filter.limit.unwrap_or(PAGE_DEFAULT).clamp(1, PAGE_MAX);
        let mut query: QueryBuilder<Sqlite> =
            QueryBuilder::new("SELECT * FROM activations a WHERE 1 = 1");
        push_filters(&mut query, filter);
        if let Some(cursor) = &filter.cursor {
            let (created_at, id) = parse_cursor(cursor)?;
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
        let mut items: Vec<HistoryRecord> = rows.iter().map(record).collect::<Result<_, _>>()?;
        let next_cursor = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items
                .last()
                .map(|last| format!("{}:{}", last.created_at.0, last.id))
        } else {
            None
        };
        Ok(HistoryPage { items, next_cursor })
    }
}

/// The history's filters as SQL conditions on `activations a`.
fn push_filters(query: &mut QueryBuilder<'_, Sqlite>, filter: &HistoryQuery) {
    if let Some(destination) = &filter.destination {
        query.push(" AND EXISTS (SELECT 1 FROM activation_entries e WHERE e.activation_id = a.id AND e.dataflow_id = ")
                .push_bind(destination.clone())
                .push(")");
    }
    if let Some(segment) = &filter.segment {
        query.push(" AND EXISTS (SELECT 1 FROM activation_entries e WHERE e.activation_id = a.id AND (e.segment_id = ")
                .push_bind(segment.clone())
                .push(" OR instr(lower(e.segment_name), lower(")
                .push_bind(segment.clone())
                .push(")) > 0))");
    }
    if let Some(runs) = filter.runs {
        query.push(" AND a.runs_state = ").push_bind(runs.as_str());
    }
    if let Some(user) = &filter.user {
        query.push(" AND a.user_name = ").push_bind(user.clone());
    }
    if let Some(outcome) = filter.outcome {
        query
            .push(" AND a.outcome = ")
            .push_bind(outcome_text(outcome));
    }
    if let Some(from) = filter.from {
        query.push(" AND a.created_at >= ").push_bind(from);
    }
    if let Some(to) = filter.to {
        query.push(" AND a.created_at < ").push_bind(to);
    }
}

fn parse_cursor(cursor: &str) -> Result<(i64, String), StoreError> {
    cursor
        .split_once(':')
        .and_then(|(at, id)| Some((at.parse().ok()?, id.to_owned())))
        .ok_or(StoreError::InvalidCursor)
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("history types serialise")
}

fn record(row: &SqliteRow) -> Result<HistoryRecord, StoreError> {
    let parse =
        |column: &str| -> Result<String, StoreError> { Ok(row.try_get::<String, _>(column)?) };
    let corrupt = |what: &'static str, e: serde_json::Error| StoreError::Corrupt {
        what,
        why: e.to_string(),
    };
    let outcome: Outcome = serde_json::from_value(serde_json::Value::String(parse("outcome")?))
        .map_err(|e| corrupt("outcome", e))?;
    let activation_info: RequestedPlan =
        serde_json::from_str(&parse("activation_info")?).map_err(|e| corrupt("plan", e))?;
    let orders: Vec<ActivationOrder> =
        serde_json::from_str(&parse("orders")?).map_err(|e| corrupt("orders", e))?;
    let error = row
        .try_get::<Option<String>, _>("error")?
        .map(|text| serde_json::from_str::<ErrorBody>(&text))
        .transpose()
        .map_err(|e| corrupt("error", e))?;
    let warnings: Vec<String> =
        serde_json::from_str(&parse("warnings")?).map_err(|e| corrupt("warnings", e))?;
    let names: Names = serde_json::from_str(&parse("names")?).map_err(|e| corrupt("names", e))?;
    let plan: PlanInfo =
        serde_json::from_str(&parse("plan_info")?).map_err(|e| corrupt("plan", e))?;
    let runs = row
        .try_get::<Option<String>, _>("runs_summary")?
        .map(|text| serde_json::from_str::<RunsSummary>(&text))
        .transpose()
        .map_err(|e| corrupt("runs", e))?;
    Ok(HistoryRecord {
        id: parse("id")?,
        created_at: EpochMillis(row.try_get("created_at")?),
        user: parse("user_name")?,
        activation_info,
        outcome,
        orders,
        error,
        warnings,
        names,
        runs,
        plan,
    })
}

fn notification(row: &SqliteRow) -> Result<Notification, StoreError> {
    let at = |column: &str| -> Result<Option<EpochMillis>, StoreError> {
        Ok(row.try_get::<Option<i64>, _>(column)?.map(EpochMillis))
    };
    Ok(Notification {
        delivery_id: row.try_get("delivery_id")?,
        dedupe_key: row.try_get("dedupe_key")?,
        record_id: row.try_get("record_id")?,
        event: row.try_get("event")?,
        target: row.try_get("target")?,
        body: row.try_get("body")?,
        created_at: EpochMillis(row.try_get("created_at")?),
        attempts: row
            .try_get::<i64, _>("attempts")?
            .try_into()
            .unwrap_or(u32::MAX),
        next_attempt_at: EpochMillis(row.try_get("next_attempt_at")?),
        delivered_at: at("delivered_at")?,
        gave_up_at: at("gave_up_at")?,
        last_error: row.try_get("last_error")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, segment: &str) -> HistoryRecord {
        HistoryRecord {
            id: id.into(),
            created_at: EpochMillis(1_000),
            user: "marketer".into(),
            activation_info: [("flow".to_owned(), vec![segment.to_owned()])].into(),
            outcome: Outcome::Pending,
            orders: Vec::new(),
            error: None,
            warnings: Vec::new(),
            names: Names::default(),
            runs: None,
            plan: PlanInfo::default(),
        }
    }

    async fn in_flight_segments(store: &SqliteStore, facts_read_from: i64) -> Vec<String> {
        let mut segments: Vec<String> = store
            .in_flight(EpochMillis(facts_read_from))
            .await
            .unwrap()
            .into_iter()
            .map(|entry| entry.segment_id)
            .collect();
        segments.sort();
        segments
    }

    #[tokio::test]
    async fn an_activation_accepted_while_the_facts_were_read_counts_as_in_flight() {
        let folder = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&folder.path().join("history.sqlite"))
            .await
            .unwrap();
        for (id, segment, hash) in [
            ("early", "a", "h1"),
            ("late", "b", "h2"),
            ("sending", "c", "h3"),
        ] {
            store
                .insert(&record(id, segment), None, hash, None)
                .await
                .unwrap();
        }
        let accepted = |id: &'static str, at: i64| {
            let store = &store;
            async move {
                store
                    .record_answer(id, Outcome::Accepted, &[], None, None, EpochMillis(at))
                    .await
                    .unwrap();
            }
        };
        accepted("early", 2_000).await;
        accepted("late", 5_000).await;
        // Facts read from 4,000 show the early run but may miss the late one.
        assert_eq!(in_flight_segments(&store, 4_000).await, ["b", "c"]);
        assert_eq!(in_flight_segments(&store, 1_500).await, ["a", "b", "c"]);
        assert_eq!(in_flight_segments(&store, 6_000).await, ["c"]);
    }

    #[tokio::test]
    async fn who_asked_for_what_can_be_neither_changed_nor_deleted() {
        use std::os::unix::fs::PermissionsExt;
        let folder = tempfile::tempdir().unwrap();
        let file = folder.path().join("history.sqlite");
        let store = SqliteStore::open(&file).await.unwrap();
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
        store
            .insert(&record("audited", "a"), None, "hash", None)
            .await
            .unwrap();
        for tampering in [
            "UPDATE activations SET user_name = 'someone-else' WHERE id = 'audited'",
            "UPDATE activations SET activation_info = '{}' WHERE id = 'audited'",
            "UPDATE activation_entries SET segment_id = 'b'",
            "DELETE FROM activation_entries",
            "DELETE FROM activations",
        ] {
            let refused = sqlx::query(tampering).execute(&store.pool).await;
            assert!(refused.is_err(), "{tampering}");
        }
        store
            .record_answer(
                "audited",
                Outcome::Accepted,
                &[],
                None,
                None,
                EpochMillis(2_000),
            )
            .await
            .expect("the outcome is still recorded");
        let kept = store.get("audited").await.unwrap().unwrap();
        assert_eq!(kept.user, "marketer");
        assert_eq!(kept.outcome, Outcome::Accepted);
    }

    #[tokio::test]
    async fn the_first_answer_is_kept_whatever_is_learnt_later() {
        let folder = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&folder.path().join("history.sqlite"))
            .await
            .unwrap();
        store
            .insert(&record("timed-out", "a"), Some("key"), "hash", None)
            .await
            .unwrap();
        let told = FirstAnswer {
            status: 504,
            body: r#"{"code":"OUTCOME_UNKNOWN"}"#.into(),
        };
        store
            .record_answer(
                "timed-out",
                Outcome::Unknown,
                &[],
                None,
                Some(&told),
                EpochMillis(2_000),
            )
            .await
            .unwrap();
        // The reconciler finds the run later: the record changes, the first answer does not.
        store
            .record_answer(
                "timed-out",
                Outcome::Accepted,
                &[],
                None,
                None,
                EpochMillis(3_000),
            )
            .await
            .unwrap();
        let keyed = store.by_idempotency_key("key").await.unwrap().unwrap();
        assert_eq!(keyed.record.outcome, Outcome::Accepted);
        assert_eq!(keyed.first_answer, Some(told));
        assert_eq!(keyed.request_hash, "hash");
    }
}
