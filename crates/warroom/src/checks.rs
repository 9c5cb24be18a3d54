//! Runbook checks: the query a step carries, evaluated against what warroom already has.
//!
//! A query that names one of warroom's signals for one node, optionally in an aggregation
//! (`max(http_5xx_ratio{service="order-service"})`), is answered from the monitor's newest
//! sample of that signal: the same number the graph shows, from the configured Prometheus query
//! or from the drill, so built-in runbooks work in a drill exactly as in production, whatever
//! the metric names of the real Prometheus. Any other PromQL goes to the configured Prometheus
//! as an instant query ([`crate::sources::poller::Poller::scalar`]). A value older than the
//! monitor's staleness limit is no answer: a check never passes on old data.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use regex::Regex;

use crate::model::Metric;
use crate::monitor::Monitor;

/// A query that names one node's warroom signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignalQuery {
    pub metric: Metric,
    pub node: String,
}

static SIGNAL_QUERY: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r#"^\s*(?:(?:max|min|avg|sum|last_over_time)\s*\(\s*)?([a-z][a-z0-9_]*)\s*\{\s*(?:service|node|job)\s*=\s*"([^"]+)"\s*\}\s*\)?\s*$"#,
    )
    .ok()
});

/// The signal and node a query names, if it is one of warroom's signals for one node.
pub fn signal_query(query: &str) -> Option<SignalQuery> {
    let captures = SIGNAL_QUERY.as_ref()?.captures(query)?;
    let metric: Metric = captures.get(1)?.as_str().parse().ok()?;
    Some(SignalQuery { metric, node: captures.get(2)?.as_str().to_owned() })
}

/// What a check saw.
#[derive(Debug, Clone, PartialEq)]
pub enum Observed {
    /// A value, with when it was measured.
    Value(f64, DateTime<Utc>),
    /// No answer, and why (no data, stale, source down, not a single number).
    Nothing(String),
}

/// Answers a signal query from the monitor as of `now`.
pub fn from_monitor(query: &SignalQuery, monitor: &Monitor, now: DateTime<Utc>) -> Observed {
    match monitor.latest(&query.node, query.metric) {
        None => Observed::Nothing(format!("no data for {} of {}", query.metric.name(), query.node)),
        Some(sample) if now - sample.at > monitor.stale_after() => Observed::Nothing(format!(
            "{} of {} is stale ({} s old)",
            query.metric.name(),
            query.node,
            (now - sample.at).num_seconds()
        )),
        Some(sample) => Observed::Value(sample.value, sample.at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::Thresholds;
    use crate::model::{Sample, Signals};
    use crate::topology::{Topology, parse_toml};

    #[test]
    fn signal_queries_are_recognised_and_others_are_not() {
        let q = signal_query(r#"max(http_5xx_ratio{service="order-service"})"#).unwrap();
        assert_eq!(q, SignalQuery { metric: Metric::Http5xxRatio, node: "order-service".into() });
        assert_eq!(
            signal_query(r#" db_pool_ratio{ node = "mysql-primary" } "#).unwrap().metric,
            Metric::DbPoolRatio
        );
        assert_eq!(signal_query(r#"sum(request_rate{service="api-gateway"})"#).unwrap().node, "api-gateway");
        assert_eq!(
            signal_query(r#"rate(http_requests_total{code=~"5.."}[5m])"#),
            None,
            "real PromQL goes to Prometheus"
        );
        assert_eq!(signal_query(r#"temperature{service="x"}"#), None, "not a warroom signal");
        assert_eq!(signal_query(r#"up{service="a",env="b"}"#), None, "one matcher only");
    }

    #[test]
    fn the_monitor_answers_with_fresh_values_only() {
        let topology = Topology::build(&parse_toml("[[node]]\nid = \"a\"\n").unwrap()).unwrap();
        let mut monitor = Monitor::new(topology, Thresholds::default());
        let t0 = DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::days(1);
        let q = SignalQuery { metric: Metric::CpuRatio, node: "a".into() };
        assert!(matches!(from_monitor(&q, &monitor, t0), Observed::Nothing(why) if why.contains("no data")));
        let sample = Sample { node: "a".into(), metric: Metric::CpuRatio, value: 0.42, at: t0 };
        monitor.ingest(Signals { samples: vec![sample], ..Signals::default() }, t0);
        assert_eq!(from_monitor(&q, &monitor, t0 + chrono::Duration::seconds(5)), Observed::Value(0.42, t0));
        let late = from_monitor(&q, &monitor, t0 + chrono::Duration::minutes(5));
        assert!(matches!(late, Observed::Nothing(why) if why.contains("stale")), "never passes on old data");
    }
}
