//! An instant as people read it: in their time zone, with UTC on hover and for machines.

use leptos::prelude::*;
use shared::time::EpochMillis;

use crate::format;

#[component]
pub fn Time(at: EpochMillis) -> impl IntoView {
    let (hour, minute, second) = at.utc_time_of_day();
    let machine = format!("{}T{hour:02}:{minute:02}:{second:02}Z", at.utc_date());
    view! {
        <time datetime=machine title=format::instant(at)>{format::local_instant(at)}</time>
    }
}
