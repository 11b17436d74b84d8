use leptos::prelude::*;

/// Where a marketer builds an activation plan and sends it.
#[component]
pub fn ActivateView() -> impl IntoView {
    view! {
        <section aria-labelledby="activate-heading">
            <h2 id="activate-heading">"Activate"</h2>
            <p>"Push audience segments to batch file destinations now, without waiting for the daily schedule."</p>
        </section>
    }
}
