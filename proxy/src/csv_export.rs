//! `GET /api/history.csv`: the history with the filters of `/api/history`, as a spreadsheet
//! opens it: RFC 4180 (quoted where needed, CRLF), UTF-8 with a byte-order mark so that
//! spreadsheets read Hangul as Hangul.

use shared::portal::{HistoryQuery, HistoryRecord, Outcome};
use shared::time::EpochMillis;

use crate::store::{HistoryStore, StoreError};

/// Rows exported at most: a year of a busy team's activations. More is cut off, and the last
/// line says so.
const MAX_ROWS: usize = 100_000;

const HEADER: [&str; 15] = [
    "id",
    "created_at_utc",
    "user",
    "outcome",
    "destinations",
    "destination_ids",
    "segments",
    "segment_ids",
    "entries",
    "runs_total",
    "runs_succeeded",
    "runs_failed",
    "error_code",
    "error_message",
    "warnings",
];

pub async fn history_csv(
    store: &dyn HistoryStore,
    filter: &HistoryQuery,
) -> Result<String, StoreError> {
    let mut out = String::from("\u{feff}");
    write_row(&mut out, HEADER.iter().map(|h| (*h).to_owned()));
    let mut query = HistoryQuery {
        cursor: None,
        limit: Some(200),
        ..filter.clone()
    };
    let mut rows = 0;
    loop {
        let page = store.list(&query).await?;
        for record in &page.items {
            write_row(&mut out, fields(record));
            rows += 1;
        }
        match page.next_cursor {
            Some(cursor) if rows < MAX_ROWS => query.cursor = Some(cursor),
            Some(_) => {
                write_row(
                    &mut out,
                    [format!(
                        "(cut off after {MAX_ROWS} rows: narrow the filters)"
                    )],
                );
                break;
            }
            None => break,
        }
    }
    Ok(out)
}

fn fields(record: &HistoryRecord) -> Vec<String> {
    let destinations: Vec<&String> = record.activation_info.keys().collect();
    let segments: Vec<&String> = record.activation_info.values().flatten().collect();
    let names = |ids: &[&String], name: &dyn Fn(&str) -> String| {
        ids.iter().map(|id| name(id)).collect::<Vec<_>>().join("; ")
    };
    let ids = |ids: &[&String]| {
        ids.iter()
            .map(|id| id.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let runs = record.runs;
    let outcome = serde_json::to_value(record.outcome)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    vec![
        record.id.clone(),
        utc(record.created_at),
        record.user.clone(),
        outcome,
        names(&destinations, &|id| record.names.destination(id).to_owned()),
        ids(&destinations),
        names(&segments, &|id| record.names.segment(id).to_owned()),
        ids(&segments),
        segments.len().to_string(),
        runs.filter(|_| record.outcome == Outcome::Accepted)
            .map(|r| r.total.to_string())
            .unwrap_or_default(),
        runs.map(|r| r.succeeded.to_string()).unwrap_or_default(),
        runs.map(|r| r.failed.to_string()).unwrap_or_default(),
        record
            .error
            .as_ref()
            .map(|e| e.code.as_str().to_owned())
            .unwrap_or_default(),
        record
            .error
            .as_ref()
            .map(|e| e.message.clone())
            .unwrap_or_default(),
        record.warnings.join("; "),
    ]
}

/// `2026-11-30T12:00:05Z`.
fn utc(at: EpochMillis) -> String {
    let (hour, minute, second) = at.utc_time_of_day();
    format!("{}T{hour:02}:{minute:02}:{second:02}Z", at.utc_date())
}

fn write_row(out: &mut String, fields: impl IntoIterator<Item = String>) {
    let mut first = true;
    for field in fields {
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str(&quote(&field));
    }
    out.push_str("\r\n");
}

/// RFC 4180 quoting. A field a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) is
/// written with a leading apostrophe: names come from the Platform, not from the reader.
fn quote(field: &str) -> String {
    let field = if field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{field}")
    } else {
        field.to_owned()
    };
    if field.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_as_rfc_4180_says_and_formulas_are_defused() {
        assert_eq!(quote("plain 여름"), "plain 여름");
        assert_eq!(quote("a,b"), "\"a,b\"");
        assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(quote("two\nlines"), "\"two\nlines\"");
        assert_eq!(quote("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
    }
}
