//! The marketer's portal: pick destinations and segments, see the guardrails, activate, follow runs.

mod api;
mod app;
mod fetched;
mod format;
mod i18n;
mod router;
mod session;
mod views;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
