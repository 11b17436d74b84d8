//! The portal's addresses and the links between them. Four pages need no router crate, and the
//! one we had was a sixth of the bundle.

use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::JsValue;

/// What an address shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Page {
    Activate,
    History,
    HistoryDetail(String),
    NotFound,
}

impl Page {
    pub fn of(path: &str) -> Self {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        match parts.as_slice() {
            [""] | ["activate"] => Self::Activate,
            ["history"] => Self::History,
            // History ids are UUIDs: nothing to decode.
            ["history", id] => Self::HistoryDetail((*id).to_owned()),
            _ => Self::NotFound,
        }
    }
}

/// The path the browser shows, kept in step with the back and forward buttons.
#[derive(Clone, Copy)]
pub struct Location {
    path: RwSignal<String>,
}

impl Location {
    /// Starts following the browser's address; `/` becomes `/activate`.
    pub fn provide() -> Self {
        if current_path() == "/" {
            let _ = history().replace_state_with_url(&JsValue::NULL, "", Some("/activate"));
        }
        let location = Self {
            path: RwSignal::new(current_path()),
        };
        let listener = window_event_listener(ev::popstate, move |_| {
            location.path.set(current_path());
        });
        on_cleanup(move || listener.remove());
        provide_context(location);
        location
    }

    pub fn page(self) -> Memo<Page> {
        Memo::new(move |_| self.path.with(|path| Page::of(path)))
    }

    fn go(self, href: &str) {
        if history()
            .push_state_with_url(&JsValue::NULL, "", Some(href))
            .is_ok()
        {
            self.path.set(current_path());
            window().scroll_to_with_x_and_y(0.0, 0.0);
        } else {
            let _ = window().location().set_href(href);
        }
    }

    /// The link's own page or one below it, as `aria-current` says.
    fn is_current(self, href: &str) -> bool {
        self.path.with(|path| {
            path == href
                || path
                    .strip_prefix(href)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
    }
}

/// A link inside the app: followed without reloading the page unless the user asked for a new
/// tab or window.
#[component]
pub fn Link(#[prop(into)] href: String, children: Children) -> impl IntoView {
    let location = expect_context::<Location>();
    let current = {
        let href = href.clone();
        move || location.is_current(&href).then_some("page")
    };
    let target = href.clone();
    let follow = move |event: ev::MouseEvent| {
        let modified = event.ctrl_key() || event.meta_key() || event.shift_key() || event.alt_key();
        if event.default_prevented() || event.button() != 0 || modified {
            return;
        }
        event.prevent_default();
        location.go(&target);
    };
    view! {
        <a href=href aria-current=current on:click=follow>
            {children()}
        </a>
    }
}

fn current_path() -> String {
    window()
        .location()
        .pathname()
        .unwrap_or_else(|_| "/".into())
}

fn history() -> web_sys::History {
    window().history().expect("a browser window has a history")
}

#[cfg(test)]
mod tests {
    use super::Page;

    #[test]
    fn addresses_map_to_pages() {
        assert_eq!(Page::of("/"), Page::Activate);
        assert_eq!(Page::of("/activate"), Page::Activate);
        assert_eq!(Page::of("/history/"), Page::History);
        assert_eq!(
            Page::of("/history/0b1e"),
            Page::HistoryDetail("0b1e".into())
        );
        assert_eq!(Page::of("/nowhere"), Page::NotFound);
        assert_eq!(Page::of("/history/a/b"), Page::NotFound);
    }
}
