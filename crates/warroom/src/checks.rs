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

/// A check's outcome: passed (`Some(true)`), failed, or not evaluable (`None`), and what was
/// seen, in words ("0.013", or why nothing). When it was seen is the outcome's own time: the
/// window shows every time in one format, in the zone the responder chose.
pub fn judge(condition: &crate::runbook::Condition, observed: &Observed) -> (Option<bool>, String) {
    match observed {
        Observed::Value(v, _) => (Some(condition.holds(*v)), number(*v)),
        Observed::Nothing(why) => (None, why.clone()),
    }
}

/// A value as a responder reads it: four decimals at most, no trailing zeros.
fn number(v: f64) -> String {
    if !v.is_finite() || v.abs() >= 1000.0 {
        return format!("{v:.0}");
    }
    let text = format!("{v:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text.is_empty() || text == "-" { "0".to_owned() } else { text.to_owned() }
}

/// What a check's query is, for one node: answered from the monitor when it names a warroom
/// signal, else the PromQL to send to Prometheus. `None` for `node` leaves `$node` as written.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    Monitor(SignalQuery),
    Prometheus(String),
}

/// How `check` is answered for `node`.
pub fn plan(check: &crate::runbook::Check, node: Option<&str>) -> Plan {
    let query = match node {
        Some(node) => check.query_for(node),
        None => check.query.clone(),
    };
    match signal_query(&query) {
        Some(signal) => Plan::Monitor(signal),
        None => Plan::Prometheus(query),
    }
}

/// Answers a signal query from the monitor as of `now`.
pub fn from_monitor(query: &SignalQuery, monitor: &Monitor, now: DateTime<Utc>) -> Observed {
    match monitor.latest(&query.node, query.metric) {
        None => Observed::Nothing(format!("no data for {} of {}", query.metric.name(), query.node)),
        Some(reading) if now - reading.at > monitor.stale_after() => Observed::Nothing(format!(
            "{} of {} is stale ({} s old)",
            query.metric.name(),
            query.node,
            (now - reading.at).num_seconds()
        )),
        Some(reading) => Observed::Value(reading.value, reading.at),
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
    fn values_read_as_a_responder_reads_them() {
        assert_eq!(number(0.6713954984450707), "0.6714");
        assert_eq!(number(1.0), "1");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(1234.56), "1235");
        assert_eq!(number(f64::INFINITY), "inf");
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
