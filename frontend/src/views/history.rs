//! The portal's activations, newest first, with filters; refreshed while one is being sent or
//! checked.

use leptos::prelude::*;
use shared::portal::{HistoryPage, HistoryQuery, HistoryRecord, Outcome};
use shared::time::Date;

use crate::api;
use crate::format;
use crate::i18n::{Key, t};
use crate::router::Link;
use crate::views::loading::{LoadFailed, Loading, poll_while};

const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// The words for an outcome, and the CSS class that marks it.
pub fn outcome_key(outcome: Outcome) -> (Key, &'static str) {
    match outcome {
        Outcome::Pending => (Key::OutcomePending, "pending"),
        Outcome::Accepted => (Key::OutcomeAccepted, "accepted"),
        Outcome::Rejected => (Key::OutcomeRejected, "rejected"),
        Outcome::Failed => (Key::OutcomeFailed, "failed"),
        Outcome::Unknown => (Key::OutcomeUnknown, "unknown"),
    }
}

#[derive(Clone, Default, PartialEq)]
struct Filters {
    destination: String,
    segment: String,
    user: String,
    outcome: String,
    from: String,
    until: String,
}

impl Filters {
    fn query(&self, cursor: Option<&str>) -> String {
        let text = |value: &str| Some(value.trim().to_owned()).filter(|v| !v.is_empty());
        HistoryQuery {
            destination: text(&self.destination),
            segment: text(&self.segment),
            user: text(&self.user),
            outcome: serde_json::from_value(serde_json::Value::String(self.outcome.clone())).ok(),
            from: Date::parse(&self.from)
                .ok()
                .map(|date| date.start_millis().0),
            // The day chosen is included: the API's `to` is exclusive.
            to: Date::parse(&self.until)
                .ok()
                .map(|date| date.plus_days(1).start_millis().0),
            cursor: cursor.map(str::to_owned),
            limit: None,
        }
        .to_query_string()
    }
}

#[component]
pub fn HistoryView() -> impl IntoView {
    let filters = RwSignal::new(Filters::default());
    // The answer carries the query it answers: a resource keeps its last value while a new one
    // loads, and rows of the previous filter must not pass for the new filter's result.
    let page = LocalResource::new(move || {
        let query = filters.get().query(None);
        async move {
            let answer = api::history(&query).await;
            (query, answer)
        }
    });
    let stale = Memo::new(move |_| {
        let current = filters.with(|f| f.query(None));
        page.with(|answer| answer.as_ref().is_some_and(|(query, _)| *query != current))
    });
    let older = RwSignal::new(Vec::<HistoryRecord>::new());
    let next_cursor = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some((
            _,
            Ok(HistoryPage {
                next_cursor: cursor,
                ..
            }),
        )) = page.get()
        {
            older.set(Vec::new());
            next_cursor.set(cursor);
        }
    });
    let busy = move || {
        page.with(|answer| {
            let Some((_, Ok(first))) = answer else {
                return false;
            };
            first
                .items
                .iter()
                .any(|r| matches!(r.outcome, Outcome::Pending | Outcome::Unknown))
        })
    };
    poll_while(REFRESH_EVERY, busy, move || page.refetch());
    let load_older = move |_| {
        let Some(cursor) = next_cursor.get_untracked() else {
            return;
        };
        let query = filters.get_untracked().query(Some(&cursor));
        leptos::task::spawn_local(async move {
            if let Ok(more) = api::history(&query).await {
                older.update(|o| o.extend(more.items));
                next_cursor.set(more.next_cursor);
            }
        });
    };
    let field = move |key: &'static str,
                      label: Key,
                      get: fn(&Filters) -> String,
                      set: fn(&mut Filters, String)| {
        let id = format!("filter-{key}");
        view! {
            <label for=id.clone()>{move || t(label)}</label>
            <input id=id type=if matches!(key, "from" | "until") { "date" } else { "text" } prop:value=move || get(&filters.get())
                on:change=move |ev| filters.update(|f| set(f, event_target_value(&ev))) />
        }
    };
    view! {
        <section aria-labelledby="history-heading">
            <h1 id="history-heading">{move || t(Key::HistoryTitle)}</h1>
            <p class="intro">{move || t(Key::HistoryIntro)}</p>
            <form class="filters" on:submit=|ev| ev.prevent_default()>
                {field("destination", Key::HistoryFilterDestination, |f| f.destination.clone(), |f, v| f.destination = v)}
                {field("segment", Key::HistoryFilterSegment, |f| f.segment.clone(), |f, v| f.segment = v)}
                {field("user", Key::HistoryFilterUser, |f| f.user.clone(), |f, v| f.user = v)}
                <label for="filter-outcome">{move || t(Key::HistoryFilterOutcome)}</label>
                <select id="filter-outcome" on:change=move |ev| filters.update(|f| f.outcome = event_target_value(&ev))>
                    <option value="">{move || t(Key::HistoryFilterAny)}</option>
                    {[Outcome::Accepted, Outcome::Rejected, Outcome::Failed, Outcome::Unknown, Outcome::Pending].into_iter().map(|o| {
                        let value = serde_json::to_value(o).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
                        view! { <option value=value>{move || t(outcome_key(o).0)}</option> }
                    }).collect_view()}
                </select>
                {field("from", Key::HistoryFilterFrom, |f| f.from.clone(), |f, v| f.from = v)}
                {field("until", Key::HistoryFilterUntil, |f| f.until.clone(), |f, v| f.until = v)}
            </form>
            {move || stale.get().then(|| view! { <Loading /> })}
            <div class="results" aria-busy=move || stale.get().to_string()>
            {move || match page.get() {
                None => view! { <Loading /> }.into_any(),
                Some((_, Err(problem))) => view! { <LoadFailed problem=problem retry=move || page.refetch() /> }.into_any(),
                Some((_, Ok(first))) if first.items.is_empty() => view! { <p>{t(Key::HistoryEmpty)}</p> }.into_any(),
                Some((_, Ok(first))) => {
                    let records = Signal::derive(move || first.items.iter().cloned().chain(older.get()).collect::<Vec<_>>());
                    view! { <HistoryTable records=records /> }.into_any()
                }
            }}
            </div>
            {move || next_cursor.get().map(|_| view! { <button on:click=load_older>{t(Key::HistoryMore)}</button> })}
        </section>
    }
}

#[component]
fn HistoryTable(records: Signal<Vec<HistoryRecord>>) -> impl IntoView {
    view! {
        <table class="history">
            <caption>{move || t(Key::HistoryTitle)}</caption>
            <thead>
                <tr>
                    <th scope="col">{move || t(Key::HistoryWhen)}</th>
                    <th scope="col">{move || t(Key::HistoryWho)}</th>
                    <th scope="col">{move || t(Key::HistoryDestinations)}</th>
                    <th scope="col">{move || t(Key::HistorySegments)}</th>
                    <th scope="col">{move || t(Key::HistoryOutcome)}</th>
                    <th scope="col">{move || t(Key::HistoryDetails)}</th>
                </tr>
            </thead>
            <tbody>
                <For
                    each=move || records.get()
                    key=|r| (r.id.clone(), r.outcome)
                    children=|r| {
                        let segments: usize = r.activation_info.values().map(Vec::len).sum();
                        let destinations = r.activation_info.keys().cloned().collect::<Vec<_>>().join(", ");
                        let (key, class) = outcome_key(r.outcome);
                        view! {
                            <tr>
                                <td>{format::instant(r.created_at)}</td>
                                <td>{r.user.clone()}</td>
                                <td class="ids">{destinations}</td>
                                <td>{segments}</td>
                                <td><span class=format!("outcome outcome-{class}")>{move || t(key)}</span></td>
                                <td><Link href=format!("/history/{}", r.id)>{move || t(Key::HistoryDetails)}</Link></td>
                            </tr>
                        }
                    }
                />
            </tbody>
        </table>
    }
}

#[cfg(test)]
mod tests {
    use super::Filters;
    use shared::time::Date;

    #[test]
    fn the_until_date_is_included_and_the_from_date_starts_at_midnight_utc() {
        let filters = Filters {
            from: "2026-11-29".into(),
            until: "2026-11-30".into(),
            ..Filters::default()
        };
        let (from, day) = (
            Date::new(2026, 11, 29).unwrap().start_millis().0,
            86_400_000,
        );
        assert_eq!(
            filters.query(None),
            format!("from={from}&to={}", from + 2 * day)
        );
    }
}
