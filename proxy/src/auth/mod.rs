//! Who is asking: the demo's local activator (loopback only), a user vouched for by a trusted
//! SSO reverse proxy (`header`), or a bearer token whose SHA-256 is configured (`token`). Also
//! the cross-site check for state-changing requests.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, header};
use sha2::{Digest, Sha256};
use shared::portal::Role;

use crate::error::ApiError;

mod files;

pub use files::{parse_group_roles, read_tokens};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub roles: Vec<Role>,
}

impl User {
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.roles.contains(&role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "{} may not do this: it needs the {role:?} role. Ask an administrator for it.",
                self.name
            )))
        }
    }
}

#[derive(Clone, Debug)]
pub enum AuthMode {
    /// One local activator, for `adhoc-portal demo`; only loopback clients are let in. The
    /// `x-demo-role: viewer` header lets a demo (and its tests) show what a viewer sees.
    Demo,
    /// Identity and groups from a trusted SSO reverse proxy (oauth2-proxy and the like).
    Header(HeaderAuth),
    /// Bearer tokens for the CLI and automation, configured as SHA-256 hex digests.
    Token(Vec<TokenUser>),
}

#[derive(Clone, Debug)]
pub struct HeaderAuth {
    pub trusted_proxies: Vec<IpAddr>,
    pub user_header: String,
    pub groups_header: String,
    pub group_roles: BTreeMap<String, Vec<Role>>,
}

#[derive(Clone, Debug)]
pub struct TokenUser {
    pub name: String,
    pub sha256: String,
    pub roles: Vec<Role>,
}

pub const DEMO_USER: &str = "demo";

impl AuthMode {
    pub fn authenticate(
        &self,
        headers: &HeaderMap,
        peer: Option<ConnectInfo<SocketAddr>>,
    ) -> Result<User, ApiError> {
        let peer_ip = peer.map(|ConnectInfo(addr)| addr.ip());
        match self {
            Self::Demo => {
                if !peer_ip.is_none_or(|ip| ip.is_loopback()) {
                    return Err(ApiError::Forbidden(
                        "The demo portal only answers on this machine (loopback).".into(),
                    ));
                }
                let viewer_only = headers
                    .get("x-demo-role")
                    .is_some_and(|v| v.as_bytes() == b"viewer");
                let roles = if viewer_only {
                    vec![Role::Viewer]
                } else {
                    vec![Role::Viewer, Role::Activator]
                };
                Ok(User {
                    name: DEMO_USER.into(),
                    roles,
                })
            }
            Self::Header(config) => {
                if !peer_ip.is_some_and(|ip| config.trusted_proxies.contains(&ip)) {
                    return Err(ApiError::Unauthenticated);
                }
                let name =
                    header_text(headers, &config.user_header).ok_or(ApiError::Unauthenticated)?;
                let mut roles: Vec<Role> = header_text(headers, &config.groups_header)
                    .unwrap_or_default()
                    .split(',')
                    .filter_map(|group| config.group_roles.get(group.trim()))
                    .flatten()
                    .copied()
                    .collect();
                roles.sort_by_key(|r| *r as u8);
                roles.dedup();
                Ok(User { name, roles })
            }
            Self::Token(users) => {
                let token = header_text(headers, header::AUTHORIZATION.as_str())
                    .and_then(|h| h.strip_prefix("Bearer ").map(str::to_owned))
                    .ok_or(ApiError::Unauthenticated)?;
                let digest = sha256_hex(&token);
                users
                    .iter()
                    .find(|u| constant_time_eq(u.sha256.as_bytes(), digest.as_bytes()))
                    .map(|u| User {
                        name: u.name.clone(),
                        roles: u.roles.clone(),
                    })
                    .ok_or(ApiError::Unauthenticated)
            }
        }
    }
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A state-changing request from a browser must come from the portal's own origin. Browsers
/// always send `Origin` (or `Sec-Fetch-Site`) on such requests; the CLI sends neither.
pub fn check_same_origin(method: &Method, headers: &HeaderMap) -> Result<(), ApiError> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    if let Some(site) = header_text(headers, "sec-fetch-site")
        && site != "same-origin"
        && site != "none"
    {
        return Err(ApiError::CrossSite(format!("a {site} page")));
    }
    let Some(origin) = header_text(headers, header::ORIGIN.as_str()) else {
        return Ok(());
    };
    let host = header_text(headers, header::HOST.as_str()).unwrap_or_default();
    let origin_host = origin
        .split_once("://")
        .map_or(origin.as_str(), |(_, rest)| rest);
    if origin_host == host {
        Ok(())
    } else {
        Err(ApiError::CrossSite(origin))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    fn peer(ip: &str) -> Option<ConnectInfo<SocketAddr>> {
        Some(ConnectInfo(SocketAddr::new(ip.parse().unwrap(), 5000)))
    }

    #[test]
    fn tokens_are_matched_by_digest() {
        let mode = AuthMode::Token(vec![TokenUser {
            name: "ci".into(),
            sha256: sha256_hex("t0ken"),
            roles: vec![Role::Viewer],
        }]);
        let user = mode
            .authenticate(
                &headers(&[("authorization", "Bearer t0ken")]),
                peer("10.0.0.1"),
            )
            .unwrap();
        assert_eq!(user.name, "ci");
        assert!(user.require(Role::Activator).is_err());
        assert!(matches!(
            mode.authenticate(&headers(&[("authorization", "Bearer nope")]), None),
            Err(ApiError::Unauthenticated)
        ));
        assert!(matches!(
            mode.authenticate(&HeaderMap::new(), None),
            Err(ApiError::Unauthenticated)
        ));
    }

    #[test]
    fn sso_headers_count_only_from_trusted_proxies() {
        let mode = AuthMode::Header(HeaderAuth {
            trusted_proxies: vec!["10.0.0.5".parse().unwrap()],
            user_header: "x-forwarded-user".into(),
            groups_header: "x-forwarded-groups".into(),
            group_roles: BTreeMap::from([
                ("marketing".into(), vec![Role::Viewer, Role::Activator]),
                ("analysts".into(), vec![Role::Viewer]),
            ]),
        });
        let sso = headers(&[
            ("x-forwarded-user", "kim"),
            ("x-forwarded-groups", "analysts, marketing"),
        ]);
        let user = mode.authenticate(&sso, peer("10.0.0.5")).unwrap();
        assert_eq!(user.roles, vec![Role::Viewer, Role::Activator]);
        assert!(matches!(
            mode.authenticate(&sso, peer("10.0.0.9")),
            Err(ApiError::Unauthenticated)
        ));
    }

    #[test]
    fn the_demo_answers_loopback_only() {
        assert!(
            AuthMode::Demo
                .authenticate(&HeaderMap::new(), peer("127.0.0.1"))
                .is_ok()
        );
        assert!(
            AuthMode::Demo
                .authenticate(&HeaderMap::new(), peer("192.168.1.20"))
                .is_err()
        );
        let viewer = AuthMode::Demo
            .authenticate(&headers(&[("x-demo-role", "viewer")]), peer("::1"))
            .unwrap();
        assert_eq!(viewer.roles, vec![Role::Viewer]);
    }

    #[test]
    fn cross_site_posts_are_refused() {
        let ok = headers(&[
            ("origin", "http://127.0.0.1:8080"),
            ("host", "127.0.0.1:8080"),
        ]);
        assert!(check_same_origin(&Method::POST, &ok).is_ok());
        let evil = headers(&[
            ("origin", "https://evil.example"),
            ("host", "127.0.0.1:8080"),
        ]);
        assert!(matches!(
            check_same_origin(&Method::POST, &evil),
            Err(ApiError::CrossSite(_))
        ));
        let fetch = headers(&[("sec-fetch-site", "cross-site")]);
        assert!(check_same_origin(&Method::POST, &fetch).is_err());
        assert!(check_same_origin(&Method::GET, &evil).is_ok());
        assert!(check_same_origin(&Method::POST, &HeaderMap::new()).is_ok());
    }
}
