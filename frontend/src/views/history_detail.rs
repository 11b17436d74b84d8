//! One activation: who, when, the plan, the outcome, and each order's run, refreshed while a
//! run is in progress.

use leptos::prelude::*;
use shared::portal::{DeliveryState, HistoryDetail, HistoryRecord, NotificationState, Outcome};

use crate::api;
use crate::fetched::Fetched;
use crate::i18n::{Key, t, tr};
use crate::router::Link;
use crate::session::{use_can_activate, use_session};
use crate::views::history::{outcome_key, runs_text};
use crate::views::loading::{LoadFailed, Loading, poll_while};
use crate::views::problem::ProblemMessage;
use crate::views::run_table::{OrderState, RunTable};
use crate::views::time::Time;

const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_secs(3);

#[component]
pub fn HistoryDetailView(id: String) -> impl IntoView {
    let detail = Fetched::new(move || {
        let id = id.clone();
        async move { api::history_detail(&id).await }
    });
    // Refreshed while a run goes on, or a split plan still has parts to send.
    let running = move || {
        detail
            .get()
            .and_then(Result::ok)
            .is_some_and(|d: HistoryDetail| {
                d.runs
                    .iter()
                    .any(|r| !r.run.as_ref().is_some_and(|run| run.is_finished()))
                    || matches!(d.record.outcome, Outcome::Queued | Outcome::Pending)
            })
    };
    poll_while(REFRESH_EVERY, running, move || detail.refetch());
    let reload = move || detail.refetch();
    view! {
        <section aria-labelledby="detail-heading">
            <h1 id="detail-heading">{tr(Key::DetailTitle)}</h1>
            <Link href="/history">{tr(Key::DetailBack)}</Link>
            {move || match detail.get() {
                None => view! { <Loading /> }.into_any(),
                Some(Err(problem)) => view! { <LoadFailed problem=problem retry=move || detail.refetch() /> }.into_any(),
                Some(Ok(detail)) => {
                    let record = detail.record.clone();
                    let (key, _) = outcome_key(record.outcome);
                    let names = record.names.clone();
                    let notifications = detail.notifications.clone();
                    let parts = detail.parts.clone();
                    let orders = Signal::derive(move || {
                        detail.runs.iter().map(|r| OrderState {
                            destination: names.destination(&r.order.order).to_owned(),
                            segment: names.segment(&r.order.segment).to_owned(),
                            order: r.order.clone(),
                            run: r.run.as_deref().cloned(),
                            error: r.error.clone(),
                        }).collect::<Vec<_>>()
                    });
                    view! {
                        <dl class="record">
                            <dt>{t(Key::HistoryWhen)}</dt><dd><Time at=record.created_at /></dd>
                            <dt>{t(Key::HistoryWho)}</dt><dd>{record.user.clone()}</dd>
                            <dt>{t(Key::HistoryOutcome)}</dt><dd><span class="outcome">{t(key)}</span></dd>
                            {record.plan.run_at.map(|at| view! {
                                <dt>{t(Key::DetailRunAt)}</dt><dd><Time at=at /></dd>
                            })}
                            {record.plan.decision.clone().map(|d| view! {
                                <dt>{t(Key::DetailDecision)}</dt>
                                <dd>{format!("{} · {}{}", if d.approved { t(Key::DetailApprove) } else { t(Key::DetailReject) }, d.by, d.reason.map(|r| format!(": {r}")).unwrap_or_default())}</dd>
                            })}
                            {runs_text(&record).map(|(text, class)| view! {
                                <dt>{t(Key::HistoryRuns)}</dt><dd><span class=format!("runs runs-{class}")>{text}</span></dd>
                            })}
                        </dl>
                        <PlanActions record=record.clone() done=reload />
                        <p><Link href=format!("/activate?again={}", record.id)>{t(Key::ActivateAgain)}</Link></p>
                        <h2>{t(Key::DetailPlan)}</h2>
                        <ul class="plan-names">
                            {record.activation_info.iter().map(|(dataflow, segments)| view! {
                                <li>
                                    <span class="name">{record.names.destination(dataflow).to_owned()}</span>
                                    " " <CopyableId id=dataflow.clone() />
                                    <ul>
                                        {segments.iter().map(|segment| view! {
                                            <li>
                                                <span class="name">{record.names.segment(segment).to_owned()}</span>
                                                " " <CopyableId id=segment.clone() />
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                </li>
                            }).collect_view()}
                        </ul>
                        {record.error.clone().map(|e| view! { <ProblemMessage problem=api::Problem(e) /> })}
                        {(!record.warnings.is_empty()).then(|| view! {
                            <div class="warnings" role="note" aria-label=t(Key::DetailWarnings)>
                                <p>{t(Key::DetailWarnings)}</p>
                                <ul>{record.warnings.iter().map(|w| view! { <li>{w.clone()}</li> }).collect_view()}</ul>
                            </div>
                        })}
                        {(!record.orders.is_empty()).then(|| view! { <RunTable orders=orders caption=Key::OrdersTitle /> })}
                        {(!notifications.is_empty()).then(|| view! { <Notifications notifications=notifications.clone() /> })}
                        {(!parts.is_empty()).then(|| view! {
                            <h2>{t(Key::DetailParts)}</h2>
                            <ol class="parts">
                                {parts.iter().enumerate().map(|(i, p)| {
                                    let (key, class) = outcome_key(p.outcome);
                                    let entries: usize = p.activation_info.values().map(Vec::len).sum();
                                    view! {
                                        <li>
                                            <Link href=format!("/history/{}", p.id)>{format!("{} {} ({entries})", t(Key::DetailPart), i + 1)}</Link>
                                            " · " <span class=format!("outcome outcome-{class}")>{t(key)}</span>
                                        </li>
                                    }
                                }).collect_view()}
                            </ol>
                        })}
                    }.into_any()
                }
            }}
        </section>
    }
}

/// An id shown small beside a name, with a button that copies it.
#[component]
fn CopyableId(id: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    let text = id.clone();
    let copy = move |_| {
        if let Some(window) = web_sys::window() {
            let _ = window.navigator().clipboard().write_text(&text);
            copied.set(true);
        }
    };
    view! {
        <code class="id">{id.clone()}</code>
        " "
        <button class="link copy" aria-label=move || format!("{} {id}", t(Key::CopyId)) on:click=copy>
            {move || if copied.get() { t(Key::Copied) } else { t(Key::Copy) }}
        </button>
    }
}

/// Who was told what, and whether it reached them.
#[component]
fn Notifications(notifications: Vec<NotificationState>) -> impl IntoView {
    view! {
        <table class="notifications">
            <caption>{tr(Key::NotificationsTitle)}</caption>
            <thead>
                <tr>
                    <th scope="col">{tr(Key::NotificationEvent)}</th>
                    <th scope="col">{tr(Key::NotificationReceiver)}</th>
                    <th scope="col">{tr(Key::NotificationState)}</th>
                    <th scope="col">{tr(Key::NotificationAttempts)}</th>
                    <th scope="col">{tr(Key::OrdersErrors)}</th>
                </tr>
            </thead>
            <tbody>
                {notifications.into_iter().map(|n| {
                    let state = match n.state {
                        DeliveryState::Delivered => Key::NotificationDelivered,
                        DeliveryState::Pending => Key::NotificationPending,
                        DeliveryState::GivenUp => Key::NotificationGivenUp,
                    };
                    view! {
                        <tr>
                            <td><code>{n.event}</code></td>
                            <td>{n.receiver}</td>
                            <td>{move || t(state)}</td>
                            <td>{n.attempts}</td>
                            <td>{n.last_error.unwrap_or_default()}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// What can be done to a plan from its record: cancel it while it waits, approve or reject it
/// (another activator), retry what failed.
#[component]
fn PlanActions<F>(record: HistoryRecord, done: F) -> impl IntoView
where
    F: Fn() + Copy + Send + Sync + 'static,
{
    let can_activate = use_can_activate();
    let session = use_session();
    let problem = RwSignal::new(None::<api::Problem>);
    let retried = RwSignal::new(None::<String>);
    let reason = RwSignal::new(String::new());
    let id = record.id.clone();
    let act = move |action: &'static str, with_reason: bool| {
        let id = id.clone();
        let reason = with_reason.then(|| reason.get_untracked());
        leptos::task::spawn_local(async move {
            match api::record_action(&id, action, reason.as_deref()).await {
                Ok(new) if action == "retry" => retried.set(Some(new.id)),
                Ok(_) => done(),
                Err(refused) => problem.set(Some(refused)),
            }
        });
    };
    let requester = record.user.clone();
    let mine = move || {
        session
            .get()
            .and_then(Result::ok)
            .is_some_and(|s| s.user == requester)
    };
    let waiting = record.outcome.is_waiting();
    let awaiting = record.outcome == Outcome::AwaitingApproval;
    let retryable = matches!(
        record.outcome,
        Outcome::Rejected | Outcome::Failed | Outcome::Cancelled
    ) || record.runs.is_some_and(|r| r.failed > 0);
    let act_cancel = act.clone();
    let act_approve = act.clone();
    let act_reject = act.clone();
    view! {
        {move || can_activate.get().then(|| {
            let (cancel, approve, reject, retry) = (act_cancel.clone(), act_approve.clone(), act_reject.clone(), act.clone());
            view! {
                <div class="plan-actions">
                    {waiting.then(|| view! { <button on:click=move |_| cancel("cancel", false)>{t(Key::DetailCancel)}</button> })}
                    {(awaiting && !mine()).then(|| view! {
                        <button class="primary" on:click=move |_| approve("approve", false)>{t(Key::DetailApprove)}</button>
                        <label for="reject-reason">{t(Key::DetailRejectReason)}</label>
                        <input id="reject-reason" type="text" prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev)) />
                        <button disabled=move || reason.get().trim().is_empty() on:click=move |_| reject("reject", true)>{t(Key::DetailReject)}</button>
                    })}
                    {retryable.then(|| view! { <button on:click=move |_| retry("retry", false)>{t(Key::DetailRetry)}</button> })}
                </div>
            }
        })}
        {move || retried.get().map(|id| view! { <p class="note" role="status"><Link href=format!("/history/{id}")>{t(Key::OrdersSeeHistory)}</Link></p> })}
        {move || problem.get().map(|p| view! { <ProblemMessage problem=p /> })}
    }
}
