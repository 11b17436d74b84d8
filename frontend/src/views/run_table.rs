//! Orders and their runs: status, records, files, bytes, duration, errors.

use leptos::prelude::*;
use shared::aep::adhoc::ActivationOrder;
use shared::aep::run::{Run, RunStatus};

use crate::format;
use crate::i18n::{Key, t, tr};

#[derive(Clone, Debug, PartialEq)]
pub struct OrderState {
    pub order: ActivationOrder,
    pub destination: String,
    pub segment: String,
    pub run: Option<Run>,
    pub error: Option<String>,
}

/// The words for a run's status (a status the portal does not know as the Platform wrote it),
/// and the CSS class that marks it.
pub fn status_key(run: Option<&Run>) -> (Result<Key, String>, &'static str) {
    match run.map(Run::status) {
        Some(RunStatus::Success) => (Ok(Key::StatusSuccess), "success"),
        Some(RunStatus::Failed) => (Ok(Key::StatusFailed), "failed"),
        Some(RunStatus::InProgress) => (Ok(Key::StatusProcessing), "processing"),
        Some(RunStatus::Other(raw)) => (Err(raw), "processing"),
        None => (Ok(Key::StatusUnknown), "unknown"),
    }
}

#[component]
pub fn RunTable(orders: Signal<Vec<OrderState>>, caption: Key) -> impl IntoView {
    // The longest run and the most records among the orders: each row's bars are drawn to it.
    let scale = Memo::new(move |_| {
        orders.with(|orders| {
            orders.iter().fold((1_i64, 1_u64), |(longest, most), o| {
                let metrics = o.run.as_ref().and_then(|r| r.metrics.as_ref());
                let took = metrics
                    .and_then(|m| m.duration_summary.as_ref()?.duration_millis())
                    .unwrap_or(0);
                let records = metrics
                    .and_then(|m| m.record_summary.as_ref()?.output_record_count)
                    .unwrap_or(0);
                (longest.max(took), most.max(records))
            })
        })
    });
    view! {
        <table class="runs">
            <caption>{move || t(caption)}</caption>
            <thead>
                <tr>
                    <th scope="col">{tr(Key::OrdersSegment)}</th>
                    <th scope="col">{tr(Key::OrdersDestination)}</th>
                    <th scope="col">{tr(Key::OrdersStatus)}</th>
                    <th scope="col">{tr(Key::OrdersRecords)}</th>
                    <th scope="col">{tr(Key::OrdersFiles)}</th>
                    <th scope="col">{tr(Key::OrdersBytes)}</th>
                    <th scope="col">{tr(Key::OrdersDuration)}</th>
                    <th scope="col">{tr(Key::OrdersErrors)}</th>
                    <th scope="col">{tr(Key::OrdersBars)}</th>
                </tr>
            </thead>
            <tbody>
                <For
                    each=move || orders.get()
                    key=|o| (o.order.order.clone(), o.order.segment.clone(), o.run.as_ref().map(|r| (r.status(), r.updated_at)))
                    children=move |o: OrderState| {
                        let metrics = o.run.as_ref().and_then(|r| r.metrics.clone()).unwrap_or_default();
                        let records = metrics.record_summary.as_ref().and_then(|r| r.output_record_count);
                        let files = metrics.file_summary.as_ref().and_then(|f| f.output_file_count);
                        let bytes = metrics.size_summary.as_ref().and_then(|s| s.output_bytes);
                        let took = metrics.duration_summary.as_ref().and_then(|d| d.duration_millis());
                        let mut errors: Vec<String> = metrics
                            .status_summary
                            .iter()
                            .flat_map(|s| s.errors.iter())
                            .map(|e| format!("{} ({})", e.message, e.code))
                            .collect();
                        errors.extend(o.error.clone());
                        let (status, class) = status_key(o.run.as_ref());
                        let finished = o.run.as_ref().is_some_and(|r| r.is_finished());
                        view! {
                            <tr>
                                <td>{o.segment.clone()}</td>
                                <td>{o.destination.clone()}</td>
                                <td>
                                    <span class=format!("status status-{class}") aria-busy=(!finished).to_string()>
                                        {move || match &status {
                                            Ok(key) => t(*key).to_owned(),
                                            Err(raw) => raw.clone(),
                                        }}
                                    </span>
                                </td>
                                <td>{records.filter(|_| finished).map(format::count)}</td>
                                <td>{files.filter(|_| finished).map(|n| n.to_string())}</td>
                                <td>{bytes.filter(|_| finished).map(format::bytes)}</td>
                                <td>{took.map(format::duration)}</td>
                                <td>{errors.join("; ")}</td>
                                <td>{move || {
                                    let (longest, most) = scale.get();
                                    bars(took.unwrap_or(0), longest, records.filter(|_| finished).unwrap_or(0), most)
                                }}</td>
                            </tr>
                        }
                    }
                />
            </tbody>
        </table>
    }
}

/// A run's duration and records as two small bars, against the longest and the largest order.
fn bars(took: i64, longest: i64, records: u64, most: u64) -> impl IntoView {
    let duration = 100.0 * took.max(0) as f64 / longest.max(1) as f64;
    let exported = 100.0 * records as f64 / most.max(1) as f64;
    let label = format!(
        "{} {}, {} {}",
        t(Key::OrdersDuration),
        format::duration(took),
        format::count(records),
        t(Key::OrdersRecords)
    );
    view! {
        <svg class="run-bars" role="img" aria-label=label viewBox="0 0 100 10" preserveAspectRatio="none">
            <rect class="bar-duration" x="0" y="0" width=duration height="4" />
            <rect class="bar-records" x="0" y="6" width=exported height="4" />
        </svg>
    }
}
