//! Serving the built frontend: hashed assets are cached for good, `index.html` never is, and
//! client-side routes (`/history/42`) get `index.html` so that deep links work.

use std::path::{Path, PathBuf};

use axum::{
    Router,
    extract::Request,
    http::{HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
};
use tower_http::{
    compression::CompressionLayer,
    services::{ServeDir, ServeFile},
};

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";
const ACTIVATE_PRELOAD: &str = "</api/sandbox-facts>; rel=preload; as=fetch; crossorigin=anonymous";

#[derive(Debug, thiserror::Error)]
#[error(
    "no built frontend at {0}: build it with `cargo xtask build` or point --dist-dir at a folder it built"
)]
pub struct MissingFrontend(PathBuf);

/// The bundle `cargo xtask build` wrote, checked to hold an `index.html`.
#[derive(Clone, Debug)]
pub struct StaticFiles {
    dir: PathBuf,
}

impl StaticFiles {
    pub fn open(dir: &Path) -> Result<Self, MissingFrontend> {
        if dir.join("index.html").is_file() {
            Ok(Self {
                dir: dir.to_path_buf(),
            })
        } else {
            Err(MissingFrontend(dir.to_path_buf()))
        }
    }

    /// A service for every GET that no other route took.
    pub fn service(&self) -> Router {
        let index = ServeFile::new(self.dir.join("index.html"));
        // The bundle's assets come with `.br` and `.gz` copies made at build time: smaller than
        // the compression layer's (brotli at its best quality), and no compressing per download.
        let files = ServeDir::new(&self.dir)
            .precompressed_br()
            .precompressed_gzip()
            .fallback(index.clone());
        Router::new()
            .fallback_service(files)
            .layer(middleware::from_fn(spa_routes_only))
            .layer(middleware::from_fn(preload_activate_facts))
            .layer(middleware::from_fn(cache_control))
            .layer(CompressionLayer::new())
    }
}

/// A missing file (`/app-0123.js`) is a 404, not `index.html`: only extension-less paths are
/// client-side routes.
async fn spa_routes_only(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let served_index = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if served_index && has_extension(&path) && !path.ends_with(".html") {
        return StatusCode::NOT_FOUND.into_response();
    }
    response
}

/// The pages that open on the Activate view ask for the sandbox facts while the app downloads:
/// the app's own request takes this answer. Other pages do not, since the facts cost the
/// Platform a read of every destination dataflow.
async fn preload_activate_facts(request: Request, next: Next) -> Response {
    let activate = matches!(request.uri().path(), "/" | "/activate" | "/activate/");
    let mut response = next.run(request).await;
    if activate && response.status().is_success() {
        response
            .headers_mut()
            .insert(header::LINK, HeaderValue::from_static(ACTIVATE_PRELOAD));
    }
    response
}

async fn cache_control(request: Request, next: Next) -> Response {
    let immutable = is_hashed_asset(request.uri().path());
    let mut response = next.run(request).await;
    // A 304 carries the caching headers its 200 would have (RFC 9110, 15.4.5).
    let status = response.status();
    if status.is_success() || status == StatusCode::NOT_MODIFIED {
        let policy = if immutable { IMMUTABLE } else { REVALIDATE };
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
        // The same asset goes out brotli, gzip or plain: a shared cache must keep them apart.
        if immutable {
            headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
    }
    response
}

fn last_segment(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn has_extension(path: &str) -> bool {
    last_segment(path).contains('.')
}

/// The bundle names its outputs `stem-<hash>[_bg].ext` (16 hex digits of the content's hash), so
/// their content never changes.
fn is_hashed_asset(path: &str) -> bool {
    let Some((stem, _ext)) = last_segment(path).rsplit_once('.') else {
        return false;
    };
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-')
        .is_some_and(|(_, hash)| hash.len() >= 12 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, to_bytes};
    use tower::ServiceExt;

    fn dist() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.html"), "<html>app</html>").unwrap();
        std::fs::write(
            dir.path().join("frontend-0123456789abcdef_bg.wasm"),
            b"\0asm",
        )
        .unwrap();
        std::fs::write(dir.path().join("robots.txt"), "User-agent: *").unwrap();
        dir
    }

    async fn get(dir: &Path, path: &str) -> Response {
        StaticFiles::open(dir)
            .unwrap()
            .service()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    fn cache(response: &Response) -> &str {
        response.headers()[header::CACHE_CONTROL].to_str().unwrap()
    }

    #[tokio::test]
    async fn hashed_assets_are_immutable_and_the_rest_revalidates() {
        let dir = dist();
        let wasm = get(dir.path(), "/frontend-0123456789abcdef_bg.wasm").await;
        assert_eq!(wasm.status(), StatusCode::OK);
        assert_eq!(cache(&wasm), IMMUTABLE);
        let index = get(dir.path(), "/").await;
        assert_eq!(cache(&index), REVALIDATE);
        let robots = get(dir.path(), "/robots.txt").await;
        assert_eq!(cache(&robots), REVALIDATE);
    }

    async fn get_accepting(dir: &Path, path: &str, encodings: &str) -> Response {
        StaticFiles::open(dir)
            .unwrap()
            .service()
            .oneshot(
                Request::get(path)
                    .header(header::ACCEPT_ENCODING, encodings)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn an_asset_goes_out_as_its_build_time_compressed_copy_when_the_browser_takes_it() {
        let dir = dist();
        let wasm = "frontend-0123456789abcdef_bg.wasm";
        std::fs::write(dir.path().join(format!("{wasm}.br")), b"brotli bytes").unwrap();
        std::fs::write(dir.path().join(format!("{wasm}.gz")), b"gzip bytes").unwrap();
        for (accepted, encoding, body) in [
            ("gzip, deflate, br, zstd", Some("br"), &b"brotli bytes"[..]),
            ("gzip", Some("gzip"), b"gzip bytes"),
            ("identity", None, b"\0asm"),
        ] {
            let response = get_accepting(dir.path(), &format!("/{wasm}"), accepted).await;
            assert_eq!(response.status(), StatusCode::OK, "{accepted}");
            assert_eq!(
                response.headers()[header::CONTENT_TYPE],
                "application/wasm",
                "{accepted}"
            );
            assert_eq!(
                response
                    .headers()
                    .get(header::CONTENT_ENCODING)
                    .map(|v| v.to_str().unwrap()),
                encoding,
                "{accepted}"
            );
            assert_eq!(cache(&response), IMMUTABLE, "{accepted}");
            assert_eq!(
                response.headers()[header::VARY],
                "accept-encoding",
                "{accepted}"
            );
            let bytes = to_bytes(response.into_body(), 1024).await.unwrap();
            assert_eq!(&bytes[..], body, "{accepted}");
        }
        // An asset without a brotli copy falls back to its gzip one.
        let script = "frontend-0123456789abcdef.js";
        std::fs::write(dir.path().join(script), b"app()").unwrap();
        std::fs::write(dir.path().join(format!("{script}.gz")), b"gzip app").unwrap();
        let response = get_accepting(dir.path(), &format!("/{script}"), "br, gzip").await;
        assert_eq!(response.headers()[header::CONTENT_ENCODING], "gzip");
        let bytes = to_bytes(response.into_body(), 1024).await.unwrap();
        assert_eq!(&bytes[..], b"gzip app");
    }

    #[tokio::test]
    async fn client_side_routes_get_the_app() {
        let dir = dist();
        let response = get(dir.path(), "/history/42").await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(cache(&response), REVALIDATE);
        let body = to_bytes(response.into_body(), 1024).await.unwrap();
        assert_eq!(&body[..], b"<html>app</html>");
    }

    #[tokio::test]
    async fn only_the_activate_pages_preload_the_sandbox_facts() {
        let dir = dist();
        for path in ["/", "/activate"] {
            let response = get(dir.path(), path).await;
            assert_eq!(response.headers()[header::LINK], ACTIVATE_PRELOAD, "{path}");
        }
        for path in [
            "/history",
            "/history/42",
            "/frontend-0123456789abcdef_bg.wasm",
        ] {
            let response = get(dir.path(), path).await;
            assert!(response.headers().get(header::LINK).is_none(), "{path}");
        }
    }

    #[tokio::test]
    async fn missing_files_are_not_found() {
        let dir = dist();
        let response = get(dir.path(), "/frontend-fedcba9876543210.js").await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }

    #[test]
    fn a_folder_without_index_is_refused_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let message = StaticFiles::open(dir.path()).unwrap_err().to_string();
        assert!(message.contains("cargo xtask build"), "{message}");
    }

    #[test]
    fn only_content_hashed_names_count_as_immutable() {
        assert!(is_hashed_asset("/main-0123456789abcdef.css"));
        assert!(!is_hashed_asset("/main.css"));
        assert!(!is_hashed_asset("/history/0123456789abcdef0"));
        assert!(!is_hashed_asset("/logo-cafe.png"));
        assert!(is_hashed_asset("/frontend-1117386e0d6f62_bg.wasm"));
        // The split loader and the later pages' modules.
        assert!(is_hashed_asset("/frontend-split-8789f877d20deae2.js"));
        assert!(is_hashed_asset(
            "/lazy-split_history_page-8789f877d20deae2.wasm"
        ));
    }
}
