//! The segments of the chosen destination: searchable, each with its size, when it was last
//! evaluated (an ad-hoc export writes that evaluation) and a status badge from the guardrails.

use leptos::prelude::*;
use shared::guardrails::ViolationCode;
use shared::ids::{DataflowId, SegmentId};
use shared::plan::Plan;
use shared::sandbox::AudienceSize;
use shared::time::EpochMillis;

use super::ActivateState;
use crate::format;
use crate::i18n::{Key, t, tr};
use crate::session::use_limits;
use crate::views::marks::{Mark, MarkKind};

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Badge {
    Ready,
    OutOfSchedule,
    Waiting(EpochMillis),
    Running,
    ExportRunning,
    Blocked,
}

impl Badge {
    fn class(&self) -> &'static str {
        match self {
            Self::Ready => "badge ready",
            Self::Waiting(_) => "badge waiting",
            _ => "badge blocked",
        }
    }

    fn mark(&self) -> MarkKind {
        match self {
            Self::Ready => MarkKind::Ok,
            Self::Waiting(_) => MarkKind::Waiting,
            _ => MarkKind::Blocked,
        }
    }

    fn text(&self) -> String {
        match self {
            Self::Ready => t(Key::BadgeReady).into(),
            Self::OutOfSchedule => t(Key::BadgeOutOfSchedule).into(),
            Self::Waiting(at) => format!("{} {} UTC", t(Key::BadgeWaiting), at.utc_hh_mm()),
            Self::Running => t(Key::BadgeRunning).into(),
            Self::ExportRunning => t(Key::BadgeExportRunning).into(),
            Self::Blocked => t(Key::BadgeBlocked).into(),
        }
    }
}

/// "12,345 profiles · evaluated 30 Nov 09:00 · ", or nothing before the sizes are in.
fn meta(size: Option<&AudienceSize>) -> String {
    let Some(size) = size else {
        return String::new();
    };
    let profiles = size
        .profiles
        .map(|n| format!("{} {} · ", format::count(n), t(Key::SegmentsProfiles)));
    let evaluated = size.evaluated_at.map(|at| {
        format!(
            "{} {} · ",
            t(Key::SegmentsEvaluated),
            format::local_instant(at)
        )
    });
    profiles.unwrap_or_default() + &evaluated.unwrap_or_default()
}

#[derive(Clone, Debug, PartialEq)]
pub struct SegmentRow {
    pub id: String,
    pub name: String,
    /// Lower-cased name and id, for the search.
    haystack: String,
}

/// Rows drawn at once: a search narrows 4,000 segments faster than a scroll bar. The keystroke
/// that replaces every drawn row (typing "…01" over the bulk destination) is mostly the
/// browser's DOM, style and layout work per row: with the components type-erased it took
/// 16.8–21.4 ms for 50 rows, over one 16.7 ms frame, and 11.8–14.7 ms for 30 (one round of five
/// at 17.2), which are three screens of the list; "Show more" draws the rest.
const SHOWN_AT_ONCE: usize = 30;

#[component]
pub fn SegmentPicker(state: ActivateState) -> impl IntoView {
    let limits = use_limits();
    let search = RwSignal::new(String::new());
    // The clock moves the "waiting until" badges; a minute is fine enough.
    let minute = RwSignal::new(crate::api::now());
    if let Ok(handle) = set_interval_with_handle(
        move || minute.set(crate::api::now()),
        std::time::Duration::from_secs(60),
    ) {
        on_cleanup(move || handle.clear());
    }
    let rows = Memo::new(move |_| {
        let (Some(facts), Some(dataflow)) = (state.facts.get(), state.selected.get()) else {
            return Vec::new();
        };
        facts
            .destination(&dataflow)
            .map(|destination| {
                destination
                    .segments
                    .iter()
                    .map(|s| SegmentRow {
                        id: s.id.clone(),
                        name: s.name.clone(),
                        haystack: format!("{} {}", s.name.to_lowercase(), s.id.to_lowercase()),
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    });
    let shown = RwSignal::new(SHOWN_AT_ONCE);
    Effect::new(move |_| {
        state.selected.track();
        shown.set(SHOWN_AT_ONCE);
    });
    // The badge of one segment: the shared guardrails on a plan of just that entry.
    let badge_of = move |id: &str| -> Badge {
        let (Some(facts), Some(dataflow)) = (state.facts.get(), state.selected.get()) else {
            return Badge::Blocked;
        };
        let now = minute.get();
        let Ok(plan) = Plan::of_one(&dataflow, id) else {
            return Badge::Blocked;
        };
        match facts.check(&plan, now, &limits.get()).first() {
            None => Badge::Ready,
            Some(v) => match v.code {
                ViolationCode::OutOfSchedule => Badge::OutOfSchedule,
                ViolationCode::FirstActivationWait => Badge::Waiting(v.ready_at.unwrap_or(now)),
                ViolationCode::RunInProgress => Badge::Running,
                ViolationCode::ScheduledExportRunning | ViolationCode::DataflowRunProcessing => {
                    Badge::ExportRunning
                }
                _ => Badge::Blocked,
            },
        }
    };
    // Positions in `rows`, not rows: a keystroke over 4,000 segments must not copy them.
    let matching = Memo::new(move |_| {
        let needle = search.get().trim().to_lowercase();
        rows.with(|rows| {
            rows.iter()
                .enumerate()
                .filter(|(_, r)| needle.is_empty() || r.haystack.contains(&needle))
                .map(|(position, _)| position)
                .collect::<Vec<_>>()
        })
    });
    let drawn = move || {
        let limit = shown.get();
        matching.with(|matching| {
            rows.with(|rows| {
                matching
                    .iter()
                    .take(limit)
                    .map(|&position| rows[position].clone())
                    .collect::<Vec<_>>()
            })
        })
    };
    let matching_count = move || matching.with(Vec::len);
    let chosen = move |id: &str| {
        let dataflow = state.selected.get();
        state
            .plan
            .with(|plan| dataflow.is_some_and(|d| plan.contains(&d, id)))
    };
    let toggle = move |id: String, on: bool| {
        let Some(dataflow) = state.selected.get_untracked() else {
            return;
        };
        state.plan.update(|plan| {
            if !on {
                plan.remove(&dataflow, &id);
            } else if let (Ok(dataflow), Ok(segment)) =
                (DataflowId::parse(dataflow), SegmentId::parse(id))
            {
                plan.add(dataflow, segment);
            }
        });
    };
    let select_all = move |_| {
        let Some(dataflow) = state.selected.get_untracked() else {
            return;
        };
        let ids: Vec<String> = matching.with_untracked(|matching| {
            rows.with_untracked(|rows| matching.iter().map(|&p| rows[p].id.clone()).collect())
        });
        let Ok(dataflow) = DataflowId::parse(dataflow) else {
            return;
        };
        state.plan.update(|plan| {
            for segment in ids.into_iter().filter_map(|id| SegmentId::parse(id).ok()) {
                plan.add(dataflow.clone(), segment);
            }
        });
    };
    let clear = move |_| {
        if let Some(dataflow) = state.selected.get_untracked() {
            state.plan.update(|plan| plan.remove_dataflow(&dataflow));
        }
    };
    view! {
        <section class="panel segments" aria-labelledby="segments-heading">
            <h2 id="segments-heading">
                {tr(Key::SegmentsTitle)}
                {move || state.selected.get().and_then(|d| state.facts.get()?.destination(&d).map(|d| format!(": {}", d.name)))}
            </h2>
            {move || match state.selected.get() {
                None => view! { <p>{t(Key::SegmentsChooseDestination)}</p> }.into_any(),
                Some(_) => view! {
                    <div class="segment-tools">
                        <label for="segment-search">{tr(Key::SegmentsSearch)}</label>
                        <input
                            id="segment-search"
                            type="search"
                            autocomplete="off"
                            prop:value=move || search.get()
                            on:input=move |ev| {
                                // Set together with the search, so one keystroke draws the list once.
                                if shown.get_untracked() != SHOWN_AT_ONCE {
                                    shown.set(SHOWN_AT_ONCE);
                                }
                                search.set(event_target_value(&ev));
                            }
                        />
                        <button on:click=select_all>{tr(Key::SegmentsSelectAll)}</button>
                        <button on:click=clear>{tr(Key::SegmentsClear)}</button>
                        <p class="segment-count" aria-live="polite">
                            {move || format!("{} / {} {}", matching_count(), rows.with(Vec::len), t(Key::SegmentsShown))}
                        </p>
                    </div>
                    {move || (matching_count() == 0).then(|| view! { <p>{t(Key::SegmentsNoneMatch)}</p> })}
                    <ul class="segment-list">
                        <For
                            each=drawn
                            key=|row| row.id.clone()
                            children=move |row| {
                                let checkbox_id = format!("segment-{}", row.id);
                                let id = row.id.clone();
                                let id_for_change = row.id.clone();
                                let badge = Memo::new({
                                    let id = row.id.clone();
                                    move |_| badge_of(&id)
                                });
                                // Sizes arrive after the pickers: the text follows them, and the
                                // row (with the focus it may hold) stays.
                                let meta = {
                                    let id = row.id.clone();
                                    move || state.audiences.with(|a| meta(a.as_ref().and_then(|a| a.get(&id))))
                                };
                                view! {
                                    <li class="segment">
                                        <input
                                            type="checkbox"
                                            id=checkbox_id.clone()
                                            prop:checked=move || chosen(&id)
                                            on:change=move |ev| toggle(id_for_change.clone(), event_target_checked(&ev))
                                        />
                                        <label for=checkbox_id>
                                            <span class="segment-name">{row.name.clone()}</span>
                                            <span class="segment-meta">
                                                {meta}
                                                <code>{row.id.clone()}</code>
                                            </span>
                                        </label>
                                        // One reactive closure for the badge, not one per attribute and
                                        // child: every closure is an allocation and a dynamic call once
                                        // components are type-erased.
                                        {move || {
                                            let badge = badge.get();
                                            view! {
                                                <span class=badge.class()>
                                                    <Mark kind=badge.mark() /> " " {badge.text()}
                                                </span>
                                            }
                                        }}
                                    </li>
                                }
                            }
                        />
                    </ul>
                    {move || (matching_count() > shown.get()).then(|| view! {
                        <button on:click=move |_| shown.update(|n| *n += SHOWN_AT_ONCE)>
                            {format!("{} ({} / {})", t(Key::SegmentsShowMore), shown.get(), matching_count())}
                        </button>
                    })}
                }.into_any(),
            }}
        </section>
    }
}
