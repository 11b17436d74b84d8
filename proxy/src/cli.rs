//! `adhoc-portal activate`: the same activation as the browser's, from a terminal or a CI job,
//! against a running portal, optionally waiting for every run to end.

use std::time::Duration;

use shared::aep::adhoc::AdhocRunResponse;
use shared::aep::run::RunStatus;
use shared::plan::Plan;
use shared::portal::{ActivationRequest, ErrorBody, HistoryDetail};

const POLL_EVERY: Duration = Duration::from_secs(2);

pub struct ActivateCommand {
    pub portal_url: String,
    pub token: Option<String>,
    pub plan: Plan,
    pub wait: bool,
    /// Stop waiting after this long (the runs go on; the history has them).
    pub wait_limit: Duration,
}

/// Exit code: 0 only if the portal accepted and, with `--wait`, every run succeeded.
pub async fn activate(command: ActivateCommand) -> Result<(), String> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| e.to_string())?;
    let base = command.portal_url.trim_end_matches('/');
    let mut request = http
        .post(format!(
            "{base}/api/platform/data/core/activation/disflowprovider/adhocrun"
        ))
        .header("idempotency-key", uuid::Uuid::new_v4().to_string())
        .json(&ActivationRequest {
            activation_info: command.plan,
        });
    if let Some(token) = &command.token {
        request = request.bearer_auth(token);
    }
    let response = request
        .send()
        .await
        .map_err(|e| format!("cannot reach the portal at {base}: {e}"))?;
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if !status.is_success() {
        return Err(portal_error(
            response.json::<ErrorBody>().await.ok(),
            status,
        ));
    }
    let answer: AdhocRunResponse = response
        .json()
        .await
        .map_err(|e| format!("the portal's answer could not be read: {e}"))?;
    for order in &answer.order {
        println!(
            "order: segment {} on dataflow {} → run {}",
            order.segment,
            order.order,
            order.run_id().map_or_else(|| "?".to_owned(), String::from)
        );
    }
    if !command.wait {
        return Ok(());
    }
    let location = location.ok_or("the portal did not say where it keeps the activation")?;
    wait(
        &http,
        &record_url(base, &location)?,
        command.token.as_deref(),
        command.wait_limit,
    )
    .await
}

/// Where the portal keeps the record, resolved against the portal's address and refused if it
/// leaves the portal: `@evil.example/x` glued to the base would send the token elsewhere.
fn record_url(base: &str, location: &str) -> Result<String, String> {
    let base = reqwest::Url::parse(&format!("{base}/"))
        .map_err(|e| format!("--portal-url {base:?} is not an address: {e}"))?;
    let url = base
        .join(location)
        .map_err(|e| format!("the portal named its record {location:?}, not an address: {e}"))?;
    if url.origin() == base.origin() && url.path().starts_with("/api/history/") {
        Ok(url.to_string())
    } else {
        Err(format!(
            "the portal named its record {location:?}, which is not on {}; the token is not sent there",
            base.origin().ascii_serialization()
        ))
    }
}

async fn wait(
    http: &reqwest::Client,
    detail_url: &str,
    token: Option<&str>,
    limit: Duration,
) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + limit;
    let mut last_line = String::new();
    loop {
        let mut request = http.get(detail_url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .map_err(|e| format!("cannot reach the portal: {e}"))?;
        if !response.status().is_success() {
            let status = response.status();
            return Err(portal_error(
                response.json::<ErrorBody>().await.ok(),
                status,
            ));
        }
        let detail: HistoryDetail = response
            .json()
            .await
            .map_err(|e| format!("unreadable history: {e}"))?;
        let statuses: Vec<RunStatus> = detail
            .runs
            .iter()
            .map(|r| {
                r.run
                    .as_ref()
                    .map_or(RunStatus::InProgress, |run| run.status())
            })
            .collect();
        let line = detail
            .runs
            .iter()
            .zip(&statuses)
            .map(|(r, s)| format!("{}: {}", r.order.segment, s.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        if line != last_line {
            println!("{line}");
            last_line = line;
        }
        if statuses.iter().all(|s| s.is_finished()) {
            let failed = statuses.iter().filter(|s| **s == RunStatus::Failed).count();
            return if failed == 0 {
                Ok(())
            } else {
                Err(format!("{failed} of {} runs failed", statuses.len()))
            };
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(format!(
                "runs still in progress after {} s; follow them in the history",
                limit.as_secs()
            ));
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

fn portal_error(body: Option<ErrorBody>, status: reqwest::StatusCode) -> String {
    let Some(body) = body else {
        return format!("the portal answered {status}");
    };
    let mut message = format!("{} ({})", body.message, body.code);
    for violation in &body.violations {
        message.push_str("\n  - ");
        message.push_str(&violation.message.en);
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_is_followed_only_on_the_portal() {
        assert_eq!(
            record_url("https://portal.example", "/api/history/42").unwrap(),
            "https://portal.example/api/history/42"
        );
        for location in [
            "@evil.example/api/history/42",
            "//evil.example/api/history/42",
            "https://evil.example/api/history/42",
            "/api/platform/data/x",
        ] {
            assert!(
                record_url("https://portal.example", location).is_err(),
                "{location}"
            );
        }
    }
}
