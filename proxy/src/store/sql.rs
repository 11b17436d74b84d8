//! What the two databases share: rows read back into the history's types (the columns have
//! the same names and kinds, text holding JSON and 64-bit integers, in both), the history's
//! filters, and its pages.

use shared::aep::adhoc::ActivationOrder;
use shared::portal::{
    ErrorBody, HistoryDay, HistoryPage, HistoryQuery, HistoryRecord, Names, Outcome, PlanInfo,
    RequestedPlan, RunsSummary,
};
use shared::time::EpochMillis;
use sqlx::{ColumnIndex, Database, Decode, Encode, QueryBuilder, Row, Type};

use super::{FirstAnswer, Notification, StoreError, outcome_text};

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
