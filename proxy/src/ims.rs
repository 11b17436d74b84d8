//! The IMS access token: fetched on demand, cached until shortly before it expires, one fetch at
//! a time however many requests wait for it, dropped when the Platform calls it invalid.

use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use shared::aep::ims::{TOKEN_PATH, TokenError, TokenResponse};

use crate::config::PlatformConfig;
use crate::metrics::Metrics;

/// IMS gets this long to answer; a hang must become a clear error.
const IMS_TIMEOUT: Duration = Duration::from_secs(10);
/// Refresh this long before expiry (or a tenth of the lifetime for short-lived tokens).
const REFRESH_MARGIN: Duration = Duration::from_secs(300);
/// IMS issues tokens for 24 hours; a longer `expires_in` is not believed.
const LONGEST_LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// A failure is answered from memory this long: an outage must not turn every probe of
/// `/readyz` (which anyone may call) into a call to IMS.
const FAILURE_MEMORY: Duration = Duration::from_secs(5);

/// Why no token could be had. Both messages say what to do; neither carries a secret.
#[derive(Clone, Debug, thiserror::Error)]
pub enum ImsError {
    #[error(
        "Adobe IMS is unavailable, so the portal cannot reach the Platform ({0}). Try again in a minute."
    )]
    Unavailable(String),
    #[error(
        "Adobe IMS refused the portal's credentials ({0}). An administrator must check AEP_CLIENT_ID, AEP_CLIENT_SECRET and AEP_SCOPES."
    )]
    Refused(String),
    #[error(
        "Adobe IMS does not know the portal's client id or secret ({0}). An administrator must copy AEP_CLIENT_ID and AEP_CLIENT_SECRET again from the project's OAuth Server-to-Server credential in the Developer Console."
    )]
    InvalidClient(String),
}

pub struct TokenSource {
    http: reqwest::Client,
    url: String,
    client_id: String,
    client_secret: SecretString,
    scopes: String,
    /// Read by every call without waiting; written after a fetch or an invalidation.
    cached: std::sync::RwLock<Option<Cached>>,
    /// Held across a fetch: concurrent callers wait for the one fetch.
    fetching: tokio::sync::Mutex<()>,
    last_failure: std::sync::Mutex<Option<(Instant, ImsError)>>,
    metrics: Arc<Metrics>,
}

struct Cached {
    token: SecretString,
    refresh_at: Instant,
}

impl TokenSource {
    pub fn new(http: reqwest::Client, config: &PlatformConfig, metrics: Arc<Metrics>) -> Self {
        Self {
            http,
            url: format!("{}{TOKEN_PATH}", config.ims_url),
            client_id: config.client_id.clone(),
            client_secret: config.client_secret.clone(),
            scopes: config.scopes.clone(),
            cached: std::sync::RwLock::new(None),
            fetching: tokio::sync::Mutex::new(()),
            last_failure: std::sync::Mutex::new(None),
            metrics,
        }
    }

    /// A valid token: the cached one, read without waiting (every forwarded call asks), or
    /// one fetched while concurrent callers wait for that one fetch.
    pub async fn token(&self) -> Result<SecretString, ImsError> {
        if let Some(token) = self.current() {
            return Ok(token);
        }
        let _fetching = self.fetching.lock().await;
        // Another caller may have fetched while this one waited.
        if let Some(token) = self.current() {
            return Ok(token);
        }
        if let Some(recent) = self.recent_failure() {
            return Err(recent);
        }
        let fresh = self.fetch().await.inspect_err(|error| {
            *self.failures() = Some((Instant::now(), error.clone()));
        })?;
        let token = fresh.token.clone();
        *self.cache() = Some(fresh);
        Ok(token)
    }

    fn current(&self) -> Option<SecretString> {
        self.cached
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .filter(|c| Instant::now() < c.refresh_at)
            .map(|c| c.token.clone())
    }

    fn cache(&self) -> std::sync::RwLockWriteGuard<'_, Option<Cached>> {
        self.cached
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn failures(&self) -> std::sync::MutexGuard<'_, Option<(Instant, ImsError)>> {
        self.last_failure
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn recent_failure(&self) -> Option<ImsError> {
        self.failures()
            .as_ref()
            .filter(|(at, _)| at.elapsed() < FAILURE_MEMORY)
            .map(|(_, error)| error.clone())
    }

    /// Forgets `stale` (and only it: another request may already have refreshed).
    pub async fn invalidate(&self, stale: &SecretString) {
        let mut cached = self.cache();
        if cached
            .as_ref()
            .is_some_and(|c| c.token.expose_secret() == stale.expose_secret())
        {
            *cached = None;
        }
    }

    async fn fetch(&self) -> Result<Cached, ImsError> {
        let started = Instant::now();
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.expose_secret()),
            ("scope", self.scopes.as_str()),
        ];
        let response = self
            .http
            .post(&self.url)
            .form(&form)
            .timeout(IMS_TIMEOUT)
            .send()
            .await;
        self.metrics.observe_upstream(started.elapsed());
        let response = response.map_err(|e| ImsError::Unavailable(describe(&e)))?;
        let status = response.status();
        if status.is_success() {
            let body: TokenResponse = response.json().await.map_err(|e| {
                ImsError::Unavailable(format!("unreadable answer: {}", describe(&e)))
            })?;
            self.metrics
                .count("portal_token_refreshes_total", String::new());
            let lifetime = Duration::from_secs(body.expires_in).min(LONGEST_LIFETIME);
            let margin = REFRESH_MARGIN.min(lifetime / 10);
            return Ok(Cached {
                token: SecretString::from(body.access_token),
                refresh_at: Instant::now() + lifetime - margin,
            });
        }
        let detail = response
            .json::<TokenError>()
            .await
            .map(|e| format!("{}: {}", e.error, e.error_description.unwrap_or_default()))
            .unwrap_or_else(|_| status.to_string());
        if status.is_server_error() {
            Err(ImsError::Unavailable(format!("IMS answered {status}")))
        } else if detail.starts_with("invalid_client:") {
            Err(ImsError::InvalidClient(detail))
        } else {
            Err(ImsError::Refused(detail))
        }
    }
}

/// A transport error in words, without the URL's query or any header.
pub fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timed out".into()
    } else if error.is_connect() {
        "could not connect".into()
    } else if error.is_decode() {
        "the answer could not be read".into()
    } else {
        "the connection failed".into()
    }
}
