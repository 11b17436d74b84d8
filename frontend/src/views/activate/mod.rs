//! The Activate view: destinations, their segments, the plan with its guardrails, confirmation,
//! and the orders' runs.

mod destination_detail;
mod destinations;
mod facts;
mod orders;
mod plan;
mod segments;

use std::collections::BTreeMap;
use std::sync::Arc;

use leptos::prelude::*;
use shared::aep::adhoc::ActivationInfo;
use shared::aep::run::Run;
use shared::sandbox::SandboxFacts;

use crate::api;
use crate::fetched::Fetched;
use crate::i18n::{Key, t, tr};
use crate::views::loading::{LoadFailed, Loading};
use destination_detail::DestinationDetail;
use destinations::DestinationPicker;
pub use facts::{Audiences, Facts};
use orders::OrdersPanel;
use plan::PlanPanel;
use segments::SegmentPicker;

/// The key of [`ActivateState::runs`] for the runs of the plan's segments.
pub const PLAN_SEGMENTS: &str = "plan segments";

/// What the view's panels share, handed to each as a prop.
#[derive(Clone, Copy)]
pub struct ActivateState {
    /// The portal's answer; [`ActivateState::facts`] is what the views read.
    sandbox: RwSignal<Option<Result<Arc<SandboxFacts>, api::Problem>>>,
    pub facts: Memo<Option<Facts>>,
    /// Sizes and evaluation times; they arrive after the pickers can already be used.
    pub audiences: Memo<Option<Audiences>>,
    /// Runs by what was asked for: a dataflow's id, or [`PLAN_SEGMENTS`] for the runs of the
    /// plan's segments on any dataflow. A reload replaces its own entry.
    pub runs: RwSignal<BTreeMap<String, Vec<Run>>>,
    pub selected: RwSignal<Option<String>>,
    pub plan: RwSignal<ActivationInfo>,
    pub submitted: RwSignal<Option<orders::Submitted>>,
}

impl ActivateState {
    /// Reads the sandbox facts again, keeping the ones shown if that fails: the portal's own
    /// activations in flight when the page loaded have ended since, and must not hold their
    /// segments in the browser until a reload.
    pub async fn refresh_sandbox(self) {
        if let Ok(fresh) = api::sandbox_facts().await {
            self.sandbox.set(Some(Ok(Arc::new(fresh))));
        }
    }

    /// Loads (again) the runs of a dataflow, for the "run in progress" guardrail.
    pub fn load_runs(self, dataflow_id: String) {
        leptos::task::spawn_local(async move {
            if let Ok(found) = api::runs_of(&dataflow_id).await {
                self.runs.update(|runs| {
                    runs.insert(dataflow_id, found);
                });
            }
        });
    }
}

/// `?again=<record id>` in the address.
fn again_param() -> Option<String> {
    let search = window().location().search().ok()?;
    search
        .trim_start_matches('?')
        .split('&')
        .find_map(|pair| pair.strip_prefix("again="))
        .filter(|id| id.chars().all(|c| c.is_ascii_hexdigit() || c == '-') && !id.is_empty())
        .map(str::to_owned)
}

#[component]
pub fn ActivateView() -> impl IntoView {
    let sandbox = RwSignal::new(None::<Result<Arc<SandboxFacts>, api::Problem>>);
    let load_sandbox = move || {
        sandbox.set(None);
        leptos::task::spawn_local(async move {
            sandbox.set(Some(api::sandbox_facts().await.map(Arc::new)));
        });
    };
    load_sandbox();
    // Asked for once the sandbox facts are in: the pickers need those first, and forty of the
    // Platform's audience pages read meanwhile on the same machine would delay them.
    let sandbox_in = Memo::new(move |_| sandbox.with(|s| matches!(s, Some(Ok(_)))));
    let audiences = Fetched::new(move || {
        let ask = sandbox_in.get();
        async move {
            match ask {
                true => Some(api::audience_sizes().await),
                false => None,
            }
        }
    });
    let runs = RwSignal::new(BTreeMap::new());
    let submitted = RwSignal::new(None::<orders::Submitted>);
    let facts = Memo::new(move |_| {
        let sandbox = sandbox.get()?.ok()?;
        // What was just sent from here is the portal's own, before the portal's next answer.
        let own: Vec<String> = submitted.with(|s| {
            s.iter()
                .flat_map(|s| &s.orders)
                .filter_map(|o| o.order.run_id().map(|id| id.to_string()))
                .collect()
        });
        Some(Facts::build(sandbox, &runs.get(), own))
    });
    let audience_index = Memo::new(move |_| audiences.get()??.ok().map(Audiences::new));
    let plan = RwSignal::new(ActivationInfo::new());
    let selected = RwSignal::new(None);
    // "Activate again" from a record: its plan, loaded for review, never sent by itself.
    let again = RwSignal::new(false);
    if let Some(id) = again_param() {
        leptos::task::spawn_local(async move {
            if let Ok(detail) = api::history_detail(&id).await {
                let loaded = ActivationInfo::from_requested(&detail.record.activation_info);
                selected.set(detail.record.activation_info.keys().next().cloned());
                plan.set(loaded);
                again.set(true);
            }
        });
    }
    let state = ActivateState {
        sandbox,
        facts,
        audiences: audience_index,
        runs,
        selected,
        plan,
        submitted,
    };
    // Memos, so that new facts (a refresh before a confirmation) do not redraw the panels: the
    // view below follows only whether there is a problem.
    let load_error = Memo::new(move |_| sandbox.with(|s| s.as_ref()?.as_ref().err().cloned()));
    // Sizes are for information: without them the pickers still work.
    let sizes_error = move || audiences.with(|a| a.as_ref()?.as_ref()?.as_ref().err().cloned());
    // Whether the pickers can be drawn, not the facts themselves: new runs must update the
    // pickers in place, not rebuild them and lose the search, the confirmation and the focus.
    let loaded = Memo::new(move |_| facts.with(Option::is_some));
    view! {
        <section aria-labelledby="activate-heading" class="activate">
            <h1 id="activate-heading">{tr(Key::ActivateTitle)}</h1>
            <p class="intro">{tr(Key::ActivateIntro)}</p>
            {move || again.get().then(|| view! { <p class="note" role="status">{t(Key::ActivateAgainLoaded)}</p> })}
            // What the portal could not read of the sandbox: its checks are advisory without it.
            {move || facts.with(|f| f.as_ref().map(|f| f.sandbox.warnings.clone()).unwrap_or_default())
                .into_iter()
                .map(|warning| view! { <p class="note" role="status">{warning}</p> })
                .collect_view()}
            {move || sizes_error().map(|problem| view! {
                <div class="note">
                    <LoadFailed problem=problem retry=move || audiences.refetch() />
                </div>
            })}
            {move || match (load_error.get(), loaded.get()) {
                (Some(problem), _) => view! {
                    <LoadFailed problem=problem retry=load_sandbox />
                }.into_any(),
                (None, false) => view! { <Loading /> }.into_any(),
                (None, true) => view! {
                    <div class="activate-grid">
                        <DestinationPicker state=state />
                        <SegmentPicker state=state />
                        <PlanPanel state=state />
                    </div>
                    <DestinationDetail state=state />
                    <OrdersPanel state=state />
                }.into_any(),
            }}
        </section>
    }
}
