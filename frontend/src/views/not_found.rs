use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn NotFoundView() -> impl IntoView {
    view! {
        <section aria-labelledby="not-found-heading">
            <h2 id="not-found-heading">"Page not found"</h2>
            <p>
                "There is nothing at this address. Go to "
                <A href="/activate">"Activate"</A>
                "."
            </p>
        </section>
    }
}
