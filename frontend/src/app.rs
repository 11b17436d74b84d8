use leptos::prelude::*;
use shared::portal::{Mode, Role};

use crate::i18n::{Key, Lang, t, tr, use_lang};
use crate::router::{Link, Location, Page};
use crate::session::{self, use_session};
use crate::views::{
    activate::ActivateView, history::HistoryView, history_detail::HistoryDetailView,
    not_found::NotFoundView,
};

#[component]
pub fn App() -> impl IntoView {
    let lang = RwSignal::new(Lang::initial());
    provide_context(lang);
    Effect::new(move |_| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("lang", lang.get().code());
        }
        document().set_title(crate::i18n::text(lang.get(), Key::AppTitle));
    });
    session::provide();
    let page = Location::provide().page();
    view! {
            <DemoBanner />
            <header class="top-bar">
                <p class="product">{tr(Key::AppTitle)}</p>
                <nav aria-label=tr(Key::NavLabel)>
                    <Link href="/activate">{tr(Key::NavActivate)}</Link>
                    <Link href="/history">{tr(Key::NavHistory)}</Link>
                </nav>
                <div class="top-bar-end">
                    <CurrentUser />
                    <LanguageSwitch />
                </div>
            </header>
            <main id="main">
                {move || match page.get() {
                    Page::Activate => view! { <ActivateView /> }.into_any(),
                    Page::History => view! { <HistoryView /> }.into_any(),
                    Page::HistoryDetail(id) => view! { <HistoryDetailView id=id /> }.into_any(),
                    Page::NotFound => view! { <NotFoundView /> }.into_any(),
                }}
            </main>
    }
}

#[component]
fn DemoBanner() -> impl IntoView {
    let session = use_session();
    move || {
        let demo = matches!(session.get(), Some(Ok(s)) if s.mode == Mode::Demo);
        demo.then(|| view! { <p class="demo-banner" role="status">{tr(Key::DemoBanner)}</p> })
    }
}

#[component]
fn CurrentUser() -> impl IntoView {
    let session = use_session();
    move || {
        session.get().and_then(Result::ok).map(|s| {
            let role = if s.roles.contains(&Role::Activator) {
                Key::SessionActivator
            } else {
                Key::SessionViewer
            };
            view! {
                <p class="current-user">
                    <span class="user-name">{s.user.clone()}</span>
                    " · "
                    <span class="user-role">{move || t(role)}</span>
                    " · "
                    <span class="sandbox">{tr(Key::SessionSandbox)} " " {s.sandbox.clone()}</span>
                </p>
            }
        })
    }
}

#[component]
fn LanguageSwitch() -> impl IntoView {
    let lang = use_lang();
    view! {
        <label class="language">
            {tr(Key::LangLabel)}
            " "
            <select
                prop:value=move || lang.get().code()
                on:change=move |ev| {
                    let chosen = if event_target_value(&ev) == "ko" { Lang::Ko } else { Lang::En };
                    chosen.remember();
                    lang.set(chosen);
                }
            >
                <option value="en">"English"</option>
                <option value="ko">"한국어"</option>
            </select>
        </label>
    }
}
