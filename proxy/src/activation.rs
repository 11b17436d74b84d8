//! The activation path (DESIGN §5): activator role, strict parsing, `Idempotency-Key`, the shared
//! guardrails over fresh facts and the portal's own in-flight records, a durable audit record
//! before the Platform is called, one call, the answer recorded.

use std::sync::Arc;

use axum::{
    Json,
    body::Bytes,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::json;
use shared::aep::adhoc::{ActivationInfo, AdhocRunRejection, AdhocRunResponse};
use shared::guardrails::{self, RunInProgress, Snapshot};
use shared::portal::{HistoryRecord, Outcome, Role};

use crate::auth::{User, sha256_hex};
use crate::config::ApiVersion;
use crate::error::ApiError;
use crate::facts::PlatformFacts;
use crate::upstream::PostFailure;
use crate::{AppState, RequestId, now};

const MAX_KEY_LENGTH: usize = 200;

/// The body the browser and the CLI send: the v2 shape, nothing else.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ActivationRequest {
    activation_info: ActivationInfo,
}

pub async fn activate(
    state: Arc<AppState>,
    user: User,
    RequestId(request_id): RequestId,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    user.require(Role::Activator)?;
    let plan = parse(&body)?;
    let key = idempotency_key(&headers)?;
    let request_hash = sha256_hex(&serde_json::to_string(&plan).expect("a plan serialises"));
    if let Some(key) = key.as_deref()
        && let Some(answer) = replay(&state, key, &request_hash).await?
    {
        return Ok(answer);
    }
    let facts_read_from = now();
    let facts = PlatformFacts::gather(&state.platform, &plan, &request_id).await?;

    // One activation at a time between reading the portal's in-flight records and writing its
    // own: two users sending the same segment at once cannot both pass. A rival accepted while
    // our facts were being read counts as in flight: its run may be missing from them.
    let guard = state.activation_lock.lock().await;
    if let Some(key) = key.as_deref()
        && let Some(answer) = replay(&state, key, &request_hash).await?
    {
        return Ok(answer);
    }
    let portal_runs = state
        .store
        .in_flight(facts_read_from)
        .await?
        .into_iter()
        .map(|entry| RunInProgress {
            segment_id: entry.segment_id,
            dataflow_id: entry.dataflow_id,
            run_id: format!("portal activation {}", entry.activation_id),
        });
    let runs: Vec<RunInProgress> = facts
        .runs_in_progress
        .iter()
        .cloned()
        .chain(portal_runs)
        .collect();
    let snapshot = Snapshot::new(&facts.flows, runs, &facts.export_jobs);
    let now = now();
    let violations = guardrails::check(&plan, &snapshot, now, &state.limits);
    let mut record = HistoryRecord {
        id: uuid::Uuid::new_v4().to_string(),
        created_at: now,
        user: user.name.clone(),
        activation_info: plan,
        outcome: Outcome::Pending,
        orders: Vec::new(),
        error: None,
    };
    if !violations.is_empty() {
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
        record.outcome = Outcome::Rejected;
        record.error = Some(refusal.body());
        state
            .store
            .insert(&record, key.as_deref(), &request_hash)
            .await?;
        count_outcome(&state, Outcome::Rejected);
        return Err(refusal);
    }
    state
        .store
        .insert(&record, key.as_deref(), &request_hash)
        .await?;
    drop(guard);

    let outcome = send(&state, &record, &facts, &request_id).await;
    let (status, result) = match outcome {
        Ok(response) => {
            state
                .store
                .record_answer(
                    &record.id,
                    Outcome::Accepted,
                    &response.order,
                    None,
                    crate::now(),
                )
                .await?;
            count_outcome(&state, Outcome::Accepted);
            (Outcome::Accepted, Ok(response))
        }
        Err((outcome, error)) => {
            state
                .store
                .record_answer(&record.id, outcome, &[], Some(&error.body()), crate::now())
                .await?;
            count_outcome(&state, outcome);
            (outcome, Err(error))
        }
    };
    tracing::info!(activation = %record.id, user = %user.name, outcome = ?status, "activation answered");
    let response = result?;
    Ok(accepted(&record.id, &response))
}

fn parse(body: &[u8]) -> Result<ActivationInfo, ApiError> {
    let request: ActivationRequest = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(
            "INVALID_ACTIVATION",
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
            "INVALID_IDEMPOTENCY_KEY",
            format!(
                "Idempotency-Key must be 1 to {MAX_KEY_LENGTH} visible ASCII characters, for example a UUID."
            ),
        )),
    }
}

/// The first answer for a repeated key; a conflict if the key came with another plan.
async fn replay(
    state: &AppState,
    key: &str,
    request_hash: &str,
) -> Result<Option<Response>, ApiError> {
    let Some((record, first_hash)) = state.store.by_idempotency_key(key).await? else {
        return Ok(None);
    };
    if first_hash != request_hash {
        return Err(ApiError::IdempotencyKeyReused);
    }
    let response = match (record.outcome, &record.error) {
        (Outcome::Accepted, _) => accepted(&record.id, &AdhocRunResponse { order: record.orders.clone() }),
        (Outcome::Pending, _) => (StatusCode::CONFLICT, Json(json!({"code": "ACTIVATION_IN_PROGRESS",
            "message": "The first request with this Idempotency-Key is still being sent; ask again in a moment.", "violations": []}))).into_response(),
        (_, Some(error)) => {
            let status = match error.code.as_str() {
                "GUARDRAIL_VIOLATION" => StatusCode::UNPROCESSABLE_ENTITY,
                "OUTCOME_UNKNOWN" => StatusCode::GATEWAY_TIMEOUT,
                "PLATFORM_ERROR" => StatusCode::BAD_REQUEST,
                _ => StatusCode::BAD_GATEWAY,
            };
            (status, Json(error.clone())).into_response()
        }
        (_, None) => (StatusCode::BAD_GATEWAY, Json(json!({"code": "OUTCOME_UNKNOWN", "message": "See the history.", "violations": []}))).into_response(),
    };
    Ok(Some(response))
}

/// The Platform's `order` list, with where the portal keeps the record.
fn accepted(record_id: &str, response: &AdhocRunResponse) -> Response {
    let mut answer = Json(response).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/api/history/{record_id}")) {
        answer.headers_mut().insert(header::LOCATION, location);
    }
    answer
}

/// One POST; what became of it, for the record and the caller.
async fn send(
    state: &AppState,
    record: &HistoryRecord,
    facts: &PlatformFacts,
    request_id: &str,
) -> Result<AdhocRunResponse, (Outcome, ApiError)> {
    let body = match state.platform.config().api_version {
        ApiVersion::V2 => json!({"activationInfo": record.activation_info}),
        ApiVersion::V1 => {
            let Some(job) = facts.latest_profile_export() else {
                return Err((
                    Outcome::Failed,
                    ApiError::bad_request(
                        "NO_EXPORT_JOB",
                        "The v1 activation API needs the latest profile export job, and the Platform lists none. Wait for the daily export or switch to v2.",
                    ),
                ));
            };
            json!({"activationInfo": record.activation_info, "exportIds": [job.id.to_string()]})
        }
    };
    let answer = state
        .platform
        .post_adhocrun(body.to_string().into_bytes(), request_id)
        .await;
    let answer = match answer {
        Ok(answer) => answer,
        Err(PostFailure::NotSent(error)) => return Err((Outcome::Failed, error)),
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
