//! Calls to the portal. Every failure becomes a `Problem` with the portal's message (never raw
//! JSON), so views can show something a marketer can act on.

use gloo_net::http::{Request, Response};
use serde::de::DeserializeOwned;
use shared::aep::run::{Run, RunList, dataflow_runs_path};
use shared::facts;
use shared::plan::Plan;
use shared::portal::{
    ErrorBody, ErrorCode, HistoryDay, HistoryDetail, HistoryPage, HistoryRecord, PlanRequest,
    Session,
};
use shared::sandbox::{AudienceSize, SandboxFacts};

const PLATFORM: &str = "/api/platform";

#[derive(Clone, Debug, PartialEq)]
pub struct Problem(pub ErrorBody);

impl Problem {
    fn network(error: impl std::fmt::Display) -> Self {
        Self(ErrorBody::new(
            ErrorCode::Network,
            format!(
                "The portal could not be reached ({error}). Check the connection and try again."
            ),
        ))
    }

    fn unreadable(error: serde_json::Error) -> Self {
        Self(ErrorBody::new(
            ErrorCode::HttpError,
            format!(
                "The portal's answer could not be read ({error}). Reload the page; if it happens again, the portal and this page are of different versions."
            ),
        ))
    }
}

/// The body of a successful answer, or the portal's problem. One function for every call: only
/// the parsing that follows is compiled once per type.
async fn body(response: Result<Response, gloo_net::Error>) -> Result<String, Problem> {
    let response = response.map_err(Problem::network)?;
    if response.ok() {
        return response.text().await.map_err(Problem::network);
    }
    let status = response.status();
    Err(Problem(response.json::<ErrorBody>().await.unwrap_or_else(
        |_| {
            ErrorBody::new(
                ErrorCode::HttpError,
                format!("The portal answered {status} {}.", response.status_text()),
            )
        },
    )))
}

async fn read<T: DeserializeOwned>(
    response: Result<Response, gloo_net::Error>,
) -> Result<T, Problem> {
    serde_json::from_str(&body(response).await?).map_err(Problem::unreadable)
}

async fn get_body(url: &str) -> Result<String, Problem> {
    body(Request::get(url).send().await).await
}

async fn get<T: DeserializeOwned>(url: &str) -> Result<T, Problem> {
    serde_json::from_str(&get_body(url).await?).map_err(Problem::unreadable)
}

pub async fn session() -> Result<Session, Problem> {
    get("/api/session").await
}

/// The sandbox as the guardrails read it: destinations, runs in progress, export jobs, and the
/// portal's own runs, in one compact answer computed by the proxy.
pub async fn sandbox_facts() -> Result<SandboxFacts, Problem> {
    get(shared::sandbox::PATH).await
}

/// Every audience's latest size, read by the proxy across the Platform's pages.
pub async fn audience_sizes() -> Result<Vec<AudienceSize>, Problem> {
    get(shared::sandbox::AUDIENCE_SIZES_PATH).await
}

pub async fn runs_of(dataflow_id: &str) -> Result<Vec<Run>, Problem> {
    Ok(
        get::<RunList>(&format!("{PLATFORM}{}", dataflow_runs_path(dataflow_id)))
            .await?
            .items,
    )
}

/// The runs that could block `plan`, asked for exactly as the proxy asks before it activates.
pub async fn runs_for(plan: &Plan) -> Result<Vec<Run>, Problem> {
    use futures::{StreamExt, TryStreamExt};
    let pages: Vec<RunList> = futures::stream::iter(facts::run_queries(plan))
        .map(|path| async move { get::<RunList>(&format!("{PLATFORM}{path}")).await })
        .buffer_unordered(facts::QUERIES_AT_ONCE)
        .try_collect()
        .await?;
    Ok(pages.into_iter().flat_map(|page| page.items).collect())
}

pub async fn run(run_id: &str) -> Result<Option<Run>, Problem> {
    Ok(get::<RunList>(&format!(
        "{PLATFORM}/data/foundation/flowservice/runs/{run_id}"
    ))
    .await?
    .items
    .into_iter()
    .next())
}

/// A plan (DESIGN §10), now or at `run_at`: its record, or why it was refused.
pub async fn create_plan(
    plan: &Plan,
    run_at: Option<String>,
    split: bool,
    idempotency_key: &str,
) -> Result<HistoryRecord, Problem> {
    let body = serde_json::to_string(&PlanRequest {
        activation_info: plan.clone(),
        run_at,
        split,
        note: None,
    })
    .expect("a plan serialises");
    let request = Request::post("/api/plans")
        .header("content-type", "application/json")
        .header("idempotency-key", idempotency_key)
        .body(body)
        .map_err(Problem::network)?;
    read(request.send().await).await
}

/// `approve`, `cancel`, `retry` (no body) or `reject` (with a reason) on a record.
pub async fn record_action(
    id: &str,
    action: &str,
    reason: Option<&str>,
) -> Result<HistoryRecord, Problem> {
    let body = reason.map_or_else(
        || "{}".to_owned(),
        |r| serde_json::json!({"reason": r}).to_string(),
    );
    let request = Request::post(&format!("/api/history/{id}/{action}"))
        .header("content-type", "application/json")
        .body(body)
        .map_err(Problem::network)?;
    read(request.send().await).await
}

pub async fn history(query: &str) -> Result<HistoryPage, Problem> {
    get(&format!("/api/history?{query}")).await
}

/// Per day in the browser's time zone: activations by outcome, profiles exported.
pub async fn history_days(query: &str) -> Result<Vec<HistoryDay>, Problem> {
    let offset = -(js_sys::Date::new_0().get_timezone_offset() as i32);
    get(&format!(
        "/api/history/daily?{query}&offsetMinutes={offset}"
    ))
    .await
}

pub async fn history_detail(id: &str) -> Result<HistoryDetail, Problem> {
    get(&format!("/api/history/{id}")).await
}

/// A random key for `Idempotency-Key`, from the browser's cryptographic generator: a key that
/// could be guessed could be replayed. `randomUUID` exists only on https and localhost pages;
/// elsewhere 16 random bytes in hex do the same.
pub fn new_key() -> String {
    let window = web_sys::window().expect("the app runs in a window");
    let crypto = window
        .crypto()
        .expect("every browser the app runs in has crypto");
    if window.is_secure_context() {
        return crypto.random_uuid();
    }
    let mut bytes = [0u8; 16];
    crypto
        .get_random_values_with_u8_array(&mut bytes)
        .expect("16 bytes are within getRandomValues' limit");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Now, as the browser's clock says.
pub fn now() -> shared::time::EpochMillis {
    shared::time::EpochMillis(js_sys::Date::now() as i64)
}
