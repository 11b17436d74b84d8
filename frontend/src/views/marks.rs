//! Status marks drawn as inline SVG: emoji and symbol glyphs (⏳, ✓) depend on the fonts of the
//! machine and render as empty boxes where none has them. Decorative: the words beside them say
//! the same, so the marks are hidden from screen readers.

use leptos::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkKind {
    Ok,
    Blocked,
    Waiting,
    Selected,
}

#[component]
pub fn Mark(kind: MarkKind) -> impl IntoView {
    let path = match kind {
        MarkKind::Ok => "M3 8.5l3 3 7-7",
        MarkKind::Blocked => "M4 4l8 8M12 4l-8 8",
        MarkKind::Waiting => "M8 3.5V8l3 2M8 1.5a6.5 6.5 0 1 0 0.01 0",
        MarkKind::Selected => "M5 3l6 5-6 5z",
    };
    let fill = if kind == MarkKind::Selected {
        "currentColor"
    } else {
        "none"
    };
    view! {
        <svg class="mark" viewBox="0 0 16 16" width="1em" height="1em" aria-hidden="true" focusable="false">
            <path d=path fill=fill stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" />
        </svg>
    }
}
