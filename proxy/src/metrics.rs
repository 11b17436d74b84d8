//! Prometheus counters for `/metrics`: requests by route and status, upstream latency, token
//! refreshes, activations by outcome, guardrail rejections by code.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

#[derive(Debug, Default)]
pub struct Metrics {
    counters: Mutex<BTreeMap<(&'static str, String), u64>>,
    upstream: Mutex<Latency>,
}

#[derive(Debug, Default)]
struct Latency {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum_seconds: f64,
}

const BUCKETS: [f64; 8] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

const HELP: &[(&str, &str)] = &[
    (
        "portal_requests_total",
        "HTTP requests answered, by route and status.",
    ),
    ("portal_token_refreshes_total", "IMS access tokens fetched."),
    ("portal_activations_total", "Activations by outcome."),
    (
        "portal_guardrail_rejections_total",
        "Guardrail violations that refused an activation, by code.",
    ),
    (
        "portal_notifications_total",
        "Notification attempts by event and outcome (delivered, retried, given_up).",
    ),
];

impl Metrics {
    /// `labels` is the Prometheus label set, e.g. `route="/api/history",status="200"`.
    pub fn count(&self, name: &'static str, labels: String) {
        *self
            .counters
            .lock()
            .expect("metrics lock")
            .entry((name, labels))
            .or_default() += 1;
    }

    pub fn observe_upstream(&self, took: Duration) {
        let seconds = took.as_secs_f64();
        let mut latency = self.upstream.lock().expect("metrics lock");
        for (bucket, bound) in latency.buckets.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
        latency.count += 1;
        latency.sum_seconds += seconds;
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let counters = self.counters.lock().expect("metrics lock");
        for (name, help) in HELP {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for ((_, labels), value) in counters
                .range((*name, String::new())..)
                .take_while(|((n, _), _)| n == name)
            {
                if labels.is_empty() {
                    let _ = writeln!(out, "{name} {value}");
                } else {
                    let _ = writeln!(out, "{name}{{{labels}}} {value}");
                }
            }
        }
        let latency = self.upstream.lock().expect("metrics lock");
        let name = "portal_upstream_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Latency of calls to IMS and the Platform.\n# TYPE {name} histogram"
        );
        for (bound, count) in BUCKETS.iter().zip(latency.buckets) {
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {count}");
        }
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", latency.count);
        let _ = writeln!(
            out,
            "{name}_sum {}\n{name}_count {}",
            latency.sum_seconds, latency.count
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_the_latency_histogram() {
        let metrics = Metrics::default();
        metrics.count("portal_activations_total", "outcome=\"accepted\"".into());
        metrics.count("portal_activations_total", "outcome=\"accepted\"".into());
        metrics.observe_upstream(Duration::from_millis(20));
        let text = metrics.render();
        assert!(
            text.contains("portal_activations_total{outcome=\"accepted\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("portal_upstream_seconds_bucket{le=\"0.025\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("portal_upstream_seconds_bucket{le=\"0.01\"} 0"),
            "{text}"
        );
        assert!(text.contains("portal_upstream_seconds_count 1"), "{text}");
    }
}
