//! After an activation: each order and its run, refreshed until every run has ended.

use leptos::prelude::*;
use shared::aep::adhoc::ActivationOrder;

use super::ActivateState;
use crate::api;
use crate::i18n::{Key, tr};
use crate::router::Link;
use crate::views::loading::poll_while;
use crate::views::run_table::{OrderState, RunTable};

const POLL_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

#[derive(Clone, Debug, PartialEq)]
pub struct Submitted {
    pub orders: Vec<OrderState>,
    /// `/history/{id}` in the app.
    pub history_link: Option<String>,
}

impl Submitted {
    pub fn new(orders: Vec<ActivationOrder>, location: Option<String>) -> Self {
        Self {
            orders: orders
                .into_iter()
                .map(|order| OrderState {
                    destination: order.order.clone(),
                    segment: order.segment.clone(),
                    order,
                    run: None,
                    error: None,
                })
                .collect(),
            history_link: location.and_then(|l| l.strip_prefix("/api").map(str::to_owned)),
        }
    }
}

#[component]
pub fn OrdersPanel(state: ActivateState) -> impl IntoView {
    let running = move || {
        state.submitted.with_untracked(|submitted| {
            submitted.as_ref().is_some_and(|s| {
                s.orders
                    .iter()
                    .any(|o| !o.run.as_ref().is_some_and(|r| r.is_finished()))
            })
        })
    };
    let refresh = move || {
        let Some(submitted) = state.submitted.get_untracked() else {
            return;
        };
        leptos::task::spawn_local(async move {
            let mut orders = submitted.orders.clone();
            for order in orders
                .iter_mut()
                .filter(|o| !o.run.as_ref().is_some_and(|r| r.is_finished()))
            {
                if let Some(run_id) = order.order.run_id() {
                    match api::run(&run_id).await {
                        Ok(run) => order.run = run,
                        Err(problem) => order.error = Some(problem.0.message),
                    }
                }
            }
            state.submitted.update(|s| {
                if let Some(s) = s.as_mut() {
                    s.orders = orders;
                }
            });
        });
    };
    poll_while(POLL_EVERY, running, refresh);
    let named = Signal::derive(move || {
        let facts = state.facts.get();
        state
            .submitted
            .get()
            .map(|s| s.orders)
            .unwrap_or_default()
            .into_iter()
            .map(|mut o| {
                if let Some(d) = facts
                    .as_ref()
                    .and_then(|f| f.destination(&o.order.order).cloned())
                {
                    o.segment = d
                        .segment_name(&o.order.segment)
                        .map_or(o.segment, str::to_owned);
                    o.destination = d.name;
                }
                o
            })
            .collect::<Vec<_>>()
    });
    move || {
        state.submitted.get().map(|s| view! {
            <section class="panel orders" aria-labelledby="orders-heading">
                <h2 id="orders-heading">{tr(Key::OrdersHeading)}</h2>
                <RunTable orders=named caption=Key::OrdersTitle />
                {s.history_link.map(|href| view! { <Link href=href>{tr(Key::OrdersSeeHistory)}</Link> })}
            </section>
        })
    }
}
