use leptos::prelude::*;

use crate::i18n::{Key, tr};
use crate::router::Link;

#[component]
pub fn NotFoundView() -> impl IntoView {
    view! {
        <section aria-labelledby="not-found-heading">
            <h1 id="not-found-heading">{tr(Key::NotfoundTitle)}</h1>
            <p>{tr(Key::NotfoundText)} " " <Link href="/activate">{tr(Key::NavActivate)}</Link></p>
        </section>
    }
}
