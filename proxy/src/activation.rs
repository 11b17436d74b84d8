//! The activation path (ARCHITECTURE.md, *Request paths*): activator role, strict parsing, `Idempotency-Key`, the shared
//! guardrails over fresh facts and the portal's own in-flight records, a durable audit record
//! before the Platform is called, one call, the answer recorded.

use std::sync::Arc;

use axum::{
    Json,
    body::Bytes,
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::json;
use shared::aep::adhoc::{AdhocRunRejection, AdhocRunResponse, PATH as ADHOCRUN_PATH};
use shared::guardrails::{self, RunInProgress, Snapshot, Violation};
use shared::plan::Plan;
use shared::portal::{
    ActivationRequest, ErrorBody, ErrorCode, HistoryRecord, Names, Outcome, PlanInfo, Role,
};
use shared::sandbox::SandboxFacts;

use crate::auth::{User, require_json, sha256_hex};
use crate::config::ApiVersion;
use crate::error::ApiError;
use crate::facts::PlatformFacts;
use crate::store::{FirstAnswer, activation_keys};
use crate::upstream::{PostFailure, UpstreamError};
use crate::{AppState, RequestId};

const MAX_KEY_LENGTH: usize = 200;
/// Entries of a refused plan kept in the history.
const STORED_REFUSED_ENTRIES: usize = 100;

pub async fn activate(
    state: Arc<AppState>,
    user: User,
    RequestId(request_id): RequestId,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    user.require(Role::Activator)?;
    require_json(&headers)?;
    let plan = parse(&body)?;
    let key = user_key(&user, &headers)?;
    let request_hash = sha256_hex(&serde_json::to_string(&plan).expect("a plan serialises"));
    if let Some(key) = key.as_deref()
        && let Some(answer) = replay(&state, key, &request_hash).await?
    {
        return Ok(answer);
    }
    admit(&state, &user)?;
    let target = Target::New {
        key: key.as_deref(),
        request_hash: &request_hash,
        plan: &PlanInfo::default(),
    };
    Ok(
        match dispatch(&state, &user.name, &plan, target, &request_id).await? {
            Dispatched::Answered { record_id, answer } => answer_with(&record_id, &answer),
            Dispatched::Replayed(response) => response,
            Dispatched::Deferred(_) => unreachable!("only stored plans are deferred"),
        },
    )
}

/// The requester's `Idempotency-Key`, made theirs: another user's key neither replays nor
/// blocks theirs.
pub fn user_key(user: &User, headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    Ok(idempotency_key(headers)?.map(|key| format!("{}\u{1f}{key}", user.name)))
}

/// The per-user activation rate.
pub fn admit(state: &AppState, user: &User) -> Result<(), ApiError> {
    state
        .activation_rate
        .admit(&user.name, state.clock.now())
        .map_err(|retry_after_seconds| ApiError::RateLimited {
            user: user.name.clone(),
            limit: state.activation_rate.per_minute(),
            retry_after_seconds,
        })
}

/// What a plan is sent as.
pub enum Target<'a> {
    /// A new record, kept for replay under `key`.
    New {
        key: Option<&'a str>,
        request_hash: &'a str,
        plan: &'a PlanInfo,
    },
    /// A stored plan its sender has claimed (now `pending`). With `defer`, a plan held up
    /// only by something that passes (a run in progress, the first-activation wait, a
    /// scheduled export) is not refused but handed back to wait.
    Stored {
        record: &'a HistoryRecord,
        defer: bool,
    },
}

pub enum Dispatched {
    /// Recorded and answered: sent (accepted, or not) or refused by the guardrails.
    Answered {
        record_id: String,
        answer: FirstAnswer,
    },
    /// The same key came first from another request: its answer.
    Replayed(Response),
    /// Held up by what passes: the stored plan waits.
    Deferred(Vec<Violation>),
}

/// The activation path after the request: fresh facts, the guardrails under the lock, the
/// record written durably before one POST, the answer recorded.
pub async fn dispatch(
    state: &AppState,
    user: &str,
    plan: &Plan,
    target: Target<'_>,
    request_id: &str,
) -> Result<Dispatched, ApiError> {
    // Size before any Platform call: a plan of thousands of entries costs nothing upstream.
    let oversize = guardrails::check_size(plan, &state.limits);
    if !oversize.is_empty() {
        return refuse(state, user, plan, &target, oversize, Names::default()).await;
    }
    let facts_read_from = state.clock.now();
    let facts = PlatformFacts::gather(&state.platform, plan, request_id).await?;

    // Its segments (and key) held between reading the portal's in-flight records and writing
    // its own, in the database, so on every replica: two users sending the same segment at once
    // cannot both pass, while plans with other segments go on. A rival accepted while our facts
    // were being read counts as in flight: its run may be missing from them.
    let key = match &target {
        Target::New { key, .. } => *key,
        Target::Stored { .. } => None,
    };
    let guard = state
        .store
        .lock(&activation_keys(
            plan.entries().map(|(_, segment)| segment.as_str()),
            key,
        ))
        .await?;
    if let Target::New {
        key: Some(key),
        request_hash,
        ..
    } = &target
        && let Some(answer) = replay(state, key, request_hash).await?
    {
        return Ok(Dispatched::Replayed(answer));
    }
    let own_id = match &target {
        Target::Stored { record, .. } => Some(record.id.as_str()),
        Target::New { .. } => None,
    };
    let now = state.clock.now();
    let snapshot = snapshot(state, &facts, facts_read_from, own_id).await?;
    let violations = guardrails::check(plan, &snapshot, now, &state.limits);
    if !violations.is_empty() {
        if let Target::Stored { defer: true, .. } = target
            && guardrails::passes_with_time(&violations)
        {
            return Ok(Dispatched::Deferred(violations));
        }
        // Still held: a request with the same idempotency key, on any replica, finds this
        // refusal instead of making a second record.
        let refused = refuse(state, user, plan, &target, violations, facts.names(plan)).await;
        drop(guard);
        return refused;
    }
    let mut warnings = facts.warnings.clone();
    warnings.extend(unclassified_destinations(plan, &snapshot));
    let record_id = match &target {
        Target::New {
            key,
            request_hash,
            plan: plan_info,
        } => {
            let record = HistoryRecord {
                id: uuid::Uuid::new_v4().to_string(),
                created_at: now,
                user: user.to_owned(),
                activation_info: plan.to_requested(),
                outcome: Outcome::Pending,
                orders: Vec::new(),
                error: None,
                warnings: warnings.clone(),
                names: facts.names(plan),
                runs: None,
                plan: (*plan_info).clone(),
            };
            state
                .store
                .insert(&record, *key, request_hash, None)
                .await?;
            record.id
        }
        Target::Stored { record, .. } => record.id.clone(),
    };
    drop(guard);

    let (outcome, orders, error, answer) = match send(state, plan, &facts, request_id).await {
        Ok(response) => {
            // Adobe's answer, and what the portal could not check before sending it.
            let mut body = json!({"order": response.order});
            if !warnings.is_empty() {
                body["warnings"] = json!(warnings);
            }
            let answer = FirstAnswer {
                status: StatusCode::OK.as_u16(),
                body: body.to_string(),
            };
            (Outcome::Accepted, response.order, None, answer)
        }
        Err((outcome, error)) => (outcome, Vec::new(), Some(error.body()), refused(&error)),
    };
    // The Platform has answered: whatever happens to the store now, this is the answer. A
    // record that could not be updated stays pending, and the reconciler finds its runs; it is
    // never sent a second time.
    if let Err(error) = state
        .store
        .record_answer(
            &record_id,
            outcome,
            &orders,
            error.as_ref(),
            Some(&answer),
            state.clock.now(),
        )
        .await
    {
        tracing::error!(activation = %record_id, "the answer could not be recorded; the reconciler will: {error}");
    }
    count_outcome(state, outcome);
    tracing::info!(activation = %record_id, user = %user, outcome = ?outcome, "activation answered");
    Ok(Dispatched::Answered { record_id, answer })
}

/// The guardrails' view of the sandbox: the Platform's facts, with the portal's own in-flight
/// records (not `own_id`, the stored plan being sent) and the runs it started.
pub async fn snapshot(
    state: &AppState,
    facts: &PlatformFacts,
    facts_read_from: shared::time::EpochMillis,
    own_id: Option<&str>,
) -> Result<Snapshot, ApiError> {
    Ok(sandbox_facts(state, facts, facts_read_from, own_id)
        .await?
        .snapshot())
}

/// The facts the guardrails judge by, as `GET /api/sandbox-facts` hands them to the browser.
pub async fn sandbox_facts(
    state: &AppState,
    facts: &PlatformFacts,
    facts_read_from: shared::time::EpochMillis,
    own_id: Option<&str>,
) -> Result<SandboxFacts, ApiError> {
    let portal_runs: Vec<RunInProgress> = state
        .store
        // Another replica's clock may be behind: its answer recorded just after our facts were
        // read could carry an earlier time.
        .in_flight(facts_read_from.plus_seconds(-REPLICA_CLOCK_SKEW_SECONDS))
        .await?
        .into_iter()
        // A stored plan is in flight itself (claimed): it is not in its own way.
        .filter(|entry| Some(entry.activation_id.as_str()) != own_id)
        .map(|entry| RunInProgress {
            segment_id: entry.segment_id,
            dataflow_id: entry.dataflow_id,
            run_id: format!("portal activation {}", entry.activation_id),
        })
        .collect();
    let now = state.clock.now();
    let mut started_here = state
        .store
        .claimed_run_ids(now.plus_seconds(-PORTAL_RUNS_LOOKBACK_SECONDS))
        .await?;
    started_here.extend(portal_runs.iter().map(|r| r.run_id.clone()));
    // An activation whose answer is not known yet may already have started its runs: a run of
    // one of its (dataflow, segment) entries is taken for the portal's own.
    started_here.extend(
        facts
            .runs_in_progress
            .iter()
            .filter(|run| {
                portal_runs.iter().any(|own| {
                    own.dataflow_id == run.dataflow_id && own.segment_id == run.segment_id
                })
            })
            .map(|run| run.run_id.clone()),
    );
    let runs: Vec<RunInProgress> = facts
        .runs_in_progress
        .iter()
        .cloned()
        .chain(portal_runs)
        .collect();
    let mut sandbox = SandboxFacts::read(&facts.flows, runs, &facts.export_jobs);
    sandbox.portal_runs = started_here.into_iter().collect();
    sandbox.portal_runs.sort();
    sandbox.warnings = facts.warnings.clone();
    Ok(sandbox)
}

/// A dataflow none of Adobe's documented signals classifies goes to the Platform, which
/// accepts or refuses it; the user is told the portal could not check it.
fn unclassified_destinations(plan: &Plan, snapshot: &Snapshot) -> Vec<String> {
    plan.dataflows()
        .filter_map(|id| snapshot.dataflow(id))
        .filter(|d| d.kind.is_unclassified())
        .map(|d| {
            format!(
                "The portal could not tell whether \"{}\" is a batch file destination; the Platform decides whether it takes an ad-hoc activation.",
                d.name
            )
        })
        .collect()
}

/// How far apart replicas' clocks may be (NTP keeps them far closer).
const REPLICA_CLOCK_SKEW_SECONDS: i64 = 5;

/// Runs the portal started within this time are its own ad-hoc runs, not a dataflow's scheduled
/// export: far longer than an export file takes to write.
const PORTAL_RUNS_LOOKBACK_SECONDS: i64 = 24 * 3600;

/// Records a plan the guardrails refused, and the refusal to answer with. A new plan is kept
/// to its first [`STORED_REFUSED_ENTRIES`] entries (the violation says how many there were); a
/// stored plan is marked refused.
async fn refuse(
    state: &AppState,
    user: &str,
    plan: &Plan,
    target: &Target<'_>,
    violations: Vec<Violation>,
    names: Names,
) -> Result<Dispatched, ApiError> {
    for v in &violations {
        state.metrics.count(
            "portal_guardrail_rejections_total",
            format!(
                "code=\"{}\"",
                serde_json::to_value(v.code)
                    .expect("codes serialise")
                    .as_str()
                    .unwrap_or_default()
            ),
        );
    }
    let refusal = ApiError::Guardrails(violations);
    let answer = refused(&refusal);
    let record_id = match target {
        Target::New {
            key,
            request_hash,
            plan: plan_info,
        } => {
            let record = HistoryRecord {
                id: uuid::Uuid::new_v4().to_string(),
                created_at: state.clock.now(),
                user: user.to_owned(),
                activation_info: plan.to_requested_at_most(STORED_REFUSED_ENTRIES),
                outcome: Outcome::Rejected,
                orders: Vec::new(),
                error: Some(refusal.body()),
                warnings: Vec::new(),
                names,
                runs: None,
                plan: (*plan_info).clone(),
            };
            state
                .store
                .insert(&record, *key, request_hash, Some(&answer))
                .await?;
            record.id
        }
        Target::Stored { record, .. } => {
            state
                .store
                .record_answer(
                    &record.id,
                    Outcome::Rejected,
                    &[],
                    Some(&refusal.body()),
                    Some(&answer),
                    state.clock.now(),
                )
                .await?;
            record.id.clone()
        }
    };
    count_outcome(state, Outcome::Rejected);
    Ok(Dispatched::Answered { record_id, answer })
}

/// The answer a portal error gives, as it is kept for replay.
fn refused(error: &ApiError) -> FirstAnswer {
    FirstAnswer {
        status: error.status().as_u16(),
        body: serde_json::to_string(&error.body()).expect("an error body serialises"),
    }
}

/// The caller's answer from what is kept: the same bytes for the first request and any repeat.
pub fn answer_with(record_id: &str, answer: &FirstAnswer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        answer.body.clone(),
    )
        .into_response();
    if status.is_success()
        && let Ok(location) = HeaderValue::from_str(&format!("/api/history/{record_id}"))
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    // A throttled answer says when to come back, in its body and as the header.
    if let Some(seconds) = serde_json::from_str::<ErrorBody>(&answer.body)
        .ok()
        .and_then(|body| body.retry_after_seconds)
    {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

fn parse(body: &[u8]) -> Result<Plan, ApiError> {
    let request: ActivationRequest = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(
            ErrorCode::InvalidActivation,
            format!("The activation request is not valid: {e}. Send {{\"activationInfo\": {{\"<dataflow id>\": [\"<segment id>\", ...]}}}}."),
        )
    })?;
    Ok(request.activation_info)
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    match value.to_str() {
        Ok(key) if !key.trim().is_empty() && key.len() <= MAX_KEY_LENGTH => {
            Ok(Some(key.trim().to_owned()))
        }
        _ => Err(ApiError::bad_request(
            ErrorCode::InvalidIdempotencyKey,
            format!(
                "Idempotency-Key must be 1 to {MAX_KEY_LENGTH} visible ASCII characters, for example a UUID."
            ),
        )),
    }
}

/// The first answer for a repeated key; a conflict if the key came with another plan.
pub async fn replay(
    state: &AppState,
    key: &str,
    request_hash: &str,
) -> Result<Option<Response>, ApiError> {
    let Some(keyed) = state.store.by_idempotency_key(key).await? else {
        return Ok(None);
    };
    if keyed.request_hash != request_hash {
        return Err(ApiError::IdempotencyKeyReused);
    }
    let record = &keyed.record;
    let response = match (&keyed.first_answer, record.outcome) {
        (Some(answer), _) => answer_with(&record.id, answer),
        (None, Outcome::Pending) => conflict(
            ErrorCode::ActivationInProgress,
            "The first request with this Idempotency-Key is still being sent; ask again in a moment."
                .into(),
        ),
        // The portal stopped before it answered; the reconciler found the runs since.
        (None, Outcome::Accepted) => answer_with(
            &record.id,
            &FirstAnswer {
                status: StatusCode::OK.as_u16(),
                body: json!({"order": record.orders}).to_string(),
            },
        ),
        (None, _) => conflict(
            ErrorCode::NoFirstAnswer,
            format!(
                "The portal stopped before it answered the first request with this Idempotency-Key; its outcome is in the history record /api/history/{}.",
                record.id
            ),
        ),
    };
    Ok(Some(response))
}

fn conflict(code: ErrorCode, message: String) -> Response {
    (StatusCode::CONFLICT, Json(ErrorBody::new(code, message))).into_response()
}

/// One POST; what became of it, for the record and the caller.
async fn send(
    state: &AppState,
    plan: &Plan,
    facts: &PlatformFacts,
    request_id: &str,
) -> Result<AdhocRunResponse, (Outcome, ApiError)> {
    let body = match state.platform.config().api_version {
        ApiVersion::V2 => json!({"activationInfo": plan}),
        ApiVersion::V1 => {
            let Some(job) = facts.latest_profile_export() else {
                return Err((
                    Outcome::Failed,
                    ApiError::bad_request(
                        ErrorCode::NoExportJob,
                        "The v1 activation API needs the latest profile export job, and the Platform lists none. Wait for the daily export or switch to v2.",
                    ),
                ));
            };
            json!({"activationInfo": plan, "exportIds": [job.id.to_string()]})
        }
    };
    let answer = state
        .platform
        .post_adhocrun(body.to_string().into_bytes(), request_id)
        .await;
    let answer = match answer {
        Ok(answer) => answer,
        Err(PostFailure::NotSent(error)) => return Err((Outcome::Failed, error.into())),
        Err(PostFailure::Unknown(why)) => return Err((Outcome::Unknown, unknown(&why))),
    };
    if answer.status.is_success() {
        return serde_json::from_slice::<AdhocRunResponse>(&answer.body).map_err(|e| {
            (
                Outcome::Unknown,
                unknown(&format!("its answer could not be read: {e}")),
            )
        });
    }
    // Throttled, or not permitted: nothing was started.
    if let refusal @ (UpstreamError::Throttled { .. } | UpstreamError::MissingPermission { .. }) =
        answer.refusal(&Method::POST, ADHOCRUN_PATH)
    {
        return Err((Outcome::Rejected, refusal.into()));
    }
    if answer.status.is_server_error() {
        // The Platform may have started some runs before failing: the reconciler will look.
        return Err((
            Outcome::Unknown,
            unknown(&format!("it answered {}", answer.status)),
        ));
    }
    let message = answer.error_message();
    Err((
        Outcome::Rejected,
        ApiError::Upstream {
            status: answer.status,
            rejection: AdhocRunRejection::parse(&message),
            message,
        },
    ))
}

fn unknown(why: &str) -> ApiError {
    ApiError::OutcomeUnknown(format!(
        "The Platform did not confirm the activation ({why}). It may have started: the portal is checking and the history will show the outcome. Do not send it again."
    ))
}

fn count_outcome(state: &AppState, outcome: Outcome) {
    state.metrics.count(
        "portal_activations_total",
        format!("outcome=\"{}\"", crate::store::outcome_text(outcome)),
    );
}
