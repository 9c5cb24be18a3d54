//! From signals to a health per node, through thresholds.
//!
//! The default thresholds are the seed's (document 002): CPU over 80 % warning, HTTP 5xx ratio
//! over 2 % critical, DB connection pool over 90 % warning, `up == 0` down; plus memory over 90 %,
//! p99 latency over 1 s and more than 3 restarts in five minutes as warnings. A warning makes a
//! node degraded, a critical one makes it down. A node whose newest sample is older than
//! `stale_after` is unknown, never healthy: no data is not good news.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::model::{Health, Metric, Sample};

/// One threshold: a metric above (or below) a limit puts the node in `health`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Threshold {
    /// The node it is for; `None`: every node without its own thresholds for this metric.
    pub node: Option<String>,
    pub metric: Metric,
    /// Breached when the value is above this.
    pub above: Option<f64>,
    /// Breached when the value is below this.
    pub below: Option<f64>,
    /// `Degraded` (warning) or `Down` (critical).
    pub health: Health,
}

impl Threshold {
    /// Whether `value` breaches it.
    pub fn breached(&self, value: f64) -> bool {
        self.above.is_some_and(|limit| value > limit) || self.below.is_some_and(|limit| value < limit)
    }

    /// What a breach of it reads as, with the value seen: "http_5xx_ratio 18.0% > 2.0%".
    pub fn describe(&self, value: f64) -> String {
        if self.metric == Metric::Up {
            return "up = 0: not answering".to_owned();
        }
        if self.metric == Metric::ProviderStatus {
            return format!("status page: {}", self.metric.format(value));
        }
        let (op, limit) = match (self.above, self.below) {
            (Some(limit), _) => (">", limit),
            (None, Some(limit)) => ("<", limit),
            (None, None) => ("?", 0.0),
        };
        format!("{} {} {op} {}", self.metric.name(), self.metric.format(value), self.metric.format(limit))
    }
}

impl Thresholds {
    /// The threshold in force for `node`'s `metric`: its own first, then every node's.
    pub fn rule(&self, node: &str, metric: Metric) -> Option<&Threshold> {
        let own = self.rules.iter().filter(|r| r.metric == metric && r.node.as_deref() == Some(node));
        let every = self.rules.iter().filter(|r| r.metric == metric && r.node.is_none());
        own.chain(every).find(|r| r.above.is_some() || r.below.is_some())
    }

    /// The limit a chart draws for `node`'s `metric`: above or below it, it is breached.
    pub fn limit(&self, node: &str, metric: Metric) -> Option<f64> {
        self.rule(node, metric).and_then(|r| r.above.or(r.below))
    }

    /// These thresholds with `configured` ones in force instead: the configured thresholds of a
    /// metric replace the defaults of that metric (for every node, or for the one node named).
    pub fn with(mut self, configured: &[Threshold]) -> Thresholds {
        let replaced: Vec<Metric> =
            configured.iter().filter(|t| t.node.is_none()).map(|t| t.metric).collect();
        self.rules.retain(|r| !replaced.contains(&r.metric));
        self.rules.extend(configured.iter().cloned());
        self
    }
}

/// The thresholds in force.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Thresholds {
    pub rules: Vec<Threshold>,
    /// How old the newest sample of a node may be before its health is unknown.
    #[serde(skip)]
    pub stale_after: Duration,
    /// How many evaluations in a row a new health must hold before it is a change.
    #[serde(skip)]
    pub hold_cycles: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        let rule = |metric, above, below, health| Threshold { node: None, metric, above, below, health };
        Thresholds {
            rules: vec![
                rule(Metric::Up, None, Some(0.5), Health::Down),
                rule(Metric::Http5xxRatio, Some(0.02), None, Health::Down),
                rule(Metric::CpuRatio, Some(0.80), None, Health::Degraded),
                rule(Metric::DbPoolRatio, Some(0.90), None, Health::Degraded),
                rule(Metric::MemoryRatio, Some(0.90), None, Health::Degraded),
                rule(Metric::LatencyP99Seconds, Some(1.0), None, Health::Degraded),
                rule(Metric::Restarts, Some(3.0), None, Health::Degraded),
                rule(Metric::ProviderStatus, Some(2.5), None, Health::Down),
                rule(Metric::ProviderStatus, Some(0.5), None, Health::Degraded),
            ],
            stale_after: Duration::seconds(30),
            hold_cycles: 2,
        }
    }
}

/// A node's health and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeHealth {
    pub health: Health,
    /// The breached thresholds, worst first ("http_5xx_ratio 18.0% > 2.0%"), or why unknown.
    pub reasons: Vec<String>,
    /// When its newest sample was taken.
    pub newest: Option<DateTime<Utc>>,
}

/// The health of every node in `nodes` from the latest samples, as of `now`.
pub fn evaluate(
    nodes: &[&str],
    latest: &HashMap<(String, Metric), Sample>,
    thresholds: &Thresholds,
    now: DateTime<Utc>,
) -> BTreeMap<String, NodeHealth> {
    let mut by_node: HashMap<&str, Vec<&Sample>> = HashMap::new();
    for sample in latest.values() {
        by_node.entry(sample.node.as_str()).or_default().push(sample);
    }
    nodes
        .iter()
        .map(|&node| {
            let samples = by_node.get(node).map(Vec::as_slice).unwrap_or_default();
            (node.to_owned(), evaluate_node(node, samples, thresholds, now))
        })
        .collect()
}

fn evaluate_node(node: &str, samples: &[&Sample], thresholds: &Thresholds, now: DateTime<Utc>) -> NodeHealth {
    let newest = samples.iter().map(|s| s.at).max();
    let Some(newest_at) = newest else {
        return NodeHealth { health: Health::Unknown, reasons: vec!["no data".to_owned()], newest };
    };
    if now - newest_at > thresholds.stale_after {
        let age = (now - newest_at).num_seconds();
        return NodeHealth {
            health: Health::Unknown,
            reasons: vec![format!("stale: last data {age} s ago")],
            newest,
        };
    }
    let mut breaches: Vec<(Health, String)> = Vec::new();
    // A node's own thresholds for a metric replace the general ones for that metric.
    let own = |metric: Metric| {
        thresholds.rules.iter().any(|r| r.metric == metric && r.node.as_deref() == Some(node))
    };
    for rule in &thresholds.rules {
        let applies = match rule.node.as_deref() {
            Some(n) => n == node,
            None => !own(rule.metric),
        };
        if !applies {
            continue;
        }
        for sample in samples.iter().filter(|s| s.metric == rule.metric && rule.breached(s.value)) {
            breaches.push((rule.health, rule.describe(sample.value)));
        }
    }
    breaches.sort_by_key(|b| std::cmp::Reverse(b.0));
    let health = breaches.first().map_or(Health::Healthy, |(h, _)| *h);
    NodeHealth { health, reasons: breaches.into_iter().map(|(_, r)| r).collect(), newest }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(node: &str, metric: Metric, value: f64, at: DateTime<Utc>) -> ((String, Metric), Sample) {
        ((node.to_owned(), metric), Sample { node: node.to_owned(), metric, value, at })
    }

    #[test]
    fn the_seed_thresholds() {
        let now = DateTime::<Utc>::UNIX_EPOCH + Duration::hours(1);
        let latest: HashMap<_, _> = [
            sample("a", Metric::CpuRatio, 0.81, now),
            sample("b", Metric::Http5xxRatio, 0.021, now),
            sample("b", Metric::CpuRatio, 0.95, now),
            sample("c", Metric::DbPoolRatio, 0.90, now),
            sample("d", Metric::Up, 0.0, now),
            sample("e", Metric::CpuRatio, 0.99, now - Duration::minutes(5)),
        ]
        .into();
        let health = evaluate(&["a", "b", "c", "d", "e", "f"], &latest, &Thresholds::default(), now);
        assert_eq!(health["a"].health, Health::Degraded);
        assert_eq!(health["a"].reasons, ["cpu_ratio 81.0% > 80.0%"]);
        assert_eq!(health["b"].health, Health::Down, "5xx > 2 % is critical");
        assert_eq!(health["b"].reasons[0], "http_5xx_ratio 2.1% > 2.0%", "the worst reason first");
        assert_eq!(health["c"].health, Health::Healthy, "90 % exactly is not over 90 %");
        assert_eq!(health["d"].health, Health::Down);
        assert_eq!(health["e"].health, Health::Unknown, "stale data is unknown, not healthy");
        assert!(health["e"].reasons[0].starts_with("stale"));
        assert_eq!(health["f"].health, Health::Unknown);
    }

    #[test]
    fn configured_thresholds_replace_the_defaults_per_metric_and_per_node() {
        let now = DateTime::<Utc>::UNIX_EPOCH + Duration::hours(1);
        let latest: HashMap<_, _> = [
            sample("batch", Metric::CpuRatio, 0.95, now),
            sample("api", Metric::CpuRatio, 0.85, now),
            sample("api", Metric::LatencyP99Seconds, 0.4, now),
            sample("web", Metric::LatencyP99Seconds, 0.4, now),
        ]
        .into();
        let t = |node: Option<&str>, metric, above, health| Threshold {
            node: node.map(str::to_owned),
            metric,
            above: Some(above),
            below: None,
            health,
        };
        let thresholds = Thresholds::default().with(&[
            // A batch node runs hot on purpose.
            t(Some("batch"), Metric::CpuRatio, 0.98, Health::Degraded),
            // Latency matters more everywhere: 300 ms is degraded.
            t(None, Metric::LatencyP99Seconds, 0.3, Health::Degraded),
        ]);
        let health = evaluate(&["batch", "api", "web"], &latest, &thresholds, now);
        assert_eq!(health["batch"].health, Health::Healthy, "its own CPU threshold, not the 80 % default");
        assert_eq!(health["api"].health, Health::Degraded);
        assert_eq!(
            health["api"].reasons.len(),
            2,
            "default CPU for api, and the new latency: {:?}",
            health["api"]
        );
        assert_eq!(health["web"].reasons, ["latency_p99_seconds 400 ms > 300 ms"]);
    }
}
