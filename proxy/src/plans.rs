//! Plans (DESIGN §10): `POST /api/plans` activates now or at `runAt`, may need another
//! activator's approval, can be cancelled until sent and retried after. A scheduled plan is
//! sent by whichever worker moves it out of `scheduled` first (a compare-and-set in the store),
//! so a restart or a second replica neither loses nor doubles it; at its time it is checked
//! again on fresh facts and, if only something that passes holds it up (a run in progress, the
//! first-activation wait, a scheduled export), it waits up to the grace period.

use std::sync::Arc;
use std::time::Duration;

use axum::{
    Json,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use shared::aep::run::RunStatus;
use shared::guardrails::ViolationCode;
use shared::ids::{DataflowId, SegmentId};
use shared::plan::Plan;
use shared::portal::{
    Decision, ErrorBody, ErrorCode, HistoryRecord, Outcome, PlanInfo, PlanRequest, Role,
};
use shared::time::EpochMillis;

use crate::activation::{self, Dispatched, Target};
use crate::auth::{User, require_json, sha256_hex};
use crate::error::ApiError;
use crate::facts::PlatformFacts;
use crate::store::FirstAnswer;
use crate::{AppState, RequestId};

/// Which plans wait for another activator's approval.
#[derive(Clone, Debug, Default)]
pub struct Approvals {
    /// Plans with more entries than this.
    pub over_entries: Option<usize>,
    /// Plans with an entry for one of these dataflows.
    pub destinations: Vec<String>,
}

impl Approvals {
    fn required(&self, plan: &Plan) -> bool {
        self.over_entries.is_some_and(|n| plan.count() > n)
            || plan
                .dataflows()
                .any(|d| self.destinations.iter().any(|a| a == d.as_str()))
    }
}

/// A `runAt` this far in the past is a mistake, not "now".
const PAST_TOLERANCE_SECONDS: i64 = 60;

pub async fn create(
    State(state): State<Arc<AppState>>,
    user: User,
    RequestId(request_id): RequestId,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    user.require(Role::Activator)?;
    require_json(&headers)?;
    let request: PlanRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(
            ErrorCode::InvalidPlan,
            format!("The plan is not valid: {e}. Send {{\"activationInfo\": {{\"<dataflow id>\": [\"<segment id>\", ...]}}, \"runAt\": \"2026-12-01T08:50:00+09:00\" (optional), \"note\": \"...\" (optional)}}."),
        )
    })?;
    let now = state.clock.now();
    let run_at = match request.run_at.as_deref() {
        None => None,
        Some(text) => Some(parse_run_at(text, now)?),
    };
    let key = activation::user_key(&user, &headers)?;
    let request_hash = sha256_hex(&serde_json::to_string(&request).expect("a plan serialises"));
    if let Some(key) = key.as_deref()
        && let Some(keyed) = state.store.by_idempotency_key(key).await?
    {
        if keyed.request_hash != request_hash {
            return Err(ApiError::IdempotencyKeyReused);
        }
        return Ok(answer(&keyed.record, keyed.first_answer.as_ref()));
    }
    activation::admit(&state, &user)?;
    let plan = request.activation_info;
    let info = PlanInfo {
        run_at: run_at.filter(|at| *at > now),
        note: request.note.filter(|n| !n.trim().is_empty()),
        ..PlanInfo::default()
    };
    if request.split && (info.run_at.is_some() || state.approvals.required(&plan)) {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidPlan,
            "A split plan is sent now, part after part: leave out runAt, and send a plan that needs approval without split.",
        ));
    }
    if request.split {
        return split(
            &state,
            &user,
            &plan,
            info,
            key.as_deref(),
            &request_hash,
            &request_id,
        )
        .await;
    }
    let waiting = if state.approvals.required(&plan) {
        Some(Outcome::AwaitingApproval)
    } else if info.run_at.is_some() {
        Some(Outcome::Scheduled)
    } else {
        None
    };
    match waiting {
        Some(outcome) => {
            let record = store_waiting(
                &state,
                &user,
                &plan,
                info,
                outcome,
                key.as_deref(),
                &request_hash,
                &request_id,
            )
            .await?;
            Ok(answer(&record, None))
        }
        None => {
            send_new(
                &state,
                &user.name,
                &plan,
                info,
                key.as_deref(),
                &request_hash,
                &request_id,
            )
            .await
        }
    }
}

fn parse_run_at(text: &str, now: EpochMillis) -> Result<EpochMillis, ApiError> {
    let at = EpochMillis::parse_rfc3339(text).ok_or_else(|| {
        ApiError::bad_request(
            ErrorCode::InvalidPlan,
            format!("runAt {text:?} is not an RFC 3339 time: write it like 2026-12-01T08:50:00+09:00 (with its offset, or Z for UTC)."),
        )
    })?;
    if at < now.plus_seconds(-PAST_TOLERANCE_SECONDS) {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidPlan,
            format!("runAt {text} has passed; leave it out to activate now."),
        ));
    }
    Ok(at)
}

/// A plan broken only by the 80-entry rule or runs in progress, cut into parts that each fit
/// one job: parts with free segments first, then those whose segments are running; they are
/// sent one after another as segments free up (`run_due`). Any other violation refuses the
/// whole plan at once, as without `split`.
#[allow(clippy::too_many_arguments)]
async fn split(
    state: &AppState,
    user: &User,
    plan: &Plan,
    info: PlanInfo,
    key: Option<&str>,
    request_hash: &str,
    request_id: &str,
) -> Result<Response, ApiError> {
    let facts_read_from = state.clock.now();
    let facts = PlatformFacts::gather(&state.platform, plan, request_id).await?;
    let snapshot = activation::snapshot(state, &facts, facts_read_from, None).await?;
    let now = state.clock.now();
    let violations = shared::guardrails::check(plan, &snapshot, now, &state.limits);
    let splittable = !violations.is_empty()
        && violations.iter().all(|v| {
            matches!(
                v.code,
                ViolationCode::TooManyEntries | ViolationCode::RunInProgress
            )
        });
    if !splittable {
        // Nothing to split (it passes as it is), or something no split mends.
        return send_new(state, &user.name, plan, info, key, request_hash, request_id).await;
    }
    let (free, busy): (Vec<_>, Vec<_>) = plan
        .entries()
        .map(|(d, s)| (d.clone(), s.clone()))
        .partition(|(_, s)| snapshot.runs_in_progress(s.as_str()).is_empty());
    let names = facts.names(plan);
    let parent_id = uuid::Uuid::new_v4().to_string();
    let mut parts = Vec::new();
    // Free segments' parts first; running segments' parts after, on their own, so that a part
    // of free segments is never held up by a busy one.
    let size = state.limits.max_entries.max(1);
    let chunks: Vec<&[(DataflowId, SegmentId)]> =
        free.chunks(size).chain(busy.chunks(size)).collect();
    for (index, chunk) in chunks.into_iter().enumerate() {
        let mut part = Plan::new();
        for (dataflow, segment) in chunk {
            part.add(dataflow.clone(), segment.clone());
        }
        parts.push(HistoryRecord {
            id: uuid::Uuid::new_v4().to_string(),
            created_at: now,
            user: user.name.clone(),
            activation_info: part.to_requested(),
            outcome: Outcome::Queued,
            orders: Vec::new(),
            error: None,
            warnings: Vec::new(),
            names: names.clone(),
            runs: None,
            plan: PlanInfo {
                part_of: Some(parent_id.clone()),
                part: u32::try_from(index + 1).ok(),
                ..PlanInfo::default()
            },
        });
    }
    let parent = HistoryRecord {
        id: parent_id,
        created_at: now,
        user: user.name.clone(),
        activation_info: plan.to_requested(),
        outcome: Outcome::Queued,
        orders: Vec::new(),
        error: None,
        warnings: Vec::new(),
        names,
        runs: None,
        plan: PlanInfo {
            parts: parts.iter().map(|p| p.id.clone()).collect(),
            ..info
        },
    };
    state.store.insert(&parent, key, request_hash, None).await?;
    for part in &parts {
        let hash = sha256_hex(&part.id);
        state.store.insert(part, None, &hash, None).await?;
    }
    tracing::info!(activation = %parent.id, parts = parts.len(), "plan split");
    Ok(answer(&parent, None))
}

/// A plan that waits (for its time, or for approval): checked for what never passes by
/// itself (size), stored with the names the Platform gives now.
#[allow(clippy::too_many_arguments)]
async fn store_waiting(
    state: &AppState,
    user: &User,
    plan: &Plan,
    info: PlanInfo,
    outcome: Outcome,
    key: Option<&str>,
    request_hash: &str,
    request_id: &str,
) -> Result<HistoryRecord, ApiError> {
    let oversize = shared::guardrails::check_size(plan, &state.limits);
    if !oversize.is_empty() {
        return Err(ApiError::Guardrails(oversize));
    }
    // Names for the audit, and what never passes by itself (a dataflow that is disabled or not
    // a file destination, a segment not mapped...) refused now rather than at its time. A
    // Platform that will not list its dataflows now does not stop a plan for later: it is
    // checked again when it runs.
    let facts_read_from = state.clock.now();
    let names = match PlatformFacts::gather(&state.platform, plan, request_id).await {
        Ok(facts) => {
            let snapshot = activation::snapshot(state, &facts, facts_read_from, None).await?;
            let lasting: Vec<_> =
                shared::guardrails::check(plan, &snapshot, state.clock.now(), &state.limits)
                    .into_iter()
                    .filter(|v| !shared::guardrails::passes_with_time(std::slice::from_ref(v)))
                    .collect();
            if !lasting.is_empty() {
                let refusal = ApiError::Guardrails(lasting);
                let record = HistoryRecord {
                    id: uuid::Uuid::new_v4().to_string(),
                    created_at: state.clock.now(),
                    user: user.name.clone(),
                    activation_info: plan.to_requested(),
                    outcome: Outcome::Rejected,
                    orders: Vec::new(),
                    error: Some(refusal.body()),
                    warnings: Vec::new(),
                    names: facts.names(plan),
                    runs: None,
                    plan: info,
                };
                state.store.insert(&record, key, request_hash, None).await?;
                return Err(refusal);
            }
            facts.names(plan)
        }
        Err(_) => Default::default(),
    };
    let record = HistoryRecord {
        id: uuid::Uuid::new_v4().to_string(),
        created_at: state.clock.now(),
        user: user.name.clone(),
        activation_info: plan.to_requested(),
        outcome,
        orders: Vec::new(),
        error: None,
        warnings: Vec::new(),
        names,
        runs: None,
        plan: info,
    };
    state.store.insert(&record, key, request_hash, None).await?;
    tracing::info!(activation = %record.id, user = %user.name, outcome = ?outcome, "plan stored");
    Ok(record)
}

/// Sends a new plan now and answers with its record.
async fn send_new(
    state: &AppState,
    user: &str,
    plan: &Plan,
    info: PlanInfo,
    key: Option<&str>,
    request_hash: &str,
    request_id: &str,
) -> Result<Response, ApiError> {
    let target = Target::New {
        key,
        request_hash,
        plan: &info,
    };
    let record_id = match activation::dispatch(state, user, plan, target, request_id).await? {
        Dispatched::Answered { record_id, .. } => record_id,
        Dispatched::Replayed(response) => return Ok(response),
        Dispatched::Deferred(_) => unreachable!("only stored plans are deferred"),
    };
    let keyed = state
        .store
        .get(&record_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("There is no activation {record_id}.")))?;
    let first = match key {
        Some(key) => state
            .store
            .by_idempotency_key(key)
            .await?
            .and_then(|k| k.first_answer),
        None => None,
    };
    Ok(answer(&keyed, first.as_ref()))
}

/// A plan's answer: 201 with its record when it was accepted or waits; otherwise what the
/// activation path answered (422 with the violations, a Platform refusal...).
fn answer(record: &HistoryRecord, first: Option<&FirstAnswer>) -> Response {
    let created = matches!(
        record.outcome,
        Outcome::Accepted | Outcome::Scheduled | Outcome::AwaitingApproval | Outcome::Queued
    );
    let mut response = match (created, first, &record.error) {
        (false, Some(first), _) => return activation::answer_with(&record.id, first),
        (false, None, Some(error)) => (status_of(error), Json(error.clone())).into_response(),
        _ => (StatusCode::CREATED, Json(record.clone())).into_response(),
    };
    if let Ok(location) = HeaderValue::from_str(&format!("/api/history/{}", record.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// What an action on a record (approve, reject, cancel) answers: the record as it is now.
async fn current(state: &AppState, id: &str) -> Result<Response, ApiError> {
    Ok(Json(waiting_record(state, id).await?).into_response())
}

fn status_of(error: &ErrorBody) -> StatusCode {
    match error.code {
        ErrorCode::GuardrailViolation => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::CONFLICT,
    }
}

async fn waiting_record(state: &AppState, id: &str) -> Result<HistoryRecord, ApiError> {
    state
        .store
        .get(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("There is no activation {id} in the history.")))
}

fn not_now(record: &HistoryRecord, what: &str) -> ApiError {
    ApiError::InvalidState(format!(
        "Activation {} is {}: it cannot be {what} now.",
        record.id,
        serde_json::to_value(record.outcome)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    ))
}

/// The record's plan info with `user`'s decision.
fn decided(
    record: &HistoryRecord,
    user: &User,
    approved: bool,
    reason: Option<String>,
    at: EpochMillis,
) -> PlanInfo {
    PlanInfo {
        decision: Some(Decision {
            approved,
            by: user.name.clone(),
            at,
            reason,
        }),
        ..record.plan.clone()
    }
}

pub async fn approve(
    State(state): State<Arc<AppState>>,
    user: User,
    RequestId(request_id): RequestId,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    user.require(Role::Activator)?;
    let record = waiting_record(&state, &id).await?;
    if record.user == user.name {
        return Err(ApiError::SelfApproval(format!(
            "{} asked for this plan and cannot approve it: another activator must.",
            user.name
        )));
    }
    // Approving twice is harmless: the first approval stands.
    if record.plan.decision.as_ref().is_some_and(|d| d.approved) {
        return Ok(Json(record).into_response());
    }
    if record.outcome != Outcome::AwaitingApproval {
        return Err(not_now(&record, "approved"));
    }
    let now = state.clock.now();
    let mut info = decided(&record, &user, true, None, now);
    let later = info.run_at.is_some_and(|at| at > now);
    let next = if later {
        Outcome::Scheduled
    } else {
        Outcome::Pending
    };
    if !later {
        info.sent_at = Some(now);
    }
    if !state
        .store
        .transition(&id, Outcome::AwaitingApproval, next, &info, now)
        .await?
    {
        // Decided or cancelled in the meantime.
        let now_record = waiting_record(&state, &id).await?;
        if now_record
            .plan
            .decision
            .as_ref()
            .is_some_and(|d| d.approved)
        {
            return Ok(Json(now_record).into_response());
        }
        return Err(not_now(&now_record, "approved"));
    }
    tracing::info!(activation = %id, approver = %user.name, "plan approved");
    if !later {
        let record = HistoryRecord {
            plan: info,
            ..record
        };
        send_stored(&state, &record, None, &request_id).await?;
    }
    Ok(answer(&waiting_record(&state, &id).await?, None))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rejection {
    reason: String,
}

pub async fn reject(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    user.require(Role::Activator)?;
    require_json(&headers)?;
    let Rejection { reason } = serde_json::from_slice(&body)
        .ok()
        .filter(|r: &Rejection| !r.reason.trim().is_empty())
        .ok_or_else(|| {
            ApiError::bad_request(
                ErrorCode::InvalidPlan,
                "Say why: send {\"reason\": \"...\"}.",
            )
        })?;
    let record = waiting_record(&state, &id).await?;
    if record.outcome != Outcome::AwaitingApproval {
        return Err(not_now(&record, "rejected"));
    }
    let now = state.clock.now();
    let info = decided(&record, &user, false, Some(reason.clone()), now);
    if state
        .store
        .transition(
            &id,
            Outcome::AwaitingApproval,
            Outcome::Rejected,
            &info,
            now,
        )
        .await?
    {
        let error = ErrorBody::new(
            ErrorCode::ApprovalRejected,
            format!("{} rejected this plan: {reason}", user.name),
        );
        state
            .store
            .record_answer(&id, Outcome::Rejected, &[], Some(&error), None, now)
            .await?;
        tracing::info!(activation = %id, by = %user.name, "plan rejected by an approver");
    }
    current(&state, &id).await
}

pub async fn cancel(
    State(state): State<Arc<AppState>>,
    user: User,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    user.require(Role::Activator)?;
    let record = waiting_record(&state, &id).await?;
    if !record.outcome.is_waiting() {
        return Err(not_now(&record, "cancelled"));
    }
    let now = state.clock.now();
    let mut info = record.plan.clone();
    info.cancelled_by = Some(user.name.clone());
    info.cancelled_at = Some(now);
    if !state
        .store
        .transition(&id, record.outcome, Outcome::Cancelled, &info, now)
        .await?
    {
        // Sent (or decided) in the meantime.
        return Err(not_now(&waiting_record(&state, &id).await?, "cancelled"));
    }
    // A split plan's parts not sent yet are called off with it.
    for part in state.store.parts_of(&id).await? {
        let mut part_info = part.plan.clone();
        part_info.cancelled_by = Some(user.name.clone());
        part_info.cancelled_at = Some(now);
        state
            .store
            .transition(
                &part.id,
                Outcome::Queued,
                Outcome::Cancelled,
                &part_info,
                now,
            )
            .await?;
    }
    tracing::info!(activation = %id, by = %user.name, "plan cancelled");
    current(&state, &id).await
}

/// A new plan of the record's failed or refused orders, linked to it, sent now.
pub async fn retry(
    State(state): State<Arc<AppState>>,
    user: User,
    RequestId(request_id): RequestId,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    user.require(Role::Activator)?;
    activation::admit(&state, &user)?;
    let record = waiting_record(&state, &id).await?;
    if !record.plan.parts.is_empty() {
        return Err(ApiError::InvalidState(format!(
            "Activation {id} was split: retry each part that was not sent."
        )));
    }
    if record.plan.decision.as_ref().is_some_and(|d| !d.approved) {
        return Err(ApiError::InvalidState(format!(
            "Activation {id} was rejected by an approver: it is not sent again; make a new plan."
        )));
    }
    let entries: Vec<(String, String)> = match record.outcome {
        Outcome::Rejected | Outcome::Failed | Outcome::Cancelled => record
            .activation_info
            .iter()
            .flat_map(|(d, segments)| segments.iter().map(|s| (d.clone(), s.clone())))
            .collect(),
        Outcome::Accepted => {
            let mut failed = Vec::new();
            for order in &record.orders {
                let Some(run_id) = order.run_id() else {
                    continue;
                };
                let run = state
                    .runs
                    .get(&state.platform, &run_id, state.clock.now(), &request_id)
                    .await?;
                if run.is_some_and(|r| r.is_finished() && r.status() != RunStatus::Success) {
                    failed.push((order.order.clone(), order.segment.clone()));
                }
            }
            failed
        }
        _ => Vec::new(),
    };
    if entries.is_empty() {
        return Err(ApiError::InvalidState(format!(
            "Activation {id} has no failed or refused order to try again."
        )));
    }
    let plan = Plan::from_entries(entries);
    let info = PlanInfo {
        retry_of: Some(id.clone()),
        ..PlanInfo::default()
    };
    let hash = sha256_hex(&format!("retry {id} {}", uuid::Uuid::new_v4()));
    // A retry is a plan like any other: one that needs approval waits for it.
    if state.approvals.required(&plan) {
        let record = store_waiting(
            &state,
            &user,
            &plan,
            info,
            Outcome::AwaitingApproval,
            None,
            &hash,
            &request_id,
        )
        .await?;
        return Ok(answer(&record, None));
    }
    send_new(&state, &user.name, &plan, info, None, &hash, &request_id).await
}

/// Sends a stored plan its caller has moved to `pending`; with `defer`, one held up only by
/// what passes goes back to `waiting` (scheduled, or queued for a part), and `true` says so.
async fn send_stored(
    state: &AppState,
    record: &HistoryRecord,
    defer: Option<Outcome>,
    request_id: &str,
) -> Result<bool, ApiError> {
    let plan = Plan::from_requested(&record.activation_info);
    match activation::dispatch(
        state,
        &record.user,
        &plan,
        Target::Stored {
            record,
            defer: defer.is_some(),
        },
        request_id,
    )
    .await?
    {
        Dispatched::Deferred(violations) => {
            tracing::info!(activation = %record.id, held_by = violations.len(), "scheduled plan waits");
            let waiting = PlanInfo {
                sent_at: None,
                ..record.plan.clone()
            };
            state
                .store
                .transition(
                    &record.id,
                    Outcome::Pending,
                    defer.unwrap_or(Outcome::Scheduled),
                    &waiting,
                    state.clock.now(),
                )
                .await?;
            Ok(true)
        }
        Dispatched::Answered { .. } | Dispatched::Replayed(_) => Ok(false),
    }
}

pub fn spawn(state: Arc<AppState>, every: Duration) -> tokio::task::JoinHandle<()> {
    crate::background::spawn_job(state, "plans", every, |state| async move {
        if let Err(e) = run_due(&state).await {
            tracing::warn!("scheduled plans: {e}");
        }
    })
}

/// What the planner does each pass: scheduled plans whose time has come, then split plans'
/// next parts. Each record is sent once: the one that moves it out of `scheduled` or `queued`
/// sends it.
pub async fn run_due(state: &AppState) -> Result<(), ApiError> {
    send_due_plans(state).await?;
    send_next_parts(state).await
}

/// Sends, for each split plan, its next part if its segments are free now (one part per plan
/// and pass: parts go one after another); a plan whose parts have all been sent is given its
/// outcome and its parts' orders.
async fn send_next_parts(state: &AppState) -> Result<(), ApiError> {
    let mut seen = std::collections::HashSet::new();
    for mut part in state.store.queued_parts().await? {
        let Some(plan_id) = part.plan.part_of.clone() else {
            continue;
        };
        if !seen.insert(plan_id.clone()) {
            continue;
        }
        let now = state.clock.now();
        let waiting = part.plan.clone();
        part.plan.sent_at = Some(now);
        if !state
            .store
            .transition(&part.id, Outcome::Queued, Outcome::Pending, &part.plan, now)
            .await?
        {
            continue;
        }
        let request_id = format!("part-{}", part.id);
        if let Err(error) = send_stored(state, &part, Some(Outcome::Queued), &request_id).await {
            tracing::warn!(activation = %part.id, "part not sent, tried again: {error}");
            state
                .store
                .transition(&part.id, Outcome::Pending, Outcome::Queued, &waiting, now)
                .await?;
        }
    }
    // Every split plan still waiting, not only those with a part sent this pass: a part cut
    // off by a crash ends through the reconciler, and its plan must end too.
    for plan in state.store.queued_plans().await? {
        conclude_split(state, &plan.id).await?;
    }
    Ok(())
}

/// Once every part has an outcome, the split plan has one: accepted when every part was,
/// failed otherwise (each part's record says why).
async fn conclude_split(state: &AppState, plan_id: &str) -> Result<(), ApiError> {
    let parts = state.store.parts_of(plan_id).await?;
    // A part whose answer is not known yet may still turn out accepted.
    if parts.iter().any(|p| {
        matches!(
            p.outcome,
            Outcome::Queued | Outcome::Pending | Outcome::Unknown
        )
    }) {
        return Ok(());
    }
    let not_sent = parts
        .iter()
        .filter(|p| p.outcome != Outcome::Accepted)
        .count();
    let (outcome, error) = if not_sent == 0 {
        (Outcome::Accepted, None)
    } else {
        (
            Outcome::Failed,
            Some(ErrorBody::new(
                ErrorCode::InvalidState,
                format!(
                    "{not_sent} of {} parts were not sent: each part's record says why.",
                    parts.len()
                ),
            )),
        )
    };
    let Some(plan) = state.store.get(plan_id).await? else {
        return Ok(());
    };
    // The parts carry the orders (and their runs' notifications); the plan only its outcome.
    if plan.outcome == Outcome::Queued
        && state
            .store
            .transition(
                plan_id,
                Outcome::Queued,
                outcome,
                &plan.plan,
                state.clock.now(),
            )
            .await?
        && let Some(error) = &error
    {
        state
            .store
            .record_answer(plan_id, outcome, &[], Some(error), None, state.clock.now())
            .await?;
    }
    Ok(())
}

/// Sends each scheduled plan whose time has come, once.
async fn send_due_plans(state: &AppState) -> Result<(), ApiError> {
    let now = state.clock.now();
    for mut record in state.store.due_plans(now).await? {
        let waiting = record.plan.clone();
        record.plan.sent_at = Some(now);
        if !state
            .store
            .transition(
                &record.id,
                Outcome::Scheduled,
                Outcome::Pending,
                &record.plan,
                now,
            )
            .await?
        {
            continue;
        }
        let run_at = record.plan.run_at.unwrap_or(now);
        let within_grace = now < run_at.plus_seconds(state.plan_grace.as_secs() as i64);
        let request_id = format!("plan-{}", record.id);
        let defer = within_grace.then_some(Outcome::Scheduled);
        if let Err(error) = send_stored(state, &record, defer, &request_id).await {
            // The facts could not be read (or the store failed): try again within the grace
            // period, then say why it was not sent.
            tracing::warn!(activation = %record.id, "scheduled plan not sent: {error}");
            if within_grace {
                state
                    .store
                    .transition(
                        &record.id,
                        Outcome::Pending,
                        Outcome::Scheduled,
                        &waiting,
                        now,
                    )
                    .await?;
            } else {
                state
                    .store
                    .record_answer(
                        &record.id,
                        Outcome::Failed,
                        &[],
                        Some(&error.body()),
                        None,
                        now,
                    )
                    .await?;
            }
        }
    }
    Ok(())
}
