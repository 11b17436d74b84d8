//! Faults a test can switch on through the admin API: added latency, a share of failing
//! requests per route, an IMS outage, short-lived tokens. Failures are spread evenly and
//! deterministically, so that a test with rate 0.5 sees exactly every other request fail.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Faults {
    /// Added to every Platform and IMS response.
    pub latency_ms: u64,
    /// Route (`"GET /data/foundation/flowservice/flows"`, or `"*"`) → share of requests answered
    /// with `error_status`.
    pub error_rates: BTreeMap<String, f64>,
    /// 500 unless set. 429 answers as the gateway throttles: `429050` "Too many requests" with
    /// `Retry-After`.
    pub error_status: Option<u16>,
    /// The `Retry-After` seconds of a 429 (1 unless set).
    pub retry_after_seconds: Option<u64>,
    /// Experience Platform permissions the technical account lacks ("View Destinations",
    /// "Activate Destinations", "View Profiles", "View Segments"): the calls that need one
    /// are answered 403 as their service does.
    pub missing_permissions: Vec<String>,
    /// IMS answers 503.
    pub ims_outage: bool,
    /// Overrides IMS `expires_in` for tokens issued from now on.
    pub token_lifetime_seconds: Option<i64>,
    #[serde(skip)]
    seen: HashMap<String, u64>,
}

impl Faults {
    /// Whether this request to `route` is one of those that fail.
    pub fn should_fail(&mut self, route: &str) -> bool {
        let rate = self
            .error_rates
            .get(route)
            .or_else(|| self.error_rates.get("*"))
            .copied()
            .unwrap_or(0.0)
            .clamp(0.0, 1.0);
        if rate == 0.0 {
            return false;
        }
        let seen = self.seen.entry(route.to_owned()).or_default();
        let n = *seen as f64;
        *seen += 1;
        ((n + 1.0) * rate).floor() > (n * rate).floor()
    }

    pub fn error_status(&self) -> u16 {
        self.error_status.unwrap_or(500)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_spread_evenly_at_the_configured_rate() {
        let mut faults = Faults {
            error_rates: BTreeMap::from([("GET /x".to_owned(), 0.25)]),
            ..Faults::default()
        };
        let failed = (0..100).filter(|_| faults.should_fail("GET /x")).count();
        assert_eq!(failed, 25);
        assert!(!faults.should_fail("GET /other"));
    }

    #[test]
    fn a_wildcard_applies_to_every_route() {
        let mut faults = Faults {
            error_rates: BTreeMap::from([("*".to_owned(), 1.0)]),
            ..Faults::default()
        };
        assert!(faults.should_fail("POST /anything"));
    }
}
