//! The marketer's portal: pick destinations and segments, see the guardrails, activate, follow runs.

mod app;
mod views;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
