//! The portal's own accept loop. `axum::serve` sets no header-read timeout and takes every
//! connection it is offered, so one client sending a header a byte a minute (slowloris) could
//! hold connections for ever. Here headers must arrive in time (also between the requests of a
//! keep-alive connection, which bounds idle connections), requests and bodies have deadlines,
//! and connections are capped.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::extract::Request;
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::{Service, ServiceBuilder, ServiceExt};
use tower_http::map_request_body::MapRequestBodyLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;

/// How long in-flight requests get to finish after a shutdown signal.
const DRAIN: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, Debug)]
pub struct InboundLimits {
    /// A request's headers must have arrived this long after the connection (or the previous
    /// request) was ready for them.
    pub header_read_timeout: Duration,
    /// The whole request, until its answer's headers (a forwarded body streams on after them).
    /// Longer than the activation's own call to the Platform (30 s).
    pub request_timeout: Duration,
    /// Between two pieces of a request body.
    pub body_timeout: Duration,
    /// Connections served at once; more wait in the listen queue.
    pub max_connections: usize,
}

impl Default for InboundLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            body_timeout: Duration::from_secs(10),
            max_connections: 1024,
        }
    }
}

/// `router` with the body deadline of `limits`, wrapped around it once: as a `Router::layer` it
/// would wrap every route, and each request would clone and box its way through one more level.
/// (The whole request's deadline is the observer's, inside the router: see `http::observe`.)
pub fn with_body_deadline(
    router: Router,
    limits: &InboundLimits,
) -> impl Service<Request, Response = Response, Error = Infallible, Future: Send> + Clone + Send + 'static
{
    ServiceBuilder::new()
        .layer(RequestBodyTimeoutLayer::new(limits.body_timeout))
        .layer(MapRequestBodyLayer::new(Body::new))
        .service(router)
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets requests in flight end.
pub async fn serve<S>(
    listener: TcpListener,
    app: S,
    limits: InboundLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send,
{
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!("accepting a connection failed: {error}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // A streamed answer's last short write must not wait for the client's delayed ACK
        // (Nagle's algorithm: 40 ms stalls on loopback).
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!("TCP_NODELAY not set: {error}");
        }
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(request.map(Body::new))
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%peer, "connection ended: {error}");
            }
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still running after {DRAIN:?}; stopping anyway");
    }
    Ok(())
}
