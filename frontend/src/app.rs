use leptos::prelude::*;
use leptos_router::{
    components::{A, Redirect, Route, Router, Routes},
    path,
};

use crate::views::{activate::ActivateView, history::HistoryView, not_found::NotFoundView};

#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <header class="top-bar">
                <h1 class="product">"Ad-hoc Activation Portal"</h1>
                <nav aria-label="Main">
                    <A href="/activate">"Activate"</A>
                    <A href="/history">"History"</A>
                </nav>
            </header>
            <main id="main">
                <Routes fallback=NotFoundView>
                    <Route path=path!("/") view=|| view! { <Redirect path="/activate" /> } />
                    <Route path=path!("/activate") view=ActivateView />
                    <Route path=path!("/history") view=HistoryView />
                </Routes>
            </main>
        </Router>
    }
}
