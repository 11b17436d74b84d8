//! The Platform calls the browser may make through `/api/platform/...` (ARCHITECTURE.md, *HTTP surface*). Anything
//! else is a 404 that never leaves the proxy. Ids in paths are plain tokens: no `..`, no
//! percent-encoding (so no encoded slash), no empty segment, nothing that could be a URL.

use axum::http::Method;
use shared::ids::is_platform_id;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Flows,
    Flow,
    Runs,
    Run,
    SegmentDefinitions,
    SegmentDefinition,
    Audiences,
    ExportJobs,
    AdhocRun,
}

impl Route {
    /// The Experience Platform permission the technical account needs for this call: the four
    /// that ad-hoc activation needs (EFN-DOC, BATCH-API-DOC).
    pub fn permission(self) -> &'static str {
        match self {
            Self::Flows | Self::Flow | Self::Runs | Self::Run => "View Destinations",
            Self::SegmentDefinitions | Self::SegmentDefinition | Self::Audiences => "View Segments",
            Self::ExportJobs => "View Profiles",
            Self::AdhocRun => "Activate Destinations",
        }
    }

    /// For metrics: the route without its ids.
    pub fn name(self) -> &'static str {
        match self {
            Self::Flows => "/data/foundation/flowservice/flows",
            Self::Flow => "/data/foundation/flowservice/flows/{id}",
            Self::Runs => "/data/foundation/flowservice/runs",
            Self::Run => "/data/foundation/flowservice/runs/{id}",
            Self::SegmentDefinitions => "/data/core/ups/segment/definitions",
            Self::SegmentDefinition => "/data/core/ups/segment/definitions/{id}",
            Self::Audiences => "/data/core/ups/audiences",
            Self::ExportJobs => "/data/core/ups/export/jobs",
            Self::AdhocRun => "/data/core/activation/disflowprovider/adhocrun",
        }
    }
}

const COLLECTIONS: &[(&str, Route, Option<Route>)] = &[
    (
        "/data/foundation/flowservice/flows",
        Route::Flows,
        Some(Route::Flow),
    ),
    (
        "/data/foundation/flowservice/runs",
        Route::Runs,
        Some(Route::Run),
    ),
    (
        "/data/core/ups/segment/definitions",
        Route::SegmentDefinitions,
        Some(Route::SegmentDefinition),
    ),
    ("/data/core/ups/audiences", Route::Audiences, None),
    ("/data/core/ups/export/jobs", Route::ExportJobs, None),
];

/// Which allowed call `method path` is, if any. `path` is the Platform path, as received.
pub fn classify(method: &Method, path: &str) -> Option<Route> {
    if method == Method::POST {
        return (path == Route::AdhocRun.name()).then_some(Route::AdhocRun);
    }
    if method != Method::GET {
        return None;
    }
    COLLECTIONS.iter().find_map(|(prefix, list, item)| {
        let rest = path.strip_prefix(prefix)?;
        if rest.is_empty() {
            return Some(*list);
        }
        let id = rest.strip_prefix('/')?;
        (item.is_some() && is_platform_id(id)).then(|| item.expect("checked"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allowlist_and_nothing_else() {
        let allowed = [
            (
                Method::GET,
                "/data/foundation/flowservice/flows",
                Route::Flows,
            ),
            (
                Method::GET,
                "/data/foundation/flowservice/flows/d8ce03ea-d55c-4add-a56e-6e1c313e4250",
                Route::Flow,
            ),
            (
                Method::GET,
                "/data/foundation/flowservice/runs",
                Route::Runs,
            ),
            (
                Method::GET,
                "/data/foundation/flowservice/runs/88d6da63",
                Route::Run,
            ),
            (
                Method::GET,
                "/data/core/ups/segment/definitions",
                Route::SegmentDefinitions,
            ),
            (
                Method::GET,
                "/data/core/ups/segment/definitions/3da8bad9",
                Route::SegmentDefinition,
            ),
            (Method::GET, "/data/core/ups/audiences", Route::Audiences),
            (Method::GET, "/data/core/ups/export/jobs", Route::ExportJobs),
            (
                Method::POST,
                "/data/core/activation/disflowprovider/adhocrun",
                Route::AdhocRun,
            ),
        ];
        for (method, path, route) in allowed {
            assert_eq!(classify(&method, path), Some(route), "{method} {path}");
        }
        let refused = [
            (Method::DELETE, "/data/foundation/flowservice/flows/x"),
            (Method::PATCH, "/data/foundation/flowservice/flows/x"),
            (Method::POST, "/data/foundation/flowservice/flows"),
            (
                Method::GET,
                "/data/core/activation/disflowprovider/adhocrun",
            ),
            (Method::GET, "/data/foundation/flowservice/flows/"),
            (Method::GET, "/data/foundation/flowservice/flows/a/b"),
            (Method::GET, "/data/foundation/flowservice/flows/.."),
            (Method::GET, "/data/foundation/flowservice/flows/%2e%2e"),
            (Method::GET, "/data/foundation/flowservice/flows/a%2Fb"),
            (Method::GET, "/data/foundation/flowservice/flowsX"),
            (Method::GET, "/data/core/ups/audiences/123"),
            (Method::GET, "/data/core/ups/export/jobs/7"),
            (
                Method::GET,
                "//evil.example.com/data/foundation/flowservice/flows",
            ),
            (Method::GET, "/data/foundation/connectors/connections"),
            (Method::GET, ""),
        ];
        for (method, path) in refused {
            assert_eq!(classify(&method, path), None, "{method} {path}");
        }
    }
}
