//! The portal's activations, newest first, with filters; refreshed while one is being sent or
//! checked.

use leptos::prelude::*;
use std::collections::BTreeMap;

use shared::portal::{HistoryPage, HistoryQuery, HistoryRecord, Names, Outcome, RunsState};
use shared::time::Date;

use crate::api;
use crate::fetched::Fetched;
use crate::format;
use crate::i18n::{Key, t, tr};
use crate::router::Link;
use crate::views::history_charts::HistoryCharts;
use crate::views::loading::{LoadFailed, Loading, poll_while};
use crate::views::time::Time;

const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// The words for an outcome, and the CSS class that marks it.
pub fn outcome_key(outcome: Outcome) -> (Key, &'static str) {
    match outcome {
        Outcome::Pending => (Key::OutcomePending, "pending"),
        Outcome::Accepted => (Key::OutcomeAccepted, "accepted"),
        Outcome::Rejected => (Key::OutcomeRejected, "rejected"),
        Outcome::Failed => (Key::OutcomeFailed, "failed"),
        Outcome::Unknown => (Key::OutcomeUnknown, "unknown"),
        Outcome::Scheduled => (Key::OutcomeScheduled, "scheduled"),
        Outcome::AwaitingApproval => (Key::OutcomeAwaitingApproval, "awaiting-approval"),
        Outcome::Queued => (Key::OutcomeQueued, "queued"),
        Outcome::Cancelled => (Key::OutcomeCancelled, "cancelled"),
    }
}

#[derive(Clone, Default, PartialEq)]
struct Filters {
    destination: String,
    segment: String,
    user: String,
    outcome: String,
    runs: String,
    from: String,
    until: String,
}

impl Filters {
    fn query(&self, cursor: Option<&str>) -> String {
        self.query_in(cursor, format::local_day_start)
    }

    /// The API's query, with the date filters' days starting as `day_start` says: the user's
    /// local midnight in the browser.
    fn query_in(&self, cursor: Option<&str>, day_start: fn(Date) -> i64) -> String {
        let text = |value: &str| Some(value.trim().to_owned()).filter(|v| !v.is_empty());
        fn word<T: serde::de::DeserializeOwned>(value: &str) -> Option<T> {
            serde_json::from_value(serde_json::Value::String(value.to_owned())).ok()
        }
        HistoryQuery {
            destination: text(&self.destination),
            segment: text(&self.segment),
            user: text(&self.user),
            outcome: word(&self.outcome),
            runs: word(&self.runs),
            from: Date::parse(&self.from).ok().map(day_start),
            // The day chosen is included: the API's `to` is exclusive.
            to: Date::parse(&self.until)
                .ok()
                .map(|date| day_start(date.plus_days(1))),
            cursor: cursor.map(str::to_owned),
            limit: None,
        }
        .to_query_string()
    }

    /// The filters as the address writes them (`?destination=...&from=2026-11-30`), so that a
    /// filtered view can be shared.
    fn fields(&mut self) -> [(&'static str, &mut String); 7] {
        [
            ("destination", &mut self.destination),
            ("segment", &mut self.segment),
            ("user", &mut self.user),
            ("outcome", &mut self.outcome),
            ("runs", &mut self.runs),
            ("from", &mut self.from),
            ("until", &mut self.until),
        ]
    }

    fn to_address(&self) -> String {
        let mut copy = self.clone();
        let pairs: Vec<String> = copy
            .fields()
            .into_iter()
            .filter(|(_, value)| !value.trim().is_empty())
            .map(|(key, value)| {
                format!(
                    "{key}={}",
                    String::from(js_sys::encode_uri_component(value.trim()))
                )
            })
            .collect();
        if pairs.is_empty() {
            String::new()
        } else {
            format!("?{}", pairs.join("&"))
        }
    }

    fn from_address(search: &str) -> Self {
        let mut filters = Self::default();
        for pair in search.trim_start_matches('?').split('&') {
            let Some((key, value)) = pair.split_once('=') else {
                continue;
            };
            let value = js_sys::decode_uri_component(&value.replace('+', " "))
                .map(String::from)
                .unwrap_or_default();
            if let Some((_, field)) = filters.fields().into_iter().find(|(k, _)| *k == key) {
                *field = value;
            }
        }
        filters
    }
}

/// "A, B and 3 more": the first few names, then how many others.
fn first_few(names: Vec<String>, shown: usize) -> String {
    let more = names.len().saturating_sub(shown);
    let mut text = names.into_iter().take(shown).collect::<Vec<_>>().join(", ");
    if more > 0 {
        text.push_str(&format!(
            " {} {more} {}",
            t(Key::HistoryAnd),
            t(Key::HistoryMoreNames)
        ));
    }
    text
}

/// "2 of 2 succeeded", "1 failed", "running"; nothing for a record without runs.
/// Whether a record has runs of its own to tell about: an accepted activation, not a split
/// plan (its runs are its parts'). No text here: pollers call it outside any component.
fn has_runs(record: &HistoryRecord) -> bool {
    record.outcome == Outcome::Accepted && record.plan.parts.is_empty()
}

pub fn runs_text(record: &HistoryRecord) -> Option<(String, &'static str)> {
    if !has_runs(record) {
        return None;
    }
    let Some(runs) = record.runs else {
        return Some((t(Key::RunsRunning).to_owned(), "running"));
    };
    Some(match runs.state() {
        RunsState::Running => (
            format!(
                "{} ({} / {})",
                t(Key::RunsRunning),
                runs.total - runs.running(),
                runs.total
            ),
            "running",
        ),
        RunsState::Failed => (format!("{} {}", runs.failed, t(Key::RunsFailed)), "failed"),
        RunsState::Succeeded => (
            format!(
                "{} / {} {}",
                runs.succeeded,
                runs.total,
                t(Key::RunsSucceeded)
            ),
            "succeeded",
        ),
    })
}

fn address_search() -> String {
    window().location().search().unwrap_or_default()
}

#[component]
pub fn HistoryView() -> impl IntoView {
    let filters = RwSignal::new(Filters::from_address(&address_search()));
    // The address follows the filters (replaced, not pushed: the back button leaves History).
    Effect::new(move |_| {
        let address = format!("/history{}", filters.with(Filters::to_address));
        let _ = window()
            .history()
            .map(|h| h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&address)));
    });
    // Names to choose from: the destinations and segments the Platform has now.
    let sandbox = Fetched::new(api::sandbox_facts);
    // The answer carries the query it answers: a resource keeps its last value while a new one
    // loads, and rows of the previous filter must not pass for the new filter's result.
    let page = Fetched::new(move || {
        let query = filters.get().query(None);
        async move {
            let answer = api::history(&query).await;
            (query, answer)
        }
    });
    let days = Fetched::new(move || {
        let query = filters.get().query(None);
        async move { api::history_days(&query).await.unwrap_or_default() }
    });
    let days = Signal::derive(move || days.get().unwrap_or_default());
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
            first.items.iter().any(|r| {
                matches!(
                    r.outcome,
                    Outcome::Pending | Outcome::Unknown | Outcome::Queued
                ) || (runs_text(r).is_some()
                    && r.runs.is_none_or(|runs| runs.state() == RunsState::Running))
            })
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
    // Names as the Platform has them now, where the destination or segment still exists; the
    // record's own names otherwise (renamed or deleted since).
    let current_names = Memo::new(move |_| {
        let mut names = Names::default();
        sandbox.with(|sandbox| {
            for destination in sandbox.iter().flatten().flat_map(|s| &s.destinations) {
                names
                    .destinations
                    .insert(destination.id.clone(), destination.name.clone());
                for segment in &destination.segments {
                    names
                        .segments
                        .insert(segment.id.clone(), segment.name.clone());
                }
            }
        });
        names
    });
    let destinations = move || {
        let mut known: Vec<(String, String)> = current_names.with(|names| {
            names
                .destinations
                .iter()
                .map(|(id, name)| (id.clone(), name.clone()))
                .collect()
        });
        shared::sort::sort_by(&mut known, |a, b| a.1.cmp(&b.1));
        known
    };
    let segment_names = move || {
        let mut names: Vec<String> =
            current_names.with(|names| names.segments.values().cloned().collect());
        shared::sort::sort(&mut names);
        names.dedup();
        names
    };
    let users = move || {
        let mut users: Vec<String> = page.with(|answer| match answer {
            Some((_, Ok(first))) => first.items.iter().map(|r| r.user.clone()).collect(),
            _ => Vec::new(),
        });
        shared::sort::sort(&mut users);
        users.dedup();
        users
    };
    let text_field = move |key: &'static str,
                           label: Key,
                           list: Option<&'static str>,
                           get: fn(&Filters) -> String,
                           set: fn(&mut Filters, String)| {
        let id = format!("filter-{key}");
        view! {
            <label for=id.clone()>{move || t(label)}</label>
            <input id=id type=if matches!(key, "from" | "until") { "date" } else { "text" } list=list prop:value=move || get(&filters.get())
                on:change=move |ev| filters.update(|f| set(f, event_target_value(&ev))) />
        }
    };
    view! {
        <section aria-labelledby="history-heading">
            <h1 id="history-heading">{tr(Key::HistoryTitle)}</h1>
            <p class="intro">{tr(Key::HistoryIntro)}</p>
            <form class="filters" on:submit=|ev| ev.prevent_default()>
                <label for="filter-destination">{tr(Key::HistoryFilterDestination)}</label>
                <select id="filter-destination" prop:value=move || filters.get().destination
                    on:change=move |ev| filters.update(|f| f.destination = event_target_value(&ev))>
                    <option value="">{tr(Key::HistoryFilterAny)}</option>
                    {move || destinations().into_iter().map(|(id, name)| {
                        let selected = filters.with_untracked(|f| f.destination == id);
                        view! { <option value=id selected=selected>{name}</option> }
                    }).collect_view()}
                </select>
                {text_field("segment", Key::HistoryFilterSegment, Some("segment-suggestions"), |f| f.segment.clone(), |f, v| f.segment = v)}
                <datalist id="segment-suggestions">
                    {move || segment_names().into_iter().map(|name| view! { <option value=name></option> }).collect_view()}
                </datalist>
                {text_field("user", Key::HistoryFilterUser, Some("user-suggestions"), |f| f.user.clone(), |f, v| f.user = v)}
                <datalist id="user-suggestions">
                    {move || users().into_iter().map(|user| view! { <option value=user></option> }).collect_view()}
                </datalist>
                <label for="filter-outcome">{tr(Key::HistoryFilterOutcome)}</label>
                <select id="filter-outcome" prop:value=move || filters.get().outcome
                    on:change=move |ev| filters.update(|f| f.outcome = event_target_value(&ev))>
                    <option value="">{tr(Key::HistoryFilterAny)}</option>
                    {[Outcome::Accepted, Outcome::Rejected, Outcome::Failed, Outcome::Unknown, Outcome::Pending, Outcome::Scheduled, Outcome::AwaitingApproval, Outcome::Cancelled].into_iter().map(|o| {
                        let value = serde_json::to_value(o).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
                        view! { <option value=value>{move || t(outcome_key(o).0)}</option> }
                    }).collect_view()}
                </select>
                <label for="filter-runs">{tr(Key::HistoryFilterRuns)}</label>
                <select id="filter-runs" prop:value=move || filters.get().runs
                    on:change=move |ev| filters.update(|f| f.runs = event_target_value(&ev))>
                    <option value="">{tr(Key::HistoryFilterAny)}</option>
                    <option value="running">{tr(Key::RunsRunning)}</option>
                    <option value="failed">{tr(Key::RunsSomeFailed)}</option>
                    <option value="succeeded">{tr(Key::RunsAllSucceeded)}</option>
                </select>
                {text_field("from", Key::HistoryFilterFrom, None, |f| f.from.clone(), |f, v| f.from = v)}
                {text_field("until", Key::HistoryFilterUntil, None, |f| f.until.clone(), |f, v| f.until = v)}
            </form>
            <AwaitingApproval />
            <HistoryCharts days=days />
            <p class="export">
                <a class="button" download="adhoc-activation-history.csv"
                    href=move || format!("/api/history.csv?{}", filters.with(|f| f.query(None)))>
                    {tr(Key::HistoryDownloadCsv)}
                </a>
            </p>
            {move || stale.get().then(|| view! { <Loading /> })}
            <div class="results" aria-busy=move || stale.get().to_string()>
            {move || match page.get() {
                None => view! { <Loading /> }.into_any(),
                Some((_, Err(problem))) => view! { <LoadFailed problem=problem retry=move || page.refetch() /> }.into_any(),
                Some((_, Ok(first))) if first.items.is_empty() => view! { <p>{t(Key::HistoryEmpty)}</p> }.into_any(),
                Some((_, Ok(first))) => {
                    let records = Signal::derive(move || first.items.iter().cloned().chain(older.get()).collect::<Vec<_>>());
                    view! { <HistoryTable records=records current=current_names /> }.into_any()
                }
            }}
            </div>
            {move || next_cursor.get().map(|_| view! { <button on:click=load_older>{t(Key::HistoryMore)}</button> })}
        </section>
    }
}

/// Plans another activator must approve or reject, for activators to see first.
#[component]
fn AwaitingApproval() -> impl IntoView {
    let can_activate = crate::session::use_can_activate();
    let waiting = Fetched::new(|| async {
        api::history("outcome=awaiting_approval&limit=50")
            .await
            .map(|page| page.items)
            .unwrap_or_default()
    });
    move || {
        let items = waiting.get().unwrap_or_default();
        (can_activate.get() && !items.is_empty()).then(|| view! {
            <section class="panel awaiting" aria-labelledby="awaiting-heading">
                <h2 id="awaiting-heading">{t(Key::HistoryWaitingForApproval)}</h2>
                <ul>
                    {items.into_iter().map(|r| {
                        let destinations = first_few(r.activation_info.keys().map(|d| r.names.destination(d).to_owned()).collect(), NAMES_SHOWN);
                        let entries: usize = r.activation_info.values().map(Vec::len).sum();
                        view! {
                            <li>
                                <Time at=r.created_at /> " · " {r.user.clone()} " · " {destinations} " · " {entries} " "
                                {t(Key::PlanEntries)} " "
                                <Link href=format!("/history/{}", r.id)>{t(Key::HistoryDetails)}</Link>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
        })
    }
}

/// Destinations and segments shown in a row.
const NAMES_SHOWN: usize = 3;

/// The name to show for `id`: the Platform's current one, else the one recorded.
fn name_of(
    current: &BTreeMap<String, String>,
    recorded: &BTreeMap<String, String>,
    id: &str,
) -> String {
    current
        .get(id)
        .or_else(|| recorded.get(id))
        .cloned()
        .unwrap_or_else(|| id.to_owned())
}

#[component]
fn HistoryTable(records: Signal<Vec<HistoryRecord>>, current: Memo<Names>) -> impl IntoView {
    view! {
        <table class="history">
            <caption>{tr(Key::HistoryTitle)}</caption>
            <thead>
                <tr>
                    <th scope="col">{tr(Key::HistoryWhen)}</th>
                    <th scope="col">{tr(Key::HistoryWho)}</th>
                    <th scope="col">{tr(Key::HistoryDestinations)}</th>
                    <th scope="col">{tr(Key::HistorySegments)}</th>
                    <th scope="col">{tr(Key::HistoryOutcome)}</th>
                    <th scope="col">{tr(Key::HistoryRuns)}</th>
                    <th scope="col">{tr(Key::HistoryDetails)}</th>
                </tr>
            </thead>
            <tbody>
                <For
                    each=move || records.get()
                    key=|r| (r.id.clone(), r.outcome, r.runs)
                    children=move |r| {
                        let (key, class) = outcome_key(r.outcome);
                        let record = r.clone();
                        let destinations = {
                            let record = record.clone();
                            move || current.with(|now| first_few(record.activation_info.keys().map(|d| name_of(&now.destinations, &record.names.destinations, d)).collect(), NAMES_SHOWN))
                        };
                        let segments = {
                            let record = record.clone();
                            move || {
                                let mut names: Vec<String> = current.with(|now| record.activation_info.values().flatten().map(|s| name_of(&now.segments, &record.names.segments, s)).collect());
                                names.dedup();
                                first_few(names, NAMES_SHOWN)
                            }
                        };
                        let runs = move || runs_text(&record);
                        view! {
                            <tr>
                                <td><Time at=r.created_at /></td>
                                <td>{r.user.clone()}</td>
                                <td>{destinations}</td>
                                <td>{segments}</td>
                                <td><span class=format!("outcome outcome-{class}")>{move || t(key)}</span></td>
                                <td>{move || runs().map(|(text, class)| view! { <span class=format!("runs runs-{class}")>{text}</span> })}</td>
                                <td><Link href=format!("/history/{}", r.id)>{tr(Key::HistoryDetails)}</Link></td>
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
    fn the_until_date_is_included_and_each_day_starts_where_the_day_start_says() {
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
            filters.query_in(None, |date| date.start_millis().0),
            format!("from={from}&to={}", from + 2 * day)
        );
    }
}
