//! An error from the portal or the Platform, as something a marketer can act on.

use leptos::prelude::*;
use shared::aep::adhoc::AdhocRunRejection;

use crate::api::Problem;
use crate::i18n::{Key, Lang, t, tr, use_lang};

#[component]
pub fn ProblemMessage(problem: Problem) -> impl IntoView {
    let lang = use_lang();
    let body = problem.0;
    let rejection = body.rejection.clone();
    let message = body.message.clone();
    let violations = body.violations.clone();
    view! {
        <div class="problem" role="alert">
            <p class="problem-title">{tr(Key::CommonError)}</p>
            {move || match &rejection {
                Some(AdhocRunRejection::RunAlreadyGoingOn { .. }) => view! { <p>{t(Key::ErrorRunGoingOn)}</p> }.into_any(),
                Some(AdhocRunRejection::NotInDataflowOrOutOfSchedule { segments }) => {
                    view! { <p>{t(Key::ErrorNotInDataflow)} " " {segments.join(", ")}</p> }.into_any()
                }
                None => view! { <p>{message.clone()}</p> }.into_any(),
            }}
            <ul>
                {violations
                    .iter()
                    .map(|v| {
                        let message = v.message.clone();
                        view! { <li>{move || if lang.get() == Lang::Ko { message.ko.clone() } else { message.en.clone() }}</li> }
                    })
                    .collect_view()}
            </ul>
        </div>
    }
}
