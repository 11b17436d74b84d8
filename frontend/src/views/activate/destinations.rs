use leptos::prelude::*;
use shared::aep::flow::FlowState;
use shared::guardrails::DestinationKind;
use shared::sandbox::Destination;

use super::ActivateState;
use crate::i18n::{Key, t, tr};
use crate::views::marks::{Mark, MarkKind};

/// What kind of destination, as the portal could tell it.
fn kind_label(kind: &DestinationKind) -> String {
    match kind {
        DestinationKind::BatchFile { name } => (*name).to_owned(),
        DestinationKind::FileByMapping => t(Key::DestinationFileExport).to_owned(),
        DestinationKind::Streaming { name } => format!("{name} · {}", t(Key::DestinationStreaming)),
        DestinationKind::Unclassified => t(Key::DestinationUnclassified).to_owned(),
    }
}

fn state_label(state: &FlowState) -> String {
    match state {
        FlowState::Enabled => t(Key::DestinationsEnabled).to_owned(),
        FlowState::Disabled => t(Key::DestinationsDisabled).to_owned(),
        FlowState::Other(raw) => raw.clone(),
    }
}

/// What the list shows of a destination: not its segments, which may be thousands.
#[derive(Clone)]
struct DestinationRow {
    id: String,
    name: String,
    kind: DestinationKind,
    state: FlowState,
    segments: usize,
    last_run: Option<String>,
}

impl DestinationRow {
    fn of(destination: &Destination) -> Self {
        Self {
            id: destination.id.clone(),
            name: destination.name.clone(),
            kind: destination.kind(),
            state: destination.state.clone(),
            segments: destination.segments.len(),
            last_run: destination.last_run.clone(),
        }
    }
}

#[component]
pub fn DestinationPicker(state: ActivateState) -> impl IntoView {
    let destinations = move || {
        state.facts.with(|facts| {
            facts.as_ref().map_or_else(Vec::new, |f| {
                f.destinations().iter().map(DestinationRow::of).collect()
            })
        })
    };
    view! {
        <section class="panel destinations" aria-labelledby="destinations-heading">
            <h2 id="destinations-heading">{tr(Key::DestinationsTitle)}</h2>
            {move || destinations().is_empty().then(|| view! { <p>{t(Key::DestinationsEmpty)}</p> })}
            {move || state.facts.get().and_then(|f| f.sandbox.latest_export_job.clone()).map(|job| view! {
                <p class="export-job">
                    {t(Key::ExportJobLatest)} " " <code>{job.id.to_string()}</code> " · " {job.status}
                    {(!job.known_status).then(|| format!(" ({})", t(Key::ExportJobUnknownStatus)))}
                </p>
            })}
            <ul class="destination-list">
                <For
                    each=destinations
                    key=|d| d.id.clone()
                    children=move |d| {
                        let id = d.id.clone();
                        let selected = {
                            let id = id.clone();
                            move || state.selected.get().as_deref() == Some(id.as_str())
                        };
                        let count = d.segments;
                        let selected_mark = selected.clone();
                        let kind = d.kind.clone();
                        let flow_state = d.state.clone();
                        let unclassified = kind.is_unclassified();
                        view! {
                            <li>
                                <button
                                    class="destination"
                                    aria-pressed=move || selected().to_string()
                                    on:click=move |_| {
                                        state.selected.set(Some(id.clone()));
                                        state.load_runs(id.clone());
                                    }
                                >
                                    <span class="destination-name">
                                        {move || selected_mark().then(|| view! { <Mark kind=MarkKind::Selected />" " })}
                                        {d.name.clone()}
                                    </span>
                                    <span class="destination-meta">
                                        {move || kind_label(&kind)} " · " {move || state_label(&flow_state)} " · " {count} " " {tr(Key::DestinationsSegments)}
                                        {d.last_run.clone().map(|r| format!(" · {r}"))}
                                    </span>
                                    {unclassified.then(|| view! {
                                        <span class="destination-warning">{tr(Key::DestinationUnclassifiedWarning)}</span>
                                    })}
                                </button>
                            </li>
                        }
                    }
                />
            </ul>
        </section>
    }
}
