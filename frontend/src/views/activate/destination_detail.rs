//! What Adobe's UI shows of a destination and the pickers do not: each mapped segment's
//! schedule, and the dataflow's recent runs (scheduled and ad hoc) with what they exported.

use leptos::prelude::*;
use shared::aep::run::Run;

use super::ActivateState;
use crate::format;
use crate::i18n::{Key, t, tr};
use crate::views::run_table::status_key;
use crate::views::time::Time;
use shared::sandbox::Destination;

/// Runs listed: a day of hourly exports and then some.
const RECENT_RUNS: usize = 25;

#[component]
pub fn DestinationDetail(state: ActivateState) -> impl IntoView {
    let destination = Memo::new(move |_| {
        let id = state.selected.get()?;
        state.facts.get()?.destination(&id).cloned()
    });
    move || {
        destination.get().map(|destination| {
            view! {
                <section class="panel destination-detail" aria-labelledby="destination-detail-heading">
                    <h2 id="destination-detail-heading">
                        {tr(Key::DestinationDetailTitle)} ": " {destination.name.clone()}
                    </h2>
                    <Schedules destination=destination.clone() />
                    <RecentRuns state=state destination=destination />
                </section>
            }
        })
    }
}

/// Closed at first, and drawn only when opened: a destination may map thousands of segments.
#[component]
fn Schedules(destination: Destination) -> impl IntoView {
    let open = RwSignal::new(false);
    let count = destination.segments.len();
    let rows = move || {
        open.get().then(|| {
            destination
                .segments
                .iter()
                .map(|s| {
                    let schedule = s.settings.schedule.clone().unwrap_or_default();
                    let text = |value: Option<String>| value.unwrap_or_else(|| "—".to_owned());
                    view! {
                        <tr>
                            <th scope="row">{s.name.clone()}</th>
                            <td>{text(schedule.start_date.map(|d| d.to_string()))}</td>
                            <td>{text(schedule.end_date.map(|d| d.to_string()))}</td>
                            <td>{text(schedule.frequency)}</td>
                            <td>{text(schedule.start_time.map(|t| format!("{t} UTC")))}</td>
                            <td>{text(s.settings.export_mode.clone())}</td>
                            <td><code>{text(s.settings.file_name_template.clone())}</code></td>
                        </tr>
                    }
                })
                .collect_view()
        })
    };
    view! {
        <details class="schedules-group" on:toggle=move |ev| {
            open.set(event_target::<web_sys::HtmlDetailsElement>(&ev).open());
        }>
            <summary>{move || format!("{} ({count})", t(Key::SchedulesCaption))}</summary>
            <div class="table-scroll">
                <table class="schedules">
                    <caption>{tr(Key::SchedulesCaption)}</caption>
                    <thead>
                        <tr>
                            <th scope="col">{tr(Key::OrdersSegment)}</th>
                            <th scope="col">{tr(Key::ScheduleStart)}</th>
                            <th scope="col">{tr(Key::ScheduleEnd)}</th>
                            <th scope="col">{tr(Key::ScheduleFrequency)}</th>
                            <th scope="col">{tr(Key::ScheduleTime)}</th>
                            <th scope="col">{tr(Key::ScheduleExportMode)}</th>
                            <th scope="col">{tr(Key::ScheduleFileName)}</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </details>
    }
}

/// Excluded or failed identities by error code, e.g. `ACTIVATION_BATCH-0000-SKIP × 312`.
fn by_code(run: &Run) -> String {
    let Some(records) = run.metrics.as_ref().and_then(|m| m.record_summary.as_ref()) else {
        return String::new();
    };
    records
        .failed_info
        .iter()
        .chain(&records.skipped_info)
        .map(|info| match info.count {
            Some(n) => format!("{} × {} ({})", info.code, format::count(n), info.message),
            None => format!("{} ({})", info.code, info.message),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[component]
fn RecentRuns(state: ActivateState, destination: Destination) -> impl IntoView {
    let id = destination.id.clone();
    let runs = move || {
        let mut runs = state
            .runs
            .with(|runs| runs.get(&id).cloned().unwrap_or_default());
        shared::sort::sort_by(&mut runs, |a, b| b.created_at.cmp(&a.created_at));
        runs.truncate(RECENT_RUNS);
        runs
    };
    let segment_names = move |run: &Run| {
        run.segment_ids()
            .into_iter()
            .map(|id| destination.segment_name(id).unwrap_or(id).to_owned())
            .collect::<Vec<_>>()
            .join(", ")
    };
    view! {
        <div class="table-scroll">
            <table class="recent-runs">
                <caption>{tr(Key::RecentRunsCaption)}</caption>
                <thead>
                    <tr>
                        <th scope="col">{tr(Key::RunStarted)}</th>
                        <th scope="col">{tr(Key::OrdersSegment)}</th>
                        <th scope="col">{tr(Key::OrdersStatus)}</th>
                        <th scope="col">{tr(Key::RunReceived)}</th>
                        <th scope="col">{tr(Key::RunActivated)}</th>
                        <th scope="col">{tr(Key::RunExcluded)}</th>
                        <th scope="col">{tr(Key::RunByCode)}</th>
                    </tr>
                </thead>
                <tbody>
                    {move || {
                        let runs = runs();
                        if runs.is_empty() {
                            return view! { <tr><td colspan="7">{t(Key::RecentRunsNone)}</td></tr> }.into_any();
                        }
                        runs.into_iter()
                            .map(|run| {
                                let (status, class) = status_key(Some(&run));
                                let records = run.metrics.as_ref().and_then(|m| m.record_summary.clone()).unwrap_or_default();
                                let count = |n: Option<u64>| n.map(format::count).unwrap_or_default();
                                view! {
                                    <tr>
                                        <td>{run.created_at.map(|at| view! { <Time at=at /> })}</td>
                                        <td>{segment_names(&run)}</td>
                                        <td>
                                            <span class=format!("status status-{class}")>
                                                {move || match &status {
                                                    Ok(key) => t(*key).to_owned(),
                                                    Err(raw) => raw.clone(),
                                                }}
                                            </span>
                                        </td>
                                        <td>{count(records.input_record_count)}</td>
                                        <td>{count(records.output_record_count)}</td>
                                        <td>{count(records.skipped_record_count)}</td>
                                        <td>{by_code(&run)}</td>
                                    </tr>
                                }
                            })
                            .collect_view()
                            .into_any()
                    }}
                </tbody>
            </table>
        </div>
    }
}
