use leptos::prelude::*;
use leptos::wasm_split::{SplitLoaderError, wasm_split};
use shared::portal::{Mode, Role};

use crate::i18n::{Key, Lang, t, tr, use_lang};
use crate::router::{Link, Location, Page};
use crate::session::{self, use_session};
use crate::views::{
    activate::ActivateView, history::HistoryView, history_detail::HistoryDetailView,
    loading::Loading, not_found::NotFoundView,
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
                    Page::History => from_its_own_module(history_page()),
                    Page::HistoryDetail(id) => from_its_own_module(history_detail_page(id)),
                    Page::NotFound => view! { <NotFoundView /> }.into_any(),
                }}
            </main>
    }
}

// History and a record's detail are wasm modules of their own, split off by `cargo xtask build`,
// fetched when the browser is idle and instantiated on the first visit: Activate, where
// marketers land, shows without them.

#[wasm_split(history_page, wasm_split_path = ::leptos::wasm_split, fallible)]
fn history_page() -> Result<AnyView, SplitLoaderError> {
    Ok(view! { <HistoryView /> }.into_any())
}

#[wasm_split(history_detail_page, wasm_split_path = ::leptos::wasm_split, fallible)]
fn history_detail_page(id: String) -> Result<AnyView, SplitLoaderError> {
    Ok(view! { <HistoryDetailView id=id /> }.into_any())
}

fn from_its_own_module(
    page: impl Future<Output = Result<AnyView, SplitLoaderError>> + Send + 'static,
) -> AnyView {
    view! {
        <Suspense fallback=Loading>
            {Suspend::new(async move {
                page.await.unwrap_or_else(|_| view! { <PageUnavailable /> }.into_any())
            })}
        </Suspense>
    }
    .into_any()
}

/// A page's module could not be fetched: the connection dropped, or the portal was updated since
/// this tab opened and the module it asks for is gone. Reloading fixes both.
#[component]
fn PageUnavailable() -> impl IntoView {
    view! {
        <div class="problem" role="alert">
            <p class="problem-title">{tr(Key::PageUnavailableTitle)}</p>
            <p>{tr(Key::PageUnavailableText)}</p>
        </div>
        <button on:click=|_| {
            let _ = window().location().reload();
        }>{tr(Key::PageUnavailableReload)}</button>
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
