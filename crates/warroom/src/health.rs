//! From signals to a health per node, through thresholds.
//!
//! The default thresholds are the seed's (document 002): CPU over 80 % warning, HTTP 5xx ratio
//! over 2 % critical, DB connection pool over 90 % warning, `up == 0` down; plus memory over 90 %,
//! p99 latency over 1 s and more than 3 restarts in five minutes as warnings. A warning makes a
//! node degraded, a critical one makes it down. A node whose newest sample is older than
//! `stale_after` is unknown, never healthy: no data is not good news.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::model::{Health, Metric};

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
        let mut text = String::new();
        Wording::of(self).write(value, &mut text);
        text
    }
}

/// How a breach of one threshold reads: the words around the value seen, worded once per
/// evaluation rather than once per node in breach.
#[derive(Debug)]
struct Wording {
    metric: Metric,
    before: String,
    /// Whether the value is said at all (`up = 0` says it all).
    value: bool,
    after: String,
}

impl Wording {
    fn of(threshold: &Threshold) -> Wording {
        let metric = threshold.metric;
        let wording = |before: String, value: bool, after: String| Wording { metric, before, value, after };
        match metric {
            Metric::Up => wording("up = 0: not answering".to_owned(), false, String::new()),
            Metric::ProviderStatus => wording("status page: ".to_owned(), true, String::new()),
            _ => {
                let (op, limit) = match (threshold.above, threshold.below) {
                    (Some(limit), _) => (">", limit),
                    (None, Some(limit)) => ("<", limit),
                    (None, None) => ("?", 0.0),
                };
                wording(format!("{} ", metric.name()), true, format!(" {op} {}", metric.display(limit)))
            }
        }
    }

    /// Appends the breach, with `value`, to `text`.
    fn write(&self, value: f64, text: &mut String) {
        use std::fmt::Write;
        text.push_str(&self.before);
        if self.value {
            // Writing into a String cannot fail.
            let _ = write!(text, "{}", self.metric.display(value));
        }
        text.push_str(&self.after);
    }
}

impl Thresholds {
    /// The threshold in force for `node`'s `metric`: its own first, then every node's.
    pub fn rule(&self, node: &str, metric: Metric) -> Option<&Threshold> {
        let own = self.rules.iter().filter(|r| r.metric == metric && r.node.as_deref() == Some(node));
        let every = self.rules.iter().filter(|r| r.metric == metric && r.node.is_none());
        own.chain(every).find(|r| r.above.is_some() || r.below.is_some())
    }

    /// Whether `node` has thresholds of its own.
    pub fn has_own(&self, node: &str) -> bool {
        self.rules.iter().any(|r| r.node.as_deref() == Some(node))
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
    /// What the health and reasons were judged from.
    #[serde(skip)]
    grounds: Grounds,
}

impl NodeHealth {
    /// Unknown, not judged yet: what a [`Judge`] writes its first verdict over.
    pub fn unknown() -> NodeHealth {
        NodeHealth { health: Health::Unknown, reasons: Vec::new(), newest: None, grounds: Grounds::default() }
    }
}

/// What a verdict was judged from. Under the same thresholds the same grounds give the same
/// health and the same reasons, word for word: a node whose readings did not move keeps its
/// verdict without its reasons being written again (float formatting is most of a judgement).
#[derive(Debug, Clone, Default)]
struct Grounds {
    basis: Basis,
    /// Each breach as (health, rule, value), worst first.
    breaches: Vec<(Health, usize, f64)>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Basis {
    /// Not judged: never the grounds of a judgement.
    #[default]
    Unjudged,
    NoData,
    Stale {
        age_secs: i64,
    },
    /// Fresh readings, breaching what `breaches` says.
    Readings,
}

impl PartialEq for Grounds {
    fn eq(&self, other: &Grounds) -> bool {
        // Values compare by their bits: -0.0 and 0.0 read differently.
        let same = |a: &(Health, usize, f64), b: &(Health, usize, f64)| {
            a.0 == b.0 && a.1 == b.1 && a.2.to_bits() == b.2.to_bits()
        };
        self.basis != Basis::Unjudged
            && self.basis == other.basis
            && self.breaches.len() == other.breaches.len()
            && self.breaches.iter().zip(&other.breaches).all(|(a, b)| same(a, b))
    }
}

/// One reading of one metric: its value and when it was taken.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub value: f64,
    pub at: DateTime<Utc>,
}

/// A node's newest reading of each metric, by [`Metric::index`].
pub type Readings = [Option<Reading>; Metric::ALL.len()];

/// A node with no readings at all.
pub const NO_READINGS: Readings = [None; Metric::ALL.len()];

/// Judges nodes one at a time against the thresholds, as of one instant.
///
/// A poll cycle judges every node of the topology, a thousand or more, so a judgement is in two
/// steps: [`Judge::weigh`] reads a node's readings where the caller holds them (nothing is
/// regrouped) and finds the grounds of its verdict; [`Judge::write`] writes that verdict over one
/// the caller keeps, its reason strings rewritten in place. A caller holding the node's verdict
/// from the last cycle asks [`Judge::stands`] first: when nothing moved it writes nothing.
pub struct Judge<'t> {
    thresholds: &'t Thresholds,
    now: DateTime<Utc>,
    /// How each rule's breach reads, by rule.
    wordings: Vec<Wording>,
    /// The grounds of the node weighed last: reused from node to node.
    grounds: Grounds,
    newest: Option<DateTime<Utc>>,
}

impl<'t> Judge<'t> {
    /// A judge by `thresholds` as of `now`.
    pub fn new(thresholds: &'t Thresholds, now: DateTime<Utc>) -> Judge<'t> {
        Judge {
            thresholds,
            now,
            wordings: thresholds.rules.iter().map(Wording::of).collect(),
            grounds: Grounds::default(),
            newest: None,
        }
    }

    /// Weighs a node's newest `readings`: unknown with no data or stale data (no data is not
    /// good news), else the thresholds they breach, a node's own thresholds for a metric
    /// replacing the general ones for that metric. `own` is the node's id when it has
    /// thresholds of its own ([`Thresholds::has_own`]); `None` when only the general ones apply
    /// (a caller judging many nodes need not read their ids).
    pub fn weigh(&mut self, own: Option<&str>, readings: &Readings) {
        let newest = readings.iter().flatten().map(|r| r.at).max();
        self.newest = newest;
        self.grounds.breaches.clear();
        let Some(newest_at) = newest else {
            self.grounds.basis = Basis::NoData;
            return;
        };
        if self.now - newest_at > self.thresholds.stale_after {
            self.grounds.basis = Basis::Stale { age_secs: (self.now - newest_at).num_seconds() };
            return;
        }
        self.grounds.basis = Basis::Readings;
        let rules = &self.thresholds.rules;
        let own_for = |node: &str, metric: Metric| {
            rules.iter().any(|r| r.metric == metric && r.node.as_deref() == Some(node))
        };
        for (i, rule) in rules.iter().enumerate() {
            let applies = match (rule.node.as_deref(), own) {
                (None, None) => true,
                (None, Some(node)) => !own_for(node, rule.metric),
                (Some(n), Some(node)) => n == node,
                (Some(_), None) => false,
            };
            if applies
                && let Some(reading) = readings[rule.metric.index()]
                && rule.breached(reading.value)
            {
                self.grounds.breaches.push((rule.health, i, reading.value));
            }
        }
        // Worst first; among equals, in rule order.
        self.grounds.breaches.sort_by_key(|b| std::cmp::Reverse(b.0));
    }

    /// Whether `verdict` is the verdict of the node weighed last, but for its newest reading
    /// (which is the judge's [`Judge::newest`]): judged from the same grounds.
    pub fn stands(&self, verdict: &NodeHealth) -> bool {
        verdict.grounds == self.grounds
    }

    /// When the newest reading of the node weighed last was taken.
    pub fn newest(&self) -> Option<DateTime<Utc>> {
        self.newest
    }

    /// Writes the verdict of the node weighed last over `verdict`, reusing its strings.
    pub fn write(&self, verdict: &mut NodeHealth) {
        let reasons = &mut verdict.reasons;
        match self.grounds.basis {
            Basis::Unjudged | Basis::NoData => {
                verdict.health = Health::Unknown;
                set_reasons(reasons, 1, |_, text| text.push_str("no data"));
            }
            Basis::Stale { age_secs } => {
                verdict.health = Health::Unknown;
                set_reasons(reasons, 1, |_, text| {
                    use std::fmt::Write;
                    // Writing into a String cannot fail.
                    let _ = write!(text, "stale: last data {age_secs} s ago");
                });
            }
            Basis::Readings => {
                let breaches = &self.grounds.breaches;
                verdict.health = breaches.first().map_or(Health::Healthy, |b| b.0);
                set_reasons(reasons, breaches.len(), |i, text| {
                    let (_, rule, value) = breaches[i];
                    self.wordings[rule].write(value, text);
                });
            }
        }
        verdict.newest = self.newest;
        verdict.grounds.basis = self.grounds.basis;
        verdict.grounds.breaches.clone_from(&self.grounds.breaches);
    }
}

/// Makes `reasons` `count` strings long, the `i`th written by `write(i, text)` into an emptied
/// string: the strings already there are reused.
fn set_reasons(reasons: &mut Vec<String>, count: usize, write: impl Fn(usize, &mut String)) {
    reasons.truncate(count);
    for (i, text) in reasons.iter_mut().enumerate() {
        text.clear();
        write(i, text);
    }
    for i in reasons.len()..count {
        let mut text = String::new();
        write(i, &mut text);
        reasons.push(text);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn sample(node: &str, metric: Metric, value: f64, at: DateTime<Utc>) -> (&str, Metric, Reading) {
        (node, metric, Reading { value, at })
    }

    /// Weighs `node` and writes its verdict over `verdict` unless it stands, as the monitor does.
    fn judge_node(judge: &mut Judge<'_>, node: &str, readings: &Readings, verdict: &mut NodeHealth) {
        judge.weigh(judge.thresholds.has_own(node).then_some(node), readings);
        if judge.stands(verdict) {
            verdict.newest = judge.newest();
        } else {
            judge.write(verdict);
        }
    }

    /// Every node's verdict, each judged from its own readings as the monitor does.
    fn evaluate(
        nodes: &[&str],
        samples: &[(&str, Metric, Reading)],
        thresholds: &Thresholds,
        now: DateTime<Utc>,
    ) -> HashMap<String, NodeHealth> {
        let mut judge = Judge::new(thresholds, now);
        nodes
            .iter()
            .map(|&node| {
                let mut readings = NO_READINGS;
                for &(_, metric, reading) in samples.iter().filter(|s| s.0 == node) {
                    readings[metric.index()] = Some(reading);
                }
                let mut verdict = NodeHealth::unknown();
                judge_node(&mut judge, node, &readings, &mut verdict);
                (node.to_owned(), verdict)
            })
            .collect()
    }

    #[test]
    fn the_seed_thresholds() {
        let now = DateTime::<Utc>::UNIX_EPOCH + Duration::hours(1);
        let latest = [
            sample("a", Metric::CpuRatio, 0.81, now),
            sample("b", Metric::Http5xxRatio, 0.021, now),
            sample("b", Metric::CpuRatio, 0.95, now),
            sample("c", Metric::DbPoolRatio, 0.90, now),
            sample("d", Metric::Up, 0.0, now),
            sample("e", Metric::CpuRatio, 0.99, now - Duration::minutes(5)),
        ];
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
        let latest = [
            sample("batch", Metric::CpuRatio, 0.95, now),
            sample("api", Metric::CpuRatio, 0.85, now),
            sample("api", Metric::LatencyP99Seconds, 0.4, now),
            sample("web", Metric::LatencyP99Seconds, 0.4, now),
        ];
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

    /// A verdict is written over the last one (the monitor reuses them): nothing of a node
    /// with more reasons is left in the next one's.
    #[test]
    fn a_verdict_written_over_another_keeps_nothing_of_it() {
        let now = DateTime::<Utc>::UNIX_EPOCH + Duration::hours(1);
        let thresholds = Thresholds::default();
        let mut judge = Judge::new(&thresholds, now);
        let mut readings = NO_READINGS;
        readings[Metric::Http5xxRatio.index()] = Some(Reading { value: 0.5, at: now });
        readings[Metric::CpuRatio.index()] = Some(Reading { value: 0.95, at: now });
        let mut verdict = NodeHealth::unknown();
        judge_node(&mut judge, "b", &readings, &mut verdict);
        assert_eq!(verdict.reasons, ["http_5xx_ratio 50.0% > 2.0%", "cpu_ratio 95.0% > 80.0%"]);
        readings[Metric::Http5xxRatio.index()] = None;
        judge_node(&mut judge, "a", &readings, &mut verdict);
        assert_eq!(
            (verdict.health, verdict.reasons.as_slice()),
            (Health::Degraded, &["cpu_ratio 95.0% > 80.0%".to_owned()][..])
        );
        readings[Metric::CpuRatio.index()] = Some(Reading { value: 0.5, at: now });
        judge_node(&mut judge, "a", &readings, &mut verdict);
        assert_eq!((verdict.health, verdict.reasons.len(), verdict.newest), (Health::Healthy, 0, Some(now)));
        judge_node(&mut judge, "c", &NO_READINGS, &mut verdict);
        assert_eq!(
            (verdict.health, verdict.reasons.as_slice(), verdict.newest),
            (Health::Unknown, &["no data".to_owned()][..], None)
        );
    }

    /// A verdict stands while its grounds do: the same readings later (only fresher) leave it
    /// as it is but for its newest reading; a moved value or an older staleness does not.
    #[test]
    fn a_verdict_stands_on_the_same_grounds_only() {
        let t0 = DateTime::<Utc>::UNIX_EPOCH + Duration::hours(1);
        let thresholds = Thresholds::default();
        let readings = |value: f64, at: DateTime<Utc>| {
            let mut readings = NO_READINGS;
            readings[Metric::CpuRatio.index()] = Some(Reading { value, at });
            readings
        };
        let mut verdict = NodeHealth::unknown();
        let mut judge = Judge::new(&thresholds, t0);
        judge.weigh(Some("a"), &readings(0.95, t0));
        assert!(!judge.stands(&verdict), "an unjudged verdict never stands");
        judge.write(&mut verdict);
        let later = t0 + Duration::seconds(5);
        let mut judge = Judge::new(&thresholds, later);
        judge.weigh(Some("a"), &readings(0.95, later));
        assert!(judge.stands(&verdict));
        assert_eq!(judge.newest(), Some(later));
        judge.weigh(Some("a"), &readings(0.96, later));
        assert!(!judge.stands(&verdict), "the reason says the value");
        judge.write(&mut verdict);
        assert_eq!(verdict.reasons, ["cpu_ratio 96.0% > 80.0%"]);
        judge.weigh(Some("a"), &readings(0.5, later));
        judge.write(&mut verdict);
        judge.weigh(Some("a"), &readings(0.6, later));
        assert!(judge.stands(&verdict), "healthy says no value: nothing to write again");

        let stale = |secs: i64| {
            let mut judge = Judge::new(&thresholds, t0 + Duration::seconds(secs));
            judge.weigh(Some("a"), &readings(0.5, t0));
            judge
        };
        stale(40).write(&mut verdict);
        assert_eq!(verdict.reasons, ["stale: last data 40 s ago"]);
        assert!(stale(40).stands(&verdict));
        assert!(!stale(41).stands(&verdict), "the reason says how old");
    }
}
