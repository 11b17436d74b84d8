//! The plan: destination×segment entries, the count against the limit, every guardrail
//! violation live, and the Activate button that says why it is disabled.

use leptos::html;
use leptos::prelude::*;
use shared::plan::Plan;
use shared::portal::Outcome;

use super::orders::Submitted;
use super::{ActivateState, PLAN_SEGMENTS};
use crate::api::{self, Problem};
use crate::i18n::{Key, Lang, t, tr, use_lang};
use crate::router::Link;
use crate::session::{use_can_activate, use_limits};
use crate::views::marks::{Mark, MarkKind};
use crate::views::problem::ProblemMessage;

#[component]
pub fn PlanPanel(state: ActivateState) -> impl IntoView {
    let can_activate = use_can_activate();
    let lang = use_lang();
    let limits = use_limits();
    let confirming = RwSignal::new(false);
    let checking = RwSignal::new(false);
    let problem = RwSignal::new(None::<Problem>);
    // One key per confirmation: a double click or a retry cannot activate twice.
    let key = RwSignal::new(api::new_key());
    let violations = Memo::new(move |_| {
        let plan = state.plan.get();
        if plan.is_empty() {
            return Vec::new();
        }
        state
            .facts
            .get()
            .map(|f| f.check(&plan, api::now(), &limits.get()))
            .unwrap_or_default()
    });
    let count = move || state.plan.with(Plan::count);
    let blocked_reason = move || {
        if !can_activate.get() {
            Some(Key::ActivateViewer)
        } else if state.plan.with(|p| p.is_empty()) {
            Some(Key::ActivateNothing)
        } else if checking.get() {
            Some(Key::ActivateChecking)
        } else if !violations.get().is_empty() {
            Some(Key::ActivateFixFirst)
        } else {
            None
        }
    };
    let name_of = move |dataflow: &str, segment: Option<&str>| -> String {
        let Some(facts) = state.facts.get_untracked() else {
            return segment.unwrap_or(dataflow).to_owned();
        };
        let destination = facts.destination(dataflow);
        match segment {
            None => destination.map_or(dataflow.to_owned(), |d| d.name.clone()),
            Some(segment) => destination
                .and_then(|d| d.segment_name(segment).map(str::to_owned))
                .unwrap_or_else(|| segment.to_owned()),
        }
    };
    let confirm_button = NodeRef::<html::Button>::new();
    Effect::new(move |_| {
        if confirming.get()
            && let Some(button) = confirm_button.get()
        {
            let _ = button.focus();
        }
    });
    // The pickers know the runs of the dataflows shown; a segment may be running on another.
    // Just before the confirmation the browser asks for the runs exactly as the proxy will
    // (shared::facts::run_queries), and for the sandbox facts again; if a look fails, the
    // portal still checks on its side.
    let open_confirmation = move |_| {
        let plan = state.plan.get_untracked();
        checking.set(true);
        leptos::task::spawn_local(async move {
            let (runs, ()) = futures::join!(api::runs_for(&plan), state.refresh_sandbox());
            if let Ok(runs) = runs {
                state.runs.update(|known| {
                    known.insert(PLAN_SEGMENTS.to_owned(), runs);
                });
            }
            checking.set(false);
            if violations.get_untracked().is_empty() {
                confirming.set(true);
            }
        });
    };
    // Not a Leptos Action: measured, one costs 3.2 KB of gzip in the bundle, which is over its
    // budget already; the pending state is one signal here.
    let sending = RwSignal::new(false);
    // Sends the plan now (`run_at` None) or schedules it; either way through POST /api/plans.
    let waiting_note = RwSignal::new(None::<(Key, String)>);
    let scheduling = RwSignal::new(false);
    let submit = move |run_at: Option<String>, split: bool| {
        let plan = state.plan.get_untracked();
        let idempotency_key = key.get_untracked();
        sending.set(true);
        problem.set(None);
        waiting_note.set(None);
        leptos::task::spawn_local(async move {
            let outcome = api::create_plan(&plan, run_at, split, &idempotency_key).await;
            sending.set(false);
            confirming.set(false);
            scheduling.set(false);
            key.set(api::new_key());
            match outcome {
                Ok(record) => {
                    state.plan.set(Plan::new());
                    let link = format!("/history/{}", record.id);
                    match record.outcome {
                        Outcome::Scheduled => waiting_note.set(Some((Key::PlanScheduled, link))),
                        Outcome::AwaitingApproval => {
                            waiting_note.set(Some((Key::PlanAwaitingApproval, link)))
                        }
                        Outcome::Queued => waiting_note.set(Some((Key::PlanSplit, link))),
                        _ => {
                            for dataflow in plan.dataflows() {
                                state.load_runs(dataflow.to_string());
                            }
                            state.submitted.set(Some(Submitted::new(
                                record.orders,
                                Some(format!("/api{link}")),
                            )));
                        }
                    }
                }
                Err(refused) => problem.set(Some(refused)),
            }
        });
    };
    let send = move |_| submit(None, false);
    // A plan broken only by the entry limit or runs in progress can go as parts.
    let can_split = move || {
        let violations = violations.get();
        can_activate.get()
            && !violations.is_empty()
            && violations.iter().all(|v| {
                matches!(
                    v.code,
                    shared::guardrails::ViolationCode::TooManyEntries
                        | shared::guardrails::ViolationCode::RunInProgress
                )
            })
    };
    // "Schedule…": a time in the user's zone, shown in UTC too; sent as RFC 3339 (UTC).
    let schedule_at = RwSignal::new(String::new());
    let schedule_utc = move || {
        let local = schedule_at.get();
        (!local.is_empty())
            .then(|| js_sys::Date::new(&wasm_bindgen::JsValue::from_str(&local)))
            .filter(|d| !d.get_time().is_nan())
            .map(|d| String::from(d.to_iso_string()))
    };
    let can_schedule = move || {
        can_activate.get()
            && !state.plan.with(|p| p.is_empty())
            && shared::guardrails::passes_with_time(&violations.get())
    };
    // The count, what blocks the plan and the button stay in view however long the plan is
    // (sticky at the top of the panel); the entries follow, one group per destination.
    view! {
        <section class="panel plan" aria-labelledby="plan-heading">
            <div class="plan-summary">
                <h2 id="plan-heading">{tr(Key::PlanTitle)}</h2>
                <p class="plan-count" aria-live="polite">
                    {move || format!("{} / {} {}", count(), limits.get().max_entries, t(Key::PlanEntries))}
                </p>
                <div class="plan-check" role="status" aria-live="polite">
                    {move || {
                        let violations = violations.get();
                        if state.plan.with(|p| p.is_empty()) {
                            None
                        } else if violations.is_empty() {
                            Some(view! { <p class="ok"><Mark kind=MarkKind::Ok />" " {t(Key::PlanOk)}</p> }.into_any())
                        } else {
                            Some(view! {
                                <p class="violations-title"><Mark kind=MarkKind::Blocked />" " {t(Key::PlanViolations)}</p>
                                <ul class="violations">
                                    {violations.into_iter().map(|v| {
                                        let text = if lang.get() == Lang::Ko { v.message.ko } else { v.message.en };
                                        view! { <li data-code=format!("{:?}", v.code)>{text}</li> }
                                    }).collect_view()}
                                </ul>
                            }.into_any())
                        }
                    }}
                </div>
                <button
                    class="primary"
                    aria-describedby="activate-reason"
                    disabled=move || blocked_reason().is_some() || sending.get()
                    on:click=open_confirmation
                >
                    {tr(Key::ActivateButton)}
                </button>
                <button
                    aria-expanded=move || scheduling.get().to_string()
                    disabled=move || !can_schedule() || sending.get()
                    on:click=move |_| scheduling.update(|s| *s = !*s)
                >
                    {tr(Key::PlanSchedule)}
                </button>
                {move || can_split().then(|| view! {
                    <button disabled=move || sending.get() on:click=move |_| submit(None, true)>
                        {t(Key::PlanSplitButton)}
                    </button>
                })}
                <p id="activate-reason" class="reason">{move || blocked_reason().map(t)}</p>
                {move || scheduling.get().then(|| view! {
                    <div class="schedule">
                        <label for="schedule-at">{t(Key::PlanScheduleAt)}</label>
                        <input id="schedule-at" type="datetime-local"
                            prop:value=move || schedule_at.get()
                            on:input=move |ev| schedule_at.set(event_target_value(&ev)) />
                        <p class="utc">{move || schedule_utc().map(|utc| format!("{} {utc}", t(Key::PlanInUtc)))}</p>
                        <button class="primary"
                            disabled=move || schedule_utc().is_none() || sending.get()
                            on:click=move |_| submit(schedule_utc(), false)>
                            {t(Key::PlanScheduleConfirm)}
                        </button>
                    </div>
                })}
                {move || waiting_note.get().map(|(note, link)| view! {
                    <p class="note" role="status">{t(note)} " " <Link href=link>{t(Key::OrdersSeeHistory)}</Link></p>
                })}
                {move || confirming.get().then(|| view! {
                    <div class="confirm" role="alertdialog" aria-modal="false" aria-labelledby="confirm-heading" aria-describedby="confirm-summary">
                        <h3 id="confirm-heading">{t(Key::ConfirmTitle)}</h3>
                        <div id="confirm-summary">
                            <p>{t(Key::ConfirmSummary)}</p>
                            <ul>
                                {state.plan.get_untracked().iter().map(|(dataflow, segments)| view! {
                                    <li>{format!("{}: {} {}", name_of(dataflow, None), segments.len(), t(Key::DestinationsSegments))}</li>
                                }).collect_view()}
                            </ul>
                        </div>
                        <button class="primary" node_ref=confirm_button disabled=move || sending.get() on:click=send>
                            {move || if sending.get() { t(Key::ConfirmSending) } else { t(Key::ConfirmYes) }}
                        </button>
                        <button on:click=move |_| confirming.set(false)>{t(Key::ConfirmNo)}</button>
                    </div>
                })}
                {move || problem.get().map(|p| view! { <ProblemMessage problem=p /> })}
            </div>
            {move || state.plan.with(|p| p.is_empty()).then(|| view! { <p>{t(Key::PlanEmpty)}</p> })}
            <div class="plan-destinations">
                {move || {
                    let plan = state.plan.get();
                    plan.iter().map(|(dataflow, segments)| {
                        let destination_name = name_of(dataflow, None);
                        let remove_all_label = format!("{} ({})", t(Key::PlanRemoveDestination), destination_name);
                        let whole = dataflow.clone();
                        view! {
                            <details class="plan-group" open=true>
                                <summary>
                                    <span class="plan-destination">{destination_name.clone()}</span>
                                    {format!(" · {} {}", segments.len(), t(Key::DestinationsSegments))}
                                </summary>
                                <button class="link" aria-label=remove_all_label on:click=move |_| {
                                    state.plan.update(|plan| plan.remove_dataflow(&whole));
                                }>{t(Key::PlanRemoveDestination)}</button>
                                <ul>
                                    {segments.iter().map(|segment| {
                                        let segment_name = name_of(dataflow, Some(segment));
                                        let label = format!("{} {} ({})", t(Key::PlanRemove), segment_name, destination_name);
                                        let (dataflow, segment) = (dataflow.clone(), segment.clone());
                                        view! {
                                            <li>
                                                {segment_name}
                                                " "
                                                <button class="link" aria-label=label on:click=move |_| {
                                                    state.plan.update(|plan| plan.remove(&dataflow, &segment));
                                                }>{t(Key::PlanRemove)}</button>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            </details>
                        }
                    }).collect_view()
                }}
            </div>
        </section>
    }
}
