//! The states every loading view goes through, drawn one way: loading, failed with a way to try
//! again, and refreshed on a timer while something is still in progress.

use std::time::Duration;

use leptos::prelude::*;

use crate::api::Problem;
use crate::i18n::{Key, tr};
use crate::views::problem::ProblemMessage;

#[component]
pub fn Loading() -> impl IntoView {
    view! { <p role="status">{tr(Key::CommonLoading)}</p> }
}

/// The problem, and a button that asks again.
#[component]
pub fn LoadFailed<F>(problem: Problem, retry: F) -> impl IntoView
where
    F: Fn() + Copy + 'static,
{
    view! {
        <ProblemMessage problem=problem />
        <button on:click=move |_| retry()>{tr(Key::CommonRetry)}</button>
    }
}

/// Calls `refresh` every `every` while `active()` holds, for as long as the calling component
/// lives.
pub fn poll_while(
    every: Duration,
    active: impl Fn() -> bool + 'static,
    refresh: impl Fn() + 'static,
) {
    if let Ok(handle) = set_interval_with_handle(
        move || {
            if active() {
                refresh();
            }
        },
        every,
    ) {
        on_cleanup(move || handle.clear());
    }
}
