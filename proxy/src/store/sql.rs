//! What the two databases share: rows read back into the history's types (the columns have
//! the same names and kinds, text holding JSON and 64-bit integers, in both), the history's
//! filters, and its pages.

use shared::aep::adhoc::ActivationOrder;
use shared::portal::{
    ErrorBody, HistoryDay, HistoryPage, HistoryQuery, HistoryRecord, Names, Outcome, PlanInfo,
    RequestedPlan,
};
use shared::time::EpochMillis;
use std::collections::HashSet;

use shared::portal::RunsSummary;
use sqlx::{
    ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Pool, QueryBuilder, Row, Type,
};

use super::{
    AttemptOutcome, FirstAnswer, InFlight, KeyedRecord, Notification, StoreError, outcome_text,
};

/// A row of either database whose text and 64-bit integer columns can be read.
pub trait HistoryRow {
    fn text(&self, column: &str) -> Result<String, StoreError>;
    fn optional_text(&self, column: &str) -> Result<Option<String>, StoreError>;
    fn integer(&self, column: &str) -> Result<i64, StoreError>;
    fn optional_integer(&self, column: &str) -> Result<Option<i64>, StoreError>;
}

impl<R> HistoryRow for R
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
{
    fn text(&self, column: &str) -> Result<String, StoreError> {
        Ok(self.try_get::<String, _>(column)?)
    }
    fn optional_text(&self, column: &str) -> Result<Option<String>, StoreError> {
        Ok(self.try_get::<Option<String>, _>(column)?)
    }
    fn integer(&self, column: &str) -> Result<i64, StoreError> {
        Ok(self.try_get::<i64, _>(column)?)
    }
    fn optional_integer(&self, column: &str) -> Result<Option<i64>, StoreError> {
        Ok(self.try_get::<Option<i64>, _>(column)?)
    }
}

pub fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("history types serialise")
}

fn parse_json<T: serde::de::DeserializeOwned>(
    what: &'static str,
    text: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        what,
        why: e.to_string(),
    })
}

/// The runs an `orders` column answered for.
pub fn run_ids(orders: &str) -> Result<Vec<String>, StoreError> {
    let orders: Vec<ActivationOrder> = parse_json("orders", orders)?;
    Ok(orders
        .iter()
        .filter_map(|o| o.run_id().map(String::from))
        .collect())
}

pub fn record<R: HistoryRow>(row: &R) -> Result<HistoryRecord, StoreError> {
    let outcome: Outcome = serde_json::from_value(serde_json::Value::String(row.text("outcome")?))
        .map_err(|e| StoreError::Corrupt {
            what: "outcome",
            why: e.to_string(),
        })?;
    let activation_info: RequestedPlan = parse_json("plan", &row.text("activation_info")?)?;
    let error = row
        .optional_text("error")?
        .map(|text| parse_json::<ErrorBody>("error", &text))
        .transpose()?;
    let runs = row
        .optional_text("runs_summary")?
        .map(|text| parse_json::<RunsSummary>("runs", &text))
        .transpose()?;
    Ok(HistoryRecord {
        id: row.text("id")?,
        created_at: EpochMillis(row.integer("created_at")?),
        user: row.text("user_name")?,
        activation_info,
        outcome,
        orders: parse_json("orders", &row.text("orders")?)?,
        error,
        warnings: parse_json("warnings", &row.text("warnings")?)?,
        names: parse_json::<Names>("names", &row.text("names")?)?,
        runs,
        plan: parse_json::<PlanInfo>("plan", &row.text("plan_info")?)?,
    })
}

/// What the caller was told the first time, if it was.
pub fn first_answer<R: HistoryRow>(row: &R) -> Result<Option<FirstAnswer>, StoreError> {
    let status = row.optional_integer("first_answer_status")?;
    let body = row.optional_text("first_answer_body")?;
    Ok(status.zip(body).map(|(status, body)| FirstAnswer {
        status: u16::try_from(status).unwrap_or(500),
        body,
    }))
}

pub fn notification<R: HistoryRow>(row: &R) -> Result<Notification, StoreError> {
    let at = |column: &str| -> Result<Option<EpochMillis>, StoreError> {
        Ok(row.optional_integer(column)?.map(EpochMillis))
    };
    Ok(Notification {
        delivery_id: row.text("delivery_id")?,
        dedupe_key: row.text("dedupe_key")?,
        record_id: row.text("record_id")?,
        event: row.text("event")?,
        target: row.text("target")?,
        body: row.text("body")?,
        created_at: EpochMillis(row.integer("created_at")?),
        attempts: u32::try_from(row.integer("attempts")?).unwrap_or(u32::MAX),
        next_attempt_at: EpochMillis(row.integer("next_attempt_at")?),
        delivered_at: at("delivered_at")?,
        gave_up_at: at("gave_up_at")?,
        last_error: row.optional_text("last_error")?,
    })
}

/// `<created_at>:<id>` of the last item of a page.
pub fn parse_cursor(cursor: &str) -> Result<(i64, String), StoreError> {
    cursor
        .split_once(':')
        .and_then(|(at, id)| Some((at.parse().ok()?, id.to_owned())))
        .ok_or(StoreError::InvalidCursor)
}

/// A page of `limit` from rows read with one more: the extra row says there is a next page.
pub fn page(mut items: Vec<HistoryRecord>, limit: u32) -> HistoryPage {
    let next_cursor = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items
            .last()
            .map(|last| format!("{}:{}", last.created_at.0, last.id))
    } else {
        None
    };
    HistoryPage { items, next_cursor }
}

pub const PAGE_DEFAULT: u32 = 50;
pub const PAGE_MAX: u32 = 200;

pub fn history_day<R: HistoryRow>(row: &R) -> Result<HistoryDay, StoreError> {
    let count = |column: &str| -> Result<u32, StoreError> {
        Ok(u32::try_from(row.integer(column)?).unwrap_or(u32::MAX))
    };
    Ok(HistoryDay {
        day: row.text("day")?,
        accepted: count("accepted")?,
        rejected: count("rejected")?,
        other: count("other")?,
        records: u64::try_from(row.integer("records")?).unwrap_or(0),
    })
}

/// The history's filters as SQL conditions on `activations a`. `position` is the database's
/// function for where a text occurs in another (`instr`, `strpos`), 0 when it does not.
pub fn push_filters<'a, DB>(query: &mut QueryBuilder<'a, DB>, filter: &HistoryQuery, position: &str)
where
    DB: Database,
    String: Encode<'a, DB> + Type<DB>,
    i64: Encode<'a, DB> + Type<DB>,
    &'static str: Encode<'a, DB> + Type<DB>,
{
    if let Some(destination) = &filter.destination {
        query
            .push(" AND EXISTS (SELECT 1 FROM activation_entries e WHERE e.activation_id = a.id AND e.dataflow_id = ")
            .push_bind(destination.clone())
            .push(")");
    }
    if let Some(segment) = &filter.segment {
        query
            .push(" AND EXISTS (SELECT 1 FROM activation_entries e WHERE e.activation_id = a.id AND (e.segment_id = ")
            .push_bind(segment.clone())
            .push(format_args!(" OR {position}(lower(e.segment_name), lower("))
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

/// How many rows a statement changed: each driver has it, under no common trait.
pub trait RowsAffected {
    fn rows_affected(&self) -> u64;
}

impl RowsAffected for sqlx::sqlite::SqliteQueryResult {
    fn rows_affected(&self) -> u64 {
        self.rows_affected()
    }
}

impl RowsAffected for sqlx::postgres::PgQueryResult {
    fn rows_affected(&self) -> u64 {
        self.rows_affected()
    }
}

/// The statements whose SQL both databases read alike (`$n` parameters numbered in order of
/// first use, which SQLite binds by position as PostgreSQL does), run on either pool.
pub struct Both<'p, DB: Database> {
    pub pool: &'p Pool<DB>,
    /// This process, as it signs the activations it sends.
    pub replica: &'p str,
}

impl<DB> Both<'_, DB>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    DB::Row: HistoryRow,
    DB::QueryResult: RowsAffected,
{
    pub async fn insert(
        &self,
        record: &HistoryRecord,
        idempotency_key: Option<&str>,
        request_hash: &str,
        first_answer: Option<&FirstAnswer>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query::<DB>(
            "INSERT INTO activations (id, created_at, updated_at, user_name, idempotency_key, request_hash, activation_info, outcome, orders, error, first_answer_status, first_answer_body, warnings, names, run_at, plan_info, sent_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        )
        .bind(record.id.clone())
        .bind(record.created_at.0)
        .bind(record.created_at.0)
        .bind(record.user.clone())
        .bind(idempotency_key.map(str::to_owned))
        .bind(request_hash.to_owned())
        .bind(json(&record.activation_info))
        .bind(outcome_text(record.outcome))
        .bind(json(&record.orders))
        .bind(record.error.as_ref().map(json))
        .bind(first_answer.map(|answer| i64::from(answer.status)))
        .bind(first_answer.map(|answer| answer.body.clone()))
        .bind(json(&record.warnings))
        .bind(json(&record.names))
        .bind(record.plan.run_at.map(|at| at.0))
        .bind(json(&record.plan))
        .bind(self.replica.to_owned())
        .execute(&mut *tx)
        .await
        .map_err(super::insert_error)?;
        for (dataflow_id, segments) in &record.activation_info {
            for segment_id in segments {
                sqlx::query::<DB>(
                    "INSERT INTO activation_entries (activation_id, dataflow_id, segment_id, segment_name)
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                )
                .bind(record.id.clone())
                .bind(dataflow_id.clone())
                .bind(segment_id.clone())
                .bind(record.names.segments.get(segment_id).cloned())
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn conclude(
        &self,
        id: &str,
        expected: Outcome,
        outcome: Outcome,
        orders: &[ActivationOrder],
        error: Option<&ErrorBody>,
        at: EpochMillis,
    ) -> Result<bool, StoreError> {
        let written = sqlx::query::<DB>(
            "UPDATE activations SET outcome = $1, orders = $2, error = $3, updated_at = $4
             WHERE id = $5 AND outcome = $6",
        )
        .bind(outcome_text(outcome))
        .bind(json(&orders))
        .bind(error.map(json))
        .bind(at.0)
        .bind(id.to_owned())
        .bind(outcome_text(expected))
        .execute(self.pool)
        .await?;
        Ok(RowsAffected::rows_affected(&written) == 1)
    }

    pub async fn record_answer(
        &self,
        id: &str,
        outcome: Outcome,
        orders: &[ActivationOrder],
        error: Option<&ErrorBody>,
        first_answer: Option<&FirstAnswer>,
        at: EpochMillis,
    ) -> Result<(), StoreError> {
        sqlx::query::<DB>(
            "UPDATE activations SET outcome = $1, orders = $2, error = $3, updated_at = $4,
                 first_answer_status = COALESCE(first_answer_status, $5),
                 first_answer_body = COALESCE(first_answer_body, $6)
             WHERE id = $7",
        )
        .bind(outcome_text(outcome))
        .bind(json(&orders))
        .bind(error.map(json))
        .bind(at.0)
        .bind(first_answer.map(|answer| i64::from(answer.status)))
        .bind(first_answer.map(|answer| answer.body.clone()))
        .bind(id.to_owned())
        .execute(self.pool)
        .await?;
        Ok(())
    }

    pub async fn by_idempotency_key(&self, key: &str) -> Result<Option<KeyedRecord>, StoreError> {
        let row = sqlx::query::<DB>("SELECT * FROM activations WHERE idempotency_key = $1")
            .bind(key.to_owned())
            .fetch_optional(self.pool)
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        Ok(Some(KeyedRecord {
            record: record(&row)?,
            request_hash: row.text("request_hash")?,
            first_answer: first_answer(&row)?,
        }))
    }

    pub async fn get(&self, id: &str) -> Result<Option<HistoryRecord>, StoreError> {
        let row = sqlx::query::<DB>("SELECT * FROM activations WHERE id = $1")
            .bind(id.to_owned())
            .fetch_optional(self.pool)
            .await?;
        row.as_ref().map(record).transpose()
    }

    pub async fn in_flight(
        &self,
        facts_read_from: EpochMillis,
    ) -> Result<Vec<InFlight>, StoreError> {
        let rows = sqlx::query::<DB>(
            "SELECT e.activation_id, e.dataflow_id, e.segment_id FROM activation_entries e
             JOIN activations a ON a.id = e.activation_id
             WHERE a.outcome IN ('pending', 'unknown')
                OR (a.outcome = 'accepted' AND a.updated_at >= $1)",
        )
        .bind(facts_read_from.0)
        .fetch_all(self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(InFlight {
                    activation_id: row.text("activation_id")?,
                    dataflow_id: row.text("dataflow_id")?,
                    segment_id: row.text("segment_id")?,
                })
            })
            .collect()
    }

    pub async fn claimed_run_ids(&self, since: EpochMillis) -> Result<HashSet<String>, StoreError> {
        let rows = sqlx::query::<DB>(
            "SELECT orders FROM activations WHERE outcome = 'accepted' AND updated_at >= $1",
        )
        .bind(since.0)
        .fetch_all(self.pool)
        .await?;
        let mut claimed = HashSet::new();
        for row in rows {
            claimed.extend(run_ids(&row.text("orders")?)?);
        }
        Ok(claimed)
    }

    pub async fn with_outcome(&self, outcome: Outcome) -> Result<Vec<HistoryRecord>, StoreError> {
        self.records(
            sqlx::query::<DB>("SELECT * FROM activations WHERE outcome = $1 ORDER BY created_at")
                .bind(outcome_text(outcome)),
        )
        .await
    }

    pub async fn due_plans(&self, now: EpochMillis) -> Result<Vec<HistoryRecord>, StoreError> {
        self.records(
            sqlx::query::<DB>(
                "SELECT * FROM activations WHERE outcome = 'scheduled' AND run_at <= $1 ORDER BY run_at",
            )
            .bind(now.0),
        )
        .await
    }

    /// The records a query selects.
    pub async fn records<'q>(
        &self,
        query: sqlx::query::Query<'q, DB, <DB as Database>::Arguments<'q>>,
    ) -> Result<Vec<HistoryRecord>, StoreError> {
        let rows = query.fetch_all(self.pool).await?;
        rows.iter().map(record).collect()
    }

    pub async fn record_runs(&self, id: &str, runs: RunsSummary) -> Result<(), StoreError> {
        sqlx::query::<DB>(
            "UPDATE activations SET runs_summary = $1, runs_state = $2 WHERE id = $3",
        )
        .bind(json(&runs))
        .bind(runs.state().as_str())
        .bind(id.to_owned())
        .execute(self.pool)
        .await?;
        Ok(())
    }

    pub async fn enqueue(
        &self,
        notifications: &[Notification],
        notified: Option<(&str, EpochMillis)>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for n in notifications {
            sqlx::query::<DB>(
                "INSERT INTO notifications (delivery_id, dedupe_key, record_id, event, target, body, created_at, next_attempt_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
            )
            .bind(n.delivery_id.clone())
            .bind(n.dedupe_key.clone())
            .bind(n.record_id.clone())
            .bind(n.event.clone())
            .bind(n.target.clone())
            .bind(n.body.clone())
            .bind(n.created_at.0)
            .bind(n.next_attempt_at.0)
            .execute(&mut *tx)
            .await?;
        }
        if let Some((record_id, at)) = notified {
            sqlx::query::<DB>(
                "UPDATE activations SET notified_at = $1 WHERE id = $2 AND notified_at IS NULL",
            )
            .bind(at.0)
            .bind(record_id.to_owned())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn record_attempt(
        &self,
        delivery_id: &str,
        outcome: AttemptOutcome,
    ) -> Result<(), StoreError> {
        let query = match &outcome {
            AttemptOutcome::Delivered { at } => sqlx::query::<DB>(
                "UPDATE notifications SET attempts = attempts + 1, delivered_at = $1, last_error = NULL WHERE delivery_id = $2",
            )
            .bind(at.0),
            AttemptOutcome::Retry { error, retry_at } => sqlx::query::<DB>(
                "UPDATE notifications SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2 WHERE delivery_id = $3",
            )
            .bind(error.clone())
            .bind(retry_at.0),
            AttemptOutcome::GaveUp { error, at } => sqlx::query::<DB>(
                "UPDATE notifications SET attempts = attempts + 1, last_error = $1, gave_up_at = $2 WHERE delivery_id = $3",
            )
            .bind(error.clone())
            .bind(at.0),
        };
        query
            .bind(delivery_id.to_owned())
            .execute(self.pool)
            .await?;
        Ok(())
    }

    pub async fn notifications_of(&self, record_id: &str) -> Result<Vec<Notification>, StoreError> {
        let rows = sqlx::query::<DB>(
            "SELECT * FROM notifications WHERE record_id = $1 ORDER BY created_at, event, target",
        )
        .bind(record_id.to_owned())
        .fetch_all(self.pool)
        .await?;
        rows.iter().map(notification).collect()
    }

    pub async fn transition(
        &self,
        id: &str,
        from: Outcome,
        to: Outcome,
        plan: &PlanInfo,
        at: EpochMillis,
    ) -> Result<bool, StoreError> {
        let moved = sqlx::query::<DB>(
            "UPDATE activations SET outcome = $1, plan_info = $2, run_at = $3, updated_at = $4, sent_by = $5
             WHERE id = $6 AND outcome = $7",
        )
        .bind(outcome_text(to))
        .bind(json(plan))
        .bind(plan.run_at.map(|at| at.0))
        .bind(at.0)
        .bind(self.replica.to_owned())
        .bind(id.to_owned())
        .bind(outcome_text(from))
        .execute(self.pool)
        .await?;
        Ok(RowsAffected::rows_affected(&moved) == 1)
    }

    pub async fn heartbeat(&self, until: EpochMillis) -> Result<(), StoreError> {
        sqlx::query::<DB>(
            "INSERT INTO replicas (id, alive_until) VALUES ($1, $2)
             ON CONFLICT (id) DO UPDATE SET alive_until = excluded.alive_until",
        )
        .bind(self.replica.to_owned())
        .bind(until.0)
        .execute(self.pool)
        .await?;
        Ok(())
    }
}
