//! Telling people what happened: each activation's outcome and each of its runs' ends, as signed
//! webhooks (DESIGN §10) and Slack messages, through a durable outbox. Events are derived from
//! the history (a record's final outcome, a run seen finished), written to the outbox before
//! anything is sent, and delivered by one worker that claims them with a lease: at least once,
//! never lost on a crash (the delivery id lets receivers drop repeats), never in an
//! activation's way.

use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use sha2::Sha256;
use shared::aep::adhoc::ActivationOrder;
use shared::aep::run::{Run, RunStatus};
use shared::portal::{HistoryRecord, Outcome};
use shared::time::EpochMillis;

use crate::AppState;
use crate::store::{AttemptOutcome, Notification, StoreError};

/// Where notifications go.
#[derive(Clone, Debug, Default)]
pub struct Receivers {
    pub webhooks: Vec<String>,
    /// Signs webhook bodies (`X-Portal-Signature`); required with webhooks.
    pub secret: Option<SecretString>,
    pub slack: Option<String>,
}

impl Receivers {
    pub fn is_empty(&self) -> bool {
        self.webhooks.is_empty() && self.slack.is_none()
    }

    fn targets(&self) -> Vec<Target> {
        self.webhooks
            .iter()
            .map(|url| Target::Webhook(url.clone()))
            .chain(self.slack.iter().map(|url| Target::Slack(url.clone())))
            .collect()
    }
}

enum Target {
    Webhook(String),
    Slack(String),
}

impl Target {
    /// How the outbox names it: `webhook <url>`, `slack <url>`.
    fn stored(&self) -> String {
        match self {
            Self::Webhook(url) => format!("webhook {url}"),
            Self::Slack(url) => format!("slack {url}"),
        }
    }

    fn parse(stored: &str) -> Option<Self> {
        match stored.split_once(' ')? {
            ("webhook", url) => Some(Self::Webhook(url.to_owned())),
            ("slack", url) => Some(Self::Slack(url.to_owned())),
            _ => None,
        }
    }
}

/// Events older than this are not derived any more (a portal down for longer than that does not
/// flood receivers with old news on its return).
const EVENTS_FOR_SECONDS: i64 = 2 * 24 * 3600;
/// A receiver that keeps answering 4xx is given up after this many attempts.
const PERMANENT_FAILURES: u32 = 5;
/// A receiver that is down is tried for this long, then given up.
const TRIED_FOR_SECONDS: i64 = 3 * 24 * 3600;
const LONGEST_BACKOFF_SECONDS: i64 = 300;
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// A claimed notification is someone else's to retry only after this.
const LEASE_SECONDS: i64 = 60;
const CLAIMED_AT_ONCE: u32 = 20;

pub fn spawn(state: Arc<AppState>, every: Duration) -> tokio::task::JoinHandle<()> {
    crate::background::spawn_job(state, "notify", every, |state| async move {
        if let Err(e) = enqueue_outcomes(&state).await {
            tracing::warn!("notifications: {e}");
        }
        if let Err(e) = deliver_due(&state).await {
            tracing::warn!("notifications: {e}");
        }
    })
}

/// Puts each final activation's own event in the outbox, once.
pub async fn enqueue_outcomes(state: &AppState) -> Result<(), StoreError> {
    if state.receivers.is_empty() {
        return Ok(());
    }
    let now = state.clock.now();
    for record in state
        .store
        .not_notified(now.plus_seconds(-EVENTS_FOR_SECONDS))
        .await?
    {
        let (event, done) = match record.outcome {
            Outcome::Accepted => ("activation.accepted", true),
            // A waiting plan's event, then its outcome's when it has one.
            Outcome::Scheduled => ("activation.scheduled", false),
            Outcome::AwaitingApproval => ("approval.requested", false),
            _ => ("activation.rejected", true),
        };
        let body = record_body(state, &record, event);
        let notifications = notifications(state, &record, event, None, body, now);
        state
            .store
            .enqueue(&notifications, done.then_some((record.id.as_str(), now)))
            .await?;
    }
    Ok(())
}

/// Puts the end of each of `record`'s finished runs in the outbox, once (`runs` by order).
pub async fn enqueue_run_ends(
    state: &AppState,
    record: &HistoryRecord,
    runs: &[(ActivationOrder, Option<Run>)],
) -> Result<(), StoreError> {
    if state.receivers.is_empty() {
        return Ok(());
    }
    let now = state.clock.now();
    let mut all = Vec::new();
    for (order, run) in runs {
        let Some(run) = run.as_ref().filter(|r| r.is_finished()) else {
            continue;
        };
        let event = if run.status() == RunStatus::Success {
            "run.succeeded"
        } else {
            "run.failed"
        };
        let mut body = record_body(state, record, event);
        let metrics = run.metrics.clone().unwrap_or_default();
        body["runId"] = json!(run.id);
        body["dataflowId"] = json!(order.order);
        body["segmentId"] = json!(order.segment);
        body["status"] = json!(run.status().as_str());
        body["records"] = json!(metrics.record_summary.and_then(|r| r.output_record_count));
        body["files"] = json!(metrics.file_summary.and_then(|f| f.output_file_count));
        all.extend(notifications(
            state,
            record,
            event,
            Some(&run.id),
            body,
            now,
        ));
    }
    state.store.enqueue(&all, None).await
}

/// The body every event carries: the record, named as people know it.
fn record_body(state: &AppState, record: &HistoryRecord, event: &str) -> Value {
    let outcome = serde_json::to_value(record.outcome).unwrap_or_default();
    let mut body = json!({
        "event": event,
        "id": record.id,
        "outcome": outcome,
        "user": record.user,
        "createdAt": record.created_at,
        "destinations": record.activation_info.keys().map(|d| json!({"id": d, "name": record.names.destination(d)})).collect::<Vec<_>>(),
        "entries": record.activation_info.values().map(Vec::len).sum::<usize>(),
    });
    if let Some(error) = &record.error {
        body["error"] = json!({"code": error.code, "message": error.message});
    }
    if let Some(origin) = &state.public_origin {
        body["link"] = json!(format!("{origin}/history/{}", record.id));
    }
    body
}

/// One notification per receiver: the event as JSON for webhooks, a sentence for Slack.
fn notifications(
    state: &AppState,
    record: &HistoryRecord,
    event: &str,
    run_id: Option<&str>,
    mut body: Value,
    now: EpochMillis,
) -> Vec<Notification> {
    state
        .receivers
        .targets()
        .into_iter()
        .map(|target| {
            let delivery_id = uuid::Uuid::new_v4().to_string();
            let text = match target {
                Target::Webhook(_) => {
                    body["deliveryId"] = json!(delivery_id);
                    body.to_string()
                }
                Target::Slack(_) => json!({"text": slack_text(record, event, &body)}).to_string(),
            };
            Notification {
                dedupe_key: format!(
                    "{event}|{}|{}|{}",
                    record.id,
                    run_id.unwrap_or_default(),
                    target.stored()
                ),
                delivery_id,
                record_id: record.id.clone(),
                event: event.to_owned(),
                target: target.stored(),
                body: text,
                created_at: now,
                attempts: 0,
                next_attempt_at: now,
                delivered_at: None,
                gave_up_at: None,
                last_error: None,
            }
        })
        .collect()
}

/// Who, what, which destination, the outcome, the counts, and a link to the record.
fn slack_text(record: &HistoryRecord, event: &str, body: &Value) -> String {
    let destinations = record
        .activation_info
        .keys()
        .map(|d| record.names.destination(d).to_owned())
        .collect::<Vec<_>>()
        .join(", ");
    let entries: usize = record.activation_info.values().map(Vec::len).sum();
    let what = match event {
        "activation.accepted" => format!(
            ":white_check_mark: {} activated {entries} segment(s) on {destinations}: accepted by the Platform.",
            record.user
        ),
        "activation.scheduled" => format!(
            ":calendar: {} scheduled {entries} segment(s) on {destinations}.",
            record.user
        ),
        "approval.requested" => format!(
            ":raised_hand: {} asks for approval to activate {entries} segment(s) on {destinations}.",
            record.user
        ),
        "activation.rejected" => format!(
            ":no_entry: {}'s activation of {entries} segment(s) on {destinations} was refused: {}",
            record.user,
            record.error.as_ref().map_or("", |e| e.message.as_str())
        ),
        _ => {
            let segment = body["segmentId"].as_str().unwrap_or_default();
            let dataflow = body["dataflowId"].as_str().unwrap_or_default();
            format!(
                "{} Run of {} on {}: {} ({} records, {} files), activated by {}.",
                if event == "run.succeeded" {
                    ":large_green_circle:"
                } else {
                    ":red_circle:"
                },
                record.names.segment(segment),
                record.names.destination(dataflow),
                body["status"].as_str().unwrap_or_default(),
                body["records"].as_u64().unwrap_or_default(),
                body["files"].as_u64().unwrap_or_default(),
                record.user
            )
        }
    };
    match body["link"].as_str() {
        Some(link) => format!("{what} <{link}|Open the record>"),
        None => what,
    }
}

/// Sends what is due; each attempt's outcome is recorded.
pub async fn deliver_due(state: &AppState) -> Result<(), StoreError> {
    if state.receivers.is_empty() {
        return Ok(());
    }
    let now = state.clock.now();
    let claimed = state
        .store
        .claim_due(now, now.plus_seconds(LEASE_SECONDS), CLAIMED_AT_ONCE)
        .await?;
    let attempts = claimed.iter().map(|n| async move {
        let outcome = attempt(state, n).await;
        (n, outcome)
    });
    for (notification, outcome) in futures::future::join_all(attempts).await {
        let label = match &outcome {
            AttemptOutcome::Delivered { .. } => "delivered",
            AttemptOutcome::Retry { .. } => "retried",
            AttemptOutcome::GaveUp { error, .. } => {
                tracing::warn!(
                    delivery = %notification.delivery_id,
                    event = %notification.event,
                    "a notification was given up: {error}"
                );
                "given_up"
            }
        };
        state.metrics.count(
            "portal_notifications_total",
            format!("event=\"{}\",outcome=\"{label}\"", notification.event),
        );
        state
            .store
            .record_attempt(&notification.delivery_id, outcome)
            .await?;
    }
    Ok(())
}

async fn attempt(state: &AppState, notification: &Notification) -> AttemptOutcome {
    let now = || state.clock.now();
    let Some(target) = Target::parse(&notification.target) else {
        return AttemptOutcome::GaveUp {
            error: format!("unknown receiver {}", notification.target),
            at: now(),
        };
    };
    let (url, request) = match &target {
        Target::Webhook(url) => {
            let mut request = state
                .notifier
                .post(url)
                .header("content-type", "application/json")
                .header("x-portal-event", &notification.event)
                .header("x-portal-delivery", &notification.delivery_id);
            if let Some(secret) = &state.receivers.secret {
                request = request.header(
                    "x-portal-signature",
                    format!("sha256={}", sign(secret, notification.body.as_bytes())),
                );
            }
            (url, request)
        }
        Target::Slack(url) => (
            url,
            state
                .notifier
                .post(url)
                .header("content-type", "application/json"),
        ),
    };
    let sent = request
        .body(notification.body.clone())
        .timeout(SEND_TIMEOUT)
        .send()
        .await;
    let attempts = notification.attempts + 1;
    let error = match sent {
        Ok(response) if response.status().is_success() => {
            return AttemptOutcome::Delivered { at: now() };
        }
        Ok(response) => {
            let status = response.status();
            let permanent = status.is_client_error()
                && status != reqwest::StatusCode::REQUEST_TIMEOUT
                && status != reqwest::StatusCode::TOO_MANY_REQUESTS;
            let error = format!("{} answered {status}", host_of(url));
            if permanent && attempts >= PERMANENT_FAILURES {
                return AttemptOutcome::GaveUp { error, at: now() };
            }
            error
        }
        Err(e) => format!(
            "{} could not be reached ({})",
            host_of(url),
            crate::ims::describe(&e)
        ),
    };
    if now().0 - notification.created_at.0 > TRIED_FOR_SECONDS * 1000 {
        return AttemptOutcome::GaveUp { error, at: now() };
    }
    AttemptOutcome::Retry {
        error,
        retry_at: now().plus_seconds(backoff_seconds(attempts)),
    }
}

/// 1, 2, 4 ... seconds, at most five minutes.
fn backoff_seconds(attempts: u32) -> i64 {
    (1_i64 << attempts.saturating_sub(1).min(20)).min(LONGEST_BACKOFF_SECONDS)
}

/// `webhook <host>`, `slack <host>`: how a receiver is shown.
pub fn receiver_name(stored: &str) -> String {
    match stored.split_once(' ') {
        Some((kind, url)) => format!("{kind} {}", host_of(url)),
        None => "unknown".to_owned(),
    }
}

/// The receiver's host, never its path (a Slack URL's path is its secret).
fn host_of(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "the receiver".to_owned())
}

pub fn sign(secret: &SecretString, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_five_minutes() {
        let waits: Vec<i64> = (1..=12).map(backoff_seconds).collect();
        assert_eq!(waits[..5], [1, 2, 4, 8, 16]);
        assert_eq!(*waits.last().unwrap(), 300);
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        let secret = SecretString::from("Jefe");
        assert_eq!(
            sign(&secret, b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn a_slack_receiver_is_named_by_host_only() {
        assert_eq!(
            host_of("https://hooks.slack.com/services/T000/B000/XXXX"),
            "hooks.slack.com"
        );
    }
}
