//! The history as pictures: activations per day by outcome, profiles exported per day. Drawn as
//! SVG by the app (no chart library: a few hundred bytes of bundle), each with a title for
//! screen readers and the same figures as a table beside it.

use leptos::prelude::*;
use shared::portal::HistoryDay;

use crate::format;
use crate::i18n::{Key, t, tr};

/// Days drawn at most: a month.
const DAYS_SHOWN: usize = 31;
const WIDTH: f64 = 620.0;
const HEIGHT: f64 = 120.0;

#[component]
pub fn HistoryCharts(days: Signal<Vec<HistoryDay>>) -> impl IntoView {
    let shown = move || {
        let days = days.get();
        let skip = days.len().saturating_sub(DAYS_SHOWN);
        days.into_iter().skip(skip).collect::<Vec<_>>()
    };
    view! {
        <div class="charts">
            <figure class="chart">
                {move || {
                    let days = shown();
                    let most = days.iter().map(|d| d.accepted + d.rejected + d.other).max().unwrap_or(0).max(1);
                    let slot = WIDTH / days.len().max(1) as f64;
                    let bars = days.iter().enumerate().map(|(i, d)| {
                        let x = i as f64 * slot + slot * 0.15;
                        let width = slot * 0.7;
                        let height = |n: u32| f64::from(n) / f64::from(most) * HEIGHT;
                        let (accepted, rejected, other) = (height(d.accepted), height(d.rejected), height(d.other));
                        view! {
                            <g>
                                <rect class="bar-accepted" x=x y=HEIGHT - accepted width=width height=accepted />
                                <rect class="bar-rejected" x=x y=HEIGHT - accepted - rejected width=width height=rejected />
                                <rect class="bar-other" x=x y=HEIGHT - accepted - rejected - other width=width height=other />
                            </g>
                        }
                    }).collect_view();
                    view! {
                        <svg role="img" aria-labelledby="chart-outcomes-title" viewBox=format!("0 0 {WIDTH} {HEIGHT}") preserveAspectRatio="none">
                            <title id="chart-outcomes-title">{t(Key::ChartOutcomes)}</title>
                            {bars}
                        </svg>
                    }
                }}
                <figcaption>{tr(Key::ChartOutcomes)} " " <span class="legend-accepted">{tr(Key::OutcomeAccepted)}</span> " · " <span class="legend-rejected">{tr(Key::OutcomeRejected)}</span> " · " <span class="legend-other">{tr(Key::ChartOther)}</span></figcaption>
                <table class="visually-hidden">
                    <caption>{tr(Key::ChartOutcomes)}</caption>
                    <thead><tr>
                        <th scope="col">{tr(Key::ChartDay)}</th>
                        <th scope="col">{tr(Key::OutcomeAccepted)}</th>
                        <th scope="col">{tr(Key::OutcomeRejected)}</th>
                        <th scope="col">{tr(Key::ChartOther)}</th>
                    </tr></thead>
                    <tbody>
                        {move || shown().into_iter().map(|d| view! {
                            <tr><th scope="row">{d.day}</th><td>{d.accepted}</td><td>{d.rejected}</td><td>{d.other}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </figure>
            <figure class="chart">
                {move || {
                    let days = shown();
                    let most = days.iter().map(|d| d.records).max().unwrap_or(0).max(1);
                    let slot = WIDTH / days.len().max(1) as f64;
                    let bars = days.iter().enumerate().map(|(i, d)| {
                        let height = d.records as f64 / most as f64 * HEIGHT;
                        view! { <rect class="bar-records" x=i as f64 * slot + slot * 0.15 y=HEIGHT - height width=slot * 0.7 height=height /> }
                    }).collect_view();
                    view! {
                        <svg role="img" aria-labelledby="chart-records-title" viewBox=format!("0 0 {WIDTH} {HEIGHT}") preserveAspectRatio="none">
                            <title id="chart-records-title">{t(Key::ChartRecords)}</title>
                            {bars}
                        </svg>
                    }
                }}
                <figcaption>{tr(Key::ChartRecords)}</figcaption>
                <table class="visually-hidden">
                    <caption>{tr(Key::ChartRecords)}</caption>
                    <thead><tr>
                        <th scope="col">{tr(Key::ChartDay)}</th>
                        <th scope="col">{tr(Key::ChartProfiles)}</th>
                    </tr></thead>
                    <tbody>
                        {move || shown().into_iter().map(|d| view! {
                            <tr><th scope="row">{d.day}</th><td>{format::count(d.records)}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </figure>
        </div>
    }
}
