use leptos::prelude::*;

use crate::i18n::t;
use crate::router::Link;

#[component]
pub fn NotFoundView() -> impl IntoView {
    view! {
        <section aria-labelledby="not-found-heading">
            <h1 id="not-found-heading">{move || t("notfound.title")}</h1>
            <p>{move || t("notfound.text")} " " <Link href="/activate">{move || t("nav.activate")}</Link></p>
        </section>
    }
}
