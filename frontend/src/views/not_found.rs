use leptos::prelude::*;

use crate::i18n::{Key, t};
use crate::router::Link;

#[component]
pub fn NotFoundView() -> impl IntoView {
    view! {
        <section aria-labelledby="not-found-heading">
            <h1 id="not-found-heading">{move || t(Key::NotfoundTitle)}</h1>
            <p>{move || t(Key::NotfoundText)} " " <Link href="/activate">{move || t(Key::NavActivate)}</Link></p>
        </section>
    }
}
