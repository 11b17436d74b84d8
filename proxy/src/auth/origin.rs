//! Requests that change something must come from the portal's own pages, as JSON; and the demo
//! answers only to names of this machine, so that a page on another site cannot reach it by
//! rebinding its own name to 127.0.0.1.

use axum::http::{HeaderMap, Method, header};

use super::header_text;
use crate::error::ApiError;
use crate::media::is_json;

/// Where browsers reach the portal, for comparing `Origin`: `--public-url` when the portal is
/// behind a TLS proxy, else `http://` and the `Host` the request names.
pub fn check_same_origin(
    method: &Method,
    headers: &HeaderMap,
    public_origin: Option<&str>,
) -> Result<(), ApiError> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    if let Some(site) = header_text(headers, "sec-fetch-site")
        && site != "same-origin"
        && site != "none"
    {
        return Err(ApiError::CrossSite(format!("a {site} page")));
    }
    if let Some(origin) = header_text(headers, header::ORIGIN.as_str()) {
        let expected = match public_origin {
            Some(public) => public.trim_end_matches('/').to_owned(),
            None => format!(
                "http://{}",
                header_text(headers, header::HOST.as_str()).unwrap_or_default()
            ),
        };
        // `null` (a sandboxed frame, a file, a redirect) never equals an origin.
        if !origin.eq_ignore_ascii_case(&expected) {
            return Err(ApiError::CrossSite(origin));
        }
    }
    Ok(())
}

/// A state-changing body must be JSON: a form or text/plain body is what a cross-site page can
/// send without asking the browser's permission first.
pub fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    if header_text(headers, header::CONTENT_TYPE.as_str()).is_some_and(|value| is_json(&value)) {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType)
    }
}

/// The demo's `Host` must name this machine: `localhost`, `127.0.0.1` or `[::1]`, any port.
pub fn check_loopback_host(headers: &HeaderMap) -> Result<(), ApiError> {
    let host = header_text(headers, header::HOST.as_str()).unwrap_or_default();
    let name = match host.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => host
            .rsplit_once(':')
            .map_or(host.as_str(), |(name, _)| name),
    };
    if matches!(
        name.to_ascii_lowercase().as_str(),
        "localhost" | "127.0.0.1" | "::1"
    ) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "The demo portal answers only to this machine's names (localhost, 127.0.0.1), not to {host:?}."
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::test_headers as headers;

    const JSON: (&str, &str) = ("content-type", "application/json");

    #[test]
    fn a_post_from_the_portals_own_origin_passes() {
        let ok = headers(&[
            ("origin", "http://127.0.0.1:8080"),
            ("host", "127.0.0.1:8080"),
            JSON,
        ]);
        assert!(check_same_origin(&Method::POST, &ok, None).is_ok());
        let cli = headers(&[JSON]);
        assert!(
            check_same_origin(&Method::POST, &cli, None).is_ok(),
            "the CLI sends no Origin"
        );
        let behind_tls = headers(&[
            ("origin", "https://portal.example"),
            ("host", "portal.example"),
            JSON,
        ]);
        assert!(
            check_same_origin(&Method::POST, &behind_tls, Some("https://portal.example/")).is_ok()
        );
    }

    #[test]
    fn cross_site_posts_are_refused() {
        for (origin, public) in [
            ("https://evil.example", None),
            ("https://127.0.0.1:8080", None),
            ("null", None),
            ("http://portal.example", Some("https://portal.example")),
        ] {
            let request = headers(&[("origin", origin), ("host", "127.0.0.1:8080"), JSON]);
            assert!(
                matches!(
                    check_same_origin(&Method::POST, &request, public),
                    Err(ApiError::CrossSite(_))
                ),
                "{origin}"
            );
        }
        let fetch = headers(&[("sec-fetch-site", "cross-site"), JSON]);
        assert!(check_same_origin(&Method::POST, &fetch, None).is_err());
        let evil = headers(&[("origin", "https://evil.example")]);
        assert!(check_same_origin(&Method::GET, &evil, None).is_ok());
    }

    #[test]
    fn only_json_bodies_change_anything() {
        for content_type in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
        ] {
            let request = headers(&[("content-type", content_type)]);
            assert!(
                matches!(require_json(&request), Err(ApiError::UnsupportedMediaType)),
                "{content_type}"
            );
        }
        assert!(require_json(&HeaderMap::new()).is_err());
        let charset = headers(&[("content-type", "application/json; charset=utf-8")]);
        assert!(require_json(&charset).is_ok());
    }

    #[test]
    fn the_demo_answers_only_to_this_machines_names() {
        for host in [
            "localhost:8080",
            "127.0.0.1:8080",
            "[::1]:8080",
            "LOCALHOST",
            "127.0.0.1",
        ] {
            assert!(
                check_loopback_host(&headers(&[("host", host)])).is_ok(),
                "{host}"
            );
        }
        for host in ["rebind.example:8080", "127.0.0.1.nip.io", "[::2]:80", ""] {
            assert!(
                check_loopback_host(&headers(&[("host", host)])).is_err(),
                "{host:?}"
            );
        }
    }
}
