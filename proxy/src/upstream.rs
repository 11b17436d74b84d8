//! Calls to the Platform with the credentials injected: GETs retried on 5xx, 429 and timeouts
//! with capped exponential backoff and jitter; the activation POST never retried blindly. Both
//! refresh the token once when the gateway calls it invalid (a 401 means nothing was done).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode, header};
use futures::{Stream, StreamExt};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use shared::aep::adhoc::{PATH as ADHOCRUN_PATH, V2_ACCEPT};
use shared::aep::error::PlatformError;

use crate::config::PlatformConfig;
use crate::ims::{ImsError, TokenSource, describe};
use crate::metrics::Metrics;

const GET_TIMEOUT: Duration = Duration::from_secs(15);
const POST_TIMEOUT: Duration = Duration::from_secs(30);
const GET_ATTEMPTS: u32 = 3;
const BACKOFF_BASE: Duration = Duration::from_millis(100);
const BACKOFF_CAP: Duration = Duration::from_secs(2);
/// Far above the largest answer seen (a page of 100 dataflows with 25,000 selectors: 8.6 MB).
const MAX_ANSWER_BYTES: usize = 32 * 1024 * 1024;

/// A successful answer on its way: status and content type known, the body still arriving.
pub struct Streamed {
    pub status: StatusCode,
    pub content_type: Option<HeaderValue>,
    pub body: std::pin::Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>,
}

/// How a GET ended: a success whose body has not been read, or a refusal read whole.
enum Reply {
    Success(reqwest::Response),
    Refused(Answer),
}

/// An upstream answer, reduced to what may reach the browser.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    /// `Retry-After` in seconds, on a throttled answer.
    pub retry_after: Option<u64>,
    pub body: Bytes,
}

impl Answer {
    pub fn platform_error(&self) -> Option<PlatformError> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The Platform's own words for a refusal, whatever the body's shape, or the status.
    pub fn error_message(&self) -> String {
        self.platform_error()
            .map_or_else(|| self.status.to_string(), |e| e.message().to_owned())
    }

    /// A refusal that says what to do: wait when throttled, name the permission when the
    /// technical account lacks one; otherwise the Platform's own words.
    pub fn refusal(&self, method: &axum::http::Method, path: &str) -> UpstreamError {
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            return UpstreamError::Throttled {
                retry_after_seconds: self.retry_after.unwrap_or(DEFAULT_RETRY_AFTER_SECONDS),
            };
        }
        let path = path.split('?').next().unwrap_or_default().to_owned();
        let permission_refused = self
            .platform_error()
            .is_some_and(|e| e.is_permission_refusal());
        if self.status == StatusCode::FORBIDDEN
            && permission_refused
            && let Some(route) = crate::allowlist::classify(method, &path)
        {
            return UpstreamError::MissingPermission {
                permission: route.permission(),
                path,
                message: self.error_message(),
            };
        }
        UpstreamError::Refused {
            status: self.status,
            path,
            message: self.error_message(),
        }
    }
}

/// When a throttled answer names no wait.
const DEFAULT_RETRY_AFTER_SECONDS: u64 = 5;
/// The longest `Retry-After` the portal waits out itself before trying again; a longer one is
/// passed on to the user.
const LONGEST_WAIT_HONOURED: Duration = Duration::from_secs(5);

/// Why a call got no answer from the Platform.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error(transparent)]
    Ims(#[from] ImsError),
    #[error("The Platform could not be reached ({0}). Try again in a minute.")]
    Unreachable(String),
    #[error("The Platform refused {path} ({message}).")]
    Refused {
        status: StatusCode,
        path: String,
        message: String,
    },
    #[error(
        "The Platform is throttling the portal's requests (Too many requests). Try again in {retry_after_seconds} s."
    )]
    Throttled { retry_after_seconds: u64 },
    #[error(
        "The portal's technical account lacks the Experience Platform permission \"{permission}\", which {path} needs ({message}). An administrator must add it to the role of the account's API credential in Experience Platform's Permissions."
    )]
    MissingPermission {
        permission: &'static str,
        path: String,
        message: String,
    },
    #[error("The Platform answered {path} with something unexpected: {why}")]
    Unreadable { path: String, why: String },
    #[error("The Platform's answer was larger than {MAX_ANSWER_BYTES} bytes; it was not read.")]
    TooLarge,
}

/// How an activation POST ended when no answer came back.
#[derive(Debug)]
pub enum PostFailure {
    /// It certainly never reached the Platform (no connection, no token).
    NotSent(UpstreamError),
    /// It may have reached the Platform: a timeout or a broken connection after sending.
    Unknown(String),
}

pub struct Platform {
    http: reqwest::Client,
    tokens: TokenSource,
    config: PlatformConfig,
    /// The headers every call carries but the token and request id, parsed once: a forwarded
    /// GET would otherwise validate each name and value again.
    identity: reqwest::header::HeaderMap,
    /// `config.platform_url`, parsed once: each call only puts its path and query in.
    base: reqwest::Url,
    metrics: Arc<Metrics>,
}

impl Platform {
    pub fn new(http: reqwest::Client, config: PlatformConfig, metrics: Arc<Metrics>) -> Self {
        Self {
            tokens: TokenSource::new(http.clone(), &config, metrics.clone()),
            identity: identity_headers(&config),
            base: reqwest::Url::parse(&config.platform_url)
                .expect("the configuration checked the Platform's address"),
            http,
            config,
            metrics,
        }
    }

    pub fn config(&self) -> &PlatformConfig {
        &self.config
    }

    /// Whether a token can be had now (for `/readyz`).
    pub async fn token_obtainable(&self) -> bool {
        self.tokens.token().await.is_ok()
    }

    /// `path_and_query` is a Platform path (`/data/...?...`) that passed the allowlist.
    pub async fn get(
        &self,
        path_and_query: &str,
        request_id: &str,
    ) -> Result<Answer, UpstreamError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let response = match self.get_reply(path_and_query, request_id, true).await? {
                Reply::Refused(answer) => return Ok(answer),
                Reply::Success(response) => response,
            };
            // A body cut off on the way is asked for again, like a failed call.
            match read(response).await {
                Ok(answer) => return Ok(answer),
                Err(ReadFailure::TooLarge) => return Err(UpstreamError::TooLarge),
                Err(e) if attempt < GET_ATTEMPTS => {
                    tracing::debug!(attempt, "retrying GET {path_and_query}: {}", e.describe());
                    tokio::time::sleep(backoff(attempt)).await;
                }
                Err(e) => return Err(unreachable(&e.describe())),
            }
        }
    }

    /// Like [`Platform::get`], but a successful answer's body is passed on as it arrives
    /// instead of being held whole: at most [`MAX_ANSWER_BYTES`] of it (the stream fails past
    /// that, and an answer that announces more is refused before any of it is sent). A refusal
    /// is read whole, to be explained.
    pub async fn get_streamed(
        &self,
        path_and_query: &str,
        request_id: &str,
    ) -> Result<Result<Streamed, Answer>, UpstreamError> {
        let response = match self.get_reply(path_and_query, request_id, false).await? {
            Reply::Refused(answer) => return Ok(Err(answer)),
            Reply::Success(response) => response,
        };
        if response
            .content_length()
            .is_some_and(|length| length > MAX_ANSWER_BYTES as u64)
        {
            return Err(UpstreamError::TooLarge);
        }
        let (status, content_type) = head(&response);
        // No deadline for the whole body (a slow browser takes its time to read a large page),
        // but the Platform may not fall silent longer than a GET may take, nor send past the cap.
        let body =
            futures::stream::unfold(Some((response.bytes_stream(), 0)), |state| async move {
                let (mut chunks, passed) = state?;
                let chunk = match tokio::time::timeout(GET_TIMEOUT, chunks.next()).await {
                    Err(_) => Err(std::io::Error::other("the Platform stopped sending")),
                    Ok(None) => return None,
                    Ok(Some(chunk)) => chunk.map_err(std::io::Error::other),
                };
                match chunk {
                    Ok(chunk) if passed + chunk.len() > MAX_ANSWER_BYTES => {
                        Some((Err(std::io::Error::other(UpstreamError::TooLarge)), None))
                    }
                    Ok(chunk) => {
                        let passed = passed + chunk.len();
                        Some((Ok(chunk), Some((chunks, passed))))
                    }
                    Err(error) => Some((Err(error), None)),
                }
            });
        Ok(Ok(Streamed {
            status,
            content_type,
            body: Box::pin(body),
        }))
    }

    /// A GET until it succeeds (its body not read yet) or ends refused: retried on 5xx, 429
    /// (as long as the Platform asks for a short wait) and transport failures, the token
    /// refreshed once on an invalid-token answer.
    /// With `whole`, the deadline covers the body too; without, only until the head arrives.
    async fn get_reply(
        &self,
        path_and_query: &str,
        request_id: &str,
        whole: bool,
    ) -> Result<Reply, UpstreamError> {
        let mut attempt = 0;
        let mut refreshed = false;
        loop {
            attempt += 1;
            let token = self.tokens.token().await?;
            let mut request = self
                .request(
                    reqwest::Method::GET,
                    path_and_query,
                    token.expose_secret(),
                    request_id,
                )
                .header(header::ACCEPT, "application/json");
            if whole {
                request = request.timeout(GET_TIMEOUT);
            }
            let started = Instant::now();
            let outcome = tokio::time::timeout(GET_TIMEOUT, request.send()).await;
            self.metrics.observe_upstream(started.elapsed());
            let retry_reason = match outcome {
                Err(_) if attempt < GET_ATTEMPTS => "no answer in time".to_owned(),
                Err(_) => return Err(unreachable("no answer in time")),
                Ok(Ok(response)) if response.status().is_success() => {
                    return Ok(Reply::Success(response));
                }
                Ok(Ok(response)) => {
                    // A refusal is read whole to be explained, within a GET's time even when
                    // the call itself has no deadline for its body.
                    let answer = tokio::time::timeout(GET_TIMEOUT, read(response))
                        .await
                        .unwrap_or(Err(ReadFailure::Silent));
                    match answer {
                        Ok(answer)
                            if answer.status == StatusCode::UNAUTHORIZED
                                && !refreshed
                                && is_invalid_token(&answer) =>
                        {
                            self.tokens.invalidate(&token).await;
                            refreshed = true;
                            continue;
                        }
                        Ok(answer)
                            if answer.status == StatusCode::TOO_MANY_REQUESTS
                                && attempt < GET_ATTEMPTS =>
                        {
                            match honoured_wait(&answer) {
                                Some(wait) => {
                                    tracing::debug!(
                                        attempt,
                                        "throttled on GET {path_and_query}; waiting {wait:?}"
                                    );
                                    tokio::time::sleep(wait).await;
                                    continue;
                                }
                                None => return Ok(Reply::Refused(answer)),
                            }
                        }
                        Ok(answer) if is_retryable(answer.status) && attempt < GET_ATTEMPTS => {
                            answer.status.to_string()
                        }
                        Ok(answer) => return Ok(Reply::Refused(answer)),
                        Err(ReadFailure::TooLarge) => return Err(UpstreamError::TooLarge),
                        Err(e) if attempt < GET_ATTEMPTS => e.describe(),
                        Err(e) => return Err(unreachable(&e.describe())),
                    }
                }
                Ok(Err(e)) if attempt < GET_ATTEMPTS => describe(&e),
                Ok(Err(e)) => return Err(unreachable(&describe(&e))),
            };
            tracing::debug!(attempt, "retrying GET {path_and_query}: {retry_reason}");
            tokio::time::sleep(backoff(attempt)).await;
        }
    }

    /// A successful answer read as `T`; a refusal or an unreadable body is an error.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        path_and_query: &str,
        request_id: &str,
    ) -> Result<T, UpstreamError> {
        let answer = self.get(path_and_query, request_id).await?;
        let path = || {
            path_and_query
                .split('?')
                .next()
                .unwrap_or_default()
                .to_owned()
        };
        if !answer.status.is_success() {
            return Err(answer.refusal(&axum::http::Method::GET, &path()));
        }
        serde_json::from_slice(&answer.body).map_err(|e| UpstreamError::Unreadable {
            path: path(),
            why: e.to_string(),
        })
    }

    /// The activation: sent once; a second time only after an invalid-token refusal.
    pub async fn post_adhocrun(
        &self,
        body: Vec<u8>,
        request_id: &str,
    ) -> Result<Answer, PostFailure> {
        let mut refreshed = false;
        let mut waited = false;
        loop {
            let token = self
                .tokens
                .token()
                .await
                .map_err(|e| PostFailure::NotSent(e.into()))?;
            let mut request = self
                .request(
                    reqwest::Method::POST,
                    ADHOCRUN_PATH,
                    token.expose_secret(),
                    request_id,
                )
                .header(header::CONTENT_TYPE, "application/json")
                .timeout(POST_TIMEOUT)
                .body(body.clone());
            if self.config.api_version == crate::config::ApiVersion::V2 {
                request = request.header(header::ACCEPT, V2_ACCEPT);
            }
            let started = Instant::now();
            let outcome = request.send().await;
            self.metrics.observe_upstream(started.elapsed());
            let response = match outcome {
                Ok(response) => response,
                Err(e) if e.is_connect() => {
                    return Err(PostFailure::NotSent(unreachable(&describe(&e))));
                }
                Err(e) => return Err(PostFailure::Unknown(describe(&e))),
            };
            let answer = read(response)
                .await
                .map_err(|e| PostFailure::Unknown(e.describe()))?;
            if answer.status == StatusCode::UNAUTHORIZED && !refreshed && is_invalid_token(&answer)
            {
                self.tokens.invalidate(&token).await;
                refreshed = true;
                continue;
            }
            // A throttled request was not carried out: sending it again after the wait the
            // Platform asks for cannot start anything twice.
            if answer.status == StatusCode::TOO_MANY_REQUESTS
                && !waited
                && let Some(wait) = honoured_wait(&answer)
            {
                waited = true;
                tokio::time::sleep(wait).await;
                continue;
            }
            return Ok(answer);
        }
    }

    fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        request_id: &str,
    ) -> reqwest::RequestBuilder {
        let (path, query) = path
            .split_once('?')
            .map_or((path, None), |(p, q)| (p, Some(q)));
        let mut url = self.base.clone();
        url.set_path(&format!("{}{path}", self.base.path().trim_end_matches('/')));
        url.set_query(query);
        self.http
            .request(method, url)
            .bearer_auth(token)
            .headers(self.identity.clone())
            .header(X_REQUEST_ID, request_id)
    }
}

const X_REQUEST_ID: reqwest::header::HeaderName =
    reqwest::header::HeaderName::from_static("x-request-id");

/// The API key, organisation and sandbox headers of `config`, whose values
/// `PlatformConfig::load` has checked are valid headers.
fn identity_headers(config: &PlatformConfig) -> reqwest::header::HeaderMap {
    use reqwest::header::{HeaderName, HeaderValue};
    let mut headers = reqwest::header::HeaderMap::with_capacity(4);
    let fields = [
        ("x-api-key", Some(&config.client_id)),
        ("x-gw-ims-org-id", Some(&config.org_id)),
        ("x-sandbox-name", Some(&config.sandbox_name)),
        ("x-sandbox-id", config.sandbox_id.as_ref()),
    ];
    for (name, value) in fields {
        if let Some(value) = value {
            let value = HeaderValue::from_str(value)
                .expect("the configuration checked its header settings");
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    headers
}

/// Why an answer could not be read whole.
enum ReadFailure {
    Transport(reqwest::Error),
    TooLarge,
    /// Nothing more came within a GET's time.
    Silent,
}

impl ReadFailure {
    fn describe(&self) -> String {
        match self {
            Self::Transport(error) => describe(error),
            Self::TooLarge => format!("the answer was larger than {MAX_ANSWER_BYTES} bytes"),
            Self::Silent => "the answer stopped coming".to_owned(),
        }
    }
}

/// Reads the answer, at most [`MAX_ANSWER_BYTES`] of it: an upstream that sends without end
/// must not fill the portal's memory.
async fn read(mut response: reqwest::Response) -> Result<Answer, ReadFailure> {
    let (status, _) = head(&response);
    // Seconds only; an HTTP date is read as no wait given (the default wait applies).
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok()?.trim().parse().ok());
    if response
        .content_length()
        .is_some_and(|length| length > MAX_ANSWER_BYTES as u64)
    {
        return Err(ReadFailure::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(ReadFailure::Transport)? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(ReadFailure::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Answer {
        status,
        retry_after,
        body: Bytes::from(body),
    })
}

/// The status and content type of an answer: all of its head that may reach the browser.
fn head(response: &reqwest::Response) -> (StatusCode, Option<HeaderValue>) {
    let status =
        StatusCode::from_u16(response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| HeaderValue::from_bytes(v.as_bytes()).ok());
    (status, content_type)
}

/// The wait a throttled answer asks for, if the portal should wait it out itself.
fn honoured_wait(answer: &Answer) -> Option<Duration> {
    let wait = Duration::from_secs(answer.retry_after.unwrap_or(DEFAULT_RETRY_AFTER_SECONDS));
    (wait <= LONGEST_WAIT_HONOURED).then_some(wait)
}

fn is_invalid_token(answer: &Answer) -> bool {
    answer
        .platform_error()
        .is_some_and(|e| e.is_invalid_token())
}

fn is_retryable(status: StatusCode) -> bool {
    status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS
}

fn unreachable(why: &str) -> UpstreamError {
    UpstreamError::Unreachable(why.to_owned())
}

/// Full jitter: a random wait up to `min(cap, base * 2^attempt)`.
fn backoff(attempt: u32) -> Duration {
    let ceiling = BACKOFF_BASE
        .saturating_mul(1 << attempt.min(10))
        .min(BACKOFF_CAP);
    ceiling.mul_f64(jitter())
}

/// A number in [0, 1) that differs between calls; good enough to spread retries.
fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(Instant::now().elapsed().as_nanos());
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_under_the_cap() {
        for attempt in 1..20 {
            let wait = backoff(attempt);
            assert!(wait <= BACKOFF_CAP, "{attempt}: {wait:?}");
            assert!(
                wait <= BACKOFF_BASE * (1 << attempt.min(10)),
                "{attempt}: {wait:?}"
            );
        }
    }

    fn platform_at(url: &str, sandbox_id: Option<&str>) -> Platform {
        let config = PlatformConfig {
            client_id: "client".into(),
            client_secret: "secret".to_owned().into(),
            org_id: "ORG@AdobeOrg".into(),
            scopes: "openid".into(),
            sandbox_name: "prod".into(),
            sandbox_id: sandbox_id.map(str::to_owned),
            platform_url: url.into(),
            ims_url: url.into(),
            api_version: crate::config::ApiVersion::V2,
        };
        Platform::new(reqwest::Client::new(), config, Arc::default())
    }

    #[test]
    fn a_call_goes_to_the_path_and_query_under_the_platforms_address_with_its_identity() {
        for (base, expected) in [
            (
                "https://platform.adobe.io",
                "https://platform.adobe.io/data/foundation/flowservice/runs?property=flowId%3D%3Dabc&limit=5",
            ),
            (
                "http://127.0.0.1:9090/gateway/",
                "http://127.0.0.1:9090/gateway/data/foundation/flowservice/runs?property=flowId%3D%3Dabc&limit=5",
            ),
        ] {
            let request = platform_at(base, Some("sandbox-id"))
                .request(
                    reqwest::Method::GET,
                    "/data/foundation/flowservice/runs?property=flowId%3D%3Dabc&limit=5",
                    "token",
                    "request-1",
                )
                .build()
                .unwrap();
            assert_eq!(request.url().as_str(), expected);
            let headers = request.headers();
            assert_eq!(headers["authorization"], "Bearer token");
            assert_eq!(headers["x-api-key"], "client");
            assert_eq!(headers["x-gw-ims-org-id"], "ORG@AdobeOrg");
            assert_eq!(headers["x-sandbox-name"], "prod");
            assert_eq!(headers["x-sandbox-id"], "sandbox-id");
            assert_eq!(headers["x-request-id"], "request-1");
        }
        let without_query = platform_at("https://platform.adobe.io", None)
            .request(reqwest::Method::GET, "/data/core/ups/audiences", "t", "r")
            .build()
            .unwrap();
        assert_eq!(
            without_query.url().as_str(),
            "https://platform.adobe.io/data/core/ups/audiences"
        );
        assert!(!without_query.headers().contains_key("x-sandbox-id"));
    }

    #[test]
    fn only_server_errors_and_429_are_retried() {
        assert!(is_retryable(StatusCode::BAD_GATEWAY));
        assert!(is_retryable(StatusCode::TOO_MANY_REQUESTS));
        assert!(!is_retryable(StatusCode::NOT_FOUND));
        assert!(!is_retryable(StatusCode::BAD_REQUEST));
    }
}
