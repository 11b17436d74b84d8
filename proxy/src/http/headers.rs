//! Headers on every answer that tell the browser what the portal's pages may do: no framing by
//! other sites (clickjacking), scripts and styles from the portal only (the app has no inline
//! script; wasm needs `'wasm-unsafe-eval'` to compile), no content sniffing, no referrer, and
//! API answers never cached.

use axum::{
    extract::Request,
    http::{HeaderName, HeaderValue, header},
    middleware::Next,
    response::Response,
};

pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Built at compile time: `HeaderValue::from_static` checks its text on every call otherwise.
const SECURITY_HEADERS: [(HeaderName, HeaderValue); 4] = [
    (
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    ),
    (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    (
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ),
    (
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    ),
];
const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");

pub async fn security_headers(request: Request, next: Next) -> Response {
    let api = is_api(request.uri().path());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    // Room for all of them at once, instead of the map growing twice on the way.
    headers.reserve(SECURITY_HEADERS.len() + 1);
    for (name, value) in SECURITY_HEADERS {
        headers.insert(name, value);
    }
    if api {
        headers.insert(header::CACHE_CONTROL, NO_STORE);
    }
    response
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/") || matches!(path, "/healthz" | "/readyz" | "/metrics")
}
