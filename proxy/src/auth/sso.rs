//! `header` mode: identity and groups from an SSO reverse proxy (oauth2-proxy and the like),
//! believed only when the request comes from one of its addresses and, if configured, carries
//! the secret it shares with the portal.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::str::FromStr;

use axum::http::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use shared::portal::Role;

use super::{User, constant_time_eq};
use crate::error::ApiError;

#[derive(Clone, Debug)]
pub struct HeaderAuth {
    /// Addresses or CIDR ranges of the SSO proxies.
    pub trusted_proxies: Vec<IpNet>,
    pub user_header: String,
    pub groups_header: String,
    pub group_roles: BTreeMap<String, Vec<Role>>,
    /// A header the SSO proxy adds with a secret only it and the portal know: a request that
    /// reached the portal around the proxy (a misrouted network) does not carry it.
    pub shared_secret: Option<SharedSecret>,
}

#[derive(Clone, Debug)]
pub struct SharedSecret {
    pub header: String,
    pub value: SecretString,
}

impl HeaderAuth {
    pub fn authenticate(
        &self,
        headers: &HeaderMap,
        peer: Option<IpAddr>,
    ) -> Result<User, ApiError> {
        if !peer.is_some_and(|ip| self.trusted_proxies.iter().any(|net| net.contains(ip))) {
            return Err(ApiError::Unauthenticated);
        }
        if let Some(secret) = &self.shared_secret {
            let sent = single(headers, &secret.header)?.ok_or(ApiError::Unauthenticated)?;
            if !constant_time_eq(sent.as_bytes(), secret.value.expose_secret().as_bytes()) {
                return Err(ApiError::Unauthenticated);
            }
        }
        let name = single(headers, &self.user_header)?.ok_or(ApiError::Unauthenticated)?;
        let mut roles: Vec<Role> = single(headers, &self.groups_header)?
            .unwrap_or_default()
            .split(',')
            .filter_map(|group| self.group_roles.get(group.trim()))
            .flatten()
            .copied()
            .collect();
        roles.sort_by_key(|r| *r as u8);
        roles.dedup();
        Ok(User { name, roles })
    }
}

/// The one value of an identity header. Two of them mean a proxy appended to what the client
/// sent instead of replacing it, and the first one may be the attacker's: refused.
fn single(headers: &HeaderMap, name: &str) -> Result<Option<String>, ApiError> {
    let mut values = headers.get_all(name).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(ApiError::bad_request(
            shared::portal::ErrorCode::DuplicateIdentityHeader,
            format!(
                "The request carries {name} more than once. The SSO proxy must replace this header, not append to it."
            ),
        ));
    }
    Ok(first
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned))
}

/// An address or a CIDR range (`10.0.0.5`, `10.0.0.0/8`, `fd00::/8`). IPv4-mapped IPv6
/// addresses (`::ffff:10.0.0.5`) are compared as the IPv4 address they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpNet {
    address: IpAddr,
    prefix: u8,
}

impl IpNet {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.address, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_matches(&net.octets(), &ip.octets(), self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_matches(&net.octets(), &ip.octets(), self.prefix)
            }
            _ => false,
        }
    }
}

fn prefix_matches(net: &[u8], ip: &[u8], prefix: u8) -> bool {
    let (whole, rest) = (usize::from(prefix / 8), prefix % 8);
    net[..whole] == ip[..whole]
        && (rest == 0 || (net[whole] ^ ip[whole]) & (0xffu8 << (8 - rest)) == 0)
}

impl FromStr for IpNet {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let wrong = || format!("{text:?} is not an address or a CIDR range like 10.0.0.0/8");
        let (address, prefix) = match text.trim().split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text.trim(), None),
        };
        let address = address
            .parse::<IpAddr>()
            .map_err(|_| wrong())?
            .to_canonical();
        let most = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => most,
            Some(prefix) => prefix
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= most)
                .ok_or_else(wrong)?,
        };
        Ok(Self { address, prefix })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::test_headers as headers;

    fn sso() -> HeaderAuth {
        HeaderAuth {
            trusted_proxies: vec![
                "10.0.0.5".parse().unwrap(),
                "192.168.8.0/22".parse().unwrap(),
            ],
            user_header: "x-forwarded-user".into(),
            groups_header: "x-forwarded-groups".into(),
            group_roles: BTreeMap::from([
                ("marketing".into(), vec![Role::Viewer, Role::Activator]),
                ("analysts".into(), vec![Role::Viewer]),
            ]),
            shared_secret: None,
        }
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn sso_headers_count_only_from_trusted_proxies() {
        let request = headers(&[
            ("x-forwarded-user", "kim"),
            ("x-forwarded-groups", "analysts, marketing"),
        ]);
        let user = sso().authenticate(&request, ip("10.0.0.5")).unwrap();
        assert_eq!(user.roles, vec![Role::Viewer, Role::Activator]);
        assert!(sso().authenticate(&request, ip("10.0.0.9")).is_err());
        assert!(
            sso().authenticate(&request, None).is_err(),
            "no peer, no trust"
        );
    }

    #[test]
    fn ranges_and_ipv4_mapped_addresses_are_understood() {
        let request = headers(&[("x-forwarded-user", "kim")]);
        for trusted in [
            "192.168.9.20",
            "192.168.11.255",
            "::ffff:10.0.0.5",
            "::ffff:192.168.8.1",
        ] {
            assert!(
                sso().authenticate(&request, ip(trusted)).is_ok(),
                "{trusted}"
            );
        }
        for untrusted in ["192.168.12.1", "192.168.7.255", "::ffff:10.0.0.6", "::1"] {
            assert!(
                sso().authenticate(&request, ip(untrusted)).is_err(),
                "{untrusted}"
            );
        }
        let net: IpNet = "10.0.0.0/8".parse().unwrap();
        assert!(net.contains("10.1.2.3".parse().unwrap()));
        assert!(!net.contains("11.0.0.1".parse().unwrap()));
        for bad in ["10.0.0.0/33", "10.0.0/8", "fd00::/129", "host.example"] {
            assert!(bad.parse::<IpNet>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_second_identity_header_is_refused_not_believed() {
        let request = headers(&[
            ("x-forwarded-user", "attacker"),
            ("x-forwarded-user", "kim"),
        ]);
        let error = sso().authenticate(&request, ip("10.0.0.5")).unwrap_err();
        assert!(error.to_string().contains("more than once"), "{error}");
        let groups = headers(&[
            ("x-forwarded-user", "kim"),
            ("x-forwarded-groups", "marketing"),
            ("x-forwarded-groups", "analysts"),
        ]);
        assert!(sso().authenticate(&groups, ip("10.0.0.5")).is_err());
    }

    #[test]
    fn the_shared_secret_must_be_sent_when_configured() {
        let mut auth = sso();
        auth.shared_secret = Some(SharedSecret {
            header: "x-portal-proxy-secret".into(),
            value: SecretString::from("s3cret"),
        });
        let without = headers(&[("x-forwarded-user", "kim")]);
        assert!(auth.authenticate(&without, ip("10.0.0.5")).is_err());
        let wrong = headers(&[
            ("x-forwarded-user", "kim"),
            ("x-portal-proxy-secret", "guess"),
        ]);
        assert!(auth.authenticate(&wrong, ip("10.0.0.5")).is_err());
        let right = headers(&[
            ("x-forwarded-user", "kim"),
            ("x-portal-proxy-secret", "s3cret"),
        ]);
        assert_eq!(
            auth.authenticate(&right, ip("10.0.0.5")).unwrap().name,
            "kim"
        );
    }
}
