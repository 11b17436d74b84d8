//! Who is asking: the demo's local activator (loopback only), a user vouched for by a trusted
//! SSO reverse proxy (`header`), or a bearer token whose SHA-256 is configured (`token`). Also
//! the cross-site checks for state-changing requests (`origin.rs`).

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, header};
use sha2::{Digest, Sha256};
use shared::portal::Role;

use crate::error::ApiError;

mod files;
mod origin;
mod sso;

pub use files::{parse_group_roles, read_tokens};
pub use origin::{check_loopback_host, check_same_origin, require_json};
pub use sso::{HeaderAuth, IpNet, SharedSecret};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub roles: Vec<Role>,
}

impl User {
    /// Reading the history or the Platform through the portal needs a role: an SSO user whose
    /// groups map to none is signed in but may see nothing.
    pub fn require_reader(&self) -> Result<(), ApiError> {
        if self.roles.is_empty() {
            Err(ApiError::Forbidden(format!(
                "{} has no role in this portal. Ask an administrator for the viewer role.",
                self.name
            )))
        } else {
            Ok(())
        }
    }

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
                // Fail closed: an unknown peer is not a loopback peer.
                if !peer_ip.is_some_and(|ip| ip.is_loopback()) {
                    return Err(ApiError::Forbidden(
                        "The demo portal only answers on this machine (loopback).".into(),
                    ));
                }
                check_loopback_host(headers)?;
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
            Self::Header(config) => config.authenticate(headers, peer_ip),
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

pub(crate) fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

pub fn sha256_hex(text: &str) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(64);
    for byte in Sha256::digest(text.as_bytes()) {
        hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
        hex.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    hex
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Headers for the tests of this module and its children; a name given twice is sent twice.
#[cfg(test)]
fn test_headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(*name, axum::http::HeaderValue::from_str(value).unwrap());
    }
    map
}

#[cfg(test)]
mod tests {
    use super::test_headers as headers;
    use super::*;

    #[test]
    fn a_token_digest_is_lowercase_hex_sha256() {
        // `printf %s bench-token | sha256sum`
        assert_eq!(
            sha256_hex("bench-token"),
            "7137e16f75a1d75b6fd65930672814806cdc1a0d6e0aa38611afc996a402258b"
        );
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
    fn the_demo_answers_loopback_only() {
        let local = headers(&[("host", "127.0.0.1:8080")]);
        assert!(
            AuthMode::Demo
                .authenticate(&local, peer("127.0.0.1"))
                .is_ok()
        );
        assert!(
            AuthMode::Demo
                .authenticate(&local, peer("192.168.1.20"))
                .is_err()
        );
        assert!(
            AuthMode::Demo.authenticate(&local, None).is_err(),
            "unknown peer: closed"
        );
        let rebound = headers(&[("host", "rebind.example:8080")]);
        assert!(
            AuthMode::Demo
                .authenticate(&rebound, peer("127.0.0.1"))
                .is_err()
        );
        let viewer = AuthMode::Demo
            .authenticate(
                &headers(&[("x-demo-role", "viewer"), ("host", "localhost:8080")]),
                peer("::1"),
            )
            .unwrap();
        assert_eq!(viewer.roles, vec![Role::Viewer]);
    }
}
