use leptos::prelude::*;
use leptos_router::components::A;

use crate::i18n::t;

#[component]
pub fn NotFoundView() -> impl IntoView {
    view! {
        <section aria-labelledby="not-found-heading">
            <h1 id="not-found-heading">{move || t("notfound.title")}</h1>
            <p>{move || t("notfound.text")} " " <A href="/activate">{move || t("nav.activate")}</A></p>
        </section>
    }
}
