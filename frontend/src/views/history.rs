use leptos::prelude::*;

/// The portal's activations and the runs they started.
#[component]
pub fn HistoryView() -> impl IntoView {
    view! {
        <section aria-labelledby="history-heading">
            <h2 id="history-heading">"History"</h2>
            <p>"Activations made through the portal appear here, newest first."</p>
        </section>
    }
}
