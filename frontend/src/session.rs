//! The signed-in user's session, loaded once and shared by every view. A leaf: it knows no
//! view, so views and the app shell both depend on it and not on each other.

use leptos::prelude::*;
use shared::guardrails::Limits;
use shared::portal::Session;

use crate::api;
use crate::fetched::Fetched;

/// The session as it loads: `None` until the portal answers.
pub type SessionResource = Fetched<Result<Session, api::Problem>>;

/// Loads the session and makes it available to every component below.
pub fn provide() -> SessionResource {
    let session: SessionResource = Fetched::new(api::session);
    provide_context(session);
    session
}

pub fn use_session() -> SessionResource {
    expect_context::<SessionResource>()
}

/// The guardrail limits in force, the defaults until the session has loaded.
pub fn use_limits() -> Signal<Limits> {
    let session = use_session();
    Signal::derive(move || {
        session
            .get()
            .and_then(Result::ok)
            .map(|s| s.limits)
            .unwrap_or_default()
    })
}

/// Whether the user may activate; `false` until the session has loaded.
pub fn use_can_activate() -> Signal<bool> {
    let session = use_session();
    Signal::derive(move || {
        session
            .get()
            .and_then(Result::ok)
            .is_some_and(|s| s.can_activate())
    })
}
