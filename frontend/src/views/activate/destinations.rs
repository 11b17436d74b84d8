use leptos::prelude::*;

use super::ActivateState;
use crate::i18n::{Key, t};

#[component]
pub fn DestinationPicker(state: ActivateState) -> impl IntoView {
    let destinations = move || {
        state
            .facts
            .get()
            .map(|f| f.destinations.clone())
            .unwrap_or_default()
    };
    view! {
        <section class="panel destinations" aria-labelledby="destinations-heading">
            <h2 id="destinations-heading">{move || t(Key::DestinationsTitle)}</h2>
            {move || destinations().is_empty().then(|| view! { <p>{t(Key::DestinationsEmpty)}</p> })}
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
                        let state_key = if d.enabled { Key::DestinationsEnabled } else { Key::DestinationsDisabled };
                        let count = d.segments.len();
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
                                    <span class="destination-name">{d.name.clone()}</span>
                                    <span class="destination-meta">
                                        {d.kind} " · " {move || t(state_key)} " · " {count} " " {move || t(Key::DestinationsSegments)}
                                        {d.last_run.clone().map(|r| format!(" · {r}"))}
                                    </span>
                                </button>
                            </li>
                        }
                    }
                />
            </ul>
        </section>
    }
}
